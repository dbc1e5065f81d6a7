"""What applications do to a file, through FastAAIGrid and through the built-in: the same
results. These reads go through the block cache, which FastAAIGrid fills with parsed rows
(windows side by side, block reads reading ahead): so every test also runs with a cache
too small to hold the raster, where rows are evicted and parsed again."""
import contextlib
import os
import random
import signal
import time

import numpy as np
import pytest
from osgeo import gdal, osr

from conftest import (assert_same_pixels, config_options, open_builtin, open_fast, quiet_errors,
                      write_file)

NCOLS, NROWS = 613, 709  # not multiples of anything the driver uses
NODATA = -9999


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    rng = np.random.default_rng(7)
    z = np.round(rng.normal(500, 120, (NROWS, NCOLS)), 3)
    z[rng.random(z.shape) < 0.02] = NODATA
    path = str(tmp_path_factory.mktemp("patterns") / "g.asc")
    body = "\n".join(" ".join(f"{v:.3f}" if v != NODATA else str(NODATA) for v in row) for row in z)
    write_file(path, f"ncols {NCOLS}\nnrows {NROWS}\nxllcorner 500000\nyllcorner 4000000\n"
                     f"cellsize 30\nNODATA_value {NODATA}\n{body}\n")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    write_file(path[:-4] + ".prj", srs.ExportToWkt())
    return path


@contextlib.contextmanager
def cache_max(nbytes):
    old = gdal.GetCacheMax()
    gdal.SetCacheMax(nbytes)
    try:
        yield
    finally:
        gdal.SetCacheMax(old)


# The whole raster is ~1.7 MB as Float32: 1 MB of cache cannot hold it.
@pytest.fixture(params=["default cache", "small cache"])
def cache(request):
    if request.param == "default cache":
        yield
        return
    with cache_max(1 << 20):
        yield


def both(path):
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        return open_fast(path), open_builtin(path)


def test_windows_in_random_order(grid, cache):
    fast, ref = both(grid)
    rng = random.Random(3)
    windows = [(x, y, min(128, NCOLS - x), min(96, NROWS - y))
               for x in range(0, NCOLS, 128) for y in range(0, NROWS, 96)]
    windows += [(rng.randrange(NCOLS), rng.randrange(NROWS), 1, 1) for _ in range(20)]
    rng.shuffle(windows)
    for x, y, w, h in windows:
        w, h = max(1, min(w, NCOLS - x)), max(1, min(h, NROWS - y))
        for buf_type in (None, gdal.GDT_Float64, gdal.GDT_Int16):
            a = fast.GetRasterBand(1).ReadAsArray(x, y, w, h, buf_type=buf_type)
            b = ref.GetRasterBand(1).ReadAsArray(x, y, w, h, buf_type=buf_type)
            assert_same_pixels(a, b, f"window {x},{y} {w}x{h} as {buf_type}")
    # A whole read after the windows (cached and uncached rows mixed).
    assert_same_pixels(fast.ReadAsArray(), ref.ReadAsArray(), "full read after windows")


# A window of 128 KB or more is copied into the caller's buffer by several threads, rows split
# between them (64 KB each): every type, spacing and thread count gives the built-in's bytes.
@pytest.mark.parametrize("threads", ["NUM_THREADS=1", "NUM_THREADS=2", "NUM_THREADS=7",
                                     "NUM_THREADS=64"])
def test_large_windows_copied_on_threads(grid, cache, threads):
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        fast, ref = open_fast(grid, [threads]), open_builtin(grid)
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    windows = [(1, 2, 600, 700), (300, 0, 313, NROWS), (0, 355, NCOLS, 354), (17, 40, 257, 131)]
    for x, y, w, h in windows:
        for buf_type in (gdal.GDT_Float32, gdal.GDT_Float64, gdal.GDT_Int16):
            size = gdal.GetDataTypeSize(buf_type) // 8
            for pixel, line in [(0, 0), (2 * size, 2 * size * w + 3)]:
                a = fb.ReadRaster(x, y, w, h, buf_type=buf_type, buf_pixel_space=pixel,
                                  buf_line_space=line)
                b = rb.ReadRaster(x, y, w, h, buf_type=buf_type, buf_pixel_space=pixel,
                                  buf_line_space=line)
                assert a == b, f"window {x},{y} {w}x{h} as {gdal.GetDataTypeName(buf_type)}, " \
                               f"spacing {pixel}/{line}"


