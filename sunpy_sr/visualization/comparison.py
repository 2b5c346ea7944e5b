"""
Figures of a comparison with a reference magnetogram (`sunpy_sr.compare.compare_maps`).

:func:`plot_map_panels`
    Figure 4 of Rahman et al. (2020): maps side by side on one gray scale.
:func:`map_panels_size`
    The size of a new figure of :func:`plot_map_panels`.
:func:`plot_difference_map`
    A map minus the calibrated reference, over the compared pixels.

Every function draws on a `matplotlib.figure.Figure` it makes without
`matplotlib.pyplot` (no global state, any backend), or on the figure or
subfigure passed as ``fig``, and returns it. Fields are drawn in gauss whatever
the maps' unit (`sunpy_sr.core.units`); map axes are labelled with their
physical coordinates (:func:`label_wcs_axes`). Figure A1 (2D histograms and scatter
plots against the calibrated reference) is `sunpy_sr.visualization.plot_scatter_figure`,
the same figure as the evaluation's Figure 3.

References
----------
Rahman, S., Moon, Y.-J., Park, E., et al. 2020, ApJL 897, L32, Figures 4 and A1,
doi:10.3847/2041-8213/ab9d79
"""
import astropy.units as u
import numpy as np
from matplotlib.figure import Figure
from sunpy.visualization import axis_labels_from_ctype

from sunpy_sr.core.units import quantity_in_gauss, to_gauss
from sunpy_sr.visualization.figures import DIFFERENCE_LABEL, FIELD_LABEL

__all__ = ["DISPLAY_RANGE", "axis_label", "label_wcs_axes", "map_panels_size", "plot_map_panels",
           "plot_difference_map"]

#: Display range of the maps in Figure 4 of Rahman et al. (2020).
DISPLAY_RANGE = 500 * u.G

# sunpy names both heliographic latitudes just "Latitude": say which frame.
_LATITUDES = {"CRLT": "Carrington Latitude", "HGLT": "Heliographic Latitude"}
# Short names, for the small panels of a multi-panel figure.
_SHORT = {"HPLN": "Solar-X", "HPLT": "Solar-Y"}


def axis_label(ctype, unit, *, short=False):
    """
    A readable label of a world axis, with its unit.

    `sunpy.visualization.axis_labels_from_ctype`, with the frame of a
    heliographic latitude: e.g. "Helioprojective Longitude (Solar-X) [arcsec]",
    "Carrington Latitude [deg]"; with ``short``, "Solar-X [arcsec]" (the
    heliographic labels are short already).
    """
    key = ctype[:4].upper()
    label = _SHORT.get(key) if short else None
    label = label or _LATITUDES.get(key) or axis_labels_from_ctype(ctype, None)
    return f"{label} [{u.Unit(unit).to_string()}]"


def label_wcs_axes(ax, smap, *, short=False, fontsize=8, ticksize=7):
    """
    Label the two world axes of a `~astropy.visualization.wcsaxes.WCSAxes` showing ``smap``.

    Axis labels name the coordinate and its unit (helioprojective Solar-X/Solar-Y
    in arcsec, Carrington or Stonyhurst longitude and latitude in degrees for a
    CEA map; see `axis_label`); tick labels are plain decimal numbers in that unit.
    """
    for coord, ctype, unit in zip(ax.coords, smap.coordinate_system, smap.spatial_units):
        coord.set_format_unit(unit, decimal=True, show_decimal_unit=False)
        coord.set_axislabel(axis_label(ctype, unit, short=short), fontsize=fontsize, minpad=0.4)
        coord.set_ticklabel(size=ticksize)
    return ax


def _new_figure(fig, figsize):
    return Figure(figsize=figsize, layout="constrained") if fig is None else fig


def _map_grid(panels):
    """Rows and columns of the panels: wide maps (e.g. NFI's 2:1 field) two per row, others in one row."""
    ny, nx = panels[-1][1].data.shape
    n = len(panels)
    ncols = (2 if n > 2 else 1) if nx > 1.3 * ny else n
    return -(-n // ncols), ncols, ny / nx


def map_panels_size(panels):
    """
    The size (inches) of a new figure of `plot_map_panels` for these panels.

    Each map is 3.4 in wide, with room around it (inches) for its title, tick labels and
    axis labels, and a colour bar on the right; the height follows the maps' aspect, so
    that a constrained layout leaves no empty band between the rows.
    """
    nrows, ncols, aspect = _map_grid(panels)
    return ncols * 4.1 + 1.0, nrows * (3.4 * aspect + 0.8) + 0.2


def plot_map_panels(panels, *, fig=None, vmax=DISPLAY_RANGE, cmap="gray"):
    """
    Maps side by side on one gray scale (Rahman et al. 2020, Figure 4).

    Parameters
    ----------
    panels : list of (str, `~sunpy.map.GenericMap`)
        Title and map of each panel (e.g. input, calibrated reference, SR, baseline).
    fig : `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`, optional
        Where to draw (a new figure if None).
    vmax : `~astropy.units.Quantity`
        Display range ``+-vmax`` (default 500 G, as in the paper); a number is in G.
    cmap : str
        Colormap (default gray, as in the paper).

    Returns
    -------
    `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`
        One panel per map (two per row if the maps are wide, else all in one
        row, as in the paper), every panel titled, and a colour bar labelled
        `~sunpy_sr.visualization.FIELD_LABEL`.
    """
    nrows, ncols, _ = _map_grid(panels)
    fig = _new_figure(fig, map_panels_size(panels))
    v = quantity_in_gauss(vmax, name="vmax")
    im = None
    for i, (title, smap) in enumerate(panels):
        ax = fig.add_subplot(nrows, ncols, i + 1, projection=smap)
        im = ax.imshow(to_gauss(smap, assume_magnetogram=True), origin="lower", cmap=cmap, vmin=-v,
                       vmax=v, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        label_wcs_axes(ax, smap, short=True, fontsize=7, ticksize=6)
    fig.colorbar(im, ax=fig.axes, shrink=0.6, label=FIELD_LABEL)
    return fig


def plot_difference_map(smap, reference, mask, *, title=None, fig=None, vmax=DISPLAY_RANGE, cmap="RdBu_r"):
    """
    ``smap - reference`` (gauss) over the compared pixels, on the grid of ``smap``.

    Parameters
    ----------
    smap, reference : `~sunpy.map.GenericMap`
        Two maps on the same grid (e.g. the SR map and the calibrated reference).
    mask : `numpy.ndarray` of bool
        Pixels shown (the others are blank).
    title : str, optional
        Axes title.
    fig : `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`, optional
        Where to draw (a new figure if None).
    vmax : `~astropy.units.Quantity`
        Colour range ``+-vmax`` (default 500 G); a number is in G.
    cmap : str
        A diverging colormap.

    Returns
    -------
    `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`
    """
    ny, nx = smap.data.shape
    fig = _new_figure(fig, (8, 8 * ny / nx + 1.2))
    diff = np.where(mask, to_gauss(smap, dtype=np.float64) - to_gauss(reference, dtype=np.float64), np.nan)
    v = quantity_in_gauss(vmax, name="vmax")
    ax = fig.add_subplot(projection=smap)
    im = ax.imshow(diff, origin="lower", cmap=cmap, vmin=-v, vmax=v, interpolation="nearest")
    if title:
        ax.set_title(title, fontsize=10)
    label_wcs_axes(ax, smap)
    fig.colorbar(im, ax=ax, shrink=0.8, label=DIFFERENCE_LABEL)
    return fig
