"""
Tests of the forward model sunpy_sr.degrade: the kernel by hand, the two recipes against
independent implementations (torch, scipy, sunpy's superpixel), NaN propagation, cropping,
and the Map/array contract.
"""
import copy
import math

import astropy.units as u
import numpy as np
import pytest
import scipy.ndimage
import sunpy.map
import torch
import torch.nn.functional as F

from sunpy_sr.core.degradation import degrade, degrade_array, gaussian_kernel
from sunpy_sr.core.operators import degradation_methods
from sunpy_sr.exceptions import SunpySRUserWarning


@pytest.fixture(scope="module")
def real_hr():
    """A 128x128 real HMI field (float32, native order) from the sample cutout."""
    from sunpy_sr.data import sample
    return np.array(sample.hmi_active_region().data[64:192, 32:160], dtype=np.float32)


# ------------------------------------------------------------------ kernel


def test_gaussian_kernel_by_hand():
    k = gaussian_kernel()
    assert k.shape == (5, 5)
    assert k.sum() == pytest.approx(1.0, abs=1e-15)
    # 1D weights exp(-x^2 / (2 sigma^2)), x = -2..2, sigma = 2: (e^-1/2, e^-1/8, 1, e^-1/8, e^-1/2)
    s = 1 + 2 * math.exp(-0.125) + 2 * math.exp(-0.5)
    assert s == pytest.approx(3.978055, abs=1e-6)
    assert k[2, 2] == pytest.approx(1 / s**2, rel=1e-12)
    assert k[2, 2] == pytest.approx(0.0631913, rel=1e-5)
    assert k[0, 0] == pytest.approx(math.exp(-1.0) / s**2, rel=1e-12)
    assert k[0, 2] == pytest.approx(math.exp(-0.5) / s**2, rel=1e-12)
    assert k[1, 3] == pytest.approx(math.exp(-0.25) / s**2, rel=1e-12)
    np.testing.assert_array_equal(k, k.T)
    np.testing.assert_array_equal(k, k[::-1, ::-1])
    assert np.unravel_index(np.argmax(k), k.shape) == (2, 2)


def test_gaussian_kernel_options():
    k = gaussian_kernel(sigma=1.0, kernel_size=3)
    assert k.shape == (3, 3)
    assert k.sum() == pytest.approx(1.0)
    assert k[1, 1] == pytest.approx(1 / (1 + 2 * math.exp(-0.5)) ** 2)
    assert gaussian_kernel(kernel_size=1).tolist() == [[1.0]]
    with pytest.raises(ValueError, match="odd"):
        gaussian_kernel(kernel_size=4)
    with pytest.raises(ValueError, match="odd"):
        gaussian_kernel(kernel_size=0)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(sigma=0)


# ------------------------------------------------------------------ the recipes vs independent code


def _torch_reference(x, sigma=2.0, kernel_size=5, factor=4):
    """Normalised (zero-padded, edge-renormalised) Gaussian, then torch bilinear down-sampling."""
    k = torch.from_numpy(gaussian_kernel(sigma, kernel_size))[None, None]
    t = torch.from_numpy(x.astype(np.float64))[None, None]
    p = kernel_size // 2
    smooth = F.conv2d(t, k, padding=p) / F.conv2d(torch.ones_like(t), k, padding=p)
    out = F.interpolate(smooth, scale_factor=1 / factor, mode="bilinear", align_corners=False,
                        antialias=False)
    return out[0, 0].numpy()


def test_gaussian_bilinear_equals_torch_conv_and_bilinear(real_hr):
    lr = degrade_array(real_hr)
    assert lr.shape == (32, 32) and lr.dtype == np.float32
    np.testing.assert_allclose(lr, _torch_reference(real_hr), rtol=1e-5, atol=1e-3)


def test_gaussian_bilinear_interior_equals_scipy_gaussian_and_central_2x2(real_hr):
    # scipy's 1D-normalised Gaussian with truncate=1 (radius 2) is the same 5x5 kernel
    smooth = scipy.ndimage.gaussian_filter(real_hr.astype(np.float64), sigma=2, truncate=1.0,
                                           mode="constant")
    ref = smooth.reshape(32, 4, 32, 4)[:, 1:3, :, 1:3].mean(axis=(1, 3))
    lr = degrade_array(real_hr)
    # interior LR pixels only: their 2x2 centres are >= 2 HR pixels from the border
    np.testing.assert_allclose(lr[1:-1, 1:-1], ref[1:-1, 1:-1], rtol=1e-5, atol=1e-3)
    # at the border the zero padding of scipy darkens; the package renormalises instead
    assert not np.allclose(lr[0, :], ref[0, :], rtol=1e-5, atol=1e-3)


