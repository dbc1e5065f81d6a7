"""FastAAIGrid inside QGIS (headless), against the built-in AAIGrid inside QGIS.

Each side runs in its own subprocess (QT_QPA_PLATFORM=offscreen, ``QgsApplication([], False)``,
``initQgis()``): one with GDAL_DRIVER_PATH=<plugin dir>, so QGIS's GDAL provider opens the
.asc with FastAAIGrid, and one without GDAL_DRIVER_PATH, so it opens it with the built-in.
QGIS sets GDAL_SKIP itself (to its own list of skipped drivers), so GDAL_SKIP cannot select the
driver; the process without the plugin is the reference. Every process gets its own copy of
the grids (QGIS writes statistics to a .aux.xml next to the file) and its own HOME.

Compared, per grid: layer validity, extent, CRS (authid and WKT), band data type, nodata, the
exact and an approximate (sampled) band statistics, a histogram, full-resolution and resampled
provider blocks (all bytes), identify() values, the files QGIS leaves next to the grid, and map
renders (QgsMapRendererParallelJob) zoomed out (a resampled read) and zoomed in, compared pixel
for pixel on the decoded QImage.

AAIGRID_DATATYPE: QGIS's GDAL provider sets the config option AAIGRID_DATATYPE=Float64 when it
is unset (QgsGdalProvider constructor, src/core/providers/gdal/qgsgdalprovider.cpp, about line
181 at qgis/QGIS 5d49b6b; also in the 3.22 LTR; QGIS issue #46798), so QGIS shows ASCII grids as Float64 whatever the file holds, and leaves a value the
user set alone. The tests check that FastAAIGrid gives the same data type as the built-in in
QGIS, with QGIS's default and with AAIGRID_DATATYPE=Float32 in the environment, and that this
type is the one the built-in gives through osgeo.gdal under the option value QGIS ended up with.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import (BUILTIN, FAST, PLUGIN_DIR, PRJ_UTM11, config_options, dem_grid_text, gdal,
                      missing_application, open_builtin, plugin_env, reference_env, write_file)

pytestmark = pytest.mark.apps
if importlib.util.find_spec("qgis") is None:
    missing_application("QGIS Python bindings are not installed (Debian package python3-qgis)")

NODATA = -9999


def _float_grid():
    return dem_grid_text(300, 200, seed=11, nodata=NODATA)


def _int_grid(ncols=120, nrows=90, seed=12):
    rng = np.random.default_rng(seed)
    v = rng.integers(-5000, 20000, (nrows, ncols))
    v[rng.random((nrows, ncols)) < 0.05] = NODATA
    head = (f"ncols {ncols}\nnrows {nrows}\nxllcenter 500015\nyllcenter 4100015\ncellsize 30\n"
            f"NODATA_value {NODATA}\n")
    return head + "".join(" ".join(str(int(t)) for t in row) + "\n" for row in v)


GRIDS = {"float": _float_grid, "int": _int_grid}

# Renders: (name, part of the extent as fractions (x0, y0, x1, y1) of the layer extent, size).
RENDERS = [
    ("out", (0.0, 0.0, 1.0, 1.0), (200, 150)),          # whole extent, fewer pixels than cells
    ("in", (0.43, 0.31, 0.53, 0.41), (400, 300)),       # a tenth of each side, upsampled
]

_WORKER = textwrap.dedent(r"""
    import hashlib, json, math, os, re, sys
    spec = json.load(open(sys.argv[1]))
    from qgis.core import (Qgis, QgsApplication, QgsColorRampShader, QgsMapRendererParallelJob,
                           QgsMapSettings, QgsPointXY, QgsRaster, QgsRasterBandStats,
                           QgsRasterLayer, QgsRasterShader, QgsRectangle,
                           QgsSingleBandPseudoColorRenderer, QgsStyle)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor, QImage
    app = QgsApplication([], False)
    app.initQgis()
    from osgeo import gdal

    TYPES = {int(getattr(Qgis.DataType, n)): n for n in
             ("Byte", "UInt16", "Int16", "UInt32", "Int32", "Float32", "Float64")}

    def stats(s):
        return dict(min=s.minimumValue, max=s.maximumValue, mean=s.mean, stddev=s.stdDev,
                    sum=s.sum, sumsq=s.sumOfSquares, range=s.range, count=s.elementCount,
                    width=s.width, height=s.height)

    def save_raw(img, path):
        img = img.convertToFormat(QImage.Format_ARGB32)
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        with open(path, "wb") as f:
            f.write(bytes(ptr))
        return [img.width(), img.height(), img.bytesPerLine()]

    def render(layer, extent, size, png):
        ms = QgsMapSettings()
        ms.setLayers([layer])
        ms.setDestinationCrs(layer.crs())
        ms.setExtent(extent)
        ms.setOutputSize(QSize(*size))
        ms.setBackgroundColor(QColor(255, 255, 255))
        job = QgsMapRendererParallelJob(ms)
        job.start()
        job.waitForFinished()
        img = job.renderedImage()
        img.save(png)
        e = ms.visibleExtent()
        # The decoded pixels of the PNG just written (not the file's bytes).
        shape = save_raw(QImage(png), png[:-4] + ".argb")
        return dict(png=png, shape=shape, extent=[e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum()])

    out = {"env_AAIGRID_DATATYPE": os.environ.get("AAIGRID_DATATYPE"),
           "GDAL_SKIP": gdal.GetConfigOption("GDAL_SKIP"),
           "before_AAIGRID_DATATYPE": gdal.GetConfigOption("AAIGRID_DATATYPE"), "grids": {}}
    for g in spec["grids"]:
        path, name = g["path"], g["name"]
        layer = QgsRasterLayer(path, name, "gdal")
        res = {"valid": layer.isValid()}
        out["grids"][name] = res
        if not layer.isValid():
            res["error"] = layer.error().summary()
            continue
        out["after_AAIGRID_DATATYPE"] = gdal.GetConfigOption("AAIGRID_DATATYPE")
        prov = layer.dataProvider()
        html = prov.htmlMetadata()
        m = re.search(r"GDAL Driver Description</td><td>([^<]*)<", html)
        res["driver"] = m.group(1) if m else None
        ext = layer.extent()
        res["extent"] = [ext.xMinimum(), ext.yMinimum(), ext.xMaximum(), ext.yMaximum()]
        res["size"] = [layer.width(), layer.height(), layer.bandCount()]
        res["crs_authid"] = layer.crs().authid()
        res["crs_wkt"] = layer.crs().toWkt()
        res["crs_valid"] = layer.crs().isValid()
        res["datatype"] = TYPES.get(int(prov.dataType(1)), int(prov.dataType(1)))
        res["source_datatype"] = TYPES.get(int(prov.sourceDataType(1)), int(prov.sourceDataType(1)))
        res["has_nodata"] = prov.sourceHasNoDataValue(1)
        res["nodata"] = prov.sourceNoDataValue(1)
        # Approximate statistics first (sampled, resampled reads), then the exact ones.
        res["stats_approx"] = stats(prov.bandStatistics(1, QgsRasterBandStats.All, QgsRectangle(),
                                                        spec["sample_size"]))
        exact = prov.bandStatistics(1, QgsRasterBandStats.All, QgsRectangle(), 0)
        res["stats_exact"] = stats(exact)
        hist = prov.histogram(1, 64, exact.minimumValue, exact.maximumValue, QgsRectangle(), 0, False)
        res["histogram"] = list(hist.histogramVector)
        res["renderer"] = layer.renderer().type()
        ce = layer.renderer().contrastEnhancement() if hasattr(layer.renderer(), "contrastEnhancement") else None
        res["renderer_minmax"] = [ce.minimumValue(), ce.maximumValue()] if ce else None
        # Full-resolution and resampled blocks of the whole extent: every byte.
        w, h = layer.width(), layer.height()
        for key, (bw, bh) in (("block_full", (w, h)), ("block_resampled", (w * 2 // 7, h * 3 // 8))):
            block = prov.block(1, ext, bw, bh)
            data = bytes(block.data())
            fn = os.path.join(spec["outdir"], f"{name}_{key}.bin")
            with open(fn, "wb") as f:
                f.write(data)
            nodata_mask = "".join("1" if block.isNoData(r, c) else "0" for r in range(bh) for c in range(bw))
            res[key] = dict(file=fn, size=[bw, bh], datatype=TYPES.get(int(block.dataType())),
                            nodata_mask=hashlib.sha256(nodata_mask.encode()).hexdigest(),
                            nodata_count=nodata_mask.count("1"))
        # identify() at a few cell centres (and one outside).
        pts = []
        for fx, fy in ((0.01, 0.99), (0.5, 0.5), (0.37, 0.71), (0.999, 0.001), (1.5, 0.5)):
            pts.append([ext.xMinimum() + fx * ext.width(), ext.yMinimum() + fy * ext.height()])
        res["identify"] = []
        for x, y in pts:
            r = prov.identify(QgsPointXY(x, y), QgsRaster.IdentifyFormatValue).results()
            v = r.get(1)
            res["identify"].append(None if v is None else (repr(v) if isinstance(v, float) and math.isnan(v) else v))
        # Renders: the default renderer (grey, min/max from the approximate statistics) and a
        # pseudo-colour ramp over the exact min/max (more distinct colours than 256 greys).
        res["renders"] = {}
        for rname, (fx0, fy0, fx1, fy1), size in spec["renders"]:
            part = QgsRectangle(ext.xMinimum() + fx0 * ext.width(), ext.yMinimum() + fy0 * ext.height(),
                                ext.xMinimum() + fx1 * ext.width(), ext.yMinimum() + fy1 * ext.height())
            res["renders"][rname] = render(layer, part, size,
                                           os.path.join(spec["outdir"], f"{name}_{rname}.png"))
        shader = QgsRasterShader()
        ramp = QgsColorRampShader(exact.minimumValue, exact.maximumValue)
        ramp.setSourceColorRamp(QgsStyle.defaultStyle().colorRamp("Spectral"))
        ramp.setColorRampType(QgsColorRampShader.Interpolated)
        ramp.classifyColorRamp(32)
        shader.setRasterShaderFunction(ramp)
        layer.setRenderer(QgsSingleBandPseudoColorRenderer(prov, 1, shader))
        res["renders"]["out_pseudo"] = render(layer, ext, (200, 150),
                                              os.path.join(spec["outdir"], f"{name}_out_pseudo.png"))
        del prov
        layer = None
    app.exitQgis()
    print("RESULT " + json.dumps(out))
""")


def _env(tmp, with_plugin, extra):
    env = plugin_env() if with_plugin else reference_env()
    env.pop("AAIGRID_DATATYPE", None)
    home = os.path.join(tmp, "home")
    os.makedirs(home, exist_ok=True)
    runtime = os.path.join(tmp, "runtime")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    env.update(QT_QPA_PLATFORM="offscreen", HOME=home, XDG_RUNTIME_DIR=runtime,
               XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_DATA_HOME=os.path.join(home, ".local", "share"))
    env.update(extra)
    return env


def run_qgis(sources, workdir, with_plugin, renders=RENDERS, extra_env=None):
    """Load every grid of *sources* ({name: (asc, prj)}) in one QGIS process; return its report."""
    os.makedirs(workdir)
    data = os.path.join(workdir, "data")
    outdir = os.path.join(workdir, "out")
    os.makedirs(data)
    os.makedirs(outdir)
    grids = []
    for name, (asc, prj) in sources.items():
        shutil.copy(asc, os.path.join(data, name + ".asc"))
        if prj:
            shutil.copy(prj, os.path.join(data, name + ".prj"))
        grids.append({"name": name, "path": os.path.join(data, name + ".asc")})
    spec = {"grids": grids, "outdir": outdir, "renders": renders, "sample_size": 2500}
    spec_path = write_file(os.path.join(workdir, "spec.json"), json.dumps(spec))
    proc = subprocess.run([sys.executable, "-c", _WORKER, spec_path], capture_output=True, text=True,
                          timeout=180, env=_env(workdir, with_plugin, extra_env or {}))
    who = "QGIS with the plugin" if with_plugin else "QGIS without the plugin"
    assert proc.returncode == 0, f"{who} failed (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"{who}: no result:\n{proc.stdout}\n{proc.stderr}"
    res = json.loads(lines[-1][len("RESULT "):])
    res["files_left"] = sorted(os.listdir(data))
    res["data"] = data
    return res


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("qgis_src")
    out = {}
    for name, make in GRIDS.items():
        asc = write_file(d / f"{name}.asc", make())
        prj = write_file(d / f"{name}.prj", PRJ_UTM11)
        out[name] = (asc, prj)
    return out


@pytest.fixture(scope="module")
def runs(sources, tmp_path_factory):
    """Both processes with QGIS's default AAIGRID_DATATYPE handling."""
    d = tmp_path_factory.mktemp("qgis_runs")
    return {FAST: run_qgis(sources, str(d / "fast"), True),
            BUILTIN: run_qgis(sources, str(d / "builtin"), False)}


def _grid(runs, drv, name):
    res = runs[drv]["grids"][name]
    assert res["valid"], f"{drv}: QGIS could not load {name}: {res.get('error')}"
    return res


def _same_float(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes() or (np.isnan(a) and np.isnan(b))
    return a == b


def _assert_same_dict(fast, ref, what):
    assert fast.keys() == ref.keys(), what
    for key in fast:
        assert _same_float(fast[key], ref[key]), f"{what}: {key}: fast={fast[key]!r} builtin={ref[key]!r}"


# --------------------------------------------------------------------------
# The driver QGIS used
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GRIDS))
def test_qgis_uses_the_expected_driver(runs, name):
    assert _grid(runs, FAST, name)["driver"] == FAST, (
        f"QGIS with GDAL_DRIVER_PATH={PLUGIN_DIR} did not open {name}.asc with {FAST}")
    assert _grid(runs, BUILTIN, name)["driver"] == BUILTIN, (
        "QGIS without GDAL_DRIVER_PATH did not use the built-in (is the plugin installed "
        "in GDAL's default plugin folder?)")


# --------------------------------------------------------------------------
# Layer properties, statistics, blocks
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GRIDS))
def test_layer_properties_same(runs, name):
    fast, ref = _grid(runs, FAST, name), _grid(runs, BUILTIN, name)
    for key in ("extent", "size", "crs_authid", "crs_wkt", "crs_valid", "datatype",
                "source_datatype", "has_nodata", "renderer"):
        assert fast[key] == ref[key], f"{name}: {key}: fast={fast[key]!r} builtin={ref[key]!r}"
    assert _same_float(fast["nodata"], ref["nodata"]), (fast["nodata"], ref["nodata"])
    assert ref["crs_valid"] and ref["crs_wkt"], f"{name}: the .prj gave no CRS in QGIS"
    assert ref["has_nodata"], f"{name}: no nodata in QGIS"


