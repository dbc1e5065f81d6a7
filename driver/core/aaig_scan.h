/* FastAAIGrid core: structural scan. Counts tokens and finds float characters 64 bytes a
 * step without parsing numbers: data-type detection, skipping to a row, splitting work. */
#ifndef AAIG_SCAN_H
#define AAIG_SCAN_H

#include "aaig_types.h"

#include "aaig_arch.h"

#if defined(AAIG_HAVE_SSE2)
#include <emmintrin.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t tokens; /* token starts seen so far */
    int in_token;    /* the byte before the next one scanned is not whitespace */
} aaig_scan_state;

/* Scans [p, end), counting token starts into st->tokens. Returns
 *  - a pointer to the start of token number `limit` (st->tokens == limit), or
 *  - when find_float is set, a pointer to the first float character (. , e E n N) lying in a
 *    token numbered below `limit`, with *found_float = 1, or
 *  - end. */
const char *aaig_scan(const char *p, const char *end, aaig_scan_state *st, uint64_t limit,
                      int find_float, int *found_float);

/* Bit i set where byte i of the 64 at p is whitespace. */
#if defined(AAIG_HAVE_SSE2)
static inline uint64_t aaig_ws_mask16(const char *p)
{
    /* '\t'..'\r' are 9..13: after subtracting 9, the bytes that min(x, 4) leaves unchanged */
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    const __m128i ctl = _mm_sub_epi8(v, _mm_set1_epi8('\t'));
    const __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                    _mm_cmpeq_epi8(_mm_min_epu8(ctl, _mm_set1_epi8(4)), ctl));
    return (uint64_t)(unsigned)_mm_movemask_epi8(ws);
}

static inline uint64_t aaig_ws_mask64(const char *p)
{
    return aaig_ws_mask16(p) | aaig_ws_mask16(p + 16) << 16 | aaig_ws_mask16(p + 32) << 32 |
           aaig_ws_mask16(p + 48) << 48;
}
#else
static inline uint64_t aaig_ws_mask64(const char *p)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < 64; i++)
        m |= (uint64_t)aaig_is_ws((unsigned char)p[i]) << i;
    return m;
}
#endif

#ifdef __cplusplus
}
#endif
#endif
