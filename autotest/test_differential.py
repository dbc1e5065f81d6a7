"""Differential tests: FastAAIGrid must read exactly what the built-in AAIGrid reads.

Every case generates an ESRI ASCII grid as text, writes it to /vsimem/ (or to
disk for the sidecar / compressed cases) and calls ``assert_same``, which opens
it with both drivers and compares everything bit for bit.  Only inputs that the
built-in (GDAL 3.6.2) reads *correctly* belong here; deliberate differences are
in test_documented_differences.py.
"""

import gzip
import os
import random
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field

import pytest
from osgeo import gdal, osr

from conftest import (
    BUILTIN,
    FAST,
    PEER_DIR,
    assert_same,
    config_options,
    open_builtin,
    quiet_errors,
    type_name,
    write_file,
    write_vsimem,
)

# --------------------------------------------------------------------------
# Text generation
# --------------------------------------------------------------------------

RNG_SEED = 20240611

DEFAULT_GEO = [("xllcorner", "440720"), ("yllcorner", "3750120"), ("cellsize", "60")]


def header(ncols, nrows, geo=DEFAULT_GEO, nodata=None):
    """Header as a list of (key, value) pairs."""
    pairs = [("ncols", str(ncols)), ("nrows", str(nrows))] + list(geo)
    if nodata is not None:
        pairs.append(("NODATA_value", nodata))
    return pairs


