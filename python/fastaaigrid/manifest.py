"""The manifest: ``<outdir>/manifest.jsonl``, one JSON record per attempt at a tile.

Append-only.  Records are written by the coordinator as batches complete,
flushed and fsync'd once per batch, so a coordinator killed at any moment
leaves at most a partial last line (ignored when read back) and loses at most
the records of the batch it was writing: those tiles are simply done again.

A tile counts as done (and a re-run skips it) when its *last* record is
``ok``, was made from the same source version with the same output settings,
and its output file still exists with the recorded size and SHA-256.
"""

import json
import os

from .worker import output_path, sha256_file

MANIFEST_NAME = "manifest.jsonl"


def read_last_records(path):
    """{tile name: its last record} from a manifest (missing file: {})."""
    last = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:      # a line cut short by a kill
                    continue
                if isinstance(record, dict) and "tile" in record:
                    last[record["tile"]] = record
    except FileNotFoundError:
        pass
    return last


def done_tiles(manifest_path, tiles, settings):
    """{name: last record} of the *tiles* whose outputs are complete and verified (see module doc)."""
    last = read_last_records(manifest_path)
    done = {}
    for tile in tiles:
        record = last.get(tile.name)
        if (record and record.get("status") == "ok"
                and record.get("source") == tile.source
                and record.get("source_stamp") == tile.stamp
                and record.get("settings") == settings.output_key()
                and _output_matches(output_path(settings.outdir, tile.name), record)):
            done[tile.name] = record
    return done


def _output_matches(path, record):
    try:
        if os.path.getsize(path) != record.get("bytes"):
            return False
        return sha256_file(path) == record.get("sha256")
    except OSError:
        return False


class ManifestWriter:
    """Appends records; ``write(records)`` makes them durable (flush + fsync) together."""

    def __init__(self, path, run_id):
        self.path = path
        self.run_id = run_id
        self._file = open(path, "a", encoding="utf-8")
        self._repair_last_line()

    def _repair_last_line(self):
        """After a kill mid-line, start on a new line so the next record stays readable."""
        if self._file.tell() == 0:
            return
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                self._file.write("\n")

    def write(self, records):
        lines = [json.dumps(dict(record, run=self.run_id), sort_keys=True) + "\n" for record in records]
        self._file.write("".join(lines))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self):
        self._file.close()
