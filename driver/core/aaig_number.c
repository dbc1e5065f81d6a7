/* Numbers: an exact fast path for short decimals (Clinger), strtod_l in the C locale for the
 * rest, so every result is the correctly rounded double that GDAL's CPLAtofM returns. */
#define _GNU_SOURCE
#include "aaig_number.h"
#include "aaig_arch.h"
#include "aaig_scan.h"

#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

#define WS AAIG_C_WS
#define DG AAIG_C_DIGIT
#define FL AAIG_C_FLOAT
/* Whitespace is what C's isspace() accepts in the C locale, as the built-in tokenizer uses. */
const unsigned char aaig_char_class[256] = {
    ['\t'] = WS, ['\n'] = WS, ['\v'] = WS, ['\f'] = WS, ['\r'] = WS, [' '] = WS,
    ['0'] = DG, ['1'] = DG, ['2'] = DG, ['3'] = DG, ['4'] = DG,
    ['5'] = DG, ['6'] = DG, ['7'] = DG, ['8'] = DG, ['9'] = DG,
    /* Any of these in the data makes an auto-detected grid floating point: the built-in's
     * four, plus n/N, present in every spelling of nan, inf, infinity and null. */
    ['.'] = FL, [','] = FL, ['e'] = FL, ['E'] = FL, ['n'] = FL, ['N'] = FL,
};

size_t aaig_type_size(aaig_type t) { return t == AAIG_FLOAT64 ? 8 : 4; }

static inline int is_digit(unsigned char c) { return aaig_char_class[c] & DG; }
static inline int is_ws(unsigned char c) { return aaig_char_class[c] & WS; }

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#include "aaig_pow5_table.h"

