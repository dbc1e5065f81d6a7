// FastAAIGrid: GDAL dataset and band over the C core. Thin: the core parses, this maps GDAL's
// API (VSI I/O, options, georeferencing, PAM) onto it.
#ifndef FASTAAIGRID_H
#define FASTAAIGRID_H

#include "gdal_pam.h"
#include "ogr_spatialref.h"

#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "aaig_alloc.h"
#include "aaig_header.h"
#include "aaig_pool.h"
#include "aaig_reader.h"
}

constexpr const char *FASTAAIGRID_NAME = "FastAAIGrid";

// GDAL 3.12 replaced GetGeoTransform(double *) by GetGeoTransform(GDALGeoTransform &) const.
#if GDAL_VERSION_NUM >= GDAL_COMPUTE_VERSION(3, 12, 0)
#define FASTAAIGRID_GT_API_312 1
#endif

// The six geotransform terms of any dataset, whatever the GDAL version.
CPLErr FastAAIGridGetGeoTransform(GDALDataset *ds, double gt[6]);

// Every message names the file: "FastAAIGrid: <file>: <what>"; num is GDAL's error number
// for its kind (CPLE_OpenFailed, CPLE_FileIO, ...), so that bindings raise the right error.
void FastAAIGridError(CPLErr level, CPLErrorNum num, const char *filename, const char *fmt, ...)
    CPL_PRINT_FUNC_FORMAT(4, 5);

// The thread count from NUM_THREADS (open/creation option), else GDAL_NUM_THREADS, else all
// cores; "ALL_CPUS" accepted. A bad value is a warning naming the file.
int FastAAIGridThreads(CSLConstList options, const char *filename);

// Whether GDAL's block cache holds the band's block (0, yBlock), without reading it.
bool FastAAIGridIsCached(GDALRasterBand *band, int yBlock);

// A size-valued test knob (FASTAAIGRID_CHUNK_SIZE, FASTAAIGRID_PARALLEL_MIN): its value as a
// config option, 0 when unset (the core's default).
size_t FastAAIGridTestKnob(const char *name);

// A buffer for rows from the core's aaig_large_alloc (huge pages, where Linux has them), kept
// from one use to the next while it is large enough. A freed buffer of 1 to 16 MiB is kept
// for the next one asked for, by any dataset (up to four such): on a virtual machine, memory
// fresh from the system can cost more to fault in than the rows cost to parse.
class FastAAIGridBuffer
{
    GByte *m_data = nullptr;
    size_t m_bytes = 0;

  public:
    FastAAIGridBuffer() = default;
    FastAAIGridBuffer(const FastAAIGridBuffer &) = delete;
    FastAAIGridBuffer &operator=(const FastAAIGridBuffer &) = delete;
    ~FastAAIGridBuffer() { Free(); }

    // At least n bytes: the buffer kept when it is as large, else another; nullptr (the old
    // one freed) when out of memory.
    GByte *Reserve(size_t n);
    GByte *get() const { return m_data; }
    void Free();
};

// Rows parsed on the pool while GDAL uses the rows before them (block reads down the raster:
// statistics, overviews, warping, resampling). While a job runs, the reader is the job's:
// Wait() before any other use of it.
class FastAAIGridReadAhead
{
    aaig_pool_job *m_job = nullptr;
    long m_pid = 0; // the process that started the job
    aaig_reader *m_reader = nullptr;
    int m_row0 = 0, m_rows = 0;
    FastAAIGridBuffer m_buf[2]; // the job writes one while the caller copies the other
    int m_cur = 0; // the buffer of the last job
    aaig_status m_status = AAIG_OK;
    aaig_read_error m_err{};

    static void Task(void *ctx, unsigned);

  public:
    // Starts parsing rows [row0, row0 + n) into the buffer the last job did not use; false
    // when out of memory (nothing started).
    bool Start(aaig_reader *reader, int row0, int n, size_t rowBytes);
    // Waits for the job started last, if any (its rows stay on offer: the file is checked
    // for changes when they are taken).
    void Wait();
    // Waits for the job started last; when it parsed the rows from row0: their data (*n rows),
    // or nullptr with *err filled when it failed. nullptr with err->status AAIG_OK otherwise.
    const GByte *Take(int row0, int *n, aaig_read_error *err);
    // Waits for the job started last and frees the buffers (a dataset left open after a scan
    // of the raster, a layer in QGIS say, does not keep them).
    void Release();
};

struct FileStampValue
{
    GIntBig size = 0, mtime_ns = 0;
};

class FastAAIGridDataset final : public GDALPamDataset
{
    friend class FastAAIGridBand;

    VSILFILE *m_fp = nullptr;
    aaig_reader *m_reader = nullptr;
    int m_threads = 1;
    FastAAIGridReadAhead m_ahead;
    aaig_type m_type = AAIG_INT32;
    double m_gt[6] = {0, 1, 0, 0, 0, 1};
    OGRSpatialReference m_srs;
    std::string m_prjFile;  // the .prj found, for GetFileList

    static int64_t PRead(void *ctx, uint64_t offset, void *dst, size_t n);
    static int64_t PReadConcurrent(void *ctx, uint64_t offset, void *dst, size_t n);
    void LoadPrj(const char *filename);
    bool MakeReader(const aaig_header &h, aaig_type type, double nodata,
                    CSLConstList openOptions);
    bool DetectFloat();
    FileStampValue m_stamp; // the file at open, when m_stamped
    bool m_stamped = false;

