"""Where FastAAIGrid deliberately differs from the built-in AAIGrid driver.

Each test asserts FastAAIGrid's values, taken from the text the test wrote (or
from the built-in reading a clean equivalent of the file).  Where cheap, a
second assertion pins down what the GDAL 3.6.2 built-in does instead, so the
test documents the quirk; those assertions fail loudly if the built-in does
not behave as claimed (see the README's "Differences from the built-in",
which says per GDAL version what its built-in does).  Error cases (open or
read failures) are tested elsewhere.
"""

import math

import numpy as np
import pytest
from osgeo import gdal

from conftest import (
    FLT_MAX,
    assert_same,
    builtin_since,
    config_options,
    open_builtin,
    open_fast,
    quiet_errors,
    read_array,
    type_name,
    write_vsimem,
)

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def read_fast(path, open_options=None):
    """(data type, nodata, pixels) through FastAAIGrid; fails if it cannot read."""
    gdal.ErrorReset()
    with quiet_errors():
        ds = open_fast(path, open_options)
    assert ds is not None, f"FastAAIGrid cannot open {path}: {gdal.GetLastErrorMsg()}"
    return type_name(ds), ds.GetRasterBand(1).GetNoDataValue(), read_array(ds)


def builtin_result(path, open_options=None):
    """What the built-in gives: None if open fails, else (type, nodata, pixels or None)."""
    with quiet_errors():
        ds = open_builtin(path, open_options)
        if ds is None:
            return None
        return type_name(ds), ds.GetRasterBand(1).GetNoDataValue(), ds.GetRasterBand(1).ReadAsArray()


def assert_pixels(actual, expected):
    """Exact comparison (NaN == NaN, -FLT_MAX must be exactly -FLT_MAX)."""
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


def text(header_lines, data_lines, eol="\n"):
    return eol.join(header_lines + data_lines) + eol


# --------------------------------------------------------------------------
# 1. Header layouts the built-in misreads or rejects
# --------------------------------------------------------------------------

CLEAN_HEADER = ["ncols 4", "nrows 3", "xllcorner 10", "yllcorner 20", "cellsize 5", "NODATA_value -9999"]
DATA = {
    "int": ["1 2 3 4", "-5 -9999 7 8", "9 10 11 12"],
    "float": ["1.5 2 3 4", "-5.25 -9999 7e2 8", "9 10 11 .125"],
}


def _with_comment_lines(n):
    return [f"# comment line {i:03d}: made by some tool, not part of the grid" for i in range(n)]


