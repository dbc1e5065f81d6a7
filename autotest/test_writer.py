"""The FastAAIGrid WRITER: ``CreateCopy`` / ``gdal.Translate(format='FastAAIGrid')``.

What is checked (see driver/gdal/fastaaigrid_createcopy.cpp, driver/core/aaig_format.c
and the README's "Writing" and "Differences from the built-in"):

1. Round trips for every source data type, random values (fixed seeds) and edge values,
   read back with FastAAIGrid AND with the built-in AAIGrid reader: integers exactly,
   Float32 bit for bit (shortest text that reads back through a correctly rounded
   decimal->double parse then a cast to float), Float64 bit for bit with DATATYPE=Float64
   (shortest of %.15g/%.16g/%.17g), NaN / -NaN / inf / -inf / -0 / denormals / extremes,
   NaN cells written as the nodata text when the band has a nodata.
2. Differential against the built-in WRITER: the same values come back from both outputs;
   our Float32 files are at most half the size of the built-in's %.20g files.
3. GDAL's own writer tests (autotest/gdrivers/aaigrid.py, via ../shared/peer-data).
4. Options and errors: header layout, non-square pixels, FORCE_CELLSIZE, south-up,
   rotation, no geotransform, DECIMAL_PRECISION / SIGNIFICANT_DIGITS, NUM_THREADS,
   .prj, PAM, progress and cancellation, unwritable targets, /vsimem/, /vsigzip/,
   /vsistdout/, band count and complex types.

Everything runs in /vsimem/ or pytest's tmp_path; the whole file takes a few seconds.
"""

import math
import os
import re
import stat
import struct
import subprocess
import textwrap

import numpy as np
import pytest
from osgeo import gdal, osr

from conftest import (
    BUILTIN,
    FAST,
    FLT_MAX,
    PEER_DIR,
    PLUGIN_DIR,
    builtin_since,
    config_options,
    open_builtin,
    open_fast,
    quiet_errors,
    read_array,
    type_name,
)

DBL_MAX = float(np.finfo(np.float64).max)
FLT_MIN = float(np.finfo(np.float32).tiny)
F32_DENORM_MIN = float(np.float32(1.4e-45))

NORTH_UP = (440720.0, 60.0, 0.0, 3751320.0, 0.0, -60.0)

NP_TO_GDT = {
    np.dtype(np.uint8): gdal.GDT_Byte,
    np.dtype(np.int16): gdal.GDT_Int16,
    np.dtype(np.uint16): gdal.GDT_UInt16,
    np.dtype(np.int32): gdal.GDT_Int32,
    np.dtype(np.uint32): gdal.GDT_UInt32,
    np.dtype(np.int64): gdal.GDT_Int64,
    np.dtype(np.uint64): gdal.GDT_UInt64,
    np.dtype(np.float32): gdal.GDT_Float32,
    np.dtype(np.float64): gdal.GDT_Float64,
}

HEADER_KEYS = {"ncols", "nrows", "xllcorner", "yllcorner", "cellsize", "dx", "dy", "nodata_value"}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def mem_source(arr, *, nodata=None, gt=NORTH_UP, srs=None, gdal_type=None):
    """A one-band MEM dataset holding *arr* (2-D; 1-D becomes one row)."""
    arr = np.asarray(arr)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    gdal_type = gdal_type if gdal_type is not None else NP_TO_GDT[arr.dtype]
    ds = gdal.GetDriverByName("MEM").Create("", arr.shape[1], arr.shape[0], 1, gdal_type)
    if gt is not None:
        ds.SetGeoTransform(gt)
    if srs is not None:
        ds.SetSpatialRef(srs)
    band = ds.GetRasterBand(1)
    if nodata is not None:
        if gdal_type == gdal.GDT_Int64:
            band.SetNoDataValueAsInt64(int(nodata))
        elif gdal_type == gdal.GDT_UInt64:
            band.SetNoDataValueAsUInt64(int(nodata))
        else:
            band.SetNoDataValue(nodata)
    assert band.WriteArray(arr) == gdal.CE_None
    return ds


class CopyResult:
    def __init__(self, ok, err_type, msg):
        self.ok, self.err_type, self.msg = ok, err_type, msg

    def __repr__(self):
        return f"CopyResult(ok={self.ok}, err_type={self.err_type}, msg={self.msg!r})"


def create_copy(path, src, options=(), *, driver=FAST, callback=None, keep=False):
    """CreateCopy with errors silenced; returns a CopyResult (and the dataset if *keep*)."""
    gdal.ErrorReset()
    with quiet_errors():
        ds = gdal.GetDriverByName(driver).CreateCopy(
            path, src, options=list(options), callback=callback
        )
    res = CopyResult(ds is not None, gdal.GetLastErrorType(), gdal.GetLastErrorMsg())
    if keep:
        return res, ds
    ds = None
    return res


def write_fast(path, src, options=()):
    """CreateCopy with FastAAIGrid that must succeed; returns the file's text."""
    res = create_copy(path, src, options)
    assert res.ok, f"FastAAIGrid CreateCopy({path}) failed: {res}"
    return vsi_text(path)


def write_builtin(path, src, options=()):
    res = create_copy(path, src, options, driver=BUILTIN)
    assert res.ok, f"test bug: built-in CreateCopy({path}) failed: {res}"
    return vsi_text(path)


def vsi_bytes(path):
    f = gdal.VSIFOpenL(path, "rb")
    assert f is not None, f"cannot open {path}"
    try:
        chunks = []
        while True:
            b = gdal.VSIFReadL(1, 1 << 20, f)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        gdal.VSIFCloseL(f)


def vsi_text(path):
    return vsi_bytes(path).decode("ascii")


def exists(path):
    return gdal.VSIStatL(path) is not None


def split_grid(text):
    """(header lines, data tokens) of an ASCII grid as written by a writer."""
    lines = text.split("\n")
    n = 0
    while n < len(lines) and lines[n].split() and lines[n].split()[0].lower() in HEADER_KEYS:
        n += 1
    return lines[:n], " ".join(lines[n:]).split()


def data_tokens(text):
    return split_grid(text)[1]


def data_rows(text):
    """Data lines of the file, each split into tokens."""
    header, _ = split_grid(text)
    return [line.split() for line in text.split("\n")[len(header):] if line.strip()]


def header_value(text, key):
    for line in split_grid(text)[0]:
        k, v = line.split(None, 1)
        if k.lower() == key.lower():
            return v.strip()
    return None


def read_back(path, opener, open_options=()):
    """(data type name, nodata, pixels) with *opener* (open_fast / open_builtin)."""
    gdal.ErrorReset()
    with quiet_errors():
        ds = opener(path, list(open_options))
    who = "FastAAIGrid" if opener is open_fast else "the built-in"
    assert ds is not None, f"{who} cannot open {path}: {gdal.GetLastErrorMsg()}"
    return type_name(ds), ds.GetRasterBand(1).GetNoDataValue(), read_array(ds)


def strip_dot0(token):
    return token[:-2] if token.endswith(".0") else token


def f32_reads_back(text, value):
    """Does *text*, parsed to the correctly rounded double then cast, give float32 *value*?
    (An IEEE cast: beyond FLT_MAX + half an ulp it gives inf; GDAL's clamp is not relied on.)"""
    with np.errstate(over="ignore"):
        return np.float32(float(text)).view(np.uint32) == np.float32(value).view(np.uint32)


def shortest_f32_p(value):
    """Fewest significant digits p for which %.{p}g reads back as the float32 *value*."""
    v = float(value)
    for p in range(1, 10):
        if f32_reads_back("%.*g" % (p, v), value):
            return p
    raise AssertionError(f"no %.Ng reads back {value!r}")


def significant_digits(token):
    mantissa = token.lstrip("+-").split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return max(1, len(mantissa))


def shortest_f64_text(v):
    """The shortest of %.15g/%.16g/%.17g that reads back to the double *v*."""
    for p in (15, 16, 17):
        s = "%.*g" % (p, v)
        if struct.pack("<d", float(s)) == struct.pack("<d", v):
            return s
    raise AssertionError(f"%.17g does not read back {v!r}")


def special_text(v):
    """The spelling of a non-finite value that every reader reads: NaN is "nan" whatever its
    sign (GDAL >= 3.8's built-in reads "-nan" as 0)."""
    if math.isnan(v):
        return "nan"
    return "-inf" if v < 0 else "inf"


def assert_float_bits(actual, expected, what):
    """Bit-exact comparison; NaN cells only need to be NaN (the writer drops a NaN's sign)."""
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape"
    nan_e, nan_a = np.isnan(expected), np.isnan(actual)
    bad = nan_e != nan_a
    ui = np.uint32 if actual.dtype == np.float32 else np.uint64
    bad |= ~nan_e & (actual.view(ui) != expected.view(ui))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        pytest.fail(
            f"{what}: {int(bad.sum())} cells differ; first at {idx}: "
            f"got {actual[idx]!r} expected {expected[idx]!r}"
        )


