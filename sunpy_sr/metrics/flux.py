"""
Magnetic flux of a map: pixel areas on the Sun, signed and unsigned flux (Mx).

Works for helioprojective maps (full disk, cutouts) and for heliographic CEA maps
(SHARP); the field is converted to gauss from the map's unit.
"""
import astropy.units as u
import numpy as np
import sunpy.map

from sunpy_sr.core.header import is_cea
from sunpy_sr.core.units import to_gauss
from sunpy_sr.exceptions import SunpySRError

__all__ = ["map_pixel_area", "signed_flux", "unsigned_flux"]


def _is_helioprojective(smap):
    from sunpy.coordinates import Helioprojective
    return isinstance(smap.coordinate_frame, Helioprojective)

def _mu_helioprojective(smap):
    """
    mu and observer-to-surface distance for each pixel of a helioprojective map.

    For a spherical Sun of radius R seen from distance D, a point at angular
    distance rho from disk centre has ``mu = sqrt(1 - (D sin(rho) / R)**2)`` and
    lies at ``d = D cos(rho) - R mu`` from the observer (NaN off the disk).
    """
    from sunpy.map.maputils import all_coordinates_from_map
    c = all_coordinates_from_map(smap)
    cos_rho = np.cos(c.Tx.to_value(u.rad)) * np.cos(c.Ty.to_value(u.rad))
    sin_rho = np.sqrt(np.clip(1 - cos_rho**2, 0, None))
    D = smap.dsun.to_value(u.cm)
    R = smap.rsun_meters.to_value(u.cm)
    with np.errstate(invalid="ignore"):
        mu = np.sqrt(1 - (D * sin_rho / R) ** 2)        # NaN off the disk
    d = D * cos_rho - R * mu
    return mu, d

def _mu_heliographic(smap):
    """mu for each pixel of a heliographic (e.g. CEA) map, from the observer's position."""
    from sunpy.map.maputils import all_coordinates_from_map
    c = all_coordinates_from_map(smap)
    obs = smap.observer_coordinate.transform_to(c.frame)
    lon, lat = c.lon.to_value(u.rad), c.lat.to_value(u.rad)
    lon0, lat0 = obs.lon.to_value(u.rad), obs.lat.to_value(u.rad)
    cos_psi = np.sin(lat) * np.sin(lat0) + np.cos(lat) * np.cos(lat0) * np.cos(lon - lon0)
    D = obs.radius.to_value(u.cm)
    R = smap.rsun_meters.to_value(u.cm)
    d = np.sqrt(D**2 + R**2 - 2 * D * R * cos_psi)
    return (D * cos_psi - R) / d

