"""Header arithmetic for a change of pixel scale, in both directions.

Every change of grid in sunpy_sr (super-resolution by a factor ``f`` and
degradation by ``1/f``) goes through :func:`rescale_meta`, so that the two agree
to the half pixel. The convention is sunpy's own (`sunpy.map.GenericMap.resample`
and `~sunpy.map.GenericMap.superpixel`): CRPIX counts pixel *edges*, i.e. the
outer edge of the first pixel stays where it was. For a zoom by ``f`` (``f > 1``
makes pixels smaller)::

    CDELTi' = CDELTi / f          CDi_j' = CDi_j / f        PCi_j' = PCi_j
    CRPIXi' = f * (CRPIXi - 0.5) + 0.5                      (f = 4: 4*CRPIX - 1.5)
    CRVALi' = CRVALi              CROTA2' = CROTA2

Keys in pixel units (``R_SUN``, ``X0_MP``/``Y0_MP``, ``IMSCL_MP``) follow the same
rule; data statistics (``DATAMEAN`` ...) and integer-scaling keys (``BLANK``,
``BZERO``, ``BSCALE``) no longer describe the new array and are dropped.

An N-D cube (`~ndcube.NDCube`: two celestial axes plus e.g. time) has an `astropy.wcs.WCS`
instead of a header: :func:`rescale_wcs` applies the same rule to its celestial pixel axes
only and leaves the other axes untouched.
"""
import copy

import numpy as np

from sunpy_sr.exceptions import SunpySRError, warn_user

__all__ = ["rescale_meta", "rescale_wcs", "celestial_pixel_axes", "celestial_array_axes", "rescaled_cube",
           "fits_wcs", "add_provenance", "STALE_KEYS", "is_cea"]

#: Keys that describe the old array's values or storage and are removed.
STALE_KEYS = (
    "datamin", "datamax", "datamedn", "datamean", "datarms", "dataskew", "datakurt",
    "datavals", "missvals", "totvals", "datap01", "datap10", "datap25", "datap75",
    "datap90", "datap95", "datap98", "datap99", "blank", "bzero", "bscale",
    "checksum", "datasum", "zblank", "zdither0", "zquantiz",
)


def _new_edge_pixel(crpix, factor):
    """CRPIX (1-based, edge convention) after a zoom by ``factor``."""
    return factor * (crpix - 0.5) + 0.5


def rescale_meta(meta, factor, shape):
    """
    Return a copy of a FITS-like header for a grid zoomed by ``factor``.

    Parameters
    ----------
    meta : `sunpy.util.MetaDict` or dict
        The original header. It is not modified.
    factor : float
        Zoom factor: 4 for 4x super-resolution (pixels 4x smaller), 0.25 for 4x
        degradation (pixels 4x larger).
    shape : tuple of int
        ``(ny, nx)`` of the new data array.

    Returns
    -------
    new_meta : same type as ``meta``
        The header of the new grid, with the same world coordinates at every
        point of the solar image plane.

    References
    ----------
    sunpy's ``GenericMap.superpixel`` and ``GenericMap.resample`` (CRPIX as an
    edge count; ``CRPIX' = (CRPIX - 0.5) / f + 0.5`` for a superpixel of ``f``).

    Examples
    --------
    >>> from sunpy_sr.core import rescale_meta
    >>> meta = {"crpix1": 128.5, "cdelt1": 0.504, "naxis1": 256, "datamean": 3.2}
    >>> sr = rescale_meta(meta, 4, (1024, 1024))        # CRPIX' = 4*CRPIX - 1.5, CDELT' = CDELT/4
    >>> sr["crpix1"], sr["cdelt1"], sr["naxis1"], "datamean" in sr
    (512.5, 0.126, 1024, False)
    >>> rescale_meta(sr, 0.25, (256, 256))["crpix1"]   # and back
    128.5
    """
    factor = float(factor)
    new = copy.deepcopy(meta)
    for key in STALE_KEYS:
        new.pop(key, None)
    for axis in (1, 2):
        if f"crpix{axis}" in new:
            new[f"crpix{axis}"] = _new_edge_pixel(float(new[f"crpix{axis}"]), factor)
        if f"cdelt{axis}" in new:
            new[f"cdelt{axis}"] = float(new[f"cdelt{axis}"]) / factor
        for j in (1, 2):
            if f"cd{axis}_{j}" in new:
                new[f"cd{axis}_{j}"] = float(new[f"cd{axis}_{j}"]) / factor
    new["naxis1"] = int(shape[1])
    new["naxis2"] = int(shape[0])
    # Keys in pixel units (HMI and MDI headers).
    if "r_sun" in new:
        new["r_sun"] = float(new["r_sun"]) * factor
    for key in ("x0_mp", "y0_mp"):  # 0-based pixel positions of the disk centre
        if key in new:
            new[key] = factor * (float(new[key]) + 0.5) - 0.5
    if "imscl_mp" in new:
        new["imscl_mp"] = float(new["imscl_mp"]) / factor
    return new


