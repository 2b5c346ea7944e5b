"""
One Map or 2D array through a prepared method: fill NaN, run tiled, restore NaN, rebuild the header.

The bottom of ``sunpy_sr.api``: ``sunpy_sr.api.pipeline`` (``superresolve``, ``PreparedMethod``) and
``sunpy_sr.api.dispatch`` (the containers) both use it, and it imports neither (no import circle).
"""
import copy

import numpy as np
import scipy.ndimage
import sunpy.map

from sunpy_sr.core.grid import restore_nan
from sunpy_sr.core.header import add_provenance, rescale_meta
from sunpy_sr.core.range_guard import bound_output, guard_radius, out_of_range
from sunpy_sr.core.units import field_unit, from_gauss
from sunpy_sr.core.validation import validate_input
from sunpy_sr.exceptions import SunpySRError, warn_user
from sunpy_sr.inference.state import torch_threads
from sunpy_sr.inference.tiling import run_tiled
from sunpy_sr.io.provenance import name_super_resolved

__all__ = []

#: Field (G) put in place of NaN before a method runs; such pixels are NaN again after.
FILL_VALUE = 0.0


def _tile_function(prepared, func):
    """
    The function run on each padded tile: ``tile (NaN off-disk) -> output`` or ``-> (output, sigma)``.

    It fills NaN with `FILL_VALUE`, runs the method, bounds the output where the input leaves
    the training range (`sunpy_sr.core.range_guard`; not with ``consistent``, whose projection
    takes precedence) and, with an uncertainty, computes it
    from the tile's input and bounded output (the method's error model) or takes the
    ensemble's spread. Everything it does is local, so tiled == untiled.
    """
    em = prepared.error_model
    spread = prepared.uncertainty == "ensemble"
    scale = prepared.method.scale
    # consistent=True, asked for, means degrade(output) == input everywhere: the projection
    # takes precedence over the bound (which would break it at the limb). A method's default
    # projection (progan's) yields to the bound where the input leaves the training range, so
    # that a default never amplifies what the input does not support (limb spikes)
    bound = prepared.options.get("consistent", False) is False

    def finish(y, std, filled, bad):
        """One tile's output bounded, and its sigma, from its filled input."""
        y = np.array(y, dtype=np.float32, copy=False)
        if bound:
            ood = bound_output(y, filled, bad, scale=scale)
        else:
            ood = out_of_range(filled, bad) if em is not None else None
        if em is not None:
            std = em(filled, y, bad, ood=ood)
        return y if std is None else (y, std)

    def run(a):
        bad = np.isnan(a)
        filled = np.where(bad, np.float32(FILL_VALUE), a)
        y = func(filled)
        std = None
        if spread:
            y, std = y
        if a.ndim == 2:
            return finish(y, std, filled, bad)
        # a stack of tiles (func.batching): the network ran on all at once, the rest is per tile
        done = [finish(y[i], None if std is None else std[i], filled[i], bad[i]) for i in range(len(a))]
        return tuple(map(np.stack, zip(*done))) if isinstance(done[0], tuple) else np.stack(done)
    run.batching = getattr(func, "batching", None)
    return run


