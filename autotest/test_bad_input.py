"""Bad input: every malformed file must give a precise CPLError, never a crash,
a hang, silent zeros or a giant allocation.

The rule checked throughout:

* the message starts with ``FastAAIGrid: <file name>: `` and says what was
  expected, what was found and where: ``header, line L, column C`` for header
  errors, ``row R, column C (byte offset B)`` (1-based row/column) for data
  errors;
* header errors make the open fail (``None``); data errors let the open
  succeed and make the read fail (``ReadAsArray``, ``ReadRaster`` of one row,
  ``ReadBlock``), with the same message whichever path finds them.

Expected positions and offsets are computed from the text each test writes.
Where GDAL 3.6.2's built-in AAIGrid is silently wrong on the same input, the
test also pins down what the built-in does (the README's "Differences from
the built-in"); those assertions fail loudly if the built-in does not behave
as claimed.
"""

import gzip
import json
import os
import random
import re
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from osgeo import gdal

from conftest import (
    FAST,
    config_options,
    open_builtin,
    open_fast,
    plugin_env,
    quiet_errors,
    read_array,
    type_name,
    write_file,
    write_vsimem,
)

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

HEADER = ["ncols 4", "nrows 3", "xllcorner 100", "yllcorner 200", "cellsize 10"]
# Two-digit values: a file missing a value still passes the open-time size
# check (each value needs 2 bytes), so truncation is reported by the read.
ROWS = [["10", "11", "12", "13"], ["20", "21", "22", "23"], ["30", "31", "32", "33"]]
NCOLS, NROWS = 4, 3

_TOKEN = re.compile(rb"[^ \t\n\v\f\r]+")  # C isspace() in the C locale


def grid_text(rows=ROWS, header=HEADER, final_eol=True):
    text = "\n".join(header) + "\n" + "\n".join(" ".join(r) for r in rows)
    return text + ("\n" if final_eol else "")


def data_start(header=HEADER):
    return len(("\n".join(header) + "\n").encode())


def token_offset(content, index, header=HEADER):
    """Byte offset of the index-th (0-based) data token of *content*."""
    data = content.encode() if isinstance(content, str) else content
    start = data_start(header)
    for i, m in enumerate(_TOKEN.finditer(data, start)):
        if i == index:
            return m.start()
    raise AssertionError(f"test bug: no data token {index}")


def with_token(row, col, token, rows=ROWS):
    """ROWS with the value at 1-based (row, col) replaced by *token*."""
    out = [list(r) for r in rows]
    out[row - 1][col - 1] = token
    return out


def fast_open(path, open_options=None):
    """(dataset or None, error type, message) of a FastAAIGrid open."""
    gdal.ErrorReset()
    with quiet_errors():
        ds = open_fast(path, open_options)
    return ds, gdal.GetLastErrorType(), gdal.GetLastErrorMsg()


def open_clean(path, open_options=None):
    """Open that must succeed without any error or warning."""
    ds, err_type, msg = fast_open(path, open_options)
    assert ds is not None, f"FastAAIGrid failed to open {path}: {msg!r}"
    assert err_type == gdal.CE_None, f"unexpected message at open: {msg!r}"
    return ds


def open_fails(path, open_options=None):
    """Open that must fail with a CE_Failure; returns the message."""
    ds, err_type, msg = fast_open(path, open_options)
    assert ds is None, f"FastAAIGrid opened {path}, expected an error (message so far: {msg!r})"
    assert err_type == gdal.CE_Failure, f"open failed with error type {err_type}, message {msg!r}"
    return msg


def assert_message(msg, path, *fragments):
    """The message names the driver and the file, and contains every fragment."""
    assert msg, "no error message at all"
    assert f"{FAST}: {path}: " in msg, f"message does not name driver and file {path!r}: {msg!r}"
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} missing from message {msg!r}"


def read_fails(ds, how, row=None):
    """Read through one access path; it must fail with CE_Failure. Returns the message.

    how: "full" (ReadAsArray, the IRasterIO fast path), "row" (ReadRaster of
    one row through IRasterIO), "block" (ReadBlock -> IReadBlock), "resampled"
    (ReadRaster of one row into a 2x larger buffer: GDAL's block-based path,
    which calls IReadBlock through the block cache).
    """
    band = ds.GetRasterBand(1)
    w, h = ds.RasterXSize, ds.RasterYSize
    row = h - 1 if row is None else row
    gdal.ErrorReset()
    with quiet_errors():
        if how == "full":
            result = band.ReadAsArray()
        elif how == "row":
            result = band.ReadRaster(0, row, w, 1)
        elif how == "block":
            result = band.ReadBlock(0, row)
        elif how == "resampled":
            result = band.ReadRaster(0, row, w, 1, buf_xsize=2 * w, buf_ysize=2)
        else:
            raise AssertionError(how)
    msg = gdal.GetLastErrorMsg()
    assert result is None, f"read ({how}, row {row}) succeeded, expected an error; message: {msg!r}"
    assert gdal.GetLastErrorType() == gdal.CE_Failure, f"error type for {msg!r}"
    return msg


def builtin_pixels(path, open_options=None):
    """The built-in's (type, pixels) on *path*; fails if it cannot open or read it,
    or if it reports anything (the claims below are about *silent* misreads)."""
    gdal.ErrorReset()
    with quiet_errors():
        ds = open_builtin(path, open_options)
        assert ds is not None, f"claim about the built-in is wrong: it cannot open {path}"
        arr = ds.GetRasterBand(1).ReadAsArray()
    assert arr is not None, f"claim about the built-in is wrong: read failed: {gdal.GetLastErrorMsg()!r}"
    assert gdal.GetLastErrorMsg() == "", (
        f"claim about the built-in is wrong: it reported {gdal.GetLastErrorMsg()!r}"
    )
    return type_name(ds), arr


def builtin_read_error(path, open_options=None):
    """The built-in's read error message (it must open, then fail to read)."""
    gdal.ErrorReset()
    with quiet_errors():
        ds = open_builtin(path, open_options)
        assert ds is not None, f"claim about the built-in is wrong: it cannot open {path}"
        arr = ds.GetRasterBand(1).ReadAsArray()
    assert arr is None, "claim about the built-in is wrong: it read the file"
    return gdal.GetLastErrorMsg()


def builtin_opens_silently(path):
    gdal.ErrorReset()
    with quiet_errors():
        ds = open_builtin(path)
    assert ds is not None, f"claim about the built-in is wrong: it rejects {path}"
    assert gdal.GetLastErrorMsg() == "", (
        f"claim about the built-in is wrong: it reported {gdal.GetLastErrorMsg()!r}"
    )
    return ds


