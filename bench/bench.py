#!/usr/bin/python3
"""Benchmark FastAAIGrid against GDAL's built-in AAIGrid driver.

    /usr/bin/python3 bench/bench.py [--plugin-dir build] [--workdir DIR]
        [--reps 5] [--threads N] [--only dem,int,...,patterns,...] [--quick]
        [--markdown-out FILE]

Workloads are generated deterministically into the work directory (and reused
on later runs).  Both drivers are measured in the same run, alternating their
order on each repetition; every reported time is the median of --reps runs
with a warm page cache.  The untimed warm-up read also checks that both
drivers return bit-identical pixels; any mismatch makes the exit status 1.

Besides the workloads, --only takes these groups of rows (all run by default):
  patterns     what applications do with the dem grid (it gets a UTM 33N .prj),
               with GDAL_PAM_ENABLED=NO so nothing is cached in an .aux.xml:
               exact and approximate statistics, the whole grid read into
               1000x1000 (250x250 with --quick) with nearest and average
               resampling, every 512x512 window in a seeded random order, a
               centre 500x500 window, overviews 2 4 8 16 built into an external
               .ovr of a fresh hard link, gdal.Warp to EPSG:3857 in memory.
               Each opens the grid afresh; both drivers' results must be equal.
  sweep        grids of 10 to 4000 (--quick: 1000) cells square made like dem:
               open+full read, CreateCopy of Float32 and Int32 GeoTIFFs to .asc,
               gdal_translate to GeoTIFF; small ones repeated until >= 50 ms.
  shapes       full read of 2000x2000 (--quick: 500x500) grids written with
               numpy savetxt's %.18e, %.17g, R's 15 digits, Fortran-like E.
  concurrency  8 threads each opening and fully reading its own hard link of a
               2000x2000 (--quick: 500x500) grid against the 8 reads one after
               another: wall and process CPU time ratios (medians of per-rep
               ratios), and the peak thread count (sampled every 2 ms) above
               the process's own before its first GDAL read, also with
               GDAL_NUM_THREADS=16.
"""
import argparse
import contextlib
import datetime
import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import numpy as np

BUILTIN, FAST = 'AAIGrid', 'FastAAIGrid'
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_WORKLOADS = ['dem', 'int', 'f32', 'sci', 'tiles', 'gz', 'write']
GROUPS = ['patterns', 'sweep', 'shapes', 'concurrency']    # see the docstring
SIZES = {  # quick?: (dem/int side, f32/sci/shapes/concurrency side, number of tiles, tile side)
    False: (4000, 2000, 2858, 100),
    True: (1000, 500, 200, 100),
}
SWEEP_SIDES = {False: [10, 100, 300, 1000, 2000, 4000], True: [10, 100, 300, 1000]}
RESAMPLED_SIDE = {False: 1000, True: 250}
THREADS = 8            # readers at once in 'concurrency'

# Measure names; TARGETS is keyed by (workload or '*', measure).
OPEN, FULL, FULL_T1, LAST_ROW = 'open', 'full read', 'full read, NUM_THREADS=1', 'last row first'
FULL_REUSED = 'full read into a reused array'
TRANSLATE, PEAK_RSS, RSS_OVER = 'gdal_translate to GTiff', 'peak RSS, full read', 'RSS overhead above raster'
TILES, TILES_EMPTY = 'open+read all tiles', 'open+read all, READDIR_ON_OPEN=EMPTY_DIR'
WRITE, WRITE_SIZE, ROUND_TRIP = 'CreateCopy', 'output size', 'round trip (read back our output)'
WRITE_F32, WRITE_I32 = 'CreateCopy Float32', 'CreateCopy Int32'
STATS_EXACT, STATS_APPROX, NEAREST, AVERAGE = 'stats exact', 'stats approx', '1000² nearest', '1000² average'
WINDOWS, CENTRE, OVERVIEWS, WARP = '512² windows random', 'centre 500²', 'overviews 2 4 8 16', 'warp 3857'
SEQUENTIAL, AT_ONCE = f'{THREADS} reads one after another', f'{THREADS} reads at once (threads)'
WALL_RATIO, CPU_RATIO = 'wall time, at once / one after another', 'CPU time, at once / one after another'
PEAK_THREADS, PEAK_THREADS_16 = 'peak threads above baseline', 'peak threads above baseline, GDAL_NUM_THREADS=16'

TARGETS = {
    ('dem', FULL): ('speedup', 15), ('f32', FULL): ('speedup', 15), ('sci', FULL): ('speedup', 15),
    ('int', FULL): ('speedup', 10),
    ('dem', FULL_T1): ('speedup', 8), ('int', FULL_T1): ('speedup', 5),
    ('dem', OPEN): ('speedup', 20), ('int', OPEN): ('speedup', 3),
    ('dem', LAST_ROW): ('speedup', 10),
    ('tiles', TILES): ('speedup', 3),
    ('gz', FULL): ('speedup', 2),
    ('dem', TRANSLATE): ('speedup', 4),
    ('*', RSS_OVER): ('max_ours', 32),
    ('write Float32', WRITE): ('speedup', 10), ('write Float32', WRITE_SIZE): ('max_ratio', 0.5),
    ('write Int32', WRITE): ('speedup', 5),
    ('*', ROUND_TRIP): ('ok', None),
    ('dem', STATS_EXACT): ('speedup', 15), ('dem', STATS_APPROX): ('speedup', 20),
    ('dem', NEAREST): ('speedup', 20), ('dem', AVERAGE): ('speedup', 12),
    ('dem', WINDOWS): ('speedup', 12), ('dem', CENTRE): ('speedup', 12),
    ('dem', OVERVIEWS): ('speedup', 12), ('dem', WARP): ('speedup', 6),
    ('numpy %.18e', FULL): ('speedup', 12), ('%.17g', FULL): ('speedup', 12),
    ('*', WALL_RATIO): ('max_ours', 1.1), ('*', CPU_RATIO): ('max_ours', 1.25),
    ('*', PEAK_THREADS_16): ('max_ours', THREADS + 16),
}
TARGETS.update({(f'sweep {n}²', measure): ('speedup', 5 if n >= 1000 else 1.0)
                for n in SWEEP_SIDES[False] for measure in (FULL, WRITE_F32, WRITE_I32, TRANSLATE)})

