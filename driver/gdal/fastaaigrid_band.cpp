// Reading. The band's blocks are rows; parsed rows are kept in GDAL's block cache (bounded by
// GDAL_CACHEMAX) or, for windows, in the band's row store (bounded by a quarter of it):
//  - IRasterIO of whole rows of our type parses straight into the caller's buffer
//    (ReadAsArray, gdal_translate), many rows at once on all threads, past the cache; a
//    caller reading such chunks down the raster (GDAL's resampling) gets its next chunk
//    parsed on the pool while it uses the last;
//  - any other window (some columns, another buffer type: rasterio windows, Dask chunks)
//    takes the rows it needs from the band's row store (or, when the raster does not fit in
//    the stores' budget, from the block cache), parses the missing ones in runs and leaves
//    them there, so windows side by side parse each row once; a large window is copied
//    into the caller's buffer on the pool's threads;
//  - block reads (statistics, overviews, warp, GDAL's resampling) read ahead: a block asked
//    for just after the previous run parses the rows that follow with it, twice as many
//    each time, so that reading down the raster is parallel as well; once the runs are
//    at their longest, the next one is parsed on the pool while GDAL uses the last;
//  - nearest-neighbour resampling of a whole-pixel window samples GDAL's own picks of rows
//    and columns from rows parsed together, without GDAL's blocks (ReadNearest);
//  - block reads that sample rows (sampled statistics, nearest-neighbour resampling left to
//    GDAL) parse the rows expected next together, on all threads, and only scan the rows
//    between.
#include "fastaaigrid.h"

#include <algorithm>
#include <atomic>

// Rows per parse straight into the caller's buffer: large enough to keep every thread busy,
// small enough to report progress often.
constexpr size_t STEP_BYTES = 16u << 20;
// Rows per parse into the scratch buffer, for the block cache: at most a quarter of the cache.
constexpr size_t RUN_BYTES = 4u << 20;
// Bytes of the caller's buffer per task that fills it (windows, nearest resampling): mapping
// in a fresh buffer's pages costs more than the copy itself (10-16 us a page on this
// project's virtual machine), and tasks on several threads map theirs in at the same time.
constexpr size_t COPY_TASK_BYTES = 64u << 10;

// The rows of a task when n rows of rowBytes each are put into the caller's buffer in tasks of
// about COPY_TASK_BYTES (all n when that makes fewer than two tasks), and how many tasks.
static int RowsPerTask(int n, size_t rowBytes)
{
    const size_t tasks = std::min<size_t>(static_cast<size_t>(n) * rowBytes / COPY_TASK_BYTES, n);
    return tasks < 2 ? n : static_cast<int>((n + tasks - 1) / tasks);
}

static int RowTasks(int n, size_t rowBytes)
{
    const int per = RowsPerTask(n, rowBytes);
    return (n + per - 1) / per;
}

// Maps in the pages of k rows of a caller's buffer before they are written, when the rows
// are packed (a numpy array's): see aaig_prefault.
static void PrefaultRows(GByte *row0, int k, int w, GDALDataType bufType, GSpacing pixelSpace,
                         GSpacing lineSpace)
{
    const GSpacing size = GDALGetDataTypeSizeBytes(bufType);
    if (pixelSpace == size && lineSpace == w * size)
        aaig_prefault(row0, static_cast<size_t>(k) * static_cast<size_t>(lineSpace));
}

// Runs fill(task, r0, k), which puts rows [r0, r0 + k) of those n into the caller's buffer,
// for each task (numbered from 0) on up to `threads` of the pool's threads; fill(0, 0, n) on
// this thread when there is one task or one thread.
template <class Fill> static void FillRows(int threads, int n, size_t rowBytes, Fill fill)
{
    struct Job
    {
        Fill *fill;
        int n, per;
        static void Task(void *ctx, unsigned i)
        {
            auto job = static_cast<Job *>(ctx);
            const int r0 = static_cast<int>(i) * job->per;
            (*job->fill)(i, r0, std::min(job->per, job->n - r0));
        }
    } job{&fill, n, RowsPerTask(n, rowBytes)};
    const int tasks = RowTasks(n, rowBytes);
    if (threads < 2 || tasks < 2)
        return fill(0, 0, n);
    aaig_pool_run(static_cast<unsigned>(threads), static_cast<unsigned>(tasks), Job::Task, &job);
}