# --------------------------------------------------------------------------
# Data errors: truncated data
# --------------------------------------------------------------------------


@pytest.mark.parametrize("final_eol", [True, False], ids=["final_newline", "no_final_newline"])
@pytest.mark.parametrize("how", ["full", "row", "block", "resampled"])
def test_truncated_data_last_value_missing(final_eol, how):
    rows = [list(r) for r in ROWS]
    rows[-1] = rows[-1][:-1]  # 11 of 12 values
    content = grid_text(rows, final_eol=final_eol)
    path = write_vsimem("truncated.asc", content)

    msg = read_fails(open_clean(path), how)  # the last row, first thing read
    assert_message(
        msg, path,
        "expected 12 values (ncols 4 x nrows 3), found only 11",
        f"the file ends at byte offset {len(content)}",
        "row 3, column 4",
    )

    # The rows before the missing value read fine, also after the failure.
    ds = open_clean(path)
    read_fails(ds, "full")
    np.testing.assert_array_equal(read_array(ds, 0, 0, NCOLS, NROWS - 1),
                                  np.array(ROWS[:2], dtype=np.int32))


@pytest.mark.parametrize("change", ["truncated", "rewritten", "touched"])
@pytest.mark.parametrize("how", ["full", "row", "block", "resampled"])
def test_file_changed_after_open(tmp_path, change, how):
    """The row offsets learnt hold only for the file as it was at open: reading it after it
    changed is an error naming the file (the built-in reads from stale offsets)."""
    path = str(tmp_path / "changed.asc")
    write_file(path, grid_text())
    ds = open_fast(path)
    assert read_array(ds, 0, NROWS - 1, NCOLS, 1) is not None  # the row offsets are learnt
    before = os.stat(path)
    if change == "truncated":
        os.truncate(path, before.st_size - 4)
    elif change == "rewritten":  # other spellings: every row starts elsewhere
        write_file(path, grid_text([[v + ".0" for v in r] for r in ROWS]))
    # Whatever the file system's clock resolution, the modification time moves on.
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))
    msg = read_fails(ds, how, row=1)
    assert_message(msg, path, "the file changed after it was opened", "open it again")
    if how != "resampled":  # there GDAL wraps the message in its own, CPLE_AppDefined
        assert gdal.GetLastErrorNo() == gdal.CPLE_FileIO
    # Opened again, it reads as it is now.
    ds = open_fast(path)
    if change == "truncated":
        read_fails(ds, "full")
    else:
        assert read_array(ds).tolist()[1] == [20, 21, 22, 23]


def test_truncated_data_builtin_quirk():
    """3.6.2 built-in: a file lacking only its last value but ending with a newline
    reads 0 there, silently (reference 2.6); without the newline it errors."""
    rows = [list(r) for r in ROWS]
    rows[-1] = rows[-1][:-1]
    with_nl = write_vsimem("short_nl.asc", grid_text(rows))
    without_nl = write_vsimem("short_no_nl.asc", grid_text(rows, final_eol=False))
    _, arr = builtin_pixels(with_nl)
    assert arr[2, 3] == 0, f"built-in was expected to invent a 0, read {arr[2, 3]}"
    assert "File short" in builtin_read_error(without_nl)


def test_truncated_data_many_values_missing():
    """Half the grid missing, reading from the start: the count and the position."""
    rows = [[f"{100 + i}" for i in range(40)] for _ in range(10)]
    header = ["ncols 40", "nrows 20", "xllcorner 0", "yllcorner 0", "cellsize 1"]
    content = grid_text(rows, header)
    path = write_vsimem("half.asc", content)
    msg = read_fails(open_clean(path), "full")
    assert_message(
        msg, path,
        "expected 800 values (ncols 40 x nrows 20), found only 400",
        f"the file ends at byte offset {len(content)}",
        "before row 11, column 1",
    )


def test_truncated_tiny_grid_fails_at_open_with_size_check():
    """A grid of 1-digit values missing its last value is too small for the
    values it declares: the open-time size check refuses it with the sizes."""
    header = ["ncols 3", "nrows 2", "xllcorner 0", "yllcorner 0", "cellsize 1"]
    content = grid_text([["1", "2", "3"], ["4", "5"]], header)
    path = write_vsimem("tiny_short.asc", content)
    msg = open_fails(path)
    assert_message(
        msg, path,
        "ncols 3 x nrows 2 = 6 values cannot fit in the 10 bytes after the header",
    )


def test_size_check_accepts_minimal_file():
    """The smallest text that holds the values (no final newline) opens and reads."""
    header = ["ncols 3", "nrows 2", "xllcorner 0", "yllcorner 0", "cellsize 1"]
    path = write_vsimem("minimal.asc", "\n".join(header) + "\n1 2 3 4 5 6")
    np.testing.assert_array_equal(read_array(open_clean(path)), [[1, 2, 3], [4, 5, 6]])


# --------------------------------------------------------------------------
# Data errors: malformed tokens
# --------------------------------------------------------------------------

# token -> (what FastAAIGrid expects in an auto-detected grid, the 3.6.2 built-in's
#           silent value for it: atoi() in Int32 grids, CPLAtofM() in Float32 grids)
BAD_TOKENS = {
    "1.2.3": ("a number", np.float32(1.2)),
    "--5": ("an integer", 0),
    "12abc": ("an integer", 12),
    "abc": ("an integer", 0),
    "*": ("an integer", 0),
    "0x10": ("an integer", 0),
    "1e": ("a number", 1.0),
}


@pytest.mark.parametrize("forced", [None, "Float64"], ids=["auto", "Float64"])
@pytest.mark.parametrize("token", list(BAD_TOKENS))
def test_malformed_token(token, forced):
    row, col = 2, 3
    content = grid_text(with_token(row, col, token))
    path = write_vsimem("bad_token.asc", content)
    oo = [f"DATATYPE={forced}"] if forced else None
    want = "a number" if forced else BAD_TOKENS[token][0]
    expected = (
        f"row {row}, column {col} (byte offset {token_offset(content, (row - 1) * NCOLS + col - 1)}): "
        f"expected {want}, found '{token}'"
    )

    # Whole grid (IRasterIO), the bad row alone (IRasterIO and IReadBlock): same message.
    for how in ("full", "row", "block", "resampled"):
        msg = read_fails(open_clean(path, oo), how, row=row - 1)
        assert_message(msg, path, expected)

    # Rows around it are unaffected: the first rows, and the last row read first.
    ds = open_clean(path, oo)
    last = read_array(ds, 0, NROWS - 1, NCOLS, 1)
    np.testing.assert_array_equal(last, np.array([ROWS[-1]], dtype=last.dtype))
    np.testing.assert_array_equal(read_array(ds, 0, 0, NCOLS, 1), np.array([ROWS[0]], dtype=last.dtype))
    assert_message(read_fails(ds, "full"), path, expected)  # still fails after those reads