gdal = osr = None      # imported in main(), after GDAL_DRIVER_PATH is set
FAILURES = []          # correctness problems; any entry means exit status 1
NOTES = []             # lines for below the table


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Workload generation
# --------------------------------------------------------------------------

@dataclass
class Workload:
    name: str
    paths: list        # GDAL paths to open (several for 'tiles')
    nbytes: int        # bytes parsed (uncompressed size for gz), for MB/s


def asc_header(nrows, ncols, xll=500000.0, yll=4000000.0, cellsize=25.0, nodata=None):
    lines = [f'ncols        {ncols}', f'nrows        {nrows}', f'xllcorner    {xll:.6f}',
             f'yllcorner    {yll:.6f}', f'cellsize     {cellsize:.6f}']
    if nodata is not None:
        lines.append(f'NODATA_value {nodata}')
    return '\n'.join(lines) + '\n'


def write_asc(path, arr, fmt, header, fixup=None):
    """Write arr as an ASCII grid, formatting a whole row with one % operation."""
    row_fmt = ' '.join([fmt] * arr.shape[1]) + '\n'
    with open(path, 'w') as f:
        f.write(header)
        for row in arr:
            line = row_fmt % tuple(row.tolist())
            f.write(fixup(line) if fixup else line)


def with_nodata(arr, rng, fraction=0.01):
    arr[rng.random(arr.shape) < fraction] = -9999
    return arr


