"""
What `~sunpy_sr.compare.compare_maps` returns: the metrics and the maps of a comparison.

The figures are drawn by `sunpy_sr.visualization.comparison`; the methods of
`ComparisonResult` choose the panels and titles.
"""
import copy
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
import sunpy.map
from astropy.time import Time
from astropy.visualization import ImageNormalize

from sunpy_sr.compare.calibrate import PolynomialCalibration
from sunpy_sr.core.header import add_provenance
from sunpy_sr.core.units import from_gauss
from sunpy_sr.metrics import METRICS
from sunpy_sr.visualization.comparison import DISPLAY_RANGE
from sunpy_sr.visualization.figures import HISTOGRAM_RANGE

__all__ = ["MetricSet", "ComparisonResult", "DISPLAY_RANGE", "HISTOGRAM_RANGE"]

#: Metrics of `sunpy_sr.metrics.METRICS` in a `MetricSet`, in the order of its fields.
_COMPARE_METRICS = ("cc", "psnr", "rmse", "ssim")


@dataclass(frozen=True)
class MetricSet:
    """
    Image-quality metrics of one map against the calibrated reference.

    Attributes
    ----------
    cc : float
        Pearson correlation coefficient.
    psnr : float
        Peak signal-to-noise ratio in dB with a peak of 4000 G.
    rmse : `~astropy.units.Quantity`
        Root-mean-square difference, in gauss.
    ssim : float
        Structural similarity with a data range of 4000 G.
    n_pixels : int
        Number of pixels compared (the common footprint).
    """
    cc: float
    psnr: float
    rmse: u.Quantity
    ssim: float
    n_pixels: int

    @classmethod
    def from_fields(cls, reference, output, mask):
        """
        The metrics of ``output`` against ``reference`` (arrays in gauss) over ``mask``.

        CC, PSNR (peak `sunpy_sr.metrics.MAX_FIELD` = 4000 G), RMSE and SSIM
        (data range 4000 G), as in Rahman et al. (2020, Table 1).
        """
        t = np.where(mask, reference, np.nan)
        o = np.where(mask, output, np.nan)
        values = {k: METRICS[k].function(t, o) for k in _COMPARE_METRICS}
        values["rmse"] = values["rmse"] * METRICS["rmse"].unit
        return cls(**values, n_pixels=int(mask.sum()))

    def as_dict(self):
        """The metrics as a plain dict (RMSE in G as a float)."""
        out = {k: getattr(self, k) for k in _COMPARE_METRICS}
        out["rmse"] = self.rmse.to_value(METRICS["rmse"].unit)
        out["n_pixels"] = self.n_pixels
        return out


def reference_maps(meta, field_g, signal_values, signal_unit, unit, calibration):
    """
    The calibrated reference (in ``unit``, the SR map's) and the raw one (in ``signal_unit``) as Maps.

    ``meta`` is the header of the reprojected reference
    (`~sunpy_sr.compare.reference.result_header`); the calibrated map's
    records the calibration (``HISTORY``, ``SRCAL``, ``SRCALC0`` ..., ``SRCALRES``).
    """
    raw_meta = copy.deepcopy(meta)
    raw_meta["bunit"] = signal_unit.to_string("fits") if signal_unit != u.DN else "DN"
    cal_meta = copy.deepcopy(meta)
    cal_meta["bunit"] = unit.to_string("fits")
    if calibration is not None:
        keys = {f"srcalc{k}": float(c.value) for k, c in enumerate(calibration.coefficients)}
        add_provenance(cal_meta, history=f"sunpy_sr: calibrated to the SR map: {calibration}",
                       srcal=f"poly{calibration.degree}",
                       srcalres=float(calibration.residual.to_value(unit)), **keys)
    v = DISPLAY_RANGE.to_value(unit)
    calibrated = sunpy.map.GenericMap._new_instance(
        from_gauss(field_g, unit).astype(np.float32), cal_meta,
        plot_settings={"cmap": "gray", "norm": ImageNormalize(vmin=-v, vmax=v)})
    raw = sunpy.map.GenericMap._new_instance(signal_values.astype(np.float32), raw_meta,
                                             plot_settings={"cmap": "gray"})
    return calibrated, raw


