// Unit tests of driver/core/aaig_header: aaig_identify, aaig_header_parse,
// aaig_header_geotransform, aaig_header_band_type, aaig_line_column.
#include <gtest/gtest.h>

#include "test_support.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "aaig_header.h"

namespace {

struct Parsed {
    aaig_header_result result = AAIG_HDR_ERROR;
    aaig_header h{};
    aaig_diag diag{};
    std::vector<aaig_diag> warnings;
};

void collect_warning(void *ctx, const aaig_diag *d)
{
    static_cast<Parsed *>(ctx)->warnings.push_back(*d);
}

Parsed parse(const std::string &text, bool at_eof = true)
{
    Parsed p;
    p.result = aaig_header_parse(text.data(), text.size(), at_eof ? 1 : 0, &p.h, &p.diag,
                                 collect_warning, &p);
    return p;
}

const char *name(aaig_header_result r)
{
    return r == AAIG_HDR_OK ? "OK" : r == AAIG_HDR_NEED_MORE ? "NEED_MORE" : "ERROR";
}

::testing::AssertionResult IsOk(const Parsed &p)
{
    if (p.result == AAIG_HDR_OK)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << name(p.result) << ": " << p.diag.message << " (line "
                                         << p.diag.line << ", column " << p.diag.column << ")";
}

// An ERROR at the given 1-based line and column whose message contains every word in `words`.
::testing::AssertionResult IsError(const Parsed &p, uint64_t line, uint64_t column,
                                   std::vector<std::string> words)
{
    if (p.result != AAIG_HDR_ERROR)
        return ::testing::AssertionFailure() << "result " << name(p.result) << ", expected ERROR";
    std::string msg = p.diag.message;
    for (const std::string &w : words)
        if (msg.find(w) == std::string::npos)
            return ::testing::AssertionFailure() << "message '" << msg << "' lacks '" << w << "'";
    if (p.diag.line != line || p.diag.column != column)
        return ::testing::AssertionFailure()
               << "'" << msg << "' at line " << p.diag.line << ", column " << p.diag.column
               << ", expected line " << line << ", column " << column;
    return ::testing::AssertionSuccess();
}

const std::string kData = "1 2 3\n4 5 6\n";

} // namespace

// ---- well-formed headers ------------------------------------------------------------------------

TEST(HeaderParse, AllKeys)
{
    std::string head = "ncols 3\nnrows 2\nxllcorner 10.5\nyllcorner -20\ncellsize 0.25\n"
                       "NODATA_value -9999\n";
    Parsed p = parse(head + kData);
    ASSERT_TRUE(IsOk(p));
    EXPECT_EQ(p.h.ncols, 3u);
    EXPECT_EQ(p.h.nrows, 2u);
    EXPECT_EQ(p.h.xll, 10.5);
    EXPECT_EQ(p.h.yll, -20.0);
    EXPECT_TRUE(p.h.has_xll && p.h.has_yll);
    EXPECT_FALSE(p.h.xll_center || p.h.yll_center);
    EXPECT_TRUE(p.h.has_cellsize);
    EXPECT_EQ(p.h.cellsize, 0.25);
    EXPECT_FALSE(p.h.has_dx || p.h.has_dy);
    EXPECT_TRUE(p.h.has_nodata);
    EXPECT_FALSE(p.h.nodata_is_null);
    EXPECT_FALSE(p.h.nodata_has_separator);
    EXPECT_EQ(p.h.nodata, -9999.0);
    EXPECT_EQ(p.h.data_offset, head.size());
    EXPECT_TRUE(p.warnings.empty());
}

TEST(HeaderParse, KeysInAnyOrderAndCase)
{
    std::vector<std::string> keys = {"ncols", "nrows", "xllcorner", "yllcorner", "cellsize",
                                     "NODATA_value"};
    std::vector<std::string> values = {"3", "2", "-1.5", "7", "2", "-1"};
    std::vector<int> order = {0, 1, 2, 3, 4, 5};
    std::mt19937_64 rng(3);
    int permutations = 0;
    do {
        std::string head;
        for (int k : order) {
            std::string key = keys[(size_t)k];
            for (char &c : key)
                if (rng() % 2)
                    c = (char)(std::isupper((unsigned char)c) ? std::tolower((unsigned char)c)
                                                              : std::toupper((unsigned char)c));
            head += key + " " + values[(size_t)k] + "\n";
        }
        Parsed p = parse(head + kData);
        ASSERT_TRUE(IsOk(p)) << head;
        EXPECT_EQ(p.h.ncols, 3u);
        EXPECT_EQ(p.h.nrows, 2u);
        EXPECT_EQ(p.h.xll, -1.5);
        EXPECT_EQ(p.h.yll, 7.0);
        EXPECT_EQ(p.h.cellsize, 2.0);
        EXPECT_EQ(p.h.nodata, -1.0);
        EXPECT_EQ(p.h.data_offset, head.size());
        permutations++;
    } while (std::next_permutation(order.begin(), order.end()));
    EXPECT_EQ(permutations, 720);
}

