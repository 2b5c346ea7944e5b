"""Input validation: is this a 2D line-of-sight magnetogram we can process?"""

import numpy as np
import sunpy.map

from sunpy_sr.core.units import FIELD_UNIT, field_unit
from sunpy_sr.exceptions import NotMagnetogramError, SunpySRError, SunpySRTypeError, warn_user

__all__ = ["validate_input", "check_magnetogram"]

_NOT_MAGNETOGRAM_WORDS = ("continuum", "intensity", "doppler", "dopplergram", "velocity",
                          "linewidth", "depth", "euv", "stokes")


def as_float_array(data):
    """
    Return ``data`` as native-byte-order float32 (a copy; FITS arrays are big-endian).

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core.validation import as_float_array
    >>> f = as_float_array(np.array([1, 2], dtype=">i2"))   # big-endian int16, as read from FITS
    >>> f, f.dtype.isnative
    (array([1., 2.], dtype=float32), True)
    """
    return np.array(data, dtype=np.float32, order="C", copy=True)


def validate_input(obj, *, min_size=1, assume_magnetogram=False, trained=True):
    """
    Check that ``obj`` is a 2D LOS magnetogram (Map) or a 2D array.

    Parameters
    ----------
    obj : `~sunpy.map.GenericMap` or `numpy.ndarray`
        The input.
    min_size : int
        Smallest allowed number of pixels along either axis.
    assume_magnetogram : bool
        Skip the product check, and take data without a field unit as gauss (the
        caller vouches that the data are a LOS field). Data in a field unit are
        still converted.
    trained : bool
        What the method returns was learned on HMI (a network, or an error model's
        sigma): a map from another instrument, at another pixel scale or already
        super-resolved gets a `SunpySRUserWarning`. A classical method (``bicubic``,
        ``linear``) without an error map does not depend on what it was fitted on in
        that way, and these warnings are not given for it.

    Returns
    -------
    data : `numpy.ndarray`
        float32, native byte order, a copy of the input data **in gauss** (a map in
        T, kG or mT is converted; see `sunpy_sr.core.units`).

    Raises
    ------
    SunpySRTypeError
        (also a `TypeError`) Neither a Map nor an array, or non-numeric data.
    SunpySRError
        (also a `ValueError`) Not two-dimensional, smaller than ``min_size``, not a
        magnetogram, not a field unit, non-square pixels, or all NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core import validate_input
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> data = validate_input(hmi_active_region())      # an HMI map in G passes the checks
    >>> data.shape, data.dtype.name
    ((256, 256), 'float32')
    >>> validate_input(np.array([[1.0, np.inf]]))       # infinities become NaN
    array([[ 1., nan]], dtype=float32)
    """
    if isinstance(obj, sunpy.map.GenericMap):
        data = np.asarray(obj.data)
    elif isinstance(obj, np.ndarray):
        data = obj
    else:
        raise SunpySRTypeError("expected a sunpy.map.GenericMap or a 2D numpy array, "
                               f"got {type(obj).__name__}")
    if data.ndim != 2:
        raise SunpySRError(f"expected 2D data, got an array of shape {data.shape}")
    if not np.issubdtype(data.dtype, np.number) or np.issubdtype(data.dtype, np.complexfloating):
        raise SunpySRTypeError(f"expected real numeric data, got dtype {data.dtype}")
    if min(data.shape) < min_size:
        raise SunpySRError(f"input of shape {data.shape} is too small: this method needs at least "
                         f"{min_size}x{min_size} pixels")
    if isinstance(obj, sunpy.map.GenericMap):
        _validate_map(obj, assume_magnetogram, trained)
    out = as_float_array(data)
    unit = field_unit(obj, assume_magnetogram=True) if isinstance(obj, sunpy.map.GenericMap) else FIELD_UNIT
    if unit != FIELD_UNIT:
        out *= np.float32(unit.to(FIELD_UNIT))
    if not np.isfinite(out).any():
        raise SunpySRError("the input contains no finite values (all NaN or infinite)")
    out[np.isinf(out)] = np.nan
    return out


def _validate_map(smap, assume_magnetogram, trained):
    if not assume_magnetogram:
        check_magnetogram(smap)
        if trained and "HMI" not in str(smap.instrument).upper():
            warn_user(f"this method was trained on SDO/HMI; this map is from "
                          f"{smap.observatory} {smap.instrument}")
    sx, sy = smap.scale
    sx, sy = sx.value, sy.value
    if not np.isclose(abs(sx), abs(sy), rtol=1e-3):
        raise SunpySRError(f"pixels are not square ({sx} x {sy}); resample the map first")
    if trained and not assume_magnetogram:
        _warn_untrained(smap)


