#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into fuzz/corpus/<harness>/.

Seeds: GDAL's peer test data for the format (peer-data/gdal-autotest/aaigrid and
grassasciigrid) and small grids in the shapes the unit and pytest suites use (CRLF, comments,
BOM, ',' decimals, nan/null/inf, dx/dy, centres, wrapped rows, a short file, a bad token, an
Int32 overflow, a NUL byte, UTF-16). The reader and GDAL harnesses take a few control bytes
first (see their headers); the number and format harnesses get tokens and raw values.

    python3 fuzz/make_corpus.py [--shared /work/shared]
"""
import argparse
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

HDR = "ncols 4\nnrows 3\nxllcorner 100\nyllcorner 200\ncellsize 10\n"

GRIDS = {
    "int": HDR + "1 2 3 4\n5 6 7 8\n9 10 11 12\n",
    "float": HDR + "NODATA_value -9999\n1.5 2 3 4\n5 -9999 7 8e3\n9 10 11 1.25e-2\n",
    "crlf_comment_bom": "\ufeff# a comment\r\n" + HDR.replace("\n", "\r\n") + "1 2 3 4\r\n5 6 7 8\r\n9 10 11 12\r\n",
    "comma": HDR + "NODATA_value -9999,5\n1,5 2,25 3 4\n5 6 7 8\n9 10 11 12\n",
    "specials": HDR + "NODATA_value nan\nnan inf -inf null\n1.#INF -1.#IND 1.#QNAN NaN\nInfinity -nan +1 -0\n",
    "dxdy_center": "ncols 3\nnrows 2\nxllcenter 0.5\nyllcenter 1.5\ndx 1\ndy 2\n1 2 3\n4 5 6\n",
    "wrapped": HDR + "1 2 3 4 5\n6\n7 8 9 10 11 12\n",
    "one_per_line": HDR + "".join(f"{i}\n" for i in range(12)),
    "short": HDR + "1 2 3 4\n5 6 7 8\n9 10 11\n",
    "bad_token": HDR + "1 2 3 4\n5 x6 7 8\n9 10 11 12\n",
    "int_overflow": HDR + "1 2 3 4\n5 2147483648 7 8\n9 10 11 12\n",
    "nul": HDR + "1 2 3 4\n5 6\x00 7 8\n9 10 11 12\n",
    "keys_any_case_order": "NROWS 2\nCellSize 1\nNCOLS 2\nYLLCORNER 0\nxLLcorner 0\nnodata_value -1\n1 2\n3 -1\n",
    "values_next_line": "ncols\n2\nnrows\n2\nxllcorner\n0\nyllcorner\n0\ncellsize\n1\n1 2\n3 4\n",
    "trailing_text": HDR + "1 2 3 4\n5 6 7 8\n9 10 11 12\nextra garbage here\n",
    "long_token": HDR + "1 2 3 4\n5 " + "1" * 1100 + " 7 8\n9 10 11 12\n",
    "exponents": HDR + "1e308 1e-308 4.9e-324 1.7976931348623157e308\n2.2250738585072014e-308 "
                       "123456789012345678901234567890 0.1 1e400\n-1e400 3.4028235e38 3.4028236e38 1e-50\n",
    "grass": "north: 250\nsouth: 0\neast: 150\nwest: -100\nrows: 3\ncols: 2\nnull: -9999\ntype: float\n1 2\n3 -9999\n5 6\n",
}

NUMBERS = ["0", "-0", "1", "+1", "1.5", "1,5", ".5", "5.", "1e10", "1E-10", "-1.25e+300",
           "4.9e-324", "2.4703282292062327e-324", "1.7976931348623157e308",
           "1.7976931348623158e308", "1e400", "123456789012345678901234567890",
           "9007199254740993", "0.1000000000000000055511151231257827", "3.4028235e38",
           "nan", "-NaN", "inf", "-Infinity", "null", "1.#INF", "-1.#IND", "1.#QNAN",
           "0x1p3", "1e", "1.2.3", "--1", "2147483647", "-2147483648", "2147483648",
           "1 2 3 4.5 -6e7 nan null 1,25 -0.0 1e-7\n"]


def write(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(HERE, os.pardir, os.pardir, "shared"))
    args = ap.parse_args()
    files = {k: v.encode("utf-8") for k, v in GRIDS.items()}
    files["utf16"] = ("\ufeff" + GRIDS["int"]).encode("utf-16-le")
    for sub in ("aaigrid", "grassasciigrid"):
        d = os.path.join(args.shared, "peer-data", "gdal-autotest", sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if name.lower().endswith((".prj",)):
                continue
            with open(os.path.join(d, name), "rb") as f:
                files["peer_" + name.replace(".", "_")] = f.read()

    for name, data in files.items():
        write("fuzz_header", name, data)
        # reader: chunk (2 bytes), threads, parallel_min, type/concurrency, ncols, nrows, seed
        h = hashlib.sha256(data).digest()
        for i, ctl in enumerate([bytes([7, 0, 3, 5, 4, 4, 3, h[0]]),
                                 bytes([h[1], h[2], 63, 0, 5 + (h[3] & 2), 2, 6, h[4]])]):
            write("fuzz_reader", f"{name}_{i}", ctl + data)
        # gdal: chunk, threads, datatype/copy options, seed
        write("fuzz_gdal", name, bytes([1, 4, h[5] & 15, h[6]]) + data)
    for i, tok in enumerate(NUMBERS):
        write("fuzz_number", f"n{i:02d}", tok.encode())
    vals = [0.0, -0.0, 0.1, 1.0 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
            float("inf"), float("-inf"), float("nan"), 3.4028234663852886e38, 1e23, 9007199254740993.0,
            123456.789, -2.5e-45, 1e-7]
    fvals = [0.0, 0.1, 1.4e-45, 1.1754944e-38, 3.4028235e38, 16777217.0, -7.1e-9, 0.3]
    write("fuzz_format", "doubles", b"\x00" + b"".join(struct.pack("<d", v) for v in vals))
    write("fuzz_format", "floats", b"\x81" + b"".join(struct.pack("<f", v) for v in fvals))
    write("fuzz_format", "ints", b"\x13" + b"".join(struct.pack("<q", v) for v in
                                                     [0, -1, 2**31 - 1, -2**31, 2**63 - 1, -2**63, 12345678901]))


if __name__ == "__main__":
    main()