    bool ReadOK(aaig_status st, const aaig_read_error &err);
    bool ReadRows(int row0, int nrows, void *out);
    // The rows listed (increasing), one after another in out; the rows between are scanned.
    bool ReadRowList(const std::vector<uint64_t> &rows, void *out);
    void ReadRowsAhead(int row0, int nrows, size_t rowBytes);
    bool TakeRowsAhead(int row0, int *nrows, const GByte **rows);
    void EndReadAhead() { m_ahead.Release(); }
    void StampFile();
    bool FileUnchanged();

  public:
    FastAAIGridDataset() = default;
    ~FastAAIGridDataset() override;

    static int Identify(GDALOpenInfo *openInfo);
    static GDALDataset *Open(GDALOpenInfo *openInfo) { return Open(openInfo, false); }
    static GDALDataset *Open(GDALOpenInfo *openInfo, bool int32Data);
    static GDALDataset *CreateCopy(const char *filename, GDALDataset *src, int strict,
                                   CSLConstList options, GDALProgressFunc progress,
                                   void *progressData);
    // int32Data: the file's values are known to be integers of Int32's range (CreateCopy
    // wrote them), so no scan of the data decides the type.
    static GDALDataset *Reopen(const char *filename, GDALDataset *src, bool int32Data);

#ifdef FASTAAIGRID_GT_API_312
    CPLErr GetGeoTransform(GDALGeoTransform &gt) const override;
#else
    CPLErr GetGeoTransform(double *gt) override;
#endif
    const OGRSpatialReference *GetSpatialRef() const override;
    char **GetFileList() override;
};

// The rows that window reads parsed, kept for the windows after them, in one buffer for the
// whole raster (huge pages; memory taken as rows are parsed). GDAL's block cache would take a
// block of its own for each row, and faulting in the fresh pages of 4000 such blocks cost
// more than parsing them on this project's virtual machine (10-16 us a page). All stores
// together are held to a quarter of GDAL_CACHEMAX; a raster that does not fit in what is left
// has its windows' rows kept in the block cache, as before.
class FastAAIGridRowStore
{
    FastAAIGridBuffer m_buf;
    std::vector<bool> m_have;
    size_t m_rowBytes = 0;
    size_t m_charged = 0; // bytes counted against the budget; 0: no store

  public:
    FastAAIGridRowStore() = default;
    FastAAIGridRowStore(const FastAAIGridRowStore &) = delete;
    FastAAIGridRowStore &operator=(const FastAAIGridRowStore &) = delete;
    ~FastAAIGridRowStore() { Close(); }

    // The store for nrows rows of rowBytes, made if need be: false when it does not fit in
    // the budget or memory.
    bool Open(int nrows, size_t rowBytes);
    void Close();
    bool Has(int row) const { return m_charged && m_have[row]; }
    bool Has(int row0, int n) const;
    GByte *Row(int row) { return m_buf.get() + static_cast<size_t>(row) * m_rowBytes; }
    void Mark(int row0, int n);
};

class FastAAIGridBand final : public GDALPamRasterBand
{
    bool m_hasNoData = false;
    double m_noData = 0.0;
    // Block read-ahead: where the last run of rows ended and how many rows it held.
    int m_nextRow = 0;
    int m_run = 1;
    FastAAIGridBuffer m_scratch; // rows parsed for the block cache
    FastAAIGridRowStore m_store; // rows parsed for windows
    int m_keptRow0 = 0, m_keptRows = 0; // rows a direct read left in m_scratch (ReadDirect)
    int m_chunkY = -1, m_chunkH = 0;     // the last direct read's rows (ReadChunkAhead)
    // Sampled rows: those a nearest-neighbour resampled read is forecast to ask for (set by
    // IRasterIO for the read), and the step from the last row parsed before to the last
    // row asked for.
    std::vector<int> m_plan;
    int m_step = 0;
    std::vector<size_t> m_from; // GatherNearest's buffers, kept from one run to the next
    std::vector<GByte> m_picked;

    size_t RowBytes() const;
    int MaxRunRows() const;
    GByte *Scratch(int n);
    bool IsCached(int row);
    void KeepRows(int row0, int n, const GByte *rows);
    template <class Put> bool ForEachRow(int row0, int n, Put put);
    bool ReadDirect(int row0, int n, GByte *dst);
    void ReadChunkAhead(int y, int h);
    bool ReadNearest(int x, int y, int w, int h, GByte *out, int bufW, int bufH,
                     GDALDataType bufType, GSpacing pixelSpace, GSpacing lineSpace,
                     GDALRasterIOExtraArg *extra, bool *done);
    void GatherNearest(const std::vector<uint64_t> &run, const int *rows, int n,
                       const GByte *parsed, const std::vector<int> &cols, GByte *out,
                       GDALDataType bufType, GSpacing pixelSpace, GSpacing lineSpace);
    CPLErr ReadResampled(int x, int y, int w, int h, void *data, int bufW, int bufH,
                         GDALDataType bufType, GSpacing pixelSpace, GSpacing lineSpace,
                         GDALRasterIOExtraArg *extra);
    bool Progress(GDALRasterIOExtraArg *extra, int first, int done, int total, const char *of);
    std::vector<uint64_t> SampledRows(int row);
    bool ReadSampled(const std::vector<uint64_t> &rows, void *image);

  public:
    FastAAIGridBand(FastAAIGridDataset *ds, GDALDataType type, bool hasNoData, double noData);

    CPLErr IReadBlock(int blockX, int blockY, void *image) override;
    CPLErr IRasterIO(GDALRWFlag rw, int x, int y, int w, int h, void *data, int bufW, int bufH,
                     GDALDataType bufType, GSpacing pixelSpace, GSpacing lineSpace,
                     GDALRasterIOExtraArg *extra) override;
    double GetNoDataValue(int *success = nullptr) override;
    CPLErr SetNoDataValue(double value) override;
    CPLErr FlushCache(bool atClosing = false) override; // also empties the row store
};

#endif
