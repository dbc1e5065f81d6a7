"""FastAAIGrid through GDAL's command-line tools and through rasterio.

Every tool runs in a subprocess whose environment has GDAL_DRIVER_PATH set to
the plugin folder (conftest.plugin_env), so the results do not depend on the
caller's shell. The built-in driver is selected with ``-if AAIGrid`` (tools)
or ``driver="AAIGrid"`` (rasterio) for comparison.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from osgeo import gdal

from conftest import (BUILTIN, FAST, PLUGIN_DIR, PRJ_UTM11, REPO_DIR, plugin_env, quiet_errors,
                      write_file)

PLUGIN_SO = os.path.join(PLUGIN_DIR, "gdal_FastAAIGrid.so")


GRIDS = {
    "int": (
        "ncols 5\nnrows 4\nxllcorner 440720\nyllcorner 3750120\ncellsize 60\nNODATA_value -9999\n"
        "1 2 3 4 5\n-9999 7 8 9 10\n11 12 -13 14 15\n16 17 18 19 2147483647\n"
    ),
    "float": (
        "NCOLS 4\nNROWS 3\nXLLCENTER -10.5\nYLLCENTER 20.25\nCELLSIZE 0.5\nNODATA_VALUE -9999.0\n"
        "1.5 -2.25 3e2 .125\n-9999 0.1 1e-3 7\n1,5 8 9 -0.0\n"
    ),
}


def run(args, **kw):
    """Run a GDAL tool with the plugin on GDAL_DRIVER_PATH."""
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=plugin_env(), **kw)


def run_ok(args, **kw):
    proc = run(args, **kw)
    assert proc.returncode == 0, f"{' '.join(args)} failed (rc {proc.returncode}):\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module", autouse=True)
def tools_available():
    for tool in ("gdalinfo", "gdal_translate"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found on PATH (Debian package gdal-bin)", pytrace=False)


@pytest.fixture(params=list(GRIDS))
def grid(request, tmp_path):
    """A grid file with a .prj next to it."""
    path = write_file(tmp_path / f"{request.param}.asc", GRIDS[request.param])
    write_file(tmp_path / f"{request.param}.prj", PRJ_UTM11)
    return path


@pytest.fixture(scope="module")
def peer_file():
    from conftest import PEER_DIR

    path = os.path.join(PEER_DIR, "aaigrid", "pixel_per_line.asc")
    if not os.path.exists(path):
        pytest.fail(f"peer file {path} not found; set FASTAAIGRID_SHARED_DIR", pytrace=False)
    return path


def read_gdal(path, driver=None):
    """Everything comparable about a raster, read in this process."""
    with quiet_errors():
        ds = gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=[driver] if driver else [])
    assert ds is not None, f"cannot open {path}: {gdal.GetLastErrorMsg()}"
    band = ds.GetRasterBand(1)
    srs = ds.GetSpatialRef()
    return dict(
        driver=ds.GetDriver().ShortName,
        size=(ds.RasterXSize, ds.RasterYSize, ds.RasterCount),
        type=gdal.GetDataTypeName(band.DataType),
        gt=ds.GetGeoTransform(),
        nodata=band.GetNoDataValue(),
        srs=srs.ExportToWkt() if srs else None,
        pixels=band.ReadAsArray(),
    )


def assert_same_raster(a, b, what):
    for key in ("size", "type", "gt", "srs"):
        assert a[key] == b[key], f"{what}: {key}: {a[key]!r} != {b[key]!r}"
    assert (a["nodata"] is None) == (b["nodata"] is None) and (
        a["nodata"] is None or np.float64(a["nodata"]).tobytes() == np.float64(b["nodata"]).tobytes()
    ), f"{what}: nodata {a['nodata']!r} != {b['nodata']!r}"
    assert a["pixels"].dtype == b["pixels"].dtype, what
    assert a["pixels"].tobytes() == b["pixels"].tobytes(), (
        f"{what}: pixels differ:\n{a['pixels']}\n{b['pixels']}"
    )


# --------------------------------------------------------------------------
# gdalinfo: registration
# --------------------------------------------------------------------------


def test_formats_lists_fastaaigrid_before_aaigrid():
    lines = run_ok(["gdalinfo", "--formats"]).stdout.splitlines()
    names = [line.split()[0] for line in lines[1:] if line.strip()]
    assert FAST in names, f"{FAST} missing from gdalinfo --formats"
    assert BUILTIN in names
    assert names.index(FAST) < names.index(BUILTIN), "plugin must be asked before the built-in"
    line = lines[1 + names.index(FAST)]
    assert "-raster-" in line and "(rwv)" in line, line  # read, CreateCopy, virtual I/O


def test_debug_output_shows_plugin_registered():
    proc = run_ok(["gdalinfo", "--debug", "on", "--version"])
    out = proc.stdout + proc.stderr
    assert f"Auto register {PLUGIN_SO} using GDALRegister_FastAAIGrid" in out, out


def test_format_details():
    out = run_ok(["gdalinfo", "--format", FAST]).stdout
    assert f"Short Name: {FAST}" in out
    assert re.search(r"^  Extensions?(\(s\))?: asc$", out, re.M), out
    assert "DATATYPE" in out and "NUM_THREADS" in out


HELP_TOPIC = "drivers/raster/fastaaigrid.html"
OPEN_OPTIONS = {"DATATYPE", "NUM_THREADS"}
CREATION_OPTIONS = {"FORCE_CELLSIZE", "DECIMAL_PRECISION", "SIGNIFICANT_DIGITS", "NUM_THREADS"}


def _doc_options(text, directive):
    """{NAME: {field: value}} for each ``.. <directive>:: NAME`` entry of an rst page."""
    entries = {}
    pattern = rf"^[ \t]*(?:-[ \t]+)?\.\. {directive}:: (\S+)[ \t]*\n((?:[ \t]+:\w+:.*\n)*)"
    for m in re.finditer(pattern, text, re.M):
        assert m.group(1) not in entries, f".. {directive}:: {m.group(1)} documented twice"
        entries[m.group(1)] = dict(re.findall(r":(\w+):[ \t]*(.*\S)", m.group(2)))
    return entries


def _choices(field):
    return [c.strip() for c in (field or "").split(",") if c.strip()]


def test_format_metadata_matches_doc_page():
    """gdalinfo --format: complete metadata, and every option on the driver's own page.

    The help topic is the page's path under a GDAL documentation root, so the page is
    doc/<topic>.rst here; each option of the driver's XML lists must have its entry there
    (open options as ``.. oo::``, creation options as ``.. co::``, with the same choices and
    default), and each configuration option the driver's sources name as ``.. config::``, so
    that the page cannot go stale silently.
    """
    out = run_ok(["gdalinfo", "--format", FAST]).stdout
    for line in ("  Short Name: FastAAIGrid", "  Long Name: Arc/Info ASCII Grid (FastAAIGrid)",
                 "  Supports: Raster", f"  Help Topic: {HELP_TOPIC}",
                 "  Supports: Open() - Open existing dataset.",
                 "  Supports: CreateCopy() - Create dataset by copying another.",
                 "  Supports: Virtual IO - eg. /vsimem/",
                 "  Creation Datatypes: Byte UInt16 Int16 UInt32 Int32 Int64 UInt64 Float32 Float64"):
        assert line in out.splitlines(), f"{line!r} missing from gdalinfo --format:\n{out}"
    assert re.search(r"^  Extensions?: asc$", out, re.M), out
    assert "Supports: Create() " not in out, "no Create(): files are written by CreateCopy only"

    page = os.path.join(REPO_DIR, "doc", HELP_TOPIC[: -len(".html")] + ".rst")
    assert os.path.exists(page), f"the help topic's page {page} does not exist"
    with open(page, encoding="utf-8") as f:
        text = f.read()
    assert ".. _raster.fastaaigrid:" in text and ".. shortname:: FastAAIGrid" in text

    datatype_values = None
    for tag, directive, names in (("OpenOptionList", "oo", OPEN_OPTIONS),
                                  ("CreationOptionList", "co", CREATION_OPTIONS)):
        m = re.search(rf"<{tag}>.*?</{tag}>", out, re.S)
        assert m, f"no {tag} in gdalinfo --format:\n{out}"
        options = {o.get("name"): o for o in ET.fromstring(m.group(0)).findall("Option")}
        assert set(options) == names, f"{tag}: {sorted(options)}"
        documented = _doc_options(text, directive)
        assert set(documented) == set(options), (
            f"{page}: '.. {directive}::' entries {sorted(documented)} differ from the "
            f"driver's {tag} {sorted(options)}")
        for name, opt in options.items():
            assert opt.get("description"), f"{tag} {name}: no description"
            values = [v.text for v in opt.findall("Value")]
            if name == "DATATYPE":
                datatype_values = values
            if values:
                assert _choices(documented[name].get("choices")) == values, (
                    f"{page}: {name} :choices: {documented[name].get('choices')!r}, "
                    f"the driver's values {values}")
            assert documented[name].get("default") == opt.get("default"), (
                f"{page}: {name} :default: {documented[name].get('default')!r}, the driver's "
                f"{opt.get('default')!r}")

    # Configuration options: every option-like name in the driver's sources that is not an
    # open or creation option, nor the ALL_CPUS value.
    names = set()
    src_dir = os.path.join(REPO_DIR, "driver", "gdal")
    for fn in os.listdir(src_dir):
        if fn.endswith((".cpp", ".h")):
            with open(os.path.join(src_dir, fn), encoding="utf-8") as f:
                names |= set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', f.read()))
    config = names - OPEN_OPTIONS - CREATION_OPTIONS - {"ALL_CPUS"}
    assert {"AAIGRID_DATATYPE", "GDAL_NUM_THREADS", "FASTAAIGRID_CHUNK_SIZE",
            "FASTAAIGRID_PARALLEL_MIN"} <= config, sorted(config)
    documented = _doc_options(text, "config")
    assert set(documented) == config, (
        f"{page}: '.. config::' entries {sorted(documented)} differ from the configuration "
        f"options the driver reads {sorted(config)}")
    # The config option takes the open option's values.
    assert datatype_values and "Float64" in datatype_values
    assert _choices(documented["AAIGRID_DATATYPE"].get("choices")) == datatype_values
    # How to pick the built-in instead.
    assert "-if AAIGrid" in text and "GDAL_SKIP" in text


def test_gdalinfo_uses_fastaaigrid(grid):
    out = run_ok(["gdalinfo", grid]).stdout
    assert f"Driver: {FAST}/" in out, out
    assert "Files: " + grid in out and grid[:-3] + "prj" in out


def test_gdalinfo_json_same_as_builtin(grid):
    """gdalinfo -json -checksum -stats-free: every field equal but the driver names."""
    fast = json.loads(run_ok(["gdalinfo", "-json", "-checksum", grid]).stdout)
    ref = json.loads(run_ok(["gdalinfo", "-if", BUILTIN, "-json", "-checksum", grid]).stdout)
    assert fast.pop("driverShortName") == FAST
    assert ref.pop("driverShortName") == BUILTIN
    fast.pop("driverLongName"), ref.pop("driverLongName")
    assert fast == ref


def test_checksum_peer_file_same_for_both_drivers(peer_file):
    fast = run_ok(["gdalinfo", "-checksum", peer_file]).stdout
    ref = run_ok(["gdalinfo", "-if", BUILTIN, "-checksum", peer_file]).stdout
    assert f"Driver: {FAST}/" in fast and f"Driver: {BUILTIN}/" in ref
    fast_sum = [line.strip() for line in fast.splitlines() if "Checksum=" in line]
    ref_sum = [line.strip() for line in ref.splitlines() if "Checksum=" in line]
    assert len(fast_sum) == 1 and fast_sum == ref_sum, (fast_sum, ref_sum)
    assert fast_sum[0] != "Checksum=-1"


def test_gdalinfo_bad_header_reports_fastaaigrid_error(tmp_path):
    path = write_file(tmp_path / "bad.asc", "ncols 0\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n")
    proc = run(["gdalinfo", path])
    assert proc.returncode != 0
    assert (f"{FAST}: {path}: header, line 1, column 7: ncols: expected a whole number "
            "between 1 and 2147483647, found '0'") in proc.stderr, proc.stderr


# --------------------------------------------------------------------------
# gdal_translate
# --------------------------------------------------------------------------


def test_translate_to_geotiff_equals_builtin(grid, tmp_path):
    fast_tif = str(tmp_path / "fast.tif")
    ref_tif = str(tmp_path / "ref.tif")
    proc = run_ok(["gdal_translate", grid, fast_tif])
    assert "ERROR" not in proc.stderr, proc.stderr
    run_ok(["gdal_translate", "-if", BUILTIN, grid, ref_tif])
    fast, ref = read_gdal(fast_tif, "GTiff"), read_gdal(ref_tif, "GTiff")
    assert_same_raster(fast, ref, "GeoTIFF from FastAAIGrid vs from AAIGrid")
    # And the source really went through FastAAIGrid.
    assert read_gdal(grid)["driver"] == FAST


def test_translate_with_window_and_type(grid, tmp_path):
    """-srcwin and -ot go through the windowed / converting read path."""
    outs = {}
    for drv in (FAST, BUILTIN):
        out = str(tmp_path / f"{drv}.tif")
        run_ok(["gdal_translate", "-if", drv, "-srcwin", "1", "1", "3", "2", "-ot", "Float64", grid, out])
        outs[drv] = read_gdal(out, "GTiff")
    assert_same_raster(outs[FAST], outs[BUILTIN], "-srcwin 1 1 3 2 -ot Float64")


def test_translate_round_trip_fastaaigrid(grid, tmp_path):
    out = str(tmp_path / "round.asc")
    run_ok(["gdal_translate", "-of", FAST, grid, out])
    assert os.path.exists(out[:-3] + "prj"), "no .prj written"
    src = read_gdal(grid, FAST)
    for drv in (FAST, BUILTIN):
        back = read_gdal(out, drv)
        assert back["driver"] == drv
        assert_same_raster(back, src, f"written by FastAAIGrid, read by {drv}")


def test_translate_geotiff_to_fastaaigrid_and_back(tmp_path):
    tif = str(tmp_path / "src.tif")
    ds = gdal.GetDriverByName("GTiff").Create(tif, 7, 5, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((1000.0, 2.5, 0, 5000.0, 0, -2.5))
    arr = (np.arange(35, dtype=np.float32).reshape(5, 7) - 17) / 8
    ds.GetRasterBand(1).WriteArray(arr)
    ds.GetRasterBand(1).SetNoDataValue(-1.5)
    ds = None
    asc = str(tmp_path / "out.asc")
    run_ok(["gdal_translate", "-of", FAST, tif, asc])
    back = read_gdal(asc)
    assert back["driver"] == FAST
    assert back["gt"] == (1000.0, 2.5, 0, 5000.0, 0, -2.5)
    assert back["nodata"] == -1.5
    assert back["pixels"].dtype == np.float32
    np.testing.assert_array_equal(back["pixels"], arr)
    assert_same_raster(back, read_gdal(asc, BUILTIN), "FastAAIGrid output, both readers")


def test_translate_bad_data_fails_with_message(tmp_path):
    content = "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n10 20 30\n40 5x 60\n"
    src = write_file(tmp_path / "bad.asc", content)
    proc = run(["gdal_translate", src, str(tmp_path / "bad.tif")])
    assert proc.returncode != 0, "gdal_translate succeeded on a malformed value"
    offset = content.index("5x")
    assert (f"{FAST}: {src}: row 2, column 2 (byte offset {offset}): expected an integer, found '5x'"
            in proc.stderr), proc.stderr


# --------------------------------------------------------------------------
# rasterio (Debian python3-rasterio, on the system GDAL)
# --------------------------------------------------------------------------

_RASTERIO = textwrap.dedent("""
    import json, sys
    try:
        import rasterio
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"import_error": repr(e)}))
        sys.exit(0)
    out = {"gdal": rasterio.__gdal_version__}
    for name, driver in (("default", None), ("builtin", "AAIGrid")):
        kw = {"driver": driver} if driver else {}
        with rasterio.open(sys.argv[1], **kw) as ds:
            arr = ds.read(1)
            win = ds.read(1, window=((1, 3), (1, 3)))
            out[name] = dict(
                driver=ds.driver, dtype=arr.dtype.str, shape=list(arr.shape),
                data=arr.tobytes().hex(), window=win.tobytes().hex(),
                transform=list(ds.transform)[:6], nodata=ds.nodata,
                crs=ds.crs.to_wkt() if ds.crs else None, count=ds.count,
            )
    print(json.dumps(out))