// Bytes held by all row stores, of at most a quarter of GDAL_CACHEMAX.
static std::atomic<GIntBig> g_storeBytes{0};

bool FastAAIGridRowStore::Open(int nrows, size_t rowBytes)
{
    if (m_charged)
        return true;
    const GIntBig budget = GDALGetCacheMax64() / 4;
    if (nrows <= 0 || rowBytes == 0 || static_cast<uint64_t>(nrows) > budget / rowBytes)
        return false;
    const size_t bytes = static_cast<size_t>(nrows) * rowBytes;
    GIntBig held = g_storeBytes.load();
    do
    {
        if (static_cast<GIntBig>(bytes) > budget - held)
            return false;
    } while (!g_storeBytes.compare_exchange_weak(held, held + static_cast<GIntBig>(bytes)));
    if (!m_buf.Reserve(bytes))
    {
        g_storeBytes -= static_cast<GIntBig>(bytes);
        return false;
    }
    m_have.assign(static_cast<size_t>(nrows), false);
    m_rowBytes = rowBytes;
    m_charged = bytes;
    CPLDebug(FASTAAIGRID_NAME, "row store for windows: %d rows, %.1f MB", nrows, bytes / 1e6);
    return true;
}

void FastAAIGridRowStore::Close()
{
    if (!m_charged)
        return;
    g_storeBytes -= static_cast<GIntBig>(m_charged);
    m_buf.Free();
    m_have.clear();
    m_charged = 0;
}

bool FastAAIGridRowStore::Has(int row0, int n) const
{
    for (int r = row0; r < row0 + n; r++)
        if (!Has(r))
            return false;
    return true;
}

void FastAAIGridRowStore::Mark(int row0, int n)
{
    std::fill_n(m_have.begin() + row0, n, true);
}

FastAAIGridBand::FastAAIGridBand(FastAAIGridDataset *ds, GDALDataType type, bool hasNoData,
                                 double noData)
    : m_hasNoData(hasNoData), m_noData(noData)
{
    poDS = ds;
    nBand = 1;
    eDataType = type;
    nBlockXSize = ds->GetRasterXSize();
    nBlockYSize = 1;
}

size_t FastAAIGridBand::RowBytes() const
{
    return static_cast<size_t>(nRasterXSize) * GDALGetDataTypeSizeBytes(eDataType);
}

int FastAAIGridBand::MaxRunRows() const
{
    const size_t budget =
        std::min<size_t>(RUN_BYTES, static_cast<size_t>(GDALGetCacheMax64() / 4));
    return static_cast<int>(std::clamp<size_t>(budget / RowBytes(), 1, nRasterYSize));
}

// The scratch buffer for n rows (at most MaxRunRows()), kept from one read to the next: a
// fresh one would cost its page faults every time. nullptr when out of memory.
GByte *FastAAIGridBand::Scratch(int n)
{
    m_keptRows = 0; // overwritten by the caller
    return m_scratch.Reserve(static_cast<size_t>(n) * RowBytes());
}

bool FastAAIGridIsCached(GDALRasterBand *band, int yBlock)
{
    GDALRasterBlock *block = band->TryGetLockedBlockRef(0, yBlock);
    if (block)
        block->DropLock();
    return block != nullptr;
}

bool FastAAIGridBand::IsCached(int row)
{
    return FastAAIGridIsCached(this, row);
}

// Maps in the memory of blocks GDAL has just allocated, with one call when they lie together
// (fresh blocks come one after another from the heap): on a first scan of a raster their page
// faults, one by one, cost more than parsing the rows that fill them.
static void PrefaultBlocks(const std::vector<GDALRasterBlock *> &blocks, size_t rowBytes)
{
    if (blocks.empty())
        return;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (GDALRasterBlock *block : blocks)
    {
        const auto p = reinterpret_cast<uintptr_t>(block->GetDataRef());
        lo = std::min(lo, p);
        hi = std::max(hi, p + rowBytes);
    }
    if (hi - lo <= 2 * blocks.size() * rowBytes)
        aaig_prefault(reinterpret_cast<void *>(lo), hi - lo);
}

