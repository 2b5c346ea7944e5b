"""
The ``sunpy-sr`` command line: the parser, the global options and the dispatch.

::

    sunpy-sr superresolve IN.fits OUT.fits [--method rcan] [--weights W.pt] [--compress]
    sunpy-sr superresolve --sample OUT.fits          # the bundled real HMI cutout
    sunpy-sr degrade IN.fits OUT.fits [--factor 4] [--method gaussian-bilinear|bin]
    sunpy-sr train rcan --data DIR --out DIR [--config RUN.json] [--resume]
    sunpy-sr export-weights CHECKPOINT.pt OUT.pt
    sunpy-sr fit-linear --data DIR --out linear.npz [--config RUN.json]
    sunpy-sr fit-errors METHOD --fit FILE... --calibrate FILE... [--weights W.pt] [--out OUT.pt]
    sunpy-sr evaluate --data DIR --out DIR [--methods bicubic,linear,rcan] [--uncertainty]

Each subcommand is a module ``sunpy_sr.cli.<name>`` (``SUBCOMMANDS``) with
``add_parser(subparsers, parents)`` and ``run(args)`` (which may return an exit
status; None means 0). The modules are imported
when the parser is built, a missing one is skipped, and they must stay light at
module level: torch, sunpy.map and astropy are imported inside ``run``, so that
``sunpy-sr --help`` answers at once.

Global options (``--quiet``, ``--threads``) are accepted before and after the
subcommand. An existing output is refused unless ``--overwrite``; an output file
is written to a temporary name and renamed only when complete, so a failure
never leaves a half-written file. Errors print one line (``sunpy-sr: error:
...``) and exit with status 1; usage errors exit with status 2.
"""
import argparse
import importlib
import sys
import warnings

from sunpy_sr.cli._common import CLIParser, UsageError, one_line, torch_threads
from sunpy_sr.version import version

__all__ = ["main", "build_parser", "SUBCOMMANDS"]

#: Subcommand modules, in the order of ``sunpy-sr --help``.
SUBCOMMANDS = ["superresolve", "degrade", "train", "export_weights", "fit_linear", "fit_errors", "evaluate",
               "batch"]


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _global_options(*, defaults):
    """
    The options every subcommand accepts. The top-level parser holds the defaults;
    the copy given to the subcommands has none (``SUPPRESS``), so that an option
    given before the subcommand is not reset by the subcommand's parser.
    """
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("global options (before or after the command)")
    group.add_argument("--quiet", action="store_true", default=False if defaults else argparse.SUPPRESS,
                       help="no progress bars (without it, long work shows one on a terminal)")
    group.add_argument("--threads", type=_positive_int, metavar="N",
                       default=None if defaults else argparse.SUPPRESS,
                       help="CPU threads for torch (default: torch's choice, one per physical core)")
    return parser


def _load(name):
    """The module ``sunpy_sr.cli.<name>``, or None if it does not exist (yet)."""
    qualified = f"{__package__}.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as e:
        if e.name == qualified:
            return None
        raise


def build_parser():
    """The ``sunpy-sr`` parser with every subcommand module that exists."""
    parser = CLIParser(prog="sunpy-sr", description="4x super-resolution of SDO/HMI magnetograms",
                       parents=[_global_options(defaults=True)],
                       epilog="'sunpy-sr COMMAND --help' describes a command.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", required=True)
    for name in SUBCOMMANDS:
        module = _load(name)
        if module is None:
            continue
        before = set(subparsers.choices)
        # fresh parents for each command: argparse shares the parents' option objects, and a
        # command that redefines one (conflict_handler="resolve") would otherwise strip it
        # from every other command
        module.add_parser(subparsers, [_global_options(defaults=False)])
        for command in set(subparsers.choices) - before:
            subparsers.choices[command].set_defaults(command_handler=module.run)
    return parser


def main(argv=None):
    """Entry point of ``sunpy-sr``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            with torch_threads(args.threads):
                status = args.command_handler(args)
    except KeyboardInterrupt:
        print("sunpy-sr: interrupted", file=sys.stderr)
        return 130
    except UsageError as e:
        print(f"sunpy-sr: error: {one_line(e)} (see 'sunpy-sr {args.command} --help')", file=sys.stderr)
        return 2
    except Exception as e:  # one clear line, no traceback (sunpy's messages span several lines)
        print(f"sunpy-sr: error: {one_line(e) or type(e).__name__}", file=sys.stderr)
        return 1
    return status if isinstance(status, int) else 0  # a command may return its own status (batch does)


if __name__ == "__main__":
    sys.exit(main())
