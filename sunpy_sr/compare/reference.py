"""
The reference map's header and observer: Hinode SOT/NFI repair, time offset, result headers.

Level-0 Hinode SOT headers (e.g. NFI magnetograms) use the deprecated
``Solar-X``/``Solar-Y`` axis types, carry no observer position and no solar
radius. :func:`prepare_reference` makes such a header reproject cleanly, with
sunpy's own helpers: `sunpy.map.sources.SOTMap` reads the axis types,
`sunpy.coordinates.get_earth` gives the observer and
`sunpy.map.header_helper.get_observer_meta` writes it.

References
----------
* Tsuneta, S., Ichimoto, K., Katsukawa, Y., et al. 2008, Solar Physics 249, 167
  (the Solar Optical Telescope of Hinode).
* Rahman, S., Moon, Y.-J., Park, E., et al. 2020, ApJL 897, L32, Section 2.2.
"""
import copy
import warnings

import astropy.units as u
import numpy as np
from sunpy.coordinates import get_earth
from sunpy.map.header_helper import get_observer_meta
from sunpy.util import MetaDict
from sunpy.util.exceptions import SunpyDeprecationWarning

from sunpy_sr.core.header import add_provenance
from sunpy_sr.exceptions import warn_user

__all__ = ["prepare_reference"]

# Header keys copied from the SR map into the header of the reprojected reference:
# the grid (WCS) and its time. Everything else (instrument, content, data statistics)
# describes the SR data and is not copied; the observer is written by get_observer_meta.
_GRID_KEYS = ("naxis", "naxis1", "naxis2", "ctype1", "ctype2", "cunit1", "cunit2", "crpix1",
              "crpix2", "crval1", "crval2", "cdelt1", "cdelt2", "crota1", "crota2", "pc1_1",
              "pc1_2", "pc2_1", "pc2_2", "cd1_1", "cd1_2", "cd2_1", "cd2_2", "lonpole", "latpole",
              "wcsname", "timesys", "rsun_ref", "rsun_obs", "dsun_ref")
# Keys that identify the reference observation, kept in the result headers.
_IDENTITY_KEYS = ("telescop", "instrume", "detector", "obsrvtry", "wave", "wavelnth", "waveunit",
                  "obs_type", "data_lev")


def has_observer(smap):
    """
    True if sunpy finds an observer position in the header of ``smap``.

    The key sets are sunpy's own, per map source (``HGLN_OBS``/``HGLT_OBS``/``DSUN_OBS``,
    ``CRLN_OBS``/``CRLT_OBS``/``DSUN_OBS``, and what a source adds); a source with a
    default observer of its own counts as having one.
    """
    # sunpy has no public list of the observer key sets or of a source's default observer, and
    # ``smap.observer_coordinate`` warns and falls back instead of saying whether the header has one
    key_sets = getattr(smap, "_supported_observer_coordinates", None)
    if key_sets is None:  # in case sunpy renames its private list: the two FITS standard sets
        key_sets = [(("hgln_obs", "hglt_obs", "dsun_obs"), None),
                    (("crln_obs", "crlt_obs", "dsun_obs"), None)]
    if any(set(keys) <= set(smap.meta.keys()) for keys, _ in key_sets):
        return True
    return getattr(smap, "_default_observer_coordinate", None) is not None


