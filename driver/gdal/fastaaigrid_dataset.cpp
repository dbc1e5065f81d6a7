// Open: identify, header, data type, georeferencing, PAM.
#include "fastaaigrid.h"

#include "cpl_vsi_virtual.h"

#include "cpl_string.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdarg>
#include <cstdlib>
#include <vector>

#include <unistd.h>

constexpr size_t FIRST_HEADER_READ = 16384;
constexpr size_t MAX_HEADER = 1 << 20;

void FastAAIGridError(CPLErr level, CPLErrorNum num, const char *filename, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    CPLString msg;
    msg.vPrintf(fmt, ap);
    va_end(ap);
    CPLError(level, num, "%s: %s: %s", FASTAAIGRID_NAME, filename, msg.c_str());
}

// A failed read of the data, with GDAL's error number for its kind.
static void ReportReadError(const char *filename, const aaig_read_error &err, aaig_type type,
                            uint64_t ncols, uint64_t nrows)
{
    char msg[512];
    aaig_read_error_message(&err, type, ncols, nrows, msg, sizeof(msg));
    FastAAIGridError(CE_Failure, err.status == AAIG_E_IO ? CPLE_FileIO : CPLE_AppDefined,
                     filename, "%s", msg);
}

// The CPUs this process may use, asked of GDAL once per process: CPLGetNumCPUs reads a file
// and asks the kernel each time, which was a measurable part of opening or writing a small
// grid. A child after fork() asks again; an affinity changed later is not seen.
static unsigned ProcessCpus()
{
    static std::atomic<long long> cached{0};  // (pid << 16) | cpus
    const long long pid = static_cast<long long>(getpid());
    long long v = cached.load(std::memory_order_relaxed);
    if ((v >> 16) != pid)
    {
        v = (pid << 16) | aaig_clamp_threads(static_cast<unsigned>(std::max(1, CPLGetNumCPUs())));
        cached.store(v, std::memory_order_relaxed);
    }
    return static_cast<unsigned>(v & 0xffff);
}

size_t FastAAIGridTestKnob(const char *name)
{
    return static_cast<size_t>(std::strtoull(CPLGetConfigOption(name, "0"), nullptr, 10));
}

int FastAAIGridThreads(CSLConstList options, const char *filename)
{
    const char *value = CSLFetchNameValue(options, "NUM_THREADS");
    if (!value)
        value = CPLGetConfigOption("GDAL_NUM_THREADS", nullptr);
    // Every path is clamped: the core's per-thread arrays hold AAIG_MAX_THREADS entries.
    const unsigned cpus = ProcessCpus();
    if (!value || EQUAL(value, "ALL_CPUS"))
        return static_cast<int>(cpus);
    const long long n = std::atoll(value);
    if (n < 1)
    {
        FastAAIGridError(CE_Warning, CPLE_IllegalArg, filename,
                         "NUM_THREADS: expected a positive integer or ALL_CPUS, found '%s'; "
                         "using %u",
                         value, cpus);
        return static_cast<int>(cpus);
    }
    return static_cast<int>(aaig_clamp_threads(static_cast<unsigned long long>(n)));
}

FastAAIGridDataset::~FastAAIGridDataset()
{
    m_ahead.Wait();
    FlushCache(true);
    aaig_reader_free(m_reader);
    if (m_fp)
        VSIFCloseL(m_fp);
}

int64_t FastAAIGridDataset::PRead(void *ctx, uint64_t offset, void *dst, size_t n)
{
    VSILFILE *fp = static_cast<VSILFILE *>(ctx);
    if (VSIFSeekL(fp, offset, SEEK_SET) != 0)
        return -1;
    return static_cast<int64_t>(VSIFReadL(dst, 1, n, fp));
}

