"""
The plane loop of an `~ndcube.NDCube`: one function applied to each 2D plane of its two celestial axes.

`sunpy_sr.superresolve` and `sunpy_sr.degrade` of a cube both run a 2D function on every
plane of the celestial axes, for each index of the other axes (time, wavelength, ...),
with the same bookkeeping around it: the data converted to gauss (float32), infinite
values treated as missing (NaN), the cube's mask joined to the missing pixels, the
celestial plane moved last and the other axes flattened into one frame axis, then the
results put back in the cube's axis order and unit, and the mask carried to the new
grid. :func:`map_celestial_planes` is that bookkeeping, written once.
"""
import fractions
import numbers

import numpy as np

from sunpy_sr.core.header import celestial_array_axes, fits_wcs
from sunpy_sr.core.units import field_unit, from_gauss, to_gauss
from sunpy_sr.exceptions import SunpySRError

__all__ = ["map_celestial_planes", "cube_mask"]


def cube_mask(mask, shape):
    """
    A cube's mask as a boolean array of ``shape``.

    Parameters
    ----------
    mask : `numpy.ndarray`, bool, None or `numpy.ma.nomask`
        The ``mask`` of an `~ndcube.NDCube` (anything that broadcasts to ``shape``).
    shape : tuple of int
        The cube's data shape.

    Returns
    -------
    `numpy.ndarray` of bool
        All False when nothing is masked (a read-only broadcast view otherwise).
    """
    if mask is None or mask is np.ma.nomask:
        return np.zeros(shape, dtype=bool)
    return np.broadcast_to(np.asarray(mask, dtype=bool), shape)


def _zoom(zoom):
    """``zoom`` as a Fraction ``n`` or ``1/n`` (n a positive integer)."""
    z = fractions.Fraction(zoom) if isinstance(zoom, numbers.Rational) else None
    if z is None or z <= 0 or (z.numerator != 1 and z.denominator != 1):
        raise SunpySRError(f"zoom must be a positive integer or 1/n (a fractions.Fraction), got {zoom!r}")
    return z


