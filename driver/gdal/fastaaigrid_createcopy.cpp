// Writing: CreateCopy formats row blocks on several threads and writes them in order, the
// next block formatted on the pool while the caller writes the last and reads the one after.
#include "fastaaigrid.h"

#include "cpl_string.h"

extern "C" {
#include "aaig_format.h"
#include "aaig_number.h"
}

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <cmath>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace
{

// Values formatted per block; the test knob FASTAAIGRID_CHUNK_SIZE, when set, replaces it, so
// that small grids are written in many blocks too.
constexpr size_t BLOCK_VALUES = 1 << 20;
// The fewest values a formatting task gets: handing a task to a pool thread costs about as
// much as formatting a few thousand values, so small grids are formatted on the caller's
// thread alone (a 10x10 copy woke a worker for 10 values each). The test knob
// FASTAAIGRID_PARALLEL_MIN, when set, replaces it, so that small grids split too.
constexpr size_t MIN_TASK_VALUES = 1 << 14;

// Tasks per thread: the caller reads and writes while the pool formats, and joins in when it
// is done; with a task per thread it would find them all taken and wait for the last one.
constexpr unsigned TASKS_PER_THREAD = 4;

// Formatting tasks per block of n values on at most `threads` threads.
unsigned FormatTasks(unsigned threads, size_t n)
{
    size_t least = FastAAIGridTestKnob("FASTAAIGRID_PARALLEL_MIN");
    if (least == 0)
        least = MIN_TASK_VALUES;
    const size_t tasks = std::max<size_t>(1, n / least);
    const unsigned t = aaig_clamp_threads(threads);
    return static_cast<unsigned>(std::min<size_t>(t == 1 ? 1 : TASKS_PER_THREAD * t, tasks));
}

struct ValueKind
{
    aaig_vtype vtype;
    GDALDataType read_as;
    bool is_float;
};

ValueKind KindOf(GDALDataType t)
{
    switch (t)
    {
        case GDT_Float32: return {AAIG_V_F32, GDT_Float32, true};
        case GDT_Float64: return {AAIG_V_F64, GDT_Float64, true};
        case GDT_UInt32: return {AAIG_V_U32, GDT_UInt32, false};
        case GDT_Int64: return {AAIG_V_I64, GDT_Int64, false};
        case GDT_UInt64: return {AAIG_V_U64, GDT_UInt64, false};
        default: return {AAIG_V_I32, GDT_Int32, false};  // Byte, Int16, UInt16, Int32
    }
}

// A header number: the built-in's %.12f when that reads back exactly, else the shortest
// text that does (the built-in's %.12f silently rounds e.g. 1/1200 degree cells).
CPLString HeaderNumber(double v)
{
    CPLString fixed;
    fixed.Printf("%.12f", v);
    double back = 0;
    if (aaig_parse_double(fixed.c_str(), fixed.size(), &back, nullptr) == AAIG_OK && back == v)
        return fixed;
    char text[32];
    aaig_format_f64(v, text);
    return text;
}

// Precision options as the built-in reads them; returns false on a bad value.
bool FormatOptions(const char *fn, CSLConstList options, aaig_format_options *opt)
{
    const char *decimals = CSLFetchNameValue(options, "DECIMAL_PRECISION");
    const char *significant = CSLFetchNameValue(options, "SIGNIFICANT_DIGITS");
    if (decimals && significant)
    {
        FastAAIGridError(CE_Warning, CPLE_IllegalArg,
                         fn, "Conflicting precision arguments, using DECIMAL_PRECISION");
        significant = nullptr;
    }
    const char *name = decimals ? "DECIMAL_PRECISION" : "SIGNIFICANT_DIGITS";
    const char *value = decimals ? decimals : significant;
    if (!value)
        return true;
    const int n = atoi(value);
    if (n < 0)  // ignored, as the built-in does
        return true;
    if (n > AAIG_MAX_PRECISION)
    {
        FastAAIGridError(CE_Failure, CPLE_IllegalArg, fn, "%s: expected 0 to %d, found '%s'", name,
                         AAIG_MAX_PRECISION, value);
        return false;
    }
    opt->mode = decimals ? AAIG_FMT_DECIMALS : AAIG_FMT_SIGNIFICANT;
    opt->precision = n;
    return true;
}

// The NODATA_value text, in the data's own format; false when the band's nodata cannot be
// written for this grid (then no NODATA_value line).
bool NodataText(GDALRasterBand *band, const ValueKind &kind, const aaig_format_options &opt,
                CPLString *out)
{
    char text[400];
    int ok = FALSE;
    switch (kind.vtype)
    {
        case AAIG_V_I64:
            aaig_format_i64(band->GetNoDataValueAsInt64(&ok), text);
            break;
        case AAIG_V_U64:
            aaig_format_u64(band->GetNoDataValueAsUInt64(&ok), text);
            break;
        case AAIG_V_I32:
        case AAIG_V_U32:
        {
            // As the built-in: the integer part; a value out of the type's range is dropped.
            const double v = band->GetNoDataValue(&ok);
            const double lo = kind.vtype == AAIG_V_I32 ? -2147483648.0 : 0.0;
            const double hi = kind.vtype == AAIG_V_I32 ? 2147483647.0 : 4294967295.0;
            if (!ok)
                return false;
            if (!(std::trunc(v) >= lo && std::trunc(v) <= hi))
            {
                FastAAIGridError(CE_Warning, CPLE_AppDefined, band->GetDataset()->GetDescription(),
                                 "the nodata value %.17g does not fit the %s band: no "
                                 "NODATA_value written",
                                 v, GDALGetDataTypeName(band->GetRasterDataType()));
                return false;
            }
            aaig_format_i64(static_cast<int64_t>(std::trunc(v)), text);
            break;
        }
        default:
        {
            const double v = band->GetNoDataValue(&ok);
            aaig_format_options o = opt;
            o.nan_text = nullptr;
            const float f = static_cast<float>(v);
            // A nodata that is no float is kept exactly as it is (a double).
            if (o.type == AAIG_V_F32 && static_cast<double>(f) != v && !std::isnan(v))
                o.type = AAIG_V_F64;
            aaig_format_value(o.type == AAIG_V_F32 ? static_cast<const void *>(&f)
                                                   : static_cast<const void *>(&v),
                              0, &o, text);
            // Readers rank a nodata beyond FLT_MAX as Float64: for +-FLT_MAX write the exact
            // double, which is FLT_MAX itself ("3.4028235e+38" reads above it).
            double back = 0;
            aaig_parse_double(text, strlen(text), &back, nullptr);
            if (o.type == AAIG_V_F32 && std::isfinite(back) && std::fabs(back) > FLT_MAX)
                aaig_format_f64(static_cast<double>(f), text);
            break;
        }
    }
    if (!ok)
        return false;
    *out = text;
    return true;
}

// One block of rows to format: the source's values and the text of each task. The buffers
// are left uninitialised: the text's are sized for the longest values, and pages never
// written are never faulted in.
struct FormatJob
{
    std::unique_ptr<GByte[]> values;
    size_t ncols = 0, value_size = 0;
    const aaig_format_options *opt = nullptr;
    // rows [row0[t], row0[t+1]) of the block go to task t, in file order
    std::vector<size_t> row0;
    std::vector<int> need_dot;
    std::vector<std::unique_ptr<char[]>> text;
    std::vector<size_t> length;
    bool reverse = false; // block rows are stored bottom-up (south-up source)
    size_t nrows = 0;
    aaig_pool_job *pending = nullptr; // being formatted on the pool

    // The values of row r of the block in file order.
    const GByte *FileRow(size_t r) const
    {
        return values.get() + (reverse ? nrows - 1 - r : r) * ncols * value_size;
    }
    ~FormatJob() { Finish(); }
    void Finish()
    {
        aaig_pool_finish(pending);
        pending = nullptr;
    }
};

void FormatTask(void *ctx, unsigned t)
{
    auto *job = static_cast<FormatJob *>(ctx);
    char *out = job->text[t].get();
    size_t n = 0;
    for (size_t r = job->row0[t]; r < job->row0[t + 1]; r++)
        n += aaig_format_row(job->FileRow(r), job->ncols, job->opt, &job->need_dot[t], out + n);
    job->length[t] = n;
}

// The built-in of GDAL 3.6 takes a first data line that starts with a letter ("nan",
// "inf") for a header line and fails to open the file: such a line is started with a space,
// which every reader skips.
bool StartsWithALetter(const FormatJob &job)
{
    for (size_t t = 0; t < job.text.size(); t++)
        if (job.length[t])
            return isalpha(static_cast<unsigned char>(job.text[t][0])) != 0;
    return false;
}

// The source's geotransform, checked: ESRI ASCII Grid has a lower-left corner and a cell size,
// nothing else. No georeferencing: cells of 1 from (0, 0), rows kept in their order. false,
// with the error reported, for what the format cannot store.
bool GridGeoTransform(const char *fn, GDALDataset *src, double gt[6])
{
    const int ncols = src->GetRasterXSize(), nrows = src->GetRasterYSize();
    if (FastAAIGridGetGeoTransform(src, gt) != CE_None)
    {
        const double none[6] = {0, 1, 0, static_cast<double>(nrows), 0, -1};
        memcpy(gt, none, sizeof(none));
    }
    if (gt[2] != 0 || gt[4] != 0)
    {
        FastAAIGridError(CE_Failure, CPLE_NotSupported, fn,
                         "expected a north-up or south-up grid, found a rotated geotransform "
                         "(terms %.17g, %.17g): ESRI ASCII Grid cannot store rotation; warp "
                         "the source first (gdalwarp)",
                         gt[2], gt[4]);
        return false;
    }
    if (!(gt[1] > 0) || gt[5] == 0)
    {
        FastAAIGridError(CE_Failure, CPLE_NotSupported, fn,
                         "expected a positive pixel width and a non-zero pixel height, found "
                         "%.17g and %.17g",
                         gt[1], gt[5]);
        return false;
    }
    const double yll = gt[5] > 0 ? gt[3] : gt[3] + nrows * gt[5];
    if (!std::isfinite(gt[0]) || !std::isfinite(gt[3]) || !std::isfinite(gt[1]) ||
        !std::isfinite(gt[5]) || !std::isfinite(yll) || !std::isfinite(gt[0] + ncols * gt[1]))
    {
        FastAAIGridError(CE_Failure, CPLE_IllegalArg, fn,
                         "expected a finite geotransform, found origin %.17g, %.17g, pixel "
                         "size %.17g x %.17g (lower-left corner y %.17g)",
                         gt[0], gt[3], gt[1], gt[5], yll);
        return false;
    }
    return true;
}

// The header up to the cell size: cellsize, or dx and dy (with a warning, unless
// FORCE_CELLSIZE is given) for pixels that are not square.
CPLString GridHeader(const char *fn, int ncols, int nrows, const double gt[6],
                     CSLConstList options)
{
    const double dx = gt[1], dy = std::fabs(gt[5]);
    const double yll = gt[5] > 0 ? gt[3] : gt[3] + nrows * gt[5];
    const char *force = CSLFetchNameValue(options, "FORCE_CELLSIZE");
    const bool square = std::fabs(dx - dy) <= 1e-9 * std::max(dx, dy);
    CPLString header;
    header.Printf("ncols        %d\nnrows        %d\nxllcorner    %s\nyllcorner    %s\n", ncols,
                  nrows, HeaderNumber(gt[0]).c_str(), HeaderNumber(yll).c_str());
    if (square || (force && CPLTestBool(force)))
        return header + CPLSPrintf("cellsize     %s\n", HeaderNumber(dx).c_str());
    if (!force)
        FastAAIGridError(CE_Warning, CPLE_AppDefined, fn,
                         "writing dx and dy (Golden Surfer style) because the pixels are "
                         "not square (%.17g x %.17g); most readers, ArcGIS included, only "
                         "know cellsize: use FORCE_CELLSIZE=TRUE for cellsize = dx",
                         dx, dy);
    return header + CPLSPrintf("dx           %s\ndy           %s\n", HeaderNumber(dx).c_str(),
                               HeaderNumber(dy).c_str());
}

// A failed copy leaves no truncated grid behind; but only a regular file is removed, never
// a device (/dev/full), a pipe or /vsistdout/.
void RemovePartialFile(const char *fn)
{
    VSIStatBufL st;
    if (VSIStatL(fn, &st) == 0 && VSI_ISREG(st.st_mode))
        VSIUnlink(fn);
}

// The ESRI WKT of srs (empty when it has none). PROJ looks the ESRI names up in its database,
// ~0.3 ms a copy, more than a small grid's whole copy; a tile set's copies share a handful of
// spatial references, so the last few are kept, by their WKT2 (the whole definition).
std::string EsriWkt(const OGRSpatialReference &srs)
{
    static std::mutex mutex;
    static std::vector<std::pair<std::string, std::string>> kept; // the newest last
    constexpr size_t KEPT = 8;
    char *key = nullptr;
    const char *const wkt2[] = {"FORMAT=WKT2_2019", nullptr};
    const bool keyed = srs.exportToWkt(&key, wkt2) == OGRERR_NONE && key;
    const std::string k = keyed ? key : "";
    CPLFree(key);
    if (keyed)
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto &entry : kept)
            if (entry.first == k)
                return entry.second;
    }
    OGRSpatialReference esri(srs);
    esri.morphToESRI();
    char *wkt = nullptr;
    const std::string text = esri.exportToWkt(&wkt) == OGRERR_NONE && wkt ? wkt : "";
    CPLFree(wkt);
    if (keyed && !text.empty())
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (kept.size() == KEPT)
            kept.erase(kept.begin());
        kept.emplace_back(k, text);
    }
    return text;
}

