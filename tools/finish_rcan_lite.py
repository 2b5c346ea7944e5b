"""
Choose, measure and export the rcan-lite network (the default ``method="rcan"``).

Usage (from the repository root, with ../shared/data beside it)::

    python tools/finish_rcan_lite.py STAGE1_CKPT STAGE2_CKPT STAGE3_CKPT [--linear NPZ] [--export]

As run for the bundled weights: the final checkpoints of the three stages (copied to
runs/rcan-lite-stage1-7000.pt, -stage2-4000.pt, -stage3-1500.pt) and ``--linear`` the 11x11
filter of ``sunpy-sr fit-linear --config training/rcan-lite.json --size 11``.

1. Validation (2016 disk centre: 9 crops of 512 px within 500 arcsec; HARP 1446: its five
   2012 snapshots, crops of 128 px) of the final networks of the stages; the selection
   rule of training/rcan-lite-stage3.json picks one, on validation data only.
2. The chosen network beside bicubic, the linear filter (``--linear``: the refitted one),
   the former default rcan-small and progan, on the validation sets and on the held-out
   test SHARP 377 (crops of 256 px, stride 128), which is looked at only here.
3. With ``--export``: sunpy_sr/weights/rcan-lite.pt/.json (fused, fp16) with these numbers.
"""
import argparse
import json
import sys
from pathlib import Path

from finish_progan import COLS, DATA, ROOT, _pairs  # the same data folder, columns and pair cache

from sunpy_sr.core.pairs import PairRecipe
from sunpy_sr.evaluation import evaluate
from sunpy_sr.training import load_checkpoint
from sunpy_sr.weights import export_weights

DISK_2016 = "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
RCAN_SMALL = ROOT / "sunpy_sr/weights/rcan-small.pt"


def _rows(pairs, methods, options, rename=None):
    t = evaluate(pairs, methods=methods, progress=False, **options)
    out = {}
    for row in t:
        name = (rename or {}).get(row["method"], row["method"])
        out[name] = {c: round(float(getattr(row[c], "value", row[c])), 5) for c in COLS}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stages", type=Path, nargs="+", help="the final checkpoint of each stage, in order")
    ap.add_argument("--linear", type=Path, help="linear filter .npz (default: the bundled one)")
    ap.add_argument("--export", action="store_true")
    a = ap.parse_args()
    cache = a.stages[-1].parent / "eval-cache"
    sets = {
        "validation_2016_disk_centre": _pairs([DISK_2016],
                                              PairRecipe(size=512, stride=512, max_distance=500.0), cache),
        "validation_harp_1446": _pairs(sorted(str(p.relative_to(DATA)) for p in
                                              (DATA / "hmi/sharp-2012").glob("*.1446.*magnetogram*")),
                                       PairRecipe(size=128, stride=128), cache),
    }
    candidates = {}
    paths = {f"stage{i}": path for i, path in enumerate(a.stages, 1)}
    for stage, path in paths.items():
        candidates[stage] = {k: _rows(p, ("rcan",), {"rcan": {"weights": str(path)}})["rcan"]
                             for k, p in sets.items()}
        print(stage, json.dumps(candidates[stage]), flush=True)
    psnr = {s: candidates[s]["validation_2016_disk_centre"]["psnr"] for s in candidates}
    harp = {s: candidates[s]["validation_harp_1446"]["psnr"] for s in candidates}
    best = max(psnr.values())
    chosen = max((s for s in psnr if psnr[s] >= best - 0.02), key=lambda s: harp[s])
    print("selection rule (2016-disk validation PSNR, ties within 0.02 dB by HARP 1446): "
          + ", ".join(f"{s} {psnr[s]:.3f}/{harp[s]:.3f} dB" for s in psnr) + f" -> {chosen}", flush=True)
    chosen_path = paths[chosen]
    sets["held_out_test_sharp_377"] = _pairs(
        ["hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"],
        PairRecipe(size=256, stride=128), cache)
    linear_opts = {"weights": str(a.linear)} if a.linear else {}
    metrics = {}
    for name, pairs in sets.items():
        rows = _rows(pairs, ("bicubic", "linear", "rcan", "progan"),
                     {"linear": linear_opts, "rcan": {"weights": str(RCAN_SMALL)}},
                     rename={"rcan": "rcan-small"})
        rows.update(_rows(pairs, ("rcan",), {"rcan": {"weights": str(chosen_path)}},
                          rename={"rcan": "rcan-lite"}))
        rows["n_crops"] = len(pairs)
        metrics[name] = rows
        print(name, json.dumps(rows), flush=True)
    metrics["how"] = ("tools/finish_rcan_lite.py (sunpy_sr.evaluation.evaluate): 2016-07-07 disk, 9 crops of "
                      "512 px within |x|,|y| <= 500 arcsec; HARP 1446, five 2012 snapshots, crops of 128 px; "
                      "SHARP 377, crops of 256 px, stride 128. Validation: 2016 disk and HARP 1446; test: "
                      "SHARP 377. linear: " + (str(a.linear.name) if a.linear else "bundled filter"))
    metrics["selection"] = {"rule": "training/rcan-lite-stage3.json selection_rule", "chosen": chosen,
                            "candidates": candidates}
    print(json.dumps(metrics, indent=1), flush=True)
    if a.export:
        ck = load_checkpoint(chosen_path)
        run = json.loads((ROOT / "training/rcan-lite-stage3.json").read_text())
        runs = ["training/rcan-lite.json", "training/rcan-lite-stage2.json", "training/rcan-lite-stage3.json"]
        n_stage = int(chosen[5:])
        before = sum(json.loads((ROOT / r).read_text())["config"]["iterations"] for r in runs[:n_stage - 1])
        out = export_weights(ck, ROOT / "sunpy_sr/weights/rcan-lite.pt", metrics=metrics,
                             training_data={"train": run["train_files"], "validation": run["val_files"] +
                                            ["hmi/sharp-2012/*.1446.* (five snapshots)"],
                                            "held_out_test": "hmi.sharp_cea_720s.377.20110215_020000_TAI"},
                             total_iterations=int(ck["iteration"]) + before, chosen_stage=chosen,
                             run_files=runs[:n_stage])
        print("exported", out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    sys.exit(main())
