"""
Export the progan-small generator and measure it beside bicubic, linear and rcan.

Usage (from the repository root, with ../shared/data beside it)::

    python tools/finish_progan.py RUN_DIR [--checkpoint checkpoint.pt] [--export]

Prints the validation metrics (2016 disk centre, 9 crops of 512 px; HARP 1446, all five
2012 snapshots, crops of 128 px) of the final and the pixel-pretrained generator (the
choice follows the selection rule of training/progan-small-stage2.json), then the
held-out test (SHARP 377, crops of 256 px, stride 128) of the chosen one; with --export
writes sunpy_sr/weights/progan-small.pt/.json with these numbers in the metadata.
"""
import argparse
import json
import sys
from pathlib import Path

from sunpy_sr.core.pairs import PairRecipe, make_pairs
from sunpy_sr.evaluation import evaluate
from sunpy_sr.training import load_checkpoint
from sunpy_sr.weights import export_weights

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
COLS = ("psnr", "cc", "rmse", "ssim", "spectral_error", "signed_flux_error", "unsigned_flux_error",
        "redegradation_residual", "rmse_strong")


def _pairs(files, recipe, cache):
    return make_pairs([DATA / f for f in files], recipe, cache, progress=False)


def _table(pairs, methods, options):
    t = evaluate(pairs, methods=methods, progress=False, **options)
    out = {}
    for row in t:
        out[row["method"]] = {c: round(float(getattr(row[c], "value", row[c])), 5) for c in COLS}
    out["n_crops"] = len(pairs)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--export", action="store_true")
    a = ap.parse_args()
    cache = a.run_dir / "eval-cache"
    disk = _pairs(["hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"],
                  PairRecipe(size=512, stride=512, max_distance=500.0), cache)
    h1446 = _pairs(sorted(str(p.relative_to(DATA))
                          for p in (DATA / "hmi/sharp-2012").glob("*.1446.*magnetogram*")),
                   PairRecipe(size=128, stride=128), cache)
    s377 = _pairs(["hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"],
                  PairRecipe(size=256, stride=128), cache)
    results = {}
    for name in ("checkpoint-pretrain.pt", "checkpoint.pt"):
        w = {"weights": str(a.run_dir / name)}
        results[name] = {"validation_2016_disk_centre": _table(disk, ("progan",), {"progan": w}),
                         "validation_harp_1446": _table(h1446, ("progan",), {"progan": w})}
        print(name, json.dumps(results[name]), flush=True)
    final, pre = (results[n]["validation_2016_disk_centre"]["progan"]["psnr"]
                  for n in ("checkpoint.pt", "checkpoint-pretrain.pt"))
    chosen = "checkpoint.pt" if final >= pre - 0.5 else "checkpoint-pretrain.pt"
    print(f"selection rule: final {final:.3f} dB vs pretrained {pre:.3f} dB -> {chosen}", flush=True)
    w = {"progan": {"weights": str(a.run_dir / chosen)}}
    methods = ("bicubic", "linear", "rcan", "progan")
    metrics = {"validation_2016_disk_centre": _table(disk, methods, w),
               "validation_harp_1446": _table(h1446, methods, w),
               "held_out_test_sharp_377": _table(s377, methods, w),
               "how": ("tools/finish_progan.py (sunpy_sr.evaluation.evaluate): 2016-07-07 disk, "
                       "9 crops of 512 px within |x|,|y| <= 500 arcsec; HARP 1446, five 2012 snapshots, "
                       "crops of 128 px; SHARP 377, crops of 256 px, stride 128. Validation: 2016 disk "
                       "and HARP 1446; test: SHARP 377."),
               "selection": {"rule": "training/progan-small-stage2.json selection_rule", "chosen": chosen,
                             "final_psnr_2016": final, "pretrained_psnr_2016": pre}}
    print(json.dumps(metrics, indent=1), flush=True)
    if a.export:
        ck = load_checkpoint(a.run_dir / chosen)
        stage2 = json.loads((ROOT / "training/progan-small-stage2.json").read_text())
        gan_weights = {k: ck["config"]["gan"][k] for k in (
            "pixel_weight", "adversarial_weight", "perceptual_weight", "perceptual")}
        out = export_weights(ck, ROOT / "sunpy_sr/weights/progan-small.pt", metrics=metrics,
                             losses={"pixel": ck["config"]["loss"], **gan_weights,
                                     "adversarial": "least squares (Rahman et al. 2020 Eqs. 3-4), "
                                                    "residual discriminator",
                                     "perceptual_config": ck.get("perceptual_loss")},
                             feature_network=("none: gradient-spectrum perceptual loss (no VGG16 "
                                              "ImageNet weights can be downloaded here)"),
                             training_data={"train": stage2["train_files"],
                                            "validation": stage2["val_files"]
                                            + ["hmi/sharp-2012/*.1446.* (five snapshots)"],
                                            "held_out_test": "hmi.sharp_cea_720s.377.20110215_020000_TAI"},
                             total_iterations=1250 + int(ck["iteration"]),
                             run_files=["training/progan-small.json (stage 1, 1250 iterations, MSE)",
                                        "training/progan-small-stage2.json (stage 2, L1 then adversarial)"])
        print("exported", out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    sys.exit(main())
