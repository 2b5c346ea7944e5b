"""
Map-aware degradation: the forward model that turns an HR magnetogram into LR.

Two recipes, after Rahman et al. (2020, ApJL 897, L32):

``"gaussian-bilinear"`` (the paper's text)
    a ``kernel_size`` x ``kernel_size`` Gaussian of width ``sigma`` (HR pixels), then
    bilinear down-sampling by ``factor`` with centre alignment: LR pixel ``i`` is
    centred on HR coordinate ``factor*i + (factor-1)/2``, the centre of HR pixels
    ``factor*i .. factor*i+factor-1`` (the grid of `~sunpy.map.GenericMap.superpixel`).
    For an even factor this is the mean of the central 2x2 HR pixels of each
    block, which is what ``torch.nn.functional.interpolate(mode="bilinear",
    align_corners=False, antialias=False)`` computes.
``"bin"`` (the paper's abstract: "4x4 binning")
    the mean over ``factor`` x ``factor`` blocks (flux densities are averaged, not summed).

Both are registered in `sunpy_sr.core.operators`, the one owner of what a degradation
is (forward operator, adjoint, description); `sunpy_sr.core.register_degradation` adds
another, which `degrade`, `degrade_array` and the ``consistent`` option then accept.

NaN handling: the smoothing is a normalised convolution over valid pixels, and an
LR pixel is NaN when any HR pixel of its block is NaN, so super-resolving a
degraded map gives NaN exactly where the original block had one.
"""
import fractions
import functools
import numbers

import numpy as np
import sunpy.map
from ndcube import NDCube

from sunpy_sr.core.cube import map_celestial_planes
from sunpy_sr.core.grid import block_view
from sunpy_sr.core.header import add_provenance, rescale_meta, rescaled_cube
from sunpy_sr.core.operators import _check_kernel_options, forward_array, gaussian_kernel, get_degradation
from sunpy_sr.core.units import field_unit, from_gauss
from sunpy_sr.core.validation import validate_input
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError, warn_user

__all__ = ["degrade", "degrade_array", "gaussian_kernel"]


def _check_degrade_options(factor, method, sigma, kernel_size):
    """The options of `degrade` checked at the door (each bad one names itself); returns ``int(factor)``."""
    def number(value):
        return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not number(factor) or not np.isfinite(factor) or int(factor) != factor:
        raise SunpySRTypeError(f"factor must be a positive integer, got {factor!r}") if not number(factor) \
            else SunpySRError(f"factor must be a positive integer, got {factor!r}")
    if factor < 1:
        raise SunpySRError(f"factor must be a positive integer, got {factor!r}")
    get_degradation(method)  # an unknown name raises, naming the registered ones
    _check_kernel_options(sigma, kernel_size)
    return int(factor)


def degrade_array(data, *, factor=4, method="gaussian-bilinear", sigma=2.0, kernel_size=5):
    """
    Degrade a 2D float array (see module docstring). Shape must be a multiple of ``factor``.

    Returns a float32 array of shape ``(ny // factor, nx // factor)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core import degrade_array
    >>> hr = np.arange(64.0).reshape(8, 8)
    >>> degrade_array(hr, method="bin")                 # 4x4 block means
    array([[13.5, 17.5],
           [45.5, 49.5]], dtype=float32)
    >>> hr = np.full((8, 8), 100.0)
    >>> hr[0, 0] = np.nan                               # a NaN makes its whole LR block NaN
    >>> degrade_array(hr)                               # Gaussian (sigma 2), then bilinear
    array([[ nan, 100.],
           [100., 100.]], dtype=float32)
    """
    factor = _check_degrade_options(factor, method, sigma, kernel_size)
    data = np.asarray(data, dtype=np.float32)
    if data.ndim != 2:
        raise SunpySRError(f"expected 2D data, got an array of shape {data.shape}")
    if data.shape[0] % factor or data.shape[1] % factor:
        raise SunpySRError(f"shape {data.shape} is not a multiple of factor {factor}")
    block_nan = block_view(np.isnan(data), factor).any(axis=(1, 3))
    out = forward_array(data, factor, method, sigma=sigma, kernel_size=kernel_size)
    out = out.astype(np.float32)
    out[block_nan] = np.nan
    return out


