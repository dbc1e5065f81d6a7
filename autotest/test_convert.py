"""fastaaigrid-convert (python/fastaaigrid): tiles to COG, locally and on a Dask cluster.

Every output is compared with what ``gdal.Translate`` makes of the same tile
read by GDAL's built-in AAIGrid driver: the same file bytes (SHA-256), and
to say what differs if not, pixels, nodata, data type, geotransform and SRS.

The Dask tests use one LocalCluster of 2 worker processes on 127.0.0.1
(no dashboard); they are skipped if ``distributed`` is not installed.
"""

import fcntl
import glob
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from osgeo import gdal

from conftest import BUILTIN, REPO_DIR, plugin_env

PYTHON_DIR = os.path.join(REPO_DIR, "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)     # spawned Dask workers inherit sys.path

from fastaaigrid.convert import convert  # noqa: E402
from fastaaigrid.mosaic import tile_set_vrt  # noqa: E402
from fastaaigrid.sources import UsageError  # noqa: E402

SCRIPT = os.path.join(PYTHON_DIR, "fastaaigrid-convert")

# distributed's own deprecation warning with this tornado (Debian bookworm)
pytestmark = pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning")
GRID_COLS, GRID_ROWS, SIDE = 6, 4, 50          # 24 tiles of 50x50
PRJ = ('PROJCS["NAD_1983_UTM_Zone_11N",GEOGCS["GCS_North_American_1983",'
       'DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],'
       'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
       'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],'
       'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-117.0],'
       'PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')


# --------------------------------------------------------------------------
# Tiles and references
# --------------------------------------------------------------------------

def asc_text(index, side=SIDE, integer=False, nodata=True):
    """A tile of the 6x4 grid: floats with 1..3 decimals (or integers), some nodata cells."""
    rng = np.random.default_rng(index)
    col, row = index % GRID_COLS, index // GRID_COLS
    header = (f"ncols {side}\nnrows {side}\nxllcorner {440000 + col * side * 10}\n"
              f"yllcorner {3750000 + (GRID_ROWS - 1 - row) * side * 10}\ncellsize 10\n")
    if nodata:
        header += "NODATA_value -9999\n"
    if integer:
        values = rng.integers(-500, 3000, (side, side)).astype(str)
    else:
        values = np.char.mod(f"%.{1 + index % 3}f", rng.uniform(-50, 2500, (side, side)))
    if nodata:
        values[rng.random((side, side)) < 0.05] = "-9999"
    return header + "\n".join(" ".join(r) for r in values) + "\n"


def write_tile(folder, name, text, prj=True):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name + ".asc"), "w") as f:
        f.write(text)
    if prj:
        with open(os.path.join(folder, name + ".prj"), "w") as f:
            f.write(PRJ)
    return os.path.join(folder, name + ".asc")


@pytest.fixture(scope="module")
def tiles_dir(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("tiles"))
    for i in range(GRID_COLS * GRID_ROWS):
        write_tile(folder, f"t{i:02d}", asc_text(i))
    with open(os.path.join(folder, "README.txt"), "w") as f:
        f.write("not a tile\n")
    return folder


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def reference(src, out, fmt="COG", creation_options=(), a_srs=None):
    """gdal_translate of *src* with the built-in driver, written to *out*."""
    ds = gdal.OpenEx(src, gdal.OF_RASTER, allowed_drivers=[BUILTIN])
    assert ds is not None, gdal.GetLastErrorMsg()
    options = gdal.TranslateOptions(format=fmt, creationOptions=list(creation_options), outputSRS=a_srs)
    assert gdal.Translate(out, ds, options=options) is not None, gdal.GetLastErrorMsg()
    return out


def describe(path):
    ds = gdal.Open(path)
    assert ds is not None, gdal.GetLastErrorMsg()
    band = ds.GetRasterBand(1)
    srs = ds.GetSpatialRef()
    return dict(pixels=band.ReadAsArray().tobytes(), nodata=band.GetNoDataValue(),
                type=gdal.GetDataTypeName(band.DataType), size=(ds.RasterXSize, ds.RasterYSize),
                geotransform=ds.GetGeoTransform(), srs=srs.ExportToWkt() if srs else None)