# name -> (header lines, what the 3.6.2 built-in does with it)
#   "rejected": the built-in cannot open it
#   "misread":  the built-in opens it but returns other pixels (silently)
HEADER_VARIANTS = {
    "leading_blank_on_first_line": ([" ncols 4"] + CLEAN_HEADER[1:], "rejected"),
    "leading_blanks_on_all_lines": (["   " + h for h in CLEAN_HEADER], "rejected"),
    "leading_blank_on_later_line": (CLEAN_HEADER[:1] + ["  nrows 3"] + CLEAN_HEADER[2:], "misread"),
    "leading_tab_on_later_line": (CLEAN_HEADER[:4] + ["\tcellsize 5"] + CLEAN_HEADER[5:], "misread"),
    "utf8_bom": (["\ufeff" + CLEAN_HEADER[0]] + CLEAN_HEADER[1:], "rejected"),
    "utf8_bom_and_comment": (["\ufeff# exported grid"] + CLEAN_HEADER, "rejected"),
    "comment_first_line": (["# exported grid"] + CLEAN_HEADER, "rejected"),
    "comment_inside_header": (CLEAN_HEADER[:2] + ["# georeferencing follows"] + CLEAN_HEADER[2:], "misread"),
    "comment_before_data": (CLEAN_HEADER + ["#data follows"], "misread"),
    "value_on_next_line": (CLEAN_HEADER[:2] + ["xllcorner", "10"] + CLEAN_HEADER[3:], "misread"),
    "values_on_next_lines_tabs": (
        ["ncols\t", "\t4", "nrows", "3"] + CLEAN_HEADER[2:4] + ["cellsize", "5"] + CLEAN_HEADER[5:],
        "misread",
    ),
    "header_over_1024_bytes_comments_first": (_with_comment_lines(25) + CLEAN_HEADER, "rejected"),
    "header_over_1024_bytes_comments_inside": (
        CLEAN_HEADER[:2] + _with_comment_lines(25) + CLEAN_HEADER[2:],
        "rejected",
    ),
    "header_over_1024_bytes_blank_lines": (CLEAN_HEADER + [""] * 1100, "rejected"),
}


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("kind", list(DATA))
@pytest.mark.parametrize("variant", list(HEADER_VARIANTS))
def test_header_layouts(variant, kind, eol):
    header_lines, builtin_claim = HEADER_VARIANTS[variant]
    clean = write_vsimem("clean.asc", text(CLEAN_HEADER, DATA[kind], eol))
    quirky = write_vsimem("quirky.asc", text(header_lines, DATA[kind], eol))

    # FastAAIGrid reads the quirky file exactly like the built-in reads the clean one
    # (whether it also warns about the layout is not specified, so not compared).
    assert_same(quirky, ref_path=clean, check_open_errors=False)

    # The built-in, on the quirky file:
    clean_pixels = builtin_result(clean)[2]
    got = builtin_result(quirky)
    if builtin_claim == "rejected":
        assert got is None, "built-in was expected to reject this file"
    else:
        assert got is not None, "built-in was expected to open (and misread) this file"
        assert got[2] is None or got[2].tobytes() != clean_pixels.tobytes(), (
            "built-in was expected to return wrong pixels"
        )


# --------------------------------------------------------------------------
# 2. Data that starts with nan / inf / null tokens
# --------------------------------------------------------------------------

SPECIAL = {"nan": np.nan, "NaN": np.nan, "inf": np.inf, "-inf": -np.inf, "null": -FLT_MAX}

# (first token, layout) -> the GDAL version from which the built-in reads the file as written
# (None: no version does; it fails to open, shifts the grid or clamps the value). GDAL 3.9
# (PR #9668, April 2024) reads data rows that start with "nan " (tested: 3.6 no, 3.10 yes).
START_CASES = {
    ("nan", "column"): None,
    ("nan", "row"): (3, 9),
    ("NaN", "column"): None,
    ("NaN", "row"): (3, 9),
    ("inf", "column"): None,
    ("inf", "row"): None,
    ("-inf", "column"): None,  # clamped to -FLT_MAX
    ("-inf", "row"): None,  # clamped to -FLT_MAX
    ("null", "column"): None,  # 'null' must be followed by a space for the built-in
    ("null", "row"): (3, 6),
}


@pytest.mark.parametrize("token, layout", list(START_CASES), ids=[f"{t}-{l}" for t, l in START_CASES])
def test_data_starting_with_special_token(token, layout):
    hdr = ["ncols 1", "nrows 3"] if layout == "column" else ["ncols 3", "nrows 2"]
    hdr += ["xllcorner 0", "yllcorner 0", "cellsize 1"]
    if layout == "column":
        data = [token, "1.5", "2"]
        expected = np.array([[SPECIAL[token]], [1.5], [2]], dtype=np.float32)
    else:
        data = [f"{token} 1.5 2", "3 4 5"]
        expected = np.array([[SPECIAL[token], 1.5, 2], [3, 4, 5]], dtype=np.float32)
    path = write_vsimem("start.asc", text(hdr, data))

    dtype, nodata, pixels = read_fast(path)
    assert dtype == "Float32"
    assert nodata is None
    assert_pixels(pixels, expected)

    got = builtin_result(path)
    builtin_ok = (
        got is not None and got[2] is not None and got[0] == "Float32"
        and got[2].tobytes() == expected.tobytes()
    )
    since = START_CASES[(token, layout)]
    assert builtin_ok == (since is not None and builtin_since(*since)), f"built-in gave {got}"


