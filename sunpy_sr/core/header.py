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
"""
import copy

__all__ = ["rescale_meta", "add_provenance", "STALE_KEYS", "is_cea"]

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


def add_provenance(meta, *, history, **keys):
    """
    Record provenance in a header, in place.

    Parameters
    ----------
    meta : `sunpy.util.MetaDict` or dict
        Header to update.
    history : str
        One line appended to the ``HISTORY`` card.
    **keys
        FITS keywords (8 characters at most) and their values.
    """
    for key, value in keys.items():
        if len(key) > 8:
            raise ValueError(f"FITS keyword {key!r} is longer than 8 characters")
        meta[key.lower()] = value
    old = meta.get("history", "")
    meta["history"] = f"{old}\n{history}" if old else history
    return meta


def is_cea(smap):
    """True if ``smap`` is on a cylindrical equal-area grid (e.g. an HMI SHARP CEA cutout)."""
    return "CEA" in str(smap.meta.get("ctype1", "")).upper()