def assert_same_as_reference(output, ref):
    got, want = describe(output), describe(ref)
    for key in ("type", "size", "nodata", "geotransform", "srs"):
        assert got[key] == want[key], f"{os.path.basename(output)}: {key} {got[key]!r} != {want[key]!r}"
    assert got["pixels"] == want["pixels"], f"{os.path.basename(output)}: pixels differ"
    assert sha256(output) == sha256(ref), f"{os.path.basename(output)}: same raster, different bytes"


def assert_all_match_references(sources, outdir, refdir, **ref_options):
    """Each tile of *sources* (GDAL paths by name) has an output identical to the built-in's."""
    os.makedirs(refdir, exist_ok=True)
    for name, src in sources.items():
        ref = reference(src, os.path.join(refdir, name + ".tif"), **ref_options)
        assert_same_as_reference(os.path.join(outdir, name + ".tif"), ref)


def manifest(outdir):
    with open(os.path.join(outdir, "manifest.jsonl")) as f:
        return [json.loads(line) for line in f]


def assert_complete(outdir, names):
    """Exactly one output and one ok record per tile, checksums right, no partial files."""
    outputs = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(outdir, "*.tif")))
    outputs = [name for name in outputs if name != "mosaic"]
    assert outputs == sorted(names)
    ok = [r for r in manifest(outdir) if r["status"] == "ok"]
    assert sorted(r["tile"] for r in ok) == sorted(names), "one ok record per tile"
    for r in ok:
        assert sha256(os.path.join(outdir, r["output"])) == r["sha256"]
    assert not glob.glob(os.path.join(outdir, "*.tmp-*")), "partial files left"


def tile_sources(folder):
    return {os.path.basename(p)[:-4]: p for p in sorted(glob.glob(os.path.join(folder, "*.asc")))}


def run_cli(args, **kw):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=120, env=plugin_env(), **kw)


# --------------------------------------------------------------------------
# Local runs
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def local_run(tiles_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("local") / "out")
    summary = convert([tiles_dir], out, processes=2)
    return out, summary


def test_local_run_matches_gdal_translate(local_run, tiles_dir, tmp_path):
    out, summary = local_run
    assert summary.ok and summary.converted == 24 and summary.skipped == 0, summary.text()
    assert_complete(out, tile_sources(tiles_dir))
    assert_all_match_references(tile_sources(tiles_dir), out, str(tmp_path))
    records = manifest(out)
    assert {r["dtype"] for r in records} == {"Float32"}
    assert all(r["total_s"] > 0 and r["translate_s"] > 0 for r in records)


def assert_same_vrt_as_buildvrt(outdir, vrt_name="mosaic.vrt"):
    """The VRT is the dataset gdal.BuildVRT makes of the same outputs (tile order: names)."""
    outputs = sorted(p for p in glob.glob(os.path.join(outdir, "*.tif"))
                     if os.path.basename(p) not in ("all.tif", "mosaic.tif"))
    ref_path = os.path.join(outdir, "buildvrt.vrt")
    gdal.BuildVRT(ref_path, outputs)
    got, want = gdal.Open(os.path.join(outdir, vrt_name)), gdal.Open(ref_path)
    try:
        assert (got.RasterXSize, got.RasterYSize) == (want.RasterXSize, want.RasterYSize)
        assert got.GetGeoTransform() == want.GetGeoTransform()
        assert (got.GetSpatialRef() is None) == (want.GetSpatialRef() is None)
        if want.GetSpatialRef() is not None:
            assert got.GetSpatialRef().IsSame(want.GetSpatialRef())
            assert (got.GetSpatialRef().GetDataAxisToSRSAxisMapping()
                    == want.GetSpatialRef().GetDataAxisToSRSAxisMapping())
        assert got.GetFileList()[1:] == want.GetFileList()[1:]
        a, b = got.GetRasterBand(1), want.GetRasterBand(1)
        assert (a.DataType, a.GetNoDataValue(), a.GetColorInterpretation()) == \
            (b.DataType, b.GetNoDataValue(), b.GetColorInterpretation())
        assert a.ReadAsArray().tobytes() == b.ReadAsArray().tobytes()
    finally:
        got = want = None
        os.remove(ref_path)


