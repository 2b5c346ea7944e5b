"""
The distributions of magnetic-element area and flux: target against bicubic, rcan and progan.

When to run: after a bundled network changes (the figure of docs/results.rst, section "progan as
a GAN"). Usage (repository root, ``../shared/data`` beside it)::

    python tools/element_distributions.py [--out docs/images/element_distributions.png]

On the sets of ``tools/evaluate_progan_gan.py`` (the 2016 disk centre, 9 crops of 512^2 at 50 G;
HARP 1446, crops of 128^2 at 200 G; SHARP 377, the test, crops of 256^2 at 200 G), every crop is
super-resolved from its degraded input and its magnetic elements are labelled
(`sunpy_sr.metrics.magnetic_elements`); the elements of all crops of a set are pooled. The figure
shows, per set, the number of elements per logarithmic bin of area (HR pixels) and of |flux|
(G px), for the target and each method; the printed table gives counts and medians.
"""
import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "element_distributions.png")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/sunpy-sr-element-cache"))
    a = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    import sunpy_sr
    from sunpy_sr.core.pairs import PairRecipe, make_pairs
    from sunpy_sr.metrics import magnetic_elements
    torch.set_num_threads(2)
    sets = {
        "2016 disk centre (validation), 50 G": (make_pairs(
            [DATA / "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"],
            PairRecipe(size=512, stride=512, max_distance=500.0), a.cache, progress=False), 50.0),
        "HARP 1446 (validation), 200 G": (make_pairs(
            sorted((DATA / "hmi/sharp-2012").glob("*.1446.*magnetogram*")), PairRecipe(size=128, stride=128),
            a.cache, progress=False), 200.0),
        "SHARP 377 (test), 200 G": (make_pairs(
            [DATA / "hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"],
            PairRecipe(size=256, stride=128), a.cache, progress=False), 200.0),
    }
    methods = ("bicubic", "rcan", "progan")
    fig, axes = plt.subplots(2, len(sets), figsize=(4.2 * len(sets), 7.2), layout="constrained")
    print(f"{'set':<38} {'':<8} {'elements':>8} {'median area':>12} {'median |flux|':>14}")
    for col, (label, (pairs, threshold)) in enumerate(sets.items()):
        pooled = {k: ([], []) for k in ("target", *methods)}
        for lr, hr in zip(pairs.lr, pairs.hr):
            outs = {"target": hr, **{m: sunpy_sr.superresolve(lr, method=m) for m in methods}}
            for k, img in outs.items():
                e = magnetic_elements(img, threshold)
                pooled[k][0].append(e.area)
                pooled[k][1].append(np.abs(e.flux))
        area_bins = np.logspace(0, 4, 25)
        flux_bins = np.logspace(1, 7, 25)
        for k, (areas, fluxes) in pooled.items():
            ar, fl = np.concatenate(areas), np.concatenate(fluxes)
            style = dict(color="k", lw=2) if k == "target" else dict(lw=1.2)
            axes[0, col].hist(ar, bins=area_bins, histtype="step", label=k, **style)
            axes[1, col].hist(fl, bins=flux_bins, histtype="step", label=k, **style)
            print(f"{label:<38} {k:<8} {ar.size:>8} {np.median(ar):>12.1f} {np.median(fl):>14.0f}")
        axes[0, col].set_title(label)
        for row, xlabel in ((0, "element area (HR pixels)"), (1, "element |flux| (G px)")):
            ax = axes[row, col]
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("elements per bin")
    axes[0, 0].legend()
    fig.savefig(a.out, dpi=110)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
