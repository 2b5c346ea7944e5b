"""
Figures of Rahman et al. (2020, ApJL 897, L32) for any set of super-resolution methods.

:func:`plot_comparison_panel`
    their Figure 2: LR input, HR target and each method's output on one gray
    scale of +-``vmax`` G, titled with the per-image PSNR and CC.
:func:`plot_scatter_figure`
    their Figures 3 and A1: per method, a 2D histogram of target vs output, the
    mean and standard deviation of the output in bins of the target, and a
    scatter plot with the line y = x (the rows are chosen by the caller).

Every magnetic-field colour bar of the package and of its gallery is labelled
`FIELD_LABEL` (a difference of two fields `DIFFERENCE_LABEL`).

Both draw on a `matplotlib.figure.Figure` made without `matplotlib.pyplot` (so
they work with any backend, Agg included, and leave no open pyplot figures)
unless you pass your own ``fig``, and return it; ``path`` saves it too.
The outputs typically come from ``sunpy_sr.evaluation.evaluate(..., return_outputs=True)``.
"""
import astropy.units as u
import numpy as np
import sunpy.map
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from sunpy_sr.core.units import gauss_values as _metric_data
from sunpy_sr.core.units import quantity_in_gauss
from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.metrics import MAX_FIELD, pearson_cc, psnr

__all__ = ["plot_comparison_panel", "plot_scatter_figure", "joint_figure_size", "FIELD_LABEL",
           "DIFFERENCE_LABEL", "HISTOGRAM_RANGE", "JOINT_ROWS"]

#: The symbol of the line-of-sight field, in Matplotlib's mathtext.
_FIELD_SYMBOL = r"B_\mathrm{LOS}"
#: Label of every colour bar of a LOS magnetic field, in gauss.
FIELD_LABEL = rf"${_FIELD_SYMBOL}$ [G]"
#: Label of every colour bar of a difference of two LOS fields, in gauss.
DIFFERENCE_LABEL = rf"$\Delta {_FIELD_SYMBOL}$ [G]"
#: Axis range of the joint histograms and scatter plots (Rahman et al. 2020, Figures 3 and A1).
HISTOGRAM_RANGE = 2000 * u.G
#: The rows `plot_scatter_figure` can draw, in its default order.
JOINT_ROWS = ("histogram", "errorbar", "scatter")


def _data(x):
    """Values in gauss (a Map or Quantity is converted from its unit; arrays are in gauss)."""
    return np.asarray(_metric_data(x), dtype=np.float64)


def _as_list(x):
    """A single 2D image (array or Map) -> [image]; a sequence of images -> list."""
    if isinstance(x, sunpy.map.GenericMap) or (isinstance(x, np.ndarray) and x.ndim == 2):
        return [x]
    return list(x)


def _finish(fig, path, dpi):
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


