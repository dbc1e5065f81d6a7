// Unit tests of driver/core/aaig_reader: random grids in random layouts, read whole, row by
// row and in random ranges, through tiny windows and with every region split across threads,
// compared with each token parsed on its own; type detection; errors and their messages.
//
// Multi-threaded reads go through aaig_pool. A deadlock there would hang the whole test
// binary, so those checks run in a child process (gtest death-test machinery) with a
// watchdog that fails the test after a few seconds without progress.
#include <gtest/gtest.h>

#include "test_support.h"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "aaig_alloc.h"
#include "aaig_header.h"
#include "aaig_number.h"
#include "aaig_pool.h"
#include "aaig_reader.h"

namespace {

// ---- in-memory file ---------------------------------------------------------------------------

struct MemFile {
    std::string data;
    uint64_t fail_from = UINT64_MAX; // reads touching bytes at or after this offset fail
};

int64_t mem_pread(void *ctx, uint64_t offset, void *dst, size_t n)
{
    const MemFile *f = static_cast<const MemFile *>(ctx);
    if (n > 0 && offset + n > f->fail_from)
        return -1;
    if (offset >= f->data.size())
        return 0;
    size_t k = std::min(n, (size_t)(f->data.size() - offset));
    std::memcpy(dst, f->data.data() + offset, k);
    return (int64_t)k;
}

struct ReaderDeleter {
    void operator()(aaig_reader *r) const { aaig_reader_free(r); }
};
using Reader = std::unique_ptr<aaig_reader, ReaderDeleter>;

Reader open_reader(const MemFile &f, uint64_t data_offset, uint64_t ncols, uint64_t nrows,
                   aaig_type type, size_t chunk, unsigned nthreads, size_t parallel_min = 1)
{
    aaig_io io = {const_cast<MemFile *>(&f), mem_pread, 1}; // mem_pread is thread-safe
    aaig_reader_config cfg{};
    cfg.data_offset = data_offset;
    cfg.ncols = ncols;
    cfg.nrows = nrows;
    cfg.type = type;
    cfg.nthreads = nthreads;
    cfg.chunk_size = chunk;
    cfg.parallel_min = parallel_min;
    return Reader(aaig_reader_new(&io, &cfg));
}

uint64_t header_data_offset(const std::string &file)
{
    aaig_header h;
    aaig_diag d;
    aaig_header_result r = aaig_header_parse(file.data(), file.size(), 1, &h, &d, nullptr, nullptr);
    EXPECT_EQ(r, AAIG_HDR_OK) << d.message;
    return h.data_offset;
}

const char *status_name(aaig_status s)
{
    static const char *const names[] = {"OK",    "E_TOKEN", "E_RANGE", "E_SHORT", "E_TOO_LONG",
                                        "E_NUL", "E_IO",    "E_ROWS"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

using aaig_test::run_watched;
using aaig_test::step;

// ---- random grids -------------------------------------------------------------------------------

struct Grid {
    std::string what; // how it was made, for messages
    MemFile file;
    uint64_t ncols = 0, nrows = 0, data_offset = 0;
    aaig_type type = AAIG_INT32;
    std::vector<std::string> tokens; // the ncols*nrows values
    std::vector<unsigned char> expected;
    bool has_float_char = false;
};

std::string int_token(std::mt19937_64 &rng)
{
    int64_t v;
    switch (rng() % 4) {
    case 0: v = (int64_t)(rng() % 4294967296ULL) - 2147483648LL; break;
    case 1: v = (int64_t)(rng() % 20001) - 10000; break;
    case 2: v = (int64_t)(rng() % 10); break;
    default: v = (int64_t)(rng() % 100000000ULL) - 50000000; break;
    }
    std::string s = std::to_string(v);
    switch (rng() % 12) {
    case 0: return v >= 0 ? "+" + s : s;
    case 1: return v >= 0 ? "000" + s : s;
    case 2: return v == 0 ? "-0" : s;
    default: return s;
    }
}

std::string float_token(std::mt19937_64 &rng, bool allow_special)
{
    static const char *const formats[] = {"%.17g", "%.9g", "%.3f", "%.6e", "%g", "%.0f", "%.2f"};
    if (allow_special && rng() % 25 == 0) {
        static const char *const specials[] = {"nan", "-nan", "NaN", "inf", "-inf", "Infinity",
                                               "null", "-1.#INF", "1.#QNAN", "-9999"};
        return specials[rng() % (sizeof specials / sizeof specials[0])];
    }
    double d;
    if (rng() % 6 == 0) {
        uint64_t u = rng();
        std::memcpy(&d, &u, sizeof d);
        if (!std::isfinite(d))
            d = 1.5;
    } else {
        std::uniform_real_distribution<double> unit(-1.0, 1.0);
        d = unit(rng) * std::pow(10.0, (int)(rng() % 13) - 4);
    }
    char buf[512];
    std::snprintf(buf, sizeof buf, formats[rng() % (sizeof formats / sizeof formats[0])], d);
    std::string s = buf;
    if (rng() % 8 == 0) {
        auto dot = s.find('.');
        if (dot != std::string::npos)
            s[dot] = ',';
    }
    return s;
}

// The value a token must read as, computed from the token alone: glibc strtod for numbers,
// aaig_parse_double for the spelled values, then the built-in's cast to the band type.
void expected_value(const std::string &tok, aaig_type type, unsigned char *out)
{
    double d;
    int is_null = 0;
    bool spelled = tok.find_first_of("nNiI#") != std::string::npos;
    if (spelled) {
        aaig_status st = aaig_parse_double(tok.data(), tok.size(), &d, &is_null);
        EXPECT_EQ(st, AAIG_OK) << tok;
    } else {
        std::string dotted = tok;
        for (char &c : dotted)
            if (c == ',')
                c = '.';
        d = std::strtod(dotted.c_str(), nullptr);
    }
    switch (type) {
    case AAIG_INT32: {
        int32_t v = (int32_t)std::strtoll(tok.c_str(), nullptr, 10);
        std::memcpy(out, &v, 4);
        break;
    }
    case AAIG_FLOAT32: {
        float f;
        if (is_null)
            f = -FLT_MAX;
        else if (std::isnan(d) || (std::isinf(d) && spelled))
            f = (float)d;
        else if (d >= FLT_MAX)
            f = FLT_MAX;
        else if (d <= -FLT_MAX)
            f = -FLT_MAX;
        else
            f = (float)d;
        std::memcpy(out, &f, 4);
        break;
    }
    case AAIG_FLOAT64: {
        double v = is_null ? -DBL_MAX : d;
        std::memcpy(out, &v, 8);
        break;
    }
    }
}

Grid make_grid(uint64_t seed, aaig_type type)
{
    std::mt19937_64 rng(seed);
    Grid g;
    g.type = type;
    g.ncols = 1 + rng() % 40;
    g.nrows = 1 + rng() % 40;
    const char *heol = rng() % 2 ? "\r\n" : "\n";
    std::string head = "ncols " + std::to_string(g.ncols) + heol + "nrows " +
                       std::to_string(g.nrows) + heol + "xllcorner 0" + heol + "yllcorner 0" +
                       heol + "cellsize 1" + heol + "NODATA_value -9999" + heol;
    if (rng() % 3 == 0)
        head += heol; // a blank line before the data
    uint64_t n = g.ncols * g.nrows;
    for (uint64_t i = 0; i < n; i++)
        g.tokens.push_back(type == AAIG_INT32 ? int_token(rng) : float_token(rng, true));

    static const char *const seps[] = {" ", "  ", "\t", "\n", "\r\n", "\n\n", "\r\n\r\n",
                                       " \t \n", "\r\n \r\n", " \r\n"};
    const char *eol = rng() % 2 ? "\r\n" : "\n";
    int layout = (int)(rng() % 4);
    static const char *const layout_names[] = {"one value per line", "all on one line",
                                               "one row per line", "random wrapping"};
    std::string data;
    for (uint64_t i = 0; i < n; i++) {
        data += g.tokens[i];
        bool last = i + 1 == n;
        switch (layout) {
        case 0: data += eol; if (rng() % 10 == 0) data += eol; break;
        case 1: data += last ? eol : (rng() % 5 ? " " : "\t"); break;
        case 2: data += (i + 1) % g.ncols == 0 ? eol : " "; break;
        default: data += seps[rng() % (sizeof seps / sizeof seps[0])]; break;
        }
    }
    int trailing = (int)(rng() % 4);
    if (trailing == 1)
        data += "1.5 99 e nan junk" + std::string(eol);
    else if (trailing == 2)
        data += std::string(eol) + eol + "  \t" + eol;
    bool drop_final_eol = rng() % 4 == 0 && trailing != 1;
    if (drop_final_eol) {
        while (!data.empty() && (data.back() == '\n' || data.back() == '\r' ||
                                 data.back() == ' ' || data.back() == '\t'))
            data.pop_back();
    }
    g.file.data = head + data;
    g.data_offset = header_data_offset(g.file.data);

    size_t vsize = aaig_type_size(type);
    g.expected.resize(n * vsize);
    for (uint64_t i = 0; i < n; i++) {
        expected_value(g.tokens[i], type, &g.expected[i * vsize]);
        if (g.tokens[i].find_first_of(".,eEnN") != std::string::npos)
            g.has_float_char = true;
    }
    std::ostringstream what;
    what << "grid seed " << seed << " (" << aaig_type_name(type) << ", " << g.ncols << " x "
         << g.nrows << ", " << layout_names[layout] << (std::string(eol) == "\r\n" ? ", CRLF" : "")
         << (trailing == 1 ? ", extra values after the grid" : "")
         << (drop_final_eol ? ", no final newline" : "") << ")";
    g.what = what.str();
    return g;
}

std::string show_value(const unsigned char *p, aaig_type type)
{
    char buf[64];
    if (type == AAIG_INT32) {
        int32_t v;
        std::memcpy(&v, p, 4);
        std::snprintf(buf, sizeof buf, "%d", v);
    } else if (type == AAIG_FLOAT32) {
        float v;
        std::memcpy(&v, p, 4);
        std::snprintf(buf, sizeof buf, "%.9g (%a)", v, v);
    } else {
        double v;
        std::memcpy(&v, p, 8);
        std::snprintf(buf, sizeof buf, "%.17g (%a)", v, v);
    }
    return buf;
}

// Compares out (row rows[i] at out + i * ncols values) with the expected values. "" when equal.
std::string compare_rows(const Grid &g, const std::vector<unsigned char> &out,
                         const std::vector<uint64_t> &rows, const std::string &what)
{
    const size_t vsize = aaig_type_size(g.type);
    if (out.back() != 0xA5)
        return what + ": wrote past the rows";
    for (uint64_t i = 0; i < rows.size(); i++) {
        for (uint64_t c = 0; c < g.ncols; c++) {
            const uint64_t k = rows[i] * g.ncols + c, o = i * g.ncols + c;
            if (std::memcmp(&out[o * vsize], &g.expected[k * vsize], vsize) != 0) {
                std::ostringstream msg;
                msg << what << ": value at row " << rows[i] << ", column " << c << " (token '"
                    << g.tokens[k] << "') is " << show_value(&out[o * vsize], g.type)
                    << ", expected " << show_value(&g.expected[k * vsize], g.type);
                return msg.str();
            }
        }
    }
    return "";
}

std::string read_failure(const Grid &g, aaig_status st, const aaig_read_error &err,
                         const std::string &what)
{
    char text[512];
    aaig_read_error_message(&err, g.type, g.ncols, g.nrows, text, sizeof text);
    return what + " failed with " + status_name(st) + ": " + text;
}

// Reads rows [row0, row0+n) and compares them with the expected values. "" when equal.
std::string check_read(aaig_reader *r, const Grid &g, uint64_t row0, uint64_t n,
                       const std::string &context)
{
    std::vector<unsigned char> out(n * g.ncols * aaig_type_size(g.type) + 1, 0xA5);
    aaig_read_error err;
    std::memset(&err, 0, sizeof err);
    const aaig_status st = aaig_reader_read(r, row0, n, out.data(), &err);
    const std::string what = g.what + ", " + context + ": reading rows " + std::to_string(row0) +
                             ".." + std::to_string(row0 + n - 1);
    if (st != AAIG_OK)
        return read_failure(g, st, err, what);
    std::vector<uint64_t> rows(n);
    for (uint64_t i = 0; i < n; i++)
        rows[i] = row0 + i;
    return compare_rows(g, out, rows, what);
}

// Reads the rows listed with aaig_reader_read_rows and compares them. "" when equal.
std::string check_read_rows(aaig_reader *r, const Grid &g, const std::vector<uint64_t> &rows,
                            const std::string &context)
{
    std::vector<unsigned char> out(rows.size() * g.ncols * aaig_type_size(g.type) + 1, 0xA5);
    aaig_read_error err;
    std::memset(&err, 0, sizeof err);
    const aaig_status st = aaig_reader_read_rows(r, rows.data(), rows.size(), out.data(), &err);
    std::string what = g.what + ", " + context + ": reading rows";
    for (size_t i = 0; i < rows.size() && i < 12; i++)
        what += " " + std::to_string(rows[i]);
    what += rows.size() > 12 ? " ..." : "";
    if (st != AAIG_OK)
        return read_failure(g, st, err, what);
    return compare_rows(g, out, rows, what);
}

// Row sets as applications ask for them: every k-th row from a random start (nearest
// resampling, sampled statistics), random subsets (runs of consecutive rows among them), the
// first and the last row alone.
std::vector<std::vector<uint64_t>> row_sets(uint64_t nrows, std::mt19937_64 &rng)
{
    std::vector<std::vector<uint64_t>> sets;
    for (uint64_t k : {(uint64_t)2, (uint64_t)3, (uint64_t)7}) {
        std::vector<uint64_t> s;
        for (uint64_t row = rng() % k; row < nrows; row += k)
            s.push_back(row);
        sets.push_back(s);
    }
    for (int i = 0; i < 3; i++) {
        std::vector<uint64_t> s;
        for (uint64_t row = 0; row < nrows; row++)
            if (rng() % 3 == 0)
                s.push_back(row);
        sets.push_back(s);
    }
    sets.push_back({0});
    sets.push_back({nrows - 1});
    return sets;
}

const size_t kChunkSizes[] = {1, 7, 64, 2050, 2051, 4099, 1u << 20};

// Every random grid, every chunk size, with nthreads: whole, row by row in random order, random
// ranges; plus detection and the type switch the driver does after it.
std::string check_random_grids(unsigned nthreads)
{
    const aaig_type types[] = {AAIG_INT32, AAIG_FLOAT32, AAIG_FLOAT64};
    for (int t = 0; t < 3; t++) {
        for (uint64_t k = 0; k < 14; k++) {
            uint64_t seed = 1000 * (uint64_t)t + k;
            Grid g = make_grid(seed, types[t]);
            for (size_t chunk : kChunkSizes) {
                std::ostringstream ctx;
                ctx << "chunk " << chunk << ", " << nthreads << " threads";
                step(g.what + ", " + ctx.str());
                std::mt19937_64 rng(seed * 7 + chunk);

                // As the driver does: open as Int32, detect, switch the type, read everything.
                Reader a = open_reader(g.file, g.data_offset, g.ncols, g.nrows, AAIG_INT32, chunk, nthreads);
                if (!a)
                    return "aaig_reader_new failed";
                int is_float = -1;
                aaig_read_error err;
                aaig_status st = aaig_reader_detect_float(a.get(), &is_float, &err);
                if (st != AAIG_OK || is_float != (g.has_float_char ? 1 : 0))
                    return g.what + ", " + ctx.str() + ": detect_float returned " +
                           status_name(st) + ", is_float " + std::to_string(is_float) +
                           ", expected " + std::to_string(g.has_float_char);
                aaig_reader_set_type(a.get(), g.type);
                std::string e = check_read(a.get(), g, 0, g.nrows, ctx.str() + ", whole grid");
                if (!e.empty())
                    return e;
                // Again with the index built, then row by row on the same reader.
                e = check_read(a.get(), g, 0, g.nrows, ctx.str() + ", whole grid again");
                if (!e.empty())
                    return e;

                // A fresh reader: single rows in random order, then random ranges.
                Reader b = open_reader(g.file, g.data_offset, g.ncols, g.nrows, g.type, chunk, nthreads);
                std::vector<uint64_t> rows(g.nrows);
                for (uint64_t i = 0; i < g.nrows; i++)
                    rows[i] = i;
                std::shuffle(rows.begin(), rows.end(), rng);
                for (uint64_t row : rows) {
                    e = check_read(b.get(), g, row, 1, ctx.str() + ", rows in random order");
                    if (!e.empty())
                        return e;
                }
                for (int i = 0; i < 8; i++) {
                    uint64_t r0 = rng() % g.nrows, n = 1 + rng() % (g.nrows - r0);
                    e = check_read(b.get(), g, r0, n, ctx.str() + ", random ranges after rows");
                    if (!e.empty())
                        return e;
                }
                // Row sets, on a fresh reader and on the one whose index is built.
                Reader d = open_reader(g.file, g.data_offset, g.ncols, g.nrows, g.type, chunk, nthreads);
                for (aaig_reader *rd : {d.get(), a.get()}) {
                    for (const auto &set : row_sets(g.nrows, rng)) {
                        e = check_read_rows(rd, g, set, ctx.str() + ", row sets");
                        if (!e.empty())
                            return e;
                    }
                }
                // A fresh reader: random ranges with nothing indexed yet, the last row first.
                Reader c = open_reader(g.file, g.data_offset, g.ncols, g.nrows, g.type, chunk, nthreads);
                e = check_read(c.get(), g, g.nrows - 1, 1, ctx.str() + ", last row first");
                if (!e.empty())
                    return e;
                for (int i = 0; i < 8; i++) {
                    uint64_t r0 = rng() % g.nrows, n = 1 + rng() % (g.nrows - r0);
                    // Change the thread count between reads.
                    if (nthreads > 1 && i == 3)
                        aaig_reader_set_threads(c.get(), 1);
                    if (nthreads > 1 && i == 5)
                        aaig_reader_set_threads(c.get(), nthreads + 1);
                    e = check_read(c.get(), g, r0, n, ctx.str() + ", random ranges");
                    if (!e.empty())
                        return e;
                }
            }
        }
    }
    return "";
}

// ---- errors ---------------------------------------------------------------------------------

struct ReadResult {
    aaig_status status;
    aaig_read_error err;
    std::string message;
};

ReadResult read_all(const std::string &data, uint64_t ncols, uint64_t nrows, aaig_type type,
                    size_t chunk, unsigned nthreads, uint64_t row0 = 0, uint64_t n = UINT64_MAX)
{
    MemFile f;
    f.data = data;
    Reader r = open_reader(f, 0, ncols, nrows, type, chunk, nthreads);
    if (n == UINT64_MAX)
        n = nrows - row0;
    std::vector<double> out(ncols * n + 1);
    ReadResult res;
    std::memset(&res.err, 0, sizeof res.err);
    res.status = aaig_reader_read(r.get(), row0, n, out.data(), &res.err);
    char text[512];
    aaig_read_error_message(&res.err, type, ncols, nrows, text, sizeof text);
    res.message = text;
    return res;
}

std::string describe(const ReadResult &r)
{
    std::ostringstream s;
    s << status_name(r.status) << " (err.status " << status_name(r.err.status) << ", row "
      << r.err.row << ", col " << r.err.col << ", offset " << r.err.offset << ", values_found "
      << r.err.values_found << ", token '" << r.err.token << "'): " << r.message;
    return s.str();
}

// The error cases, for one thread count; "" when every one is reported as expected.
std::string check_errors(unsigned nthreads)
{
    struct Case {
        const char *what;
        std::string data;
        uint64_t ncols, nrows;
        aaig_type type;
        aaig_status status;
        uint64_t row, col, offset;
        const char *token;
        std::vector<std::string> message_words;
    };
    std::string long_grid; // the bad token far from the start: in a later piece and window
    for (int i = 0; i < 3000; i++)
        long_grid += std::to_string(i) + (i % 10 == 9 ? "\r\n" : " ");
    std::string long_bad = long_grid;
    size_t bad_at = long_bad.find(" 2345 ") + 1;
    long_bad.replace(bad_at, 4, "23x5");

    const Case cases[] = {
        {"short file", "1 2 3\n4\n", 3, 2, AAIG_FLOAT32, AAIG_E_SHORT, 1, 1, 8, "",
         {"found only 4", "row 2, column 2", "byte offset 8"}},
        {"short file, no final newline", "1 2 3\n4", 3, 2, AAIG_INT32, AAIG_E_SHORT, 1, 1, 7, "",
         {"found only 4", "row 2, column 2"}},
        {"short file, whole row missing", "1 2 3\n\n\n", 3, 2, AAIG_FLOAT64, AAIG_E_SHORT, 1, 0, 8, "",
         {"found only 3", "row 2, column 1"}},
        {"empty data", "", 2, 2, AAIG_FLOAT64, AAIG_E_SHORT, 0, 0, 0, "", {"found only 0", "row 1, column 1"}},
        {"bad token", "1 2 3\n4 x5 6\n", 3, 2, AAIG_FLOAT64, AAIG_E_TOKEN, 1, 1, 8, "x5",
         {"row 2, column 2", "byte offset 8", "'x5'"}},
        {"bad token, Int32", "1 2 3\r\n4 5 12abc\r\n", 3, 2, AAIG_INT32, AAIG_E_TOKEN, 1, 2, 11, "12abc",
         {"row 2, column 3", "an integer", "'12abc'"}},
        {"bad token far in", long_bad, 10, 300, AAIG_FLOAT32, AAIG_E_TOKEN, 234, 5, bad_at, "23x5",
         {"row 235, column 6", "'23x5'"}},
        {"Int32 overflow", "1 2147483648\n3 4\n", 2, 2, AAIG_INT32, AAIG_E_RANGE, 0, 1, 2, "2147483648",
         {"row 1, column 2", "Int32", "2147483648"}},
        {"NaN in Int32", "1 2\n3 nan\n", 2, 2, AAIG_INT32, AAIG_E_RANGE, 1, 1, 6, "nan", {"row 2, column 2"}},
        {"NUL byte", std::string("1 2\n3 4\0 5\n", 11), 3, 2, AAIG_FLOAT64, AAIG_E_NUL, 1, 0, 6, "4?",
         {"row 2, column 1", "NUL"}},
        {"NUL token", std::string("1 2\n\0\n", 6), 2, 2, AAIG_INT32, AAIG_E_NUL, 1, 0, 4, "?",
         {"row 2, column 1", "NUL"}},
    };
    for (const Case &c : cases) {
        for (size_t chunk : {(size_t)1, (size_t)2051, (size_t)1 << 20}) {
            step(std::string(c.what) + ", chunk " + std::to_string(chunk));
            ReadResult r = read_all(c.data, c.ncols, c.nrows, c.type, chunk, nthreads);
            std::ostringstream where;
            where << c.what << " (chunk " << chunk << ", " << nthreads << " threads): got "
                  << describe(r);
            if (r.status != c.status || r.err.status != c.status || r.err.row != c.row ||
                r.err.col != c.col || r.err.offset != c.offset || std::string(r.err.token) != c.token)
                return where.str() + "\n  expected " + status_name(c.status) + " at row " +
                       std::to_string(c.row) + ", col " + std::to_string(c.col) + ", offset " +
                       std::to_string(c.offset) + ", token '" + c.token + "'";
            if (c.status == AAIG_E_SHORT && r.err.values_found != c.row * c.ncols + c.col)
                return where.str() + "\n  expected values_found " +
                       std::to_string(c.row * c.ncols + c.col);
            for (const std::string &w : c.message_words)
                if (r.message.find(w) == std::string::npos)
                    return where.str() + "\n  the message lacks '" + w + "'";
        }
    }
    // Reading only complete rows of a short file works; the first incomplete row fails.
    for (size_t chunk : {(size_t)1, (size_t)1 << 20}) {
        step("short file by rows, chunk " + std::to_string(chunk));
        ReadResult r = read_all("1 2 3\n4\n", 3, 2, AAIG_FLOAT64, chunk, nthreads, 0, 1);
        if (r.status != AAIG_OK)
            return "short file, row 0 only: " + describe(r);
        r = read_all("1 2 3\n4\n", 3, 2, AAIG_FLOAT64, chunk, nthreads, 1, 1);
        if (r.status != AAIG_E_SHORT || r.err.values_found != 4)
            return "short file, row 1 only: " + describe(r);
        // A bad token after the rows read is not looked at.
        r = read_all("1 2 3\n4 x 6\n", 3, 2, AAIG_FLOAT64, chunk, nthreads, 0, 1);
        if (r.status != AAIG_OK)
            return "bad token in a row not read: " + describe(r);
    }
    return "";
}

// Row sets: an error in a row parsed is reported with its row and column; a bad token in a
// row only passed over is not read; a file too short for a row asked for, and a set that is
// not strictly increasing inside the grid, are errors.
std::string check_row_set_errors(unsigned nthreads)
{
    const uint64_t ncols = 4, nrows = 30;
    std::string data;
    for (uint64_t i = 0; i < ncols * nrows; i++)
        data += (i == 10 * ncols + 2 ? std::string("x") : std::to_string(i)) +
                (i % ncols == ncols - 1 ? "\n" : " ");
    std::string shortened;
    for (uint64_t i = 0; i < ncols * 25; i++)
        shortened += std::to_string(i) + " ";
    struct Case {
        const char *what;
        const std::string &data;
        std::vector<uint64_t> rows;
        aaig_status status;
        uint64_t row, col;
    } cases[] = {
        {"bad token in a row parsed", data, {1, 10, 20}, AAIG_E_TOKEN, 10, 2},
        {"bad token in a run of rows", data, {8, 9, 10, 11}, AAIG_E_TOKEN, 10, 2},
        {"bad token in a row passed over", data, {1, 9, 11, 29}, AAIG_OK, 0, 0},
        {"row past the end of a short file", shortened, {2, 27}, AAIG_E_SHORT, 25, 0},
        {"rows inside a short file", shortened, {2, 24}, AAIG_OK, 0, 0},
        {"a row twice", data, {3, 3}, AAIG_E_ROWS, 3, 0},
        {"rows out of order", data, {5, 2}, AAIG_E_ROWS, 2, 0},
        {"a row past the grid", data, {1, 30}, AAIG_E_ROWS, 30, 0},
    };
    for (size_t chunk : {(size_t)1, (size_t)64, (size_t)0}) {
        for (const Case &c : cases) {
            MemFile f;
            f.data = c.data;
            Reader r = open_reader(f, 0, ncols, nrows, AAIG_INT32, chunk, nthreads);
            std::vector<int32_t> out(c.rows.size() * ncols);
            aaig_read_error err;
            std::memset(&err, 0, sizeof err);
            const aaig_status st =
                aaig_reader_read_rows(r.get(), c.rows.data(), c.rows.size(), out.data(), &err);
            const std::string where = std::string(c.what) + ", chunk " + std::to_string(chunk);
            if (st != c.status || (st != AAIG_OK && (err.row != c.row || err.col != c.col)))
                return where + ": " + status_name(st) + " at row " + std::to_string(err.row) +
                       ", column " + std::to_string(err.col);
            for (size_t i = 0; st == AAIG_OK && i < out.size(); i++)
                if (out[i] != (int32_t)(c.rows[i / ncols] * ncols + i % ncols))
                    return where + ": wrong value " + std::to_string(out[i]);
        }
    }
    return "";
}

std::string check_grids_and_errors(unsigned nthreads)
{
    std::string e = check_random_grids(nthreads);
    if (e.empty())
        e = check_row_set_errors(nthreads);
    return e.empty() ? check_errors(nthreads) : e;
}

} // namespace

// ---- single-threaded, in this process ------------------------------------------------------

TEST(Reader, RandomGridsOneThread)
{
    std::string e = check_random_grids(1);
    EXPECT_EQ(e, "");
}

TEST(Reader, ErrorsOneThread)
{
    std::string e = check_errors(1);
    EXPECT_EQ(e, "");
    EXPECT_EQ(check_row_set_errors(1), "");
}

// ---- multi-threaded, in a watched child process --------------------------------------------

class ReaderThreadsDeathTest : public ::testing::TestWithParam<unsigned> {};
class ReaderSplitDeathTest : public ::testing::TestWithParam<unsigned> {};

std::string thread_count_name(const ::testing::TestParamInfo<unsigned> &i)
{
    return std::to_string(i.param) + "threads";
}

// The random grids and the error cases with every region split across nthreads.
TEST_P(ReaderThreadsDeathTest, RandomGridsAndErrors)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(check_grids_and_errors, GetParam()), ::testing::ExitedWithCode(0), "");
}

