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
from sunpy_sr.core.cube import map_celestial_planes
from sunpy_sr.core.header import celestial_array_axes, fits_wcs, rescaled_cube
from sunpy_sr.exceptions import NotMagnetogramError, SunpySRError, SunpySRTypeError
from sunpy_sr.progress import show_progress

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
    quiet = not show_progress(progress, long=len(seq.maps) > 1)
    for i, smap in enumerate(tqdm(seq.maps, desc="maps", unit="map", disable=quiet)):
        try:
            maps.append(_superresolve_2d(smap, prepared, progress=False, out=None, **kwargs))
        except NotMagnetogramError as e:  # the advice stays at the end of the message
            raise NotMagnetogramError(f"map {i} of the MapSequence ({smap.name}): {e.problem}",
                                      when=e.when) from e
        except SunpySRError as e:
            raise type(e)(f"map {i} of the MapSequence ({smap.name}): {e}") from e
    return type(seq)(maps, sortby=None)


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
        raise NotMagnetogramError("the NDCube has no unit: a LOS magnetogram in G, kG, T, mT or Mx/cm^2 is "
                                  "expected", when="if the data are in gauss")
    _check_square_pixels(wcs)
    shape = raw.shape
    ny, nx = shape[cel[0]], shape[cel[1]]
    if min(ny, nx) < m.min_size:
        raise SunpySRError(f"the celestial plane of shape {(ny, nx)} is too small: this method needs at "
                           f"least {m.min_size}x{m.min_size} pixels")

    def plane(data, bad, result, std=None):
        _, sd = _run_array(prepared, np.array(data), bad, tile_size=tile_size, progress=False,
                           threads=threads, tile_workers=tile_workers, out=result)
        if std is not None:
            std[...] = sd

    def loop(indices):
        indices = list(indices)
        quiet = not show_progress(progress, long=len(indices) > 1)
        return tqdm(indices, desc="frames", unit="frame", disable=quiet)

    outputs, mask, _ = map_celestial_planes(cube, plane, zoom=m.scale, n_out=2 if prepared.uncertainty else 1,
                                            assume_magnetogram=assume_magnetogram, require_data=True,
                                            loop=loop)
    uncertainty = None
    if prepared.uncertainty:
        from astropy.nddata import StdDevUncertainty
        uncertainty = StdDevUncertainty(outputs[1], unit=cube.unit, copy=False)
    return rescaled_cube(cube, outputs[0], m.scale, mask=mask, uncertainty=uncertainty,
                         history=prepared.history, keys=prepared.keys, comments=prepared.comments)
