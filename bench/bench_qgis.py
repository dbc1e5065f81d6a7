#!/usr/bin/python3
"""Benchmark FastAAIGrid against GDAL's built-in AAIGrid driver inside QGIS (headless).

    /usr/bin/python3 bench/bench_qgis.py [--quick] [--plugin-dir build] [--workdir DIR]
        [--reps N] [--markdown-out FILE]

The workload is bench.py's DEM (4000x4000 `%.3f` values with 1 % nodata; 1000x1000 with
--quick), generated the same way into the same work directory (and reused). Every measurement
is one fresh QGIS process (QT_QPA_PLATFORM=offscreen, QgsApplication([], False), initQgis()):
with GDAL_DRIVER_PATH=<plugin dir> QGIS reads the grid with FastAAIGrid, without it with the
built-in (QGIS sets GDAL_SKIP itself, so that cannot select the driver). The processes
alternate between the drivers; each reports the driver it used. In each process, on a fresh
hard link (or copy) of the grid in a temporary folder (so no .aux.xml or .ovr of an earlier run
is found, and the pyramids go there):

    open         QgsRasterLayer(path, "dem", "gdal") until isValid()
    first render QgsMapRendererParallelJob of the whole extent into 1000x1000 pixels
    statistics   dataProvider().bandStatistics(1, All, QgsRectangle(), 0) (exact)
    pyramids     dataProvider().buildPyramids(all levels QGIS proposes, NEAREST, external .ovr)

The steps run in this order in one process, so the pyramids step finds the built-in's rows in
GDAL's block cache (its statistics were read block by block), while FastAAIGrid parses the
file again (its full reads go straight into the caller's buffer, past the block cache): built
alone, after open only, the pyramids cost the built-in a full parse too.

Times are the median over --reps processes per driver (3; 1 with --quick); "ratio" is built-in
time / FastAAIGrid time. The statistics, the rendered pixels and the pyramid pixels are also
compared between the drivers; any difference is reported and makes the exit status 1.
"""
import argparse
import datetime
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the DEM generator and its cache)

BUILTIN, FAST = bench.BUILTIN, bench.FAST
MEASURES = ['open', 'first render', 'statistics', 'pyramids', 'total']
RENDER_SIZE = 1000

WORKER = r'''
import hashlib, json, os, sys, time
path = sys.argv[1]
from qgis.core import (Qgis, QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsRaster,
                       QgsRasterBandStats, QgsRasterLayer, QgsRectangle)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage
app = QgsApplication([], False)
app.initQgis()
from osgeo import gdal
out = {}
t0 = time.perf_counter()
layer = QgsRasterLayer(path, "dem", "gdal")
valid = layer.isValid()
t1 = time.perf_counter()
if not valid:
    print("RESULT " + json.dumps({"error": layer.error().summary()}))
    sys.exit(0)
prov = layer.dataProvider()
ms = QgsMapSettings()
ms.setLayers([layer])
ms.setDestinationCrs(layer.crs())
ms.setExtent(layer.extent())
ms.setOutputSize(QSize(RENDER_SIZE, RENDER_SIZE))
ms.setBackgroundColor(QColor(255, 255, 255))
job = QgsMapRendererParallelJob(ms)
job.start()
job.waitForFinished()
img = job.renderedImage()
t2 = time.perf_counter()
st = prov.bandStatistics(1, QgsRasterBandStats.All, QgsRectangle(), 0)
t3 = time.perf_counter()
levels = prov.buildPyramidList()
for p in levels:
    p.setBuild(True) if hasattr(p, "setBuild") else setattr(p, "build", True)
fmt = QgsRaster.PyramidsGTiff
err = prov.buildPyramids(levels, "NEAREST", fmt)
t4 = time.perf_counter()
img = img.convertToFormat(QImage.Format_ARGB32)
bits = img.constBits()
bits.setsize(img.sizeInBytes())
ovr = path + ".ovr"
ovr_sums = []
if os.path.exists(ovr):
    ds = gdal.Open(ovr)
    band = ds.GetRasterBand(1)
    ovr_sums = [band.Checksum()] + [band.GetOverview(i).Checksum() for i in range(band.GetOverviewCount())]
    ds = None
html = prov.htmlMetadata()
drv = html.split("GDAL Driver Description</td><td>", 1)[1].split("<", 1)[0] if "GDAL Driver Description" in html else None
out = dict(driver=drv, times=[t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0],
           size=[layer.width(), layer.height()], pyramid_error=err,
           pyramid_levels=[p.level() if callable(p.level) else p.level for p in levels],
           stats=[st.minimumValue, st.maximumValue, st.mean, st.stdDev, st.elementCount],
           render=hashlib.sha256(bytes(bits)).hexdigest(), ovr=ovr_sums,
           qgis=Qgis.QGIS_VERSION, gdal=gdal.__version__)
print("RESULT " + json.dumps(out))
'''.replace('RENDER_SIZE', str(RENDER_SIZE))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def qgis_env(plugin_dir, tmp):
    env = dict(os.environ)
    for key in ('GDAL_DRIVER_PATH', 'GDAL_SKIP', 'CPL_DEBUG', 'AAIGRID_DATATYPE'):
        env.pop(key, None)
    if plugin_dir:
        env['GDAL_DRIVER_PATH'] = plugin_dir
    runtime = os.path.join(tmp, 'runtime')
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    env.update(QT_QPA_PLATFORM='offscreen', HOME=tmp, XDG_RUNTIME_DIR=runtime)
    return env


