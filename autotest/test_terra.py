"""FastAAIGrid through R's terra, against the built-in AAIGrid through terra.

``Rscript`` reads a 700x500 float grid with nodata and a .prj with ``terra::rast()``; one run
has GDAL_DRIVER_PATH=<plugin dir>, the other none (the built-in). Each run writes, as raw
little-endian doubles (``writeBin``), all values, a block of rows, a regular sample (a
resampled read) and an aggregation, and reports the driver (from ``terra::describe()``, GDAL's
gdalinfo text), the extent, resolution, CRS (WKT and EPSG), NA flag and global statistics with
``sprintf("%.17g")``. Every process reads its own copy of the grid.
"""

import os
import re
import shutil
import subprocess
import textwrap

import numpy as np
import pytest

from conftest import (BUILTIN, FAST, dem_grid_files, missing_application, plugin_env,
                      reference_env, write_file)

pytestmark = pytest.mark.apps
RSCRIPT = shutil.which("Rscript")
if RSCRIPT is None:
    missing_application("Rscript is not installed (Debian package r-base-core)")

NCOLS, NROWS = 700, 500

_SCRIPT = textwrap.dedent(r"""
    args <- commandArgs(trailingOnly = TRUE)
    path <- args[1]; outdir <- args[2]
    if (!requireNamespace("terra", quietly = TRUE)) { cat("NO_TERRA\n"); quit(status = 0) }
    suppressPackageStartupMessages(library(terra))
    bin <- function(x, name) {
      con <- file(file.path(outdir, paste0(name, ".bin")), "wb")
      writeBin(as.double(x), con, size = 8, endian = "little")
      close(con)
    }
    g <- function(x) paste(sprintf("%.17g", x), collapse = " ")
    info <- describe(path)
    r <- rast(path)
    v <- values(r, mat = FALSE)
    bin(v, "values")
    bin(values(r, row = 201, nrows = 37, col = 350, ncols = 300, mat = FALSE), "rows")
    s <- spatSample(r, 5000, method = "regular", as.raster = TRUE)
    bin(values(s, mat = FALSE), "sample")
    a <- aggregate(r, fact = 7, fun = "mean", na.rm = TRUE)
    bin(values(a, mat = FALSE), "aggregate")
    st <- sapply(c("min", "max", "mean", "sum", "sd"), function(f) global(r, f, na.rm = TRUE)[1, 1])
    lines <- c(
      paste("DRIVER", sub("^Driver: ([^/]*)/.*$", "\\1", info[grepl("^Driver: ", info)][1])),
      paste("DIM", g(dim(r))),
      paste("EXT", g(as.vector(ext(r)))),
      paste("RES", g(res(r))),
      paste("SAMPLE_DIM", g(dim(s))), paste("SAMPLE_EXT", g(as.vector(ext(s)))),
      paste("AGG_DIM", g(dim(a))),
      paste("NAFLAG", g(NAflag(r))),
      paste("NA_COUNT", sum(is.na(v))),
      paste("DATATYPE", paste(datatype(r), collapse = " ")),
      paste("HASMINMAX", paste(hasMinMax(r), collapse = " ")),
      paste("MINMAX", g(minmax(r))),
      paste("STATS", g(unlist(st))),
      paste("EPSG", paste(crs(r, describe = TRUE)$code, collapse = " ")),
      paste("CRS_NAME", paste(crs(r, describe = TRUE)$name, collapse = " ")),
      paste("TERRA", as.character(packageVersion("terra"))),
      paste("GDAL", gdal())
    )
    writeLines(lines, file.path(outdir, "info.txt"))
    writeLines(crs(r), file.path(outdir, "crs.wkt"))
    writeLines(info, file.path(outdir, "describe.txt"))
    cat("OK\n")
""")


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return dem_grid_files(tmp_path_factory.mktemp("terra"), NCOLS, NROWS, seed=31)


def _run(grid, workdir, env):
    data, out = os.path.join(workdir, "data"), os.path.join(workdir, "out")
    os.makedirs(data)
    os.makedirs(out)
    for ext in (".asc", ".prj"):
        shutil.copy(grid[:-4] + ext, os.path.join(data, "dem" + ext))
    script = write_file(os.path.join(workdir, "read.R"), _SCRIPT)
    proc = subprocess.run([RSCRIPT, "--vanilla", script, os.path.join(data, "dem.asc"), out],
                          capture_output=True, text=True, timeout=120, env=env)
    if "NO_TERRA" in proc.stdout:
        missing_application("the R package terra is not installed (Debian package r-cran-terra)")
    assert proc.returncode == 0 and "OK" in proc.stdout, (
        f"Rscript failed (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    info = {}
    with open(os.path.join(out, "info.txt")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            info[key] = value
    with open(os.path.join(out, "crs.wkt")) as f:
        info["WKT"] = f.read()
    info["dir"] = out
    return info


@pytest.fixture(scope="module")
def runs(grid, tmp_path_factory):
    d = tmp_path_factory.mktemp("terra_runs")
    return {FAST: _run(grid, str(d / "fast"), plugin_env()),
            BUILTIN: _run(grid, str(d / "builtin"), reference_env())}


def test_drivers(runs):
    assert runs[FAST]["DRIVER"] == FAST, "terra with GDAL_DRIVER_PATH did not use the plugin"
    assert runs[BUILTIN]["DRIVER"] == BUILTIN, (
        "terra without GDAL_DRIVER_PATH did not use the built-in (plugin installed system-wide?)")


def test_properties_same(runs):
    fast, ref = runs[FAST], runs[BUILTIN]
    for key in ("DIM", "EXT", "RES", "NAFLAG", "NA_COUNT", "DATATYPE", "HASMINMAX", "MINMAX",
                "STATS", "EPSG", "CRS_NAME", "WKT", "SAMPLE_DIM", "SAMPLE_EXT", "AGG_DIM"):
        assert fast[key] == ref[key], f"{key}: fast={fast[key]!r} builtin={ref[key]!r}"
    assert ref["DIM"].split()[:2] == [str(NROWS), str(NCOLS)]
    assert ref["WKT"].strip(), "test bug: no CRS from the .prj"
    assert int(ref["NA_COUNT"]) > 0, "test bug: no nodata in the grid"


@pytest.mark.parametrize("name", ["values", "rows", "sample", "aggregate"])
def test_values_identical(runs, name):
    fast = np.fromfile(os.path.join(runs[FAST]["dir"], name + ".bin"), "<f8")
    ref = np.fromfile(os.path.join(runs[BUILTIN]["dir"], name + ".bin"), "<f8")
    assert fast.shape == ref.shape and ref.size > 0, (fast.shape, ref.shape)
    assert np.array_equal(np.isnan(fast), np.isnan(ref)), f"{name}: NA at different places"
    differ = fast.view(np.uint64) != ref.view(np.uint64)
    if differ.any():
        i = int(np.flatnonzero(differ)[0])
        pytest.fail(f"{name}: {int(differ.sum())} values differ; first at {i}: "
                    f"fast={fast[i]!r} builtin={ref[i]!r}")
    assert np.isfinite(ref).any()


def test_describe_same_but_driver(runs):
    """terra::describe() (gdalinfo): the same text once driver names and paths are removed."""
    texts = {}
    for drv, res in runs.items():
        with open(os.path.join(res["dir"], "describe.txt")) as f:
            text = f.read()
        text = text.replace(os.path.dirname(res["dir"]), "<dir>")
        texts[drv] = re.sub(r"^Driver: .*$", "Driver: -", text, count=1, flags=re.M)
    assert texts[FAST] == texts[BUILTIN]
