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
    driver->SetMetadataItem(GDAL_DMD_HELPTOPIC, "drivers/raster/aaigrid.html");
    driver->SetMetadataItem(GDAL_DMD_EXTENSION, "asc");
    driver->SetMetadataItem(GDAL_DMD_EXTENSIONS, "asc");
    driver->SetMetadataItem(GDAL_DCAP_VIRTUALIO, "YES");
    driver->SetMetadataItem(GDAL_DCAP_OPEN, "YES");
    driver->SetMetadataItem(
        GDAL_DMD_OPENOPTIONLIST,
        "<OpenOptionList>"
        "  <Option name='DATATYPE' type='string-select' description='Data type to be used.'>"
        "    <Value>Int32</Value>"
        "    <Value>Float32</Value>"
        "    <Value>Float64</Value>"
        "  </Option>"
        "  <Option name='NUM_THREADS' type='string' description='Threads parsing large reads: "
        "a number or ALL_CPUS (default: GDAL_NUM_THREADS, else all cores)'/>"
        "</OpenOptionList>");
    driver->SetMetadataItem(GDAL_DCAP_CREATECOPY, "YES");
    driver->SetMetadataItem(GDAL_DMD_CREATIONDATATYPES,
                            "Byte UInt16 Int16 UInt32 Int32 Int64 UInt64 Float32 Float64");
    driver->SetMetadataItem(
        GDAL_DMD_CREATIONOPTIONLIST,
        "<CreationOptionList>"
        "  <Option name='FORCE_CELLSIZE' type='boolean' description='Force use of CELLSIZE, "
        "default is FALSE.'/>"
        "  <Option name='DECIMAL_PRECISION' type='int' description='Number of decimal when "
        "writing floating-point numbers (%f).'/>"
        "  <Option name='SIGNIFICANT_DIGITS' type='int' description='Number of significant "
        "digits when writing floating-point numbers (%g).'/>"
        "  <Option name='NUM_THREADS' type='string' description='Threads formatting values: "
        "a number or ALL_CPUS'/>"
        "</CreationOptionList>");
    driver->pfnIdentify = FastAAIGridDataset::Identify;
    driver->pfnCreateCopy = CreateCopyCallback;
    driver->pfnOpen = FastAAIGridDataset::Open;
    GetGDALDriverManager()->RegisterDriver(driver);
}
