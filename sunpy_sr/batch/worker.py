"""
What runs on a dask worker: the cached method, torch threads, and the task of one file.

A worker process builds each method (method name + options) once, at its first file, and
keeps it in a module-level cache for the rest (:func:`cached_method`): a network is loaded once
per worker, not once per task. :class:`TorchThreads`, registered as a worker plugin, sets
torch's thread count on every worker when it starts, so that ``workers x threads`` does not
exceed the cores.
"""
import os
import threading
import time

from distributed import WorkerPlugin

__all__ = ["TorchThreads", "cached_method", "cache_info", "process_file", "task_cancelled"]

_CACHE = {}
_LOCK = threading.Lock()


def _key(method, options):
    return method, tuple(sorted((k, repr(v)) for k, v in options.items()))


def cached_method(method, options=None, *, uncertainty=False):
    """
    The `~sunpy_sr.api.PreparedMethod` for ``method``, ``options`` and ``uncertainty`` in this process.

    Built at the first call (a network is loaded at its first map) and returned by every
    later call with the same method, options and ``uncertainty``.
    """
    from sunpy_sr.api import prepare_method
    options = dict(options or {})
    uncertainty = bool(options.pop("uncertainty", uncertainty))
    key = _key(method, {**options, "uncertainty": True} if uncertainty else options)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = {"prepared": prepare_method(method, uncertainty=uncertainty, **options), "uses": 0}
        entry = _CACHE[key]
        entry["uses"] += 1
        return entry["prepared"]


def cache_info():
    """
    The methods this process holds: ``{(method, options): {"built": bool, "uses": int, "pid": int}}``.

    ``built`` is True once the method function exists (for a network: the weights are loaded);
    ``uses`` counts the tasks that asked for it. Run it on every worker with ``client.run(cache_info)``.
    """
    with _LOCK:
        return {key: {"built": entry["prepared"].is_built, "uses": entry["uses"],
                      "pid": os.getpid()}
                for key, entry in _CACHE.items()}


class TorchThreads(WorkerPlugin):
    """
    A worker plugin setting ``torch.set_num_threads(threads)`` on each worker at start-up.

    Parameters
    ----------
    threads : int
        Torch (intra-op) threads per worker: choose ``workers x threads <= cores``.
    """

    idempotent = False  # a later batch with other threads replaces it
    name = "sunpy-sr-torch-threads"

    def __init__(self, threads):
        self.threads = int(threads)

    def setup(self, worker):
        import torch
        torch.set_num_threads(self.threads)


def task_cancelled():
    """
    True if the dask task running in this thread was cancelled (the batch was stopped with Ctrl-C).

    dask cannot stop a task that runs; :func:`process_file` asks this before it writes, so
    that a stopped batch does not go on writing into its output folder. False outside a task.
    """
    try:
        from distributed import get_worker
        from distributed.worker import thread_state
        key = getattr(thread_state, "key", None)
        if key is None:
            return False
        ts = get_worker().state.tasks.get(key)
    except Exception:  # not on a worker
        return False
    return ts is None or ts.state in ("cancelled", "released", "forgotten")


def process_file(path, output, *, method, options, threads):
    """
    Super-resolve one file into ``output`` (a task of `sunpy_sr.batch.superresolve_files`).

    Never raises: a file that cannot be read, processed or written (a full disk) gives a row
    with status ``"error"`` and the error's class and message, so that the batch goes on; a
    failed write leaves no file (`write_map_atomic`). A task cancelled (Ctrl-C) before its
    write writes nothing and gives status ``"interrupted"``.

    Returns
    -------
    dict
        ``path``, ``output``, ``status`` ("ok", "error" or "interrupted"), ``error`` (message or ""),
        ``seconds`` (wall time of the task) and ``worker`` (host:pid).
    """
    import socket

    from sunpy_sr.batch.files import validate_output, write_map_atomic
    t0 = time.perf_counter()
    row = {"path": str(path), "output": str(output), "status": "ok", "error": "",
           "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        import sunpy.map

        from sunpy_sr.api import superresolve
        smap = sunpy.map.Map(str(path))
        if isinstance(smap, list):
            raise ValueError(f"the file holds {len(smap)} images; one map per file is expected")
        options = dict(options)
        uncertainty = bool(options.pop("uncertainty", False))
        prepared = cached_method(method, options, uncertainty=uncertainty)
        sr = superresolve(smap, method=prepared, threads=threads, progress=False, uncertainty=uncertainty)
        if task_cancelled():  # the batch was stopped while this file was computed: write nothing
            row.update(status="interrupted", error="not done: the batch was interrupted")
            row["seconds"] = time.perf_counter() - t0
            return row
        write_map_atomic(sr, output)  # with the UNCERT extension when the map has an uncertainty
        validate_output(output, expected_shape=sr.data.shape, method=method, uncertainty=uncertainty)
    except Exception as e:  # recorded in the summary; the batch goes on
        row["status"] = "error"
        row["error"] = f"{type(e).__name__}: {' '.join(str(e).split())}"
    row["seconds"] = time.perf_counter() - t0
    return row
