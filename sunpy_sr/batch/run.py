"""
:func:`superresolve_files`: many magnetograms on a `dask.distributed` cluster, safe to restart.

One task per file. Outputs that exist and are valid are skipped, so a batch that was killed
(or stopped with Ctrl-C) and is started again finishes the rest and redoes nothing. Files are
written atomically (`sunpy_sr.batch.files`), so a killed run leaves no half-written output. A
file that cannot be read or processed, a write that fails (a full disk) and a worker that dies
are recorded with their error, and the others go on. Ctrl-C cancels what is left, closes a
cluster the batch started, writes the summary of what was done and raises
:class:`BatchInterrupted` (a `KeyboardInterrupt` carrying that table).
"""
import os
import time
import uuid
from pathlib import Path

import numpy as np

from sunpy_sr.exceptions import SunpySRError, warn_user
from sunpy_sr.progress import show_progress

__all__ = ["superresolve_files", "expand_inputs", "local_cluster", "SUMMARY_NAME", "STATUSES",
           "BatchInterrupted"]

#: The summary table written into the output folder.
SUMMARY_NAME = "batch_summary.ecsv"
#: The statuses of a row of the summary.
STATUSES = ("ok", "skipped", "error", "interrupted")
_WRITE_GRACE_S = 30.0  # after Ctrl-C on your own cluster: the longest wait for a write under way
_SETTLE_S = 0.3
_INTERRUPTED = "not done: the batch was interrupted (Ctrl-C); run it again to finish"
_INPUT_PATTERNS = ("*.fits", "*.fits.gz", "*.fts", "*.fit")


class BatchInterrupted(KeyboardInterrupt):
    """
    Ctrl-C during a batch: a `KeyboardInterrupt` that carries the summary of what was done.

    Attributes
    ----------
    table : `astropy.table.Table`
        The summary (as `superresolve_files` returns it), with status ``interrupted`` for the
        files that were not done; also written to the output folder.
    """

    def __init__(self, table):
        super().__init__("the batch was interrupted; run it again to finish")
        self.table = table


def expand_inputs(paths):
    """Input paths, with each folder replaced by its FITS files (sorted; not recursive)."""
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted({f for pattern in _INPUT_PATTERNS for f in p.glob(pattern) if f.is_file()})
            out.extend(found)
        else:
            out.append(p)
    return out


