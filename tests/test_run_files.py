"""Run files pin their data, so a run reproduces although the data folder grows."""
import json
from pathlib import Path

import pytest

from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.training import TrainConfig, load_run_file

ROOT = Path(__file__).parents[1]


# one folder per run, training/<run>/ (the ablations in training/ablation/); *results.json files
# hold evaluations, not runs
def _kind(path):
    return json.loads(path.read_text()).get("kind", "network")


#: the networks' run files (the error models' run file is of its own kind: tested below)
RUN_FILES = sorted(p for p in (ROOT / "training").rglob("*.json")
                   if not p.name.endswith("results.json") and _kind(p) == "network")


def test_run_files_exist():
    assert len(RUN_FILES) >= 8


def test_every_run_has_its_own_folder_and_index_line():
    """training/ holds only run folders and the index; every folder is a run listed in the index."""
    loose = sorted(p.name for p in (ROOT / "training").iterdir() if p.is_file() and p.name != "README.rst")
    assert loose == []
    index = (ROOT / "training" / "README.rst").read_text()
    for folder in (p for p in (ROOT / "training").iterdir() if p.is_dir()):
        assert f"``{folder.name}/``" in index, folder.name
        assert any(f.suffix == ".json" for f in folder.iterdir()), folder.name


@pytest.mark.parametrize("path", RUN_FILES, ids=lambda p: str(p.relative_to(ROOT / "training")))
def test_run_file_pins_its_files(path, shared_data):
    config, spec = load_run_file(path)
    assert isinstance(config, TrainConfig)
    assert spec["train_files"], "a run file must pin its training files"
    for name in spec["train_files"] + spec.get("val_files", []):
        assert (shared_data / name).exists(), name
    # the held-out test region never trains, except in the diagnostic that trains on it on purpose
    if "oracle" not in path.name:
        assert not any(".377." in n for n in spec["train_files"])
    # the 2012 cutouts came later: runs made before them must not pick them up
    if path.name.startswith(("rcan-small", "rcan-tiny", "rcan-deep")):
        assert not any("sharp-2012" in n for n in spec["train_files"])


def test_runs_on_the_enlarged_data_hold_out_their_validation_region(shared_data):
    """rcan-lite, its ablations and progan-small train on the 2012 cutouts, except HARP 1446
    (their validation)."""
    names = ["rcan-lite/rcan-lite.json", "rcan-lite/rcan-lite-stage2.json", "rcan-lite/rcan-lite-stage3.json",
             "rcan-lite/rcan-lite-stage4.json", "rcan-lite-progressive/rcan-lite-progressive.json",
             "progan-small/progan-small.json"] + \
        [f"ablation/{p.name}" for p in (ROOT / "training/ablation").glob("rcan-lite-*.json")]
    assert len(names) == 10
    for name in names:
        _, spec = load_run_file(ROOT / "training" / name)
        assert sum("sharp-2012" in n for n in spec["train_files"]) == 18
        assert not any(".1446." in n for n in spec["train_files"])


def test_pinned_file_that_is_missing_is_a_clear_error(tmp_path):
    from sunpy_sr.training import train_from_folder
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"config": {"preset": "rcan-tiny"}, "train_files": ["nope/missing.fits"]}))
    with pytest.raises(SunpySRError, match="missing.fits"):
        train_from_folder(tmp_path, tmp_path / "out", run)


def test_ablations_change_one_lever_of_stage_one_at_equal_budget():
    """Each ablation run is stage 1 of rcan-lite with one architectural lever undone, cut to 2000
    iterations."""
    base = json.loads((ROOT / "training/rcan-lite/rcan-lite.json").read_text())
    levers = {"no-rep": {"rep": False}, "block-attention": {"attention": "block"},
              "progressive-upsampler": {"upsampler": "progressive", "up_feats": 16}, "baseline": {}}
    for name, override in levers.items():
        run = json.loads((ROOT / f"training/ablation/rcan-lite-{name}.json").read_text())
        config = dict(run["config"])
        assert config.pop("model", {}) == override
        assert config.pop("iterations") == 2000
        assert {k: v for k, v in config.items() if k != "checkpoint_every"} == \
            {k: v for k, v in base["config"].items() if k not in ("iterations", "checkpoint_every")}
        assert run["train_files"] == base["train_files"] and run["val_files"] == base["val_files"]


def test_error_models_run_file_keeps_its_split_apart(shared_data):
    """The error models' split: every file exists, SHARP 377 is only a test, and the fit and
    calibration parts share no HARP 1446 snapshot; the bundled error models name it."""
    path = ROOT / "training" / "error-models" / "error-models.json"
    spec = json.loads(path.read_text())
    assert spec["kind"] == "error-models"
    files = {part: [s.split(":")[0].split(" ")[0] for s in spec["split"][part] if s.startswith("hmi/")]
             for part in ("fit", "calibration", "test")}
    for names in files.values():
        for name in names:
            assert (shared_data / name).exists(), name
    assert len(files["fit"]) == 4 and len(files["calibration"]) == 2
    assert not set(files["fit"]) & set(files["calibration"])
    assert not any(".377." in n for n in files["fit"] + files["calibration"])
    assert any(".377." in n for n in files["test"])
    from sunpy_sr.weights import ERROR_MODELS
    for entry in ERROR_MODELS.values():
        meta = json.loads(entry.metadata_path.read_text())
        assert meta["split"] == "training/error-models/error-models.json"
        assert meta["kind"] == "error-model"
