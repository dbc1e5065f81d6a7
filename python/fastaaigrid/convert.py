"""Convert ESRI ASCII Grid tiles to COG/GeoTIFF, reading them through FastAAIGrid.

    fastaaigrid-convert SOURCES... OUTDIR [options]

SOURCES are folders (searched recursively for *.asc and *.zip), globs, zip
files (read in place through /vsizip/) and single files.  Each tile becomes
OUTDIR/<name>.tif, exactly what ``gdal_translate -of COG`` (or -of GTiff) with
the built-in driver makes of it; OUTDIR/mosaic.vrt covers them all, and
``--mosaic`` also writes one COG with overviews.

Runs on this machine's cores by default, or on a Dask distributed cluster with
``--scheduler tcp://host:port`` (OUTDIR and the sources must then be at the
same paths on the workers and here, e.g. on a shared file system).

Every attempt at a tile is a line of OUTDIR/manifest.jsonl (status, error,
SHA-256 of the output file, timings).  Re-running the same command skips tiles
already done and verified.  Exit status: 0 all tiles converted, 1 some failed
(listed in the summary), 2 usage error, 130 interrupted.

From Python::

    from fastaaigrid.convert import convert
    summary = convert(["tiles/"], "out/")                  # local processes
    summary = convert(["tiles/"], "out/", client=client)   # a dask.distributed.Client
"""

import argparse
import collections
import contextlib
import dataclasses
import datetime
import fcntl
import glob
import itertools
import os
import sys
import time

from . import mosaic, worker
from .manifest import MANIFEST_NAME, ManifestWriter, done_tiles
from .runners import Batch, DaskRunner, LocalRunner, WorkerLost, local_cores
from .sources import UsageError, find_tiles

LOCK_NAME = ".fastaaigrid-convert.lock"


@dataclasses.dataclass
class Summary:
    tiles: int = 0                      # tiles named by the sources
    converted: int = 0                  # converted in this run
    skipped: int = 0                    # done and verified by an earlier run
    failed: dict = dataclasses.field(default_factory=dict)      # tile name -> error message
    redone_batches: int = 0             # batches redone because their worker process died
    elapsed_s: float = 0.0
    where: str = ""
    outdir: str = ""
    vrt: str = None
    vrt_warnings: list = dataclasses.field(default_factory=list)
    mosaic: str = None

    @property
    def ok(self):
        return not self.failed

    def text(self, max_failed=20):
        rate = self.converted / self.elapsed_s if self.elapsed_s else 0.0
        lines = [f"{self.tiles} tiles: {self.converted} converted, {self.skipped} already done, "
                 f"{len(self.failed)} failed; {self.elapsed_s:.1f} s ({rate:.0f} tiles/s) on {self.where}"]
        if self.redone_batches:
            lines.append(f"{self.redone_batches} batch(es) redone after their worker process died")
        for name, error in sorted(self.failed.items())[:max_failed]:
            lines.append(f"FAILED {name}: {error}")
        if len(self.failed) > max_failed:
            lines.append(f"... and {len(self.failed) - max_failed} more failed tiles")
        if self.failed:
            lines.append(f"see {os.path.join(self.outdir, MANIFEST_NAME)}; re-run the same command "
                         "to retry the failed tiles")
        if self.vrt:
            lines.append(f"mosaic VRT: {self.vrt}")
        lines += [f"VRT warning: {w}" for w in self.vrt_warnings]
        if self.mosaic:
            lines.append(f"mosaic: {self.mosaic}")
        return "\n".join(lines)


def convert(sources, outdir, *, fmt="COG", creation_options=(), a_srs=None, vrt="mosaic.vrt",
            mosaic_name=None, client=None, scheduler=None, processes=None, threads=None,
            plugin_dir=None, progress=False, on_batch=None, debug_delay_s=0.0):
    """Convert the tiles named by *sources* into *outdir*; return a Summary.

    Runs on *client* (a dask.distributed.Client), else on the Dask scheduler at
    *scheduler*, else on a local pool of *processes* (default: one per core).
    *threads* is each tile's NUM_THREADS (default: cores per running tile).
    *on_batch(records)* is called in this process after each finished batch.
    Raises UsageError for bad arguments (nothing converted).
    """
    t0 = time.perf_counter()
    if fmt not in ("COG", "GTiff"):
        raise UsageError(f"output format must be COG or GTiff, not {fmt!r}")
    tiles = find_tiles(sources)
    if not tiles:
        raise UsageError(f"no .asc tiles found in {', '.join(sources)}")
    if mosaic_name in {worker.output_path("", t.name) for t in tiles}:
        raise UsageError(f"the mosaic's name {mosaic_name!r} is also a tile's output name")
    outdir = os.path.abspath(outdir)
    plugin_dir = os.path.abspath(plugin_dir) if plugin_dir else None
    os.makedirs(outdir, exist_ok=True)
    summary = Summary(tiles=len(tiles), outdir=outdir)
    base = worker.Settings(outdir=outdir, fmt=fmt, creation_options=tuple(creation_options),
                           a_srs=a_srs, plugin_dir=plugin_dir, delay_s=debug_delay_s)
    with _exclusive(outdir), _runner(client, scheduler, processes, len(tiles)) as runner:
        try:
            _preflight(runner, plugin_dir)
            settings = dataclasses.replace(base, threads=threads or runner.cores_per_slot())
            summary.where = _describe(runner, settings)
            done = _convert_tiles(runner, tiles, settings, summary, progress, on_batch)
        finally:
            _remove_partial_files(outdir)
        if vrt and done:
            summary.vrt = os.path.join(outdir, vrt)
            summary.vrt_warnings = mosaic.write_vrt(runner, outdir, vrt, done, plugin_dir)
            if mosaic_name:
                options = creation_options if fmt == "COG" else ()
                summary.mosaic = runner.call(mosaic.build_mosaic, outdir, vrt, mosaic_name, "COG",
                                             tuple(options), plugin_dir)
    summary.elapsed_s = time.perf_counter() - t0
    return summary


