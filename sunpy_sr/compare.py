"""
Validation of a super-resolved magnetogram against a higher-resolution observation.

Rahman et al. (2020, ApJL 897, L32, Section 2.2 and Figure 4) validate their
network against a Hinode/SOT Narrowband Filter Imager (NFI) magnetogram: the NFI
map is aligned to HMI, interpolated to the super-resolved (SR) grid, calibrated
to HMI by a third-order polynomial fit of the HMI field as a function of the NFI
signal (the cross-comparison of Moon et al. 2007), and then compared with the SR
and the bicubic maps (CC, PSNR, SSIM). :func:`compare_maps` does the same with
sunpy Maps:

1. The reference header is made usable (Hinode ``Solar-X``/``Solar-Y`` axes,
   missing observer, solar radius consistent with the SR map; see
   :func:`prepare_reference`).
2. The SR map (and the baseline) are cropped to the footprint of the reference.
3. The reference is reprojected onto the SR grid with `reproject`; if the two
   maps were taken at different times, the reference is differentially rotated
   to the SR map's time (`sunpy.coordinates.propagate_with_solar_surface`).
4. Optionally, a sub-pixel cross-correlation shift of the reference against
   the SR map refines the reference pointing (:func:`align_shift`), and the
   reference is resampled with the corrected pointing. A pointing correction is
   a translation in the reference's pixel space (its ``CRPIX``), so the
   coordinate transformation between the two grids is computed once.
5. A polynomial (third order by default) maps the reference signal to the SR
   map's unit (:func:`calibrate_polynomial`).
6. CC, PSNR (peak 4000 G), RMSE and SSIM (data range 4000 G) of the SR map and
   of an optional baseline (e.g. bicubic) against the calibrated reference, over
   the common footprint.

References
----------
* Rahman, S., Moon, Y.-J., Park, E., et al. 2020, ApJL 897, L32,
  doi:10.3847/2041-8213/ab9d79
* Moon, Y.-J., Kim, Y.-H., Park, Y.-D., et al. 2007, PASJ 59, S625
  (pixel-to-pixel cross-comparison of Hinode/SOT and SOHO/MDI magnetograms)
"""
import copy
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
import scipy.ndimage
import sunpy.map
from astropy.time import Time
from sunpy.util import MetaDict

from sunpy_sr import metrics as _metrics
from sunpy_sr.exceptions import SunpySRError, SunpySRUserWarning
from sunpy_sr.core.header import add_provenance

__all__ = ["compare_maps", "ComparisonResult", "MetricSet", "PolynomialCalibration",
           "calibrate_polynomial", "align_shift", "prepare_reference"]

#: Display range of the maps in Figure 4 of Rahman et al. (2020).
DISPLAY_RANGE = 500 * u.G
#: Axis range of the 2D histograms and scatter plots (Rahman et al. 2020, Figure 3).
HISTOGRAM_RANGE = 2000 * u.G

# Header keys copied from the SR map into the header of the reprojected reference:
# the grid (WCS), its time and its observer. Everything else (instrument, content,
# data statistics) describes the SR data and is not copied.
_GRID_KEYS = ("naxis", "naxis1", "naxis2", "ctype1", "ctype2", "cunit1", "cunit2", "crpix1",
              "crpix2", "crval1", "crval2", "cdelt1", "cdelt2", "crota1", "crota2", "pc1_1",
              "pc1_2", "pc2_1", "pc2_2", "cd1_1", "cd1_2", "cd2_1", "cd2_2", "lonpole", "latpole",
              "wcsname", "timesys", "rsun_ref", "rsun_obs", "dsun_ref")



# --------------------------------------------------------------------------------------
# Result containers
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolynomialCalibration:
    """
    A polynomial that maps a reference signal to a magnetic flux density.

    ``B = c0 + c1 x + c2 x**2 + ... `` where ``x`` is the reference signal (e.g.
    the NFI V/I in DN) and ``B`` is in the unit of the map it was fitted to.

    Attributes
    ----------
    coefficients : tuple of `~astropy.units.Quantity`
        ``c0, c1, ...`` (lowest order first); ``ck`` has the unit
        ``output_unit / input_unit**k`` (e.g. G, G / DN, G / DN2, G / DN3).
    input_unit, output_unit : `~astropy.units.UnitBase`
        Units of the reference signal and of the fitted field.
    residual : `~astropy.units.Quantity`
        RMS of the fit residual (``output_unit``) over the points kept by the
        sigma clipping.
    n_points : int
        Number of points kept in the final fit.
    n_clipped : int
        Number of points rejected by the sigma clipping.
    binning : int
        Block size (SR pixels) over which both maps were averaged before fitting.
    input_range : `~astropy.units.Quantity`
        The (min, max) of the fitted signal; the polynomial is an extrapolation
        outside it.
    """
    coefficients: tuple
    input_unit: u.UnitBase
    output_unit: u.UnitBase
    residual: u.Quantity
    n_points: int
    n_clipped: int = 0
    binning: int = 1
    input_range: u.Quantity = None

    @property
    def degree(self):
        """Order of the polynomial."""
        return len(self.coefficients) - 1

    def __call__(self, x):
        """
        Evaluate the calibration.

        Parameters
        ----------
        x : `~astropy.units.Quantity` or array-like
            Reference signal; a bare array is taken to be in ``input_unit``.

        Returns
        -------
        `~astropy.units.Quantity`
            The calibrated field, in ``output_unit``.
        """
        x = u.Quantity(x, self.input_unit).to_value(self.input_unit)
        coef = [c.to_value(self.output_unit / self.input_unit**k)
                for k, c in enumerate(self.coefficients)]
        return np.polynomial.polynomial.polyval(x, coef) * self.output_unit

    def __str__(self):
        terms = " + ".join(f"({c.value:.6g} {c.unit:unicode})" + (f" x^{k}" if k > 1 else
                                                                    " x" if k == 1 else "")
                           for k, c in enumerate(self.coefficients))
        return (f"B = {terms}  [x in {self.input_unit:unicode}; residual RMS "
                f"{self.residual:.4g}, {self.n_points} points, {self.n_clipped} clipped, "
                f"binning {self.binning}]")


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

    def as_dict(self):
        """The metrics as a plain dict (RMSE in G as a float)."""
        return {"cc": self.cc, "psnr": self.psnr, "rmse": self.rmse.to_value(u.G),
                "ssim": self.ssim, "n_pixels": self.n_pixels}


