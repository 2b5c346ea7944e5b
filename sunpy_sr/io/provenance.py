"""
The provenance keywords every output of `sunpy_sr.superresolve` carries, spelled once, and
the name a super-resolved map is shown with.

Standard library only: read by the FITS loader, the batch's output check and the header
code alike.
"""

__all__ = ["METHOD_KEY", "FACTOR_KEY", "VERSION_KEY", "PROVENANCE_KEYS", "name_super_resolved"]

#: The method that made the map (`sunpy_sr.methods.available_methods`).
METHOD_KEY = "SRMETHOD"
#: The change of pixel scale (4 for a 4x super-resolution, 0.25 for a degradation).
FACTOR_KEY = "SRFACTOR"
#: The sunpy_sr version that made the map.
VERSION_KEY = "SRVERS"
#: Header keywords every output of `sunpy_sr.superresolve` carries.
PROVENANCE_KEYS = (METHOD_KEY, FACTOR_KEY, VERSION_KEY)


def name_super_resolved(smap):
    """
    Make a super-resolved map's ``name`` (and so its plot titles) say so, in place.

    sunpy builds `~sunpy.map.GenericMap.name` from the instrument's keywords, so a
    super-resolved map would carry its input's name. Where the header holds the
    provenance of `sunpy_sr.superresolve` (``SRMETHOD`` and ``SRFACTOR`` above 1), the
    map's ``nickname`` gets the method and factor appended.

    Parameters
    ----------
    smap : `~sunpy.map.GenericMap`

    Returns
    -------
    `~sunpy.map.GenericMap`
        ``smap`` itself.

    Examples
    --------
    >>> import sunpy_sr
    >>> from sunpy_sr.data import sample
    >>> hmi = sample.hmi_active_region()
    >>> hmi.name
    'HMI magnetogram 2016-07-07 00:58:47'
    >>> sunpy_sr.superresolve(hmi, method="bicubic").name
    'HMI (bicubic 4x) magnetogram 2016-07-07 00:58:47'
    """
    method, factor = smap.meta.get(METHOD_KEY.lower()), smap.meta.get(FACTOR_KEY.lower())
    if method and isinstance(factor, (int, float)) and factor > 1:
        label = f"({method} {factor:g}x)"
        if not str(smap.nickname).endswith(label):
            smap.nickname = f"{smap.nickname} {label}"
    return smap
