#!/usr/bin/python3
"""Benchmark FastAAIGrid against GDAL's built-in AAIGrid driver.

    /usr/bin/python3 bench/bench.py [--plugin-dir build] [--workdir DIR]
        [--reps 5] [--threads N] [--only dem,int,...] [--quick]
        [--markdown-out FILE]

Workloads are generated deterministically into the work directory (and reused
on later runs).  Both drivers are measured in the same run, alternating their
order on each repetition; every reported time is the median of --reps runs
with a warm page cache.  The untimed warm-up read also checks that both
drivers return bit-identical pixels; any mismatch makes the exit status 1.
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

BUILTIN, FAST = 'AAIGrid', 'FastAAIGrid'
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_WORKLOADS = ['dem', 'int', 'f32', 'sci', 'tiles', 'gz', 'write']
SIZES = {  # quick?: (dem/int side, f32/sci side, number of tiles, tile side)
    False: (4000, 2000, 2858, 100),
    True: (1000, 500, 200, 100),
}

# Measure names; TARGETS is keyed by (workload or '*', measure).
OPEN, FULL, FULL_T1, LAST_ROW = 'open', 'full read', 'full read, NUM_THREADS=1', 'last row first'
FULL_REUSED = 'full read into a reused array'
TRANSLATE, PEAK_RSS, RSS_OVER = 'gdal_translate to GTiff', 'peak RSS, full read', 'RSS overhead above raster'
TILES, TILES_EMPTY = 'open+read all tiles', 'open+read all, READDIR_ON_OPEN=EMPTY_DIR'
WRITE, WRITE_SIZE, ROUND_TRIP = 'CreateCopy', 'output size', 'round trip (read back our output)'

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
}

gdal = None            # imported in main(), after GDAL_DRIVER_PATH is set
FAILURES = []          # correctness problems; any entry means exit status 1


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


def gen_dem(path, n):
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:n, 0:n] / 1000.0
    z = (1500 + 700 * np.sin(1.5 * x + 1.3) * np.cos(1.2 * y) + 400 * np.sin(4.0 * (x + y))
         + 120 * np.sin(11.0 * x) * np.sin(9.0 * y) + rng.normal(0.0, 3.0, (n, n)))
    z = with_nodata(np.clip(z, 0, 3000), rng)
    write_asc(path, z, '%.3f', asc_header(n, n, nodata=-9999),
              fixup=lambda line: line.replace('-9999.000', '-9999'))


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
    need = set(wanted) | ({'dem'} if {'gz', 'write'} & set(wanted) else set()) \
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


def alternating_median(fn, drivers, reps):
    """Run fn(driver) reps times per driver, alternating order; return medians."""
    samples = {d: [] for d in drivers}
    for rep in range(reps):
        for d in (drivers if rep % 2 == 0 else drivers[::-1]):
            samples[d].append(fn(d))
    return {d: statistics.median(v) for d, v in samples.items()}


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
    unit: str = 's'         # 's', 'MB', 'bytes', 'check'
    base_bytes: int = 0     # bytes per run, for MB/s
    ours_bytes: int = 0


def bench_single_file(wl, args, drivers, oo, baseline_mb):
    path, rows = wl.paths[0], []
    info = warm_up_and_check(wl, drivers, oo)
    log(f'[{wl.name}] {info["shape"][1]}x{info["shape"][0]} {info["type"]}, {wl.nbytes / 1e6:.1f} MB')

    def add(measure, fn, drvs=drivers, oo=oo):
        res = alternating_median(lambda d: fn(path, d, oo[d]), drvs, args.reps)
        rows.append(Row(wl.name, measure, res.get(BUILTIN), res.get(FAST),
                        base_bytes=wl.nbytes, ours_bytes=wl.nbytes))
        log(f'[{wl.name}] {measure}: ' + ', '.join(f'{d} {t:.3f} s' for d, t in res.items()))

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
        gdal.SetConfigOption('GDAL_DISABLE_READDIR_ON_OPEN', readdir)
        res = alternating_median(lambda d: t_tiles(wl.paths, d, oo[d]), drivers, args.reps)
        gdal.SetConfigOption('GDAL_DISABLE_READDIR_ON_OPEN', None)
        rows.append(Row('tiles', measure, res.get(BUILTIN), res.get(FAST),
                        base_bytes=wl.nbytes, ours_bytes=wl.nbytes))
        log(f'[tiles] {measure}: ' + ', '.join(f'{d} {t:.3f} s' for d, t in res.items()))
    return rows


def make_tiff(asc_path, tif_path, gdal_type):
    src = open_ds(asc_path, BUILTIN, [])
    gdal.Translate(tif_path, src, format='GTiff', outputType=gdal_type).FlushCache()


def bench_writer(workloads, args, drivers, oo):
    rows = []
    for label, src_wl, gdal_type in (('write Float32', 'dem', gdal.GDT_Float32),
                                     ('write Int32', 'int', gdal.GDT_Int32)):
        src_path = os.path.join(args.workdir, f'{src_wl}_{gdal.GetDataTypeName(gdal_type)}.tif')
        cached(src_path, lambda tmp: make_tiff(workloads[src_wl].paths[0], tmp, gdal_type))
        dst = os.path.join(args.workdir, 'write_out.asc')
        sizes = {}
        t_create_copy(src_path, FAST, dst, sizes)   # warm-up
        res = alternating_median(lambda d: t_create_copy(src_path, d, dst, sizes), drivers, args.reps)
        rows.append(Row(label, WRITE, res[BUILTIN], res[FAST],
                        base_bytes=sizes[BUILTIN], ours_bytes=sizes[FAST]))
        rows.append(Row(label, WRITE_SIZE, sizes[BUILTIN], sizes[FAST], unit='bytes'))
        log(f'[{label}] ' + ', '.join(f'{d} {res[d]:.3f} s {sizes[d] / 1e6:.1f} MB' for d in drivers))

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


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

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
    elif row.unit == 'MB' and row.ours is not None and kind == 'max_ours':
        ok = row.ours <= value
    elif row.unit == 'check' and have_both:
        ok = row.base == 'OK' and row.ours == 'OK'
    target = {'speedup': f'≥{value}×', 'max_ours': f'≤{value} MB', 'max_ratio': f'≤{value}× size',
              'ok': 'OK', None: ''}[kind]
    if quick and kind != 'ok' and kind is not None:
        target, ok = target + ' (full sizes)', None
    result = '' if kind is None else ('-' if ok is None else ('PASS' if ok else 'FAIL'))
    return target, ratio_text, result


def fmt_value(row, v):
    if v is None:
        return '-'
    if row.unit == 's':
        return f'{v * 1e3:.2f} ms' if v < 0.1 else f'{v:.3f} s'
    if row.unit == 'MB':
        return f'{v:.1f} MB'
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
    ap.add_argument('--only', help='comma-separated subset of ' + ','.join(ALL_WORKLOADS))
    ap.add_argument('--quick', action='store_true', help='small sizes, 1 rep: a smoke test')
    ap.add_argument('--markdown-out', help='also write the table to this file')
    ap.add_argument('--builtin-only', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.reps = args.reps or (1 if args.quick else 5)
    args.only = args.only.split(',') if args.only else ALL_WORKLOADS
    unknown = set(args.only) - set(ALL_WORKLOADS)
    if unknown:
        ap.error(f'unknown workload(s) {",".join(sorted(unknown))}; choose from {",".join(ALL_WORKLOADS)}')
    args.workdir = os.path.join(os.path.abspath(args.workdir), 'quick' if args.quick else 'full')
    return args


def main():
    global gdal
    args = parse_args()
    plugin_dir = os.path.abspath(args.plugin_dir)
    plugin_found = os.path.isfile(os.path.join(plugin_dir, 'gdal_FastAAIGrid.so'))
    if not plugin_found and not args.builtin_only:
        sys.exit(f'error: {plugin_dir}/gdal_FastAAIGrid.so not found; build the plugin or pass --plugin-dir')
    if plugin_found:
        os.environ['GDAL_DRIVER_PATH'] = plugin_dir   # must precede the import; inherited by subprocesses
    from osgeo import gdal as _gdal
    gdal = _gdal
    gdal.UseExceptions()
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
    rows = []
    for name in args.only:
        if name == 'tiles':
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
             'writer MB/s is of each driver\'s own output.']
    table = build_table(rows, [machine_line(args)], args.quick) + '\n' + '\n'.join(notes) + '\n'
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