def add_provenance(meta, *, history, comments=None, **keys):
    """
    Record provenance in a header, in place.

    Parameters
    ----------
    meta : `sunpy.util.MetaDict` or dict
        Header to update.
    history : str
        One line appended to the ``HISTORY`` card.
    comments : dict, optional
        FITS comments of some of ``keys`` (keyword -> text): in the ``KEYCOMMENTS`` entry
        sunpy writes to FITS (an `~ndcube.NDMeta`'s own key comments).
    **keys
        FITS keywords (8 characters at most) and their values.

    Examples
    --------
    >>> from sunpy_sr.core import add_provenance
    >>> meta = add_provenance({"history": "level 1"}, history="degraded 4x", SRFACTOR=0.25)
    >>> meta["srfactor"]
    0.25
    >>> print(meta["history"])
    level 1
    degraded 4x
    """
    for key, value in keys.items():
        if len(key) > 8:
            raise ValueError(f"FITS keyword {key!r} is longer than 8 characters")
        meta[key.lower()] = value
    comments = {k.lower(): text for k, text in (comments or {}).items() if k.lower() in
                {key.lower() for key in keys}}
    if comments and hasattr(meta, "key_comments") and hasattr(meta, "add"):  # ndcube's NDMeta
        for key, text in comments.items():
            meta.add(key, meta[key], key_comment=text, overwrite=True)
    elif comments:  # a new dict: the one there may be shared with the input's header
        old = meta.get("keycomments")
        meta["keycomments"] = {**(old if isinstance(old, dict) else {}),
                               **{k.upper(): text for k, text in comments.items()}}
    old = meta.get("history", "")
    meta["history"] = f"{old}\n{history}" if old else history
    return meta


def is_cea(smap):
    """True if ``smap`` is on a cylindrical equal-area grid (e.g. an HMI SHARP CEA cutout)."""
    return "CEA" in str(smap.meta.get("ctype1", "")).upper()


def celestial_pixel_axes(wcs):
    """
    The two pixel axes of an N-D FITS WCS that carry the celestial coordinates.

    Parameters
    ----------
    wcs : `astropy.wcs.WCS`
        A FITS WCS with one longitude and one latitude axis (e.g. ``HPLN``/``HPLT``,
        ``CRLN``/``CRLT``) and any number of other axes (time, wavelength, ...).

    Returns
    -------
    tuple of int
        Pixel axes in WCS order (0-based; pixel axis 0 is the last array axis), sorted.

    Raises
    ------
    SunpySRError
        If the WCS has no celestial pair, or the celestial world axes depend on other
        pixel axes (or other world axes on the celestial pixel axes): the celestial
        plane must be separable from the rest to be rescaled on its own.
    """
    lng, lat = int(wcs.wcs.lng), int(wcs.wcs.lat)
    if lng < 0 or lat < 0:
        raise SunpySRError(f"the WCS has no celestial (longitude, latitude) axis pair: "
                           f"CTYPE = {list(wcs.wcs.ctype)}")
    corr = np.asarray(wcs.axis_correlation_matrix)  # (world, pixel)
    world = [lng, lat]
    pixel = sorted(int(p) for p in np.flatnonzero(corr[world].any(axis=0)))
    if len(pixel) != 2:
        raise SunpySRError(f"the celestial world axes depend on {len(pixel)} pixel axes ({pixel}); "
                           "two are needed")
    other_world = [w for w in range(corr.shape[0]) if w not in world]
    if other_world and corr[np.ix_(other_world, pixel)].any():
        raise SunpySRError("a non-celestial world axis depends on the celestial pixel axes: the celestial "
                           "plane cannot be rescaled on its own")
    return tuple(pixel)


