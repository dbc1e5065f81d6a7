#define _GNU_SOURCE
#include "aaig_format.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aaig_number.h"

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const uint64_t pow10_u64[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL,
                                       10000000000000000000ULL};

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void init_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* snprintf in the C locale whatever the process's LC_NUMERIC (QGIS sets it). */
static int printf_c(char *out, size_t size, const char *fmt, int prec, double v)
{
    pthread_once(&c_locale_once, init_c_locale);
    locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
    int n = snprintf(out, size, fmt, prec, v);
    if (c_locale)
        uselocale(old);
    return n < 0 ? 0 : (n >= (int)size ? (int)size - 1 : n);
}

/* What a reader gets back from text: the correctly rounded double (the number parser). A
 * Float32 candidate must then cast to the value without relying on GDAL's clamp of values
 * beyond FLT_MAX, which other readers do not have. */
static double read_back(const char *text, int len)
{
    double v = 0;
    aaig_parse_double(text, (size_t)len, &v, NULL);
    return v;
}

static int put(char *out, const char *text)
{
    size_t n = strlen(text);
    memcpy(out, text, n + 1);
    return (int)n;
}

static int special(double v, char *out)
{
    /* Never "-nan": GDAL >= 3.8's built-in reads it as 0, silently. The sign of a NaN is
     * lost; every reader reads "nan", "inf" and "-inf". */
    if (isnan(v))
        return put(out, "nan");
    if (isinf(v))
        return put(out, v < 0 ? "-inf" : "inf");
    if (v == 0)
        return put(out, signbit(v) ? "-0" : "0");
    return 0;
}

int aaig_format_u64(uint64_t v, char *out)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

int aaig_format_i64(int64_t v, char *out)
{
    if (v < 0) {
        out[0] = '-';
        return 1 + aaig_format_u64((uint64_t)0 - (uint64_t)v, out + 1);
    }
    return aaig_format_u64((uint64_t)v, out);
}

/* Writes the p digits of N times 10^(e10 - p + 1) in the shorter of positional (1500,
 * 0.0025) and exponent (1.5e+13) notation, positional on a tie. Trailing zeros of N are
 * dropped first. */
static int write_decimal(char *out, int neg, uint64_t N, int p, int e10)
{
    while (p > 1 && N % 10 == 0) {
        N /= 10;
        p--;
    }
    char d[24];
    for (int i = p - 1; i >= 0; i--) {
        d[i] = (char)('0' + N % 10);
        N /= 10;
    }
    const int ae = e10 < 0 ? -e10 : e10;
    const int sci_len = p + (p > 1) + 2 + (ae >= 100 ? 3 : 2);
    const int pos_len = e10 >= p - 1 ? e10 + 1 : e10 >= 0 ? p + 1 : p + 1 - e10;
    int n = 0;
    if (neg)
        out[n++] = '-';
    if (pos_len <= sci_len) {
        if (e10 < 0) {
            out[n++] = '0';
            out[n++] = '.';
            for (int i = 0; i < -e10 - 1; i++)
                out[n++] = '0';
            memcpy(out + n, d, (size_t)p);
            n += p;
        } else if (e10 + 1 >= p) {
            memcpy(out + n, d, (size_t)p);
            n += p;
            for (int i = p; i <= e10; i++)
                out[n++] = '0';
        } else {
            memcpy(out + n, d, (size_t)e10 + 1);
            n += e10 + 1;
            out[n++] = '.';
            memcpy(out + n, d + e10 + 1, (size_t)(p - e10 - 1));
            n += p - e10 - 1;
        }
    } else {
        out[n++] = d[0];
        if (p > 1) {
            out[n++] = '.';
            memcpy(out + n, d + 1, (size_t)p - 1);
            n += p - 1;
        }
        out[n++] = 'e';
        out[n++] = e10 < 0 ? '-' : '+';
        if (ae >= 100)
            out[n++] = (char)('0' + ae / 100);
        out[n++] = (char)('0' + ae / 10 % 10);
        out[n++] = (char)('0' + ae % 10);
    }
    out[n] = '\0';
    return n;
}

/* Digits of the first correctly rounded %.{p-1}e (p from lo to hi) that reads back to v, written
 * by write_decimal: the slow but always right path. */
static int shortest_printf(double v, int lo, int hi, int is_f32, char *out)
{
    char text[40];
    for (int p = lo; p <= hi; p++) {
        int n = printf_c(text, sizeof(text), "%.*e", p - 1, v);
        double back = read_back(text, n);
        if ((is_f32 ? (float)back == (float)v : back == v) || p == hi) {
            /* text is [-]d[.ddd]e[+-]XX */
            uint64_t N = 0;
            const char *c = text + (text[0] == '-');
            for (; *c != 'e'; c++)
                if (*c != '.')
                    N = N * 10 + (uint64_t)(*c - '0');
            return write_decimal(out, text[0] == '-', N, p, atoi(c + 1));
        }
    }
    return 0;
}

/* round(d * 10^s), |s| <= 22: one correctly rounded operation, then to integer. */
static uint64_t scaled_round(double d, int s)
{
    return (uint64_t)nearbyint(s >= 0 ? d * pow10_exact[s] : d / pow10_exact[-s]);
}

/* Does N * 10^-s (N < 2^53, |s| <= 22) read back as f? Clinger: one exact operation gives the
 * correctly rounded double that any reader computes for that text, then the cast. */
static int reads_back(uint64_t N, int s, float f)
{
    double back = s >= 0 ? (double)N / pow10_exact[s] : (double)N * pow10_exact[-s];
    return (float)back == f;
}

/* *hint: the digit count to try first (the previous value's: neighbouring cells of a grid
 * usually need the same), updated. */