def degrade(smap, *, factor=4, method="gaussian-bilinear", sigma=2.0, kernel_size=5):
    """
    Degrade an HR magnetogram to LR: the forward model used for training and evaluation.

    Parameters
    ----------
    smap : `~sunpy.map.GenericMap`, `~sunpy.map.MapSequence`, `~ndcube.NDCube` or `numpy.ndarray`
        HR magnetogram (G or Mx/cm^2), a sequence of them, a cube with two celestial
        axes (and any others, e.g. time), or a 2D array. Trailing rows/columns that do
        not fill a whole block are cropped (with a `~sunpy_sr.exceptions.SunpySRUserWarning`); the
        header stays exact because the first pixel edge does not move.
    factor : int
        Down-sampling factor (default 4).
    method : str
        Recipe: ``"gaussian-bilinear"`` (default), ``"bin"`` (see the module docstring)
        or any name in `sunpy_sr.core.degradation_methods`.
    sigma : float
        Gaussian width in HR pixels (default 2, as in Rahman et al. 2020).
    kernel_size : int
        Gaussian kernel size in HR pixels (default 5).

    Returns
    -------
    `~sunpy.map.GenericMap`, `~sunpy.map.MapSequence`, `~ndcube.NDCube` or `numpy.ndarray`
        Same type as the input. A Map keeps its subclass, unit and observer, with
        the header of ``smap.superpixel((factor, factor) * u.pix)``; a MapSequence is
        one of such maps. An NDCube keeps its unit, meta and other axes; its WCS has
        the celestial axes rescaled by the same rule
        (`sunpy_sr.core.header.rescale_wcs` with ``1 / factor``), and an LR pixel is
        masked (and NaN) when any HR pixel of its block is masked: masked input is
        treated as missing, like NaN. `sunpy_sr.superresolve` of the result is on the
        input's grid again.

    References
    ----------
    Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79

    Examples
    --------
    >>> import numpy as np
    >>> import sunpy_sr
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> hmi = hmi_active_region()                       # 256x256 px of 0.504", in G
    >>> lr = sunpy_sr.degrade(hmi)
    >>> print(lr.data.shape, lr.unit, lr.meta["cdelt1"] / hmi.meta["cdelt1"])
    (64, 64) G 4.0
    >>> print(f"mean field {np.nanmean(hmi.data):.2f} G -> {np.nanmean(lr.data):.2f} G")
    mean field -2.84 G -> -2.84 G
    >>> sunpy_sr.degrade(np.ones((8, 8)))               # a plain array gives an array
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    factor = _check_degrade_options(factor, method, sigma, kernel_size)
    impl = _degrade_dispatch.dispatch(type(smap))
    return impl(smap, factor=factor, method=method, sigma=sigma, kernel_size=kernel_size)


# The sibling of `sunpy_sr.api.dispatch` (the core may not import the api): the container
# decides the implementation; each takes (obj, *, factor, method, sigma, kernel_size).
@functools.singledispatch
def _degrade_dispatch(obj, **kwargs):
    raise SunpySRTypeError(f"expected a sunpy.map.GenericMap or a 2D numpy array, got {type(obj).__name__} "
                           "(a sunpy.map.MapSequence or an ndcube.NDCube of them works too)")


def _crop_warning(shape, cropped, factor):
    warn_user(f"cropping {tuple(shape)} to {tuple(cropped)} to fill whole {factor}x{factor} blocks")


def _history(factor, method, sigma, kernel_size):
    from sunpy_sr.version import version
    detail = get_degradation(method).details(sigma, kernel_size)
    return (f"sunpy_sr {version}: degraded {factor}x ({method}, {detail})",
            {"srdegrad": method, "srfactor": 1 / factor, "srvers": version})


@_degrade_dispatch.register(sunpy.map.GenericMap)
@_degrade_dispatch.register(np.ndarray)
def _degrade_2d(smap, *, factor, method, sigma, kernel_size):
    """`degrade` of one Map or 2D array."""
    # any LOS field unit is converted; a map without BUNIT is taken as gauss; DN or m/s is an error
    unit = field_unit(smap, assume_magnetogram="missing") if isinstance(smap, sunpy.map.GenericMap) else None
    data = validate_input(smap, min_size=factor, assume_magnetogram=True)
    ny, nx = (data.shape[0] // factor) * factor, (data.shape[1] // factor) * factor
    if (ny, nx) != data.shape:
        _crop_warning(data.shape, (ny, nx), factor)
        data = data[:ny, :nx]
    out = degrade_array(data, factor=factor, method=method, sigma=sigma, kernel_size=kernel_size)
    if not isinstance(smap, sunpy.map.GenericMap):
        return out
    from_gauss(out, unit, out=out)  # back to the caller's unit
    meta = rescale_meta(smap.meta, 1 / factor, out.shape)
    history, keys = _history(factor, method, sigma, kernel_size)
    add_provenance(meta, history=history, **keys)
    plot_settings = dict(smap.plot_settings)
    if "(sunpy_sr " in str(plot_settings.get("title", "")):  # a super-resolved map's title: not this map's
        del plot_settings["title"]
    return smap._new_instance(out, meta, plot_settings=plot_settings)


@_degrade_dispatch.register(sunpy.map.MapSequence)
def _degrade_sequence(seq, **kwargs):
    """Each map of the sequence, in its order."""
    if not seq.maps:
        raise SunpySRError("the MapSequence is empty")
    return type(seq)([_degrade_2d(m, **kwargs) for m in seq.maps], sortby=None)


@_degrade_dispatch.register(NDCube)
def _degrade_cube(cube, *, factor, method, sigma, kernel_size):
    """Each plane of the two celestial axes, for every index of the other axes."""
    def crop(shape, cel):
        window = [slice(None)] * len(shape)
        for axis in cel:
            if shape[axis] < factor:
                raise SunpySRError(f"a celestial axis of {shape[axis]} pixels is shorter than the factor "
                                   f"{factor}")
            window[axis] = slice(0, (shape[axis] // factor) * factor)
        cropped = tuple(len(range(n)[w]) for n, w in zip(shape, window))
        if cropped != tuple(shape):
            _crop_warning(shape, cropped, factor)
        return tuple(window)

    def plane(data, bad, out):
        out[...] = degrade_array(data, factor=factor, method=method, sigma=sigma, kernel_size=kernel_size)

    # masked input is missing: its block is NaN (and masked) in the output
    (out,), mask, _ = map_celestial_planes(cube, plane, zoom=fractions.Fraction(1, factor),
                                           masked_as_nan=True, crop=crop)
    history, keys = _history(factor, method, sigma, kernel_size)
    return rescaled_cube(cube, out, 1 / factor, mask=mask, history=history, keys=keys)