@pytest.mark.parametrize("name", list(GRIDS))
@pytest.mark.parametrize("kind", ["stats_exact", "stats_approx"])
def test_band_statistics_same(runs, name, kind):
    fast, ref = _grid(runs, FAST, name), _grid(runs, BUILTIN, name)
    _assert_same_dict(fast[kind], ref[kind], f"{name} {kind}")
    assert ref[kind]["count"] > 0 and ref[kind]["max"] > ref[kind]["min"], ref[kind]


@pytest.mark.parametrize("name", list(GRIDS))
def test_histogram_and_renderer_range_same(runs, name):
    fast, ref = _grid(runs, FAST, name), _grid(runs, BUILTIN, name)
    assert fast["histogram"] == ref["histogram"], name
    assert sum(ref["histogram"]) == ref["stats_exact"]["count"]
    assert fast["renderer_minmax"] == ref["renderer_minmax"], name


@pytest.mark.parametrize("name", list(GRIDS))
@pytest.mark.parametrize("key", ["block_full", "block_resampled"])
def test_provider_blocks_same(runs, name, key):
    fast, ref = _grid(runs, FAST, name)[key], _grid(runs, BUILTIN, name)[key]
    for k in ("size", "datatype", "nodata_mask", "nodata_count"):
        assert fast[k] == ref[k], f"{name} {key}: {k}: fast={fast[k]!r} builtin={ref[k]!r}"
    assert ref["nodata_count"] > 0, "test bug: the grid has nodata"
    with open(fast["file"], "rb") as f:
        fast_bytes = f.read()
    with open(ref["file"], "rb") as f:
        ref_bytes = f.read()
    assert len(fast_bytes) == len(ref_bytes) > 0
    if fast_bytes != ref_bytes:
        dtype = {"Float64": "<f8", "Float32": "<f4", "Int32": "<i4"}.get(ref["datatype"], "u1")
        a, b = np.frombuffer(fast_bytes, dtype), np.frombuffer(ref_bytes, dtype)
        differ = (a.view(np.uint8).reshape(len(a), -1) != b.view(np.uint8).reshape(len(b), -1)).any(axis=1)
        first = int(np.flatnonzero(differ)[0])
        pytest.fail(f"{name} {key}: {int(differ.sum())} elements differ; first at {first}: "
                    f"fast={a[first]!r} builtin={b[first]!r}")