TEST(HeaderParse, LayoutVariants)
{
    struct Case {
        const char *what;
        std::string head;
    };
    const Case cases[] = {
        {"LF", "ncols 3\nnrows 2\ncellsize 1\n"},
        {"CRLF", "ncols 3\r\nnrows 2\r\ncellsize 1\r\n"},
        {"CR", "ncols 3\rnrows 2\rcellsize 1\r"},
        {"tabs", "ncols\t3\nnrows \t 2\ncellsize\t\t1\n"},
        {"UTF-8 BOM", "\xEF\xBB\xBFncols 3\nnrows 2\ncellsize 1\n"},
        {"comments", "# written by hand\nncols 3 # trailing comment\n#\nnrows 2\n  # indented\ncellsize 1\n# last\n"},
        {"BOM then comment", "\xEF\xBB\xBF# c\r\nncols 3\r\nnrows 2\r\ncellsize 1\r\n"},
        {"leading blanks", "   ncols 3\n\t nrows 2\n cellsize 1\n"},
        {"value on the next line", "ncols\n3\nnrows\r\n\r\n2\ncellsize\n\n\n1\n"},
        {"blank lines", "\n\nncols 3\n\n\nnrows 2\r\n\r\ncellsize 1\n\n\n"},
        {"all on one line", "ncols 3 nrows 2 cellsize 1 "},
        {"vertical tab and form feed", "ncols\v3\fnrows 2\ncellsize 1\n"},
        {"plus sign", "ncols +3\nnrows +2\ncellsize +1\n"},
        {"comma decimal", "ncols 3\nnrows 2\ncellsize 1,0\n"},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(c.what);
        Parsed p = parse(c.head + kData);
        ASSERT_TRUE(IsOk(p));
        EXPECT_EQ(p.h.ncols, 3u);
        EXPECT_EQ(p.h.nrows, 2u);
        EXPECT_EQ(p.h.cellsize, 1.0);
        EXPECT_EQ(p.h.data_offset, c.head.size());
        EXPECT_TRUE(p.warnings.empty());
    }
}

TEST(HeaderParse, HeaderLongerThan1024Bytes)
{
    std::string head = "ncols 3\n";
    for (int i = 0; i < 40; i++)
        head += "# comment line number " + std::to_string(i) + " padding padding padding\n";
    head += std::string(500, ' ') + "nrows 2\n" + std::string(700, '\n') + "cellsize 1\n";
    ASSERT_GT(head.size(), 3000u);
    Parsed p = parse(head + kData);
    ASSERT_TRUE(IsOk(p));
    EXPECT_EQ(p.h.nrows, 2u);
    EXPECT_EQ(p.h.data_offset, head.size());
}

TEST(HeaderParse, CenterAndDxDyForms)
{
    Parsed p = parse("ncols 3\nnrows 2\nxllcenter 1\nyllcenter 2\ndx 0.5\ndy 0.25\n" + kData);
    ASSERT_TRUE(IsOk(p));
    EXPECT_TRUE(p.h.xll_center && p.h.yll_center);
    EXPECT_TRUE(p.h.has_dx && p.h.has_dy);
    EXPECT_FALSE(p.h.has_cellsize);
    EXPECT_EQ(p.h.dx, 0.5);
    EXPECT_EQ(p.h.dy, 0.25);
}

