"""Run files (JSON) and training from a folder of magnetograms, split by date."""
import json
from pathlib import Path

from sunpy_sr.core.pairs import PairRecipe, make_pairs
from sunpy_sr.exceptions import SunpySRError
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
    Read a run file (JSON).

    Keys: ``"config"`` (`TrainConfig` fields); the data, either pinned
    ``"train_files"`` / ``"val_files"`` (paths relative to the data folder: a run
    stays reproducible when the folder grows) or ``"train_dates"`` / ``"val_dates"``
    (lists of ``[start, end]`` ISO dates, applied to every magnetogram found), and
    ``"val_full_disk_only"`` (bool). Other keys (notes, results) are kept in ``spec``.

    Returns
    -------
    config : `TrainConfig`
    spec : dict
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
    data_dir = Path(data_dir)
    files = find_magnetograms(data_dir)
    if "train_files" in spec:
        train_files = _pinned(data_dir, spec["train_files"])
    else:
        train_files = select_by_date(files, spec["train_dates"]) if "train_dates" in spec else files
    if "val_files" in spec:
        val_files = _pinned(data_dir, spec["val_files"])
    else:
        val_files = select_by_date(files, spec["val_dates"]) if "val_dates" in spec else []
    if spec.get("val_full_disk_only"):
        val_files = [f for f in val_files if "sharp" not in f.name]
    if not train_files:
        raise SunpySRError(f"no training magnetogram found in {data_dir}")
    out_dir = Path(out_dir)
    train_pairs, val_pairs = pairs_for_training(train_files, val_files, config, out_dir / "cache", progress)
    (out_dir).mkdir(parents=True, exist_ok=True)
    (out_dir / "files.json").write_text(json.dumps(
        {"train": [f.name for f in train_files], "val": [f.name for f in val_files],
         "train_pairs": len(train_pairs), "val_pairs": len(val_pairs) if val_pairs else 0}, indent=1))
    return train(config, train_pairs, out_dir, val_pairs=val_pairs, resume=resume, progress=progress)


def _pinned(data_dir, names):
    """The pinned files of a run file, which must all exist under ``data_dir``."""
    paths = [data_dir / n for n in names]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SunpySRError(f"files pinned by the run file are missing: {', '.join(missing)}")
    return paths
