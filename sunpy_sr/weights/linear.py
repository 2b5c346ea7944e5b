"""
The least-squares optimal linear 4x filter (the strongest classical baseline) and its bundled file.

For every output phase ``(a, b)`` (``a, b`` in ``0..3``) one ``k`` x ``k`` filter
maps the LR neighbourhood of LR pixel ``(i, j)`` to HR pixel ``(4i+a, 4j+b)``.
The ``16 k^2`` coefficients minimise the squared error over training pairs
(ridge-regularised normal equations), i.e. the best any linear,
shift-invariant 4x method can do on that data: a Wiener-like deconvolution of
the degradation that bicubic interpolation does not attempt. It is fitted on the
same pairs, with the same quiet-Sun/strong-field balance and the same 8
symmetries of the square, as the networks (`sunpy_sr.training.linear_fit`), and applied by the
``linear`` method (`sunpy_sr.methods.classical`).
"""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.ndimage

from sunpy_sr.exceptions import WeightsError
from sunpy_sr.weights.catalogue import WEIGHTS_DIR

__all__ = ["LinearFilter", "load_linear_filter", "LINEAR_WEIGHTS"]

#: The bundled filter (fitted by ``sunpy-sr fit-linear`` on the training pairs;
#: see `sunpy_sr.training.linear_fit`).
LINEAR_WEIGHTS = WEIGHTS_DIR / "linear.npz"


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