def plot_comparison_panel(lr, hr, outputs, *, crop_labels=None, vmax=500, cmap="gray",
                          max_value=MAX_FIELD, fig=None, panel_size=2.6, path=None, dpi=150):
    """
    Input, target and super-resolved magnetograms side by side (Rahman et al. 2020, Figure 2).

    Parameters
    ----------
    lr : array, `~sunpy.map.GenericMap` or list of them
        LR input image(s), field in G.
    hr : array, `~sunpy.map.GenericMap` or list of them
        HR target image(s), 4x the LR shape (or any integer factor).
    outputs : dict
        Method name -> SR image (or list of images, one per example), shape of ``hr``.
    crop_labels : list of str, optional
        Which crop each example is (e.g. ``"crop 3"``, its index in the evaluation's
        per-image values), written in every panel's title, so that a panel's PSNR and CC read
        as those of that crop; default ``"crop 0"``, ``"crop 1"``, ... in the order given.
    vmax : float
        The gray scale runs from ``-vmax`` to ``+vmax`` G (default 500 G).
    cmap : str
        Colour map (default ``"gray"``: black negative, white positive polarity).
    max_value : float
        PSNR peak in G (default 4000, as in `sunpy_sr.metrics.psnr`).
    fig : `~matplotlib.figure.Figure`, optional
        Draw on this figure (e.g. ``plt.figure()``) instead of a new one.
    panel_size : float
        Size of one panel in inches (for a new figure).
    path : path-like, optional
        Save the figure there (format from the extension).
    dpi : int
        Resolution for saving.

    Returns
    -------
    `~matplotlib.figure.Figure`
        For one example the panels form one row: input, target, then the methods
        in the order of ``outputs``. For several examples, as in the paper, each
        row is one kind (input, target, methods) and each column an example.
        Every panel is titled with its kind and its crop; an output panel also with
        that crop's PSNR (dB) and CC against the target. A shared colour bar is
        labelled `FIELD_LABEL`. The LR input
        is drawn with nearest-neighbour pixels over the same field of view as
        the target.

    References
    ----------
    Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from sunpy_sr.core.degradation import degrade_array
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.visualization import plot_comparison_panel
    >>> hr = hmi_active_region().data[:128, :128]                  # G
    >>> lr = degrade_array(hr)                                     # 32x32
    >>> fig = plot_comparison_panel(lr, hr, {"nearest": np.kron(lr, np.ones((4, 4)))}, fig=Figure())
    >>> len(fig.axes)                                              # input, target, nearest, colour bar
    4
    >>> print(fig.axes[2].get_title())                             # PSNR with MAX = 4000 G
    nearest, crop 0
    PSNR 51.95 dB, CC 0.829
    """
    lrs, hrs = [_data(x) for x in _as_list(lr)], [_data(x) for x in _as_list(hr)]
    outs = {name: [_data(x) for x in _as_list(v)] for name, v in outputs.items()}
    n = len(hrs)
    if len(lrs) != n or any(len(v) != n for v in outs.values()):
        raise SunpySRError("lr, hr and every entry of outputs must have the same number of images")
    crops = [f"crop {j}" for j in range(n)] if crop_labels is None else [str(c) for c in crop_labels]
    if len(crops) != n:
        raise SunpySRError(f"{len(crops)} crop labels for {n} images")
    kinds = ["Input (LR)", "Target (HR)"] + list(outs)
    one_row = n == 1
    nrows, ncols = (1, len(kinds)) if one_row else (len(kinds), n)
    if fig is None:
        fig = Figure(figsize=(panel_size * ncols + 0.8, panel_size * nrows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).reshape(nrows, ncols)
    style = dict(cmap=cmap, vmin=-vmax, vmax=vmax, origin="lower", interpolation="nearest")
    im = None
    for j in range(n):
        h, x = hrs[j], lrs[j]
        ny, nx = h.shape
        panels = [(kinds[0], x), (kinds[1], h)] + [(name, outs[name][j]) for name in outs]
        for k, (name, img) in enumerate(panels):
            ax = axes[0, k] if one_row else axes[k, j]
            # every image spans the HR field of view, pixel edges at -0.5 .. n - 0.5
            im = ax.imshow(img, extent=(-0.5, nx - 0.5, -0.5, ny - 0.5), **style)
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= 2:
                if img.shape != h.shape:
                    raise SunpySRError(f"{name}: output shape {img.shape} differs from target {h.shape}")
                title = (f"{name}, {crops[j]}\nPSNR {psnr(h, img, max_value=max_value):.2f} dB, "
                         f"CC {pearson_cc(h, img):.3f}")
            else:
                title = f"{name}, {crops[j]}\n{img.shape[1]}x{img.shape[0]} px"
            ax.set_title(title, fontsize="small")
            if not one_row and j == 0:
                ax.set_ylabel(name)
    cbar = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8 if one_row else 0.5)
    cbar.set_label(FIELD_LABEL)
    return _finish(fig, path, dpi)


def _pixels(targets, images, masks):
    """Target and image values (G) of the pixels compared: inside the mask, finite in both."""
    t = np.concatenate([_data(h).ravel() for h in targets])
    o = np.concatenate([_data(x).ravel() for x in images])
    if t.shape != o.shape:
        raise SunpySRError("targets and outputs have different numbers of pixels")
    keep = np.isfinite(t) & np.isfinite(o)
    if masks is not None:
        keep &= np.concatenate([np.asarray(m, dtype=bool).ravel() for m in masks])
    return t[keep], o[keep]


