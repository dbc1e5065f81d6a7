"""Reproducer: a fork()ed child hangs reading a dataset its parent opened with NUM_THREADS>1
and already read (the dataset's aaig_pool worker threads exist only in the parent; the child's
aaig_pool_run waits forever for them to acknowledge the job).

    GDAL_DRIVER_PATH=/work/main/build /usr/bin/python3 fuzz/findings/fork_inherited_dataset_hang.py

Prints "child OK" when fixed; "child HUNG" (killed after 5 s) with the bug.
"""
import os, signal, sys, time
from osgeo import gdal

gdal.SetConfigOption("FASTAAIGRID_CHUNK_SIZE", "4096")
gdal.SetConfigOption("FASTAAIGRID_PARALLEL_MIN", "1024")
path = "/vsimem/fork.asc"
rows = "\n".join(" ".join(str((r * 200 + c) % 1000) for c in range(200)) for r in range(200))
gdal.FileFromMemBuffer(path, "ncols 200\nnrows 200\nxllcorner 0\nyllcorner 0\ncellsize 1\n" + rows + "\n")
ds = gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=["FastAAIGrid"], open_options=["NUM_THREADS=4"])
ref = ds.GetRasterBand(1).ReadAsArray()       # the parent reads: the pool's workers start
pid = os.fork()
if pid == 0:
    ok = (ds.GetRasterBand(1).ReadAsArray() == ref).all()   # hangs here
    os._exit(0 if ok else 1)
deadline = time.time() + 5
while time.time() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("child OK" if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else f"child failed {status}")
        sys.exit(0)
    time.sleep(0.05)
if len(sys.argv) > 1 and sys.argv[1] == "--stack":
    os.system(f"gdb -p {pid} -batch -ex 'thread apply all bt' 2>/dev/null | grep -E '^#|^Thread' | head -30")
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
print("child HUNG")
sys.exit(1)