// Leaves parsed rows in the block cache. A row the cache cannot take is simply not kept.
void FastAAIGridBand::KeepRows(int row0, int n, const GByte *rows)
{
    const size_t rowBytes = RowBytes();
    std::vector<GDALRasterBlock *> blocks;
    blocks.reserve(n);
    for (int i = 0; i < n; i++)
    {
        GDALRasterBlock *block = GetLockedBlockRef(0, row0 + i, TRUE);
        if (!block)
        {
            CPLErrorReset();
            break;
        }
        blocks.push_back(block);
    }
    PrefaultBlocks(blocks, rowBytes);
    for (size_t i = 0; i < blocks.size(); i++)
    {
        memcpy(blocks[i]->GetDataRef(), rows + i * rowBytes, rowBytes);
        blocks[i]->DropLock();
    }
}

// Hands the rows of [row0, row0 + n) (n <= MaxRunRows()) to put(row, k, data), k rows at a
// time, one after another at data: from the row store or the block cache, or parsed with the
// missing rows that follow it, all at once, then kept in the row store (the block cache when
// the raster has no store).
template <class Put> bool FastAAIGridBand::ForEachRow(int row0, int n, Put put)
{
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    const bool store = m_store.Open(nRasterYSize, RowBytes());
    const int stop = row0 + n;
    for (int row = row0; row < stop;)
    {
        int end = row + 1;
        if (m_store.Has(row))
        {
            while (end < stop && m_store.Has(end))
                end++;
            put(row, end - row, m_store.Row(row));
            row = end;
            continue;
        }
        if (GDALRasterBlock *block = TryGetLockedBlockRef(0, row))
        {
            put(row, 1, static_cast<const GByte *>(block->GetDataRef()));
            block->DropLock();
            row++;
            continue;
        }
        while (end < stop && !m_store.Has(end) && !IsCached(end))
            end++;
        GByte *rows = store ? m_store.Row(row) : Scratch(end - row);
        if (!rows)
        {
            FastAAIGridError(CE_Failure, CPLE_OutOfMemory, ds->GetDescription(), "out of memory");
            return false;
        }
        if (!ds->ReadRows(row, end - row, rows))
            return false;
        if (store)
            m_store.Mark(row, end - row);
        else
            KeepRows(row, end - row, rows);
        put(row, end - row, rows);
        row = end;
    }
    return true;
}

// The rows GDAL's nearest-neighbour resampling samples for bufH buffer rows from the window
// [y, y + h) (its formula, in GDALRasterBand::IRasterIO), each once, in order. They are only a
// forecast: a row GDAL computes otherwise is parsed on its own when it is asked for.
static std::vector<int> NearestRows(double y, double h, int bufH, int nrows)
{
    std::vector<int> rows;
    const double inc = h / bufH;
    for (int i = 0; i < bufH; i++)
    {
        const double src = (i + 0.5) * inc + y + 1e-10;
        const int row = static_cast<int>(std::clamp(src, 0.0, nrows - 1.0));
        if (rows.empty() || row > rows.back())
            rows.push_back(row);
    }
    return rows;
}

// For each of n buffer cells, the source cell that GDAL's nearest-neighbour resampling of
// [off, off + len) along an axis of `size` cells picks: asked of GDAL itself, through a MEM
// band of one row (x) or one column (!x) holding each cell's index, so that this GDAL's own
// formula is used. Empty when it cannot be asked.
static std::vector<int> NearestIndexes(bool x, int size, int off, int len, int n)
{
    std::vector<int> picked;
    GDALDriver *mem = GetGDALDriverManager()->GetDriverByName("MEM");
    std::unique_ptr<GDALDataset> probe(
        mem ? mem->Create("", x ? size : 1, x ? 1 : size, 1, GDT_Float64, nullptr) : nullptr);
    if (!probe)
        return picked;
    std::vector<double> index(static_cast<size_t>(size)), got(static_cast<size_t>(n));
    for (int i = 0; i < size; i++)
        index[i] = i;
    GDALRasterBand *band = probe->GetRasterBand(1);
    const int w = x ? size : 1, h = x ? 1 : size;
    if (band->RasterIO(GF_Write, 0, 0, w, h, index.data(), w, h, GDT_Float64, 0, 0, nullptr) !=
            CE_None ||
        band->RasterIO(GF_Read, x ? off : 0, x ? 0 : off, x ? len : 1, x ? 1 : len, got.data(),
                       x ? n : 1, x ? 1 : n, GDT_Float64, 0, 0, nullptr) != CE_None)
        return picked;
    picked.assign(got.begin(), got.end());
    return picked;
}