@pytest.mark.parametrize("name", list(GRIDS))
def test_identify_same(runs, name):
    fast, ref = _grid(runs, FAST, name), _grid(runs, BUILTIN, name)
    assert len(fast["identify"]) == len(ref["identify"])
    for i, (a, b) in enumerate(zip(fast["identify"], ref["identify"])):
        assert _same_float(a, b), f"{name}: identify point {i}: fast={a!r} builtin={b!r}"
    assert any(isinstance(v, (int, float)) for v in ref["identify"]), ref["identify"]


def test_sidecar_files_same(runs):
    """The files QGIS leaves next to the grids (.aux.xml with statistics and histogram) are
    the same, with the same content."""
    assert runs[FAST]["files_left"] == runs[BUILTIN]["files_left"]
    for fn in runs[BUILTIN]["files_left"]:
        if fn.endswith((".asc", ".prj")):
            continue
        with open(os.path.join(runs[FAST]["data"], fn), "rb") as f:
            fast = f.read()
        with open(os.path.join(runs[BUILTIN]["data"], fn), "rb") as f:
            ref = f.read()
        assert fast == ref, f"{fn}:\n{fast.decode(errors='replace')}\n!=\n{ref.decode(errors='replace')}"


# --------------------------------------------------------------------------
# Renders
# --------------------------------------------------------------------------


