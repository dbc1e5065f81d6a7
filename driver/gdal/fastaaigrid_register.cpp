// Plugin entry point. GDAL calls GDALRegister_<Name> from gdal_<Name>.so; plugins register
// before the built-in drivers, so FastAAIGrid is asked first for every .asc.
#include "fastaaigrid.h"

extern "C" __attribute__((visibility("default"))) void GDALRegister_FastAAIGrid();

// GDAL's CreateCopy callback takes the options as char ** in older GDAL (3.6, 3.10) and as
// CSLConstList in newer (3.13): the callback's own type picks Options.
template <class Options>
static GDALDataset *CreateCopyCallback(const char *filename, GDALDataset *src, int strict,
                                       Options options, GDALProgressFunc progress,
                                       void *progressData)
{
    return FastAAIGridDataset::CreateCopy(filename, src, strict, options, progress,
                                          progressData);
}

void GDALRegister_FastAAIGrid()
{
    if (!GDAL_CHECK_VERSION(FASTAAIGRID_NAME))
        return;
    if (GDALGetDriverByName(FASTAAIGRID_NAME) != nullptr)
        return;

    auto driver = new GDALDriver();
    driver->SetDescription(FASTAAIGRID_NAME);
    driver->SetMetadataItem(GDAL_DCAP_RASTER, "YES");
    driver->SetMetadataItem(GDAL_DMD_LONGNAME, "Arc/Info ASCII Grid (FastAAIGrid)");
    // The driver's page, doc/drivers/raster/fastaaigrid.rst, as a path under GDAL's
    // documentation root; autotest/test_tools.py checks that every option below is on it.
    driver->SetMetadataItem(GDAL_DMD_HELPTOPIC, "drivers/raster/fastaaigrid.html");
    driver->SetMetadataItem(GDAL_DMD_EXTENSION, "asc");
    driver->SetMetadataItem(GDAL_DMD_EXTENSIONS, "asc");
    driver->SetMetadataItem(GDAL_DCAP_VIRTUALIO, "YES");
    driver->SetMetadataItem(GDAL_DCAP_OPEN, "YES");
    driver->SetMetadataItem(
        GDAL_DMD_OPENOPTIONLIST,
        "<OpenOptionList>"
        "  <Option name='DATATYPE' type='string-select' description='Band data type instead "
        "of detecting it; the AAIGRID_DATATYPE configuration option wins over it'>"
        "    <Value>Int32</Value>"
        "    <Value>Float32</Value>"
        "    <Value>Float64</Value>"
        "    <Value>AUTO</Value>"
        "  </Option>"
        "  <Option name='NUM_THREADS' type='string' description='Threads parsing large reads: "
        "a number (1 to 64) or ALL_CPUS (default: GDAL_NUM_THREADS, else all cores)'/>"
        "</OpenOptionList>");
    driver->SetMetadataItem(GDAL_DCAP_CREATECOPY, "YES");
    driver->SetMetadataItem(GDAL_DMD_CREATIONDATATYPES,
                            "Byte UInt16 Int16 UInt32 Int32 Int64 UInt64 Float32 Float64");
    driver->SetMetadataItem(
        GDAL_DMD_CREATIONOPTIONLIST,
        "<CreationOptionList>"
        "  <Option name='FORCE_CELLSIZE' type='boolean' default='NO' description='Write "
        "cellsize (the pixel width) instead of dx and dy when pixels are not square'/>"
        "  <Option name='DECIMAL_PRECISION' type='int' description='Decimal places of "
        "floating-point values (%.Nf), 0 to 40 (default: the shortest text that reads back "
        "exactly)'/>"
        "  <Option name='SIGNIFICANT_DIGITS' type='int' description='Significant digits of "
        "floating-point values (%.Ng), 0 to 40 (default: the shortest text that reads back "
        "exactly)'/>"
        "  <Option name='NUM_THREADS' type='string' description='Threads formatting values: "
        "a number (1 to 64) or ALL_CPUS (default: GDAL_NUM_THREADS, else all cores)'/>"
        "</CreationOptionList>");
    driver->pfnIdentify = FastAAIGridDataset::Identify;
    driver->pfnCreateCopy = CreateCopyCallback;
    driver->pfnOpen = FastAAIGridDataset::Open;
    GetGDALDriverManager()->RegisterDriver(driver);
}
