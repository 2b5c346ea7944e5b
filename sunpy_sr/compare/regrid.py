"""
The reference on the SR grid: footprint, cropping (`sunpy.map.GenericMap.submap`) and resampling.

The default resampling is `reproject.reproject_interp`'s method (spline
interpolation at the transformed pixel positions, NaN outside the reference),
with the transformation computed once (`PixelMap`) so that every pointing
correction of the alignment costs one interpolation; the anti-aliased and the
flux-conserving algorithms go through `sunpy.map.GenericMap.reproject_to`.
"""
import warnings

import astropy.units as u
import numpy as np
import scipy.ndimage

from sunpy_sr.compare.align import with_crpix_offset

__all__ = []

#: Spline orders of `reproject.reproject_interp`'s names.
ORDERS = {"nearest-neighbor": 0, "bilinear": 1, "biquadratic": 2, "bicubic": 3}
ALGORITHMS = ("interpolation", "adaptive", "exact")


def footprint_box(reference, sr_map, pad=4, max_shift=0 * u.arcsec):
    """
    Pixel bounding box (x0, x1, y0, y1) of the reference on the SR grid, or None.

    Padded by ``pad`` pixels plus ``max_shift`` (so that an alignment shift stays
    inside). The edges of the reference are sampled densely (they are curves on a
    grid of another projection, e.g. helioprojective on a CEA map), and its
    interior too, so that a reference larger than the SR map still counts.
    """
    ny, nx = reference.data.shape
    n = 256
    ex = np.linspace(-0.5, nx - 0.5, n)
    ey = np.linspace(-0.5, ny - 0.5, n)
    xs = np.concatenate([ex, np.full(n, nx - 0.5), ex, np.full(n, -0.5)])
    ys = np.concatenate([np.full(n, -0.5), ey, np.full(n, ny - 0.5), ey])
    # Interior points, and the centre and its neighbour for the relative pixel scale.
    gx, gy = np.meshgrid(np.linspace(0, nx - 1, 16), np.linspace(0, ny - 1, 16))
    cx, cy = (nx - 1) / 2, (ny - 1) / 2
    xs = np.concatenate([xs, gx.ravel(), [cx, cx + 1]])
    ys = np.concatenate([ys, gy.ravel(), [cy, cy]])
    with warnings.catch_warnings():
        # Off-disk points of the reference have no position on the solar surface (NaN).
        warnings.filterwarnings("ignore", message=".*all NaNs.*")
        px, py = sr_map.wcs.world_to_pixel(reference.wcs.pixel_to_world(xs, ys))
    px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    ok = np.isfinite(px) & np.isfinite(py)
    if not ok.any():
        return None
    sr_per_ref = np.hypot(px[-1] - px[-2], py[-1] - py[-2])
    if np.isfinite(sr_per_ref) and max_shift > 0:
        ref_scale = abs(reference.scale[0].to_value(reference.spatial_units[0] / u.pix)) \
            * reference.spatial_units[0]
        pad += int(np.ceil((max_shift / ref_scale).to_value(u.one) * sr_per_ref))
    sny, snx = sr_map.data.shape
    x0 = int(max(np.floor(px[ok].min()) - pad, 0))
    x1 = int(min(np.ceil(px[ok].max()) + pad + 1, snx))
    y0 = int(max(np.floor(py[ok].min()) - pad, 0))
    y1 = int(min(np.ceil(py[ok].max()) + pad + 1, sny))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return x0, x1, y0, y1


def crop(smap, x0, x1, y0, y1):
    """Pixels ``[y0:y1, x0:x1]`` of ``smap`` (None stays None), by `~sunpy.map.GenericMap.submap`."""
    if smap is None:
        return None
    return smap.submap([x0, y0] * u.pix, top_right=[x1 - 1, y1 - 1] * u.pix)


def crop_maps(box, sr_map, baseline_map=None, mask=None):
    """The SR map, baseline and user mask cut to ``box`` (x0, x1, y0, y1); all of them if None."""
    if box is None:
        return sr_map, baseline_map, mask
    x0, x1, y0, y1 = box
    return (crop(sr_map, *box), crop(baseline_map, *box),
            mask[y0:y1, x0:x1] if mask is not None else None)


