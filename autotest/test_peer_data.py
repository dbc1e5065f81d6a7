"""GDAL's own AAIGrid test files, read with FastAAIGrid.

Expected values are those of GDAL's autotest (autotest/gdrivers/aaigrid.py and
friends, 2024-2026) as listed in peer-data/README.md, or what the built-in
driver of GDAL 3.6.2 measurably returns for files no GDAL test opens.  The
data is read in place from the shared peer-data directory (never copied).
"""

import math
import os

import numpy as np
import pytest
from osgeo import gdal, osr

from conftest import (
    PEER_DIR,
    assert_same,
    config_options,
    open_builtin,
    open_fast,
    quiet_errors,
    read_array,
    same_float,
    type_name,
)


def peer(relpath):
    return os.path.join(PEER_DIR, relpath)


@pytest.fixture(autouse=True)
def _need_peer_dir(peer_dir):
    pass


# The projection GDAL's test_aaigrid_2 expects from pixel_per_line.prj (an
# old-style Arc/Info .prj): an unnamed Albers Conic Equal Area on NAD83.
EXPECTED_ALBERS_WKT = (
    'PROJCS["unnamed",GEOGCS["NAD83",DATUM["North_American_Datum_1983",'
    'SPHEROID["GRS 1980",6378137,298.257222101]],PRIMEM["Greenwich",0],'
    'UNIT["degree",0.0174532925199433]],PROJECTION["Albers_Conic_Equal_Area"],'
    'PARAMETER["latitude_of_center",59],PARAMETER["longitude_of_center",-132.5],'
    'PARAMETER["standard_parallel_1",61.6666666666667],PARAMETER["standard_parallel_2",68],'
    'PARAMETER["false_easting",500000],PARAMETER["false_northing",500000],UNIT["METERS",1]]'
)
ALBERS_GT = (100000.0, 50.0, 0.0, 650600.0, 0.0, -50.0)

# relpath: (type, checksum, geotransform or None (not checked), nodata, has Albers SRS)
EXPECTED = {
    "aaigrid/pixel_per_line.asc": ("Float32", 1123, ALBERS_GT, -99999.0, True),
    "aaigrid/pixel_per_line_comma.asc": ("Float32", 1123, ALBERS_GT, -99999.0, False),
    "aaigrid/case_sensitive.ASC": ("Float32", 1123, ALBERS_GT, -99999.0, True),
    "aaigrid/byte.tif.grd": ("Int32", 4672, (440720.0, 60.0, 0.0, 3751320.0, 0.0, -60.0), None, False),
    "aaigrid/nodata_float.asc": ("Float32", 278, (440720.0, 60.0, 0.0, 3750420.0, 0.0, -60.0), -99999.0, False),
    "aaigrid/nodata_int.asc": ("Int32", 278, (440720.0, 60.0, 0.0, 3750420.0, 0.0, -60.0), -99999.0, False),
    # default open of float64.asc: Float32, nodata rounded to float
    "aaigrid/float64.asc": ("Float32", 65513, (440720.0, 60.0, 0.0, 3750420.0, 0.0, -60.0),
                            float(np.float32(-1.234567890123)), False),
}
# jpeg/exif_orientation/F*.asc: no GDAL test opens them; values measured on 3.6.2.
for _name, _sum in {"F1": 74, "F2": 90, "F3": 108, "F4": 78}.items():
    EXPECTED[f"jpeg/exif_orientation/{_name}.asc"] = ("Int32", _sum, (0.0, 1.0, 0.0, 5.0, 0.0, -1.0), None, False)
for _name, _sum in {"F5": 121, "F6": 97, "F7": 86, "F8": 63}.items():
    EXPECTED[f"jpeg/exif_orientation/{_name}.asc"] = ("Int32", _sum, (0.0, 1.0, 0.0, 3.0, 0.0, -1.0), None, False)


