#include "aaig_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aaig_alloc.h"
#include "aaig_number.h"
#include "aaig_pool.h"
#include "aaig_scan.h"

#define DEFAULT_CHUNK (4u << 20)
#define DEFAULT_PARALLEL_MIN (512u << 10)
#define MIN_READ (2 * AAIG_MAX_TOKEN + 2)
#define MAX_INDEX 65536
#define UNKNOWN UINT64_MAX

/* A read of file bytes [off, off + want) into dst, in parts of `part` bytes, each read by one
 * task: got[i] is what part i's pread returned. */
typedef struct {
    const aaig_io *io;
    char *dst;
    uint64_t off;
    size_t want, part;
    unsigned nparts;
    int64_t got[AAIG_MAX_THREADS];
} read_job;

struct aaig_reader {
    aaig_io io;
    aaig_reader_config cfg;
    uint64_t total; /* ncols * nrows */
    /* The window: buf holds file bytes [win_off, win_off + win_len), plus room for one
     * sentinel byte; win_eof: the file ends at the window's end. */
    char *buf;
    size_t cap;
    uint64_t win_off;
    size_t win_len;
    int win_eof;
    /* Type detection reads ahead (read_ahead): buf and cap are then one half of mem, and the
     * next window is read into the other half while this one is scanned. */
    char *mem;
    size_t mem_cap;
    int detecting;
    read_job ahead; /* the read in flight, when ahead_job is */
    aaig_pool_job *ahead_job;
    int reading_ahead;
    /* Row index: idx[k] is an offset where row k*stride starts (only whitespace before its
     * first value), or UNKNOWN. */
    uint64_t *idx;
    uint64_t stride, nidx, ckpt_tokens;
    /* Where the last read ended, for sequential access when stride > 1. */
    uint64_t cur_tok, cur_off;
    double bytes_per_value;
};

/* A position between tokens: `tok` values lie before file offset `off`. */
typedef struct {
    uint64_t tok, off;
} walk_pos;

typedef enum { WALK_SKIP, WALK_DETECT, WALK_PARSE } walk_mode;

aaig_reader *aaig_reader_new(const aaig_io *io, const aaig_reader_config *cfg)
{
    aaig_reader *r = aaig_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->io = *io;
    r->cfg = *cfg;
    r->cfg.nthreads = aaig_clamp_threads(cfg->nthreads);
    if (!r->cfg.chunk_size)
        r->cfg.chunk_size = DEFAULT_CHUNK;
    if (!r->cfg.parallel_min)
        r->cfg.parallel_min = DEFAULT_PARALLEL_MIN;
    r->cap = r->cfg.chunk_size < MIN_READ ? MIN_READ : r->cfg.chunk_size;
    r->total = cfg->ncols * cfg->nrows;
    r->stride = (cfg->nrows + MAX_INDEX - 1) / MAX_INDEX;
    if (r->stride == 0)
        r->stride = 1;
    r->nidx = cfg->nrows / r->stride + 1;
    r->ckpt_tokens = r->stride * cfg->ncols;
    r->mem = r->buf = aaig_malloc(r->cap + 1);
    r->mem_cap = r->cap;
    r->idx = aaig_malloc((size_t)r->nidx * sizeof(uint64_t)); /* nidx <= MAX_INDEX + 1 */
    if (!r->buf || !r->idx) {
        aaig_reader_free(r);
        return NULL;
    }
    for (uint64_t k = 0; k < r->nidx; k++)
        r->idx[k] = UNKNOWN;
    r->idx[0] = cfg->data_offset;
    r->cur_off = cfg->data_offset;
    r->win_off = UNKNOWN;
    r->bytes_per_value = 8.0;
    return r;
}

void aaig_reader_free(aaig_reader *r)
{
    if (!r)
        return;
    free(r->mem);
    free(r->idx);
    free(r);
}

/* The window holds nothing (its bytes are not to be used again). */
static void forget_window(aaig_reader *r)
{
    r->win_off = UNKNOWN;
    r->win_len = 0;
    r->win_eof = 0;
}

void aaig_reader_forget_position(aaig_reader *r)
{
    forget_window(r);
    r->cur_tok = 0;
    r->cur_off = r->cfg.data_offset;
}

