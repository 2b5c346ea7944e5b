"""
``superresolve``: the package's interface, from a Map to a 4x Map with an exact header.

The way a map travels::

    Map -> validate -> float32 array (native byte order), NaN mask kept aside, NaN -> 0 G
        -> method (registry; tiled with receptive-field padding, off-disk tiles skipped)
        -> NaN restored (children of NaN parents are NaN)
        -> header (sunpy's resample rule, provenance keys, HISTORY)
        -> smap._new_instance(data, meta, plot_settings)
"""
import os
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
from sunpy_sr.methods import available_methods, get_method
from sunpy_sr.version import version

__all__ = ["superresolve", "DEFAULT_METHOD", "FILL_VALUE"]

DEFAULT_METHOD = "rcan"
#: Field (G) put in place of NaN before a method runs; such pixels are NaN again after.
FILL_VALUE = 0.0


def superresolve(smap, method=DEFAULT_METHOD, *, tile_size=768, progress=False, threads=None,
                 tile_workers=1, assume_magnetogram=False, out=None, **options):
    """
    Super-resolve a LOS magnetogram 4x.

    Parameters
    ----------
    smap : `~sunpy.map.GenericMap` or `numpy.ndarray`
        An HMI LOS magnetogram in any field unit (G, kG, T, mT, Mx/cm^2), or a plain
        2D array of field values in gauss (an array comes back).
    method : str
        A registered method: ``"rcan"`` (default: the bundled RCAN network trained
        on real HMI), ``"linear"`` (least-squares optimal linear filter) or
        ``"bicubic"``. See `sunpy_sr.methods.available_methods`.
    tile_size : int or None
        Core tile size in input pixels. Tiles are padded by the method's receptive
        field, so the result does not depend on it; None runs the map in one piece.
    progress : bool
        Show a progress bar over tiles.
    threads : int, optional
        CPU threads to use (default: torch's own choice, one per physical core);
        the torch setting is restored afterwards.
    tile_workers : int
        Tiles computed at once, each on ``threads // tile_workers`` torch threads.
        Two single-threaded tiles keep 2 cores busier than one tile on two threads
        (a full HMI disk with ``rcan``: 363 s instead of 371 s on 2 cores), but hold
        two tiles' activations in memory (peak RSS 3.17 instead of 2.89 GB), so the
        default is 1.
    assume_magnetogram : bool
        Skip the product and unit checks.
    out : `numpy.ndarray`, optional
        Preallocated float32 output (e.g. a `numpy.memmap`) of the output shape.
    **options
        Method options: ``weights=PATH`` (your own weights from ``sunpy-sr train``),
        ``ensemble=True`` (networks: average over the 16 training symmetries, 16x the time),
        ``device="cpu"|"cuda"|"mps"``, ``dtype="float32"|"bfloat16"`` for networks.

    Returns
    -------
    `~sunpy.map.GenericMap` or `numpy.ndarray`
        A new map of the same class (an `~sunpy.map.sources.HMIMap` stays one), 4x the
        pixels, the same unit, observer and dates. Header: ``CDELTi / 4``,
        ``CRPIXi' = 4 * CRPIXi - 1.5`` (sunpy's ``resample`` convention: CRPIX counts
        pixel edges), ``CRVAL`` and the rotation (``CROTA2``/``PCi_j``) unchanged,
        ``R_SUN`` x4, and provenance keys ``SRMETHOD``, ``SRFACTOR``, ``SRVERS``
        (``SRMODEL`` for networks) plus a ``HISTORY`` line. Pixels whose parent
        input pixel is NaN (off the limb) are NaN. The input is not modified.

    Notes
    -----
    A level-1 HMI map (``CROTA2`` about 180 degrees) is super-resolved on its
    native grid, without interpolation, and the header's rotation carries over
    unchanged, so the output WCS is exact. The networks were trained with all 8
    rotations and flips of the square, but a single pass is not exactly
    equivariant: with ``rcan``, a real 256^2 HMI crop rotated by 180 degrees,
    super-resolved and rotated back differs from the direct result by about
    1.3 G RMS (``tests/test_tiling.py::test_rotation_single_pass_vs_ensemble``).
    ``ensemble=True`` averages over the 16 symmetries and makes the result exactly
    equivariant.

    Units are converted at the boundary: the networks work in gauss, so a map in
    T, kG or mT is converted to gauss, super-resolved, and converted back; the
    output has the input's unit and values in it.

    References
    ----------
    Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79;
    Zhang, Y. et al. 2018, ECCV, "Image Super-Resolution Using Very Deep Residual
    Channel Attention Networks".

    Examples
    --------
    >>> import sunpy_sr
    >>> from sunpy_sr.data import sample
    >>> hmi = sample.hmi_active_region()                              # doctest: +SKIP
    >>> sr = sunpy_sr.superresolve(hmi, method="bicubic")      # doctest: +SKIP
    """
    m = get_method(method)
    data = validate_input(smap, min_size=m.min_size, assume_magnetogram=assume_magnetogram)  # in gauss
    unit = field_unit(smap, assume_magnetogram=True) if isinstance(smap, sunpy.map.GenericMap) else None
    func, radius = m.build(**options)
    if radius == float("inf"):
        if tile_size is not None and max(data.shape) > tile_size:
            warnings.warn(f"{method}: global channel attention has an unbounded receptive field, "
                          "so the map is processed in one piece (no tiling)", SunpySRUserWarning,
                          stacklevel=2)
        tile_size, radius = None, 0
    nan = np.isnan(data)
    data[nan] = FILL_VALUE
    import torch
    threads = int(threads) if threads is not None else torch.get_num_threads()
    if threads < 1:
        raise SunpySRError(f"threads must be a positive integer, got {threads}")
    if int(tile_workers) < 1:
        raise SunpySRError(f"tile_workers must be a positive integer, got {tile_workers}")
    workers = min(int(tile_workers), threads) if tile_size is not None and max(data.shape) > tile_size else 1
    with torch_threads(max(1, threads // workers)):
        result = run_tiled(func, data, scale=m.scale, pad=int(radius), tile=tile_size,
                           skip=nan if nan.any() else None, out=out, progress=progress, workers=workers)
    if nan.any():
        restore_nan(result, nan, m.scale)
    if not isinstance(smap, sunpy.map.GenericMap):
        return result
    if unit is not None:
        from_gauss(result, unit, out=result)  # back to the caller's unit (in place: no copy of a disk)
    meta = rescale_meta(smap.meta, m.scale, result.shape)
    keys = {"srmethod": method, "srfactor": m.scale, "srvers": version}
    model = ""
    if m.is_network:
        from sunpy_sr.weights import BUNDLED
        w = options.get("weights")
        model = os.path.basename(str(w)) if w else BUNDLED.get(method, method)
        keys["srmodel"] = model
    add_provenance(meta, history=f"sunpy_sr {version}: super-resolved {m.scale}x with {method}"
                                 + (f" ({model})" if model else ""), **keys)
    return smap._new_instance(result, meta, plot_settings=smap.plot_settings)


superresolve.__doc__ = superresolve.__doc__.replace(
    "See `sunpy_sr.methods.available_methods`.",
    f"Registered: {', '.join(available_methods())}.")
