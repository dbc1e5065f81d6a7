// Unit tests of driver/core/aaig_pool, the process-wide pool: every task of every job runs
// exactly once and is finished when aaig_pool_run returns, with one caller or many at once;
// workers are started only as needed and sleep when idle; tasks are handed out dynamically;
// a fork()ed child gets a pool of its own.
//
// A deadlock in the pool would hang the whole test binary, so the multi-threaded checks run
// in a child process (gtest death-test machinery) with a watchdog that fails the test after a
// few seconds without progress. Each such child also starts with no workers, so that the
// worker counts checked are those of the test alone.
#include <gtest/gtest.h>

#include "test_support.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "aaig_pool.h"

namespace {

using aaig_test::in_child;
using aaig_test::run_watched;
using aaig_test::step;

struct Job {
    explicit Job(unsigned n) : runs(n), finished(n) {}
    std::vector<std::atomic<int>> runs;
    std::vector<std::atomic<int>> finished;
    unsigned spin = 0; // work per task, so that tasks overlap
};

void task(void *ctx, unsigned i)
{
    Job *job = static_cast<Job *>(ctx);
    job->runs.at(i)++;
    volatile unsigned sink = 0;
    for (unsigned k = 0; k < job->spin * (i % 3); k++)
        sink = sink + k;
    job->finished.at(i)++;
}

std::string check_job(const Job &job, unsigned ntasks, const std::string &what)
{
    for (unsigned i = 0; i < ntasks; i++) {
        int runs = job.runs[i].load(), fin = job.finished[i].load();
        if (runs != 1 || fin != 1)
            return what + ": task " + std::to_string(i) + " ran " + std::to_string(runs) +
                   " times and had finished " + std::to_string(fin) +
                   " times when aaig_pool_run returned (expected once)";
    }
    return "";
}

std::string check_workers(unsigned most, const std::string &what)
{
    const unsigned w = aaig_pool_workers();
    return w <= most ? "" : what + ": " + std::to_string(w) + " workers, more than " + std::to_string(most);
}

const unsigned kThreadCounts[] = {1, 2, 7, 16, 64, 256};

// Every thread count of kThreadCounts (only_nthreads == 0) or just one, in increasing order:
// 0..100 tasks, and 300, job after job. The pool has exactly (largest count so far) - 1
// workers after the first job with that many tasks, never more.
std::string check_pool(unsigned only_nthreads)
{
    unsigned most = 0;
    for (unsigned nthreads : kThreadCounts) {
        if (only_nthreads && nthreads != only_nthreads)
            continue;
        most = std::max(most, aaig_clamp_threads(nthreads) - 1);
        for (int rep = 0; rep < 4; rep++) {
            for (unsigned ntasks = 0; ntasks <= 101; ntasks++) {
                const unsigned n = ntasks == 101 ? 300 : ntasks;
                std::ostringstream what;
                what << nthreads << " threads, job " << rep << " of " << n << " tasks";
                step(what.str());
                Job job(n);
                job.spin = rep == 3 ? 2000 : 0;
                aaig_pool_run(nthreads, n, task, &job);
                std::string e = check_job(job, n, what.str());
                if (e.empty())
                    e = check_workers(most, what.str());
                if (!e.empty())
                    return e;
            }
        }
        if (aaig_pool_workers() != most)
            return std::to_string(nthreads) + " threads: " + std::to_string(aaig_pool_workers()) +
                   " workers, expected " + std::to_string(most);
    }
    return "";
}

// Many short jobs back to back, a 2-task job before each larger one (the reader runs a count
// job and then a parse job per region): helpers that come late from one job must not take
// part in the next one.
std::string stress_pool(unsigned)
{
    for (unsigned nthreads : {3u, 8u, 2u}) {
        std::mt19937 rng(nthreads);
        for (unsigned run = 0; run < 60000; run++) {
            unsigned ntasks = run % 2 ? 2 + rng() % 100 : 2;
            if (run % 1024 == 0)
                step(std::to_string(nthreads) + " threads, job " + std::to_string(run) + " of " +
                     std::to_string(ntasks) + " tasks (and the following ones)");
            aaig_test::g_progress++;
            Job job(ntasks);
            aaig_pool_run(nthreads, ntasks, task, &job);
            std::string e = check_job(job, ntasks, std::to_string(nthreads) + " threads, job " +
                                                       std::to_string(run) + " of " +
                                                       std::to_string(ntasks) + " tasks");
            if (!e.empty())
                return e;
        }
    }
    return check_workers(7, "after the stress");
}

// `ncallers` threads run jobs at once, each with its own thread counts (2..12) and task counts;
// some tasks run a job of their own (nested); some jobs are started, and finished after a job
// of the caller's own. The pool never has more than 11 workers.
std::string concurrent_callers(unsigned ncallers)
{
    constexpr unsigned kJobs = 3000, kMostThreads = 12;
    std::mutex err_mutex;
    std::string err;
    std::atomic<bool> stop{false};
    std::vector<std::thread> callers;
    for (unsigned c = 0; c < ncallers; c++) {
        callers.emplace_back([&, c] {
            std::mt19937 rng(c);
            for (unsigned run = 0; run < kJobs && !stop; run++) {
                const unsigned nthreads = 2 + rng() % (kMostThreads - 1);
                const unsigned ntasks = rng() % 70;
                const bool nested = run % 16 == 0;
                const std::string what = "caller " + std::to_string(c) + ", job " + std::to_string(run) +
                                         " on " + std::to_string(nthreads) + " threads, " +
                                         std::to_string(ntasks) + " tasks" + (nested ? ", nested" : "");
                if (run % 256 == 0)
                    step(what);
                aaig_test::g_progress++;
                Job job(ntasks);
                job.spin = run % 5 == 0 ? 500 : 0;
                std::string e;
                if (nested) {
                    // Each outer task runs a job of 8 tasks on 3 threads.
                    struct Outer {
                        std::vector<Job> inner;
                        Job *outer;
                    };
                    Outer o{{}, &job};
                    o.inner.reserve(ntasks);
                    for (unsigned i = 0; i < ntasks; i++)
                        o.inner.emplace_back(8);
                    aaig_pool_run(nthreads, ntasks, [](void *p, unsigned i) {
                        Outer *x = static_cast<Outer *>(p);
                        aaig_pool_run(3, 8, task, &x->inner[i]);
                        task(x->outer, i);
                    }, &o);
                    for (unsigned i = 0; i < ntasks && e.empty(); i++)
                        e = check_job(o.inner[i], 8, what + ", inner job " + std::to_string(i));
                } else if (run % 7 == 3) {
                    // Started, then finished after other work (reading ahead).
                    aaig_pool_job *started = aaig_pool_start(nthreads, ntasks, task, &job);
                    Job mine(5);
                    aaig_pool_run(nthreads, 5, task, &mine);
                    aaig_pool_finish(started);
                    e = check_job(mine, 5, what + ", the caller's own job meanwhile");
                } else {
                    aaig_pool_run(nthreads, ntasks, task, &job);
                }
                if (e.empty())
                    e = check_job(job, ntasks, what);
                if (e.empty())
                    e = check_workers(kMostThreads - 1, what);
                if (!e.empty()) {
                    std::lock_guard<std::mutex> lock(err_mutex);
                    if (err.empty())
                        err = e;
                    stop = true;
                }
            }
        });
    }
    for (auto &t : callers)
        t.join();
    return err;
}

double cpu_seconds()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// After jobs on 2, 8 and 64 threads, the idle workers sleep: the process uses next to no CPU
// time for 200 ms.
std::string idle_workers_sleep(unsigned nthreads)
{
    for (int round = 0; round < 3; round++) {
        step(std::to_string(nthreads) + " threads, round " + std::to_string(round));
        for (unsigned run = 0; run < 200; run++) {
            Job job(nthreads * 2);
            job.spin = 1000;
            aaig_pool_run(nthreads, nthreads * 2, task, &job);
            std::string e = check_job(job, nthreads * 2, "job " + std::to_string(run));
            if (!e.empty())
                return e;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // workers settle
        const double cpu0 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const double used = cpu_seconds() - cpu0;
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // The watchdog thread wakes every 50 ms: microseconds. Spinning workers: 200 ms each.
        if (used > 0.02)
            return std::to_string(aaig_pool_workers()) + " idle workers used " +
                   std::to_string(used * 1e3) + " ms of CPU time in " + std::to_string(wall * 1e3) +
                   " ms";
    }
    return "";
}

// One thread stuck in a task must not keep the others from the remaining tasks: the first
// task the caller runs (or the first one a helper runs, once the caller has seen it start)
// waits until every other task has finished, which only happens when the tasks are handed out
// to whoever is free (statically assigned tasks would wait for the stuck thread).
struct SlowCtx {
    unsigned ntasks;
    std::thread::id caller;
    bool block_caller; // else: block the first task a helper runs
    std::atomic<int> blocked{0};
    std::atomic<bool> caller_waited{false};
    std::atomic<unsigned> others_done{0};
    std::atomic<bool> timed_out{false};
    Job *job;
    // Waits up to 2 s for done(); false (and timed_out) when it did not come.
    template <class F> bool wait_for(F done)
    {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (!done()) {
            if (std::chrono::steady_clock::now() > until) {
                timed_out = true;
                return false;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        return true;
    }
};

std::string slow_task(unsigned nthreads)
{
    for (int rep = 0; rep < 20; rep++) {
        for (bool block_caller : {true, false}) {
            const unsigned ntasks = 40;
            const std::string what = std::to_string(nthreads) + " threads, rep " + std::to_string(rep) +
                                     (block_caller ? ", the caller stuck" : ", a helper stuck");
            step(what);
            Job job(ntasks);
            SlowCtx c;
            c.ntasks = ntasks;
            c.caller = std::this_thread::get_id();
            c.block_caller = block_caller;
            c.job = &job;
            aaig_pool_run(nthreads, ntasks, [](void *p, unsigned i) {
                SlowCtx *x = static_cast<SlowCtx *>(p);
                const bool on_caller = std::this_thread::get_id() == x->caller;
                if (on_caller == x->block_caller && x->blocked.exchange(1) == 0) {
                    x->wait_for([x] { return x->others_done.load() >= x->ntasks - 1; });
                    task(x->job, i);
                    return;
                }
                if (!x->block_caller && on_caller && !x->caller_waited.exchange(true))
                    x->wait_for([x] { return x->blocked.load() != 0; }); // a helper is stuck now
                task(x->job, i);
                x->others_done++;
            }, &c);
            std::string e = check_job(job, ntasks, what);
            if (!e.empty())
                return e;
            if (c.timed_out)
                return what + ": " + (c.blocked ? "the other threads did not take the remaining tasks (" +
                                                      std::to_string(c.others_done.load()) + " of " +
                                                      std::to_string(ntasks - 1) + " done after 2 s)"
                                                : std::string("no helper joined the job in 2 s"));
        }
    }
    return "";
}

// aaig_pool_start/aaig_pool_finish on 1..64 threads, 0..40 tasks: every task runs once, and
// before aaig_pool_finish returns.
std::string started_jobs(unsigned)
{
    for (unsigned nthreads : kThreadCounts) {
        for (unsigned ntasks = 0; ntasks <= 40; ntasks++) {
            const std::string what = std::to_string(nthreads) + " threads, a started job of " +
                                     std::to_string(ntasks) + " tasks";
            step(what);
            Job job(ntasks);
            job.spin = ntasks % 3 ? 0 : 3000;
            aaig_pool_job *j = aaig_pool_start(nthreads, ntasks, task, &job);
            volatile unsigned sink = 0; // the caller's own work
            for (unsigned k = 0; k < 20000 * (ntasks % 4); k++)
                sink = sink + k;
            aaig_pool_finish(j);
            std::string e = check_job(job, ntasks, what);
            if (!e.empty())
                return e;
        }
    }
    return check_workers(AAIG_MAX_THREADS - 1, "after the started jobs");
}

// A started job runs while its caller does something else: its one task ends before the
// caller, which waits for that (2 s at most), calls aaig_pool_finish.
std::string started_job_runs_in_background(unsigned)
{
    for (int rep = 0; rep < 50; rep++) {
        step("rep " + std::to_string(rep));
        std::atomic<int> done{0};
        aaig_pool_job *j = aaig_pool_start(1, 1, [](void *p, unsigned) {
            static_cast<std::atomic<int> *>(p)->store(1);
        }, &done);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (!done.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        const bool ran = done.load() != 0;
        aaig_pool_finish(j);
        if (!ran)
            return "rep " + std::to_string(rep) + ": no worker ran the started job's task in 2 s";
    }
    return "";
}

// The thread finishing a started job helps the jobs its tasks open, also those opened while
// it already waits: the one worker runs the started job's task, which opens a job of 30 tasks
// on 2 threads and is stuck in the first of them it runs until a task has run on the
// finishing thread (2 s at most). Without the help, that seat stays empty: no other thread
// exists.
std::string finish_helps_nested_jobs(unsigned)
{
    struct Ctx {
        std::thread::id finisher;
        std::atomic<int> on_finisher{0};
        std::atomic<bool> first{true};
        std::atomic<bool> outer_started{false};
        bool timed_out = false;
        Job inner{30};
    };
    for (int rep = 0; rep < 20; rep++) {
        step("rep " + std::to_string(rep));
        Ctx c;
        c.finisher = std::this_thread::get_id();
        aaig_pool_job *j = aaig_pool_start(1, 1, [](void *p, unsigned) {
            static_cast<Ctx *>(p)->outer_started = true;
            // The finishing thread is waiting by now: the job below opens while it waits.
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            aaig_pool_run(2, 30, [](void *q, unsigned i) {
                Ctx *x = static_cast<Ctx *>(q);
                const bool on_finisher = std::this_thread::get_id() == x->finisher;
                if (!on_finisher && x->first.exchange(false)) {
                    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
                    while (!x->on_finisher.load() && std::chrono::steady_clock::now() < until)
                        std::this_thread::sleep_for(std::chrono::microseconds(50));
                    x->timed_out = !x->on_finisher.load();
                } else if (on_finisher) {
                    x->on_finisher++;
                }
                task(&x->inner, i);
            }, p);
        }, &c);
        // The worker, not this thread, must run the outer task (2 s at most).
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (!c.outer_started.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        aaig_pool_finish(j);
        std::string e = check_job(c.inner, 30, "rep " + std::to_string(rep) + ", the inner job");
        if (!e.empty())
            return e;
        if (c.timed_out)
            return "rep " + std::to_string(rep) + ": the finishing thread did not help the inner job";
        if (aaig_pool_workers() != 1)
            return "rep " + std::to_string(rep) + ": " + std::to_string(aaig_pool_workers()) +
                   " workers, expected 1";
    }
    return "";
}

// Jobs in a fork()ed child: it has none of the parent's workers, starts its own, and exits.
std::string child_jobs(unsigned nthreads, unsigned most)
{
    if (aaig_pool_workers() != 0)
        return "the child starts with " + std::to_string(aaig_pool_workers()) + " workers";
    for (unsigned run = 0; run < 50; run++) {
        Job job(64);
        aaig_pool_run(nthreads, 64, task, &job);
        std::string e = check_job(job, 64, "child, job " + std::to_string(run));
        if (!e.empty())
            return e;
    }
    return aaig_pool_workers() <= most ? "" : "the child has " + std::to_string(aaig_pool_workers()) + " workers";
}

// fork() after the parent's workers ran jobs, then again while other threads of the parent
// are inside jobs (the pool's lock and job list are busy): every child runs its jobs on
// fresh workers and exits; the parent's pool still works.
std::string check_fork(unsigned nthreads)
{
    Job before(64);
    aaig_pool_run(nthreads, 64, task, &before);
    std::string e = check_job(before, 64, "parent, before fork");
    if (!e.empty())
        return e;
    step("fork with idle workers");
    e = in_child([&] { return child_jobs(nthreads, nthreads - 1); });
    if (!e.empty())
        return "fork with idle workers: " + e;

    std::atomic<bool> stop{false};
    std::string busy_err;
    std::vector<std::thread> busy;
    std::mutex err_mutex;
    for (unsigned c = 0; c < 3; c++)
        busy.emplace_back([&, c] {
            for (unsigned run = 0; !stop; run++) {
                const unsigned ntasks = 1 + run % 50;
                Job job(ntasks);
                aaig_pool_run(2 + c * 3, ntasks, task, &job);
                std::string err = check_job(job, ntasks, "busy parent thread " + std::to_string(c));
                if (!err.empty()) {
                    std::lock_guard<std::mutex> lock(err_mutex);
                    busy_err = err;
                    return;
                }
            }
        });
    for (int k = 0; k < 30 && e.empty(); k++) {
        step("fork " + std::to_string(k) + " while the parent runs jobs");
        e = in_child([&] { return child_jobs(nthreads, nthreads - 1); });
        if (!e.empty())
            e = "fork " + std::to_string(k) + " while the parent runs jobs: " + e;
    }
    stop = true;
    for (auto &t : busy)
        t.join();
    if (e.empty() && !busy_err.empty())
        e = busy_err;
    if (e.empty()) {
        Job after(64);
        aaig_pool_run(nthreads, 64, task, &after);
        e = check_job(after, 64, "parent, after the forks");
    }
    return e;
}

} // namespace

TEST(Pool, OneThreadOrOneTaskRunsOnTheCallerInOrder)
{
    struct Ctx {
        std::thread::id caller;
        std::vector<unsigned> order;
        int elsewhere = 0;
    } ctx;
    ctx.caller = std::this_thread::get_id();
    auto record = [](void *p, unsigned i) {
        Ctx *c = static_cast<Ctx *>(p);
        c->order.push_back(i);
        c->elsewhere += std::this_thread::get_id() != c->caller;
    };
    for (unsigned n : {0u, 1u}) {
        ctx.order.clear();
        aaig_pool_run(n, 50, record, &ctx);
        ASSERT_EQ(ctx.order.size(), 50u);
        for (unsigned i = 0; i < 50; i++)
            EXPECT_EQ(ctx.order[i], i);
    }
    ctx.order.clear();
    aaig_pool_run(8, 1, record, &ctx);
    aaig_pool_run(8, 0, record, &ctx);
    EXPECT_EQ(ctx.order, (std::vector<unsigned>{0}));
    EXPECT_EQ(ctx.elsewhere, 0);
}

// Workers start only when a job asks for more helpers than exist, and a job with n tasks asks
// for at most n - 1.
TEST(PoolDeathTest, WorkersStartOnlyWhenNeeded)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched([](unsigned) -> std::string {
        auto job = [](unsigned nthreads, unsigned ntasks) {
            Job j(ntasks);
            aaig_pool_run(nthreads, ntasks, task, &j);
            return check_job(j, ntasks, std::to_string(nthreads) + " threads");
        };
        struct Step {
            unsigned nthreads, ntasks, workers;
        };
        for (Step s : {Step{1, 100, 0}, Step{64, 1, 0}, Step{64, 0, 0}, Step{4, 2, 1},
                       Step{4, 100, 3}, Step{2, 100, 3}, Step{6, 3, 3}, Step{6, 6, 5},
                       Step{1000, 30, 29}, Step{1000, 100, 63}, Step{3, 100, 63}}) {
            std::string e = job(s.nthreads, s.ntasks);
            if (!e.empty())
                return e;
            if (aaig_pool_workers() != s.workers)
                return "after a job of " + std::to_string(s.ntasks) + " tasks on " +
                       std::to_string(s.nthreads) + " threads: " + std::to_string(aaig_pool_workers()) +
                       " workers, expected " + std::to_string(s.workers);
        }
        return "";
    }, 0), ::testing::ExitedWithCode(0), "");
}

// 1, 2, 7, 16, 64 and 256 (clamped to 64) threads, 0..100 and 300 tasks, job after job.
TEST(PoolDeathTest, EveryTaskRunsExactlyOnce)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(check_pool, 0), ::testing::ExitedWithCode(0), "");
}

// 60000 jobs on each of 3, 8 and 2 threads: no task runs twice, none is missed, no deadlock.
TEST(PoolDeathTest, BackToBackJobsUnderStress)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(stress_pool, 0), ::testing::ExitedWithCode(0), "");
}