def _convert_tiles(runner, tiles, settings, summary, progress, on_batch):
    """Skip the tiles already done, convert the others; return {name: record} of all done tiles."""
    manifest_path = os.path.join(settings.outdir, MANIFEST_NAME)
    done = done_tiles(manifest_path, tiles, settings)
    todo = [t for t in tiles if t.name not in done]
    summary.skipped = len(done)
    run_id = f"{datetime.datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}"
    writer = ManifestWriter(manifest_path, run_id)
    bar = Progress(len(todo), enabled=progress)
    try:
        for records in _run_batches(runner, todo, settings, summary):
            writer.write(records)
            for r in records:
                if r["status"] == "ok":
                    done[r["tile"]] = r
                    summary.converted += 1
                else:
                    summary.failed[r["tile"]] = r.get("error", "")
            bar.update(len(records), len(summary.failed))
            if on_batch:
                on_batch(records)
    finally:
        bar.close()
        writer.close()
    return done


def _run_batches(runner, todo, settings, summary):
    """Yield the records of each finished batch; redo or fail the tiles of lost batches."""
    queue = collections.deque(make_batches(todo, runner.slots))
    new_id = itertools.count(len(queue))
    lost_count = collections.Counter()
    for batch, outcome in runner.run(queue, settings):
        if isinstance(outcome, list):
            yield outcome
        elif isinstance(outcome, WorkerLost) and len(batch.tiles) > 1:
            summary.redone_batches += 1     # redo tile by tile, so that a bad tile fails alone
            queue.extend(Batch(next(new_id), (t,)) for t in batch.tiles)
        elif isinstance(outcome, WorkerLost) and lost_count[batch.tiles[0]] < runner.lost_retries:
            summary.redone_batches += 1
            lost_count[batch.tiles[0]] += 1
            queue.append(Batch(next(new_id), batch.tiles))
        elif isinstance(outcome, WorkerLost):
            error = f"the worker process died while converting this tile, {outcome}"
            yield [worker.failed_record(batch.tiles[0], settings, error)]
        else:
            error = f"{type(outcome).__name__}: {outcome}"
            yield [worker.failed_record(t, settings, error) for t in batch.tiles]


def make_batches(tiles, slots, batches_per_slot=8, max_tiles=32):
    """Group tiles into batches of similar bytes, largest first, about 8 per slot.

    Several tiles per task keep the per-task cost (IPC, Dask scheduling) small
    against a 100x100 tile's ~5 ms; several batches per slot, largest first,
    keep the slots busy until the end.
    """
    budget = sum(t.size for t in tiles) / (max(1, slots) * batches_per_slot)
    batches, current, size = [], [], 0
    for tile in sorted(tiles, key=lambda t: -t.size):
        current.append(tile)
        size += tile.size
        if size >= budget or len(current) >= max_tiles:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return [Batch(i, tuple(b)) for i, b in enumerate(batches)]


@contextlib.contextmanager
def _runner(client, scheduler, processes, ntiles):
    """The runner for *client*, else for the scheduler at *scheduler*, else a local pool."""
    with contextlib.ExitStack() as stack:
        if client is None and scheduler:
            client = stack.enter_context(_connect(scheduler))
        if client is not None:
            try:
                runner = DaskRunner(client)
            except TimeoutError as e:
                raise UsageError(f"no Dask worker joined the scheduler: {e}") from e
        else:
            if processes is not None and processes < 1:
                raise UsageError("--processes must be at least 1")
            runner = LocalRunner(processes or max(1, min(local_cores(), ntiles)))
        try:
            yield runner
        except BaseException:
            runner.close(cancel=True)
            raise
        runner.close()