def _run_array(prepared, data, bad, *, tile_size, progress, threads, tile_workers, out):
    """
    Run a prepared method on a 2D array in gauss (modified: ``bad`` pixels set to NaN).

    Returns ``(result, std)`` in gauss, ``std`` None without uncertainty; children of
    ``bad`` pixels are NaN in both. ``std`` lacks the ring factors of the error model
    (`_ring_factors`: they need the map's coordinates).
    """
    m = prepared.method
    func, radius = prepared.build()
    em = prepared.error_model
    if radius == float("inf"):
        if tile_size is not None and max(data.shape) > tile_size:
            warn_user(f"{prepared.name}: global channel attention has an unbounded receptive field, "
                          "so the map is processed in one piece (no tiling)")
        tile_size, radius = None, 0
    # the output at a pixel needs the input within the method's radius and the range check's;
    # the error model needs the bounded output within its own radius of it
    pad = max(int(radius), guard_radius()) + (em.net.receptive_radius() if em is not None else 0)
    any_bad = bool(bad.any())
    data[bad] = np.nan
    import torch
    threads = int(threads) if threads is not None else torch.get_num_threads()
    if threads < 1:
        raise SunpySRError(f"threads must be a positive integer, got {threads}")
    if int(tile_workers) < 1:
        raise SunpySRError(f"tile_workers must be a positive integer, got {tile_workers}")
    is_tiled = tile_size is not None and max(data.shape) > tile_size
    workers = min(int(tile_workers), threads) if is_tiled else 1
    run = _tile_function(prepared, func)
    batch = 1
    if is_tiled and run.batching is not None:  # a network's tile_batch: the size of a full padded tile
        batch = run.batching.size(tuple(min(tile_size + 2 * pad, n) for n in data.shape))
        if batch > 1:
            workers = max(workers, run.batching.in_flight)
    # restore_nan below sets every pixel a skipped tile would have held
    tiled = dict(scale=m.scale, pad=pad, tile=tile_size, skip=bad if any_bad else None,
                 progress=progress, workers=workers, batch=batch, fill_skipped=False)
    std = None
    with torch_threads(max(1, threads // workers)):
        if prepared.uncertainty:  # output and sigma, each stitched into its own array
            shape = (data.shape[0] * m.scale, data.shape[1] * m.scale)
            result = np.empty(shape, dtype=np.float32) if out is None else out
            std = np.empty(shape, dtype=np.float32)
            run_tiled(run, data, out=(result, std), **tiled)
        else:
            result = run_tiled(run, data, out=out, **tiled)
    if any_bad:
        restore_nan(result, bad, m.scale)
        if std is not None:
            restore_nan(std, bad, m.scale)
    return result, std


def _ring_factors(smap, em):
    """
    The error model's ring factor for every input pixel of a helioprojective map, or None.

    Disk position ``r = rho / R_sun`` is taken at the centre of each input pixel from the
    map's WCS (its ``scale x scale`` output children share it); maps in other frames (CEA
    cutouts) get None.
    """
    from sunpy.coordinates import Helioprojective
    if not isinstance(smap.coordinate_frame, Helioprojective):
        return None
    try:
        rsun = smap.rsun_obs.to_value("arcsec")
    except Exception:  # no observer distance or radius: no disk position
        return None
    ny, nx = smap.data.shape
    # r is smooth: exact (from the WCS) on a grid of every 8th pixel and at the last row and
    # column, bilinear in between (off by far less than a pixel's worth of r)
    gy = np.unique(np.r_[np.arange(0, ny, 8), ny - 1]).astype(np.float64)
    gx = np.unique(np.r_[np.arange(0, nx, 8), nx - 1]).astype(np.float64)
    yy, xx = np.meshgrid(gy, gx, indexing="ij")
    tx, ty = smap.wcs.pixel_to_world_values(xx, yy)
    coarse = np.hypot(np.mod(tx + 180.0, 360.0) - 180.0, ty) * 3600.0 / rsun  # deg -> arcsec
    fy = np.interp(np.arange(ny), gy, np.arange(gy.size))
    fx = np.interp(np.arange(nx), gx, np.arange(gx.size))
    r = scipy.ndimage.map_coordinates(coarse, np.meshgrid(fy, fx, indexing="ij"), order=1)
    return em.calibration.ring_factor(r)


def _superresolve_2d(smap, prepared, *, tile_size, progress, threads, tile_workers, assume_magnetogram, out):
    """`superresolve` of one Map or 2D array (registered for both in `sunpy_sr.api.dispatch`)."""
    m = prepared.method
    data = validate_input(smap, min_size=m.min_size, assume_magnetogram=assume_magnetogram,  # in gauss
                          trained=m.is_network or prepared.uncertainty == "error-model")
    is_map = isinstance(smap, sunpy.map.GenericMap)
    unit = field_unit(smap, assume_magnetogram=True) if is_map else None
    result, std = _run_array(prepared, data, np.isnan(data), tile_size=tile_size, progress=progress,
                             threads=threads, tile_workers=tile_workers, out=out)
    if not is_map:
        return result if std is None else (result, std)
    if std is not None and prepared.error_model is not None:
        rings = _ring_factors(smap, prepared.error_model)
        if rings is not None:  # in place on the blocks of each input pixel: no full-size copy
            blocks = std.view()
            blocks.shape = (rings.shape[0], m.scale, rings.shape[1], m.scale)  # a view, or an error
            blocks *= rings[:, None, :, None]
    from_gauss(result, unit, out=result)  # back to the caller's unit (in place: no copy of a disk)
    meta = rescale_meta(smap.meta, m.scale, result.shape)
    add_provenance(meta, history=prepared.history, comments=prepared.comments, **prepared.keys)
    extra = {}
    if std is not None:
        from astropy.nddata import StdDevUncertainty
        extra["uncertainty"] = StdDevUncertainty(from_gauss(std, unit, out=std), unit=unit, copy=False)
    return name_super_resolved(_new_map(smap, result, meta, extra,
                                        title=f"{smap.name} (sunpy_sr {prepared.name} {m.scale}x)"))


def _new_map(smap, data, meta, extra, *, title):
    """
    ``smap._new_instance(data, meta, **extra)`` with the input's colour scale and ``title``.

    sunpy's `~sunpy.map.sources.HMIMap` sets a symmetric colour scale from
    ``nanmax(abs(data))`` of a magnetogram when its ``norm`` is set, which on a 16384^2
    output costs a temporary copy of the whole array (1 GB) and a pass over it, and
    would change the ``norm`` object it shares with the input's plot settings. The new
    map is built without a ``norm`` and then given a copy of the input's, so that the two
    are shown on the same colour scale (and the input is not modified).
    """
    # what ``_new_instance`` does (construct, then update the plot settings), with the
    # constructor told there is no norm yet, so that it skips the pass over ``data``; a
    # source that sets the scale whether or not there is a norm (sunpy's MDIMap) gets a
    # copy of the input's norm to set (its maps are 16x smaller than HMI's)
    try:
        new = type(smap)(data, meta, plot_settings={"norm": None}, **extra)
    except AttributeError:
        new = type(smap)(data, meta, plot_settings={"norm": copy.deepcopy(smap.plot_settings.get("norm"))},
                         **extra)
    new.plot_settings.update({**smap.plot_settings, "title": title})
    norm = smap.plot_settings.get("norm")
    if norm is not None:
        new.plot_settings["norm"] = copy.deepcopy(norm)
    else:
        new.plot_settings.pop("norm", None)
    return new
