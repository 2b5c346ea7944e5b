"""
``sunpy-sr evaluate``: the paper's Table 1 and Figures 2-3 for several methods on held-out data.

Builds HR/LR pairs with `sunpy_sr.core.pairs.make_pairs` (the same recipe as
training), runs every method, prints the table (`sunpy_sr.evaluation.evaluate`)
and writes ``table.ecsv``, ``figure3.png`` (2D histograms, error bars, scatter)
``figure2.png`` (input, target and each method on a few crops) and
``error_budget.ecsv`` (each method's squared error split by ``|B|`` band). ``table.ecsv``
holds plain text only: its header's meta are scalars, and the per-image values and the
calibration statistics are in ``table-arrays.npz``. A run that fails removes what it wrote.
"""
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from sunpy_sr.core.pairs import PairRecipe, PairSet, find_magnetograms, make_pairs
from sunpy_sr.evaluation.table import evaluate
from sunpy_sr.exceptions import SunpySRError, warn_user
from sunpy_sr.metrics import error_budget
from sunpy_sr.visualization import plot_comparison_panel, plot_scatter_figure

__all__ = ["run_evaluation"]


def run_evaluation(data, methods, *, out_dir="evaluation", max_distance=500.0, size=512, stride=512,
                   n_panel=3, progress=None, cache_dir=None, uncertainty=False, keep_cache=False,
                   **method_options):
    """
    Evaluate ``methods`` on the magnetograms in ``data`` and write table and figures.

    Parameters
    ----------
    data : path-like
        A FITS file, or a folder searched for ``*magnetogram*.fits``.
    methods : list of str
        Registered method names.
    out_dir : path-like
        Receives ``table.ecsv``, ``table-arrays.npz``, ``error_budget.ecsv``, ``figure2.png``,
        ``figure3.png`` and the pair cache (``cache/``, unless ``cache_dir``). If the run fails,
        the files it wrote are removed again, and so is the cache it created unless
        ``keep_cache``.
    max_distance : float
        Crops lie within ``|x|, |y| <= max_distance`` arcsec of disk centre (full-disk maps).
    size, stride : int
        HR crop size and stride (pixels). Every crop is ``size`` x ``size`` (on a CEA
        cutout, crops flush with its far edges are added, as in training): a map
        smaller than that (a SHARP cutout, which training would cut into smaller
        crops) is refused, with a warning when other maps remain, else an error.
    n_panel : int
        Crops shown in Figure 2 (those with the strongest field).
    uncertainty : bool
        Also score each method's calibrated error map: the table gets the columns
        ``rms_z``, ``coverage_1``, ``coverage_2``, ``nll`` and ``nll_constant``
        (`sunpy_sr.evaluation.evaluate`, pooled over all pixels of all crops).
    keep_cache : bool
        Keep a pair cache created by this run even if the run fails (default: a failed run
        removes it; an existing cache, and the cache of a run that succeeds, are always kept).

    Returns
    -------
    table : `~astropy.table.QTable`
        The metrics table of `sunpy_sr.evaluation.evaluate`.

    Examples
    --------
    The shipped sample cutout holds one 128x128 crop within 500" of disk centre:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.data.sample import HMI_ACTIVE_REGION
    >>> from sunpy_sr.evaluation import run_evaluation
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     table = run_evaluation(HMI_ACTIVE_REGION, ["bicubic"], out_dir=tmp, size=128, stride=128,
    ...                            progress=False)    # prints the table and the error budget
    ...     written = sorted(p.name for p in Path(tmp).iterdir())
    1 crops of 128x128 px from 1 file(s)
    ...
    >>> written
    ['cache', 'error_budget.ecsv', 'figure2.png', 'figure3.png', 'table-arrays.npz', 'table.ecsv']
    >>> print(table["method"][0], f"{table['psnr'][0]:.2f}", f"{table['rmse'][0]:.1f}")   # MAX = 4000 G
    bicubic 41.28 dB 34.5 G
    """
    data = Path(data)
    files = [data] if data.is_file() else find_magnetograms(data)
    if not files:
        raise SunpySRError(f"no magnetogram FITS file found in {data}")
    recipe = PairRecipe(size=size, stride=stride, max_distance=max_distance)
    if size < recipe.factor or size % recipe.factor:
        raise SunpySRError(f"the crop size must be a positive multiple of {recipe.factor}, got {size}")
    if stride < 1:
        raise SunpySRError(f"the crop stride must be positive, got {stride}")
    out_dir = Path(out_dir)
    cache = Path(cache_dir) if cache_dir is not None else out_dir / "cache"
    new_out_dir, new_cache = not out_dir.exists(), not cache.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    # the outputs are written into a staging folder and moved into out_dir once all exist, so a
    # failed run leaves neither a partial table nor a figure (and the results of an earlier run stay)
    staging = Path(tempfile.mkdtemp(prefix=".evaluate-", dir=out_dir))
    try:
        table = _evaluate_and_write(files, recipe, cache, staging, methods, size, n_panel, progress,
                                    uncertainty, method_options)
        for name in OUTPUTS:
            os.replace(staging / name, out_dir / name)
    except BaseException:
        if new_cache and not keep_cache:
            shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        if new_out_dir and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return table