def test_vrt_and_mosaic(tiles_dir, tmp_path):
    out = str(tmp_path / "out")
    summary = convert([tiles_dir], out, processes=2, mosaic_name="all.tif")
    assert summary.ok, summary.text()
    vrt = gdal.Open(os.path.join(out, "mosaic.vrt"))
    assert (vrt.RasterXSize, vrt.RasterYSize) == (GRID_COLS * SIDE, GRID_ROWS * SIDE)
    assert len(vrt.GetFileList()) == 1 + 24
    assert_same_vrt_as_buildvrt(out)
    with open(os.path.join(out, "mosaic.vrt")) as f:
        assert 'relativeToVRT="1"' in f.read()
    assert describe(os.path.join(out, "all.tif"))["pixels"] == vrt.GetRasterBand(1).ReadAsArray().tobytes()
    ds = gdal.Open(os.path.join(out, "all.tif"))
    assert ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG"


def test_vrt_of_int_tiles_without_nodata_or_srs(tmp_path):
    """The VRT written from the records: SimpleSources, no SRS; a resumed run's tiles too."""
    src = str(tmp_path / "src")
    for i in (0, 1, 7):
        write_tile(src, f"i{i}", asc_text(i, integer=True, nodata=False), prj=False)
    out = str(tmp_path / "out")
    assert convert([src], out, processes=2).ok
    assert_same_vrt_as_buildvrt(out)
    assert "SimpleSource" in open(os.path.join(out, "mosaic.vrt")).read()
    write_tile(src, "i8", asc_text(8, integer=True, nodata=False), prj=False)
    summary = convert([src], out, processes=1)
    assert summary.converted == 1 and summary.skipped == 3
    assert_same_vrt_as_buildvrt(out)


def test_vrt_of_mixed_tiles_is_left_to_buildvrt(tmp_path):
    """Tiles that are not one tile set: gdal.BuildVRT decides, and says what it left out."""
    src = str(tmp_path / "src")
    write_tile(src, "a_float", asc_text(0))
    write_tile(src, "b_int", asc_text(1, integer=True))        # another data type
    write_tile(src, "c_float", asc_text(2))
    out = str(tmp_path / "out")
    summary = convert([src], out, processes=1)
    assert summary.ok and summary.vrt_warnings, summary.text()
    assert len(gdal.Open(os.path.join(out, "mosaic.vrt")).GetFileList()) == 1 + 2


def test_tile_set_vrt_refuses_what_is_not_a_tile_set():
    def record(name, x0, y0, res=10.0, nodata=-9999.0, srs=None, dtype="Float32"):
        return {"output": name + ".tif", "dtype": dtype, "width": 4, "height": 3,
                "grid": {"geotransform": [x0, res, 0.0, y0, 0.0, -res], "srs": srs, "axes": None,
                         "nodata": nodata, "block": [4, 3]}}
    a = record("a", 0.0, 30.0)
    assert tile_set_vrt([a, record("b", 40.0, 30.0)]).count("<ComplexSource>") == 2
    assert tile_set_vrt([a, record("b", 45.0, 30.0)]) is None                  # off the grid
    assert tile_set_vrt([a, record("b", 40.0, 30.0, res=5.0)]) is None         # another pixel size
    assert tile_set_vrt([a, record("b", 40.0, 30.0, nodata=None)]) is None
    assert tile_set_vrt([a, record("b", 40.0, 30.0, dtype="Int32")]) is None
    assert tile_set_vrt([a, record("b", 40.0, 30.0, srs="LOCAL_CS[\"x\"]")]) is None
    assert tile_set_vrt([a, dict(record("b", 40.0, 30.0), grid=None)]) is None  # an older manifest
    rotated = [dict(r, grid=dict(r["grid"], geotransform=[x, 10.0, 0.5, 30.0, 0.0, -10.0]))
               for r, x in ((a, 0.0), (record("b", 40.0, 30.0), 40.0))]
    assert tile_set_vrt(rotated) is None                                       # not north up
    nan = [record("a", 0.0, 30.0, nodata=float("nan")), record("b", 40.0, 30.0, nodata=float("nan"))]
    assert "<NoDataValue>nan</NoDataValue>" in tile_set_vrt(nan)


