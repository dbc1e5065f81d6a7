"""Where the batches run: a local process pool, or a Dask distributed cluster.

Both runners run the same task, ``worker.convert_batch(tiles, settings)``, and
have the same interface:

``slots``
    how many batches run at once (pool processes; sum of Dask worker threads);
``cores_per_slot()``
    CPU cores per slot on the busiest host, which becomes each tile's
    NUM_THREADS so that slots x threads ~ cores;
``run(queue, settings)``
    a generator: submits every batch in ``queue`` (a deque the caller may
    append to while iterating) and yields ``(batch, outcome)`` as each one
    finishes, where outcome is the list of records, a ``WorkerLost`` (the
    process running the batch died) or another exception;
``call(fn, *args)``
    runs one function on a worker and returns its result;
``lost_retries``
    how often to resubmit a single tile whose worker died before recording it
    as failed (Dask has already retried it itself: 0);
``close()``.

Worker deaths: Dask reschedules the tasks of a dead worker by itself and only
reports ``KilledWorker`` for a task that was running on
``distributed.scheduler.allowed-failures`` (3) dying workers.  A process pool
breaks as a whole when one process dies; ``LocalRunner`` then starts a new
pool, resubmits the batches that were only queued, and reports ``WorkerLost``
for those that were running (each worker process notes in shared memory which
batch it is on).
"""

import concurrent.futures
import io
import multiprocessing
import os
import tempfile
import uuid
import zipfile
from collections import namedtuple
from concurrent.futures.process import BrokenProcessPool

from . import worker

Batch = namedtuple("Batch", "id tiles")


class WorkerLost(Exception):
    """The process running a batch died (killed, out of memory, crashed in GDAL)."""


def local_cores():
    return len(os.sched_getaffinity(0))


# --------------------------------------------------------------------------
# Local: a process pool
# --------------------------------------------------------------------------

_slot = None            # in a pool process: its index in _current
_current = None         # shared array: the batch id each pool process is on (-1: none)


def _init_pool_process(current, counter):
    global _slot, _current
    with counter.get_lock():
        _slot = counter.value
        counter.value += 1
    _current = current


def _tracked_convert_batch(batch_id, tiles, settings):
    _current[_slot] = batch_id
    try:
        return worker.convert_batch(tiles, settings)
    finally:
        _current[_slot] = -1


class LocalRunner:
    """A process pool on this machine ('forkserver' processes: safe in threaded callers)."""

    MAX_RESTARTS = 100
    lost_retries = 2        # a tile whose worker process died 3 times is recorded as failed

    def __init__(self, processes):
        self.slots = processes
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self._restarts = 0
        self._start_pool()

    def cores_per_slot(self):
        return max(1, local_cores() // self.slots)

    def _start_pool(self):
        self._current = self._context.Array("q", [-1] * self.slots, lock=False)
        counter = self._context.Value("i", 0)
        self._pool = concurrent.futures.ProcessPoolExecutor(
            self.slots, mp_context=self._context, initializer=_init_pool_process,
            initargs=(self._current, counter))

    def run(self, queue, settings):
        pending = {}
        while queue or pending:
            while queue:
                batch = queue.popleft()
                pending[self._pool.submit(_tracked_convert_batch, batch.id, batch.tiles, settings)] = batch
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            broken = []
            for future in done:
                batch = pending.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    broken.append(batch)
                    continue
                except Exception as e:
                    outcome = e
                yield batch, outcome
            if broken:
                unfinished = broken + list(pending.values())
                pending.clear()
                yield from self._recover(unfinished, queue)

    def _recover(self, unfinished, queue):
        """The pool broke: restart it; requeue queued batches, report running ones as lost."""
        running = {i for i in self._current if i >= 0}
        lost = [b for b in unfinished if b.id in running]
        queued = [b for b in unfinished if b.id not in running]
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._restarts += 1
        if self._restarts > self.MAX_RESTARTS:
            raise RuntimeError(f"the local worker processes died {self._restarts} times; giving up")
        self._start_pool()
        queue.extendleft(reversed(queued))
        for b in lost:
            yield b, WorkerLost(f"local pool restart {self._restarts}")

    def call(self, fn, *args):
        return self._pool.submit(fn, *args).result()

    def close(self, cancel=False):
        self._pool.shutdown(wait=True, cancel_futures=cancel)


# --------------------------------------------------------------------------
# Dask distributed
# --------------------------------------------------------------------------

class DaskRunner:
    """Batches as Dask tasks on the cluster behind *client* (``pure=False``, retried)."""

    RETRIES = 2
    lost_retries = 0        # KilledWorker: the scheduler already tried allowed-failures times

    def __init__(self, client, wait_for_workers_s=60):
        from distributed import KilledWorker, as_completed

        self._killed_worker, self._as_completed = KilledWorker, as_completed
        self.client = client
        client.wait_for_workers(1, timeout=wait_for_workers_s)
        _ensure_package_on_workers(client)
        self._run_id = uuid.uuid4().hex[:8]
        self._pending = {}

    @property
    def slots(self):
        return sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values())

    def cores_per_slot(self):
        workers = self.client.scheduler_info()["workers"]
        cores = self.client.run(local_cores)            # {worker address: cores}
        slots_on, cores_on = {}, {}
        for address, w in workers.items():
            slots_on[w["host"]] = slots_on.get(w["host"], 0) + w["nthreads"]
            cores_on[w["host"]] = cores.get(address, 1)
        return max(1, min(cores_on[h] // slots_on[h] for h in slots_on))

    def run(self, queue, settings):
        pending = self._pending = {}
        completed = self._as_completed()
        while True:
            while queue:
                batch = queue.popleft()
                future = self.client.submit(
                    worker.convert_batch, batch.tiles, settings, pure=False, retries=self.RETRIES,
                    key=f"fastaaigrid-convert-{self._run_id}-{batch.id}")
                pending[future.key] = (batch, future)
                completed.add(future)
            if completed.is_empty():
                return
            future = next(completed)
            batch, _ = pending.pop(future.key)
            try:
                outcome = future.result()
            except self._killed_worker as e:
                outcome = WorkerLost(f"Dask: {e}")
            except Exception as e:
                outcome = e
            future.release()
            yield batch, outcome

    def call(self, fn, *args):
        return self.client.submit(fn, *args, pure=False).result()

    def close(self, cancel=False):
        if cancel and self._pending:
            self.client.cancel([future for _, future in self._pending.values()])


def _ensure_package_on_workers(client):
    """Send this package to workers that cannot import it (a zip, via upload_file)."""
    # eval is a builtin, so this probe unpickles on a worker without our package.
    probe = "__import__('importlib.util').util.find_spec('fastaaigrid') is not None"
    if all(client.run(eval, probe).values()):
        return
    package_dir = os.path.dirname(os.path.abspath(__file__))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(os.listdir(package_dir)):
            if name.endswith(".py"):
                zf.write(os.path.join(package_dir, name), f"fastaaigrid/{name}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fastaaigrid_package.zip")
        with open(path, "wb") as f:
            f.write(buffer.getvalue())
        client.upload_file(path)