// 16 and 64 as on our users' servers.
INSTANTIATE_TEST_SUITE_P(Threads, ReaderThreadsDeathTest,
                         ::testing::Values(2u, 3u, 7u, 16u, 64u), thread_count_name);

// A window smaller than parallel_min x nthreads is still split: at 16 threads, a 4 MiB
// window with the default 512 KiB per piece is read (and parsed) in 8 parts on up to 8
// threads, not 1: the pool starts 7 workers for it. Which thread runs which part is the
// pool's choice (tasks go to whoever is free).
namespace {
struct ThreadRecordingFile {
    MemFile file;
    std::mutex lock;
    std::vector<std::thread::id> readers;
    std::vector<std::pair<uint64_t, size_t>> reads; // offset, length
};

int64_t recording_pread(void *ctx, uint64_t offset, void *dst, size_t n)
{
    auto *f = static_cast<ThreadRecordingFile *>(ctx);
    {
        std::lock_guard<std::mutex> g(f->lock);
        if (std::find(f->readers.begin(), f->readers.end(), std::this_thread::get_id()) ==
            f->readers.end())
            f->readers.push_back(std::this_thread::get_id());
        f->reads.emplace_back(offset, n);
    }
    return mem_pread(&f->file, offset, dst, n);
}

std::string check_split(unsigned nthreads)
{
    ThreadRecordingFile f;
    const uint64_t ncols = 1000, nrows = 1200; // "123 " x 1.2M: 4.8 MB, more than a window
    for (uint64_t i = 0; i < ncols * nrows; i++)
        f.file.data += "123 ";
    aaig_io io = {&f, recording_pread, 1};
    aaig_reader_config cfg{};
    cfg.ncols = ncols;
    cfg.nrows = nrows;
    cfg.type = AAIG_INT32;
    cfg.nthreads = nthreads;
    Reader r(aaig_reader_new(&io, &cfg));
    std::vector<int32_t> out(ncols * nrows);
    aaig_read_error err;
    if (aaig_reader_read(r.get(), 0, nrows, out.data(), &err) != AAIG_OK)
        return "read failed";
    if (std::count(out.begin(), out.end(), 123) != (long)out.size())
        return "wrong values";
    const size_t want = std::min<size_t>(nthreads, 8); // 4 MiB window / 512 KiB
    const size_t window = 4u << 20, part = (window + want - 1) / want;
    size_t first_window = 0;
    for (const auto &rd : f.reads)
        if (rd.first < window) {
            first_window++;
            if (rd.first % part != 0 || rd.second != std::min(part, window - (size_t)rd.first))
                return "the first window was read in parts of " + std::to_string(rd.second) +
                       " bytes at " + std::to_string(rd.first) + ", expected " + std::to_string(want) +
                       " parts of " + std::to_string(part);
        }
    if (first_window != want)
        return "the first window was read in " + std::to_string(first_window) + " parts, expected " +
               std::to_string(want);
    if (f.readers.size() > want)
        return std::to_string(f.readers.size()) + " threads read, at most " + std::to_string(want) +
               " expected";
    if (aaig_pool_workers() != want - 1)
        return "the pool has " + std::to_string(aaig_pool_workers()) + " workers, expected " +
               std::to_string(want - 1);
    return "";
}
} // namespace