@pytest.mark.parametrize("relpath", list(EXPECTED))
def test_gdal_expectations(relpath):
    dtype, checksum, gt, nodata, albers = EXPECTED[relpath]
    ds = open_fast(peer(relpath))
    assert ds is not None, gdal.GetLastErrorMsg()
    band = ds.GetRasterBand(1)
    assert type_name(ds) == dtype
    assert band.Checksum() == checksum
    if gt is not None:
        assert ds.GetGeoTransform() == gt
    assert same_float(band.GetNoDataValue(), nodata)
    srs = ds.GetSpatialRef()
    if albers:
        expected = osr.SpatialReference()
        assert expected.ImportFromWkt(EXPECTED_ALBERS_WKT) == 0
        assert srs is not None
        assert srs.IsSame(expected), srs.ExportToWkt()
        ref_srs = open_builtin(peer(relpath)).GetSpatialRef()
        assert srs.IsSame(ref_srs)
    else:
        assert srs is None


@pytest.mark.parametrize("relpath", list(EXPECTED))
def test_same_as_builtin(relpath):
    assert_same(peer(relpath))


def test_pixel_per_line_prj_listed():
    ds = open_fast(peer("aaigrid/pixel_per_line.asc"))
    names = sorted(os.path.basename(f) for f in ds.GetFileList())
    assert names == ["pixel_per_line.asc", "pixel_per_line.prj"]


def test_case_sensitive_upper_case_prj_listed():
    ds = open_fast(peer("aaigrid/case_sensitive.ASC"))
    names = sorted(os.path.basename(f) for f in ds.GetFileList())
    assert names == ["case_sensitive.ASC", "case_sensitive.PRJ"]


def test_pixel_per_line_window_checksum():
    """test_aaigrid_4: sub-window (5, 5, 5, 5) checksum 187 (old 'tail recursion' bug)."""
    ds = open_fast(peer("aaigrid/pixel_per_line.asc"))
    assert ds.GetRasterBand(1).Checksum(5, 5, 5, 5) == 187


def test_pixel_per_line_window_checksum_fresh_rows_backwards():
    """Same window after reading rows bottom-up on a fresh dataset."""
    ds = open_fast(peer("aaigrid/pixel_per_line.asc"))
    band = ds.GetRasterBand(1)
    for y in reversed(range(ds.RasterYSize)):
        assert band.ReadAsArray(0, y, ds.RasterXSize, 1) is not None
    assert band.Checksum(5, 5, 5, 5) == 187


# ---- float64.asc (test_aaigrid_10) -----------------------------------------

FLOAT64_VALUE = 1.234567890123


def _check_float64(ds):
    assert ds is not None, gdal.GetLastErrorMsg()
    band = ds.GetRasterBand(1)
    assert type_name(ds) == "Float64"
    assert band.GetNoDataValue() == pytest.approx(-FLOAT64_VALUE, abs=1e-16)
    vmin, vmax = band.ComputeRasterMinMax(False)
    assert vmin == pytest.approx(FLOAT64_VALUE, abs=1e-16)
    assert vmax == pytest.approx(FLOAT64_VALUE, abs=1e-16)
    assert band.Checksum() == 65513


def test_float64_default_is_float32():
    ds = open_fast(peer("aaigrid/float64.asc"))
    assert type_name(ds) == "Float32"
    assert ds.GetRasterBand(1).Checksum() == 65513


def test_float64_open_option():
    _check_float64(open_fast(peer("aaigrid/float64.asc"), ["DATATYPE=Float64"]))


def test_float64_config_option():
    with config_options({"AAIGRID_DATATYPE": "Float64"}):
        ds = open_fast(peer("aaigrid/float64.asc"))
        _check_float64(ds)


@pytest.mark.parametrize(
    "open_options, config",
    [
        (["DATATYPE=Float64"], {}),
        ([], {"AAIGRID_DATATYPE": "Float64"}),
        (["DATATYPE=Float32"], {}),
        (["DATATYPE=Int32"], {}),
    ],
    ids=["DATATYPE=Float64", "AAIGRID_DATATYPE=Float64", "DATATYPE=Float32", "DATATYPE=Int32"],
)
def test_float64_same_as_builtin(open_options, config):
    with config_options(config):
        assert_same(peer("aaigrid/float64.asc"), open_options)


