// Fuzz harness (d): the writer's number formatting.
//
// The input is read as float64 and float32 values (and as integers). Checked:
//  - shortest text (aaig_format_f64 / aaig_format_f32, aaig_format_value, aaig_format_row)
//    reads back to the identical value through the core's parser AND through glibc's strtod_l
//    (C locale): a double bit for bit; a float as (float) of the correctly rounded double, the
//    way readers cast (NaN: "nan" with the sign dropped, as documented; -0 keeps its sign);
//  - at most 17 (double) / 9 (float) significant digits;
//  - aaig_format_row's tokens are aaig_format_value's, and the first finite value carries a
//    '.' or an 'e' when need_dot is set;
//  - DECIMALS / SIGNIFICANT modes equal snprintf's %.*f / %.*g in the C locale;
//  - integers (Int32, UInt32, Int64, UInt64) read back exactly through strtoll / strtoull.
#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <locale.h>
#include <string>
#include <vector>

#include "aaig_format.h"
#include "aaig_number.h"
#include "fuzz_common.h"

namespace {

locale_t c_locale;

double strtod_c(const char *s, size_t n)
{
    std::string t(s, n);
    char *end = nullptr;
    double v = strtod_l(t.c_str(), &end, c_locale);
    FUZZ_CHECK(end == t.c_str() + n, "strtod_l does not read all of '%s'", t.c_str());
    return v;
}

double core_parse(const char *s, size_t n)
{
    double v = 0;
    int is_null = 0;
    FUZZ_CHECK(aaig_parse_double(s, n, &v, &is_null) == AAIG_OK && !is_null,
               "the core's parser refuses '%.*s'", (int)n, s);
    return v;
}

int significant_digits(const char *s, size_t n)
{
    int count = 0, seen_nonzero = 0, trailing_zeros = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == 'e' || c == 'E')
            break;
        if (c < '0' || c > '9')
            continue;
        if (c != '0')
            seen_nonzero = 1;
        if (!seen_nonzero)
            continue;
        count++;
        trailing_zeros = c == '0' ? trailing_zeros + 1 : 0;
    }
    return count - trailing_zeros;
}

void check_f64_text(double v, const char *s, int n, const char *what)
{
    FUZZ_CHECK(n > 0 && n < 32 && (int)std::strlen(s) == n, "%s: length %d for %.17g", what, n, v);
    if (std::isnan(v)) {
        FUZZ_CHECK(std::strcmp(s, "nan") == 0, "%s: NaN written '%s'", what, s);
        return;
    }
    double a = core_parse(s, (size_t)n), b = strtod_c(s, (size_t)n);
    FUZZ_CHECK(bits_of(a) == bits_of(v), "%s: %.17g (%016llx) written '%s', core reads %.17g", what,
               v, (unsigned long long)bits_of(v), s, a);
    FUZZ_CHECK(bits_of(b) == bits_of(v), "%s: %.17g (%016llx) written '%s', strtod reads %.17g", what,
               v, (unsigned long long)bits_of(v), s, b);
    FUZZ_CHECK(significant_digits(s, (size_t)n) <= 17, "%s: '%s' longer than 17 digits", what, s);
}

void check_f32_text(float v, const char *s, int n, const char *what)
{
    FUZZ_CHECK(n > 0 && n < 32 && (int)std::strlen(s) == n, "%s: length %d for %.9g", what, n, v);
    if (std::isnan(v)) {
        FUZZ_CHECK(std::strcmp(s, "nan") == 0, "%s: NaN written '%s'", what, s);
        return;
    }
    float a = (float)core_parse(s, (size_t)n), b = (float)strtod_c(s, (size_t)n);
    FUZZ_CHECK(bits_of(a) == bits_of(v), "%s: %.9g (%08x) written '%s', core reads %.9g", what,
               (double)v, bits_of(v), s, (double)a);
    FUZZ_CHECK(bits_of(b) == bits_of(v), "%s: %.9g (%08x) written '%s', strtod reads %.9g", what,
               (double)v, bits_of(v), s, (double)b);
    FUZZ_CHECK(significant_digits(s, (size_t)n) <= 9, "%s: '%s' longer than 9 digits", what, s);
}

// Splits a row into its tokens.
std::vector<std::string> split(const char *s, size_t n)
{
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\n') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += s[i];
        }
    }
    return out;
}

template <class T>
void check_row(const T *values, size_t count, aaig_vtype type, aaig_fmt_mode mode, int precision,
               const char *nan_text)
{
    aaig_format_options opt{type, mode, precision, nan_text};
    const size_t per = aaig_format_max_chars(&opt);
    std::vector<char> row(count * per + 1);
    int need_dot = 1;
    size_t len = aaig_format_row(values, count, &opt, &need_dot, row.data());
    FUZZ_CHECK(len <= row.size(), "row overflows its bound");
    FUZZ_CHECK(len > 0 && row[len - 1] == '\n', "row does not end with a newline");
    std::vector<std::string> toks = split(row.data(), len);
    FUZZ_CHECK(toks.size() == (count ? count : 1), "%zu tokens for %zu values", toks.size(), count);
    bool dot_done = false;
    for (size_t i = 0; i < count; i++) {
        std::vector<char> one(per);
        int n = aaig_format_value(values, i, &opt, one.data());
        FUZZ_CHECK(n >= 0 && (size_t)n < per, "value longer than aaig_format_max_chars");
        std::string v(one.data(), (size_t)n);
        std::string t = toks[i];
        if (!dot_done && aaig_format_is_finite(values, i, type)) {
            dot_done = true;
            if (v.find_first_of(".eE") == std::string::npos)
                v += ".0";
            FUZZ_CHECK(t.find_first_of(".eE") != std::string::npos, "first finite value '%s' has no dot",
                       t.c_str());
        }
        FUZZ_CHECK(t == v, "row token %zu '%s' but aaig_format_value '%s'", i, t.c_str(), v.c_str());
    }
    FUZZ_CHECK(need_dot == (dot_done ? 0 : 1), "need_dot not cleared");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return 0;
}

