"""Prints how the built-in AAIGrid driver of the GDAL at hand, and FastAAIGrid, read each
spelling of NaN and infinity in the middle of a Float64 grid (for the README's table).
Run: GDAL_DRIVER_PATH=build /usr/bin/python3 autotest/probe_specials.py"""
from osgeo import gdal

gdal.DontUseExceptions()
gdal.PushErrorHandler("CPLQuietErrorHandler")
TOKENS = ["nan", "NaN", "NAN", "-nan", "+nan", "nan(123)", "inf", "Inf", "INF", "-inf", "+inf",
          "infinity", "Infinity", "-Infinity", "1e999", "1.#INF", "-1.#INF", "1.#QNAN"]
HEADER = "ncols 3\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n"


def read(drv, path):
    ds = gdal.OpenEx(path, allowed_drivers=[drv], open_options=["DATATYPE=Float64"])
    if ds is None:
        return "open fails"
    a = ds.GetRasterBand(1).ReadAsArray()
    return "read fails" if a is None else repr(float(a[0, 1]))


print(f"GDAL {gdal.__version__}")
for tok in TOKENS:
    path = "/vsimem/probe.asc"
    gdal.FileFromMemBuffer(path, HEADER + f"1.5 {tok} 2\n")
    print(f"{tok:10} built-in {read('AAIGrid', path):12} FastAAIGrid {read('FastAAIGrid', path)}")
