"""Cancellation of reads at every progress call: the read fails with CPLE_UserInterrupt and a
message naming the file, no value past the cancelled step is written, and the dataset then
reads correctly (no state is left half-updated)."""
import numpy as np
import pytest
from osgeo import gdal

from conftest import open_builtin, open_fast, quiet_errors, write_file

NCOLS, NROWS = 5000, 2000  # read as Float64: 40000 bytes a row, 16 MiB steps -> 5 steps


@pytest.fixture(scope="module")
def big_grid(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cancel") / "big.asc")
    row = " ".join(str(c % 10) for c in range(NCOLS)) + "\n"
    rows = [row.replace("0", str(r % 7), 1) for r in range(NROWS)]  # rows differ
    header = f"ncols {NCOLS}\nnrows {NROWS}\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
    write_file(path, header + "".join(rows))
    return path


def read_with(ds, callback, window=None, buf_type=None, buf=(None, None)):
    x, y, w, h = window or (0, 0, NCOLS, NROWS)
    gdal.ErrorReset()
    with quiet_errors():
        arr = ds.GetRasterBand(1).ReadAsArray(x, y, w, h, buf_xsize=buf[0], buf_ysize=buf[1],
                                              buf_type=buf_type, callback=callback)
    return arr, gdal.GetLastErrorNo(), gdal.GetLastErrorMsg()


@pytest.mark.parametrize("window, buf_type, buf", [
    (None, None, (None, None)),                         # whole rows straight into the buffer
    ((100, 10, 4000, 1990), gdal.GDT_Float32, (None, None)),  # a window through scratch rows
    ((7, 3, 4900, 1990), gdal.GDT_Float32, (1000, 1000)),    # nearest: sampled rows in runs
], ids=["direct", "window", "nearest"])
def test_read_cancelled_at_every_progress_call(big_grid, window, buf_type, buf):
    ds = open_fast(big_grid, ["DATATYPE=Float64"])
    ref = open_builtin(big_grid, ["DATATYPE=Float64"])
    x, y, w, h = window or (0, 0, NCOLS, NROWS)
    want = ref.GetRasterBand(1).ReadAsArray(x, y, w, h, buf_xsize=buf[0], buf_ysize=buf[1],
                                            buf_type=buf_type)

    calls = []
    arr, errno, _ = read_with(ds, lambda c, m, d: calls.append(c) or 1, window, buf_type, buf)
    assert errno == 0 and np.array_equal(arr, want)
    assert len(calls) >= 4, calls  # several steps, so that every one can be cancelled
    assert calls[-1] == 1.0

    for k in range(1, len(calls) + 1):
        seen = []

        def cancel_at_k(complete, message, data):
            seen.append(complete)
            return 0 if len(seen) == k else 1

        arr, errno, msg = read_with(ds, cancel_at_k, window, buf_type, buf)
        assert arr is None, f"cancel at call {k}: the read succeeded"
        assert errno == gdal.CPLE_UserInterrupt, (k, errno, msg)
        assert big_grid in msg and "cancelled" in msg, msg
        assert len(seen) == k
        # The dataset is intact: the next read (rows before, at and after the cancelled step)
        # gives every value.
        arr, errno, msg = read_with(ds, None, window, buf_type, buf)
        assert errno == 0 and np.array_equal(arr, want), f"after cancelling at call {k}: {msg}"