static int format_f32(float f, char *out, int *hint)
{
    int n = special(f, out);
    if (n)
        return n;
    const float af = fabsf(f);
    const double d = (double)af;
    /* Decimal exponent: estimated from the binary one, then aligned with the 9-digit rounding
     * of d (9 digits always identify a float). */
    uint32_t bits;
    memcpy(&bits, &af, sizeof(bits));
    const int e2 = (int)(bits >> 23) - 127;
    int e10 = (e2 * 78913) >> 18; /* floor(e2 * log10(2)) */
    for (int tries = 0;; tries++) {
        const int s = 8 - e10;
        /* Candidates are built and checked exactly only while the powers of ten are exact. */
        if (tries == 3 || s > 22 || s < -22 || e10 > 13)
            return shortest_printf(f, 1, 9, 1, out);
        const uint64_t n9 = scaled_round(d, s);
        if (n9 >= 1000000000ULL)
            e10++;
        else if (n9 < 100000000ULL)
            e10--;
        else
            break;
    }
    /* Fewest digits p whose nearest p-digit decimal reads back as f: reading back is
     * monotonic in p, so walk down or up from the hint. */
    int p = *hint < 1 ? 1 : *hint > 9 ? 9 : *hint;
    uint64_t best = scaled_round(d, p - 1 - e10);
    if (best && reads_back(best, p - 1 - e10, af)) {
        while (p > 1) {
            const uint64_t N = scaled_round(d, p - 2 - e10);
            if (!N || !reads_back(N, p - 2 - e10, af))
                break;
            best = N;
            p--;
        }
    } else {
        do {
            if (++p > 9)
                return shortest_printf(f, 1, 9, 1, out);
            best = scaled_round(d, p - 1 - e10);
        } while (!best || !reads_back(best, p - 1 - e10, af));
    }
    *hint = p;
    int best_p = p;
    /* Rounding up can carry into one more digit (9.99 -> 10): N is then exactly 10^p. */
    if (best >= pow10_u64[best_p]) {
        best /= 10;
        e10++;
    }
    return write_decimal(out, f < 0, best, best_p, e10);
}

int aaig_format_f32(float f, char *out)
{
    int hint = 7;
    return format_f32(f, out, &hint);
}

int aaig_format_f64(double v, char *out)
{
    int n = special(v, out);
    if (n)
        return n;
    return shortest_printf(v, 15, 17, 0, out);
}

size_t aaig_format_max_chars(const aaig_format_options *opt)
{
    size_t nan_len = opt->nan_text ? strlen(opt->nan_text) : 4;
    size_t m = 32;
    if (opt->type == AAIG_V_F32 || opt->type == AAIG_V_F64) {
        if (opt->mode == AAIG_FMT_DECIMALS)
            m = 330 + (size_t)opt->precision;
        else if (opt->mode == AAIG_FMT_SIGNIFICANT)
            m = 16 + (size_t)opt->precision;
    }
    return (m > nan_len ? m : nan_len) + 3; /* ".0" and the separator */
}

static int format_value(const void *values, size_t i, const aaig_format_options *opt, char *out,
                        int *hint)
{
    double v;
    switch (opt->type) {
    case AAIG_V_I32: return aaig_format_i64(((const int32_t *)values)[i], out);
    case AAIG_V_U32: return aaig_format_u64(((const uint32_t *)values)[i], out);
    case AAIG_V_I64: return aaig_format_i64(((const int64_t *)values)[i], out);
    case AAIG_V_U64: return aaig_format_u64(((const uint64_t *)values)[i], out);
    case AAIG_V_F32: v = ((const float *)values)[i]; break;
    default: v = ((const double *)values)[i]; break;
    }
    if (isnan(v) && opt->nan_text) {
        size_t n = strlen(opt->nan_text);
        memcpy(out, opt->nan_text, n + 1);
        return (int)n;
    }
    if (!isfinite(v)) /* in every mode: printf would write a negative NaN as "-nan" */
        return special(v, out);
    size_t cap = aaig_format_max_chars(opt);
    switch (opt->mode) {
    case AAIG_FMT_DECIMALS: return printf_c(out, cap, "%.*f", opt->precision, v);
    case AAIG_FMT_SIGNIFICANT: return printf_c(out, cap, "%.*g", opt->precision, v);
    default: break;
    }
    return opt->type == AAIG_V_F32 ? format_f32((float)v, out, hint) : aaig_format_f64(v, out);
}

int aaig_format_value(const void *values, size_t i, const aaig_format_options *opt, char *out)
{
    int hint = 7;
    return format_value(values, i, opt, out, &hint);
}

int aaig_format_is_finite(const void *values, size_t i, aaig_vtype t)
{
    if (t == AAIG_V_F32)
        return isfinite(((const float *)values)[i]);
    if (t == AAIG_V_F64)
        return isfinite(((const double *)values)[i]);
    return 1;
}

size_t aaig_format_row(const void *values, size_t n, const aaig_format_options *opt,
                       int *need_dot, char *out)
{
    char *o = out;
    int hint = 7;
    for (size_t i = 0; i < n; i++) {
        int len = format_value(values, i, opt, o, &hint);
        /* Only the first finite value counts: NaN cells written as the nodata value must not
         * decide, or the result would depend on how rows are split between threads. */
        if (*need_dot && aaig_format_is_finite(values, i, opt->type)) {
            if (!memchr(o, '.', (size_t)len) && !memchr(o, 'e', (size_t)len) &&
                !memchr(o, 'E', (size_t)len)) {
                memcpy(o + len, ".0", 2);
                len += 2;
            }
            *need_dot = 0;
        }
        o += len;
        *o++ = i + 1 < n ? ' ' : '\n';
    }
    if (n == 0)
        *o++ = '\n';
    return (size_t)(o - out);
}