def test_gaussian_bilinear_other_factors(real_hr):
    x = real_hr[:96, :96]
    np.testing.assert_allclose(degrade_array(x, factor=2), _torch_reference(x, factor=2),
                               rtol=1e-5, atol=1e-3)
    # odd factor: the centre HR pixel of each block of the smoothed image
    lr3 = degrade_array(x, factor=3)
    assert lr3.shape == (32, 32)
    smooth = scipy.ndimage.gaussian_filter(x.astype(np.float64), sigma=2, truncate=1.0, mode="constant")
    np.testing.assert_allclose(lr3[1:-1, 1:-1], smooth[1::3, 1::3][1:-1, 1:-1], rtol=1e-5, atol=1e-3)
    # a different sigma / kernel changes the result the expected way
    np.testing.assert_allclose(degrade_array(x, sigma=1.0, kernel_size=3),
                               _torch_reference(x, sigma=1.0, kernel_size=3), rtol=1e-5, atol=1e-3)


def test_bin_equals_block_mean_and_superpixel_mean():
    from sunpy_sr.data import sample
    m = sample.hmi_active_region()
    lr = degrade_array(np.asarray(m.data), method="bin")
    block = np.asarray(m.data, dtype=np.float64).reshape(64, 4, 64, 4).mean(axis=(1, 3))
    np.testing.assert_allclose(lr, block, rtol=1e-6, atol=1e-4)
    sp = m.superpixel((4, 4) * u.pix, func=np.mean)
    np.testing.assert_allclose(lr, sp.data, rtol=1e-5, atol=1e-3)
    # flux density is averaged, so the mean field is preserved
    assert lr.mean() == pytest.approx(block.mean(), rel=1e-6)
    assert degrade_array(np.arange(16.0).reshape(4, 4), method="bin").tolist() == [[7.5]]
    assert degrade_array(np.arange(16.0).reshape(4, 4), factor=2, method="bin").tolist() == \
        [[2.5, 4.5], [10.5, 12.5]]


@pytest.mark.parametrize("method", degradation_methods())
def test_constant_field_stays_constant(method):
    x = np.full((36, 44), -123.5, dtype=np.float32)
    lr = degrade_array(x, method=method)
    assert lr.shape == (9, 11)
    np.testing.assert_allclose(lr, -123.5, rtol=1e-6)  # edges too (renormalised Gaussian)


# ------------------------------------------------------------------ NaN


@pytest.mark.parametrize("method", degradation_methods())
def test_nan_iff_block_has_nan(method, real_hr):
    rng = np.random.default_rng(3)
    x = real_hr.copy()
    x[rng.random(x.shape) < 0.01] = np.nan
    x[:20, 100:] = np.nan  # an off-limb-like corner
    lr = degrade_array(x, method=method)
    block_nan = np.isnan(x).reshape(32, 4, 32, 4).any(axis=(1, 3))
    assert 0 < block_nan.sum() < block_nan.size
    np.testing.assert_array_equal(np.isnan(lr), block_nan)
    assert np.isfinite(lr[~block_nan]).all()