def test_data_starting_with_bare_null_line_nodata_null():
    """1-column grid starting with a bare 'null' line, NODATA_value null."""
    path = write_vsimem(
        "null_col.asc",
        text(["ncols 1", "nrows 3", "xllcorner 0", "yllcorner 0", "cellsize 1", "NODATA_value null"],
             ["null", "1.5", "2"]),
    )
    dtype, nodata, pixels = read_fast(path)
    assert dtype == "Float32"
    assert nodata == -FLT_MAX
    assert_pixels(pixels, np.array([[-FLT_MAX], [1.5], [2]], dtype=np.float32))
    got = builtin_result(path)
    assert got is not None and got[2] is not None
    assert got[2].ravel().tolist() == [1.5, 2.0, 0.0], "built-in: grid shifted, 0 at the end"


NULL_WITH_NUMERIC_NODATA = [  # (NODATA_value, DATATYPE open option, type, nodata as stored)
    ("-9999", None, "Float32", np.float32(-9999)),
    ("-9999.5", None, "Float32", np.float32(-9999.5)),
    ("-9999", "Float64", "Float64", np.float64(-9999)),
    ("0.1", "Float64", "Float64", np.float64(0.1)),
]


@pytest.mark.parametrize("nodata, forced, dtype, expected_nodata", NULL_WITH_NUMERIC_NODATA)
def test_null_cell_reads_as_numeric_nodata(nodata, forced, dtype, expected_nodata):
    """A `null` cell in a grid whose NODATA_value is a number reads as that nodata; the
    built-in reads -FLT_MAX / -DBL_MAX, neither data nor nodata (robustness finding 5)."""
    path = write_vsimem("null_numeric.asc", text(
        ["ncols 3", "nrows 2", "xllcorner 0", "yllcorner 0", "cellsize 1", f"NODATA_value {nodata}"],
        ["1 null 3", "null 5.5 6"]))
    oo = [f"DATATYPE={forced}"] if forced else None
    got_type, got_nodata, pixels = read_fast(path, oo)
    assert got_type == dtype
    assert got_nodata == float(nodata) if dtype == "Float64" else np.float32(got_nodata) == expected_nodata
    ctype = np.float32 if dtype == "Float32" else np.float64
    nd = ctype(expected_nodata)
    assert_pixels(pixels, np.array([[1, nd, 3], [nd, 5.5, 6]], dtype=ctype))
    masked = np.ma.masked_equal(pixels, ctype(got_nodata))
    assert masked.count() == 4 and masked.min() == 1 and masked.max() == 6

    got = builtin_result(path, oo)
    assert got is not None and got[0] == dtype
    huge = -FLT_MAX if dtype == "Float32" else -np.finfo(np.float64).max
    assert got[2][0, 1] == ctype(huge) and got[2][1, 0] == ctype(huge), "built-in: -FLT_MAX/-DBL_MAX"


# --------------------------------------------------------------------------
# 3. Integer grids whose only non-integer tokens are nan / inf / null / Infinity
# --------------------------------------------------------------------------

NON_NUMERIC = {"nan": np.nan, "NaN": np.nan, "inf": np.inf, "-inf": -np.inf, "Infinity": np.inf,
               "null": -FLT_MAX}
INT_HEADER = ["ncols 3", "nrows 2", "xllcorner 0", "yllcorner 0", "cellsize 1"]