@dataclass
class ComparisonResult:
    """
    The result of `~sunpy_sr.compare.compare_maps`.

    Attributes
    ----------
    reference : `~sunpy.map.GenericMap`
        The reference reprojected onto the (cropped) SR grid and calibrated, in
        the SR map's unit (``BUNIT``); NaN outside the reference footprint. Its
        header describes the SR grid (and time) and records the provenance
        (``HISTORY``, ``SRCAL*``, ``SRSHFT*``, ``SRDT``, ``DATE_REF``).
    reference_raw : `~sunpy.map.GenericMap`
        The same before calibration, in the reference's own unit (DN for level-0 NFI).
    sr_map : `~sunpy.map.GenericMap`
        The SR map, cropped to the reference footprint (if ``crop=True``).
    baseline_map : `~sunpy.map.GenericMap` or None
        The baseline (e.g. bicubic) map, cropped like ``sr_map``.
    input_map : `~sunpy.map.GenericMap` or None
        The low-resolution input, cropped to the same field (for display only).
    calibration : `~sunpy_sr.compare.PolynomialCalibration` or None
        The fitted polynomial, in the SR map's unit (None if no calibration was made).
    shift : `~astropy.units.Quantity`
        The correction (arcsec, along the reference's two world axes, e.g.
        Solar-X and Solar-Y) added to the reference pointing; zero if alignment
        was not requested.
    shift_pixels : `~astropy.units.Quantity`
        The same as a shift ``(x, y)`` of the reprojected reference on the SR grid (pix).
    metrics : `MetricSet`
        Metrics of the SR map.
    baseline_metrics : `MetricSet` or None
        Metrics of the baseline map.
    mask : `numpy.ndarray`
        Boolean mask (shape of ``sr_map``) of the pixels compared: reference
        footprint (eroded by ``edge`` pixels) and finite SR and baseline pixels,
        and the user's mask.
    time_difference : `~astropy.units.Quantity`
        Reference time minus SR time (h).
    differentially_rotated : bool
        Whether the reference was rotated to the SR map's time.
    notes : list of str
        What was assumed or changed on the way (observer, solar radius, units ...).
    sr_label, baseline_label, reference_label : str
        Labels used in plots and summaries.
    """
    reference: sunpy.map.GenericMap
    reference_raw: sunpy.map.GenericMap
    sr_map: sunpy.map.GenericMap
    calibration: PolynomialCalibration
    shift: u.Quantity
    shift_pixels: u.Quantity
    metrics: MetricSet
    mask: np.ndarray
    time_difference: u.Quantity
    differentially_rotated: bool = False
    baseline_map: sunpy.map.GenericMap = None
    baseline_metrics: MetricSet = None
    input_map: sunpy.map.GenericMap = None
    notes: list = field(default_factory=list)
    sr_label: str = "SR"
    baseline_label: str = "bicubic"
    reference_label: str = "reference"

    def summary(self):
        """A multi-line text summary (metrics, calibration, shift, time difference)."""
        lines = [f"{self.reference_label} vs {self.sr_label}"
                 + (f" and {self.baseline_label}" if self.baseline_metrics else "")
                 + f" on {self.mask.sum()} pixels; time difference "
                 f"{self.time_difference.to(u.h):.2f}"
                 + (" (differentially rotated)" if self.differentially_rotated else ""),
                 f"{'map':<12}{'CC':>8}{'PSNR/' + str(METRICS['psnr'].unit):>10}"
                 f"{'RMSE/' + str(METRICS['rmse'].unit):>10}{'SSIM':>8}"]
        rows = [(self.sr_label, self.metrics)]
        if self.baseline_metrics is not None:
            rows.append((self.baseline_label, self.baseline_metrics))
        for name, m in rows:
            lines.append(f"{name:<12}{m.cc:8.4f}{m.psnr:10.2f}{m.rmse.to_value(u.G):10.2f}"
                         f"{m.ssim:8.4f}")
        if self.calibration is not None:
            lines.append(f"calibration: {self.calibration}")
        lines.append(f"shift: ({self.shift[0]:.3f}, {self.shift[1]:.3f}) = "
                     f"({self.shift_pixels[0]:.2f}, {self.shift_pixels[1]:.2f}) on the SR grid")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self):
        return self.summary()

    # ----------------------------------------------------------------- plotting
    def _title(self, title, smap):
        # the reference is drawn on the SR grid (and time); show when it was observed
        when = (Time(smap.meta["date_ref"]) if smap is self.reference and "date_ref" in smap.meta
                else smap.date)
        return f"{title}  {when.strftime('%Y-%m-%d %H:%M')}"

    def plot_maps(self, fig=None, *, vmax=DISPLAY_RANGE, cmap="gray"):
        """
        Figure 4 of Rahman et al. (2020): input, reference, SR and baseline maps.

        Drawn by `sunpy_sr.visualization.comparison.plot_map_panels`, in gauss,
        with the axes labelled in the maps' coordinates (e.g. Solar-X and
        Solar-Y in arcsec, Carrington longitude and latitude in degrees).

        Parameters
        ----------
        fig : `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`, optional
            Where to draw (a new `~matplotlib.figure.Figure` if None).
        vmax : `~astropy.units.Quantity`
            Display range ``+-vmax`` (default 500 G, as in the paper).
        cmap : str
            Colormap (default gray, as in the paper).

        Returns
        -------
        `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`
        """
        from sunpy_sr.visualization.comparison import plot_map_panels
        return plot_map_panels(self._map_panels(), fig=fig, vmax=vmax, cmap=cmap)

    def _map_panels(self):
        """The titled maps of :meth:`plot_maps`: input, calibrated reference, SR and baseline."""
        panels = [("input", self.input_map)] if self.input_map is not None else []
        panels += [(f"{self.reference_label} (calibrated)", self.reference), (self.sr_label, self.sr_map)]
        if self.baseline_map is not None:
            panels.append((self.baseline_label, self.baseline_map))
        return [(self._title(t, m), m) for t, m in panels]

    def plot_histograms(self, fig=None, *, lim=HISTOGRAM_RANGE, bins=200, max_points=20000,
                        seed=0):
        """
        Figure A1 of Rahman et al. (2020): 2D histograms (top) and scatter plots (bottom).

        Reference (calibrated) field on the horizontal axis, SR (left) and
        baseline (right) on the vertical axis, over the common mask; drawn by
        `sunpy_sr.visualization.plot_scatter_figure` (rows ``("histogram", "scatter")``),
        the figure of the evaluation's Figure 3, each column headed with its CC and SSIM.

        Parameters
        ----------
        fig : `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`, optional
            Where to draw (a new `~matplotlib.figure.Figure` if None).
        lim : `~astropy.units.Quantity`
            Axis range ``+-lim`` (default 2000 G).
        bins : int
            Number of histogram bins per axis.
        max_points : int
            Number of randomly chosen pixels in the scatter plots.
        seed : int
            Seed of that choice.

        Returns
        -------
        `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`
        """
        from sunpy_sr.visualization.figures import plot_scatter_figure
        columns, titles = self._histogram_columns()
        return plot_scatter_figure(self.reference, columns, mask=self.mask, target_label=self.reference_label,
                                   rows=self._HISTOGRAM_ROWS, titles=titles, field_range=lim, bins=bins,
                                   n_scatter=max_points, seed=seed, fig=fig)

    #: The rows of Figure A1 of Rahman et al. (2020).
    _HISTOGRAM_ROWS = ("histogram", "scatter")

    def _histogram_columns(self):
        """The maps of the columns of :meth:`plot_histograms` and their headings (with CC and SSIM)."""
        columns, titles = {self.sr_label: self.sr_map}, {}
        if self.baseline_map is not None:
            columns[self.baseline_label] = self.baseline_map
        for label, m in zip(columns, (self.metrics, self.baseline_metrics)):
            titles[label] = f"{label}: CC={m.cc:.3f}, SSIM={m.ssim:.3f}"
        return columns, titles

    def plot_difference(self, fig=None, *, baseline=False, vmax=DISPLAY_RANGE, cmap="RdBu_r"):
        """
        The SR (or baseline) map minus the calibrated reference, over the compared pixels.

        Parameters
        ----------
        fig : `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`, optional
            Where to draw (a new `~matplotlib.figure.Figure` if None).
        baseline : bool
            Show the baseline's difference instead of the SR map's.
        vmax : `~astropy.units.Quantity`
            Colour range ``+-vmax`` (default 500 G).
        cmap : str
            A diverging colormap.

        Returns
        -------
        `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`
        """
        from sunpy_sr.visualization.comparison import plot_difference_map
        label, smap = ((self.baseline_label, self.baseline_map) if baseline else (self.sr_label, self.sr_map))
        if smap is None:
            raise ValueError("this comparison has no baseline map")
        title = f"{label} minus calibrated {self.reference_label}"
        if abs(self.time_difference) > 1 * u.s:
            title += (f" (observed {self.time_difference.to_value(u.h):+.2f} h from the SR map"
                      + (", rotated)" if self.differentially_rotated else ")"))
        return plot_difference_map(smap, self.reference, self.mask, title=title, fig=fig, vmax=vmax,
                                   cmap=cmap)

    def plot(self, fig=None, **kwargs):
        """
        Both figures of the paper in one Matplotlib figure: the maps (Figure 4,
        ``+-500`` G) on the left, histograms and scatter plots (Figure A1) on the right.

        Parameters
        ----------
        fig : `matplotlib.figure.Figure`, optional
            The figure to draw into (a new `~matplotlib.figure.Figure` if None).
        **kwargs
            Passed to :meth:`plot_histograms`.

        Returns
        -------
        `matplotlib.figure.Figure`
        """
        from matplotlib.figure import Figure

        from sunpy_sr.visualization.comparison import map_panels_size
        from sunpy_sr.visualization.figures import joint_figure_size
        map_w, map_h = map_panels_size(self._map_panels())
        n_hist = len(self._histogram_columns()[0])
        n_rows = len(self._HISTOGRAM_ROWS)
        # histogram panels as tall as the map block, so that neither half has an empty band
        panel = min(3.2, map_h / n_rows - 0.8)
        hist_w, hist_h = joint_figure_size(n_hist, n_rows, panel_size=panel)
        if fig is None:
            fig = Figure(figsize=(map_w + hist_w, max(map_h, hist_h) + 0.4), layout="constrained")
        left, right = fig.subfigures(1, 2, width_ratios=[map_w, hist_w])
        self.plot_maps(left)
        self.plot_histograms(right, **kwargs)
        fig.suptitle(f"{self.reference_label} vs {self.sr_label}; time difference (reference - SR) "
                     f"{self.time_difference.to_value(u.h):+.2f} h", fontsize=10)
        return fig
