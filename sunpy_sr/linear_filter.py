"""
The least-squares optimal linear 4x filter: the strongest classical baseline.

For every output phase ``(a, b)`` (``a, b`` in ``0..3``) one ``k`` x ``k`` filter
maps the LR neighbourhood of LR pixel ``(i, j)`` to HR pixel ``(4i+a, 4j+b)``.
The ``16 k^2`` coefficients minimise the squared error over training pairs
(ridge-regularised normal equations), i.e. the best any linear,
shift-invariant 4x method can do on that data: a Wiener-like deconvolution of
the degradation that bicubic interpolation does not attempt. It is fitted on the
same pairs, with the same quiet-Sun/strong-field balance and the same 8
symmetries of the square, as the networks.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.ndimage

from sunpy_sr.exceptions import WeightsError

__all__ = ["LinearFilter", "fit_linear_filter", "load_linear_filter", "LINEAR_WEIGHTS"]

#: The bundled filter (fitted by ``sunpy-sr fit-linear`` on the training pairs).
LINEAR_WEIGHTS = Path(__file__).parent / "weights" / "linear.npz"


@dataclass
class LinearFilter:
    """``coef[a, b]`` is the ``k`` x ``k`` filter of output phase ``(a, b)`` (G per G)."""
    coef: np.ndarray
    scale: int = 4

    @property
    def radius(self):
        """Receptive radius in LR pixels."""
        return self.coef.shape[-1] // 2

    def apply(self, lr):
        """Apply to a float32 LR array (no NaN): returns the ``scale`` x array (G)."""
        s = self.scale
        lr = np.asarray(lr, dtype=np.float32)
        out = np.empty((lr.shape[0] * s, lr.shape[1] * s), dtype=np.float32)
        for a in range(s):
            for b in range(s):
                out[a::s, b::s] = scipy.ndimage.correlate(lr, self.coef[a, b].astype(np.float32),
                                                          mode="nearest")
        return out

    def save(self, path, **metadata):
        np.savez(path, coef=self.coef.astype(np.float32), scale=self.scale,
                 metadata=json.dumps(metadata))


def _symmetries(lr, hr):
    for k in range(4):
        for flip in (False, True):
            a, b = np.rot90(lr, k), np.rot90(hr, k)
            yield (a[:, ::-1], b[:, ::-1]) if flip else (a, b)


def fit_linear_filter(pairs, *, size=7, scale=4, strong_fraction=0.5, strong_threshold=300.0,
                      ridge=1e-3):
    """
    Fit the filter on HR/LR pairs by weighted least squares.

    Parameters
    ----------
    pairs : `sunpy_sr.pairs.PairSet`
    size : int
        Odd LR neighbourhood size ``k``.
    strong_fraction, strong_threshold : float
        Share of the total weight given to LR pixels whose HR block has
        ``max |B| > strong_threshold`` (G), as in `sunpy_sr.train.PatchSampler`.
    ridge : float
        Tikhonov term, relative to the mean diagonal of the normal matrix.
    """
    r = size // 2
    chunks = []
    for lr0, hr0 in zip(pairs.lr, pairs.hr):
        for lr, hr in _symmetries(lr0, hr0):
            ny, nx = lr.shape
            win = np.lib.stride_tricks.sliding_window_view(lr, (size, size))  # (ny-2r, nx-2r, k, k)
            X = win.reshape(-1, size * size).astype(np.float64)
            blocks = hr.reshape(ny, scale, nx, scale).transpose(0, 2, 1, 3)[r:ny - r, r:nx - r]
            Y = blocks.reshape(-1, scale * scale).astype(np.float64)
            strong = np.abs(Y).max(axis=1) > strong_threshold
            chunks.append((X, Y, strong))
    n_all = sum(len(c[0]) for c in chunks)
    n_strong = sum(int(c[2].sum()) for c in chunks)
    XtX = np.zeros((size * size, size * size))
    XtY = np.zeros((size * size, scale * scale))
    for X, Y, strong in chunks:
        w = np.full(len(X), (1 - strong_fraction) / n_all if n_strong else 1 / n_all)
        if n_strong:
            w[strong] += strong_fraction / n_strong
        Xw = X * w[:, None]
        XtX += Xw.T @ X
        XtY += Xw.T @ Y
    XtX += ridge * np.trace(XtX) / len(XtX) * np.eye(len(XtX))
    coef = np.linalg.solve(XtX, XtY)  # (k*k, s*s)
    return LinearFilter(coef.T.reshape(scale, scale, size, size), scale)


def load_linear_filter(path=None):
    """Load a filter saved by `LinearFilter.save` (default: the bundled one)."""
    path = Path(path) if path is not None else LINEAR_WEIGHTS
    if not path.exists():
        raise WeightsError(f"linear filter file {path} does not exist")
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            coef, scale = z["coef"], int(z["scale"])
    except Exception as e:
        raise WeightsError(f"cannot read linear filter {path}: {e}") from None
    if coef.ndim != 4 or coef.shape[:2] != (scale, scale) or coef.shape[2] != coef.shape[3] \
            or coef.shape[2] % 2 == 0 or not np.isfinite(coef).all():
        raise WeightsError(f"{path}: not a valid filter (coefficient array of shape {coef.shape})")
    return LinearFilter(coef.astype(np.float64), scale)
