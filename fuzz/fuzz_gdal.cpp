// Fuzz harness (e): the whole driver through GDAL's /vsimem/.
//
// Input layout: 4 control bytes, then the .asc file.
//   [0] FASTAAIGRID_CHUNK_SIZE (0: default, else 1..4096 in steps)  [1] NUM_THREADS 1..16
//   [2] DATATYPE open option (none, Int32, Float32, Float64) and creation options
//   [3] seed of the row read order
// Opened with FastAAIGrid only: metadata, geotransform, nodata, SRS, file list; a full read;
// rows in a random order and a sub-window on a fresh dataset (same values as the full read, or
// an error); CreateCopy to /vsimem/ (shortest text) and a reopen that must give the same pixels.
// The plugin's sources are compiled into the harness; GDALRegister_FastAAIGrid registers it.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cpl_conv.h"
#include "cpl_error.h"
#include "cpl_string.h"
#include "cpl_vsi.h"
#include "gdal.h"

#include "fuzz_common.h"

extern "C" void GDALRegister_FastAAIGrid();

namespace {

constexpr const char *kIn = "/vsimem/fuzz_in.asc";
constexpr const char *kOut = "/vsimem/fuzz_out.asc";

GDALDatasetH open_fast(const char *path, CSLConstList open_options)
{
    const char *const drivers[] = {"FastAAIGrid", nullptr};
    return GDALOpenEx(path, GDAL_OF_RASTER, drivers, open_options, nullptr);
}

bool same_pixel(GDALDataType t, const unsigned char *a, const unsigned char *b)
{
    if (t == GDT_Float32) {
        float x, y;
        std::memcpy(&x, a, 4);
        std::memcpy(&y, b, 4);
        return bits_of(x) == bits_of(y) || (std::isnan(x) && std::isnan(y));
    }
    if (t == GDT_Float64) {
        double x, y;
        std::memcpy(&x, a, 8);
        std::memcpy(&y, b, 8);
        return bits_of(x) == bits_of(y) || (std::isnan(x) && std::isnan(y));
    }
    return std::memcmp(a, b, (size_t)GDALGetDataTypeSizeBytes(t)) == 0;
}

double pixel_value(GDALDataType t, const unsigned char *a)
{
    if (t == GDT_Float32) { float x; std::memcpy(&x, a, 4); return x; }
    if (t == GDT_Float64) { double x; std::memcpy(&x, a, 8); return x; }
    int32_t x; std::memcpy(&x, a, 4); return x;
}

void touch_metadata(GDALDatasetH ds)
{
    double gt[6];
    GDALGetGeoTransform(ds, gt);
    GDALGetSpatialRef(ds);
    CSLDestroy(GDALGetFileList(ds));
    GDALGetMetadata(ds, nullptr);
    GDALGetMetadataItem(ds, "AREA_OR_POINT", nullptr);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int has = 0;
    GDALGetRasterNoDataValue(b, &has);
    int bx = 0, by = 0;
    GDALGetBlockSize(b, &bx, &by);
    GDALGetMetadata(b, nullptr);
}

bool close_enough(double a, double b)
{
    if (!std::isfinite(a) || !std::isfinite(b))
        return true;
    return std::fabs(a - b) <= 1e-9 * std::fmax(1.0, std::fmax(std::fabs(a), std::fabs(b)));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
    CPLSetConfigOption("CPL_DEBUG", "OFF");
    CPLSetErrorHandler(CPLQuietErrorHandler);
    GDALRegister_FastAAIGrid();
    if (!GDALGetDriverByName("FastAAIGrid")) {
        std::fprintf(stderr, "FastAAIGrid did not register\n");
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 1 << 20)
        return 0;
    const unsigned chunk = data[0] ? 1u + (unsigned)data[0] * 16u : 0u;
    const unsigned threads = 1 + data[1] % 16;
    const int dt = data[2] & 3;
    const int copy_opts = (data[2] >> 2) & 3;
    FuzzRng rng{data[3] * 0x9E3779B9ULL + size};

    const std::string chunk_s = std::to_string(chunk), threads_s = std::to_string(threads);
    CPLSetConfigOption("FASTAAIGRID_CHUNK_SIZE", chunk ? chunk_s.c_str() : nullptr);
    CPLSetConfigOption("FASTAAIGRID_PARALLEL_MIN", chunk ? "64" : nullptr);

    VSILFILE *fp = VSIFileFromMemBuffer(kIn, const_cast<GByte *>(data + 4), size - 4, FALSE);
    VSIFCloseL(fp);

    static const char *const types[] = {nullptr, "Int32", "Float32", "Float64"};
    CPLStringList oo;
    oo.SetNameValue("NUM_THREADS", threads_s.c_str());
    if (types[dt])
        oo.SetNameValue("DATATYPE", types[dt]);

    GDALDatasetH ds = open_fast(kIn, oo.List());
    if (!ds) {
        VSIUnlink(kIn);
        return 0;
    }
    const int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    FUZZ_CHECK(GDALGetRasterCount(ds) == 1, "%d bands", GDALGetRasterCount(ds));
    FUZZ_CHECK(w > 0 && h > 0, "size %dx%d", w, h);
    touch_metadata(ds);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    const GDALDataType t = GDALGetRasterDataType(band);
    FUZZ_CHECK(t == GDT_Int32 || t == GDT_Float32 || t == GDT_Float64, "type %d", (int)t);
    int has_nodata = 0;
    const double nodata = GDALGetRasterNoDataValue(band, &has_nodata);
    if (types[dt]) {
        // DATATYPE is kept, except that a `null` NODATA_value makes Int32 Float64 with nodata
        // -DBL_MAX: the built-in's rule, as in fuzz_header (fuzz/findings/README.md, 3 and 5).
        const bool null_nodata = has_nodata && nodata == -DBL_MAX;
        const GDALDataType want = null_nodata && dt == 1 ? GDT_Float64
                                                         : GDALGetDataTypeByName(types[dt]);
        FUZZ_CHECK(t == want, "DATATYPE=%s gave %s", types[dt], GDALGetDataTypeName(t));
    }
    const size_t px = (size_t)GDALGetDataTypeSizeBytes(t);
    if ((uint64_t)w * (uint64_t)h > (1u << 18)) {
        // Too big to hold: one row near the end only (must not crash or hang).
        std::vector<unsigned char> row((size_t)w * px);
        if ((uint64_t)w <= (1u << 18))
            (void)!GDALRasterIO(band, GF_Read, 0, h - 1, w, 1, row.data(), w, 1, t, 0, 0);
        GDALClose(ds);
        VSIUnlink(kIn);
        return 0;
    }
    double gt_src[6] = {0, 1, 0, 0, 0, 1};
    const bool has_gt = GDALGetGeoTransform(ds, gt_src) == CE_None;

    std::vector<unsigned char> full((size_t)w * h * px);
    const bool full_ok = GDALRasterIO(band, GF_Read, 0, 0, w, h, full.data(), w, h, t, 0, 0) == CE_None;
    GDALClose(ds);

    // Rows in a random order and a sub-window, on a fresh dataset.
    ds = open_fast(kIn, oo.List());
    FUZZ_CHECK(ds != nullptr, "the second open failed");
    band = GDALGetRasterBand(ds, 1);
    std::vector<unsigned char> row((size_t)w * px);
    const unsigned nreads = 1 + (unsigned)rng.below(8);
    for (unsigned i = 0; i < nreads; i++) {
        const int y = i == 0 ? h - 1 : (int)rng.below((uint64_t)h);
        const bool ok = GDALRasterIO(band, GF_Read, 0, y, w, 1, row.data(), w, 1, t, 0, 0) == CE_None;
        if (full_ok) {
            FUZZ_CHECK(ok, "row %d fails, the full read did not", y);
            for (int x = 0; x < w; x++)
                FUZZ_CHECK(same_pixel(t, row.data() + x * px, full.data() + ((size_t)y * w + x) * px),
                           "row %d col %d differs from the full read", y, x);
        }
    }
    {
        const int x0 = (int)rng.below((uint64_t)w), y0 = (int)rng.below((uint64_t)h);
        const int ww = 1 + (int)rng.below((uint64_t)(w - x0)), hh = 1 + (int)rng.below((uint64_t)(h - y0));
        std::vector<unsigned char> win((size_t)ww * hh * 8);
        // Read as Float64 through IRasterIO's type conversion.
        const bool ok = GDALRasterIO(band, GF_Read, x0, y0, ww, hh, win.data(), ww, hh, GDT_Float64, 0, 0) == CE_None;
        if (full_ok) {
            FUZZ_CHECK(ok, "window (%d,%d %dx%d) fails, the full read did not", x0, y0, ww, hh);
            for (int y = 0; y < hh; y++)
                for (int x = 0; x < ww; x++) {
                    double a, b = pixel_value(t, full.data() + ((size_t)(y0 + y) * w + x0 + x) * px);
                    std::memcpy(&a, win.data() + ((size_t)y * ww + x) * 8, 8);
                    FUZZ_CHECK(bits_of(a) == bits_of(b) || (std::isnan(a) && std::isnan(b)),
                               "window pixel (%d,%d): %.17g, full read %.17g", x0 + x, y0 + y, a, b);
                }
        }
    }

    // CreateCopy and reopen.
    if (full_ok) {
        GDALDriverH drv = GDALGetDriverByName("FastAAIGrid");
        CPLStringList co;
        co.SetNameValue("NUM_THREADS", threads_s.c_str());
        if (copy_opts == 1)
            co.SetNameValue("FORCE_CELLSIZE", "YES");
        else if (copy_opts == 2)
            co.SetNameValue("DECIMAL_PRECISION", "3");
        else if (copy_opts == 3)
            co.SetNameValue("SIGNIFICANT_DIGITS", "6");
        GDALDatasetH out = GDALCreateCopy(drv, kOut, ds, FALSE, co.List(), nullptr, nullptr);
        if (out) {
            GDALClose(out);
            CPLStringList oo2;
            oo2.SetNameValue("DATATYPE", GDALGetDataTypeName(t));
            GDALDatasetH back = open_fast(kOut, oo2.List());
            FUZZ_CHECK(back != nullptr, "the copy does not reopen: %s", CPLGetLastErrorMsg());
            FUZZ_CHECK(GDALGetRasterXSize(back) == w && GDALGetRasterYSize(back) == h, "copy size");
            GDALRasterBandH b2 = GDALGetRasterBand(back, 1);
            FUZZ_CHECK(GDALGetRasterDataType(b2) == t, "copy type");
            std::vector<unsigned char> again(full.size());
            FUZZ_CHECK(GDALRasterIO(b2, GF_Read, 0, 0, w, h, again.data(), w, h, t, 0, 0) == CE_None,
                       "the copy does not read: %s", CPLGetLastErrorMsg());
            double gt2[6];
            if (has_gt && GDALGetGeoTransform(back, gt2) == CE_None && copy_opts != 1)
                for (int k = 0; k < 6; k++)
                    FUZZ_CHECK(close_enough(gt_src[k], gt2[k]), "copy geotransform[%d] %.17g, source %.17g",
                               k, gt2[k], gt_src[k]);
            if (copy_opts == 0 || copy_opts == 1) {
                for (size_t i = 0; i < (size_t)w * h; i++) {
                    const unsigned char *a = full.data() + i * px, *b = again.data() + i * px;
                    if (same_pixel(t, a, b))
                        continue;
                    // NaN cells are written as the nodata value's text.
                    const double va = pixel_value(t, a), vb = pixel_value(t, b);
                    const bool is_nodata = vb == nodata || (std::isnan(nodata) && std::isnan(vb)) ||
                                           (t == GDT_Float32 && (float)vb == (float)nodata);
                    if (std::isnan(va) && has_nodata && is_nodata)
                        continue;
                    fuzz_fail("copy pixel %zu: %.17g, source %.17g (type %s)", i, vb, va,
                              GDALGetDataTypeName(t));
                }
            }
            GDALClose(back);
        }
        VSIUnlink(kOut);
        VSIUnlink((std::string(kOut) + ".prj").c_str());
    }
    GDALClose(ds);
    VSIUnlink(kIn);
    return 0;
}