TEST_P(ReaderSplitDeathTest, LargeWindowIsSplitAtAnyThreadCount)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(check_split, GetParam()), ::testing::ExitedWithCode(0), "");
}

// 65 and 256 are more than a job may use: clamped, never past the per-thread arrays.
INSTANTIATE_TEST_SUITE_P(Threads, ReaderSplitDeathTest,
                         ::testing::Values(2u, 7u, 16u, 64u, 65u, 256u), thread_count_name);

// ---- detection ---------------------------------------------------------------------------------

namespace {
int detect(const std::string &data, uint64_t ncols, uint64_t nrows, size_t chunk = 0)
{
    MemFile f;
    f.data = data;
    Reader r = open_reader(f, 0, ncols, nrows, AAIG_INT32, chunk, 1);
    int is_float = -1;
    aaig_read_error err;
    aaig_status st = aaig_reader_detect_float(r.get(), &is_float, &err);
    EXPECT_EQ(st, AAIG_OK) << status_name(st);
    return is_float;
}
} // namespace

TEST(ReaderDetect, FloatCharactersWithinTheGrid)
{
    for (size_t chunk : {(size_t)0, (size_t)1, (size_t)2051}) {
        SCOPED_TRACE("chunk " + std::to_string(chunk));
        EXPECT_EQ(detect("1 2 3 4\n", 2, 2, chunk), 0);
        EXPECT_EQ(detect("1 -2 +3 0004\r\n", 2, 2, chunk), 0);
        EXPECT_EQ(detect("1 2 3 4.\n", 2, 2, chunk), 1);
        EXPECT_EQ(detect("1 2,5 3 4\n", 2, 2, chunk), 1);
        EXPECT_EQ(detect("1 2 1e3 4\n", 2, 2, chunk), 1);
        EXPECT_EQ(detect("1 2 1E3 4\n", 2, 2, chunk), 1);
        EXPECT_EQ(detect("nan 2 3 4\n", 2, 2, chunk), 1);
        EXPECT_EQ(detect("1 -inf 3 4\n", 2, 2, chunk), 1);
        EXPECT_EQ(detect("1 2 null 4\n", 2, 2, chunk), 1);
        EXPECT_EQ(detect("1 2 3 4", 2, 2, chunk), 0);
        EXPECT_EQ(detect("1 2 3 4.5", 2, 2, chunk), 1);
        // Only in the text after the ncols*nrows values: not looked at.
        EXPECT_EQ(detect("1 2 3 4 5.5\n", 2, 2, chunk), 0);
        EXPECT_EQ(detect("1 2 3 4\n# made by e.g. nobody\n", 2, 2, chunk), 0);
        EXPECT_EQ(detect("1 2 3 4\nnan\n", 2, 2, chunk), 0);
        // A short file is not an error at detection time.
        EXPECT_EQ(detect("1 2 3\n", 2, 2, chunk), 0);
        EXPECT_EQ(detect("1 2.5 3\n", 2, 2, chunk), 1);
    }
}