def test_types_srs_and_creation_options(tmp_path):
    """Int32 kept, --a-srs only where there is no .prj, GTiff with creation options."""
    src = str(tmp_path / "src")
    write_tile(src, "int_prj", asc_text(1, integer=True))
    write_tile(src, "float_noprj", asc_text(2), prj=False)
    write_tile(src, "int_noprj_nonodata", asc_text(3, integer=True, nodata=False), prj=False)
    out = str(tmp_path / "out")
    co = ["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES"]
    summary = convert([src], out, fmt="GTiff", creation_options=co, a_srs="EPSG:32611",
                      vrt=None, processes=1)
    assert summary.ok and summary.converted == 3, summary.text()
    assert not os.path.exists(os.path.join(out, "mosaic.vrt"))
    refs = str(tmp_path / "ref")
    assert_all_match_references({"int_prj": os.path.join(src, "int_prj.asc")}, out, refs,
                                fmt="GTiff", creation_options=co)
    assert_all_match_references({n: os.path.join(src, n + ".asc") for n in ("float_noprj", "int_noprj_nonodata")},
                                out, refs, fmt="GTiff", creation_options=co, a_srs="EPSG:32611")
    assert describe(os.path.join(out, "int_prj.tif"))["type"] == "Int32"
    assert describe(os.path.join(out, "int_noprj_nonodata.tif"))["nodata"] is None
    assert "Transverse_Mercator" in describe(os.path.join(out, "int_prj.tif"))["srs"]
    assert 'AUTHORITY["EPSG","32611"]' in describe(os.path.join(out, "float_noprj.tif"))["srs"]


