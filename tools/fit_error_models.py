"""
Fit, calibrate and bundle the error model of every registered method (training/error-models/).

When to run: after a method's bundled weights change (e.g. a new ``progan``). Usage (repository
root, ``../shared/data`` beside it)::

    python tools/fit_error_models.py [--methods rcan progan ...] [--iterations 2000] [--no-bundle]
        [--preset errornet-tiny] [--out RESULTS.json]

The split, fixed in ``training/error-models/error-models.json`` before any fit: the 2016-07-07
full disk (degraded as a whole, so that it holds the limb) is cut by helioprojective quadrant: the east
half (Tx < 0) fits the network, the north-west quadrant calibrates it, the south-west
quadrant is a test; of HARP 1446's five 2012 snapshots, the 1st, 3rd and 5th fit and the 2nd
and 4th calibrate; SHARP 377 (NOAA 11158) is the test that nothing is chosen by. None of these
was a training image of any bundled method.

Writes ``sunpy_sr/weights/<stem>-errors.pt/.json`` (unless ``--no-bundle``) and
``training/error-models/error-models-results.json`` (per method: calibration statistics on the fit,
calibration and test parts, by band of |B_HR| and ring; the fit log; timings).
"""
import argparse
import dataclasses
import json
import time
import warnings
from pathlib import Path

import sunpy.map
import torch

from sunpy_sr.inference.errors import ErrorModel
from sunpy_sr.methods import available_methods, get_method
from sunpy_sr.training.error_fit import (
    ErrorFitConfig,
    calibrate,
    calibration_report,
    error_model_metadata,
    fit_error_net,
    residual_image,
)
from sunpy_sr.weights import ERROR_MODELS, WEIGHTS_DIR, export_error_model, load_error_model

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
DISK = "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
SHARP_377 = "hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"
CLASSICAL = ("bicubic", "linear")


def _quadrants(lr_map):
    """The disk's parts of the split, as LR masks: east half, north-west and south-west quadrants."""
    c = sunpy.map.all_coordinates_from_map(lr_map)
    tx, ty = c.Tx.value, c.Ty.value
    return {"east": tx < 0, "north-west": (tx >= 0) & (ty >= 0), "south-west": (tx >= 0) & (ty < 0)}


def residual_sets(func, radius):
    """{"fit": [...], "calibration": [...], "test": [...]} residual images of one method."""
    disk_map = sunpy.map.Map(DATA / DISK)
    disk = residual_image(disk_map, func, radius, name="2016 disk")
    import sunpy_sr
    lr_map = sunpy_sr.degrade(disk_map)
    parts = {q: dataclasses.replace(disk, name=f"2016 disk {q}", use=mask & ~disk.bad)
             for q, mask in _quadrants(lr_map).items()}
    harp = sorted((DATA / "hmi/sharp-2012").glob("*.1446.*magnetogram*"))
    harps = [residual_image(sunpy.map.Map(p), func, radius, name=f"HARP 1446 {p.name.split('.')[3]}")
             for p in harp]
    test = residual_image(sunpy.map.Map(DATA / SHARP_377), func, radius, name="SHARP 377")
    return {"fit": [parts["east"], harps[0], harps[2], harps[4]],
            "calibration": [parts["north-west"], harps[1], harps[3]],
            "test_disk": [parts["south-west"]], "test_sharp_377": [test]}


def _round(x):
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_round(v) for v in x]
    return round(x, 4) if isinstance(x, float) else x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--methods", nargs="+", default=[m for m in available_methods() if m in ERROR_MODELS])
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--no-bundle", action="store_true")
    ap.add_argument("--preset", default=None,
                    help="error-network preset (default: errornet-tiny for bicubic and linear, "
                         "errornet-small for the networks)")
    ap.add_argument("--recalibrate", action="store_true",
                    help="keep each bundled error model's network, redo its calibration and report")
    ap.add_argument("--out", type=Path,
                    default=ROOT / "training" / "error-models" / "error-models-results.json")
    a = ap.parse_args()
    torch.set_num_threads(2)
    warnings.simplefilter("ignore")
    results = json.loads(a.out.read_text()) if a.out.exists() else {}
    for name in a.methods:
        t0 = time.perf_counter()
        func, radius = get_method(name).build()
        sets = residual_sets(func, radius)
        t_res = time.perf_counter() - t0
        preset = a.preset or ("errornet-tiny" if name in CLASSICAL else "errornet-small")
        config = ErrorFitConfig(preset=preset,
                                iterations=a.iterations)
        log = results.get(name, {}).get("fit_log", [])
        t1 = time.perf_counter()
        if a.recalibrate:
            net = load_error_model(name).net
        else:
            log = []
            net = fit_error_net(sets["fit"], config, log=log)
        cal = calibrate(net, sets["calibration"], config, fallback_images=sets["fit"])
        t_fit = time.perf_counter() - t1
        em = ErrorModel(net, cal, name=ERROR_MODELS[name].stem)
        report = {part: calibration_report(em, imgs) for part, imgs in sets.items()}
        previous = results.get(name, {}).get("seconds", {})
        seconds = {"residuals": t_res, "fit_and_calibration": previous.get("fit_and_calibration", t_fit)
                   if a.recalibrate else t_fit}
        results[name] = _round({"error_model": ERROR_MODELS[name].stem,
                                "fit_config": dataclasses.asdict(config),
                                "calibration": cal.to_dict(), "report": report, "fit_log": log,
                                "seconds": seconds})
        if not a.no_bundle:
            meta = error_model_metadata(config, cal, method=name,
                                        split="training/error-models/error-models.json",
                                        measured=_round({p: {"all": r["all"], "bands": r["bands"]}
                                                         for p, r in report.items()}))
            export_error_model(net, WEIGHTS_DIR / f"{ERROR_MODELS[name].stem}.pt", meta)
        a.out.write_text(json.dumps(results, indent=1))
        for part, r in report.items():
            s = r["all"]
            print(f"{name:>18} {part:>15}: rms_z {s['rms_z']:.2f} cov1 {s['coverage_1']:.3f} "
                  f"cov2 {s['coverage_2']:.3f} nll {s['nll']:.3f} (const {s['nll_constant']:.3f}) "
                  f"spearman {s['spearman']:.2f}", flush=True)
            for band, b in r["bands"].items():
                print(f"{'':>35}{band:>12}: n {b['n']:>8} rms_z {b['rms_z']:.2f} cov1 {b['coverage_1']:.3f} "
                      f"cov2 {b['coverage_2']:.3f} nll {b['nll']:.3f} (const {b['nll_constant']:.3f})",
                      flush=True)
        print(f"{name}: residuals {t_res:.0f} s, fit+calibration {t_fit:.0f} s; {cal}", flush=True)


if __name__ == "__main__":
    main()