TEST(ReaderDetect, FloatFarIntoALargeGrid)
{
    // Many windows and checkpoints before the float character.
    std::string data;
    for (int i = 0; i < 20000; i++)
        data += std::to_string(i % 1000) + (i % 50 == 49 ? "\n" : " ");
    EXPECT_EQ(detect(data, 50, 400, 2050), 0);
    std::string with_float = data;
    size_t at = with_float.rfind(" 510 ");
    ASSERT_NE(at, std::string::npos);
    with_float.replace(at + 1, 3, "5.0");
    EXPECT_EQ(detect(with_float, 50, 400, 2050), 1);
    EXPECT_EQ(detect(with_float, 50, 400, 0), 1);
    // The same float character in the 20001st token, past a 20000-value grid.
    EXPECT_EQ(detect(data + "1.5\n", 50, 400, 2050), 0);
}

// Detection with several threads reads each window while the one before it is scanned
// (read_ahead). Whichever window the float character lies in, and whether or not a read
// ahead is used, the answer is the same, the index it leaves reads every row right, and a
// read that fails ahead fails the detection once it is needed.
TEST(ReaderDetect, ReadsAheadAtAnyThreadCount)
{
    const uint64_t ncols = 40, nrows = 900;
    std::string data;
    std::vector<int32_t> values;
    for (uint64_t i = 0; i < ncols * nrows; i++) {
        values.push_back(static_cast<int32_t>((i * 7919) % 20001) - 10000);
        data += std::to_string(values.back()) + (i % ncols == ncols - 1 ? "\n" : " ");
    }
    for (unsigned nthreads : {2u, 7u, 64u}) {
        for (size_t chunk : {(size_t)4100, (size_t)9000, (size_t)65536}) {
            SCOPED_TRACE(std::to_string(nthreads) + " threads, chunk " + std::to_string(chunk));
            MemFile f;
            f.data = data;
            Reader r = open_reader(f, 0, ncols, nrows, AAIG_INT32, chunk, nthreads);
            int is_float = -1;
            aaig_read_error err;
            ASSERT_EQ(aaig_reader_detect_float(r.get(), &is_float, &err), AAIG_OK);
            EXPECT_EQ(is_float, 0);
            std::vector<int32_t> out(ncols);
            for (uint64_t row : {nrows - 1, nrows / 2, (uint64_t)0}) {
                ASSERT_EQ(aaig_reader_read(r.get(), row, 1, out.data(), &err), AAIG_OK);
                EXPECT_TRUE(std::equal(out.begin(), out.end(), values.begin() + row * ncols))
                    << "row " << row;
            }
            for (size_t at = 3; at < data.size(); at += 997) {
                MemFile g;
                g.data = data;
                const size_t digit = g.data.find_first_of("0123456789", at);
                g.data[digit] = '.';
                Reader d = open_reader(g, 0, ncols, nrows, AAIG_INT32, chunk, nthreads);
                is_float = -1;
                ASSERT_EQ(aaig_reader_detect_float(d.get(), &is_float, &err), AAIG_OK);
                EXPECT_EQ(is_float, 1) << "'.' at byte " << digit;
            }
            // A token longer than a window is passed over by reads of their own (pass_long_token),
            // not the one read ahead; the '.' after it, or in it, still counts.
            const size_t mid = data.find('\n', data.size() / 2) + 1;
            const std::string token(3000, '7');
            for (const std::string &tail : {std::string(), std::string("1.5 ")}) {
                for (const std::string &tok : {token, token.substr(0, 1500) + "." + token}) {
                    MemFile g;
                    g.data = data.substr(0, mid) + tok + " " + tail + data.substr(mid);
                    Reader d = open_reader(g, 0, ncols, nrows, AAIG_INT32, chunk, nthreads);
                    is_float = -1;
                    ASSERT_EQ(aaig_reader_detect_float(d.get(), &is_float, &err), AAIG_OK);
                    EXPECT_EQ(is_float, tail.empty() && tok == token ? 0 : 1)
                        << "a token of " << tok.size() << " bytes, then '" << tail << "'";
                }
            }
            for (uint64_t fail : {(uint64_t)chunk, (uint64_t)data.size() / 2, (uint64_t)data.size() - 5}) {
                MemFile g;
                g.data = data;
                g.fail_from = fail;
                Reader d = open_reader(g, 0, ncols, nrows, AAIG_INT32, chunk, nthreads);
                EXPECT_EQ(aaig_reader_detect_float(d.get(), &is_float, &err), AAIG_E_IO)
                    << "reads failing from byte " << fail;
            }
        }
    }
}

