/* Fork-join with two short phases per window (count, then parse): waking a sleeping thread
 * costs a system call and, on virtual machines, an inter-processor interrupt that can take
 * longer than the phase itself. So both sides spin briefly on atomics before sleeping. */
#include "aaig_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_ROUNDS 20000

struct aaig_pool {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    pthread_t *threads;
    unsigned nworkers;
    /* the current job, published by incrementing generation */
    void (*fn)(void *, unsigned);
    void *ctx;
    unsigned ntasks;
    atomic_uint next_task, pending;
    atomic_ulong generation;
    atomic_int quit;
};

static void run_tasks(aaig_pool *pool)
{
    unsigned i;
    while ((i = atomic_fetch_add(&pool->next_task, 1)) < pool->ntasks) {
        pool->fn(pool->ctx, i);
        if (atomic_fetch_sub(&pool->pending, 1) == 1) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_broadcast(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
}

static void *worker(void *arg)
{
    aaig_pool *pool = arg;
    unsigned long seen = 0;
    for (;;) {
        for (int spin = 0; spin < SPIN_ROUNDS && atomic_load(&pool->generation) == seen &&
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
        run_tasks(pool);
    }
}

aaig_pool *aaig_pool_new(unsigned nthreads)
{
    aaig_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done, NULL);
    unsigned want = nthreads > 1 ? nthreads - 1 : 0;
    pool->threads = want ? calloc(want, sizeof(pthread_t)) : NULL;
    for (unsigned i = 0; i < want && pool->threads; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0)
            break;
        pool->nworkers++;
    }
    return pool;
}

unsigned aaig_pool_size(const aaig_pool *pool) { return pool ? pool->nworkers + 1 : 1; }

void aaig_pool_run(aaig_pool *pool, unsigned ntasks, void (*fn)(void *ctx, unsigned i), void *ctx)
{
    if (!pool || pool->nworkers == 0 || ntasks <= 1) {
        for (unsigned i = 0; i < ntasks; i++)
            fn(ctx, i);
        return;
    }
    /* Workers read fn/ctx/ntasks only after seeing the new generation (seq_cst atomics). */
    pool->fn = fn;
    pool->ctx = ctx;
    pool->ntasks = ntasks;
    atomic_store(&pool->next_task, 0);
    atomic_store(&pool->pending, ntasks);
    pthread_mutex_lock(&pool->lock);
    atomic_fetch_add(&pool->generation, 1);
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    run_tasks(pool);
    for (int spin = 0; spin < SPIN_ROUNDS && atomic_load(&pool->pending); spin++)
        CPU_RELAX();
    pthread_mutex_lock(&pool->lock);
    while (atomic_load(&pool->pending))
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

void aaig_pool_free(aaig_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->quit, 1);
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->nworkers; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
