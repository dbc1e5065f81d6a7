/* FastAAIGrid core: shared types. No GDAL, no I/O. */
#ifndef AAIG_TYPES_H
#define AAIG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { AAIG_INT32 = 0, AAIG_FLOAT32 = 1, AAIG_FLOAT64 = 2 } aaig_type;

size_t aaig_type_size(aaig_type t);

/* Status codes shared by every core function. */
typedef enum {
    AAIG_OK = 0,
    AAIG_E_TOKEN,     /* a token is not a number of the grid's type */
    AAIG_E_RANGE,     /* a number does not fit the band type (Int32 overflow, NaN in Int32) */
    AAIG_E_SHORT,     /* fewer than ncols*nrows values before end of file */
    AAIG_E_TOO_LONG,  /* token longer than AAIG_MAX_TOKEN bytes */
    AAIG_E_NUL,       /* NUL byte: binary data */
    AAIG_E_IO,        /* the read callback failed */
    AAIG_E_ROWS       /* rows asked for lie outside the grid (a caller's error) */
} aaig_status;

/* Longest token accepted (the built-in accepts 498 bytes). */
#define AAIG_MAX_TOKEN 1024

/* Character classes; the scan and the parser agree on them through this table. */
enum { AAIG_C_WS = 1, AAIG_C_DIGIT = 2, AAIG_C_FLOAT = 4 };
extern const unsigned char aaig_char_class[256];

static inline int aaig_is_ws(unsigned char c) { return aaig_char_class[c] & AAIG_C_WS; }

#ifdef __cplusplus
}
#endif
#endif