def rescale_wcs(wcs, factor, celestial_axes=None, *, pixel_shape=None):
    """
    Return a copy of an N-D FITS WCS whose celestial pixel axes are zoomed by ``factor``.

    The rule is :func:`rescale_meta`'s (sunpy's ``resample``/``superpixel``), applied to
    the two celestial pixel axes only::

        CRPIXj' = factor * (CRPIXj - 0.5) + 0.5      (factor 4: 4*CRPIX - 1.5)
        CDELTi' = CDELTi / factor                    (celestial world axes i)
        CDi_j'  = CDi_j / factor                     (celestial pixel axes j, every i)
        PCi_j, CROTA, CRVAL, CTYPE, CUNIT and every other axis unchanged

    Parameters
    ----------
    wcs : `astropy.wcs.WCS`
        The original WCS (not modified). Distortions (SIP, lookup tables) are not supported.
    factor : float
        Zoom factor: 4 for 4x super-resolution (pixels 4x smaller), 0.25 for 4x degradation.
    celestial_axes : tuple of int, optional
        The pixel axes to rescale, in WCS order (0-based; pixel axis 0 is the *last* array
        axis). Default: :func:`celestial_pixel_axes`.
    pixel_shape : tuple of int, optional
        The new grid's shape in WCS order (``NAXISi``); default: the old one with the
        rescaled axes multiplied by ``factor`` (when the old WCS has a shape).

    Returns
    -------
    `astropy.wcs.WCS`
        The WCS of the new grid: every point of the celestial plane has the same world
        coordinates as before, and pixels of the other axes are untouched.

    Raises
    ------
    SunpySRError
        If the WCS has distortions, or (without ``celestial_axes``) no separable celestial pair.
    """
    if getattr(wcs, "sip", None) is not None or getattr(wcs, "cpdis1", None) is not None \
            or getattr(wcs, "cpdis2", None) is not None or getattr(wcs, "det2im1", None) is not None \
            or getattr(wcs, "det2im2", None) is not None:
        raise SunpySRError("a WCS with distortions (SIP or lookup tables) cannot be rescaled exactly")
    factor = float(factor)
    axes = [int(a) for a in (celestial_axes if celestial_axes is not None else celestial_pixel_axes(wcs))]
    new = wcs.deepcopy()
    crpix = new.wcs.crpix.copy()
    for a in axes:
        crpix[a] = _new_edge_pixel(float(crpix[a]), factor)
    new.wcs.crpix = crpix
    if new.wcs.has_cd():
        cd = new.wcs.cd.copy()
        cd[:, axes] /= factor  # world_i = CD_ij (p_j - CRPIX_j): columns of the scaled pixel axes
        new.wcs.cd = cd
    else:
        corr = np.asarray(wcs.axis_correlation_matrix)
        world = np.flatnonzero(corr[:, axes].any(axis=1))
        others = [p for p in range(corr.shape[1]) if p not in axes]
        if others and corr[np.ix_(world, others)].any():
            raise SunpySRError("the world axes of the rescaled pixel axes also depend on other pixel axes")
        cdelt = new.wcs.cdelt.copy()
        cdelt[world] = cdelt[world] / factor
        new.wcs.cdelt = cdelt
    if pixel_shape is not None:
        new.pixel_shape = tuple(int(n) for n in pixel_shape)
    elif wcs.pixel_shape is not None:
        shape = list(wcs.pixel_shape)
        for a in axes:
            shape[a] = int(round(shape[a] * factor))
        new.pixel_shape = tuple(shape)
    new.wcs.set()
    return new


def fits_wcs(wcs):
    """
    The `astropy.wcs.WCS` of a cube: ``wcs`` itself, or that of a range slice of one.

    An `~ndcube.NDCube` sliced with ranges (``cube[1:3, :64]``) holds its FITS WCS behind a
    `~astropy.wcs.wcsapi.SlicedLowLevelWCS`; that slice is taken on the FITS WCS itself
    (`astropy.wcs.WCS.slice`), which gives the same grid as a plain WCS.

    Raises
    ------
    SunpySRTypeError
        For any other WCS (a gwcs, or a slice that dropped an axis): the celestial axes of
        those cannot be rescaled exactly by header arithmetic.
    """
    from astropy.wcs import WCS
    from astropy.wcs.wcsapi import SlicedLowLevelWCS

    from sunpy_sr.exceptions import SunpySRTypeError
    if isinstance(wcs, WCS):
        return wcs
    low = getattr(wcs, "low_level_wcs", wcs)
    if isinstance(low, WCS):
        return low
    # astropy's SlicedLowLevelWCS has no public accessor for the WCS it slices or the slices
    # (only the sliced view): the private names, read with getattr so a rename falls through
    inner = getattr(low, "_wcs", None)
    slices = getattr(low, "_slices_array", None)
    if isinstance(low, SlicedLowLevelWCS) and isinstance(inner, WCS) and slices is not None \
            and low.pixel_n_dim == inner.pixel_n_dim \
            and all(isinstance(s, slice) and s.step in (None, 1) for s in slices):
        return inner.slice(tuple(slices))
    raise SunpySRTypeError(f"a cube with an astropy.wcs.WCS is needed (its celestial axes are rescaled "
                           f"exactly by header arithmetic); this one has a {type(low).__name__}")


