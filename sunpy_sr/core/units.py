"""
Units at the boundary: every field enters the package in gauss and leaves in the caller's unit.

The networks, the degradation operator, the metrics (PSNR peak 4000 G, SSIM data range
4000 G) and the clipping at +-2000 G are all defined in gauss. A map in tesla, kilogauss
or millitesla must therefore be *converted*, not relabelled: 0.1 T is 1000 G, and a network
fed 0.1 sees a nearly empty field. This module is the one place where that happens.

Accepted field units are those equivalent to the gauss in astropy: ``G``, ``kG``, ``T``,
``mT`` and ``Mx / cm2`` (the SHARP cutouts' unit; for a LOS flux density it *is* gauss).
"""
import astropy.units as u
import numpy as np

from sunpy_sr.exceptions import SunpySRError

__all__ = ["FIELD_UNIT", "field_unit", "is_field_unit", "validate_field_unit", "to_gauss", "from_gauss",
           "quantity_in_gauss", "gauss_values"]

#: The unit in which the package computes.
FIELD_UNIT = u.G


def is_field_unit(unit):
    """True if ``unit`` is a magnetic field (flux density) unit, convertible to gauss."""
    if unit is None:
        return False
    try:
        return u.Unit(unit).is_equivalent(u.G)
    except (ValueError, TypeError, AttributeError):
        return False


def validate_field_unit(unit, *, what="data"):
    """
    Return ``unit`` as a `~astropy.units.Unit` if it is a field unit, else raise.

    Raises
    ------
    SunpySRError
        (also a `ValueError`) naming the unit, if it is not convertible to gauss.

    Examples
    --------
    >>> import astropy.units as u
    >>> from sunpy_sr.core import validate_field_unit
    >>> print(validate_field_unit("Mx / cm2"), validate_field_unit("kG").to(u.G))
    Mx / cm2 1000.0
    >>> validate_field_unit("DN")
    Traceback (most recent call last):
    ...
    sunpy_sr.exceptions.SunpySRError: the data unit DN is not a magnetic field unit: ...
    """
    if not is_field_unit(unit):
        raise SunpySRError(f"the {what} unit {unit!s} is not a magnetic field unit: a LOS magnetogram in "
                           "G, kG, T, mT or Mx/cm^2 is expected")
    return u.Unit(unit)


def field_unit(obj, *, assume_magnetogram=False):
    """
    The field unit of a Map, NDCube or Quantity (a plain array is in gauss).

    Parameters
    ----------
    obj : `~sunpy.map.GenericMap`, `~ndcube.NDCube`, `~astropy.units.Quantity` or array
    assume_magnetogram : bool or "missing"
        If the object carries no field unit (no ``BUNIT``, or e.g. ``DN``), treat its
        values as gauss instead of raising (the caller vouches for the data). With
        ``"missing"``, only an object *without* a unit is taken as gauss; one in a
        unit that is not a field (DN, m/s) is still an error.

    Returns
    -------
    `~astropy.units.UnitBase`
        The unit its values are in; `FIELD_UNIT` for plain arrays and, with
        ``assume_magnetogram``, for objects without a field unit.
    """
    if isinstance(obj, u.Quantity):
        unit = obj.unit
    elif hasattr(obj, "unit") and not isinstance(obj, np.ndarray):
        unit = obj.unit
    else:
        return FIELD_UNIT
    if assume_magnetogram == "missing":
        if unit is None:
            return FIELD_UNIT
    elif assume_magnetogram and not is_field_unit(unit):
        return FIELD_UNIT
    return validate_field_unit(unit)


def to_gauss(obj, *, assume_magnetogram=False, dtype=np.float32):
    """
    The values of a Map, NDCube, Quantity or array as a new array in gauss.

    Parameters
    ----------
    obj : `~sunpy.map.GenericMap`, `~ndcube.NDCube`, `~astropy.units.Quantity` or array-like
        A field. Plain arrays are taken to be in gauss.
    assume_magnetogram : bool
        Values of an object without a field unit are taken as gauss (see `field_unit`).
    dtype : dtype
        Output type (native byte order; FITS data are big-endian).

    Returns
    -------
    `numpy.ndarray`
        A C-contiguous copy in gauss; the input is never modified.

    Examples
    --------
    >>> import astropy.units as u
    >>> from sunpy_sr.core import to_gauss
    >>> to_gauss([0.1, -0.2] * u.T)                     # 1 T = 10 kG
    array([ 1000., -2000.], dtype=float32)
    >>> to_gauss([[1, 2]])                              # plain values are taken as gauss
    array([[1., 2.]], dtype=float32)
    """
    unit = field_unit(obj, assume_magnetogram=assume_magnetogram)
    if isinstance(obj, u.Quantity):
        values = obj.value
    else:
        values = getattr(obj, "data", obj) if not isinstance(obj, np.ndarray) else obj
    out = np.array(values, dtype=dtype, order="C", copy=True)
    factor = unit.to(FIELD_UNIT) if unit != FIELD_UNIT else 1.0
    if factor != 1.0:
        out *= out.dtype.type(factor)
    return out


def from_gauss(array, unit, *, out=None):
    """
    Convert an array in gauss to ``unit`` (in place when ``out is array``).

    Parameters
    ----------
    array : `numpy.ndarray`
        Values in gauss.
    unit : `~astropy.units.UnitBase`
        A field unit.
    out : `numpy.ndarray`, optional
        Where to write; ``out=array`` converts in place (no copy of a full disk).

    Examples
    --------
    >>> import astropy.units as u
    >>> import numpy as np
    >>> from sunpy_sr.core import from_gauss
    >>> b = np.array([1000.0, -2500.0])                 # G
    >>> from_gauss(b, u.kG)
    array([ 1. , -2.5])
    >>> from_gauss(b, u.mT, out=b) is b, b              # in place
    (True, array([ 100., -250.]))
    """
    unit = validate_field_unit(unit)
    factor = FIELD_UNIT.to(unit)
    if out is None:
        out = np.array(array, copy=True)
    elif out is not array:
        out[...] = array
    if factor != 1.0:
        out *= out.dtype.type(factor)
    return out


def quantity_in_gauss(value, *, name="value"):
    """
    A threshold or field given as a Quantity (any field unit) or a number (gauss), as float G.

    Raises
    ------
    SunpySRError
        If ``value`` is a Quantity in a unit that is not a field.
    """
    if isinstance(value, u.Quantity):
        validate_field_unit(value.unit, what=name)
        return float(value.to_value(FIELD_UNIT))
    return float(value)


def gauss_values(obj):
    """
    The values of a Map or Quantity in gauss (float64); anything else is returned as given.

    The metrics, the evaluation table and the figures read their inputs through this: a map
    without ``BUNIT`` is taken as gauss, one in a unit that is not a field is an error naming
    it, and plain arrays are taken to be in gauss already.

    Parameters
    ----------
    obj : `~sunpy.map.GenericMap`, `~astropy.units.Quantity` or array-like
        A field.

    Returns
    -------
    `numpy.ndarray` or ``obj``

    Examples
    --------
    >>> import astropy.units as u
    >>> from sunpy_sr.core.units import gauss_values
    >>> gauss_values([0.1, -0.2] * u.T)
    array([ 1000., -2000.])
    """
    if hasattr(obj, "unit"):  # a Map, NDCube or Quantity (a Map always has one, None without BUNIT)
        return to_gauss(obj, assume_magnetogram="missing", dtype=np.float64)
    return obj
