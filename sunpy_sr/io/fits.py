"""
FITS files that keep a map's error map: :func:`save` and :func:`load`.

sunpy's ``Map.save`` writes the data and the header and drops ``.uncertainty`` and ``.mask``.
:func:`save` writes the same primary HDU (through ``Map.save``, so the header is exactly what
sunpy writes) and, after it, the image extensions of astropy's `~astropy.nddata.CCDData` FITS
convention (`~astropy.nddata.CCDData.to_hdu`):

``UNCERT``
    the uncertainty's array, with ``UTYPE = 'StdDevUncertainty'`` and ``BUNIT`` its unit
    (only when the map has an uncertainty);
``MASK``
    the mask as ``uint8`` (1 = masked; only when the map has a mask).

So `astropy.nddata.CCDData.read` reads the uncertainty and mask back, and :func:`load` gives
the map (the class sunpy gives, e.g. `~sunpy.map.sources.HMIMap`) with both attached. The
extensions carry the map's header too (its WCS and observer; not its structural keywords),
so `sunpy.map.Map` reads such a file as a list: the map, then the uncertainty (and mask) as
maps of their own.

numpy, astropy and sunpy are imported inside the functions: ``sunpy_sr.io`` stays light to import.
"""
from pathlib import Path

__all__ = ["save", "load", "UNCERTAINTY_EXTNAME", "MASK_EXTNAME", "UNCERTAINTY_TYPE_KEY"]

#: Extension name of the uncertainty (astropy CCDData's default ``hdu_uncertainty``).
UNCERTAINTY_EXTNAME = "UNCERT"
#: Extension name of the mask (CCDData's default ``hdu_mask``).
MASK_EXTNAME = "MASK"
#: Header keyword naming the uncertainty class (CCDData's default ``key_uncertainty_type``).
UNCERTAINTY_TYPE_KEY = "UTYPE"

_EXTRA_EXTNAMES = (UNCERTAINTY_EXTNAME, MASK_EXTNAME)


def _unit_string(unit):
    """A unit as FITS writes it (``"G"``, ``"Mx cm-2"``), or astropy's generic form."""
    try:
        return unit.to_string("fits")
    except (ValueError, TypeError):
        return unit.to_string()


def _uncertainty_hdu(smap):
    """The ``UNCERT`` ImageHDU of ``smap``'s uncertainty, in its own unit (the map's if it has none)."""
    import numpy as np
    from astropy.io import fits
    from astropy.nddata import StdDevUncertainty

    from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError
    unc = smap.uncertainty
    if type(unc) is not StdDevUncertainty:
        raise SunpySRTypeError(f"only a StdDevUncertainty can be saved, got {type(unc).__name__}")
    array = np.asarray(unc.array)
    if array.shape != smap.data.shape:
        raise SunpySRError(f"the uncertainty has shape {array.shape}, the map {smap.data.shape}")
    unit = unc.unit if unc.unit is not None else smap.unit
    if unit is not None and smap.unit is not None and not unit.is_equivalent(smap.unit):
        raise SunpySRError(f"the uncertainty's unit {unit} is not convertible to the map's unit {smap.unit}")
    header = _extension_header(smap)
    header[UNCERTAINTY_TYPE_KEY] = ("StdDevUncertainty", "class of the uncertainty (astropy.nddata)")
    if unit is not None:
        header["BUNIT"] = (_unit_string(unit), "unit of the uncertainty")
    return fits.ImageHDU(array, header, name=UNCERTAINTY_EXTNAME)


#: Keywords of the primary header not copied to the extensions (structure, scaling, checksums).
_STRUCTURAL = ("SIMPLE", "EXTEND", "XTENSION", "BITPIX", "NAXIS", "PCOUNT", "GCOUNT", "BLANK", "BSCALE",
               "BZERO", "CHECKSUM", "DATASUM", "EXTNAME", "BUNIT")


def _extension_header(smap):
    """The map's header as sunpy writes it, without its structural keywords: an extension with it
    has the map's WCS and observer, so ``sunpy.map.Map(path)`` reads it as a map of its own."""
    header = smap.fits_header.copy()
    for key in set(header):
        if key in _STRUCTURAL or (key.startswith("NAXIS") and key[len("NAXIS"):].isdigit()):
            header.remove(key, remove_all=True)
    return header