@pytest.mark.parametrize("token", list(BAD_TOKENS))
def test_malformed_token_builtin_quirk(token):
    """The 3.6.2 built-in reads these tokens as numbers, silently (reference 2.5)."""
    path = write_vsimem("bad_token.asc", grid_text(with_token(2, 3, token)))
    _, arr = builtin_pixels(path)
    assert arr[1, 2] == BAD_TOKENS[token][1], f"built-in read {arr[1, 2]!r}"


def test_commas_as_separators():
    """'10,11,12,13': one token per line, not four values."""
    rows = [[",".join(r)] for r in ROWS]
    content = grid_text(rows)
    path = write_vsimem("commas.asc", content)
    msg = read_fails(open_clean(path), "full")
    assert_message(
        msg, path,
        f"row 1, column 1 (byte offset {data_start()}): expected a number, found '10,11,12,13'",
    )
    # The built-in fails too, but calls it a short file (reference 2.6).
    assert "File short" in builtin_read_error(path)


# --------------------------------------------------------------------------
# Data errors: values that do not fit the band type
# --------------------------------------------------------------------------


@pytest.mark.parametrize("token, builtin_value", [
    ("3000000000", -1294967296),
    ("-3000000000", 1294967296),
    ("2147483648", -2147483648),
])
def test_int32_overflow(token, builtin_value):
    row, col = 2, 3
    content = grid_text(with_token(row, col, token))
    path = write_vsimem("overflow.asc", content)
    off = token_offset(content, (row - 1) * NCOLS + col - 1)
    for how in ("full", "row", "block"):
        msg = read_fails(open_clean(path), how, row=row - 1)
        assert_message(
            msg, path,
            f"row {row}, column {col} (byte offset {off}): "
            f"expected a value that fits the Int32 band, found '{token}'",
            "DATATYPE=Float64",
        )
    # The advice works.
    arr = read_array(open_clean(path, ["DATATYPE=Float64"]))
    assert arr[1, 2] == float(token)
    # 3.6.2 built-in: atoi() wraps around, silently.
    dtype, arr = builtin_pixels(path)
    assert dtype == "Int32" and arr[1, 2] == builtin_value, f"built-in read {arr[1, 2]!r}"


def test_int32_limits_are_not_errors():
    path = write_vsimem("limits.asc", grid_text(with_token(1, 1, "2147483647", with_token(3, 4, "-2147483648"))))
    arr = read_array(open_clean(path))
    assert arr.dtype == np.int32 and arr[0, 0] == 2147483647 and arr[2, 3] == -2147483648


@pytest.mark.parametrize("token", ["nan", "NaN", "inf", "-inf", "null"])
def test_non_finite_token_in_forced_int32_grid(token):
    row, col = 2, 3
    content = grid_text(with_token(row, col, token))
    path = write_vsimem("nan_int.asc", content)
    off = token_offset(content, (row - 1) * NCOLS + col - 1)
    for how in ("full", "row", "block"):
        msg = read_fails(open_clean(path, ["DATATYPE=Int32"]), how, row=row - 1)
        assert_message(
            msg, path,
            f"row {row}, column {col} (byte offset {off}): "
            f"expected a value that fits the Int32 band, found '{token}'",
        )
    # 3.6.2 built-in: atoi() gives 0, silently (reference 2.1 / 2.5).
    dtype, arr = builtin_pixels(path, ["DATATYPE=Int32"])
    assert dtype == "Int32" and arr[1, 2] == 0


# --------------------------------------------------------------------------
# Data errors: over-long tokens and binary data
# --------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1025, 2000, 100_000])
def test_token_longer_than_1024_bytes(length):
    """A 1025..100000-digit token: the message must say it is too long (the
    type is forced, so no open-time scan is involved)."""
    row, col = 2, 2
    token = "1" * length
    content = grid_text(with_token(row, col, token))
    path = write_vsimem("long_token.asc", content)
    off = token_offset(content, (row - 1) * NCOLS + col - 1)
    for how in ("full", "row", "block"):
        msg = read_fails(open_clean(path, ["DATATYPE=Float32"]), how, row=row - 1)
        assert_message(
            msg, path,
            f"row {row}, column {col} (byte offset {off}): expected a number, "
            "found a token longer than 1024 bytes ('1111",
        )
        assert len(msg) < 600, f"the whole token was copied into the message ({len(msg)} chars)"


def test_token_longer_than_1024_bytes_autodetect_open_succeeds():
    """Data error: the open (type detection scans the data) must not fail; the
    read reports the long token."""
    row, col = 2, 2
    content = grid_text(with_token(row, col, "1" * 100_000))
    path = write_vsimem("long_token_auto.asc", content)
    off = token_offset(content, (row - 1) * NCOLS + col - 1)
    ds, err_type, msg = fast_open(path)
    assert ds is not None, f"open failed on a data error: {msg!r}"
    msg = read_fails(ds, "full")
    assert_message(msg, path, f"row {row}, column {col} (byte offset {off})",
                   "found a token longer than 1024 bytes")


def test_token_too_long_builtin_errors_too():
    """(Not a silent misread: the built-in reports 'Token too long'.)"""
    path = write_vsimem("long_token.asc", grid_text(with_token(2, 2, "1" * 600)))
    assert "Token too long" in builtin_read_error(path)


def _nul_grid(where):
    """(content, header, ncols, row, col, rows) with a NUL inside one data token."""
    if where == "early":  # within the first bytes GDAL reads at open
        rows = [list(r) for r in ROWS]
        header, ncols, row, col = HEADER, NCOLS, 2, 3
        rows[row - 1][col - 1] = "2\x002"
    else:  # far from the start
        rows = [[str(1000 + 4 * r + c) for c in range(4)] for r in range(400)]
        header, ncols, row, col = (["ncols 4", "nrows 400", "xllcorner 0", "yllcorner 0", "cellsize 1"],
                                   4, 300, 2)
        rows[row - 1][col - 1] = "12\x0034"
    content = grid_text(rows, header)
    assert (content.index("\x00") > 4096) == (where == "late")
    return content, header, ncols, row, col, rows