void aaig_reader_set_type(aaig_reader *r, aaig_type type) { r->cfg.type = type; }

void aaig_reader_set_threads(aaig_reader *r, unsigned nthreads)
{
    r->cfg.nthreads = aaig_clamp_threads(nthreads);
}

/* ---- row index ------------------------------------------------------------------------ */

static uint64_t next_ckpt(const aaig_reader *r, uint64_t tok)
{
    return (tok / r->ckpt_tokens + 1) * r->ckpt_tokens;
}

/* Each slot is written by the one thread whose token range reaches it. */
static void record_ckpt(aaig_reader *r, uint64_t tok, uint64_t off)
{
    if (tok % r->ckpt_tokens)
        return;
    uint64_t k = tok / r->ckpt_tokens;
    if (k < r->nidx && r->idx[k] == UNKNOWN)
        r->idx[k] = off;
}

/* ---- errors ------------------------------------------------------------------------- */

static aaig_status set_error(const aaig_reader *r, aaig_read_error *err, aaig_status st,
                             uint64_t tok, uint64_t off, const char *token)
{
    if (!err)
        return st;
    memset(err, 0, sizeof(*err));
    err->status = st;
    err->row = r->cfg.ncols ? tok / r->cfg.ncols : 0;
    err->col = r->cfg.ncols ? tok % r->cfg.ncols : 0;
    err->offset = off;
    err->values_found = tok;
    if (token) {
        size_t n = 0;
        while (n < sizeof(err->token) - 4 && !aaig_is_ws((unsigned char)token[n])) {
            unsigned char c = (unsigned char)token[n];
            if (c == 0)
                err->status = AAIG_E_NUL;
            err->token[n++] = (char)(c >= 32 && c < 127 ? c : '?');
        }
        if (!aaig_is_ws((unsigned char)token[n]))
            memcpy(err->token + n, "...", 4);
        /* A token that is too long may still be a well-formed number: say what is wrong. A
         * NUL anywhere in it means binary data. */
        size_t len = n;
        while (len <= AAIG_MAX_TOKEN && !aaig_is_ws((unsigned char)token[len])) {
            if (token[len] == 0)
                err->status = AAIG_E_NUL;
            len++;
        }
        if (len > AAIG_MAX_TOKEN && err->status == AAIG_E_TOKEN)
            err->status = AAIG_E_TOO_LONG;
    }
    return err->status;
}

/* ---- the window ---------------------------------------------------------------------- */

/* How many threads to give `bytes` of work: one per parallel_min bytes, up to the thread
 * count, so that a window smaller than parallel_min x nthreads still uses several threads
 * on a many-core machine. The work is cut into that many tasks and run on as many threads of
 * the process-wide pool (fewer when fewer exist: the results are the same). */
static unsigned threads_for(const aaig_reader *r, size_t bytes)
{
    const size_t pieces = bytes / r->cfg.parallel_min;
    const unsigned nt = r->cfg.nthreads < pieces ? r->cfg.nthreads : (unsigned)pieces;
    return nt < 1 ? 1 : nt;
}

static size_t part_len(const read_job *j, unsigned i)
{
    const size_t from = (size_t)i * j->part;
    return from >= j->want ? 0 : j->want - from < j->part ? j->want - from : j->part;
}

static void read_task(void *ctx, unsigned i)
{
    read_job *j = ctx;
    const size_t len = part_len(j, i);
    j->got[i] = len ? j->io->pread(j->io->ctx, j->off + (uint64_t)i * j->part,
                                   j->dst + (size_t)i * j->part, len)
                    : 0;
}

/* A read of `want` bytes at off into dst, in nparts parts. */
static read_job read_job_for(const aaig_reader *r, char *dst, uint64_t off, size_t want,
                             unsigned nparts)
{
    read_job j = {&r->io, dst, off, want, (want + nparts - 1) / nparts, nparts, {0}};
    return j;
}

