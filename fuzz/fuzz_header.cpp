// Fuzz harness (a): the header parser and aaig_identify on arbitrary bytes, in both modes
// ("the whole file" and "more may follow").
//
// Properties checked besides memory safety (ASan) and UB (UBSan):
//  - identify on the whole file (at_eof) never answers MORE; on a prefix (more may follow) an
//    answer other than MORE is final: the whole file gets the same answer;
//  - a header that parses OK from a prefix in "more may follow" mode parses to the same header
//    from the whole file, and a prefix ERROR stays an ERROR; the whole file never NEED_MORE;
//  - data_offset and the diagnostic's offset lie inside the bytes given; line/column agree with
//    aaig_line_column.
// Every buffer handed to the core is an exact-size heap copy, so over-reads are caught.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "aaig_header.h"
#include "fuzz_common.h"

namespace {

struct WarnCount {
    unsigned n = 0;
    size_t len = 0;
};

void count_warning(void *ctx, const aaig_diag *d)
{
    WarnCount *w = static_cast<WarnCount *>(ctx);
    w->n++;
    FUZZ_CHECK(d->offset <= w->len, "warning offset %llu beyond %zu bytes",
               (unsigned long long)d->offset, w->len);
    FUZZ_CHECK(std::memchr(d->message, 0, sizeof d->message) != nullptr, "unterminated warning");
}

bool same_double(double a, double b) { return bits_of(a) == bits_of(b) || (std::isnan(a) && std::isnan(b)); }

bool same_header(const aaig_header &a, const aaig_header &b)
{
    return a.ncols == b.ncols && a.nrows == b.nrows && same_double(a.cellsize, b.cellsize) &&
           same_double(a.dx, b.dx) && same_double(a.dy, b.dy) && same_double(a.xll, b.xll) &&
           same_double(a.yll, b.yll) && a.has_cellsize == b.has_cellsize && a.has_dx == b.has_dx &&
           a.has_dy == b.has_dy && a.has_xll == b.has_xll && a.has_yll == b.has_yll &&
           a.xll_center == b.xll_center && a.yll_center == b.yll_center &&
           a.has_nodata == b.has_nodata && a.nodata_is_null == b.nodata_is_null &&
           a.nodata_has_separator == b.nodata_has_separator && same_double(a.nodata, b.nodata) &&
           a.data_offset == b.data_offset;
}

aaig_header_result parse(const std::vector<char> &buf, int at_eof, aaig_header *h, aaig_diag *d)
{
    WarnCount w;
    w.len = buf.size();
    std::memset(h, 0xA5, sizeof *h); // whatever the parser leaves unset must not matter
    std::memset(d, 0, sizeof *d);
    aaig_header_result r = aaig_header_parse(buf.data(), buf.size(), at_eof, h, d, count_warning, &w);
    FUZZ_CHECK(r == AAIG_HDR_OK || r == AAIG_HDR_NEED_MORE || r == AAIG_HDR_ERROR, "result %d", (int)r);
    if (r == AAIG_HDR_OK) {
        FUZZ_CHECK(h->data_offset <= buf.size(), "data_offset %llu beyond %zu bytes",
                   (unsigned long long)h->data_offset, buf.size());
        double gt[6];
        aaig_header_geotransform(h, gt);
        for (int forced = -1; forced <= 2; forced++) {
            int scan = -1;
            double nodata = 0;
            aaig_type t = aaig_header_band_type(h, forced, &scan, &nodata);
            FUZZ_CHECK(t == AAIG_INT32 || t == AAIG_FLOAT32 || t == AAIG_FLOAT64, "band type %d", (int)t);
            // A forced type is kept, except that a `null` NODATA_value makes a forced Int32
            // Float64 (the built-in's rule: Int32 cannot hold -FLT_MAX).
            if (forced >= 0) {
                int want = h->has_nodata && h->nodata_is_null && forced == AAIG_INT32
                               ? AAIG_FLOAT64 : forced;
                FUZZ_CHECK((int)t == want, "forced type %d gave %d", forced, (int)t);
            }
        }
    } else if (r == AAIG_HDR_ERROR) {
        FUZZ_CHECK(std::memchr(d->message, 0, sizeof d->message) != nullptr, "unterminated message");
        FUZZ_CHECK(d->message[0] != 0, "empty error message");
        FUZZ_CHECK(d->offset <= buf.size(), "diag offset %llu beyond %zu bytes",
                   (unsigned long long)d->offset, buf.size());
        uint64_t line = 0, col = 0;
        aaig_line_column(buf.data(), buf.size(), (size_t)d->offset, &line, &col);
        FUZZ_CHECK(line == d->line && col == d->column,
                   "diag says line %llu column %llu, aaig_line_column %llu:%llu (offset %llu)",
                   (unsigned long long)d->line, (unsigned long long)d->column,
                   (unsigned long long)line, (unsigned long long)col, (unsigned long long)d->offset);
    }
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::vector<char> whole(data, data + size);
    // The cut point of the "more may follow" prefix: a byte count taken from the data itself,
    // so that every cut is reachable.
    size_t cut = size;
    if (size)
        cut = (size_t)(((uint64_t)data[size - 1] * 2654435761u) % (size + 1));
    const std::vector<char> prefix(data, data + cut);

    // identify: a prefix's or a more-may-follow answer other than MORE is the whole file's
    // (fuzz/findings/identify-utf16-prefix-answers-no.bin was the UTF-16 case).
    aaig_identify_result id_all = aaig_identify((const unsigned char *)whole.data(), whole.size(), 1);
    FUZZ_CHECK(id_all != AAIG_ID_MORE, "identify at EOF answered MORE");
    aaig_identify_result id_all_open = aaig_identify((const unsigned char *)whole.data(), whole.size(), 0);
    if (id_all_open != AAIG_ID_MORE)
        FUZZ_CHECK(id_all_open == id_all, "identify: more-may-follow %d, whole file %d",
                   (int)id_all_open, (int)id_all);
    aaig_identify_result id_pre = aaig_identify((const unsigned char *)prefix.data(), prefix.size(), 0);
    if (id_pre != AAIG_ID_MORE)
        FUZZ_CHECK(id_pre == id_all, "identify: prefix of %zu bytes %d, whole file (%zu) %d", cut,
                   (int)id_pre, size, (int)id_all);
    aaig_identify((const unsigned char *)prefix.data(), prefix.size(), 1);

    // header
    aaig_header h_all, h_open, h_pre;
    aaig_diag d_all, d_open, d_pre;
    aaig_header_result r_all = parse(whole, 1, &h_all, &d_all);
    FUZZ_CHECK(r_all != AAIG_HDR_NEED_MORE, "NEED_MORE at end of file");
    aaig_header_result r_open = parse(whole, 0, &h_open, &d_open);
    aaig_header_result r_pre = parse(prefix, 0, &h_pre, &d_pre);
    parse(prefix, 1, &h_pre, &d_pre); // the prefix as a whole file: memory safety only
    r_pre = parse(prefix, 0, &h_pre, &d_pre);
    for (int k = 0; k < 2; k++) {
        aaig_header_result r = k ? r_pre : r_open;
        const aaig_header &h = k ? h_pre : h_open;
        const char *what = k ? "prefix" : "whole file, more may follow";
        if (r == AAIG_HDR_OK) {
            FUZZ_CHECK(r_all == AAIG_HDR_OK, "%s: OK, whole file: ERROR '%s'", what, d_all.message);
            FUZZ_CHECK(same_header(h, h_all), "%s: header differs from the whole file's", what);
        } else if (r == AAIG_HDR_ERROR) {
            FUZZ_CHECK(r_all == AAIG_HDR_ERROR, "%s: ERROR '%s', whole file: OK", what,
                       k ? d_pre.message : d_open.message);
        }
    }
    return 0;
}