def test_blocks_down_then_random(grid, cache):
    """Block reads down the raster read ahead; a jump, a step back, a skip and reading on
    from the middle must all give the right rows."""
    fast, ref = both(grid)
    order = list(range(0, 300)) + [650, 10, 11, 12, 400, 402, 404, 299, 300, 301] + \
        list(range(500, NROWS)) + [0, NROWS - 1]
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    for row in order:
        assert fb.ReadBlock(0, row) == rb.ReadBlock(0, row), f"block {row}"


@pytest.mark.parametrize("approx", [False, True])
def test_statistics(grid, cache, approx):
    fast, ref = both(grid)
    assert fast.GetRasterBand(1).ComputeStatistics(approx) == \
        ref.GetRasterBand(1).ComputeStatistics(approx)


@pytest.mark.parametrize("alg", [gdal.GRIORA_NearestNeighbour, gdal.GRIORA_Average,
                                 gdal.GRIORA_Bilinear, gdal.GRIORA_Mode],
                         ids=["nearest", "average", "bilinear", "mode"])
@pytest.mark.parametrize("size", [(100, 100), (307, 355), (1000, 900)])
def test_resampled_whole_raster(grid, cache, alg, size):
    fast, ref = both(grid)
    a = fast.GetRasterBand(1).ReadAsArray(buf_xsize=size[0], buf_ysize=size[1], resample_alg=alg)
    b = ref.GetRasterBand(1).ReadAsArray(buf_xsize=size[0], buf_ysize=size[1], resample_alg=alg)
    assert_same_pixels(a, b, f"{alg} into {size}")


# Nearest-neighbour resampling of a whole-pixel window is FastAAIGrid's own (the rows and
# columns GDAL's code picks, asked of a MEM band); what GDAL would do otherwise, it leaves to
# GDAL: overviews, GDAL_NO_COSTLY_OVERVIEW, floating-point windows (test_nearest_windows).

@pytest.mark.parametrize("buf_type", [gdal.GDT_Float32, gdal.GDT_Float64, gdal.GDT_Int16,
                                      gdal.GDT_Byte])
def test_nearest_buffer_types_and_spacing(grid, cache, buf_type):
    fast, ref = both(grid)
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    size = gdal.GetDataTypeSize(buf_type) // 8
    for args in [(0, 0, NCOLS, NROWS, 200, 150), (17, 33, 401, 502, 57, 641),
                 (0, 0, NCOLS, NROWS, NCOLS, 100), (5, 5, 300, 7, 150, 7)]:
        for pixel, line in [(0, 0), (3 * size, 3 * size * args[4] + 5)]:
            a = fb.ReadRaster(*args, buf_type=buf_type, buf_pixel_space=pixel, buf_line_space=line)
            b = rb.ReadRaster(*args, buf_type=buf_type, buf_pixel_space=pixel, buf_line_space=line)
            assert a == b, f"{args} as {gdal.GetDataTypeName(buf_type)}, spacing {pixel}/{line}"


def test_nearest_left_to_gdal(grid, tmp_path):
    """With overviews, GDAL reads the overview; with GDAL_NO_COSTLY_OVERVIEW a reduction of
    more than 100 times is zeros: both drivers alike."""
    fast, ref = both(grid)
    with config_options({"GDAL_NO_COSTLY_OVERVIEW": "YES"}):
        assert fast.GetRasterBand(1).ReadRaster(0, 0, NCOLS, NROWS, 5, 6) == \
            ref.GetRasterBand(1).ReadRaster(0, 0, NCOLS, NROWS, 5, 6)
    fast, ref = with_overviews(grid, tmp_path, [4])
    assert_same_pixels(fast.GetRasterBand(1).ReadAsArray(buf_xsize=150, buf_ysize=170),
                       ref.GetRasterBand(1).ReadAsArray(buf_xsize=150, buf_ysize=170),
                       "a nearest read served by the overview")


