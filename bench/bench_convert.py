#!/usr/bin/python3
"""Benchmark fastaaigrid-convert (tiles to COG) against GDAL's built-in AAIGrid driver.

    /usr/bin/python3 bench/bench_convert.py [--quick] [--only small,large]
        [--plugin-dir build] [--workdir /tmp/fastaaigrid-bench] [--shell-sample N]
        [--markdown-out FILE]

Workloads (generated into the work directory once, then reused):

small   2858 tiles of 100x100 (the ``tiles`` workload of bench.py, same files);
        --quick: 200 tiles
large   16 tiles of 4000x4000 DEM text, ~2.2 GB (one generated grid, copied with
        16 different origins); --quick: 4 tiles of 1000x1000

Each is converted to COG (default creation options) by:

shell loop     ``for f in *.asc; do gdal_translate -if AAIGrid -of COG ...; done``
python loop    one Python process: gdal.OpenEx(allowed_drivers=['AAIGrid']) + gdal.Translate
ours, local    ``python/fastaaigrid-convert DIR OUT`` (process pool, all cores)
ours, Dask N   the same command with ``--scheduler`` on a LocalCluster of N worker processes
               x 1 thread on 127.0.0.1 (N = 1, 2); starting the cluster is not timed

Every time is the wall time of one whole command (start-up included), into an empty
output folder.  The outputs of every method are compared by SHA-256 with the python
loop's (the built-in's): they must be byte-identical, else the exit status is 1.
Targets (full size, small tiles only; --quick shows them without judging): ours,
local >= 4x the python loop and >= 20x the shell loop.

On a real cluster: start ``dask scheduler`` on one host and ``dask worker
tcp://HOST:8786 --nworkers N --nthreads 1`` on each node (N = its cores for small
tiles), with the plugin installed (or ``--plugin-dir``), the sources and output folder
on a shared file system at the same path everywhere, then run ``fastaaigrid-convert
/shared/tiles /shared/out --scheduler tcp://HOST:8786``.  See python/README.md.
"""
import argparse
import datetime
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the tile generator of bench.py)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON_DIR = os.path.join(REPO, "python")
CONVERT = os.path.join(PYTHON_DIR, "fastaaigrid-convert")
SIZES = {  # quick?: {workload: (tiles, side)}
    False: {"small": (2858, 100), "large": (16, 4000)},
    True: {"small": (200, 100), "large": (4, 1000)},
}
TARGETS = {"python loop": 4.0, "shell loop": 20.0}     # ours, local: at least this many times faster
LOADS = []          # 1-minute load average at the start

PYTHON_LOOP = r"""
import os, sys
from osgeo import gdal
gdal.UseExceptions()
src, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    if name.endswith('.asc'):
        ds = gdal.OpenEx(os.path.join(src, name), gdal.OF_RASTER, allowed_drivers=['AAIGrid'])
        gdal.Translate(os.path.join(out, name[:-4] + '.tif'), ds, format='COG')
"""

