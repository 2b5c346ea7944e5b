"""Helpers shared by the metrics: arrays in gauss from Maps, Quantities or arrays."""
import numpy as np
import sunpy.map

from sunpy_sr.core.units import to_gauss
from sunpy_sr.exceptions import SunpySRError

__all__ = []


def _data(x):
    """The values of a Map or Quantity converted to gauss (float64); arrays are taken as gauss."""
    if isinstance(x, sunpy.map.GenericMap) or hasattr(x, "unit"):
        # a map without BUNIT is taken as gauss; one in DN or m/s is an error naming the unit
        return to_gauss(x, assume_magnetogram="missing", dtype=np.float64)
    return x


def _arrays(target, output, allow_empty=False):
    t = np.asarray(_data(target), dtype=np.float64)
    o = np.asarray(_data(output), dtype=np.float64)
    if t.shape != o.shape:
        raise SunpySRError(f"shapes differ: target {t.shape}, output {o.shape}")
    valid = np.isfinite(t) & np.isfinite(o)
    if not (allow_empty or valid.any()):
        raise SunpySRError("no pixel is finite in both inputs")
    return t, o, valid
