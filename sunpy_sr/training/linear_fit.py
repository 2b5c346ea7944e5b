"""
Fitting the least-squares optimal linear 4x filter (`sunpy_sr.weights.linear`) on training pairs.

The fit uses the same pairs, the same quiet-Sun/strong-field balance and the same
8 symmetries of the square as the networks.
"""
import numpy as np

from sunpy_sr.core.grid import SQUARE_SYMMETRIES, apply_symmetry
from sunpy_sr.weights.linear import LinearFilter

__all__ = ["fit_linear_filter"]


def fit_linear_filter(pairs, *, size=7, scale=4, strong_fraction=0.5, strong_threshold=300.0,
                      ridge=1e-3):
    """
    Fit the filter on HR/LR pairs by weighted least squares.

    Parameters
    ----------
    pairs : `sunpy_sr.core.pairs.PairSet`
    size : int
        Odd LR neighbourhood size ``k``.
    strong_fraction, strong_threshold : float
        Share of the total weight given to LR pixels whose HR block has
        ``max |B| > strong_threshold`` (G), as in `sunpy_sr.training.PatchSampler`.
    ridge : float
        Tikhonov term, relative to the mean diagonal of the normal matrix.

    Examples
    --------
    Fitted on the 64x64 crops of the shipped cutout of the 2011-12-17 training disk, and
    scored on those of the 2016-07-07 validation disk (bicubic interpolation: 50.8 dB, see
    `sunpy_sr.training.validate`):

    >>> import numpy as np
    >>> from sunpy_sr.core.pairs import PairRecipe, make_pairs
    >>> from sunpy_sr.data import sample, test
    >>> from sunpy_sr.metrics import psnr
    >>> from sunpy_sr.training import fit_linear_filter
    >>> recipe = PairRecipe(size=64, stride=64)
    >>> linear = fit_linear_filter(make_pairs([test.HMI_AR_20111217], recipe, progress=False))
    >>> linear.coef.shape  # a 7x7 LR filter for each of the 4x4 HR phases
    (4, 4, 7, 7)
    >>> bool(np.allclose(linear.coef.sum(axis=(2, 3)), 1, atol=0.01))  # a uniform field stays uniform
    True
    >>> val = make_pairs([sample.HMI_ACTIVE_REGION], recipe, progress=False)
    >>> round(float(np.mean([psnr(hr, linear.apply(lr)) for lr, hr in zip(val.lr, val.hr)])), 1)  # dB
    51.5
    """
    r = size // 2
    # the normal equations are accumulated image by image (memory: one image's windows at a time),
    # once over all pixels and once over the strong ones, and weighted at the end
    n_in, n_out = size * size, scale * scale
    xtx_all, xty_all = np.zeros((n_in, n_in)), np.zeros((n_in, n_out))
    xtx_strong, xty_strong = np.zeros((n_in, n_in)), np.zeros((n_in, n_out))
    n_all = n_strong = 0
    for lr0, hr0 in zip(pairs.lr, pairs.hr):
        for k, flip, _ in SQUARE_SYMMETRIES:
            lr, hr = apply_symmetry(lr0, k, flip), apply_symmetry(hr0, k, flip)
            ny, nx = lr.shape
            win = np.lib.stride_tricks.sliding_window_view(lr, (size, size))  # (ny-2r, nx-2r, k, k)
            X = win.reshape(-1, n_in).astype(np.float64)
            blocks = hr.reshape(ny, scale, nx, scale).transpose(0, 2, 1, 3)[r:ny - r, r:nx - r]
            Y = blocks.reshape(-1, n_out).astype(np.float64)
            strong = np.abs(Y).max(axis=1) > strong_threshold
            xtx_all += X.T @ X
            xty_all += X.T @ Y
            Xs = X[strong]
            xtx_strong += Xs.T @ Xs
            xty_strong += Xs.T @ Y[strong]
            n_all += len(X)
            n_strong += int(strong.sum())
    if n_strong:
        XtX = (1 - strong_fraction) / n_all * xtx_all + strong_fraction / n_strong * xtx_strong
        XtY = (1 - strong_fraction) / n_all * xty_all + strong_fraction / n_strong * xty_strong
    else:
        XtX, XtY = xtx_all / n_all, xty_all / n_all
    XtX += ridge * np.trace(XtX) / len(XtX) * np.eye(len(XtX))
    coef = np.linalg.solve(XtX, XtY)  # (k*k, s*s)
    return LinearFilter(coef.T.reshape(scale, scale, size, size), scale)