void WritePrj(const char *fn, const OGRSpatialReference &srs)
{
    const CPLString prj = CPLFormFilename(CPLGetPath(fn), CPLGetBasename(fn), "prj");
    const std::string wkt = EsriWkt(srs);
    if (wkt.empty())
    {
        FastAAIGridError(CE_Warning, CPLE_AppDefined, fn,
                         "cannot express the spatial reference in ESRI WKT: no %s written",
                         prj.c_str());
        return;
    }
    VSILFILE *fp = VSIFOpenL(prj, "wb");
    bool ok = fp && VSIFWriteL(wkt.data(), 1, wkt.size(), fp) == wkt.size();
    if (fp && VSIFCloseL(fp) != 0)
        ok = false;
    if (!ok)
        FastAAIGridError(CE_Warning, CPLE_FileIO, fn, "cannot write the projection file %s",
                         prj.c_str());
}

// Sizes a block's buffers: false when out of memory.
bool AllocateBlock(FormatJob &job, size_t blockRows, unsigned nt, size_t rowChars)
{
    job.values.reset(new (std::nothrow) GByte[blockRows * job.ncols * job.value_size]);
    job.text.resize(nt);
    for (auto &t : job.text)
    {
        t.reset(new (std::nothrow) char[((blockRows + nt - 1) / nt) * rowChars]);
        if (!t)
            return false;
    }
    job.row0.resize(nt + 1);
    job.need_dot.resize(nt);
    job.length.resize(nt);
    return job.values != nullptr;
}

