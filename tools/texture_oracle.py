"""
Where ideal textures sit on the perception-distortion trade (issue 21): can the element goals and
the PSNR goal of the progressive GAN be met together?

When to run: to measure the frontier that any generator of texture faces, given more than any
network has. Usage (repository root, ``../shared/data`` beside it)::

    python tools/texture_oracle.py [--out training/texture-oracle/texture-oracle-results.json]
        [--plot docs/images/texture_oracle.png
         --networks RUN-results.json [RUN-results.json ...]]
        [--replot]

``--networks`` takes ``tools/evaluate_progan_gan.py`` results files (docs/results.rst names the
ones of its figure); ``--replot`` redraws the figure from the results file of ``--out`` without
computing anything.

The sets are those of ``tools/evaluate_progan_gan.py``: the 2016 disk centre (50 G) and HARP
1446 (200 G) for validation, SHARP 377 (200 G) as the test. The base is the bundled ``rcan``
with the consistency projection, ``m``, and every output is projected again (``P``), so that
it degrades onto its input. Two families of oracles, each told the answer's power spectrum:

* random texture, ``P(m + k t)``: ``t`` is the crop's own error ``target - m`` with its
  Fourier phases replaced by those of white noise, so it has exactly the missing power at
  every frequency and none of the target's placement (``k = 1`` restores the target's
  spectrum). This is what a generator of independent texture can do at best.
* spectral gain, ``P(F^-1[(1 + s (g - 1)) F m])``: ``g(|f|) = sqrt(P_target / P_m)`` radially
  averaged over the set's own crops (fitted on the set it is scored on), so that ``s = 1``
  restores the set's mean spectrum by sharpening ``rcan``'s own detail in place. For
  stationary Gaussian fields this is the least-distorting map onto the target's statistics
  (the 2-Wasserstein map; Freirich, Michaeli & Meir 2021, NeurIPS); ``s > 1`` sharpens beyond.

Beside the oracles, the same gain fitted on training data alone (``training_gain``: ``rcan``'s
own training files, crops of 256 px), which is what a method could ship.

Each output is scored like the checkpoints: PSNR (mean over crops), spectral error, and the
magnetic elements pooled over the crops.
"""
import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from sunpy_sr.core.pairs import PairRecipe, make_pairs
from sunpy_sr.metrics import METRICS, magnetic_elements
from sunpy_sr.models.progan import bicubic
from sunpy_sr.training.projection import ConsistencyProjection
from sunpy_sr.weights import load_network, weights_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TEXTURE = (0.0, 0.25, 0.5, 0.75, 1.0)
GAIN = (0.5, 1.0, 1.25, 1.5, 2.0, 3.0)
#: The gain fitted on training data: rcan's own training files, crops of 256 px within 800 arcsec.
TRAINING_RUN = ROOT / "training" / "rcan-lite" / "rcan-lite.json"
TRAINING_RECIPE = {"size": 256, "stride": 256, "max_distance": 800.0}


def phase_randomised(r, rng):
    """``r`` (H, W) with its Fourier amplitudes and the phases of a white-noise field."""
    amplitude = np.abs(np.fft.rfft2(r))
    phase = np.angle(np.fft.rfft2(rng.standard_normal(r.shape)))
    return np.fft.irfft2(amplitude * np.exp(1j * phase), s=r.shape)


def radial_gain_curve(targets, base):
    """
    ``(f, g)``: ``g = sqrt(P_target / P_base)`` of the crops' mean 2D power spectra in rings of
    ``|f|`` (cycles per pixel, one ring per ``1 / size``); all crops of one size.
    """
    y, m = np.stack(targets), np.stack(base)
    p_y, p_m = ((np.abs(np.fft.fft2(v)) ** 2).mean(axis=0) for v in (y, m))
    size = max(y.shape[-2:])
    ring = np.rint(_radius(y.shape[-2:]) * size).astype(int).ravel()
    ratio = np.bincount(ring, p_y.ravel()) / np.maximum(np.bincount(ring, p_m.ravel()), 1e-30)
    return np.arange(ratio.size) / size, np.sqrt(ratio)


def _radius(shape):
    fy, fx = np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1])
    return np.hypot(*np.meshgrid(fy, fx, indexing="ij"))


