"""
Image-quality metrics of super-resolved magnetograms (Rahman et al. 2020, Table 1).

PSNR with a peak of ``MAX = 4000`` G (the full range of fields clipped to +-2000 G),
Pearson's correlation coefficient, RMSE in gauss and SSIM (Wang et al. 2004) with
``data_range = 4000`` G; plus the RMSE over strong-field pixels and the re-degradation
residual. All accept Maps, Quantities (converted to gauss) or arrays (in gauss) and ignore
pixels that are NaN in either input.

References
----------
Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79

Wang, Z., Bovik, A. C., Sheikh, H. R. & Simoncelli, E. P. 2004, IEEE Trans. Image
Process. 13, 600, doi:10.1109/TIP.2003.819861
"""
import astropy.units as u
import numpy as np

from sunpy_sr.core.units import quantity_in_gauss
from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.metrics._common import _arrays, _data

__all__ = ["MAX_FIELD", "rmse", "psnr", "pearson_cc", "ssim", "strong_field_rmse", "redegradation_residual"]

#: Peak value (G) of PSNR and data range of SSIM, as in Rahman et al. (2020).
MAX_FIELD = 4000.0


def rmse(target, output):
    """
    Root-mean-square error (G) over pixels finite in both.

    Examples
    --------
    >>> import astropy.units as u
    >>> import numpy as np
    >>> from sunpy_sr.metrics import rmse
    >>> target = np.array([[0.0, 100.0], [-200.0, 1500.0]])          # G
    >>> rmse(target, target + [[10.0, -10.0], [10.0, np.nan]])        # G; the NaN pixel is left out
    10.0
    >>> round(rmse(target * u.G, (target + 10) / 1000 * u.kG), 2)   # Quantities are converted to G
    10.0
    """
    t, o, v = _arrays(target, output)
    return float(np.sqrt(np.mean((t[v] - o[v]) ** 2)))

def psnr(target, output, *, max_value=MAX_FIELD):
    """
    Peak signal-to-noise ratio (dB): ``10 log10(max_value**2 / MSE)``, max_value in G.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.metrics import psnr
    >>> target = np.array([[0.0, 100.0], [-200.0, 1500.0]])    # G
    >>> round(psnr(target, target + 10.0), 2)                  # dB: 20 log10(4000 G / 10 G)
    52.04
    >>> round(psnr(target, target + 10.0, max_value=2000), 2)  # a peak of 2000 G: 6.02 dB less
    46.02
    >>> psnr(target, target)
    inf
    """
    e = rmse(target, output)
    return float("inf") if e == 0 else float(20 * np.log10(max_value / e))

def pearson_cc(target, output):
    """
    Pixel-to-pixel Pearson correlation coefficient over pixels finite in both.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.metrics import pearson_cc
    >>> t = np.array([[-100.0, 0.0], [300.0, 1200.0]])          # G
    >>> round(pearson_cc(t, 2 * t + 50), 6), round(pearson_cc(t, -t), 6)   # gain and offset do not count
    (1.0, -1.0)
    >>> round(pearson_cc(t, t + [[50.0, -50.0], [50.0, -50.0]]), 3)
    0.996
    """
    t, o, v = _arrays(target, output)
    t, o = t[v] - t[v].mean(), o[v] - o[v].mean()
    den = np.sqrt((t * t).sum() * (o * o).sum())
    return float((t * o).sum() / den) if den > 0 else float("nan")

def ssim(target, output, *, data_range=MAX_FIELD):
    """
    Structural similarity (Wang et al. 2004) with ``data_range`` in G.

    Uses `skimage.metrics.structural_similarity` (7x7 uniform window); NaN
    pixels are set to 0 G in both images and the SSIM map is averaged over the
    pixels valid in both, leaving out a 3-pixel border as scikit-image does
    (so that without NaN the value is exactly scikit-image's).

    References
    ----------
    Wang, Z., Bovik, A. C., Sheikh, H. R. & Simoncelli, E. P. 2004, IEEE Trans.
    Image Process. 13, 600, doi:10.1109/TIP.2003.819861

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.metrics import ssim
    >>> rng = np.random.default_rng(0)
    >>> target = rng.normal(0, 300, (32, 32))                           # G (at least 7x7 pixels)
    >>> round(ssim(target, target), 3)
    1.0
    >>> round(ssim(target, target + rng.normal(0, 100, (32, 32))), 3)   # 100 G of noise
    0.894
    >>> round(ssim(target, 0.5 * target), 3)                            # half the contrast
    0.759
    """
    from skimage.metrics import structural_similarity
    t, o, v = _arrays(target, output)
    _, smap = structural_similarity(np.where(v, t, 0), np.where(v, o, 0), data_range=data_range,
                                    full=True)
    pad = (7 - 1) // 2                      # skimage's default win_size = 7
    inner = np.zeros_like(v)
    inner[pad:-pad, pad:-pad] = True
    use = v & inner if (v & inner).any() else v
    return float(smap[use].mean())

