/* One process-wide fork-join pool, shared by every reader and every CreateCopy.
 *
 * A job lives on its caller's stack: aaig_pool_run links it into the list of open jobs,
 * starts workers if the job wants more helpers than exist, wakes sleeping ones, and then
 * takes tasks itself. Invariants:
 *
 * - Tasks are handed out dynamically: job->next is the next task; every thread in the job
 *   (the caller and the helpers that joined) claims tasks from it until none is left, so a
 *   late or slow thread never holds a job up, and the caller alone can run them all.
 * - `lock` guards the job list, every job's `seats`, `inside` and `waiting`, and the pool's
 *   counters. A worker joins a job only under the lock, only while the job is linked, and
 *   only while it has a seat left (a job has at most nthreads - 1 helpers; a started job
 *   on one thread, 1).
 * - Before returning, the caller unlinks its job under the lock (no helper can join after
 *   that) and waits until `inside`, the helpers that joined and have not left, is 0,
 *   helping other open jobs as a worker would meanwhile (a helper of its job may be waiting
 *   for a job opened inside a task, which has a seat nobody took): while it waits, its job
 *   is in the `closing` list, and a job opened then wakes it as it wakes sleeping workers. A
 *   helper leaves only after its last task has finished, under the lock, and signals the
 *   caller then, which cannot return before the helper releases the lock. So no thread
 *   looks at a job once its caller has returned, and every task's writes are visible to it.
 * - aaig_pool_start/aaig_pool_finish are the two halves of aaig_pool_run with the job on
 *   the heap: its caller goes on with its own work in between, so every seat is a worker's.
 * - Workers are started only when a job asks for more helpers than exist (so at most the
 *   largest nthreads asked for - 1, never more than AAIG_MAX_THREADS - 1), outside the lock,
 *   and live until the process exits: the plugin is linked with -z nodelete so that their
 *   code is never unloaded. A failed start only means fewer workers; the next job that wants
 *   more tries again.
 * - Idle workers sleep on `work`, and a caller waiting for its helpers on `left`: nothing
 *   spins. A spin after each job, for wake-up latency, was measured (core_bench at 2
 *   threads on a shared 2-vCPU VM): no gain with 2000 pauses, 10-20 % slower with 20000,
 *   since a spinning thread takes time from the ones that work. A late helper costs little
 *   anyway: the caller takes its tasks.
 * - fork(): the prepare handler takes the lock, so that the child gets the pool in a
 *   consistent state; the child, which has none of the workers and none of the other
 *   threads' jobs, resets the pool to "no workers, no jobs" with a fresh lock and condition
 *   variable, and its first job starts workers of its own. Calling fork() from inside a task
 *   is not supported (the job's other threads would not exist in the child). */
#include "aaig_pool.h"
#include "aaig_alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct job {
    void (*fn)(void *, unsigned);
    void *ctx;
    unsigned ntasks;
    atomic_uint next; /* the next task to hand out */
    unsigned seats;   /* helpers that may still join */
    unsigned inside;  /* helpers that joined and have not left */
    int waiting;      /* the caller sleeps on `left` */
    pthread_cond_t left;
    struct job *prev, *later;
    struct job *next_closing; /* in P.closing, while its caller waits for its helpers */
} job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work; /* idle workers sleep here */
    job *first, *last;   /* open jobs, oldest first */
    job *closing;        /* jobs whose callers wait for their helpers (and help others) */
    unsigned nworkers;   /* started */
    unsigned starting;   /* being started by a caller, outside the lock */
    unsigned sleeping;   /* workers waiting on `work` */
} P = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* ---- fork ----------------------------------------------------------------------------- */

static void before_fork(void) { pthread_mutex_lock(&P.lock); }

static void after_fork_parent(void) { pthread_mutex_unlock(&P.lock); }

/* Only the forking thread exists here. The condition variable may record waiters that are
 * not in this process: it is initialised again, never destroyed (that would wait for them). */
static void after_fork_child(void)
{
    pthread_mutex_unlock(&P.lock);
    pthread_mutex_init(&P.lock, NULL);
    pthread_cond_init(&P.work, NULL);
    P.first = P.last = NULL;
    P.closing = NULL;
    P.nworkers = P.starting = P.sleeping = 0;
}

static void init(void) { pthread_atfork(before_fork, after_fork_parent, after_fork_child); }

/* ---- jobs ----------------------------------------------------------------------------- */

/* Claims and runs tasks until none is left (a compare-and-swap, so that `next` never
 * passes ntasks and cannot wrap around). */
