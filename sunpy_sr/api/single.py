"""
One Map or 2D array through a prepared method: fill NaN, run tiled, restore NaN, rebuild the header.

The bottom of ``sunpy_sr.api``: ``sunpy_sr.api.pipeline`` (``superresolve``, ``PreparedMethod``) and
``sunpy_sr.api.dispatch`` (the containers) both use it, and it imports neither (no import circle).
"""
import warnings

import numpy as np
import sunpy.map

from sunpy_sr.core.grid import restore_nan
from sunpy_sr.core.header import add_provenance, rescale_meta
from sunpy_sr.core.units import field_unit, from_gauss
from sunpy_sr.core.validation import validate_input
from sunpy_sr.exceptions import SunpySRError, SunpySRUserWarning
from sunpy_sr.inference.state import torch_threads
from sunpy_sr.inference.tiling import run_tiled

__all__ = ["FILL_VALUE"]

#: Field (G) put in place of NaN before a method runs; such pixels are NaN again after.
FILL_VALUE = 0.0


def _run_array(prepared, data, bad, *, tile_size, progress, threads, tile_workers, out):
    """
    Run a prepared method on a 2D array in gauss (modified: ``bad`` pixels filled).

    Returns ``(result, std)`` in gauss, ``std`` None without uncertainty; children of
    ``bad`` pixels are NaN in both.
    """
    m = prepared.method
    func, radius = prepared.build()
    if radius == float("inf"):
        if tile_size is not None and max(data.shape) > tile_size:
            warnings.warn(f"{prepared.name}: global channel attention has an unbounded receptive field, "
                          "so the map is processed in one piece (no tiling)", SunpySRUserWarning,
                          stacklevel=2)
        tile_size, radius = None, 0
    any_bad = bool(bad.any())
    data[bad] = FILL_VALUE
    import torch
    threads = int(threads) if threads is not None else torch.get_num_threads()
    if threads < 1:
        raise SunpySRError(f"threads must be a positive integer, got {threads}")
    if int(tile_workers) < 1:
        raise SunpySRError(f"tile_workers must be a positive integer, got {tile_workers}")
    workers = min(int(tile_workers), threads) if tile_size is not None and max(data.shape) > tile_size else 1
    tiled = dict(scale=m.scale, pad=int(radius), tile=tile_size, skip=bad if any_bad else None,
                 progress=progress, workers=workers)
    std = None
    with torch_threads(max(1, threads // workers)):
        if prepared.uncertainty:
            # mean and std side by side on a last axis: the tile loop copies whole (row, column) blocks
            both = np.empty((data.shape[0] * m.scale, data.shape[1] * m.scale, 2), dtype=np.float32)
            run_tiled(lambda a: np.stack(func(a), axis=-1), data, out=both, **tiled)
            result, std = both[..., 0], both[..., 1]
            if out is not None:
                out[...] = result
                result = out
        else:
            result = run_tiled(func, data, out=out, **tiled)
    if any_bad:
        restore_nan(result, bad, m.scale)
        if std is not None:
            restore_nan(std, bad, m.scale)
    return result, std


def _superresolve_2d(smap, prepared, *, tile_size, progress, threads, tile_workers, assume_magnetogram, out):
    """`superresolve` of one Map or 2D array (registered for both in `sunpy_sr.api.dispatch`)."""
    m = prepared.method
    data = validate_input(smap, min_size=m.min_size, assume_magnetogram=assume_magnetogram)  # in gauss
    is_map = isinstance(smap, sunpy.map.GenericMap)
    unit = field_unit(smap, assume_magnetogram=True) if is_map else None
    result, std = _run_array(prepared, data, np.isnan(data), tile_size=tile_size, progress=progress,
                             threads=threads, tile_workers=tile_workers, out=out)
    if not is_map:
        return result if std is None else (result, std)
    from_gauss(result, unit, out=result)  # back to the caller's unit (in place: no copy of a disk)
    meta = rescale_meta(smap.meta, m.scale, result.shape)
    add_provenance(meta, history=prepared.history, comments=prepared.comments, **prepared.keys)
    extra = {}
    if std is not None:
        from astropy.nddata import StdDevUncertainty
        extra["uncertainty"] = StdDevUncertainty(from_gauss(std, unit, out=std), unit=unit, copy=False)
    return smap._new_instance(result, meta, plot_settings=smap.plot_settings, **extra)
