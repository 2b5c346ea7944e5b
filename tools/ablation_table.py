"""
The quality of each lever of rcan-lite: the validation curves of the ablation runs.

When to run: after an ablation run of ``training/ablation/`` was (re-)run or one was added (the
table and figure of docs/performance.rst, "Quality"). Usage (from the repository root)::

    python tools/ablation_table.py RUNS_DIR [--plot docs/images/levers.png]

``RUNS_DIR`` holds ``ablation-<name>/log.csv``, the training logs of the runs of
``training/ablation/rcan-lite-<name>.json``. Every run is stage 1 of rcan-lite with one
lever undone, cut to 2000 iterations, and logs the 2016-disk validation PSNR (9 crops of
512 px within 500 arcsec of disk centre) every 500 iterations. The reference is rcan-lite's
own stage 1 (``training/rcan-lite/rcan-lite-log.csv``, stage 1 rows), the same run up to
iteration 2000 (``rcan-lite-baseline.json`` re-runs it, to check that the comparison is fair).

Prints the table, writes ``training/ablation/results.json`` and, with ``--plot``, the
curves as a figure. The held-out test region SHARP 377 is not used.
"""
import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEVERS = {"no-rep": "plain 3x3 convolutions (no re-parameterisation)",
          "block-attention": "attention per block (not per group)",
          "progressive-upsampler": "progressive upsampler (2x, 2x; 16 channels)"}


def _curve(rows, it_key, value_key="val_psnr"):
    return {int(r[it_key]): float(r[value_key]) for r in rows if r.get(value_key)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs_dir", type=Path)
    ap.add_argument("--plot", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "training/ablation/results.json")
    a = ap.parse_args()
    with open(ROOT / "training/rcan-lite/rcan-lite-log.csv") as f:
        stage1 = [r for r in csv.DictReader(f) if r["stage"].startswith("1 ")]
    curves = {"rcan-lite (stage 1)": {k: v for k, v in _curve(stage1, "stage_iteration").items()
                                      if k <= 2000}}
    for name, label in LEVERS.items():
        with open(a.runs_dir / f"ablation-{name}" / "log.csv") as f:
            curves[label] = _curve(list(csv.DictReader(f)), "iteration")
    base = curves["rcan-lite (stage 1)"]
    print(f"{'2016-disk validation PSNR, dB':48s} " + " ".join(f"{it:>8d}" for it in sorted(base)))
    for label, c in curves.items():
        print(f"{label:48s} " + " ".join(f"{c[it]:8.3f}" for it in sorted(base)))
    print(f"{'difference at 2000 iterations to rcan-lite':48s}")
    for label, c in list(curves.items())[1:]:
        print(f"  {label:46s} {c[2000] - base[2000]:+.3f} dB")
    results = {"validation_psnr_2016_disk": {k: {str(i): round(v, 5) for i, v in c.items()}
                                             for k, c in curves.items()},
               "how": "tools/ablation_table.py: the 2016-disk validation PSNR logged during training "
                      "(9 crops of 512 px within 500 arcsec), every 500 iterations, of the runs of "
                      "training/ablation/ and of stage 1 of training/rcan-lite/rcan-lite.json"}
    a.out.write_text(json.dumps(results, indent=1) + "\n")
    print("wrote", a.out)
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
        for label, c in curves.items():
            its = sorted(c)
            ax.plot(its, [c[i] for i in its], marker="o", label=label,
                    lw=2.5 if label.startswith("rcan-lite") else 1.5)
        ax.set_xlabel("training iteration (stage-1 recipe: L1, batch 8, lr 5e-4)")
        ax.set_ylabel("2016-disk validation PSNR [dB]")
        ax.set_title("rcan-lite with one lever undone, equal training budget")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.savefig(a.plot, dpi=120)
        print("wrote", a.plot)


if __name__ == "__main__":
    sys.exit(main())
