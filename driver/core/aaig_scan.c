/* The scan handles 16 bytes per step with SSE2 (the x86-64 baseline): one mask of whitespace
 * bytes, one of float characters; token starts are non-whitespace bytes preceded by
 * whitespace. Other targets use the byte loop, which defines the semantics. */
#include "aaig_scan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char *scan_bytes(const char *p, const char *end, aaig_scan_state *st,
                              uint64_t limit, int find_float, int *found_float)
{
    for (; p < end; p++) {
        unsigned c = aaig_char_class[(unsigned char)*p];
        if (c & AAIG_C_WS) {
            st->in_token = 0;
            continue;
        }
        if (!st->in_token) {
            if (st->tokens == limit)
                return p;
            st->tokens++;
            st->in_token = 1;
        }
        if (find_float && (c & AAIG_C_FLOAT)) {
            *found_float = 1;
            return p;
        }
    }
    return end;
}

#if defined(__SSE2__)
/* Hardware popcount where the CPU has it (chosen once, at load time), else the compiler's. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AAIG_SCAN_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define AAIG_SCAN_CLONES
#endif

static inline unsigned nth_bit_pos(unsigned mask, uint64_t n)
{
    while (n--)
        mask &= mask - 1;
    return (unsigned)__builtin_ctz(mask);
}

AAIG_SCAN_CLONES
const char *aaig_scan(const char *p, const char *end, aaig_scan_state *st, uint64_t limit,
                      int find_float, int *found_float)
{
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i four = _mm_set1_epi8(4);
    const __m128i dot = _mm_set1_epi8('.'), comma = _mm_set1_epi8(',');
    const __m128i lower = _mm_set1_epi8(0x20), e = _mm_set1_epi8('e'), n = _mm_set1_epi8('n');
    if (st->tokens > limit)
        return p;
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        /* '\t'..'\r' are 9..13: (v - 9) <= 4 unsigned */
        __m128i ctl = _mm_sub_epi8(v, tab);
        __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, space),
                                  _mm_cmpeq_epi8(_mm_min_epu8(ctl, four), ctl));
        unsigned W = (unsigned)_mm_movemask_epi8(ws);
        unsigned starts = ~W & ((W << 1) | (st->in_token ? 0u : 1u)) & 0xFFFFu;
        unsigned F = 0;
        if (find_float) {
            __m128i lc = _mm_or_si128(v, lower); /* e/E and n/N fold to lower case */
            __m128i fl = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, comma)),
                                      _mm_or_si128(_mm_cmpeq_epi8(lc, e), _mm_cmpeq_epi8(lc, n)));
            F = (unsigned)_mm_movemask_epi8(fl);
        }
        unsigned cnt = (unsigned)__builtin_popcount(starts);
        uint64_t room = limit - st->tokens;
        unsigned stop = 16; /* position of the start of token `limit`, if in this block */
        if (cnt > room)
            stop = nth_bit_pos(starts, room);
        if (F) {
            unsigned f = (unsigned)__builtin_ctz(F);
            if (f < stop) {
                st->tokens += (unsigned)__builtin_popcount(starts & ((2u << f) - 1));
                st->in_token = 1;
                *found_float = 1;
                return p + f;
            }
        }
        if (stop < 16) {
            st->tokens = limit;
            st->in_token = 0;
            return p + stop;
        }
        st->tokens += cnt;
        st->in_token = !(W & 0x8000u);
        p += 16;
    }
    return scan_bytes(p, end, st, limit, find_float, found_float);
}
#else
const char *aaig_scan(const char *p, const char *end, aaig_scan_state *st, uint64_t limit,
                      int find_float, int *found_float)
{
    if (st->tokens > limit)
        return p;
    return scan_bytes(p, end, st, limit, find_float, found_float);
}
#endif
