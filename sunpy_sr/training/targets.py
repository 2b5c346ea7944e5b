"""
Sharpened pixel targets for the adversarial strategy (``GanSettings.pixel_target_sharpening``).

A network trained with a pixel loss against ``T y``, a fixed linear filter of the target ``y``,
learns ``E[T y | x] = T E[y | x]``: the filtered version of the network it would learn against
``y``. With ``T`` the radial spectral gain that brings the mean power spectrum of the network's
outputs up to the targets' (``tools/texture_oracle.py`` measures the gain and what it does to
the magnetic elements), the generator learns to sharpen its own detail in place instead of
adding texture beside it.
"""
import numpy as np
import torch
import torch.nn.functional as F

from sunpy_sr.exceptions import SunpySRError

__all__ = ["SharpenedTarget", "sharpening_kernel"]


def sharpening_kernel(curve, strength, *, radius=12, grid=128):
    """
    A (2 radius + 1)^2 filter whose frequency response is ``1 + strength (g(|f|) - 1)``.

    Designed by frequency sampling on a ``grid`` x ``grid`` FFT grid, cut to its centre and
    tapered by a Hann window; normalised to a DC gain of exactly 1, so that it keeps the mean
    (the flux) of what it filters.

    Parameters
    ----------
    curve : sequence of (float, float)
        ``(f, g)`` pairs: the gain ``g`` at ``|f|`` cycles per pixel, ``f`` increasing.
    strength : float
        ``s``: 0 gives the identity, 1 the gain itself.
    radius : int
        Half-width of the filter (pixels).
    grid : int
        Size of the design grid.

    Returns
    -------
    `numpy.ndarray`
        (2 radius + 1, 2 radius + 1) float64.

    Examples
    --------
    >>> from sunpy_sr.training.targets import sharpening_kernel
    >>> k = sharpening_kernel([(0.0, 1.0), (0.1, 1.0), (0.25, 2.0), (0.71, 2.0)], 1.0, radius=8)
    >>> k.shape, round(float(k.sum()), 6), bool(k[8, 8] > 1)
    ((17, 17), 1.0, True)
    """
    curve = np.asarray(curve, dtype=float)
    if curve.ndim != 2 or curve.shape[1] != 2 or np.any(np.diff(curve[:, 0]) <= 0):
        raise SunpySRError("the sharpening curve must be (f, g) pairs with f increasing")
    if not 2 * radius + 1 <= grid:
        raise SunpySRError(f"radius {radius} does not fit a design grid of {grid}")
    f = np.fft.fftfreq(grid)
    response = 1.0 + float(strength) * (np.interp(np.hypot(*np.meshgrid(f, f, indexing="ij")),
                                                  curve[:, 0], curve[:, 1]) - 1.0)
    kernel = np.fft.fftshift(np.fft.ifft2(response).real)
    c = grid // 2
    kernel = kernel[c - radius:c + radius + 1, c - radius:c + radius + 1]
    taper = np.hanning(2 * radius + 3)[1:-1]
    kernel = kernel * np.outer(taper, taper)
    return kernel / kernel.sum()


class SharpenedTarget:
    """
    ``T y`` for batches ``(N, 1, H, W)`` in gauss: `sharpening_kernel` with reflected edges.

    Parameters
    ----------
    curve, strength, radius
        As in `sharpening_kernel`.

    Examples
    --------
    >>> import torch
    >>> from sunpy_sr.training.targets import SharpenedTarget
    >>> sharpen = SharpenedTarget([(0.0, 1.0), (0.1, 1.0), (0.25, 2.0), (0.71, 2.0)], 1.0, radius=8)
    >>> flat = torch.full((1, 1, 32, 32), 50.0)
    >>> bool(torch.allclose(sharpen(flat), flat))  # G: a uniform field is kept
    True
    """

    def __init__(self, curve, strength, *, radius=12):
        self.radius = int(radius)
        self.kernel = torch.as_tensor(sharpening_kernel(curve, strength, radius=self.radius),
                                      dtype=torch.float32)[None, None]

    def __call__(self, y):
        r = self.radius
        if min(y.shape[-2:]) <= r:
            raise SunpySRError(f"sharpened targets need patches larger than {r} pixels, got {tuple(y.shape)}")
        k = self.kernel.to(dtype=y.dtype, device=y.device)
        return F.conv2d(F.pad(y, (r, r, r, r), mode="reflect"), k)
