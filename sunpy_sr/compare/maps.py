"""`compare_maps`: a super-resolved magnetogram against a higher-resolution reference, one phase per call."""
from contextlib import nullcontext

import astropy.units as u
import numpy as np
import sunpy.map

from sunpy_sr.compare.align import align_reference, apply_pointing_shift
from sunpy_sr.compare.calibrate import calibrate_reference, parse_calibration
from sunpy_sr.compare.reference import default_label, prepare_reference, result_header, time_offset
from sunpy_sr.compare.reference import signal_unit as reference_unit
from sunpy_sr.compare.regrid import (
    ALGORITHMS,
    PixelMap,
    common_mask,
    crop_input,
    crop_maps,
    footprint_box,
    resample,
    same_grid,
    trim,
)
from sunpy_sr.compare.results import ComparisonResult, MetricSet, reference_maps
from sunpy_sr.core.units import to_gauss, validate_field_unit
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError

__all__ = ["compare_maps"]


def _quantity(value, unit, name):
    """``value`` as a Quantity in ``unit``; a bare number or another physical type is refused."""
    if not isinstance(value, u.Quantity) or not value.unit.is_equivalent(unit):
        raise SunpySRTypeError(f"{name} must be a Quantity convertible to {unit} (e.g. 30 * u.{unit}), "
                               f"got {value!r}")
    return value.to(unit)


def _check_inputs(sr_map, reference_map, baseline_map, mask, calibrate_against, reproject_algorithm):
    """Validate the maps and options of `compare_maps`; return the SR map's field unit and the mask."""
    if not isinstance(sr_map, sunpy.map.GenericMap) or not isinstance(reference_map, sunpy.map.GenericMap):
        raise SunpySRTypeError("sr_map and reference_map must be sunpy Maps")
    for name, smap in (("sr_map", sr_map), ("reference_map", reference_map)):
        if smap.data.ndim != 2:
            raise SunpySRError(f"{name} must be 2D, got shape {smap.data.shape}")
    unit = validate_field_unit(sr_map.unit, what="SR map")
    if baseline_map is not None:
        if not isinstance(baseline_map, sunpy.map.GenericMap) or not same_grid(sr_map, baseline_map):
            raise SunpySRError("baseline_map must be a Map on the same grid as sr_map")
        validate_field_unit(baseline_map.unit, what="baseline map")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != sr_map.data.shape:
            raise SunpySRError(f"mask shape {mask.shape} differs from the SR map's {sr_map.data.shape}")
    if calibrate_against not in ("sr", "baseline"):
        raise SunpySRError(f"calibrate_against must be 'sr' or 'baseline', got {calibrate_against!r}")
    if calibrate_against == "baseline" and baseline_map is None:
        raise SunpySRError("calibrate_against='baseline' needs a baseline_map")
    if reproject_algorithm not in ALGORITHMS:
        raise SunpySRError(f"reproject_algorithm must be 'interpolation', 'adaptive' or 'exact', got "
                           f"{reproject_algorithm!r}")
    return unit, mask