SHELL_LOOP = r"""
set -e
src=$1; out=$2; n=$3
ls "$src"/*.asc | head -n "$n" | while read -r f; do
    gdal_translate -q -if AAIGrid -of COG "$f" "$out/$(basename "$f" .asc).tif"
done
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------

def small_tiles(workdir, count, side):
    return bench.cached(os.path.join(workdir, "tiles"), lambda t: bench.gen_tiles(t, count, side))


def large_tiles(workdir, count, side):
    """*count* copies of one DEM grid, each with its own origin (a row of tiles)."""
    def make(folder):
        os.makedirs(folder)
        grid = os.path.join(folder, "grid.tmp")
        bench.gen_dem(grid, side)
        with open(grid, "rb") as f:
            for _ in range(6):                     # the header bench.gen_dem wrote
                f.readline()
            body_start = f.tell()
        for i in range(count):
            header = bench.asc_header(side, side, xll=500000.0 + i * side * 25.0, nodata=-9999)
            with open(os.path.join(folder, f"big_{i:02d}.asc"), "wb") as out, open(grid, "rb") as src:
                out.write(header.encode())
                src.seek(body_start)
                shutil.copyfileobj(src, out, 16 << 20)
        os.remove(grid)
    return bench.cached(os.path.join(workdir, f"large{count}x{side}"), make)


# --------------------------------------------------------------------------
# Methods: each converts every tile of src into the empty folder out
# --------------------------------------------------------------------------

def run_timed(cmd, env):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def children_cpu_s():
    """CPU seconds (user + system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def shell_loop(src, out, env, n):
    return run_timed(["bash", "-c", SHELL_LOOP, "shell-loop", src, out, str(n)], env)


def python_loop(src, out, env):
    return run_timed([sys.executable, "-c", PYTHON_LOOP, src, out], env)


def ours_local(src, out, env):
    return run_timed([sys.executable, CONVERT, src, out, "--no-progress"], env)


def ours_dask(src, out, env, workers):
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, worker_dashboard_address=None, silence_logs=40)
    try:
        return run_timed([sys.executable, CONVERT, src, out, "--no-progress",
                          "--scheduler", cluster.scheduler_address], env)
    finally:
        cluster.close()


def manifest_cpu_s(out):
    """Our workers' CPU seconds, summed over the tiles (the manifest's cpu_s).

    Not from getrusage: the local pool's processes are children of a forkserver that
    nobody waits for, so their CPU time never reaches this process.
    """
    with open(os.path.join(out, "manifest.jsonl")) as f:
        return sum(json.loads(line).get("cpu_s", 0.0) for line in f)


def checksums(folder):
    sums = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".tif"):
            with open(os.path.join(folder, name), "rb") as f:
                sums[name] = hashlib.sha256(f.read()).hexdigest()
    return sums


# --------------------------------------------------------------------------

def bench_workload(name, src, args, env):
    tiles = sorted(f for f in os.listdir(src) if f.endswith(".asc"))
    shell_n = min(len(tiles), args.shell_sample or len(tiles))
    methods = [
        ("shell loop", lambda o: shell_loop(src, o, env, shell_n), shell_n),
        ("python loop", lambda o: python_loop(src, o, env), len(tiles)),
        ("ours, local", lambda o: ours_local(src, o, env), len(tiles)),
        ("ours, Dask 1 worker", lambda o: ours_dask(src, o, env, 1), len(tiles)),
        ("ours, Dask 2 workers", lambda o: ours_dask(src, o, env, 2), len(tiles)),
    ]
    results, sums, failures = {}, {}, []
    for method, fn, n in methods:
        out = os.path.join(args.workdir, "out", name, method.replace(",", "").replace(" ", "_"))
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        cpu0 = children_cpu_s()
        seconds = fn(out)
        cpu = manifest_cpu_s(out) if method.startswith("ours") else children_cpu_s() - cpu0
        results[method] = (n, seconds, cpu)
        sums[method] = checksums(out)
        log(f"[{name}] {method}: {n} tiles in {seconds:.2f} s = {n / seconds:.3g} tiles/s, "
            f"{1000 * cpu / n:.2f} ms CPU per tile")
        shutil.rmtree(out)
    reference = sums["python loop"]
    for method, got in sums.items():
        want = {k: reference[k] for k in got} if method == "shell loop" else reference
        if got != want:
            bad = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
            failures.append(f"{name}, {method}: {len(bad)} outputs differ from the built-in's, e.g. {bad[:3]}")
    return results, failures