// Fills n buffer rows from the run of source rows parsed at `parsed`: buffer row i from source
// row rows[i], its columns cols. On the pool's threads when the rows are many.
void FastAAIGridBand::GatherNearest(const std::vector<uint64_t> &run, const int *rows, int n,
                                    const GByte *parsed, const std::vector<int> &cols, GByte *out,
                                    GDALDataType bufType, GSpacing pixelSpace, GSpacing lineSpace)
{
    const size_t size = GDALGetDataTypeSizeBytes(eDataType), rowBytes = RowBytes();
    const int bufW = static_cast<int>(cols.size());
    const size_t outBytes = static_cast<size_t>(bufW) * GDALGetDataTypeSizeBytes(bufType);
    std::vector<size_t> &from = m_from; // each buffer row's place in the run
    from.clear();
    for (size_t k = 0, b = 0; b < static_cast<size_t>(n); b++)
    {
        while (run[k] != static_cast<uint64_t>(rows[b]))
            k++;
        from.push_back(k);
    }
    std::vector<GByte> &picked = m_picked; // a row for each task
    picked.resize(RowTasks(n, outBytes) * bufW * size);
    auto gather = [&](unsigned task, int r0, int k)
    {
        GByte *row = picked.data() + task * bufW * size;
        PrefaultRows(out + r0 * lineSpace, k, bufW, bufType, pixelSpace, lineSpace);
        for (int r = r0; r < r0 + k; r++)
        {
            const GByte *src = parsed + from[r] * rowBytes;
            for (int j = 0; j < bufW; j++)
                memcpy(row + j * size, src + static_cast<size_t>(cols[j]) * size, size);
            GDALCopyWords64(row, eDataType, static_cast<int>(size), out + r * lineSpace, bufType,
                            static_cast<int>(pixelSpace), bufW);
        }
    };
    FillRows(static_cast<FastAAIGridDataset *>(poDS)->m_threads, n, outBytes, gather);
}

// Nearest-neighbour resampling of a whole-pixel window without GDAL's block path: the rows and
// columns GDAL would pick (NearestIndexes), the rows parsed together in runs into the scratch
// buffer, each buffer row gathered from its source row. No block is made for a sampled row.
// *done: the read was made here. Not made where GDAL would do otherwise (overviews,
// GDAL_NO_COSTLY_OVERVIEW, a floating-point window) or the picks cannot be asked for. false
// when the read failed, with the error reported.
bool FastAAIGridBand::ReadNearest(int x, int y, int w, int h, GByte *out, int bufW, int bufH,
                                  GDALDataType bufType, GSpacing pixelSpace, GSpacing lineSpace,
                                  GDALRasterIOExtraArg *extra, bool *done)
{
    const bool floating = extra && extra->bFloatingPointWindowValidity &&
                          (extra->dfXOff != x || extra->dfYOff != y || extra->dfXSize != w ||
                           extra->dfYSize != h);
    if (floating || GetOverviewCount() > 0 ||
        CPLTestBool(CPLGetConfigOption("GDAL_NO_COSTLY_OVERVIEW", "NO")))
        return true;
    const std::vector<int> cols = NearestIndexes(true, nRasterXSize, x, w, bufW);
    const std::vector<int> rows = NearestIndexes(false, nRasterYSize, y, h, bufH);
    if (cols.empty() || rows.empty())
        return true;
    *done = true;
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    std::vector<uint64_t> run;
    for (int i = 0; i < bufH;)
    {
        run.clear(); // the next source rows, each once, at most a run of them
        int end = i;
        for (; end < bufH; end++)
        {
            if (run.empty() || static_cast<uint64_t>(rows[end]) != run.back())
            {
                if (run.size() == static_cast<size_t>(MaxRunRows()))
                    break;
                run.push_back(static_cast<uint64_t>(rows[end]));
            }
        }
        GByte *parsed = Scratch(static_cast<int>(run.size()));
        if (!parsed)
        {
            FastAAIGridError(CE_Failure, CPLE_OutOfMemory, ds->GetDescription(), "out of memory");
            return false;
        }
        if (!ds->ReadRowList(run, parsed))
            return false;
        GatherNearest(run, rows.data() + i, end - i, parsed, cols,
                      out + static_cast<GPtrDiff_t>(i) * lineSpace, bufType, pixelSpace,
                      lineSpace);
        i = end;
        if (!Progress(extra, 0, end, bufH, " of the resampled buffer"))
            return false;
    }
    return true;
}

