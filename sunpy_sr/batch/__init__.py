"""
Super-resolving many files on `dask.distributed`: one task per file, resumable.

``files``
    output names, atomic writes (a temporary file in the output folder, then `os.replace`),
    validation of an output (readable FITS, the right shape, the provenance keys);
``worker``
    what runs on a worker: a per-process cache of built methods (a network is loaded once per
    worker, not once per file), torch threads per worker, and the task itself;
``run``
    :func:`superresolve_files`: a LocalCluster or your own scheduler, skip what is done,
    record what failed (bad inputs, failed writes, workers that died), an ECSV summary; Ctrl-C
    raises :class:`~sunpy_sr.batch.run.BatchInterrupted` with the summary of what was done.

The command line is ``sunpy-sr batch`` (`sunpy_sr.cli.batch`).
"""
from sunpy_sr.batch.files import output_path, validate_output, write_map_atomic
from sunpy_sr.batch.run import BatchInterrupted, superresolve_files

__all__ = ["superresolve_files", "BatchInterrupted", "output_path", "validate_output", "write_map_atomic"]
