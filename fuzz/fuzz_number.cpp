// Fuzz harness (b): the number parser, differential against glibc's strtod_l in the C locale.
//
// The reference is written from aaig_number.h's documented grammar, independently of the
// parser's code:
//   [+-] digits [ (.|,) digits ] [ (e|E) [+-] digits ]   (at least one mantissa digit)
//   [+-] nan | inf | infinity   (any case)
//   1.#INF -1.#INF 1.#QNAN -1.#QNAN 1.#SNAN -1.#IND   (whole token, exactly)
//   null  (lower case, unsigned; *is_null set, value -HUGE_VAL)
// at most AAIG_MAX_TOKEN bytes. A numeric token's value is strtod_l's (C locale) of the token
// with ',' replaced by '.': both must consume the whole token and agree bit for bit. Spelled
// specials take their documented values. Where strtod accepts more (hex floats, nan(...),
// leading blanks) the grammar decides: the parser must refuse.
//
// Then the same tokens, whitespace separated, through aaig_parse_values for Int32, Float32 and
// Float64 (the SWAR fast paths run when 128 bytes follow a token, so the buffer is padded):
// every value, the count and the status must follow from the scalar parse and the documented
// band-type casts.
#include <cfloat>
#include <climits>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <locale.h>
#include <string>
#include <strings.h>
#include <vector>

#include "aaig_number.h"
#include "fuzz_common.h"

namespace {

locale_t c_locale;

enum Kind { K_BAD, K_NUM, K_NAN, K_INF, K_NULL, K_MSVC };

struct Ref {
    Kind kind = K_BAD;
    double value = 0;
    bool is_null = false;
    bool numeric_literal = false; // value came from digits (1e999), not a spelled infinity
};

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

Ref reference(const char *t, size_t n)
{
    Ref r;
    if (n == 0 || n > AAIG_MAX_TOKEN)
        return r;
    static const struct { const char *text; double value; } msvc[] = {
        {"1.#INF", HUGE_VAL}, {"-1.#INF", -HUGE_VAL}, {"1.#QNAN", NAN},
        {"-1.#QNAN", NAN},    {"1.#SNAN", NAN},       {"-1.#IND", NAN},
    };
    for (const auto &m : msvc) {
        if (std::strlen(m.text) == n && std::memcmp(m.text, t, n) == 0) {
            r.kind = K_MSVC;
            r.value = m.value;
            return r;
        }
    }
    if (n == 4 && std::memcmp(t, "null", 4) == 0) {
        r.kind = K_NULL;
        r.value = -HUGE_VAL;
        r.is_null = true;
        return r;
    }
    size_t i = 0;
    bool neg = false;
    if (t[0] == '+' || t[0] == '-') {
        neg = t[0] == '-';
        i = 1;
    }
    const size_t rest = n - i;
    auto word = [&](const char *w) {
        return rest == std::strlen(w) && strncasecmp(t + i, w, rest) == 0;
    };
    if (word("nan")) {
        r.kind = K_NAN;
        r.value = neg ? -NAN : NAN;
        return r;
    }
    if (word("inf") || word("infinity")) {
        r.kind = K_INF;
        r.value = neg ? -HUGE_VAL : HUGE_VAL;
        return r;
    }
    size_t digits = 0;
    while (i < n && is_digit((unsigned char)t[i])) { i++; digits++; }
    if (i < n && (t[i] == '.' || t[i] == ',')) {
        i++;
        while (i < n && is_digit((unsigned char)t[i])) { i++; digits++; }
    }
    if (digits == 0)
        return r;
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && is_digit((unsigned char)t[i])) { i++; ed++; }
        if (ed == 0)
            return r;
    }
    if (i != n)
        return r;
    std::string s(t, n);
    for (char &c : s)
        if (c == ',')
            c = '.';
    char *end = nullptr;
    double v = strtod_l(s.c_str(), &end, c_locale);
    FUZZ_CHECK(end == s.c_str() + n, "strtod_l stopped early on grammatical '%s'", s.c_str());
    r.kind = K_NUM;
    r.value = v;
    r.numeric_literal = true;
    return r;
}