TEST(HeaderParse, NodataSpellings)
{
    struct Case {
        const char *token;
        double value;
        bool is_null, separator;
    };
    const Case cases[] = {
        {"-9999", -9999, false, false}, {"-9999.", -9999, false, true},
        {"0,5", 0.5, false, true},      {"1e-40", 1e-40, false, false},
        {"null", 0, true, false},       {"-inf", -HUGE_VAL, false, false},
        {"1.#INF", HUGE_VAL, false, true},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(c.token);
        Parsed p = parse(std::string("ncols 3\nnrows 2\ncellsize 1\nnodata_VALUE ") + c.token +
                         "\n" + kData);
        ASSERT_TRUE(IsOk(p));
        EXPECT_TRUE(p.h.has_nodata);
        EXPECT_EQ((bool)p.h.nodata_is_null, c.is_null);
        EXPECT_EQ((bool)p.h.nodata_has_separator, c.separator);
        if (!c.is_null) {
            EXPECT_EQ(p.h.nodata, c.value);
        }
    }
    Parsed p = parse("ncols 3\nnrows 2\ncellsize 1\nNODATA_value nan\n" + kData);
    ASSERT_TRUE(IsOk(p));
    EXPECT_TRUE(std::isnan(p.h.nodata));
}

TEST(HeaderParse, DataMayStartWithAnySpelledValue)
{
    for (const char *first : {"nan", "NaN", "-nan", "-inf", "inf", "Infinity", "null", "+5",
                              ".5", "-1.#INF", "1.#QNAN", "0,5", "12abc", "--5", "*", "-"}) {
        SCOPED_TRACE(first);
        std::string head = "ncols 2\nnrows 1\ncellsize 1\n";
        Parsed p = parse(head + first + " 7\n");
        ASSERT_TRUE(IsOk(p));
        EXPECT_EQ(p.h.data_offset, head.size());
        EXPECT_TRUE(p.warnings.empty());
    }
}

TEST(HeaderParse, UnknownKeywordIsWarnedAboutAndItsLineIgnored)
{
    std::string text = "ncols 3\nnrows 2\nfoo bar 12 baz\ncellsize 1\nnodata -9999\n" + kData;
    Parsed p = parse(text);
    ASSERT_TRUE(IsOk(p));
    EXPECT_FALSE(p.h.has_nodata);
    EXPECT_EQ(p.h.data_offset, text.size() - kData.size());
    ASSERT_EQ(p.warnings.size(), 2u);
    EXPECT_NE(std::string(p.warnings[0].message).find("'foo'"), std::string::npos)
        << p.warnings[0].message;
    EXPECT_EQ(p.warnings[0].line, 3u);
    EXPECT_EQ(p.warnings[0].column, 1u);
    EXPECT_EQ(p.warnings[0].offset, text.find("foo"));
    EXPECT_NE(std::string(p.warnings[1].message).find("'nodata'"), std::string::npos)
        << p.warnings[1].message;
    EXPECT_EQ(p.warnings[1].line, 5u);

    // The callback may be NULL.
    aaig_header h;
    aaig_diag d;
    EXPECT_EQ(aaig_header_parse(text.data(), text.size(), 1, &h, &d, nullptr, nullptr), AAIG_HDR_OK);
}

// ---- incremental parsing ------------------------------------------------------------------------

TEST(HeaderParse, EveryPrefixNeedsMoreUntilTheFirstValueIsComplete)
{
    const std::string texts[] = {
        "ncols 3\nnrows 2\nxllcorner 1\nyllcorner 2\ncellsize 0.5\nNODATA_value -9999\n1 2 3\n4 5 6\n",
        "\xEF\xBB\xBF# made by hand\r\n  NCOLS\t3\r\nnrows\r\n2\r\nfoo bar\r\n# another\r\n"
        "cellsize 1\r\n\r\n-9999.5 2 3\r\n4 5 6\r\n",
        "ncols 2\rnrows 1\rdx 1\rdy 2\r\rnan 5\r",
        "ncols 2 nrows 1 cellsize 1 7 8",
        "ncols 1\nnrows 1\ncellsize 1\nNODATA_value null\nnull\n",
        std::string("ncols 1\nnrows 1\n") + std::string(1500, '#') + "\ncellsize 1\n" +
            std::string(300, ' ') + "12345678901234567890\n",
    };
    for (const std::string &text : texts) {
        SCOPED_TRACE(text.substr(0, 60));
        Parsed full = parse(text, true);
        ASSERT_TRUE(IsOk(full));
        size_t first = (size_t)full.h.data_offset;
        size_t first_len = text.find_first_of(" \t\r\n", first) - first;
        size_t complete = first + first_len + 1; // the value and the whitespace after it
        for (size_t len = 0; len <= text.size(); len++) {
            Parsed p = parse(text.substr(0, len), false);
            if (len < complete) {
                ASSERT_EQ(p.result, AAIG_HDR_NEED_MORE)
                    << "prefix of " << len << " bytes: " << p.diag.message;
            } else {
                ASSERT_TRUE(IsOk(p)) << "prefix of " << len << " bytes";
                ASSERT_EQ(p.h.data_offset, full.h.data_offset) << "prefix of " << len;
                ASSERT_EQ(p.h.ncols, full.h.ncols);
                ASSERT_EQ(p.h.nrows, full.h.nrows);
                ASSERT_EQ(p.h.has_nodata, full.h.has_nodata);
            }
        }
    }
}