// Positional reads that several threads may make at once (plain files: pread(2)).
int64_t FastAAIGridDataset::PReadConcurrent(void *ctx, uint64_t offset, void *dst, size_t n)
{
    const auto *fp = static_cast<const VSIVirtualHandle *>(ctx);
    return static_cast<int64_t>(fp->PRead(dst, n, offset));
}

static bool HasExtension(const char *filename, const char *ext)
{
    return EQUAL(CPLGetExtension(filename), ext);
}

int FastAAIGridDataset::Identify(GDALOpenInfo *oi)
{
    if (oi->fpL == nullptr)
        return FALSE;
    // An empty .asc is claimed only to be refused with a clear message. Binary files are
    // left alone: we are asked before every other driver (a GeoTIFF may be named .asc).
    if (oi->nHeaderBytes == 0)
        return HasExtension(oi->pszFilename, "asc");
    // The prefix GDAL read is the whole file when it is shorter than asked for.
    aaig_identify_result id = aaig_identify(oi->pabyHeader, static_cast<size_t>(oi->nHeaderBytes),
                                            oi->nHeaderBytes < 1024);
    // Only BOM, blank or comment lines so far: look further, as far as a header may go.
    for (int want = 65536; id == AAIG_ID_MORE && want <= static_cast<int>(MAX_HEADER); want *= 4)
    {
        const int had = oi->nHeaderBytes;
        oi->TryToIngest(want);
        id = aaig_identify(oi->pabyHeader, static_cast<size_t>(oi->nHeaderBytes),
                           oi->nHeaderBytes < want || oi->nHeaderBytes == had);
    }
    // A .asc that is still only comments after the longest header we read: ours to refuse.
    return id == AAIG_ID_YES || id == AAIG_ID_UTF16 ||
           (id == AAIG_ID_MORE && HasExtension(oi->pszFilename, "asc"));
}

// Ignored header lines become warnings once the header is final.
static void CollectWarning(void *ctx, const aaig_diag *d)
{
    static_cast<std::vector<std::string> *>(ctx)->push_back(
        CPLSPrintf("line %llu, column %llu: %s", static_cast<unsigned long long>(d->line),
                   static_cast<unsigned long long>(d->column), d->message));
}

// Reads the header from the start of the file, reading more while it is not complete.
static bool ReadHeader(VSILFILE *fp, const char *fn, aaig_header *h)
{
    std::vector<char> buf;
    std::vector<std::string> warnings;
    aaig_diag diag;
    for (size_t want = FIRST_HEADER_READ;; want *= 4)
    {
        buf.resize(want + 1);
        if (VSIFSeekL(fp, 0, SEEK_SET) != 0)
            return false;
        const size_t n = VSIFReadL(buf.data(), 1, want, fp);
        buf[n] = '\0';
        warnings.clear();
        const aaig_header_result r =
            aaig_header_parse(buf.data(), n, n < want, h, &diag, CollectWarning, &warnings);
        if (r == AAIG_HDR_ERROR)
        {
            FastAAIGridError(CE_Failure, CPLE_OpenFailed, fn, "header, line %llu, column %llu: %s",
                             static_cast<unsigned long long>(diag.line),
                             static_cast<unsigned long long>(diag.column), diag.message);
            return false;
        }
        if (r == AAIG_HDR_OK)
            break;
        if (want >= MAX_HEADER)
        {
            FastAAIGridError(CE_Failure, CPLE_OpenFailed, fn,
                             "expected the header to end within its first %u bytes, found no "
                             "value before byte offset %u",
                             static_cast<unsigned>(MAX_HEADER), static_cast<unsigned>(n));
            return false;
        }
    }
    for (const std::string &w : warnings)
        FastAAIGridError(CE_Warning, CPLE_AppDefined, fn, "header, %s", w.c_str());
    return true;
}