# ---- files the 3.6.2 built-in cannot read, expected by newer GDAL ------------


def test_starting_with_nan():
    """test_aaigrid_starting_with_nan (#9666 / PR #9668): Float32, checksum 65300."""
    ds = open_fast(peer("aaigrid/starting_with_nan.asc"))
    assert ds is not None, gdal.GetLastErrorMsg()
    assert type_name(ds) == "Float32"
    assert ds.GetRasterBand(1).Checksum() == 65300
    # The file: 5x5 'nan' except 1.0 at row 2, column 2.
    expected = np.full((5, 5), np.nan, dtype=np.float32)
    expected[2, 2] = 1.0
    np.testing.assert_array_equal(read_array(ds), expected)


def test_nodata_nan():
    """test_aaigrid_nodata_nan (June 2024): Float32 with NaN nodata."""
    ds = open_fast(peer("aaigrid/nodata_nan.asc"))
    assert ds is not None, gdal.GetLastErrorMsg()
    assert type_name(ds) == "Float32"
    assert math.isnan(ds.GetRasterBand(1).GetNoDataValue())
    assert ds.GetGeoTransform() == (0.0, 1.0, 0.0, 2.0, 0.0, -1.0)
    # The file's data: "nan -1 0" / "1 2 3".
    expected = np.array([[np.nan, -1, 0], [1, 2, 3]], dtype=np.float32)
    np.testing.assert_array_equal(read_array(ds), expected)


@pytest.mark.skipif(int(gdal.VersionInfo()) >= 3090000, reason="fixed in newer built-in drivers")
@pytest.mark.parametrize("name", ["starting_with_nan.asc", "nodata_nan.asc"])
def test_builtin_362_cannot_read(name):
    """Why these two files are not in the differential tests (3.6.2 predates #9668)."""
    with quiet_errors():
        ds = open_builtin(peer("aaigrid/" + name))
        ok = ds is not None and ds.GetRasterBand(1).ReadAsArray() is not None
    assert not ok


# ---- GRASS ASCII and ISG stay with the built-in drivers --------------------------

NOT_AAIGRID = [
    "grassasciigrid/grassascii.txt",
    "isg/test.isg",
    "isg/approx_georeferencing_auto_corrected.isg",
    "isg/approx_georeferencing_rejected_by_default.isg",
    "isg/approx_georeferencing_warning.isg",
    "isg/header_dms.isg",
    "isg/header_larger_than_1024bytes.isg",
]


@pytest.mark.parametrize("relpath", NOT_AAIGRID)
def test_fastaaigrid_does_not_claim(relpath):
    gdal.ErrorReset()
    ds = open_fast(peer(relpath))
    assert ds is None
    assert gdal.GetLastErrorMsg() == ""
    assert gdal.GetLastErrorType() == gdal.CE_None
    assert gdal.IdentifyDriverEx(peer(relpath), allowed_drivers=["FastAAIGrid"]) is None


@pytest.mark.parametrize(
    "relpath, driver, checksum, gt",
    [
        ("grassasciigrid/grassascii.txt", "GRASSASCIIGrid", 212,
         (-100.0, 62.5, 0.0, 250.0, 0.0, -41.666666666666664)),
        ("isg/test.isg", "ISG", 159, (120.0, 0.25, 0.0, 41.0, 0.0, -0.25)),
    ],
)
def test_plain_open_still_uses_builtin(relpath, driver, checksum, gt):
    ds = gdal.Open(peer(relpath))
    assert ds is not None
    assert ds.GetDriver().ShortName == driver
    assert ds.GetRasterBand(1).Checksum() == checksum
    assert ds.GetGeoTransform() == pytest.approx(gt, rel=1e-12)

