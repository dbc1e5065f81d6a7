// Reading: one row per block for random access, and IRasterIO straight from the parser into
// the caller's buffer for windows (ReadAsArray, gdal_translate, QGIS).
#include "fastaaigrid.h"

#include <algorithm>
#include <vector>

// Rows per IRasterIO step: large enough to keep every thread busy, small enough to report
// progress and keep the scratch buffer (used only when converting) small.
constexpr size_t STEP_BYTES = 16u << 20;

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

CPLErr FastAAIGridBand::IReadBlock(int, int blockY, void *image)
{
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    return ds->ReadRows(blockY, 1, image) ? CE_None : CE_Failure;
}

CPLErr FastAAIGridBand::IRasterIO(GDALRWFlag rw, int x, int y, int w, int h, void *data,
                                  int bufW, int bufH, GDALDataType bufType,
                                  GSpacing pixelSpace, GSpacing lineSpace,
                                  GDALRasterIOExtraArg *extra)
{
    auto ds = static_cast<FastAAIGridDataset *>(poDS);
    if (rw != GF_Read)
    {
        FastAAIGridError(CE_Failure, CPLE_NotSupported,
                         ds->GetDescription(), "expected read-only access: the "
                                                           "driver cannot update files");
        return CE_Failure;
    }
    if (bufW != w || bufH != h)  // resampling: GDAL's block-based path
        return GDALPamRasterBand::IRasterIO(rw, x, y, w, h, data, bufW, bufH, bufType,
                                            pixelSpace, lineSpace, extra);

    const int size = GDALGetDataTypeSizeBytes(eDataType);
    const size_t rowBytes = static_cast<size_t>(nRasterXSize) * static_cast<size_t>(size);
    // The caller's buffer takes whole rows of our type as they are: parse straight into it.
    const bool direct = x == 0 && w == nRasterXSize && bufType == eDataType &&
                        pixelSpace == size && lineSpace == static_cast<GSpacing>(rowBytes);
    const int step = static_cast<int>(std::max<size_t>(1, std::min<size_t>(h, STEP_BYTES / rowBytes)));
    std::vector<GByte> scratch;
    if (!direct)
    {
        try
        {
            scratch.resize(static_cast<size_t>(step) * rowBytes);
        }
        catch (const std::bad_alloc &)
        {
            FastAAIGridError(CE_Failure, CPLE_OutOfMemory, ds->GetDescription(), "out of memory");
            return CE_Failure;
        }
    }
    GByte *out = static_cast<GByte *>(data);
    for (int i = 0; i < h; i += step)
    {
        const int n = std::min(step, h - i);
        if (direct)
        {
            if (!ds->ReadRows(y + i, n, out + static_cast<size_t>(i) * rowBytes))
                return CE_Failure;
        }
        else
        {
            if (!ds->ReadRows(y + i, n, scratch.data()))
                return CE_Failure;
            for (int j = 0; j < n; j++)
                GDALCopyWords64(scratch.data() + static_cast<size_t>(j) * rowBytes +
                                    static_cast<size_t>(x) * size,
                                eDataType, size, out + (i + j) * lineSpace, bufType,
                                static_cast<int>(pixelSpace), w);
        }
        if (extra && extra->pfnProgress &&
            !extra->pfnProgress(static_cast<double>(i + n) / h, "", extra->pProgressData))
        {
            FastAAIGridError(CE_Failure, CPLE_UserInterrupt, ds->GetDescription(),
                             "read cancelled by the progress callback after row %d of "
                             "rows %d to %d", y + i + n, y + 1, y + h);
            return CE_Failure;
        }
    }
    return CE_None;
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
