"""Run files (JSON) and training from a folder of magnetograms, split by date."""
import json
from pathlib import Path

from sunpy_sr.core.pairs import PairRecipe, make_pairs
from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.training.config import TrainConfig
from sunpy_sr.training.loop import train

__all__ = ["load_run_file", "train_from_folder", "pairs_for_training", "pinned_files"]


def pairs_for_training(train_files, val_files, config, cache_dir, progress=None):
    """
    Build training and validation pairs for ``config`` (cached in ``cache_dir``).

    Examples
    --------
    Each set follows its own recipe (``config.recipe``, ``config.val_recipe``):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.data.sample import HMI_ACTIVE_REGION
    >>> from sunpy_sr.data.test import HMI_AR_20111217
    >>> from sunpy_sr.training import TrainConfig, pairs_for_training
    >>> config = TrainConfig(recipe={"size": 64, "stride": 64}, val_recipe={"size": 96, "stride": 96})
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     train_pairs, val_pairs = pairs_for_training([HMI_AR_20111217], [HMI_ACTIVE_REGION], config,
    ...                                                 cache, progress=False)
    ...     n_cached = len(list(Path(cache).glob("*.npz")))  # one per file and recipe
    >>> len(train_pairs), train_pairs.hr[0].shape, train_pairs.lr[0].shape, n_cached
    (10, (64, 64), (16, 16), 2)
    >>> len(val_pairs), val_pairs.hr[0].shape, val_pairs.source[0]
    (4, (96, 96), 'hmi_active_region.fits.gz')
    """
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

    Examples
    --------
    >>> import json
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.training import load_run_file
    >>> run = {"config": {"preset": "rcan-tiny", "iterations": 4}, "notes": "a tiny test run",
    ...        "train_dates": [["2011-01-01", "2011-12-31"]], "val_dates": [["2016-01-01", "2016-12-31"]]}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "run.json"
    ...     _ = path.write_text(json.dumps(run))
    ...     config, spec = load_run_file(path)
    >>> type(config).__name__, config.preset, config.iterations
    ('TrainConfig', 'rcan-tiny', 4)
    >>> sorted(spec), spec["val_dates"]
    (['config', 'notes', 'train_dates', 'val_dates'], [['2016-01-01', '2016-12-31']])
    """
    spec = json.loads(Path(path).read_text())
    return TrainConfig(**spec.get("config", {})), spec


def train_from_folder(data_dir, out_dir, run_file=None, *, config=None, resume=False, progress=None):
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

    Examples
    --------
    Two iterations of the tiny test network on a folder holding the shipped cutouts of the
    2011-12-17 (training) and 2016-07-07 (validation) disks, split by date:

    >>> import gzip
    >>> import json
    >>> import shutil
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.data import sample, test
    >>> from sunpy_sr.training import train_from_folder
    >>> run = {"config": {"preset": "rcan-tiny", "iterations": 2, "batch_size": 2, "patch": 8, "threads": 1,
    ...                   "recipe": {"size": 64, "stride": 64}, "val_recipe": {"size": 64, "stride": 64}},
    ...        "train_dates": [["2011-01-01", "2011-12-31"]], "val_dates": [["2016-01-01", "2016-12-31"]]}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     data, out, run_file = Path(tmp) / "data", Path(tmp) / "run", Path(tmp) / "run.json"
    ...     data.mkdir()
    ...     for src, time in [(test.HMI_AR_20111217, "20111217_060000"),
    ...                       (sample.HMI_ACTIVE_REGION, "20160707_010000")]:
    ...         name = f"hmi.m_720s.{time}_TAI.magnetogram.fits"  # a JSOC name: its date splits
    ...         with gzip.open(src) as fin, open(data / name, "wb") as fout:
    ...             shutil.copyfileobj(fin, fout)
    ...     _ = run_file.write_text(json.dumps(run))
    ...     model = train_from_folder(data, out, run_file, progress=False)
    ...     files = json.loads((out / "files.json").read_text())
    ...     written = sorted(p.name for p in out.iterdir())
    >>> files["train"], files["val"]  # doctest: +NORMALIZE_WHITESPACE
    (['hmi.m_720s.20111217_060000_TAI.magnetogram.fits'],
     ['hmi.m_720s.20160707_010000_TAI.magnetogram.fits'])
    >>> files["train_pairs"], files["val_pairs"], written
    (10, 9, ['cache', 'checkpoint.pt', 'config.json', 'files.json', 'log.csv', 'training.png'])
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
        train_files = pinned_files(data_dir, spec["train_files"])
    else:
        train_files = select_by_date(files, spec["train_dates"]) if "train_dates" in spec else files
    if "val_files" in spec:
        val_files = pinned_files(data_dir, spec["val_files"])
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


def pinned_files(data_dir, names):
    """
    The files a run file pins (``train_files``, ``val_files``), which must all exist under ``data_dir``.

    Parameters
    ----------
    data_dir : `pathlib.Path`
        The data folder.
    names : list of str
        File names, as the run file lists them.

    Returns
    -------
    list of `pathlib.Path`

    Raises
    ------
    SunpySRError
        Naming every missing file.
    """
    paths = [data_dir / n for n in names]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SunpySRError(f"files pinned by the run file are missing: {', '.join(missing)}")
    return paths
