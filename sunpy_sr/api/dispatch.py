"""
The dispatch of `sunpy_sr.superresolve` on the input's container: the one place where the
type of the input decides what happens.

========================================  =====================================================
input                                     implementation
========================================  =====================================================
`~sunpy.map.GenericMap`, `numpy.ndarray`  ``sunpy_sr.api.single._superresolve_2d``
`~sunpy.map.MapSequence`                  each map as above, one built method for all
`~ndcube.NDCube`                          each 2D plane of the two celestial axes, one built
                                          method for all; WCS by `~sunpy_sr.core.header.rescale_wcs`
========================================  =====================================================

Every implementation takes ``(obj, prepared, *, tile_size, progress, threads, tile_workers,
assume_magnetogram, out)`` with ``prepared`` a `~sunpy_sr.api.pipeline.PreparedMethod`:
the method is built (a network loaded) once, on the first frame, and reused for the rest.
Register another container with ``superresolve_dispatch.register(cls)``.

`sunpy_sr.degrade` has the sibling dispatch in `sunpy_sr.core.degradation` (the core may not
import this package).
"""
import functools

import numpy as np
import sunpy.map
from ndcube import NDCube
from tqdm.auto import tqdm

from sunpy_sr.api.single import _run_array, _superresolve_2d
from sunpy_sr.core.header import celestial_array_axes, fits_wcs, rescaled_cube
from sunpy_sr.core.units import field_unit, from_gauss, to_gauss
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError

__all__ = ["superresolve_dispatch", "SUPPORTED"]

#: The containers `superresolve` accepts.
SUPPORTED = ("sunpy.map.GenericMap", "sunpy.map.MapSequence", "ndcube.NDCube", "numpy.ndarray")


@functools.singledispatch
def superresolve_dispatch(obj, prepared, **kwargs):
    """Super-resolve ``obj`` with ``prepared`` (see the module docstring); unsupported types raise."""
    raise SunpySRTypeError(f"expected a sunpy.map.GenericMap or a 2D numpy array, got {type(obj).__name__} "
                           "(a sunpy.map.MapSequence or an ndcube.NDCube of them works too)")


superresolve_dispatch.register(sunpy.map.GenericMap, _superresolve_2d)
superresolve_dispatch.register(np.ndarray, _superresolve_2d)


@superresolve_dispatch.register(sunpy.map.MapSequence)
def _superresolve_sequence(seq, prepared, *, progress, out, **kwargs):
    """Each map of the sequence (in its order), with one built method."""
    if out is not None:
        raise SunpySRError("out= is for a single map or array, not for a MapSequence")
    if not seq.maps:
        raise SunpySRError("the MapSequence is empty")
    maps = []
    for i, smap in enumerate(tqdm(seq.maps, desc="maps", unit="map", disable=not progress)):
        try:
            maps.append(_superresolve_2d(smap, prepared, progress=False, out=None, **kwargs))
        except SunpySRError as e:
            raise type(e)(f"map {i} of the MapSequence ({smap.name}): {e}") from e
    return type(seq)(maps, sortby=None)


def _cube_mask(mask, shape):
    """The cube's mask as a boolean array of ``shape`` (None: nothing masked)."""
    if mask is None or mask is np.ma.nomask:
        return np.zeros(shape, dtype=bool)
    return np.broadcast_to(np.asarray(mask, dtype=bool), shape)


def _check_square_pixels(wcs):
    scales = wcs.celestial.proj_plane_pixel_scales()
    a, b = (abs(s.value) for s in scales)
    if not np.isclose(a, b, rtol=1e-3):
        raise SunpySRError(f"pixels are not square ({scales[0]} x {scales[1]}); resample the cube first")


@superresolve_dispatch.register(NDCube)
def _superresolve_cube(cube, prepared, *, tile_size, progress, threads, tile_workers, assume_magnetogram,
                       out):
    """Each plane of the two celestial axes, for every index of the other axes."""
    if out is not None:
        raise SunpySRError("out= is for a single map or array, not for an NDCube")
    m = prepared.method
    wcs = fits_wcs(cube.wcs)
    cel = celestial_array_axes(wcs)
    raw = np.asarray(cube.data)
    if not np.issubdtype(raw.dtype, np.number) or np.issubdtype(raw.dtype, np.complexfloating):
        raise SunpySRTypeError(f"expected real numeric data, got dtype {raw.dtype}")
    if cube.unit is None and not assume_magnetogram:
        raise SunpySRError("the NDCube has no unit: a LOS magnetogram in G, kG, T, mT or Mx/cm^2 is "
                           "expected; pass assume_magnetogram=True if the data are in gauss")
    unit = field_unit(cube, assume_magnetogram=assume_magnetogram) if cube.unit is not None else None
    _check_square_pixels(wcs)
    data = to_gauss(cube, assume_magnetogram=assume_magnetogram)  # a float32 copy in gauss
    data[np.isinf(data)] = np.nan
    bad = np.isnan(data) | _cube_mask(cube.mask, data.shape)
    if bad.all():
        raise SunpySRError("the cube contains no finite, unmasked values")
    # the celestial plane last, every other axis flattened into one frame axis
    planes = np.moveaxis(data, cel, (-2, -1))
    rest, (ny, nx) = planes.shape[:-2], planes.shape[-2:]
    if min(ny, nx) < m.min_size:
        raise SunpySRError(f"the celestial plane of shape {(ny, nx)} is too small: this method needs at "
                           f"least {m.min_size}x{m.min_size} pixels")
    planes = planes.reshape(-1, ny, nx)
    bad_planes = np.moveaxis(bad, cel, (-2, -1)).reshape(-1, ny, nx)
    s = m.scale
    result = np.full((len(planes), s * ny, s * nx), np.nan, dtype=np.float32)
    std = np.full_like(result, np.nan) if prepared.uncertainty else None
    for i in tqdm(range(len(planes)), desc="frames", unit="frame", disable=not progress):
        if bad_planes[i].all():
            continue  # nothing to super-resolve: the frame stays NaN
        _, sd = _run_array(prepared, np.array(planes[i]), bad_planes[i], tile_size=tile_size, progress=False,
                           threads=threads, tile_workers=tile_workers, out=result[i])
        if std is not None:
            std[i] = sd
    # back to the cube's axis order and unit
    result = np.moveaxis(result.reshape(rest + (s * ny, s * nx)), (-2, -1), cel)
    if unit is not None:
        from_gauss(result, unit, out=result)
    uncertainty = None
    if std is not None:
        from astropy.nddata import StdDevUncertainty
        std = np.moveaxis(std.reshape(rest + (s * ny, s * nx)), (-2, -1), cel)
        if unit is not None:
            from_gauss(std, unit, out=std)
        uncertainty = StdDevUncertainty(std, unit=cube.unit, copy=False)
    mask = None
    if cube.mask is not None and cube.mask is not np.ma.nomask:
        mask = _cube_mask(cube.mask, data.shape)
        for axis in cel:
            mask = np.repeat(mask, s, axis=axis)  # children of masked pixels are masked
    return rescaled_cube(cube, result, s, mask=mask, uncertainty=uncertainty, history=prepared.history,
                         keys=prepared.keys, comments=prepared.comments)