def celestial_array_axes(wcs):
    """
    The two array axes (numpy order, sorted) of the celestial plane of an N-D FITS WCS.

    Array axis ``k`` of an ``n``-dimensional cube is pixel axis ``n - 1 - k`` of its WCS;
    see :func:`celestial_pixel_axes`.
    """
    n = wcs.pixel_n_dim
    return tuple(sorted(n - 1 - p for p in celestial_pixel_axes(wcs)))


def rescaled_cube(cube, data, factor, *, mask=None, uncertainty=None, history=None, keys=None, comments=None):
    """
    A new `~ndcube.NDCube` on ``cube``'s grid zoomed by ``factor`` in its celestial plane.

    Parameters
    ----------
    cube : `~ndcube.NDCube`
        The original cube, with an `astropy.wcs.WCS` (not modified).
    data : `numpy.ndarray`
        The new data, in ``cube.unit``: the cube's shape with both celestial axes
        multiplied by ``factor``.
    factor : float
        4 for super-resolution, 0.25 for degradation (see :func:`rescale_wcs`).
    mask, uncertainty : optional
        The new cube's mask (array of the new shape, or None) and uncertainty.
    history : str, optional
        A ``HISTORY`` line added to (a copy of) the meta, with the provenance ``keys``.
    keys : dict, optional
        Provenance keywords (``SRMETHOD`` ...), added to the meta.
    comments : dict, optional
        FITS comments of some of the ``keys`` (see :func:`add_provenance`).

    Returns
    -------
    `~ndcube.NDCube`
        WCS from :func:`rescale_wcs`, ``cube.unit``, a copy of ``cube.meta`` with the
        provenance, and the extra and global coordinates that do not lie along a
        celestial axis (those that do no longer fit the grid and are dropped with a
        `~sunpy_sr.exceptions.SunpySRUserWarning`). An `~ndcube.NDMeta` keeps its
        axis-aware entries except those along the celestial axes (which become plain).
    """
    from numbers import Integral

    from ndcube import NDCube, NDMeta

    wcs = fits_wcs(cube.wcs)
    cel_pix = celestial_pixel_axes(wcs)
    n = data.ndim
    cel = {n - 1 - p for p in cel_pix}
    new_wcs = rescale_wcs(wcs, factor, cel_pix, pixel_shape=data.shape[::-1])
    meta = cube.meta
    if isinstance(meta, NDMeta):
        axes = {k: v for k, v in meta.axes.items() if not cel & {int(a) for a in np.atleast_1d(v)}}
        meta = NDMeta(copy.deepcopy(dict(meta)), key_comments=dict(meta.key_comments), axes=axes,
                      data_shape=data.shape)
    else:
        meta = copy.deepcopy(meta) if meta is not None else {}
    if history is not None or keys:
        from astropy.io import fits
        if isinstance(meta, fits.Header):
            comments = {k.lower(): v for k, v in (comments or {}).items()}
            for key, value in (keys or {}).items():
                meta[key.upper()] = (value, comments[key.lower()]) if key.lower() in comments else value
            if history:
                meta.add_history(history)
        elif hasattr(meta, "__setitem__"):
            add_provenance(meta, history=history or "", comments=comments, **(keys or {}))
    new = NDCube(data, wcs=new_wcs, mask=mask, uncertainty=uncertainty, meta=meta, unit=cube.unit)
    dropped = []
    # ndcube's ExtraCoords has no public list of its lookup tables with their array axes, nor a way
    # to tell a user-given WCS from one built of the tables (``.wcs`` builds one): the private names
    for array_axes, coord in getattr(cube.extra_coords, "_lookup_tables", []):
        along = {int(array_axes)} if isinstance(array_axes, Integral) else {int(a) for a in array_axes}
        if along & cel:
            dropped.extend(coord.names)
        else:
            new.extra_coords.add(coord.names, array_axes, coord, physical_types=coord.physical_types)
    if getattr(cube.extra_coords, "_wcs", None) is not None:
        dropped.append("(a WCS of extra coordinates)")
    for name in cube.global_coords:
        new.global_coords.add(name, cube.global_coords.physical_types[name], cube.global_coords[name])
    if dropped:
        warn_user(f"extra coordinates along the celestial axes do not fit the rescaled grid and are "
                      f"dropped: {', '.join(map(str, dropped))}")
    return new