@pytest.mark.parametrize("token", list(NON_NUMERIC))
def test_integer_grid_with_special_token_is_float32(token):
    path = write_vsimem("special.asc", text(INT_HEADER, [f"1 {token} 2", "3 4 -5"]))
    dtype, _, pixels = read_fast(path)
    assert dtype == "Float32"
    assert_pixels(pixels, np.array([[1, NON_NUMERIC[token], 2], [3, 4, -5]], dtype=np.float32))

    got = builtin_result(path)
    assert got[0] == "Int32", "built-in keeps Int32"
    assert got[2].tolist() == [[1, 0, 2], [3, 4, -5]], "built-in reads the token as 0"


def test_integer_grid_with_all_special_tokens():
    path = write_vsimem("specials.asc", text(INT_HEADER, ["1 nan inf", "null Infinity -inf"]))
    dtype, _, pixels = read_fast(path)
    assert dtype == "Float32"
    expected = np.array([[1, np.nan, np.inf], [-FLT_MAX, np.inf, -np.inf]], dtype=np.float32)
    assert_pixels(pixels, expected)
    assert builtin_result(path)[2].tolist() == [[1, 0, 0], [0, 0, 0]]


# --------------------------------------------------------------------------
# 4. Infinite vs. finite out-of-range values in Float32 grids
# --------------------------------------------------------------------------


def test_float32_inf_kept_finite_overflow_clamped():
    path = write_vsimem(
        "inf.asc", text(["ncols 6", "nrows 1", "xllcorner 0", "yllcorner 0", "cellsize 1"],
                        ["1.5 inf -inf 1e39 -1e39 3.40282357e38"]))
    dtype, _, pixels = read_fast(path)
    assert dtype == "Float32"
    assert_pixels(pixels, np.array([[1.5, np.inf, -np.inf, FLT_MAX, -FLT_MAX, FLT_MAX]], dtype=np.float32))

    got = builtin_result(path)
    assert got[0] == "Float32"
    # same clamping of finite overflow, but the built-in also clamps the infinities
    assert got[2].tolist() == [[1.5, FLT_MAX, -FLT_MAX, FLT_MAX, -FLT_MAX, FLT_MAX]]


def test_inf_nodata_matches_inf_cells():
    path = write_vsimem(
        "inf_nodata.asc",
        text(["ncols 3", "nrows 1", "xllcorner 0", "yllcorner 0", "cellsize 1", "NODATA_value inf"],
             ["1.5 inf 2"]))
    dtype, nodata, pixels = read_fast(path)
    assert dtype == "Float32"
    assert nodata == math.inf
    assert pixels[0, 1] == nodata, "the inf cell is recognised as nodata"

    got = builtin_result(path)
    assert got[1] == math.inf and got[2][0, 1] == FLT_MAX, "built-in: cell clamped, nodata not"


# --------------------------------------------------------------------------
# 5. Anything after the ncols*nrows values does not influence the data type
# --------------------------------------------------------------------------


@pytest.mark.parametrize("trailer", ["1.5", "end", "1e5", "-0.25 7.5", "end of file"])
def test_trailing_text_does_not_change_type(trailer):
    rows = ["1 2 3", "4 -5 6"]
    path = write_vsimem("trail.asc", text(INT_HEADER + ["NODATA_value -9999"], rows + [trailer]))
    clean = write_vsimem("trail_clean.asc", text(INT_HEADER + ["NODATA_value -9999"], rows))
    dtype, _, pixels = read_fast(path)
    assert dtype == "Int32"
    assert_pixels(pixels, np.array([[1, 2, 3], [4, -5, 6]], dtype=np.int32))
    assert_same(path, ref_path=clean, check_open_errors=False)

    got = builtin_result(path)
    assert got[0] == "Float32", "built-in scans the trailer and switches to Float32"
    assert got[2].tolist() == [[1, 2, 3], [4, -5, 6]]


# --------------------------------------------------------------------------
# 6. NODATA_value nan
# --------------------------------------------------------------------------


