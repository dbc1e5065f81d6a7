"""Shared fixtures and helpers for the FastAAIGrid Python test suite.

Run from the repository root with the system Python (the one that has GDAL):

    /usr/bin/python3 -m pytest autotest

Environment variables:

FASTAAIGRID_PLUGIN_DIR
    Directory holding ``gdal_FastAAIGrid.so`` (default: ``<repo>/build``).
    It becomes ``GDAL_DRIVER_PATH`` *before* ``osgeo.gdal`` is imported.
FASTAAIGRID_SHARED_DIR
    Directory holding ``peer-data/`` (default: ``<repo>/../shared``).
FASTAAIGRID_DEBUG_BUILTIN_AS_FAST
    Debugging switch only.  When set to ``1``, ``open_fast`` opens with the
    built-in ``AAIGrid`` driver instead of FastAAIGrid and the session check
    for the plugin is skipped.  Useful to sanity-check the test generators
    (the differential tests then compare the built-in with itself).  The
    tests that need the real plugin (driver registration/order, documented
    differences, newer-GDAL peer expectations) fail in this mode on purpose,
    so a run with the switch on can never come out green.

Helpers are plain functions so that the test modules can import them
(``from conftest import assert_same, ...``).  ``gdal.UseExceptions()`` is
deliberately *not* enabled: tests inspect ``gdal.GetLastErrorMsg()``.
"""

import contextlib
import itertools
import math
import os
import random
import struct
import sys
import zlib

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_GDAL_PREIMPORTED = "osgeo.gdal" in sys.modules
PLUGIN_DIR = os.path.abspath(
    os.environ.get("FASTAAIGRID_PLUGIN_DIR") or os.path.join(REPO_DIR, "build")
)
os.environ["GDAL_DRIVER_PATH"] = PLUGIN_DIR

from osgeo import gdal  # noqa: E402  (must come after GDAL_DRIVER_PATH)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

FAST = "FastAAIGrid"
BUILTIN = "AAIGrid"

DEBUG_BUILTIN_AS_FAST = os.environ.get("FASTAAIGRID_DEBUG_BUILTIN_AS_FAST") == "1"

SHARED_DIR = os.path.abspath(
    os.environ.get("FASTAAIGRID_SHARED_DIR")
    or os.path.join(REPO_DIR, os.pardir, "shared")
)
PEER_DIR = os.path.join(SHARED_DIR, "peer-data", "gdal-autotest")

FLT_MAX = float(np.finfo(np.float32).max)

# The GDAL at hand: the built-in's quirks differ between versions (see the README's table of
# differences), FastAAIGrid's behaviour does not.
GDAL_VERSION = tuple(int(p) for p in gdal.__version__.split(".")[:2])


def builtin_since(major, minor):
    """Is the built-in AAIGrid driver of the GDAL at hand from version major.minor on?"""
    return GDAL_VERSION >= (major, minor)


# --------------------------------------------------------------------------
# pytest hooks and fixtures
# --------------------------------------------------------------------------


def pytest_report_header(config):
    lines = [
        f"GDAL {gdal.__version__}, GDAL_DRIVER_PATH={PLUGIN_DIR}",
        f"FastAAIGrid registered: {gdal.GetDriverByName(FAST) is not None}",
        f"peer data: {PEER_DIR}",
    ]
    if DEBUG_BUILTIN_AS_FAST:
        lines.append(
            "!!! FASTAAIGRID_DEBUG_BUILTIN_AS_FAST=1: open_fast() uses the BUILT-IN "
            "AAIGrid driver; this run does not test FastAAIGrid !!!"
        )
    return lines


@pytest.fixture(scope="session", autouse=True)
def fastaaigrid_registered():
    """Fail every test with one clear message if the plugin did not load."""
    if DEBUG_BUILTIN_AS_FAST:
        return
    if gdal.GetDriverByName(FAST) is None:
        so = os.path.join(PLUGIN_DIR, "gdal_FastAAIGrid.so")
        msg = (
            f"GDAL driver {FAST!r} is not registered. GDAL_DRIVER_PATH={PLUGIN_DIR!r}; "
            f"{so} {'exists' if os.path.exists(so) else 'does NOT exist'}. "
            "Build the plugin or set FASTAAIGRID_PLUGIN_DIR; run with CPL_DEBUG=ON "
            "to see why GDAL did not load it."
        )
        if _GDAL_PREIMPORTED:
            msg += " (osgeo.gdal was imported before conftest.py could set GDAL_DRIVER_PATH)"
        pytest.fail(msg, pytrace=False)


