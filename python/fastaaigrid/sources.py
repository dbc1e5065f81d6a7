"""Finding the tiles to convert: folders, globs, zip files and single files.

Everything here is plain Python (no GDAL): the coordinator lists the tiles,
the workers open them.  A tile inside a zip file is read in place through
GDAL's ``/vsizip/`` file system; its ``.prj`` beside it in the zip is found
by GDAL the same way as for a plain file.
"""

import glob
import os
import zipfile
from dataclasses import dataclass

ASC_SUFFIX = ".asc"
ZIP_SUFFIX = ".zip"


class UsageError(Exception):
    """A problem with what the user asked for (exit status 2)."""


@dataclass(frozen=True)
class Tile:
    name: str      # output name without extension, unique within a run
    source: str    # the path GDAL opens: a file or /vsizip/<zip>/<member>
    size: int      # bytes of ASCII text (uncompressed size for zip members)
    stamp: str     # identifies this version of the source (mtime or zip CRC)


def find_tiles(sources):
    """All tiles named by *sources* (folders, globs, zip files, files), sorted by name.

    Folders are searched recursively for ``*.asc`` and ``*.zip``; a file named
    explicitly is taken whatever its extension.  The same file reached twice
    counts once; two different files with the same name are a UsageError,
    because their outputs would overwrite each other.
    """
    tiles = {}
    for source in sources:
        for tile in _expand(source):
            tiles.setdefault(tile.source, tile)
    by_name = {}
    for tile in tiles.values():
        by_name.setdefault(tile.name, []).append(tile.source)
    clashes = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    if clashes:
        shown = "; ".join(f"{n}: {', '.join(p)}" for n, p in sorted(clashes.items())[:5])
        raise UsageError(f"{len(clashes)} tile name(s) occur more than once, outputs would clash: {shown}")
    return sorted(tiles.values(), key=lambda t: t.name)


def _expand(source):
    if os.path.isdir(source):
        return _from_folder(source)
    if os.path.isfile(source):
        return _from_file(source, explicit=True)
    if glob.has_magic(source):
        matches = sorted(glob.glob(source, recursive=True))
        if not matches:
            raise UsageError(f"no file matches {source!r}")
        return [tile for match in matches for tile in _expand(match)]
    raise UsageError(f"no such file or folder: {source!r}")


def _from_folder(folder):
    tiles = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            tiles += _from_file(os.path.join(root, name), explicit=False)
    return tiles


def _from_file(path, explicit):
    lower = path.lower()
    if lower.endswith(ZIP_SUFFIX):
        return _from_zip(path)
    if explicit or lower.endswith(ASC_SUFFIX):
        st = os.stat(path)
        return [Tile(_stem(path), os.path.abspath(path), st.st_size, f"mtime:{st.st_mtime_ns}")]
    return []


def _from_zip(path):
    zip_path = os.path.abspath(path)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as e:
        raise UsageError(f"cannot read zip file {path!r}: {e}") from e
    return [
        Tile(_stem(m.filename), f"/vsizip/{zip_path}/{m.filename}", m.file_size, f"crc:{m.CRC:08x}")
        for m in members
        if not m.is_dir() and m.filename.lower().endswith(ASC_SUFFIX)
    ]


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]
