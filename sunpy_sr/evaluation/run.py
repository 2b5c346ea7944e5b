"""
``sunpy-sr evaluate``: the paper's Table 1 and Figures 2-3 for several methods on held-out data.

Builds HR/LR pairs with `sunpy_sr.core.pairs.make_pairs` (the same recipe as
training), runs every method, prints the table (`sunpy_sr.evaluation.evaluate`)
and writes ``table.ecsv``, ``figure3.png`` (2D histograms, error bars, scatter)
``figure2.png`` (input, target and each method on a few crops) and
``error_budget.ecsv`` (each method's squared error split by ``|B|`` band).
"""
from pathlib import Path

import numpy as np

from sunpy_sr.evaluation.table import evaluate
from sunpy_sr.metrics import error_budget
from sunpy_sr.core.pairs import PairRecipe, find_magnetograms, make_pairs
from sunpy_sr.visualization import plot_comparison_panel, plot_scatter_figure

__all__ = ["run_evaluation"]


def run_evaluation(data, methods, *, out_dir="evaluation", max_distance=500.0, size=512, stride=512,
                   n_panel=3, progress=True, cache_dir=None, **method_options):
    """
    Evaluate ``methods`` on the magnetograms in ``data`` and write table and figures.

    Parameters
    ----------
    data : path-like
        A FITS file, or a folder searched for ``*magnetogram*.fits``.
    methods : list of str
        Registered method names.
    out_dir : path-like
        Receives ``table.ecsv``, ``figure2.png`` and ``figure3.png``.
    max_distance : float
        Crops lie within ``|x|, |y| <= max_distance`` arcsec of disk centre (full-disk maps).
    size, stride : int
        HR crop size and stride (pixels).
    n_panel : int
        Crops shown in Figure 2 (those with the strongest field).

    Returns
    -------
    table : `~astropy.table.QTable`
        The metrics table of `sunpy_sr.metrics.evaluate`.
    """
    data = Path(data)
    files = [data] if data.is_file() else find_magnetograms(data)
    if not files:
        raise ValueError(f"no magnetogram FITS file found in {data}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    recipe = PairRecipe(size=size, stride=stride, max_distance=max_distance)
    pairs = make_pairs(files, recipe, cache_dir or out_dir / "cache", progress)
    if not len(pairs):
        raise ValueError("no crop satisfies the recipe (try a smaller --size or larger --max-distance)")
    table, outputs = evaluate(pairs, methods=tuple(methods), progress=progress, return_outputs=True,
                              **method_options)
    table.write(out_dir / "table.ecsv", overwrite=True)
    print(f"{len(pairs)} crops of {size}x{size} px from {len(files)} file(s)")
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