/* Makes what a finished read brought the window (its bytes already in r->buf). */
static aaig_status take_read(aaig_reader *r, const read_job *j)
{
    int64_t n = 0;
    for (unsigned i = 0; i < j->nparts; i++) {
        if (j->got[i] < 0) {
            forget_window(r);
            return AAIG_E_IO;
        }
        n += j->got[i];
        if ((size_t)j->got[i] < part_len(j, i)) /* the file ends in this part */
            break;
    }
    r->win_off = j->off;
    r->win_len = (size_t)n;
    r->win_eof = (size_t)n < j->want;
    return AAIG_OK;
}

/* What a read of `want` bytes reads: at least MIN_READ, at most the window. */
static size_t window_size(const aaig_reader *r, size_t want)
{
    return want < MIN_READ ? MIN_READ : want > r->cap ? r->cap : want;
}

/* Waits for the read in flight, if any; true when it is the read of `want` bytes at off, and
 * the window is now what it read. */
static int finish_ahead(aaig_reader *r, uint64_t off, size_t want, aaig_status *st)
{
    if (!r->reading_ahead)
        return 0;
    const read_job *j = &r->ahead;
    aaig_pool_finish(r->ahead_job);
    r->reading_ahead = 0;
    if (j->off != off || j->want != want)
        return 0;
    r->buf = j->dst;
    *st = take_read(r, j);
    return 1;
}

/* Reads the window at off. With I/O that allows it, a large window is read in parts on the
 * pool's threads: copying from the page cache is a good part of a read's time. */
static aaig_status fill(aaig_reader *r, uint64_t off, size_t want)
{
    want = window_size(r, want);
    aaig_status st;
    if (finish_ahead(r, off, want, &st))
        return st;
    const unsigned nt = r->io.concurrent ? threads_for(r, want) : 1;
    read_job j = read_job_for(r, r->buf, off, want, nt);
    aaig_pool_run(nt, nt, read_task, &j);
    return take_read(r, &j);
}

/* The file offset of p in the window. The sentinel after a last value without a newline is
 * not in the file: a position past it is the file's end. */
static uint64_t file_offset(const aaig_reader *r, const char *p)
{
    const size_t rel = (size_t)(p - r->buf);
    return r->win_off + (rel < r->win_len ? rel : r->win_len);
}

/* Index just past the last whitespace byte of buf[from, to), or `from` when there is none. */
static size_t last_boundary(const char *buf, size_t from, size_t to)
{
    while (to > from && !aaig_is_ws((unsigned char)buf[to - 1]))
        to--;
    return to;
}

/* ---- reading ahead (type detection) -------------------------------------------------- */

/* Detection scans the whole file once, faster than it is read: each window is scanned while
 * the next one is read into the other half of the buffer, on the pool's threads (the calling
 * thread joins them when its scan is done). Only with I/O that can be read from threads, more
 * than one thread, and halves that still hold two tokens of the longest size. */
static void start_detection(aaig_reader *r)
{
    r->detecting = r->io.concurrent && r->cfg.nthreads > 1 && r->mem_cap / 2 >= MIN_READ;
    if (r->detecting) {
        r->cap = r->mem_cap / 2;
        forget_window(r); /* it may reach into the second half */
    }
}

/* After a fill: reads the `want` bytes from the window's last value boundary on, where the
 * scan of this window will end, into the other half. */
static void read_ahead(aaig_reader *r, size_t want)
{
    if (!r->detecting || r->win_eof)
        return;
    want = window_size(r, want);
    const unsigned nt = threads_for(r, want);
    const size_t b = last_boundary(r->buf, 0, r->win_len);
    if (nt < 2 || b == 0) /* a thread would cost more than the read; a token fills the window */
        return;
    char *other = r->buf == r->mem ? r->mem + r->cap : r->mem;
    const unsigned nparts = aaig_clamp_threads(2ull * nt);
    r->ahead = read_job_for(r, other, r->win_off + b, want, nparts);
    r->reading_ahead = 1;
    r->ahead_job = aaig_pool_start(nt, nparts, read_task, &r->ahead);
}

/* Waits for any read in flight and gives the whole buffer back to reads: a window in its
 * second half is forgotten. */
static void end_detection(aaig_reader *r)
{
    aaig_status st;
    finish_ahead(r, UNKNOWN, 0, &st);
    r->detecting = 0;
    if (r->buf != r->mem) {
        r->buf = r->mem;
        forget_window(r);
    }
    r->cap = r->mem_cap;
}