@pytest.mark.parametrize("forced", [None, "Float32"], ids=["auto", "Float32"])
@pytest.mark.parametrize("where", ["early", "late"])
def test_nul_byte_in_data(where, forced):
    """A NUL inside a data token is a data error: the open succeeds, the read
    says 'binary data' and where."""
    content, header, ncols, row, col, rows = _nul_grid(where)
    path = write_vsimem("nul.asc", content)
    off = token_offset(content, (row - 1) * ncols + col - 1, header)
    shown = rows[row - 1][col - 1].replace("\x00", "?")
    oo = [f"DATATYPE={forced}"] if forced else None
    for how in ("full", "row", "block"):
        msg = read_fails(open_clean(path, oo), how, row=row - 1)
        assert_message(
            msg, path,
            f"row {row}, column {col} (byte offset {off}): expected text, found binary data",
            f"'{shown}'",
        )
    # Rows before and after it are fine.
    ds = open_clean(path, oo)
    h = len(rows)
    last = read_array(ds, 0, h - 1, ncols, 1).ravel()
    np.testing.assert_array_equal(last, [float(v) for v in rows[-1]])
    before = read_array(ds, 0, 0, ncols, row - 1)
    np.testing.assert_array_equal(before, np.array(rows[: row - 1], dtype=np.float64).astype(before.dtype))


def test_nul_bytes_in_header():
    """A line of NUL bytes inside the header: the message should say binary
    data / NUL, not blame a missing keyword."""
    content = "ncols 4\nnrows 3\n\x00\x00\x00\nxllcorner 100\nyllcorner 200\ncellsize 10\n" + \
        "\n".join(DATA_LINES) + "\n"
    path = write_vsimem("nul_header.asc", content)
    msg = open_fails(path)
    assert_message(msg, path, "header, line 3, column 1")
    assert "binary data" in msg or "NUL" in msg, f"the NUL bytes are not mentioned: {msg!r}"


# --------------------------------------------------------------------------
# Data errors: where they are found (random access)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("token, what", [
    ("5x1", "expected an integer, found '5x1'"),
    ("9999999999", "expected a value that fits the Int32 band, found '9999999999'"),
])
def test_error_in_last_row_same_message_on_every_path(token, what):
    rows = [[str(10 * r + c) for c in range(4)] for r in range(1, 51)]
    header = ["ncols 4", "nrows 50", "xllcorner 0", "yllcorner 0", "cellsize 1"]
    rows[-1][1] = token
    content = grid_text(rows, header)
    path = write_vsimem("last_row.asc", content)
    expected = f"row 50, column 2 (byte offset {token_offset(content, 49 * 4 + 1, header)}): {what}"
    messages = {}
    for how in ("row", "block", "resampled", "full"):
        msg = read_fails(open_clean(path), how)  # fresh dataset: the last row is the first read
        assert_message(msg, path, expected)
        messages[how] = msg[msg.index(f"{FAST}: "):]
    assert len(set(messages.values())) == 1, f"messages differ by access path: {messages}"

    # Reading rows in random order first does not change it.
    ds = open_clean(path)
    for y in random.Random(7).sample(range(49), 49):
        row = read_array(ds, 0, y, 4, 1)
        assert row.ravel().tolist() == [int(v) for v in rows[y]]
    assert_message(read_fails(ds, "row"), path, expected)
    assert_message(read_fails(ds, "full"), path, expected)


# --------------------------------------------------------------------------
# Header errors: the open fails, and says where
# --------------------------------------------------------------------------

DATA_LINES = [" ".join(r) for r in ROWS]


def _replace(lines, old_prefix, new):
    out = [new if line.split()[0] == old_prefix else line for line in lines]
    assert out != lines, old_prefix
    return out


def _drop(lines, key):
    return [line for line in lines if line.split()[0] != key]


# name -> (header lines, location "line L, column C", fragments,
#          claim about the 3.6.2 built-in: None (it rejects the file or is not
#          silently wrong) or a function(dataset) -> bool that must hold)
HEADER_CASES = {
    "missing_ncols": (_drop(HEADER, "ncols"), "line 5, column 1",
                      ["expected the keyword 'ncols' before the first value"], None),
    "missing_nrows": (_drop(HEADER, "nrows"), "line 5, column 1",
                      ["expected the keyword 'nrows' before the first value"], None),
    "missing_cellsize": (_drop(HEADER, "cellsize"), "line 5, column 1",
                         ["expected 'cellsize' (or both 'dx' and 'dy')", "found neither"], None),
    "only_dx": (_replace(HEADER, "cellsize", "dx 10"), "line 6, column 1",
                ["expected 'cellsize' (or both 'dx' and 'dy')", "found only 'dx'"], None),
    "only_dy": (_replace(HEADER, "cellsize", "dy 10"), "line 6, column 1",
                ["found only 'dy'"], None),
    "ncols_0": (_replace(HEADER, "ncols", "ncols 0"), "line 1, column 7",
                ["ncols: expected a whole number between 1 and 2147483647, found '0'"], None),
    "ncols_negative": (_replace(HEADER, "ncols", "ncols -5"), "line 1, column 7",
                       ["ncols: expected a whole number between 1 and 2147483647, found '-5'"], None),
    "ncols_fraction": (_replace(HEADER, "ncols", "ncols 4.7"), "line 1, column 7",
                       ["ncols: expected a whole number between 1 and 2147483647, found '4.7'"],
                       lambda ds: ds.RasterXSize == 4),  # atoi("4.7")
    "ncols_word": (_replace(HEADER, "ncols", "ncols abc"), "line 1, column 7",
                   ["ncols: expected a whole number between 1 and 2147483647, found 'abc'"], None),
    "nrows_huge": (_replace(HEADER, "nrows", "nrows 99999999999"), "line 2, column 7",
                   ["nrows: expected a whole number between 1 and 2147483647, found '99999999999'"], None),
    "ncols_over_64_bits": (_replace(HEADER, "ncols", "ncols 18446744073709551621"), "line 1, column 7",
                           ["found '18446744073709551621'"], None),
    "cellsize_0": (_replace(HEADER, "cellsize", "cellsize 0"), "line 5, column 10",
                   ["cellsize: expected a positive number, found '0'"],
                   lambda ds: ds.GetGeoTransform()[1] == 0),
    "cellsize_negative": (_replace(HEADER, "cellsize", "cellsize -1"), "line 5, column 10",
                          ["cellsize: expected a positive number, found '-1'"],
                          lambda ds: ds.GetGeoTransform()[1] == -1),
    "cellsize_word": (_replace(HEADER, "cellsize", "cellsize abc"), "line 5, column 10",
                      ["cellsize: expected a positive number, found 'abc'"],
                      lambda ds: ds.GetGeoTransform()[1] == 0),
    "nodata_word": (HEADER + ["NODATA_value abc"], "line 6, column 14",
                    ["NODATA_value: expected a number, nan, inf or null, found 'abc'"],
                    lambda ds: ds.GetRasterBand(1).GetNoDataValue() == 0),
    "duplicate_ncols": (HEADER + ["ncols 2"], "line 6, column 1",
                        ["keyword 'ncols' appears twice (first at line 1)", "expected each keyword once"],
                        lambda ds: ds.RasterXSize == 4),  # first one wins
    "mixed_corner_center": (_replace(HEADER, "yllcorner", "yllcenter 200"), "line 6, column 1",
                            ["expected xllcorner with yllcorner or xllcenter with yllcenter",
                             "found 'xllcorner' with 'yllcenter'"],
                            lambda ds: ds.GetGeoTransform()[0] == 0),  # xllcorner 100 ignored
    "only_xllcorner": (_drop(HEADER, "yllcorner"), "line 5, column 1",
                       ["expected both x and y of the lower-left point", "found only 'xllcorner'"],
                       lambda ds: ds.GetGeoTransform()[0] == 0),
    "only_yllcenter": (_drop(_replace(HEADER, "yllcorner", "yllcenter 200"), "xllcorner"), "line 5, column 1",
                       ["found only 'yllcenter'"], None),
}


