"""
Metrics of super-resolved magnetograms: image quality (Rahman et al. 2020, Table 1), flux and
the error budget by field strength; `METRICS` names each metric's
function and unit for every table and log. Fields are converted to gauss from a Map's or Quantity's
unit; plain arrays are taken to be in gauss. Never imports torch.
"""
from sunpy_sr.metrics.budget import error_budget
from sunpy_sr.metrics.calibration import calibration_statistics, gaussian_nll
from sunpy_sr.metrics.elements import MagneticElements, element_statistics, magnetic_elements
from sunpy_sr.metrics.flux import map_pixel_area, signed_flux, unsigned_flux
from sunpy_sr.metrics.image import (
    MAX_FIELD,
    pearson_cc,
    psnr,
    redegradation_residual,
    rmse,
    ssim,
    strong_field_rmse,
)
from sunpy_sr.metrics.registry import METRICS, Metric
from sunpy_sr.metrics.spectra import SPECTRAL_BAND, power_spectrum, spectral_error

__all__ = ["psnr", "pearson_cc", "rmse", "ssim", "strong_field_rmse", "error_budget",
           "redegradation_residual", "signed_flux", "unsigned_flux", "map_pixel_area", "MAX_FIELD",
           "power_spectrum", "spectral_error", "SPECTRAL_BAND",
           "magnetic_elements", "element_statistics", "MagneticElements",
           "calibration_statistics", "gaussian_nll", "METRICS", "Metric"]