""")


def _rasterio(path):
    if importlib.util.find_spec("rasterio") is None:
        pytest.skip("rasterio is not installed for /usr/bin/python3 (Debian package python3-rasterio)")
    # GDAL_DRIVER_PATH is in the child's environment before rasterio is imported.
    proc = subprocess.run([sys.executable, "-c", _RASTERIO, path], capture_output=True, text=True,
                          timeout=60, env=plugin_env())
    assert proc.returncode == 0, f"rasterio subprocess failed (rc {proc.returncode}):\n{proc.stderr}"
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    if "import_error" in res:
        pytest.skip(f"import rasterio failed: {res['import_error']}")
    return res


def _check_rasterio(res):
    fast, ref = res["default"], res["builtin"]
    assert fast["driver"] == FAST, f"rasterio opened the file with {fast['driver']}"
    assert ref["driver"] == BUILTIN
    for key in ("dtype", "shape", "count", "transform", "crs", "data", "window"):
        assert fast[key] == ref[key], f"rasterio {key}: {fast[key]!r} != {ref[key]!r}"
    assert (fast["nodata"] is None and ref["nodata"] is None) or (
        np.float64(fast["nodata"]).tobytes() == np.float64(ref["nodata"]).tobytes()
    ), (fast["nodata"], ref["nodata"])


def test_rasterio_reads_with_fastaaigrid(grid):
    _check_rasterio(_rasterio(grid))


def test_rasterio_peer_file(peer_file):
    res = _rasterio(peer_file)
    _check_rasterio(res)
    assert res["default"]["nodata"] == -99999