// DATATYPE as the built-in reads it: the config option AAIGRID_DATATYPE wins over the open
// option. -1: detect. AUTO (ours) also detects: QGIS sets AAIGRID_DATATYPE=Float64 unless
// the user set it, so AAIGRID_DATATYPE=AUTO in QGIS's environment gives the file's own type.
static int ForcedType(GDALOpenInfo *oi)
{
    const char *source = "AAIGRID_DATATYPE";
    const char *value = CPLGetConfigOption(source, nullptr);
    if (!value)
    {
        source = "DATATYPE";
        value = CSLFetchNameValue(oi->papszOpenOptions, source);
    }
    if (!value || EQUAL(value, "AUTO"))
        return -1;
    switch (GDALGetDataTypeByName(value))
    {
        case GDT_Int32: return AAIG_INT32;
        case GDT_Float32: return AAIG_FLOAT32;
        case GDT_Float64: return AAIG_FLOAT64;
        default: break;
    }
    FastAAIGridError(CE_Warning, CPLE_IllegalArg, oi->pszFilename,
                     "%s: expected Int32, Float32, Float64 or AUTO, found '%s'; detecting the type "
                     "from the file",
                     source, value);
    return -1;
}

// The bytes the file can hold, when that is cheap to know; 0 when unknown. For /vsigzip/
// an upper bound from the compressed size (deflate expands at most ~1032:1): *is_bound.
static uint64_t FileSizeBound(const char *fn, bool *is_bound)
{
    VSIStatBufL st;
    *is_bound = false;
    if (STARTS_WITH_CI(fn, "/vsigzip/"))
    {
        if (VSIStatExL(fn + strlen("/vsigzip/"), &st, VSI_STAT_SIZE_FLAG) != 0)
            return 0;
        *is_bound = true;
        return static_cast<uint64_t>(st.st_size) * 1100 + 65536;
    }
    if (STARTS_WITH_CI(fn, "/vsistdin/") || VSIStatExL(fn, &st, VSI_STAT_SIZE_FLAG) != 0)
        return 0;
    return static_cast<uint64_t>(st.st_size);
}

static GDALDataType ToGDAL(aaig_type t)
{
    return t == AAIG_INT32 ? GDT_Int32 : t == AAIG_FLOAT32 ? GDT_Float32 : GDT_Float64;
}

// What makes a file that Identify accepted unopenable before its header is read: update
// access, an empty file, UTF-16 text. false, with the error reported.
static bool Openable(GDALOpenInfo *oi)
{
    const char *fn = oi->pszFilename;
    if (oi->eAccess == GA_Update)
    {
        FastAAIGridError(CE_Failure, CPLE_NotSupported, fn,
                         "expected read-only access: the driver cannot update files (write a "
                         "new one with CreateCopy)");
        return false;
    }
    if (oi->nHeaderBytes == 0)
    {
        FastAAIGridError(CE_Failure, CPLE_OpenFailed, fn,
                         "expected an ESRI ASCII Grid header (ncols, nrows, ...), found an "
                         "empty file");
        return false;
    }
    if (aaig_identify(oi->pabyHeader, static_cast<size_t>(oi->nHeaderBytes), 0) == AAIG_ID_UTF16)
    {
        FastAAIGridError(CE_Failure, CPLE_OpenFailed, fn,
                         "expected ASCII or UTF-8 text, found UTF-16 (byte order mark at byte "
                         "0); convert it first, e.g. iconv -f UTF-16 -t UTF-8");
        return false;
    }
    return true;
}

// No value takes less than one character and one separator: sizes the file cannot hold are
// refused before anything is allocated for them. false, with the error reported.
static bool FitsInFile(const char *fn, const aaig_header &h)
{
    const uint64_t values = h.ncols * h.nrows;
    bool isBound = false;
    const uint64_t bound = FileSizeBound(fn, &isBound);
    if (!bound || (bound >= h.data_offset && (bound - h.data_offset + 1) / 2 >= values))
        return true;
    FastAAIGridError(CE_Failure, CPLE_OpenFailed, fn,
                     "ncols %llu x nrows %llu = %llu values cannot fit in the %s%llu bytes "
                     "after the header (each value needs at least 2 bytes)",
                     static_cast<unsigned long long>(h.ncols),
                     static_cast<unsigned long long>(h.nrows),
                     static_cast<unsigned long long>(values), isBound ? "at most " : "",
                     static_cast<unsigned long long>(bound > h.data_offset ? bound - h.data_offset
                                                                           : 0));
    return false;
}