def extension_hdus(smap):
    """
    The image extensions of ``smap`` that sunpy does not write: ``[UNCERT]``, ``[MASK]``, both or none.

    Raises `~sunpy_sr.exceptions.SunpySRTypeError` for an uncertainty that is not a
    `~astropy.nddata.StdDevUncertainty`, `~sunpy_sr.exceptions.SunpySRError` for one of
    another shape or unit than the map.
    """
    import numpy as np
    from astropy.io import fits
    extra = []
    if smap.uncertainty is not None:
        extra.append(_uncertainty_hdu(smap))
    if smap.mask is not None:
        mask = np.broadcast_to(np.asarray(smap.mask, dtype=bool), smap.data.shape)
        extra.append(fits.ImageHDU(mask.astype(np.uint8), _extension_header(smap), name=MASK_EXTNAME))
    return extra


def _write(smap, path):
    """Write ``smap`` to ``path`` (not atomically): sunpy's primary HDU, then UNCERT and MASK."""
    from astropy.io import fits
    extra = extension_hdus(smap)  # checked before anything is written
    smap.save(path, overwrite=True, filetype="fits")  # the header exactly as sunpy writes it
    if extra:
        with fits.open(path, mode="append", memmap=False) as hdul:
            for hdu in extra:
                hdul.append(hdu)


def save(smap, path, *, overwrite=False, fsync=False, prefix=None):
    """
    Write a map to FITS with its uncertainty (and mask), atomically.

    The primary HDU is the map as `sunpy.map.GenericMap.save` writes it. A map with an
    uncertainty gets an image extension ``UNCERT`` (its array, ``UTYPE =
    'StdDevUncertainty'``, ``BUNIT`` its unit), a map with a mask an extension ``MASK``
    (``uint8``), as `astropy.nddata.CCDData` writes them. The file is written to a
    temporary name beside ``path`` and renamed when complete (`sunpy_sr.io.atomic_write`):
    it gets the permissions of the umask (``0o666 & ~umask``), and a failed write leaves
    ``path`` as it was.

    Parameters
    ----------
    smap : `~sunpy.map.GenericMap`
        The map; its ``uncertainty``, if any, must be a `~astropy.nddata.StdDevUncertainty`
        of the map's shape, in a unit convertible to the map's.
    path : path-like
        The output file; its folder must exist.
    overwrite : bool, optional
        Replace an existing ``path`` (default: refuse).
    fsync : bool, optional
        Flush the file to disk before the rename (default False).
    prefix : str, optional
        Start of the temporary file's name (`sunpy_sr.io.atomic_write`'s default: hidden).

    Returns
    -------
    `pathlib.Path`
        ``path``.

    Raises
    ------
    sunpy_sr.exceptions.SunpySRError
        ``path`` exists and ``overwrite`` is False (also if it appears while the file is
        written), or the uncertainty does not fit the map (shape, unit).
    sunpy_sr.exceptions.SunpySRTypeError
        The uncertainty is not a `~astropy.nddata.StdDevUncertainty`.

    See Also
    --------
    load : read such a file back, with ``.uncertainty``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from astropy.nddata import StdDevUncertainty
    >>> import sunpy_sr
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> hmi = hmi_active_region()
    >>> noisy = hmi._new_instance(hmi.data, hmi.meta,
    ...                           uncertainty=StdDevUncertainty(np.full(hmi.data.shape, 8.0), unit=hmi.unit))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = sunpy_sr.save(noisy, Path(folder) / "hmi.fits")
    ...     with fits.open(path) as hdul:
    ...         names = [hdu.name for hdu in hdul]
    ...         utype, bunit = hdul["UNCERT"].header["UTYPE"], hdul["UNCERT"].header["BUNIT"]
    >>> names, utype, bunit
    (['PRIMARY', 'UNCERT'], 'StdDevUncertainty', 'G')
    """
    from sunpy_sr.exceptions import SunpySRError
    from sunpy_sr.io.atomic import atomic_write
    path = Path(path)
    if not overwrite and path.exists():
        raise SunpySRError(f"{path} exists; pass overwrite=True to replace it")
    try:
        with atomic_write(path, overwrite=overwrite, prefix=prefix, suffix=".fits", fsync=fsync) as tmp:
            _write(smap, tmp)
    except FileExistsError:
        raise SunpySRError(f"{path} exists; pass overwrite=True to replace it") from None
    return path


