"""FastAAIGrid under concurrency: many Python threads at once, and fork().

Every threaded check compares with single-threaded reads (NUM_THREADS=1, default window) made
before the threads start. The grids are small (a few hundred KB), so the config options
FASTAAIGRID_CHUNK_SIZE and FASTAAIGRID_PARALLEL_MIN are set small: windows and parallel
regions then split numbers and rows, and the jobs of all the Python threads share the driver's
one process-wide thread pool.

The fork() test reads, in a child process, a dataset the parent opened and already read with
several threads (so the pool's workers exist in the parent only: the child starts its own).
The parent waits with a timeout: a child that hangs fails the test instead of blocking the
run.
"""

import os
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import assert_same_pixels, config_options, gdal, open_fast, quiet_errors

NTHREADS = 16
SMALL = {"FASTAAIGRID_CHUNK_SIZE": "4096", "FASTAAIGRID_PARALLEL_MIN": "1024"}
THREADED = ["NUM_THREADS=4"]
SINGLE = ["NUM_THREADS=1"]


def _grid_text(kind, ncols, nrows, seed):
    rng = np.random.default_rng(seed)
    head = (f"ncols {ncols}\nnrows {nrows}\nxllcorner 10.5\nyllcorner -3\ncellsize 0.25\n"
            "NODATA_value -9999\n")
    if kind == "int":
        vals = rng.integers(-100000, 100000, size=(nrows, ncols))
        vals[rng.random((nrows, ncols)) < 0.02] = -9999
        rows = (" ".join(str(int(v)) for v in row) for row in vals)
    else:
        vals = rng.normal(0, 1000, size=(nrows, ncols)).astype(np.float32)
        rows = (" ".join(repr(float(v)) if i % 7 else f"{float(v):.3e}" for i, v in enumerate(row))
                for row in vals)
    # CRLF on some rows, blank lines on others: boundaries in the middle of both.
    out = []
    for i, row in enumerate(rows):
        out.append(row + ("\r\n" if i % 3 == 0 else "\n\n" if i % 5 == 0 else "\n"))
    return head + "".join(out)


@pytest.fixture(scope="module")
def grids(tmp_path_factory):
    """Four grids of 60-300 KB: two Int32, two Float32; with their single-threaded pixels."""
    d = tmp_path_factory.mktemp("threads")
    specs = [("int", 211, 157, 1), ("float", 173, 149, 2), ("int", 97, 301, 3), ("float", 255, 67, 4)]
    out = []
    for i, (kind, ncols, nrows, seed) in enumerate(specs):
        path = str(d / f"grid{i}.asc")
        with open(path, "w", newline="") as f:
            f.write(_grid_text(kind, ncols, nrows, seed))
        ds = open_fast(path, SINGLE)
        assert ds is not None, gdal.GetLastErrorMsg()
        ref = ds.GetRasterBand(1).ReadAsArray()
        assert ref is not None and ref.shape == (nrows, ncols)
        ds = None
        out.append((path, ref))
    return out


