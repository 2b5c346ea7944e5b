"""
The table of metrics: each metric's name, function, unit, description and direction.

Every place that names a metric (the evaluation table, the training loops'
validation, `sunpy_sr.compare`) takes its name, its function and its unit from
`METRICS`, so that a metric is added or renamed here only.
"""
from collections.abc import Callable
from dataclasses import dataclass

import astropy.units as u
import numpy as np

from sunpy_sr.metrics._common import _arrays
from sunpy_sr.metrics.image import pearson_cc, psnr, redegradation_residual, rmse, ssim, strong_field_rmse
from sunpy_sr.metrics.spectra import spectral_error

__all__ = ["Metric", "METRICS"]


@dataclass(frozen=True)
class Metric:
    """
    One metric of a super-resolved magnetogram.

    Attributes
    ----------
    name : str
        The key used in tables and logs (``log.csv`` prefixes it with ``val_``).
    function : callable or None
        ``function(target, output, **options) -> float`` with fields in G (for
        ``redegradation_residual`` the arguments are ``(sr, lr)``); None for a
        statistic computed over several images together (pooled calibration
        statistics, element ratios).
    unit : `~astropy.units.Unit` or None
        Unit of the value; None for a dimensionless number.
    description : str
        What the value is, one line.
    higher_is_better : bool or None
        True if larger values are better, False if smaller, None when the ideal
        value lies in the middle (``rms_z``: 1, coverages: 0.683 and 0.954, the
        flux errors and element ratios: 0 and 1).
    """

    name: str
    function: Callable | None
    unit: u.UnitBase | None
    description: str
    higher_is_better: bool | None


def _signed_flux_error(target, output):
    """Sum of B of output minus target, relative to the target's sum of ``|B|`` (pixels of equal area)."""
    t, o, v = _arrays(target, output, allow_empty=True)
    total = np.abs(t[v]).sum()
    return float((o[v].sum() - t[v].sum()) / total) if total else float("nan")


def _unsigned_flux_error(target, output):
    """Sum of ``|B|`` of output minus target, relative to the target's (pixels of equal area)."""
    t, o, v = _arrays(target, output, allow_empty=True)
    total = np.abs(t[v]).sum()
    return float((np.abs(o[v]).sum() - total) / total) if total else float("nan")


_ENTRIES = (
    Metric("psnr", psnr, u.dB, "peak signal-to-noise ratio, peak 4000 G", True),
    Metric("cc", pearson_cc, None, "pixel-to-pixel Pearson correlation coefficient", True),
    Metric("rmse", rmse, u.G, "root-mean-square error", False),
    Metric("ssim", ssim, None, "structural similarity, data range 4000 G", True),
    Metric("rmse_strong", strong_field_rmse, u.G, "RMSE over the pixels with |target| above a threshold",
           False),
    Metric("redegradation_residual", redegradation_residual, u.G, "RMS of degrade(SR) - LR", False),
    Metric("spectral_error", spectral_error, None,
           "mean |log10(P_SR / P_HR)| of the azimuthally averaged power spectra", False),
    Metric("signed_flux_error", _signed_flux_error, None,
           "sum of B of SR minus HR, relative to the HR unsigned flux", None),
    Metric("unsigned_flux_error", _unsigned_flux_error, None,
           "sum of |B| of SR minus HR, relative to the HR unsigned flux", None),
    Metric("rms_z", None, None, "RMS of error / sigma over all pixels (1 when calibrated)", None),
    Metric("coverage_1", None, None, "fraction of pixels with |error| within 1 sigma (0.683 ideal)", None),
    Metric("coverage_2", None, None, "fraction of pixels with |error| within 2 sigma (0.954 ideal)", None),
    Metric("nll", None, None, "mean Gaussian negative log-likelihood of the errors, nats per pixel", False),
    Metric("nll_constant", None, None,
           "the same for one constant sigma equal to the RMS error, nats per pixel", False),
    Metric("element_count_ratio", None, None, "number of magnetic elements of SR over HR (1 ideal)", None),
    Metric("element_area_ratio", None, None, "median element area of SR over HR (1 ideal)", None),
)

#: Every metric by name, in the order of the evaluation table's columns.
METRICS = {m.name: m for m in _ENTRIES}