def test_zip_input(tiles_dir, tmp_path):
    """Tiles and their .prj read in place from zip files, given directly or inside a folder."""
    z1, folder = str(tmp_path / "a.zip"), tmp_path / "zips"
    folder.mkdir()
    z2 = str(folder / "b.zip")
    with zipfile.ZipFile(z1, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            for ext in (".asc", ".prj"):
                zf.write(os.path.join(tiles_dir, f"t{i:02d}{ext}"), f"t{i:02d}{ext}")
    with zipfile.ZipFile(z2, "w", zipfile.ZIP_DEFLATED) as zf:
        for ext in (".asc", ".prj"):
            zf.write(os.path.join(tiles_dir, f"t03{ext}"), f"sub/dir/t03{ext}")
    out = str(tmp_path / "out")
    summary = convert([z1, str(folder)], out, processes=2)
    assert summary.ok and summary.converted == 4, summary.text()
    sources = {f"t{i:02d}": f"/vsizip/{z1}/t{i:02d}.asc" for i in range(3)}
    sources["t03"] = f"/vsizip/{z2}/sub/dir/t03.asc"
    assert_complete(out, sources)
    assert_all_match_references(sources, out, str(tmp_path / "ref"))
    assert "Transverse_Mercator" in describe(os.path.join(out, "t03.tif"))["srs"]


def test_bad_and_truncated_tiles(tiles_dir, tmp_path):
    """A bad tile is recorded as failed with GDAL's message; the others are converted."""
    src = str(tmp_path / "src")
    for i in range(4):
        write_tile(src, f"good{i}", asc_text(i))
    write_tile(src, "garbage", "this is not an ASCII grid\n")
    good_text = asc_text(7)
    write_tile(src, "truncated", good_text[: len(good_text) // 2])
    lines = good_text.split("\n")
    lines[9] = lines[9].replace(lines[9].split()[3], "12.5abc", 1)
    write_tile(src, "badtoken", "\n".join(lines))
    out = str(tmp_path / "out")
    proc = run_cli([src, out, "--no-progress"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = {"garbage", "truncated", "badtoken"}
    for name in failed:
        assert f"FAILED {name}: " in proc.stdout
    assert "4 converted" in proc.stdout and "3 failed" in proc.stdout
    records = {r["tile"]: r for r in manifest(out)}
    for name in failed:
        assert records[name]["status"] == "failed" and records[name]["error"], records[name]
        assert not os.path.exists(os.path.join(out, name + ".tif"))
    assert_complete(out, [f"good{i}" for i in range(4)])
    # The VRT covers the good tiles only.
    assert len(gdal.Open(os.path.join(out, "mosaic.vrt")).GetFileList()) == 1 + 4
    # A re-run retries only the failed tiles.
    proc = run_cli([src, out, "--no-progress"])
    assert proc.returncode == 1 and "0 converted, 4 already done, 3 failed" in proc.stdout, proc.stdout


def test_cli_usage_errors(tmp_path):
    assert run_cli([str(tmp_path / "missing"), str(tmp_path / "out")]).returncode == 2
    assert run_cli([str(tmp_path / "out")]).returncode == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli([str(empty), str(tmp_path / "out")])
    assert proc.returncode == 2 and "no .asc tiles" in proc.stderr
    assert run_cli([str(empty), str(tmp_path / "out"), "-co", "NOEQUALS"]).returncode == 2
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_tile(str(tmp_path / "a"), "same", asc_text(0))
    write_tile(str(tmp_path / "b"), "same", asc_text(1))
    with pytest.raises(UsageError, match="more than once"):
        convert([str(tmp_path / "a"), str(tmp_path / "b")], str(tmp_path / "out"))
    # One run per output folder at a time.
    os.makedirs(tmp_path / "locked")
    with open(tmp_path / "locked" / ".fastaaigrid-convert.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = run_cli([str(tmp_path / "a"), str(tmp_path / "locked")])
    assert proc.returncode == 2 and "another fastaaigrid-convert" in proc.stderr, proc.stderr
    # An explicit --plugin-dir without the plugin: loud, before any tile.
    proc = run_cli([str(tmp_path / "a"), str(tmp_path / "out2"), "--plugin-dir", str(tmp_path)])
    assert proc.returncode == 2 and "FastAAIGrid is not registered" in proc.stderr, proc.stderr
    assert not glob.glob(str(tmp_path / "out2" / "*.tif"))


def test_cli_converts_and_resumes(tiles_dir, local_run, tmp_path):
    out = str(tmp_path / "out")
    proc = run_cli([tiles_dir, out, "--no-progress"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "24 tiles: 24 converted, 0 already done, 0 failed" in proc.stdout
    assert {r["tile"]: r["sha256"] for r in manifest(out)} == \
        {r["tile"]: r["sha256"] for r in manifest(local_run[0])}
    # A damaged output is noticed and redone; the others are skipped.
    with open(os.path.join(out, "t05.tif"), "r+b") as f:
        f.seek(200)
        f.write(b"\0" * 16)
    proc = run_cli([tiles_dir, out, "--no-progress"])
    assert proc.returncode == 0 and "1 converted, 23 already done" in proc.stdout, proc.stdout
    assert sha256(os.path.join(out, "t05.tif")) == sha256(os.path.join(local_run[0], "t05.tif"))


def test_resume_after_killed_run(tiles_dir, local_run, tmp_path):
    """SIGKILL the whole run mid-way; the same command then finishes the job."""
    out = str(tmp_path / "out")
    proc = subprocess.Popen([sys.executable, SCRIPT, tiles_dir, out, "--no-progress", "--processes", "2",
                             "--debug-delay", "0.1"], env=plugin_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = os.path.join(out, "manifest.jsonl")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if os.path.exists(path) and sum(1 for _ in open(path)) >= 4:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    first = len(manifest(out))
    assert 4 <= first < 24
    proc = run_cli([tiles_dir, out, "--no-progress"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{24 - first} converted, {first} already done, 0 failed" in proc.stdout
    assert_complete(out, tile_sources(tiles_dir))
    for name in tile_sources(tiles_dir):
        assert sha256(os.path.join(out, name + ".tif")) == sha256(os.path.join(local_run[0], name + ".tif"))


def test_local_worker_killed_mid_run(tiles_dir, local_run, tmp_path):
    """A pool process killed mid-run: its batch is redone, nothing lost, nothing twice."""
    killed = []

    def kill_a_worker(records):
        if not killed:
            pid = int(records[0]["worker"].rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    out = str(tmp_path / "out")
    summary = convert([tiles_dir], out, processes=2, on_batch=kill_a_worker, debug_delay_s=0.05)
    assert killed and summary.ok and summary.converted == 24, summary.text()
    assert_complete(out, tile_sources(tiles_dir))
    assert summary.redone_batches >= 1
    for name in tile_sources(tiles_dir):
        assert sha256(os.path.join(out, name + ".tif")) == sha256(os.path.join(local_run[0], name + ".tif"))


def test_tile_that_kills_its_worker_fails_alone(tmp_path):
    """The bookkeeping for worker deaths, with a fake runner where one tile always kills its worker."""
    from fastaaigrid import convert as convert_module
    from fastaaigrid.runners import WorkerLost
    from fastaaigrid.sources import Tile
    from fastaaigrid.worker import Settings

    class Runner:
        slots, lost_retries = 2, 2
        attempts = []

        def run(self, queue, settings):
            while queue:
                batch = queue.popleft()
                self.attempts.append([t.name for t in batch.tiles])
                if any(t.name == "killer" for t in batch.tiles):
                    yield batch, WorkerLost("test")
                else:
                    yield batch, [{"tile": t.name, "status": "ok"} for t in batch.tiles]

    tiles = [Tile(f"t{i}", f"/x/t{i}.asc", 100, "") for i in range(10)] + [Tile("killer", "/x/k.asc", 100, "")]
    summary = convert_module.Summary()
    runner = Runner()
    records = [r for batch in convert_module._run_batches(runner, tiles, Settings(str(tmp_path)), summary)
               for r in batch]
    assert sorted(r["tile"] for r in records if r["status"] == "ok") == [f"t{i}" for i in range(10)]
    failed = [r for r in records if r["status"] == "failed"]
    assert [r["tile"] for r in failed] == ["killer"] and "died" in failed[0]["error"]
    assert sum(a == ["killer"] for a in runner.attempts) == 3, runner.attempts


# --------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       worker_dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_run_matches_local(dask_client, tiles_dir, local_run, tmp_path):
    out = str(tmp_path / "out")
    summary = convert([tiles_dir], out, client=dask_client, debug_delay_s=0.02)
    assert summary.ok and summary.converted == 24, summary.text()
    assert "Dask cluster: 2 tile(s) at once" in summary.where
    assert_complete(out, tile_sources(tiles_dir))
    records = manifest(out)
    assert {r["tile"]: r["sha256"] for r in records} == \
        {r["tile"]: r["sha256"] for r in manifest(local_run[0])}
    assert len({r["worker"] for r in records}) == 2, "both workers got tiles"


def test_dask_worker_killed_mid_run(dask_client, tiles_dir, local_run, tmp_path):
    killed = []

    def kill_a_busy_worker(records):
        if killed:
            return
        busy = [w for w, tasks in dask_client.processing().items() if tasks]
        if busy:
            pid = dask_client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)        # the LocalCluster's workers are our children
            killed.append(busy[0])

    out = str(tmp_path / "out")
    summary = convert([tiles_dir], out, client=dask_client, on_batch=kill_a_busy_worker,
                      debug_delay_s=0.1)
    assert killed and summary.ok and summary.converted == 24, summary.text()
    assert_complete(out, tile_sources(tiles_dir))
    for name in tile_sources(tiles_dir):
        assert sha256(os.path.join(out, name + ".tif")) == sha256(os.path.join(local_run[0], name + ".tif"))
    dask_client.wait_for_workers(2, timeout=300)      # the nanny restarts it (slow under qemu)


def test_cli_with_scheduler(dask_client, tiles_dir, local_run, tmp_path):
    out = str(tmp_path / "out")
    address = dask_client.scheduler.address
    proc = run_cli([tiles_dir, out, "--scheduler", address, "--no-progress", "--mosaic"],
                   cwd=REPO_DIR)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "24 converted" in proc.stdout and "Dask cluster" in proc.stdout
    assert_complete(out, tile_sources(tiles_dir))
    assert os.path.exists(os.path.join(out, "mosaic.tif"))
    for name in tile_sources(tiles_dir):
        assert sha256(os.path.join(out, name + ".tif")) == sha256(os.path.join(local_run[0], name + ".tif"))
