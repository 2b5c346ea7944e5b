"""
Is an error map right? Calibration and sharpness of a per-pixel sigma against the true error.

For errors ``e = output - truth`` and stated standard deviations ``sigma``:

``rms_z``
    ``RMS(e / sigma)``: 1 for a calibrated sigma (the error is as large as stated, on average);
``coverage``
    the share of pixels with ``|e| <= k sigma`` for several ``k`` (a reliability diagram): a
    calibrated Gaussian gives 38.3 / 68.3 / 86.6 / 95.4 / 98.8 / 99.7 % at k = 0.5 ... 3, a
    Laplace distribution of the same RMS 50.7 / 75.7 / 88.0 / 94.1 / 97.1 / 98.6 %;
``nll``
    the mean Gaussian negative log-likelihood of the errors under ``sigma`` (nats per pixel;
    lower is better): it rewards a sigma that is both calibrated and sharp (large where the
    error is large and small where it is small);
``nll_constant``
    the same for one constant sigma equal to the set's own RMS error: calibrated by
    construction and uninformative; an error map worth having beats it (``nll < nll_constant``);
``spearman``
    rank correlation of ``sigma`` with ``|e|``.

These are plain numpy and take arrays in any one unit (both in G, say).
"""
import numpy as np

__all__ = ["COVERAGE_LEVELS", "GAUSSIAN_COVERAGE", "LAPLACE_COVERAGE", "calibration_statistics",
           "gaussian_nll"]

#: multiples of sigma at which `calibration_statistics` reports the coverage
COVERAGE_LEVELS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
#: coverage of a calibrated Gaussian error at `COVERAGE_LEVELS`
GAUSSIAN_COVERAGE = (0.3829, 0.6827, 0.8664, 0.9545, 0.9876, 0.9973)
#: coverage of a Laplace error of unit RMS at `COVERAGE_LEVELS`: 1 - exp(-sqrt(2) k)
LAPLACE_COVERAGE = tuple(round(1 - float(np.exp(-np.sqrt(2) * k)), 4) for k in COVERAGE_LEVELS)


def gaussian_nll(error, sigma):
    """
    Mean Gaussian negative log-likelihood (nats per pixel) of ``error`` under ``sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.metrics.calibration import gaussian_nll
    >>> round(gaussian_nll(np.zeros(3), np.ones(3)), 4)    # 0.5 ln(2 pi)
    0.9189
    """
    e = np.asarray(error, dtype=np.float64)
    s = np.asarray(sigma, dtype=np.float64)
    return float(np.mean(0.5 * np.log(2 * np.pi * s * s) + 0.5 * (e / s) ** 2))


def _spearman(a, b):
    ra = np.argsort(np.argsort(a, kind="stable"), kind="stable").astype(np.float64)
    rb = np.argsort(np.argsort(b, kind="stable"), kind="stable").astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def calibration_statistics(error, sigma, *, levels=COVERAGE_LEVELS, max_rank_pixels=2_000_000, seed=0):
    """
    Calibration and sharpness of ``sigma`` for the errors ``error`` (see module docstring).

    Parameters
    ----------
    error : array-like
        ``output - truth``; non-finite pixels (and those of non-finite ``sigma``) are ignored.
    sigma : array-like
        The stated standard deviations, the same unit and shape.
    levels : sequence of float
        Multiples of sigma for the coverage.
    max_rank_pixels : int
        The Spearman correlation uses a random subset of at most this many pixels.
    seed : int
        Seed of that subset.

    Returns
    -------
    dict
        ``n``, ``rms_error``, ``rms_sigma``, ``rms_z``, ``coverage`` (a list, one per level),
        ``coverage_1``, ``coverage_2`` (at 1 and 2 sigma, if among ``levels``), ``nll``,
        ``nll_constant``, ``spearman``. With no valid pixel, ``n`` is 0 and the rest NaN.

    Examples
    --------
    A Gaussian error with its true sigma:

    >>> import numpy as np
    >>> from sunpy_sr.metrics.calibration import calibration_statistics
    >>> rng = np.random.default_rng(1)
    >>> sigma = rng.uniform(1, 10, 200_000)
    >>> s = calibration_statistics(rng.normal(0, sigma), sigma)
    >>> round(s["rms_z"], 2), round(s["coverage_1"], 2), round(s["coverage_2"], 2)
    (1.0, 0.68, 0.95)
    >>> bool(s["nll"] < s["nll_constant"]), bool(s["spearman"] > 0.3)   # sharper than a constant
    (True, True)
    """
    e = np.asarray(error, dtype=np.float64).ravel()
    s = np.asarray(sigma, dtype=np.float64).ravel()
    ok = np.isfinite(e) & np.isfinite(s) & (s > 0)
    e, s = e[ok], s[ok]
    out = {"n": int(e.size)}
    nan = float("nan")
    if not e.size:
        out.update(rms_error=nan, rms_sigma=nan, rms_z=nan, coverage=[nan] * len(levels), coverage_1=nan,
                   coverage_2=nan, nll=nan, nll_constant=nan, spearman=nan)
        return out
    z = np.abs(e) / s
    rms = float(np.sqrt(np.mean(e * e)))
    out["rms_error"] = rms
    out["rms_sigma"] = float(np.sqrt(np.mean(s * s)))
    out["rms_z"] = float(np.sqrt(np.mean(z * z)))
    out["coverage"] = [float(np.mean(z <= k)) for k in levels]
    for k, name in ((1.0, "coverage_1"), (2.0, "coverage_2")):
        out[name] = float(np.mean(z <= k)) if k in levels else nan
    out["nll"] = gaussian_nll(e, s)
    out["nll_constant"] = gaussian_nll(e, np.full_like(e, max(rms, 1e-30)))
    if e.size > max_rank_pixels:
        pick = np.random.default_rng(seed).choice(e.size, max_rank_pixels, replace=False)
        e, s = e[pick], s[pick]
    out["spearman"] = _spearman(s, np.abs(e)) if e.size > 2 else nan
    return out