@pytest.mark.parametrize("case", list(HEADER_CASES))
def test_header_error(case):
    header, where, fragments, _ = HEADER_CASES[case]
    path = write_vsimem(f"{case}.asc", "\n".join(header + DATA_LINES) + "\n")
    msg = open_fails(path)
    assert_message(msg, path, f"header, {where}: ", *fragments)
    assert "expected" in msg


@pytest.mark.parametrize("case", [c for c in HEADER_CASES if HEADER_CASES[c][3]])
def test_header_error_builtin_quirk(case):
    """The 3.6.2 built-in opens these files without a word (reference 1.3, 1.6)."""
    header, _, _, claim = HEADER_CASES[case]
    path = write_vsimem(f"{case}.asc", "\n".join(header + DATA_LINES) + "\n")
    ds = builtin_opens_silently(path)
    assert claim(ds), f"built-in: size {ds.RasterXSize}x{ds.RasterYSize}, gt {ds.GetGeoTransform()}, " \
                      f"nodata {ds.GetRasterBand(1).GetNoDataValue()}"


@pytest.mark.parametrize("trailer, where, what", [
    ("", "line 6, column 1", "expected the grid's values after the header, found the end of the file"),
    ("NODATA_value -9999\n", "line 7, column 1",
     "expected the grid's values after the header, found the end of the file"),
    ("NODATA_value", "line 6, column 13", "NODATA_value: expected a value, found the end of the file"),
])
def test_header_without_data(trailer, where, what):
    path = write_vsimem("no_data.asc", "\n".join(HEADER) + "\n" + trailer)
    assert_message(open_fails(path), path, f"header, {where}: {what}")


# --------------------------------------------------------------------------
# Sizes the file cannot hold: refused at once, nothing allocated
# --------------------------------------------------------------------------

_SIZE_PROBE = textwrap.dedent("""
    import json, resource, sys, time
    from osgeo import gdal
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    out = []
    for path in sys.argv[1:]:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        gdal.ErrorReset()
        t0 = time.perf_counter()
        ds = gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=["FastAAIGrid"])
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out.append(dict(path=path, opened=ds is not None, seconds=elapsed,
                        rss_growth_kib=after - before, type=gdal.GetLastErrorType(),
                        msg=gdal.GetLastErrorMsg()))
        ds = None
    print(json.dumps(out))
""")


def _size_probe(paths):
    proc = subprocess.run(
        [sys.executable, "-c", _SIZE_PROBE, *paths], capture_output=True, text=True,
        timeout=30, env=plugin_env(),
    )
    assert proc.returncode == 0, f"probe crashed (rc {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


HUGE = [
    (2000000000, 2000000000),
    (2147483647, 2147483647),
    (1, 2147483647),
    (100000, 100000),
]


def test_sizes_larger_than_the_file(tmp_path):
    body = "1 2 3\n4 5 6\n"
    paths, expected = [], []
    for ncols, nrows in HUGE:
        content = f"ncols {ncols}\nnrows {nrows}\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
        header_len = len(content)
        content += body
        plain = write_file(tmp_path / f"huge_{ncols}_{nrows}.asc", content)
        gz = str(tmp_path / f"huge_{ncols}_{nrows}.asc.gz")
        with open(gz, "wb") as f:
            f.write(gzip.compress(content.encode()))
        paths += [plain, "/vsigzip/" + gz]
        values = ncols * nrows
        expected.append(f"ncols {ncols} x nrows {nrows} = {values} values cannot fit in the "
                        f"{len(content) - header_len} bytes after the header")
        expected.append(f"ncols {ncols} x nrows {nrows} = {values} values cannot fit in the ")
    results = _size_probe(paths)
    for res, frag in zip(results, expected):
        path = res["path"]
        assert not res["opened"], f"{path} opened"
        assert res["type"] == gdal.CE_Failure
        assert_message(res["msg"], path, frag)
        assert res["seconds"] < 1.0, f"{path}: open took {res['seconds']:.2f} s"
        assert res["rss_growth_kib"] < 64 * 1024, f"{path}: peak RSS grew by {res['rss_growth_kib']} KiB"


def test_vsigzip_size_message_does_not_overstate_the_file(tmp_path):
    """Through /vsigzip/ the check uses an upper bound derived from the compressed
    size (x1100 + 64 KiB). The message must not present that bound as the number
    of bytes the file has after its header (12 here)."""
    content = "ncols 1000\nnrows 1000\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n4 5 6\n"
    gz = str(tmp_path / "grid.asc.gz")
    with open(gz, "wb") as f:
        f.write(gzip.compress(content.encode()))
    path = "/vsigzip/" + gz
    msg = open_fails(path)
    assert_message(msg, path, "ncols 1000 x nrows 1000 = 1000000 values cannot fit")
    stated = re.search(r"in the (\d+) bytes after the header", msg)
    if stated and int(stated.group(1)) != 12:
        assert re.search(r"at most|up to|compressed|bound", msg.replace(path, "")), (
            f"the message states {stated.group(1)} bytes after the header; the file has 12: {msg!r}"
        )


def test_vsigzip_short_data_reported_at_read(tmp_path):
    """Sizes within the compressed-size bound: the open succeeds, the read
    reports the missing values."""
    header = "ncols 100\nnrows 100\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
    content = header + "10 11 12\n13 14 15\n"
    gz = str(tmp_path / "short.asc.gz")
    with open(gz, "wb") as f:
        f.write(gzip.compress(content.encode()))
    path = "/vsigzip/" + gz
    msg = read_fails(open_clean(path), "full")
    assert_message(msg, path, "expected 10000 values (ncols 100 x nrows 100), found only 6",
                   f"the file ends at byte offset {len(content)}", "before row 1, column 7")