// Splits the block's n rows into nt tasks. The first finite value of the file gets ".0"
// unless it has a '.' or 'e' (the built-in's rule, so that readers detect a float grid):
// the tasks up to the one holding it look for it. *needDot: not found before this block.
void SplitBlock(FormatJob &job, size_t n, unsigned nt, aaig_vtype vtype, bool *needDot)
{
    job.nrows = n;
    for (unsigned t = 0; t <= nt; t++)
        job.row0[t] = n * t / nt;
    size_t firstFinite = n;
    if (*needDot)
        for (size_t r = 0; r < n && firstFinite == n; r++)
            for (size_t c = 0; c < job.ncols; c++)
                if (aaig_format_is_finite(job.FileRow(r), c, vtype))
                {
                    firstFinite = r;
                    break;
                }
    for (unsigned t = 0; t < nt; t++)
        job.need_dot[t] = *needDot && job.row0[t] <= firstFinite;
    if (firstFinite < n)
        *needDot = false;
}

// Formats the block's nt tasks on at most `threads` threads of the pool while the caller
// goes on (job.Finish() waits); a single task runs here and now: a small grid or
// NUM_THREADS=1 wakes no worker.
void StartFormatting(FormatJob &job, unsigned nt, unsigned threads)
{
    if (nt > 1)
        job.pending = aaig_pool_start(threads, nt, FormatTask, &job);
    else
        FormatTask(&job, 0);
}