def _pixels(render):
    w, h, bpl = render["shape"]
    raw = np.fromfile(render["png"][:-4] + ".argb", dtype=np.uint8)
    assert raw.size == h * bpl, render
    return raw.reshape(h, bpl)[:, : w * 4].reshape(h, w, 4)


@pytest.mark.parametrize("name", list(GRIDS))
@pytest.mark.parametrize("render", [r[0] for r in RENDERS] + ["out_pseudo"])
def test_render_same_pixels(runs, name, render):
    fast = _grid(runs, FAST, name)["renders"][render]
    ref = _grid(runs, BUILTIN, name)["renders"][render]
    assert fast["extent"] == ref["extent"], "visible extent"
    a, b = _pixels(fast), _pixels(ref)
    assert a.shape == b.shape, (a.shape, b.shape)
    colours = np.unique(b.reshape(-1, 4), axis=0)
    assert len(colours) > 16, f"test bug: the built-in's render of {name} is nearly uniform"
    differ = (a != b).any(axis=2)
    if differ.any():
        y, x = np.argwhere(differ)[0]
        pytest.fail(f"{name} {render}: {int(differ.sum())} of {differ.size} pixels differ; first at "
                    f"(row {y}, col {x}): fast BGRA={a[y, x].tolist()} builtin={b[y, x].tolist()} "
                    f"({fast['png']} vs {ref['png']})")