// The header's geotransform (*isPoint: corners given as cell centres); false, with the error
// reported, when the grid's edges overflow, before anything is read or allocated.
static bool HeaderGeoTransform(const char *fn, const aaig_header &h, double gt[6], bool *isPoint)
{
    *isPoint = aaig_header_geotransform(&h, gt) != 0;
    if (std::all_of(gt, gt + 6, [](double v) { return std::isfinite(v); }))
        return true;
    FastAAIGridError(CE_Failure, CPLE_OpenFailed, fn,
                     "header: expected the grid's edges to be finite numbers, found a grid "
                     "that reaches beyond the range of doubles (origin %.17g, %.17g, cell size "
                     "%.17g x %.17g)",
                     gt[0], gt[3], gt[1], -gt[5]);
    return false;
}

// The core's reader for the file (the dataset's handle), of `type` (m_type); false when out
// of memory (reported).
bool FastAAIGridDataset::MakeReader(const aaig_header &h, aaig_type type, double nodata,
                                    CSLConstList openOptions)
{
    auto *handle = reinterpret_cast<VSIVirtualHandle *>(m_fp);
    aaig_io io = {m_fp, PRead, 0};
    if (handle->HasPRead())
        io = {handle, PReadConcurrent, 1};
    aaig_reader_config cfg = {};
    cfg.data_offset = h.data_offset;
    cfg.ncols = h.ncols;
    cfg.nrows = h.nrows;
    cfg.type = type;
    m_threads = FastAAIGridThreads(openOptions, GetDescription());
    cfg.nthreads = static_cast<unsigned>(m_threads);
    // A `null` cell reads as the band's nodata (the built-in: -FLT_MAX whatever the nodata).
    cfg.has_null_value = h.has_nodata && !h.nodata_is_null;
    cfg.null_value = nodata;
    // Test knobs: tiny windows and splitting every region put chunk and thread boundaries
    // inside numbers, CRLF pairs and blank lines of small files.
    cfg.chunk_size = FastAAIGridTestKnob("FASTAAIGRID_CHUNK_SIZE");
    cfg.parallel_min = FastAAIGridTestKnob("FASTAAIGRID_PARALLEL_MIN");
    m_type = type;
    m_reader = aaig_reader_new(&io, &cfg);
    if (m_reader)
        return true;
    FastAAIGridError(CE_Failure, CPLE_OutOfMemory, GetDescription(), "out of memory");
    return false;
}

// A scan of the data for a value with a '.' or an exponent, which makes an Int32 grid
// Float32 (the built-in's rule); false, with the error reported, when the file cannot be
// read.
bool FastAAIGridDataset::DetectFloat()
{
    int is_float = 0;
    aaig_read_error err;
    if (!ReadOK(aaig_reader_detect_float(m_reader, &is_float, &err), err))
        return false;
    if (is_float)
        m_type = AAIG_FLOAT32;
    aaig_reader_set_type(m_reader, m_type);
    return true;
}