// Rows per strip when the source's blocks are strips of whole rows that can be read
// straight into a block of `rows` rows, bypassing GDAL's block cache (ReadSourceRows); else 0.
// Only read-only sources: a dataset being written may hold newer rows in its cache.
int StripRows(GDALRasterBand *band, size_t rows)
{
    int bx = 0, by = 0;
    band->GetBlockSize(&bx, &by);
    if (band->GetAccess() != GA_ReadOnly || bx != band->GetXSize() || by < 1 ||
        static_cast<size_t>(by) > rows)
        return 0;
    return by;
}

// Reads source rows [row0, row0 + n) as `type` into `out`. With strips (`strip` rows each,
// row0 a multiple of it), a strip not in GDAL's block cache is read with ReadBlock, straight
// into `out` when the types agree: the cache would take a fresh block for each strip, and on
// a machine where a page fault costs microseconds those blocks cost more than the reading.
// A strip that is cached, and any other layout, goes through RasterIO. false on failure
// (reported by the source's driver).
bool ReadSourceRows(GDALRasterBand *band, size_t row0, size_t n, GDALDataType type, GByte *out,
                    int strip)
{
    const int ncols = band->GetXSize();
    if (!strip)
        return band->RasterIO(GF_Read, 0, static_cast<int>(row0), ncols, static_cast<int>(n),
                              out, ncols, static_cast<int>(n), type, 0, 0, nullptr) == CE_None;
    const GDALDataType own = band->GetRasterDataType();
    const int ownSize = GDALGetDataTypeSizeBytes(own), size = GDALGetDataTypeSizeBytes(type);
    std::vector<GByte> scratch(own == type ? 0 : static_cast<size_t>(ncols) * strip * ownSize);
    for (size_t r = row0; r < row0 + n; r += strip)
    {
        const int rows = static_cast<int>(std::min<size_t>(strip, row0 + n - r));
        const int y = static_cast<int>(r / strip);
        GByte *dst = out + (r - row0) * ncols * size;
        if (FastAAIGridIsCached(band, y))
        {
            if (band->RasterIO(GF_Read, 0, static_cast<int>(r), ncols, rows, dst, ncols, rows,
                               type, 0, 0, nullptr) != CE_None)
                return false;
            continue;
        }
        GByte *raw = scratch.empty() ? dst : scratch.data();
        if (band->ReadBlock(0, y, raw) != CE_None)
            return false;
        if (raw != dst)
            GDALCopyWords64(raw, own, ownSize, dst, type, size,
                            static_cast<GPtrDiff_t>(rows) * ncols);
    }
    return true;
}