# --------------------------------------------------------------------------
# Files that are not (readable) text
# --------------------------------------------------------------------------


def test_empty_asc():
    path = write_vsimem("empty.asc", b"")
    assert_message(open_fails(path), path,
                   "expected an ESRI ASCII Grid header (ncols, nrows, ...), found an empty file")


def test_binary_asc():
    """Random bytes (with NULs) named .asc: FastAAIGrid declines quietly, since it is asked
    before every other driver and a binary .asc may well be another format (a GeoTIFF named
    .asc, see test_geotiff_named_asc_still_opens). GDAL then reports the file as not
    recognized, naming it."""
    rng = random.Random(42)
    data = bytearray(rng.randrange(1, 256) for _ in range(4096))
    data[200] = 0
    data[3000] = 0
    path = write_vsimem("binary.asc", bytes(data))
    gdal.ErrorReset()
    with quiet_errors():
        assert open_fast(path) is None
        assert gdal.GetLastErrorMsg() == ""
        assert gdal.Open(path) is None
        msg = gdal.GetLastErrorMsg()
    assert path in msg and "not recognized" in msg, msg


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")],
                         ids=["le", "be"])
@pytest.mark.parametrize("comments", ["", "# exported by a GIS\n# EPSG:25832\n",
                                      "".join(f"# comment line {i}\n" for i in range(80))],
                         ids=["plain", "comment-lines-first", "2-kb-of-comments-first"])
def test_utf16(encoding, bom, comments):
    path = write_vsimem("utf16.asc", bom + (comments + grid_text()).encode(encoding))
    assert_message(open_fails(path), path, "expected ASCII or UTF-8 text, found UTF-16",
                   "byte order mark at byte 0", "iconv")


def test_header_over_1_mib_after_first_key():
    comments = "".join(f"# comment line {i:07d}\n" for i in range(60000))  # ~1.4 MB
    assert len(comments) > (1 << 20)
    path = write_vsimem("big_header.asc", "ncols 4\n" + comments + "\n".join(HEADER[1:] + DATA_LINES) + "\n")
    t0 = time.perf_counter()
    msg = open_fails(path)
    assert time.perf_counter() - t0 < 2.0
    assert_message(msg, path, "expected the header to end within its first 1048576 bytes",
                   "found no value before byte offset 1048576")


def test_header_over_1_mib_of_leading_comments():
    """Same, but the comments come first (a common export layout): the .asc
    must be refused with the 1 MiB message, not silently left unrecognised."""
    comments = "".join(f"# comment line {i:07d}\n" for i in range(60000))
    path = write_vsimem("big_leading_comments.asc", comments + grid_text())
    msg = open_fails(path)
    assert_message(msg, path, "1048576")


def test_leading_comments_over_64_kib_within_header_limit():
    """100 KiB of leading comments is well inside the 1 MiB header limit (63 KiB
    opens): the grid must open, or at least a FastAAIGrid error must say why."""
    comments = "".join(f"# comment line {i:07d}\n" for i in range(4500))  # ~103 KB
    assert 65536 < len(comments) < (1 << 20)
    path = write_vsimem("leading_comments.asc", comments + grid_text())
    ds, err_type, msg = fast_open(path)
    assert ds is not None or FAST in msg, (
        f"not opened and no FastAAIGrid message (message: {msg!r})"
    )
    np.testing.assert_array_equal(read_array(ds), np.array(ROWS, dtype=np.int32))


# --------------------------------------------------------------------------
# Warnings: the file opens and reads
# --------------------------------------------------------------------------


def test_unknown_keyword_warns():
    header = HEADER + ["nodata -9999"]
    path = write_vsimem("unknown_key.asc", "\n".join(header + DATA_LINES) + "\n")
    ds, err_type, msg = fast_open(path)
    assert ds is not None, msg
    assert err_type == gdal.CE_Warning, f"expected a warning, got type {err_type}: {msg!r}"
    assert_message(msg, path, "header, line 6, column 1", "unknown header keyword 'nodata'",
                   "NODATA_value")
    assert ds.GetRasterBand(1).GetNoDataValue() is None
    np.testing.assert_array_equal(read_array(ds), np.array(ROWS, dtype=np.int32))
    # 3.6.2 built-in: ignores the line without a word (reference 1.3).
    ds = builtin_opens_silently(path)
    assert ds.GetRasterBand(1).GetNoDataValue() is None


@pytest.mark.parametrize("data, detected", [(DATA_LINES, "Int32"),
                                            (["1.5 " + DATA_LINES[0][3:]] + DATA_LINES[1:], "Float32")])
@pytest.mark.parametrize("value", ["Byte", "float", "Int64x", ""])
def test_invalid_datatype_open_option_warns(value, data, detected):
    path = write_vsimem("bad_dt.asc", "\n".join(HEADER + data) + "\n")
    ds, err_type, msg = fast_open(path, [f"DATATYPE={value}"])
    assert ds is not None, msg
    assert err_type == gdal.CE_Warning, f"type {err_type}: {msg!r}"
    assert_message(msg, path, f"DATATYPE: expected Int32, Float32, Float64 or AUTO, found '{value}'")
    assert type_name(ds) == detected
    read_array(ds)


@pytest.mark.parametrize("where", ["config", "open"])
@pytest.mark.parametrize("data, detected", [(DATA_LINES, "Int32"),
                                            (["1.5 " + DATA_LINES[0][3:]] + DATA_LINES[1:], "Float32")])
def test_datatype_auto_detects_without_warning(where, data, detected):
    """AUTO (ours): the file's own type, e.g. in QGIS, which sets AAIGRID_DATATYPE=Float64
    unless the user set it."""
    path = write_vsimem("auto.asc", "\n".join(HEADER + data) + "\n")
    with config_options({"AAIGRID_DATATYPE": "auto" if where == "config" else None}):
        ds, err_type, msg = fast_open(path, ["DATATYPE=AUTO"] if where == "open" else None)
    assert ds is not None and err_type == gdal.CE_None, msg
    assert type_name(ds) == detected
    ref = open_builtin(path)
    np.testing.assert_array_equal(read_array(ds), ref.ReadAsArray())


def test_invalid_datatype_config_option_warns():
    path = write_vsimem("bad_cfg.asc", grid_text())
    with config_options({"AAIGRID_DATATYPE": "Byte"}):
        ds, err_type, msg = fast_open(path)
    assert ds is not None and err_type == gdal.CE_Warning, msg
    assert_message(msg, path, "AAIGRID_DATATYPE: expected Int32, Float32, Float64 or AUTO, found 'Byte'")
    assert type_name(ds) == "Int32"