def dem_surface(n):
    """n x n float64 terrain heights (0 to 3000, 1 % nodata -9999), the same for every call."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:n, 0:n] / 1000.0
    z = (1500 + 700 * np.sin(1.5 * x + 1.3) * np.cos(1.2 * y) + 400 * np.sin(4.0 * (x + y))
         + 120 * np.sin(11.0 * x) * np.sin(9.0 * y) + rng.normal(0.0, 3.0, (n, n)))
    return with_nodata(np.clip(z, 0, 3000), rng)


def gen_dem(path, n):
    write_asc(path, dem_surface(n), '%.3f', asc_header(n, n, nodata=-9999),
              fixup=lambda line: line.replace('-9999.000', '-9999'))


def ensure_prj(asc_path, epsg=32633):
    """Give a grid a .prj (ESRI WKT, UTM zone 33N: the dem coordinates) unless it has one."""
    prj = os.path.splitext(asc_path)[0] + '.prj'
    if not os.path.exists(prj):
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        srs.MorphToESRI()
        with open(prj, 'w') as f:
            f.write(srs.ExportToWkt())


def dem_grid(workdir, n, quick):
    """Path of an n x n grid made like dem (dem.asc itself at its side), with a .prj."""
    name = 'dem.asc' if n == SIZES[quick][0] else f'dem_{n}.asc'
    path = cached(os.path.join(workdir, name), lambda tmp: gen_dem(tmp, n))
    ensure_prj(path)
    return path


def fortran_style(line):
    """'1.500E+03' -> '1.5E+03', '3.000E+03' -> '3.E+03', nodata -> '-9999.'."""
    return re.sub(r'0+E', 'E', line).replace('-9.999E+03', '-9999.')


SHAPES = [  # (workload, format of a value, fixup of a formatted row, NODATA_value in the header)
    ('numpy %.18e', '%.18e', None, -9999),        # numpy.savetxt's default
    ('%.17g', '%.17g', None, -9999),              # round-trip doubles
    ('R %.15g', '%.15g', None, -9999),            # R's 15 significant digits
    ('Fortran 1.5E+03', '%.3E', fortran_style, '-9999.'),
]


def gen_shape(path, n, fmt, fixup, nodata):
    write_asc(path, dem_surface(n), fmt, asc_header(n, n, nodata=nodata), fixup)


def gen_int(path, n):
    rng = np.random.default_rng(2)
    write_asc(path, with_nodata(rng.integers(0, 256, (n, n)), rng), '%d',
              asc_header(n, n, nodata=-9999))


def gen_f32(path, n):
    rng = np.random.default_rng(3)
    v = rng.uniform(1, 10, (n, n)) * 10.0 ** rng.integers(-12, 13, (n, n))
    v *= rng.choice([-1.0, 1.0], (n, n), p=[0.3, 0.7])
    write_asc(path, v.astype(np.float32), '%.9g', asc_header(n, n, cellsize=0.5))


def gen_sci(path, n):
    rng = np.random.default_rng(4)
    v = rng.normal(0.0, 1.0, (n, n)) * 10.0 ** rng.integers(-20, 21, (n, n))
    write_asc(path, v, '%.6e', asc_header(n, n, cellsize=0.5))


def gen_tiles(folder, count, side):
    rng = np.random.default_rng(5)
    os.makedirs(folder)
    for i in range(count):
        header = asc_header(side, side, xll=500000.0 + (i % 54) * side, yll=4000000.0 + (i // 54) * side,
                            cellsize=1.0, nodata=-9999)
        write_asc(os.path.join(folder, f'tile_{i:04d}.asc'), rng.uniform(0, 10, (side, side)), '%.3f', header)


def cached(path, make):
    """Run make(tmp_path) unless path exists; publish the result atomically."""
    if not os.path.exists(path):
        t0 = time.perf_counter()
        tmp = path + '.tmp'
        if os.path.isdir(tmp):      # left over from an interrupted run
            shutil.rmtree(tmp)
        make(tmp)
        os.replace(tmp, path)
        log(f'generated {os.path.basename(path)} in {time.perf_counter() - t0:.1f} s')
    return path


def prepare_workloads(workdir, quick, wanted):
    big, small, ntiles, tile = SIZES[quick]
    os.makedirs(workdir, exist_ok=True)
    p = lambda name: os.path.join(workdir, name)
    need = set(wanted) | ({'dem'} if {'gz', 'write', 'patterns'} & set(wanted) else set()) \
        | ({'int'} if 'write' in wanted else set())
    generators = {'dem': lambda t: gen_dem(t, big), 'int': lambda t: gen_int(t, big),
                  'f32': lambda t: gen_f32(t, small), 'sci': lambda t: gen_sci(t, small)}
    files, gzip_proc = {}, None
    for name, generate in generators.items():
        if name in need:
            files[name] = cached(p(name + '.asc'), generate)
        if name == 'dem' and 'gz' in need and not os.path.exists(p('dem.asc.gz')):
            gzip_out = open(p('dem.asc.gz.tmp'), 'wb')      # compress while generating the rest
            gzip_proc = subprocess.Popen(['gzip', '-6', '-c', files['dem']], stdout=gzip_out)
    if 'dem' in files:
        ensure_prj(files['dem'])
    if 'tiles' in need:
        cached(p('tiles'), lambda t: gen_tiles(t, ntiles, tile))
    if gzip_proc:
        if gzip_proc.wait() != 0:
            sys.exit('gzip failed')
        gzip_out.close()
        os.replace(p('dem.asc.gz.tmp'), p('dem.asc.gz'))
        log('generated dem.asc.gz')

    workloads = {name: Workload(name, [path], os.path.getsize(path)) for name, path in files.items()}
    if 'gz' in need:
        workloads['gz'] = Workload('gz', ['/vsigzip/' + p('dem.asc.gz')], workloads['dem'].nbytes)
    if 'tiles' in need:
        tiles = sorted(os.path.join(p('tiles'), f) for f in os.listdir(p('tiles')))
        workloads['tiles'] = Workload('tiles', tiles, sum(os.path.getsize(t) for t in tiles))
    return workloads


# --------------------------------------------------------------------------
# Measures (each returns seconds for one run of one driver)
# --------------------------------------------------------------------------

def open_ds(path, drv, oo):
    return gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=[drv], open_options=oo)


def t_open(path, drv, oo, loops=10):
    """Mean of `loops` open+close cycles (a single open can take ~1 ms)."""
    t0 = time.perf_counter()
    for _ in range(loops):
        open_ds(path, drv, oo)   # unreferenced: closed at once
    return (time.perf_counter() - t0) / loops


def t_full_read(path, drv, oo):
    t0 = time.perf_counter()
    ds = open_ds(path, drv, oo)
    ds.GetRasterBand(1).ReadAsArray()
    ds = None
    return time.perf_counter() - t0


_reuse_buffers = {}


def t_full_read_reused(path, drv, oo):
    """Full read into an array allocated once per file and driver: the parse without the
    page faults of a fresh result array (costly on VMs that hand freed memory back)."""
    ds = open_ds(path, drv, oo)
    band = ds.GetRasterBand(1)
    key = (path, drv)
    if key not in _reuse_buffers:
        _reuse_buffers[key] = band.ReadAsArray()
    buf = _reuse_buffers[key]
    ds = None
    t0 = time.perf_counter()
    ds = open_ds(path, drv, oo)
    ds.GetRasterBand(1).ReadAsArray(buf_obj=buf)
    ds = None
    return time.perf_counter() - t0


def t_last_row(path, drv, oo):
    t0 = time.perf_counter()
    ds = open_ds(path, drv, oo)
    ds.GetRasterBand(1).ReadAsArray(0, ds.RasterYSize - 1, ds.RasterXSize, 1)
    ds = None
    return time.perf_counter() - t0


def t_tiles(paths, drv, oo):
    return sum(t_full_read(p, drv, oo) for p in paths)


def remove_outputs(path):
    for f in (path, path + '.aux.xml', os.path.splitext(path)[0] + '.prj'):
        if os.path.exists(f):
            os.remove(f)


def t_translate(path, drv, oo, workdir):
    out = os.path.join(workdir, f'translate_{drv}.tif')
    cmd = ['gdal_translate', '-q', '-if', drv, '-of', 'GTiff']
    for o in oo:
        cmd += ['-oo', o]
    t0 = time.perf_counter()
    subprocess.run(cmd + [path, out], check=True)
    elapsed = time.perf_counter() - t0
    remove_outputs(out)
    return elapsed


# Peak RSS comes from VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the
# parent across fork/vfork+exec, so a child of this (large) process would report
# at least the parent's RSS.  VmHWM belongs to the address space created by exec.
RSS_SCRIPT = '''
import sys
from osgeo import gdal
import numpy
gdal.UseExceptions()
path, drv, oo = sys.argv[1], sys.argv[2], sys.argv[3:]
if path:
    ds = gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=[drv], open_options=oo)
    arr = ds.GetRasterBand(1).ReadAsArray()
print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0])
'''


def peak_rss_mb(path='', drv='', oo=()):
    """Peak RSS (MB) of a fresh python that imports gdal+numpy and, if path, reads it."""
    out = subprocess.run([sys.executable, '-c', RSS_SCRIPT, path, drv, *oo],
                         check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024.0


def t_create_copy(src_path, drv, dst, sizes):
    src = gdal.Open(src_path)
    t0 = time.perf_counter()
    out = gdal.GetDriverByName(drv).CreateCopy(dst, src)
    del out                      # close = flush to disk, inside the timing
    elapsed = time.perf_counter() - t0
    sizes[drv] = os.path.getsize(dst)
    remove_outputs(dst)
    return elapsed


def looped(fn, min_s=0.05):
    """Mean of fn() (seconds that fn times itself), repeated until they add up to min_s:
    a single run of a small grid is too short to measure."""
    total, count = 0.0, 0
    while total < min_s:
        total += fn()
        count += 1
    return total / count


@contextlib.contextmanager
def config_option(key, value):
    old = gdal.GetConfigOption(key)
    gdal.SetConfigOption(key, value)
    try:
        yield
    finally:
        gdal.SetConfigOption(key, old)


def link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
    return dst


@contextlib.contextmanager
def fresh_link(path):
    """A hard link (or copy) of path and its .prj in a new folder, removed afterwards."""
    folder = tempfile.mkdtemp(dir=os.path.dirname(path))
    try:
        for f in (path, os.path.splitext(path)[0] + '.prj'):
            if os.path.exists(f):
                link_or_copy(f, os.path.join(folder, os.path.basename(f)))
        yield os.path.join(folder, os.path.basename(path))
    finally:
        shutil.rmtree(folder)


# Application access patterns: each opens the dem afresh; both drivers must return the same.

def read_resampled(ds, side, alg):
    return ds.GetRasterBand(1).ReadAsArray(buf_xsize=side, buf_ysize=side, resample_alg=alg)


def read_windows_random(ds, side=512, seed=7):
    """Every side x side window (the edge ones clipped), in a seeded random order."""
    w, h = ds.RasterXSize, ds.RasterYSize
    windows = [(x, y, min(side, w - x), min(side, h - y)) for y in range(0, h, side) for x in range(0, w, side)]
    band = ds.GetRasterBand(1)
    return [band.ReadAsArray(*windows[i]) for i in np.random.default_rng(seed).permutation(len(windows))]


def read_centre(ds, side=500):
    return ds.GetRasterBand(1).ReadAsArray((ds.RasterXSize - side) // 2, (ds.RasterYSize - side) // 2, side, side)


def t_pattern(op, path, drv, oo, results):
    """Seconds to open path, run op(ds) and close it; what op returned goes to results[drv]."""
    t0 = time.perf_counter()
    ds = open_ds(path, drv, oo)
    out = op(ds)
    ds = None
    elapsed = time.perf_counter() - t0
    results[drv] = out
    return elapsed


def t_overviews(path, drv, oo, results):
    """t_pattern of BuildOverviews into an external .ovr of a fresh hard link; the result is the .ovr's pixels."""
    with fresh_link(path) as link:
        elapsed = t_pattern(lambda ds: ds.BuildOverviews('NEAREST', [2, 4, 8, 16]), link, drv, oo, {})
        ovr = gdal.OpenEx(link + '.ovr', gdal.OF_RASTER, allowed_drivers=['GTiff'])
        band = ovr.GetRasterBand(1)      # (a band does not keep its dataset open)
        results[drv] = [band.ReadAsArray()] + [band.GetOverview(i).ReadAsArray()
                                               for i in range(band.GetOverviewCount())]
    return elapsed