// Reads the source a block of rows at a time, formats the rows and hands their text to
// put(data, n) in file order. Block k is formatted on the pool while the caller hands block
// k - 1 to put and reads block k + 1, so that reading, formatting and writing overlap (two
// blocks in memory). false when something failed: fail(num, what) or put reported it.
template <class Put, class Fail>
bool WriteRows(GDALRasterBand *band, const ValueKind &kind, const aaig_format_options &opt,
               bool southUp, unsigned threads, Put put, Fail fail, GDALProgressFunc progress,
               void *progressData)
{
    const size_t ncols = static_cast<size_t>(band->GetXSize());
    const size_t nrows = static_cast<size_t>(band->GetYSize());
    size_t blockValues = FastAAIGridTestKnob("FASTAAIGRID_CHUNK_SIZE");
    if (blockValues == 0)
        blockValues = BLOCK_VALUES;
    size_t blockRows =
        std::max<size_t>(1, std::min(nrows, blockValues / std::max<size_t>(1, ncols)));
    const int strip = southUp ? 0 : StripRows(band, blockRows);
    if (strip)  // whole strips in each block, the last strip's rows past the raster included
        blockRows = (blockRows + strip - 1) / strip * strip;
    const unsigned nt = FormatTasks(threads, blockRows * ncols);
    FormatJob blocks[2];
    for (FormatJob &job : blocks)
    {
        job.ncols = ncols;
        job.value_size = static_cast<size_t>(GDALGetDataTypeSizeBytes(kind.read_as));
        job.opt = &opt;
        job.reverse = southUp;
        if (!AllocateBlock(job, blockRows, nt, ncols * aaig_format_max_chars(&opt) + 2))
        {
            fail(CPLE_OutOfMemory, "out of memory");
            return false;
        }
    }
    bool needDot = kind.is_float;
    FormatJob *last = nullptr;     // being formatted, not yet written
    size_t lastStart = 0, lastEnd = 0; // its file rows
    // Finishes and writes `last`, then reports progress.
    auto writeLast = [&]
    {
        last->Finish();
        if (lastStart == 0 && StartsWithALetter(*last) && !put(" ", 1))
            return false;
        for (size_t t = 0; t < last->text.size(); t++)
            if (!put(last->text[t].get(), last->length[t]))
                return false;
        if (progress(static_cast<double>(lastEnd) / nrows, nullptr, progressData))
            return true;
        fail(CPLE_UserInterrupt, "User terminated CreateCopy()");
        return false;
    };
    for (size_t r0 = 0, k = 0; r0 < nrows; r0 += blockRows, k++)
    {
        FormatJob &job = blocks[k % 2];
        const size_t n = std::min(blockRows, nrows - r0);
        // File rows [r0, r0+n) are source rows [r0, r0+n), or mirrored for south-up data.
        const size_t srcRow = southUp ? nrows - r0 - n : r0;
        if (!ReadSourceRows(band, srcRow, n, kind.read_as, job.values.get(), strip))
        {
            const CPLString why = CPLGetLastErrorMsg();
            fail(CPLE_AppDefined,
                 CPLSPrintf("cannot read rows %zu to %zu of the source %s: %s", srcRow,
                            srcRow + n - 1, band->GetDataset()->GetDescription(),
                            why.empty() ? "its driver gave no reason" : why.c_str()));
            return false;
        }
        SplitBlock(job, n, nt, kind.vtype, &needDot);
        if (last)
            last->Finish(); // the pool's threads go on to this block at once
        StartFormatting(job, nt, threads);
        if (last && !writeLast())
            return false;
        last = &job;
        lastStart = r0;
        lastEnd = r0 + n;
    }
    return !last || writeLast();
}