bool same(double a, double b) { return bits_of(a) == bits_of(b); }

std::string show(const char *t, size_t n)
{
    std::string s;
    for (size_t i = 0; i < n && i < 200; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c >= 32 && c < 127) {
            s += (char)c;
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            s += hex;
        }
    }
    return s;
}

// The scalar parse against the reference; returns the reference.
Ref check_scalar(const char *t, size_t n)
{
    Ref ref = reference(t, n);
    double v = 12345;
    int is_null = 7;
    aaig_status st = aaig_parse_double(t, n, &v, &is_null);
    if (ref.kind == K_BAD) {
        // What strtod says about it, for the report only.
        FUZZ_CHECK(st != AAIG_OK, "parser accepts '%s' (= %.17g), outside the documented grammar",
                   show(t, n).c_str(), v);
        return ref;
    }
    FUZZ_CHECK(st == AAIG_OK, "parser refuses '%s', reference %.17g", show(t, n).c_str(), ref.value);
    FUZZ_CHECK(is_null == (int)ref.is_null, "'%s': is_null %d", show(t, n).c_str(), is_null);
    if (ref.kind == K_NAN || (ref.kind == K_MSVC && std::isnan(ref.value)))
        FUZZ_CHECK(std::isnan(v) && (ref.kind == K_MSVC || std::signbit(v) == std::signbit(ref.value)),
                   "'%s': %.17g (bits %016llx), expected NaN of the token's sign", show(t, n).c_str(), v,
                   (unsigned long long)bits_of(v));
    else
        FUZZ_CHECK(same(v, ref.value), "'%s': parser %.17g (%016llx), strtod_l %.17g (%016llx)",
                   show(t, n).c_str(), v, (unsigned long long)bits_of(v), ref.value,
                   (unsigned long long)bits_of(ref.value));
    // The ws-terminated entry point agrees.
    std::string buf(t, n);
    buf += " ";
    double w = 0;
    int wn = 0;
    const char *end = aaig_parse_double_ws(buf.c_str(), &w, &wn);
    FUZZ_CHECK(end == buf.c_str() + n, "aaig_parse_double_ws end differs on '%s'", show(t, n).c_str());
    FUZZ_CHECK(same(w, v) || (std::isnan(w) && std::isnan(v)), "aaig_parse_double_ws value differs");
    return ref;
}

// Expected band values from the reference, by the documented casts.
aaig_status expect_int32(const Ref &r, int32_t *out)
{
    if (r.kind == K_BAD)
        return AAIG_E_TOKEN;
    double v = r.value;
    if (r.is_null || !std::isfinite(v))
        return AAIG_E_RANGE;
    double tv = std::trunc(v);
    if (tv < (double)INT32_MIN || tv > (double)INT32_MAX)
        return AAIG_E_RANGE;
    *out = (int32_t)tv;
    return AAIG_OK;
}

float expect_float32(const Ref &r)
{
    if (r.is_null)
        return -FLT_MAX;
    double v = r.value;
    if (std::isinf(v) && r.numeric_literal) // digits that overflow double clamp like the built-in
        return std::signbit(v) ? -FLT_MAX : FLT_MAX;
    if (std::isfinite(v) && std::fabs(v) >= FLT_MAX)
        return std::signbit(v) ? -FLT_MAX : FLT_MAX;
    return (float)v;
}

double expect_float64(const Ref &r) { return r.is_null ? -DBL_MAX : r.value; }

