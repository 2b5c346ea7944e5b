"""
Evaluate the kept checkpoints of a progan-gan run (training/progan-gan*/) by its selection rule.

When to run: after an adversarial progan run (or a resumed one) has written its
``checkpoint-<iteration>.pt`` files; ``--run-file`` names its run file. Usage (repository root,
``../shared/data`` beside it)::

    python tools/evaluate_progan_gan.py RUN_DIR [--out training/progan-gan/progan-gan-results.json]
        [--run-file training/progan-gan/progan-gan.json] [--consistent]

For every kept checkpoint, and for bicubic, the bundled ``rcan`` and the bundled ``progan``
beside them, prints PSNR (mean over crops), spectral error, and the magnetic-element
statistics pooled over the crops (`sunpy_sr.metrics.magnetic_elements`): the 2016 disk
centre (9 crops of 512 px within 500 arcsec, 50 G) and HARP 1446 (five 2012 snapshots,
crops of 128 px, 200 G) are the validation sets the rule chooses by; SHARP 377 (crops of
256 px, stride 128, 200 G) is the test, evaluated for the chosen checkpoint and the
baselines only.

``--consistent`` (for a run trained with ``gan.consistent``): every checkpoint and the bundled
``progan`` are scored with their output projected onto the maps that degrade to the input
(``sunpy_sr.training.projection.ProjectedModel``), as they were validated in training;
bicubic and ``rcan`` stay as they are, the projected bundled ``progan`` beside the plain one.
"""
import argparse
import json
import math
from pathlib import Path

import torch

from sunpy_sr.core.pairs import PairRecipe, make_pairs
from sunpy_sr.models.progan import bicubic
from sunpy_sr.training import validate
from sunpy_sr.training.projection import ConsistencyProjection, ProjectedModel
from sunpy_sr.training.strategies import GanStrategy
from sunpy_sr.weights import load_network, weights_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


class _Bicubic(torch.nn.Module):
    def forward(self, x):
        return bicubic(x, 4)


def _score(model, pairs, threshold):
    s = validate(model, pairs, metrics=GanStrategy.validation_metrics, element_threshold=threshold)
    return {k: round(float(v), 4) for k, v in s.items()}


def _distance(s):
    return abs(math.log(s["element_count_ratio"])) + abs(math.log(s["element_area_ratio"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "training" / "progan-gan" / "progan-gan-results.json")
    ap.add_argument("--run-file", type=Path, default=ROOT / "training" / "progan-gan" / "progan-gan.json",
                    help="the run file whose selection_rule is applied and recorded")
    ap.add_argument("--consistent", action="store_true",
                    help="score the checkpoints (and the bundled progan) with the consistency projection")
    a = ap.parse_args()
    project = ConsistencyProjection() if a.consistent else None

    def as_scored(model):
        return ProjectedModel(model, project) if project is not None else model
    torch.set_num_threads(2)
    cache = a.run_dir / "eval-cache"
    sets = {
        "validation_2016_disk_centre": (make_pairs(
            [DATA / "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"],
            PairRecipe(size=512, stride=512, max_distance=500.0), cache, progress=False), 50.0),
        "validation_harp_1446": (make_pairs(sorted((DATA / "hmi/sharp-2012").glob("*.1446.*magnetogram*")),
                                            PairRecipe(size=128, stride=128), cache, progress=False), 200.0),
    }
    test = (make_pairs([DATA / "hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"],
                       PairRecipe(size=256, stride=128), cache, progress=False), 200.0)
    baselines = {"bicubic": _Bicubic(), "rcan": load_network(weights_path("rcan"))[0],
                 "progan (bundled)": load_network(weights_path("progan"))[0]}
    if project is not None:
        baselines["progan (bundled, projected)"] = as_scored(load_network(weights_path("progan"))[0])
    results = {"baselines": {}, "checkpoints": {}}
    for name, model in baselines.items():
        every = (*sets.items(), ("test_sharp_377", test))
        results["baselines"][name] = {k: _score(model.eval(), p, t) for k, (p, t) in every}
        print(name, json.dumps(results["baselines"][name]))
    bic = results["baselines"]["bicubic"]
    ckpts = sorted(a.run_dir.glob("checkpoint-*.pt"), key=lambda p: int(p.stem.split("-")[1]))
    for path in ckpts:
        model = as_scored(load_network(path)[0]).eval()
        results["checkpoints"][path.name] = {k: _score(model, p, t) for k, (p, t) in sets.items()}
        print(path.name, json.dumps(results["checkpoints"][path.name]))
    eligible = {n: r for n, r in results["checkpoints"].items()
                if all(r[k]["psnr"] >= bic[k]["psnr"] + 0.5 for k in sets)}
    results["rule"] = json.loads(a.run_file.read_text())["selection_rule"]
    if not eligible:
        print("no checkpoint is eligible (PSNR >= bicubic + 0.5 dB on both validation sets)")
        results["chosen"] = None
        a.out.write_text(json.dumps(results, indent=1))
        return

    def total(n):
        return sum(_distance(eligible[n][k]) for k in sets)

    d_best = min(total(n) for n in eligible)
    ties = [n for n in eligible if total(n) <= d_best + 0.02]
    chosen = max(ties, key=lambda n: eligible[n]["validation_2016_disk_centre"]["psnr"])
    model = as_scored(load_network(a.run_dir / chosen)[0]).eval()
    results["chosen"] = chosen
    results["consistent"] = a.consistent
    results["chosen_test_sharp_377"] = _score(model, *test)
    print("chosen", chosen, "test", json.dumps(results["chosen_test_sharp_377"]))
    a.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
