/* FastAAIGrid core: a minimal fork-join worker pool (GDAL 3.6 does not install its own
 * thread-pool headers). The calling thread takes part, so a pool of n runs n tasks at once. */
#ifndef AAIG_POOL_H
#define AAIG_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aaig_pool aaig_pool;

/* The most threads a pool (and so a read or a write) uses; callers' per-thread arrays are
 * sized by it, and every thread count asked for is clamped to it. */
#define AAIG_MAX_THREADS 64u

/* n clamped to [1, AAIG_MAX_THREADS]. */
static inline unsigned aaig_clamp_threads(unsigned long long n)
{
    return n < 1 ? 1u : n > AAIG_MAX_THREADS ? AAIG_MAX_THREADS : (unsigned)n;
}

/* A pool of nthreads, clamped (the caller plus nthreads-1 workers); NULL on failure. */
aaig_pool *aaig_pool_new(unsigned nthreads);
void aaig_pool_free(aaig_pool *pool);
unsigned aaig_pool_size(const aaig_pool *pool);

/* Runs fn(ctx, i) for every i in [0, ntasks) and returns when all are done. */
void aaig_pool_run(aaig_pool *pool, unsigned ntasks, void (*fn)(void *ctx, unsigned i), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