/* The 128-bit product a * b: returns the high 64 bits, *lo the low. */
static inline uint64_t mul_64x64(uint64_t a, uint64_t b, uint64_t *lo)
{
#ifdef AAIG_HAVE_INT128
    const unsigned __int128 p = (unsigned __int128)a * b;
    *lo = (uint64_t)p;
    return (uint64_t)(p >> 64);
#else
    /* Four 32 x 32 -> 64-bit products; no partial sum overflows 64 bits. */
    const uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

static inline uint64_t mul_hi64(uint64_t a, uint64_t b)
{
    uint64_t lo;
    return mul_64x64(a, b, &lo);
}

/* Eisel-Lemire: w * 10^q (w != 0, exact) correctly rounded to a double, from a 128-bit
 * truncated product with 5^q. Returns 0 in the rare cases it cannot decide cheaply (and for
 * subnormals and overflow): the caller then uses strtod. */
static int eisel_lemire(uint64_t w, int q, double *out)
{
    if (w == 0 || q < AAIG_POW5_MIN || q > AAIG_POW5_MAX)
        return 0;
    const int lz = __builtin_clzll(w);
    w <<= lz;
    const uint64_t *t = aaig_pow5_128[q - AAIG_POW5_MIN];
    uint64_t lo;
    uint64_t hi = mul_64x64(w, t[0], &lo);
    if ((hi & 0x1FF) == 0x1FF) { /* the low bits matter: refine with the next 64 bits */
        uint64_t hi2 = mul_hi64(w, t[1]);
        lo += hi2;
        if (lo < hi2)
            hi++;
        if (lo == UINT64_MAX && (q < -27 || q > 55))
            return 0;
    }
    const int upper = (int)(hi >> 63);
    uint64_t mant = hi >> (upper + 9);
    /* floor(q * log2(10)) + 63, in fixed point */
    int power2 = ((217706 * q) >> 16) + 63 + upper - lz + 1023;
    if (power2 <= 0)
        return 0;
    /* Exactly halfway between two doubles: round to even. */
    if (lo <= 1 && q >= -4 && q <= 23 && (mant & 3) == 1 && (mant << (upper + 9)) == hi)
        mant &= ~(uint64_t)1;
    mant += mant & 1;
    mant >>= 1;
    if (mant >= (2ULL << 52)) {
        mant = 1ULL << 52;
        power2++;
    }
    if (power2 >= 0x7FF)
        return 0;
    uint64_t bits = (mant & ~(1ULL << 52)) | ((uint64_t)power2 << 52);
    memcpy(out, &bits, sizeof(bits));
    return 1;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void init_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* Correctly rounded conversion of an already validated decimal token of length len. */
static int slow_decimal(const char *p, size_t len, double *out)
{
    char buf[AAIG_MAX_TOKEN + 1];
    if (len > AAIG_MAX_TOKEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        buf[i] = p[i] == ',' ? '.' : p[i];
    buf[len] = '\0';
    pthread_once(&c_locale_once, init_c_locale);
    char *end = NULL;
    *out = c_locale ? strtod_l(buf, &end, c_locale) : strtod(buf, &end);
    return end == buf + len;
}

static int match_word(const char *p, const char *lower_word)
{
    size_t i = 0;
    for (; lower_word[i]; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)lower_word[i])
            return 0;
    }
    return is_ws((unsigned char)p[i]);
}

static size_t token_len(const char *p)
{
    size_t n = 0;
    while (!is_ws((unsigned char)p[n]))
        n++;
    return n;
}

/* nan / inf / infinity (any case, any sign), null (exact, as the built-in compares it), and
 * the old MSVC spellings that CPLStrtod recognises as whole strings. s points after the sign. */
static const char *parse_special(const char *start, const char *s, int neg, double *out,
                                 int *is_null)
{
    static const struct { const char *text; double value; } msvc[] = {
        {"1.#INF", HUGE_VAL}, {"-1.#INF", -HUGE_VAL}, {"1.#QNAN", NAN},
        {"-1.#QNAN", NAN},    {"1.#SNAN", NAN},       {"-1.#IND", NAN},
    };
    if (*s == '#') {
        size_t len = token_len(start);
        for (size_t i = 0; i < sizeof(msvc) / sizeof(msvc[0]); i++) {
            if (strlen(msvc[i].text) == len && memcmp(msvc[i].text, start, len) == 0) {
                *out = msvc[i].value;
                return start + len;
            }
        }
        return NULL;
    }
    if (match_word(s, "infinity")) { *out = neg ? -HUGE_VAL : HUGE_VAL; return s + 8; }
    if (match_word(s, "inf")) { *out = neg ? -HUGE_VAL : HUGE_VAL; return s + 3; }
    if (match_word(s, "nan")) { *out = neg ? -NAN : NAN; return s + 3; }
    /* Compared byte by byte: the token may be shorter than 4 bytes before its whitespace. */
    if (s == start && s[0] == 'n' && s[1] == 'u' && s[2] == 'l' && s[3] == 'l' &&
        is_ws((unsigned char)s[4])) {
        if (is_null)
            *is_null = 1;
        *out = -HUGE_VAL;
        return s + 4;
    }
    return NULL;
}

const char *aaig_parse_double_ws(const char *p, double *out, int *is_null)
{
    const char *s = p;
    int neg = 0;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    uint64_t m = 0;
    int exp10 = 0, ndigits = 0, slow = 0, separator = 0;
    while (is_digit((unsigned char)*s)) {
        /* Below 1e18 another digit cannot overflow 64 bits. */
        if (m < 1000000000000000000ULL)
            m = m * 10 + (unsigned)(*s - '0');
        else
            slow = 1;
        ndigits++;
        s++;
    }
    if (*s == '.' || *s == ',') {
        s++;
        separator = 1;
        while (is_digit((unsigned char)*s)) {
            if (m < 1000000000000000000ULL) {
                m = m * 10 + (unsigned)(*s - '0');
                exp10--;
            } else {
                slow = 1;
            }
            ndigits++;
            s++;
        }
    }
    if (ndigits == 0) /* nan, inf, null; but not ".nan" */
        return separator ? NULL : parse_special(p, s, neg, out, is_null);
    if (*s == '#') /* 1.#INF and friends */
        return parse_special(p, s, neg, out, is_null);
    if (*s == 'e' || *s == 'E') {
        s++;
        int eneg = 0, e = 0;
        if (*s == '-' || *s == '+') {
            eneg = *s == '-';
            s++;
        }
        if (!is_digit((unsigned char)*s))
            return NULL;
        while (is_digit((unsigned char)*s)) {
            if (e < 100000)
                e = e * 10 + (*s - '0');
            s++;
        }
        exp10 += eneg ? -e : e;
    }
    if (!is_ws((unsigned char)*s) || s - p > AAIG_MAX_TOKEN)
        return NULL;
    if (!slow) {
        if (m == 0) {
            *out = neg ? -0.0 : 0.0;
            return s;
        }
        /* Clinger's fast path: m and 10^|e| are exact doubles, so one IEEE operation gives the
         * correctly rounded result. */
        if (AAIG_EXACT_DOUBLE_OPS && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
            double v = (double)m;
            v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
            *out = neg ? -v : v;
            return s;
        }
        double v;
        if (eisel_lemire(m, exp10, &v)) {
            *out = neg ? -v : v;
            return s;
        }
    }
    if (!slow_decimal(p, (size_t)(s - p), out))
        return NULL;
    return s;
}

aaig_status aaig_parse_double(const char *p, size_t len, double *out, int *is_null)
{
    char buf[AAIG_MAX_TOKEN + 2];
    if (is_null)
        *is_null = 0;
    if (len == 0 || len > AAIG_MAX_TOKEN)
        return AAIG_E_TOKEN;
    memcpy(buf, p, len);
    buf[len] = ' ';
    buf[len + 1] = '\0';
    const char *end = aaig_parse_double_ws(buf, out, is_null);
    return end == buf + len ? AAIG_OK : AAIG_E_TOKEN;
}

static ALWAYS_INLINE float to_float32(double v, int is_null)
{
    if (is_null)
        return -FLT_MAX;
    if (fabs(v) >= FLT_MAX && !isinf(v))
        return (float)copysign(FLT_MAX, v);
    return (float)v;
}

float aaig_to_float32(double v, int is_null) { return to_float32(v, is_null); }

double aaig_to_float64(double v, int is_null) { return is_null ? -DBL_MAX : v; }

aaig_status aaig_to_int32(double v, int is_null, int32_t *out)
{
    /* The comparisons are false for NaN, so NaN is rejected too. */
    if (is_null || !(v > (double)INT32_MIN - 1.0 && v < (double)INT32_MAX + 1.0))
        return AAIG_E_RANGE;
    *out = (int32_t)v;
    return AAIG_OK;
}

/* True when an infinite result came from digits (1e999) rather than a spelled infinity
 * (inf, 1.#INF): the built-in clamps both to FLT_MAX in Float32 grids, we only the first. */
static int is_numeric_literal(const char *p)
{
    p += (*p == '-' || *p == '+');
    return (is_digit((unsigned char)*p) || *p == '.' || *p == ',') &&
           !memchr(p, '#', token_len(p));
}

/* ---- SWAR fast path ------------------------------------------------------------------
 * Most grid values are short: up to 7 integer digits, up to 7 decimals, maybe a 1-3 digit
 * exponent. Eight bytes are classified and converted at once instead of one by one; anything
 * else goes to aaig_parse_double_ws, which defines the semantics. */

static inline uint64_t load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w; /* little-endian hosts: byte 0 is the first character */
}

