// Allocation and thread-start failures at every point of the core (the unit tests link the
// core built with AAIG_FAULT_INJECTION, see aaig_alloc.h): each scenario is run again with its
// 1st, 2nd, ... allocation or thread start failing, until one run makes no more than that.
// A failure must give NULL from a constructor, or work done on fewer threads with the right
// values: never a crash, a hang, a leak (LeakSanitizer in the ASan build) or a wrong value.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "aaig_alloc.h"
#include "aaig_pool.h"
#include "aaig_reader.h"

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

// Reads the whole grid on 4 threads in small windows, so that the pool is made and used.
// Returns false when the reader could not be made.
bool read_all(Text &t, std::vector<double> &out, aaig_status &st)
{
    aaig_io io = {&t, text_pread, 1};
    aaig_reader_config cfg{};
    cfg.ncols = kCols;
    cfg.nrows = kRows;
    cfg.type = AAIG_FLOAT64;
    cfg.nthreads = 4;
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

TEST(Faults, ReaderAtEveryAllocation)
{
    Text t = make_grid();
    std::vector<double> want, got;
    aaig_status st = AAIG_OK;
    aaig_fault_set(-1);
    ASSERT_TRUE(read_all(t, want, st));
    ASSERT_EQ(st, AAIG_OK);
    long total = aaig_fault_set(-1);
    ASSERT_GE(total, 4) << "reader, window, index and the pool's allocations";
    int refused = 0, degraded = 0;
    for (long k = 0;; k++) {
        SCOPED_TRACE("failing allocation " + std::to_string(k));
        aaig_fault_set(k);
        st = AAIG_E_IO;
        bool made = read_all(t, got, st);
        long count = aaig_fault_set(-1);
        if (!made) {
            refused++;
        } else {
            ASSERT_EQ(st, AAIG_OK);
            ASSERT_EQ(0, std::memcmp(got.data(), want.data(), want.size() * sizeof(double)));
            degraded += count > k;
        }
        if (count <= k)
            break; // this run did not reach a k-th allocation: every one has failed once
    }
    EXPECT_EQ(refused, 3) << "the reader, its window and its index";
    EXPECT_GE(degraded, 1) << "a failure in the pool reads on fewer threads";
}

void count_task(void *ctx, unsigned i) { (*static_cast<std::vector<std::atomic<int>> *>(ctx))[i]++; }

TEST(Faults, PoolAtEveryAllocationAndThreadStart)
{
    constexpr unsigned kThreads = 8, kTasks = 100;
    for (long k = 0;; k++) {
        SCOPED_TRACE("failing allocation or thread start " + std::to_string(k));
        aaig_fault_set(k);
        aaig_pool *pool = aaig_pool_new(kThreads);
        long count = aaig_fault_set(-1);
        if (pool) {
            EXPECT_GE(aaig_pool_size(pool), 1u);
            EXPECT_LE(aaig_pool_size(pool), kThreads);
            if (count > k) {
                EXPECT_LT(aaig_pool_size(pool), kThreads);
            }
        }
        for (int job = 0; job < 3; job++) {
            std::vector<std::atomic<int>> runs(kTasks);
            aaig_pool_run(pool, kTasks, count_task, &runs); // a NULL pool runs them here
            for (unsigned i = 0; i < kTasks; i++)
                ASSERT_EQ(runs[i].load(), 1) << "task " << i;
        }
        aaig_pool_free(pool);
        if (count <= k)
            break;
        ASSERT_LT(k, 1000) << "runaway";
    }
}

} // namespace
