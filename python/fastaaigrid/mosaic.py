"""Mosaics of the converted tiles, made once all tiles are done.

The VRT refers to the tiles by paths relative to itself, so the output folder
can be moved as a whole.  Both files are written under a temporary name and
renamed when complete, like the tiles.

A tile set as published (one SRS, type, nodata and pixel size; tiles on one
north-up grid) gets its VRT from the tiles' records: what gdal.BuildVRT would
write, without opening every output again (0.14 ms a tile, on one core, after
the last tile).  Anything else is left to gdal.BuildVRT, which decides what
to leave out.
"""

import os
import socket
from html import escape    # xml.sax.saxutils imports urllib.request: 50 ms at start-up

from .worker import TMP_MARK, output_path, outputs_without_listing, setup_gdal


def _tmp_name(path):
    return f"{path}{TMP_MARK}{socket.gethostname()}-{os.getpid()}"


def write_vrt(runner, outdir, vrt_name, done, plugin_dir=None):
    """Write <outdir>/<vrt_name> over the *done* tiles ({name: record}); return the warnings
    about tiles left out."""
    names = sorted(done)
    xml = tile_set_vrt([done[n] for n in names])
    if xml is None:
        return runner.call(build_vrt, outdir, vrt_name, names, plugin_dir)
    path = os.path.join(outdir, vrt_name)
    tmp = _tmp_name(path)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(xml)
    os.replace(tmp, path)
    return []


def tile_set_vrt(records):
    """The VRT's XML over the tiles of *records* (in this order), as gdal.BuildVRT makes it;
    None unless they form a tile set (see the module doc) and every record has its grid."""
    if not records or not all(r.get("grid") for r in records):
        return None
    first, g = records[0], records[0]["grid"]
    _, res_x, rot_x, _, rot_y, res_y = g["geotransform"]

    def tile_key(r):    # what every tile must share (nodata by repr: NaN equals NaN)
        gt = r["grid"]["geotransform"]
        return (r["dtype"], r["grid"]["srs"], r["grid"].get("axes"), repr(r["grid"]["nodata"]),
                gt[1], gt[2], gt[4], gt[5])

    key = tile_key(first)
    if res_x <= 0 or res_y >= 0 or rot_x != 0 or rot_y != 0 or any(tile_key(r) != key for r in records):
        return None
    gts = [r["grid"]["geotransform"] for r in records]
    min_x = min(gt[0] for gt in gts)
    max_y = max(gt[3] for gt in gts)
    max_x = max(gt[0] + r["width"] * res_x for gt, r in zip(gts, records))
    min_y = min(gt[3] + r["height"] * res_y for gt, r in zip(gts, records))
    offsets = [((gt[0] - min_x) / res_x, (max_y - gt[3]) / -res_y) for gt in gts]
    if not all(x.is_integer() and y.is_integer() for x, y in offsets):
        return None                 # tiles off the grid: BuildVRT's resampling rules
    width = int(0.5 + (max_x - min_x) / res_x)
    height = int(0.5 + (max_y - min_y) / -res_y)
    nodata = g["nodata"]
    lines = [f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">']
    if g["srs"]:
        lines.append(f'  <SRS dataAxisToSRSAxisMapping="{",".join(map(str, g["axes"]))}">'
                     f'{escape(g["srs"], quote=False)}</SRS>')
    lines.append("  <GeoTransform>" + ", ".join(repr(v) for v in (min_x, res_x, 0.0, max_y, 0.0, res_y))
                 + "</GeoTransform>")
    lines.append(f'  <VRTRasterBand dataType="{first["dtype"]}" band="1">')
    if nodata is not None:
        lines.append(f"    <NoDataValue>{nodata!r}</NoDataValue>")
    lines.append("    <ColorInterp>Gray</ColorInterp>")
    kind = "SimpleSource" if nodata is None else "ComplexSource"
    for r, (x, y) in zip(records, offsets):
        w, h, (bx, by) = r["width"], r["height"], r["grid"]["block"]
        lines += [f"    <{kind}>",
                  f'      <SourceFilename relativeToVRT="1">{escape(r["output"], quote=False)}</SourceFilename>',
                  "      <SourceBand>1</SourceBand>",
                  f'      <SourceProperties RasterXSize="{w}" RasterYSize="{h}" DataType="{escape(r["dtype"])}"'
                  f' BlockXSize="{bx}" BlockYSize="{by}" />',
                  f'      <SrcRect xOff="0" yOff="0" xSize="{w}" ySize="{h}" />',
                  f'      <DstRect xOff="{int(x)}" yOff="{int(y)}" xSize="{w}" ySize="{h}" />']
        if nodata is not None:
            lines.append(f"      <NODATA>{nodata!r}</NODATA>")
        lines.append(f"    </{kind}>")
    lines += ["  </VRTRasterBand>", "</VRTDataset>", ""]
    return "\n".join(lines)


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
        with outputs_without_listing(gdal):
            ds = gdal.BuildVRT(tmp, [output_path(outdir, name) for name in tile_names])
            del ds              # closing writes the file
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