def gain_on_grid(curve, shape):
    """The radial gain ``curve`` on the FFT grid of an image of ``shape``."""
    f, g = curve
    return np.interp(_radius(shape), f, g)


def score(targets, outputs, threshold):
    """Mean PSNR and spectral error, and the element ratios pooled over the crops."""
    out = {k: float(np.mean([METRICS[k].function(t, o) for t, o in zip(targets, outputs)]))
           for k in ("psnr", "spectral_error")}
    et = [magnetic_elements(t, threshold) for t in targets]
    eo = [magnetic_elements(o, threshold) for o in outputs]
    out["element_count_ratio"] = sum(e.count for e in eo) / sum(e.count for e in et)
    out["element_area_ratio"] = float(np.median(np.concatenate([e.area for e in eo]))
                                      / np.median(np.concatenate([e.area for e in et])))
    return {k: round(v, 4) for k, v in out.items()}


def plot(results, path, networks=()):
    """PSNR against element count ratio and median area ratio, every family and set.

    ``networks``: ``(run name, contents)`` of ``tools/evaluate_progan_gan.py`` results files:
    each run's kept checkpoints (projected) are marked beside the families, with the
    ``progan`` bundled when the first was evaluated and each run's chosen checkpoint.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sets = results["sets"]
    markers = ["x", "+", "1", "2"]
    fig, axes = plt.subplots(2, len(sets), figsize=(4.3 * len(sets), 8.2), layout="constrained")
    for col, (name, res) in enumerate(sets.items()):
        for row, (key, goal, label) in enumerate([("element_count_ratio", (0.85, 1.2), "element count ratio"),
                                                  ("element_area_ratio", (0.67, 1.5), "median area ratio")]):
            ax = axes[row, col]
            for family, marker, text in (("texture", "o-", "rcan + k x random texture (oracle)"),
                                         ("gain", "s-", "rcan, spectral gain s (oracle)"),
                                         ("training_gain", "^-", "rcan, gain s fitted on training data")):
                pts = res[family]
                ax.plot([v[key] for v in pts.values()], [v["psnr"] for v in pts.values()], marker, ms=4,
                        label=text)
                for k, v in pts.items():
                    ax.annotate(k, (v[key], v["psnr"]), fontsize=6, xytext=(3, 2), textcoords="offset points")
            for i, (run, contents) in enumerate(networks):
                ckpts = [c[name] for c in contents["checkpoints"].values() if name in c]
                ax.plot([c[key] for c in ckpts], [c["psnr"] for c in ckpts], markers[i % len(markers)],
                        color=f"C{4 + i}", ms=6, label=f"{run} checkpoints")
                chosen = contents["checkpoints"].get(contents.get("chosen"), {}).get(name)
                if chosen is None and name == "test_sharp_377":
                    chosen = contents.get("chosen_test_sharp_377")
                if chosen is not None:
                    ax.plot(chosen[key], chosen["psnr"], "D", mfc="none", color=f"C{4 + i}", ms=8,
                            label=f"{run}: chosen")
                if i == 0:
                    bundled = contents["baselines"]["progan (bundled, projected)"][name]
                    ax.plot(bundled[key], bundled["psnr"], "*", color="tab:red", ms=10,
                            label=f"progan bundled when {run} was scored")
            ax.axhline(res["bicubic"]["psnr"] + 0.5, color="0.4", ls="--", lw=1, label="bicubic + 0.5 dB")
            ax.axvspan(*goal, color="tab:green", alpha=0.15, label="goal")
            ax.set(xlabel=f"{label} (output / target)", ylabel="PSNR (dB)")
            if row == 0:
                ax.set_title(name.replace("_", " "))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="outside lower center", ncol=4)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", type=Path, default=ROOT / "training" / "texture-oracle"
                    / "texture-oracle-results.json")
    ap.add_argument("--plot", type=Path, default=None, help="PNG: PSNR against the element ratios")
    ap.add_argument("--networks", type=Path, nargs="*", default=[],
                    help="tools/evaluate_progan_gan.py results files whose networks the plot marks")
    ap.add_argument("--seed", type=int, default=0, help="seed of the texture phases")
    ap.add_argument("--cache", type=Path, default=None, help="pair cache (default: a temporary folder)")
    ap.add_argument("--replot", action="store_true",
                    help="only redraw --plot from the results file --out (nothing is computed)")
    a = ap.parse_args()
    networks = [(p.stem.removesuffix("-results"), json.loads(p.read_text())) for p in a.networks]
    if a.replot:
        if a.plot is None:
            ap.error("--replot needs --plot")
        plot(json.loads(a.out.read_text()), a.plot, networks)
        print("wrote", a.plot)
        return
    torch.set_num_threads(2)
    cache = a.cache or Path(tempfile.mkdtemp(prefix="texture-oracle-"))
    sets = {
        "validation_2016_disk_centre": (make_pairs(
            [DATA / "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"],
            PairRecipe(size=512, stride=512, max_distance=500.0), cache, progress=False), 50.0),
        "validation_harp_1446": (make_pairs(sorted((DATA / "hmi/sharp-2012").glob("*.1446.*magnetogram*")),
                                            PairRecipe(size=128, stride=128), cache, progress=False), 200.0),
        "test_sharp_377": (make_pairs(
            [DATA / "hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"],
            PairRecipe(size=256, stride=128), cache, progress=False), 200.0),
    }
    project = ConsistencyProjection()
    rcan = load_network(weights_path("rcan"))[0].eval()
    rng = np.random.default_rng(a.seed)

    def projected(image, x):
        return project(torch.from_numpy(np.ascontiguousarray(image)).float()[None, None], x)[0, 0].numpy()

    def rcan_projected(lrs, desc):
        out = []
        with torch.inference_mode():
            for lr in tqdm(lrs, desc=desc):
                x = torch.from_numpy(lr)[None, None]
                out.append(project(rcan(x), x)[0, 0].numpy())
        return out

    run = json.loads(TRAINING_RUN.read_text())
    train_pairs = make_pairs([DATA / f for f in run["train_files"]], PairRecipe(**TRAINING_RECIPE), cache,
                             progress=False)
    size = TRAINING_RECIPE["size"]
    square = [i for i, hr in enumerate(train_pairs.hr) if hr.shape == (size, size)]  # not a smaller cutout
    train_hr = [train_pairs.hr[i] for i in square]
    training_curve = radial_gain_curve(train_hr, rcan_projected([train_pairs.lr[i] for i in square],
                                                                "training crops"))
    curve = [[round(float(f), 5), round(float(g), 4)] for f, g in zip(*training_curve)]
    results = {"base": "rcan, projected", "texture_strengths": list(TEXTURE),
               "training_gain": {"run_file": str(TRAINING_RUN.relative_to(ROOT)), "recipe": TRAINING_RECIPE,
                                 "crops": len(train_hr),
                                 "curve": curve},
               "gain_strengths": list(GAIN), "sets": {}}
    for name, (pairs, threshold) in sets.items():
        targets, xs, base, bicubic_out = list(pairs.hr), [], [], []
        with torch.inference_mode():
            for lr in tqdm(pairs.lr, desc=name):
                x = torch.from_numpy(lr)[None, None]
                xs.append(x)
                bicubic_out.append(bicubic(x, 4)[0, 0].numpy())
                base.append(project(rcan(x), x)[0, 0].numpy())
        textures = [phase_randomised(y - m, rng) for y, m in zip(targets, base)]
        gain = gain_on_grid(radial_gain_curve(targets, base), targets[0].shape)
        fitted = gain_on_grid(training_curve, targets[0].shape)
        res = {"bicubic": score(targets, bicubic_out, threshold), "texture": {}, "gain": {},
               "training_gain": {}}
        for k in TEXTURE:
            res["texture"][str(k)] = score(targets, [projected(m + k * t, x) for m, t, x
                                                     in zip(base, textures, xs)], threshold)
        for g in GAIN:
            sharpened = [np.fft.ifft2(np.fft.fft2(m) * (1 + g * (gain - 1))).real for m in base]
            res["gain"][str(g)] = score(targets, [projected(v, x) for v, x in zip(sharpened, xs)], threshold)
            sharpened = [np.fft.ifft2(np.fft.fft2(m) * (1 + g * (fitted - 1))).real for m in base]
            res["training_gain"][str(g)] = score(targets, [projected(v, x) for v, x in zip(sharpened, xs)],
                                                 threshold)
        results["sets"][name] = res
        print(name, json.dumps(res))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=1))
    if a.plot is not None:
        plot(results, a.plot, networks)
        print("wrote", a.plot)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