GDALDataset *FastAAIGridDataset::Open(GDALOpenInfo *oi, bool int32Data)
{
    if (!Identify(oi) || !Openable(oi))
        return nullptr;
    const char *fn = oi->pszFilename;
    aaig_header h;
    double gt[6];
    bool isPoint = false;
    if (!ReadHeader(oi->fpL, fn, &h) || !FitsInFile(fn, h) ||
        !HeaderGeoTransform(fn, h, gt, &isPoint))
        return nullptr;

    int scan = 0;
    double nodata = 0.0;
    const aaig_type type = aaig_header_band_type(&h, ForcedType(oi), &scan, &nodata);
    auto ds = std::make_unique<FastAAIGridDataset>();
    ds->nRasterXSize = static_cast<int>(h.ncols);
    ds->nRasterYSize = static_cast<int>(h.nrows);
    ds->m_fp = oi->fpL;
    ds->SetDescription(fn);
    ds->StampFile();
    oi->fpL = nullptr;
    if (!ds->MakeReader(h, type, nodata, oi->papszOpenOptions) ||
        (scan && !int32Data && !ds->DetectFloat()))
        return nullptr;
    ds->SetBand(1, new FastAAIGridBand(ds.get(), ToGDAL(ds->m_type), h.has_nodata != 0, nodata));

    memcpy(ds->m_gt, gt, sizeof(gt));
    if (isPoint)
        ds->SetMetadataItem(GDALMD_AREA_OR_POINT, GDALMD_AOP_POINT);
    ds->LoadPrj(fn);

    ds->TryLoadXML();
    // No sibling list: listing a directory of thousands of tiles on every open costs more than
    // reading a tile. Overviews are looked up by name when asked for.
    ds->oOvManager.Initialize(ds.get(), fn);
    return ds.release();
}

// The first line starting with `field` (any case), second token: as the built-in's OSR_GDS.
static CPLString PrjField(CSLConstList lines, const char *field)
{
    for (CSLConstList l = lines; l && *l; ++l)
    {
        if (EQUALN(*l, field, strlen(field)))
        {
            CPLStringList tokens(CSLTokenizeString(*l));
            return tokens.size() > 1 ? CPLString(tokens[1]) : CPLString();
        }
    }
    return CPLString();
}

void FastAAIGridDataset::LoadPrj(const char *fn)
{
    const CPLString dir = CPLGetPath(fn);
    const CPLString base = CPLGetBasename(fn);
    CPLString prj = CPLFormFilename(dir, base, "prj");
    VSIStatBufL st;
    bool found = VSIStatL(prj, &st) == 0;
    if (!found && VSIIsCaseSensitiveFS(prj))
    {
        prj = CPLFormFilename(dir, base, "PRJ");
        found = VSIStatL(prj, &st) == 0;
    }
    if (!found)
        return;
    m_prjFile = prj;
    CPLStringList lines(CSLLoad(prj));
    OGRSpatialReference srs;
    if (srs.importFromESRI(lines.List()) != OGRERR_NONE)
        return;
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    // Geographic grids in decimal seconds, as the built-in handles them.
    if (srs.IsGeographic() && EQUAL(PrjField(lines.List(), "Units"), "DS"))
        for (double &v : m_gt)
            v /= 3600.0;
    m_srs = srs;
}

#ifdef FASTAAIGRID_GT_API_312
CPLErr FastAAIGridDataset::GetGeoTransform(GDALGeoTransform &gt) const
{
    gt = GDALGeoTransform(m_gt);
    return CE_None;
}

CPLErr FastAAIGridGetGeoTransform(GDALDataset *ds, double gt[6])
{
    GDALGeoTransform t;
    const CPLErr err = ds->GetGeoTransform(t);
    memcpy(gt, t.data(), 6 * sizeof(double));
    return err;
}
#else
CPLErr FastAAIGridDataset::GetGeoTransform(double *gt)
{
    memcpy(gt, m_gt, sizeof(m_gt));
    return CE_None;
}

CPLErr FastAAIGridGetGeoTransform(GDALDataset *ds, double gt[6])
{
    return ds->GetGeoTransform(gt);
}
#endif

const OGRSpatialReference *FastAAIGridDataset::GetSpatialRef() const
{
    return m_srs.IsEmpty() ? nullptr : &m_srs;
}

char **FastAAIGridDataset::GetFileList()
{
    char **files = GDALPamDataset::GetFileList();
    if (!m_prjFile.empty())
        files = CSLAddString(files, m_prjFile.c_str());
    return files;
}