def render(
    pairs,
    rows,
    *,
    eol="\n",
    sep=" ",
    kv_sep=" ",
    layout="rows",
    seed=0,
    extra=(),
    final_eol=True,
    blank_after_header=False,
    after_header=(),
):
    """Render header pairs and data tokens (list of rows of strings) as text.

    layout: "rows" (one grid row per line), "one_line" (all values on one
    line), "one_per_line", "wrap" (random number of values per physical line,
    so grid rows and lines do not coincide), "blank_lines" (blank lines
    between and inside the data lines).  after_header: extra lines put
    between the header and the data.
    """
    lines = [f"{k}{kv_sep}{v}" for k, v in pairs]
    if blank_after_header:
        lines.append("")
    lines += list(after_header)
    tokens = [t for row in rows for t in row] + list(extra)
    ncols = len(rows[0])
    rng = random.Random(seed)
    if layout == "rows":
        data = [sep.join(r) for r in rows]
        if extra:
            data.append(sep.join(extra))
    elif layout == "one_line":
        data = [sep.join(tokens)]
    elif layout == "one_per_line":
        data = list(tokens)
    elif layout == "wrap":
        data, i = [], 0
        while i < len(tokens):
            n = rng.randint(1, 2 * ncols + 1)
            data.append(sep.join(tokens[i : i + n]))
            i += n
    elif layout == "blank_lines":
        data = []
        for r in rows:
            half = max(1, len(r) // 2)
            data += [sep.join(r[:half]), ""] + ([sep.join(r[half:])] if r[half:] else [])
            data += [""] * rng.randint(0, 2)
        if extra:
            data.append(sep.join(extra))
    else:
        raise ValueError(layout)
    text = eol.join(lines + data)
    return text + eol if final_eol else text


def fmt_grid(values, fmt):
    return [[fmt % v for v in row] for row in values]


def random_values(rng, nrows, ncols, kind):
    out = []
    for _ in range(nrows):
        row = []
        for _ in range(ncols):
            if kind == "plain":
                v = rng.uniform(-1e4, 1e4)
            elif kind == "small":
                v = rng.uniform(-1, 1)
            else:  # "wide": magnitudes from 1e-40 to 1e40, some beyond float range
                v = rng.choice([-1, 1]) * 10 ** rng.uniform(-40, 40)
            row.append(v)
        out.append(row)
    return out


_rng = random.Random(RNG_SEED)

INT_ROWS = [
    ["107", "-123", "0", "+5", "2147483647"],
    ["-2147483648", "00012", "-0", "9999", "-9999"],
    ["1", "22", "333", "4444", "55555"],
    ["-7", "+0", "8", "-90", "100"],
]
FLOAT_ROWS = fmt_grid(random_values(_rng, 4, 5, "plain"), "%.3f")
# Values that DATATYPE=Int32 truncates identically in both drivers (no exponents).
PLAIN_DECIMAL_ROWS = [
    ["1.7", "-1.7", "0.5", "-0.5", "12"],
    ["123456.789", "-654321.001", "+3.25", "-0.000", "7."],
]


@dataclass
class Case:
    text: str
    open_options: list = field(default_factory=list)
    config: dict = field(default_factory=dict)
    expect_type: str = None  # asserted on the built-in too (guards the case itself)


CASES = {}


def case(name, text, **kw):
    assert name not in CASES, name
    CASES[name] = Case(text, **kw)


def int_grid(**kw):
    return render(header(5, 4, nodata=kw.pop("nodata", None)), INT_ROWS, **kw)


def float_grid(**kw):
    return render(header(5, 4, nodata=kw.pop("nodata", None)), FLOAT_ROWS, **kw)


# ---- basic data, signs and number syntax ----------------------------------
case("int", int_grid(), expect_type="Int32")
case("int_with_nodata", int_grid(nodata="-9999"), expect_type="Int32")
case("float_3f", float_grid(), expect_type="Float32")
case("float_3f_with_nodata", float_grid(nodata="-9999"), expect_type="Float32")
case(
    "int_all_negative",
    render(header(3, 2), [["-1", "-22", "-333"], ["-4444", "-55555", "-666666"]]),
)
case("float_plus_signs", render(header(4, 1), [["+1.5", "+.25", "+2e3", "-0.5"]]))
case(
    "exponents",
    render(
        header(4, 3),
        [
            ["1e3", "1.5E-3", ".5e+2", "-2E2"],
            ["3e0", "1E+3", "-.5e-2", "7"],
            ["6.02214076e23", "-1.602176634E-19", "1e-5", "2.5e+02"],
        ],
    ),
    expect_type="Float32",
)
case(
    "leading_dot",
    render(header(4, 2), [[".5", "-.25", ".125", "+.75"], [".0", "-.0", "5.", "-5."]]),
)
case(
    "comma_decimals_header_and_data",
    render(
        header(4, 2, geo=[("xllcorner", "10,25"), ("yllcorner", "-3,5"), ("cellsize", "0,5")]),
        [["0,5", "-1,25", ",5", "3"], ["1,5e2", "-0,001", "7,0", "42"]],
    ),
    expect_type="Float32",
)
case(
    "header_exponent_values",
    render(
        header(5, 4, geo=[("xllcorner", "4.4072E+05"), ("yllcorner", ".375012e7"), ("cellsize", "6E1")]),
        INT_ROWS,
    ),
    expect_type="Int32",
)
case(
    "header_fractional_values",
    render(
        header(5, 4, geo=[("xllcorner", "-123.456789012345"), ("yllcorner", "45.000000000001"), ("cellsize", "0.000833333333")]),
        FLOAT_ROWS,
    ),
)
case(
    "nan_tokens_inside_float_grid",
    render(header(3, 2), [["1.5", "nan", "2"], ["NaN", "-3.25", "nan"]]),
    expect_type="Float32",
)
case(
    "nan_tokens_inside_float_grid_Float64",
    render(header(3, 2), [["1.5", "nan", "2"], ["NaN", "-3.25", "nan"]]),
    open_options=["DATATYPE=Float64"],
    expect_type="Float64",
)
case(
    "late_float_char_makes_float32",
    render(
        header(300, 200, nodata="-9999"),
        [[str(_rng.randint(-500, 5000)) for _ in range(300)] for _ in range(199)]
        + [[str(_rng.randint(0, 9)) for _ in range(299)] + ["1.5"]],
    ),
    expect_type="Float32",
)
case(
    "int_e_in_data_makes_float32",
    render(header(3, 1), [["1", "1e2", "3"]]),
    expect_type="Float32",
)

# ---- line ends, separators, layouts ----------------------------------------
for eol_name, eol in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")]:
    case(f"int_eol_{eol_name}", int_grid(eol=eol, nodata="-9999"))
    case(f"float_eol_{eol_name}", float_grid(eol=eol))
    case(f"wrap_eol_{eol_name}", float_grid(eol=eol, layout="wrap", seed=3))
case("tabs", float_grid(sep="\t", kv_sep="\t"))
case("tabs_and_spaces_mixed", int_grid(sep=" \t  \t", kv_sep="\t \t"))
case("key_value_many_spaces", float_grid(kv_sep="        "))
case("key_value_spaces_and_tabs", int_grid(kv_sep=" \t\t   \t"))
case("multiple_spaces_between_values", float_grid(sep="     "))
case("leading_spaces_on_data_lines", render(header(5, 4), [[" " + r[0]] + r[1:] for r in FLOAT_ROWS]))
for layout in ["one_line", "one_per_line", "blank_lines"]:
    case(f"int_{layout}", int_grid(layout=layout))
    case(f"float_{layout}", float_grid(layout=layout))
for seed in range(4):
    case(f"wrap_random_widths_seed{seed}", float_grid(layout="wrap", seed=seed))
case("int_wrap_random_widths", int_grid(layout="wrap", seed=11))
case("blank_lines_after_header", float_grid(blank_after_header=True))
case("blank_lines_after_header_crlf", int_grid(blank_after_header=True, eol="\r\n"))
# Lines holding only blanks count as data lines for the built-in, so it reads
# past its 1024-byte header buffer here without trouble.
case("blank_space_lines_after_header_over_1024_bytes",
     render(header(5, 4, nodata="-9999"), FLOAT_ROWS, after_header=["   "] * 400))
case("int_extra_trailing_ints", int_grid(extra=["1", "2", "-3"]), expect_type="Int32")
case("int_extra_trailing_ints_one_line", int_grid(extra=["4", "5"], layout="one_line"), expect_type="Int32")
case("float_extra_trailing_ints", float_grid(extra=["9", "-8"]), expect_type="Float32")
case("int_no_final_newline", int_grid(final_eol=False))
case("float_no_final_newline", float_grid(final_eol=False))
case("float_no_final_newline_crlf", float_grid(final_eol=False, eol="\r\n"))
case("one_per_line_no_final_newline", int_grid(layout="one_per_line", final_eol=False))

# ---- header keys: case, order, registration, cell size ---------------------
def rekey(pairs, fn):
    return [(fn(k), v) for k, v in pairs]


MIXED = {"ncols": "nCoLs", "nrows": "NRows", "xllcorner": "XllCorner", "yllcorner": "yLLcORNER",
         "cellsize": "CellSize", "NODATA_value": "NoData_VALUE", "xllcenter": "XLLCenter",
         "yllcenter": "yllCENTER", "dx": "Dx", "dy": "dY"}
case("keys_upper", render(rekey(header(5, 4, nodata="-9999"), str.upper), INT_ROWS))
case("keys_lower", render(rekey(header(5, 4, nodata="-9999.5"), str.lower), FLOAT_ROWS))
case("keys_mixed", render(rekey(header(5, 4, nodata="-9999"), MIXED.get), FLOAT_ROWS))
for seed in range(4):
    pairs = header(5, 4, nodata="-9999")
    random.Random(seed).shuffle(pairs)
    if pairs[0][0] == "NODATA_value":  # the file must start with a recognised key
        pairs.append(pairs.pop(0))
    case(f"keys_shuffled_seed{seed}", render(pairs, INT_ROWS))
case("keys_order_cellsize_first",
     render([("cellsize", "60"), ("yllcorner", "3750120"), ("NODATA_value", "-1"), ("xllcorner", "440720"),
             ("nrows", "4"), ("ncols", "5")], FLOAT_ROWS))
CENTER_GEO = [("xllcenter", "440750"), ("yllcenter", "3750150"), ("cellsize", "60")]
case("center_registration", render(header(5, 4, geo=CENTER_GEO), INT_ROWS))
case("center_registration_mixed_case", render(rekey(header(5, 4, geo=CENTER_GEO), MIXED.get), FLOAT_ROWS))
case("center_registration_fractional",
     render(header(5, 4, geo=[("xllcenter", "-0.125"), ("yllcenter", "0.3"), ("cellsize", "0.25")]), FLOAT_ROWS))
case("dx_dy_non_square",
     render(header(5, 4, geo=[("xllcorner", "100"), ("yllcorner", "200"), ("dx", "30"), ("dy", "60")]), INT_ROWS))
case("dx_dy_fractional_center",
     render(header(5, 4, geo=[("xllcenter", "1.5"), ("yllcenter", "2.5"), ("dx", "0.1"), ("dy", "0.3")]), FLOAT_ROWS))
case("cellsize_beats_dx_dy",
     render(header(5, 4, geo=[("xllcorner", "100"), ("yllcorner", "200"), ("dx", "30"), ("dy", "60"), ("cellsize", "25")]), INT_ROWS))
case("corner_pair_beats_center_pair",
     render(header(5, 4, geo=[("xllcenter", "0"), ("yllcenter", "0"), ("xllcorner", "100"), ("yllcorner", "200"), ("cellsize", "10")]), INT_ROWS))
case("no_origin_keys", render([("ncols", "5"), ("nrows", "4"), ("cellsize", "2")], INT_ROWS))

# ccafs-climate hack: 720 columns, xllcorner -180, cellsize within 1e-9 of 0.5.
CCAFS_ROWS = [[str((r * 720 + c) % 1000) for c in range(720)] for r in range(3)]
case("ccafs_cellsize_hack",
     render(header(720, 3, geo=[("xllcorner", "-180"), ("yllcorner", "-90"), ("cellsize", "0.5000000001")],
                   nodata="-9999"), CCAFS_ROWS))
case("ccafs_cellsize_hack_not_applied_xll",
     render(header(720, 3, geo=[("xllcorner", "-179"), ("yllcorner", "-90"), ("cellsize", "0.5000000001")]), CCAFS_ROWS))
case("ccafs_cellsize_hack_not_applied_cellsize",
     render(header(720, 3, geo=[("xllcorner", "-180"), ("yllcorner", "-90"), ("cellsize", "0.500001")]), CCAFS_ROWS))

# ---- nodata ------------------------------------------------------------------
NODATA_VARIANTS = {
    "-9999": "-9999",
    "-9999.": "-9999.",
    "-9999.0": "-9999.0",
    "-9999,0": "-9999,0",
    "0": "0",
    "0.0": "0.0",  # |0| < FLT_MIN -> Float64 quirk of the built-in
    "-0.0": "-0.0",
    "1e+38": "1e+38",
    "-1e+39": "-1e+39",
    "2147483648": "2147483648",
    "2.2250738585072014e-308": "2.2250738585072014e-308",
    "-3.4028234663852886e+38": "-3.4028234663852886e+38",
    "-1.7976931348623157e+308": "-1.7976931348623157e+308",
    "inf": "inf",
    "-inf": "-inf",
}
for label, nd in NODATA_VARIANTS.items():
    case(f"nodata[{label}]-int_data", render(header(5, 4, nodata=nd), INT_ROWS))
    case(f"nodata[{label}]-float_data", render(header(5, 4, nodata=nd), FLOAT_ROWS))
case("nodata[0.0]-forced_Float32", int_grid(nodata="0.0"), open_options=["DATATYPE=Float32"],
     expect_type="Float32")
case("nodata[-9999.0]-forced_Int32", float_grid(nodata="-9999.0"), open_options=["DATATYPE=Int32"],
     expect_type="Int32")
NULL_ROWS = [["1.5", "null", "2"], ["null", "3.5", "-1"]]
case("nodata[null]-null_tokens", render(header(3, 2, nodata="null"), NULL_ROWS), expect_type="Float32")
case("nodata[null]-int_data_null_tokens",
     render(header(3, 2, nodata="null"), [["1", "null", "2"], ["null", "3", "-1"]]), expect_type="Float32")
case("nodata[null]-data_starts_with_null_space",
     render(header(3, 2, nodata="null"), [["null", "1.5", "2"], ["3", "null", "null"]]), expect_type="Float32")
case("nodata[null]-gdal_test_4x1", render(header(4, 1, nodata="null"), [["null", "1.5", "null", "3.5"]]),
     expect_type="Float32")
for dt, expected in [("Float32", "Float32"), ("Float64", "Float64"), ("Int32", "Float64")]:
    case(f"nodata[null]-DATATYPE={dt}", render(header(3, 2, nodata="null"), NULL_ROWS),
         open_options=[f"DATATYPE={dt}"], expect_type=expected)
case("nodata[null]-config_AAIGRID_DATATYPE=Float64", render(header(4, 1, nodata="null"), [["null", "1.5", "null", "3.5"]]),
     config={"AAIGRID_DATATYPE": "Float64"}, expect_type="Float64")

# ---- forced data types ---------------------------------------------------------
for dt in ["Int32", "Float32", "Float64"]:
    case(f"DATATYPE={dt}-int_data", int_grid(nodata="-9999"), open_options=[f"DATATYPE={dt}"], expect_type=dt)
    case(f"DATATYPE={dt}-plain_decimals", render(header(5, 2, nodata="-9999"), PLAIN_DECIMAL_ROWS),
         open_options=[f"DATATYPE={dt}"], expect_type=dt)
    case(f"AAIGRID_DATATYPE={dt}-int_data", int_grid(), config={"AAIGRID_DATATYPE": dt}, expect_type=dt)
    case(f"AAIGRID_DATATYPE={dt}-plain_decimals", render(header(5, 2), PLAIN_DECIMAL_ROWS),
         config={"AAIGRID_DATATYPE": dt}, expect_type=dt)
for cfg, oo in [("Float64", "Int32"), ("Int32", "Float64"), ("Float32", "Float64"), ("Float64", "Float32")]:
    case(f"config_{cfg}_beats_open_option_{oo}", render(header(5, 2, nodata="-9999"), PLAIN_DECIMAL_ROWS),
         open_options=[f"DATATYPE={oo}"], config={"AAIGRID_DATATYPE": cfg}, expect_type=cfg)
case("DATATYPE=float64_lowercase", float_grid(), open_options=["DATATYPE=float64"])
case("DATATYPE=Byte_unsupported_warns_and_autodetects", float_grid(), open_options=["DATATYPE=Byte"])

# ---- float values: random formatting and edge cases -------------------------------
for fmt_name, fmt in [("17g", "%.17g"), ("9g", "%.9g"), ("3f", "%.3f"), ("6e", "%.6e"), ("g", "%g")]:
    for kind in ["plain", "small", "wide"]:
        rows = fmt_grid(random_values(_rng, 6, 7, kind), fmt)
        case(f"random_{kind}_{fmt_name}", render(header(7, 6, nodata="-9999"), rows))
        case(f"random_{kind}_{fmt_name}-Float64", render(header(7, 6, nodata="-9999"), rows),
             open_options=["DATATYPE=Float64"], expect_type="Float64")
FLOAT_SPECIALS = [
    ["4.9e-324", "1e-310", "-1e-310", "2.2250738585072014e-308", "1e-46", "1.4e-45"],
    ["1.17549435e-38", "3.4028234e38", "3.40282357e38", "-3.40282357e38", "1e39", "-1e39"],
    ["0.1000000000000000055511151231257827", "0.1", "-0", "-0.0", "0", "0.0"],
    # doubles that land exactly half-way between two floats (double rounding)
    ["1.0000000596046447753906250001", "1.00000005960464477539", "16777217", "16777217.0", "1e308", "-1e308"],
    ["123456789012345678901234567890", "0.000000000000000000000000000001", "9007199254740993",
     "2.718281828459045235360287", "-3.141592653589793238462643", "1e-7"],
]
case("float_specials", render(header(6, 5), FLOAT_SPECIALS), expect_type="Float32")
case("float_specials-Float64", render(header(6, 5), FLOAT_SPECIALS), open_options=["DATATYPE=Float64"],
     expect_type="Float64")
case("negative_zero_int_grid", render(header(3, 1), [["-0", "0", "+0"]]), expect_type="Int32")
case("negative_zero_float_grid", render(header(4, 1), [["-0", "-0.0", "0.0", "-0e5"]]), expect_type="Float32")
case("negative_zero_float64_grid", render(header(4, 1), [["-0", "-0.0", "0.0", "-0e5"]]),
     open_options=["DATATYPE=Float64"], expect_type="Float64")

# ---- shapes -----------------------------------------------------------------------
BIG_ROWS = fmt_grid(random_values(_rng, 200, 300, "plain"), "%.6g")
case("large_300x200_6g", render(header(300, 200, nodata="-9999"), BIG_ROWS))
case("large_300x200_6g_wrapped", render(header(300, 200, nodata="-9999"), BIG_ROWS, layout="wrap", seed=5))
case("large_300x200_int", render(header(300, 200, nodata="-9999"),
                                 [[str(_rng.randint(-9999, 9999)) for _ in range(300)] for _ in range(200)]))
case("one_column", render(header(1, 7), [[f"{i * 1.25:g}"] for i in range(7)]))
case("one_column_int", render(header(1, 5), [[str(-i)] for i in range(5)]))
case("one_row", render(header(9, 1), [[f"{i * 0.5:.1f}" for i in range(9)]]))
case("one_row_int", render(header(9, 1), [[str(i * 7) for i in range(9)]]))
case("one_cell", render(header(1, 1, nodata="-9999"), [["42"]]))


# ---- random combinations of all of the above ---------------------------------------
def random_combination(seed):
    """A random mix of size, number format, decimal mark, layout, separators,
    line ends, key spelling/order, registration, nodata and forced type."""
    rng = random.Random(seed)
    ncols, nrows = rng.randint(1, 40), rng.randint(1, 30)
    fmt = rng.choice(["int", "%.17g", "%.9g", "%.3f", "%.6e", "%g"])
    if fmt == "int":
        rows = [[str(rng.randint(-100000, 100000)) for _ in range(ncols)] for _ in range(nrows)]
    else:
        rows = fmt_grid(random_values(rng, nrows, ncols, rng.choice(["plain", "small", "wide"])), fmt)
    comma = fmt != "int" and rng.random() < 0.2
    if comma:
        rows = [[t.replace(".", ",") for t in r] for r in rows]
    center = rng.random() < 0.3
    x, y = ("xllcenter", "yllcenter") if center else ("xllcorner", "yllcorner")
    cell = rng.choice(["1", "0.25", "30", "0.000833333333333", "2,5" if comma else "2.5"])
    geo = [(x, f"{rng.uniform(-1e6, 1e6):.6f}"), (y, f"{rng.uniform(-1e6, 1e6):.3f}")]
    if rng.random() < 0.2:
        geo.append(("dx", cell))
        geo.append(("dy", rng.choice(["1", "0.5", "45"])))
    else:
        geo.append(("cellsize", cell))
    nodata = rng.choice([None, "-9999", "-9999.0", "-3.4028234663852886e+38", "0", "1e+20"])
    pairs = header(ncols, nrows, geo=geo, nodata=nodata)
    if rng.random() < 0.5:
        rng.shuffle(pairs)
        if pairs[0][0] == "NODATA_value":
            pairs.append(pairs.pop(0))
    case_fn = rng.choice([str.lower, str.upper, lambda k: k])
    pairs = rekey(pairs, case_fn)
    eol_name, eol = rng.choice([("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")])
    layout = rng.choice(["rows", "rows", "one_line", "one_per_line", "wrap", "blank_lines"])
    open_options = []
    if rng.random() < 0.25:
        choices = ["Float32", "Float64"] + (["Int32"] if fmt in ("int", "%.3f") else [])
        open_options = [f"DATATYPE={rng.choice(choices)}"]
    text = render(
        pairs,
        rows,
        eol=eol,
        sep=rng.choice([" ", "  ", "\t", " \t "]),
        kv_sep=rng.choice([" ", "     ", "\t", " \t"]),
        layout=layout,
        seed=seed,
        extra=[str(rng.randint(-9, 9)) for _ in range(rng.choice([0, 0, 1, 3]))],
        final_eol=rng.random() < 0.8,
        blank_after_header=rng.random() < 0.2,
    )
    name = f"combo{seed:02d}-{ncols}x{nrows}-{fmt.strip('%')}{'-comma' if comma else ''}-{layout}-{eol_name}"
    name += "".join(f"-{o}" for o in open_options)
    return name, text, open_options


for _seed in range(60):
    _name, _text, _oo = random_combination(_seed)
    case(_name, _text, open_options=_oo)


@pytest.mark.parametrize("name", list(CASES))
def test_same_as_builtin(name):
    c = CASES[name]
    path = write_vsimem(f"diff_{zlib.crc32(name.encode()):08x}.asc", c.text)
    with config_options(c.config):
        if c.expect_type is not None:
            with quiet_errors():
                ref = open_builtin(path, c.open_options)
            assert ref is not None and type_name(ref) == c.expect_type, (
                f"test premise: built-in should give {c.expect_type}, got "
                f"{type_name(ref) if ref else gdal.GetLastErrorMsg()}"
            )
            ref = None
        assert_same(path, c.open_options)


# --------------------------------------------------------------------------
# On-disk cases: .prj sidecars, file lists, compressed input
# --------------------------------------------------------------------------


def esri_wkt(epsg):
    srs = osr.SpatialReference()
    assert srs.ImportFromEPSG(epsg) == 0
    assert srs.MorphToESRI() == 0
    return srs.ExportToWkt()


OLD_STYLE_PRJ = os.path.join(PEER_DIR, "aaigrid", "case_sensitive.PRJ")
GEOGRAPHIC_DS_PRJ = (
    "Projection    GEOGRAPHIC\nDatum         WGS84\nZunits        NO\nUnits         DS\n"
    "Spheroid      WGS84\nXshift        0.0000000000\nYshift        0.0000000000\nParameters\n"
)

PRJ_CASES = {
    # name: (asc basename, prj basename or None, prj content: str, or callable -> str)
    "esri_wkt_utm31n": ("grid.asc", "grid.prj", lambda: esri_wkt(32631)),
    "esri_wkt_wgs84": ("grid.asc", "grid.prj", lambda: esri_wkt(4326)),
    "esri_wkt_with_trailing_newline": ("grid.asc", "grid.prj", lambda: esri_wkt(32631) + "\n"),
    "old_style_arcinfo_albers": ("grid.asc", "grid.prj", lambda: open(OLD_STYLE_PRJ, "rb").read()),
    "old_style_geographic_units_DS": ("grid.asc", "grid.prj", lambda: GEOGRAPHIC_DS_PRJ),
    "upper_case_ASC_and_PRJ": ("GRID.ASC", "GRID.PRJ", lambda: esri_wkt(32631)),
    "upper_case_ASC_lower_case_prj": ("GRID.ASC", "GRID.prj", lambda: esri_wkt(32631)),
    "lower_case_asc_upper_case_PRJ": ("grid.asc", "grid.PRJ", lambda: open(OLD_STYLE_PRJ, "rb").read()),
    "garbage_prj": ("grid.asc", "grid.prj", lambda: "this is not a projection\n\x01\x02 {[(\n"),
    # The 3.6.2 built-in does not list an empty .prj in GetFileList() (it lists
    # a garbage one); not specified for FastAAIGrid, so file lists not compared.
    "empty_prj": ("grid.asc", "grid.prj", lambda: ""),
    "mixed_case_Prj_not_found": ("grid.asc", "grid.Prj", lambda: esri_wkt(32631)),
    "no_prj": ("grid.asc", None, None),
    "grd_extension": ("grid.grd", "grid.prj", lambda: esri_wkt(32631)),
}


@pytest.mark.parametrize("name", list(PRJ_CASES))
def test_prj_sidecar_on_disk(tmp_path, name):
    asc_name, prj_name, prj = PRJ_CASES[name]
    path = write_file(tmp_path / asc_name, float_grid(nodata="-9999"))
    if prj_name:
        write_file(tmp_path / prj_name, prj())
    assert_same(path, check_file_list=(name != "empty_prj"))


def test_prj_sidecar_in_vsimem():
    path = write_vsimem("prj_grid.asc", int_grid())
    write_vsimem("prj_grid.prj", esri_wkt(32631))
    ref = assert_same(path)
    assert ref is not None
    ds = open_builtin(path)
    assert ds.GetSpatialRef() is not None, "test premise: built-in finds the .prj"


def test_gzip(tmp_path):
    gz = tmp_path / "grid.asc.gz"
    with gzip.open(gz, "wb") as f:
        f.write(render(header(300, 200, nodata="-9999"), BIG_ROWS).encode())
    assert_same(f"/vsigzip/{gz}")


def test_gzip_small_int(tmp_path):
    gz = tmp_path / "small.asc.gz"
    with gzip.open(gz, "wb") as f:
        f.write(int_grid(eol="\r\n").encode())
    assert_same(f"/vsigzip/{gz}")


def test_zip(tmp_path):
    zp = tmp_path / "grids.zip"
    with zipfile.ZipFile(zp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("first.asc", float_grid(layout="wrap", seed=7))
        z.writestr("sub/second.asc", render(header(300, 200, nodata="-9999"), BIG_ROWS))
        z.writestr("sub/second.prj", esri_wkt(32631))
    assert_same(f"/vsizip/{zp}/first.asc")
    assert_same(f"/vsizip/{zp}/sub/second.asc")
    assert open_builtin(f"/vsizip/{zp}/sub/second.asc").GetSpatialRef() is not None


def test_peer_copy_with_prj_on_disk(tmp_path):
    """pixel_per_line.asc + its old-style .prj copied side by side (real file system)."""
    for name in ("pixel_per_line.asc", "pixel_per_line.prj"):
        shutil.copy(os.path.join(PEER_DIR, "aaigrid", name), tmp_path / name)
    assert_same(str(tmp_path / "pixel_per_line.asc"))


# --------------------------------------------------------------------------
# Driver registration
# --------------------------------------------------------------------------


def test_driver_registered():
    drv = gdal.GetDriverByName(FAST)
    assert drv is not None
    assert drv.GetMetadataItem(gdal.DCAP_RASTER) == "YES"


def test_driver_listed_before_builtin():
    names = [gdal.GetDriver(i).ShortName for i in range(gdal.GetDriverCount())]
    assert FAST in names and BUILTIN in names
    assert names.index(FAST) < names.index(BUILTIN)


def test_plain_open_picks_fastaaigrid():
    path = write_vsimem("plain_open.asc", int_grid())
    ds = gdal.Open(path)
    assert ds is not None
    assert ds.GetDriver().ShortName == FAST
