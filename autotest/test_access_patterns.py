"""What applications do to a file, through FastAAIGrid and through the built-in: the same
results. These reads go through the block cache, which FastAAIGrid fills with parsed rows
(windows side by side, block reads reading ahead): so every test also runs with a cache
too small to hold the raster, where rows are evicted and parsed again."""
import random

import numpy as np
import pytest
from osgeo import gdal, osr

from conftest import (assert_same_pixels, config_options, open_builtin, open_fast, write_file)

NCOLS, NROWS = 613, 709  # not multiples of anything the driver uses
NODATA = -9999


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    rng = np.random.default_rng(7)
    z = np.round(rng.normal(500, 120, (NROWS, NCOLS)), 3)
    z[rng.random(z.shape) < 0.02] = NODATA
    path = str(tmp_path_factory.mktemp("patterns") / "g.asc")
    body = "\n".join(" ".join(f"{v:.3f}" if v != NODATA else str(NODATA) for v in row) for row in z)
    write_file(path, f"ncols {NCOLS}\nnrows {NROWS}\nxllcorner 500000\nyllcorner 4000000\n"
                     f"cellsize 30\nNODATA_value {NODATA}\n{body}\n")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    write_file(path[:-4] + ".prj", srs.ExportToWkt())
    return path


# The whole raster is ~1.7 MB as Float32: 1 MB of cache cannot hold it.
@pytest.fixture(params=["default cache", "small cache"])
def cache(request):
    if request.param == "default cache":
        yield
        return
    old = gdal.GetCacheMax()
    gdal.SetCacheMax(1 << 20)
    try:
        yield
    finally:
        gdal.SetCacheMax(old)


def both(path):
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        return open_fast(path), open_builtin(path)


def test_windows_in_random_order(grid, cache):
    fast, ref = both(grid)
    rng = random.Random(3)
    windows = [(x, y, min(128, NCOLS - x), min(96, NROWS - y))
               for x in range(0, NCOLS, 128) for y in range(0, NROWS, 96)]
    windows += [(rng.randrange(NCOLS), rng.randrange(NROWS), 1, 1) for _ in range(20)]
    rng.shuffle(windows)
    for x, y, w, h in windows:
        w, h = max(1, min(w, NCOLS - x)), max(1, min(h, NROWS - y))
        for buf_type in (None, gdal.GDT_Float64, gdal.GDT_Int16):
            a = fast.GetRasterBand(1).ReadAsArray(x, y, w, h, buf_type=buf_type)
            b = ref.GetRasterBand(1).ReadAsArray(x, y, w, h, buf_type=buf_type)
            assert_same_pixels(a, b, f"window {x},{y} {w}x{h} as {buf_type}")
    # A whole read after the windows (cached and uncached rows mixed).
    assert_same_pixels(fast.ReadAsArray(), ref.ReadAsArray(), "full read after windows")


def test_blocks_down_then_random(grid, cache):
    """Block reads down the raster read ahead; a jump, a step back, a skip and reading on
    from the middle must all give the right rows."""
    fast, ref = both(grid)
    order = list(range(0, 300)) + [650, 10, 11, 12, 400, 402, 404, 299, 300, 301] + \
        list(range(500, NROWS)) + [0, NROWS - 1]
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    for row in order:
        assert fb.ReadBlock(0, row) == rb.ReadBlock(0, row), f"block {row}"


@pytest.mark.parametrize("approx", [False, True])
def test_statistics(grid, cache, approx):
    fast, ref = both(grid)
    assert fast.GetRasterBand(1).ComputeStatistics(approx) == \
        ref.GetRasterBand(1).ComputeStatistics(approx)


@pytest.mark.parametrize("alg", [gdal.GRIORA_NearestNeighbour, gdal.GRIORA_Average,
                                 gdal.GRIORA_Bilinear, gdal.GRIORA_Mode],
                         ids=["nearest", "average", "bilinear", "mode"])
@pytest.mark.parametrize("size", [(100, 100), (307, 355), (1000, 900)])
def test_resampled_whole_raster(grid, cache, alg, size):
    fast, ref = both(grid)
    a = fast.GetRasterBand(1).ReadAsArray(buf_xsize=size[0], buf_ysize=size[1], resample_alg=alg)
    b = ref.GetRasterBand(1).ReadAsArray(buf_xsize=size[0], buf_ysize=size[1], resample_alg=alg)
    assert_same_pixels(a, b, f"{alg} into {size}")


def test_overviews(grid, cache, tmp_path):
    results = []
    for opener, name in ((open_fast, "fast"), (open_builtin, "ref")):
        path = str(tmp_path / f"{name}.asc")
        with open(grid, "rb") as f:
            write_file(path, f.read().decode())
        with config_options({"GDAL_PAM_ENABLED": "NO"}):
            ds = opener(path)
            assert ds.BuildOverviews("AVERAGE", [2, 4, 8]) == 0
            band = ds.GetRasterBand(1)
            results.append([band.GetOverview(i).ReadAsArray() for i in range(3)])
    for level, (a, b) in enumerate(zip(*results)):
        assert_same_pixels(a, b, f"overview {level}")


def test_warp(grid, cache):
    out = []
    for ds in both(grid):
        w = gdal.Warp("", ds, format="MEM", dstSRS="EPSG:3857", resampleAlg="bilinear")
        out.append((w.GetGeoTransform(), w.ReadAsArray()))
    assert out[0][0] == out[1][0]
    assert_same_pixels(out[0][1], out[1][1], "warp")
