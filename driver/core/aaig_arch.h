/* FastAAIGrid core: which fast paths this target gets. Each has a portable twin that defines
 * the semantics and is used elsewhere; -DAAIG_PORTABLE (CMake: FASTAAIGRID_PORTABLE=ON)
 * turns every fast path off, so the twins are tested on x86-64 too. */
#ifndef AAIG_ARCH_H
#define AAIG_ARCH_H

#include <float.h>

/* Clinger's fast path needs each multiply or divide rounded once, to double. Where double
 * arithmetic runs in wider registers (32-bit x86's x87 unit: FLT_EVAL_METHOD 2), the result
 * would be rounded twice and may be one unit off: there Eisel-Lemire (integer arithmetic)
 * does its work. This is a correctness condition, not a speed choice. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define AAIG_EXACT_DOUBLE_OPS 1
#else
#define AAIG_EXACT_DOUBLE_OPS 0
#endif

#ifndef AAIG_PORTABLE
/* The structural scan, 64 bytes a step in four 16-byte compares (the x86-64 baseline). */
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