#: What `run_evaluation` writes into its ``out_dir`` (besides the pair cache).
OUTPUTS = ("table.ecsv", "table-arrays.npz", "error_budget.ecsv", "figure2.png", "figure3.png")


def _evaluate_and_write(files, recipe, cache, out_dir, methods, size, n_panel, progress, uncertainty,
                        method_options):
    """Make the pairs, evaluate and write the tables and figures; returns the metrics table."""
    pairs = _exact_size(make_pairs(files, recipe, cache, progress), size, files)
    if not len(pairs):
        raise SunpySRError("no crop satisfies the recipe (try a smaller --size or larger --max-distance)")
    table, outputs = evaluate(pairs, methods=tuple(methods), progress=progress, return_outputs=True,
                              uncertainty=uncertainty, **method_options)
    _write_table(table, out_dir / "table.ecsv", out_dir / "table-arrays.npz")
    print(f"{len(pairs)} crops of {size}x{size} px from {len(set(pairs.source))} file(s)")
    for col in table.colnames:
        if table[col].dtype.kind == "f":
            table[col].info.format = ".4g"
    table.pprint(max_width=-1, max_lines=-1)
    budget = _error_budget_table(pairs.hr, outputs)
    budget.write(out_dir / "error_budget.ecsv", overwrite=True)
    print("share of the summed squared error by |B| band of the target (all crops together):")
    budget.pprint(max_width=-1, max_lines=-1)
    plot_scatter_figure(pairs.hr, outputs, path=out_dir / "figure3.png")
    order = np.argsort([-np.abs(h).max() for h in pairs.hr])[:n_panel]
    # each panel names its crop by its index in the per-image values (table-arrays.npz), so that its
    # PSNR is not read as the mean of the table
    plot_comparison_panel([pairs.lr[i] for i in order], [pairs.hr[i] for i in order],
                          {m: [outputs[m][i] for i in order] for m in outputs},
                          crop_labels=[f"crop {i}" for i in order], path=out_dir / "figure2.png")
    return table


def _plain(value):
    """A meta value for a plain-text ECSV header: numpy scalars as Python numbers."""
    return value.item() if isinstance(value, np.generic) else value


def _write_table(table, path, arrays_path):
    """
    Write ``table`` as ECSV with scalar meta only; its nested meta go to an ``.npz`` sidecar.

    The per-image values (``meta["per_image"][method][column]``) and the calibration
    statistics (``meta["calibration"][method][key]``) are stored in ``arrays_path`` under
    the keys ``"per_image/<method>/<column>"`` and ``"calibration/<method>/<key>"``; the
    ECSV header names the sidecar in ``meta["arrays"]``.
    """
    arrays = {}
    for group in ("per_image", "calibration"):
        for method, values in table.meta.get(group, {}).items():
            for key, value in values.items():
                arrays[f"{group}/{method}/{key}"] = np.asarray(value)
    out = table.copy(copy_data=False)
    out.meta = {k: _plain(v) for k, v in table.meta.items() if k not in ("per_image", "calibration")}
    out.meta["arrays"] = arrays_path.name
    np.savez(arrays_path, **arrays)
    out.write(path, overwrite=True)


def _exact_size(pairs, size, files):
    """
    The pairs whose HR crop is ``size`` x ``size``; the maps that gave smaller crops are refused.

    `~sunpy_sr.core.pairs.make_pairs` cuts a CEA cutout smaller than ``size`` into
    crops as large as it holds (for training); an evaluation states one crop size,
    so such a map is dropped (warning) or, if nothing else remains, an error.
    """
    keep = [i for i, hr in enumerate(pairs.hr) if hr.shape == (size, size)]
    if len(keep) == len(pairs):
        return pairs
    refused = sorted({pairs.source[i] for i in range(len(pairs)) if pairs.hr[i].shape != (size, size)})
    paths = {Path(f).name: Path(f) for f in files}
    details = "; ".join(f"{name} is {_shape_text(paths.get(name))}" for name in refused)
    fits = min(min(pairs.hr[i].shape) for i in range(len(pairs)) if pairs.source[i] in refused)
    message = (f"smaller than the crop size {size}x{size} px: {details}; pass --size {fits} (or less) "
               "to evaluate on crops that fit")
    if not keep:
        raise SunpySRError(f"map {message}")
    warn_user(f"refused {len(refused)} map(s) {message}")
    out = PairSet()
    for name in ("hr", "lr", "source", "origin", "date"):
        getattr(out, name).extend(getattr(pairs, name)[i] for i in keep)
    return out


def _shape_text(path):
    """``"NY rows x NX columns"`` of a FITS map."""
    if path is None:
        return "smaller"
    import sunpy.map
    ny, nx = sunpy.map.Map(path).data.shape
    return f"{ny} rows x {nx} columns"


def _error_budget_table(targets, outputs):
    """One row per method and ``|B|`` band (`sunpy_sr.metrics.error_budget`), printable."""
    from astropy.table import vstack

    parts = []
    for name, outs in outputs.items():
        part = error_budget(targets, outs)
        part.add_column([name] * len(part), name="method", index=0)
        parts.append(part)
    table = vstack(parts)
    for col in ("pixel_fraction", "error_share"):
        table[col].info.format = ".3f"
    table["rmse"].info.format = ".1f"
    return table