// The rows to parse with `row` when GDAL samples rows: those IRasterIO forecast for a
// nearest-neighbour resampling, or rows at the step GDAL took twice running (sampled
// statistics). Row and the ones expected after it that are not cached, at most MaxRunRows();
// none when GDAL is not sampling (block reads down the raster pay no allocation for it).
std::vector<uint64_t> FastAAIGridBand::SampledRows(int row)
{
    const int step = row - (m_nextRow - 1);
    const bool strided = step > 1 && step == m_step;
    m_step = step;
    const auto planned = std::lower_bound(m_plan.begin(), m_plan.end(), row);
    const bool forecast = planned != m_plan.end() && *planned == row;
    std::vector<uint64_t> rows;
    if (!forecast && !strided)
        return rows;
    rows.push_back(static_cast<uint64_t>(row));
    const size_t most = static_cast<size_t>(MaxRunRows());
    auto add = [&](int r)
    {
        if (!IsCached(r))
            rows.push_back(static_cast<uint64_t>(r));
        return rows.size() < most;
    };
    if (forecast)
    {
        for (auto it = planned + 1; it != m_plan.end() && add(*it); ++it)
        {
        }
    }
    else
    {
        for (int r = row + step; r < nRasterYSize && add(r); r += step)
        {
        }
    }
    return rows;
}

// Parses the sampled rows together: the first into GDAL's block, the others into the cache.
bool FastAAIGridBand::ReadSampled(const std::vector<uint64_t> &rows, void *image)
{
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    const size_t rowBytes = RowBytes();
    GByte *scratch = Scratch(static_cast<int>(rows.size()));
    if (!scratch)
        return ds->ReadRows(static_cast<int>(rows[0]), 1, image);
    if (!ds->ReadRowList(rows, scratch))
        return false;
    memcpy(image, scratch, rowBytes);
    for (size_t i = 1; i < rows.size(); i++)
        KeepRows(static_cast<int>(rows[i]), 1, scratch + i * rowBytes);
    return true;
}

// GDAL asks for one row. When it samples rows, the rows it will ask for next are parsed with
// it (ReadSampled). Reading down the raster (the row is the one after the previous run), the
// rows after it are parsed with it and kept: 2, 4, 8... rows, up to MaxRunRows(), and from
// then on the next run is parsed on the pool while GDAL uses this one. Elsewhere, only the
// row asked for.
CPLErr FastAAIGridBand::IReadBlock(int, int row, void *image)
{
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    if (m_store.Has(row))
    {
        memcpy(image, m_store.Row(row), RowBytes());
        return CE_None;
    }
    const std::vector<uint64_t> sampled = SampledRows(row);
    if (sampled.size() > 1)
    {
        m_nextRow = static_cast<int>(sampled.back()) + 1;
        m_run = 1;
        return ReadSampled(sampled, image) ? CE_None : CE_Failure;
    }
    m_run = row == m_nextRow ? std::min(2 * m_run, MaxRunRows()) : 1;
    int n = 0;
    const GByte *rows = nullptr;
    if (!ds->TakeRowsAhead(row, &n, &rows))
        return CE_Failure;
    if (!rows)
    {
        n = 1; // the block of `row` is GDAL's, being filled: never looked up
        while (row + n < nRasterYSize && n < m_run && !IsCached(row + n))
            n++;
        GByte *scratch = n > 1 ? Scratch(n) : nullptr;
        if (!scratch)
        {
            m_nextRow = row + 1;
            return ds->ReadRows(row, 1, image) ? CE_None : CE_Failure;
        }
        if (!ds->ReadRows(row, n, scratch))
            return CE_Failure;
        rows = scratch;
    }
    m_nextRow = row + n;
    if (m_run == MaxRunRows() && m_nextRow < nRasterYSize && !IsCached(m_nextRow))
        ds->ReadRowsAhead(m_nextRow, std::min(m_run, nRasterYSize - m_nextRow), RowBytes());
    const size_t rowBytes = RowBytes();
    memcpy(image, rows, rowBytes);
    KeepRows(row + 1, n - 1, rows + rowBytes);
    if (m_nextRow == nRasterYSize) // the scan is over (rows may be the buffers released)
        ds->EndReadAhead();
    return CE_None;
}