# --------------------------------------------------------------------------
# AAIGRID_DATATYPE
# --------------------------------------------------------------------------


def _builtin_type(path, option_value):
    """The band type the built-in gives through osgeo.gdal with AAIGRID_DATATYPE=option_value."""
    with config_options({"AAIGRID_DATATYPE": option_value}):
        ds = open_builtin(path)
    assert ds is not None, gdal.GetLastErrorMsg()
    return gdal.GetDataTypeName(ds.GetRasterBand(1).DataType)


def _check_datatype(runs, sources):
    opt = runs[BUILTIN]["after_AAIGRID_DATATYPE"]
    assert runs[FAST]["after_AAIGRID_DATATYPE"] == opt, "QGIS set a different AAIGRID_DATATYPE"
    for name in sources:
        fast, ref = _grid(runs, FAST, name), _grid(runs, BUILTIN, name)
        assert fast["datatype"] == ref["datatype"], f"{name}: fast={fast['datatype']} builtin={ref['datatype']}"
        assert fast["block_full"]["datatype"] == ref["block_full"]["datatype"]
        # QGIS shows the type GDAL's driver reports under the option QGIS ended up with.
        assert ref["datatype"] == _builtin_type(sources[name][0], opt), name
    return opt


def test_datatype_qgis_default(runs, sources):
    """QGIS's own AAIGRID_DATATYPE (it sets one when unset): same type for both drivers."""
    for drv in (FAST, BUILTIN):
        assert runs[drv]["before_AAIGRID_DATATYPE"] is None, "test bug: option set before loading"
    _check_datatype(runs, sources)