struct FileCloser
{
    void operator()(VSILFILE *fp) const { VSIFCloseL(fp); }
};

// The source's one real-valued band; nullptr, with the error reported, for any other source.
GDALRasterBand *SourceBand(const char *fn, GDALDataset *src)
{
    if (src->GetRasterCount() != 1)
    {
        FastAAIGridError(CE_Failure, CPLE_NotSupported, fn,
                         "expected a source with 1 band, found %d", src->GetRasterCount());
        return nullptr;
    }
    GDALRasterBand *band = src->GetRasterBand(1);
    if (GDALDataTypeIsComplex(band->GetRasterDataType()))
    {
        FastAAIGridError(CE_Failure, CPLE_NotSupported, fn, "expected a real-valued band, found %s",
                         GDALGetDataTypeName(band->GetRasterDataType()));
        return nullptr;
    }
    return band;
}

// What goes before the values, and how the values are written. Not copied: opt.nan_text
// may point into nodata.
struct GridText
{
    CPLString header;
    CPLString nodata; // the nodata value as written, when there is one
    aaig_format_options opt = {};
    bool southUp = false;

    GridText() = default;
    GridText(const GridText &) = delete;
    GridText &operator=(const GridText &) = delete;
};

// The grid's header (with NODATA_value) and format options for the source band; false, with
// the error reported, when the source or the options cannot be written.
bool MakeGridText(const char *fn, GDALDataset *src, GDALRasterBand *band, const ValueKind &kind,
                  CSLConstList options, GridText *text)
{
    double gt[6];
    if (!GridGeoTransform(fn, src, gt))
        return false;
    text->southUp = gt[5] > 0;
    text->header = GridHeader(fn, src->GetRasterXSize(), src->GetRasterYSize(), gt, options);
    text->opt.type = kind.vtype;
    text->opt.mode = AAIG_FMT_SHORTEST;
    if (kind.is_float && !FormatOptions(fn, options, &text->opt))
        return false;
    if (NodataText(band, kind, text->opt, &text->nodata))
    {
        text->header += "NODATA_value " + text->nodata + "\n";
        // NaN cells are written as the nodata value (the built-in writes "nan").
        if (kind.is_float && !std::isnan(band->GetNoDataValue()))
            text->opt.nan_text = text->nodata.c_str();
    }
    return true;
}

