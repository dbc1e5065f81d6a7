/* The core's allocations and thread starts go through these, so that tests can make any one
 * of them fail: the unit tests link a copy of the core built with AAIG_FAULT_INJECTION, where
 * aaig_fault_set(n) makes the n-th allocation or thread start from then on fail.
 * The driver's large row buffers come from aaig_large_alloc. */
#ifndef AAIG_ALLOC_H
#define AAIG_ALLOC_H

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef AAIG_FAULT_INJECTION
/* From now on the nth (0-based) allocation or thread start fails, only that one; n < 0: none
 * fails. Returns how many were made since the previous call. */
long aaig_fault_set(long n);
/* Counts one allocation or thread start; non-zero when it is the one to fail. */
int aaig_fault_hit(void);
#define AAIG_FAULT() aaig_fault_hit()
#else
#define AAIG_FAULT() 0
#endif

static inline void *aaig_malloc(size_t n) { return AAIG_FAULT() ? NULL : malloc(n); }
static inline void *aaig_calloc(size_t n, size_t size)
{
    return AAIG_FAULT() ? NULL : calloc(n, size);
}
/* A buffer of n bytes for large data, freed with aaig_large_free(p, n). From 2 MiB on, on
 * Linux, its own mapping aligned to 2 MiB and advised for transparent huge pages (as numpy
 * does for its arrays): the first touch of each 2 MiB costs one page fault instead of 512,
 * and on a virtual machine a fresh page's fault can cost 10 us or more. Plain malloc
 * elsewhere, and under AddressSanitizer, which checks malloc'd memory only. */
void *aaig_large_alloc(size_t n);
void aaig_large_free(void *p, size_t n);

/* Maps in the pages of [p, p + n) that the range holds entirely, with one system call, before
 * they are written: a caller's fresh array (numpy's, say) is otherwise faulted in page by
 * page, which on a virtual machine costs 10 us or more a page. Measured on the 2-vCPU
 * benchmark VM: a full read of the 141 MB DEM 227 -> 113 ms; 64 fresh 1 MB buffers written
 * 210 -> 115 ms. The contents are not changed. Nothing for less than 64 KiB, nor where the
 * system lacks the call (Linux < 5.14, others). */
void aaig_prefault(void *p, size_t n);

static inline int aaig_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    return AAIG_FAULT() ? EAGAIN : pthread_create(t, NULL, fn, arg);
}

#ifdef __cplusplus
}
#endif
#endif