def run_once(dem, drv, plugin_dir, workdir):
    tmp = tempfile.mkdtemp(prefix=f'qgis-{drv}-', dir=workdir)
    try:
        path = os.path.join(tmp, 'dem.asc')
        try:
            os.link(dem, path)
        except OSError:
            shutil.copyfile(dem, path)
        proc = subprocess.run([sys.executable, '-c', WORKER, path], capture_output=True, text=True,
                              timeout=1800, env=qgis_env(plugin_dir if drv == FAST else None, tmp))
        lines = [line for line in proc.stdout.splitlines() if line.startswith('RESULT ')]
        if proc.returncode != 0 or not lines:
            sys.exit(f'QGIS process for {drv} failed (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}')
        res = json.loads(lines[-1][7:])
        if 'error' in res:
            sys.exit(f'QGIS could not load {dem} with {drv}: {res["error"]}')
        if res['driver'] != drv:
            sys.exit(f'QGIS used {res["driver"]} where {drv} was expected'
                     + (' (is the plugin installed in GDAL\'s default plugin folder?)' if drv == BUILTIN else ''))
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fmt_time(v):
    return f'{v * 1e3:.1f} ms' if v < 0.1 else f'{v:.3f} s'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--plugin-dir', default=os.path.join(bench.REPO, 'build'),
                    help='folder holding gdal_FastAAIGrid.so (default: <repo>/build)')
    ap.add_argument('--workdir', default='/tmp/fastaaigrid-bench',
                    help='where the DEM is generated and cached (shared with bench.py)')
    ap.add_argument('--reps', type=int, help='QGIS processes per driver (default 3, 1 with --quick)')
    ap.add_argument('--quick', action='store_true', help='1000x1000 DEM, 1 repetition')
    ap.add_argument('--markdown-out', help='also write the table to this file')
    args = ap.parse_args()
    reps = args.reps or (1 if args.quick else 3)
    plugin_dir = os.path.abspath(args.plugin_dir)
    if not os.path.isfile(os.path.join(plugin_dir, 'gdal_FastAAIGrid.so')):
        sys.exit(f'error: {plugin_dir}/gdal_FastAAIGrid.so not found; build the plugin or pass --plugin-dir')
    if importlib.util.find_spec('qgis') is None:
        sys.exit('error: the QGIS Python bindings are not installed (Debian package python3-qgis)')

    workdir = os.path.join(os.path.abspath(args.workdir), 'quick' if args.quick else 'full')
    os.makedirs(workdir, exist_ok=True)
    side = bench.SIZES[args.quick][0]
    dem = bench.cached(os.path.join(workdir, 'dem.asc'), lambda t: bench.gen_dem(t, side))

    results = {BUILTIN: [], FAST: []}
    for rep in range(reps):
        for drv in ((BUILTIN, FAST) if rep % 2 == 0 else (FAST, BUILTIN)):
            res = run_once(dem, drv, plugin_dir, workdir)
            log(f'[{rep + 1}/{reps}] {drv}: ' + ', '.join(f'{m} {fmt_time(t)}' for m, t in zip(MEASURES, res['times'])))
            results[drv].append(res)

    failures = []
    ref, ours = results[BUILTIN][0], results[FAST][0]
    for key, what in (('size', 'raster size'), ('stats', 'exact statistics'), ('render', 'rendered pixels'),
                      ('pyramid_levels', 'pyramid levels'), ('ovr', 'pyramid (.ovr) checksums'),
                      ('pyramid_error', 'buildPyramids() result')):
        values = {json.dumps(r[key]) for rs in results.values() for r in rs}
        if len(values) != 1:
            failures.append(f'{what} differ: built-in {ref[key]!r}, FastAAIGrid {ours[key]!r}')
    if not ref['ovr']:
        failures.append('no .ovr was written')

    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo') if line.startswith('model name')),
               'unknown CPU')
    lines = [f'QGIS {ref["qgis"]}, GDAL {ref["gdal"]}; {cpu}, nproc {len(os.sched_getaffinity(0))}; '
             f'{datetime.datetime.now():%Y-%m-%d %H:%M}; DEM {side}x{side} %.3f '
             f'({os.path.getsize(dem) / 1e6:.0f} MB), median of {reps} QGIS process(es) per driver'
             f'{", QUICK" if args.quick else ""}',
             '',
             '| measure (QGIS) | built-in | FastAAIGrid | ratio |',
             '|---|---|---|---|']
    for i, measure in enumerate(MEASURES):
        base = statistics.median(r['times'][i] for r in results[BUILTIN])
        fast = statistics.median(r['times'][i] for r in results[FAST])
        lines.append(f'| {measure} | {fmt_time(base)} | {fmt_time(fast)} | {base / fast:.1f}x |')
    table = '\n'.join(lines) + '\n'
    table += ('\nThe steps run in this order in each process: the built-in builds the pyramids from the '
              'rows its statistics left in GDAL\'s block cache, FastAAIGrid parses the file again.\n')
    table += ('\nSame statistics, rendered pixels and pyramids with both drivers.\n' if not failures else
              '\n**CORRECTNESS FAILURES:**\n' + ''.join(f'- {f}\n' for f in failures))
    print(table)
    if args.markdown_out:
        with open(args.markdown_out, 'w') as f:
            f.write(table)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