/* ---- the rows a read parses -------------------------------------------------------- */

/* `n` rows from row0 (rows == NULL), or the n rows listed, in increasing order: the rows
 * between them are scanned, not parsed (nearest resampling, sampled statistics). The i-th
 * row goes to out + i * ncols values. */
typedef struct {
    const uint64_t *rows;
    uint64_t row0, n;
} row_set;

static uint64_t row_at(const row_set *s, uint64_t i) { return s->rows ? s->rows[i] : s->row0 + i; }

/* The first index i with row_at(s, i) >= row (s->n when none). */
static uint64_t first_row_from(const row_set *s, uint64_t row)
{
    if (!s->rows)
        return row <= s->row0 ? 0 : row - s->row0 < s->n ? row - s->row0 : s->n;
    uint64_t lo = 0, hi = s->n;
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (s->rows[mid] < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The values to parse from token tok on: [*first, *end), consecutive in the file and in the
 * output, the first going to output value *slot. 0 when no row of the set is left. */
static int next_run(const aaig_reader *r, const row_set *s, uint64_t tok, uint64_t *first,
                    uint64_t *end, uint64_t *slot)
{
    const uint64_t ncols = r->cfg.ncols;
    const uint64_t i = first_row_from(s, tok / ncols);
    if (i == s->n)
        return 0;
    uint64_t j = i;
    if (s->rows)
        while (j + 1 < s->n && s->rows[j + 1] == s->rows[j] + 1)
            j++;
    else
        j = s->n - 1;
    const uint64_t start = row_at(s, i) * ncols;
    *first = tok > start ? tok : start;
    *end = (row_at(s, j) + 1) * ncols;
    *slot = i * ncols + (*first - start);
    return 1;
}

/* ---- parsing one piece of a region ---------------------------------------------------- */

/* Where a piece's counting pass stood at NMARKS evenly spaced bytes, so that the parse can
 * jump close to the next row it wants instead of scanning the piece from its start. */
#define NMARKS 32u

typedef struct {
    aaig_reader *r;
    const char *p, *end; /* the piece; end[-1] is whitespace */
    uint64_t tok0;       /* index of its first token */
    uint64_t max;        /* tokens to pass at most */
    /* counting pass: marks[j] = tokens begun before p + j * mark_step, << 1, | inside one */
    uint64_t marks[NMARKS];
    size_t mark_step;    /* 0: no marks */
    /* results */
    uint64_t count;      /* tokens in the piece (counting pass) or passed (parse pass) */
    const char *next, *bad;
    aaig_status status;
} piece;

/* Moves from token st->tokens at p to the start of token `to` (from the last mark before it,
 * if any lies ahead of p), recording row-index checkpoints on the way. Returns pc->end when
 * the piece ends first. */
static const char *skip_to(piece *pc, const char *p, aaig_scan_state *st, uint64_t to)
{
    for (unsigned j = pc->mark_step ? NMARKS : 0; j-- > 0;) {
        const char *m = pc->p + (size_t)j * pc->mark_step;
        if (m <= p)
            break;
        if (pc->tok0 + (pc->marks[j] >> 1) <= to) {
            p = m;
            st->tokens = pc->tok0 + (pc->marks[j] >> 1);
            st->in_token = (int)(pc->marks[j] & 1);
            break;
        }
    }
    for (;;) {
        const uint64_t ck = next_ckpt(pc->r, st->tokens), lim = ck < to ? ck : to;
        const char *q = aaig_scan(p, pc->end, st, lim, 0, NULL);
        if (q == pc->end)
            return q;
        record_ckpt(pc->r, lim, file_offset(pc->r, q));
        if (lim == to)
            return q;
        p = q;
    }
}

/* Parses n values from token *tok at *p into dst; returns how many (fewer on an error, in
 * pc->status and pc->bad, or when the piece ends). */
static uint64_t parse_values(piece *pc, const char **p, uint64_t tok, uint64_t n, char *dst)
{
    aaig_reader *r = pc->r;
    const size_t vsize = aaig_type_size(r->cfg.type);
    const double null_value =
        r->cfg.has_null_value ? r->cfg.null_value : aaig_null_default(r->cfg.type);
    uint64_t done = 0;
    while (done < n) {
        const uint64_t lim = next_ckpt(r, tok + done);
        const uint64_t n_want = lim - (tok + done) < n - done ? lim - (tok + done) : n - done;
        const char *next;
        /* Every value parsed lands in the caller's buffer: counts fit in a size_t. */
        const size_t got = aaig_parse_values(*p, pc->end, (size_t)n_want, r->cfg.type,
                                             dst + done * vsize, &next, &pc->status, &pc->bad,
                                             null_value);
        done += got;
        if (got) {
            *p = next;
            record_ckpt(r, tok + done, file_offset(r, next));
        }
        if (pc->status != AAIG_OK || got < n_want)
            break;
    }
    return done;
}

/* Passes the piece's tokens [tok0, tok0 + max), parsing those of the row set into out. */
static void parse_piece(piece *pc, const row_set *set, char *out)
{
    const size_t vsize = aaig_type_size(pc->r->cfg.type);
    const uint64_t stop = pc->tok0 + pc->max;
    aaig_scan_state st = {pc->tok0, 0};
    const char *p = pc->p;
    uint64_t first, end, slot;
    pc->status = AAIG_OK;
    pc->next = p;
    while (st.tokens < stop) {
        if (!next_run(pc->r, set, st.tokens, &first, &end, &slot) || first >= stop) {
            st.tokens = stop; /* no row of the set in the rest of the piece */
            pc->next = pc->end;
            break;
        }
        if (first > st.tokens) {
            p = skip_to(pc, p, &st, first);
            if (p == pc->end) /* the piece ends before token `first` */
                break;
            pc->next = p;
        }
        const uint64_t n = (end < stop ? end : stop) - first;
        const uint64_t got = parse_values(pc, &p, first, n, out + slot * vsize);
        st.tokens = first + got;
        if (got)
            pc->next = p;
        if (got < n)
            break;
    }
    pc->count = st.tokens - pc->tok0;
}

typedef struct {
    piece pieces[AAIG_MAX_THREADS];
    const row_set *set;
    char *out;
} par_job;

/* Counts the piece's tokens, marking where the count stood NMARKS times on the way. */
static void count_task(void *ctx, unsigned i)
{
    piece *pc = &((par_job *)ctx)->pieces[i];
    const size_t len = (size_t)(pc->end - pc->p);
    aaig_scan_state st = {0, 0};
    pc->mark_step = (len + NMARKS - 1) / NMARKS;
    for (unsigned j = 0; j < NMARKS; j++) {
        const size_t a = (size_t)j * pc->mark_step;
        pc->marks[j] = st.tokens << 1 | (uint64_t)st.in_token;
        if (a < len)
            aaig_scan(pc->p + a, pc->p + (len - a < pc->mark_step ? len : a + pc->mark_step),
                      &st, UINT64_MAX, 0, NULL);
    }
    pc->count = st.tokens;
}

static void parse_task(void *ctx, unsigned i)
{
    par_job *job = ctx;
    parse_piece(&job->pieces[i], job->set, job->out);
}

/* Pieces per thread of a region split across the pool: a thread that joins late (a worker
 * waking up, or a caller that was busy reading ahead) still finds pieces to take, and the
 * threads end together. */
#define PIECES_PER_THREAD 4u

/* Passes values [pos->tok, target) found in buf[p, end), parsing those of the row set into
 * out, splitting the region across the pool when it is large. */
static aaig_status parse_region(aaig_reader *r, walk_pos *pos, const char *p, const char *end,
                                uint64_t target, const row_set *set, char *out,
                                aaig_read_error *err)
{
    const unsigned nthreads = threads_for(r, (size_t)(end - p));
    const unsigned nt = nthreads == 1                                   ? 1
                        : nthreads * PIECES_PER_THREAD > AAIG_MAX_THREADS ? AAIG_MAX_THREADS
                                                                        : nthreads * PIECES_PER_THREAD;

    par_job job;
    job.set = set;
    job.out = out;
    size_t len = (size_t)(end - p);
    const char *cut = p;
    for (unsigned i = 0; i < nt; i++) {
        piece *pc = &job.pieces[i];
        memset(pc, 0, sizeof(*pc));
        pc->r = r;
        pc->p = cut;
        /* Cut at a whitespace byte so that no token is split. */
        const char *c = i + 1 == nt ? end : p + len / nt * (i + 1);
        if (c < cut)
            c = cut;
        while (c < end && !aaig_is_ws((unsigned char)*c))
            c++;
        pc->end = c < end ? c + 1 : end;
        cut = pc->end;
    }
    if (nt > 1) {
        aaig_pool_run(nthreads, nt, count_task, &job);
    } else {
        job.pieces[0].count = UINT64_MAX;
    }
    uint64_t base = pos->tok;
    unsigned used = 0;
    for (unsigned i = 0; i < nt && base < target; i++, used++) {
        piece *pc = &job.pieces[i];
        uint64_t cnt = pc->count;
        pc->tok0 = base;
        pc->max = target - base < cnt ? target - base : cnt;
        base = cnt > target - base ? target : base + cnt;
    }
    aaig_pool_run(nthreads, used, parse_task, &job);
    for (unsigned i = 0; i < used; i++) {
        piece *pc = &job.pieces[i];
        if (pc->status != AAIG_OK)
            return set_error(r, err, pc->status, pc->tok0 + pc->count,
                             file_offset(r, pc->bad), pc->bad);
        pos->tok = pc->tok0 + pc->count;
        if (pc->count)
            pos->off = file_offset(r, pc->next);
        if (pc->count < pc->max) /* only whitespace left in this piece */
            pos->off = file_offset(r, pc->end);
    }
    if (pos->tok < target || used == 0)
        pos->off = file_offset(r, end);
    return AAIG_OK;
}

/* Counting (SKIP) or looking for a float character (DETECT) over buf[p, end). Returns 1 when
 * the walk is over (target reached or float found). */
static int scan_region(aaig_reader *r, walk_pos *pos, const char *p, const char *end,
                       uint64_t target, walk_mode mode, int *found_float)
{
    aaig_scan_state st = {pos->tok, 0};
    while (p < end) {
        uint64_t lim = next_ckpt(r, st.tokens);
        if (lim > target)
            lim = target;
        const char *q = aaig_scan(p, end, &st, lim, mode == WALK_DETECT, found_float);
        if (found_float && *found_float) {
            pos->tok = st.tokens;
            pos->off = file_offset(r, q);
            return 1;
        }
        if (q == end)
            break;
        pos->tok = lim;
        pos->off = file_offset(r, q);
        record_ckpt(r, lim, pos->off);
        if (lim == target)
            return 1;
        p = q;
    }
    pos->tok = st.tokens;
    pos->off = file_offset(r, end);
    return 0;
}

/* Skipping or detecting (not parsing), a token that does not fit in the window, from rel on,
 * is passed over as a window holding it whole would pass it: its end is looked for in the
 * windows after, and in detection its float characters count. So the rows after it, and the
 * type, do not depend on the window size (parsing it is AAIG_E_TOO_LONG whatever the size). */
static aaig_status pass_long_token(aaig_reader *r, walk_pos *pos, size_t rel, walk_mode mode,
                                   int *found_float, aaig_read_error *err)
{
    for (;;) {
        for (const char *q = r->buf + rel; q < r->buf + r->win_len; q++) {
            const unsigned cls = aaig_char_class[(unsigned char)*q];
            if (cls & AAIG_C_WS) {
                pos->tok++;
                pos->off = file_offset(r, q);
                return AAIG_OK;
            }
            if (mode == WALK_DETECT && (cls & AAIG_C_FLOAT)) {
                *found_float = 1;
                return AAIG_OK;
            }
        }
        if (r->win_eof) { /* the file ends inside it */
            pos->tok++;
            pos->off = r->win_off + r->win_len;
            return AAIG_OK;
        }
        if (fill(r, r->win_off + r->win_len, r->cap) != AAIG_OK)
            return set_error(r, err, AAIG_E_IO, pos->tok, pos->off, NULL);
        rel = 0;
    }
}

/* Walks tokens [pos->tok, target) through the window. */
static aaig_status walk(aaig_reader *r, walk_pos *pos, uint64_t target, walk_mode mode,
                        const row_set *set, char *out, int *found_float, aaig_read_error *err)
{
    size_t want = mode == WALK_DETECT ? 65536 : 0;
    while (pos->tok < target) {
        if (mode != WALK_DETECT) {
            double est = (double)(target - pos->tok) * r->bytes_per_value * 1.25 + 4096.0;
            want = est > (double)r->cap ? r->cap : (size_t)est;
        }
        int have = r->win_off != UNKNOWN && pos->off >= r->win_off &&
                   (pos->off < r->win_off + r->win_len || (r->win_eof && pos->off == r->win_off + r->win_len));
        size_t rel = have ? (size_t)(pos->off - r->win_off) : 0;
        size_t b = have ? last_boundary(r->buf, rel, r->win_len) : rel;
        if (have && r->win_eof) {
            r->buf[r->win_len] = ' '; /* the sentinel ends a last value without newline */
            b = r->win_len + 1;
        }
        if (!have || b == rel) {
            /* No complete value after pos in the window: a read of at least MIN_READ bytes
             * that still holds none means the token is too long. */
            if (have && r->win_len - rel > AAIG_MAX_TOKEN) {
                if (mode == WALK_PARSE)
                    return set_error(r, err, AAIG_E_TOO_LONG, pos->tok, pos->off, r->buf + rel);
                aaig_status st = pass_long_token(r, pos, rel, mode, found_float, err);
                if (st != AAIG_OK || (found_float && *found_float))
                    return st;
                continue;
            }
            if (fill(r, pos->off, want) != AAIG_OK)
                return set_error(r, err, AAIG_E_IO, pos->tok, pos->off, NULL);
            if (mode == WALK_DETECT) {
                if (want < r->cap)
                    want *= 2;
                read_ahead(r, want);
            }
            continue;
        }
        const char *p = r->buf + rel, *end = r->buf + b;
        if (mode == WALK_PARSE) {
            aaig_status st = parse_region(r, pos, p, end, target, set, out, err);
            if (st != AAIG_OK)
                return st;
        } else if (scan_region(r, pos, p, end, target, mode, found_float)) {
            return AAIG_OK;
        }
        if (r->win_eof && b == r->win_len + 1 && pos->tok < target)
            return set_error(r, err, AAIG_E_SHORT, pos->tok, r->win_off + r->win_len, NULL);
    }
    return AAIG_OK;
}

/* ---- public entry points ---------------------------------------------------------------- */

aaig_status aaig_reader_detect_float(aaig_reader *r, int *is_float, aaig_read_error *err)
{
    walk_pos pos = {0, r->cfg.data_offset};
    *is_float = 0;
    start_detection(r);
    aaig_status st = walk(r, &pos, r->total, WALK_DETECT, NULL, NULL, is_float, err);
    end_detection(r);
    /* Data errors (a short file, a token too long to scan past, binary data in it) are
     * reported when the values are read, as the built-in does, whatever the window: the
     * values before them decide the type. */
    if (st == AAIG_E_SHORT || st == AAIG_E_TOO_LONG || st == AAIG_E_NUL) {
        if (err)
            memset(err, 0, sizeof(*err));
        st = AAIG_OK;
    }
    return st;
}

static aaig_status rows_error(aaig_read_error *err, uint64_t row, uint64_t nrows)
{
    if (err) {
        memset(err, 0, sizeof(*err));
        err->status = AAIG_E_ROWS;
        err->row = row;
        err->values_found = nrows;
    }
    return AAIG_E_ROWS;
}

/* Parses the rows of a non-empty set into out, from the nearest known row before the first. */
static aaig_status read_set(aaig_reader *r, const row_set *set, char *out, aaig_read_error *err)
{
    const uint64_t row0 = row_at(set, 0);
    const uint64_t first = row0 * r->cfg.ncols;
    const uint64_t target = (row_at(set, set->n - 1) + 1) * r->cfg.ncols;
    uint64_t k = row0 / r->stride;
    if (k >= r->nidx)
        k = r->nidx - 1;
    while (r->idx[k] == UNKNOWN)
        k--;
    walk_pos pos = {k * r->ckpt_tokens, r->idx[k]};
    if (r->cur_tok <= first && r->cur_tok > pos.tok) {
        pos.tok = r->cur_tok;
        pos.off = r->cur_off;
    }
    walk_pos start = pos;
    aaig_prefault(out, (size_t)(set->n * r->cfg.ncols) * aaig_type_size(r->cfg.type));
    aaig_status st = walk(r, &pos, first, WALK_SKIP, NULL, NULL, NULL, err);
    if (st == AAIG_OK)
        st = walk(r, &pos, target, WALK_PARSE, set, out, NULL, err);
    if (st != AAIG_OK)
        return st;
    r->cur_tok = pos.tok;
    r->cur_off = pos.off;
    if (pos.tok - start.tok >= 1024)
        r->bytes_per_value = (double)(pos.off - start.off) / (double)(pos.tok - start.tok);
    return AAIG_OK;
}

aaig_status aaig_reader_read(aaig_reader *r, uint64_t row0, uint64_t nrows, void *out,
                             aaig_read_error *err)
{
    if (row0 > r->cfg.nrows || nrows > r->cfg.nrows - row0)
        return rows_error(err, row0, nrows);
    const row_set set = {NULL, row0, nrows};
    return nrows ? read_set(r, &set, out, err) : AAIG_OK;
}

aaig_status aaig_reader_read_rows(aaig_reader *r, const uint64_t *rows, size_t n, void *out,
                                  aaig_read_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= r->cfg.nrows || (i && rows[i] <= rows[i - 1]))
            return rows_error(err, rows[i], 1);
    const row_set set = {rows, 0, n};
    return n ? read_set(r, &set, out, err) : AAIG_OK;
}

const char *aaig_type_name(aaig_type type)
{
    return type == AAIG_INT32 ? "Int32" : type == AAIG_FLOAT32 ? "Float32" : "Float64";
}

void aaig_read_error_message(const aaig_read_error *e, aaig_type type, uint64_t ncols,
                             uint64_t nrows, char *buf, size_t size)
{
    unsigned long long row = e->row + 1, col = e->col + 1, off = e->offset;
    const char *want = type == AAIG_INT32 ? "an integer" : "a number";
    switch (e->status) {
    case AAIG_OK:
        snprintf(buf, size, "no error");
        break;
    case AAIG_E_TOKEN:
        snprintf(buf, size, "row %llu, column %llu (byte offset %llu): expected %s, found '%s'",
                 row, col, off, want, e->token);
        break;
    case AAIG_E_RANGE:
        snprintf(buf, size,
                 "row %llu, column %llu (byte offset %llu): expected a value that fits the %s "
                 "band, found '%s' (open with DATATYPE=Float64 to read it)",
                 row, col, off, aaig_type_name(type), e->token);
        break;
    case AAIG_E_SHORT:
        snprintf(buf, size,
                 "expected %llu values (ncols %llu x nrows %llu), found only %llu: the file "
                 "ends at byte offset %llu, before row %llu, column %llu",
                 (unsigned long long)(ncols * nrows), (unsigned long long)ncols,
                 (unsigned long long)nrows, (unsigned long long)e->values_found, off, row, col);
        break;
    case AAIG_E_TOO_LONG:
        snprintf(buf, size,
                 "row %llu, column %llu (byte offset %llu): expected %s, found a token longer "
                 "than %d bytes ('%s')",
                 row, col, off, want, AAIG_MAX_TOKEN, e->token);
        break;
    case AAIG_E_NUL:
        snprintf(buf, size,
                 "row %llu, column %llu (byte offset %llu): expected text, found binary data "
                 "(a NUL byte) in '%s'",
                 row, col, off, e->token);
        break;
    case AAIG_E_IO:
        snprintf(buf, size, "read error at byte offset %llu (row %llu, column %llu)", off, row, col);
        break;
    case AAIG_E_ROWS:
        snprintf(buf, size, "expected rows 1 to %llu, asked for %llu rows from row %llu",
                 (unsigned long long)nrows, (unsigned long long)e->values_found, row);
        break;
    default:
        snprintf(buf, size, "unknown error %d", (int)e->status);
        break;
    }
}