def check_magnetogram(obj, *, name=None):
    """
    Check that a map, or the FITS header of a file sunpy cannot read as a map, is a LOS magnetogram.

    The product words of the header (``CONTENT``, ``MEASUREMENT``, ``WAVE_STR``, ``OBS_TYPE``,
    the ``CTYPEi`` axis types, and a map's ``measurement``) must not name another product
    (continuum, Doppler, Stokes, ...); a map's unit must be a field unit.

    Parameters
    ----------
    obj : `~sunpy.map.GenericMap` or `~astropy.io.fits.Header`
        The map, or the header (only its product words are checked: a header carries no parsed unit).
    name : str, optional
        How the message names the input (default: the map's ``name``, or a header's ``INSTRUME``).

    Raises
    ------
    NotMagnetogramError
        (a `SunpySRError`) naming what the header says, and ``assume_magnetogram=True`` as the override.

    Examples
    --------
    >>> from astropy.io import fits
    >>> from sunpy_sr.core.validation import check_magnetogram
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> check_magnetogram(hmi_active_region())          # an HMI magnetogram passes
    >>> check_magnetogram(fits.Header({"INSTRUME": "SOT/SP", "CTYPE4": "Stokes component"}))
    Traceback (most recent call last):
    ...
    sunpy_sr.exceptions.NotMagnetogramError: 'SOT/SP' does not look like a LOS magnetogram (header: ...
    """
    is_map = isinstance(obj, sunpy.map.GenericMap)
    meta = obj.meta if is_map else obj
    keys = ["content", "measurement", "wave_str", "obs_type"]
    if not is_map:  # a map's axes are celestial; a file sunpy cannot map may have a Stokes or spectral axis
        keys += sorted(k for k in meta if k.lower().startswith("ctype"))
    words = " ".join(str(meta.get(k, "")) for k in keys)
    instrument = str(obj.instrument if is_map else meta.get("instrume", ""))
    if is_map:
        words += " " + str(getattr(obj, "measurement", ""))
    words = " ".join(words.lower().split())
    if name is None:
        name = obj.name if is_map else instrument
    if any(w in words for w in _NOT_MAGNETOGRAM_WORDS) or instrument.upper().startswith("AIA"):
        raise NotMagnetogramError(f"{name!r} does not look like a LOS magnetogram (header: {words!r})")
    if is_map and (obj.unit is None or not obj.unit.is_equivalent(FIELD_UNIT)):
        raise NotMagnetogramError(
            f"unknown or unsupported data unit {meta.get('bunit')!r}: a LOS magnetogram in G, kG, T, "
            "mT or Mx/cm^2 is expected", when="if the data are in gauss")


#: helioprojective pixel scales (arcsec/pixel) around HMI's 0.504" that the networks accept silently
TRAINED_SCALE = (0.35, 0.75)


def _scale_arcsec(smap):
    """The map's pixel scale in arcsec/pixel for a helioprojective map, else None (e.g. a CEA cutout)."""
    try:
        from sunpy.coordinates import Helioprojective
        if not isinstance(smap.coordinate_frame, Helioprojective):
            return None
        return abs(float(smap.scale.axis1.to_value("arcsec / pix")))
    except Exception:  # no celestial WCS or no angular unit: nothing to compare
        return None


def _warn_untrained(smap):
    """Warn about maps a trained method was not trained for: another scale, or already super-resolved."""
    meta = smap.meta
    method = meta.get("srmethod")
    try:
        factor = float(meta.get("srfactor", 0))
    except (TypeError, ValueError):
        factor = 0.0
    if method and factor > 1:  # a later sunpy_sr.degrade sets SRFACTOR < 1: back on an input's grid
        warn_user(f"this map was already super-resolved {factor:g}x with {method!r} (SRMETHOD); "
                      "super-resolving it again is outside what this method was trained for")
    scale = _scale_arcsec(smap)
    if scale is None:
        return
    lo, hi = TRAINED_SCALE
    scales = [scale]
    if meta.get("srdegrad") and 0 < factor < 1:
        scales.append(scale * factor)  # degraded by sunpy_sr: the map it was made from (the training input)
    if not any(lo <= s <= hi for s in scales):
        warn_user(f"the map's pixel scale is {scale:.3f} arcsec/pixel: this method was trained on "
                      f"HMI's 0.504\"/pixel (accepted: {lo}-{hi}), and the result of a map at another scale "
                      "is not what they were validated for")
