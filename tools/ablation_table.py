"""
The quality of each lever of rcan-lite: validation PSNR of the ablation runs.

Usage (from the repository root, with ../shared/data beside it)::

    python tools/ablation_table.py RUNS_DIR [--out training/ablation/results.json]

``RUNS_DIR`` holds ``ablation-<name>/checkpoint.pt``, the final checkpoints of the runs of
``training/ablation/rcan-lite-<name>.json`` (``sunpy-sr train`` with each run file; as run:
``/work/runs``). Every run is stage 1 of rcan-lite with one lever undone, cut to 2000
iterations. Each final network is evaluated on the two validation sets of rcan-lite (the
2016 disk centre, 9 crops of 512 px; HARP 1446, 40 crops of 128 px) and its difference to
the ``baseline`` run (rcan-lite itself) is printed; the test set SHARP 377 is not used.
"""
import argparse
import json
import sys
from pathlib import Path

from finish_progan import COLS, DATA, ROOT, _pairs  # the same data folder, columns and pair cache

from sunpy_sr.core.pairs import PairRecipe
from sunpy_sr.evaluation import evaluate

DISK_2016 = "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
NAMES = ("baseline", "no-rep", "block-attention", "progressive-upsampler")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs_dir", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "training/ablation/results.json")
    a = ap.parse_args()
    cache = a.runs_dir / "eval-cache"
    sets = {
        "validation_2016_disk_centre": _pairs([DISK_2016], PairRecipe(size=512, stride=512, max_distance=500.0),
                                              cache),
        "validation_harp_1446": _pairs(sorted(str(p.relative_to(DATA)) for p in
                                              (DATA / "hmi/sharp-2012").glob("*.1446.*magnetogram*")),
                                       PairRecipe(size=128, stride=128), cache),
    }
    results = {}
    for name in NAMES:
        ckpt = a.runs_dir / f"ablation-{name}" / "checkpoint.pt"
        if not ckpt.exists():
            print(f"{name}: no checkpoint at {ckpt}", flush=True)
            continue
        results[name] = {}
        for key, pairs in sets.items():
            row = evaluate(pairs, methods=("rcan",), progress=False, rcan={"weights": str(ckpt)})[0]
            results[name][key] = {c: round(float(getattr(row[c], "value", row[c])), 5) for c in COLS}
        print(name, json.dumps({k: v["psnr"] for k, v in results[name].items()}), flush=True)
    base = results.get("baseline")
    print(f"\n{'run (2000 iterations)':24s} {'2016 disk dB':>13s} {'HARP 1446 dB':>13s} {'d disk':>7s} {'d HARP':>7s}")
    for name, r in results.items():
        d, h = r["validation_2016_disk_centre"]["psnr"], r["validation_harp_1446"]["psnr"]
        dd = f"{d - base['validation_2016_disk_centre']['psnr']:+7.3f}" if base else "      -"
        dh = f"{h - base['validation_harp_1446']['psnr']:+7.3f}" if base else "      -"
        print(f"{name:24s} {d:13.3f} {h:13.3f} {dd} {dh}")
    results["how"] = ("tools/ablation_table.py: the final (2000-iteration) network of each run of "
                      "training/ablation/, evaluated with sunpy_sr.evaluation.evaluate on the 2016-07-07 disk "
                      "(9 crops of 512 px within 500 arcsec) and HARP 1446 (five 2012 snapshots, crops of 128 px)")
    a.out.write_text(json.dumps(results, indent=1) + "\n")
    print("wrote", a.out)


if __name__ == "__main__":
    sys.exit(main())
