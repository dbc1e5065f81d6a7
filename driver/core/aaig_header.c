#include "aaig_header.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aaig_number.h"

enum { K_NCOLS, K_NROWS, K_XLLCORNER, K_YLLCORNER, K_XLLCENTER, K_YLLCENTER, K_CELLSIZE,
       K_DX, K_DY, K_NODATA, K_COUNT };
static const char *const key_names[K_COUNT] = {
    "ncols", "nrows", "xllcorner", "yllcorner", "xllcenter", "yllcenter",
    "cellsize", "dx", "dy", "NODATA_value"};
#define KEY_LIST "ncols, nrows, xllcorner, yllcorner, xllcenter, yllcenter, cellsize, dx, dy, NODATA_value"

static int is_ws(unsigned char c) { return aaig_is_ws(c); }
static int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static size_t skip_bom(const unsigned char *b, size_t len)
{
    return len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0;
}

static int find_key(const char *tok, size_t len)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strlen(key_names[k]) == len && strncasecmp(tok, key_names[k], len) == 0)
            return k;
    return -1;
}

void aaig_line_column(const char *buf, size_t len, size_t offset, uint64_t *line,
                      uint64_t *column)
{
    uint64_t l = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; i++) {
        /* CR, LF and CRLF each end a line */
        if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
            l++;
            line_start = i + 1;
        }
    }
    *line = l;
    *column = offset - line_start + 1;
}

aaig_identify_result aaig_identify(const unsigned char *buf, size_t len, int at_eof)
{
    if (len >= 4 && ((buf[0] == 0xFF && buf[1] == 0xFE) || (buf[0] == 0xFE && buf[1] == 0xFF))) {
        /* Take the ASCII half of each UTF-16 unit and look for a keyword, after any comment
         * lines that fit. The ASCII text is complete when the input is, or when it stops at a
         * unit that is not ASCII or fills the buffer: then decide on it. */
        char ascii[8192];
        size_t n = 0, i = 2, lo = buf[0] == 0xFF ? 0 : 1;
        for (; i + 1 < len && n < sizeof(ascii) - 1; i += 2) {
            if (buf[i + 1 - lo] != 0)
                break;
            ascii[n++] = (char)buf[i + lo];
        }
        ascii[n] = '\0';
        const int complete = at_eof || i + 1 < len;
        switch (aaig_identify((const unsigned char *)ascii, n, complete)) {
        case AAIG_ID_YES: return AAIG_ID_UTF16;
        case AAIG_ID_MORE: return AAIG_ID_MORE;
        default: return AAIG_ID_NO;
        }
    }
    size_t i = skip_bom(buf, len);
    for (;;) {
        while (i < len && is_ws(buf[i]))
            i++;
        if (i == len)
            return at_eof ? AAIG_ID_NO : AAIG_ID_MORE;
        if (buf[i] != '#')
            break;
        while (i < len && buf[i] != '\n' && buf[i] != '\r')
            i++;
    }
    size_t start = i;
    while (i < len && !is_ws(buf[i]))
        i++;
    if (i == len && !at_eof) {
        /* The token may continue: decide on what is there if a key cannot be longer. */
        return i - start <= 12 ? AAIG_ID_MORE : AAIG_ID_NO;
    }
    return find_key((const char *)buf + start, i - start) >= 0 ? AAIG_ID_YES : AAIG_ID_NO;
}

/* ---- parser state ----------------------------------------------------------------------- */

typedef struct {
    const char *buf;
    size_t len, pos;
    int at_eof;
    aaig_diag *diag;
} lexer;

static aaig_header_result fail(lexer *lx, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->diag->message, sizeof(lx->diag->message), fmt, ap);
    va_end(ap);
    lx->diag->offset = at;
    aaig_line_column(lx->buf, lx->len, at, &lx->diag->line, &lx->diag->column);
    return AAIG_HDR_ERROR;
}

