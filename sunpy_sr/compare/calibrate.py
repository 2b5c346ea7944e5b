"""
Calibration of a reference signal to a magnetic flux density by a polynomial fit.

Rahman et al. (2020, Section 2.2) calibrate the Hinode/SOT NFI V/I signal to HMI
with a third-order polynomial (the pixel-to-pixel cross-comparison of Moon et al.
2007). The fit is made in gauss, whatever the field unit of the maps
(`sunpy_sr.core.units`), and reported in the unit of the map it was fitted to.
"""
from dataclasses import dataclass, replace

import astropy.units as u
import numpy as np
import sunpy.map

from sunpy_sr.core.grid import block_mean
from sunpy_sr.core.units import FIELD_UNIT, field_unit, to_gauss, validate_field_unit
from sunpy_sr.exceptions import SunpySRError

__all__ = ["PolynomialCalibration", "calibrate_polynomial"]


@dataclass(frozen=True)
class PolynomialCalibration:
    """
    A polynomial that maps a reference signal to a magnetic flux density.

    ``B = c0 + c1 x + c2 x**2 + ... `` where ``x`` is the reference signal (e.g.
    the NFI V/I in DN) and ``B`` is in the unit of the map it was fitted to.

    Attributes
    ----------
    coefficients : tuple of `~astropy.units.Quantity`
        ``c0, c1, ...`` (lowest order first); ``ck`` has the unit
        ``output_unit / input_unit**k`` (e.g. G, G / DN, G / DN2, G / DN3).
    input_unit, output_unit : `~astropy.units.UnitBase`
        Units of the reference signal and of the fitted field.
    residual : `~astropy.units.Quantity`
        RMS of the fit residual (``output_unit``) over the points kept by the
        sigma clipping.
    n_points : int
        Number of points kept in the final fit.
    n_clipped : int
        Number of points rejected by the sigma clipping.
    binning : int
        Block size (SR pixels) over which both maps were averaged before fitting.
    input_range : `~astropy.units.Quantity`
        The (min, max) of the fitted signal; the polynomial is an extrapolation
        outside it.
    """
    coefficients: tuple
    input_unit: u.UnitBase
    output_unit: u.UnitBase
    residual: u.Quantity
    n_points: int
    n_clipped: int = 0
    binning: int = 1
    input_range: u.Quantity = None

    @property
    def degree(self):
        """Order of the polynomial."""
        return len(self.coefficients) - 1

    def __call__(self, x):
        """
        Evaluate the calibration.

        Parameters
        ----------
        x : `~astropy.units.Quantity` or array-like
            Reference signal; a bare array is taken to be in ``input_unit``.

        Returns
        -------
        `~astropy.units.Quantity`
            The calibrated field, in ``output_unit``.
        """
        x = u.Quantity(x, self.input_unit).to_value(self.input_unit)
        coef = [c.to_value(self.output_unit / self.input_unit**k)
                for k, c in enumerate(self.coefficients)]
        return np.polynomial.polynomial.polyval(x, coef) * self.output_unit

    def to(self, unit):
        """
        The same calibration with its output (coefficients and residual) in another field unit.

        Parameters
        ----------
        unit : `~astropy.units.UnitBase`
            A unit equivalent to ``output_unit`` (e.g. T for a calibration in G).

        Returns
        -------
        `PolynomialCalibration`
        """
        unit = u.Unit(unit)
        coefficients = tuple(c.to(unit / self.input_unit**k) for k, c in enumerate(self.coefficients))
        return replace(self, coefficients=coefficients, output_unit=unit, residual=self.residual.to(unit))

    def __str__(self):
        terms = " + ".join(f"({c.value:.6g} {c.unit:unicode})" + (f" x^{k}" if k > 1 else
                                                                    " x" if k == 1 else "")
                           for k, c in enumerate(self.coefficients))
        return (f"B = {terms}  [x in {self.input_unit:unicode}; residual RMS "
                f"{self.residual:.4g}, {self.n_points} points, {self.n_clipped} clipped, "
                f"binning {self.binning}]")


