"""Helpers shared by the metrics: arrays in gauss from Maps, Quantities or arrays."""
import numpy as np

from sunpy_sr.core.units import gauss_values as _data
from sunpy_sr.exceptions import SunpySRError

__all__ = []


def _arrays(target, output, allow_empty=False):
    t = np.asarray(_data(target), dtype=np.float64)
    o = np.asarray(_data(output), dtype=np.float64)
    if t.shape != o.shape:
        raise SunpySRError(f"shapes differ: target {t.shape}, output {o.shape}")
    valid = np.isfinite(t) & np.isfinite(o)
    if not (allow_empty or valid.any()):
        raise SunpySRError("no pixel is finite in both inputs")
    return t, o, valid
