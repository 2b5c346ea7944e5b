"""``sunpy-sr evaluate``: the paper's Table 1 and Figures 2-3 for several methods on held-out data."""
from pathlib import Path

__all__ = ["add_parser", "run"]

#: What ``sunpy-sr evaluate`` writes into ``--out`` (`sunpy_sr.evaluation.run.OUTPUTS`, kept here so
#: that ``--help`` does not import the evaluation).
OUTPUTS = ("table.ecsv", "table-arrays.npz", "error_budget.ecsv", "figure2.png", "figure3.png")


def add_parser(subparsers, parents):
    p = subparsers.add_parser(
        "evaluate", parents=parents, help="the paper's Table 1 and Figures 2-3 for several methods",
        description="Degrade crops of the given magnetograms, super-resolve them with each method and "
                    f"compare with the originals: writes {', '.join(OUTPUTS)} (and a pair cache, cache/) "
                    "into --out. A run that fails removes what it wrote, and the cache it made "
                    "unless --keep-cache.")
    p.add_argument("--data", required=True, help="a FITS file or a folder of *magnetogram*.fits")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the tables and figures (created if missing)")
    p.add_argument("--methods", default="bicubic,linear,rcan",
                   help="comma-separated (default bicubic,linear,rcan)")
    p.add_argument("--max-distance", type=float, default=500.0,
                   help="full disks: crops within this many arcsec of disk centre (default 500)")
    p.add_argument("--size", type=int, default=512,
                   help="HR crop size in pixels, a multiple of 4 (default 512); a map smaller than this "
                        "is refused")
    p.add_argument("--stride", type=int, default=512, help="HR crop stride in pixels (default 512)")
    p.add_argument("--uncertainty", action="store_true",
                   help="also score each method's calibrated error map (uncertainty=True; every method "
                        "needs an error model): adds the table columns rms_z (RMS of error/sigma), "
                        "coverage_1, coverage_2 (fractions of pixels within 1 and 2 sigma), nll and "
                        "nll_constant (nats/pixel), over all pixels of all crops")
    p.add_argument("--keep-cache", action="store_true",
                   help="keep the pair cache (cache/) even if the run fails (it is always kept after a "
                        "run that succeeds)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the results of an earlier run in --out (default: refuse)")
    return p


def run(args):
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out} is a file; give a folder")
    previous = [name for name in OUTPUTS if (out / name).exists()]
    if previous and not args.overwrite:
        raise FileExistsError(f"{out} holds the results of an earlier run ({', '.join(previous)}); "
                              "pass --overwrite to replace them")
    if not Path(args.data).exists():
        raise FileNotFoundError(f"no such file or folder: {args.data}")
    from sunpy_sr.evaluation import run_evaluation
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    run_evaluation(args.data, methods, out_dir=out, max_distance=args.max_distance, size=args.size,
                   stride=args.stride, progress=False if args.quiet else None, uncertainty=args.uncertainty,
                   keep_cache=args.keep_cache)