// A local file's size and modification time (ns where the system keeps them); false when
// it cannot be read, or for VSI paths, where a stat may cost a network request.
static bool FileStamp(const char *fn, FileStampValue *stamp)
{
    VSIStatBufL st;
    if (STARTS_WITH(fn, "/vsi") || VSIStatL(fn, &st) != 0)
        return false;
    stamp->size = static_cast<GIntBig>(st.st_size);
#if defined(__linux__)
    stamp->mtime_ns = static_cast<GIntBig>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
#else
    stamp->mtime_ns = static_cast<GIntBig>(st.st_mtime) * 1000000000;
#endif
    return true;
}

void FastAAIGridDataset::StampFile() { m_stamped = FileStamp(GetDescription(), &m_stamp); }

// The row offsets the reader has learnt hold only for the file as it was at open: reading a
// file changed since is an error, not values parsed from the middle of other rows.
bool FastAAIGridDataset::FileUnchanged()
{
    FileStampValue now;
    if (!m_stamped || (FileStamp(GetDescription(), &now) && now.size == m_stamp.size &&
                       now.mtime_ns == m_stamp.mtime_ns))
        return true;
    FastAAIGridError(CE_Failure, CPLE_FileIO, GetDescription(),
                     "the file changed after it was opened (%lld bytes then, %lld now, or a "
                     "newer modification time): open it again",
                     static_cast<long long>(m_stamp.size), static_cast<long long>(now.size));
    return false;
}

// True when st is AAIG_OK; otherwise reports the error.
bool FastAAIGridDataset::ReadOK(aaig_status st, const aaig_read_error &err)
{
    if (st == AAIG_OK)
        return true;
    ReportReadError(GetDescription(), err, m_type, static_cast<uint64_t>(nRasterXSize),
                    static_cast<uint64_t>(nRasterYSize));
    return false;
}

bool FastAAIGridDataset::ReadRows(int row0, int nrows, void *out)
{
    m_ahead.Wait();
    aaig_read_error err;
    return FileUnchanged() && ReadOK(aaig_reader_read(m_reader, static_cast<uint64_t>(row0),
                                                      static_cast<uint64_t>(nrows), out, &err),
                                     err);
}

bool FastAAIGridDataset::ReadRowList(const std::vector<uint64_t> &rows, void *out)
{
    m_ahead.Wait();
    aaig_read_error err;
    return FileUnchanged() &&
           ReadOK(aaig_reader_read_rows(m_reader, rows.data(), rows.size(), out, &err), err);
}

// Reading ahead is for reads that use several threads; the caller's thread is the job's
// other thread (it helps when it waits for it).
void FastAAIGridDataset::ReadRowsAhead(int row0, int nrows, size_t rowBytes)
{
    if (nrows > 0 && m_threads > 1 && FileUnchanged())
        m_ahead.Start(m_reader, row0, nrows, rowBytes);
}

// The rows read ahead from row0, if that is where the last job started (*rows nullptr
// otherwise); false, with the error reported, when that job failed.
bool FastAAIGridDataset::TakeRowsAhead(int row0, int *nrows, const GByte **rows)
{
    aaig_read_error err;
    *rows = m_ahead.Take(row0, nrows, &err);
    if (!*rows)
        return ReadOK(err.status, err);
    return FileUnchanged();
}

