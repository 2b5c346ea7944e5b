"""
``sunpy-sr batch``: super-resolve many FITS files on dask.distributed (resumable).

::

    sunpy-sr batch INPUT... --out DIR [--scheduler ADDRESS] [--workers N] [--threads T]
                            [--method M] [--weights W.pt] [--overwrite] [--uncertainty]

Each INPUT is a FITS file or a folder of them. Outputs ``DIR/<name>_sr.fits`` that exist and
are valid are skipped, so the same command started again after an interruption finishes the
rest. The summary (one row per input: status ``ok``, ``skipped`` or ``error``, the error
message, seconds) is written to ``DIR/batch_summary.ecsv``. The exit status is 0 only if
every file succeeded (or was already done); otherwise 1, with each failure and its message on
stderr and a last line naming the failed files. Ctrl-C cancels what is left, writes the summary
of what was done, prints it and exits with 130; the same command again finishes the rest.

This module exposes ``add_parser(subparsers, parents)`` and ``run(args)`` for the ``sunpy-sr``
command line, and runs on its own as ``python -m sunpy_sr.cli.batch INPUT... --out DIR``.
dask is imported only when the command runs.
"""
import argparse
import sys

__all__ = ["add_parser", "run", "main"]

HELP = "super-resolve many FITS files on dask.distributed (resumable; skips finished outputs)"
DESCRIPTION = ("Super-resolve many FITS files on dask.distributed, one task per file. Outputs "
               "DIR/<name>_sr.fits that exist and are valid are skipped, so the same command started again "
               "after an interruption finishes the rest. The summary is written to DIR/batch_summary.ecsv; "
               "the exit status is 0 only if every file succeeded (or was already done).")


def _add_arguments(p, *, quiet=True):
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="FITS files, or folders of them")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running dask scheduler (e.g. tcp://host:8786); default: a local "
                        "cluster of worker processes")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: one per file, up to cores / threads)")
    p.add_argument("--threads", type=int, metavar="T",
                   help="torch threads per worker (default: cores / workers); "
                        "keep workers x threads <= cores")
    p.add_argument("--method", default="rcan", help="method (default rcan; e.g. rcan-fast, linear, bicubic)")
    p.add_argument("--weights", help="your own weight file for a network method")
    p.add_argument("--overwrite", action="store_true", help="redo files whose output exists and is valid")
    p.add_argument("--uncertainty", action="store_true",
                   help="also compute each map's uncertainty and write it to the UNCERT extension of its "
                        "output (existing outputs without it are redone)")
    if quiet:
        p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def add_parser(subparsers, parents=()):
    """
    Add the ``batch`` subcommand to ``subparsers`` (from `argparse.ArgumentParser.add_subparsers`).

    Parameters
    ----------
    subparsers : argparse subparsers action
    parents : sequence of `argparse.ArgumentParser`
        Parsers whose arguments the subcommand shares (e.g. a common ``--quiet``).

    Returns
    -------
    `argparse.ArgumentParser`
        The subcommand's parser; ``args.func`` is :func:`run`.
    """
    parents = list(parents)
    has_quiet = any("--quiet" in a.option_strings for parent in parents for a in parent._actions)
    p = subparsers.add_parser("batch", parents=parents, help=HELP, description=DESCRIPTION)
    _add_arguments(p, quiet=not has_quiet)
    p.set_defaults(func=run)
    return p


def run(args):
    """
    Run ``sunpy-sr batch`` with parsed ``args``; returns the exit status.

    Returns
    -------
    int
        0 if every input is ``ok`` or ``skipped``, 1 if any is ``error`` (the failed files named
        on the last line of stderr), 130 after Ctrl-C (what was done printed on stderr).
    """
    from pathlib import Path

    from sunpy_sr.batch import BatchInterrupted, superresolve_files
    from sunpy_sr.batch.run import SUMMARY_NAME
    options = {"weights": args.weights} if args.weights else {}
    if getattr(args, "uncertainty", False):
        options["uncertainty"] = True
    summary = Path(args.out) / SUMMARY_NAME
    try:
        table = superresolve_files(args.inputs, args.out, method=args.method, client=args.scheduler,
                                   n_workers=args.workers, threads_per_worker=args.threads,
                                   overwrite=args.overwrite,
                                   progress=False if getattr(args, "quiet", False) else None, **options)
    except BatchInterrupted as e:
        counts = e.table.meta["counts"]
        print(f"sunpy-sr batch: interrupted: {counts['ok']} ok, {counts['skipped']} skipped, "
              f"{counts['error']} failed, {counts['interrupted']} not done of {len(e.table)}; summary: "
              f"{summary}; run the same command again to finish", file=sys.stderr)
        return 130
    counts = table.meta["counts"]
    print(f"{counts['ok']} ok, {counts['skipped']} skipped, {counts['error']} failed of {len(table)} "
          f"in {table.meta['wall_seconds']:.1f} s; summary: {summary}")
    if "summary_error" in table.meta:
        print(f"sunpy-sr batch: the summary could not be written: {table.meta['summary_error']}",
              file=sys.stderr)
    failed = table[table["status"] == "error"]
    for row in failed:
        print(f"  {row['path']}: {row['error']}", file=sys.stderr)
    if len(failed):
        names = [str(p) for p in failed["path"]]
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        print(f"sunpy-sr batch: {len(names)} failed: {shown}", file=sys.stderr)
    return 0 if counts["error"] == 0 else 1


def main(argv=None):
    """``python -m sunpy_sr.cli.batch``: the subcommand on its own; returns the exit status."""
    p = _add_arguments(argparse.ArgumentParser(prog="sunpy-sr batch", description=DESCRIPTION))
    args = p.parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("sunpy-sr batch: interrupted (run the same command again to finish)", file=sys.stderr)
        return 130
    except Exception as e:  # one clear line, as the main command line does
        print(f"sunpy-sr batch: error: {' '.join(str(e).split()) or type(e).__name__}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