def _read_everything(path, seed):
    """Full read, then rows in a random order and a window, on a second dataset."""
    with quiet_errors():
        ds = open_fast(path, THREADED)
    assert ds is not None, f"open failed: {gdal.GetLastErrorMsg()}"
    full = ds.GetRasterBand(1).ReadAsArray()
    ds = None
    ds = open_fast(path, THREADED)
    band = ds.GetRasterBand(1)
    h, w = full.shape
    rows = np.empty_like(full)
    order = list(range(h))
    random.Random(seed).shuffle(order)
    for y in order:
        rows[y] = band.ReadAsArray(0, y, w, 1)[0]
    win = band.ReadAsArray(w // 4, h // 3, w // 2, h // 2)
    ds = None
    return full, rows, win


def _run_at_once(fn, args):
    """Runs fn(*a) for every a in args on NTHREADS threads that start together."""
    barrier = threading.Barrier(len(args))

    def task(a):
        barrier.wait(timeout=30)
        return fn(*a)

    with config_options(SMALL), ThreadPoolExecutor(max_workers=len(args)) as pool:
        return list(pool.map(task, args, timeout=60))


def _check_read(result, ref, what):
    full, rows, win = result
    h, w = ref.shape
    assert_same_pixels(full, ref, f"{what}: full read")
    assert_same_pixels(rows, ref, f"{what}: rows in random order")
    assert_same_pixels(win, ref[h // 3: h // 3 + h // 2, w // 4: w // 4 + w // 2], f"{what}: window")


def test_threads_read_the_same_file(grids):
    path, ref = grids[1]
    results = _run_at_once(_read_everything, [(path, i) for i in range(NTHREADS)])
    for i, r in enumerate(results):
        _check_read(r, ref, f"thread {i}")


def test_threads_read_different_files(grids):
    args = [(grids[i % len(grids)][0], i) for i in range(NTHREADS)]
    results = _run_at_once(_read_everything, args)
    for i, r in enumerate(results):
        _check_read(r, grids[i % len(grids)][1], f"thread {i} ({os.path.basename(args[i][0])})")


def _copy(src_path, dst_path, options):
    src = open_fast(src_path, THREADED)
    assert src is not None
    drv = gdal.GetDriverByName("FastAAIGrid")
    out = drv.CreateCopy(dst_path, src, 0, options)
    assert out is not None, f"CreateCopy failed: {gdal.GetLastErrorMsg()}"
    out = None
    src = None
    with open(dst_path, "rb") as f:
        return f.read()


def test_threads_create_copy_at_once(grids, tmp_path):
    # The single-threaded copies: the reference bytes.
    refs = []
    for i, (path, _) in enumerate(grids):
        refs.append(_copy(path, str(tmp_path / f"ref{i}.asc"), ["NUM_THREADS=1"]))
    args = [(grids[i % len(grids)][0], str(tmp_path / f"out{i}.asc"), ["NUM_THREADS=4"])
            for i in range(NTHREADS)]
    results = _run_at_once(_copy, args)
    for i, data in enumerate(results):
        assert data == refs[i % len(grids)], f"thread {i}: the copy's bytes differ from a single-threaded copy"
    # And the copies read back to the source pixels.
    for i in range(len(grids)):
        ds = open_fast(args[i][1], SINGLE)
        assert_same_pixels(ds.GetRasterBand(1).ReadAsArray(), grids[i][1], f"copy {i} read back")
        ds = None


def test_threads_write_prj_at_once(tmp_path):
    """Copies with ten spatial references at once: each .prj is that reference's own, as a
    copy alone writes it (the driver keeps the last few ESRI WKT texts, shared by threads)."""
    from osgeo import osr
    epsgs = [32631, 4326, 26711, 3857, 2154, 27700, 32633, 4269, 3035, 25832]
    drv = gdal.GetDriverByName("FastAAIGrid")

    def copy(i):
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsgs[i % len(epsgs)])
        src = gdal.GetDriverByName("MEM").Create("", 3, 2, 1, gdal.GDT_Int32)
        src.SetGeoTransform([0, 1, 0, 2, 0, -1])
        src.SetSpatialRef(srs)
        out = drv.CreateCopy(str(tmp_path / f"p{i}.asc"), src, 0, SINGLE)
        assert out is not None, gdal.GetLastErrorMsg()
        out = None
        return (tmp_path / f"p{i}.prj").read_bytes()

    refs = [copy(i) for i in range(len(epsgs))]
    results = _run_at_once(copy, [(i,) for i in range(NTHREADS * 4)])
    for i, prj in enumerate(results):
        assert prj == refs[i % len(epsgs)], f"copy {i}: EPSG:{epsgs[i % len(epsgs)]}"


def test_threads_read_and_write_mixed(grids, tmp_path):
    def job(i):
        path, ref = grids[i % len(grids)]
        if i % 2:
            return ("read", i, _read_everything(path, i))
        dst = str(tmp_path / f"mixed{i}.asc")
        _copy(path, dst, ["NUM_THREADS=3"])
        return ("copy", i, dst)

    results = _run_at_once(job, [(i,) for i in range(NTHREADS)])
    for what, i, r in results:
        ref = grids[i % len(grids)][1]
        if what == "read":
            _check_read(r, ref, f"thread {i}")
        else:
            ds = open_fast(r, SINGLE)
            assert_same_pixels(ds.GetRasterBand(1).ReadAsArray(), ref, f"thread {i}: copy read back")
            ds = None


def _wait_child(pid, timeout):
    """Exit status of child pid, or None when it is still running after timeout (then killed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def _fork_and_read(read, ref, timeout=5):
    """In a child: read() must give ref. Returns (status, child's message)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 3
        try:
            os.close(r)
            arr = read()
            if arr is None:
                msg, code = f"read failed: {gdal.GetLastErrorMsg()}", 2
            elif arr.dtype != ref.dtype or arr.shape != ref.shape or arr.tobytes() != ref.tobytes():
                msg, code = "the child read different pixels", 1
            else:
                msg, code = "ok", 0
            os.write(w, msg.encode())
        except BaseException as e:  # noqa: BLE001 (anything, reported to the parent)
            try:
                os.write(w, repr(e).encode())
            except OSError:
                pass
        finally:
            os._exit(code)
    os.close(w)
    status = _wait_child(pid, timeout)
    os.set_blocking(r, False)
    try:
        msg = os.read(r, 4096).decode(errors="replace")
    except BlockingIOError:
        msg = ""
    os.close(r)
    return status, msg


@pytest.mark.parametrize("threads", ["NUM_THREADS=1", "NUM_THREADS=4"])
def test_fork_child_reads_inherited_dataset(grids, threads):
    path, ref = grids[0]
    with config_options(SMALL):
        ds = open_fast(path, [threads])
        band = ds.GetRasterBand(1)
        # Already read in the parent: with NUM_THREADS=4 the pool's workers exist now.
        assert_same_pixels(band.ReadAsArray(), ref, "parent read")
        h = ref.shape[0]
        assert_same_pixels(band.ReadAsArray(0, h // 2, ref.shape[1], 1), ref[h // 2: h // 2 + 1], "parent row")
        status, msg = _fork_and_read(lambda: band.ReadAsArray(), ref)
        # The parent's dataset still works after the fork.
        assert_same_pixels(band.ReadAsArray(), ref, "parent read after fork")
        ds = band = None
    assert status is not None, (
        f"{threads}: the child hung reading the inherited dataset (killed after 5 s): "
        "its thread pool's workers do not exist in the child")
    assert os.WIFEXITED(status), f"{threads}: child died: status {status} ({msg})"
    assert os.WEXITSTATUS(status) == 0, f"{threads}: child exit {os.WEXITSTATUS(status)}: {msg}"


def test_fork_child_opens_its_own_dataset(grids):
    path, ref = grids[1]
    with config_options(SMALL):
        ds = open_fast(path, THREADED)
        assert_same_pixels(ds.GetRasterBand(1).ReadAsArray(), ref, "parent read")

        def read():
            child = open_fast(path, THREADED)
            return child.GetRasterBand(1).ReadAsArray() if child is not None else None

        status, msg = _fork_and_read(read, ref)
        ds = None
    assert status is not None, "the child hung opening and reading a new dataset (killed after 5 s)"
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}: {msg}"