def map_pixel_area(smap, *, surface=False, mu_min=0.1):
    """
    Area of each pixel of a map on the Sun, in cm^2.

    Parameters
    ----------
    smap : `~sunpy.map.GenericMap`
        A helioprojective map (e.g. full-disk HMI) or a heliographic CEA map
        (e.g. a SHARP cutout).
    surface : bool
        Helioprojective maps only. If False (default), the disk-centre
        approximation: every pixel has the area ``Omega * (D - R)**2`` that its
        solid angle ``Omega = CDELT1 * CDELT2`` (rad^2) subtends at the
        sub-observer point, where ``D`` is the observer distance (``DSUN_OBS``)
        and ``R`` the solar radius (``RSUN_REF``); foreshortening is ignored, so
        this is the pixel's footprint perpendicular to the line of sight. If True,
        the area on the spherical solar surface, ``Omega * d**2 / mu``, with ``d``
        the distance from the observer to the surface point and ``mu`` the cosine
        of the angle between the local vertical and the line of sight; pixels off
        the disk or with ``mu < mu_min`` are NaN. (The small variation of the
        pixel solid angle across a TAN projection, a fraction 1e-5 over the
        disk, is neglected.)
    mu_min : float
        Smallest ``mu`` kept when ``surface=True`` (the area diverges at the limb).

    Returns
    -------
    `~astropy.units.Quantity`
        A scalar (cm^2) when every pixel has the same area, otherwise an array of
        the map's shape.

    Notes
    -----
    A CEA map (``CTYPEi = CRLN-CEA, CRLT-CEA``, as for SHARPs) is an equal-area
    projection: each pixel covers ``lambda * CDELT1 * CDELT2 * R**2`` on the
    sphere (CDELTs in rad, ``lambda = PV2_1``, default 1) wherever it lies, so
    ``surface`` does not change it.

    Raises
    ------
    ValueError
        Any other projection: pass ``pixel_area`` to the flux functions instead.

    Examples
    --------
    >>> import astropy.units as u
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.metrics import map_pixel_area
    >>> hmi = hmi_active_region()                        # 0.504"/px near (+435", -301")
    >>> print(f"{map_pixel_area(hmi).to(u.km**2):.3g}")   # one value: the disk-centre approximation
    1.37e+05 km2
    >>> surface = map_pixel_area(hmi, surface=True)      # per pixel, on the solar surface
    >>> surface.shape, round(float((surface / map_pixel_area(hmi)).mean()), 2)   # foreshortening
    ((256, 256), 1.21)
    """
    R = smap.rsun_meters.to(u.cm)
    sx, sy = (abs(s.to_value(u.rad / u.pix, equivalencies=u.dimensionless_angles())) * u.rad
              for s in smap.scale)
    if is_cea(smap):
        lam = float(smap.meta.get("pv2_1", 1.0))
        return (lam * (sx * sy).to_value(u.sr) * R**2).to(u.cm**2)
    if _is_helioprojective(smap):
        omega = (sx * sy).to_value(u.sr)
        if not surface:
            return (omega * (smap.dsun - R) ** 2).to(u.cm**2)
        mu, d = _mu_helioprojective(smap)
        with np.errstate(invalid="ignore", divide="ignore"):
            area = np.where(mu >= mu_min, omega * d**2 / mu, np.nan)
        return area * u.cm**2
    raise SunpySRError(f"cannot compute the pixel area of a {smap.meta.get('ctype1')}/"
                     f"{smap.meta.get('ctype2')} map: pass pixel_area (a Quantity in cm^2)")

def _flux_terms(x, pixel_area, radial, mu_min, mask):
    """Field (G) and area (cm^2) arrays and the pixels to sum."""
    if isinstance(x, sunpy.map.GenericMap):
        b = to_gauss(x, dtype=np.float64)  # a map without a field unit is an error naming its unit
        if pixel_area is None:
            if radial:
                if _is_helioprojective(x):
                    mu = _mu_helioprojective(x)[0]
                    area = map_pixel_area(x, surface=True, mu_min=mu_min).to_value(u.cm**2)
                else:
                    mu = _mu_heliographic(x)
                    area = map_pixel_area(x).to_value(u.cm**2)
                with np.errstate(invalid="ignore", divide="ignore"):
                    b = np.where(mu >= mu_min, b / mu, np.nan)
            else:
                area = map_pixel_area(x).to_value(u.cm**2)
        elif radial:
            raise SunpySRError("radial=True needs the map's coordinates: do not pass pixel_area")
    else:
        if pixel_area is None:
            raise SunpySRError("an array has no coordinates: pass pixel_area (a Quantity in cm^2 or km^2)")
        if radial:
            raise SunpySRError("radial=True needs a Map (an array has no coordinates)")
        b = np.asarray(x, dtype=np.float64)
        if b.ndim != 2:
            raise SunpySRError(f"expected a 2D array, got shape {b.shape}")
    if pixel_area is not None:
        if not isinstance(pixel_area, u.Quantity):
            raise TypeError("pixel_area must be an astropy Quantity of area (e.g. cm^2 or km^2)")
        area = pixel_area.to_value(u.cm**2)
    area = np.broadcast_to(area, b.shape)
    valid = np.isfinite(b) & np.isfinite(area)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != b.shape:
            raise SunpySRError(f"mask shape {mask.shape} differs from the data shape {b.shape}")
        valid &= mask
    return b, area, valid

