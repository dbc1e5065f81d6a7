/* Core-only throughput: parse a whole .asc through aaig_reader from memory, no GDAL.
 * Usage: core_bench FILE [threads] [reps]. Prints MB/s of the data section. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aaig_header.h"
#include "aaig_reader.h"

typedef struct { const char *data; size_t len; } mem;

static int64_t mem_pread(void *ctx, uint64_t off, void *dst, size_t n)
{
    mem *m = ctx;
    if (off >= m->len)
        return 0;
    if (n > m->len - off)
        n = m->len - off;
    memcpy(dst, m->data + off, n);
    return (int64_t)n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [threads] [reps]\n", argv[0]);
        return 2;
    }
    unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc(len + 1);
    if (fread(data, 1, len, f) != len)
        return 1;
    fclose(f);
    data[len] = 0;
    aaig_header h;
    aaig_diag d;
    if (aaig_header_parse(data, len, 1, &h, &d, NULL, NULL) != AAIG_HDR_OK) {
        fprintf(stderr, "header: %s\n", d.message);
        return 1;
    }
    int scan;
    double nodata;
    aaig_type type = aaig_header_band_type(&h, -1, &scan, &nodata);
    mem m = {data, len};
    aaig_io io = {&m, mem_pread, 1};
    size_t chunk = getenv("AAIG_CHUNK") ? (size_t)atol(getenv("AAIG_CHUNK")) : 0;
    aaig_reader_config cfg = {h.data_offset, h.ncols, h.nrows, type, threads, chunk, 0};
    void *out = malloc(h.ncols * h.nrows * 8);
    memset(out, 0, h.ncols * h.nrows * 8);
    double best = 1e9;
    for (int i = 0; i < reps; i++) {
        double t = now();
        aaig_reader *r = aaig_reader_new(&io, &cfg);
        int is_float = 0;
        aaig_read_error err;
        if (scan && aaig_reader_detect_float(r, &is_float, &err) == AAIG_OK && is_float)
            aaig_reader_set_type(r, AAIG_FLOAT32);
        if (aaig_reader_read(r, 0, h.nrows, out, &err) != AAIG_OK) {
            char msg[512];
            aaig_read_error_message(&err, type, h.ncols, h.nrows, msg, sizeof(msg));
            fprintf(stderr, "read: %s\n", msg);
            return 1;
        }
        aaig_reader_free(r);
        t = now() - t;
        if (t < best)
            best = t;
    }
    printf("%s: %u thread(s): %.1f ms, %.0f MB/s\n", argv[1], threads, best * 1e3,
           (double)(len - h.data_offset) / best / 1e6);
    free(out);
    free(data);
    return 0;
}