// ---- reader errors that depend on nothing but the window --------------------------------------

// A token longer than AAIG_MAX_TOKEN is AAIG_E_TOO_LONG (aaig_types.h), whatever the window size
// and whether or not its digits happen to parse.
TEST(ReaderErrors, TokenLongerThanMaxToken)
{
    for (size_t len : {(size_t)AAIG_MAX_TOKEN + 1, (size_t)1500, (size_t)2100, (size_t)5000}) {
        for (char fill : {'1', '0'}) {
            std::string tok(len, fill);
            tok.back() = '7';
            std::string data = "1 2\n" + tok + " 4\n";
            for (size_t chunk : {(size_t)1, (size_t)2051, (size_t)4099, (size_t)1 << 20}) {
                SCOPED_TRACE("token of " + std::to_string(len) + " bytes ('" + std::string(3, fill) +
                             "...7'), chunk " + std::to_string(chunk));
                ReadResult r = read_all(data, 2, 2, AAIG_FLOAT64, chunk, 1);
                EXPECT_EQ(r.status, AAIG_E_TOO_LONG) << describe(r);
                if (r.status == AAIG_E_TOO_LONG) {
                    EXPECT_EQ(r.err.row, 1u);
                    EXPECT_EQ(r.err.col, 0u);
                    EXPECT_EQ(r.err.offset, 4u);
                    EXPECT_NE(r.message.find("row 2, column 1"), std::string::npos) << r.message;
                    EXPECT_NE(r.message.find("longer than"), std::string::npos) << r.message;
                }
            }
        }
    }
}

