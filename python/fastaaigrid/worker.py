"""The work on one tile, run in a worker process (local process pool or Dask worker).

``convert_batch(tiles, settings)`` is the one task function of both modes.  It
never raises for a bad tile: every tile gives one record (a dict, one line of
the manifest) with ``status`` ``"ok"`` or ``"failed"``.

A tile is written to ``<outdir>/<name>.tif.tmp-<host>-<pid>``, checked
(reopened: size, band count, data type), hashed (SHA-256 of the file's bytes)
and only then renamed to ``<outdir>/<name>.tif``.  A process that dies
mid-tile leaves at most a ``*.tif.tmp-*`` file, which the coordinator deletes.
"""

import contextlib
import ctypes
import glob
import hashlib
import os
import socket
import sys
import time
from dataclasses import dataclass

FAST = "FastAAIGrid"
OUTPUT_SUFFIX = ".tif"
TMP_MARK = ".tmp-"          # <name>.tif.tmp-<host>-<pid>[...]: never a finished output
SIDE_FILES = (".aux.xml", ".msk", ".ovr")   # what GDAL may write beside a GeoTIFF


class PluginMissing(RuntimeError):
    """The FastAAIGrid plugin is not registered in a worker process."""


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs besides the tiles (picklable)."""

    outdir: str
    fmt: str = "COG"                    # GDAL output driver: COG or GTiff
    creation_options: tuple = ()        # passed to gdal.Translate as given
    a_srs: str = None                   # assigned to tiles that have no SRS
    threads: int = 1                    # NUM_THREADS for parsing and for writing
    plugin_dir: str = None              # GDAL_DRIVER_PATH for the workers (None: GDAL's default)
    delay_s: float = 0.0                # testing only: sleep before each tile

    def output_key(self):
        """What decides an output's bytes (a resumed run redoes tiles whose key changed).

        NUM_THREADS is left out: it changes speed, not the file.
        """
        options = sorted(o for o in self.creation_options if not o.upper().startswith("NUM_THREADS="))
        return {"format": self.fmt, "creation_options": options, "a_srs": self.a_srs}


def output_path(outdir, tile_name):
    return os.path.join(outdir, tile_name + OUTPUT_SUFFIX)


def _undo_malloc_trim_threshold():
    """Give glibc malloc generous fixed thresholds where MALLOC_TRIM_THRESHOLD_ is set.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also
    switches off glibc's dynamic mmap threshold: every ~1 MB buffer GDAL's
    TIFF writer allocates for a tile is then mmapped, page-faulted and
    unmapped again.  Measured here: 3x the time of a 100x100 tile.
    """
    if not os.environ.get("MALLOC_TRIM_THRESHOLD_") or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:             # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 << 20)
    libc.mallopt(m_trim_threshold, 64 << 20)


def setup_gdal(plugin_dir):
    """Import osgeo.gdal with the plugin registered and exceptions on; return the module.

    GDAL_DRIVER_PATH only counts if set before GDAL registers its drivers, so
    it is set before the first import; if GDAL was imported earlier without
    it, the plugin folder is registered afterwards.
    """
    if "osgeo.gdal" not in sys.modules:        # the first call in this process
        _undo_malloc_trim_threshold()
        if plugin_dir:
            os.environ["GDAL_DRIVER_PATH"] = plugin_dir
    from osgeo import gdal

    gdal.UseExceptions()
    if gdal.GetDriverByName(FAST) is None and plugin_dir:
        gdal.SetConfigOption("GDAL_DRIVER_PATH", plugin_dir)
        gdal.AllRegister()
    if gdal.GetDriverByName(FAST) is None:
        raise PluginMissing(
            f"GDAL driver {FAST} is not registered in this process "
            f"(GDAL_DRIVER_PATH={os.environ.get('GDAL_DRIVER_PATH')!r}, --plugin-dir={plugin_dir!r}); "
            "install the plugin or point --plugin-dir at the folder holding gdal_FastAAIGrid.so"
        )
    return gdal


@contextlib.contextmanager
def outputs_without_listing(gdal):
    """Open and write our outputs without GDAL listing their folder (this thread only).

    On every open, GDAL lists the file's folder to find side files (.ovr,
    .msk, .aux.xml); the output folder holds two entries per tile, so that
    listing cost more than the open itself (0.8 ms a tile with 2858 tiles)
    and made BuildVRT 4x slower.  Our outputs have no side files: _verify
    refuses any.
    """
    key = "GDAL_DISABLE_READDIR_ON_OPEN"
    before = gdal.GetThreadLocalConfigOption(key, None)
    gdal.SetThreadLocalConfigOption(key, "EMPTY_DIR")
    try:
        yield
    finally:
        gdal.SetThreadLocalConfigOption(key, before)


def convert_batch(tiles, settings):
    """Convert *tiles* one after the other; return one record per tile."""
    try:
        gdal = setup_gdal(settings.plugin_dir)
    except Exception as e:          # e.g. no plugin on this worker: every tile fails, loudly
        return [failed_record(t, settings, f"worker setup: {e}") for t in tiles]
    return [convert_tile(gdal, tile, settings) for tile in tiles]


def convert_tile(gdal, tile, settings):
    """Convert one tile; return its record (never raises for a bad tile)."""
    final = output_path(settings.outdir, tile.name)
    tmp = f"{final}{TMP_MARK}{socket.gethostname()}-{os.getpid()}"
    marks = [time.perf_counter()]           # the start and the end of each phase done
    cpu0 = time.process_time()
    try:
        if settings.delay_s:
            time.sleep(settings.delay_s)
        ds = gdal.OpenEx(tile.source, gdal.OF_RASTER, allowed_drivers=[FAST],
                         open_options=[f"NUM_THREADS={settings.threads}"])
        marks.append(time.perf_counter())
        width, height, bands, dtype = expected = _shape(ds)
        with outputs_without_listing(gdal):
            out = gdal.Translate(tmp, ds, options=_translate_options(gdal, ds, settings))
            del out, ds                     # closing writes the file
            marks.append(time.perf_counter())
            checksum, nbytes, grid = _verify(gdal, tmp, expected)
        os.replace(tmp, final)
        marks.append(time.perf_counter())
        return _record(tile, settings, "ok", sha256=checksum, bytes=nbytes, width=width, height=height,
                       dtype=gdal.GetDataTypeName(dtype), grid=grid, **_timings(marks, cpu0))
    except Exception as e:
        _remove_tmp(tmp)
        return failed_record(tile, settings, f"{type(e).__name__}: {e}", **_timings(marks, cpu0))


def _timings(marks, cpu0):
    """Wall time of each phase done and in all; cpu_s: CPU time of this process meanwhile
    (all its threads: on a Dask worker running several tasks at once, theirs too)."""
    phases = ("open_s", "translate_s", "verify_s")
    timings = {name: marks[i + 1] - marks[i] for i, name in enumerate(phases[:len(marks) - 1])}
    timings["total_s"] = time.perf_counter() - marks[0]
    timings["cpu_s"] = time.process_time() - cpu0
    return timings


def _translate_options(gdal, ds, settings):
    options = list(settings.creation_options)
    if not any(o.upper().startswith("NUM_THREADS=") for o in options):
        options.append(f"NUM_THREADS={settings.threads}")
    assign_srs = settings.a_srs if settings.a_srs and ds.GetSpatialRef() is None else None
    return gdal.TranslateOptions(format=settings.fmt, creationOptions=options, outputSRS=assign_srs)


def _shape(ds):
    band = ds.GetRasterBand(1)
    return ds.RasterXSize, ds.RasterYSize, ds.RasterCount, band.DataType


def _verify(gdal, path, expected):
    """Reopen the written file; check it matches the source's shape; return (sha256, size, grid)."""
    ds = gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=["GTiff"])
    got = _shape(ds)
    grid = _grid(ds)
    ds = None
    if got != expected:
        raise RuntimeError(f"written file has (width, height, bands, type) {got}, expected {expected}")
    extra = [path + ext for ext in SIDE_FILES if os.path.exists(path + ext)]
    if extra:
        raise RuntimeError(f"GDAL wrote side files the output would lose: {extra}")
    return sha256_file(path), os.path.getsize(path), grid