def _hdu_indices(hdul):
    """Index of the map's image HDU (the first image that is not UNCERT or MASK) and of UNCERT, MASK."""
    image = None
    for i, hdu in enumerate(hdul):
        if hdu.name in _EXTRA_EXTNAMES:
            continue
        if hdu.is_image and hdu.header.get("NAXIS", 0) >= 2:
            image = i
            break
    names = [hdu.name for hdu in hdul]
    extra = {name: names.index(name) if name in names else None for name in _EXTRA_EXTNAMES}
    return image, extra[UNCERTAINTY_EXTNAME], extra[MASK_EXTNAME]


def load(path):
    """
    Read a map written by :func:`save`, with its uncertainty (and mask) attached.

    Parameters
    ----------
    path : path-like
        A FITS file. Its map is the first image HDU that is not ``UNCERT`` or ``MASK``
        (the primary HDU of a file from :func:`save`).

    Returns
    -------
    `~sunpy.map.GenericMap`
        The map of the class `sunpy.map.Map` gives for that HDU (e.g.
        `~sunpy.map.sources.HMIMap`). With an ``UNCERT`` extension its ``.uncertainty`` is
        a `~astropy.nddata.StdDevUncertainty` in the extension's ``BUNIT`` (the map's
        unit if it has none); with a ``MASK`` extension its ``.mask`` is a boolean array.
        A file without them loads as `sunpy.map.Map` reads it.

    Raises
    ------
    sunpy_sr.exceptions.SunpySRError
        The file holds no image, or its ``UNCERT`` is not a standard deviation
        (``UTYPE``) or not of the map's shape.

    See Also
    --------
    save

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from astropy.nddata import StdDevUncertainty
    >>> import sunpy_sr
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> hmi = hmi_active_region()
    >>> std = StdDevUncertainty(np.full(hmi.data.shape, 8.0, dtype=np.float32), unit=hmi.unit)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with_std = hmi._new_instance(hmi.data, hmi.meta, uncertainty=std)
    ...     path = sunpy_sr.save(with_std, Path(folder) / "hmi.fits")
    ...     back = sunpy_sr.load(path)
    >>> type(back).__name__, back.unit, type(back.uncertainty).__name__, back.uncertainty.unit
    ('HMIMap', Unit("G"), 'StdDevUncertainty', Unit("G"))
    >>> bool(np.all(back.uncertainty.array == 8.0)), np.array_equal(back.data, hmi.data, equal_nan=True)
    (True, True)
    """
    import astropy.units as u
    import numpy as np
    import sunpy.map
    from astropy.io import fits
    from astropy.nddata import StdDevUncertainty

    from sunpy_sr.exceptions import SunpySRError
    from sunpy_sr.io.provenance import name_super_resolved
    path = Path(path)
    with fits.open(path, memmap=False) as hdul:
        image, i_unc, i_mask = _hdu_indices(hdul)
        if image is None:
            raise SunpySRError(f"{path} holds no image")
        unc_data = unc_header = mask = None
        if i_unc is not None:
            unc_header = hdul[i_unc].header.copy()
            unc_data = np.asarray(hdul[i_unc].data)
        if i_mask is not None:
            mask = np.asarray(hdul[i_mask].data).astype(bool)
    smap = sunpy.map.Map(str(path), hdus=[image])
    if unc_data is None and mask is None:
        return name_super_resolved(smap)
    extra = {}
    if unc_data is not None:
        utype = unc_header.get(UNCERTAINTY_TYPE_KEY, "StdDevUncertainty")  # CCDData's default too
        if utype != "StdDevUncertainty":
            raise SunpySRError(f"{path.name}: the {UNCERTAINTY_EXTNAME} extension holds a {utype}, "
                               "not a StdDevUncertainty")
        if unc_data.shape != smap.data.shape:
            raise SunpySRError(f"{path.name}: {UNCERTAINTY_EXTNAME} has shape {unc_data.shape}, "
                               f"the map {smap.data.shape}")
        unit = u.Unit(unc_header["BUNIT"], parse_strict="silent") if "BUNIT" in unc_header else smap.unit
        extra["uncertainty"] = StdDevUncertainty(unc_data, unit=unit, copy=False)
    if mask is not None:
        if mask.shape != smap.data.shape:
            raise SunpySRError(f"{path.name}: {MASK_EXTNAME} has shape {mask.shape}, "
                               f"the map {smap.data.shape}")
        extra["mask"] = mask
    return name_super_resolved(smap._new_instance(smap.data, smap.meta, plot_settings=smap.plot_settings,
                                                  **extra))
