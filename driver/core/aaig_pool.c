/* Fork-join with two short phases per window (count, then parse): waking a sleeping thread
 * costs a system call and, on virtual machines, an inter-processor interrupt that can take
 * longer than the phase itself. So both sides spin briefly on atomics before sleeping.
 *
 * Tasks are assigned statically (thread t runs tasks t, t + n, ...; the caller is thread 0)
 * and every worker acknowledges every job, even one with no task for it: the caller returns
 * only when all have, so no worker can still be looking at a job that has ended.
 * With more threads than processors, spinning would only steal time from the threads that
 * work: then everyone sleeps at once. */
#include "aaig_pool.h"
#include "aaig_alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_ROUNDS 20000

typedef struct {
    struct aaig_pool *pool;
    unsigned index; /* 1..nworkers */
} worker_arg;

struct aaig_pool {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    pthread_t *threads;
    worker_arg *args;
    unsigned nworkers;
    int spin_rounds;
    /* the current job: written before generation is incremented, read after */
    void (*fn)(void *, unsigned);
    void *ctx;
    unsigned ntasks;
    atomic_ulong generation;
    atomic_uint finished; /* workers done with the current job */
    atomic_int quit;
    pid_t owner; /* the process whose threads these are */
};

/* After fork() the child has the pool's memory but none of its threads (and maybe a lock a
 * worker held): there the pool runs every task on the calling thread and is freed without
 * touching its threads or locks. */
static int owned(const aaig_pool *pool) { return pool->owner == getpid(); }

static void run_share(aaig_pool *pool, unsigned index)
{
    for (unsigned i = index; i < pool->ntasks; i += pool->nworkers + 1)
        pool->fn(pool->ctx, i);
}

static void *worker(void *p)
{
    worker_arg *arg = p;
    aaig_pool *pool = arg->pool;
    unsigned long seen = 0;
    for (;;) {
        for (int spin = 0; spin < pool->spin_rounds && atomic_load(&pool->generation) == seen &&
                           !atomic_load(&pool->quit);
             spin++)
            CPU_RELAX();
        pthread_mutex_lock(&pool->lock);
        while (!atomic_load(&pool->quit) && atomic_load(&pool->generation) == seen)
            pthread_cond_wait(&pool->work, &pool->lock);
        pthread_mutex_unlock(&pool->lock);
        if (atomic_load(&pool->quit))
            return NULL;
        seen = atomic_load(&pool->generation);
        run_share(pool, arg->index);
        if (atomic_fetch_add(&pool->finished, 1) + 1 == pool->nworkers) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_broadcast(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
}

aaig_pool *aaig_pool_new(unsigned nthreads)
{
    aaig_pool *pool = aaig_calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done, NULL);
    pool->owner = getpid();
    nthreads = aaig_clamp_threads(nthreads);
    unsigned want = nthreads - 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    pool->spin_rounds = cpus > 0 && nthreads <= (unsigned long)cpus ? SPIN_ROUNDS : 0;
    pool->threads = want ? aaig_calloc(want, sizeof(pthread_t)) : NULL;
    pool->args = want ? aaig_calloc(want, sizeof(worker_arg)) : NULL;
    for (unsigned i = 0; i < want && pool->threads && pool->args; i++) {
        pool->args[i].pool = pool;
        pool->args[i].index = i + 1;
        if (aaig_thread_start(&pool->threads[i], worker, &pool->args[i]) != 0)
            break;
        pool->nworkers++;
    }
    return pool;
}

unsigned aaig_pool_size(const aaig_pool *pool)
{
    return pool && owned(pool) ? pool->nworkers + 1 : 1;
}

void aaig_pool_run(aaig_pool *pool, unsigned ntasks, void (*fn)(void *ctx, unsigned i), void *ctx)
{
    if (!pool || pool->nworkers == 0 || ntasks <= 1 || !owned(pool)) {
        for (unsigned i = 0; i < ntasks; i++)
            fn(ctx, i);
        return;
    }
    pool->fn = fn;
    pool->ctx = ctx;
    pool->ntasks = ntasks;
    atomic_store(&pool->finished, 0);
    pthread_mutex_lock(&pool->lock);
    atomic_fetch_add(&pool->generation, 1);
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    run_share(pool, 0);
    for (int spin = 0; spin < pool->spin_rounds && atomic_load(&pool->finished) != pool->nworkers;
         spin++)
        CPU_RELAX();
    pthread_mutex_lock(&pool->lock);
    while (atomic_load(&pool->finished) != pool->nworkers)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

void aaig_pool_free(aaig_pool *pool)
{
    if (!pool)
        return;
    if (!owned(pool)) {
        free(pool->threads);
        free(pool->args);
        free(pool);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->quit, 1);
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->nworkers; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    free(pool->args);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