bool is_ws(unsigned char c) { return aaig_is_ws(c); }

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    // 1. The whole input as one token (exact-size copy: over-reads are caught).
    {
        std::vector<char> tok(data, data + size);
        check_scalar(tok.data(), tok.size());
    }

    // 2. The input as whitespace-separated tokens.
    std::vector<std::pair<size_t, size_t>> toks;
    for (size_t i = 0; i < size;) {
        while (i < size && is_ws(data[i]))
            i++;
        size_t s = i;
        while (i < size && !is_ws(data[i]))
            i++;
        if (i > s)
            toks.emplace_back(s, i - s);
    }
    if (toks.empty())
        return 0;
    std::vector<Ref> refs;
    refs.reserve(toks.size());
    for (auto &t : toks) {
        std::vector<char> tok(data + t.first, data + t.first + t.second);
        refs.push_back(check_scalar(tok.data(), tok.size()));
    }
    // Padded so that every token is followed by the 128 bytes the fast paths want.
    std::vector<char> buf(data, data + size);
    buf.insert(buf.end(), 160, ' ');
    const char *p = buf.data(), *end = buf.data() + buf.size();
    for (int type = 0; type < 3; type++) {
        std::vector<unsigned char> out(toks.size() * 8);
        const char *next = nullptr, *bad = nullptr;
        aaig_status st = AAIG_OK;
        size_t n = aaig_parse_values(p, end, toks.size(), (aaig_type)type, out.data(), &next, &st, &bad,
                                     aaig_null_default((aaig_type)type));
        // Expected: values up to the first token that does not convert.
        size_t k = 0;
        aaig_status want = AAIG_OK;
        for (; k < toks.size(); k++) {
            const Ref &r = refs[k];
            const char *t = buf.data() + toks[k].first;
            if (r.kind == K_BAD) {
                want = AAIG_E_TOKEN;
                break;
            }
            if (type == AAIG_INT32) {
                int32_t e = 0;
                want = expect_int32(r, &e);
                if (want != AAIG_OK)
                    break;
                int32_t got;
                std::memcpy(&got, out.data() + k * 4, 4);
                if (k < n)
                    FUZZ_CHECK(got == e, "Int32 value %zu '%s': %d, expected %d", k,
                               show(t, toks[k].second).c_str(), got, e);
            } else if (type == AAIG_FLOAT32) {
                float e = expect_float32(r), got;
                std::memcpy(&got, out.data() + k * 4, 4);
                if (k < n)
                    FUZZ_CHECK(bits_of(got) == bits_of(e) || (std::isnan(got) && std::isnan(e)),
                               "Float32 value %zu '%s': %.9g, expected %.9g", k,
                               show(t, toks[k].second).c_str(), got, e);
            } else {
                double e = expect_float64(r), got;
                std::memcpy(&got, out.data() + k * 8, 8);
                if (k < n)
                    FUZZ_CHECK(bits_of(got) == bits_of(e) || (std::isnan(got) && std::isnan(e)),
                               "Float64 value %zu '%s': %.17g, expected %.17g", k,
                               show(t, toks[k].second).c_str(), got, e);
            }
        }
        FUZZ_CHECK(n == k, "type %d: %zu values parsed, expected %zu (status %d, expected %d)",
                   type, n, k, (int)st, (int)want);
        if (k == toks.size()) {
            FUZZ_CHECK(st == AAIG_OK, "type %d: status %d on good tokens", type, (int)st);
            const char *last_end = buf.data() + toks.back().first + toks.back().second;
            FUZZ_CHECK(next == last_end, "type %d: next at %td, expected %td", type,
                       next - buf.data(), last_end - buf.data());
        } else {
            const bool too_long = toks[k].second > AAIG_MAX_TOKEN;
            FUZZ_CHECK(st == want || (too_long && (st == AAIG_E_TOKEN || st == AAIG_E_TOO_LONG)),
                       "type %d: token %zu '%s': status %d, expected %d", type, k,
                       show(buf.data() + toks[k].first, toks[k].second).c_str(), (int)st, (int)want);
            FUZZ_CHECK(bad == buf.data() + toks[k].first, "type %d: bad token at %td, expected %zu",
                       type, bad ? bad - buf.data() : -1, toks[k].first);
        }
    }
    return 0;
}
