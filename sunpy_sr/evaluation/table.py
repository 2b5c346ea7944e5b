"""
The evaluation table of Rahman et al. (2020), Table 1: every method on every HR/LR pair.
"""
from collections.abc import Mapping

import astropy.units as u
import numpy as np

from sunpy_sr.core.units import gauss_values as _data
from sunpy_sr.core.units import quantity_in_gauss
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError
from sunpy_sr.metrics import MAX_FIELD, METRICS
from sunpy_sr.progress import show_progress

__all__ = ["evaluate", "EVALUATE_COLUMNS", "UNCERTAINTY_COLUMNS"]

#: The metrics computed per image and averaged, in the order of the table's columns.
_PER_IMAGE = ("psnr", "cc", "rmse", "ssim", "rmse_strong", "redegradation_residual", "spectral_error",
              "signed_flux_error", "unsigned_flux_error")
#: Metrics taking ``(target, output)`` only, with their defaults.
_PLAIN = ("psnr", "cc", "rmse", "ssim", "signed_flux_error", "unsigned_flux_error")

#: Columns of the table returned by :func:`evaluate`, in order.
EVALUATE_COLUMNS = ("method", "n_images") + _PER_IMAGE[:5] + ("n_strong",) + _PER_IMAGE[5:]
#: Columns :func:`evaluate` adds after :data:`EVALUATE_COLUMNS` with ``uncertainty=True``.
UNCERTAINTY_COLUMNS = ("rms_z", "coverage_1", "coverage_2", "nll", "nll_constant")


def _pairs(pairs_or_lists):
    if hasattr(pairs_or_lists, "hr") and hasattr(pairs_or_lists, "lr"):
        hr, lr = list(pairs_or_lists.hr), list(pairs_or_lists.lr)
    else:
        try:
            hr, lr = pairs_or_lists
        except (TypeError, ValueError):
            raise SunpySRTypeError("expected a sunpy_sr.core.pairs.PairSet "
                                   "or a pair (hr_list, lr_list)") from None
        hr, lr = list(hr), list(lr)
    if len(hr) != len(lr):
        raise SunpySRError(f"{len(hr)} HR images but {len(lr)} LR images")
    if not hr:
        raise SunpySRError("no image to evaluate")
    hr = [np.asarray(_data(h), dtype=np.float32) for h in hr]
    lr = [np.asarray(_data(x), dtype=np.float32) for x in lr]
    return hr, lr

