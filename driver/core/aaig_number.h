/* FastAAIGrid core: numbers in ASCII grid text, parsed exactly like GDAL's built-in
 * (CPLAtofM: correctly rounded to double, '.' or ',' as decimal separator) and cast to the
 * band type the way it does, but with a strict grammar: a token is a number or an error. */
#ifndef AAIG_NUMBER_H
#define AAIG_NUMBER_H

#include "aaig_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses the whole token [p, p+len) as a double. Accepts
 *   [+-] digits [ (.|,) digits ] [ (e|E) [+-] digits ]   (at least one mantissa digit)
 *   [+-] nan | inf | infinity   (any case)
 *   [+-] 1.#INF 1.#QNAN 1.#SNAN 1.#IND   (old MSVC spellings, as CPLAtofM)
 *   null  (lower case, as the built-in compares it: *is_null is set, the value is -HUGE_VAL)
 * Returns AAIG_OK or AAIG_E_TOKEN. is_null may be NULL. */
aaig_status aaig_parse_double(const char *p, size_t len, double *out, int *is_null);

/* The same rules for a token that is known to be followed by a whitespace byte (no length
 * needed). Returns the end of the token, or NULL when the token is malformed. */
const char *aaig_parse_double_ws(const char *p, double *out, int *is_null);

/* Band-type conversions of a parsed double, as the built-in does them (Float32: clamp finite
 * values to +-FLT_MAX, keep +-inf and NaN; null: -FLT_MAX / -DBL_MAX). */
float aaig_to_float32(double v, int is_null);
double aaig_to_float64(double v, int is_null);
/* Int32: truncation toward zero; AAIG_E_RANGE when not finite, null, or out of range. */
aaig_status aaig_to_int32(double v, int is_null, int32_t *out);

/* Parses up to max_values whitespace-separated tokens from [p, end) into out, an array of
 * `type`. Precondition: end == p or end[-1] is whitespace, so every token in the range is
 * complete. Returns the number of values stored; *next is set just past the last value parsed.
 * On a bad token (or one longer than AAIG_MAX_TOKEN), stops there: *status is set and *bad
 * points at the token. A `null` token reads as null_value (cast to Float32 as any value) in
 * Float32 and Float64; in Int32 it is AAIG_E_RANGE. */
size_t aaig_parse_values(const char *p, const char *end, size_t max_values, aaig_type type,
                         void *out, const char **next, aaig_status *status, const char **bad,
                         double null_value);

/* What the built-in reads `null` as: -FLT_MAX in Float32, -DBL_MAX in Float64 (the nodata
 * value a `null` NODATA_value gives). */
double aaig_null_default(aaig_type type);

#ifdef __cplusplus
}
#endif
#endif
