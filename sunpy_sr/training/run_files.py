"""Run files (JSON) and training from a folder of magnetograms, split by date."""
import json
from pathlib import Path

from sunpy_sr.core.pairs import PairRecipe, make_pairs
from sunpy_sr.training.config import TrainConfig
from sunpy_sr.training.loop import train

__all__ = ["load_run_file", "train_from_folder", "pairs_for_training"]


def pairs_for_training(train_files, val_files, config, cache_dir, progress=True):
    """Build training and validation pairs for ``config`` (cached in ``cache_dir``)."""
    train_pairs = make_pairs(train_files, PairRecipe(**config.recipe), cache_dir, progress)
    val_pairs = make_pairs(val_files, PairRecipe(**config.val_recipe), cache_dir, progress) \
        if val_files else None
    return train_pairs, val_pairs

def load_run_file(path):
    """
    Read a run file (JSON): ``{"config": {...TrainConfig fields...}, "train_dates": [[start, end], ...],
    "val_dates": [[start, end], ...], "val_full_disk_only": bool}``.
    """
    spec = json.loads(Path(path).read_text())
    return TrainConfig(**spec.get("config", {})), spec

def train_from_folder(data_dir, out_dir, run_file=None, *, config=None, resume=False, progress=True):
    """
    Train from a folder of magnetograms, split by observation date (the CLI's ``sunpy-sr train``).

    Parameters
    ----------
    data_dir : path-like
        Folder searched recursively for ``*magnetogram*.fits`` (full-disk HMI and SHARP CEA).
    out_dir : path-like
        Output folder (checkpoints, log, plot, pair cache in ``out_dir/cache``).
    run_file : path-like, optional
        JSON run file (see :func:`load_run_file`); without one, every file trains and
        none validates.
    config : `TrainConfig`, optional
        Overrides the run file's config.
    """
    from sunpy_sr.core.pairs import find_magnetograms, select_by_date
    spec = {}
    if run_file is not None:
        file_config, spec = load_run_file(run_file)
        config = config or file_config
    config = config or TrainConfig()
    files = find_magnetograms(data_dir)
    train_files = select_by_date(files, spec["train_dates"]) if "train_dates" in spec else files
    val_files = select_by_date(files, spec["val_dates"]) if "val_dates" in spec else []
    if spec.get("val_full_disk_only"):
        val_files = [f for f in val_files if "sharp" not in f.name]
    if not train_files:
        raise ValueError(f"no training magnetogram found in {data_dir}")
    out_dir = Path(out_dir)
    train_pairs, val_pairs = pairs_for_training(train_files, val_files, config, out_dir / "cache", progress)
    (out_dir).mkdir(parents=True, exist_ok=True)
    (out_dir / "files.json").write_text(json.dumps(
        {"train": [f.name for f in train_files], "val": [f.name for f in val_files],
         "train_pairs": len(train_pairs), "val_pairs": len(val_pairs) if val_pairs else 0}, indent=1))
    return train(config, train_pairs, out_dir, val_pairs=val_pairs, resume=resume, progress=progress)