def prepare_reference(reference_map, sr_map, *, notes=None):
    """
    Return a copy of the reference map with a header that reprojects cleanly.

    * ``CTYPE`` ``Solar-X``/``Solar-Y`` (Hinode, deprecated in sunpy) becomes
      ``HPLN-TAN``/``HPLT-TAN``, as `sunpy.map.GenericMap.coordinate_system`
      reads them;
    * a missing observer (Hinode headers have none) is set to Earth's position
      at the reference's time (`sunpy.coordinates.get_earth`), with a
      `~sunpy_sr.exceptions.SunpySRUserWarning`: Hinode is in a low Earth orbit
      (altitude about 680 km), so the error in the viewing direction is below
      0.1 arcsec on the disk;
    * the solar radius (``RSUN_REF``, used to project helioprojective
      coordinates onto the solar surface) is set to the SR map's, so that both
      maps put a given pixel at the same point of the Sun. A different explicit
      value is replaced with a `~sunpy_sr.exceptions.SunpySRUserWarning`; a
      missing one (Hinode; sunpy would assume 695 700 km while HMI headers say
      696 000 km) is set silently and recorded in ``notes`` and ``HISTORY``.
    * the data become float64 in native byte order (level-0 NFI is big-endian int16).

    Parameters
    ----------
    reference_map : `~sunpy.map.GenericMap`
        The reference (e.g. a `~sunpy.map.sources.SOTMap`).
    sr_map : `~sunpy.map.GenericMap`
        The map whose solar radius is adopted.
    notes : list, optional
        Appended with a sentence for every change made.

    Returns
    -------
    `~sunpy.map.GenericMap`
        Same class as ``reference_map``.

    References
    ----------
    Tsuneta, S., Ichimoto, K., Katsukawa, Y., et al. 2008, Solar Physics 249, 167.

    Examples
    --------
    A level-0 NFI-like header (``Solar-X``/``Solar-Y``, int16, no ``RSUN_REF``; with
    an observer, else a warning says Earth's position is used) prepared against HMI:

    >>> import numpy as np
    >>> import sunpy.map
    >>> from sunpy_sr.compare import prepare_reference
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> header = {"telescop": "HINODE", "instrume": "SOT/NB", "date-obs": "2016-07-07T01:00:00",
    ...           "ctype1": "Solar-X", "ctype2": "Solar-Y", "cunit1": "arcsec", "cunit2": "arcsec",
    ...           "cdelt1": 0.16, "cdelt2": 0.16, "crpix1": 16.5, "crpix2": 16.5, "crval1": 435.0,
    ...           "crval2": -301.0, "hgln_obs": 0.0, "hglt_obs": 3.56, "dsun_obs": 1.521e11}
    >>> nfi = sunpy.map.Map(np.zeros((32, 32), np.int16), header)
    >>> notes = []
    >>> ref = prepare_reference(nfi, hmi_active_region(), notes=notes)
    >>> ref.meta["ctype1"], float(ref.meta["rsun_ref"]), ref.data.dtype.name   # RSUN_REF (m) of HMI
    ('HPLN-TAN', 696000000.0, 'float64')
    >>> print(*notes, sep="\\n")
    CTYPE1 'Solar-X' read as 'HPLN-TAN'
    CTYPE2 'Solar-Y' read as 'HPLT-TAN'
    RSUN_REF missing in the reference; set to the SR map's 6.96e+08 m
    """
    notes = [] if notes is None else notes
    meta = copy.deepcopy(reference_map.meta)
    old = [str(meta.get(f"ctype{axis}", "")) for axis in (1, 2)]
    if any(c.lower() in ("solar-x", "solar_x", "solar-y", "solar_y") for c in old):
        with warnings.catch_warnings():
            # a SOTMap reads them silently; a GenericMap too, with a deprecation warning
            warnings.simplefilter("ignore", SunpyDeprecationWarning)
            new = reference_map.coordinate_system
        for axis, (before, after) in enumerate(zip(old, new), start=1):
            if before != after:
                meta[f"ctype{axis}"] = after
                notes.append(f"CTYPE{axis} {before!r} read as {after!r}")
    if not has_observer(reference_map):
        time = reference_map.reference_date.utc
        meta.update(get_observer_meta(get_earth(time)))
        where = ("Hinode is in low Earth orbit, so the error is below 0.1 arcsec on the disk"
                 if "hinode" in str(meta.get("telescop", "")).lower() else
                 "correct for an observer on or near Earth")
        warn_user(f"the reference map ({reference_map.name}) has no observer position; using "
                      f"Earth's position at {time.isot} ({where})")
        notes.append(f"observer set to Earth at {time.isot}")
    rsun_sr = sr_map.rsun_meters.to_value(u.m)
    if "rsun_ref" in meta:
        rsun_ref = float(meta["rsun_ref"])
        if not np.isclose(rsun_ref, rsun_sr, rtol=0, atol=1.0):
            warn_user(f"RSUN_REF of the reference ({rsun_ref:.6g} m) differs from the SR "
                          f"map's ({rsun_sr:.6g} m); using the SR map's for both")
            notes.append(f"RSUN_REF {rsun_ref:.6g} m replaced with the SR map's {rsun_sr:.6g} m")
    else:
        notes.append(f"RSUN_REF missing in the reference; set to the SR map's {rsun_sr:.6g} m")
    meta["rsun_ref"] = rsun_sr
    meta.pop("rsun_obs", None)  # derived from rsun_ref and dsun_obs
    for key in ("bzero", "bscale", "blank"):
        meta.pop(key, None)
    data = np.array(reference_map.data, dtype=np.float64, order="C")
    return reference_map._new_instance(data, meta, plot_settings=reference_map.plot_settings)


