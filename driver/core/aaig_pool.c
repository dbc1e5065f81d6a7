#include "aaig_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct aaig_pool {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    pthread_t *threads;
    unsigned nworkers;
    /* current job */
    void (*fn)(void *, unsigned);
    void *ctx;
    unsigned ntasks, next_task, pending;
    unsigned long generation;
    int quit;
};

/* Takes tasks until none is left; the caller holds the lock, released while a task runs. */
static void run_tasks(aaig_pool *pool)
{
    while (pool->next_task < pool->ntasks) {
        unsigned i = pool->next_task++;
        pthread_mutex_unlock(&pool->lock);
        pool->fn(pool->ctx, i);
        pthread_mutex_lock(&pool->lock);
        if (--pool->pending == 0)
            pthread_cond_broadcast(&pool->done);
    }
}

static void *worker(void *arg)
{
    aaig_pool *pool = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->quit && pool->generation == seen)
            pthread_cond_wait(&pool->work, &pool->lock);
        if (pool->quit)
            break;
        seen = pool->generation;
        run_tasks(pool);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
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
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->ntasks = ntasks;
    pool->next_task = 0;
    pool->pending = ntasks;
    pool->generation++;
    pthread_cond_broadcast(&pool->work);
    run_tasks(pool);
    while (pool->pending)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

void aaig_pool_free(aaig_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->quit = 1;
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
