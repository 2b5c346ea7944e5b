"""
Figures of Rahman et al. (2020, ApJL 897, L32) for any set of super-resolution methods.

:func:`plot_comparison_panel`
    their Figure 2: LR input, HR target and each method's output on one gray
    scale of +-``vmax`` G, titled with the per-image PSNR and CC.
:func:`plot_scatter_figure`
    their Figure 3: per method, a 2D histogram of target vs output, the mean
    and standard deviation of the output in bins of the target, and a scatter
    plot with the line y = x.

Both draw on a `matplotlib.figure.Figure` made without `matplotlib.pyplot` (so
they work with any backend, Agg included, and leave no open pyplot figures)
unless you pass your own ``fig``, and return it; ``path`` saves it too.
The outputs typically come from ``sunpy_sr.evaluation.evaluate(..., return_outputs=True)``.
"""
import numpy as np
import sunpy.map
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from sunpy_sr.core.units import gauss_values as _metric_data
from sunpy_sr.metrics import MAX_FIELD, pearson_cc, psnr

__all__ = ["plot_comparison_panel", "plot_scatter_figure"]

#: Label of a LOS field axis or colour bar.
FIELD_LABEL = r"$B_\mathrm{LOS}$ (G)"


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


def plot_comparison_panel(lr, hr, outputs, *, vmax=500, cmap="gray", max_value=MAX_FIELD,
                          fig=None, panel_size=2.6, path=None, dpi=150):
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
        Every output panel is titled with its method and its PSNR (dB) and CC
        against the target; a shared colour bar is labelled in G. The LR input
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
    nearest
    PSNR 51.95 dB, CC 0.829
    """
    lrs, hrs = [_data(x) for x in _as_list(lr)], [_data(x) for x in _as_list(hr)]
    outs = {name: [_data(x) for x in _as_list(v)] for name, v in outputs.items()}
    n = len(hrs)
    if len(lrs) != n or any(len(v) != n for v in outs.values()):
        raise ValueError("lr, hr and every entry of outputs must have the same number of images")
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
                    raise ValueError(f"{name}: output shape {img.shape} differs from target {h.shape}")
                title = (f"{name}\nPSNR {psnr(h, img, max_value=max_value):.2f} dB, "
                         f"CC {pearson_cc(h, img):.3f}")
            else:
                title = f"{name}\n{img.shape[1]}x{img.shape[0]} px"
            ax.set_title(title, fontsize="small")
            if not one_row and j == 0:
                ax.set_ylabel(name)
    cbar = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8 if one_row else 0.5)
    cbar.set_label(FIELD_LABEL)
    return _finish(fig, path, dpi)


def _pixels(hr_list, out_list):
    t = np.concatenate([_data(h).ravel() for h in hr_list])
    o = np.concatenate([_data(x).ravel() for x in out_list])
    if t.shape != o.shape:
        raise ValueError("targets and outputs have different numbers of pixels")
    valid = np.isfinite(t) & np.isfinite(o)
    return t[valid], o[valid]


def plot_scatter_figure(hr_list, outputs, *, field_range=2000, bins=200, errorbar_bin=100,
                        n_scatter=20000, seed=0, fig=None, panel_size=3.2, path=None, dpi=150):
    """
    Target vs output distributions per method (Rahman et al. 2020, Figure 3).

    Parameters
    ----------
    hr_list : list of arrays or Maps
        HR target images (G).
    outputs : dict
        Method name -> list of SR images, one per target (e.g. the ``outputs`` of
        ``sunpy_sr.evaluation.evaluate(..., return_outputs=True)``).
    field_range : float
        Axes run from ``-field_range`` to ``+field_range`` G (default 2000 G).
    bins : int
        Bins per axis of the 2D histogram.
    errorbar_bin : float
        Width (G) of the target bins of the error-bar plot.
    n_scatter : int
        Pixels drawn at random (without replacement) for the scatter plot.
    seed : int
        Seed of that random choice.
    fig : `~matplotlib.figure.Figure`, optional
        Draw on this figure instead of a new one.
    panel_size : float
        Size of one panel in inches (for a new figure).
    path : path-like, optional
        Save the figure there.
    dpi : int
        Resolution for saving.

    Returns
    -------
    `~matplotlib.figure.Figure`
        One column per method (order of ``outputs``) and three rows: the 2D
        histogram of (target, output) pixel pairs with logarithmic counts; the
        mean output in bins of the target with error bars of one standard
        deviation; a scatter plot of a random subset of pixels. Every panel
        shows the line y = x and has both axes labelled in G. Pixels NaN in
        either image are left out.

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
    >>> len(fig.axes)                       # histogram, error bars, scatter, the histogram's colour bar
    4
    >>> ax = fig.axes[0]
    >>> ax.get_title(), ax.get_xlabel(), ax.get_ylabel()
    ('nearest', 'Target (G)', 'nearest (G)')
    """
    hrs = _as_list(hr_list)
    names = list(outputs)
    if not names:
        raise ValueError("outputs is empty")
    if fig is None:
        fig = Figure(figsize=(panel_size * len(names) + 0.8, panel_size * 3), layout="constrained")
    axes = fig.subplots(3, len(names), squeeze=False)
    lim = (-field_range, field_range)
    edges = np.arange(-field_range, field_range + errorbar_bin / 2, errorbar_bin)
    centres = 0.5 * (edges[1:] + edges[:-1])
    rng = np.random.default_rng(seed)
    for c, name in enumerate(names):
        outs = _as_list(outputs[name])
        if len(outs) != len(hrs):
            raise ValueError(f"{name}: {len(outs)} outputs for {len(hrs)} targets")
        t, o = _pixels(hrs, outs)
        ax_h, ax_e, ax_s = axes[:, c]
        counts, _, _ = np.histogram2d(t, o, bins=bins, range=(lim, lim))
        im = ax_h.imshow(np.ma.masked_equal(counts.T, 0), origin="lower", extent=lim + lim,
                         norm=LogNorm(vmin=1, vmax=max(counts.max(), 2)), cmap="viridis",
                         aspect="auto", interpolation="nearest")
        fig.colorbar(im, ax=ax_h, label="pixels")
        ax_h.set_title(name)
        idx = np.digitize(t, edges) - 1
        inside = (idx >= 0) & (idx < len(centres))
        n_bin = np.bincount(idx[inside], minlength=len(centres))
        s1 = np.bincount(idx[inside], weights=o[inside], minlength=len(centres))
        s2 = np.bincount(idx[inside], weights=o[inside] ** 2, minlength=len(centres))
        full = n_bin > 0
        mean = s1[full] / n_bin[full]
        std = np.sqrt(np.clip(s2[full] / n_bin[full] - mean**2, 0, None))
        ax_e.errorbar(centres[full], mean, yerr=std, fmt="o", ms=2.5, capsize=1.5, lw=0.8)
        pick = rng.choice(len(t), size=min(n_scatter, len(t)), replace=False)
        ax_s.scatter(t[pick], o[pick], s=1, alpha=0.3, lw=0, rasterized=True)
        for ax in (ax_h, ax_e, ax_s):
            ax.plot(lim, lim, color="0.4", lw=0.8, ls="--")
            ax.set_xlim(lim)
            ax.set_ylim(lim)
            ax.set_xlabel("Target (G)")
            ax.set_ylabel(f"{name} (G)")
    return _finish(fig, path, dpi)