def random_f32(rng, n):
    """Finite float32 values from random bit patterns: every exponent, denormals included."""
    v = rng.integers(0, 2**32, size=n * 2, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return v[np.isfinite(v)][:n]


def random_f64(rng, n):
    v = rng.integers(0, 2**64, size=n * 2, dtype=np.uint64).view(np.float64)
    return v[np.isfinite(v)][:n]


F32_EDGES = [
    1.0,  # first: a finite value, so that 3.6.2 built-in reader can open the file
    0.0, -0.0, F32_DENORM_MIN, -F32_DENORM_MIN, 1e-45, 3 * F32_DENORM_MIN,
    float(np.float32(1.1754942e-38)),  # largest denormal
    FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX, float(np.float32(3.4028233e38)),
    0.1, -0.1, 1 / 3, 2 / 3, 0.5, 16777215.0, 16777216.0, 16777218.0,
    1e10, 1.5e13, 1e-5, 9.999999e-5, 1e-4, 123456.789, 8.589973e9, 1e38, 5e-324,
    float("nan"), -float("nan"), float("inf"), -float("inf"),
]

F64_EDGES = [
    1.0, 0.0, -0.0, 5e-324, -5e-324, 1e-310, 2.2250738585072014e-308,
    2.2250738585072009e-308, DBL_MAX, -DBL_MAX, 0.1, 1 / 3, 2 / 3,
    9007199254740993.0, 2.0**53 + 2, 1e22, 1e23, 5e-1, 1.234567890123, -1.234567890123,
    FLT_MAX, 3.4028235677973366e38, 1e300, 0.30000000000000004,
    float("nan"), -float("nan"), float("inf"), -float("inf"),
]


# --------------------------------------------------------------------------
# 1. Round trips: integers
# --------------------------------------------------------------------------

INT_TYPES = [np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


def _int_values(dtype, seed, small=False):
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    if small:  # inside the int32 range: files read back as Int32 by default
        lo, hi = max(lo, -(2**31)), min(hi, 2**31 - 1)
    rng = np.random.default_rng(seed)
    edges = [lo, hi, 0, 1, lo + 1, hi - 1]
    if not small and hi > 2**53:
        edges += [2**53, 2**53 + 1]
    if not small and lo < -(2**53):
        edges += [-(2**53), -(2**53) - 1]
    rand = rng.integers(lo, hi, size=40 * 30 - len(edges), dtype=dtype, endpoint=True)
    return np.concatenate([np.array(edges, dtype=dtype), rand]).reshape(40, 30)


@pytest.mark.parametrize("dtype", INT_TYPES, ids=lambda t: np.dtype(t).name)
def test_integer_types_written_exactly(dtype):
    arr = _int_values(dtype, seed=11)
    text = write_fast("/vsimem/int.asc", mem_source(arr))
    tokens = data_tokens(text)
    assert tokens == [str(int(v)) for v in arr.ravel()], "integers must be written exactly"
    assert all("." not in t for t in tokens), "no '.0' in integer grids"
    assert header_value(text, "NODATA_value") is None


@pytest.mark.parametrize("dtype", INT_TYPES, ids=lambda t: np.dtype(t).name)
def test_integer_round_trip_int32_range(dtype):
    """Values inside the int32 range come back exactly as Int32 with both readers."""
    arr = _int_values(dtype, seed=12, small=True)
    write_fast("/vsimem/int.asc", mem_source(arr))
    for opener in (open_fast, open_builtin):
        t, nd, got = read_back("/vsimem/int.asc", opener)
        assert t == "Int32"
        assert nd is None
        np.testing.assert_array_equal(got.astype(np.int64), arr.astype(np.int64))


@pytest.mark.parametrize("dtype", [np.uint32, np.int64, np.uint64], ids=lambda t: np.dtype(t).name)
def test_integer_round_trip_beyond_int32_as_float64(dtype):
    """Full-range values read back with DATATYPE=Float64: exact within +-2^53, and
    otherwise the correctly rounded double (both readers parse correctly rounded)."""
    arr = _int_values(dtype, seed=13)
    write_fast("/vsimem/int.asc", mem_source(arr))
    exact = np.array([abs(int(v)) <= 2**53 for v in arr.ravel()]).reshape(arr.shape)
    if dtype == np.uint32:
        assert exact.all()
    for opener in (open_fast, open_builtin):
        t, _, got = read_back("/vsimem/int.asc", opener, ["DATATYPE=Float64"])
        assert t == "Float64"
        # Python's int -> float conversion rounds to nearest, ties to even, as strtod does.
        expected = np.array([float(int(v)) for v in arr.ravel()]).reshape(arr.shape)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(got[exact].astype(np.int64 if dtype != np.uint64 else np.uint64),
                                      arr[exact])


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16, np.int32, np.uint32],
                         ids=lambda t: np.dtype(t).name)
def test_integer_nodata_written_and_read_back(dtype):
    arr = _int_values(dtype, seed=14, small=True)
    nodata = int(arr[3, 3])
    text = write_fast("/vsimem/ndint.asc", mem_source(arr, nodata=nodata))
    assert f"NODATA_value {nodata}\n" in text
    for opener in (open_fast, open_builtin):
        t, nd, got = read_back("/vsimem/ndint.asc", opener)
        assert (t, nd) == ("Int32", float(nodata))
        np.testing.assert_array_equal(got.astype(np.int64), arr.astype(np.int64))


def test_integer_grid_nodata_integer_part():
    """As the built-in: integer source types write the integer part of the nodata."""
    arr = np.array([[1, 2], [3, 4]], dtype=np.int16)
    text = write_fast("/vsimem/nd.asc", mem_source(arr, nodata=-9999.7))
    assert "NODATA_value -9999\n" in text
    builtin = write_builtin("/vsimem/ndb.asc", mem_source(arr, nodata=-9999.7))
    assert header_value(builtin, "NODATA_value") == "-9999"


@pytest.mark.parametrize(
    "dtype, nodata",
    [
        (np.int64, 2**53 + 1),
        (np.int64, 2**63 - 1),
        (np.int64, -(2**63)),
        (np.uint64, 2**64 - 1),
        (np.uint64, 2**63 + 12345),
    ],
    ids=["int64_2^53+1", "int64_max", "int64_min", "uint64_max", "uint64_2^63+12345"],
)
def test_int64_nodata_written_exactly(dtype, nodata):
    """An Int64/UInt64 nodata is an integer of that type: it must be written exactly (the
    band's data is); a GetNoDataValue() double loses it (2^53+1) or overflows the int64
    conversion (INT64_MAX / UINT64_MAX become -9223372036854775808)."""
    arr = np.array([[nodata, 7], [8, 9]], dtype=dtype)
    res = create_copy("/vsimem/nd64.asc", mem_source(arr, nodata=nodata))
    assert res.ok, res
    text = vsi_text("/vsimem/nd64.asc")
    assert data_tokens(text)[0] == str(nodata)
    assert header_value(text, "NODATA_value") == str(nodata), (
        "the NODATA_value line must match the cells holding the nodata"
    )


@pytest.mark.parametrize("nodata", [1e300, -1e300, float("nan"), 2.0 ** 31], ids=str)
def test_integer_nodata_out_of_range_is_not_written(nodata):
    """An Int32 band with a nodata it cannot hold (GDAL allows it): no NODATA_value line
    rather than a wrapped or undefined value (the built-in's (int) cast), and a warning
    naming the value."""
    arr = np.array([[1, 2]], dtype=np.int32)
    gdal.ErrorReset()
    with quiet_errors():
        text = write_fast("/vsimem/ndbig.asc", mem_source(arr, nodata=nodata))
        msg, kind = gdal.GetLastErrorMsg(), gdal.GetLastErrorType()
    assert header_value(text, "NODATA_value") is None
    assert kind == gdal.CE_Warning and "does not fit the Int32 band" in msg, msg


# --------------------------------------------------------------------------
# 1. Round trips: Float32
# --------------------------------------------------------------------------