class PixelMap:
    """
    Where every pixel of the SR grid falls in the reference (reference pixel
    coordinates), computed once, so that pointing corrections (a change of the
    reference CRPIX is a translation in its pixel space) cost only an interpolation.
    """

    def __init__(self, reference, sr_wcs, shape, step=8):
        from astropy.wcs.utils import pixel_to_pixel
        self.shape = shape
        # The transformation is smooth: compute it on every ``step``-th pixel (and the
        # last row and column) and interpolate bilinearly in between; over 8 pixels
        # the curvature of the mapping amounts to well under 1e-3 pixel.
        gy = np.unique(np.append(np.arange(0, shape[0], step), shape[0] - 1)).astype(np.float64)
        gx = np.unique(np.append(np.arange(0, shape[1], step), shape[1] - 1)).astype(np.float64)
        xx, yy = np.meshgrid(gx, gy)
        xx, yy = xx.ravel(), yy.ravel()
        rx, ry = (np.array(a, dtype=np.float64) for a in
                  pixel_to_pixel(sr_wcs, reference.wcs, xx, yy))
        # as reproject does: drop pixels whose coordinates do not round-trip (e.g. far side)
        bx, by = pixel_to_pixel(reference.wcs, sr_wcs, rx, ry)
        bad = ~((np.abs(np.asarray(bx) - xx) <= 1) & (np.abs(np.asarray(by) - yy) <= 1))
        rx[bad] = np.nan
        ry[bad] = np.nan
        rx, ry = rx.reshape(gy.size, gx.size), ry.reshape(gy.size, gx.size)
        # fractional index of every SR pixel in the coarse grid
        iy = np.interp(np.arange(shape[0]), gy, np.arange(gy.size))
        ix = np.interp(np.arange(shape[1]), gx, np.arange(gx.size))
        cy, cx = np.meshgrid(iy, ix, indexing="ij")
        coords = np.array([cy, cx])
        self.rx = scipy.ndimage.map_coordinates(rx, coords, order=1, mode="nearest")
        self.ry = scipy.ndimage.map_coordinates(ry, coords, order=1, mode="nearest")

    def at(self, x, y):
        """Reference pixel of SR pixel (x, y) (bilinear in the coordinate maps)."""
        c = np.array([[y], [x]], dtype=np.float64)
        return (float(scipy.ndimage.map_coordinates(self.rx, c, order=1, mode="nearest")[0]),
                float(scipy.ndimage.map_coordinates(self.ry, c, order=1, mode="nearest")[0]))

    def sample(self, data, offset=(0.0, 0.0), order=3):
        """
        ``data`` (the reference array) interpolated at every SR pixel, for a
        reference whose CRPIX was decreased by ``offset`` (dx, dy); pixels that
        fall outside the reference (beyond the outer half pixel) are NaN, as in
        `reproject.reproject_interp`.
        """
        ny, nx = data.shape
        x = self.rx - offset[0]
        y = self.ry - offset[1]
        inside = (x > -0.5) & (x < nx - 0.5) & (y > -0.5) & (y < ny - 0.5)
        inside &= np.isfinite(x) & np.isfinite(y)
        coords = np.array([np.clip(np.where(inside, y, 0), 0, ny - 1),
                           np.clip(np.where(inside, x, 0), 0, nx - 1)])
        out = scipy.ndimage.map_coordinates(np.asarray(data, dtype=np.float64), coords, order=order,
                                            mode="nearest")
        out[~inside] = np.nan
        return out


def interpolation_order(algorithm, kwargs):
    """Spline order of the ``"interpolation"`` algorithm (``kwargs["order"]``: a name or an int)."""
    if algorithm != "interpolation":
        return 1
    order = kwargs.get("order", "bilinear")
    return ORDERS.get(order, order)


def resample(reference, pixmap, sr_map, *, offset=(0.0, 0.0), algorithm="interpolation", kwargs=None):
    """
    The reference (its CRPIX decreased by ``offset``) on the grid of ``sr_map``; NaN outside it.

    ``"interpolation"`` samples with ``pixmap``; ``"adaptive"`` and ``"exact"``
    reproject with `sunpy.map.GenericMap.reproject_to` and keep the pixels fully
    covered by the reference.
    """
    kwargs = dict(kwargs or {})
    if algorithm == "interpolation":
        return pixmap.sample(reference.data, offset, order=interpolation_order(algorithm, kwargs))
    moved = with_crpix_offset(reference, offset) if np.any(offset) else reference
    out, footprint = moved.reproject_to(sr_map.wcs, algorithm=algorithm, return_footprint=True, **kwargs)
    return np.where(footprint > 0.999, out.data, np.nan)


def common_mask(ref_r, sr_map, baseline_map=None, mask=None, *, edge=2):
    """
    Pixels compared: the reference footprint eroded by ``edge`` pixels, finite SR
    and baseline pixels, and the user's mask.
    """
    ok = np.isfinite(ref_r)
    if edge:
        ok = scipy.ndimage.binary_erosion(ok, iterations=int(edge), border_value=0)
    ok &= np.isfinite(np.asarray(sr_map.data, dtype=float))
    if baseline_map is not None:
        ok &= np.isfinite(np.asarray(baseline_map.data, dtype=float))
    if mask is not None:
        ok &= mask
    return ok


def trim(common, sr_map, baseline_map, ref_r):
    """Cut the SR map, baseline, resampled reference and mask to the bounding box of ``common``."""
    rows = np.nonzero(common.any(axis=1))[0]
    cols = np.nonzero(common.any(axis=0))[0]
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if (y0, y1, x0, x1) == (0, common.shape[0], 0, common.shape[1]):
        return sr_map, baseline_map, ref_r, common
    box = (int(x0), int(x1), int(y0), int(y1))
    return (crop(sr_map, *box), crop(baseline_map, *box), ref_r[y0:y1, x0:x1], common[y0:y1, x0:x1])


def crop_input(input_map, sr_map):
    """
    The input map cut to the field of view of the (cropped) SR map, for display; None if too small.

    `~sunpy.map.GenericMap.submap` with the SR map's outer pixel corners, rotated
    with the solar surface if the maps were taken at different times.
    """
    from sunpy.coordinates import propagate_with_solar_surface
    ny, nx = sr_map.data.shape
    corners = sr_map.pixel_to_world([-0.5, nx - 0.5] * u.pix, [-0.5, ny - 0.5] * u.pix)
    try:
        with propagate_with_solar_surface():
            cut = input_map.submap(corners)
    except ValueError:  # a corner off the disk of the input: nothing sensible to show
        return None
    return cut if min(cut.data.shape) >= 2 else None


def same_grid(a, b):
    """True if maps ``a`` and ``b`` have the same shape and WCS."""
    if a.data.shape != b.data.shape:
        return False
    pa = a.wcs.wcs
    pb = b.wcs.wcs
    return (np.allclose(pa.crpix, pb.crpix, atol=1e-6) and np.allclose(pa.cdelt, pb.cdelt, rtol=1e-9)
            and np.allclose(pa.crval, pb.crval, rtol=0, atol=1e-9 * np.abs(pa.cdelt).max())
            and np.allclose(pa.get_pc(), pb.get_pc(), atol=1e-9)
            and list(pa.ctype) == list(pb.ctype))