// Rows straight into the caller's buffer; those read ahead for it are copied (ReadChunkAhead).
// GDAL's resampling reads a band with nodata in chunks of rows, and its nodata mask then
// reads the same rows again at once: a chunk of at most MaxRunRows() rows stays in the
// scratch buffer for that.
bool FastAAIGridBand::ReadDirect(int row0, int n, GByte *dst)
{
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    const size_t rowBytes = RowBytes();
    if (m_store.Has(row0, n))
    {
        memcpy(dst, m_store.Row(row0), static_cast<size_t>(n) * rowBytes);
        return true;
    }
    if (m_keptRows && row0 >= m_keptRow0 && row0 + n <= m_keptRow0 + m_keptRows)
    {
        memcpy(dst, m_scratch.get() + static_cast<size_t>(row0 - m_keptRow0) * rowBytes,
               static_cast<size_t>(n) * rowBytes);
        return true;
    }
    int got = 0;
    const GByte *ahead = nullptr;
    if (!ds->TakeRowsAhead(row0, &got, &ahead))
        return false;
    got = ahead ? std::min(got, n) : 0;
    if (got)
        memcpy(dst, ahead, static_cast<size_t>(got) * rowBytes);
    if (got < n && !ds->ReadRows(row0 + got, n - got, dst + static_cast<size_t>(got) * rowBytes))
        return false;
    if (m_hasNoData && n <= MaxRunRows() && n < nRasterYSize)
    {
        if (GByte *kept = Scratch(n))
        {
            memcpy(kept, dst, static_cast<size_t>(n) * rowBytes);
            m_keptRow0 = row0;
            m_keptRows = n;
        }
    }
    return true;
}

// Tells the caller's progress callback, if any, that `done` of the `total` rows from `first`
// are read; false, with a CPLE_UserInterrupt error naming the file and the row, when it cancels
// the read. `of` says which rows when they are not the raster's.
bool FastAAIGridBand::Progress(GDALRasterIOExtraArg *extra, int first, int done, int total,
                               const char *of)
{
    if (!extra || !extra->pfnProgress ||
        extra->pfnProgress(static_cast<double>(done) / total, "", extra->pProgressData))
        return true;
    FastAAIGridError(CE_Failure, CPLE_UserInterrupt, poDS->GetDescription(),
                     "read cancelled by the progress callback after row %d of rows %d to %d%s",
                     first + done, first + 1, first + total, of);
    return false;
}

// Resampling: nearest neighbour our own way where GDAL would take its usual path; else
// GDAL's block path, which reads ahead or samples.
CPLErr FastAAIGridBand::ReadResampled(int x, int y, int w, int h, void *data, int bufW, int bufH,
                                      GDALDataType bufType, GSpacing pixelSpace,
                                      GSpacing lineSpace, GDALRasterIOExtraArg *extra)
{
    const bool nearest = !extra || extra->eResampleAlg == GRIORA_NearestNeighbour;
    bool done = false;
    if (nearest)
    {
        const bool ok = ReadNearest(x, y, w, h, static_cast<GByte *>(data), bufW, bufH, bufType,
                                    pixelSpace, lineSpace, extra, &done);
        if (done || !ok)
            return ok ? CE_None : CE_Failure;
    }
    const bool floating = extra && extra->bFloatingPointWindowValidity;
    if (bufH < h && nearest)
        m_plan = NearestRows(floating ? extra->dfYOff : y, floating ? extra->dfYSize : h, bufH,
                             nRasterYSize);
    const CPLErr e = GDALPamRasterBand::IRasterIO(GF_Read, x, y, w, h, data, bufW, bufH, bufType,
                                                  pixelSpace, lineSpace, extra);
    m_plan.clear();
    return e;
}