def _f32_grid(seed, ncols=50):
    rng = np.random.default_rng(seed)
    edges = np.array(F32_EDGES, dtype=np.float32)
    dem = (rng.random(1000) * 3000).round(3).astype(np.float32)
    small = (rng.standard_normal(500) * 1e-3).astype(np.float32)
    n_rand = 3000
    vals = np.concatenate([edges, random_f32(rng, n_rand), dem, small])
    n = (len(vals) // ncols) * ncols
    return vals[:n].reshape(-1, ncols)


def test_float32_round_trip_bit_identical_fastaaigrid():
    arr = _f32_grid(21)
    write_fast("/vsimem/f32.asc", mem_source(arr))
    t, nd, got = read_back("/vsimem/f32.asc", open_fast)
    assert (t, nd) == ("Float32", None)
    assert_float_bits(got, arr, "FastAAIGrid reading FastAAIGrid's Float32 file")


def test_float32_round_trip_bit_identical_builtin():
    """The built-in reader parses with CPLAtofM (strtod) then casts to float: same bits,
    except that it clamps +-inf to +-FLT_MAX (documented built-in behaviour)."""
    arr = _f32_grid(22)
    write_fast("/vsimem/f32.asc", mem_source(arr))
    t, nd, got = read_back("/vsimem/f32.asc", open_builtin)
    assert (t, nd) == ("Float32", None)
    expected = arr.copy()
    expected[np.isposinf(arr)] = FLT_MAX
    expected[np.isneginf(arr)] = -FLT_MAX
    assert_float_bits(got, expected, "built-in reading FastAAIGrid's Float32 file")


def test_float32_tokens_shortest_digits():
    """Every value has the fewest significant digits that read back (double parse, cast)."""
    arr = _f32_grid(23)
    tokens = data_tokens(write_fast("/vsimem/f32.asc", mem_source(arr)))
    vals = arr.ravel()
    assert len(tokens) == len(vals)
    for i, (tok, v) in enumerate(zip(tokens, vals)):
        if not np.isfinite(v):
            assert tok == special_text(float(v)), f"cell {i}: {v!r} written {tok!r}"
            continue
        assert f32_reads_back(tok, v), f"cell {i}: {tok!r} does not read back {v!r}"
        t = strip_dot0(tok) if i == 0 else tok
        if v == 0:
            assert t == ("-0" if np.signbit(v) else "0"), f"cell {i}: {v!r} written {tok!r}"
            continue
        assert significant_digits(t) == shortest_f32_p(v), (
            f"cell {i}: {v!r} written {tok!r}, {shortest_f32_p(v)} digits suffice"
        )


def test_float32_tokens_no_longer_than_shortest_printf():
    """'Shortest text': never longer than %.{p}g with the fewest digits p that read back.
    (Values 1e5 <= |v| < 1e15 written in positional notation with trailing zeros are
    longer than their exponent form: 1.5e13f -> '15000000000000' vs '1.5e+13'.)"""
    arr = _f32_grid(24)
    tokens = data_tokens(write_fast("/vsimem/f32.asc", mem_source(arr)))
    longer = []
    for i, (tok, v) in enumerate(zip(tokens, arr.ravel())):
        if not np.isfinite(v) or v == 0:
            continue
        t = strip_dot0(tok) if i == 0 else tok
        ref = "%.*g" % (shortest_f32_p(v), float(v))
        if len(t) > len(ref):
            longer.append((float(v), t, ref))
    assert not longer, (
        f"{len(longer)} values written longer than needed, e.g. {longer[:3]}"
    )


def test_float32_edge_value_texts():
    vals = np.array([2.5, -0.0, 0.0, F32_DENORM_MIN, -F32_DENORM_MIN, FLT_MAX, -FLT_MAX,
                     float("nan"), -float("nan"), float("inf"), -float("inf"), 0.1],
                    dtype=np.float32)
    tokens = data_tokens(write_fast("/vsimem/e.asc", mem_source(vals)))
    assert tokens == ["2.5", "-0", "0", "1e-45", "-1e-45", "3.4028235e+38", "-3.4028235e+38",
                      "nan", "nan", "inf", "-inf", "0.1"]


def test_float32_nan_inf_read_back_fastaaigrid():
    vals = np.array([[1.0, float("nan"), -float("nan"), float("inf"), -float("inf"), -0.0]],
                    dtype=np.float32)
    write_fast("/vsimem/nan.asc", mem_source(vals))
    _, _, got = read_back("/vsimem/nan.asc", open_fast)
    assert_float_bits(got, vals, "nan/-nan/inf/-inf/-0")


# --------------------------------------------------------------------------
# 1. Round trips: Float64
# --------------------------------------------------------------------------


def _f64_grid(seed, ncols=40):
    rng = np.random.default_rng(seed)
    edges = np.array(F64_EDGES, dtype=np.float64)
    dem = (rng.random(400) * 3000).round(6)
    vals = np.concatenate([edges, random_f64(rng, 2000), dem,
                           random_f32(rng, 400).astype(np.float64)])
    n = (len(vals) // ncols) * ncols
    return vals[:n].reshape(-1, ncols)


def significant_digits(text):
    """Significant digits of a decimal token (trailing zeros of an integer excluded)."""
    mant = text.lstrip("-").split("e")[0].split("E")[0]
    digits = mant.replace(".", "").lstrip("0")
    if "." not in mant:
        digits = digits.rstrip("0")
    return len(digits) or 1


def test_float64_tokens_shortest_of_15_16_17():
    """Each token reads back to the identical double, carries the digits of the shortest of
    %.15g/%.16g/%.17g that does, and is no longer than that text (the writer picks positional
    or exponent notation, whichever is shorter)."""
    arr = _f64_grid(31)
    tokens = data_tokens(write_fast("/vsimem/f64.asc", mem_source(arr)))
    vals = arr.ravel()
    assert len(tokens) == len(vals)
    for i, (tok, v) in enumerate(zip(tokens, vals)):
        v = float(v)
        if not math.isfinite(v):
            assert tok == special_text(v), f"cell {i}: {v!r} written {tok!r}"
            continue
        if v == 0:
            assert tok == ("-0" if math.copysign(1, v) < 0 else "0"), f"cell {i}: {tok!r}"
            continue
        body = tok[:-2] if i == 0 and tok.endswith(".0") else tok
        ref = shortest_f64_text(v)
        assert struct.pack("<d", float(body)) == struct.pack("<d", v), f"cell {i}: {v!r} written {tok!r}"
        assert significant_digits(body) == significant_digits(ref), f"cell {i}: {tok!r} vs {ref!r}"
        assert len(body) <= len(ref), f"cell {i}: {v!r} written {tok!r}, longer than {ref!r}"


@pytest.mark.parametrize("opener", [open_fast, open_builtin], ids=["fast", "builtin"])
def test_float64_round_trip_bit_identical(opener):
    arr = _f64_grid(32)
    write_fast("/vsimem/f64.asc", mem_source(arr))
    t, nd, got = read_back("/vsimem/f64.asc", opener, ["DATATYPE=Float64"])
    assert (t, nd) == ("Float64", None)
    assert_float_bits(got, arr, "Float64 with DATATYPE=Float64")


def test_float64_default_read_is_float32_like_builtin():
    """Without DATATYPE a float file reads as Float32 (both readers, both writers)."""
    arr = np.array([[0.1, 1e-300, 2.5]], dtype=np.float64)
    write_fast("/vsimem/a.asc", mem_source(arr))
    write_builtin("/vsimem/b.asc", mem_source(arr))
    results = [read_back(p, o) for p in ("/vsimem/a.asc", "/vsimem/b.asc")
               for o in (open_fast, open_builtin)]
    for t, _, got in results:
        assert t == "Float32"
        assert_float_bits(got, results[0][2], "default read of Float64 data")


# --------------------------------------------------------------------------
# 1. NaN cells and the nodata value
# --------------------------------------------------------------------------


@pytest.mark.parametrize("nodata", [-9999.0, -9999.5, 0.1, 1e-40, 3.0e38,
                                    float(np.float32(3.4028233e38))], ids=str)
def test_float32_nan_cells_written_as_nodata(nodata):
    rng = np.random.default_rng(41)
    arr = (rng.random((20, 30)) * 100).astype(np.float32)
    arr[0, 0] = 12.25  # a finite first value (the 3.6.2 built-in cannot read a leading nan)
    nan_mask = rng.random(arr.shape) < 0.2
    nan_mask[0, 0] = False
    arr[nan_mask] = np.nan
    arr[1, 1] = -np.nan
    nan_mask[1, 1] = True
    text = write_fast("/vsimem/ndf.asc", mem_source(arr, nodata=nodata))
    nd_text = header_value(text, "NODATA_value")
    assert nd_text is not None
    tokens = data_tokens(text)
    assert not any("nan" in t for t in tokens), "NaN cells must be written as the nodata"
    assert all(t == nd_text for t, m in zip(tokens, nan_mask.ravel()) if m)
    # The nodata text is the exact nodata (as a double when it is no float).
    assert float(nd_text) == nodata or f32_reads_back(nd_text, nodata)
    nd32 = float(np.float32(nodata))
    expected = arr.copy()
    expected[nan_mask] = np.float32(nodata)
    for opener in (open_fast, open_builtin):
        t, nd, got = read_back("/vsimem/ndf.asc", opener)
        assert t == "Float32", f"a Float32 grid with nodata {nodata!r} read back as {t}"
        # the reader gives the nodata rounded to float, or (for a nodata with neither '.'
        # nor ',' like '1e-40', as both readers do) the exact double
        assert nd in (nd32, nodata), f"nodata read back {nd!r}, expected {nd32!r}"
        assert_float_bits(got, expected, "NaN cells read back as the nodata")


@pytest.mark.parametrize("nodata", [-FLT_MAX, FLT_MAX])
def test_float32_flt_max_nodata_keeps_float32_type(nodata):
    """-FLT_MAX is a very common Float32 nodata. Its shortest float text '-3.4028235e+38'
    reads back (double, then float) as -FLT_MAX, but as a double it is beyond FLT_MAX, and
    both readers then make the grid Float64 (reference section 2.1: a nodata with a '.'
    whose magnitude is above FLT_MAX). The built-in writer's '%.20g' text is the exact
    value and keeps the grid Float32: so must ours."""
    arr = np.array([[1.5, np.nan], [nodata, 4.0]], dtype=np.float32)
    src = mem_source(arr, nodata=nodata)
    text = write_fast("/vsimem/fm.asc", src)
    write_builtin("/vsimem/fmb.asc", src)
    assert read_back("/vsimem/fmb.asc", open_builtin)[:2] == ("Float32", nodata)
    for opener in (open_fast, open_builtin):
        t, nd, got = read_back("/vsimem/fm.asc", opener)
        assert (t, nd) == ("Float32", nodata), (
            f"NODATA_value {header_value(text, 'NODATA_value')}: read back as {t}, nodata {nd!r}"
        )
        assert got[0, 1] == got[1, 0] == np.float32(nodata)


@pytest.mark.parametrize("nodata", [-9999.0, -1.234567890123, -DBL_MAX, 1e-310], ids=str)
def test_float64_nan_cells_written_as_nodata(nodata):
    rng = np.random.default_rng(42)
    arr = rng.standard_normal((10, 12)) * 1e3
    nan_mask = rng.random(arr.shape) < 0.3
    nan_mask[0, 0] = False
    arr[nan_mask] = np.nan
    text = write_fast("/vsimem/ndd.asc", mem_source(arr, nodata=nodata))
    assert header_value(text, "NODATA_value") == shortest_f64_text(nodata)
    expected = arr.copy()
    expected[nan_mask] = nodata
    for opener in (open_fast, open_builtin):
        t, nd, got = read_back("/vsimem/ndd.asc", opener, ["DATATYPE=Float64"])
        assert (t, nd) == ("Float64", nodata)
        assert_float_bits(got, expected, "Float64 NaN cells read back as the nodata")


def test_float32_nan_nodata_writes_nan():
    """A NaN nodata: NaN cells stay 'nan', header 'NODATA_value nan' (FastAAIGrid reads it
    as Float32 with NaN nodata; the 3.6.2 built-in cannot, see peer-data README)."""
    arr = np.array([[1.5, np.nan], [np.nan, 4.0]], dtype=np.float32)
    text = write_fast("/vsimem/ndnan.asc", mem_source(arr, nodata=float("nan")))
    assert header_value(text, "NODATA_value") == "nan"
    assert data_tokens(text) == ["1.5", "nan", "nan", "4"]
    t, nd, got = read_back("/vsimem/ndnan.asc", open_fast)
    assert t == "Float32" and math.isnan(nd)
    assert_float_bits(got, arr, "NaN nodata")


def test_float32_all_nan_with_integer_nodata_reads_back_as_nodata():
    """No finite value, so no '.0' anywhere: the file holds only '-9999' and readers take it
    for an Int32 grid. The cells still read back as the nodata (documents the behaviour;
    the built-in writes 'nan', which 3.6.2 reads back as 0)."""
    arr = np.full((3, 4), np.nan, dtype=np.float32)
    text = write_fast("/vsimem/allnan.asc", mem_source(arr, nodata=-9999))
    assert data_tokens(text) == ["-9999"] * 12
    for opener in (open_fast, open_builtin):
        t, nd, got = read_back("/vsimem/allnan.asc", opener)
        assert nd == -9999
        assert (got == -9999).all(), t


# --------------------------------------------------------------------------
# 1. The '.0' of the first finite value
# --------------------------------------------------------------------------


def test_dot0_on_first_value_of_float32_integers():
    arr = np.array([[107, 123, 132], [115, 132, 107]], dtype=np.float32)
    text = write_fast("/vsimem/dot.asc", mem_source(arr))
    assert data_rows(text) == [["107.0", "123", "132"], ["115", "132", "107"]]
    for opener in (open_fast, open_builtin):
        t, _, got = read_back("/vsimem/dot.asc", opener)
        assert t == "Float32"
        assert_float_bits(got, arr, "float grid of integers")


def test_dot0_goes_to_first_finite_value():
    arr = np.array([[np.nan, np.inf, -np.inf], [-np.nan, 5, 6]], dtype=np.float32)
    text = write_fast("/vsimem/dot.asc", mem_source(arr))
    assert data_tokens(text) == ["nan", "inf", "-inf", "nan", "5.0", "6"]
    for opener in (open_fast, open_builtin):
        t, _, got = read_back("/vsimem/dot.asc", opener)
        assert t == "Float32"
        expected = arr.copy()
        if opener is open_builtin:  # the built-in clamps infinities in Float32 grids
            expected[np.isinf(arr)] = np.sign(arr[np.isinf(arr)]) * FLT_MAX
        assert_float_bits(got, expected, "first finite value")


@pytest.mark.parametrize("first, token", [(0.5, "0.5"), (1e-45, "1e-45"), (-0.0, "-0.0"),
                                          (3e38, "3e+38")])
def test_dot0_not_added_when_first_value_has_dot_or_e(first, token):
    arr = np.array([[first, 2, 3]], dtype=np.float32)
    tokens = data_tokens(write_fast("/vsimem/dot.asc", mem_source(arr)))
    assert tokens == [token, "2", "3"]


@pytest.mark.parametrize("dtype", INT_TYPES, ids=lambda t: np.dtype(t).name)
def test_no_dot0_for_integer_types(dtype):
    text = write_fast("/vsimem/i.asc", mem_source(np.array([[1, 2], [3, 4]], dtype=dtype)))
    assert data_tokens(text) == ["1", "2", "3", "4"]


def test_dot0_with_non_integer_nodata_does_not_depend_on_threads():
    """Leading NaN rows written as a nodata text with a '.', then integer values: the output
    must not depend on NUM_THREADS, and the first finite value gets its '.0'."""
    arr = np.full((4, 2), np.nan, dtype=np.float32)
    arr[2:] = [[1, 2], [3, 4]]
    outputs = {}
    # A grid this small is formatted on one thread unless the test knob asks for tiny tasks.
    with config_options({"FASTAAIGRID_PARALLEL_MIN": "1"}):
        for threads in ("1", "2", "3"):
            outputs[threads] = write_fast("/vsimem/thr.asc", mem_source(arr, nodata=-9999.5),
                                          [f"NUM_THREADS={threads}"])
    assert outputs["1"] == outputs["2"] == outputs["3"], (
        "output differs with NUM_THREADS: "
        + " | ".join(f"{k}: {data_tokens(v)[4:]}" for k, v in outputs.items())
    )
    assert data_tokens(outputs["1"])[4] == "1.0"


# --------------------------------------------------------------------------
# 2. Differential with the built-in writer
# --------------------------------------------------------------------------


def _diff_sources():
    rng = np.random.default_rng(51)
    srcs = {}
    for dt in INT_TYPES:
        srcs[np.dtype(dt).name] = _int_values(dt, seed=52, small=True)[:10]
    srcs["uint32_full"] = _int_values(np.uint32, seed=53)[:10]
    srcs["int64_2^53"] = rng.integers(-(2**53), 2**53, size=(10, 30), dtype=np.int64)
    srcs["uint64_2^53"] = rng.integers(0, 2**53, size=(10, 30), dtype=np.uint64)
    f32 = _f32_grid(54)
    srcs["float32"] = f32
    srcs["float64"] = _f64_grid(55)
    return srcs


DIFF_SOURCES = _diff_sources()


@pytest.mark.parametrize("name", list(DIFF_SOURCES))
def test_same_values_as_builtin_writer(name):
    arr = DIFF_SOURCES[name]
    src = mem_source(arr, nodata=None)
    write_fast("/vsimem/fast.asc", src)
    write_builtin("/vsimem/builtin.asc", src)
    # the built-in writes UInt32/Int64/UInt64 as floats: read them as Float64
    oo = ["DATATYPE=Float64"] if arr.dtype in (np.float64, np.uint32, np.int64, np.uint64) else []
    for opener in (open_fast, open_builtin):
        t1, nd1, a1 = read_back("/vsimem/fast.asc", opener, oo)
        t2, nd2, a2 = read_back("/vsimem/builtin.asc", opener, oo)
        assert nd1 == nd2 is None
        assert t1 == t2
        if arr.dtype.kind == "f" and opener is open_builtin and builtin_since(3, 8):
            # The built-in writes a negative NaN as '-nan', which its own reader reads as 0
            # from GDAL 3.8 on; we write 'nan', read as NaN.
            neg_nan = (np.isnan(arr) & np.signbit(arr)).reshape(a2.shape)
            assert (a2[neg_nan] == 0).all(), "GDAL >= 3.8 reads '-nan' as 0"
            a2 = a2.copy()
            a2[neg_nan] = np.nan
        if arr.dtype.kind == "f" or oo:
            assert_float_bits(a1, a2, f"{name}: fast vs built-in output")
        else:
            np.testing.assert_array_equal(a1, a2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_same_georeferencing_and_nodata_as_builtin_writer(dtype):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)
    arr = (np.arange(12).reshape(3, 4) * 7).astype(dtype)
    src = mem_source(arr, nodata=-9999, gt=(500000.0, 30.0, 0.0, 4649776.0, 0.0, -30.0), srs=srs)
    fast = write_fast("/vsimem/fast.asc", src)
    builtin = write_builtin("/vsimem/builtin.asc", src)
    # ncols .. cellsize lines: identical text.
    assert split_grid(fast)[0][:5] == split_grid(builtin)[0][:5]
    for opener in (open_fast, open_builtin):
        d1 = opener("/vsimem/fast.asc")
        d2 = opener("/vsimem/builtin.asc")
        assert d1.GetGeoTransform() == d2.GetGeoTransform()
        assert d1.GetRasterBand(1).GetNoDataValue() == d2.GetRasterBand(1).GetNoDataValue()
        assert d1.GetSpatialRef().IsSame(d2.GetSpatialRef())
        assert type_name(d1) == type_name(d2)


@pytest.mark.parametrize("options", [["DECIMAL_PRECISION=3"], ["DECIMAL_PRECISION=0"],
                                     ["SIGNIFICANT_DIGITS=5"], ["SIGNIFICANT_DIGITS=17"],
                                     ["DECIMAL_PRECISION=25"]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_precision_options_same_text_as_builtin(options, dtype):
    """With DECIMAL_PRECISION / SIGNIFICANT_DIGITS both writers print the same printf
    text for every value (no nodata, so NaN stays 'nan'), except a negative NaN: the built-in
    writes '-nan', which its own reader reads as 0 from GDAL 3.8 on; we write 'nan'."""
    rng = np.random.default_rng(56)
    vals = np.concatenate([[7.0, -0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1e-45, 3e38],
                           rng.standard_normal(300) * 1000, rng.random(100) * 1e-6])
    vals = vals[: (vals.size // 17) * 17]
    arr = vals.astype(dtype).reshape(-1, 17)
    src = mem_source(arr)
    fast = data_tokens(write_fast("/vsimem/fast.asc", src, options))
    builtin = data_tokens(write_builtin("/vsimem/builtin.asc", src, options))
    assert fast[3:5] == ["nan", "nan"]
    assert fast == [("nan" if t == "-nan" else t) for t in builtin]
    key, n = options[0].split("=")
    fmt = "%%.%sf" % n if key == "DECIMAL_PRECISION" else "%%.%sg" % n
    expected = [special_text(float(v)) if not np.isfinite(v) else fmt % float(v)
                for v in arr.ravel()]
    if "." not in expected[0] and "e" not in expected[0]:
        expected[0] += ".0"
    assert fast == expected


def test_float32_file_at_most_half_the_builtin_size():
    """A DEM-like Float32 grid (values with 3 decimals): the built-in's %.20g prints the
    double expansion of each float, we print the shortest text."""
    rng = np.random.default_rng(57)
    arr = (rng.random((200, 200)) * 3000).round(3).astype(np.float32)
    src = mem_source(arr, nodata=-9999)
    write_fast("/vsimem/fast.asc", src)
    write_builtin("/vsimem/builtin.asc", src)
    ours = gdal.VSIStatL("/vsimem/fast.asc").size
    theirs = gdal.VSIStatL("/vsimem/builtin.asc").size
    assert ours <= 0.5 * theirs, f"{ours} bytes vs built-in {theirs} bytes"
    a1 = read_back("/vsimem/fast.asc", open_builtin)[2]
    a2 = read_back("/vsimem/builtin.asc", open_builtin)[2]
    assert_float_bits(a1, a2, "same values from both files")
    assert_float_bits(a1, arr, "values")


# --------------------------------------------------------------------------
# 3. GDAL's own writer tests (autotest/gdrivers/aaigrid.py)
# --------------------------------------------------------------------------


def _peer(name):
    path = os.path.join(PEER_DIR, "aaigrid", name)
    if not os.path.exists(path):
        pytest.fail(f"peer data missing: {path}", pytrace=False)
    return path


def _open_peer_builtin(name, open_options=()):
    ds = open_builtin(_peer(name), list(open_options))
    assert ds is not None
    return ds


def test_gdal_aaigrid_12_decimal_precision(peer_dir):
    src = _open_peer_builtin("nodata_float.asc")
    text = write_fast("/vsimem/aaigrid_12.asc", src, ["DECIMAL_PRECISION=3"])
    assert text.splitlines()[5].endswith("-99999.000")


def test_gdal_aaigrid_13_significant_digits(peer_dir):
    src = _open_peer_builtin("nodata_float.asc")
    text = write_fast("/vsimem/aaigrid_13.asc", src, ["SIGNIFICANT_DIGITS=3"])
    assert text.splitlines()[5].endswith("-1e+05")


def test_gdal_aaigrid_14_float32_copy_of_integers(peer_dir):
    """#6060: a Float32 copy of byte.tif contains '107.0 123'."""
    src = gdal.Translate("", _open_peer_builtin("byte.tif.grd"), format="MEM",
                         outputType=gdal.GDT_Float32)
    text = write_fast("/vsimem/aaigrid_14.asc", src)
    assert "107.0 123" in text
    ds = open_fast("/vsimem/aaigrid_14.asc")
    assert type_name(ds) == "Float32"
    assert ds.GetRasterBand(1).Checksum() == 4672


@pytest.mark.parametrize("gdt", [gdal.GDT_Byte, gdal.GDT_Int16, gdal.GDT_UInt16,
                                 gdal.GDT_Float32], ids=gdal.GetDataTypeName)
def test_gdal_aaigrid_createcopy(peer_dir, gdt):
    """test_aaigrid_createcopy / _3 / _8: byte.tif as several types, checksum 4672, gt and
    SRS preserved, written to /vsimem/."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(26711)
    src = gdal.Translate("", _open_peer_builtin("byte.tif.grd"), format="MEM", outputType=gdt,
                         outputSRS=srs)
    write_fast("/vsimem/cc.asc", src)
    for opener in (open_fast, open_builtin):
        ds = opener("/vsimem/cc.asc")
        assert ds.GetRasterBand(1).Checksum() == 4672
        assert ds.GetGeoTransform() == (440720.0, 60.0, 0.0, 3751320.0, 0.0, -60.0)
        assert ds.GetSpatialRef() is not None and ds.GetSpatialRef().IsSame(srs)


def test_gdal_aaigrid_7_nonsquare():
    rng = np.random.default_rng(71)
    arr = rng.integers(0, 255, size=(35, 31), dtype=np.uint8)
    gt = (100000.0, 60.0, 0.0, 650600.0, 0.0, -50.0)
    src = mem_source(arr, gt=gt)
    text = write_fast("/vsimem/ns.asc", src)
    assert header_value(text, "dx") and header_value(text, "dy")
    for opener in (open_fast, open_builtin):
        ds = opener("/vsimem/ns.asc")
        assert ds.GetGeoTransform() == gt
        assert ds.GetRasterBand(1).Checksum() == src.GetRasterBand(1).Checksum()


@pytest.mark.parametrize("option", ["DECIMAL_PRECISION=2", "SIGNIFICANT_DIGITS=2"])
def test_gdal_aaigrid_9_11_precision_min(option):
    arr = np.array([[0.5, -0.8372, 0.21], [1.25, -0.5, 0.004]], dtype=np.float32)
    write_fast("/vsimem/p.asc", mem_source(arr), [option])
    ds = open_fast("/vsimem/p.asc")
    mn = ds.GetRasterBand(1).ComputeRasterMinMax(False)[0]
    assert mn == pytest.approx(-0.84, abs=1e-6)


def test_gdal_aaigrid_10_float64_round_trip(peer_dir):
    src = _open_peer_builtin("float64.asc", ["DATATYPE=Float64"])
    assert type_name(src) == "Float64"
    src_arr = read_array(src)
    write_fast("/vsimem/f64.asc", src)
    for opener in (open_fast, open_builtin):
        t, nd, got = read_back("/vsimem/f64.asc", opener, ["DATATYPE=Float64"])
        assert t == "Float64"
        assert nd == -1.234567890123
        valid = got[got != nd]
        assert valid.min() == valid.max() == 1.234567890123
        assert_float_bits(got, src_arr, "float64.asc")


def test_gdal_write_south_up_raster():
    """#6946: MEM 1x2 Float32, gt (2,1,0,49,0,1), values [[1],[2]]."""
    src = mem_source(np.array([[1], [2]], dtype=np.float32), gt=(2, 1, 0, 49, 0, 1))
    text = write_fast("/vsimem/south_up.asc", src)
    assert header_value(text, "yllcorner") == "49.000000000000"
    assert data_tokens(text) == ["2.0", "1"]
    for opener in (open_fast, open_builtin):
        ds = opener("/vsimem/south_up.asc")
        assert ds.GetGeoTransform() == (2, 1, 0, 51, 0, -1)
        np.testing.assert_array_equal(read_array(ds), np.array([[2], [1]], dtype=np.float32))


# --------------------------------------------------------------------------
# 4. Header
# --------------------------------------------------------------------------


def test_header_layout_exact():
    arr = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    text = write_fast("/vsimem/h.asc", mem_source(arr, nodata=-9999))
    assert text == (
        "ncols        3\n"
        "nrows        2\n"
        "xllcorner    440720.000000000000\n"
        "yllcorner    3751200.000000000000\n"
        "cellsize     60.000000000000\n"
        "NODATA_value -9999\n"
        "1.0 2 3\n"
        "4 5 6\n"
    )


def test_header_without_nodata_has_no_nodata_line():
    text = write_fast("/vsimem/h.asc", mem_source(np.array([[1, 2]], dtype=np.float32)))
    assert "NODATA" not in text.upper()
    assert len(split_grid(text)[0]) == 5


def test_header_numbers_exact_when_12_decimals_are_not():
    """1/1200-degree cells: the built-in's %.12f rounds them; we write the shortest exact text
    so that both readers get the source's geotransform back."""
    cell = 1 / 1200
    gt = (-73.10000000000001, cell, 0.0, 45.7, 0.0, -cell)
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    text = write_fast("/vsimem/geo.asc", mem_source(arr, gt=gt))
    assert float(header_value(text, "xllcorner")) == gt[0]
    assert float(header_value(text, "cellsize")) == cell
    assert float(header_value(text, "yllcorner")) == gt[3] + 3 * gt[5]
    # The numbers that %.12f gives exactly stay in the built-in's format.
    assert header_value(text, "ncols") == "4"
    for opener in (open_fast, open_builtin):
        got = opener("/vsimem/geo.asc").GetGeoTransform()
        assert got[0] == gt[0] and got[1] == cell and got[5] == -cell
        assert got[3] == float(header_value(text, "yllcorner")) + 3 * cell
    builtin = write_builtin("/vsimem/geob.asc", mem_source(arr, gt=gt))
    assert float(header_value(builtin, "cellsize")) != cell  # the built-in's rounding


def test_header_12_decimals_when_exact():
    gt = (0.5, 0.25, 0.0, 10.75, 0.0, -0.25)
    text = write_fast("/vsimem/geo.asc", mem_source(np.zeros((2, 2), np.int16), gt=gt))
    assert split_grid(text)[0] == [
        "ncols        2", "nrows        2", "xllcorner    0.500000000000",
        "yllcorner    10.250000000000", "cellsize     0.250000000000",
    ]


def test_nonsquare_writes_dx_dy_with_warning():
    gt = (0.0, 60.0, 0.0, 100.0, 0.0, -50.0)
    res = create_copy("/vsimem/ns.asc", mem_source(np.zeros((2, 2), np.float32), gt=gt))
    assert res.ok
    assert res.err_type == gdal.CE_Warning
    assert "/vsimem/ns.asc" in res.msg and "not square" in res.msg
    assert "FORCE_CELLSIZE" in res.msg
    header = split_grid(vsi_text("/vsimem/ns.asc"))[0]
    assert header[4:] == ["dx           60.000000000000", "dy           50.000000000000"]
    builtin = write_builtin("/vsimem/nsb.asc", mem_source(np.zeros((2, 2), np.float32), gt=gt))
    assert split_grid(builtin)[0] == header


def test_nonsquare_force_cellsize_yes():
    gt = (0.0, 60.0, 0.0, 100.0, 0.0, -50.0)
    res = create_copy("/vsimem/ns.asc", mem_source(np.zeros((2, 2), np.float32), gt=gt),
                      ["FORCE_CELLSIZE=YES"])
    assert res.ok and res.err_type == gdal.CE_None, res
    text = vsi_text("/vsimem/ns.asc")
    assert header_value(text, "cellsize") == "60.000000000000"
    assert header_value(text, "dx") is None
    # yllcorner 0 (from the true dy 50), cellsize 60: the grid is stretched in y
    assert header_value(text, "yllcorner") == "0.000000000000"
    assert open_fast("/vsimem/ns.asc").GetGeoTransform() == (0, 60, 0, 120, 0, -60)


def test_nonsquare_force_cellsize_no_silences_warning():
    """As the built-in: FORCE_CELLSIZE given with any value silences the warning."""
    gt = (0.0, 60.0, 0.0, 100.0, 0.0, -50.0)
    res = create_copy("/vsimem/ns.asc", mem_source(np.zeros((2, 2), np.float32), gt=gt),
                      ["FORCE_CELLSIZE=NO"])
    assert res.ok and res.err_type == gdal.CE_None, res
    assert header_value(vsi_text("/vsimem/ns.asc"), "dx") == "60.000000000000"


def test_tiny_nonsquare_cells_not_taken_for_square():
    """The built-in's absolute 1e-7 tolerance calls 1e-8 x 3e-8 square; we do not."""
    gt = (10.0, 1e-8, 0.0, 20.0, 0.0, -3e-8)
    res = create_copy("/vsimem/t.asc", mem_source(np.zeros((2, 2), np.float32), gt=gt))
    assert res.ok and res.err_type == gdal.CE_Warning
    ds = open_fast("/vsimem/t.asc")
    got = ds.GetGeoTransform()
    assert got[1] == 1e-8 and got[5] == -3e-8


def test_south_up_large_multiblock():
    """A south-up grid larger than one formatting block (2^20 values): rows reversed."""
    ncols, nrows = 1024, 1100
    arr = (np.arange(nrows, dtype=np.float32)[:, None] * 4 + np.arange(ncols) % 4)
    arr = arr.astype(np.float32)
    arr[-1, 0] = np.nan  # first cell of the file (last source row)
    gt = (100.0, 2.0, 0.0, 500.0, 0.0, 2.0)
    text = write_fast("/vsimem/su.asc", mem_source(arr, gt=gt), ["NUM_THREADS=2"])
    tokens = text.split("\n", 7)[5].split()
    assert tokens[:2] == ["nan", f"{int(arr[-1, 1])}.0"]
    ds = open_fast("/vsimem/su.asc")
    assert ds.GetGeoTransform() == (100.0, 2.0, 0.0, 500.0 + nrows * 2.0, 0.0, -2.0)
    assert_float_bits(read_array(ds), arr[::-1], "south-up rows reversed")


def test_no_geotransform_rows_in_source_order():
    """Documented difference: the built-in writes such a source bottom-up (it takes GDAL's
    default gt (0,1,0,0,0,1) for south-up); we keep the rows in order, cellsize 1 from 0,0."""
    arr = np.array([[1, 2], [3, 4]], dtype=np.int32)
    text = write_fast("/vsimem/nogt.asc", mem_source(arr, gt=None))
    assert split_grid(text)[0] == [
        "ncols        2", "nrows        2", "xllcorner    0.000000000000",
        "yllcorner    0.000000000000", "cellsize     1.000000000000",
    ]
    assert data_rows(text) == [["1", "2"], ["3", "4"]]
    for opener in (open_fast, open_builtin):
        ds = opener("/vsimem/nogt.asc")
        assert ds.GetGeoTransform() == (0, 1, 0, 2, 0, -1)
        np.testing.assert_array_equal(read_array(ds), arr)
    # Pin down the built-in's behaviour that we deliberately differ from.
    src = gdal.GetDriverByName("MEM").Create("", 2, 2, 1, gdal.GDT_Int32)
    src.GetRasterBand(1).WriteArray(arr)
    tif = "/vsimem/nogt.tif"
    gdal.GetDriverByName("GTiff").CreateCopy(tif, src)
    builtin = write_builtin("/vsimem/nogtb.asc", gdal.Open(tif))
    assert data_rows(builtin) == [["3", "4"], ["1", "2"]]
    ours = write_fast("/vsimem/nogtf.asc", gdal.Open(tif))
    assert data_rows(ours) == [["1", "2"], ["3", "4"]]


@pytest.mark.parametrize("gt", [(0, 60, 1, 100, 0, -60), (0, 60, 0, 100, -0.5, -60)],
                         ids=["gt2", "gt4"])
def test_rotated_geotransform_refused(tmp_path, gt):
    path = str(tmp_path / "rot.asc")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    res = create_copy(path, mem_source(np.zeros((2, 2), np.float32), gt=gt, srs=srs))
    assert not res.ok
    assert res.err_type == gdal.CE_Failure
    assert path in res.msg and "rotat" in res.msg.lower()
    assert os.listdir(tmp_path) == [], "no file may be left"


@pytest.mark.parametrize("gt", [(0, -1, 0, 10, 0, -1), (0, 0, 0, 10, 0, -1), (0, 1, 0, 10, 0, 0)],
                         ids=["negative_dx", "zero_dx", "zero_dy"])
def test_degenerate_pixel_size_refused(gt):
    res = create_copy("/vsimem/deg.asc", mem_source(np.zeros((2, 2), np.float32), gt=gt))
    assert not res.ok and res.err_type == gdal.CE_Failure
    assert "/vsimem/deg.asc" in res.msg and "pixel" in res.msg
    assert not exists("/vsimem/deg.asc")


# --------------------------------------------------------------------------
# 4. Precision options
# --------------------------------------------------------------------------

PREC_VALUES = np.array([[1.5, -0.8372, 123456.789, 1e-7], [np.nan, 42.0, -3e38, 0.1]],
                       dtype=np.float32)


def test_decimal_precision():
    text = write_fast("/vsimem/dp.asc", mem_source(PREC_VALUES, nodata=-9999),
                      ["DECIMAL_PRECISION=3"])
    assert header_value(text, "NODATA_value") == "-9999.000"
    exp = ["%.3f" % float(v) for v in PREC_VALUES.ravel()]
    exp[4] = "-9999.000"
    assert data_tokens(text) == exp


def test_significant_digits():
    text = write_fast("/vsimem/sd.asc", mem_source(PREC_VALUES, nodata=-9999),
                      ["SIGNIFICANT_DIGITS=3"])
    assert header_value(text, "NODATA_value") == "-1e+04"
    exp = ["%.3g" % float(v) for v in PREC_VALUES.ravel()]
    exp[4] = "-1e+04"
    assert data_tokens(text) == exp


def test_decimal_precision_zero_gets_dot0():
    arr = np.array([[1.4, 2.6]], dtype=np.float32)
    text = write_fast("/vsimem/dp0.asc", mem_source(arr), ["DECIMAL_PRECISION=0"])
    assert data_tokens(text) == ["1.0", "3"]
    assert type_name(open_fast("/vsimem/dp0.asc")) == "Float32"


def test_both_precision_options_warn_and_decimal_wins():
    res = create_copy("/vsimem/both.asc", mem_source(PREC_VALUES),
                      ["SIGNIFICANT_DIGITS=3", "DECIMAL_PRECISION=2"])
    assert res.ok
    assert res.err_type == gdal.CE_Warning
    assert "/vsimem/both.asc" in res.msg
    assert "Conflicting precision arguments, using DECIMAL_PRECISION" in res.msg
    assert data_tokens(vsi_text("/vsimem/both.asc")) == ["%.2f" % float(v)
                                                         for v in PREC_VALUES.ravel()]


@pytest.mark.parametrize("option", ["DECIMAL_PRECISION=-1", "SIGNIFICANT_DIGITS=-5"])
def test_negative_precision_ignored(option):
    default = write_fast("/vsimem/d.asc", mem_source(PREC_VALUES))
    res = create_copy("/vsimem/n.asc", mem_source(PREC_VALUES), [option])
    assert res.ok and res.err_type == gdal.CE_None, res
    assert vsi_text("/vsimem/n.asc") == default


@pytest.mark.parametrize("option", ["DECIMAL_PRECISION=41", "SIGNIFICANT_DIGITS=41",
                                    "DECIMAL_PRECISION=1000"])
def test_precision_above_40_is_an_error(option):
    res = create_copy("/vsimem/p.asc", mem_source(PREC_VALUES), [option])
    assert not res.ok
    assert res.err_type == gdal.CE_Failure
    key, value = option.split("=")
    assert "/vsimem/p.asc" in res.msg and key in res.msg and f"'{value}'" in res.msg
    assert "40" in res.msg
    assert not exists("/vsimem/p.asc")


@pytest.mark.parametrize("option", ["DECIMAL_PRECISION=40", "SIGNIFICANT_DIGITS=40"])
def test_precision_40_with_extreme_values_and_long_nodata(option):
    """The longest texts (%.40f of DBL_MAX: 350 characters) and a long nodata text
    substituted for NaN cells fit the buffers."""
    arr = np.array([[DBL_MAX, -DBL_MAX, 5e-324, np.nan], [np.nan, 1.0, -0.0, np.inf]])
    text = write_fast("/vsimem/p40.asc", mem_source(arr, nodata=-DBL_MAX), [option])
    key, n = option.split("=")
    fmt = ("%%.%sf" if key == "DECIMAL_PRECISION" else "%%.%sg") % n
    nd = fmt % -DBL_MAX
    assert header_value(text, "NODATA_value") == nd
    exp = [nd if math.isnan(v) else fmt % v for v in arr.ravel()]
    assert data_tokens(text) == exp
    t, ndv, got = read_back("/vsimem/p40.asc", open_fast, ["DATATYPE=Float64"])
    assert ndv == -DBL_MAX
    assert got[0, 0] == DBL_MAX and got[0, 3] == -DBL_MAX


@pytest.mark.parametrize("dtype", [np.int16, np.uint32, np.int64])
def test_precision_options_ignored_for_integer_types(dtype):
    arr = np.array([[1, 2], [3, 4]], dtype=dtype)
    for opt in (["DECIMAL_PRECISION=3"], ["SIGNIFICANT_DIGITS=2"], ["DECIMAL_PRECISION=99"]):
        res = create_copy("/vsimem/i.asc", mem_source(arr, nodata=-1 if dtype != np.uint32 else 9),
                          opt)
        assert res.ok, res
        assert data_tokens(vsi_text("/vsimem/i.asc")) == ["1", "2", "3", "4"]


# --------------------------------------------------------------------------
# 4. NUM_THREADS
# --------------------------------------------------------------------------


def test_num_threads_same_bytes_multiblock():
    """Two formatting blocks (2^20 values each); the first block is all NaN, so the '.0'
    goes to the first value of the second block whatever the thread split."""
    ncols, nrows = 1024, 1100
    rng = np.random.default_rng(81)
    arr = rng.integers(0, 100, size=(nrows, ncols)).astype(np.float32)
    arr[:1024] = np.nan
    src = mem_source(arr)
    outputs = [write_fast("/vsimem/t.asc", src, [f"NUM_THREADS={n}"])
               for n in ("1", "2", "3", "ALL_CPUS")]
    assert all(o == outputs[0] for o in outputs[1:])
    tokens = data_tokens(outputs[0])
    dotted = [i for i, t in enumerate(tokens) if "." in t]
    assert dotted == [1024 * ncols]
    assert tokens[1024 * ncols] == f"{int(arr[1024, 0])}.0"


# GeoTIFF strips that GDAL has not cached are read with ReadBlock, bypassing the block cache;
# a source held in memory goes through RasterIO. Both must give the same bytes, with the
# blocks cut across strips (FASTAAIGRID_CHUNK_SIZE: 10 rows, rounded up to 14 for strips of 7)
# and a short last strip (205 rows).
STRIP_LAYOUTS = {"strip1": ["BLOCKYSIZE=1"], "strip7": ["BLOCKYSIZE=7"],
                 "one-strip": ["BLOCKYSIZE=205"], "tiled": ["TILED=YES", "BLOCKXSIZE=16",
                                                        "BLOCKYSIZE=16"]}


def _strip_grid(dtype, seed=5):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal((205, 37)) * 1000).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=(205, 37), endpoint=True, dtype=dtype)


def _geotiff(path, arr, layout, nodata=None):
    ds = gdal.GetDriverByName("GTiff").CreateCopy(str(path), mem_source(arr, nodata=nodata),
                                                  options=STRIP_LAYOUTS[layout])
    ds = None
    return str(path)


@pytest.mark.parametrize("chunk", ["0", "370"], ids=["one-block", "blocks-of-10-rows"])
@pytest.mark.parametrize("layout", list(STRIP_LAYOUTS))
@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.uint32, np.int64, np.float32,
                                   np.float64], ids=lambda t: np.dtype(t).name)
def test_geotiff_source_same_bytes_as_memory_source(tmp_path, dtype, layout, chunk):
    arr = _strip_grid(dtype)
    path = _geotiff(tmp_path / "src.tif", arr, layout, nodata=-77)
    with config_options({"FASTAAIGRID_CHUNK_SIZE": chunk}):
        expected = write_fast("/vsimem/mem.asc", mem_source(arr, nodata=-77))
        got = write_fast("/vsimem/tif.asc", gdal.Open(path))
    assert got == expected


def test_geotiff_source_partly_cached_same_bytes(tmp_path):
    """Strips already in GDAL's cache are taken from it; the others are read past it."""
    arr = _strip_grid(np.int32, seed=6)
    src = gdal.Open(_geotiff(tmp_path / "src.tif", arr, "strip7"))
    assert np.array_equal(src.GetRasterBand(1).ReadAsArray(0, 20, 37, 50), arr[20:70])
    with config_options({"FASTAAIGRID_CHUNK_SIZE": "370"}):
        got = write_fast("/vsimem/tif.asc", src)
    assert got == write_fast("/vsimem/mem.asc", mem_source(arr))


def test_geotiff_source_in_update_mode_gives_its_unsaved_rows(tmp_path):
    """A dataset being written holds newer rows in its cache than in its file."""
    arr = _strip_grid(np.int32, seed=7)
    src = gdal.Open(_geotiff(tmp_path / "src.tif", arr, "strip1"), gdal.GA_Update)
    arr[100:110] = 12345
    assert src.GetRasterBand(1).WriteArray(arr[100:110], 0, 100) == gdal.CE_None
    got = write_fast("/vsimem/tif.asc", src)
    assert got == write_fast("/vsimem/mem.asc", mem_source(arr))


def test_geotiff_source_read_error_fails_the_copy(tmp_path):
    """A strip that cannot be read (file cut short) fails the copy, and no grid is left."""
    arr = _strip_grid(np.int32, seed=8)
    path = _geotiff(tmp_path / "src.tif", arr, "strip1")
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    out = str(tmp_path / "out.asc")
    res = create_copy(out, gdal.Open(path))
    assert not res.ok and res.err_type == gdal.CE_Failure
    assert re.search(r"cannot read rows \d+ to \d+ of the source .*src\.tif: \S", res.msg), res.msg
    assert not os.path.exists(out)


def test_small_grid_is_formatted_without_waking_the_pool():
    """A handful of values is formatted on the caller's thread (handing work to a pool thread
    costs more than formatting it); a large grid still starts pool workers. Counted in a fresh
    process, whose pool has no workers yet."""
    script = textwrap.dedent(
        """
        import os
        from osgeo import gdal
        import numpy as np
        def threads():
            return len(os.listdir("/proc/self/task"))
        def copy(n):
            src = gdal.GetDriverByName("MEM").Create("", n, n, 1, gdal.GDT_Float32)
            src.GetRasterBand(1).WriteArray(np.arange(n * n, dtype=np.float32).reshape(n, n) / 7)
            gdal.GetDriverByName("FastAAIGrid").CreateCopy("/vsimem/o.asc", src, options=["NUM_THREADS=4"])
            gdal.Unlink("/vsimem/o.asc")
        before = threads()
        copy(10)
        copy(100)
        small = threads()
        copy(400)
        print(before, small, threads())
        """
    )
    env = dict(os.environ, GDAL_DRIVER_PATH=PLUGIN_DIR)
    for knob in ("FASTAAIGRID_PARALLEL_MIN", "FASTAAIGRID_CHUNK_SIZE"):  # the defaults' test
        env.pop(knob, None)
    proc = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    before, small, large = map(int, proc.stdout.split())
    assert small == before, f"a 10x10 and a 100x100 copy started {small - before} threads"
    assert large > before, "a 400x400 copy on 4 threads started no pool worker"


def test_num_threads_invalid_value_warns_and_writes():
    src = mem_source(PREC_VALUES)
    default = write_fast("/vsimem/d.asc", src)
    res = create_copy("/vsimem/t.asc", src, ["NUM_THREADS=abc"])
    assert res.ok
    assert res.err_type == gdal.CE_Warning and "NUM_THREADS" in res.msg and "abc" in res.msg
    assert vsi_text("/vsimem/t.asc") == default


# --------------------------------------------------------------------------
# 4. .prj and PAM
# --------------------------------------------------------------------------


@pytest.mark.parametrize("epsg", [32631, 4326, 26711, 3857])
def test_prj_same_as_builtin(tmp_path, epsg):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    src = mem_source(np.ones((2, 2), np.float32), srs=srs)
    fast = str(tmp_path / "fast.asc")
    builtin = str(tmp_path / "builtin.asc")
    write_fast(fast, src)
    write_builtin(builtin, src)
    with open(tmp_path / "fast.prj", "rb") as f1, open(tmp_path / "builtin.prj", "rb") as f2:
        ours, theirs = f1.read(), f2.read()
    assert ours == theirs
    assert ours.startswith(b"PROJCS[") or ours.startswith(b"GEOGCS[")
    for opener in (open_fast, open_builtin):
        ds = opener(fast)
        assert ds.GetSpatialRef() is not None and ds.GetSpatialRef().IsSame(
            opener(builtin).GetSpatialRef())
        assert "fast.prj" in [os.path.basename(f) for f in ds.GetFileList()]


# More spatial references than the driver keeps ESRI WKT for (8), in turn and again: each
# copy's .prj is the built-in's for its own reference, whatever was written before it.
PRJ_EPSGS = [32631, 4326, 26711, 3857, 2154, 27700, 32633, 4269, 3035, 25832, 32631, 4326]


def test_prj_kept_esri_wkt_is_each_references_own(tmp_path):
    sources = {}
    for epsg in PRJ_EPSGS:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        sources[epsg] = mem_source(np.ones((2, 2), np.float32), srs=srs)
    expected = {}
    for epsg, src in sources.items():
        write_builtin(str(tmp_path / f"b{epsg}.asc"), src)
        expected[epsg] = (tmp_path / f"b{epsg}.prj").read_bytes()
    assert len(set(expected.values())) == len(expected)
    for i, epsg in enumerate(PRJ_EPSGS * 2):
        write_fast(str(tmp_path / f"f{i}.asc"), sources[epsg])
        assert (tmp_path / f"f{i}.prj").read_bytes() == expected[epsg], f"copy {i}, EPSG:{epsg}"


def test_no_srs_no_prj(tmp_path):
    write_fast(str(tmp_path / "a.asc"), mem_source(np.ones((2, 2), np.float32)))
    assert sorted(os.listdir(tmp_path)) == ["a.asc"]


def test_pam_metadata_cloned_like_builtin(tmp_path):
    src = mem_source(np.ones((2, 2), np.float32))
    src.SetMetadataItem("FOO", "BAR")
    src.SetMetadataItem("AREA_OR_POINT", "Point")
    src.GetRasterBand(1).SetDescription("elevation")
    src.GetRasterBand(1).SetMetadataItem("UNITS", "m")
    fast = str(tmp_path / "fast.asc")
    builtin = str(tmp_path / "builtin.asc")
    res, ds = create_copy(fast, src, keep=True)
    assert res.ok
    assert ds.GetDriver().ShortName == FAST
    assert ds.GetMetadataItem("FOO") == "BAR"
    ds = None
    write_builtin(builtin, src)
    with open(fast + ".aux.xml") as f1, open(builtin + ".aux.xml") as f2:
        assert f1.read() == f2.read()
    ds = open_fast(fast)
    assert ds.GetMetadataItem("FOO") == "BAR"
    assert ds.GetRasterBand(1).GetDescription() == "elevation"
    assert ds.GetRasterBand(1).GetMetadataItem("UNITS") == "m"


def test_no_pam_info_no_aux_xml(tmp_path):
    write_fast(str(tmp_path / "a.asc"), mem_source(np.ones((2, 2), np.float32), nodata=-1))
    assert sorted(os.listdir(tmp_path)) == ["a.asc"]


# --------------------------------------------------------------------------
# 4. Returned dataset, gdal.Translate, overwriting
# --------------------------------------------------------------------------


def test_returned_dataset_is_readable():
    arr = np.array([[1.5, 2.5], [3.5, 4.5]], dtype=np.float32)
    res, ds = create_copy("/vsimem/r.asc", mem_source(arr, nodata=-1), keep=True)
    assert res.ok and res.err_type == gdal.CE_None, res
    assert ds.GetDriver().ShortName == FAST
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (2, 2, 1)
    assert ds.GetRasterBand(1).GetNoDataValue() == -1
    assert_float_bits(read_array(ds), arr, "returned dataset")


@pytest.mark.parametrize("datatype", [None, "Float64"], ids=["detected", "AAIGRID_DATATYPE"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64],
                         ids=lambda t: np.dtype(t).name)
def test_returned_dataset_same_as_opening_the_file(dtype, datatype):
    """The dataset CreateCopy returns types its data as opening the file does (an Int32-range
    integer copy reopens without a scan of its data)."""
    arr = _strip_grid(dtype, seed=9)
    with config_options({"AAIGRID_DATATYPE": datatype}):
        res, ds = create_copy("/vsimem/r.asc", mem_source(arr, nodata=7), keep=True)
        assert res.ok and res.err_type == gdal.CE_None, res
        again = open_fast("/vsimem/r.asc")
    for d in (ds, again):
        assert d.GetDriver().ShortName == FAST
    assert type_name(ds) == type_name(again)
    assert type_name(ds) == (datatype or ("Float32" if arr.dtype.kind == "f" else "Int32"))
    assert ds.GetRasterBand(1).GetNoDataValue() == again.GetRasterBand(1).GetNoDataValue() == 7
    np.testing.assert_array_equal(read_array(ds), read_array(again))


def test_translate_same_as_createcopy():
    arr = (np.random.default_rng(91).random((30, 20)) * 100).astype(np.float32)
    src = mem_source(arr, nodata=-9999)
    cc = write_fast("/vsimem/cc.asc", src, ["DECIMAL_PRECISION=4"])
    with quiet_errors():
        ds = gdal.Translate("/vsimem/tr.asc", src, format=FAST,
                            creationOptions=["DECIMAL_PRECISION=4"])
    assert ds is not None, gdal.GetLastErrorMsg()
    ds = None
    assert vsi_text("/vsimem/tr.asc") == cc
    with quiet_errors():
        ds = gdal.Translate("/vsimem/tr2.asc", src, format=FAST, outputType=gdal.GDT_Int16)
    ds = None
    as_int16 = gdal.Translate("", src, format="MEM", outputType=gdal.GDT_Int16).ReadAsArray()
    assert data_tokens(vsi_text("/vsimem/tr2.asc")) == [str(int(v)) for v in as_int16.ravel()]


def test_overwrites_existing_file(tmp_path):
    path = str(tmp_path / "o.asc")
    write_fast(path, mem_source(np.arange(10000, dtype=np.float32).reshape(100, 100) / 7))
    write_fast(path, mem_source(np.array([[1, 2]], dtype=np.int32)))
    with open(path) as f:
        assert data_tokens(f.read()) == ["1", "2"]


# --------------------------------------------------------------------------
# 4. Progress and cancellation
# --------------------------------------------------------------------------


def _progress_source():
    # two formatting blocks: at least two progress calls
    return mem_source(np.arange(1100 * 1024, dtype=np.int32).reshape(1100, 1024) % 1000)


def test_progress_increasing_to_one():
    seen = []

    def cb(complete, message, data):
        seen.append(complete)
        return 1

    res = create_copy("/vsimem/pr.asc", _progress_source(), callback=cb)
    assert res.ok
    assert len(seen) >= 2
    assert all(0 <= a < b for a, b in zip(seen, seen[1:])), seen
    assert seen[-1] == 1.0


def test_progress_small_grid_ends_at_one():
    seen = []
    res = create_copy("/vsimem/pr.asc", mem_source(np.ones((3, 3), np.float32)),
                      callback=lambda c, m, d: seen.append(c) or 1)
    assert res.ok and seen and seen[-1] == 1.0


@pytest.mark.parametrize("cancel_at", [1, 2])
@pytest.mark.parametrize("where", ["vsimem", "disk"])
def test_progress_cancel_leaves_no_file(tmp_path, where, cancel_at):
    path = "/vsimem/cancel.asc" if where == "vsimem" else str(tmp_path / "cancel.asc")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    src = _progress_source()
    src.SetSpatialRef(srs)
    calls = []

    def cb(complete, message, data):
        calls.append(complete)
        return 0 if len(calls) >= cancel_at else 1

    res = create_copy(path, src, callback=cb)
    assert not res.ok
    assert res.err_type == gdal.CE_Failure
    assert "User terminated CreateCopy()" in res.msg and path in res.msg
    assert len(calls) == cancel_at
    assert not exists(path)
    assert not exists(path[:-4] + ".prj")
    if where == "disk":
        assert os.listdir(tmp_path) == []


def test_progress_cancel_at_every_call(tmp_path):
    """Cancelling at each progress call in turn: an error naming the file, nothing left."""
    src = _progress_source()
    calls = []
    assert create_copy(str(tmp_path / "all.asc"), src, callback=lambda c, m, d: calls.append(c) or 1).ok
    os.remove(tmp_path / "all.asc")
    assert len(calls) >= 2
    for k in range(1, len(calls) + 1):
        path = str(tmp_path / f"cancel{k}.asc")
        seen = []

        def cb(complete, message, data):
            seen.append(complete)
            return 0 if len(seen) == k else 1

        res = create_copy(path, src, callback=cb)
        assert not res.ok and res.err_type == gdal.CE_Failure, (k, res)
        assert gdal.GetLastErrorNo() == gdal.CPLE_UserInterrupt, (k, res)
        assert path in res.msg and len(seen) == k
        assert os.listdir(tmp_path) == [], f"cancel at call {k} left {os.listdir(tmp_path)}"


# --------------------------------------------------------------------------
# 4. Unwritable targets and virtual file systems
# --------------------------------------------------------------------------


def test_nonexistent_directory(tmp_path):
    path = str(tmp_path / "no" / "such" / "dir" / "a.asc")
    res = create_copy(path, mem_source(np.ones((2, 2), np.float32)))
    assert not res.ok and res.err_type == gdal.CE_Failure
    assert path in res.msg and "No such file or directory" in res.msg
    assert os.listdir(tmp_path) == []


def _full_device_or_skip(path):
    """A private character device node equal to /dev/full (root only), else skip."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot create a /dev/full device node: {e}")
    try:
        with open(path, "wb") as f:
            f.write(b"x")
    except OSError as e:
        if e.errno != 28:
            os.unlink(path)
            pytest.skip(f"device node not usable here: {e}")
    else:
        os.unlink(path)
        pytest.skip("device node does not behave as /dev/full")


@pytest.mark.parametrize("shape", [(2, 2), (600, 600)], ids=["small", "large"])
def test_disk_full_via_symlink(tmp_path, shape):
    """Writing to /dev/full (through a symlink, so that the test cannot harm /dev/full)."""
    if not os.path.exists("/dev/full") or not stat.S_ISCHR(os.stat("/dev/full").st_mode):
        pytest.skip("/dev/full is not a character device here")
    path = str(tmp_path / "full.asc")
    os.symlink("/dev/full", path)
    rng = np.random.default_rng(101)
    res = create_copy(path, mem_source(rng.random(shape).astype(np.float32)))
    assert not res.ok and res.err_type == gdal.CE_Failure
    assert path in res.msg and "disk full" in res.msg
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode), "/dev/full must survive"
    assert not os.path.lexists(path[:-4] + ".prj")
    assert os.listdir(tmp_path) in ([], ["full.asc"])


def test_disk_full_does_not_delete_an_existing_device_node(tmp_path):
    """CreateCopy('/dev/full', ...) run as root must report 'disk full' but must not unlink
    the device node it was given (the cleanup 'VSIUnlink(fn)' deletes /dev/full itself)."""
    node = str(tmp_path / "full")
    _full_device_or_skip(node)
    res = create_copy(node, mem_source(np.ones((2, 2), np.float32)))
    assert not res.ok and "disk full" in res.msg and node in res.msg
    assert os.path.lexists(node), "the writer deleted the device node it was asked to write to"
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_vsimem_subdirectory():
    arr = np.array([[1.25, 2]], dtype=np.float32)
    write_fast("/vsimem/sub/dir/a.asc", mem_source(arr))
    assert_float_bits(read_back("/vsimem/sub/dir/a.asc", open_fast)[2], arr, "vsimem")


def test_vsigzip_write_and_read_back():
    rng = np.random.default_rng(111)
    arr = (rng.random((100, 80)) * 1000).round(2).astype(np.float32)
    src = mem_source(arr, nodata=-9999)
    res = create_copy("/vsigzip//vsimem/z.asc.gz", src)
    assert res.ok, res
    raw = vsi_bytes("/vsimem/z.asc.gz")
    assert raw[:2] == b"\x1f\x8b"
    plain = write_fast("/vsimem/plain.asc", src)
    assert vsi_text("/vsigzip//vsimem/z.asc.gz") == plain
    for opener in (open_fast, open_builtin):
        t, nd, got = read_back("/vsigzip//vsimem/z.asc.gz", opener)
        assert (t, nd) == ("Float32", -9999)
        assert_float_bits(got, arr, "/vsigzip/ round trip")


def test_vsistdout():
    script = textwrap.dedent(
        """
        import sys
        from osgeo import gdal
        import numpy as np
        src = gdal.GetDriverByName("MEM").Create("", 3, 2, 1, gdal.GDT_Float32)
        src.SetGeoTransform((0, 1, 0, 2, 0, -1))
        src.GetRasterBand(1).SetNoDataValue(-9999)
        src.GetRasterBand(1).WriteArray(np.array([[0, 0.25, 0.5], [np.nan, 1, 1.25]],
                                                 dtype=np.float32))
        ds = gdal.GetDriverByName("FastAAIGrid").CreateCopy("/vsistdout/", src)
        assert ds is not None, gdal.GetLastErrorMsg()
        sys.stderr.write("size %d %d\\n" % (ds.RasterXSize, ds.RasterYSize))
        ds = None
        """
    )
    env = dict(os.environ, GDAL_DRIVER_PATH=PLUGIN_DIR)
    proc = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stdout.startswith(b"ncols")
    assert proc.stdout == (
        b"ncols        3\nnrows        2\nxllcorner    0.000000000000\n"
        b"yllcorner    0.000000000000\ncellsize     1.000000000000\n"
        b"NODATA_value -9999\n0.0 0.25 0.5\n-9999 1 1.25\n"
    )
    assert b"size 3 2" in proc.stderr


# --------------------------------------------------------------------------
# 4. Refused sources
# --------------------------------------------------------------------------


def test_more_than_one_band_refused():
    src = gdal.GetDriverByName("MEM").Create("", 2, 2, 3, gdal.GDT_Byte)
    res = create_copy("/vsimem/3b.asc", src)
    assert not res.ok and res.err_type == gdal.CE_Failure
    assert "/vsimem/3b.asc" in res.msg and "1 band" in res.msg and "3" in res.msg
    assert not exists("/vsimem/3b.asc")


@pytest.mark.parametrize("gdt", [gdal.GDT_CInt16, gdal.GDT_CInt32, gdal.GDT_CFloat32,
                                 gdal.GDT_CFloat64], ids=gdal.GetDataTypeName)
def test_complex_types_refused(gdt):
    src = gdal.GetDriverByName("MEM").Create("", 2, 2, 1, gdt)
    res = create_copy("/vsimem/c.asc", src)
    assert not res.ok and res.err_type == gdal.CE_Failure
    assert "/vsimem/c.asc" in res.msg and gdal.GetDataTypeName(gdt) in res.msg
    assert not exists("/vsimem/c.asc")


def test_driver_metadata_lists_creation_options_and_types():
    drv = gdal.GetDriverByName(FAST)
    assert drv.GetMetadataItem(gdal.DCAP_CREATECOPY) == "YES"
    opts = drv.GetMetadataItem(gdal.DMD_CREATIONOPTIONLIST)
    for name in ("FORCE_CELLSIZE", "DECIMAL_PRECISION", "SIGNIFICANT_DIGITS", "NUM_THREADS"):
        assert f"name='{name}'" in opts
    types = drv.GetMetadataItem(gdal.DMD_CREATIONDATATYPES).split()
    assert set(types) == {"Byte", "UInt16", "Int16", "UInt32", "Int32", "Int64", "UInt64",
                          "Float32", "Float64"}


# --------------------------------------------------------------------------
# Files we write read right by every built-in (run by autotest/matrix.sh against GDAL 3.6,
# 3.10 and the newest) and by numpy.loadtxt
# --------------------------------------------------------------------------

EDGE_F32 = [0.0, -0.0, F32_DENORM_MIN, -F32_DENORM_MIN, FLT_MAX, -FLT_MAX, 1.5, -2.25]
EDGE_F64 = [0.0, -0.0, 5e-324, -5e-324, DBL_MAX, -DBL_MAX, 2.2250738585072014e-308, 0.1]
SPECIALS = [np.nan, -np.nan, np.inf, -np.inf]


def _edge_grids(dtype):
    """Every edge value, and each special value once as the very first cell of the file
    (a first data line that starts with a letter trips up the built-in before 3.8)."""
    finite = EDGE_F32 if dtype == np.float32 else EDGE_F64
    for first in [None] + SPECIALS:
        cells = finite + SPECIALS
        if first is not None:
            cells = [first] + cells
        yield ("finite" if first is None else repr(first)), np.array([cells], dtype=dtype)


def _as_builtin_reads(arr, nodata):
    """What a reader gives for a file we wrote: NaN cells become the nodata value when there
    is one; the built-in clamps infinities to +-FLT_MAX in a Float32 grid (every version)."""
    want = arr.copy()
    if nodata is not None:
        want[np.isnan(arr)] = nodata
    if arr.dtype == np.float32:
        want[np.isinf(arr)] = np.sign(arr[np.isinf(arr)]) * FLT_MAX
    return want


@pytest.mark.parametrize("nodata", [None, -9999.0], ids=["no-nodata", "nodata"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_edge_values_read_back_by_the_builtin_of_this_gdal(dtype, nodata):
    oo = ["DATATYPE=Float64"] if dtype == np.float64 else []
    for what, arr in _edge_grids(dtype):
        path = f"/vsimem/edge_{np.dtype(dtype).name}.asc"
        write_fast(path, mem_source(arr, nodata=nodata))
        t, nd, got = read_back(path, open_builtin, oo)
        assert t == ("Float32" if dtype == np.float32 else "Float64"), what
        assert nd == nodata, what
        assert_float_bits(got, _as_builtin_reads(arr, nodata),
                          f"GDAL {gdal.__version__} built-in, first cell {what}")
        t, nd, got = read_back(path, open_fast, oo)
        want = arr.copy()
        if nodata is not None:
            want[np.isnan(arr)] = nodata
        assert_float_bits(got, want, f"FastAAIGrid, first cell {what}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_edge_values_read_back_by_numpy_loadtxt(dtype, tmp_path):
    for what, arr in _edge_grids(dtype):
        path = str(tmp_path / "edge.asc")
        text = write_fast(path, mem_source(arr))
        header_lines = len(split_grid(text)[0])
        got = np.loadtxt(path, skiprows=header_lines, ndmin=2).astype(dtype)
        assert_float_bits(got, arr, f"numpy.loadtxt, first cell {what}")


def test_first_data_line_starting_with_a_letter_gets_a_space():
    for first, token in [(np.nan, "nan"), (np.inf, "inf")]:
        text = write_fast("/vsimem/lead.asc", mem_source(np.array([[first, 1.5]], np.float32)))
        assert text.endswith(f"\n {token} 1.5\n"), text
    text = write_fast("/vsimem/lead.asc", mem_source(np.array([[-np.inf, 1.5]], np.float32)))
    assert text.endswith("\n-inf 1.5\n"), text


# --------------------------------------------------------------------------
# GDAL's error numbers, so that bindings raise the right error
# --------------------------------------------------------------------------

def _error_no(fn):
    gdal.ErrorReset()
    with quiet_errors():
        fn()
    return gdal.GetLastErrorType(), gdal.GetLastErrorNo()


def test_error_numbers():
    src = mem_source(np.arange(6, dtype=np.int32).reshape(2, 3))
    drv = gdal.GetDriverByName(FAST)
    rotated = mem_source(np.zeros((2, 2), np.float32), gt=(0, 1, 0.5, 0, 0, -1))
    f32 = mem_source(np.zeros((2, 2), np.float32))
    cases = {
        "cannot create": (lambda: drv.CreateCopy("/nonexistent/dir/x.asc", src),
                          gdal.CPLE_OpenFailed),
        "cancelled": (lambda: drv.CreateCopy("/vsimem/c.asc", src, callback=lambda *a: 0),
                      gdal.CPLE_UserInterrupt),
        "bad precision": (lambda: drv.CreateCopy("/vsimem/p.asc", f32,
                                                 options=["DECIMAL_PRECISION=99"]),
                          gdal.CPLE_IllegalArg),
        "rotated": (lambda: drv.CreateCopy("/vsimem/r.asc", rotated), gdal.CPLE_NotSupported),
        "header error": (lambda: gdal.FileFromMemBuffer("/vsimem/h.asc", "ncols 2\nnrows x\n1 2")
                         or open_fast("/vsimem/h.asc"), gdal.CPLE_OpenFailed),
    }
    if os.path.exists("/dev/full"):
        cases["disk full"] = (lambda: drv.CreateCopy("/dev/full", src), gdal.CPLE_FileIO)
    for what, (fn, num) in cases.items():
        assert _error_no(fn) == (gdal.CE_Failure, num), what