def signal(obj, unit=None):
    """
    The values (float64) and unit of a reference signal, which need not be a field.

    A Map or Quantity carries its unit (converted to ``unit`` if given); a Map
    without ``BUNIT`` or a bare array is in ``unit``, DN by default (level-0 NFI).
    """
    if isinstance(obj, sunpy.map.GenericMap):
        obj = obj.quantity if obj.unit is not None else obj.data
    if isinstance(obj, u.Quantity):
        unit = obj.unit if unit is None else u.Unit(unit)
        return np.asarray(obj.to_value(unit), dtype=np.float64), unit
    return np.asarray(obj, dtype=np.float64), u.DN if unit is None else u.Unit(unit)


def calibrate_polynomial(reference, target, *, degree=3, mask=None, binning=1, sigma_clip=3.0,
                         max_iter=5, reference_unit=None, target_unit=None):
    """
    Fit the target field as a polynomial of the reference signal (Moon et al. 2007).

    Parameters
    ----------
    reference : `~sunpy.map.GenericMap`, `~astropy.units.Quantity` or array
        The signal to calibrate (e.g. NFI V/I in DN), on the same grid as ``target``.
    target : `~sunpy.map.GenericMap`, `~astropy.units.Quantity` or array
        The field to calibrate against (e.g. HMI), in any field unit (G, kG,
        T, mT, Mx/cm^2; `sunpy_sr.core.units`). The fit is made in gauss, so
        the result does not depend on that unit.
    degree : int
        Order of the polynomial (3 in Rahman et al. 2020).
    mask : `numpy.ndarray` of bool, optional
        Pixels to use (True); NaN pixels are always excluded.
    binning : int
        Average both maps over ``binning`` x ``binning`` blocks before fitting (a
        block is used only if all its pixels are valid). With ``binning`` equal to
        the SR factor the fit is made at the resolution of the original
        magnetogram, which limits the bias of a fit between a sharp and a blurred
        map and the weight of residual misalignment.
    sigma_clip : float or None
        Iteratively reject points whose residual exceeds ``sigma_clip`` times the
        standard deviation of the residuals of the points kept; None keeps all.
        This removes e.g. sunspot umbrae where the NFI V/I signal saturates and
        reverses.
    max_iter : int
        Maximum number of clipping iterations.
    reference_unit : `~astropy.units.UnitBase`, optional
        Unit of the signal: that of a bare array (default DN), or the unit a
        Map's or Quantity's signal is converted to.
    target_unit : `~astropy.units.UnitBase`, optional
        Field unit of a bare ``target`` array (default G).

    Returns
    -------
    `PolynomialCalibration`
        In ``target``'s unit (``output_unit``).

    Raises
    ------
    SunpySRError
        ``target`` is not in a field unit, or there are fewer than
        ``10 * (degree + 1)`` valid points.

    References
    ----------
    Moon, Y.-J., Kim, Y.-H., Park, Y.-D., et al. 2007, PASJ 59, S625.
    Rahman, S., et al. 2020, ApJL 897, L32 (Section 2.2).

    Examples
    --------
    A signal (e.g. NFI V/I, DN) related to the field by ``B = 8000 x - 30000 x**3`` G,
    with 10 G of noise:

    >>> import astropy.units as u
    >>> import numpy as np
    >>> from sunpy_sr.compare import calibrate_polynomial
    >>> rng = np.random.default_rng(0)
    >>> vi = rng.uniform(-0.2, 0.2, (64, 64))                               # DN
    >>> b = 8000 * vi - 3e4 * vi**3 + rng.normal(0, 10, vi.shape)           # G
    >>> cal = calibrate_polynomial(vi, b)                                   # third order, 3-sigma clipping
    >>> cal.degree, cal.n_points + cal.n_clipped
    (3, 4096)
    >>> print(cal(0.1 * u.DN).round(), cal.residual.round(1))              # true: 770 G; the noise
    770.0 G 9.9 G
    """
    x, in_unit = signal(reference, reference_unit)
    if target_unit is not None and not isinstance(target, (u.Quantity, sunpy.map.GenericMap)):
        target = u.Quantity(target, validate_field_unit(target_unit, what="target"))
    out_unit = field_unit(target)
    y = to_gauss(target, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: reference {x.shape}, target {y.shape}")
    valid = np.isfinite(x) & np.isfinite(y)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    binning = int(binning)
    if binning > 1:
        x = block_mean(np.where(valid, x, np.nan), binning)
        y = block_mean(np.where(valid, y, np.nan), binning)
        valid = np.isfinite(x) & np.isfinite(y)
    x, y = x[valid], y[valid]
    if x.size < 10 * (degree + 1):
        raise SunpySRError(f"only {x.size} valid points for a polynomial fit of degree {degree}")
    keep = np.ones(x.size, dtype=bool)
    for _ in range(max_iter):
        poly = np.polynomial.Polynomial.fit(x[keep], y[keep], degree)
        resid = y - poly(x)
        if sigma_clip is None:
            break
        sigma = resid[keep].std()
        new = np.abs(resid) <= sigma_clip * sigma
        if np.array_equal(new, keep):
            break
        keep = new
    coef = np.zeros(degree + 1)
    c = poly.convert().coef
    coef[:c.size] = c
    rms = float(np.sqrt(np.mean(resid[keep] ** 2)))
    calibration = PolynomialCalibration(
        coefficients=tuple(coef[k] * FIELD_UNIT / in_unit**k for k in range(degree + 1)),
        input_unit=in_unit, output_unit=FIELD_UNIT, residual=rms * FIELD_UNIT, n_points=int(keep.sum()),
        n_clipped=int((~keep).sum()), binning=binning,
        input_range=u.Quantity([x[keep].min(), x[keep].max()], in_unit))
    return calibration.to(out_unit)  # (astropy has G == Mx / cm2: keep the target's own unit)


def parse_calibration(calibrate):
    """The ``calibrate`` option of `~sunpy_sr.compare.compare_maps` as None, a degree or a calibration."""
    if calibrate is None or calibrate is False or calibrate == "none":
        return None
    if isinstance(calibrate, PolynomialCalibration):
        return calibrate
    if isinstance(calibrate, (int, np.integer)) and not isinstance(calibrate, bool):
        return int(calibrate)
    if isinstance(calibrate, str) and calibrate.startswith("poly") and calibrate[4:].isdigit():
        return int(calibrate[4:])
    raise ValueError(f"calibrate must be 'poly1' ... 'poly5', an int, a PolynomialCalibration or "
                     f"None; got {calibrate!r}")


def calibrate_reference(signal_values, signal_unit, target, how, *, mask, binning, sigma_clip, unit):
    """
    Calibrate the resampled reference signal: the calibration phase of `~sunpy_sr.compare.compare_maps`.

    Parameters
    ----------
    signal_values : `numpy.ndarray`
        The reference on the SR grid, in ``signal_unit``.
    signal_unit : `~astropy.units.UnitBase`
        Its unit (e.g. DN, or a field unit).
    target : `~sunpy.map.GenericMap`
        The map the polynomial is fitted to (the SR map or the baseline).
    how : None, int or `PolynomialCalibration`
        No calibration (the signal is already a field), the degree of a fit, or
        a known calibration (see `parse_calibration`).
    mask : `numpy.ndarray` of bool
        Pixels of the fit.
    binning, sigma_clip
        As in `calibrate_polynomial`.
    unit : `~astropy.units.UnitBase`
        Field unit in which a fitted calibration is reported (the SR map's).

    Returns
    -------
    calibration : `PolynomialCalibration` or None
    field : `numpy.ndarray`
        The calibrated reference in gauss (float64).
    """
    quantity = signal_values * signal_unit
    if how is None:
        if not signal_unit.is_equivalent(u.G):
            raise SunpySRError(f"calibrate=None but the reference is in {signal_unit}, not a field unit")
        return None, to_gauss(quantity, dtype=np.float64)
    if isinstance(how, PolynomialCalibration):
        validate_field_unit(how.output_unit, what="calibration output")
        return how, to_gauss(how(quantity), dtype=np.float64)
    calibration = calibrate_polynomial(quantity, to_gauss(target, dtype=np.float64) * FIELD_UNIT,
                                       degree=how, mask=mask, binning=binning, sigma_clip=sigma_clip)
    field = to_gauss(calibration(quantity), dtype=np.float64)
    return calibration.to(unit), field