_vsimem_written = []


@pytest.fixture(autouse=True)
def clean_vsimem_and_errors():
    """Reset the GDAL error state before each test; delete /vsimem/ files after it."""
    gdal.ErrorReset()
    yield
    names = set(_vsimem_written)
    _vsimem_written.clear()
    for name in gdal.ReadDirRecursive("/vsimem") or []:
        names.add("/vsimem/" + name)
    for name in names:
        for candidate in (name, name + ".aux.xml"):
            if gdal.VSIStatL(candidate) is not None:
                gdal.Unlink(candidate)
    gdal.ErrorReset()


@pytest.fixture(scope="session")
def peer_dir():
    if not os.path.isdir(PEER_DIR):
        pytest.fail(
            f"peer data not found at {PEER_DIR}; set FASTAAIGRID_SHARED_DIR to the "
            "directory that contains peer-data/",
            pytrace=False,
        )
    return PEER_DIR


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _open(path, driver, open_options=None, **kw):
    return gdal.OpenEx(
        path,
        gdal.OF_RASTER,
        allowed_drivers=[driver],
        open_options=list(open_options or []),
        **kw,
    )


def open_fast(path, open_options=None, **kw):
    """Open *path* with FastAAIGrid only (returns None on failure)."""
    return _open(path, BUILTIN if DEBUG_BUILTIN_AS_FAST else FAST, open_options, **kw)


def open_builtin(path, open_options=None, **kw):
    """Open *path* with GDAL's built-in AAIGrid driver only."""
    return _open(path, BUILTIN, open_options, **kw)


def write_vsimem(name, content):
    """Write *content* (str or bytes) to ``/vsimem/<name>``; return the path.

    Strings are encoded as UTF-8 unchanged (no newline translation), so the
    caller controls line endings byte for byte.  Files are removed after the
    test by the ``clean_vsimem_and_errors`` fixture.
    """
    path = name if name.startswith("/vsimem/") else "/vsimem/" + name
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    gdal.FileFromMemBuffer(path, data)
    _vsimem_written.append(path)
    return path


def write_file(path, content):
    """Write *content* (str or bytes) to a real file, bytes unchanged."""
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


@contextlib.contextmanager
def config_options(options):
    """Temporarily set GDAL configuration options (GDAL 3.6 has no gdal.config_option)."""
    old = {key: gdal.GetConfigOption(key) for key in options}
    try:
        for key, value in options.items():
            gdal.SetConfigOption(key, value)
        yield
    finally:
        for key, value in old.items():
            gdal.SetConfigOption(key, value)


@contextlib.contextmanager
def quiet_errors():
    """Silence GDAL's error printing (errors are still recorded)."""
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        yield
    finally:
        gdal.PopErrorHandler()


def type_name(ds):
    return gdal.GetDataTypeName(ds.GetRasterBand(1).DataType)


def read_array(ds, *window):
    arr = ds.GetRasterBand(1).ReadAsArray(*window)
    assert arr is not None, f"read failed: {gdal.GetLastErrorMsg()}"
    return arr


def same_float(a, b):
    """Exact float equality: NaN == NaN, -0.0 != 0.0."""
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return struct.pack("<d", a) == struct.pack("<d", b)


def _first_difference(a, b):
    """Describe the first differing element of two equally shaped arrays."""
    ab = a.view(np.uint8).reshape(a.shape + (-1,))
    bb = b.view(np.uint8).reshape(b.shape + (-1,))
    diff = np.argwhere((ab != bb).any(axis=-1))
    if len(diff) == 0:
        return "no difference"
    idx = tuple(int(i) for i in diff[0])
    return (
        f"{len(diff)} differing pixels; first at (row, col)={idx}: "
        f"fast={a[idx]!r} builtin={b[idx]!r}"
    )


def assert_same_pixels(fast_arr, ref_arr, what):
    assert fast_arr.dtype == ref_arr.dtype, f"{what}: dtype {fast_arr.dtype} != {ref_arr.dtype}"
    assert fast_arr.shape == ref_arr.shape, f"{what}: shape {fast_arr.shape} != {ref_arr.shape}"
    if fast_arr.tobytes() != ref_arr.tobytes():
        pytest.fail(f"{what}: pixels differ bit-wise: {_first_difference(fast_arr, ref_arr)}")