/* Bit 7 of each byte that is not an ASCII digit. Carries only move toward later bytes and
 * only out of bytes already flagged, so the lowest flag is exact. */
static inline uint64_t nondigit_mask(uint64_t w)
{
    uint64_t t = w ^ 0x3030303030303030ULL;
    return ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
}

/* The value of the first len (1..7) digits of w. */
static inline uint64_t swar_digits(uint64_t w, unsigned len)
{
    uint64_t v = (w ^ 0x3030303030303030ULL) << (8 * (8 - len)); /* leading zero digits */
    v = ((v & 0x0F0F0F0F0F0F0F0FULL) * 2561) >> 8;
    v = ((v & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
    return ((v & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32;
}

#ifdef AAIG_HAVE_SWAR
static const uint64_t pow10_u64[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                       100000000};

/* Length (0..8) of the digit run starting the 8 bytes w. */
static ALWAYS_INLINE unsigned digit_run_length(uint64_t w)
{
    uint64_t nd = nondigit_mask(w);
    return nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
}

/* Appends the digit run at s (w: the 8 bytes at s) to *m, 8 digits a step, while *n (digits
 * so far) stays within 19 so that *m cannot overflow; a longer run stops early at a digit,
 * which the caller sends to the general path. Reads at most 16 bytes past s. */
static ALWAYS_INLINE const char *digit_run(const char *s, uint64_t w, uint64_t *m, unsigned *n)
{
    for (int step = 0; step < 2; step++) {
        if (step)
            w = load64(s);
        unsigned len = digit_run_length(w);
        if (len == 0 || *n + len > 19)
            return s;
        *m = *m * pow10_u64[len] + swar_digits(w, len);
        *n += len;
        s += len;
        if (len < 8)
            return s;
    }
    return s;
}
#endif

/* v negated when neg is 1, without a branch: signs are random in many grids. */
static ALWAYS_INLINE double with_sign(double v, int neg)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits ^= (uint64_t)neg << 63;
    memcpy(&v, &bits, sizeof bits);
    return v;
}

#ifdef AAIG_HAVE_SWAR
/* The common shapes of a token at p, reading at most 48 bytes from p; the result is always
 * finite. Returns NULL for anything else: the general path then decides. */
static ALWAYS_INLINE const char *parse_double_swar(const char *p, double *out)
{
    /* Both words are loaded at once and the sign picks one: the digits do not wait for a
     * load that the sign decided. */
    const uint64_t w0 = load64(p), w1 = load64(p + 1), x0 = load64(p + 8), x1 = load64(p + 9);
    const unsigned char b0 = (unsigned char)w0;
    const int neg = b0 == '-', sign = neg | (b0 == '+');
    const char *s = p + sign;
    const uint64_t w = sign ? w1 : w0, wnext = sign ? x1 : x0; /* s[0..7], s[8..15] */
    uint64_t m = 0;
    unsigned n = 0, nint;
    int exp10;
    const char *q;
    const uint64_t nd = nondigit_mask(w);
    const unsigned ilen = nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
    if (ilen < 8) {
        /* The common case (1234.567, -9999): squeeze the separator out of the 8-byte word
         * so that up to 7 digits of integer and fraction convert in one step; a longer
         * fraction goes on from there. The digits after the separator run to the word's
         * next non-digit, read off the same mask. */
        uint64_t c = w;
        const unsigned char at = (unsigned char)(w >> (8 * ilen)); /* s[ilen], no new load */
        const unsigned sep = at == '.' || at == ',';
        if (sep) {
            const uint64_t low = (1ULL << (8 * ilen)) - 1;
            c = (w & low) | ((w >> 8) & ~low); /* top byte 0: not a digit */
        }
        const uint64_t nd2 = nd & (nd - 1);
        n = !sep ? ilen : nd2 ? ((unsigned)__builtin_ctzll(nd2) >> 3) - 1 : 7;
        if (n)
            m = swar_digits(c, n);
        nint = ilen;
        q = s + n + sep;
        if (sep && is_digit((unsigned char)*q)) { /* more fraction digits */
            const unsigned len2 = digit_run_length(wnext);
            if (q == s + 8 && len2 < 8) {
                /* A mantissa of 8 to 14 digits (printf %.9g writes 9) that ends in the
                 * second word: its digits, and an exponent (e, sign, two digits) that lies
                 * there too, are read from that word without a branch on whether there is an
                 * exponent, which %g output decides at random, and the token's end waits for
                 * no load. Other exponents: general path. */
                m = m * pow10_u64[len2] + swar_digits(wnext, len2);
                n += len2;
                const uint64_t t = wnext >> (8 * len2);
                const unsigned t1 = (unsigned)(t >> 8) & 0xFF;
                const unsigned d2 = ((unsigned)(t >> 16) & 0xFF) - '0';
                const unsigned d3 = ((unsigned)(t >> 24) & 0xFF) - '0';
                /* e2: "e[+-]dd" follows; any other e ends the value early, and the general
                 * path takes the token. */
                const unsigned e2 = ((((unsigned)t & 0xFF) | 0x20) == 'e') &
                                    ((t1 == '+') | (t1 == '-')) & (d2 < 10) & (d3 < 10);
                const int ev = (int)(d2 * 10 + d3);
                exp10 = -(int)(n - nint) + ((int)(0u - e2) & (t1 == '-' ? -ev : ev));
                q += len2 + 4 * e2;
                goto value;
            }
            q = digit_run(q, q == s + 8 ? wnext : load64(q), &m, &n);
        }
    } else {
        q = digit_run(s, w, &m, &n); /* 8 or more integer digits */
        nint = n;
        if (*q == '.' || *q == ',')
            q = digit_run(q + 1, load64(q + 1), &m, &n);
    }
    exp10 = -(int)(n - nint);
    if ((*q | 0x20) == 'e') {
        const char *e = q + 1;
        const int eneg = *e == '-';
        e += eneg || *e == '+';
        int ev = 0, k = 0;
        while (k < 3 && aaig_char_class[(unsigned char)*e] & DG) {
            ev = ev * 10 + (*e++ - '0');
            k++;
        }
        exp10 = k ? exp10 + (eneg ? -ev : ev) : 1000;
        q = e;
    }
value:
    if (n && is_ws((unsigned char)*q)) {
        double v = (double)m;
        if (AAIG_EXACT_DOUBLE_OPS && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
            /* Both operations always run, one of them with 1.0 (exact): no branch on the
             * exponent's sign, which is random in many grids. */
            const int below = exp10 >> 31; /* all ones when negative */
            v = v * pow10_exact[exp10 & ~below] / pow10_exact[-exp10 & below];
            *out = with_sign(v, neg);
            return q;
        }
        if (eisel_lemire(m, exp10, &v)) {
            *out = with_sign(v, neg);
            return q;
        }
    }
    return NULL;
}
#endif

/* ---- typed loops -------------------------------------------------------------------- */

static ALWAYS_INLINE const char *skip_ws(const char *p, const char *end)
{
    while (p < end && is_ws((unsigned char)*p))
        p++;
    return p;
}

/* Fast paths: the common shapes of a token at p, reading at most 48 bytes from p. They return
 * the token's end, or NULL for anything else (the general path then decides). */
#ifdef AAIG_HAVE_SWAR
static ALWAYS_INLINE const char *int32_fast(const char *p, int32_t *out)
{
    const char *s = p;
    int neg = 0;
    if (*s == '-' || *s == '+') { /* rare in integer grids: predicted, not waited for */
        neg = *s == '-';
        s++;
    }
    const uint64_t w = load64(s);
    const unsigned len = digit_run_length(w);
    if (!len || len == 8 || !is_ws((unsigned char)s[len]))
        return NULL;
    int64_t v;
    if (len <= 4) { /* two SWAR steps suffice for four digits */
        uint32_t x = ((uint32_t)w ^ 0x30303030u) << (8 * (4 - len));
        x = ((x & 0x0F0F0F0Fu) * 2561u) >> 8;
        v = (int64_t)(((x & 0x00FF00FFu) * 6553601u) >> 16);
    } else {
        v = (int64_t)swar_digits(w, len);
    }
    *out = (int32_t)(neg ? -v : v);
    return s + len;
}

static ALWAYS_INLINE const char *float32_fast(const char *p, float *out)
{
    double d;
    const char *q = parse_double_swar(p, &d);
    if (q)
        *out = to_float32(d, 0);
    return q;
}

static ALWAYS_INLINE const char *float64_fast(const char *p, double *out)
{
    return parse_double_swar(p, out);
}
#define AAIG_FAST 1
#endif

/* General paths: any token, at p (followed by whitespace somewhere). */
static const char *general_double(const char *p, double *d, int *is_null, aaig_status *st)
{
    *is_null = 0;
    const char *q = aaig_parse_double_ws(p, d, is_null);
    if (!q)
        *st = AAIG_E_TOKEN;
    return q;
}

static const char *int32_general(const char *p, int32_t *out, double null_value,
                                 aaig_status *st)
{
    (void)null_value; /* null is out of Int32's range */
    const char *s = p;
    int neg = 0;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    int64_t v = 0;
    const char *digits = s;
    while (is_digit((unsigned char)*s) && s - digits < 11) {
        v = v * 10 + (*s - '0');
        s++;
    }
    if (s != digits && is_ws((unsigned char)*s)) {
        v = neg ? -v : v;
        if (v < INT32_MIN || v > INT32_MAX) {
            *st = AAIG_E_RANGE;
            return NULL;
        }
        *out = (int32_t)v;
        return s;
    }
    double d;
    int is_null;
    s = general_double(p, &d, &is_null, st);
    if (!s)
        return NULL;
    *st = aaig_to_int32(d, is_null, out);
    return *st == AAIG_OK ? s : NULL;
}

static const char *float32_general(const char *p, float *out, double null_value,
                                   aaig_status *st)
{
    double d;
    int is_null;
    const char *q = general_double(p, &d, &is_null, st);
    if (q && is_null)
        *out = to_float32(null_value, 0);
    else if (q)
        *out = to_float32(isinf(d) && is_numeric_literal(p) ? copysign(DBL_MAX, d) : d, 0);
    return q;
}

static const char *float64_general(const char *p, double *out, double null_value,
                                   aaig_status *st)
{
    double d;
    int is_null;
    const char *q = general_double(p, &d, &is_null, st);
    if (q)
        *out = is_null ? null_value : d;
    return q;
}

double aaig_null_default(aaig_type type) { return type == AAIG_FLOAT32 ? -FLT_MAX : -DBL_MAX; }

/* Bytes a 64-byte block needs after it: the fast paths read 48 bytes from a token start. */
#define BLOCK_ZONE 128

/* Far from the region's end, 64-byte blocks: the token starts come from a whitespace mask, so
 * no token waits for the previous one to be parsed, and the processor overlaps them. A token
 * the fast path refuses, one that does not end within its block and the region's last bytes
 * go through the general path, one token at a time. p is always at a token start or at
 * whitespace. */
#ifdef AAIG_FAST
#define PARSE_BLOCKS(FAST)                                                                   \
    while (n < max_values && end - p >= BLOCK_ZONE) {                                        \
        const uint64_t ws = aaig_ws_mask64(p);                                               \
        uint64_t starts = ~ws & ((ws << 1) | 1);                                             \
        const char *stop = p + 64; /* the block's complete tokens end before this */         \
        if (starts) {                                                                        \
            const unsigned lastpos = 63 - (unsigned)__builtin_clzll(starts);                 \
            if (!(ws >> lastpos)) { /* the last token goes on past the block */              \
                starts ^= 1ULL << lastpos;                                                   \
                stop = p + lastpos;                                                          \
            }                                                                                \
        }                                                                                    \
        for (; starts && n < max_values; starts &= starts - 1) {                             \
            const char *q = FAST(p + __builtin_ctzll(starts), &o[n]);                        \
            if (!q)                                                                          \
                break;                                                                       \
            last = q;                                                                        \
            n++;                                                                             \
        }                                                                                    \
        if (starts) {                                                                        \
            p += __builtin_ctzll(starts);                                                    \
            break;                                                                           \
        }                                                                                    \
        if (stop == p) /* one token longer than the block */                                 \
            break;                                                                           \
        p = stop;                                                                            \
    }

/* One token after the other: each starts one byte after the previous one's end unless that
 * byte is whitespace too. */
#define PARSE_TOKENS(FAST)                                                                   \
    while (n < max_values && end - p >= BLOCK_ZONE && !is_ws((unsigned char)*p)) {           \
        const char *q = FAST(p, &o[n]);                                                      \
        if (!q)                                                                              \
            break;                                                                           \
        last = q;                                                                            \
        n++;                                                                                 \
        p = q + 1;                                                                           \
    }
#else
#define PARSE_BLOCKS(FAST)
#define PARSE_TOKENS(FAST)
#endif

#define PARSE_LOOP(CTYPE, FAST_LOOP, FAST, GENERAL)                                          \
    do {                                                                                     \
        CTYPE *o = (CTYPE *)out;                                                             \
        for (;;) {                                                                           \
            FAST_LOOP(FAST)                                                                  \
            if (n == max_values)                                                             \
                break;                                                                       \
            p = skip_ws(p, end);                                                             \
            if (p == end)                                                                    \
                break;                                                                       \
            const char *q = GENERAL(p, &o[n], null_value, status);                           \
            if (q && (size_t)(q - p) > AAIG_MAX_TOKEN) {                                     \
                *status = AAIG_E_TOO_LONG;                                                   \
                q = NULL;                                                                    \
            }                                                                                \
            if (!q) {                                                                        \
                *bad = p;                                                                    \
                break;                                                                       \
            }                                                                                \
            last = q;                                                                        \
            n++;                                                                             \
            p = q + 1; /* q is whitespace */                                                 \
        }                                                                                    \
    } while (0)

size_t aaig_parse_values(const char *p, const char *end, size_t max_values, aaig_type type,
                         void *out, const char **next, aaig_status *status, const char **bad,
                         double null_value)
{
    size_t n = 0;
    const char *last = p;
    *status = AAIG_OK;
    *bad = NULL;
    switch (type) {
    case AAIG_INT32:
        PARSE_LOOP(int32_t, PARSE_BLOCKS, int32_fast, int32_general);
        break;
    case AAIG_FLOAT32:
        PARSE_LOOP(float, PARSE_TOKENS, float32_fast, float32_general);
        break;
    case AAIG_FLOAT64:
        PARSE_LOOP(double, PARSE_TOKENS, float64_fast, float64_general);
        break;
    }
    /* Just past the last value when the count is reached, else where parsing stopped. */
    *next = n == max_values && n ? last : p;
    return n;
}