def table(all_results, args):
    cores = len(os.sched_getaffinity(0))
    lines = ["| workload | method | tiles | time (s) | tiles/s | tiles/s per core | CPU ms per tile "
             "| ours, local vs this |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for name, results in all_results.items():
        ours_rate = results["ours, local"][0] / results["ours, local"][1]
        for method, (n, seconds, cpu) in results.items():
            rate = n / seconds
            used = {"shell loop": 1, "python loop": 1, "ours, Dask 1 worker": 1}.get(method, cores)
            ratio = ours_rate / rate
            lines.append(f"| {name} | {method} | {n} | {seconds:.2f} | {rate:.3g} | {rate / used:.3g} "
                         f"| {1000 * cpu / n:.2f} | {ratio:.2f}x |")
            if method in TARGETS and cpu > 0:
                cpu_ratio = (cpu / n) / (results["ours, local"][2] / results["ours, local"][0])
                verdicts.append(f"CPU per tile ({name}), {method} / ours, local: {cpu_ratio:.2f}x; with "
                                f"{cores} busy cores that projects to ~{cpu_ratio * cores:.1f}x on an idle "
                                "machine (an estimate, not judged)")
            if name == "small" and method in TARGETS:
                ok = ratio >= TARGETS[method]
                verdicts.append(f"ours, local vs {method} ({name}): {ratio:.2f}x, target >= "
                                f"{TARGETS[method]:g}x: " + ("not judged (--quick)" if args.quick
                                                             else "PASS" if ok else "FAIL"))
        one, two = (results[f"ours, Dask {k}"][:2] for k in ("1 worker", "2 workers"))
        verdicts.append(f"scaling ({name}): Dask 2 workers / 1 worker = "
                        f"{(two[0] / two[1]) / (one[0] / one[1]):.2f}x")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    head = (f"Machine: {cpu}, nproc {cores}, {datetime.datetime.now():%Y-%m-%d %H:%M}; one run each, "
            f"wall time of the whole command; {'QUICK sizes' if args.quick else 'full sizes'}. "
            "Tiles/s per core: divided by the cores the method can use (1 for the loops and Dask 1 worker). "
            "CPU ms per tile: loops: user + system time of all their processes; ours: the workers' CPU "
            "time per tile (the manifest's cpu_s: no start-up, coordinator or Dask overhead). It depends "
            "much less than wall time on what else runs on the machine; the 1-minute load average before and "
            f"after: {LOADS[0]} / {os.getloadavg()[0]:.1f}.")
    return head + "\n\n" + "\n".join(lines) + "\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    ap.add_argument("--only", default="small,large", help="comma-separated subset of small,large")
    ap.add_argument("--plugin-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--workdir", default="/tmp/fastaaigrid-bench")
    ap.add_argument("--shell-sample", type=int,
                    help="time the shell loop on the first N tiles only (its rate per tile is constant)")
    ap.add_argument("--markdown-out", help="also write the table to this file")
    args = ap.parse_args()
    args.only = args.only.split(",")
    if set(args.only) - {"small", "large"}:
        ap.error("--only takes small, large or both")
    args.workdir = os.path.join(os.path.abspath(args.workdir), "quick" if args.quick else "full")
    return args


def main():
    LOADS.append(f"{os.getloadavg()[0]:.1f}")
    args = parse_args()
    plugin_dir = os.path.abspath(args.plugin_dir)
    if not os.path.isfile(os.path.join(plugin_dir, "gdal_FastAAIGrid.so")):
        sys.exit(f"error: {plugin_dir}/gdal_FastAAIGrid.so not found; build the plugin or pass --plugin-dir")
    os.environ["GDAL_DRIVER_PATH"] = plugin_dir      # for every child, LocalCluster workers included
    sys.path.insert(0, PYTHON_DIR)                   # spawned Dask workers inherit sys.path
    env = dict(os.environ)
    os.makedirs(args.workdir, exist_ok=True)
    makers = {"small": small_tiles, "large": large_tiles}
    all_results, failures = {}, []
    for name in args.only:
        count, side = SIZES[args.quick][name]
        src = makers[name](args.workdir, count, side)
        log(f"[{name}] {count} tiles of {side}x{side} in {src}")
        all_results[name], bad = bench_workload(name, src, args, env)
        failures += bad
    text = table(all_results, args)
    for f in failures:
        text += f"- MISMATCH {f}\n"
    print(text)
    if args.markdown_out:
        with open(args.markdown_out, "w") as f:
            f.write(text)
    judged_fail = not args.quick and "FAIL" in text
    sys.exit(1 if failures or judged_fail else 0)


if __name__ == "__main__":
    main()