@dataclass
class ComparisonResult:
    """
    The result of :func:`compare_maps`.

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
    calibration : `PolynomialCalibration` or None
        The fitted polynomial (None if no calibration was made).
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
                 f"{'map':<12}{'CC':>8}{'PSNR/dB':>10}{'RMSE/G':>10}{'SSIM':>8}"]
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
    def plot_maps(self, fig=None, *, vmax=DISPLAY_RANGE, cmap="gray"):
        """
        Figure 4 of Rahman et al. (2020): input, reference, SR and baseline maps.

        Parameters
        ----------
        fig : `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`, optional
            Where to draw (a new figure if None).
        vmax : `~astropy.units.Quantity`
            Display range ``+-vmax`` (default 500 G, as in the paper).
        cmap : str
            Colormap (default gray, as in the paper).

        Returns
        -------
        `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`
        """
        import matplotlib.pyplot as plt
        panels = []
        if self.input_map is not None:
            panels.append(("input", self.input_map))
        panels.append((f"{self.reference_label} (calibrated)", self.reference))
        panels.append((self.sr_label, self.sr_map))
        if self.baseline_map is not None:
            panels.append((self.baseline_label, self.baseline_map))
        ny, nx = self.sr_map.data.shape
        wide = nx > 1.3 * ny
        nrows, ncols = (len(panels), 1) if wide else (1, len(panels))
        if fig is None:
            fig = plt.figure(figsize=(7, 2.2 * len(panels) * ny / nx + 1) if wide
                             else (3.2 * len(panels), 3.6 * ny / nx + 0.8), layout="constrained")
        v = vmax.to_value(u.G)
        for i, (title, smap) in enumerate(panels):
            ax = fig.add_subplot(nrows, ncols, i + 1, projection=smap)
            scale = smap.unit.to(u.G) if smap.unit is not None and smap.unit.is_equivalent(u.G) else 1
            im = ax.imshow(np.asarray(smap.data, dtype=float) * scale, origin="lower", cmap=cmap,
                           vmin=-v, vmax=v, interpolation="nearest")
            # the reference is drawn on the SR grid (and time); show when it was observed
            when = (Time(smap.meta["date_ref"]) if smap is self.reference and "date_ref" in smap.meta
                    else smap.date)
            ax.set_title(f"{title}  {when.strftime('%Y-%m-%d %H:%M')}", fontsize=8)
            for c in ax.coords:
                c.set_ticklabel(size=6)
                c.set_axislabel("", minpad=0)
        fig.colorbar(im, ax=fig.axes, shrink=0.6, label="B [G]")
        return fig

    def plot_histograms(self, fig=None, *, lim=HISTOGRAM_RANGE, bins=200, max_points=20000,
                        seed=0):
        """
        Figure A1 of Rahman et al. (2020): 2D histograms (top) and scatter plots (bottom).

        Reference (calibrated) field on the horizontal axis, SR (left) and
        baseline (right) on the vertical axis, over the common mask.

        Parameters
        ----------
        fig : `matplotlib.figure.Figure` or `matplotlib.figure.SubFigure`, optional
            Where to draw (a new figure if None).
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
        import matplotlib.pyplot as plt
        from matplotlib.colors import LogNorm
        cols = [(self.sr_label, self.sr_map, self.metrics)]
        if self.baseline_map is not None:
            cols.append((self.baseline_label, self.baseline_map, self.baseline_metrics))
        if fig is None:
            fig = plt.figure(figsize=(3.4 * len(cols), 6.4), layout="constrained")
        axes = fig.subplots(2, len(cols), squeeze=False)
        L = lim.to_value(u.G)
        ref = _to_gauss(self.reference)[self.mask]
        rng = np.random.default_rng(seed)
        pick = rng.choice(ref.size, size=min(max_points, ref.size), replace=False)
        for j, (name, smap, m) in enumerate(cols):
            val = _to_gauss(smap)[self.mask]
            ax = axes[0, j]
            *_, im = ax.hist2d(ref, val, bins=bins, range=[[-L, L], [-L, L]], norm=LogNorm(),
                               cmap="viridis")
            ax = axes[1, j]
            ax.scatter(ref[pick], val[pick], s=1, alpha=0.3, color="k", rasterized=True)
            for ax in axes[:, j]:
                ax.plot([-L, L], [-L, L], color="r", lw=0.8)
                ax.set_xlim(-L, L)
                ax.set_ylim(-L, L)
                ax.set_box_aspect(1)
                ax.set_xlabel(f"{self.reference_label} [G]", fontsize=8)
                ax.set_ylabel(f"{name} [G]", fontsize=8)
                ax.tick_params(labelsize=7)
            axes[0, j].set_title(f"{name}: CC={m.cc:.3f}, SSIM={m.ssim:.3f}", fontsize=8)
        fig.colorbar(im, ax=axes[0, :].tolist(), label="pixels", shrink=0.7)
        return fig

    def plot(self, fig=None, **kwargs):
        """
        Both figures of the paper in one Matplotlib figure: the maps (Figure 4,
        ``+-500`` G) on the left, histograms and scatter plots (Figure A1) on the right.

        Parameters
        ----------
        fig : `matplotlib.figure.Figure`, optional
            The figure to draw into (a new one if None).
        **kwargs
            Passed to :meth:`plot_histograms`.

        Returns
        -------
        `matplotlib.figure.Figure`
        """
        import matplotlib.pyplot as plt
        if fig is None:
            fig = plt.figure(figsize=(13, 7.5), layout="constrained")
        left, right = fig.subfigures(1, 2, width_ratios=[1.1, 1])
        self.plot_maps(left)
        self.plot_histograms(right, **kwargs)
        fig.suptitle(f"{self.reference_label} vs {self.sr_label}; time difference (reference - SR) "
                     f"{self.time_difference.to_value(u.h):+.2f} h", fontsize=10)
        return fig


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def _to_gauss(smap):
    return np.asarray(smap.data, dtype=np.float64) * smap.unit.to(u.G)


def _as_array(obj):
    if isinstance(obj, sunpy.map.GenericMap):
        return np.asarray(obj.data, dtype=np.float64)
    return np.asarray(u.Quantity(obj).value if isinstance(obj, u.Quantity) else obj,
                      dtype=np.float64)