def test_nodata_nan_is_float32():
    path = write_vsimem(
        "nd_nan.asc", text(INT_HEADER + ["NODATA_value nan"], ["1 2 3", "4 nan 6"]))
    dtype, nodata, pixels = read_fast(path)
    assert dtype == "Float32"
    assert math.isnan(nodata)
    assert_pixels(pixels, np.array([[1, 2, 3], [4, np.nan, 6]], dtype=np.float32))

    got = builtin_result(path)
    if builtin_since(3, 9):  # PR #9668
        assert got[0] == "Float32" and math.isnan(got[1]), "built-in >= 3.9: Float32"
    else:
        assert got[0] == "Int32" and math.isnan(got[1]), "built-in < 3.9: Int32, NaN nodata"


# --------------------------------------------------------------------------
# 7. Files shorter than 40 bytes
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    ["ncols 1\nnrows 1\ncellsize 1\n5\n", "ncols 2\nnrows 1\ncellsize 1\n1.5 2", "NCOLS 1\r\nNROWS 1\r\nCELLSIZE 2\r\n-7\r\n"],
    ids=["int_1x1", "float_2x1_no_newline", "crlf_upper_case"],
)
def test_file_shorter_than_40_bytes(content):
    assert len(content) < 40
    short = write_vsimem("short.asc", content)
    # The same grid padded with trailing blanks is what the built-in can read.
    padded = write_vsimem("padded.asc", content + "\n" + " " * 40 + "\n")
    assert_same(short, ref_path=padded)
    assert builtin_result(short) is None, "built-in rejects files < 40 bytes"


# --------------------------------------------------------------------------
# 8. DATATYPE=Int32 with exponent notation
# --------------------------------------------------------------------------

INT32_TOKENS = ["2.5e2", "1e3", "-2.5E+2", "1.7", "-1.7", "7"]


@pytest.mark.parametrize("how", ["open_option", "config_option"])
def test_forced_int32_parses_exponents(how):
    path = write_vsimem(
        "forced_int.asc",
        text(["ncols 6", "nrows 1", "xllcorner 0", "yllcorner 0", "cellsize 1"], [" ".join(INT32_TOKENS)]))
    oo = ["DATATYPE=Int32"] if how == "open_option" else []
    cfg = {"AAIGRID_DATATYPE": "Int32"} if how == "config_option" else {}
    with config_options(cfg):
        dtype, _, pixels = read_fast(path, oo)
        got = builtin_result(path, oo)
    assert dtype == "Int32"
    # the value of each token truncated toward zero
    assert pixels.tolist() == [[250, 1000, -250, 1, -1, 7]]
    assert got[0] == "Int32"
    assert got[2].tolist() == [[2, 1, -2, 1, -1, 7]], "built-in uses atoi()"


# --------------------------------------------------------------------------
# 9. Unknown header keywords: ignored, with a warning
# --------------------------------------------------------------------------


@pytest.mark.parametrize("line, keyword", [("nodata -9999", "nodata"), ("byteorder LSBFIRST", "byteorder")])
def test_unknown_header_keyword_warns(line, keyword):
    rows = ["1 2 3", "4 5 -9999"]
    path = write_vsimem("unknown_key.asc", text(INT_HEADER + [line], rows))
    clean = write_vsimem("unknown_key_clean.asc", text(INT_HEADER, rows))

    gdal.ErrorReset()
    with quiet_errors():
        ds = open_fast(path)
    assert ds is not None, gdal.GetLastErrorMsg()
    assert gdal.GetLastErrorType() == gdal.CE_Warning
    assert keyword in gdal.GetLastErrorMsg().lower()
    assert ds.GetRasterBand(1).GetNoDataValue() is None, "the unknown line sets no nodata"
    ds = None
    assert_same(path, ref_path=clean, check_open_errors=False)

    gdal.ErrorReset()
    assert builtin_result(path)[2].tolist() == [[1, 2, 3], [4, 5, -9999]]
    assert gdal.GetLastErrorType() == gdal.CE_None, "built-in ignores the line silently"
