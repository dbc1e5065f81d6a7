/* FastAAIGrid core: the ESRI ASCII Grid header. Keys in any case and order, values on the same
 * or a following line, '#' comments, a UTF-8 BOM, any header length; then the data-type and
 * georeferencing rules of GDAL's built-in driver. */
#ifndef AAIG_HEADER_H
#define AAIG_HEADER_H

#include "aaig_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t ncols, nrows;
    double cellsize, dx, dy;
    double xll, yll;
    int has_cellsize, has_dx, has_dy;
    int has_xll, has_yll;       /* either form */
    int xll_center, yll_center; /* the form given is ...center */
    int has_nodata, nodata_is_null, nodata_has_separator;
    double nodata;              /* as parsed (double) */
    uint64_t data_offset;       /* byte offset of the first value */
} aaig_header;

typedef struct {
    char message[400];          /* what was expected, what was found */
    uint64_t line, column;      /* 1-based */
    uint64_t offset;            /* byte offset */
} aaig_diag;

typedef enum {
    AAIG_ID_NO = 0,    /* not an ESRI ASCII grid */
    AAIG_ID_YES = 1,   /* starts with an ESRI header keyword */
    AAIG_ID_MORE = 2,  /* only BOM, blank or comment lines so far: look at more bytes */
    AAIG_ID_UTF16 = 3  /* a UTF-16 encoded grid: ours to refuse with a clear message */
} aaig_identify_result;

/* Cheap check of the first bytes of a file; at_eof: buf is the whole file. */
aaig_identify_result aaig_identify(const unsigned char *buf, size_t len, int at_eof);

typedef enum { AAIG_HDR_OK, AAIG_HDR_NEED_MORE, AAIG_HDR_ERROR } aaig_header_result;

typedef void (*aaig_warn_fn)(void *ctx, const aaig_diag *diag);

/* Parses the header from the first len bytes of the file (at_eof: that is the whole file).
 * NEED_MORE: call again with more bytes. ERROR: *diag says why. Ignored lines are reported
 * through warn (may be NULL). */
aaig_header_result aaig_header_parse(const char *buf, size_t len, int at_eof, aaig_header *h,
                                     aaig_diag *diag, aaig_warn_fn warn, void *warn_ctx);

/* The built-in's geotransform; returns 1 when the grid is centre-registered
 * (AREA_OR_POINT=Point). */
int aaig_header_geotransform(const aaig_header *h, double gt[6]);

/* The built-in's band type from the header: forced < 0 means no DATATYPE given. *scan_data
 * tells that the data must be scanned for float characters (then Float32 if found). *nodata
 * is the nodata value as the band reports it. */
aaig_type aaig_header_band_type(const aaig_header *h, int forced, int *scan_data, double *nodata);

/* 1-based line and column of a byte offset (<= len) in buf[0, len). */
void aaig_line_column(const char *buf, size_t len, size_t offset, uint64_t *line,
                      uint64_t *column);

#ifdef __cplusplus
}
#endif
#endif