def pattern_timers(quick):
    """(measure, timer(path, drv, oo, results) -> seconds) for each access pattern."""
    side = RESAMPLED_SIDE[quick]
    on_fresh_ds = lambda op: functools.partial(t_pattern, op)
    return [(STATS_EXACT, on_fresh_ds(lambda ds: ds.GetRasterBand(1).ComputeStatistics(False))),
            (STATS_APPROX, on_fresh_ds(lambda ds: ds.GetRasterBand(1).ComputeStatistics(True))),
            (NEAREST, on_fresh_ds(lambda ds: read_resampled(ds, side, gdal.GRIORA_NearestNeighbour))),
            (AVERAGE, on_fresh_ds(lambda ds: read_resampled(ds, side, gdal.GRIORA_Average))),
            (WINDOWS, on_fresh_ds(read_windows_random)),
            (OVERVIEWS, t_overviews),
            (WARP, on_fresh_ds(lambda ds: gdal.Warp('', ds, format='MEM', dstSRS='EPSG:3857'))),
            (CENTRE, on_fresh_ds(read_centre))]


# Concurrency

def thread_count():
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith('Threads:'))


class ThreadPeak:
    """Inside a with block, samples the process's thread count every `every` s; .peak is the
    highest seen, not counting the sampling thread."""

    def __init__(self, every=0.002):
        self.every, self.peak, self._stop = every, thread_count(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, thread_count() - 1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_reads(paths, drv, oo, at_once, ref, baseline):
    """Open and fully read every path, each in a thread of its own if at_once, else one after
    another: (wall s, process CPU s, peak threads above baseline). Pixels must equal ref."""
    arrays = [None] * len(paths)

    def read(i):
        ds = open_ds(paths[i], drv, oo)
        arrays[i] = ds.GetRasterBand(1).ReadAsArray()

    with ThreadPeak() as threads_seen:
        cpu0, t0 = time.process_time(), time.perf_counter()
        if at_once:
            threads = [threading.Thread(target=read, args=(i,)) for i in range(len(paths))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for i in range(len(paths)):
                read(i)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    for i, a in enumerate(arrays):
        reason = 'no result (exception?)' if a is None else compare_arrays(ref, a)
        if reason:
            mismatch(f'{drv} {"at once" if at_once else "one after another"} read {i}', reason)
    return wall, cpu, threads_seen.peak - baseline


def concurrency_rep(paths, drv, oo, ref, baseline):
    """One run one after another and one at once: {measure: value}."""
    seq_wall, seq_cpu, _ = run_reads(paths, drv, oo, False, ref, baseline)
    wall, cpu, peak = run_reads(paths, drv, oo, True, ref, baseline)
    return {SEQUENTIAL: seq_wall, AT_ONCE: wall, WALL_RATIO: wall / seq_wall, CPU_RATIO: cpu / seq_cpu,
            PEAK_THREADS: peak}


def median_of(samples):
    """Median of numbers, or per key of dicts of numbers."""
    if isinstance(samples[0], dict):
        return {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    return statistics.median(samples)


def alternating_median(fn, drivers, reps):
    """Run fn(driver) reps times per driver, alternating order; return medians."""
    samples = {d: [] for d in drivers}
    for rep in range(reps):
        for d in (drivers if rep % 2 == 0 else drivers[::-1]):
            samples[d].append(fn(d))
    return {d: median_of(v) for d, v in samples.items()}


# --------------------------------------------------------------------------
# Correctness
# --------------------------------------------------------------------------

def read_all(path, drv, oo):
    ds = open_ds(path, drv, oo)
    band = ds.GetRasterBand(1)
    return dict(array=band.ReadAsArray(), type=gdal.GetDataTypeName(band.DataType),
                geotransform=ds.GetGeoTransform(), nodata=band.GetNoDataValue())


def compare_arrays(a, b):
    """None if a and b are bit-identical (same dtype and shape), else a reason."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return f'dtype/shape {a.dtype}{a.shape} vs {b.dtype}{b.shape}'
    utype = np.dtype(f'u{a.itemsize}')
    ndiff = int(np.count_nonzero(a.view(utype) != b.view(utype)))
    return f'{ndiff} cells differ' if ndiff else None


def compare_results(a, b):
    """None if two results are identical, else a reason. A result is an array, a dataset (its
    geotransform and pixels), a list of results, or a value compared with ==."""
    if isinstance(a, gdal.Dataset):
        return compare_results([a.GetGeoTransform(), a.ReadAsArray()], [b.GetGeoTransform(), b.ReadAsArray()])
    if isinstance(a, np.ndarray):
        return compare_arrays(a, b)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        reasons = [f'[{i}] {r}' for i, (x, y) in enumerate(zip(a, b)) if (r := compare_results(x, y))]
        return '; '.join(reasons[:4]) + (f' and {len(reasons) - 4} more' if len(reasons) > 4 else '') or None
    return None if a == b else f'{a!r} vs {b!r}'


def mismatch(what, reason):
    msg = f'MISMATCH {what}: {reason}'
    FAILURES.append(msg)
    log('!' * 70 + '\n!!! ' + msg + '\n' + '!' * 70)


def warm_up_and_check(wl, drivers, oo):
    """Untimed read of every file by every driver; compares the results."""
    info = None
    for path in wl.paths:
        results = {d: read_all(path, d, oo[d]) for d in drivers}
        ref = results[drivers[0]]
        info = info or ref
        if len(drivers) < 2:
            continue
        ours = results[FAST]
        for key in ('type', 'geotransform', 'nodata'):
            if ref[key] != ours[key]:
                mismatch(f'{wl.name} {os.path.basename(path)} {key}', f'{ref[key]} vs {ours[key]}')
        reason = compare_arrays(ref['array'], ours['array'])
        if reason:
            mismatch(f'{wl.name} {os.path.basename(path)} pixels', reason)
        if len(wl.paths) == 1:   # the windowed read path of ours must agree too
            ds = open_ds(path, FAST, oo[FAST])
            last = ds.GetRasterBand(1).ReadAsArray(0, ds.RasterYSize - 1, ds.RasterXSize, 1)
            reason = compare_arrays(ref['array'][-1:], last)
            if reason:
                mismatch(f'{wl.name} last row', reason)
    a = info['array']
    return dict(type=info['type'], raster_bytes=a.nbytes, shape=a.shape)


# --------------------------------------------------------------------------
# Benchmark drivers per workload family
# --------------------------------------------------------------------------

@dataclass
class Row:
    workload: str
    measure: str
    base: object            # seconds, MB, bytes or 'OK'/'MISMATCH...' (unit decides)
    ours: object
    unit: str = 's'         # 's', 'MB', 'bytes', 'check', 'x' (a ratio), 'threads'
    base_bytes: int = 0     # bytes per run, for MB/s
    ours_bytes: int = 0


def timed_row(workload, measure, fn, drivers, reps, nbytes=0):
    """Row of the median seconds of fn(driver), the drivers alternating."""
    res = alternating_median(fn, drivers, reps)
    log(f'[{workload}] {measure}: ' + ', '.join(f'{d} {fmt_seconds(t)}' for d, t in res.items()))
    return Row(workload, measure, res.get(BUILTIN), res.get(FAST), base_bytes=nbytes, ours_bytes=nbytes)


def checked_workload(name, path, drivers, oo):
    wl = Workload(name, [path], os.path.getsize(path))
    warm_up_and_check(wl, drivers, oo)
    return wl


def bench_single_file(wl, args, drivers, oo, baseline_mb):
    path, rows = wl.paths[0], []
    info = warm_up_and_check(wl, drivers, oo)
    log(f'[{wl.name}] {info["shape"][1]}x{info["shape"][0]} {info["type"]}, {wl.nbytes / 1e6:.1f} MB')

    def add(measure, fn, drvs=drivers, oo=oo):
        rows.append(timed_row(wl.name, measure, lambda d: fn(path, d, oo[d]), drvs, args.reps, wl.nbytes))

    if wl.name != 'gz':
        add(OPEN, t_open)
    add(FULL, t_full_read)
    if wl.name in ('dem', 'int') and FAST in drivers:
        add(FULL_T1, t_full_read, [FAST], {FAST: ['NUM_THREADS=1']})
        rows[-1].base = rows[-2].base     # built-in has no threads: reuse its full read
    if wl.name == 'gz':
        return rows
    add(FULL_REUSED, t_full_read_reused)
    add(LAST_ROW, t_last_row)
    add(TRANSLATE, lambda p, d, o: t_translate(p, d, o, args.workdir))

    peak = {d: peak_rss_mb(path, d, oo[d]) for d in drivers}
    over = {d: peak[d] - baseline_mb - info['raster_bytes'] / 2**20 for d in drivers}
    rows.append(Row(wl.name, PEAK_RSS, peak.get(BUILTIN), peak.get(FAST), unit='MB'))
    rows.append(Row(wl.name, RSS_OVER, over.get(BUILTIN), over.get(FAST), unit='MB'))
    log(f'[{wl.name}] peak RSS: ' + ', '.join(f'{d} {v:.1f} MB' for d, v in peak.items()))
    return rows


def bench_tiles(wl, args, drivers, oo):
    warm_up_and_check(wl, drivers, oo)
    log(f'[tiles] {len(wl.paths)} files, {wl.nbytes / 1e6:.1f} MB')
    rows = []
    for measure, readdir in ((TILES, None), (TILES_EMPTY, 'EMPTY_DIR')):
        with config_option('GDAL_DISABLE_READDIR_ON_OPEN', readdir):
            rows.append(timed_row('tiles', measure, lambda d: t_tiles(wl.paths, d, oo[d]), drivers, args.reps,
                                  wl.nbytes))
    return rows


def make_tiff(asc_path, tif_path, gdal_type):
    src = open_ds(asc_path, BUILTIN, [])
    gdal.Translate(tif_path, src, format='GTiff', outputType=gdal_type).FlushCache()


def tiff_of(asc_path, gdal_type):
    """A GeoTIFF of the grid at asc_path converted to gdal_type, made once: <stem>_<type>.tif."""
    tif = f'{os.path.splitext(asc_path)[0]}_{gdal.GetDataTypeName(gdal_type)}.tif'
    return cached(tif, lambda tmp: make_tiff(asc_path, tmp, gdal_type))


def create_copy_row(workload, measure, src_path, dst, drivers, args):
    """Row of CreateCopy of src_path to dst by each driver; MB/s of each driver's output."""
    sizes = {}
    t_create_copy(src_path, drivers[-1], dst, sizes)   # warm-up
    row = timed_row(workload, measure, lambda d: looped(lambda: t_create_copy(src_path, d, dst, sizes)),
                    drivers, args.reps)
    row.base_bytes, row.ours_bytes = sizes.get(BUILTIN, 0), sizes.get(FAST, 0)
    log(f'[{workload}] {measure} output: ' + ', '.join(f'{d} {sizes[d] / 1e6:.1f} MB' for d in drivers))
    return row


def bench_writer(workloads, args, drivers, oo):
    rows = []
    for label, src_wl, gdal_type in (('write Float32', 'dem', gdal.GDT_Float32),
                                     ('write Int32', 'int', gdal.GDT_Int32)):
        src_path = tiff_of(workloads[src_wl].paths[0], gdal_type)
        dst = os.path.join(args.workdir, 'write_out.asc')
        row = create_copy_row(label, WRITE, src_path, dst, drivers, args)
        rows += [row, Row(label, WRITE_SIZE, row.base_bytes, row.ours_bytes, unit='bytes')]

        # Round trip: our output, read back by both readers, must equal the source.
        source = gdal.Open(src_path).ReadAsArray()
        gdal.GetDriverByName(FAST).CreateCopy(dst, gdal.Open(src_path))   # closed at once
        status = {}
        for reader in drivers:
            reason = compare_arrays(source, open_ds(dst, reader, oo[reader]).ReadAsArray())
            status[reader] = 'OK' if reason is None else 'MISMATCH'
            if reason:
                mismatch(f'{label} round trip read by {reader}', reason)
        remove_outputs(dst)
        rows.append(Row(label, ROUND_TRIP, status[BUILTIN], status[FAST], unit='check'))
    return rows


def bench_patterns(workloads, args, drivers, oo):
    wl, rows = workloads['dem'], []
    osr.SpatialReference().ImportFromEPSG(3857)      # PROJ's database opens here, not in the first warp
    with config_option('GDAL_PAM_ENABLED', 'NO'):   # no statistics or overviews found in an .aux.xml
        warm_up_and_check(wl, drivers, oo)
        for measure, timer in pattern_timers(args.quick):
            results = {}                             # driver: result of its last run
            rows.append(timed_row('dem', measure, lambda d: timer(wl.paths[0], d, oo[d], results), drivers,
                                  args.reps, 0 if measure == CENTRE else wl.nbytes))
            reason = compare_results(results[BUILTIN], results[FAST]) if len(results) == 2 else None
            if reason:
                mismatch(f'dem {measure}', reason)
    NOTES.append(f'dem patterns: each run opens the grid afresh, GDAL_PAM_ENABLED=NO; resampled reads into '
                 f'{RESAMPLED_SIDE[args.quick]}²; MB/s is of the whole file.')
    return rows


def bench_sweep(args, drivers, oo):
    rows, dst = [], os.path.join(args.workdir, 'write_out.asc')
    for n in SWEEP_SIDES[args.quick]:
        wl = checked_workload(f'sweep {n}²', dem_grid(args.workdir, n, args.quick), drivers, oo)
        asc = wl.paths[0]
        rows.append(timed_row(wl.name, FULL, lambda d: looped(lambda: t_full_read(asc, d, oo[d])),
                              drivers, args.reps, wl.nbytes))
        for measure, gdal_type in ((WRITE_F32, gdal.GDT_Float32), (WRITE_I32, gdal.GDT_Int32)):
            rows.append(create_copy_row(wl.name, measure, tiff_of(asc, gdal_type), dst, drivers, args))
        translate = lambda d: looped(lambda: t_translate(asc, d, oo[d], args.workdir))
        rows.append(timed_row(wl.name, TRANSLATE, translate, drivers, args.reps, wl.nbytes))
    return rows


def bench_shapes(args, drivers, oo):
    rows, n = [], SIZES[args.quick][1]
    for name, fmt, fixup, nodata in SHAPES:
        stem = 'shape_' + re.sub(r'\W', '', fmt)
        path = cached(os.path.join(args.workdir, stem + '.asc'), lambda tmp: gen_shape(tmp, n, fmt, fixup, nodata))
        wl = checked_workload(name, path, drivers, oo)
        rows.append(timed_row(name, FULL, lambda d: t_full_read(path, d, oo[d]), drivers, args.reps, wl.nbytes))
    return rows


def bench_concurrency(args, drivers, oo, baseline):
    """baseline: the threads of the process before its first GDAL read."""
    n = SIZES[args.quick][1]
    src = dem_grid(args.workdir, n, args.quick)
    name, nbytes = f'{THREADS} threads, {n}²', THREADS * os.path.getsize(src)
    ref = read_all(src, BUILTIN, [])['array']       # also warms the page cache
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        paths = [link_or_copy(src, os.path.join(folder, f'{i}.asc')) for i in range(THREADS)]
        res = alternating_median(lambda d: concurrency_rep(paths, d, oo[d], ref, baseline), drivers, args.reps)
        with config_option('GDAL_NUM_THREADS', '16'):
            for d in drivers:
                res[d][PEAK_THREADS_16] = run_reads(paths, d, oo[d], True, ref, baseline)[2]
    units = {WALL_RATIO: 'x', CPU_RATIO: 'x', PEAK_THREADS: 'threads', PEAK_THREADS_16: 'threads'}
    for d in drivers:
        log(f'[{name}] {d}: ' + ', '.join(f'{m} {v:.3g}' for m, v in res[d].items()))
    NOTES.append(f'{name}: each thread opens and reads its own hard link of one grid; ratios are medians of '
                 f'per-rep ratios; peak threads: the most seen (sampled every 2 ms) less the {baseline} of the '
                 'process before its first GDAL read, so threads that FastAAIGrid keeps (its pool) count in '
                 'the built-in\'s runs too; the targets are of FastAAIGrid.')
    return [Row(name, m, res.get(BUILTIN, {}).get(m), res.get(FAST, {}).get(m), units.get(m, 's'), nbytes, nbytes)
            for m in (SEQUENTIAL, AT_ONCE, WALL_RATIO, CPU_RATIO, PEAK_THREADS, PEAK_THREADS_16)]


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

UNIT_SUFFIX = {'MB': ' MB', 'x': '×', 'threads': ' threads'}     # of units that 'max_ours' can judge


def judge(row, quick=False):
    """(target text, ratio text, PASS/FAIL/'') for a row. The targets are set for the full
    sizes: with --quick they are shown but not judged (small grids are dominated by per-file
    overhead), except the correctness checks."""
    kind, value = TARGETS.get((row.workload, row.measure)) or TARGETS.get(('*', row.measure)) or (None, None)
    have_both = row.base is not None and row.ours is not None
    ratio_text, ok = '', None
    if row.unit == 's' and have_both:
        ratio = row.base / row.ours
        ratio_text, ok = f'{ratio:.1f}×', (ratio >= value if kind == 'speedup' else None)
    elif row.unit == 'bytes' and have_both:
        ratio = row.ours / row.base
        ratio_text, ok = f'{ratio:.2f}× size', (ratio <= value if kind == 'max_ratio' else None)
    elif row.unit in UNIT_SUFFIX and row.ours is not None and kind == 'max_ours':
        ok = row.ours <= value
    elif row.unit == 'check' and have_both:
        ok = row.base == 'OK' and row.ours == 'OK'
    target = {'speedup': f'≥{value}×', 'max_ours': f'≤{value}{UNIT_SUFFIX.get(row.unit, "")}',
              'max_ratio': f'≤{value}× size', 'ok': 'OK', None: ''}[kind]
    if quick and kind != 'ok' and kind is not None:
        target, ok = target + ' (full sizes)', None
    result = '' if kind is None else ('-' if ok is None else ('PASS' if ok else 'FAIL'))
    return target, ratio_text, result


def fmt_seconds(v):
    return f'{v * 1e6:.1f} µs' if v < 1e-3 else (f'{v * 1e3:.2f} ms' if v < 0.1 else f'{v:.3f} s')


def fmt_value(row, v):
    if v is None:
        return '-'
    if row.unit == 's':
        return fmt_seconds(v)
    if row.unit == 'MB':
        return f'{v:.1f} MB'
    if row.unit == 'x':
        return f'{v:.2f}×'
    if row.unit == 'threads':
        return f'{v:.0f}'
    return f'{v / 1e6:.1f} MB' if row.unit == 'bytes' else str(v)


def fmt_rate(v, nbytes):
    return f'{nbytes / 1e6 / v:.0f}' if v and nbytes else ''


def build_table(rows, header_lines, quick=False):
    cols = ['workload', 'measure', 'built-in', 'FastAAIGrid', 'built-in MB/s', 'FastAAIGrid MB/s',
            'ratio', 'target', 'result']
    lines = list(header_lines) + ['', '| ' + ' | '.join(cols) + ' |', '|' + '---|' * len(cols)]
    for r in rows:
        target, ratio, result = judge(r, quick)
        rates = (fmt_rate(r.base, r.base_bytes), fmt_rate(r.ours, r.ours_bytes)) if r.unit == 's' else ('', '')
        cells = [r.workload, r.measure, fmt_value(r, r.base), fmt_value(r, r.ours), *rates, ratio, target, result]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def machine_line(args):
    cpu = 'unknown CPU'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    threads = f', FastAAIGrid NUM_THREADS={args.threads}' if args.threads else ''
    return (f'Machine: {cpu}, nproc {len(os.sched_getaffinity(0))}, GDAL {gdal.__version__}, '
            f'{datetime.datetime.now():%Y-%m-%d %H:%M}; median of {args.reps} reps'
            f'{", QUICK sizes" if args.quick else ""}{threads}')


# --------------------------------------------------------------------------

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--plugin-dir', default=os.path.join(REPO, 'build'),
                    help='folder holding gdal_FastAAIGrid.so (default: <repo>/build)')
    ap.add_argument('--workdir', default='/tmp/fastaaigrid-bench')
    ap.add_argument('--reps', type=int, help='repetitions per measure (default 5, 1 with --quick)')
    ap.add_argument('--threads', type=int, help='pass NUM_THREADS=N to FastAAIGrid')
    ap.add_argument('--only', help='comma-separated workloads and groups of ' + ','.join(ALL_WORKLOADS + GROUPS))
    ap.add_argument('--quick', action='store_true', help='small sizes, 1 rep: a smoke test')
    ap.add_argument('--markdown-out', help='also write the table to this file')
    ap.add_argument('--builtin-only', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.reps = args.reps or (1 if args.quick else 5)
    choices = ALL_WORKLOADS + GROUPS
    args.only = args.only.split(',') if args.only else choices
    unknown = set(args.only) - set(choices)
    if unknown:
        ap.error(f'unknown workload(s) {",".join(sorted(unknown))}; choose from {",".join(choices)}')
    args.workdir = os.path.join(os.path.abspath(args.workdir), 'quick' if args.quick else 'full')
    return args


def main():
    global gdal, osr
    args = parse_args()
    plugin_dir = os.path.abspath(args.plugin_dir)
    plugin_found = os.path.isfile(os.path.join(plugin_dir, 'gdal_FastAAIGrid.so'))
    if not plugin_found and not args.builtin_only:
        sys.exit(f'error: {plugin_dir}/gdal_FastAAIGrid.so not found; build the plugin or pass --plugin-dir')
    if plugin_found:
        os.environ['GDAL_DRIVER_PATH'] = plugin_dir   # must precede the import; inherited by subprocesses
    from osgeo import gdal as _gdal, osr as _osr
    gdal, osr = _gdal, _osr
    gdal.UseExceptions()
    baseline_threads = thread_count()
    if args.builtin_only:
        drivers = [BUILTIN]
    elif gdal.GetDriverByName(FAST) is None:
        sys.exit(f'error: driver {FAST} is not registered although {plugin_dir}/gdal_FastAAIGrid.so exists '
                 '(GDAL refused to load it? try: GDAL_DRIVER_PATH=... CPL_DEBUG=ON gdalinfo --formats)')
    else:
        drivers = [BUILTIN, FAST]
    oo = {BUILTIN: [], FAST: [f'NUM_THREADS={args.threads}'] if args.threads else []}

    workloads = prepare_workloads(args.workdir, args.quick, args.only)
    baseline_mb = peak_rss_mb()
    log(f'baseline RSS (python + gdal + numpy): {baseline_mb:.1f} MB')
    groups = {'patterns': lambda: bench_patterns(workloads, args, drivers, oo),
              'sweep': lambda: bench_sweep(args, drivers, oo),
              'shapes': lambda: bench_shapes(args, drivers, oo),
              'concurrency': lambda: bench_concurrency(args, drivers, oo, baseline_threads)}
    rows = []
    for name in args.only:
        if name in groups:
            rows += groups[name]()
        elif name == 'tiles':
            rows += bench_tiles(workloads[name], args, drivers, oo)
        elif name == 'write':
            fast = gdal.GetDriverByName(FAST)
            if FAST in drivers and fast.GetMetadataItem('DCAP_CREATECOPY') == 'YES':
                rows += bench_writer(workloads, args, drivers, oo)
            else:
                log('[write] skipped: FastAAIGrid does not advertise DCAP_CREATECOPY')
        else:
            rows += bench_single_file(workloads[name], args, drivers, oo, baseline_mb)

    notes = [f'Baseline RSS of python + gdal + numpy: {baseline_mb:.1f} MB. '
             'RSS overhead = peak − baseline − raster size. gz MB/s is of the uncompressed text; '
             'writer MB/s is of each driver\'s own output.'] + NOTES
    table = build_table(rows, [machine_line(args)], args.quick) + '\n' + '\n\n'.join(notes) + '\n'
    if FAILURES:
        table += '\n**CORRECTNESS FAILURES:**\n' + ''.join(f'- {f}\n' for f in FAILURES)
    print(table)
    if args.markdown_out:
        with open(args.markdown_out, 'w') as f:
            f.write(table)
    if FAILURES:
        log(f'MISMATCH: {len(FAILURES)} correctness failure(s), see above')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