// 8 and 16 threads each running 3000 jobs at once (concurrent reads of different datasets).
TEST(PoolDeathTest, ConcurrentCallersShareThePool)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(concurrent_callers, 8), ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(run_watched(concurrent_callers, 16), ::testing::ExitedWithCode(0), "");
}

TEST(PoolDeathTest, IdleWorkersSleep)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(idle_workers_sleep, 2), ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(run_watched(idle_workers_sleep, 8), ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(run_watched(idle_workers_sleep, 64), ::testing::ExitedWithCode(0), "");
}

TEST(PoolDeathTest, SlowTaskDoesNotStallTheOthers)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(slow_task, 2), ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(run_watched(slow_task, 5), ::testing::ExitedWithCode(0), "");
}

// After fork() the child has the pool's memory but none of its workers (and perhaps jobs of
// threads it does not have): it must start its own workers, run every task, and exit.
TEST(PoolDeathTest, ChildAfterForkStartsItsOwnWorkers)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(check_fork, 4), ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(run_watched(check_fork, 2), ::testing::ExitedWithCode(0), "");
}

TEST(PoolDeathTest, StartedJobsRunEveryTaskOnce)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(started_jobs, 0), ::testing::ExitedWithCode(0), "");
}

TEST(PoolDeathTest, StartedJobRunsWhileTheCallerWorks)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(started_job_runs_in_background, 0), ::testing::ExitedWithCode(0), "");
}

TEST(PoolDeathTest, FinishingThreadHelpsNestedJobs)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(finish_helps_nested_jobs, 0), ::testing::ExitedWithCode(0), "");
}
