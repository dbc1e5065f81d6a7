/* FastAAIGrid core: structural scan. Counts tokens and finds float characters 16 bytes at a
 * time without parsing numbers: data-type detection, skipping to a row, splitting work. */
#ifndef AAIG_SCAN_H
#define AAIG_SCAN_H

#include "aaig_types.h"

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

#ifdef __cplusplus
}
#endif
#endif
