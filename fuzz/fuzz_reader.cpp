// Fuzz harness (c): the streaming reader on arbitrary bytes.
//
// Input layout: 8 control bytes, then the file.
//   [0..1] window size (chunk_size) 1..8192    [2] threads 1..64 (mostly 1..8)
//   [3]    parallel_min 1..256 bytes            [4] type: 0 detect, 1 Int32, 2 Float32,
//          3 Float64; bit 2: the I/O allows concurrent reads
//   [5],[6] ncols, nrows (1..32) when the file has no valid header (data at offset 0)
//   [7]    seed of the row read order
// The reader under test (small window, many threads, rows in a random order, the thread count
// changed between reads) must give, for every range of rows, what a fresh single-threaded
// reader with a whole-file window gives for that range: the same values bit for bit, or the
// same error (status, row, column). When the whole grid reads without error, every range must.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "aaig_header.h"
#include "aaig_reader.h"
#include "fuzz_common.h"

namespace {

struct MemFile {
    const uint8_t *data;
    size_t size;
};

int64_t mem_pread(void *ctx, uint64_t offset, void *dst, size_t n)
{
    const MemFile *f = static_cast<const MemFile *>(ctx);
    if (offset >= f->size)
        return 0;
    size_t k = n < f->size - offset ? n : (size_t)(f->size - offset);
    std::memcpy(dst, f->data + offset, k);
    return (int64_t)k;
}

struct ReaderDeleter {
    void operator()(aaig_reader *r) const { aaig_reader_free(r); }
};
using Reader = std::unique_ptr<aaig_reader, ReaderDeleter>;

struct Grid {
    uint64_t data_offset, ncols, nrows;
};

Reader make(const MemFile &f, const Grid &g, aaig_type type, size_t chunk, unsigned threads,
            size_t parallel_min, int concurrent)
{
    aaig_io io = {const_cast<MemFile *>(&f), mem_pread, concurrent};
    aaig_reader_config cfg{};
    cfg.data_offset = g.data_offset;
    cfg.ncols = g.ncols;
    cfg.nrows = g.nrows;
    cfg.type = type;
    cfg.nthreads = threads;
    cfg.chunk_size = chunk;
    cfg.parallel_min = parallel_min;
    Reader r(aaig_reader_new(&io, &cfg));
    FUZZ_CHECK(r != nullptr, "aaig_reader_new failed");
    return r;
}


struct Result {
    aaig_status st;
    aaig_read_error err;
    std::vector<unsigned char> values;
};

Result read_range(aaig_reader *r, const Grid &g, aaig_type type, uint64_t row0, uint64_t n)
{
    Result res;
    res.values.assign((size_t)(n * g.ncols * aaig_type_size(type)), 0xEE);
    std::memset(&res.err, 0, sizeof res.err);
    res.st = aaig_reader_read(r, row0, n, res.values.data(), &res.err);
    if (res.st != AAIG_OK) {
        FUZZ_CHECK(res.err.status == res.st, "status %d but err.status %d", (int)res.st,
                   (int)res.err.status);
        FUZZ_CHECK(std::memchr(res.err.token, 0, sizeof res.err.token) != nullptr, "token unterminated");
        char msg[512];
        aaig_read_error_message(&res.err, type, g.ncols, g.nrows, msg, sizeof msg);
    }
    return res;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    const size_t chunk = 1 + ((data[0] | (size_t)data[1] << 8) % 8192);
    // Mostly few threads (64 threads take turns slowly on a small machine), but every
    // count from 1 to 64 is reachable.
    const unsigned threads = data[2] >= 224 ? 1 + data[2] % 64 : 1 + data[2] % 8;
    const size_t parallel_min = 1 + data[3];
    const int type_mode = data[4] & 3;
    const int concurrent = (data[4] >> 2) & 1;
    FuzzRng rng{data[7] * 0x100000001ULL + size};

    // The file, as an exact-size heap copy (pread copies from it).
    std::vector<uint8_t> file(data + 8, data + size);
    MemFile f{file.data(), file.size()};
    const size_t kRefChunk = file.size() + 1; // the reference reads the file in one window

    Grid g{};
    aaig_header h;
    aaig_diag d;
    if (aaig_header_parse((const char *)file.data(), file.size(), 1, &h, &d, nullptr, nullptr) ==
        AAIG_HDR_OK) {
        if (h.ncols == 0 || h.nrows == 0 || h.ncols > 4096 || h.nrows > 4096 ||
            h.ncols * h.nrows > (1u << 16))
            return 0;
        g = {h.data_offset, h.ncols, h.nrows};
    } else {
        g = {0, 1u + data[5] % 32, 1u + data[6] % 32};
    }

    aaig_type type = type_mode == 0 ? AAIG_INT32 : (aaig_type)(type_mode - 1);
    Reader ref = make(f, g, type, kRefChunk, 1, 0, 0);
    Reader test = make(f, g, type, chunk, threads, parallel_min, concurrent);
    if (type_mode == 0) {
        int fl_ref = -1, fl_test = -1;
        aaig_read_error e_ref, e_test;
        std::memset(&e_ref, 0, sizeof e_ref);
        std::memset(&e_test, 0, sizeof e_test);
        aaig_status s_ref = aaig_reader_detect_float(ref.get(), &fl_ref, &e_ref);
        aaig_status s_test = aaig_reader_detect_float(test.get(), &fl_test, &e_test);
        FUZZ_CHECK(s_ref == s_test, "detect_float status: reference %d, chunk %zu threads %u: %d",
                   (int)s_ref, chunk, threads, (int)s_test);
        if (s_ref != AAIG_OK)
            return 0;
        FUZZ_CHECK(fl_ref == fl_test, "detect_float: reference %d, chunk %zu threads %u: %d",
                   fl_ref, chunk, threads, fl_test);
        type = fl_ref ? AAIG_FLOAT32 : AAIG_INT32;
        aaig_reader_set_type(ref.get(), type);
        aaig_reader_set_type(test.get(), type);
    }

    // The whole grid, single-threaded.
    Result whole = read_range(ref.get(), g, type, 0, g.nrows);
    const size_t row_bytes = (size_t)g.ncols * aaig_type_size(type);

    const unsigned nreads = 1 + (unsigned)rng.below(10);
    for (unsigned i = 0; i < nreads; i++) {
        uint64_t row0, n;
        switch (rng.below(4)) {
        case 0: row0 = 0; n = g.nrows; break;                                  // everything
        case 1: row0 = g.nrows - 1 - rng.below(g.nrows); n = 1; break;           // one row
        default:
            row0 = rng.below(g.nrows);
            n = 1 + rng.below(g.nrows - row0);
        }
        if (rng.below(4) == 0)
            aaig_reader_set_threads(test.get(), 1 + (unsigned)rng.below(rng.below(8) ? 8 : 64));
        Result got = read_range(test.get(), g, type, row0, n);
        Reader fresh = make(f, g, type, kRefChunk, 1, 0, 0);
        Result want = read_range(fresh.get(), g, type, row0, n);
        FUZZ_CHECK(got.st == want.st,
                   "rows [%llu, +%llu) of %llux%llu: status %d, single-threaded %d (chunk %zu, "
                   "threads %u, parallel_min %zu, read %u)",
                   (unsigned long long)row0, (unsigned long long)n, (unsigned long long)g.ncols,
                   (unsigned long long)g.nrows, (int)got.st, (int)want.st, chunk, threads,
                   parallel_min, i);
        if (whole.st == AAIG_OK) {
            FUZZ_CHECK(got.st == AAIG_OK, "range failed though the whole grid reads");
            FUZZ_CHECK(std::memcmp(got.values.data(), whole.values.data() + row0 * row_bytes,
                                   got.values.size()) == 0,
                       "rows [%llu, +%llu): values differ from the whole read",
                       (unsigned long long)row0, (unsigned long long)n);
        }
        if (got.st == AAIG_OK) {
            FUZZ_CHECK(got.values == want.values, "rows [%llu, +%llu): values differ (chunk %zu, threads %u)",
                       (unsigned long long)row0, (unsigned long long)n, chunk, threads);
        } else {
            FUZZ_CHECK(got.err.row == want.err.row && got.err.col == want.err.col &&
                           got.err.offset == want.err.offset,
                       "rows [%llu, +%llu): error at row %llu col %llu offset %llu, "
                       "single-threaded at row %llu col %llu offset %llu (status %d)",
                       (unsigned long long)row0, (unsigned long long)n,
                       (unsigned long long)got.err.row, (unsigned long long)got.err.col,
                       (unsigned long long)got.err.offset, (unsigned long long)want.err.row,
                       (unsigned long long)want.err.col, (unsigned long long)want.err.offset,
                       (int)got.st);
        }
    }
    return 0;
}
