"""
Choose, measure and export the rcan-lite network (the default ``method="rcan"``).

When to run: after a new stage of ``training/rcan-lite/`` (or a candidate to replace it, such as
``training/rcan-lite-progressive/``, with ``--incumbent``, ``--run-files`` and ``--stem``) has
written its checkpoints. Usage (from the repository root, with ../shared/data beside it)::

    python tools/finish_rcan_lite.py LABEL=CKPT [LABEL=CKPT ...] [--linear NPZ] [--export]

``LABEL`` is ``stage<N>`` or ``stage<N>-<iteration>`` (the stage of
``training/rcan-lite/rcan-lite[-stage<N>].json`` the checkpoint comes from). For the bundled
weights: ``stage3=runs/rcan-lite-stage3-1500.pt`` and the kept stage-4 checkpoints
``stage4-500=runs/rcan-lite-stage4-500.pt`` ... ``stage4-3000=...``, with ``--linear`` the
11x11 filter of ``sunpy-sr fit-linear --config training/rcan-lite/rcan-lite.json --size 11``.

1. Validation (2016 disk centre: 9 crops of 512 px within 500 arcsec; HARP 1446: its five
   2012 snapshots, crops of 128 px) of the candidates; the selection rule of the last stage's
   run file picks one, on validation data only.
2. The chosen network beside bicubic, the linear filter (``--linear``: the refitted one),
   the former default rcan-small and progan, on the validation sets and on the held-out
   test SHARP 377 (crops of 256 px, stride 128), which is looked at only here.
3. With ``--export``: sunpy_sr/weights/rcan-lite.pt/.json (fused, fp16) with these numbers.
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

from sunpy_sr.core.pairs import PairRecipe, make_pairs
from sunpy_sr.evaluation import evaluate
from sunpy_sr.training import load_checkpoint
from sunpy_sr.weights import export_weights

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
#: the columns of `sunpy_sr.evaluation.evaluate` kept in the metrics
COLS = ("psnr", "cc", "rmse", "ssim", "spectral_error", "signed_flux_error", "unsigned_flux_error",
        "redegradation_residual", "rmse_strong")
DISK_2016 = "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
RCAN_SMALL = ROOT / "sunpy_sr/weights/rcan-small.pt"


def _pairs(files, recipe, cache):
    return make_pairs([DATA / f for f in files], recipe, cache, progress=False)


def _rows(pairs, methods, options, rename=None):
    t = evaluate(pairs, methods=methods, progress=False, **options)
    out = {}
    for row in t:
        name = (rename or {}).get(row["method"], row["method"])
        out[name] = {c: round(float(getattr(row[c], "value", row[c])), 5) for c in COLS}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("candidates", nargs="+", help="LABEL=CHECKPOINT, LABEL stage<N> or stage<N>-<iteration>")
    ap.add_argument("--linear", type=Path, help="linear filter .npz (default: the bundled one)")
    ap.add_argument("--export", action="store_true")
    ap.add_argument("--incumbent", help="LABEL of the bundled network: kept unless the chosen one is at "
                                         "least as good on both validation sets")
    ap.add_argument("--run-files", nargs="+",
                    help="the run files of the candidates' lineage, stage 1 first "
                         "(default: training/rcan-lite/rcan-lite.json, -stage2.json, ...)")
    ap.add_argument("--fold-upsampler", action="store_true",
                    help="the candidates' progressive upsampler is folded (fuse_upsampler=True) for "
                         "evaluation and export")
    ap.add_argument("--stem", default="rcan-lite", help="the exported weight file's stem in sunpy_sr/weights")
    ap.add_argument("--metrics", type=Path,
                    help="reuse the metrics printed by an earlier run of this script on the same "
                         "candidates (a JSON file) instead of evaluating again")
    a = ap.parse_args()
    paths = {label: Path(path) for label, path in (c.split("=", 1) for c in a.candidates)}
    stage_of = {label: int(label[5:].split("-")[0]) for label in paths}
    runs = a.run_files or (["training/rcan-lite/rcan-lite.json"]
                           + [f"training/rcan-lite/rcan-lite-stage{n}.json"
                              for n in range(2, max(stage_of.values()) + 1)])
    last_run = json.loads((ROOT / runs[-1]).read_text())
    if a.fold_upsampler:  # the same weights, marked foldable: load_network folds them as export will
        folded_dir = Path(tempfile.mkdtemp())
        for label, path in paths.items():
            ck = load_checkpoint(path)
            ck["model_config"] = {**ck["model_config"], "fuse_upsampler": True}
            torch.save(ck, folded_dir / path.name)
            paths[label] = folded_dir / path.name
    if a.metrics:
        return _export(a, json.loads(a.metrics.read_text()), paths, stage_of, runs, last_run)
    tie = 0.02 if runs[-1].endswith("rcan-lite-stage3.json") else 0.005  # as each run file's rule says
    cache = Path(a.candidates[-1].split("=", 1)[1]).parent / "eval-cache"
    sets = {
        "validation_2016_disk_centre": _pairs([DISK_2016],
                                              PairRecipe(size=512, stride=512, max_distance=500.0), cache),
        "validation_harp_1446": _pairs(sorted(str(p.relative_to(DATA)) for p in
                                              (DATA / "hmi/sharp-2012").glob("*.1446.*magnetogram*")),
                                       PairRecipe(size=128, stride=128), cache),
    }
    candidates = {}
    for stage, path in paths.items():
        candidates[stage] = {k: _rows(p, ("rcan",), {"rcan": {"weights": str(path)}})["rcan"]
                             for k, p in sets.items()}
        print(stage, json.dumps(candidates[stage]), flush=True)
    psnr = {s: candidates[s]["validation_2016_disk_centre"]["psnr"] for s in candidates}
    harp = {s: candidates[s]["validation_harp_1446"]["psnr"] for s in candidates}
    best = max(psnr.values())
    chosen = max((s for s in psnr if psnr[s] >= best - tie), key=lambda s: harp[s])
    if a.incumbent and (psnr[chosen] < psnr[a.incumbent] or harp[chosen] < harp[a.incumbent]):
        chosen = a.incumbent
    print(f"selection rule (2016-disk validation PSNR, ties within {tie} dB by HARP 1446): "
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
                          rename={"rcan": a.stem}))
        rows["n_crops"] = len(pairs)
        metrics[name] = rows
        print(name, json.dumps(rows), flush=True)
    metrics["how"] = ("tools/finish_rcan_lite.py (sunpy_sr.evaluation.evaluate): 2016-07-07 disk, 9 crops of "
                      "512 px within |x|,|y| <= 500 arcsec; HARP 1446, five 2012 snapshots, crops of 128 px; "
                      "SHARP 377, crops of 256 px, stride 128. Validation: 2016 disk and HARP 1446; test: "
                      "SHARP 377. linear: " + (str(a.linear.name) if a.linear else "bundled filter"))
    metrics["selection"] = {"rule": f"{runs[-1]} selection_rule", "chosen": chosen,
                            "candidates": candidates}
    print(json.dumps(metrics, indent=1), flush=True)
    if a.export:
        _export(a, metrics, paths, stage_of, runs, last_run)


def _export(a, metrics, paths, stage_of, runs, last_run):
    """Write sunpy_sr/weights/STEM.pt/.json: the chosen network, fused, with its metrics and provenance."""
    chosen = metrics["selection"]["chosen"]
    ck = load_checkpoint(paths[chosen])
    n_stage = stage_of[chosen]
    before = sum(json.loads((ROOT / r).read_text())["config"]["iterations"] for r in runs[:n_stage - 1])
    out = export_weights(ck, ROOT / f"sunpy_sr/weights/{a.stem}.pt", metrics=metrics,
                         training_data={"train": last_run["train_files"],
                                        "validation": last_run["val_files"]
                                        + ["hmi/sharp-2012/*.1446.* (five snapshots)"],
                                        "held_out_test": "hmi.sharp_cea_720s.377.20110215_020000_TAI"},
                         total_iterations=int(ck["iteration"]) + before, chosen_stage=chosen,
                         run_files=runs[:n_stage])
    print("exported", out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    sys.exit(main())