/* Next token, skipping whitespace and '#' comments. 1: found; 0: buffer ends first. */
static int next_token(lexer *lx, size_t *start, size_t *len, int skip_comments)
{
    size_t i = lx->pos;
    for (;;) {
        while (i < lx->len && is_ws((unsigned char)lx->buf[i]))
            i++;
        if (i < lx->len && skip_comments && lx->buf[i] == '#') {
            while (i < lx->len && lx->buf[i] != '\n' && lx->buf[i] != '\r')
                i++;
            if (i == lx->len && !lx->at_eof)
                return 0;
            continue;
        }
        break;
    }
    size_t s = i;
    while (i < lx->len && !is_ws((unsigned char)lx->buf[i]))
        i++;
    if (s == i || (i == lx->len && !lx->at_eof))
        return 0;
    *start = s;
    *len = i - s;
    lx->pos = i;
    return 1;
}

static void show(char *dst, size_t cap, const char *tok, size_t len)
{
    size_t n = len < cap - 4 ? len : cap - 4;
    for (size_t i = 0; i < n; i++)
        dst[i] = (tok[i] >= 32 && tok[i] < 127) ? tok[i] : '?';
    strcpy(dst + n, n < len ? "..." : "");
}

/* Does the token begin the data (a number, or nan/inf/null)? */
static int is_value_token(const char *t, size_t len)
{
    double v;
    if (aaig_parse_double(t, len, &v, NULL) == AAIG_OK)
        return 1;
    /* Malformed numbers (12abc, --5, *) are data too: the parse reports them. */
    return !is_alpha((unsigned char)t[0]);
}

static aaig_header_result parse_count(lexer *lx, const char *key, size_t at, const char *t,
                                      size_t len, uint64_t *out)
{
    char shown[64];
    uint64_t v = 0;
    size_t i = t[0] == '+' ? 1 : 0;
    int ok = i < len;
    for (; i < len && ok; i++) {
        if (t[i] < '0' || t[i] > '9' || v > (uint64_t)INT_MAX)
            ok = 0;
        else
            v = v * 10 + (uint64_t)(t[i] - '0');
    }
    if (!ok || v == 0 || v > (uint64_t)INT_MAX) {
        show(shown, sizeof(shown), t, len);
        return fail(lx, at, "%s: expected a whole number between 1 and %d, found '%s'", key,
                    INT_MAX, shown);
    }
    *out = v;
    return AAIG_HDR_OK;
}

static aaig_header_result parse_real(lexer *lx, const char *key, size_t at, const char *t,
                                     size_t len, int positive, double *out)
{
    char shown[64];
    if (aaig_parse_double(t, len, out, NULL) != AAIG_OK || !isfinite(*out) ||
        (positive && !(*out > 0))) {
        show(shown, sizeof(shown), t, len);
        return fail(lx, at, "%s: expected a %snumber, found '%s'", key,
                    positive ? "positive " : "finite ", shown);
    }
    return AAIG_HDR_OK;
}

/* An unknown word where a keyword belongs (at ts, tl bytes long): its line is ignored, with a
 * warning. NEED_MORE when the line does not end in the buffer. */
static aaig_header_result skip_unknown_key(lexer *lx, size_t ts, size_t tl, aaig_warn_fn warn,
                                           void *warn_ctx)
{
    if (warn) {
        aaig_diag w;
        char shown[64];
        show(shown, sizeof(shown), lx->buf + ts, tl);
        snprintf(w.message, sizeof(w.message),
                 "unknown header keyword '%s' ignored with the rest of its line "
                 "(keywords are " KEY_LIST ")", shown);
        w.offset = ts;
        aaig_line_column(lx->buf, lx->len, ts, &w.line, &w.column);
        warn(warn_ctx, &w);
    }
    while (lx->pos < lx->len && lx->buf[lx->pos] != '\n' && lx->buf[lx->pos] != '\r')
        lx->pos++;
    return lx->pos == lx->len && !lx->at_eof ? AAIG_HDR_NEED_MORE : AAIG_HDR_OK;
}