def _binned_mean(t, o, edges):
    """Bin centres, mean and standard deviation of ``o`` in the bins ``edges`` of ``t`` (full bins only)."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    idx = np.digitize(t, edges) - 1
    inside = (idx >= 0) & (idx < len(centres))
    n_bin = np.bincount(idx[inside], minlength=len(centres))
    s1 = np.bincount(idx[inside], weights=o[inside], minlength=len(centres))
    s2 = np.bincount(idx[inside], weights=o[inside] ** 2, minlength=len(centres))
    full = n_bin > 0
    mean = s1[full] / n_bin[full]
    return centres[full], mean, np.sqrt(np.clip(s2[full] / n_bin[full] - mean**2, 0, None))


def joint_figure_size(n_columns, n_rows, *, panel_size=2.4):
    """
    The size (inches) of a new figure of `plot_scatter_figure` with these many columns and rows.

    Each panel is ``panel_size`` inches square, with room (inches) for its two-line title and
    its axis labels, plus a colour bar on the right.

    Examples
    --------
    >>> from sunpy_sr.visualization import joint_figure_size
    >>> joint_figure_size(2, 3)
    (6.8, 9.6)
    """
    return (round((panel_size + 0.6) * n_columns + 0.8, 3), round((panel_size + 0.8) * n_rows, 3))


def plot_scatter_figure(targets, outputs, *, mask=None, target_label="Target", rows=JOINT_ROWS,
                        titles=None, field_range=HISTOGRAM_RANGE, bins=200, errorbar_bin=100,
                        n_scatter=20000, seed=0, fig=None, panel_size=2.4, path=None, dpi=150):
    """
    Output against target, pixel by pixel, per method (Rahman et al. 2020, Figures 3 and A1).

    The one joint-distribution figure of the package: the evaluation's Figure 3
    (`sunpy_sr.evaluation`, all three rows) and the Hinode NFI comparison's Figure A1
    (`sunpy_sr.compare.ComparisonResult.plot_histograms`: rows ``("histogram", "scatter")``
    against the calibrated reference, over the compared pixels).

    Parameters
    ----------
    targets : array, `~sunpy.map.GenericMap` or list of them
        The target (reference) image(s) on the horizontal axes; field in G for arrays.
    outputs : dict
        Column label (e.g. a method) -> image or list of images, one per target, same shapes.
    mask : array of bool or list of them, optional
        Pixels compared (one mask for every target, or one per target); pixels NaN in
        either image are always left out.
    target_label : str
        Name of the horizontal axes (default ``"Target"``).
    rows : sequence of str
        Rows, top to bottom, among `JOINT_ROWS`: ``"histogram"`` (2D histogram of the
        pixel pairs, logarithmic counts, one colour bar for the row), ``"errorbar"``
        (mean output in bins of the target, error bars of one standard deviation) and
        ``"scatter"`` (a random subset of the pixels).
    titles : dict, optional
        Column label -> heading of its panels (e.g. with its CC and SSIM); default the label.
    field_range : `~astropy.units.Quantity` or float
        Axes run from ``-field_range`` to ``+field_range`` (default 2000 G; a number is in G).
    bins : int
        Bins per axis of the 2D histogram.
    errorbar_bin : float
        Width (G) of the target bins of the error-bar row.
    n_scatter : int
        Pixels drawn at random (without replacement) for the scatter row, the same
        pixels in every column where the columns compare the same pixels.
    seed : int
        Seed of that random choice.
    fig : `~matplotlib.figure.Figure` or `~matplotlib.figure.SubFigure`, optional
        Draw there instead of on a new figure (of size `joint_figure_size`).
    panel_size : float
        Size of one panel in inches (for a new figure).
    path : path-like, optional
        Save the figure there.
    dpi : int
        Resolution for saving.

    Returns
    -------
    `~matplotlib.figure.Figure` or `~matplotlib.figure.SubFigure`
        One column per entry of ``outputs`` (in order) and one row per entry of
        ``rows``. Every panel is square, titled with its column's heading and what
        its row shows, shows the line y = x and has both axes labelled in G, with
        three ticks per axis (``-field_range/2``, 0, ``+field_range/2``).

    References
    ----------
    Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from sunpy_sr.core.degradation import degrade_array
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.visualization import plot_scatter_figure
    >>> hr = hmi_active_region().data[:128, :128]                  # G
    >>> nearest = np.kron(degrade_array(hr), np.ones((4, 4)))      # a 4x pixel replication
    >>> fig = plot_scatter_figure([hr], {"nearest": [nearest]}, fig=Figure())
    >>> len(fig.axes)                       # histogram, error bars, scatter, the histograms' colour bar
    4
    >>> ax = fig.axes[0]
    >>> ax.get_title(), ax.get_xlabel(), ax.get_ylabel()
    ('nearest\\n2D histogram', 'Target [G]', 'nearest [G]')
    >>> [float(t) for t in ax.get_xticks()]
    [-1000.0, 0.0, 1000.0]
    """
    targets = _as_list(targets)
    names = list(outputs)
    if not names:
        raise SunpySRError("outputs is empty")
    rows = tuple(rows)
    unknown = [r for r in rows if r not in JOINT_ROWS]
    if unknown or not rows:
        raise SunpySRError(f"rows must be a non-empty sequence of {JOINT_ROWS}, got {rows}")
    masks = None if mask is None else (_as_list(mask) if not isinstance(mask, np.ndarray) or mask.ndim == 2
                                       else list(mask))
    if masks is not None and len(masks) == 1 < len(targets):
        masks = masks * len(targets)
    if masks is not None and len(masks) != len(targets):
        raise SunpySRError(f"{len(masks)} masks for {len(targets)} targets")
    titles = dict(titles or {})
    if fig is None:
        fig = Figure(figsize=joint_figure_size(len(names), len(rows), panel_size=panel_size),
                     layout="constrained")
    axes = fig.subplots(len(rows), len(names), squeeze=False)
    half = quantity_in_gauss(field_range, name="field_range")
    lim = (-half, half)
    ticks = [-half / 2, 0.0, half / 2]
    edges = np.arange(-half, half + errorbar_bin / 2, errorbar_bin)
    pixels = {}
    for name in names:
        images = _as_list(outputs[name])
        if len(images) != len(targets):
            raise SunpySRError(f"{name}: {len(images)} outputs for {len(targets)} targets")
        pixels[name] = _pixels(targets, images, masks)
    counts = {name: np.histogram2d(*pixels[name], bins=bins, range=(lim, lim))[0] for name in names}
    norm = LogNorm(vmin=1, vmax=max(2, *(c.max() for c in counts.values())))
    image = None
    for c, name in enumerate(names):
        t, o = pixels[name]
        head = titles.get(name, name)
        for r, row in enumerate(rows):
            ax = axes[r, c]
            if row == "histogram":
                image = ax.imshow(np.ma.masked_equal(counts[name].T, 0), origin="lower", extent=lim + lim,
                                  norm=norm, cmap="viridis", aspect="auto", interpolation="nearest")
                what = "2D histogram"
            elif row == "errorbar":
                ax.errorbar(*_binned_mean(t, o, edges), fmt="o", ms=2, capsize=1.5, lw=0.8, color="C0")
                what = f"mean, std in {errorbar_bin:g} G bins"
            else:
                pick = np.random.default_rng(seed).choice(len(t), size=min(n_scatter, len(t)), replace=False)
                ax.scatter(t[pick], o[pick], s=1, alpha=0.3, lw=0, color="k", rasterized=True)
                what = f"{len(pick)} random pixels"
            ax.plot(lim, lim, color="r", lw=0.8)
            ax.set(xlim=lim, ylim=lim, xticks=ticks, yticks=ticks, box_aspect=1)
            ax.set_xlabel(f"{target_label} [G]", fontsize="small")
            ax.set_ylabel(f"{name} [G]", fontsize="small")
            ax.set_title(f"{head}\n{what}", fontsize="small")
            ax.tick_params(labelsize="x-small")
    if image is not None:
        hist_axes = axes[rows.index("histogram"), :].tolist()
        fig.colorbar(image, ax=hist_axes, shrink=0.8, label="pixels per bin")
    return _finish(fig, path, dpi)
