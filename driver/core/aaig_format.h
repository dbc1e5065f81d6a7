/* FastAAIGrid core: numbers to text for writing. By default the shortest text that reads
 * back (through a correctly rounded decimal-to-double parse, then the cast to the band type,
 * as GDAL's readers do) to the identical value; or C printf's %.Nf / %.Ng as the built-in's
 * DECIMAL_PRECISION / SIGNIFICANT_DIGITS. Locale-independent. */
#ifndef AAIG_FORMAT_H
#define AAIG_FORMAT_H

#include "aaig_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { AAIG_V_I32, AAIG_V_U32, AAIG_V_I64, AAIG_V_U64, AAIG_V_F32, AAIG_V_F64 } aaig_vtype;
typedef enum { AAIG_FMT_SHORTEST, AAIG_FMT_DECIMALS, AAIG_FMT_SIGNIFICANT } aaig_fmt_mode;

typedef struct {
    aaig_vtype type;
    aaig_fmt_mode mode;  /* floats only */
    int precision;       /* DECIMALS / SIGNIFICANT: 0..AAIG_MAX_PRECISION */
    const char *nan_text; /* written for NaN cells (the nodata value's text), or NULL: "nan" */
} aaig_format_options;

#define AAIG_MAX_PRECISION 40

/* Shortest round-trip text; returns its length (no NUL). out needs 32 bytes. */
int aaig_format_f32(float v, char *out);
int aaig_format_f64(double v, char *out);
int aaig_format_i64(int64_t v, char *out);
int aaig_format_u64(uint64_t v, char *out);

/* One value with the options (out needs aaig_format_max_chars bytes). */
int aaig_format_value(const void *values, size_t i, const aaig_format_options *opt, char *out);

/* Is value i finite? (Integers always are.) The '.0' rule below looks only at these. */
int aaig_format_is_finite(const void *values, size_t i, aaig_vtype type);

/* Upper bound of the bytes one value takes, separator included. */
size_t aaig_format_max_chars(const aaig_format_options *opt);

/* Formats a row of n values as "v v ... v\n" into out (n * aaig_format_max_chars + 1 bytes).
 * If *need_dot is set, the first finite value gets ".0" when it has neither '.' nor 'e' (as
 * the built-in does, so that readers detect a float grid), and *need_dot is cleared. Returns
 * the bytes written. */
size_t aaig_format_row(const void *values, size_t n, const aaig_format_options *opt,
                       int *need_dot, char *out);

#ifdef __cplusplus
}
#endif
#endif