// The input read as values of T: each one's shortest text, alone and through
// aaig_format_value, must read back to the identical value.
template <class T>
std::vector<T> check_shortest(const uint8_t *data, size_t size, aaig_vtype type,
                              int (*format)(T, char *),
                              void (*check)(T, const char *, int, const char *))
{
    std::vector<T> v(size / sizeof(T));
    if (!v.empty())
        std::memcpy(v.data(), data, v.size() * sizeof(T));
    char buf[64];
    const aaig_format_options opt{type, AAIG_FMT_SHORTEST, 0, nullptr};
    for (size_t i = 0; i < v.size(); i++) {
        check(v[i], buf, format(v[i], buf), "shortest text");
        check(v[i], buf, aaig_format_value(v.data(), i, &opt, buf), "aaig_format_value");
    }
    return v;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    const uint8_t ctl = data[0];
    data++;
    size--;
    char buf[64];
    const std::vector<double> d =
        check_shortest<double>(data, size, AAIG_V_F64, aaig_format_f64, check_f64_text);
    const std::vector<float> f =
        check_shortest<float>(data, size, AAIG_V_F32, aaig_format_f32, check_f32_text);
    const size_t n64 = d.size(), n32 = f.size();
    // Rows (the hint carried from value to value in a row must not change any text).
    const char *nan_text = (ctl & 1) ? "-9999" : nullptr;
    check_row(d.data(), n64, AAIG_V_F64, AAIG_FMT_SHORTEST, 0, nan_text);
    check_row(f.data(), n32, AAIG_V_F32, AAIG_FMT_SHORTEST, 0, nan_text);
    // printf modes against snprintf in the C locale.
    const int prec = (ctl >> 1) % (AAIG_MAX_PRECISION + 1);
    const aaig_fmt_mode mode = (ctl & 0x80) ? AAIG_FMT_SIGNIFICANT : AAIG_FMT_DECIMALS;
    for (size_t i = 0; i < n64 && i < 8; i++) {
        aaig_format_options opt{AAIG_V_F64, mode, prec, nullptr};
        std::vector<char> out(aaig_format_max_chars(&opt));
        int n = aaig_format_value(d.data(), i, &opt, out.data());
        if (std::isfinite(d[i])) {
            std::vector<char> want(out.size() + 16);
            locale_t old = uselocale(c_locale);
            std::snprintf(want.data(), want.size(), mode == AAIG_FMT_SIGNIFICANT ? "%.*g" : "%.*f",
                          prec, d[i]);
            uselocale(old);
            FUZZ_CHECK(std::string(out.data(), (size_t)n) == want.data(), "mode %d precision %d: '%s' != '%s'",
                       (int)mode, prec, out.data(), want.data());
        }
    }
    check_row(d.data(), n64 < 8 ? n64 : 8, AAIG_V_F64, mode, prec, nan_text);
    // integers
    const size_t ni = size / 8;
    for (size_t i = 0; i < ni; i++) {
        int64_t s64;
        uint64_t u64;
        std::memcpy(&s64, data + i * 8, 8);
        std::memcpy(&u64, data + i * 8, 8);
        int32_t s32 = (int32_t)s64;
        uint32_t u32 = (uint32_t)u64;
        struct { aaig_vtype t; const void *p; } cases[] = {
            {AAIG_V_I32, &s32}, {AAIG_V_U32, &u32}, {AAIG_V_I64, &s64}, {AAIG_V_U64, &u64}};
        for (auto &c : cases) {
            aaig_format_options opt{c.t, AAIG_FMT_SHORTEST, 0, nullptr};
            int n = aaig_format_value(c.p, 0, &opt, buf);
            FUZZ_CHECK(n > 0 && n < 24 && (int)std::strlen(buf) == n, "integer text length %d", n);
            char *end = nullptr;
            if (c.t == AAIG_V_I32 || c.t == AAIG_V_I64) {
                long long v = std::strtoll(buf, &end, 10);
                long long want = c.t == AAIG_V_I32 ? s32 : s64;
                FUZZ_CHECK(v == want && *end == 0, "integer %lld written '%s'", want, buf);
            } else {
                unsigned long long v = std::strtoull(buf, &end, 10);
                unsigned long long want = c.t == AAIG_V_U32 ? u32 : u64;
                FUZZ_CHECK(v == want && *end == 0 && buf[0] != '-', "integer %llu written '%s'", want, buf);
            }
        }
        char b2[32];
        FUZZ_CHECK(aaig_format_i64(s64, b2) == (int)std::strlen(b2), "aaig_format_i64 length");
        FUZZ_CHECK(std::strcmp(b2, std::to_string(s64).c_str()) == 0, "aaig_format_i64 '%s'", b2);
        FUZZ_CHECK(aaig_format_u64(u64, b2) == (int)std::strlen(b2), "aaig_format_u64 length");
        FUZZ_CHECK(std::strcmp(b2, std::to_string(u64).c_str()) == 0, "aaig_format_u64 '%s'", b2);
    }
    return 0;
}
