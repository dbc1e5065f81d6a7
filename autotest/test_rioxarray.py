"""FastAAIGrid through rioxarray + dask, against the built-in AAIGrid through rioxarray + dask.

``rioxarray.open_rasterio(path, chunks=(1, 128, 128))`` of a 700x500 float grid with nodata
and a .prj, computed with dask's "threads" scheduler (with rioxarray's default lock, and with
lock=False: every chunk then opens its own dataset, in parallel) and with the "synchronous"
scheduler, raw, and once masked (nodata -> NaN). One subprocess has GDAL_DRIVER_PATH=<plugin dir>
(rasterio must report FastAAIGrid), the other has none (the built-in). Compared: every value
bit for bit (NaN positions included), dtype, chunks, coordinates, attributes, encoding, nodata,
CRS and transform.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import (BUILTIN, FAST, dem_grid_files, missing_application, plugin_env,
                      reference_env)

pytestmark = pytest.mark.apps
for _mod in ("rioxarray", "dask"):
    if importlib.util.find_spec(_mod) is None:
        missing_application(f"{_mod} is not installed for {sys.executable} (Debian package python3-rioxarray)")

NCOLS, NROWS = 700, 500
CHUNKS = (1, 128, 128)
# (name, dask scheduler, rioxarray lock argument or "default", masked). Masking happens after
# the reads, so one masked variant is enough.
VARIANTS = [("threads_raw", "threads", "default", False), ("threads_nolock_raw", "threads", False, False),
            ("synchronous_raw", "synchronous", "default", False), ("threads_masked", "threads", "default", True)]

_WORKER = textwrap.dedent(r"""
    import json, os, sys
    import numpy as np
    import rasterio, rioxarray, dask
    path, outdir, variants, chunks = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])

    def plain(v):
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v.item()
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and v != v:
            return "nan"
        if isinstance(v, (list, tuple, np.ndarray)):
            return [plain(x) for x in v]
        return v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)

    with rasterio.open(path) as ds:
        out = {"driver": ds.driver, "gdal": rasterio.__gdal_version__, "runs": {}}
    for key, scheduler, lock, masked in variants:
        kw = {} if lock == "default" else {"lock": lock}
        da = rioxarray.open_rasterio(path, chunks=tuple(chunks), masked=masked, **kw)
        assert da.chunks is not None, "not a dask array"
        with dask.config.set(scheduler=scheduler):
            values = da.compute().values
        np.save(os.path.join(outdir, key + ".npy"), values)
        coords = {}
        for cname, c in da.coords.items():
            if c.ndim:
                np.save(os.path.join(outdir, f"{key}_coord_{cname}.npy"), c.values)
                coords[cname] = {"dims": list(c.dims), "dtype": str(c.dtype)}
            else:
                coords[cname] = {"value": plain(c.values), "attrs": {k: plain(v) for k, v in c.attrs.items()}}
        out["runs"][key] = dict(
            dtype=str(values.dtype), shape=list(values.shape), dims=list(da.dims),
            chunks=[list(c) for c in da.chunks], coords=coords,
            attrs={k: plain(v) for k, v in da.attrs.items()},
            encoding={k: plain(v) for k, v in da.encoding.items() if k != "source"},
            nodata=plain(da.rio.nodata), encoded_nodata=plain(da.rio.encoded_nodata),
            crs=da.rio.crs.to_wkt() if da.rio.crs else None,
            epsg=da.rio.crs.to_epsg() if da.rio.crs else None,
            transform=list(da.rio.transform())[:6], bounds=list(da.rio.bounds()),
            nan_count=int(np.isnan(values).sum()) if values.dtype.kind == "f" else 0,
        )
        da.close()
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return dem_grid_files(tmp_path_factory.mktemp("rioxarray"), NCOLS, NROWS, seed=21)


def _run(grid, outdir, env):
    os.makedirs(outdir)
    proc = subprocess.run(
        [sys.executable, "-c", _WORKER, grid, outdir, json.dumps(VARIANTS), json.dumps(CHUNKS)],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, f"rioxarray subprocess failed (rc {proc.returncode}):\n{proc.stderr}"
    res = json.loads([line for line in proc.stdout.splitlines() if line.startswith("RESULT ")][-1][7:])
    res["dir"] = outdir
    return res


@pytest.fixture(scope="module")
def runs(grid, tmp_path_factory):
    d = tmp_path_factory.mktemp("rioxarray_out")
    return {FAST: _run(grid, str(d / "fast"), plugin_env()),
            BUILTIN: _run(grid, str(d / "builtin"), reference_env())}


def _load(res, name):
    return np.load(os.path.join(res["dir"], name + ".npy"))


def _assert_identical(a, b, what):
    assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
    if a.dtype.kind == "f":
        assert np.array_equal(np.isnan(a), np.isnan(b)), (
            f"{what}: NaN at different places ({int(np.isnan(a).sum())} vs {int(np.isnan(b).sum())})")
        assert np.array_equal(a, b, equal_nan=True), what
    if a.tobytes() != b.tobytes():
        idx = np.argwhere(a.view(np.uint8).reshape(a.shape + (-1,)) != b.view(np.uint8).reshape(b.shape + (-1,)))[0][:-1]
        pytest.fail(f"{what}: not bit-identical; first at {tuple(idx)}: fast={a[tuple(idx)]!r} builtin={b[tuple(idx)]!r}")


KEYS = [v[0] for v in VARIANTS]


def test_drivers(runs):
    assert runs[FAST]["driver"] == FAST, "rasterio with GDAL_DRIVER_PATH did not use the plugin"
    assert runs[BUILTIN]["driver"] == BUILTIN, (
        "rasterio without GDAL_DRIVER_PATH did not use the built-in (plugin installed system-wide?)")


@pytest.mark.parametrize("key", KEYS)
def test_values_bit_identical(runs, key):
    fast, ref = _load(runs[FAST], key), _load(runs[BUILTIN], key)
    _assert_identical(fast, ref, key)
    assert fast.shape == (1, NROWS, NCOLS)
    if key.endswith("_masked"):
        assert runs[BUILTIN]["runs"][key]["nan_count"] > 0, "test bug: no nodata in the grid"


@pytest.mark.parametrize("key", KEYS)
def test_metadata_same(runs, key):
    fast, ref = runs[FAST]["runs"][key], runs[BUILTIN]["runs"][key]
    for k in ref:
        assert fast[k] == ref[k], f"{key}: {k}: fast={fast[k]!r} builtin={ref[k]!r}"
    assert ref["crs"] and len(ref["chunks"][1]) > 1 and len(ref["chunks"][2]) > 1, ref
    for cname, c in ref["coords"].items():
        if "dims" in c:
            name = f"{key}_coord_{cname}"
            _assert_identical(_load(runs[FAST], name), _load(runs[BUILTIN], name), name)


def test_schedulers_agree(runs):
    """Within the plugin's process: threads (locked and lock-free) and synchronous agree, and
    the masked values are the raw ones with NaN for nodata."""
    base = _load(runs[FAST], "synchronous_raw")
    for key in ("threads_raw", "threads_nolock_raw"):
        _assert_identical(_load(runs[FAST], key), base, f"{key} vs synchronous_raw")
    nodata = runs[FAST]["runs"]["synchronous_raw"]["nodata"]
    expect = np.where(base == nodata, np.float32(np.nan), base)
    _assert_identical(_load(runs[FAST], "threads_masked"), expect, "threads_masked vs masked synchronous_raw")