CPLErr FastAAIGridBand::IRasterIO(GDALRWFlag rw, int x, int y, int w, int h, void *data,
                                  int bufW, int bufH, GDALDataType bufType,
                                  GSpacing pixelSpace, GSpacing lineSpace,
                                  GDALRasterIOExtraArg *extra)
{
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    if (rw != GF_Read)
    {
        FastAAIGridError(CE_Failure, CPLE_NotSupported, ds->GetDescription(),
                         "expected read-only access: the driver cannot update files");
        return CE_Failure;
    }
    if (bufW != w || bufH != h)
        return ReadResampled(x, y, w, h, data, bufW, bufH, bufType, pixelSpace, lineSpace,
                             extra);

    const int size = GDALGetDataTypeSizeBytes(eDataType);
    const size_t rowBytes = RowBytes();
    // The caller's buffer takes whole rows of our type as they are: parse straight into it.
    const bool direct = x == 0 && w == nRasterXSize && bufType == eDataType &&
                        pixelSpace == size && lineSpace == static_cast<GSpacing>(rowBytes);
    const int step = direct ? static_cast<int>(std::clamp<size_t>(STEP_BYTES / rowBytes, 1, h))
                            : std::min(MaxRunRows(), h);
    GByte *out = static_cast<GByte *>(data);
    // A window's columns of n rows, converted to the buffer's type.
    auto put = [&](int row, int n, const GByte *rows)
    {
        auto copy = [&](unsigned, int r0, int k)
        {
            PrefaultRows(out + (row - y + r0) * lineSpace, k, w, bufType, pixelSpace, lineSpace);
            for (int r = r0; r < r0 + k; r++)
                GDALCopyWords64(rows + r * rowBytes + static_cast<size_t>(x) * size, eDataType,
                                size, out + (row - y + r) * lineSpace, bufType,
                                static_cast<int>(pixelSpace), w);
        };
        FillRows(ds->m_threads, n, static_cast<size_t>(w) * GDALGetDataTypeSizeBytes(bufType),
                 copy);
    };
    for (int i = 0; i < h; i += step)
    {
        const int n = std::min(step, h - i);
        if (direct)
        {
            if (!ReadDirect(y + i, n, out + static_cast<size_t>(i) * rowBytes))
                return CE_Failure;
        }
        else
        {
            if (!ForEachRow(y + i, n, put))
                return CE_Failure;
        }
        if (!Progress(extra, y, i + n, h, ""))
            return CE_Failure;
    }
    if (direct)
        ReadChunkAhead(y, h);
    return CE_None;
}

// After a direct read of rows [y, y + h): a caller reading down the raster in chunks (GDAL's
// resampling), each starting within or just after the last, gets its next chunk, at the same
// step, parsed on the pool while it uses this one. Only chunks of a run's size at most
// (MaxRunRows()): reading ahead part of a larger one (gdal_translate's 10 MB swaths) measured
// no faster. A scan that reaches the last row frees the read-ahead buffers.
void FastAAIGridBand::ReadChunkAhead(int y, int h)
{
    if (y == m_chunkY && h == m_chunkH) // the same chunk again (GDAL's nodata mask)
        return;
    const int step = y - m_chunkY, next = y + step;
    const bool down = m_chunkY >= 0 && step > 0 && y <= m_chunkY + m_chunkH;
    m_chunkY = y;
    m_chunkH = h;
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    if (y + h == nRasterYSize)
        ds->EndReadAhead();
    else if (down && h <= MaxRunRows() && next < nRasterYSize)
        ds->ReadRowsAhead(next, std::min(h, nRasterYSize - next), RowBytes());
}

CPLErr FastAAIGridBand::FlushCache(bool atClosing)
{
    m_store.Close();
    return GDALPamRasterBand::FlushCache(atClosing);
}

double FastAAIGridBand::GetNoDataValue(int *success)
{
    if (success)
        *success = m_hasNoData;
    return m_noData;
}

// As the built-in: changes the value for this session only; the file is not rewritten.
CPLErr FastAAIGridBand::SetNoDataValue(double value)
{
    m_hasNoData = true;
    m_noData = value;
    return CE_None;
}
