/* FastAAIGrid core: one process-wide fork-join worker pool (GDAL 3.6 does not install its
 * own thread-pool headers). Every read and write of every dataset shares it; the calling
 * thread always takes part, so a job never waits for a worker to exist or to wake up. */
#ifndef AAIG_POOL_H
#define AAIG_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

/* The most threads a job (and so a read or a write) uses; callers' per-thread arrays are
 * sized by it, and every thread count asked for is clamped to it. The pool never has more
 * than AAIG_MAX_THREADS - 1 workers. */
#define AAIG_MAX_THREADS 64u

/* n clamped to [1, AAIG_MAX_THREADS]. */
static inline unsigned aaig_clamp_threads(unsigned long long n)
{
    return n < 1 ? 1u : n > AAIG_MAX_THREADS ? AAIG_MAX_THREADS : (unsigned)n;
}

/* Runs fn(ctx, i) for every i in [0, ntasks), each exactly once, on the calling thread and
 * at most nthreads - 1 (clamped) of the pool's workers, and returns when all have finished.
 * Tasks are handed out in order of i to whichever thread is free: any thread may run any
 * task. Workers are started on first need; when none can be, the caller runs every task.
 * Safe to call from several threads at once, and from inside a task. */
void aaig_pool_run(unsigned nthreads, unsigned ntasks, void (*fn)(void *ctx, unsigned i),
                   void *ctx);

/* A job that runs while its caller does something else (reads ahead while the caller uses
 * what it read before). aaig_pool_start offers fn(ctx, i), i in [0, ntasks), to at most
 * nthreads - 1 (clamped; 1 for nthreads 1) of the pool's workers and returns at once: the
 * caller is the job's last thread, from aaig_pool_finish on. aaig_pool_finish runs the
 * tasks no worker has taken on the calling thread, helps the pool's other open jobs (those
 * its tasks opened, say) while workers finish theirs, and returns when every task has
 * finished. Every job started must be finished, by the thread that started it, in the same
 * process: a child after fork() must not finish its parent's job. When the job cannot be
 * made (out of memory), aaig_pool_start runs every task before it returns NULL, and
 * aaig_pool_finish(NULL) does nothing. */
typedef struct job aaig_pool_job;
aaig_pool_job *aaig_pool_start(unsigned nthreads, unsigned ntasks,
                               void (*fn)(void *ctx, unsigned i), void *ctx);
void aaig_pool_finish(aaig_pool_job *job);

/* How many workers the pool has started in this process (for tests). */
unsigned aaig_pool_workers(void);

#ifdef __cplusplus
}
#endif
#endif
