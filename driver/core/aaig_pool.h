/* FastAAIGrid core: a minimal fork-join worker pool (GDAL 3.6 does not install its own
 * thread-pool headers). The calling thread takes part, so a pool of n runs n tasks at once. */
#ifndef AAIG_POOL_H
#define AAIG_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aaig_pool aaig_pool;

/* A pool of nthreads (the caller plus nthreads-1 workers); NULL on failure. */
aaig_pool *aaig_pool_new(unsigned nthreads);
void aaig_pool_free(aaig_pool *pool);
unsigned aaig_pool_size(const aaig_pool *pool);

/* Runs fn(ctx, i) for every i in [0, ntasks) and returns when all are done. */
void aaig_pool_run(aaig_pool *pool, unsigned ntasks, void (*fn)(void *ctx, unsigned i), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