def test_invalid_datatype_builtin_names_the_config_option():
    """Documented quirk: the 3.6.2 built-in names AAIGRID_DATATYPE even when the
    open option was wrong (reference 2.2)."""
    path = write_vsimem("bad_dt.asc", grid_text())
    gdal.ErrorReset()
    with quiet_errors():
        ds = open_builtin(path, ["DATATYPE=Byte"])
    assert ds is not None
    assert "Unsupported value for AAIGRID_DATATYPE : Byte" in gdal.GetLastErrorMsg()


@pytest.mark.parametrize("value", ["0", "abc", "-3"])
def test_invalid_num_threads_warning_names_the_file(value):
    path = write_vsimem("threads.asc", grid_text())
    ds, err_type, msg = fast_open(path, [f"NUM_THREADS={value}"])
    assert ds is not None, msg
    assert err_type == gdal.CE_Warning, msg
    assert "NUM_THREADS" in msg and f"'{value}'" in msg, msg
    assert_message(msg, path)
    np.testing.assert_array_equal(read_array(ds), np.array(ROWS, dtype=np.int32))


# --------------------------------------------------------------------------
# Not ours: no error, other drivers unaffected
# --------------------------------------------------------------------------


def _geotiff_bytes():
    src = "/vsimem/src.tif"
    ds = gdal.GetDriverByName("GTiff").Create(src, 4, 3, 1, gdal.GDT_Byte)
    ds.GetRasterBand(1).WriteArray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    ds = None
    f = gdal.VSIFOpenL(src, "rb")
    gdal.VSIFSeekL(f, 0, 2)
    size = gdal.VSIFTellL(f)
    gdal.VSIFSeekL(f, 0, 0)
    data = gdal.VSIFReadL(1, size, f)
    gdal.VSIFCloseL(f)
    gdal.Unlink(src)
    return data


@pytest.mark.parametrize("name, content", [
    ("geotiff.txt", None),
    ("hello.txt", b"hello world\n"),
    ("hello.asc", b"hello world\n"),
    ("csv.asc", b"x,y,z\n1,2,3\n4,5,6\n"),
    ("geotiff.tif", None),
])
def test_not_an_ascii_grid_no_error(name, content):
    path = write_vsimem(name, content if content is not None else _geotiff_bytes())
    ds, err_type, msg = fast_open(path)
    assert ds is None
    assert msg == "" and err_type == gdal.CE_None, f"FastAAIGrid reported on a file not its own: {msg!r}"


@pytest.mark.parametrize("content", [b"hello", b"nco", b"hello\n"])
def test_single_word_asc_not_misreported(content):
    """A .asc holding one short word: like 'hello world' it is no grid header.
    If FastAAIGrid reports on it at all, the message must name the word, not
    talk about values 'after the header'."""
    path = write_vsimem("word.asc", content)
    ds, err_type, msg = fast_open(path)
    assert ds is None
    word = content.decode().strip()
    assert msg == "" or f"'{word}'" in msg, f"misleading message for a file holding {content!r}: {msg!r}"


@pytest.mark.parametrize("name", ["plain.tif", "renamed.txt"])
def test_geotiff_still_opens_with_plugin_loaded(name):
    path = write_vsimem(name, _geotiff_bytes())
    gdal.ErrorReset()
    with quiet_errors():
        ds = gdal.Open(path)
    assert ds is not None, gdal.GetLastErrorMsg()
    assert ds.GetDriver().ShortName == "GTiff"
    np.testing.assert_array_equal(ds.ReadAsArray(), np.arange(12).reshape(3, 4))


def test_geotiff_named_asc_still_opens():
    """A GeoTIFF saved under a .asc name is opened by GTiff without the plugin.
    FastAAIGrid claims every .asc holding a NUL byte ('binary data') and its
    CE_Failure stops GDAL's driver search, so GTiff is never asked."""
    path = write_vsimem("geotiff.asc", _geotiff_bytes())
    with quiet_errors():
        assert gdal.OpenEx(path, allowed_drivers=["GTiff"]) is not None  # guard: GTiff can read it
        gdal.ErrorReset()
        ds = gdal.Open(path)
    assert ds is not None, f"gdal.Open failed with the plugin loaded: {gdal.GetLastErrorMsg()!r}"
    assert ds.GetDriver().ShortName == "GTiff"


# --------------------------------------------------------------------------
# Update access
# --------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["Open", "OpenEx"])
def test_update_access_refused(tmp_path, how):
    path = write_file(tmp_path / "grid.asc", grid_text())
    before = open(path, "rb").read()
    gdal.ErrorReset()
    with quiet_errors():
        if how == "Open":
            ds = gdal.Open(path, gdal.GA_Update)
        else:
            ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_UPDATE, allowed_drivers=[FAST])
    assert ds is None
    assert gdal.GetLastErrorType() == gdal.CE_Failure
    assert_message(gdal.GetLastErrorMsg(), path, "read-only")
    assert open(path, "rb").read() == before


# --------------------------------------------------------------------------
# Robustness: mutation fuzzing in a subprocess
# --------------------------------------------------------------------------

