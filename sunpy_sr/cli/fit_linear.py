"""``sunpy-sr fit-linear``: fit the least-squares optimal linear 4x filter on training pairs."""
from pathlib import Path

from sunpy_sr.cli import _common

__all__ = ["add_parser", "run"]


def add_parser(subparsers, parents):
    p = subparsers.add_parser(
        "fit-linear", parents=parents, help="fit the least-squares optimal linear 4x filter",
        description="Fit the least-squares optimal linear 4x filter (method 'linear') on the pairs of a "
                    "folder of magnetograms; the pair cache goes beside OUT (OUT's folder/cache).")
    p.add_argument("--data", required=True, help="folder with *magnetogram*.fits")
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--config", help="run file (JSON) giving the training files or dates and the crop recipe")
    p.add_argument("--size", type=int, default=7, help="LR neighbourhood (odd, default 7)")
    _common.add_overwrite_option(p)
    return p


def _training_pairs(args):
    from sunpy_sr.core.pairs import PairRecipe, find_magnetograms, make_pairs, select_by_date
    from sunpy_sr.training import load_run_file
    from sunpy_sr.training.run_files import pinned_files as _pinned
    data = Path(args.data)
    files = find_magnetograms(data)
    spec, recipe = {}, PairRecipe()
    if args.config:
        config, spec = load_run_file(args.config)
        recipe = PairRecipe(**config.recipe)
    if "train_files" in spec:
        files = _pinned(data, spec["train_files"])
    elif "train_dates" in spec:
        files = select_by_date(files, spec["train_dates"])
    if not files:
        raise FileNotFoundError(f"no magnetogram FITS file found in {data}")
    return make_pairs(files, recipe, Path(args.out).parent / "cache", not args.quiet)


def run(args):
    _common.check_output(args.out, args.overwrite)
    from sunpy_sr.training import fit_linear_filter
    pairs = _training_pairs(args)
    filt = fit_linear_filter(pairs, size=args.size)
    filt.save(args.out, fitted_on=sorted(set(pairs.source)), size=args.size)
    print(f"wrote {args.out} ({len(pairs)} pairs)")