def signal_unit(reference, notes):
    """The unit of the reference signal: its ``BUNIT``, or DN (level-0 data) with a note."""
    if reference.unit is not None:
        return reference.unit
    notes.append("the reference has no BUNIT; its signal is taken to be in DN")
    return u.DN


def default_label(reference):
    """Observatory and instrument of the reference (e.g. "Hinode SOT/NB"), or "reference"."""
    return " ".join(str(x) for x in (reference.observatory, reference.instrument)
                    if x and str(x) != "None") or "reference"


def time_offset(reference, sr_map, *, differential_rotation, max_time_difference, notes):
    """
    Reference time minus SR time, and whether the reference is rotated to the SR map's time.

    Warns (`~sunpy_sr.exceptions.SunpySRUserWarning`) that the comparison is
    qualitative if the maps are more than ``max_time_difference`` apart.

    Returns
    -------
    dt : `~astropy.units.Quantity`
        In hours.
    rotate : bool
        ``differential_rotation`` and the maps are more than 1 s apart.
    """
    dt = (reference.reference_date - sr_map.reference_date).to(u.h)
    rotate = bool(differential_rotation and abs(dt) > 1 * u.s)
    if abs(dt) > max_time_difference:
        warn_user(
            f"the reference ({reference.reference_date.utc.isot} UTC) and the SR map "
            f"({sr_map.reference_date.utc.isot} UTC) are {abs(dt.to_value(u.h)):.1f} h apart"
            + ("; the reference is differentially rotated to the SR map's time, but the field "
               "evolved in between: the comparison is qualitative" if rotate else
               "; the comparison is qualitative"))
    if rotate:
        notes.append(f"reference differentially rotated by {-dt.to_value(u.h):+.2f} h, to the SR "
                     f"map's time")
    return dt, rotate


def result_header(sr_map, reference_map, reference, *, label, algorithm, dt, rotate, shift):
    """
    Header of the reprojected reference: the SR grid, time and observer; the reference's identity.

    Parameters
    ----------
    sr_map : `~sunpy.map.GenericMap`
        The (cropped) SR map, whose grid the reference is on.
    reference_map, reference : `~sunpy.map.GenericMap`
        The reference as given (its identity keys are kept) and as prepared (its date).
    label, algorithm : str
        Reference label and resampling algorithm, for ``HISTORY``.
    dt : `~astropy.units.Quantity`
        Reference time minus SR time.
    rotate : bool
        Whether the reference was differentially rotated.
    shift : `~astropy.units.Quantity`
        Pointing correction (arcsec).

    Returns
    -------
    `~sunpy.util.MetaDict`
        With the provenance keys ``SRVERS``, ``SRREPRO``, ``SRDT``, ``SRDROT``,
        ``SRSHFTX``, ``SRSHFTY`` and ``DATE_REF`` (the reference's own time).
    """
    from sunpy_sr.version import version
    src = sr_map.meta
    meta = MetaDict({k: src[k] for k in _GRID_KEYS if k in src})
    meta.update(get_observer_meta(sr_map.observer_coordinate))
    # The grid's time: the same reference date as the SR map (GenericMap reads DATE-AVG first).
    meta["date-obs"] = sr_map.date.utc.isot
    meta["date-avg"] = sr_map.reference_date.utc.isot
    meta["timesys"] = "UTC"
    meta["rsun_ref"] = float(sr_map.rsun_meters.to_value(u.m))
    meta.update({k: reference_map.meta[k] for k in _IDENTITY_KEYS if k in reference_map.meta})
    when = reference.reference_date.utc.isot
    history = f"sunpy_sr {version}: {label} of {when} reprojected ({algorithm}) onto the SR grid"
    if rotate:
        history += f", differentially rotated by {-dt.to_value(u.h):+.2f} h"
    return add_provenance(meta, history=history, srvers=version, srrepro=algorithm,
                          srdt=round(float(dt.to_value(u.h)), 4), srdrot=rotate,
                          srshftx=round(float(shift[0].to_value(u.arcsec)), 4),
                          srshfty=round(float(shift[1].to_value(u.arcsec)), 4), date_ref=when)