_FUZZ = textwrap.dedent(r"""
    import json, os, random, sys, time
    from osgeo import gdal
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    seed, iterations, workdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)

    def base(i):
        r = random.Random(i)
        ncols, nrows = r.randint(1, 7), r.randint(1, 6)
        hdr = [f"ncols {ncols}", f"nrows {nrows}", "xllcorner 10.5", "yllcorner -3",
               "cellsize 0.25"]
        kind = i % 3
        if kind == 1:
            hdr.append("NODATA_value -9999")
        elif kind == 2:
            hdr.append("NODATA_value -9999.0")
        vals = [[str(r.choice([r.randint(-500, 500), r.uniform(-1e3, 1e3), -9999]))
                 for _ in range(ncols)] for _ in range(nrows)]
        if kind == 0:
            vals = [[v.split(".")[0] for v in row] for row in vals]
        return ("\n".join(hdr) + "\n" + "\n".join(" ".join(r) for r in vals) + "\n").encode()

    SPICE = [b"\x00", b"\xff\xfe", b"-", b"+", b".", b",", b"e", b"E", b"nan", b"inf", b"null",
             b"#", b"\r", b"\n", b"\t", b" ", b"9" * 40, b"ncols 3", b"nrows 99999999",
             b"cellsize 0", b"1e999", b"-0", b"*", b"\xef\xbb\xbf", b"1" * 1500]

    def mutate(data):
        data = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(6)
            pos = rng.randrange(len(data) + 1)
            if op == 0 and data:
                data[min(pos, len(data) - 1)] = rng.randrange(256)
            elif op == 1:
                data[pos:pos] = rng.choice(SPICE)
            elif op == 2 and data:
                del data[pos:pos + rng.randint(1, 8)]
            elif op == 3:
                del data[pos:]
            elif op == 4 and data:
                a = rng.randrange(len(data)); b = min(len(data), a + rng.randint(1, 30))
                data[pos:pos] = data[a:b]
            elif op == 5 and data:
                data[min(pos, len(data) - 1)] = rng.choice(b"0123456789 .-\n")
        return bytes(data)

    current = os.path.join(workdir, "current_input.bin")
    problems, stats = [], {"opened": 0, "refused": 0, "not_ours": 0, "read_ok": 0, "read_failed": 0}
    t_start = time.time()
    for i in range(iterations):
        data = mutate(base(i))
        with open(current, "wb") as f:   # so that a crash can be reproduced
            f.write(data)
        path = f"/vsimem/fuzz_{i}.asc"
        gdal.FileFromMemBuffer(path, data)
        gdal.ErrorReset()
        t0 = time.time()
        ds = gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=["FastAAIGrid"])
        msg, err_type = gdal.GetLastErrorMsg(), gdal.GetLastErrorType()
        if ds is None:
            claimed = gdal.IdentifyDriverEx(path, allowed_drivers=["FastAAIGrid"]) is not None
            if claimed or msg:
                stats["refused"] += 1
                if "FastAAIGrid" not in msg or err_type != gdal.CE_Failure:
                    problems.append(dict(i=i, stage="open", msg=msg, data=data.decode("latin-1")))
            else:
                stats["not_ours"] += 1
        else:
            stats["opened"] += 1
            band = ds.GetRasterBand(1)
            h = ds.RasterYSize
            gdal.ErrorReset()
            arr = band.ReadAsArray()
            if arr is None:
                stats["read_failed"] += 1
                m = gdal.GetLastErrorMsg()
                if "FastAAIGrid" not in m or gdal.GetLastErrorType() != gdal.CE_Failure:
                    problems.append(dict(i=i, stage="read", msg=m, data=data.decode("latin-1")))
            else:
                stats["read_ok"] += 1
            ds = None
            # Fresh dataset: last row first, then a block read of row 0.
            ds = gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=["FastAAIGrid"])
            if ds is not None:
                band = ds.GetRasterBand(1)
                gdal.ErrorReset()
                row = band.ReadAsArray(0, ds.RasterYSize - 1, ds.RasterXSize, 1)
                m = gdal.GetLastErrorMsg()
                if row is None and "FastAAIGrid" not in m:
                    problems.append(dict(i=i, stage="last_row", msg=m, data=data.decode("latin-1")))
                if row is not None and arr is not None and \
                        row.tobytes() != arr[-1:].tobytes():
                    problems.append(dict(i=i, stage="last_row_differs", msg="",
                                         data=data.decode("latin-1")))
                gdal.ErrorReset()
                blk = band.ReadBlock(0, 0)
                m = gdal.GetLastErrorMsg()
                if blk is None and "FastAAIGrid" not in m:
                    problems.append(dict(i=i, stage="block0", msg=m, data=data.decode("latin-1")))
                ds = None
        if time.time() - t0 > 2.0:
            problems.append(dict(i=i, stage="slow", msg=f"{time.time() - t0:.1f} s",
                                 data=data.decode("latin-1")))
        gdal.Unlink(path)
    print(json.dumps(dict(problems=problems, stats=stats, seconds=time.time() - t_start)))
""")


def test_fuzz_mutations_never_crash(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", _FUZZ, "20240611", "300", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=plugin_env(GDAL_NUM_THREADS="2"),
    )
    if proc.returncode != 0:
        crash = tmp_path / "current_input.bin"
        last = crash.read_bytes() if crash.exists() else b"?"
        pytest.fail(f"fuzz process died (rc {proc.returncode}) on input {last!r}\n"
                    f"stderr: {proc.stderr[-3000:]}", pytrace=False)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    stats = report["stats"]
    # The mutations must exercise both outcomes, else the loop tests nothing.
    assert stats["opened"] > 50 and stats["refused"] > 20 and stats["read_failed"] > 10, stats
    problems = report["problems"]
    assert not problems, (
        f"{len(problems)} problems, first ones: "
        + json.dumps(problems[:3], indent=1) + f"\nstats: {stats}"
    )


# --------------------------------------------------------------------------
# Headers whose edges overflow, and CreateCopy of a non-finite geotransform
# --------------------------------------------------------------------------


@pytest.mark.parametrize("header", [
    ["ncols 1", "nrows 2", "xllcorner 0", "yllcorner 0", "cellsize 1e308"],
    ["ncols 1", "nrows 2", "xllcenter 0", "yllcenter 1.7e308", "cellsize 1e308"],
    # The exact top, 1e308 + 2 x 1e308, is beyond DBL_MAX: infinite whether or not the
    # compiler fuses the multiply and the add (arm64 does, x86-64 does not).
    ["ncols 2", "nrows 2", "xllcorner 0", "yllcorner 1e308", "dx 1", "dy 1e308"],
], ids=["top-overflows", "centre-overflows", "dy-overflows"])
def test_header_whose_edges_overflow_is_refused(header):
    path = write_vsimem("overflow.asc", "\n".join(header + ["1", "2", "3", "4"]) + "\n")
    msg = open_fails(path)
    assert_message(msg, path, "expected the grid's edges to be finite numbers")


@pytest.mark.parametrize("gt", [
    (0.0, 1.0, 0.0, float("inf"), 0.0, -1.0),
    (float("nan"), 1.0, 0.0, 10.0, 0.0, -1.0),
    (0.0, 1.0, 0.0, -1.7e308, 0.0, -1e308),   # the lower-left corner overflows
    (1.7e308, 1e308, 0.0, 0.0, 0.0, -1.0),    # the right edge overflows
], ids=["inf-top", "nan-left", "yll-overflows", "right-overflows"])
def test_createcopy_refuses_a_non_finite_geotransform(gt):
    src = gdal.GetDriverByName("MEM").Create("", 2, 2, 1, gdal.GDT_Int32)
    src.SetGeoTransform(gt)
    path = "/vsimem/nonfinite.asc"
    gdal.ErrorReset()
    with quiet_errors():
        ds = gdal.GetDriverByName(FAST).CreateCopy(path, src)
    assert ds is None
    assert gdal.GetLastErrorType() == gdal.CE_Failure
    assert_message(gdal.GetLastErrorMsg(), path, "expected a finite geotransform")
    assert gdal.VSIStatL(path) is None, "no file is left behind"