// Freed buffers kept for reuse. Each slot holds a buffer or nullptr; a buffer's first bytes
// hold its size while it waits. Lock-free, so that a child after fork() finds no lock held.
// Only buffers from 1 MiB on (smaller ones are malloc's, which keeps them warm itself), so
// that the slots are not filled by the small buffers of small grids.
namespace
{
constexpr size_t SPARE_MIN_BYTES = 1u << 20, SPARE_MAX_BYTES = 16u << 20;
std::atomic<GByte *> g_spare[4];

// A spare buffer of at least n bytes (*bytes its size), or nullptr.
GByte *TakeSpare(size_t n, size_t *bytes)
{
    for (auto &slot : g_spare)
    {
        GByte *p = slot.exchange(nullptr);
        if (!p)
            continue;
        memcpy(bytes, p, sizeof(*bytes));
        if (*bytes >= n)
            return p;
        GByte *none = nullptr;
        if (!slot.compare_exchange_strong(none, p))
            aaig_large_free(p, *bytes);
    }
    return nullptr;
}

// Keeps the buffer in a free slot, or frees it.
void PutSpare(GByte *p, size_t bytes)
{
    if (bytes >= SPARE_MIN_BYTES && bytes <= SPARE_MAX_BYTES)
    {
        memcpy(p, &bytes, sizeof(bytes));
        for (auto &slot : g_spare)
        {
            GByte *none = nullptr;
            if (slot.compare_exchange_strong(none, p))
                return;
        }
    }
    aaig_large_free(p, bytes);
}
} // namespace

GByte *FastAAIGridBuffer::Reserve(size_t n)
{
    if (n <= m_bytes)
        return m_data;
    Free();
    m_data = TakeSpare(n, &m_bytes);
    if (!m_data)
    {
        m_data = static_cast<GByte *>(aaig_large_alloc(n));
        m_bytes = m_data ? n : 0;
    }
    return m_data;
}

void FastAAIGridBuffer::Free()
{
    if (m_data)
        PutSpare(m_data, m_bytes);
    m_data = nullptr;
    m_bytes = 0;
}

void FastAAIGridReadAhead::Task(void *ctx, unsigned)
{
    auto *self = static_cast<FastAAIGridReadAhead *>(ctx);
    self->m_status = aaig_reader_read(self->m_reader, static_cast<uint64_t>(self->m_row0),
                                      static_cast<uint64_t>(self->m_rows),
                                      self->m_buf[self->m_cur].get(), &self->m_err);
}

bool FastAAIGridReadAhead::Start(aaig_reader *reader, int row0, int n, size_t rowBytes)
{
    Wait();
    const int next = 1 - m_cur;
    if (!m_buf[next].Reserve(static_cast<size_t>(n) * rowBytes))
        return false;
    m_cur = next;
    m_reader = reader;
    m_row0 = row0;
    m_rows = n;
    m_pid = static_cast<long>(getpid());
    m_job = aaig_pool_start(1, 1, Task, this);
    // The job reads the fields set above: they are not written again while it may run.
    if (!m_job) // done already, on this thread: its rows are offered when it succeeded
    {
        m_pid = 0;
        m_rows = m_status == AAIG_OK ? n : 0;
    }
    return true;
}

void FastAAIGridReadAhead::Wait()
{
    // A child after fork() has none of the pool's threads: the job is not its to finish, and
    // neither its rows nor the reader's window, which the job may have been filling, are
    // trusted.
    if (m_job && m_pid == static_cast<long>(getpid()))
    {
        aaig_pool_finish(m_job);
    }
    else if (m_job)
    {
        m_rows = 0;
        aaig_reader_forget_position(m_reader);
    }
    m_job = nullptr;
}

const GByte *FastAAIGridReadAhead::Take(int row0, int *n, aaig_read_error *err)
{
    const bool had = m_job != nullptr || m_rows != 0;
    Wait();
    err->status = AAIG_OK;
    const int rows = m_rows;
    m_rows = 0; // offered once
    if (!had || rows == 0 || row0 != m_row0)
        return nullptr;
    if (m_status != AAIG_OK)
    {
        *err = m_err;
        return nullptr;
    }
    *n = rows;
    return m_buf[m_cur].get();
}

void FastAAIGridReadAhead::Release()
{
    Wait();
    m_rows = 0;
    m_buf[0].Free();
    m_buf[1].Free();
}