TEST(ReaderErrors, TokenOfMaxTokenBytesIsRead)
{
    std::string tok(AAIG_MAX_TOKEN, '0');
    tok.back() = '7';
    for (size_t chunk : {(size_t)1, (size_t)2051, (size_t)1 << 20}) {
        MemFile f;
        f.data = "1 2\n" + tok + " 4\n";
        Reader r = open_reader(f, 0, 2, 2, AAIG_FLOAT64, chunk, 1);
        double out[4];
        aaig_read_error err;
        ASSERT_EQ(aaig_reader_read(r.get(), 0, 2, out, &err), AAIG_OK) << "chunk " << chunk;
        EXPECT_EQ(out[2], 7.0);
        EXPECT_EQ(out[3], 4.0);
    }
}

// Binary data is AAIG_E_NUL wherever the NUL byte lies in the token.
TEST(ReaderErrors, NulByteDeepInAToken)
{
    for (size_t pos : {(size_t)0, (size_t)10, (size_t)43, (size_t)44, (size_t)60}) {
        std::string tok(70, '5');
        tok[pos] = '\0';
        ReadResult r = read_all("1 2\n" + tok + " 4\n", 2, 2, AAIG_FLOAT64, 0, 1);
        EXPECT_EQ(r.status, AAIG_E_NUL) << "NUL at byte " << pos << " of the token: " << describe(r);
    }
}

TEST(ReaderErrors, ReadCallbackFailure)
{
    MemFile f;
    for (int i = 0; i < 5000; i++)
        f.data += "12345 ";
    f.fail_from = 20000;
    Reader r = open_reader(f, 0, 100, 50, AAIG_INT32, 4099, 1);
    std::vector<int32_t> out(100 * 50);
    aaig_read_error err;
    EXPECT_EQ(aaig_reader_read(r.get(), 0, 1, out.data(), &err), AAIG_OK);
    EXPECT_EQ(aaig_reader_read(r.get(), 0, 50, out.data(), &err), AAIG_E_IO);
    EXPECT_EQ(err.status, AAIG_E_IO);
    char text[256];
    aaig_read_error_message(&err, AAIG_INT32, 100, 50, text, sizeof text);
    EXPECT_NE(std::string(text).find("read error"), std::string::npos) << text;
}

// A large output is prefaulted before the threads write it: the values land, and bytes around
// the output (sharing its first and last pages) keep their contents.
TEST(Reader, LargeOutputLeavesItsNeighboursAlone)
{
    const uint64_t ncols = 1000, nrows = 300; // 1.2 MB of Int32
    MemFile f;
    for (uint64_t i = 0; i < ncols * nrows; i++)
        f.data += std::to_string((i * 7919) % 100000) + (i % ncols == ncols - 1 ? "\n" : " ");
    for (unsigned threads : {1u, 2u}) {
        Reader r = open_reader(f, 0, ncols, nrows, AAIG_INT32, 0, threads);
        const size_t before = 100, bytes = ncols * nrows * 4, after = 5000;
        std::vector<unsigned char> mem(before + bytes + after, 0xAB);
        int32_t *out = reinterpret_cast<int32_t *>(mem.data() + before);
        aaig_read_error err;
        ASSERT_EQ(aaig_reader_read(r.get(), 0, nrows, out, &err), AAIG_OK);
        for (uint64_t i = 0; i < ncols * nrows; i++)
            ASSERT_EQ(out[i], (int32_t)((i * 7919) % 100000)) << i;
        for (size_t i = 0; i < before; i++)
            ASSERT_EQ(mem[i], 0xAB) << i;
        for (size_t i = before + bytes; i < mem.size(); i++)
            ASSERT_EQ(mem[i], 0xAB) << i;
    }
}