def test_datatype_user_setting_float32(sources, tmp_path):
    """AAIGRID_DATATYPE=Float32 in the environment (QGIS leaves a user's value alone)."""
    env = {"AAIGRID_DATATYPE": "Float32"}
    runs = {FAST: run_qgis(sources, str(tmp_path / "fast"), True, renders=[], extra_env=env),
            BUILTIN: run_qgis(sources, str(tmp_path / "builtin"), False, renders=[], extra_env=env)}
    for name in sources:
        assert _grid(runs, FAST, name)["driver"] == FAST
        assert _grid(runs, BUILTIN, name)["driver"] == BUILTIN
        for kind in ("stats_exact", "stats_approx"):
            _assert_same_dict(_grid(runs, FAST, name)[kind], _grid(runs, BUILTIN, name)[kind], f"{name} {kind}")
    assert _check_datatype(runs, sources) == "Float32"


def test_datatype_auto_gives_the_files_own_type(sources, tmp_path):
    """AAIGRID_DATATYPE=AUTO in QGIS's environment (FastAAIGrid's value for "detect"): QGIS
    leaves it alone, so FastAAIGrid gives each grid the type gdalinfo gives it (Int32 for the
    integer grid) instead of QGIS's Float64, with the same statistics as the built-in's."""
    env = {"AAIGRID_DATATYPE": "AUTO"}
    fast = run_qgis(sources, str(tmp_path / "fast"), True, renders=[], extra_env=env)
    ref = run_qgis(sources, str(tmp_path / "builtin"), False, renders=[], extra_env=env)
    assert fast["after_AAIGRID_DATATYPE"] == "AUTO"
    types = {}
    for name in sources:
        f, r = _grid({FAST: fast}, FAST, name), _grid({BUILTIN: ref}, BUILTIN, name)
        assert f["driver"] == FAST and r["driver"] == BUILTIN
        # The type gdalinfo gives, without the option (the built-in warns on AUTO and detects).
        ds = open_builtin(sources[name][0])
        assert f["datatype"] == gdal.GetDataTypeName(ds.GetRasterBand(1).DataType), name
        assert r["datatype"] == f["datatype"], name
        for kind in ("stats_exact", "stats_approx"):
            _assert_same_dict(f[kind], r[kind], f"{name} {kind}")
        types[name] = f["datatype"]
    assert "Int32" in types.values(), f"no integer grid among {types}: the test shows nothing"


_SKIP_WORKER = textwrap.dedent(r"""
    import re, sys
    from qgis.core import QgsApplication, QgsRasterLayer
    app = QgsApplication([], False)
    app.initQgis()

    def driver(path):
        layer = QgsRasterLayer(path, "g", "gdal")
        m = re.search(r"GDAL Driver Description</td><td>([^<]*)<", layer.dataProvider().htmlMetadata())
        return m.group(1) if m else None

    first = driver(sys.argv[1])
    # What Settings -> Options -> GDAL does when a driver is unticked.
    QgsApplication.skipGdalDriver("FastAAIGrid")
    print("DRIVERS", first, driver(sys.argv[2]))
    app.exitQgis()
""")


def test_switching_to_the_builtin_inside_qgis(sources, tmp_path):
    """Unticking FastAAIGrid in QGIS's GDAL driver list (QgsApplication.skipGdalDriver, which
    sets GDAL_SKIP) sends the next layers to the built-in."""
    asc = sources["float"][0]
    copies = []
    for i in range(2):
        d = tmp_path / f"g{i}"
        d.mkdir()
        copies.append(str(d / "g.asc"))
        with open(asc) as f, open(copies[-1], "w") as g:
            g.write(f.read())
    proc = subprocess.run([sys.executable, "-c", _SKIP_WORKER, *copies], capture_output=True,
                          text=True, timeout=120, env=_env(str(tmp_path), True, {}))
    assert proc.returncode == 0, proc.stderr
    line = [l for l in proc.stdout.splitlines() if l.startswith("DRIVERS ")]
    assert line and line[-1].split()[1:] == [FAST, BUILTIN], proc.stdout