/* The value of keyword k, vl bytes at vs, into h. */
static aaig_header_result parse_value(lexer *lx, int k, size_t vs, size_t vl, aaig_header *h)
{
    const char *v = lx->buf + vs;
    char shown[64];
    switch (k) {
    case K_NCOLS: return parse_count(lx, "ncols", vs, v, vl, &h->ncols);
    case K_NROWS: return parse_count(lx, "nrows", vs, v, vl, &h->nrows);
    case K_XLLCORNER:
    case K_XLLCENTER:
        h->has_xll = 1;
        h->xll_center = k == K_XLLCENTER;
        return parse_real(lx, key_names[k], vs, v, vl, 0, &h->xll);
    case K_YLLCORNER:
    case K_YLLCENTER:
        h->has_yll = 1;
        h->yll_center = k == K_YLLCENTER;
        return parse_real(lx, key_names[k], vs, v, vl, 0, &h->yll);
    case K_CELLSIZE:
        h->has_cellsize = 1;
        return parse_real(lx, "cellsize", vs, v, vl, 1, &h->cellsize);
    case K_DX: h->has_dx = 1; return parse_real(lx, "dx", vs, v, vl, 1, &h->dx);
    case K_DY: h->has_dy = 1; return parse_real(lx, "dy", vs, v, vl, 1, &h->dy);
    default: /* K_NODATA */
        h->has_nodata = 1;
        h->nodata_has_separator = memchr(v, '.', vl) || memchr(v, ',', vl);
        if (vl == 4 && memcmp(v, "null", 4) == 0) {
            h->nodata_is_null = 1;
        } else if (aaig_parse_double(v, vl, &h->nodata, NULL) != AAIG_OK) {
            show(shown, sizeof(shown), v, vl);
            return fail(lx, vs, "NODATA_value: expected a number, nan, inf or null, found '%s'", shown);
        }
        return AAIG_HDR_OK;
    }
}

/* The header ended at the first value (h->data_offset): does it describe a grid? */
static aaig_header_result check_complete(lexer *lx, const aaig_header *h, const int seen[K_COUNT])
{
    const size_t at = (size_t)h->data_offset;
    size_t first_len = 0;
    char shown[64];
    while (at + first_len < lx->len && !is_ws((unsigned char)lx->buf[at + first_len]))
        first_len++;
    for (size_t i = 0; i < first_len; i++) {
        unsigned char c = (unsigned char)lx->buf[at + i];
        if (c < 0x20 || c == 0x7F)
            return fail(lx, at + i, "expected text, found binary data (byte 0x%02X)", c);
    }
    show(shown, sizeof(shown), lx->buf + at, first_len);
    if (!seen[K_NCOLS] || !seen[K_NROWS])
        return fail(lx, at, "expected the keyword '%s' before the first value, found '%s'",
                    seen[K_NCOLS] ? "nrows" : "ncols", shown);
    if (!seen[K_CELLSIZE] && !(seen[K_DX] && seen[K_DY]))
        return fail(lx, at,
                    "expected 'cellsize' (or both 'dx' and 'dy') before the first value '%s', found %s",
                    shown, seen[K_DX] ? "only 'dx'" : seen[K_DY] ? "only 'dy'" : "neither");
    if (h->has_xll != h->has_yll)
        return fail(lx, at, "expected both x and y of the lower-left point, found only '%s'",
                    key_names[h->has_xll ? (h->xll_center ? K_XLLCENTER : K_XLLCORNER)
                                         : (h->yll_center ? K_YLLCENTER : K_YLLCORNER)]);
    if (h->has_xll && h->xll_center != h->yll_center)
        return fail(lx, at, "expected xllcorner with yllcorner or xllcenter with yllcenter, found '%s' with '%s'",
                    key_names[h->xll_center ? K_XLLCENTER : K_XLLCORNER],
                    key_names[h->yll_center ? K_YLLCENTER : K_YLLCORNER]);
    return AAIG_HDR_OK;
}