// Writes the header and the rows to fn; false, with the error reported and no file left, when
// it fails.
bool WriteGrid(const char *fn, const GridText &text, GDALRasterBand *band, const ValueKind &kind,
               unsigned threads, GDALProgressFunc progress, void *progressData)
{
    std::unique_ptr<VSILFILE, FileCloser> fp(VSIFOpenL(fn, "wb"));
    if (!fp)
    {
        FastAAIGridError(CE_Failure, CPLE_OpenFailed,
                         fn, "cannot create the file: %s", VSIStrerror(errno));
        return false;
    }
    auto fail = [&](CPLErrorNum num, const char *what)
    {
        FastAAIGridError(CE_Failure, num, fn, "%s", what);
        VSIFCloseL(fp.release());
        RemovePartialFile(fn);
    };
    uint64_t written = 0;
    // Appends n bytes; false, with the error reported, when the write fails.
    auto put = [&](const void *data, size_t n)
    {
        if (VSIFWriteL(data, 1, n, fp.get()) == n)
        {
            written += n;
            return true;
        }
        fail(CPLE_FileIO, CPLSPrintf("write failed at byte offset %llu (disk full?)",
                                     static_cast<unsigned long long>(written)));
        return false;
    };
    if (!put(text.header.data(), text.header.size()) ||
        !WriteRows(band, kind, text.opt, text.southUp, threads, put, fail, progress, progressData))
        return false;
    if (VSIFCloseL(fp.release()) != 0)
    {
        FastAAIGridError(CE_Failure, CPLE_FileIO,
                         fn, "write failed when closing the file (disk full?)");
        RemovePartialFile(fn);
        return false;
    }
    return true;
}

}  // namespace

GDALDataset *FastAAIGridDataset::CreateCopy(const char *fn, GDALDataset *src, int,
                                            CSLConstList options, GDALProgressFunc progress,
                                            void *progressData)
{
    GDALRasterBand *band = SourceBand(fn, src);
    if (!band)
        return nullptr;
    const ValueKind kind = KindOf(band->GetRasterDataType());
    GridText text;
    if (!MakeGridText(fn, src, band, kind, options, &text))
        return nullptr;
    const unsigned threads = static_cast<unsigned>(FastAAIGridThreads(options, fn));
    if (!WriteGrid(fn, text, band, kind, threads, progress ? progress : GDALDummyProgress,
                   progressData))
        return nullptr;
    // The .prj, in ESRI's WKT, as the built-in writes it. A failure is a warning: the grid
    // itself is complete.
    if (const OGRSpatialReference *srs = src->GetSpatialRef())
        WritePrj(fn, *srs);
    return Reopen(fn, src, kind.vtype == AAIG_V_I32);
}

// Reopens the file written, and keeps the source's PAM information (metadata, statistics...).
// A target that is no regular file (/vsistdout/, a pipe) cannot be read back: an empty
// dataset of the right size stands for it. A regular file that does not reopen is an error
// (Open says why).
GDALDataset *FastAAIGridDataset::Reopen(const char *fn, GDALDataset *src, bool int32Data)
{
    VSIStatBufL st;
    if (VSIStatL(fn, &st) != 0 || !VSI_ISREG(st.st_mode))
    {
        auto stub = new FastAAIGridDataset();
        stub->nRasterXSize = src->GetRasterXSize();
        stub->nRasterYSize = src->GetRasterYSize();
        return stub;
    }
    GDALOpenInfo oi(fn, GA_ReadOnly);
    GDALDataset *ds = Open(&oi, int32Data);
    if (!ds)
        return nullptr;
    static_cast<FastAAIGridDataset *>(ds)->CloneInfo(src, GCIF_PAM_DEFAULT);
    return ds;
}
