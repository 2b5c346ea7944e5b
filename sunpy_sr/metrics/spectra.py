"""
Azimuthally averaged power spectra of magnetograms, and the spectral error of a super-resolution.

A regression network trained on a pixel loss tends to smooth away power at the smallest scales
it predicts; a GAN is meant to restore it. :func:`spectral_error` puts a number on that: the mean
``|log10(P_out / P_target)|`` over wavenumbers from the LR Nyquist frequency (1/8 cycle per HR
pixel for a 4x super-resolution) to 0.4 cycle per HR pixel, the range the network must invent.
"""
import numpy as np

from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.metrics._common import _data

__all__ = ["power_spectrum", "spectral_error", "SPECTRAL_BAND"]

#: Default wavenumber band (cycles per HR pixel) of :func:`spectral_error`: from the Nyquist
#: frequency of the 4x coarser input (1/8) to 0.4.
SPECTRAL_BAND = (1 / 8, 0.4)


def _field(x):
    a = np.asarray(_data(x), dtype=np.float64)
    if a.ndim != 2:
        raise SunpySRError(f"expected a 2D image, got shape {a.shape}")
    return a


def power_spectrum(image, *, n_bins=None):
    """
    Azimuthally averaged power spectrum of a 2D field.

    The mean is removed, NaN pixels are set to 0 G and a 2D Hann window tapers the
    edges (so that the image border adds no power at high wavenumbers).

    Parameters
    ----------
    image : `~sunpy.map.GenericMap`, `~astropy.units.Quantity` or `numpy.ndarray`
        Field (converted to gauss; arrays in gauss).
    n_bins : int, optional
        Number of wavenumber bins between 0 and 0.5 cycle per pixel (default:
        half the smaller side).

    Returns
    -------
    k : `numpy.ndarray`
        Bin centres, cycles per pixel.
    power : `numpy.ndarray`
        Mean power per bin, G^2 (arbitrary normalisation, the same for images of one shape).

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.metrics import power_spectrum
    >>> wave = 100 * np.cos(2 * np.pi * np.arange(64) / 8) * np.ones((64, 1))   # G, period 8 px along x
    >>> k, power = power_spectrum(wave, n_bins=10)
    >>> print(len(k), k[np.argmax(power)])      # bins; the peak, cycles per pixel: 1/8
    10 0.125
    """
    a = _field(image)
    a = np.where(np.isfinite(a), a, 0.0)
    a = a - a.mean()
    ny, nx = a.shape
    a = a * np.outer(np.hanning(ny), np.hanning(nx))
    p = np.abs(np.fft.fft2(a)) ** 2 / (ny * nx)
    ky, kx = np.meshgrid(np.fft.fftfreq(ny), np.fft.fftfreq(nx), indexing="ij")
    k = np.hypot(ky, kx)
    n_bins = int(n_bins or min(ny, nx) // 2)
    edges = np.linspace(0.0, 0.5, n_bins + 1)
    idx = np.digitize(k.ravel(), edges) - 1
    use = (idx >= 0) & (idx < n_bins)
    total = np.bincount(idx[use], weights=p.ravel()[use], minlength=n_bins)
    count = np.bincount(idx[use], minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        power = total / count
    return 0.5 * (edges[1:] + edges[:-1]), power


def spectral_error(target, output, *, band=SPECTRAL_BAND):
    """
    Mean ``|log10(P_output / P_target)|`` over a wavenumber band (dimensionless, 0 is perfect).

    Parameters
    ----------
    target, output : `~sunpy.map.GenericMap`, `~astropy.units.Quantity` or `numpy.ndarray`
        Reference (HR) and super-resolved fields of the same shape.
    band : (float, float)
        Wavenumbers (cycles per HR pixel); default from the 4x input's Nyquist
        frequency, 1/8, to 0.4.

    Returns
    -------
    float
        0.1 means the output's power is off by a factor 10**0.1 = 1.26 on average;
        a smoothed output has too little power (its log ratio is negative).

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.metrics import spectral_error
    >>> x = np.random.default_rng(0).normal(size=(64, 64))
    >>> spectral_error(x, x)
    0.0
    >>> round(spectral_error(x, 0.5 * x), 3)   # a quarter of the power: log10(4)
    0.602
    """
    t, o = _field(target), _field(output)
    if t.shape != o.shape:
        raise SunpySRError(f"shapes differ: target {t.shape}, output {o.shape}")
    k, pt = power_spectrum(t)
    _, po = power_spectrum(o)
    use = (k >= band[0]) & (k <= band[1]) & (pt > 0) & (po > 0)
    if not use.any():
        raise SunpySRError(f"no wavenumber bin in {band} with power in both images (image too small?)")
    return float(np.mean(np.abs(np.log10(po[use] / pt[use]))))
