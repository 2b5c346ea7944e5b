"""
Pointing of the reference: a known correction, and the sub-pixel cross-correlation shift.

A pointing correction is a translation of the reference in its own pixel space
(a change of ``CRPIX``), so the coordinate transformation between the reference
and the SR grid is computed once (`~sunpy_sr.compare.regrid.PixelMap`) and every
alignment step costs one interpolation. The correction is reported along the
reference's world axes (e.g. Solar-X and Solar-Y, arcsec).
"""
import copy

import astropy.units as u
import numpy as np
import scipy.ndimage
import sunpy.map

from sunpy_sr.exceptions import SunpySRError, warn_user

__all__ = ["align_shift"]


def _values(image):
    """The values of a Map, Quantity or array as float64 (units do not matter for a correlation)."""
    if isinstance(image, sunpy.map.GenericMap):
        image = image.data
    return np.asarray(getattr(image, "value", image), dtype=np.float64)


def align_shift(target, moving, *, mask=None, upsample_factor=20, smooth=1.0, taper=16,
                max_iter=4):
    """
    Sub-pixel shift that registers ``moving`` onto ``target`` (cross-correlation).

    Both images are standardised over the common valid area, tapered to zero
    towards its edge, smoothed, and cross-correlated (the upsampled DFT of
    Guizar-Sicairos et al. 2008, `skimage.registration.phase_cross_correlation`
    without phase normalisation, which is robust to the different resolutions
    and noise of the two images). The taper biases a single estimate towards
    zero shift, so ``moving`` is shifted by the estimate and the residual is
    measured again, until it is below 0.01 pixel. The sign of the correlation is
    ignored, so a reference with the opposite polarity convention is aligned as well.

    Parameters
    ----------
    target, moving : `~sunpy.map.GenericMap`, `~astropy.units.Quantity` or array
        Two images on the same pixel grid (e.g. the SR map and the reprojected
        reference); NaN marks missing pixels. Their units do not matter.
    mask : `numpy.ndarray` of bool, optional
        Pixels to use.
    upsample_factor : int
        Precision of each estimate: ``1 / upsample_factor`` pixel.
    smooth : float
        Gaussian sigma (pixels) applied to both images before correlating.
    taper : float
        Width (pixels) of the linear taper at the edge of the valid area.
    max_iter : int
        Maximum number of estimates.

    Returns
    -------
    `~astropy.units.Quantity`
        ``(dx, dy)`` in pixels: ``moving`` shifted by this (``moving(x - dx,
        y - dy)``) matches ``target``.

    References
    ----------
    Guizar-Sicairos, M., Thurman, S. T., & Fienup, J. R. 2008, Optics Letters 33, 156.

    Examples
    --------
    >>> import astropy.units as u
    >>> from scipy.ndimage import shift
    >>> from sunpy_sr.compare import align_shift
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> target = hmi_active_region().data[:128, :128]
    >>> moving = shift(target, (1.5, -2.0), mode="nearest")     # moved by dy = +1.5, dx = -2 px
    >>> dx, dy = align_shift(target, moving).to_value(u.pix)
    >>> print(f"dx = {dx:.2f} px, dy = {dy:.2f} px")            # the shift that moves it back
    dx = 2.00 px, dy = -1.50 px
    """
    from skimage.registration import phase_cross_correlation
    t = _values(target)
    m = _values(moving)
    if t.shape != m.shape:
        raise ValueError(f"shapes differ: target {t.shape}, moving {m.shape}")
    valid_t = np.isfinite(t)
    valid_m = np.isfinite(m)
    if mask is not None:
        valid_t &= np.asarray(mask, dtype=bool)
    both = valid_t & valid_m
    if both.sum() < 64:
        raise SunpySRError("too few common valid pixels to align the maps")
    rows, cols = np.nonzero(both.any(axis=1))[0], np.nonzero(both.any(axis=0))[0]
    sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    t, m, valid_t, valid_m, both = t[sl], m[sl], valid_t[sl], valid_m[sl], both[sl]
    standard = []
    for a, v in ((t, both), (m, both)):
        vals = a[v]
        std = vals.std()
        if std == 0:
            raise SunpySRError("an image is constant over the common area; cannot align")
        standard.append(np.where(np.isfinite(a), (a - vals.mean()) / std, 0.0))
    t_std, m_std = standard
    total = np.zeros(2)  # (dy, dx)
    for _ in range(max(int(max_iter), 1)):
        if total.any():
            m_k = scipy.ndimage.shift(m_std, total, order=1, mode="constant", cval=0.0)
            v_k = scipy.ndimage.shift(valid_m.astype(float), total, order=1, mode="constant",
                                      cval=0.0) > 0.999
        else:
            m_k, v_k = m_std, valid_m
        v = valid_t & v_k
        # distance to the nearest invalid pixel or edge of the box (FFTs are periodic)
        dist = scipy.ndimage.distance_transform_edt(np.pad(v, 1))[1:-1, 1:-1]
        weight = np.clip(dist / max(taper, 1), 0, 1)
        images = [np.where(v, a, 0.0) * weight for a in (t_std, m_k)]
        if smooth:
            images = [scipy.ndimage.gaussian_filter(b, smooth) for b in images]
        step, _, _ = phase_cross_correlation(images[0], images[1], upsample_factor=upsample_factor,
                                             normalization=None)
        total = total + step
        if np.hypot(*step) < 0.01:
            break
    return u.Quantity([total[1], total[0]], u.pix)