def with_overviews(grid, tmp_path, levels):
    """(FastAAIGrid's, the built-in's) dataset of a copy of grid each, with AVERAGE overviews
    built at levels."""
    datasets = []
    for opener, name in ((open_fast, "fast"), (open_builtin, "ref")):
        path = str(tmp_path / f"{name}.asc")
        with open(grid, "rb") as f:
            write_file(path, f.read().decode())
        with config_options({"GDAL_PAM_ENABLED": "NO"}):
            ds = opener(path)
            assert ds.BuildOverviews("AVERAGE", levels) == 0
            datasets.append(ds)
    return datasets


def test_overviews(grid, cache, tmp_path):
    datasets = with_overviews(grid, tmp_path, [2, 4, 8])  # (a band does not keep it open)
    bands = [ds.GetRasterBand(1) for ds in datasets]
    for level in range(3):
        assert_same_pixels(bands[0].GetOverview(level).ReadAsArray(),
                           bands[1].GetOverview(level).ReadAsArray(), f"overview {level}")


def test_warp(grid, cache):
    out = []
    for ds in both(grid):
        w = gdal.Warp("", ds, format="MEM", dstSRS="EPSG:3857", resampleAlg="bilinear")
        out.append((w.GetGeoTransform(), w.ReadAsArray()))
    assert out[0][0] == out[1][0]
    assert_same_pixels(out[0][1], out[1][1], "warp")


# Reading ahead: once block reads down the raster reach the longest run (here 1 MB of cache
# allows runs of 106 rows), each next run is parsed on the pool while GDAL uses the last.
# Anything else the dataset is asked for meanwhile waits for that job first.

def read_ahead_cases():
    return [pytest.param(t, id=t) for t in ("NUM_THREADS=2", "NUM_THREADS=5", "NUM_THREADS=64")]


def first_failing_block(band, rows):
    """The first of *rows* whose block read fails (its message: gdal.GetLastErrorMsg())."""
    gdal.ErrorReset()
    with quiet_errors():
        return next((row for row in rows if band.ReadBlock(0, row) is None), None)


@pytest.fixture
def small_cache():
    with cache_max(1 << 20):
        yield


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_read_ahead_interleaved_with_other_reads(grid, small_cache, threads):
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        fast, ref = open_fast(grid, [threads]), open_builtin(grid)
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    full = ref.ReadAsArray()
    for row in range(NROWS):
        assert fb.ReadBlock(0, row) == rb.ReadBlock(0, row), f"block {row}"
        if row in (250, 400):  # a run is being read ahead: other reads meanwhile
            assert_same_pixels(fb.ReadAsArray(0, 600, NCOLS, 50), full[600:650], "rows 600-649")
            assert_same_pixels(fb.ReadAsArray(7, 20, 30, 9), full[20:29, 7:37], "a window")
            assert_same_pixels(fb.ReadAsArray(), full, "a full read")
    assert fb.ComputeStatistics(False) == rb.ComputeStatistics(False)


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_read_ahead_error_is_reported_where_it_is(tmp_path, small_cache, threads):
    """A bad value in a run read ahead fails the block read that takes the run, with the
    row and column of the value, as a read of that run on the caller's thread would."""
    rows = [" ".join(str((r * 7 + c) % 1000) + ".5" for c in range(NCOLS)) for r in range(NROWS)]
    rows[500] = rows[500].replace(" 3.5 ", " 3.5x ", 1) if " 3.5 " in rows[500] else rows[500] + " x"
    cells = rows[500].split()
    bad_col = next(i for i, v in enumerate(cells) if not v.replace(".", "").isdigit())
    path = str(tmp_path / "bad.asc")
    write_file(path, f"ncols {NCOLS}\nnrows {NROWS}\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
                     + "\n".join(rows) + "\n")
    ds = open_fast(path, [threads])   # (a band does not keep its dataset open)
    row = first_failing_block(ds.GetRasterBand(1), range(NROWS))
    msg = gdal.GetLastErrorMsg()
    assert row is not None and row <= 500, f"the error came at block {row}: {msg}"
    assert f"row 501, column {bad_col + 1}" in msg and path in msg, msg


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_read_ahead_of_a_changed_file_is_an_error(tmp_path, small_cache, threads):
    path = str(tmp_path / "g.asc")
    rows = [" ".join(str((r + c) % 100) for c in range(NCOLS)) for r in range(NROWS)]
    write_file(path, f"ncols {NCOLS}\nnrows {NROWS}\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
                     + "\n".join(rows) + "\n")
    ds = open_fast(path, [threads])
    fb = ds.GetRasterBand(1)
    for row in range(300):
        fb.ReadBlock(0, row)
    before = os.stat(path)
    os.truncate(path, before.st_size - 10)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))
    assert first_failing_block(fb, range(300, NROWS)) is not None
    assert "the file changed after it was opened" in gdal.GetLastErrorMsg()