def map_celestial_planes(cube, func, *, zoom, n_out=1, assume_magnetogram="missing", masked_as_nan=False,
                         crop=None, require_data=False, loop=None):
    """
    Apply ``func`` to each 2D plane of a cube's two celestial axes, in gauss.

    Parameters
    ----------
    cube : `~ndcube.NDCube`
        A LOS magnetogram cube (G, kG, T, mT or Mx/cm^2; see ``assume_magnetogram``)
        with two celestial axes and any others.
    func : callable
        ``func(plane, bad, *out)``: ``plane`` is a float32 ``(ny, nx)`` array in gauss
        with NaN for missing pixels (and, with ``masked_as_nan``, masked ones); ``bad``
        marks its missing or masked pixels; ``out`` are ``n_out`` float32 arrays of shape
        ``(ny * zoom, nx * zoom)``, filled with NaN, that ``func`` writes its results
        into (in gauss). A plane whose pixels are all bad is skipped (its outputs stay
        NaN).
    zoom : int or `fractions.Fraction`
        The celestial plane's zoom: an integer ``n`` (each pixel becomes ``n x n``) or
        ``Fraction(1, n)`` (each ``n x n`` block becomes one pixel).
    n_out : int
        How many arrays ``func`` fills (default 1).
    assume_magnetogram : bool or "missing"
        How a cube without a unit is read (`sunpy_sr.core.to_gauss`; default
        ``"missing"``: as gauss).
    masked_as_nan : bool
        Set masked pixels to NaN in ``plane`` (default False: they keep their value and
        are only marked in ``bad``).
    crop : callable, optional
        ``crop(shape, celestial_axes) -> tuple of slice`` for the cube's data shape and
        the array indices of its two celestial axes, applied to the data and mask before
        the loop (e.g. to whole blocks of a down-sampling; it may also raise).
    require_data : bool
        Raise `~sunpy_sr.exceptions.SunpySRError` when no pixel is finite and unmasked
        (default False: every plane is skipped and the outputs are all NaN).
    loop : callable, optional
        ``loop(range) -> iterable`` over the plane indices (e.g. a progress bar).

    Returns
    -------
    outputs : list of `numpy.ndarray`
        ``n_out`` float32 arrays in the cube's axis order and unit (its celestial axes
        zoomed by ``zoom``).
    mask : `numpy.ndarray` of bool or None
        None when the cube has no mask; otherwise the mask on the new grid: an output
        pixel is masked when any input pixel it comes from is (a zoomed-in pixel's
        children, a zoomed-out block's one pixel).
    bad : `numpy.ndarray` of bool
        The missing or masked input pixels (after ``crop``), in the cube's axis order.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.wcs import WCS
    >>> from ndcube import NDCube
    >>> from sunpy_sr.core.cube import map_celestial_planes
    >>> wcs = WCS(naxis=3)
    >>> wcs.wcs.ctype = ["HPLN-TAN", "HPLT-TAN", "TIME"]
    >>> cube = NDCube(np.ones((2, 4, 4)), wcs=wcs, unit=u.kG)      # 2 times of 4 x 4 px, in kG
    >>> def double(plane, bad, out):
    ...     out[...] = np.kron(plane, np.ones((2, 2)))
    >>> (sr,), mask, _ = map_celestial_planes(cube, double, zoom=2)
    >>> sr.shape, float(sr.max()), mask                          # back in kG; no mask
    ((2, 8, 8), 1.0, None)
    """
    z = _zoom(zoom)
    cel = celestial_array_axes(fits_wcs(cube.wcs))
    unit = field_unit(cube, assume_magnetogram=assume_magnetogram) if cube.unit is not None else None
    data = to_gauss(cube, assume_magnetogram=assume_magnetogram)  # a float32 copy in gauss
    data[np.isinf(data)] = np.nan
    masked = cube.mask is not None and cube.mask is not np.ma.nomask
    given = cube_mask(cube.mask, data.shape)
    if crop is not None:
        window = crop(data.shape, cel)
        data, given = data[window], given[window]
    bad = np.isnan(data) | given
    if require_data and bad.all():
        raise SunpySRError("the cube contains no finite, unmasked values")
    if masked_as_nan:
        data[given] = np.nan
    # the celestial plane last, every other axis flattened into one frame axis
    planes = np.moveaxis(data, cel, (-2, -1))
    rest, (ny, nx) = planes.shape[:-2], planes.shape[-2:]
    planes = planes.reshape(-1, ny, nx)
    bad_planes = np.moveaxis(bad, cel, (-2, -1)).reshape(-1, ny, nx)
    oy, ox = int(ny * z), int(nx * z)
    outs = [np.full((len(planes), oy, ox), np.nan, dtype=np.float32) for _ in range(n_out)]
    indices = range(len(planes))
    for i in (loop(indices) if loop is not None else indices):
        if bad_planes[i].all():
            continue  # nothing to compute: the frame stays NaN
        func(planes[i], bad_planes[i], *(o[i] for o in outs))
    # back to the cube's axis order and unit
    outputs = []
    for o in outs:
        o = np.moveaxis(o.reshape(rest + (oy, ox)), (-2, -1), cel)
        if unit is not None:
            from_gauss(o, unit, out=o)
        outputs.append(o)
    mask = None
    if masked:
        if z.denominator == 1:
            mask = given
            for axis in cel:
                mask = np.repeat(mask, z.numerator, axis=axis)  # children of masked pixels are masked
        else:
            n = z.denominator
            g = np.moveaxis(given, cel, (-2, -1)).reshape(-1, oy, n, ox, n).any(axis=(2, 4))
            mask = np.moveaxis(g.reshape(rest + (oy, ox)), (-2, -1), cel)
    return outputs, mask, bad