def _open_checked(opener, path, open_options, who):
    gdal.ErrorReset()
    with quiet_errors():
        ds = opener(path, open_options)
    err = (gdal.GetLastErrorType(), gdal.GetLastErrorMsg())
    assert ds is not None, f"{who} failed to open {path}: {err[1]!r}"
    return ds, err


def assert_same(path, open_options=None, *, ref_path=None, ref_open_options=None,
                check_open_errors=True, check_file_list=True, rng_seed=None):
    """Open *path* with FastAAIGrid and with the built-in and require identical results.

    Compared: band count, data type, size, geotransform (exact), nodata
    (exact, NaN aware, sign of zero), SRS (both None or IsSame), default
    domain dataset metadata, error class recorded at open, GetFileList()
    basenames, all pixels bit for bit, every row read one at a time in a
    non-sequential order from a freshly opened dataset, and a sub-window
    read from another fresh dataset.

    By default the built-in reads the same file with the same open options.
    *ref_path* / *ref_open_options* make the built-in read another file
    instead (e.g. a clean equivalent of a file only FastAAIGrid can read);
    the file lists are then not compared.  *check_open_errors* /
    *check_file_list* switch off the comparison of the error class recorded
    at open / of GetFileList() for cases where they are not specified.

    Returns the built-in's full pixel array (for optional extra checks).
    """
    open_options = list(open_options or [])
    if ref_path is None:
        ref_path = path
    if ref_open_options is None:
        ref_open_options = open_options
    ref, ref_err = _open_checked(open_builtin, ref_path, ref_open_options,
                                 "test bug: the built-in AAIGrid")
    fast, fast_err = _open_checked(open_fast, path, open_options, "FastAAIGrid")

    assert fast.RasterCount == ref.RasterCount == 1
    assert type_name(fast) == type_name(ref), "data type"
    size = (ref.RasterXSize, ref.RasterYSize)
    assert (fast.RasterXSize, fast.RasterYSize) == size, "raster size"
    assert fast.GetGeoTransform(can_return_null=True) == ref.GetGeoTransform(
        can_return_null=True
    ), "geotransform"
    fast_nd = fast.GetRasterBand(1).GetNoDataValue()
    ref_nd = ref.GetRasterBand(1).GetNoDataValue()
    assert same_float(fast_nd, ref_nd), f"nodata: fast={fast_nd!r} builtin={ref_nd!r}"

    fast_srs, ref_srs = fast.GetSpatialRef(), ref.GetSpatialRef()
    if ref_srs is None:
        assert fast_srs is None, f"unexpected SRS: {fast_srs.ExportToWkt()}"
    else:
        assert fast_srs is not None, f"missing SRS, expected {ref_srs.ExportToWkt()}"
        assert fast_srs.IsSame(ref_srs), (
            f"SRS differs:\n{fast_srs.ExportToWkt()}\n!=\n{ref_srs.ExportToWkt()}"
        )
        assert (
            fast_srs.GetDataAxisToSRSAxisMapping() == ref_srs.GetDataAxisToSRSAxisMapping()
        ), "axis mapping"

    assert (fast.GetMetadata() or {}) == (ref.GetMetadata() or {}), "dataset metadata"
    if check_open_errors:
        assert fast_err[0] == ref_err[0], (
            f"error class at open: fast={fast_err} builtin={ref_err}"
        )
    if check_file_list and ref_path == path:
        fast_files = sorted(os.path.basename(f) for f in (fast.GetFileList() or []))
        ref_files = sorted(os.path.basename(f) for f in (ref.GetFileList() or []))
        assert fast_files == ref_files, "GetFileList() basenames"

    # Full read.
    ref_arr = read_array(ref)
    fast_arr = read_array(fast)
    assert_same_pixels(fast_arr, ref_arr, "full read")
    fast = ref = None

    w, h = size
    # Row at a time, last row first then a random order, on a fresh dataset
    # (so nothing is served from the block cache of the full read).
    rng = random.Random(rng_seed if rng_seed is not None else zlib.crc32(path.encode()))
    order = list(range(h - 1))
    rng.shuffle(order)
    ds, _ = _open_checked(open_fast, path, open_options, "FastAAIGrid (re-open)")
    band = ds.GetRasterBand(1)
    for y in itertools.chain([h - 1], order):
        row = band.ReadAsArray(0, y, w, 1)
        assert row is not None, f"reading row {y} failed: {gdal.GetLastErrorMsg()}"
        assert_same_pixels(row, ref_arr[y : y + 1], f"row {y} (non-sequential reads)")
    ds = band = None

    # Sub-window, fresh dataset again.
    x0, y0 = w // 3, h // 3
    ww, hh = max(1, w // 2), max(1, h // 2)
    ww, hh = min(ww, w - x0), min(hh, h - y0)
    ds, _ = _open_checked(open_fast, path, open_options, "FastAAIGrid (re-open)")
    win = read_array(ds, x0, y0, ww, hh)
    assert_same_pixels(win, ref_arr[y0 : y0 + hh, x0 : x0 + ww], f"window {(x0, y0, ww, hh)}")
    ds = None
    return ref_arr


def plugin_env(**extra):
    """A copy of os.environ for subprocesses that load the plugin (GDAL_DRIVER_PATH set).

    Child processes must not inherit the parent's CPL_DEBUG noise or a stray
    GDAL_SKIP that would hide a driver; *extra* entries are added last.
    """
    env = dict(os.environ)
    env["GDAL_DRIVER_PATH"] = PLUGIN_DIR
    env.pop("GDAL_SKIP", None)
    env.pop("CPL_DEBUG", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def dem_grid_text(ncols, nrows, seed, nodata=-9999, xll=440720.5, yll=3750120.25, cellsize=30):
    """A deterministic DEM-like float grid (the text of a .asc file) for the tests that drive
    other programs (QGIS, rioxarray, terra): a smooth surface with noise, mostly ``%.3f``, every
    11th column at full double precision (``repr``), every 13th in ``%.6e``; *nodata* scattered
    (~3 %) and in one rectangular block."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:nrows, 0:ncols] / 40.0
    z = (800 + 300 * np.sin(x) * np.cos(0.7 * y) + 90 * np.sin(3.1 * (x + y))
         + rng.normal(0, 2, (nrows, ncols)))
    nod = rng.random((nrows, ncols)) < 0.03
    nod[nrows * 3 // 5 : nrows * 3 // 4, ncols // 8 : ncols * 3 // 10] = True
    lines = []
    for r in range(nrows):
        toks = []
        for c in range(ncols):
            v = float(z[r, c])
            if nod[r, c]:
                toks.append(str(nodata))
            elif c % 11 == 3:
                toks.append(repr(v))
            elif c % 13 == 5:
                toks.append(f"{v:.6e}")
            else:
                toks.append(f"{v:.3f}")
        lines.append(" ".join(toks))
    head = (f"ncols {ncols}\nnrows {nrows}\nxllcorner {xll}\nyllcorner {yll}\n"
            f"cellsize {cellsize}\nNODATA_value {nodata}\n")
    return head + "\n".join(lines) + "\n"


# ESRI WKT of NAD83 / UTM zone 11N, as a .prj next to a grid.
PRJ_UTM11 = (
    'PROJCS["NAD_1983_UTM_Zone_11N",GEOGCS["GCS_North_American_1983",'
    'DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-117.0],'
    'PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


def dem_grid_files(folder, ncols, nrows, seed):
    """dem.asc (dem_grid_text) and its dem.prj (PRJ_UTM11) in *folder*; returns the .asc path."""
    path = write_file(os.path.join(folder, "dem.asc"), dem_grid_text(ncols, nrows, seed=seed))
    write_file(os.path.join(folder, "dem.prj"), PRJ_UTM11)
    return path


def missing_application(message):
    """The tests of other programs (QGIS, rioxarray, R) skip when the program is missing, or
    fail when FASTAAIGRID_REQUIRE_APPS=1 (CI: they must run)."""
    if os.environ.get("FASTAAIGRID_REQUIRE_APPS") == "1":
        pytest.fail(f"{message} (FASTAAIGRID_REQUIRE_APPS=1)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "apps: runs another program (QGIS, rioxarray, R) reading through the plugin")


def reference_env(**extra):
    """A copy of os.environ for subprocesses that must NOT load the plugin: no
    GDAL_DRIVER_PATH (GDAL then uses the built-in AAIGrid), no GDAL_SKIP, no CPL_DEBUG."""
    env = plugin_env(**extra)
    env.pop("GDAL_DRIVER_PATH", None)
    return env