def signed_flux(smap_or_array, pixel_area=None, *, radial=False, mu_min=0.1, mask=None):
    """
    Net (signed) magnetic flux, ``sum(B * A)`` over the finite pixels, in Mx.

    Parameters
    ----------
    smap_or_array : `~sunpy.map.GenericMap` or `numpy.ndarray`
        A LOS magnetogram (G or Mx/cm^2; an array is taken to be in G).
    pixel_area : `~astropy.units.Quantity`, optional
        Area of a pixel on the Sun (cm^2, km^2...; scalar or an array of the data's
        shape). Required for an array. For a Map it defaults to
        :func:`map_pixel_area`: for a helioprojective map the disk-centre
        approximation ``(CDELT1 * CDELT2 in rad^2) * (DSUN_OBS - RSUN_REF)**2``,
        which ignores foreshortening (so the sum is the flux of the LOS component
        through the pixels' footprints perpendicular to the line of sight, and is
        exact only near disk centre); for a CEA map (SHARP) the exact equal-area
        ``(CDELT in rad)**2 * RSUN_REF**2``.
    radial : bool
        Maps only: assume the field is radial, so ``B_r = B_LOS / mu``, and sum
        ``B_r`` times the pixel area on the solar surface (``Omega d**2 / mu`` for
        a helioprojective map, the CEA area for a CEA map). Pixels with
        ``mu < mu_min`` (and off-disk pixels) are left out.
    mu_min : float
        Limb cut-off for ``radial=True`` (default 0.1).
    mask : array of bool, optional
        Only pixels where ``mask`` is True are summed (e.g. a HARP region).

    Returns
    -------
    `~astropy.units.Quantity`
        Flux in Mx (1 G cm^2 = 1 Mx).

    References
    ----------
    Hoeksema, J. T. et al. 2014, Sol. Phys. 289, 3483 (SHARP flux from CEA pixels,
    ``USFLUX``); Bobra, M. G. et al. 2014, Sol. Phys. 289, 3549.

    Examples
    --------
    >>> import astropy.units as u
    >>> import numpy as np
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.metrics import signed_flux
    >>> b = np.array([[500.0, -200.0], [np.nan, 100.0]])             # G
    >>> print(f"{signed_flux(b, pixel_area=1e16 * u.cm**2):.2e}")    # 400 G x 1e16 cm2; NaN left out
    4.00e+18 Mx
    >>> print(f"{signed_flux(hmi_active_region()):.3g}")             # pixel area from the header
    -2.55e+20 Mx
    """
    b, area, valid = _flux_terms(smap_or_array, pixel_area, radial, mu_min, mask)
    return (float(np.sum(b[valid] * area[valid])) * u.G * u.cm**2).to(u.Mx)

def unsigned_flux(smap_or_array, pixel_area=None, *, radial=False, mu_min=0.1, mask=None):
    """
    Total unsigned magnetic flux, ``sum(|B| * A)`` over the finite pixels, in Mx.

    Parameters and conventions as in :func:`signed_flux`. Note that the unsigned
    flux of a noisy magnetogram includes the noise (about 10 G per pixel for HMI
    LOS); restrict it with ``mask`` (e.g. ``np.abs(data) > threshold``) to compare
    maps of different resolution or noise.

    Returns
    -------
    `~astropy.units.Quantity`
        Flux in Mx.

    Examples
    --------
    >>> import astropy.units as u
    >>> import numpy as np
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.metrics import unsigned_flux
    >>> b = np.array([[500.0, -200.0], [np.nan, 100.0]])             # G
    >>> print(f"{unsigned_flux(b, pixel_area=1e16 * u.cm**2):.2e}")  # 800 G x 1e16 cm2; NaN left out
    8.00e+18 Mx
    >>> hmi = hmi_active_region()
    >>> print(f"{unsigned_flux(hmi):.3g}, {unsigned_flux(hmi, mask=abs(hmi.data) > 100):.3g}")   # |B| > 100 G
    1.73e+21 Mx, 9.84e+20 Mx
    """
    b, area, valid = _flux_terms(smap_or_array, pixel_area, radial, mu_min, mask)
    return (float(np.sum(np.abs(b[valid]) * area[valid])) * u.G * u.cm**2).to(u.Mx)