def test_gaussian_ignores_values_under_nan():
    """Normalised convolution: what lies under a NaN does not leak into valid LR pixels."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 50, (32, 32)).astype(np.float32)
    x[8:12, 8:12] = np.nan
    y = x.copy()
    y[8:12, 8:12] = 1e6
    lr_nan = degrade_array(x)
    lr_big = degrade_array(y)
    ok = ~np.isnan(lr_nan)
    assert np.isnan(lr_nan[2, 2]) and ok.sum() == 63
    assert np.abs(lr_big[1, 2] - lr_nan[1, 2]) > 1  # with the spike, the neighbour changes ...
    z = x.copy()
    z[8:12, 8:12] = 0.0
    # ... and the NaN result is the renormalised convolution over the valid pixels only
    k = torch.from_numpy(gaussian_kernel())[None, None]
    t = torch.from_numpy(np.nan_to_num(z).astype(np.float64))[None, None]
    w = torch.from_numpy((~np.isnan(x)).astype(np.float64))[None, None]
    smooth = F.conv2d(t, k, padding=2) / F.conv2d(w, k, padding=2)
    ref = F.interpolate(smooth, scale_factor=0.25, mode="bilinear", align_corners=False)[0, 0].numpy()
    np.testing.assert_allclose(lr_nan[ok], ref[ok], rtol=1e-5, atol=1e-3)


# ------------------------------------------------------------------ cropping, errors, options


def test_trailing_rows_cropped_with_warning(real_hr):
    x = real_hr[:34, :39]
    with pytest.warns(SunpySRUserWarning, match="cropping") as rec:
        lr = degrade(x)
    assert rec[0].filename == __file__  # points at the caller
    assert lr.shape == (8, 9)
    np.testing.assert_array_equal(lr, degrade(real_hr[:32, :36]))


def test_trailing_rows_cropped_map_header(sample_map):
    sub = sample_map._new_instance(np.asarray(sample_map.data)[:66, :70], copy.deepcopy(sample_map.meta))
    with pytest.warns(SunpySRUserWarning, match="cropping"):
        lr = degrade(sub, method="bin")
    assert lr.data.shape == (16, 17)
    full = degrade(sample_map, method="bin")
    # the first pixel edge does not move: same CRPIX as the uncropped map
    assert lr.meta["crpix1"] == full.meta["crpix1"] and lr.meta["crpix2"] == full.meta["crpix2"]
    assert (lr.meta["naxis1"], lr.meta["naxis2"]) == (17, 16)
    np.testing.assert_array_equal(lr.data, full.data[:16, :17])


def test_exact_multiple_does_not_warn(real_hr):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        degrade(real_hr[:32, :32])


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown degradation method 'nearest'"):
        degrade(np.zeros((8, 8), np.float32), method="nearest")
    with pytest.raises(ValueError, match="gaussian-bilinear"):
        degrade_array(np.zeros((8, 8)), method="box")


def test_degrade_array_rejects_bad_shape_and_factor():
    with pytest.raises(ValueError, match="multiple"):
        degrade_array(np.zeros((10, 8)))
    with pytest.raises(ValueError, match="factor"):
        degrade_array(np.zeros((8, 8)), factor=0)
    with pytest.raises(ValueError, match="factor must be a positive integer"):
        degrade(np.zeros((8, 8), np.float32), factor=0)
    with pytest.raises(ValueError, match="factor must be a positive integer"):
        degrade(np.zeros((8, 8), np.float32), factor=2.5)
    with pytest.raises(ValueError, match="at least 4x4"):
        degrade(np.zeros((3, 8), np.float32))


@pytest.mark.parametrize("factor", [1, 2, 3, 4, 8])
def test_factor_option(factor, sample_map):
    if factor == 3:  # 256 is not a multiple of 3
        with pytest.warns(SunpySRUserWarning, match=r"cropping \(256, 256\) to \(255, 255\)"):
            lr = degrade(sample_map, factor=factor, method="bin")
    else:
        lr = degrade(sample_map, factor=factor, method="bin")
    n = 256 // factor
    assert lr.data.shape == (n, n)
    assert lr.meta["cdelt1"] == pytest.approx(sample_map.meta["cdelt1"] * factor, rel=1e-15)
    assert lr.meta["crpix1"] == pytest.approx((sample_map.meta["crpix1"] - 0.5) / factor + 0.5, rel=1e-15)
    assert lr.meta["srfactor"] == 1 / factor
    if factor == 1:
        np.testing.assert_array_equal(lr.data, sample_map.data)


def test_array_in_array_out(real_hr):
    big = real_hr.astype(">f8")
    out = degrade(big)
    assert type(out) is np.ndarray and out.dtype == np.float32 and out.shape == (32, 32)
    np.testing.assert_array_equal(out, degrade_array(real_hr))
    np.testing.assert_array_equal(big, real_hr)  # input untouched


def test_map_in_same_class_unit_and_input_unchanged(sample_map):
    data_before = np.array(sample_map.data, copy=True)
    meta_before = copy.deepcopy(dict(sample_map.meta))
    lr = degrade(sample_map)
    assert type(lr) is type(sample_map)
    assert type(lr).__name__ == "HMIMap"
    assert lr.unit == u.G
    assert lr.meta["bunit"] == "Gauss"
    assert lr.date == sample_map.date
    assert lr.meta["srdegrad"] == "gaussian-bilinear"
    assert "degraded 4x (gaussian-bilinear, sigma=2.0, kernel=5)" in lr.meta["history"]
    assert "datamean" in sample_map.meta and "datamean" not in lr.meta
    np.testing.assert_array_equal(lr.data, degrade_array(np.asarray(sample_map.data)))
    np.testing.assert_array_equal(sample_map.data, data_before)
    assert dict(sample_map.meta) == meta_before
    lr_bin = degrade(sample_map, method="bin")
    assert "block mean" in lr_bin.meta["history"] and lr_bin.meta["srdegrad"] == "bin"


def test_constant_map_stays_constant(sample_map):
    const = sample_map._new_instance(np.full((256, 256), 250.0, dtype=">f4"), copy.deepcopy(sample_map.meta))
    lr = degrade(const)
    np.testing.assert_allclose(lr.data, 250.0, rtol=1e-6)
    assert lr.unit == u.G


def test_limb_sample_nan_blocks(limb_map):
    lr = degrade(limb_map)
    block_nan = np.isnan(limb_map.data).reshape(64, 4, 64, 4).any(axis=(1, 3))
    np.testing.assert_array_equal(np.isnan(lr.data), block_nan)
    assert 0.1 < block_nan.mean() < 0.3
    assert isinstance(lr, sunpy.map.GenericMap)