def evaluate(pairs_or_lists, methods=("bicubic",), *, strong_threshold=200 * u.G,
             degrade_method="gaussian-bilinear", progress=None, return_outputs=False, uncertainty=False,
             **method_options):
    """
    Evaluate super-resolution methods on HR/LR pairs, as in Rahman et al. (2020), Table 1.

    Each LR image is super-resolved with every method
    (``sunpy_sr.superresolve(lr, method=m)``), each metric is computed per image
    against the HR image and then averaged over the images.

    Parameters
    ----------
    pairs_or_lists : `sunpy_sr.core.pairs.PairSet` or tuple ``(hr_list, lr_list)``
        HR images (G, e.g. clipped to +-2000 G as in `sunpy_sr.core.pairs`) and their
        degraded LR versions (``factor`` = 4 times smaller), as arrays or Maps.
    methods : sequence of str, or mapping
        Registered method names (default: bicubic only). A mapping ``name ->
        list of SR arrays`` evaluates outputs computed elsewhere instead.
    strong_threshold : float or `~astropy.units.Quantity`
        ``|target|`` above which a pixel counts in ``rmse_strong`` (G, default 200).
    degrade_method : str
        Degradation recipe behind the LR images, used by the re-degradation residual.
    progress : bool or None
        Show a `tqdm` progress bar over images; None (default): from 2 images on, when the
        standard error is a terminal (`sunpy_sr.progress.show_progress`).
    return_outputs : bool
        Also return the super-resolved arrays.
    uncertainty : bool
        Run every method with ``uncertainty=True`` (its calibrated 1-sigma error map) and add
        the columns :data:`UNCERTAINTY_COLUMNS`, each over all pixels of all pairs pooled (not
        averaged per image), from `sunpy_sr.metrics.calibration.calibration_statistics` of
        ``error = SR - HR`` and ``sigma``: ``rms_z`` (``RMS(error / sigma)``, dimensionless,
        1 when calibrated), ``coverage_1`` and ``coverage_2`` (fractions of pixels with
        ``|error|`` within 1 and 2 sigma; 0.683 and 0.954 for a calibrated Gaussian error),
        ``nll`` (mean Gaussian negative log-likelihood of the errors under ``sigma``, nats per
        pixel) and ``nll_constant`` (the same for one constant sigma equal to the RMS error,
        nats per pixel: an informative error map has ``nll < nll_constant``). The full
        statistics are in ``table.meta["calibration"][method]``. Every method must have an
        error model; not with given outputs (a mapping ``methods``). The SR outputs are those
        without ``uncertainty`` (the same arrays).
    **method_options : dict
        Per-method options, keyed by method name, e.g.
        ``evaluate(pairs, methods=("bicubic", "rcan"), rcan={"weights": path})``.

    Returns
    -------
    table : `~astropy.table.QTable`
        One row per method with the columns :data:`EVALUATE_COLUMNS` (and
        :data:`UNCERTAINTY_COLUMNS` with ``uncertainty=True``):
        ``method``; ``n_images``; ``psnr`` (dB, peak 4000 G); ``cc``; ``rmse`` (G);
        ``ssim`` (data range 4000 G); ``rmse_strong`` (G, over the pixels with
        ``|target|`` > ``strong_threshold``, averaged over the ``n_strong`` images
        that have any, NaN if none); ``redegradation_residual`` (G, RMS of
        ``degrade(SR) - LR``); ``spectral_error`` (mean ``|log10(P_SR / P_HR)|`` of the
        azimuthally averaged power spectra from 1/8 to 0.4 cycle per HR pixel, see
        `sunpy_sr.metrics.spectral_error`); ``signed_flux_error`` and
        ``unsigned_flux_error`` (sum of B, and of ``|B|``, of SR minus HR, relative to the
        HR unsigned flux; a crop's pixels have nearly equal areas). ``table.meta`` holds
        the threshold, the peak and the per-image values
        (``table.meta["per_image"][method][column]``).
    outputs : dict
        Only with ``return_outputs=True``: method -> list of SR arrays (float32),
        for plotting (`sunpy_sr.visualization`).

    References
    ----------
    Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79

    Examples
    --------
    A pair made from the shipped real HMI cutout (a 128-px crop and its degraded
    32-px version), bicubic against the fast bundled network:

    >>> from sunpy_sr.core.pairs import PairRecipe, make_pairs
    >>> from sunpy_sr.data import sample
    >>> from sunpy_sr.evaluation import evaluate
    >>> pairs = make_pairs([sample.HMI_ACTIVE_REGION], PairRecipe(size=128, stride=128), progress=False)
    >>> table, outputs = evaluate(pairs, methods=("bicubic", "rcan-fast"), progress=False,
    ...                           return_outputs=True)
    >>> for row in table:
    ...     print(f"{row['method']}: {row['psnr']:.2f}, {row['rmse']:.1f}, CC {row['cc']:.3f}")
    bicubic: 41.28 dB, 34.5 G, CC 0.962
    rcan-fast: 42.30 dB, 30.7 G, CC 0.969
    >>> from matplotlib.figure import Figure
    >>> from sunpy_sr.visualization import plot_scatter_figure
    >>> fig = plot_scatter_figure(pairs.hr, outputs, fig=Figure())  # Figure 3 of Rahman et al.
    >>> len(fig.axes)  # per method a histogram, error-bar and scatter panel; one colour bar
    7
    """
    from astropy.table import QTable
    from tqdm.auto import tqdm

    hr, lr = _pairs(pairs_or_lists)
    if isinstance(methods, str):
        methods = (methods,)
    given = dict(methods) if isinstance(methods, Mapping) else None
    names = list(given) if given is not None else list(methods)
    unknown = sorted(set(method_options) - set(names))
    if unknown:
        raise SunpySRTypeError(f"options given for {unknown}, which are not among the methods {names}")
    if given is not None:
        for name, outs in given.items():
            if len(outs) != len(hr):
                raise SunpySRError(f"{name}: {len(outs)} outputs for {len(hr)} images")
        if uncertainty:
            raise SunpySRError("uncertainty=True runs the methods with their error maps; given outputs "
                               "(a mapping of methods) have none")
    else:
        from sunpy_sr.api.pipeline import superresolve
    if uncertainty:
        from sunpy_sr.metrics.calibration import calibration_statistics
        errors = {m: [] for m in names}
        sigmas = {m: [] for m in names}

    per_image = {m: {k: np.empty(len(hr)) for k in _PER_IMAGE} for m in names}
    outputs = {m: [] for m in names}
    total = len(hr) * len(names)
    quiet = not show_progress(progress, long=total > 1)
    with tqdm(total=total, desc="evaluate", unit="image", disable=quiet) as bar:
        for name in names:
            for i, (h, x) in enumerate(zip(hr, lr)):
                if given is not None:
                    sr = np.asarray(_data(given[name][i]), dtype=np.float32)
                elif uncertainty:
                    sr, sigma = superresolve(x, method=name, uncertainty=True, **method_options.get(name, {}))
                    errors[name].append((sr - h).ravel())
                    sigmas[name].append(np.asarray(sigma, dtype=np.float32).ravel())
                else:
                    sr = superresolve(x, method=name, **method_options.get(name, {}))
                factor = sr.shape[0] // x.shape[0]
                vals = per_image[name]
                for k in _PLAIN:
                    vals[k][i] = METRICS[k].function(h, sr)
                vals["rmse_strong"][i] = METRICS["rmse_strong"].function(h, sr, threshold=strong_threshold)
                try:
                    vals["spectral_error"][i] = METRICS["spectral_error"].function(h, sr)
                except SunpySRError:  # a crop too small to have the wavenumber band
                    vals["spectral_error"][i] = np.nan
                vals["redegradation_residual"][i] = METRICS["redegradation_residual"].function(
                    sr, x, factor=factor, method=degrade_method)
                if return_outputs:
                    outputs[name].append(sr)
                bar.update(1)

    columns = EVALUATE_COLUMNS + (UNCERTAINTY_COLUMNS if uncertainty else ())
    rows = {k: [] for k in columns}
    calibration = {}
    for name in names:
        vals = per_image[name]
        strong = vals["rmse_strong"][np.isfinite(vals["rmse_strong"])]
        rows["method"].append(name)
        rows["n_images"].append(len(hr))
        rows["n_strong"].append(len(strong))
        rows["rmse_strong"].append(strong.mean() if len(strong) else np.nan)
        for k in _PER_IMAGE:
            if k != "rmse_strong":
                rows[k].append(vals[k].mean())
        if uncertainty:  # pooled over all pixels of all pairs
            stats = calibration_statistics(np.concatenate(errors[name]), np.concatenate(sigmas[name]))
            calibration[name] = stats
            for k in UNCERTAINTY_COLUMNS:
                rows[k].append(float(stats[k]))
    table = QTable()
    for k in columns:
        unit = METRICS[k].unit if k in METRICS else None
        table[k] = u.Quantity(rows[k], unit) if unit is not None else rows[k]
    table.meta.update({"max_field": MAX_FIELD * u.G,
                       "strong_threshold": quantity_in_gauss(strong_threshold, name="strong_threshold") * u.G,
                       "degrade_method": degrade_method, "per_image": per_image})
    if uncertainty:
        table.meta["calibration"] = calibration
    return (table, outputs) if return_outputs else table
