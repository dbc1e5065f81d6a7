/* FastAAIGrid core: which fast paths this target gets. Each has a portable twin that defines
 * the semantics and is used elsewhere; -DAAIG_PORTABLE (CMake: FASTAAIGRID_PORTABLE=ON)
 * turns every fast path off, so the twins are tested on x86-64 too. */
#ifndef AAIG_ARCH_H
#define AAIG_ARCH_H

#ifndef AAIG_PORTABLE
/* The structural scan, 16 bytes a compare (the x86-64 baseline). */
#if defined(__SSE2__)
#define AAIG_HAVE_SSE2 1
#endif
/* Eight characters a step in one 64-bit word: byte 0 must be the first character. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define AAIG_HAVE_SWAR 1
#endif
/* 64 x 64 -> 128-bit products in one instruction (not on 32-bit targets). */
#if defined(__SIZEOF_INT128__)
#define AAIG_HAVE_INT128 1
#endif
#endif

#endif
