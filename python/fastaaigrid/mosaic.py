"""Mosaics of the converted tiles, built on a worker once all tiles are done.

The VRT refers to the tiles by paths relative to itself, so the output folder
can be moved as a whole.  Both files are written under a temporary name and
renamed when complete, like the tiles.
"""

import os
import socket

from .worker import TMP_MARK, output_path, setup_gdal


def _tmp_name(path):
    return f"{path}{TMP_MARK}{socket.gethostname()}-{os.getpid()}"


def build_vrt(outdir, vrt_name, tile_names, plugin_dir=None):
    """Write <outdir>/<vrt_name> over the tiles' outputs; return GDAL's warnings (tiles it left out)."""
    gdal = setup_gdal(plugin_dir)
    vrt_path = os.path.join(outdir, vrt_name)
    tmp = _tmp_name(vrt_path)
    warnings = []

    def collect(err_class, err_no, message):
        warnings.append(message)

    gdal.PushErrorHandler(collect)
    try:
        ds = gdal.BuildVRT(tmp, [output_path(outdir, name) for name in tile_names])
        del ds                  # closing writes the file
    finally:
        gdal.PopErrorHandler()
    os.replace(tmp, vrt_path)
    return warnings


def build_mosaic(outdir, vrt_name, mosaic_name, fmt, creation_options, plugin_dir=None):
    """Translate the VRT into one file (COG: with overviews), using every core of the worker."""
    gdal = setup_gdal(plugin_dir)
    path = os.path.join(outdir, mosaic_name)
    tmp = _tmp_name(path)
    options = list(creation_options)
    if not any(o.upper().startswith("NUM_THREADS=") for o in options):
        options.append("NUM_THREADS=ALL_CPUS")
    try:
        ds = gdal.Translate(tmp, os.path.join(outdir, vrt_name), format=fmt, creationOptions=options)
        del ds                  # closing writes the file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
