/* FastAAIGrid core: streaming reader. Given a way to read bytes (the caller's I/O, e.g. GDAL's
 * VSI layer), it detects the data type, serves any range of rows, keeps a sparse row index so
 * no row is walked over twice, and parses large ranges on several threads. Memory: one window
 * of at most chunk_size bytes and an index of at most 65537 offsets; the threads are the
 * process-wide pool's (aaig_pool.h). */
#ifndef AAIG_READER_H
#define AAIG_READER_H

#include "aaig_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    void *ctx;
    /* Reads up to n bytes at offset; returns the count (short only at end of file), or -1. */
    int64_t (*pread)(void *ctx, uint64_t offset, void *dst, size_t n);
    /* Non-zero when pread may run on several threads at once (large windows are then read
     * in parts, in parallel). */
    int concurrent;
} aaig_io;

typedef struct {
    uint64_t data_offset; /* file offset of the first value */
    uint64_t ncols, nrows;
    aaig_type type;
    unsigned nthreads;    /* 0 or 1: parse on the calling thread only */
    size_t chunk_size;    /* bytes per window; 0: default (4 MiB). Tests use tiny windows. */
    size_t parallel_min;  /* smallest region split across threads; 0: default (512 KiB) */
    /* What a `null` token reads as in Float32/Float64 grids: null_value (the band's numeric
     * nodata) when has_null_value, else what the built-in reads (aaig_null_default). */
    int has_null_value;
    double null_value;
} aaig_reader_config;

typedef struct {
    aaig_status status;
    uint64_t row, col;     /* the value concerned (0-based) */
    uint64_t offset;       /* its byte offset in the file (for AAIG_E_SHORT: end of file) */
    uint64_t values_found; /* AAIG_E_SHORT: values present in the file;
                            * AAIG_E_ROWS: rows asked for */
    char token[48];        /* the offending token, shortened, non-printables as '?' */
} aaig_read_error;

typedef struct aaig_reader aaig_reader;

aaig_reader *aaig_reader_new(const aaig_io *io, const aaig_reader_config *cfg);
void aaig_reader_free(aaig_reader *r);
void aaig_reader_set_type(aaig_reader *r, aaig_type type);
void aaig_reader_set_threads(aaig_reader *r, unsigned nthreads);

/* The built-in's type rule: does a float character (. , e E, and n N for nan/inf/null) occur
 * within the first ncols*nrows values? Text after the grid is not looked at. */
aaig_status aaig_reader_detect_float(aaig_reader *r, int *is_float, aaig_read_error *err);

/* Forgets the window's bytes and where the last read ended (the row index, whose entries
 * are written whole, stays): a child after fork() whose parent was inside a read of this
 * reader on another thread may have them half-written. */
void aaig_reader_forget_position(aaig_reader *r);

/* Parses rows [row0, row0 + nrows) into out: nrows*ncols contiguous values of the type. */
aaig_status aaig_reader_read(aaig_reader *r, uint64_t row0, uint64_t nrows, void *out,
                             aaig_read_error *err);

/* Parses the n rows listed (strictly increasing) into out, rows[i] at out + i * ncols values.
 * The rows between are scanned, not parsed: nearest resampling, sampled statistics. */
aaig_status aaig_reader_read_rows(aaig_reader *r, const uint64_t *rows, size_t n, void *out,
                                  aaig_read_error *err);

/* One sentence for a failed read: what was expected, what was found, and where (1-based row
 * and column, byte offset). The caller adds the file name. */
void aaig_read_error_message(const aaig_read_error *err, aaig_type type, uint64_t ncols,
                             uint64_t nrows, char *buf, size_t size);

const char *aaig_type_name(aaig_type type);

#ifdef __cplusplus
}
#endif
#endif