def _grid(ds):
    """What the mosaic needs of an output, so that it need not open it again (see mosaic)."""
    band = ds.GetRasterBand(1)
    srs = ds.GetSpatialRef()
    return {"geotransform": list(ds.GetGeoTransform()), "srs": srs.ExportToWkt() if srs else None,
            "axes": list(srs.GetDataAxisToSRSAxisMapping()) if srs else None,
            "nodata": band.GetNoDataValue(), "block": list(band.GetBlockSize())}


def sha256_file(path):
    """The manifest's checksum: SHA-256 of the file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_tmp(tmp):
    for path in [tmp] + glob.glob(glob.escape(tmp) + ".*"):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def failed_record(tile, settings, error, **fields):
    return _record(tile, settings, "failed", error=error, **fields)


def _record(tile, settings, status, **fields):
    record = {
        "tile": tile.name,
        "status": status,
        "source": tile.source,
        "source_size": tile.size,
        "source_stamp": tile.stamp,
        "output": tile.name + OUTPUT_SUFFIX,
        "settings": settings.output_key(),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "finished": time.time(),
    }
    record.update({k: round(v, 6) if k.endswith("_s") else v for k, v in fields.items()})
    return record



def describe_worker(plugin_dir):
    """Preflight check run on one worker: raises if the plugin is not available there."""
    gdal = setup_gdal(plugin_dir)
    return {"gdal": gdal.__version__, "worker": f"{socket.gethostname()}:{os.getpid()}"}
