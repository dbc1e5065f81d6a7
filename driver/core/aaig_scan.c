/* The scan handles 64 bytes per step with SSE2 (the x86-64 baseline): one mask of whitespace
 * bytes, one of float characters; token starts are non-whitespace bytes preceded by
 * whitespace. Other targets use the byte loop, which defines the semantics. */
#include "aaig_scan.h"

#include "aaig_arch.h"

#if defined(AAIG_HAVE_SSE2)
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

#if defined(AAIG_HAVE_SSE2)
/* Hardware popcount where the CPU has it (chosen once, at load time), else the compiler's. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AAIG_SCAN_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define AAIG_SCAN_CLONES
#endif

static inline unsigned nth_bit_pos(uint64_t mask, uint64_t n)
{
    while (n--)
        mask &= mask - 1;
    return (unsigned)__builtin_ctzll(mask);
}

/* Bit i set where byte i is a float character: . , e E n N (e/E and n/N fold to lower case). */
static inline uint64_t float_mask16(const char *p)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    const __m128i lc = _mm_or_si128(v, _mm_set1_epi8(0x20));
    const __m128i fl = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')), _mm_cmpeq_epi8(v, _mm_set1_epi8(','))),
        _mm_or_si128(_mm_cmpeq_epi8(lc, _mm_set1_epi8('e')), _mm_cmpeq_epi8(lc, _mm_set1_epi8('n'))));
    return (uint64_t)(unsigned)_mm_movemask_epi8(fl);
}

/* 64 bytes per step: four 16-byte classifications make one 64-bit mask, so the counting and
 * the checks run once per 64 bytes. */
AAIG_SCAN_CLONES
const char *aaig_scan(const char *p, const char *end, aaig_scan_state *st, uint64_t limit,
                      int find_float, int *found_float)
{
    if (st->tokens > limit)
        return p;
    while (end - p >= 64) {
        const uint64_t W = aaig_ws_mask64(p);
        const uint64_t starts = ~W & ((W << 1) | (st->in_token ? 0u : 1u));
        uint64_t F = 0;
        if (find_float)
            F = float_mask16(p) | float_mask16(p + 16) << 16 | float_mask16(p + 32) << 32 |
                float_mask16(p + 48) << 48;
        const unsigned cnt = (unsigned)__builtin_popcountll(starts);
        const uint64_t room = limit - st->tokens;
        unsigned stop = 64; /* position of the start of token `limit`, if in this block */
        if (cnt > room)
            stop = nth_bit_pos(starts, room);
        if (F) {
            const unsigned f = (unsigned)__builtin_ctzll(F);
            if (f < stop) {
                /* (2 << 63) - 1 wraps to all ones, as wanted */
                st->tokens += (unsigned)__builtin_popcountll(starts & ((2ULL << f) - 1));
                st->in_token = 1;
                *found_float = 1;
                return p + f;
            }
        }
        if (stop < 64) {
            st->tokens = limit;
            st->in_token = 0;
            return p + stop;
        }
        st->tokens += cnt;
        st->in_token = !(W >> 63);
        p += 64;
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
