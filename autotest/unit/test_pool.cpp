// Unit tests of driver/core/aaig_pool: every task of every job runs exactly once, and
// aaig_pool_run returns only when all of them are finished.
//
// A deadlock in the pool would hang the whole test binary, so the multi-threaded checks run
// in a child process (gtest death-test machinery) with a watchdog that fails the test after a
// few seconds without progress.
#include <gtest/gtest.h>

#include "test_support.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

// Every thread count from 1 to 8 (only_nthreads == 0) or just one: 0..100 tasks, job after
// job on the same pool.
std::string check_pool(unsigned only_nthreads)
{
    for (unsigned nthreads = 1; nthreads <= 8; nthreads++) {
        if (only_nthreads && nthreads != only_nthreads)
            continue;
        aaig_pool *pool = aaig_pool_new(nthreads);
        if (!pool)
            return "aaig_pool_new(" + std::to_string(nthreads) + ") failed";
        if (aaig_pool_size(pool) != nthreads)
            return "aaig_pool_size is " + std::to_string(aaig_pool_size(pool)) + " for a pool of " +
                   std::to_string(nthreads);
        for (int rep = 0; rep < 4; rep++) {
            for (unsigned ntasks = 0; ntasks <= 100; ntasks++) {
                std::ostringstream what;
                what << nthreads << " threads, job " << rep << " of " << ntasks << " tasks";
                step(what.str());
                Job job(ntasks);
                job.spin = rep == 3 ? 2000 : 0;
                aaig_pool_run(pool, ntasks, task, &job);
                std::string e = check_job(job, ntasks, what.str());
                if (!e.empty()) {
                    aaig_pool_free(pool);
                    return e;
                }
            }
        }
        aaig_pool_free(pool);
    }
    return "";
}

// Many short jobs back to back, a 2-task job before each larger one (the reader runs a count
// job and then a parse job per region): workers that come late from one job must not take part
// in the next one.
std::string stress_pool(unsigned)
{
    for (unsigned nthreads : {3u, 8u, 2u}) {
        aaig_pool *pool = aaig_pool_new(nthreads);
        std::mt19937 rng(nthreads);
        for (unsigned run = 0; run < 60000; run++) {
            unsigned ntasks = run % 2 ? 2 + rng() % 100 : 2;
            if (run % 1024 == 0)
                step(std::to_string(nthreads) + " threads, job " + std::to_string(run) + " of " +
                     std::to_string(ntasks) + " tasks (and the following ones)");
            aaig_test::g_progress++;
            Job job(ntasks);
            aaig_pool_run(pool, ntasks, task, &job);
            std::string e = check_job(job, ntasks, std::to_string(nthreads) + " threads, job " +
                                                       std::to_string(run) + " of " +
                                                       std::to_string(ntasks) + " tasks");
            if (!e.empty()) {
                aaig_pool_free(pool);
                return e;
            }
        }
        aaig_pool_free(pool);
    }
    return "";
}

} // namespace

TEST(Pool, NullPoolRunsInlineInOrder)
{
    EXPECT_EQ(aaig_pool_size(nullptr), 1u);
    std::vector<unsigned> order;
    auto record = [](void *ctx, unsigned i) { static_cast<std::vector<unsigned> *>(ctx)->push_back(i); };
    aaig_pool_run(nullptr, 5, record, &order);
    EXPECT_EQ(order, (std::vector<unsigned>{0, 1, 2, 3, 4}));
    aaig_pool_run(nullptr, 0, record, &order);
    EXPECT_EQ(order.size(), 5u);
    aaig_pool_free(nullptr);
}

TEST(Pool, OneThreadRunsOnTheCaller)
{
    for (unsigned n : {0u, 1u}) {
        aaig_pool *pool = aaig_pool_new(n);
        ASSERT_NE(pool, nullptr);
        EXPECT_EQ(aaig_pool_size(pool), 1u);
        struct Ctx {
            std::thread::id caller;
            int count = 0, elsewhere = 0;
        } ctx;
        ctx.caller = std::this_thread::get_id();
        aaig_pool_run(pool, 50, [](void *p, unsigned) {
            Ctx *c = static_cast<Ctx *>(p);
            c->count++;
            c->elsewhere += std::this_thread::get_id() != c->caller;
        }, &ctx);
        EXPECT_EQ(ctx.count, 50);
        EXPECT_EQ(ctx.elsewhere, 0);
        aaig_pool_free(pool);
    }
    EXPECT_EQ(check_pool(1), "");
}

TEST(Pool, CreateAndFreeWithoutRunning)
{
    for (unsigned n = 1; n <= 8; n++) {
        aaig_pool *pool = aaig_pool_new(n);
        ASSERT_NE(pool, nullptr);
        EXPECT_EQ(aaig_pool_size(pool), n);
        aaig_pool_free(pool);
    }
}

// 1..8 threads, 0..100 tasks, job after job on the same pool.
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

// After fork() the child has the pool but none of its workers: it must run every task itself
// and free the pool without waiting for threads that do not exist there.
namespace {
std::string check_pool_after_fork(unsigned nthreads)
{
    aaig_pool *pool = aaig_pool_new(nthreads);
    Job before(64);
    aaig_pool_run(pool, 64, task, &before); // the workers exist and have run
    const pid_t child = fork();
    if (child == 0) {
        alarm(20); // a hang in the child kills it
        Job job(64);
        aaig_pool_run(pool, 64, task, &job);
        bool ok = aaig_pool_size(pool) == 1;
        for (auto &r : job.runs)
            ok = ok && r == 1;
        aaig_pool_free(pool);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    aaig_pool_free(pool);
    if (!WIFEXITED(status))
        return "the child did not exit (signal " + std::to_string(WTERMSIG(status)) + ")";
    return WEXITSTATUS(status) == 0 ? "" : "the child ran tasks wrongly";
}
} // namespace

TEST(PoolDeathTest, ChildAfterForkRunsTasksItselfAndFreesThePool)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(check_pool_after_fork, 4), ::testing::ExitedWithCode(0), "");
}