def apply_pointing_shift(reference, shift, notes):
    """
    The reference with a known pointing correction added to its reference coordinate.

    Parameters
    ----------
    reference : `~sunpy.map.GenericMap`
    shift : `~astropy.units.Quantity` or None
        Correction along the reference's two world axes (angles).
    notes : list
        Appended with a sentence if a correction is applied.

    Returns
    -------
    reference : `~sunpy.map.GenericMap`
        `~sunpy.map.GenericMap.shift_reference_coord` of the input (``CRVAL`` moved).
    shift : `~astropy.units.Quantity`
        The correction applied (arcsec; zero if ``shift`` is None).
    """
    if shift is None:
        return reference, u.Quantity([0, 0], u.arcsec)
    shift = shift.to(u.arcsec)
    notes.append(f"pointing of the reference corrected by the given shift {shift}")
    return reference.shift_reference_coord(shift[0], shift[1]), shift


def with_crpix_offset(reference, offset):
    """The reference with CRPIX decreased by ``offset`` (dx, dy) reference pixels."""
    meta = copy.deepcopy(reference.meta)
    meta["crpix1"] = float(meta["crpix1"]) - offset[0]
    meta["crpix2"] = float(meta["crpix2"]) - offset[1]
    return reference._new_instance(reference.data, meta, plot_settings=reference.plot_settings)


def world_offset(reference, pixel, offset):
    """World shift (arcsec, the reference's own axes) of moving its CRPIX by -offset, at ``pixel``."""
    x, y = pixel
    w = reference.wcs.pixel_to_world_values([x, x + offset[0]], [y, y + offset[1]])
    units = [u.Unit(cu) for cu in reference.wcs.wcs.cunit]
    diff = []
    for k in range(2):
        d = (w[k][1] - w[k][0]) * units[k]
        if d.unit.is_equivalent(u.deg):  # longitudes wrap at 360 deg (HPLN near 0 is 359.99...)
            d = (d + 180 * u.deg) % (360 * u.deg) - 180 * u.deg
        diff.append(d.to(u.arcsec))
    return u.Quantity(diff)


def align_reference(reference, pixmap, sr_data, *, mask=None, max_shift, world_shift, max_steps=4):
    """
    Refine the reference pointing by cross-correlation with the SR map (the alignment phase).

    The reference is resampled bilinearly onto the SR grid, `align_shift` measures
    the residual shift, and the shift is converted to a ``CRPIX`` offset of the
    reference, until the shift is below 0.05 SR pixel (at most ``max_steps`` times).

    Parameters
    ----------
    reference : `~sunpy.map.GenericMap`
        The prepared reference (with any known correction already applied).
    pixmap : `~sunpy_sr.compare.regrid.PixelMap`
        Where the SR pixels fall in ``reference``.
    sr_data : `numpy.ndarray`
        The (cropped) SR map's data.
    mask : `numpy.ndarray` of bool, optional
        Pixels of the SR grid to use.
    max_shift : `~astropy.units.Quantity`
        A total correction larger than this is not applied (warning).
    world_shift : `~astropy.units.Quantity`
        The correction already applied (arcsec), counted against ``max_shift``.

    Returns
    -------
    offset : `numpy.ndarray`
        ``(dx, dy)`` reference pixels subtracted from its ``CRPIX``.
    pixel_shift : `~astropy.units.Quantity`
        The same as a shift ``(x, y)`` of the reprojected reference on the SR grid.
    world_shift : `~astropy.units.Quantity`
        The total correction (arcsec, the reference's world axes).
    """
    offset = np.zeros(2)       # reference pixels (dx, dy) subtracted from CRPIX
    pixel_shift = np.zeros(2)  # SR pixels (x, y)
    sr_data = np.asarray(sr_data, dtype=np.float64)
    ref_r = pixmap.sample(reference.data, offset, order=1)
    for _ in range(max_steps):
        valid = np.isfinite(ref_r) & np.isfinite(sr_data)
        if mask is not None:
            valid &= mask
        s = align_shift(sr_data, ref_r, mask=valid).to_value(u.pix)
        if np.hypot(*s) < 0.05:
            break
        yy, xx = np.nonzero(valid)
        qx, qy = float(xx.mean()), float(yy.mean())
        new_offset = offset + (np.array(pixmap.at(qx, qy)) - np.array(pixmap.at(qx - s[0], qy - s[1])))
        total = world_shift + world_offset(reference, pixmap.at(qx, qy), new_offset)
        if np.hypot(*total) > max_shift:
            warn_user(f"the cross-correlation shift {total.round(2)} exceeds max_shift={max_shift}; "
                          f"not applied")
            break
        offset = new_offset
        pixel_shift += s
        ref_r = pixmap.sample(reference.data, offset, order=1)
    yy, xx = np.nonzero(np.isfinite(ref_r))
    world_shift = world_shift + world_offset(reference, pixmap.at(float(xx.mean()), float(yy.mean())), offset)
    return offset, u.Quantity(pixel_shift, u.pix), world_shift