// aaig_prefault maps in the whole pages of its range and changes no byte, in the range or
// around it; below 64 KiB it does nothing.
TEST(Prefault, MapsWholePagesInAndKeepsEveryByte)
{
    std::vector<unsigned char> mem(300000);
    for (size_t i = 0; i < mem.size(); i++)
        mem[i] = static_cast<unsigned char>(i * 31 + 7);
    const std::vector<unsigned char> before = mem;
    aaig_prefault(mem.data() + 123, 200000);
    aaig_prefault(mem.data() + 5, 1000);
    EXPECT_EQ(mem, before);
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE)), n = 64 * page;
    auto resident = [&](unsigned char *p, size_t len)
    {
        std::vector<unsigned char> v(len / page);
        EXPECT_EQ(mincore(p, len, v.data()), 0);
        return static_cast<size_t>(
            std::count_if(v.begin(), v.end(), [](unsigned char c) { return c & 1; }));
    };
    auto *map = static_cast<unsigned char *>(
        mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(map, MAP_FAILED);
    // A kernel before 5.14 refuses the call; an emulator (qemu-user) accepts it but neither
    // maps the page nor tells mincore's truth: nothing to check there.
    if (madvise(map, page, MADV_POPULATE_WRITE) != 0 || resident(map, n) != 1)
    {
        munmap(map, n);
        GTEST_SKIP() << "MADV_POPULATE_WRITE and mincore cannot be checked here";
    }
    aaig_prefault(map + page + 10, 20 * page); // pages 2 to 20 whole, 1 and 21 in part
    EXPECT_EQ(resident(map, n), 1u + 19);
    aaig_prefault(map + 30 * page, 15 * page); // under 64 KiB (with 4 KiB pages): nothing
    EXPECT_EQ(resident(map, n), 1u + 19 + (15 * page >= (64u << 10) ? 15 : 0));
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(map[i], 0) << i;
    munmap(map, n);
#endif
}

// Windows read in parts on several threads: a failing part fails the read, wherever it lies.
TEST(ReaderErrors, ReadCallbackFailureInAParallelRead)
{
    for (uint64_t fail_from : {(uint64_t)100, (uint64_t)20000, (uint64_t)29000}) {
        MemFile f;
        for (int i = 0; i < 5000; i++)
            f.data += "12345 ";
        f.fail_from = fail_from;
        Reader r = open_reader(f, 0, 100, 50, AAIG_INT32, 8192, 3);
        std::vector<int32_t> out(100 * 50);
        aaig_read_error err;
        EXPECT_EQ(aaig_reader_read(r.get(), 0, 50, out.data(), &err), AAIG_E_IO) << fail_from;
        EXPECT_EQ(err.status, AAIG_E_IO);
        EXPECT_LE(err.offset, fail_from);
    }
}

TEST(ReaderErrors, RowRangeOutsideTheGrid)
{
    MemFile f;
    f.data = "1 2\n3 4\n";
    Reader r = open_reader(f, 0, 2, 2, AAIG_INT32, 0, 1);
    int32_t out[8];
    aaig_read_error err;
    EXPECT_EQ(aaig_reader_read(r.get(), 3, 1, out, &err), AAIG_E_ROWS);
    EXPECT_EQ(aaig_reader_read(r.get(), 1, 2, out, &err), AAIG_E_ROWS);
    EXPECT_EQ(aaig_reader_read(r.get(), 0, 3, out, &err), AAIG_E_ROWS);
    // The error is filled in like any other: status and a message naming the rows.
    EXPECT_EQ(err.status, AAIG_E_ROWS);
    char msg[256];
    aaig_read_error_message(&err, AAIG_INT32, 2, 2, msg, sizeof(msg));
    EXPECT_STREQ(msg, "expected rows 1 to 2, asked for 3 rows from row 1");
    EXPECT_EQ(aaig_reader_read(r.get(), 0, 0, out, &err), AAIG_OK);
    ASSERT_EQ(aaig_reader_read(r.get(), 1, 1, out, &err), AAIG_OK);
    EXPECT_EQ(out[0], 3);
    EXPECT_EQ(out[1], 4);
}

TEST(ReaderErrors, MessagesNameTheOneBasedPosition)
{
    aaig_read_error e;
    std::memset(&e, 0, sizeof e);
    char text[512];
    e.status = AAIG_E_TOKEN;
    e.row = 4;
    e.col = 9;
    e.offset = 1234;
    std::strcpy(e.token, "abc");
    aaig_read_error_message(&e, AAIG_FLOAT32, 10, 10, text, sizeof text);
    EXPECT_NE(std::string(text).find("row 5, column 10"), std::string::npos) << text;
    EXPECT_NE(std::string(text).find("1234"), std::string::npos) << text;
    EXPECT_NE(std::string(text).find("'abc'"), std::string::npos) << text;
    for (aaig_status st : {AAIG_E_RANGE, AAIG_E_SHORT, AAIG_E_TOO_LONG, AAIG_E_NUL, AAIG_E_IO}) {
        e.status = st;
        aaig_read_error_message(&e, AAIG_INT32, 10, 10, text, sizeof text);
        EXPECT_NE(std::string(text).find("row 5, column 10"), std::string::npos)
            << status_name(st) << ": " << text;
    }
    // A small buffer is not overrun.
    char tiny[8];
    std::memset(tiny, 'x', sizeof tiny);
    aaig_read_error_message(&e, AAIG_INT32, 10, 10, tiny, 5);
    EXPECT_EQ(std::strlen(tiny), 4u);
    EXPECT_EQ(tiny[6], 'x');
    EXPECT_STREQ(aaig_type_name(AAIG_INT32), "Int32");
    EXPECT_STREQ(aaig_type_name(AAIG_FLOAT32), "Float32");
    EXPECT_STREQ(aaig_type_name(AAIG_FLOAT64), "Float64");
}

// ---- many rows: the sparse row index with stride > 1 ----------------------------------------

TEST(Reader, SparseIndexOverManyRows)
{
    const uint64_t ncols = 2, nrows = 140001; // more than 65536 rows: an index stride of 3
    MemFile f;
    f.data.reserve(nrows * ncols * 8);
    for (uint64_t i = 0; i < nrows * ncols; i++)
        f.data += std::to_string(i % 100000) + (i % 2 ? "\n" : " ");
    std::mt19937_64 rng(11);
    for (size_t chunk : {(size_t)4099, (size_t)0}) {
        SCOPED_TRACE("chunk " + std::to_string(chunk));
        Reader r = open_reader(f, 0, ncols, nrows, AAIG_INT32, chunk, 1, 0);
        int32_t out[8];
        aaig_read_error err;
        for (int i = 0; i < 400; i++) {
            uint64_t row = i == 0 ? nrows - 1 : rng() % nrows;
            ASSERT_EQ(aaig_reader_read(r.get(), row, 1, out, &err), AAIG_OK) << "row " << row;
            ASSERT_EQ(out[0], (int32_t)((row * 2) % 100000)) << "row " << row;
            ASSERT_EQ(out[1], (int32_t)((row * 2 + 1) % 100000)) << "row " << row;
        }
        std::vector<int32_t> all(ncols * nrows);
        ASSERT_EQ(aaig_reader_read(r.get(), 0, nrows, all.data(), &err), AAIG_OK);
        for (uint64_t i = 0; i < all.size(); i++)
            ASSERT_EQ(all[i], (int32_t)(i % 100000)) << i;
    }
}