def test_read_ahead_then_fork(grid, small_cache):
    """A child forked while a run is read ahead reads on correctly: the job is the parent's."""
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        fast, ref = open_fast(grid, ["NUM_THREADS=4"]), open_builtin(grid)
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    want = b"".join(rb.ReadBlock(0, row) for row in range(NROWS))
    for row in range(300):
        assert fb.ReadBlock(0, row) == want[row * NCOLS * 4:(row + 1) * NCOLS * 4]
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            got = b"".join(fb.ReadBlock(0, row) for row in range(300, NROWS))
            code = 0 if got == want[300 * NCOLS * 4:] else 2
        finally:
            os._exit(code)
    deadline = time.time() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the child hung reading on after the fork")
        time.sleep(0.02)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}"
    got = b"".join(fb.ReadBlock(0, row) for row in range(300, NROWS))
    assert got == want[300 * NCOLS * 4:], "the parent after the fork"


def test_chunks_read_again(grid, cache):
    """Whole-row chunks read again at once (GDAL's nodata mask re-reads each chunk of its
    resampling) come from the rows kept of the last read; other reads in between replace
    them."""
    fast, ref = both(grid)
    fb = fast.GetRasterBand(1)
    full = ref.ReadAsArray()
    reads = [(100, 249), (100, 249), (150, 50), (349, 1), (100, 249), (0, NROWS), (300, 200),
             (310, 20), ("block", 320), (300, 200), ("window", 305), (300, 200), (299, 202)]
    check_reads(fb, full, reads)


def check_reads(band, full, reads):
    """Each read of *reads* through band, against the built-in's raster *full*: (y, h) whole
    rows y to y + h, ("block", row), ("window", y) 20 columns of 30 rows."""
    for y, h in reads:
        if y == "block":
            assert band.ReadBlock(0, h) == full[h].tobytes(), f"block {h}"
        elif y == "window":
            assert_same_pixels(band.ReadAsArray(5, h, 20, 30), full[h:h + 30, 5:25], "a window")
        else:
            assert_same_pixels(band.ReadAsArray(0, y, NCOLS, h), full[y:y + h], f"rows {y}+{h}")


# Sampled rows: GDAL's nearest-neighbour resampling and its sampled statistics read rows
# at a step. FastAAIGrid parses the rows it expects next together (those IRasterIO forecast
# for nearest, or rows at the step GDAL took twice running) and scans the rows between.

@pytest.mark.parametrize("threads", read_ahead_cases())
def test_sampled_block_reads(grid, cache, threads):
    """Blocks at a constant step, from several starts, with the step changing, and the rows
    between read afterwards: every block as the built-in's."""
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        fast, ref = open_fast(grid, [threads]), open_builtin(grid)
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    order = list(range(3, NROWS, 7)) + list(range(0, NROWS, 63)) + list(range(1, 400, 2)) + \
        [5, 12, 19, 26, 27, 28, 90, 152, 214, 276, 100] + list(range(NROWS - 1, 0, -50)) + \
        list(range(NROWS))
    for row in order:
        assert fb.ReadBlock(0, row) == rb.ReadBlock(0, row), f"block {row}"


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_nearest_windows(grid, cache, threads):
    """Nearest-neighbour reads of windows into buffers of other sizes, whole-pixel and
    floating-point windows, down- and upsampling: the built-in's pixels."""
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        fast, ref = open_fast(grid, [threads]), open_builtin(grid)
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    rng = random.Random(5)
    cases = [(0, 0, NCOLS, NROWS, 100, 7), (0, 0, NCOLS, NROWS, 13, 700), (0.5, 0.25, 600.5, 700.5, 97, 101)]
    for _ in range(25):
        x, y = rng.randrange(NCOLS - 1), rng.randrange(NROWS - 1)
        w, h = rng.randint(1, NCOLS - x), rng.randint(1, NROWS - y)
        if rng.random() < 0.3:
            x, y = x + rng.random() * 0.9, y + rng.random() * 0.9
            w, h = max(1.0, min(w, NCOLS - x) - 0.1), max(1.0, min(h, NROWS - y) - 0.1)
        cases.append((x, y, w, h, rng.randint(1, 2 * int(w) + 1), rng.randint(1, 2 * int(h) + 1)))
    for case in cases:
        assert fb.ReadRaster(*case) == rb.ReadRaster(*case), f"window {case}"