def _block_mean(a, b):
    """Mean over b x b blocks (trailing rows/columns dropped); NaN if any pixel is NaN."""
    if b == 1:
        return a
    ny, nx = (a.shape[0] // b) * b, (a.shape[1] // b) * b
    return a[:ny, :nx].reshape(ny // b, b, nx // b, b).mean(axis=(1, 3))


def _unit_of(obj, default):
    if isinstance(obj, u.Quantity):
        return obj.unit
    if isinstance(obj, sunpy.map.GenericMap) and obj.unit is not None:
        return obj.unit
    return default


def calibrate_polynomial(reference, target, *, degree=3, mask=None, binning=1, sigma_clip=3.0,
                         max_iter=5, reference_unit=None, target_unit=None):
    """
    Fit the target field as a polynomial of the reference signal (Moon et al. 2007).

    Parameters
    ----------
    reference : `~sunpy.map.GenericMap`, `~astropy.units.Quantity` or array
        The signal to calibrate (e.g. NFI V/I in DN), on the same grid as ``target``.
    target : `~sunpy.map.GenericMap`, `~astropy.units.Quantity` or array
        The field to calibrate against (e.g. HMI, in G or Mx/cm^2).
    degree : int
        Order of the polynomial (3 in Rahman et al. 2020).
    mask : `numpy.ndarray` of bool, optional
        Pixels to use (True); NaN pixels are always excluded.
    binning : int
        Average both maps over ``binning`` x ``binning`` blocks before fitting (a
        block is used only if all its pixels are valid). With ``binning`` equal to
        the SR factor the fit is made at the resolution of the original
        magnetogram, which limits the bias of a fit between a sharp and a blurred
        map and the weight of residual misalignment.
    sigma_clip : float or None
        Iteratively reject points whose residual exceeds ``sigma_clip`` times the
        standard deviation of the residuals of the points kept; None keeps all.
        This removes e.g. sunspot umbrae where the NFI V/I signal saturates and
        reverses.
    max_iter : int
        Maximum number of clipping iterations.
    reference_unit, target_unit : `~astropy.units.UnitBase`, optional
        Units of bare arrays (default: taken from Maps and Quantities; DN for a
        reference without unit, G for a target without unit).

    Returns
    -------
    `PolynomialCalibration`

    Raises
    ------
    SunpySRError
        Fewer than ``10 * (degree + 1)`` valid points.

    References
    ----------
    Moon, Y.-J., Kim, Y.-H., Park, Y.-D., et al. 2007, PASJ 59, S625.
    Rahman, S., et al. 2020, ApJL 897, L32 (Section 2.2).
    """
    in_unit = u.Unit(reference_unit) if reference_unit is not None else _unit_of(reference, u.DN)
    out_unit = u.Unit(target_unit) if target_unit is not None else _unit_of(target, u.G)
    x = _as_array(reference)
    y = _as_array(target)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: reference {x.shape}, target {y.shape}")
    valid = np.isfinite(x) & np.isfinite(y)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    binning = int(binning)
    if binning > 1:
        x = _block_mean(np.where(valid, x, np.nan), binning)
        y = _block_mean(np.where(valid, y, np.nan), binning)
        valid = np.isfinite(x) & np.isfinite(y)
    x, y = x[valid], y[valid]
    if x.size < 10 * (degree + 1):
        raise SunpySRError(f"only {x.size} valid points for a polynomial fit of degree {degree}")
    keep = np.ones(x.size, dtype=bool)
    for _ in range(max_iter):
        poly = np.polynomial.Polynomial.fit(x[keep], y[keep], degree)
        resid = y - poly(x)
        if sigma_clip is None:
            break
        sigma = resid[keep].std()
        new = np.abs(resid) <= sigma_clip * sigma
        if np.array_equal(new, keep):
            break
        keep = new
    coef = np.zeros(degree + 1)
    c = poly.convert().coef
    coef[:c.size] = c
    coefficients = tuple(coef[k] * out_unit / in_unit**k for k in range(degree + 1))
    rms = float(np.sqrt(np.mean(resid[keep] ** 2)))
    return PolynomialCalibration(coefficients=coefficients, input_unit=in_unit, output_unit=out_unit,
                                 residual=rms * out_unit, n_points=int(keep.sum()),
                                 n_clipped=int((~keep).sum()), binning=binning,
                                 input_range=u.Quantity([x[keep].min(), x[keep].max()], in_unit))


def align_shift(target, moving, *, mask=None, upsample_factor=20, smooth=1.0, taper=16,
                max_iter=4):
    """
    Sub-pixel shift that registers ``moving`` onto ``target`` (cross-correlation).

    Both images are standardised over the common valid area, tapered to zero
    towards its edge, smoothed, and cross-correlated (the upsampled DFT of
    Guizar-Sicairos et al. 2008, `skimage.registration.phase_cross_correlation`
    without phase normalisation, which is robust to the different resolutions
    and noise of the two images). The taper biases a single estimate towards
    zero shift, so ``moving`` is shifted by the estimate and the residual is
    measured again, until it is below 0.01 pixel. The sign of the correlation is
    ignored, so a reference with the opposite polarity convention is aligned as well.

    Parameters
    ----------
    target, moving : `~sunpy.map.GenericMap` or array
        Two images on the same pixel grid (e.g. the SR map and the reprojected
        reference); NaN marks missing pixels. Their units do not matter.
    mask : `numpy.ndarray` of bool, optional
        Pixels to use.
    upsample_factor : int
        Precision of each estimate: ``1 / upsample_factor`` pixel.
    smooth : float
        Gaussian sigma (pixels) applied to both images before correlating.
    taper : float
        Width (pixels) of the linear taper at the edge of the valid area.
    max_iter : int
        Maximum number of estimates.

    Returns
    -------
    `~astropy.units.Quantity`
        ``(dx, dy)`` in pixels: ``moving`` shifted by this (``moving(x - dx,
        y - dy)``) matches ``target``.

    References
    ----------
    Guizar-Sicairos, M., Thurman, S. T., & Fienup, J. R. 2008, Optics Letters 33, 156.
    """
    from skimage.registration import phase_cross_correlation
    t = _as_array(target)
    m = _as_array(moving)
    if t.shape != m.shape:
        raise ValueError(f"shapes differ: target {t.shape}, moving {m.shape}")
    valid_t = np.isfinite(t)
    valid_m = np.isfinite(m)
    if mask is not None:
        valid_t &= np.asarray(mask, dtype=bool)
    both = valid_t & valid_m
    if both.sum() < 64:
        raise SunpySRError("too few common valid pixels to align the maps")
    rows, cols = np.nonzero(both.any(axis=1))[0], np.nonzero(both.any(axis=0))[0]
    sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    t, m, valid_t, valid_m, both = t[sl], m[sl], valid_t[sl], valid_m[sl], both[sl]
    standard = []
    for a, v in ((t, both), (m, both)):
        vals = a[v]
        std = vals.std()
        if std == 0:
            raise SunpySRError("an image is constant over the common area; cannot align")
        standard.append(np.where(np.isfinite(a), (a - vals.mean()) / std, 0.0))
    t_std, m_std = standard
    total = np.zeros(2)  # (dy, dx)
    for _ in range(max(int(max_iter), 1)):
        if total.any():
            m_k = scipy.ndimage.shift(m_std, total, order=1, mode="constant", cval=0.0)
            v_k = scipy.ndimage.shift(valid_m.astype(float), total, order=1, mode="constant",
                                      cval=0.0) > 0.999
        else:
            m_k, v_k = m_std, valid_m
        v = valid_t & v_k
        # distance to the nearest invalid pixel or edge of the box (FFTs are periodic)
        dist = scipy.ndimage.distance_transform_edt(np.pad(v, 1))[1:-1, 1:-1]
        weight = np.clip(dist / max(taper, 1), 0, 1)
        images = [np.where(v, a, 0.0) * weight for a in (t_std, m_k)]
        if smooth:
            images = [scipy.ndimage.gaussian_filter(b, smooth) for b in images]
        step, _, _ = phase_cross_correlation(images[0], images[1], upsample_factor=upsample_factor,
                                             normalization=None)
        total = total + step
        if np.hypot(*step) < 0.01:
            break
    return u.Quantity([total[1], total[0]], u.pix)


def _earth_observer(time):
    from sunpy.coordinates import get_earth
    return get_earth(time)


def prepare_reference(reference_map, sr_map, *, notes=None):
    """
    Return a copy of the reference map with a header that reprojects cleanly.

    * ``CTYPE`` ``Solar-X``/``Solar-Y`` (Hinode, deprecated in sunpy) becomes
      ``HPLN-TAN``/``HPLT-TAN``;
    * a missing observer (Hinode headers have none) is set to Earth's position
      at the reference's time, with a `~sunpy_sr.exceptions.SunpySRUserWarning`:
      Hinode is in a low Earth orbit (altitude about 680 km), so the error in the
      viewing direction is below 0.1 arcsec on the disk;
    * the solar radius (``RSUN_REF``, used to project helioprojective
      coordinates onto the solar surface) is set to the SR map's, so that both
      maps put a given pixel at the same point of the Sun. A different explicit
      value is replaced with a `~sunpy_sr.exceptions.SunpySRUserWarning`; a
      missing one (Hinode; sunpy would assume 695 700 km while HMI headers say
      696 000 km) is set silently and recorded in ``notes`` and ``HISTORY``.
    * the data become float64 in native byte order (level-0 NFI is big-endian int16).

    Parameters
    ----------
    reference_map : `~sunpy.map.GenericMap`
        The reference (e.g. a `~sunpy.map.sources.SOTMap`).
    sr_map : `~sunpy.map.GenericMap`
        The map whose solar radius is adopted.
    notes : list, optional
        Appended with a sentence for every change made.

    Returns
    -------
    `~sunpy.map.GenericMap`
        Same class as ``reference_map``.
    """
    notes = [] if notes is None else notes
    meta = copy.deepcopy(reference_map.meta)
    for axis, proj in ((1, "HPLN-TAN"), (2, "HPLT-TAN")):
        ctype = str(meta.get(f"ctype{axis}", ""))
        if ctype.lower() in ("solar-x", "solar_x", "solar-y", "solar_y"):
            meta[f"ctype{axis}"] = proj
            notes.append(f"CTYPE{axis} {ctype!r} read as {proj!r}")
    # Observer: sunpy would assume Earth with a SunpyMetadataWarning; do it explicitly.
    has_observer = (all(k in meta for k in ("hgln_obs", "hglt_obs", "dsun_obs"))
                    or all(k in meta for k in ("crln_obs", "crlt_obs", "dsun_obs"))
                    or all(k in meta for k in ("haex_obs", "haey_obs", "haez_obs"))
                    or all(k in meta for k in ("heex_obs", "heey_obs", "heez_obs"))
                    or all(k in meta for k in ("hcix_obs", "hciy_obs", "hciz_obs")))
    if not has_observer:
        time = reference_map.reference_date.utc
        earth = _earth_observer(time)
        meta["hgln_obs"] = float(earth.lon.to_value(u.deg))
        meta["hglt_obs"] = float(earth.lat.to_value(u.deg))
        meta["dsun_obs"] = float(earth.radius.to_value(u.m))
        where = ("Hinode is in low Earth orbit, so the error is below 0.1 arcsec on the disk"
                 if "hinode" in str(meta.get("telescop", "")).lower() else
                 "correct for an observer on or near Earth")
        msg = (f"the reference map ({reference_map.name}) has no observer position; using "
               f"Earth's position at {time.isot} ({where})")
        warnings.warn(msg, SunpySRUserWarning, stacklevel=3)
        notes.append(f"observer set to Earth at {time.isot}")
    # Solar radius: adopt the SR map's.
    rsun_sr = sr_map.rsun_meters.to_value(u.m)
    if "rsun_ref" in meta:
        rsun_ref = float(meta["rsun_ref"])
        if not np.isclose(rsun_ref, rsun_sr, rtol=0, atol=1.0):
            warnings.warn(f"RSUN_REF of the reference ({rsun_ref:.6g} m) differs from the SR "
                          f"map's ({rsun_sr:.6g} m); using the SR map's for both", SunpySRUserWarning,
                          stacklevel=3)
            notes.append(f"RSUN_REF {rsun_ref:.6g} m replaced with the SR map's {rsun_sr:.6g} m")
    else:
        notes.append(f"RSUN_REF missing in the reference; set to the SR map's {rsun_sr:.6g} m")
    meta["rsun_ref"] = rsun_sr
    meta.pop("rsun_obs", None)  # derived from rsun_ref and dsun_obs
    data = np.array(reference_map.data, dtype=np.float64, order="C")
    for key in ("bzero", "bscale", "blank"):
        meta.pop(key, None)
    out = reference_map._new_instance(data, meta, plot_settings=reference_map.plot_settings)
    return out


def _crop(smap, x0, x1, y0, y1):
    """Map of pixels [y0:y1, x0:x1] with the header shifted accordingly."""
    meta = copy.deepcopy(smap.meta)
    meta["crpix1"] = float(meta.get("crpix1", 0)) - x0
    meta["crpix2"] = float(meta.get("crpix2", 0)) - y0
    data = np.asarray(smap.data)[y0:y1, x0:x1]
    meta["naxis1"], meta["naxis2"] = data.shape[1], data.shape[0]
    return smap._new_instance(data.copy(), meta, plot_settings=smap.plot_settings)


def _footprint_box(reference, sr_map, pad=4, max_shift=0 * u.arcsec):
    """
    Pixel bounding box (x0, x1, y0, y1) of the reference on the SR grid, padded by
    ``pad`` pixels plus ``max_shift`` (so that an alignment shift stays inside).
    """
    ny, nx = reference.data.shape
    n = 256
    ex = np.linspace(-0.5, nx - 0.5, n)
    ey = np.linspace(-0.5, ny - 0.5, n)
    xs = np.concatenate([ex, np.full(n, nx - 0.5), ex, np.full(n, -0.5)])
    ys = np.concatenate([np.full(n, -0.5), ey, np.full(n, ny - 0.5), ey])
    # Interior points too, so that a reference larger than the SR map still counts, and
    # the centre and its neighbour for the relative pixel scale.
    gx, gy = np.meshgrid(np.linspace(0, nx - 1, 16), np.linspace(0, ny - 1, 16))
    cx, cy = (nx - 1) / 2, (ny - 1) / 2
    xs = np.concatenate([xs, gx.ravel(), [cx, cx + 1]])
    ys = np.concatenate([ys, gy.ravel(), [cy, cy]])
    with warnings.catch_warnings():
        # Off-disk points of the reference have no position on the solar surface (NaN).
        warnings.filterwarnings("ignore", message=".*all NaNs.*")
        coords = reference.wcs.pixel_to_world(xs, ys)
        px, py = sr_map.wcs.world_to_pixel(coords)
    px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    ok = np.isfinite(px) & np.isfinite(py)
    if not ok.any():
        return None
    sr_per_ref = np.hypot(px[-1] - px[-2], py[-1] - py[-2])
    if np.isfinite(sr_per_ref) and max_shift > 0:
        ref_scale = abs(reference.scale[0].to_value(reference.spatial_units[0] / u.pix)) \
            * reference.spatial_units[0]
        pad += int(np.ceil((max_shift / ref_scale).to_value(u.one) * sr_per_ref))
    sny, snx = sr_map.data.shape
    x0 = int(max(np.floor(px[ok].min()) - pad, 0))
    x1 = int(min(np.ceil(px[ok].max()) + pad + 1, snx))
    y0 = int(max(np.floor(py[ok].min()) - pad, 0))
    y1 = int(min(np.ceil(py[ok].max()) + pad + 1, sny))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return x0, x1, y0, y1


_ORDERS = {"nearest-neighbor": 0, "bilinear": 1, "biquadratic": 2, "bicubic": 3}


class _PixelMap:
    """
    Where every pixel of the SR grid falls in the reference (reference pixel
    coordinates), computed once, so that pointing corrections (a change of the
    reference CRPIX is a translation in its pixel space) cost only an interpolation.
    """

    def __init__(self, reference, sr_wcs, shape, step=8):
        from astropy.wcs.utils import pixel_to_pixel
        self.shape = shape
        # The transformation is smooth: compute it on every ``step``-th pixel (and the
        # last row and column) and interpolate bilinearly in between; over 8 pixels
        # the curvature of the mapping amounts to well under 1e-3 pixel.
        gy = np.unique(np.append(np.arange(0, shape[0], step), shape[0] - 1)).astype(np.float64)
        gx = np.unique(np.append(np.arange(0, shape[1], step), shape[1] - 1)).astype(np.float64)
        xx, yy = np.meshgrid(gx, gy)
        xx, yy = xx.ravel(), yy.ravel()
        rx, ry = (np.array(a, dtype=np.float64) for a in
                  pixel_to_pixel(sr_wcs, reference.wcs, xx, yy))
        # as reproject does: drop pixels whose coordinates do not round-trip (e.g. far side)
        bx, by = pixel_to_pixel(reference.wcs, sr_wcs, rx, ry)
        bad = ~((np.abs(np.asarray(bx) - xx) <= 1) & (np.abs(np.asarray(by) - yy) <= 1))
        rx[bad] = np.nan
        ry[bad] = np.nan
        rx, ry = rx.reshape(gy.size, gx.size), ry.reshape(gy.size, gx.size)
        # fractional index of every SR pixel in the coarse grid
        iy = np.interp(np.arange(shape[0]), gy, np.arange(gy.size))
        ix = np.interp(np.arange(shape[1]), gx, np.arange(gx.size))
        cy, cx = np.meshgrid(iy, ix, indexing="ij")
        coords = np.array([cy, cx])
        self.rx = scipy.ndimage.map_coordinates(rx, coords, order=1, mode="nearest")
        self.ry = scipy.ndimage.map_coordinates(ry, coords, order=1, mode="nearest")

    def at(self, x, y):
        """Reference pixel of SR pixel (x, y) (bilinear in the coordinate maps)."""
        c = np.array([[y], [x]], dtype=np.float64)
        return (float(scipy.ndimage.map_coordinates(self.rx, c, order=1, mode="nearest")[0]),
                float(scipy.ndimage.map_coordinates(self.ry, c, order=1, mode="nearest")[0]))

    def sample(self, data, offset=(0.0, 0.0), order=3):
        """
        ``data`` (the reference array) interpolated at every SR pixel, for a
        reference whose CRPIX was decreased by ``offset`` (dx, dy); pixels that
        fall outside the reference (beyond the outer half pixel) are NaN, as in
        `reproject.reproject_interp`.
        """
        ny, nx = data.shape
        x = self.rx - offset[0]
        y = self.ry - offset[1]
        inside = (x > -0.5) & (x < nx - 0.5) & (y > -0.5) & (y < ny - 0.5)
        inside &= np.isfinite(x) & np.isfinite(y)
        coords = np.array([np.clip(np.where(inside, y, 0), 0, ny - 1),
                           np.clip(np.where(inside, x, 0), 0, nx - 1)])
        out = scipy.ndimage.map_coordinates(np.asarray(data, dtype=np.float64), coords, order=order,
                                            mode="nearest")
        out[~inside] = np.nan
        return out


def _reproject(reference, target_wcs, shape, algorithm, kwargs):
    import reproject
    functions = {"adaptive": reproject.reproject_adaptive, "exact": reproject.reproject_exact,
                 "interpolation": reproject.reproject_interp}
    out, footprint = functions[algorithm]((reference.data, reference.wcs), target_wcs,
                                          shape_out=shape, **kwargs)
    return np.where(footprint > 0.999, out, np.nan)


def _with_crpix_offset(reference, offset):
    """The reference with CRPIX decreased by ``offset`` (dx, dy) reference pixels."""
    meta = copy.deepcopy(reference.meta)
    meta["crpix1"] = float(meta["crpix1"]) - offset[0]
    meta["crpix2"] = float(meta["crpix2"]) - offset[1]
    return reference._new_instance(reference.data, meta, plot_settings=reference.plot_settings)


def _world_offset(reference, pixel, offset):
    """World shift (arcsec, the reference's own axes) of moving its CRPIX by -offset."""
    x, y = pixel
    w = reference.wcs.pixel_to_world_values([x, x + offset[0]], [y, y + offset[1]])
    units = [u.Unit(cu) for cu in reference.wcs.wcs.cunit]
    diff = []
    for k in range(2):
        d = (w[k][1] - w[k][0]) * units[k]
        if d.unit.is_equivalent(u.deg):  # longitudes wrap at 360 deg (HPLN near 0 is 359.99...)
            d = (d + 180 * u.deg) % (360 * u.deg) - 180 * u.deg
        diff.append(d.to(u.arcsec))
    return u.Quantity(diff)


def _metric_set(target_g, output_g, mask):
    t = np.where(mask, target_g, np.nan)
    o = np.where(mask, output_g, np.nan)
    return MetricSet(cc=_metrics.pearson_cc(t, o), psnr=_metrics.psnr(t, o, max_value=_metrics.MAX_FIELD),
                     rmse=_metrics.rmse(t, o) * u.G, ssim=_metrics.ssim(t, o, data_range=_metrics.MAX_FIELD),
                     n_pixels=int(mask.sum()))


def _same_grid(a, b):
    if a.data.shape != b.data.shape:
        return False
    pa = a.wcs.wcs
    pb = b.wcs.wcs
    return (np.allclose(pa.crpix, pb.crpix, atol=1e-6) and np.allclose(pa.cdelt, pb.cdelt, rtol=1e-9)
            and np.allclose(pa.crval, pb.crval, rtol=0, atol=1e-9 * np.abs(pa.cdelt).max())
            and np.allclose(pa.get_pc(), pb.get_pc(), atol=1e-9)
            and list(pa.ctype) == list(pb.ctype))


def _parse_degree(calibrate):
    if calibrate is None or calibrate is False or calibrate == "none":
        return None
    if isinstance(calibrate, PolynomialCalibration):
        return calibrate
    if isinstance(calibrate, (int, np.integer)) and not isinstance(calibrate, bool):
        return int(calibrate)
    if isinstance(calibrate, str) and calibrate.startswith("poly") and calibrate[4:].isdigit():
        return int(calibrate[4:])
    raise ValueError(f"calibrate must be 'poly1' ... 'poly5', an int, a PolynomialCalibration or "
                     f"None; got {calibrate!r}")


# --------------------------------------------------------------------------------------
# compare_maps
# --------------------------------------------------------------------------------------
def compare_maps(sr_map, reference_map, *, calibrate="poly3", calibrate_against="sr",
                 calibration_binning=4, align=True, shift=None, max_shift=30 * u.arcsec,
                 reproject_algorithm="interpolation", reproject_kwargs=None, mask=None,
                 baseline_map=None, input_map=None, crop=True, differential_rotation=True,
                 max_time_difference=1 * u.h, edge=2, sigma_clip=3.0, sr_label="SR",
                 baseline_label="bicubic", reference_label=None):
    """
    Compare a super-resolved magnetogram with a higher-resolution reference.

    The reference (e.g. a Hinode/SOT NFI magnetogram) is reprojected onto the
    grid of the SR map, optionally aligned to it by cross-correlation,
    calibrated to the SR map's unit by a polynomial fit (Moon et al. 2007), and
    compared pixel by pixel (CC, PSNR, RMSE, SSIM), as in Section 2.2 and
    Figure 4 of Rahman et al. (2020).

    Parameters
    ----------
    sr_map : `~sunpy.map.GenericMap`
        The super-resolved magnetogram (G or Mx/cm^2).
    reference_map : `~sunpy.map.GenericMap`
        The reference, in any unit: level-0 NFI V/I has no ``BUNIT`` and is
        taken to be in DN. Hinode SOT headers are handled (see
        :func:`prepare_reference`): ``Solar-X``/``Solar-Y`` axes, roll
        (``CROTA``), missing observer (Earth at ``DATE_OBS``, with a
        `~sunpy_sr.exceptions.SunpySRUserWarning`), solar radius made
        consistent with the SR map.
    calibrate : {"poly3", "poly2", "poly1"}, int, `PolynomialCalibration` or None
        Degree of the calibration polynomial (third order in the paper), a known
        calibration to apply, or None if the reference is already in a unit
        equivalent to the SR map's.
    calibrate_against : {"sr", "baseline"}
        Which map the polynomial is fitted to.
    calibration_binning : int
        Block size (SR pixels) over which both maps are averaged before the fit
        (default 4, the SR factor: the fit is made at the resolution of the
        original magnetogram). See :func:`calibrate_polynomial`.
    align : bool
        Refine the reference pointing by a sub-pixel cross-correlation with the
        SR map before the calibration (Hinode's pointing is known to a few arcsec).
    shift : `~astropy.units.Quantity`, optional
        A known pointing correction (arcsec, along the reference's world axes)
        to apply instead of (before) the cross-correlation.
    max_shift : `~astropy.units.Quantity`
        A cross-correlation shift larger than this is not applied (warning).
    reproject_algorithm : {"interpolation", "adaptive", "exact"}
        How the reference is resampled onto the SR grid. "interpolation" is
        `reproject.reproject_interp`'s method (spline interpolation at the
        transformed pixel positions, NaN outside the reference), with the
        coordinate transformation computed once for all alignment steps; its
        default order is "bicubic" (the paper's cubic interpolation).
        "adaptive" (anti-aliased; for a reference with pixels much smaller than
        the SR map's) and "exact" (flux-conserving) call
        `reproject.reproject_adaptive` and `reproject.reproject_exact` with the
        aligned reference; the alignment itself uses bilinear interpolation.
    reproject_kwargs : dict, optional
        For "interpolation", ``{"order": "nearest-neighbor" | "bilinear" |
        "biquadratic" | "bicubic"}``; for the other algorithms, keyword
        arguments of the `reproject` function.
    mask : `numpy.ndarray` of bool, optional
        Pixels of ``sr_map`` (its full shape) to compare (True).
    baseline_map : `~sunpy.map.GenericMap`, optional
        A baseline on the same grid as ``sr_map`` (e.g. bicubic interpolation of
        the same input); its metrics are computed on the same pixels.
    input_map : `~sunpy.map.GenericMap`, optional
        The low-resolution input, for the first panel of :meth:`ComparisonResult.plot`.
    crop : bool
        Crop the SR and baseline maps to the footprint of the reference (the
        result's maps are then submaps of the inputs).
    differential_rotation : bool
        If the two maps were taken at different times, rotate the reference
        with the solar surface (`~sunpy.coordinates.propagate_with_solar_surface`).
    max_time_difference : `~astropy.units.Quantity`
        Above this time difference a `~sunpy_sr.exceptions.SunpySRUserWarning`
        says that the comparison is qualitative (the field evolved).
    edge : int
        Pixels removed from the edge of the reference footprint (interpolation edge effects).
    sigma_clip : float or None
        Sigma clipping of the calibration fit.
    sr_label, baseline_label, reference_label : str
        Labels of the maps in plots and summaries (the reference default is
        its observatory and instrument).

    Returns
    -------
    `ComparisonResult`

    Raises
    ------
    SunpySRError
        The maps do not overlap, the SR map is not in a field unit, the baseline
        is on another grid, or the reference cannot be calibrated.

    Warns
    -----
    SunpySRUserWarning
        The reference has no observer; its solar radius differs from the SR
        map's; the maps are more than ``max_time_difference`` apart; the
        cross-correlation shift exceeds ``max_shift``.

    Notes
    -----
    The polynomial is fitted to the SR map itself by default (as in the paper,
    where HMI is the calibration standard); over ``calibration_binning`` blocks
    this is the same as fitting to the original magnetogram for any SR method
    that preserves the block means, so the calibration does not favour the SR
    map over the baseline.

    References
    ----------
    * Rahman, S., Moon, Y.-J., Park, E., et al. 2020, ApJL 897, L32, Section 2.2,
      Figures 4 and A1.
    * Moon, Y.-J., Kim, Y.-H., Park, Y.-D., et al. 2007, PASJ 59, S625.
    """
    from sunpy.coordinates import propagate_with_solar_surface
    from sunpy_sr.version import version

    if not isinstance(sr_map, sunpy.map.GenericMap) or not isinstance(reference_map, sunpy.map.GenericMap):
        raise TypeError("sr_map and reference_map must be sunpy Maps")
    for name, smap in (("sr_map", sr_map), ("reference_map", reference_map)):
        if smap.data.ndim != 2:
            raise ValueError(f"{name} must be 2D, got shape {smap.data.shape}")
    sr_unit = sr_map.unit
    if sr_unit is None or not sr_unit.is_equivalent(u.G):
        raise SunpySRError(f"the SR map must be in G or Mx/cm^2, got BUNIT {sr_map.meta.get('bunit')!r}")
    if baseline_map is not None:
        if not isinstance(baseline_map, sunpy.map.GenericMap) or not _same_grid(sr_map, baseline_map):
            raise SunpySRError("baseline_map must be a Map on the same grid as sr_map")
        if baseline_map.unit is None or not baseline_map.unit.is_equivalent(u.G):
            raise SunpySRError("baseline_map must be in G or Mx/cm^2")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != sr_map.data.shape:
            raise ValueError(f"mask shape {mask.shape} differs from the SR map's {sr_map.data.shape}")
    degree = _parse_degree(calibrate)
    if calibrate_against not in ("sr", "baseline"):
        raise ValueError(f"calibrate_against must be 'sr' or 'baseline', got {calibrate_against!r}")
    if calibrate_against == "baseline" and baseline_map is None:
        raise ValueError("calibrate_against='baseline' needs a baseline_map")
    if reproject_algorithm not in ("interpolation", "adaptive", "exact"):
        raise ValueError(f"reproject_algorithm must be 'interpolation', 'adaptive' or 'exact', got "
                         f"{reproject_algorithm!r}")
    kwargs = dict(reproject_kwargs or {})
    if reproject_algorithm == "interpolation":
        kwargs.setdefault("order", "bicubic")

    notes = []
    reference = prepare_reference(reference_map, sr_map, notes=notes)
    ref_unit = reference.unit
    if ref_unit is None:
        ref_unit = u.DN
        notes.append("the reference has no BUNIT; its signal is taken to be in DN")
    if reference_label is None:
        reference_label = " ".join(str(x) for x in (reference.observatory, reference.instrument)
                                   if x and str(x) != "None") or "reference"

    dt = (reference.reference_date - sr_map.reference_date).to(u.h)
    rotate = bool(differential_rotation and abs(dt) > 1 * u.s)
    if abs(dt) > max_time_difference:
        warnings.warn(
            f"the reference ({reference.reference_date.utc.isot} UTC) and the SR map "
            f"({sr_map.reference_date.utc.isot} UTC) are {abs(dt.to_value(u.h)):.1f} h apart"
            + ("; the reference is differentially rotated to the SR map's time, but the field "
               "evolved in between: the comparison is qualitative" if rotate else
               "; the comparison is qualitative"), SunpySRUserWarning, stacklevel=2)
    if rotate:
        notes.append(f"reference differentially rotated by {-dt.to_value(u.h):+.2f} h, to the SR "
                     f"map's time")
    context = propagate_with_solar_surface if rotate else nullcontext

    # --- known pointing correction ----------------------------------------------------------
    world_shift = u.Quantity([0, 0], u.arcsec)
    if shift is not None:
        shift = u.Quantity(shift, u.arcsec)
        meta = copy.deepcopy(reference.meta)
        units = [u.Unit(cu) for cu in reference.wcs.wcs.cunit]
        # a CRVAL offset is a pointing offset along the reference's own world axes
        crval = reference.wcs.wcs.crval
        meta["crval1"] = float((crval[0] * units[0] + shift[0]).to_value(reference.spatial_units[0]))
        meta["crval2"] = float((crval[1] * units[1] + shift[1]).to_value(reference.spatial_units[1]))
        reference = reference._new_instance(reference.data, meta, plot_settings=reference.plot_settings)
        world_shift = world_shift + shift
        notes.append(f"pointing of the reference corrected by the given shift {shift}")

    with context():
        # --- crop ------------------------------------------------------------------------------
        footprint = _footprint_box(reference, sr_map, max_shift=max_shift if align else 0 * u.arcsec)
        if footprint is None:
            raise SunpySRError("the reference map does not overlap the SR map")
        x0, x1, y0, y1 = footprint if crop else (0, sr_map.data.shape[1], 0, sr_map.data.shape[0])
        sr_c = _crop(sr_map, x0, x1, y0, y1) if crop else sr_map
        base_c = (_crop(baseline_map, x0, x1, y0, y1) if crop else baseline_map) \
            if baseline_map is not None else None
        user_mask = mask[y0:y1, x0:x1] if mask is not None else None
        shape = sr_c.data.shape
        sr_wcs = sr_c.wcs

        # --- reproject (and align) ---------------------------------------------------------
        # pointing corrections are translations in the reference's pixel space (CRPIX), so
        # the expensive coordinate transformation is made once
        pixmap = _PixelMap(reference, sr_wcs, shape)
        order = _ORDERS.get(kwargs.get("order", "bilinear"), kwargs.get("order", 1)) \
            if reproject_algorithm == "interpolation" else 1
        offset = np.zeros(2)      # reference pixels (dx, dy) subtracted from CRPIX
        pixel_shift = np.zeros(2)  # SR pixels (x, y)
        ref_r = pixmap.sample(reference.data, offset, order=1 if align else order)
        sr_data = np.asarray(sr_c.data, dtype=np.float64)
        if align:
            for _ in range(4):
                valid = np.isfinite(ref_r) & np.isfinite(sr_data)
                if user_mask is not None:
                    valid &= user_mask
                s = align_shift(sr_data, ref_r, mask=valid).to_value(u.pix)
                if np.hypot(*s) < 0.05:
                    break
                yy, xx = np.nonzero(valid)
                qx, qy = float(xx.mean()), float(yy.mean())
                r0 = np.array(pixmap.at(qx, qy))
                r1 = np.array(pixmap.at(qx - s[0], qy - s[1]))
                new_offset = offset + (r0 - r1)
                total = _world_offset(reference, pixmap.at(qx, qy), new_offset)
                if np.hypot(*(world_shift + total)) > max_shift:
                    warnings.warn(f"the cross-correlation shift {(world_shift + total).round(2)} "
                                  f"exceeds max_shift={max_shift}; not applied", SunpySRUserWarning,
                                  stacklevel=2)
                    break
                offset = new_offset
                pixel_shift += s
                ref_r = pixmap.sample(reference.data, offset, order=1)
            yy, xx = np.nonzero(np.isfinite(ref_r))
            world_shift = world_shift + _world_offset(
                reference, pixmap.at(float(xx.mean()), float(yy.mean())), offset)
            reference = _with_crpix_offset(reference, offset)
        if reproject_algorithm == "interpolation":
            ref_r = pixmap.sample(reference.data, offset, order=order)
        else:
            ref_r = _reproject(reference, sr_wcs, shape, reproject_algorithm, kwargs)

    # --- common mask -------------------------------------------------------------------------
    ref_ok = np.isfinite(ref_r)
    if edge:
        ref_ok = scipy.ndimage.binary_erosion(ref_ok, iterations=int(edge), border_value=0)
    common = ref_ok & np.isfinite(np.asarray(sr_c.data, dtype=float))
    if base_c is not None:
        common &= np.isfinite(np.asarray(base_c.data, dtype=float))
    if user_mask is not None:
        common &= user_mask
    if common.sum() < 100:
        raise SunpySRError(f"only {common.sum()} pixels are common to the SR map and the reference")
    if crop:
        # the alignment moved the reference: trim to the final common footprint
        rows = np.nonzero(common.any(axis=1))[0]
        cols = np.nonzero(common.any(axis=0))[0]
        ty0, ty1, tx0, tx1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        if (ty0, ty1, tx0, tx1) != (0, shape[0], 0, shape[1]):
            sr_c = _crop(sr_c, tx0, tx1, ty0, ty1)
            base_c = _crop(base_c, tx0, tx1, ty0, ty1) if base_c is not None else None
            ref_r = ref_r[ty0:ty1, tx0:tx1]
            common = common[ty0:ty1, tx0:tx1]

    # --- calibration --------------------------------------------------------------------------
    sr_g = _to_gauss(sr_c)
    calibration = None
    if degree is None:
        if not ref_unit.is_equivalent(u.G):
            raise SunpySRError(f"calibrate=None but the reference is in {ref_unit}, not a field unit")
        ref_cal = ref_r * ref_unit.to(sr_unit)
    else:
        if isinstance(degree, PolynomialCalibration):
            calibration = degree
        else:
            target = sr_c if calibrate_against == "sr" else base_c
            calibration = calibrate_polynomial(ref_r * ref_unit, target.quantity, degree=degree,
                                               mask=common, binning=calibration_binning,
                                               sigma_clip=sigma_clip)
        ref_cal = calibration(ref_r * ref_unit).to_value(sr_unit)
    ref_g = ref_cal * sr_unit.to(u.G)

    # --- metrics -------------------------------------------------------------------------------
    sr_metrics = _metric_set(ref_g, sr_g, common)
    base_metrics = _metric_set(ref_g, _to_gauss(base_c), common) if base_c is not None else None

    # --- result maps -----------------------------------------------------------------------------
    meta = _reference_meta(sr_c, reference_map, reference)
    if rotate:
        history = (f"sunpy_sr {version}: {reference_label} of {reference.reference_date.utc.isot} "
                   f"reprojected ({reproject_algorithm}) onto the SR grid, differentially rotated "
                   f"by {-dt.to_value(u.h):+.2f} h")
    else:
        history = (f"sunpy_sr {version}: {reference_label} of {reference.reference_date.utc.isot} "
                   f"reprojected ({reproject_algorithm}) onto the SR grid")
    add_provenance(meta, history=history, srvers=version, srrepro=reproject_algorithm,
                   srdt=round(float(dt.to_value(u.h)), 4), srdrot=rotate,
                   srshftx=round(float(world_shift[0].to_value(u.arcsec)), 4),
                   srshfty=round(float(world_shift[1].to_value(u.arcsec)), 4),
                   date_ref=reference.reference_date.utc.isot)
    raw_meta = copy.deepcopy(meta)
    raw_meta["bunit"] = ref_unit.to_string("fits") if ref_unit != u.DN else "DN"
    cal_meta = copy.deepcopy(meta)
    cal_meta["bunit"] = sr_unit.to_string("fits")
    if calibration is not None:
        keys = {f"srcalc{k}": float(c.value) for k, c in enumerate(calibration.coefficients)}
        add_provenance(cal_meta, history=f"sunpy_sr: calibrated to the SR map: {calibration}",
                       srcal=f"poly{calibration.degree}",
                       srcalres=float(calibration.residual.to_value(sr_unit)), **keys)
    from astropy.visualization import ImageNormalize
    v = DISPLAY_RANGE.to_value(sr_unit)
    plot_settings = {"cmap": "gray", "norm": ImageNormalize(vmin=-v, vmax=v)}
    ref_map = sunpy.map.GenericMap._new_instance(ref_cal.astype(np.float32), cal_meta,
                                                  plot_settings=plot_settings)
    raw_map = sunpy.map.GenericMap._new_instance(ref_r.astype(np.float32), raw_meta,
                                                  plot_settings={"cmap": "gray"})
    input_c = _crop_input(input_map, sr_c) if input_map is not None else None
    return ComparisonResult(
        reference=ref_map, reference_raw=raw_map, sr_map=sr_c, baseline_map=base_c,
        input_map=input_c, calibration=calibration, shift=world_shift,
        shift_pixels=u.Quantity(pixel_shift, u.pix), metrics=sr_metrics,
        baseline_metrics=base_metrics, mask=common, time_difference=dt,
        differentially_rotated=rotate, notes=notes, sr_label=sr_label,
        baseline_label=baseline_label, reference_label=reference_label)


def _reference_meta(sr_c, reference_map, reference):
    """Header of the reprojected reference: the SR grid, time and observer; the reference's identity."""
    src = sr_c.meta
    meta = MetaDict({k: src[k] for k in _GRID_KEYS if k in src})
    obs = sr_c.observer_coordinate
    if obs is not None:
        meta["hgln_obs"] = float(obs.lon.to_value(u.deg))
        meta["hglt_obs"] = float(obs.lat.to_value(u.deg))
        meta["dsun_obs"] = float(obs.radius.to_value(u.m))
    # The grid's time: the same reference date as the SR map (GenericMap reads DATE-AVG first).
    meta["date-obs"] = sr_c.date.utc.isot
    meta["date-avg"] = sr_c.reference_date.utc.isot
    meta["timesys"] = "UTC"
    meta["rsun_ref"] = float(sr_c.rsun_meters.to_value(u.m))
    rm = reference_map.meta
    for key in ("telescop", "instrume", "detector", "obsrvtry", "wave", "wavelnth", "waveunit",
                "obs_type", "data_lev"):
        if key in rm:
            meta[key] = rm[key]
    return meta


def _crop_input(input_map, sr_c):
    """The input map cropped to the field of view of the (cropped) SR map (for display)."""
    from sunpy.coordinates import propagate_with_solar_surface
    ny, nx = sr_c.data.shape
    with propagate_with_solar_surface():
        corners = sr_c.wcs.pixel_to_world([-0.5, nx - 0.5, nx - 0.5, -0.5], [-0.5, -0.5, ny - 0.5, ny - 0.5])
        px, py = input_map.wcs.world_to_pixel(corners)
    iny, inx = input_map.data.shape
    x0 = int(max(np.floor(np.nanmin(px) + 0.5), 0))
    x1 = int(min(np.ceil(np.nanmax(px) + 0.5), inx))
    y0 = int(max(np.floor(np.nanmin(py) + 0.5), 0))
    y1 = int(min(np.ceil(np.nanmax(py) + 0.5), iny))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return _crop(input_map, x0, x1, y0, y1)