static void run_tasks(job *j)
{
    unsigned i = atomic_load_explicit(&j->next, memory_order_relaxed);
    while (i < j->ntasks) {
        if (atomic_compare_exchange_weak_explicit(&j->next, &i, i + 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            j->fn(j->ctx, i);
            i = atomic_load_explicit(&j->next, memory_order_relaxed);
        }
    }
}

/* Under the lock: the oldest job that takes one more helper and has tasks left. */
static job *open_job(void)
{
    for (job *j = P.first; j; j = j->later)
        if (j->seats && atomic_load_explicit(&j->next, memory_order_relaxed) < j->ntasks)
            return j;
    return NULL;
}

static void link_job(job *j)
{
    j->prev = P.last;
    j->later = NULL;
    if (P.last)
        P.last->later = j;
    else
        P.first = j;
    P.last = j;
}

static void unlink_job(job *j)
{
    if (j->prev)
        j->prev->later = j->later;
    else
        P.first = j->later;
    if (j->later)
        j->later->prev = j->prev;
    else
        P.last = j->prev;
}

/* Under the lock, which it releases while it works: joins the oldest open job as a helper
 * and runs tasks of it until none is left. 0 when no job takes a helper. */
static int help_one(void)
{
    job *j = open_job();
    if (!j)
        return 0;
    j->seats--;
    j->inside++;
    pthread_mutex_unlock(&P.lock);
    run_tasks(j);
    pthread_mutex_lock(&P.lock);
    if (--j->inside == 0 && j->waiting)
        pthread_cond_signal(&j->left);
    return 1;
}

static void *worker(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&P.lock);
    for (;;) {
        if (!help_one()) {
            P.sleeping++;
            pthread_cond_wait(&P.work, &P.lock);
            P.sleeping--;
        }
    }
    return NULL;
}

/* Starts up to n workers; returns how many started. */
static unsigned start_workers(unsigned n)
{
    unsigned started = 0;
    for (; started < n; started++) {
        pthread_t t;
        if (aaig_thread_start(&t, worker, NULL) != 0)
            break;
        pthread_detach(t);
    }
    return started;
}

static void init_job(job *j, unsigned ntasks, void (*fn)(void *, unsigned), void *ctx,
                     unsigned seats)
{
    j->fn = fn;
    j->ctx = ctx;
    j->ntasks = ntasks;
    atomic_init(&j->next, 0);
    j->seats = seats;
    j->inside = 0;
    j->waiting = 0;
    pthread_cond_init(&j->left, NULL);
}

/* Links the job, wakes sleeping workers for its seats and starts the workers missing. */
static void open_job_for_helpers(job *j)
{
    pthread_once(&once, init);
    pthread_mutex_lock(&P.lock);
    link_job(j);
    /* Callers waiting for their helpers look for jobs to help, as sleeping workers do. */
    for (job *c = P.closing; c; c = c->next_closing)
        pthread_cond_signal(&c->left);
    const unsigned have = P.nworkers + P.starting;
    const unsigned start = j->seats > have ? j->seats - have : 0;
    P.starting += start;
    if (j->seats >= P.sleeping)
        pthread_cond_broadcast(&P.work);
    else
        for (unsigned k = 0; k < j->seats; k++)
            pthread_cond_signal(&P.work);
    pthread_mutex_unlock(&P.lock);

    if (start) {
        const unsigned started = start_workers(start);
        pthread_mutex_lock(&P.lock);
        P.starting -= start;
        P.nworkers += started;
        pthread_mutex_unlock(&P.lock);
    }
}

/* Runs the tasks left, unlinks the job and waits for its helpers, helping other jobs
 * meanwhile: a helper may be waiting for a job of its own that wants one more thread. */
static void close_job(job *j)
{
    run_tasks(j);
    pthread_mutex_lock(&P.lock);
    unlink_job(j);
    j->waiting = 1;
    if (j->inside) {
        j->next_closing = P.closing;
        P.closing = j;
        while (j->inside)
            if (!help_one())
                pthread_cond_wait(&j->left, &P.lock);
        job **c = &P.closing;
        while (*c != j)
            c = &(*c)->next_closing;
        *c = j->next_closing;
    }
    pthread_mutex_unlock(&P.lock);
    pthread_cond_destroy(&j->left);
}

void aaig_pool_run(unsigned nthreads, unsigned ntasks, void (*fn)(void *ctx, unsigned i), void *ctx)
{
    nthreads = aaig_clamp_threads(nthreads);
    if (nthreads == 1 || ntasks <= 1) {
        for (unsigned i = 0; i < ntasks; i++)
            fn(ctx, i);
        return;
    }
    job j;
    init_job(&j, ntasks, fn, ctx, nthreads - 1 < ntasks - 1 ? nthreads - 1 : ntasks - 1);
    open_job_for_helpers(&j);
    close_job(&j);
}

aaig_pool_job *aaig_pool_start(unsigned nthreads, unsigned ntasks,
                               void (*fn)(void *ctx, unsigned i), void *ctx)
{
    job *j = aaig_malloc(sizeof(*j));
    if (!j) {
        for (unsigned i = 0; i < ntasks; i++)
            fn(ctx, i);
        return NULL;
    }
    /* The caller is the job's last thread, from aaig_pool_finish on; a job on one thread
     * still goes to a worker, or it would not run in the background. */
    const unsigned helpers = nthreads > 1 ? aaig_clamp_threads(nthreads) - 1 : 1;
    init_job(j, ntasks, fn, ctx, helpers < ntasks ? helpers : ntasks);
    open_job_for_helpers(j);
    return j;
}

void aaig_pool_finish(aaig_pool_job *j)
{
    if (!j)
        return;
    close_job(j);
    free(j);
}

unsigned aaig_pool_workers(void)
{
    pthread_mutex_lock(&P.lock);
    const unsigned n = P.nworkers;
    pthread_mutex_unlock(&P.lock);
    return n;
}