def bad_value_grid(folder, row, col):
    """(path of a Float32 grid with a bad value at row, col (0-based), path of the same grid
    without it)."""
    rows = [" ".join(str((r * 7 + c) % 1000) + ".5" for c in range(NCOLS)) for r in range(NROWS)]
    head = f"ncols {NCOLS}\nnrows {NROWS}\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
    clean = str(folder / "clean.asc")
    write_file(clean, head + "\n".join(rows) + "\n")
    cells = rows[row].split()
    cells[col] += "x"
    rows[row] = " ".join(cells)
    bad = str(folder / "bad.asc")
    write_file(bad, head + "\n".join(rows) + "\n")
    return bad, clean


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_sampled_read_error_is_reported_where_it_is(tmp_path, small_cache, threads):
    """A bad value in a row parsed with others fails the read that parses it, with its row
    and column, whether GDAL samples blocks at a step or resamples to nearest neighbour. A
    row only passed over is not parsed, as in any read of the rows below it."""
    bad, clean = bad_value_grid(tmp_path, 500, 17)
    ds = open_fast(bad, [threads])   # (a band does not keep its dataset open)
    row = first_failing_block(ds.GetRasterBand(1), range(0, NROWS, 10))
    msg = gdal.GetLastErrorMsg()
    assert row is not None and row <= 500, f"the error came at block {row}: {msg}"
    assert "row 501, column 18" in msg and bad in msg, msg
    # 355 buffer rows sample row 500, 100 do not.
    ds = open_fast(bad, [threads])
    with quiet_errors():
        assert ds.GetRasterBand(1).ReadAsArray(buf_xsize=100, buf_ysize=355) is None
    assert "row 501, column 18" in gdal.GetLastErrorMsg()
    ds, ref = open_fast(bad, [threads]), open_builtin(clean)
    assert_same_pixels(ds.GetRasterBand(1).ReadAsArray(buf_xsize=100, buf_ysize=100),
                       ref.GetRasterBand(1).ReadAsArray(buf_xsize=100, buf_ysize=100),
                       "rows sampled around the bad one")


def chunk_reads():
    """Whole-row chunks as callers read them down the raster: adjacent, overlapping by a row
    (GDAL's resampling), each read twice (its nodata mask); then jumps, steps back, a window
    and a block between chunks, and the last rows."""
    reads = []
    for step, h in ((50, 50), (49, 50), (100, 101)):
        for y in range(0, NROWS, step):
            reads += [(y, min(h, NROWS - y))] * (2 if step == 49 else 1)
    return reads + [(300, 60), (360, 60), ("window", 420), (420, 60), (480, 60), (200, 60),
                    (260, 60), ("block", 330), (320, 60), (380, 60), (640, 60), (700, NROWS - 700)]


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_chunks_down_the_raster(grid, cache, threads):
    """A chunk read just after (or overlapping) the last has the next one parsed ahead: the
    right rows whatever comes between."""
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        fast, ref = open_fast(grid, [threads]), open_builtin(grid)
    fb = fast.GetRasterBand(1)
    full = ref.ReadAsArray()
    check_reads(fb, full, chunk_reads())


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_chunk_read_ahead_error_is_reported_where_it_is(tmp_path, small_cache, threads):
    """A bad value in a chunk read ahead fails the read of that chunk, with its row and
    column; the chunks before it read right."""
    bad, clean = bad_value_grid(tmp_path, 500, 17)
    ds, ref = open_fast(bad, [threads]), open_builtin(clean)
    band, full = ds.GetRasterBand(1), ref.ReadAsArray()
    for y in range(0, 450, 50):
        assert_same_pixels(band.ReadAsArray(0, y, NCOLS, 50), full[y:y + 50], f"rows {y}+50")
    with quiet_errors():
        assert band.ReadAsArray(0, 450, NCOLS, 50) is not None
        assert band.ReadAsArray(0, 500, NCOLS, 50) is None
    assert "row 501, column 18" in gdal.GetLastErrorMsg() and bad in gdal.GetLastErrorMsg()