def _default_workers(n_workers, threads, n_tasks, *, local=True):
    """
    (workers, torch threads per worker) of a local cluster, with workers x threads <= cores.

    Neither given: a worker per file up to the cores, and the cores shared among them (1 file
    on 2 cores: 1 worker of 2 threads; 12 files: 2 workers of 1). On a cluster of the
    caller's own, ``threads`` defaults to 1 and ``n_workers`` is not used.
    """
    cores = os.cpu_count() or 1
    if not local:
        return n_workers, int(threads or 1)
    if n_workers is None:
        n_workers = max(1, min(cores // (threads or 1), n_tasks))
    if threads is None:
        threads = max(1, cores // n_workers)
    return int(n_workers), int(threads)


def superresolve_files(paths, output_dir, *, method="rcan", client=None, n_workers=None,
                       threads_per_worker=None, overwrite=False, progress=None, summary=SUMMARY_NAME,
                       **options):
    """
    Super-resolve many FITS files on a `dask.distributed` cluster.

    Parameters
    ----------
    paths : iterable of path-like
        Input FITS files (one LOS magnetogram each); a folder stands for its ``*.fits`` files.
    output_dir : path-like
        Where ``<name>_sr.fits`` is written for each input (created if needed).
    method : str
        A registered method (`sunpy_sr.superresolve`), default ``"rcan"``.
    client : `distributed.Client` or str, optional
        An existing client, or a scheduler address (``"tcp://host:8786"``) to connect to.
        Default: a `distributed.LocalCluster` of worker processes on this machine, closed at
        the end.
    n_workers : int, optional
        Worker processes of the LocalCluster (default: one per file to do, up to
        cores // threads_per_worker).
    threads_per_worker : int, optional
        Torch threads per worker (default: cores // n_workers on the local cluster, at least
        1, so that one full disk gets every core; 1 on your own cluster). Each worker runs one
        file at a time, so ``n_workers x threads_per_worker`` should not exceed the cores.
        With your own cluster, start workers with ``--nthreads 1`` and as many per node as
        its cores / threads_per_worker.
    overwrite : bool
        Redo files whose output exists and is valid (default: skip them).
    progress : bool or None
        A progress bar over completed files; None (default): when the standard error is a
        terminal (`sunpy_sr.progress.show_progress`).
    summary : str or None
        File name of the ECSV summary in ``output_dir`` (None: not written).
    **options
        Method options (``weights``, ``ensemble``, ``device``, ``dtype``), and
        ``uncertainty=True``: each map is super-resolved with ``superresolve(...,
        uncertainty=True)`` and its uncertainty written to the output's ``UNCERT`` extension
        (`sunpy_sr.io.save`); an existing output without it is not valid, and is redone.

    Returns
    -------
    `astropy.table.Table`
        One row per input, in input order: ``path``, ``output``, ``status`` (``ok``,
        ``skipped``, ``error`` or, after Ctrl-C, ``interrupted``), ``error`` (the message),
        ``seconds`` (wall time of its task, s) and ``worker`` (host:pid). Its ``meta`` holds the
        method, options, the number of workers that took part (0 if nothing was left to do),
        torch threads per worker, the wall time of the whole batch (s), the ``counts`` of each
        status (``interrupted`` only after Ctrl-C), ``interrupted`` (bool) and, if the summary
        file could not be written (a full disk: a warning then, not an error), ``summary_error``.

    Raises
    ------
    SunpySRError
        Before any work: an unknown method, or two inputs with the same output.
    BatchInterrupted
        Ctrl-C (a `KeyboardInterrupt`): the files not yet done are cancelled, a local cluster
        the batch started is closed and its temporary files removed, the summary is written,
        and the exception's ``table`` is the summary. The same call again finishes the rest.

    Notes
    -----
    What fails is recorded in the table and the others go on: an input that cannot be read
    or is not a magnetogram, a write that fails (a full disk, a folder made read-only: no
    output, and no temporary file, is left for that file), and a worker that died while it
    ran the file (dask's `~distributed.KilledWorker`, after dask retried the file on other
    workers; e.g. out of memory). None of them leaves an output the next run would take as
    valid, so the next run redoes them.

    The local cluster starts its workers as new processes that import the calling script's
    main module: in a script, call this function under ``if __name__ == "__main__":`` (as
    for any `multiprocessing` code). ``sunpy-sr batch`` does.

    Examples
    --------
    On a cluster of one worker thread in this process (no worker processes to start), twice:
    the second run finds the output valid and skips it.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from distributed import Client
    >>> from sunpy_sr.batch import superresolve_files
    >>> from sunpy_sr.data.sample import HMI_ACTIVE_REGION
    >>> with tempfile.TemporaryDirectory() as out, Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                                                 dashboard_address=None) as client:
    ...     first = superresolve_files([HMI_ACTIVE_REGION], out, method="bicubic", client=client,
    ...                                progress=False)
    ...     again = superresolve_files([HMI_ACTIVE_REGION], out, method="bicubic", client=client,
    ...                                progress=False)
    ...     written = sorted(p.name for p in Path(out).iterdir())
    >>> written
    ['batch_summary.ecsv', 'hmi_active_region_sr.fits']
    >>> first["status"].tolist(), again["status"].tolist(), again.meta["counts"]
    (['ok'], ['skipped'], {'ok': 0, 'skipped': 1, 'error': 0})
    """
    from astropy.table import Table

    from sunpy_sr.batch.files import OutputError, input_shape, output_path, remove_partials, validate_output
    from sunpy_sr.methods import get_method
    from sunpy_sr.version import version
    t_start = time.perf_counter()
    if "uncertainty" in options:  # True or absent: one cache key on the workers per setting
        options["uncertainty"] = bool(options["uncertainty"])
        if not options["uncertainty"]:
            del options["uncertainty"]
    uncertainty = options.get("uncertainty", False)
    scale = get_method(method).scale  # unknown method: fail before any work
    progress = show_progress(progress, long=True)  # a bad value fails here too
    inputs = expand_inputs(paths)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    outputs = [output_path(p, output_dir) for p in inputs]
    seen = {}
    for p, o in zip(inputs, outputs):
        if o in seen:
            raise SunpySRError(f"{p} and {seen[o]} would both be written to {o}")
        seen[o] = p
    remove_partials(output_dir)  # from a killed run
    rows, todo = {}, []
    for i, (p, o) in enumerate(zip(inputs, outputs)):
        if o.exists() and not overwrite:
            try:
                shape = tuple(scale * n for n in input_shape(p))
                validate_output(o, expected_shape=shape, method=method, uncertainty=uncertainty)
                rows[i] = {"path": str(p), "output": str(o), "status": "skipped", "error": "", "seconds": 0.0,
                           "worker": ""}
                continue
            except OutputError as e:
                if "was made with" in str(e):  # a complete output of another method: not ours to replace
                    rows[i] = {"path": str(p), "output": str(o), "status": "error",
                               "error": f"OutputError: {e}; pass overwrite=True (--overwrite) to replace it",
                               "seconds": 0.0, "worker": ""}
                    continue
            except Exception:  # an unreadable input: its task records the error
                pass
        todo.append(i)
    n_workers, threads = _default_workers(n_workers, threads_per_worker, max(1, len(todo)),
                                          local=client is None)
    state = {"n_workers": n_workers}
    interrupted = False
    if todo:
        try:
            _run_tasks(todo, inputs, outputs, method, options, client, n_workers, threads, progress, rows,
                       state, output_dir)
        except KeyboardInterrupt:
            interrupted = True
        for i in todo:
            if i not in rows:
                rows[i] = {"path": str(inputs[i]), "output": str(outputs[i]), "status": "interrupted",
                           "error": _INTERRUPTED, "seconds": float("nan"), "worker": ""}
    names = ("path", "output", "status", "error", "seconds", "worker")
    dtype = (str, str, str, str, float, str)
    table = Table(rows=[rows[i] for i in range(len(inputs))], names=names, dtype=dtype) if inputs else \
        Table(names=names, dtype=dtype)
    table["seconds"].unit = "s"
    table.meta.update({"method": method, "options": {k: str(v) for k, v in options.items()},
                       "n_workers": state["n_workers"] if todo else 0, "threads_per_worker": threads,
                       "wall_seconds": time.perf_counter() - t_start, "sunpy_sr": version,
                       "counts": {s: int(np.sum(table["status"] == s))
                                  for s in STATUSES if s != "interrupted" or interrupted},
                       "interrupted": interrupted})
    if summary:
        try:
            _write_table_atomic(table, output_dir / summary)
        except OSError as e:  # a full disk: the outputs are done, the table is still returned
            table.meta["summary_error"] = _message(e)
            warn_user(f"the batch summary could not be written to {output_dir / summary}: {_message(e)}")
    if interrupted:
        raise BatchInterrupted(table)
    return table


def _message(e):
    """``Class: message`` of an exception, on one line."""
    return f"{type(e).__name__}: {' '.join(str(e).split())}"


def _write_table_atomic(table, path):
    from sunpy_sr.io import atomic_write
    with atomic_write(path, prefix=f".{path.name}.", suffix=".tmp") as tmp:
        table.write(tmp, format="ascii.ecsv", overwrite=True)


def local_cluster(n_workers, **kwargs):
    """
    A `distributed.LocalCluster` of ``n_workers`` processes of one thread each, for networks.

    dask starts worker processes with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
    ``distributed.nanny.pre-spawn-environ``), which makes glibc map and unmap every large
    buffer afresh: the network's activations then cost page faults on every tile (the
    "Many maps" page of the docs measures it). These workers start without it; the other
    variables of that setting are kept. ``kwargs`` go to `~distributed.LocalCluster` (e.g.
    ``memory_limit``).
    """
    import dask
    from distributed import LocalCluster
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    kwargs = {"threads_per_worker": 1, "processes": True, "dashboard_address": ":0", **kwargs}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):  # read when the nannies are made
        return LocalCluster(n_workers=n_workers, **kwargs)


def _completed(futures):
    """The futures as they complete (`distributed.as_completed`); the one place the batch waits."""
    from distributed import as_completed
    yield from as_completed(futures)


def _wait_for_writes(outputs, grace=_WRITE_GRACE_S):
    """
    After a cancel on a cluster of the caller's own: wait (at most ``grace`` s) for its workers.

    dask cannot stop a running task; a cancelled one writes nothing once it learns it is
    cancelled (`sunpy_sr.batch.worker.task_cancelled`), but a write under way ends first
    (atomically: the whole output, or nothing). Waits until none of ``outputs`` has a
    temporary file, at least ``_SETTLE_S`` (the cancel reaching the workers).
    """
    from sunpy_sr.batch.files import PARTIAL_PREFIX
    names = {Path(o).name for o in outputs}
    folders = {Path(o).parent for o in outputs}
    t0 = time.monotonic()
    time.sleep(_SETTLE_S)
    while time.monotonic() - t0 < grace:
        if not any(p.name[len(PARTIAL_PREFIX):].rsplit(".", 2)[0] in names
                   for d in folders for p in d.glob(f"{PARTIAL_PREFIX}*")):
            return True
        time.sleep(0.05)
    return False


def _failed_task_row(e, path, output):
    """The row of a file whose future raised (the task itself never does: its worker died, ...)."""
    from distributed import KilledWorker
    msg = _message(e)
    if isinstance(e, KilledWorker):
        msg = (f"KilledWorker: the worker died while running this file (each time dask tried it; out of "
               f"memory? see the worker's log); no output was written, run the batch again to redo it "
               f"({msg})")
    return {"path": str(path), "output": str(output), "status": "error", "error": msg,
            "seconds": float("nan"), "worker": ""}


def _run_tasks(todo, inputs, outputs, method, options, client, n_workers, threads, progress, rows, state,
               output_dir):
    """
    Submit one task per file and collect the rows into ``rows`` as they complete.

    On any exception (Ctrl-C) the futures are cancelled, the client and cluster made here are
    closed, and (a local cluster only: its workers are gone) temporary files are removed; the
    rows collected so far stay in ``rows``.
    """
    from distributed import Client
    from tqdm.auto import tqdm

    from sunpy_sr.batch.files import remove_partials
    from sunpy_sr.batch.worker import TorchThreads, process_file
    own_cluster = own_client = None
    futures = {}
    batch_id = uuid.uuid4().hex[:8]  # a key of its own per batch: never a cancelled task of an earlier one
    try:
        if client is None:
            own_cluster = local_cluster(n_workers)
            client = own_client = Client(own_cluster)
        elif isinstance(client, str):
            client = own_client = Client(client)
        client.register_plugin(TorchThreads(threads))
        state["n_workers"] = len(client.scheduler_info()["workers"])
        for i in todo:
            fut = client.submit(process_file, str(inputs[i]), str(outputs[i]), method=method, options=options,
                                threads=threads, pure=False,
                                key=f"sunpy-sr-{batch_id}-{i}-{Path(inputs[i]).name}")
            futures[fut] = i
        with tqdm(total=len(futures), desc=f"super-resolving ({method})", unit="file",
                  disable=not progress) as bar:
            for fut in _completed(futures):
                i = futures[fut]
                try:
                    rows[i] = fut.result()
                except Exception as e:  # the worker died (e.g. out of memory): recorded, the rest goes on
                    rows[i] = _failed_task_row(e, inputs[i], outputs[i])
                bar.update()
                if rows[i]["status"] == "error" and progress:
                    bar.write(f"{inputs[i]}: {rows[i]['error']}")
    except BaseException:
        if futures and client is not None:
            try:
                client.cancel(list(futures))
            except Exception:  # the scheduler is gone: nothing left to cancel
                pass
            if own_cluster is None:  # workers of your own go on: let the writes under way end
                _wait_for_writes([outputs[i] for i in todo])
        raise
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
            remove_partials(output_dir)  # its workers are stopped: what they were writing is not coming
