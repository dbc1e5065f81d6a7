// Allocation and thread-start failures at every point of the core (the unit tests link the
// core built with AAIG_FAULT_INJECTION, see aaig_alloc.h): each scenario is run again with its
// 1st, 2nd, ... allocation or thread start failing, until one run makes no more than that.
// A failure must give NULL from a constructor, or work done on fewer threads with the right
// values: never a crash, a hang, a leak (LeakSanitizer in the ASan build) or a wrong value.
// Each run is made in a fork()ed child, whose process-wide pool has no workers yet: every run
// starts the same threads, so every thread start can be made to fail.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "aaig_alloc.h"
#include "aaig_pool.h"
#include "aaig_reader.h"
#include "test_support.h"

namespace {

struct Text {
    std::string data;
};

int64_t text_pread(void *ctx, uint64_t offset, void *dst, size_t n)
{
    const std::string &s = static_cast<Text *>(ctx)->data;
    if (offset >= s.size())
        return 0;
    size_t k = n < s.size() - offset ? n : (size_t)(s.size() - offset);
    std::memcpy(dst, s.data() + offset, k);
    return (int64_t)k;
}

constexpr uint64_t kCols = 50, kRows = 400;

Text make_grid()
{
    Text t;
    for (uint64_t r = 0; r < kRows; r++) {
        for (uint64_t c = 0; c < kCols; c++)
            t.data += std::to_string((double)(r * kCols + c) / 8.0) + (c + 1 < kCols ? " " : "\n");
    }
    return t;
}

// Reads the whole grid on nthreads (4: the pool's workers start and take part) in small
// windows. Returns false when the reader could not be made.
bool read_all(Text &t, std::vector<double> &out, aaig_status &st, unsigned nthreads = 4)
{
    aaig_io io = {&t, text_pread, 1};
    aaig_reader_config cfg{};
    cfg.ncols = kCols;
    cfg.nrows = kRows;
    cfg.type = AAIG_FLOAT64;
    cfg.nthreads = nthreads;
    cfg.chunk_size = 16384;
    cfg.parallel_min = 1024;
    aaig_reader *r = aaig_reader_new(&io, &cfg);
    if (!r)
        return false;
    out.assign(kCols * kRows, -1.0);
    aaig_read_error err;
    st = aaig_reader_read(r, 0, kRows, out.data(), &err);
    aaig_reader_free(r);
    return true;
}

// The outcome of one run in a fork()ed child (whose pool starts with no workers, so that
// every run starts the same threads): "ok N", "refused N" (N: allocations and thread starts
// made), or what went wrong.
struct Outcome {
    std::string what;
    long count = -1;
};

Outcome parse_outcome(const std::string &s)
{
    Outcome o;
    const size_t sp = s.find(' ');
    const bool number = sp != std::string::npos && sp + 1 < s.size() &&
                        s.find_first_not_of("0123456789", sp + 1) == std::string::npos;
    if (number && (s.compare(0, sp, "ok") == 0 || s.compare(0, sp, "refused") == 0)) {
        o.what = s.substr(0, sp);
        o.count = std::atol(s.c_str() + sp + 1);
    } else {
        o.what = s; // anything else (a leak report appended) is a failure
    }
    return o;
}

TEST(Faults, ReaderAtEveryAllocation)
{
    Text t = make_grid();
    std::vector<double> want;
    aaig_status st = AAIG_OK;
    aaig_fault_set(-1);
    ASSERT_TRUE(read_all(t, want, st, 1)); // the same values; this process starts no thread
    ASSERT_EQ(st, AAIG_OK);
    auto run = [&](long k) {
        return parse_outcome(aaig_test::in_child([&]() -> std::string {
            std::vector<double> got;
            aaig_status st2 = AAIG_E_IO;
            aaig_fault_set(k);
            const bool made = read_all(t, got, st2);
            const long count = aaig_fault_set(-1);
            if (!made)
                return "refused " + std::to_string(count);
            if (st2 != AAIG_OK)
                return "status " + std::to_string((int)st2);
            if (std::memcmp(got.data(), want.data(), want.size() * sizeof(double)) != 0)
                return "different values";
            return "ok " + std::to_string(count);
        }, true));
    };
    const Outcome all = run(-1);
    ASSERT_EQ(all.what, "ok");
    ASSERT_GE(all.count, 6) << "reader, window, index, and the pool's three workers";
    int refused = 0, degraded = 0;
    for (long k = 0;; k++) {
        SCOPED_TRACE("failing allocation or thread start " + std::to_string(k));
        const Outcome o = run(k);
        if (o.what == "refused")
            refused++;
        else
            ASSERT_EQ(o.what, "ok");
        if (o.what == "ok" && o.count > k)
            degraded++;
        if (o.count <= k)
            break; // this run did not reach a k-th one: every one has failed once
        ASSERT_LT(k, 1000) << "runaway";
    }
    EXPECT_EQ(refused, 3) << "the reader, its window and its index";
    EXPECT_GE(degraded, 3) << "a failed thread start reads on fewer threads";
}

void count_task(void *ctx, unsigned i) { (*static_cast<std::vector<std::atomic<int>> *>(ctx))[i]++; }

// A job on 8 or 64 threads in a fresh process with its k-th thread start failing: the pool
// has exactly k workers after the first job, the next jobs start the others, and every task
// of every job runs once.
TEST(Faults, PoolAtEveryThreadStart)
{
    constexpr unsigned kTasks = 100;
    for (unsigned nthreads : {8u, 64u}) {
        for (long k = 0;; k++) {
            SCOPED_TRACE(std::to_string(nthreads) + " threads, failing thread start " + std::to_string(k));
            const Outcome o = parse_outcome(aaig_test::in_child([&]() -> std::string {
                aaig_fault_set(k);
                for (int job = 0; job < 3; job++) {
                    std::vector<std::atomic<int>> runs(kTasks);
                    aaig_pool_run(nthreads, kTasks, count_task, &runs);
                    for (unsigned i = 0; i < kTasks; i++)
                        if (runs[i].load() != 1)
                            return "job " + std::to_string(job) + ": task " + std::to_string(i) +
                                   " ran " + std::to_string(runs[i].load()) + " times";
                    const unsigned w = aaig_pool_workers();
                    const unsigned expect = job == 0 && k < (long)nthreads - 1 ? (unsigned)k : nthreads - 1;
                    if (w != expect)
                        return "after job " + std::to_string(job) + ": " + std::to_string(w) +
                               " workers, expected " + std::to_string(expect);
                }
                return "ok " + std::to_string(aaig_fault_set(-1));
            }, true));
            ASSERT_EQ(o.what, "ok");
            if (o.count <= k)
                break;
            ASSERT_LT(k, 1000) << "runaway";
        }
    }
}

// Large buffers: every size usable to its last byte, freed with its size; from 2 MiB on, on
// Linux outside AddressSanitizer, a mapping aligned for huge pages; a failure is NULL.
TEST(LargeAlloc, EverySizeUsable)
{
    constexpr size_t MiB = size_t(1) << 20;
    for (size_t n : {size_t(1), size_t(4096), 2 * MiB - 1, 2 * MiB, 2 * MiB + 1, 4 * MiB + 1,
                     9 * MiB + 4095}) {
        SCOPED_TRACE(std::to_string(n) + " bytes");
        auto *p = static_cast<unsigned char *>(aaig_large_alloc(n));
        ASSERT_NE(p, nullptr);
        std::memset(p, 0xA5, n);
        EXPECT_EQ(p[0], 0xA5);
        EXPECT_EQ(p[n - 1], 0xA5);
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
        if (n >= 2 * MiB) {
            EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (2 * MiB), 0u);
        }
#endif
        aaig_large_free(p, n);
    }
    aaig_large_free(nullptr, 4 * MiB); // as free(NULL)
    aaig_fault_set(0);
    EXPECT_EQ(aaig_large_alloc(4 * MiB), nullptr);
    void *q = aaig_large_alloc(16);
    EXPECT_NE(q, nullptr) << "only the first fails";
    aaig_large_free(q, 16);
    aaig_fault_set(-1);
}

} // namespace