# The row store: the rows that windows parse are kept in one buffer per band, all bands'
# buffers together held to a quarter of GDAL_CACHEMAX; other reads take rows from it. A band
# whose raster does not fit keeps its windows' rows in the block cache (the small-cache runs
# above). The store says when it is made (a debug message).

def stores_made(fn):
    """fn()'s result, and how many row stores it made."""
    made = []

    def handler(cls, _no, msg):
        if cls == gdal.CE_Debug and "row store for windows" in msg:
            made.append(msg)
    gdal.PushErrorHandler(handler)
    try:
        with config_options({"CPL_DEBUG": "ON"}):
            result = fn()
    finally:
        gdal.PopErrorHandler()
    return result, len(made)


def window(ds, y=100, h=300):
    return ds.GetRasterBand(1).ReadAsArray(50, y, 200, h)


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_reads_after_windows_take_the_stored_rows(grid, threads):
    with config_options({"GDAL_PAM_ENABLED": "NO"}):
        fast, ref = open_fast(grid, [threads]), open_builtin(grid)
    fb, rb = fast.GetRasterBand(1), ref.GetRasterBand(1)
    got, made = stores_made(lambda: window(fast))
    assert made == 1
    assert_same_pixels(got, window(ref), "the window")
    for row in [99, 100, 101, 250, 399, 400, 0, NROWS - 1]:
        assert fb.ReadBlock(0, row) == rb.ReadBlock(0, row), f"block {row}"
    assert_same_pixels(fb.ReadAsArray(0, 150, NCOLS, 100), rb.ReadAsArray(0, 150, NCOLS, 100),
                       "whole stored rows")
    assert_same_pixels(fb.ReadAsArray(0, 350, NCOLS, 100), rb.ReadAsArray(0, 350, NCOLS, 100),
                       "whole rows, stored and not")
    assert fb.ComputeStatistics(False) == rb.ComputeStatistics(False)
    assert_same_pixels(fast.ReadAsArray(), ref.ReadAsArray(), "full read")


def test_row_stores_share_a_quarter_of_the_cache(grid):
    """Room for one store: the second band's windows go through the block cache until the
    first band's dataset is closed; FlushCache empties a store."""
    raster = NCOLS * NROWS * 4
    with cache_max(int(4 * raster * 1.5)):
        one, two, ref = open_fast(grid), open_fast(grid), open_builtin(grid)
        assert stores_made(lambda: window(one))[1] == 1
        got, made = stores_made(lambda: window(two, 200, 400))
        assert made == 0, "two stores in a budget for one"
        assert_same_pixels(got, window(ref, 200, 400), "a window through the block cache")
        one = None
        assert stores_made(lambda: window(two, 0, 50))[1] == 1, "the budget was not given back"
        two.FlushCache()
        got, made = stores_made(lambda: window(two))
        assert made == 1, "FlushCache kept the store"
        assert_same_pixels(got, window(ref), "a window after FlushCache")


@pytest.mark.parametrize("threads", read_ahead_cases())
def test_window_error_is_reported_where_it_is(tmp_path, threads):
    """A bad value in a window's rows fails each window that needs its row, with its row and
    column; windows of other rows read right, before and after."""
    bad, clean = bad_value_grid(tmp_path, 500, 17)
    ds, ref = open_fast(bad, [threads]), open_builtin(clean)
    assert_same_pixels(window(ds, 0, 400), window(ref, 0, 400), "rows above the bad one")
    for _ in range(2):
        with quiet_errors():
            assert ds.GetRasterBand(1).ReadAsArray(300, 450, 10, 100) is None
        assert "row 501, column 18" in gdal.GetLastErrorMsg() and bad in gdal.GetLastErrorMsg()
    assert_same_pixels(window(ds, 550, 150), window(ref, 550, 150), "rows below the bad one")