// A short file's error gives the file's end as its offset, whatever rows were read before and
// in whatever order: no position may point past the end of the file.
TEST(ReaderErrors, ShortFileEndOffsetInAnyReadOrder)
{
    const uint64_t ncols = 3, nrows = 4;
    for (const char *data : {"1 2 3\n4 5 6\n7 8 9\n10 11", "1 2 3\n4 5 6\n7 8 9\n10 11\n",
                             "1 2 3\n4 5 6\n7 8", "1 2 3 4 5 6 7 8 9 10 11 12", "1 2 3"}) {
        MemFile f;
        f.data = data;
        std::vector<std::vector<uint64_t>> orders = {{0, 1, 2, 3}, {3}, {2, 3}, {3, 2, 1, 0},
                                                     {1, 3, 0, 2}, {3, 3}, {0, 0, 3}};
        for (size_t chunk : {(size_t)0, (size_t)1}) {
            for (const auto &order : orders) {
                SCOPED_TRACE(std::string("data '") + data + "', chunk " + std::to_string(chunk));
                Reader r = open_reader(f, 0, ncols, nrows, AAIG_INT32, chunk, 1);
                int32_t out[12];
                for (uint64_t row : order) {
                    aaig_read_error err;
                    if (aaig_reader_read(r.get(), row, 1, out, &err) == AAIG_E_SHORT) {
                        EXPECT_EQ(err.offset, f.data.size()) << "row " << row;
                    }
                }
                aaig_read_error err;
                if (aaig_reader_read(r.get(), 0, nrows, out, &err) == AAIG_E_SHORT) {
                    EXPECT_EQ(err.offset, f.data.size()) << "whole read after the rows";
                }
            }
        }
    }
}

// An over-long token holding a NUL byte: the open-time detection never fails on it, and every
// window size and thread count reports the same error at the same place when reading.
TEST(ReaderErrors, NulInAnOverlongTokenSameErrorAtAnyWindow)
{
    for (size_t nul_at : {(size_t)10, (size_t)1500}) {
        std::string tok(2500, '7');
        tok[nul_at] = '\0';
        const std::string data = "1 " + tok + " 3\n";
        std::string first;
        for (size_t chunk : {(size_t)0, (size_t)1, (size_t)2051, (size_t)4099}) {
            for (unsigned threads : {1u, 2u}) {
                SCOPED_TRACE("NUL at " + std::to_string(nul_at) + ", chunk " +
                             std::to_string(chunk) + ", " + std::to_string(threads) + " threads");
                MemFile f;
                f.data = data;
                Reader r = open_reader(f, 0, 3, 1, AAIG_INT32, chunk, threads);
                int is_float = -1;
                aaig_read_error err;
                EXPECT_EQ(aaig_reader_detect_float(r.get(), &is_float, &err), AAIG_OK);
                ReadResult rr = read_all(data, 3, 1, AAIG_FLOAT32, chunk, threads);
                EXPECT_NE(rr.status, AAIG_OK);
                if (first.empty())
                    first = rr.message;
                EXPECT_EQ(rr.message, first);
            }
        }
    }
}

// Fault injection: the read callback fails from every byte offset of the file on. Every read,
// row by row, through tiny and large windows, either returns the right values or AAIG_E_IO
// with the error filled in; once the file reads again, a whole read is right (the failure is
// not remembered as data).
namespace {
std::string check_read_failures(unsigned threads)
{
    std::string data;
    for (int i = 0; i < 240; i++)
        data += std::to_string(i * 7 % 1000) + (i % 12 == 11 ? "\n" : " ");
    const uint64_t ncols = 12, nrows = 20;
    std::vector<int32_t> want(ncols * nrows);
    for (uint64_t i = 0; i < want.size(); i++)
        want[i] = (int32_t)(i * 7 % 1000);
    for (size_t chunk : {(size_t)1, (size_t)0}) {
        for (uint64_t k = 0; k <= data.size(); k += 7) {
            step("fail from " + std::to_string(k) + ", chunk " + std::to_string(chunk));
            const std::string where = " (fail from " + std::to_string(k) + ", chunk " +
                                      std::to_string(chunk) + ")";
            MemFile f;
            f.data = data;
            f.fail_from = k;
            Reader r = open_reader(f, 0, ncols, nrows, AAIG_INT32, chunk, threads);
            std::vector<int32_t> out(want.size(), -1);
            for (uint64_t row = 0; row < nrows; row += 5) {
                aaig_read_error err;
                const aaig_status st = aaig_reader_read(r.get(), row, 5, out.data(), &err);
                if (st == AAIG_OK && !std::equal(out.begin(), out.begin() + 5 * ncols,
                                                 want.begin() + row * ncols))
                    return "wrong values in rows " + std::to_string(row) + where;
                if (st != AAIG_OK && (st != AAIG_E_IO || err.status != AAIG_E_IO))
                    return std::string("status ") + status_name(st) + where;
            }
            f.fail_from = UINT64_MAX;
            aaig_read_error err;
            if (aaig_reader_read(r.get(), 0, nrows, out.data(), &err) != AAIG_OK || out != want)
                return "the whole read after the failure is wrong" + where;
        }
    }
    return "";
}
} // namespace

TEST(ReaderErrors, ReadFailureFromEveryOffset)
{
    EXPECT_EQ(check_read_failures(1), "");
}

TEST(ReaderErrorsDeathTest, ReadFailureFromEveryOffsetTwoThreads)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_watched(check_read_failures, 2), ::testing::ExitedWithCode(0), "");
}

// A token longer than the window, in rows that are skipped: the rows after it read, and the
// type is detected, as with a window that holds the whole file (fuzz_reader finding); parsing
// it is AAIG_E_TOO_LONG whatever the window.
TEST(ReaderErrors, LongTokenIsSkippedWhateverTheWindow)
{
    for (const std::string &inside : {std::string("1"), std::string("1.5"), std::string("1\0" "1", 3)}) {
        std::string tok = std::string(5000, '1') + inside + std::string(5000, '7');
        const std::string text = "1 2 3 4\n5 " + tok + " 7 8\n9 10 11 12\n";
        const int whole = detect(text, 4, 3, text.size() + 1);
        EXPECT_EQ(whole, inside == "1.5");
        aaig_status whole_status = AAIG_OK;
        for (size_t chunk : {text.size() + 1, (size_t)1, (size_t)2051, (size_t)4096}) {
            SCOPED_TRACE("chunk " + std::to_string(chunk) + ", token with '" + inside + "'");
            EXPECT_EQ(detect(text, 4, 3, chunk), whole);
            for (unsigned threads : {1u, 4u}) {
                MemFile f;
                f.data = text;
                Reader r = open_reader(f, 0, 4, 3, AAIG_FLOAT64, chunk, threads);
                double row[4];
                aaig_read_error err;
                ASSERT_EQ(aaig_reader_read(r.get(), 2, 1, row, &err), AAIG_OK) << err.token;
                EXPECT_EQ(row[0], 9);
                EXPECT_EQ(row[3], 12);
                double all[12];
                const aaig_status st = aaig_reader_read(r.get(), 0, 3, all, &err);
                if (chunk == text.size() + 1 && threads == 1)
                    whole_status = st;
                EXPECT_EQ(st, whole_status);
                EXPECT_NE(st, AAIG_OK);
                EXPECT_EQ(err.row, 1u);
                EXPECT_EQ(err.col, 1u);
            }
        }
    }
}