def strong_field_rmse(target, output, *, threshold=200 * u.G):
    """
    RMSE (G) over the strong-field pixels, ``|target| > threshold``.

    Parameters
    ----------
    target, output : `~sunpy.map.GenericMap` or `numpy.ndarray`
        Reference (HR) and super-resolved magnetograms, field in G, same shape.
    threshold : float or `~astropy.units.Quantity`
        Field strength (G, default 200 G: plage and active regions) above which a
        target pixel counts as strong.

    Returns
    -------
    float
        The RMSE in G, or NaN when no pixel finite in both inputs exceeds the
        threshold (e.g. a quiet-Sun crop).

    Examples
    --------
    >>> import astropy.units as u
    >>> import numpy as np
    >>> from sunpy_sr.metrics import rmse, strong_field_rmse
    >>> target = np.array([[50.0, -300.0], [800.0, 10.0]])          # G
    >>> output = target + [[40.0, 10.0], [-10.0, -40.0]]
    >>> strong_field_rmse(target, output), round(rmse(target, output), 2)   # G: -300 and 800 G only; all
    (10.0, 29.15)
    >>> strong_field_rmse(target, output, threshold=1 * u.kG)       # no pixel above 1 kG
    nan
    """
    t, o, v = _arrays(target, output)
    with np.errstate(invalid="ignore"):
        strong = v & (np.abs(t) > quantity_in_gauss(threshold, name="threshold"))
    if not strong.any():
        return float("nan")
    return float(np.sqrt(np.mean((t[strong] - o[strong]) ** 2)))

def redegradation_residual(sr, lr, *, factor=4, method="gaussian-bilinear", sigma=2.0, kernel_size=5):
    """
    RMS (G) of ``degrade(sr) - lr``: how well a super-resolved map keeps its input flux.

    A super-resolution consistent with the forward model (the degradation that
    made ``lr`` from the true HR map) reproduces ``lr`` when degraded again; the
    residual is then 0 G. It needs no HR reference, so it also applies to real
    full-resolution inputs.

    Parameters
    ----------
    sr : `~sunpy.map.GenericMap` or `numpy.ndarray`
        Super-resolved magnetogram (G), ``factor`` times the shape of ``lr``.
    lr : `~sunpy.map.GenericMap` or `numpy.ndarray`
        The low-resolution input (G).
    factor : int
        Zoom factor (default 4).
    method : str
        Degradation recipe, a name in `sunpy_sr.core.degradation_methods` (see
        `sunpy_sr.degrade`).
    sigma, kernel_size
        Gaussian width and size (HR pixels) of the ``"gaussian-bilinear"`` recipe.

    Returns
    -------
    float
        RMS residual in G over pixels finite in both ``degrade(sr)`` and ``lr``.

    Raises
    ------
    ValueError
        If ``sr`` is not ``factor`` times the shape of ``lr``.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core.degradation import degrade_array
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.metrics import redegradation_residual
    >>> hr = hmi_active_region().data[:128, :128]     # G
    >>> lr = degrade_array(hr)                        # the 32x32 input made from it
    >>> redegradation_residual(hr, lr)                # G: the true HR map is consistent
    0.0
    >>> round(redegradation_residual(np.kron(lr, np.ones((4, 4))), lr), 2)   # G, pixel replication
    2.14
    """
    from sunpy_sr.core.degradation import degrade_array
    s = np.asarray(_data(sr), dtype=np.float32)
    low = np.asarray(_data(lr), dtype=np.float64)
    if s.ndim != 2 or low.ndim != 2 or s.shape != (low.shape[0] * factor, low.shape[1] * factor):
        raise SunpySRError(f"sr shape {s.shape} is not {factor} x lr shape {low.shape}")
    return rmse(low, degrade_array(s, factor=factor, method=method, sigma=sigma,
                                   kernel_size=kernel_size))
