"""
How well methods fit active regions, on the training SHARPs and the held-out one (prints a table).

For each SHARP CEA cutout in ``../shared/data/hmi/sharp`` (HARPs 115, 856 and 4781
were trained on; 377 was held out), builds 256x256 HR crops with stride 128 (the
training recipe of `sunpy_sr.core.pairs`), keeps the active-region crops (more than 5 % of
pixels above 200 G) and prints each method's mean PSNR (dB, peak 4000 G) and its
gain over bicubic. High PSNR on the training HARPs and low PSNR on HARP 377 means
the network does not generalise. Low PSNR on both means it does not fit. This
script gave the "fit, not only the generalisation" numbers in docs/results.rst.

Usage::

    python benchmarks/active_region_fit.py [--shared ../shared] [--methods bicubic,linear,rcan]
                                           [--weights CHECKPOINT_OR_WEIGHTS ...]

Each ``--weights`` file is evaluated as ``method="rcan", weights=FILE``.
"""
import argparse
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
HARPS = {"115": "trained", "856": "trained", "4781": "trained", "377": "held out"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--methods", default="bicubic,linear,rcan")
    p.add_argument("--weights", nargs="*", default=[])
    p.add_argument("--cache", default=str(ROOT / "benchmarks" / ".cache"))
    a = p.parse_args()

    from sunpy_sr import superresolve
    from sunpy_sr.core.pairs import PairRecipe, make_pairs
    from sunpy_sr.metrics import psnr

    runs = [(m, {"method": m}) for m in a.methods.split(",")]
    runs += [(Path(w).name, {"method": "rcan", "weights": w}) for w in a.weights]
    sharp = Path(a.shared) / "data" / "hmi" / "sharp"
    print(f"{'HARP':>5} {'role':9} {'crops':>5}  " + "  ".join(f"{name:>16}" for name, _ in runs))
    for harp, role in HARPS.items():
        files = sorted(sharp.glob(f"hmi.sharp_cea_720s.{harp}.*magnetogram.fits"))
        if not files:
            print(f"{harp:>5} missing")
            continue
        pairs = make_pairs(files, PairRecipe(size=256, stride=128), a.cache, False)
        keep = [i for i, h in enumerate(pairs.hr) if (np.abs(h) > 200).mean() > 0.05]
        scores = [np.mean([psnr(pairs.hr[i], np.asarray(superresolve(pairs.lr[i], **kw)))
                           for i in keep]) for _, kw in runs]
        base = scores[0]
        cells = [f"{s:6.2f} ({s - base:+.2f})" for s in scores]
        print(f"{harp:>5} {role:9} {len(keep):>5}  " + "  ".join(f"{c:>16}" for c in cells), flush=True)
    print(f"PSNR dB of active-region crops, in brackets the gain over {runs[0][0]}")


if __name__ == "__main__":
    main()