aaig_header_result aaig_header_parse(const char *buf, size_t len, int at_eof, aaig_header *h,
                                     aaig_diag *diag, aaig_warn_fn warn, void *warn_ctx)
{
    lexer lx = {buf, len, skip_bom((const unsigned char *)buf, len), at_eof, diag};
    size_t key_at[K_COUNT];
    int seen[K_COUNT] = {0};
    memset(h, 0, sizeof(*h));
    memset(diag, 0, sizeof(*diag));

    for (;;) {
        size_t ts, tl, vs, vl;
        if (!next_token(&lx, &ts, &tl, 1)) {
            if (!at_eof)
                return AAIG_HDR_NEED_MORE;
            return fail(&lx, len, "expected the grid's values after the header, found the end of the file");
        }
        const int k = find_key(buf + ts, tl);
        if (k < 0 && is_value_token(buf + ts, tl)) {
            h->data_offset = ts;
            return check_complete(&lx, h, seen);
        }
        aaig_header_result r = AAIG_HDR_OK;
        if (k < 0) {
            r = skip_unknown_key(&lx, ts, tl, warn, warn_ctx);
        } else if (seen[k]) {
            uint64_t l1, c1;
            aaig_line_column(buf, len, key_at[k], &l1, &c1);
            r = fail(&lx, ts, "keyword '%s' appears twice (first at line %llu); expected each keyword once",
                     key_names[k], (unsigned long long)l1);
        } else if (!next_token(&lx, &vs, &vl, 0)) {
            r = at_eof ? fail(&lx, len, "%s: expected a value, found the end of the file",
                              key_names[k])
                       : AAIG_HDR_NEED_MORE;
        } else {
            seen[k] = 1;
            key_at[k] = ts;
            r = parse_value(&lx, k, vs, vl, h);
        }
        if (r != AAIG_HDR_OK)
            return r;
    }
}

int aaig_header_geotransform(const aaig_header *h, double gt[6])
{
    double cx = h->has_cellsize ? h->cellsize : h->dx;
    double cy = h->has_cellsize ? h->cellsize : h->dy;
    double rows = (double)h->nrows;
    int point = 0;
    gt[0] = 0.0;
    gt[3] = 0.0;
    if (h->has_xll && !h->xll_center) {
        /* The built-in's fix for ccafs-climate grids whose cellsize lacks digits. */
        if (h->ncols % 360 == 0 && fabs(h->xll - (-180.0)) < 1e-12 && cx == cy &&
            fabs(cx - (360.0 / (double)h->ncols)) < 1e-9)
            cx = cy = 360.0 / (double)h->ncols;
        gt[0] = h->xll;
        gt[3] = h->yll + rows * cy;
    } else if (h->has_xll) {
        gt[0] = h->xll - 0.5 * cx;
        gt[3] = h->yll - 0.5 * cy + rows * cy;
        point = 1;
    }
    gt[1] = cx;
    gt[2] = 0.0;
    gt[4] = 0.0;
    gt[5] = -cy;
    return point;
}

static double nodata_as_float(double v)
{
    if (isinf(v) || isnan(v))
        return v;
    if (v >= FLT_MAX)
        return FLT_MAX;
    if (v <= -FLT_MAX)
        return -FLT_MAX;
    return (double)(float)v;
}

aaig_type aaig_header_band_type(const aaig_header *h, int forced, int *scan_data, double *nodata)
{
    *scan_data = 0;
    if (h->has_nodata && h->nodata_is_null) {
        int f32 = forced < 0 || forced == AAIG_FLOAT32;
        *nodata = f32 ? -FLT_MAX : -DBL_MAX;
        return f32 ? AAIG_FLOAT32 : AAIG_FLOAT64;
    }
    aaig_type t = forced >= 0 ? (aaig_type)forced : AAIG_INT32;
    double nd = h->has_nodata ? h->nodata : 0.0;
    if (forced < 0 && h->has_nodata &&
        (h->nodata_has_separator || nd < (double)INT_MIN || nd > (double)INT_MAX || isnan(nd))) {
        t = AAIG_FLOAT32;
        /* The built-in's rule, which also sends 0.0 to Float64 (|0| < FLT_MIN). */
        if (!isinf(nd) && (fabs(nd) < FLT_MIN || fabs(nd) > FLT_MAX))
            t = AAIG_FLOAT64;
    }
    if (t == AAIG_FLOAT32)
        nd = nodata_as_float(nd);
    *scan_data = forced < 0 && t == AAIG_INT32;
    *nodata = nd;
    return t;
}
