"""
``sunpy-sr evaluate``: the paper's Table 1 and Figures 2-3 for several methods on held-out data.

Builds HR/LR pairs with `sunpy_sr.core.pairs.make_pairs` (the same recipe as
training), runs every method, prints the table (`sunpy_sr.evaluation.evaluate`)
and writes ``table.ecsv``, ``figure3.png`` (2D histograms, error bars, scatter)
``figure2.png`` (input, target and each method on a few crops) and
``error_budget.ecsv`` (each method's squared error split by ``|B|`` band).
"""
import warnings
from pathlib import Path

import numpy as np

from sunpy_sr.core.pairs import PairRecipe, PairSet, find_magnetograms, make_pairs
from sunpy_sr.evaluation.table import evaluate
from sunpy_sr.exceptions import SunpySRError, SunpySRUserWarning
from sunpy_sr.metrics import error_budget
from sunpy_sr.visualization import plot_comparison_panel, plot_scatter_figure

__all__ = ["run_evaluation"]


def run_evaluation(data, methods, *, out_dir="evaluation", max_distance=500.0, size=512, stride=512,
                   n_panel=3, progress=True, cache_dir=None, uncertainty=False, **method_options):
    """
    Evaluate ``methods`` on the magnetograms in ``data`` and write table and figures.

    Parameters
    ----------
    data : path-like
        A FITS file, or a folder searched for ``*magnetogram*.fits``.
    methods : list of str
        Registered method names.
    out_dir : path-like
        Receives ``table.ecsv``, ``error_budget.ecsv``, ``figure2.png``, ``figure3.png``
        and the pair cache (``cache/``, unless ``cache_dir``).
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
    ['cache', 'error_budget.ecsv', 'figure2.png', 'figure3.png', 'table.ecsv']
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
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs = _exact_size(make_pairs(files, recipe, cache_dir or out_dir / "cache", progress), size, files)
    if not len(pairs):
        raise SunpySRError("no crop satisfies the recipe (try a smaller --size or larger --max-distance)")
    table, outputs = evaluate(pairs, methods=tuple(methods), progress=progress, return_outputs=True,
                              uncertainty=uncertainty, **method_options)
    table.write(out_dir / "table.ecsv", overwrite=True)
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
    plot_comparison_panel([pairs.lr[i] for i in order], [pairs.hr[i] for i in order],
                          {m: [outputs[m][i] for i in order] for m in outputs},
                          path=out_dir / "figure2.png")
    return table


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
    warnings.warn(f"refused {len(refused)} map(s) {message}", SunpySRUserWarning, stacklevel=3)
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