def compare_maps(sr_map, reference_map, *, calibrate="poly3", calibrate_against="sr",
                 calibration_binning=4, align=True, shift=None, max_shift=30 * u.arcsec,
                 reproject_algorithm="interpolation", reproject_kwargs=None, mask=None,
                 baseline_map=None, input_map=None, crop=True, differential_rotation=True,
                 max_time_difference=1 * u.h, edge=2, sigma_clip=3.0, sr_label="SR",
                 baseline_label="bicubic", reference_label=None):
    """
    Compare a super-resolved magnetogram with a higher-resolution reference.

    The reference (e.g. a Hinode/SOT NFI magnetogram) is reprojected onto the
    grid of the SR map, optionally aligned to it by cross-correlation,
    calibrated to the SR map's unit by a polynomial fit (Moon et al. 2007), and
    compared pixel by pixel (CC, PSNR, RMSE, SSIM), as in Section 2.2 and
    Figure 4 of Rahman et al. (2020). One function per phase:

    1. the reference header (Hinode ``Solar-X``/``Solar-Y`` axes, missing
       observer, solar radius consistent with the SR map;
       `~sunpy_sr.compare.prepare_reference`), its unit and time offset;
    2. a known pointing correction (`~sunpy.map.GenericMap.shift_reference_coord`);
    3. the SR map (and baseline) cut to the reference footprint
       (`~sunpy.map.GenericMap.submap`);
    4. a sub-pixel cross-correlation shift (`~sunpy_sr.compare.align_shift`)
       and the reference resampled onto the SR grid, rotated with the solar
       surface (`~sunpy.coordinates.propagate_with_solar_surface`) if the maps
       were taken at different times;
    5. the pixels compared (common footprint, eroded by ``edge``);
    6. the polynomial calibration (`~sunpy_sr.compare.calibrate_polynomial`);
    7. the metrics (`~sunpy_sr.compare.MetricSet`);
    8. the reference as maps on the SR grid, with their provenance.

    Every field is converted to gauss on entry (`sunpy_sr.core.units`): a map
    in T, kG or Mx/cm^2 gives the same metrics as the same map in G.

    Parameters
    ----------
    sr_map : `~sunpy.map.GenericMap`
        The super-resolved magnetogram, in a field unit (G, kG, T, mT or Mx/cm^2).
    reference_map : `~sunpy.map.GenericMap`
        The reference, in any unit: level-0 NFI V/I has no ``BUNIT`` and is
        taken to be in DN. Hinode SOT headers are handled (see
        `~sunpy_sr.compare.prepare_reference`): ``Solar-X``/``Solar-Y`` axes,
        roll (``CROTA``), missing observer (Earth at ``DATE_OBS``, with a
        `~sunpy_sr.exceptions.SunpySRUserWarning`), solar radius made
        consistent with the SR map.
    calibrate : {"poly3", "poly2", "poly1"}, int, `~sunpy_sr.compare.PolynomialCalibration` or None
        Degree of the calibration polynomial (third order in the paper), a known
        calibration to apply (its output in any field unit), or None if the
        reference is already in a field unit.
    calibrate_against : {"sr", "baseline"}
        Which map the polynomial is fitted to.
    calibration_binning : int
        Block size (SR pixels) over which both maps are averaged before the fit
        (default 4, the SR factor: the fit is made at the resolution of the
        original magnetogram). See `~sunpy_sr.compare.calibrate_polynomial`.
    align : bool
        Refine the reference pointing by a sub-pixel cross-correlation with the
        SR map before the calibration (Hinode's pointing is known to a few arcsec).
    shift : `~astropy.units.Quantity`, optional
        A known pointing correction, two angles (e.g. arcsec) along the
        reference's world axes, applied before the cross-correlation.
    max_shift : `~astropy.units.Quantity`
        An angle (default 30 arcsec): a total pointing correction larger than
        this is not applied (warning). It also pads the crop of the SR map.
    reproject_algorithm : {"interpolation", "adaptive", "exact"}
        How the reference is resampled onto the SR grid. "interpolation" is
        `reproject.reproject_interp`'s method (spline interpolation at the
        transformed pixel positions, NaN outside the reference), with the
        coordinate transformation computed once for all alignment steps; its
        default order is "bicubic" (the paper's cubic interpolation).
        "adaptive" (anti-aliased; for a reference with pixels much smaller than
        the SR map's) and "exact" (flux-conserving) go through
        `sunpy.map.GenericMap.reproject_to` with the aligned reference; the
        alignment itself uses bilinear interpolation.
    reproject_kwargs : dict, optional
        For "interpolation", ``{"order": "nearest-neighbor" | "bilinear" |
        "biquadratic" | "bicubic"}``; for the other algorithms, keyword
        arguments of the `reproject` function.
    mask : `numpy.ndarray` of bool, optional
        Pixels of ``sr_map`` (its full shape) to compare (True).
    baseline_map : `~sunpy.map.GenericMap`, optional
        A baseline on the same grid as ``sr_map`` (e.g. bicubic interpolation of
        the same input), in a field unit; its metrics are computed on the same pixels.
    input_map : `~sunpy.map.GenericMap`, optional
        The low-resolution input, for the first panel of
        `~sunpy_sr.compare.ComparisonResult.plot`.
    crop : bool
        Crop the SR and baseline maps to the footprint of the reference (the
        result's maps are then submaps of the inputs).
    differential_rotation : bool
        If the two maps were taken at different times, rotate the reference
        with the solar surface (`~sunpy.coordinates.propagate_with_solar_surface`).
    max_time_difference : `~astropy.units.Quantity`
        A time (default 1 h): above it a `~sunpy_sr.exceptions.SunpySRUserWarning`
        says that the comparison is qualitative (the field evolved).
    edge : int
        Pixels removed from the edge of the reference footprint (interpolation edge effects).
    sigma_clip : float or None
        Sigma clipping of the calibration fit, in standard deviations of its residual.
    sr_label, baseline_label, reference_label : str
        Labels of the maps in plots and summaries (the reference default is
        its observatory and instrument).

    Returns
    -------
    `~sunpy_sr.compare.ComparisonResult`
        The calibrated reference on the SR grid (in the SR map's unit), the
        cropped maps, the calibration (in the SR map's unit), the pointing
        correction (arcsec), the metrics (CC, PSNR in dB with a peak of 4000 G,
        RMSE in G, SSIM with a data range of 4000 G) and figure methods.

    Raises
    ------
    SunpySRError
        (a `ValueError`) The maps do not overlap, the SR map or the baseline is
        not in a field unit, the baseline is on another grid, an option has an
        unknown value, or the reference cannot be calibrated.
    SunpySRTypeError
        (a `TypeError`) A map is not a sunpy Map, or ``shift``, ``max_shift``
        or ``max_time_difference`` is not a Quantity of the right kind.

    Warns
    -----
    SunpySRUserWarning
        The reference has no observer; its solar radius differs from the SR
        map's; the maps are more than ``max_time_difference`` apart; the
        cross-correlation shift exceeds ``max_shift``.

    Notes
    -----
    The polynomial is fitted to the SR map itself by default (as in the paper,
    where HMI is the calibration standard); over ``calibration_binning`` blocks
    this is the same as fitting to the original magnetogram for any SR method
    that preserves the block means, so the calibration does not favour the SR
    map over the baseline.

    References
    ----------
    * Rahman, S., Moon, Y.-J., Park, E., et al. 2020, ApJL 897, L32, Section 2.2,
      Figures 4 and A1, doi:10.3847/2041-8213/ab9d79.
    * Moon, Y.-J., Kim, Y.-H., Park, Y.-D., et al. 2007, PASJ 59, S625
      (pixel-to-pixel cross-comparison of Hinode/SOT and SOHO/MDI magnetograms).
    * Tsuneta, S., Ichimoto, K., Katsukawa, Y., et al. 2008, Solar Physics 249, 167
      (the Solar Optical Telescope of Hinode).

    Examples
    --------
    The shipped HMI cutout (`sunpy_sr.data.test`) as the reference, with a
    pointing error of (+1.0, -0.5) arcsec in its header, against the
    super-resolved version of its 4x degraded copy; no calibration is needed
    (both maps are in gauss):

    >>> import astropy.units as u
    >>> import sunpy_sr
    >>> from sunpy_sr.compare import compare_maps
    >>> from sunpy_sr.data.test import hmi_ar_20111217
    >>> hmi = hmi_ar_20111217()
    >>> lr = sunpy_sr.degrade(hmi)
    >>> sr = sunpy_sr.superresolve(lr, method="linear")
    >>> bicubic = sunpy_sr.superresolve(lr, method="bicubic")
    >>> mispointed = hmi.shift_reference_coord(-1.0 * u.arcsec, 0.5 * u.arcsec)
    >>> result = compare_maps(sr, mispointed, baseline_map=bicubic, input_map=lr,
    ...                       calibrate=None, sr_label="linear")
    >>> u.allclose(result.shift, [1.0, -0.5] * u.arcsec, atol=0.1 * u.arcsec)
    True
    >>> result.metrics.psnr > result.baseline_metrics.psnr  # dB, peak 4000 G
    True
    >>> print(result.summary().splitlines()[-1])  # the pointing error, recovered
    shift: (0.983 arcsec, -0.504 arcsec) = (-1.95 pix, 1.00 pix) on the SR grid
    >>> fig = result.plot()  # Figures 4 and A1 of Rahman et al. (2020)
    """
    from sunpy.coordinates import propagate_with_solar_surface
    unit, mask = _check_inputs(sr_map, reference_map, baseline_map, mask, calibrate_against,
                               reproject_algorithm)
    how = parse_calibration(calibrate)
    max_shift = _quantity(max_shift, u.arcsec, "max_shift")
    max_time_difference = _quantity(max_time_difference, u.h, "max_time_difference")
    shift = _quantity(shift, u.arcsec, "shift") if shift is not None else None
    kwargs = dict(reproject_kwargs or {})
    if reproject_algorithm == "interpolation":
        kwargs.setdefault("order", "bicubic")
    notes = []

    # 1. the reference header, its unit and time
    reference = prepare_reference(reference_map, sr_map, notes=notes)
    signal_unit = reference_unit(reference, notes)
    reference_label = reference_label or default_label(reference)
    dt, rotate = time_offset(reference, sr_map, differential_rotation=differential_rotation,
                             max_time_difference=max_time_difference, notes=notes)
    # 2. a known pointing correction
    reference, world_shift = apply_pointing_shift(reference, shift, notes)
    pixel_shift, offset = u.Quantity([0.0, 0.0], u.pix), np.zeros(2)
    with propagate_with_solar_surface() if rotate else nullcontext():
        # 3. the SR map (and baseline, mask) cut to the reference footprint
        box = footprint_box(reference, sr_map, max_shift=max_shift if align else 0 * u.arcsec)
        if box is None:
            raise SunpySRError("the reference map does not overlap the SR map")
        sr_c, base_c, user_mask = crop_maps(box if crop else None, sr_map, baseline_map, mask)
        # 4. alignment by cross-correlation, and the reference on the SR grid
        pixmap = PixelMap(reference, sr_c.wcs, sr_c.data.shape)
        if align:
            offset, pixel_shift, world_shift = align_reference(
                reference, pixmap, sr_c.data, mask=user_mask, max_shift=max_shift, world_shift=world_shift)
        ref_r = resample(reference, pixmap, sr_c, offset=offset, algorithm=reproject_algorithm, kwargs=kwargs)
    # 5. the pixels compared
    common = common_mask(ref_r, sr_c, base_c, user_mask, edge=edge)
    if common.sum() < 100:
        raise SunpySRError(f"only {common.sum()} pixels are common to the SR map and the reference")
    if crop:  # the alignment moved the reference: trim to the final common footprint
        sr_c, base_c, ref_r, common = trim(common, sr_c, base_c, ref_r)
    # 6. calibration, in gauss
    calibration, ref_g = calibrate_reference(
        ref_r, signal_unit, sr_c if calibrate_against == "sr" else base_c, how, mask=common,
        binning=calibration_binning, sigma_clip=sigma_clip, unit=unit)
    # 7. metrics, in gauss
    metrics = MetricSet.from_fields(ref_g, to_gauss(sr_c, dtype=np.float64), common)
    base_metrics = (MetricSet.from_fields(ref_g, to_gauss(base_c, dtype=np.float64), common)
                    if base_c is not None else None)
    # 8. the reference as maps on the SR grid, with their provenance
    meta = result_header(sr_c, reference_map, reference, label=reference_label, algorithm=reproject_algorithm,
                         dt=dt, rotate=rotate, shift=world_shift)
    ref_map, raw_map = reference_maps(meta, ref_g, ref_r, signal_unit, unit, calibration)
    return ComparisonResult(
        reference=ref_map, reference_raw=raw_map, sr_map=sr_c, baseline_map=base_c,
        input_map=crop_input(input_map, sr_c) if input_map is not None else None,
        calibration=calibration, shift=world_shift, shift_pixels=pixel_shift, metrics=metrics,
        baseline_metrics=base_metrics, mask=common, time_difference=dt, differentially_rotated=rotate,
        notes=notes, sr_label=sr_label, baseline_label=baseline_label, reference_label=reference_label)