def _connect(scheduler):
    try:
        from distributed import Client
    except ImportError as e:
        raise UsageError("--scheduler needs the Python package distributed "
                         "(Debian: python3-distributed)") from e
    try:
        return Client(scheduler, timeout=30)
    except (OSError, TimeoutError) as e:
        raise UsageError(f"cannot connect to the Dask scheduler at {scheduler}: {e}") from e


def _preflight(runner, plugin_dir):
    try:
        runner.call(worker.describe_worker, plugin_dir)
    except worker.PluginMissing as e:
        raise UsageError(str(e)) from e


def _describe(runner, settings):
    kind = "Dask cluster" if isinstance(runner, DaskRunner) else "local processes"
    return f"{kind}: {runner.slots} tile(s) at once x NUM_THREADS={settings.threads}"


@contextlib.contextmanager
def _exclusive(outdir):
    """One run per output folder at a time; partial files of killed runs are deleted first."""
    with open(os.path.join(outdir, LOCK_NAME), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another fastaaigrid-convert is writing to {outdir}") from None
        _remove_partial_files(outdir)
        yield


def _remove_partial_files(outdir):
    for path in glob.glob(os.path.join(glob.escape(outdir), f"*{worker.TMP_MARK}*")):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


class Progress:
    """A one-line progress bar on stderr (only when enabled, e.g. on a terminal)."""

    def __init__(self, total, enabled):
        self.total, self.enabled = total, enabled and total > 0
        self.done = self.failed = 0
        self.t0 = self.shown = time.perf_counter()

    def update(self, n, failed):
        self.done += n
        self.failed = failed
        now = time.perf_counter()
        if self.enabled and (now - self.shown > 0.2 or self.done == self.total):
            self.shown = now
            rate = self.done / max(now - self.t0, 1e-9)
            eta = (self.total - self.done) / rate if rate else 0
            filled = int(30 * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} tiles, "
                             f"{self.failed} failed, {rate:.0f} tiles/s, ETA {eta:.0f} s ")
            sys.stderr.flush()

    def close(self):
        if self.enabled and self.done:
            sys.stderr.write("\n")


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(prog="fastaaigrid-convert", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", metavar="SOURCES... OUTDIR",
                    help="folders, globs, zip files or .asc files, then the output folder")
    ap.add_argument("-of", "--format", dest="fmt", default="COG", choices=["COG", "GTiff"],
                    help="output format (default COG)")
    ap.add_argument("-co", dest="creation_options", action="append", default=[], metavar="NAME=VALUE",
                    help="creation option, as for gdal_translate (repeatable); NUM_THREADS defaults "
                         "to the cores per running tile")
    ap.add_argument("--a-srs", dest="a_srs", metavar="SRS",
                    help="assign this SRS (EPSG:n, WKT, PROJ) to tiles that have none (no .prj)")
    ap.add_argument("--vrt", default="mosaic.vrt", metavar="NAME",
                    help="name of the VRT mosaic in OUTDIR (default mosaic.vrt)")
    ap.add_argument("--no-vrt", action="store_true", help="do not write the VRT mosaic")
    ap.add_argument("--mosaic", action="store_true",
                    help="also write one COG with overviews of all tiles")
    ap.add_argument("--mosaic-name", default="mosaic.tif", metavar="NAME",
                    help="name of that COG in OUTDIR (default mosaic.tif)")
    ap.add_argument("--scheduler", metavar="ADDRESS",
                    help="run on this Dask distributed scheduler, e.g. tcp://host:8786")
    ap.add_argument("--processes", type=int, metavar="N",
                    help="local worker processes (default: one per core)")
    ap.add_argument("--threads", type=int, metavar="N",
                    help="NUM_THREADS for each tile (default: cores / tiles running at once)")
    ap.add_argument("--plugin-dir", metavar="DIR",
                    help="folder holding gdal_FastAAIGrid.so (default: $GDAL_DRIVER_PATH, else "
                         "GDAL's plugin folder)")
    bar = ap.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show a progress bar (default: when stderr is a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    ap.add_argument("--debug-delay", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.mosaic and args.no_vrt:
        ap.error("--mosaic is made from the VRT: it cannot go with --no-vrt")
    if len(args.paths) < 2:
        ap.error("give at least one source and the output folder")
    if args.threads is not None and args.threads < 1:
        ap.error("--threads must be at least 1")
    for option in args.creation_options:
        if "=" not in option:
            ap.error(f"creation option {option!r} is not NAME=VALUE")
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        summary = convert(
            args.paths[:-1], args.paths[-1], fmt=args.fmt, creation_options=args.creation_options,
            a_srs=args.a_srs, vrt=None if args.no_vrt else args.vrt, mosaic_name=args.mosaic_name if args.mosaic else None,
            scheduler=args.scheduler, processes=args.processes, threads=args.threads,
            plugin_dir=args.plugin_dir, progress=args.progress, debug_delay_s=args.debug_delay)
    except UsageError as e:
        print(f"fastaaigrid-convert: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fastaaigrid-convert: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    print(summary.text())
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