TEST(HeaderParse, LastValueEndsAtEndOfFile)
{
    Parsed p = parse("ncols 1\nnrows 1\ncellsize 1\n42", true);
    ASSERT_TRUE(IsOk(p));
    EXPECT_EQ(p.h.data_offset, 27u);
    EXPECT_EQ(parse("ncols 1\nnrows 1\ncellsize 1\n42", false).result, AAIG_HDR_NEED_MORE);
}

// ---- errors -------------------------------------------------------------------------------------

TEST(HeaderErrors, ReportLineAndColumn)
{
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\nNCOLS 3\ncellsize 1\n" + kData), 3, 1,
                        {"ncols", "twice", "line 1"}));
    EXPECT_TRUE(IsError(parse("nrows 2\ncellsize 1\n" + kData), 3, 1, {"ncols"}));
    EXPECT_TRUE(IsError(parse("ncols 3\ncellsize 1\n" + kData), 3, 1, {"nrows"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\n" + kData), 3, 1, {"cellsize", "neither"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ndx 1\n" + kData), 4, 1, {"cellsize", "only 'dx'"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ndy 1\n" + kData), 4, 1, {"only 'dy'"}));
    EXPECT_TRUE(IsError(parse("ncols 3.7\nnrows 2\ncellsize 1\n" + kData), 1, 7, {"ncols", "3.7"}));
    EXPECT_TRUE(IsError(parse("ncols 0\nnrows 2\ncellsize 1\n" + kData), 1, 7, {"ncols", "'0'"}));
    EXPECT_TRUE(IsError(parse("ncols -5\nnrows 2\ncellsize 1\n" + kData), 1, 7, {"ncols", "-5"}));
    EXPECT_TRUE(IsError(parse("ncols 2147483648\nnrows 2\ncellsize 1\n" + kData), 1, 7, {"ncols"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows abc\ncellsize 1\n" + kData), 2, 7, {"nrows", "abc"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 0\n" + kData), 3, 10, {"cellsize", "positive"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize -1\n" + kData), 3, 10, {"cellsize", "-1"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize nan\n" + kData), 3, 10, {"cellsize"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 1\ndx 0\n" + kData), 4, 4, {"dx"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 1\nxllcorner inf\nyllcorner 0\n" + kData),
                        4, 11, {"xllcorner", "inf"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 1\nxllcorner 0\nyllcenter 0\n" + kData),
                        6, 1, {"xllcorner", "yllcenter"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 1\nxllcorner 0\n" + kData), 5, 1,
                        {"xllcorner"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 1\nyllcenter 0\n" + kData), 5, 1,
                        {"yllcenter"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 1\nNODATA_value abc\n" + kData), 4, 14,
                        {"NODATA_value", "abc"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 1\n"), 4, 1, {"end of the file"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows 2\ncellsize 1\n# only a comment"), 4, 17,
                        {"end of the file"}));
    EXPECT_TRUE(IsError(parse("ncols 3\nnrows"), 2, 6, {"nrows", "value"}));
    // key=value is not a key: an unknown word (a warning), so ncols is missing
    Parsed eq = parse("ncols=3\nnrows 2\ncellsize 1\n" + kData);
    EXPECT_TRUE(IsError(eq, 4, 1, {"ncols"}));
    EXPECT_EQ(eq.warnings.size(), 1u);
}

TEST(HeaderErrors, LineNumbersWithCrLfAndCr)
{
    EXPECT_TRUE(IsError(parse("ncols 3\r\nnrows x\r\ncellsize 1\r\n" + kData), 2, 7, {"nrows"}));
    EXPECT_TRUE(IsError(parse("ncols 3\rnrows x\rcellsize 1\r" + kData), 2, 7, {"nrows"}));
    EXPECT_TRUE(IsError(parse("\r\n\r\n\rncols 3\n\rnrows 2\r\n\ncellsize 0\n" + kData), 8, 10,
                        {"cellsize"}));
    EXPECT_TRUE(IsError(parse("ncols 1\rnrows 1\rcellsize 1\r"), 4, 1, {"end of the file"}));
}

TEST(LineColumn, CountsLfCrAndCrLfOnce)
{
    const std::string text = "ab\ncd\r\nef\rgh";
    struct Case {
        size_t offset;
        uint64_t line, column;
    };
    const Case cases[] = {{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {6, 2, 4},
                          {7, 3, 1}, {9, 3, 3}, {10, 4, 1}, {12, 4, 3}};
    for (const Case &c : cases) {
        uint64_t line = 0, column = 0;
        aaig_line_column(text.c_str(), text.size(), c.offset, &line, &column);
        EXPECT_EQ(line, c.line) << "offset " << c.offset;
        EXPECT_EQ(column, c.column) << "offset " << c.offset;
    }
}


namespace {
// Parses text from a heap buffer of exactly its size; exits 0 when the header is an error at
// the end of the file (what these inputs are), so that a child process can check it.
[[maybe_unused]] void parse_exact_buffer_and_exit(const char *text)
{
    size_t n = std::strlen(text);
    std::unique_ptr<char[]> buf(new char[n]);
    std::memcpy(buf.get(), text, n);
    aaig_header h;
    aaig_diag d;
    aaig_header_result r = aaig_header_parse(buf.get(), n, 1, &h, &d, nullptr, nullptr);
    std::exit(r == AAIG_HDR_ERROR && d.offset == n ? 0 : 3);
}
} // namespace

// A header that ends in CR at the end of the file: locating the error must not read the byte
// after the buffer. Run in a child process so that an ASan report fails this test only.
TEST(HeaderErrorsDeathTest, ErrorAtEndOfFileAfterCrDoesNotReadPastBuffer)
{
#ifndef AAIG_TEST_ASAN
    GTEST_SKIP() << "needs AddressSanitizer to see the over-read";
#else
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    for (const char *text : {"ncols 1\rnrows 1\rcellsize 1\r", "ncols 1\rnrows\r",
                             "ncols 1\r\nnrows 1\r\ncellsize 1\r\n", "ncols 1\nnrows 1\ncellsize 1\n"}) {
        SCOPED_TRACE(text);
        EXPECT_EXIT(parse_exact_buffer_and_exit(text), ::testing::ExitedWithCode(0), "");
    }
#endif
}

// ---- georeferencing ------------------------------------------------------------------------------

namespace {
aaig_header header_of(const std::string &head)
{
    Parsed p = parse(head + "1\n");
    EXPECT_TRUE(IsOk(p)) << head;
    return p.h;
}
} // namespace

TEST(Geotransform, Corner)
{
    double gt[6];
    aaig_header h = header_of("ncols 4\nnrows 3\nxllcorner 100\nyllcorner 200\ncellsize 2\n");
    EXPECT_EQ(aaig_header_geotransform(&h, gt), 0);
    const double want[6] = {100, 2, 0, 200 + 3 * 2, 0, -2};
    for (int i = 0; i < 6; i++)
        EXPECT_EQ(gt[i], want[i]) << "gt[" << i << "]";
}

TEST(Geotransform, CenterIsPointRegistered)
{
    double gt[6];
    aaig_header h = header_of("ncols 4\nnrows 3\nxllcenter 100\nyllcenter 200\ncellsize 2\n");
    EXPECT_EQ(aaig_header_geotransform(&h, gt), 1);
    const double want[6] = {100 - 0.5 * 2, 2, 0, 200 - 0.5 * 2 + 3 * 2, 0, -2};
    for (int i = 0; i < 6; i++)
        EXPECT_EQ(gt[i], want[i]) << "gt[" << i << "]";

    h = header_of("ncols 4\nnrows 5\nxllcenter -7.25\nyllcenter 3.5\ndx 0.5\ndy 0.25\n");
    EXPECT_EQ(aaig_header_geotransform(&h, gt), 1);
    EXPECT_EQ(gt[0], -7.25 - 0.5 * 0.5);
    EXPECT_EQ(gt[3], 3.5 - 0.5 * 0.25 + 5 * 0.25);
    EXPECT_EQ(gt[1], 0.5);
    EXPECT_EQ(gt[5], -0.25);
}

TEST(Geotransform, DxDyAndCellsizeWins)
{
    double gt[6];
    aaig_header h = header_of("ncols 4\nnrows 3\nxllcorner 0\nyllcorner 0\ndx 0.5\ndy 2\n");
    EXPECT_EQ(aaig_header_geotransform(&h, gt), 0);
    EXPECT_EQ(gt[1], 0.5);
    EXPECT_EQ(gt[5], -2.0);
    EXPECT_EQ(gt[3], 6.0);

    h = header_of("ncols 4\nnrows 3\nxllcorner 0\nyllcorner 0\ndx 0.5\ncellsize 3\ndy 2\n");
    aaig_header_geotransform(&h, gt);
    EXPECT_EQ(gt[1], 3.0);
    EXPECT_EQ(gt[5], -3.0);
    EXPECT_EQ(gt[3], 9.0);
}

TEST(Geotransform, NoOriginIsTopLeftZero)
{
    double gt[6];
    aaig_header h = header_of("ncols 4\nnrows 3\ncellsize 2\n");
    EXPECT_EQ(aaig_header_geotransform(&h, gt), 0);
    const double want[6] = {0, 2, 0, 0, 0, -2};
    for (int i = 0; i < 6; i++)
        EXPECT_EQ(gt[i], want[i]) << "gt[" << i << "]";
}

TEST(Geotransform, CcafsCellsizeFix)
{
    double gt[6];
    aaig_header h =
        header_of("ncols 720\nnrows 360\nxllcorner -180\nyllcorner -90\ncellsize 0.5000000001\n");
    aaig_header_geotransform(&h, gt);
    EXPECT_EQ(gt[0], -180.0);
    EXPECT_EQ(gt[1], 0.5);
    EXPECT_EQ(gt[5], -0.5);
    EXPECT_EQ(gt[3], -90.0 + 360 * 0.5);

    // Not applied when any condition fails.
    h = header_of("ncols 721\nnrows 360\nxllcorner -180\nyllcorner -90\ncellsize 0.5000000001\n");
    aaig_header_geotransform(&h, gt);
    EXPECT_EQ(gt[1], 0.5000000001);
    h = header_of("ncols 720\nnrows 360\nxllcorner -179\nyllcorner -90\ncellsize 0.5000000001\n");
    aaig_header_geotransform(&h, gt);
    EXPECT_EQ(gt[1], 0.5000000001);
    h = header_of("ncols 720\nnrows 360\nxllcorner -180\nyllcorner -90\ncellsize 0.50001\n");
    aaig_header_geotransform(&h, gt);
    EXPECT_EQ(gt[1], 0.50001);
    h = header_of("ncols 360\nnrows 180\nxllcorner -180\nyllcorner -90\ncellsize 0.9999999999\n");
    aaig_header_geotransform(&h, gt);
    EXPECT_EQ(gt[1], 1.0);
}

// ---- band type ---------------------------------------------------------------------------------

namespace {
struct Band {
    aaig_type type;
    int scan;
    double nodata;
};

Band band(const char *nodata_token, int forced)
{
    std::string head = "ncols 1\nnrows 1\ncellsize 1\n";
    if (nodata_token)
        head += std::string("NODATA_value ") + nodata_token + "\n";
    aaig_header h = header_of(head);
    Band b;
    b.scan = -1;
    b.nodata = 12345;
    b.type = aaig_header_band_type(&h, forced, &b.scan, &b.nodata);
    return b;
}

uint64_t bits_of(double d)
{
    uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    return u;
}

const char *tname(aaig_type t)
{
    return t == AAIG_INT32 ? "Int32" : t == AAIG_FLOAT32 ? "Float32" : "Float64";
}
} // namespace

TEST(BandType, FromNodata)
{
    struct Case {
        const char *token;
        int forced;
        aaig_type type;
        int scan;
        double nodata;
    };
    const Case cases[] = {
        {"-9999", -1, AAIG_INT32, 1, -9999},
        {"-9999.", -1, AAIG_FLOAT32, 0, -9999},
        {"-9999.0", -1, AAIG_FLOAT32, 0, -9999},
        {"-9999,5", -1, AAIG_FLOAT32, 0, -9999.5},
        {"0.0", -1, AAIG_FLOAT64, 0, 0.0},
        {"-0.0", -1, AAIG_FLOAT64, 0, -0.0},
        {"0,0", -1, AAIG_FLOAT64, 0, 0.0},
        {"0", -1, AAIG_INT32, 1, 0.0},
        {"1e-40", -1, AAIG_INT32, 1, 1e-40},
        {"1e5", -1, AAIG_INT32, 1, 1e5},
        {"2147483647", -1, AAIG_INT32, 1, 2147483647.0},
        {"-2147483648", -1, AAIG_INT32, 1, -2147483648.0},
        {"2147483648", -1, AAIG_FLOAT32, 0, 2147483648.0},
        {"-1e+39", -1, AAIG_FLOAT64, 0, -1e39},
        {"3.5e38", -1, AAIG_FLOAT64, 0, 3.5e38},
        {"2.2250738585072014e-308", -1, AAIG_FLOAT64, 0, 2.2250738585072014e-308},
        {"1e+38", -1, AAIG_FLOAT32, 0, (double)(float)1e38},
        {"0.1", -1, AAIG_FLOAT32, 0, (double)0.1f},
        {"inf", -1, AAIG_FLOAT32, 0, HUGE_VAL},
        {"-inf", -1, AAIG_FLOAT32, 0, -HUGE_VAL},
        {"-Infinity", -1, AAIG_FLOAT32, 0, -HUGE_VAL},
        {"null", -1, AAIG_FLOAT32, 0, -FLT_MAX},
        {"null", AAIG_FLOAT32, AAIG_FLOAT32, 0, -FLT_MAX},
        {"null", AAIG_FLOAT64, AAIG_FLOAT64, 0, -DBL_MAX},
        {"null", AAIG_INT32, AAIG_FLOAT64, 0, -DBL_MAX},
        // forced types: no scan, nodata as given (Float32: rounded to float and clamped)
        {"-9999", AAIG_FLOAT32, AAIG_FLOAT32, 0, -9999},
        {"-9999", AAIG_FLOAT64, AAIG_FLOAT64, 0, -9999},
        {"-9999", AAIG_INT32, AAIG_INT32, 0, -9999},
        {"-9999.5", AAIG_INT32, AAIG_INT32, 0, -9999.5},
        {"1e+38", AAIG_FLOAT32, AAIG_FLOAT32, 0, (double)(float)1e38},
        {"1e39", AAIG_FLOAT32, AAIG_FLOAT32, 0, FLT_MAX},
        {"-1e39", AAIG_FLOAT32, AAIG_FLOAT32, 0, -FLT_MAX},
        {"0.1", AAIG_FLOAT64, AAIG_FLOAT64, 0, 0.1},
        {"0.0", AAIG_FLOAT32, AAIG_FLOAT32, 0, 0.0},
    };
    for (const Case &c : cases) {
        SCOPED_TRACE(std::string("NODATA_value ") + c.token + ", forced " + std::to_string(c.forced));
        Band b = band(c.token, c.forced);
        EXPECT_STREQ(tname(b.type), tname(c.type));
        EXPECT_EQ(b.scan, c.scan);
        EXPECT_EQ(bits_of(b.nodata), bits_of(c.nodata)) << b.nodata << " vs " << c.nodata;
    }
    // 1e+38 as Float32 is reported as 9.99999968e37 (rounded to float)
    char shown[32];
    std::snprintf(shown, sizeof shown, "%.9g", band("1e+38", AAIG_FLOAT32).nodata);
    EXPECT_STREQ(shown, "9.99999968e+37");
}

TEST(BandType, NanNodataIsFloat32)
{
    for (int forced : {-1, (int)AAIG_FLOAT32}) {
        Band b = band("nan", forced);
        EXPECT_EQ(b.type, AAIG_FLOAT32);
        EXPECT_EQ(b.scan, 0);
        EXPECT_TRUE(std::isnan(b.nodata));
    }
}

TEST(BandType, NoNodata)
{
    Band b = band(nullptr, -1);
    EXPECT_EQ(b.type, AAIG_INT32);
    EXPECT_EQ(b.scan, 1);
    for (int forced : {(int)AAIG_INT32, (int)AAIG_FLOAT32, (int)AAIG_FLOAT64}) {
        b = band(nullptr, forced);
        EXPECT_EQ((int)b.type, forced);
        EXPECT_EQ(b.scan, 0);
    }
}

// ---- identify ---------------------------------------------------------------------------------

namespace {
aaig_identify_result identify(const std::string &s, bool at_eof = false)
{
    return aaig_identify(reinterpret_cast<const unsigned char *>(s.data()), s.size(), at_eof ? 1 : 0);
}

std::string utf16(const std::string &ascii, bool little_endian)
{
    std::string out = little_endian ? "\xFF\xFE" : "\xFE\xFF";
    for (char c : ascii) {
        if (little_endian) {
            out += c;
            out += '\0';
        } else {
            out += '\0';
            out += c;
        }
    }
    return out;
}
} // namespace

TEST(Identify, Yes)
{
    for (bool at_eof : {false, true}) {
        for (const char *s : {"ncols 5\nnrows 5\n", "NCOLS\t5", "nrows 3", "  \r\n\tnrows 3",
                              "\xEF\xBB\xBF" "cellsize 1", "# comment\r\nxllcorner 0", "dx 1\n",
                              "DY 1\n", "yllcenter 0\n", "XllCenter 0\n", "yllcorner 0\n",
                              "#\n#\n\n   ncols 1"})
            EXPECT_EQ(identify(s, at_eof), AAIG_ID_YES) << s << (at_eof ? " (at EOF)" : "");
    }
    // The whole file is a keyword: nothing more will come.
    EXPECT_EQ(identify("ncols", true), AAIG_ID_YES);
}

TEST(Identify, No)
{
    for (bool at_eof : {false, true}) {
        for (const char *s : {"hello world\n", "5 5 5\n", "<html>\n", "abcdefghijklmnop",
                              "ncolsx 5\n", "ncols=5\n", "north: 10\n", "\x89PNG\r\n\x1a\n",
                              "GIF89a header\n", "ncol 5"})
            EXPECT_EQ(identify(s, at_eof), AAIG_ID_NO) << s << (at_eof ? " (at EOF)" : "");
    }
    // At the end of the file, what could have continued is final.
    for (const std::string &s : {std::string(), std::string("\xEF\xBB\xBF"), std::string("  \n"),
                                 std::string("# just a comment"), std::string("nco")})
        EXPECT_EQ(identify(s, true), AAIG_ID_NO) << s;
}

TEST(Identify, More)
{
    for (const std::string &s : {std::string(), std::string("\xEF\xBB\xBF"), std::string("   \r\n\t"),
                                 std::string("# just a comment"), std::string("# comment\n\n"),
                                 std::string("nco"), std::string("ncols"), std::string("\xEF\xBB\xBF\n# c"),
                                 std::string("xllcenter"), std::string("NODATA_valu")})
        EXPECT_EQ(identify(s), AAIG_ID_MORE) << s;
}

TEST(Identify, Utf16)
{
    for (bool le : {true, false}) {
        SCOPED_TRACE(le ? "UTF-16LE" : "UTF-16BE");
        for (bool at_eof : {false, true}) {
            EXPECT_EQ(identify(utf16("ncols 3\nnrows 2\ncellsize 1\n", le), at_eof), AAIG_ID_UTF16);
            EXPECT_EQ(identify(utf16("NCOLS 3\r\n", le), at_eof), AAIG_ID_UTF16);
            EXPECT_EQ(identify(utf16("hello world\n", le), at_eof), AAIG_ID_NO);
            // comment lines first, as ASCII grids may have
            EXPECT_EQ(identify(utf16("# exported by a GIS, 2026-11-24\n# EPSG:25832\nncols 3\n", le),
                               at_eof),
                      AAIG_ID_UTF16);
            EXPECT_EQ(identify(utf16("# a comment\nhello world\n", le), at_eof), AAIG_ID_NO);
        }
        // A prefix cut inside the first keyword needs more bytes, as for ASCII.
        const std::string whole = utf16("ncols 3\n", le);
        EXPECT_EQ(identify(whole.substr(0, 10), false), AAIG_ID_MORE);
        // About 3 KB of comment lines before the first keyword.
        std::string comments;
        for (int i = 0; i < 60; i++)
            comments += "# a comment line of about fifty characters, " + std::to_string(i) + "\n";
        EXPECT_EQ(identify(utf16(comments + "ncols 3\n", le), true), AAIG_ID_UTF16);
        EXPECT_EQ(identify(utf16(comments, le), false), AAIG_ID_MORE);
    }
}
