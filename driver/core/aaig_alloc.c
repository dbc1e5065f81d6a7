/* Large buffers; fault injection for tests (see aaig_alloc.h). */
#define _GNU_SOURCE /* MADV_HUGEPAGE, MADV_POPULATE_WRITE */
#include "aaig_alloc.h"

#include <stdint.h>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#define PREFAULT_MIN ((size_t)64 << 10)

void aaig_prefault(void *p, size_t n)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    if (n < PREFAULT_MIN)
        return;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t e = ((uintptr_t)p + n) & ~(page - 1);
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

#if defined(__SANITIZE_ADDRESS__)
#define AAIG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AAIG_ASAN 1
#endif
#endif

#if defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(AAIG_ASAN)
#define HUGE_PAGE ((size_t)2 << 20)

/* The mapping's length for n bytes; 0 for a size served by malloc (or too large to map). */
static size_t mapped_length(size_t n)
{
    if (n < HUGE_PAGE || n > SIZE_MAX - 2 * HUGE_PAGE)
        return 0;
    return (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* Maps len + one huge page, then unmaps the head and tail around the aligned len bytes. Huge
 * pages for the whole ones among the n bytes asked for: a last partial one (the reader's
 * sentinel byte after its 4 MiB) takes ordinary pages, not 2 MiB more. */
static void *map_aligned(size_t len, size_t n)
{
    char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    char *a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    munmap(a + len, (size_t)(p + HUGE_PAGE - a)); /* a < p + HUGE_PAGE: a tail is left */
    (void)madvise(a, n & ~(HUGE_PAGE - 1), MADV_HUGEPAGE); /* a hint: else ordinary pages */
    return a;
}

void *aaig_large_alloc(size_t n)
{
    if (AAIG_FAULT())
        return NULL;
    const size_t len = mapped_length(n);
    return len ? map_aligned(len, n) : malloc(n);
}

void aaig_large_free(void *p, size_t n)
{
    const size_t len = mapped_length(n);
    if (p && len)
        munmap(p, len);
    else
        free(p);
}
#else
void *aaig_large_alloc(size_t n) { return AAIG_FAULT() ? NULL : malloc(n); }

void aaig_large_free(void *p, size_t n)
{
    (void)n;
    free(p);
}
#endif

#ifdef AAIG_FAULT_INJECTION
#include <stdatomic.h>

static atomic_long made;
static atomic_long fail_at = -1;

long aaig_fault_set(long n)
{
    atomic_store(&fail_at, n);
    return atomic_exchange(&made, 0);
}

int aaig_fault_hit(void) { return atomic_fetch_add(&made, 1) == atomic_load(&fail_at); }
#endif
