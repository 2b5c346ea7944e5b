"""The flux-consistency projection: degrade(superresolve(lr, consistent=True)) == lr."""
import numpy as np
import pytest
import scipy.ndimage

import sunpy_sr
from sunpy_sr.core.degradation import degrade_array
from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.inference.consistency import (
    CONSISTENCY_PAD,
    DegradationOperator,
    consistency_recipe,
    project_consistent,
)

#: G: float32 rounding of a projected output of a few kG, plus the CG tolerance (1e-4 G)
TOL = 1e-3


@pytest.mark.parametrize("method", ["gaussian-bilinear", "bin"])
@pytest.mark.parametrize("factor", [4, 3])
@pytest.mark.parametrize("with_nan", [False, True])
def test_adjoint_identity(method, factor, with_nan):
    """<D x, y> == <x, D^T y> in float64, with the edge and NaN weights of the normalised convolution."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(12 * factor, 15 * factor))
    y = rng.normal(size=(12, 15))
    hr_valid = None
    if with_nan:
        hr_valid = np.ones(x.shape, bool)
        hr_valid[:13, :17] = False          # a corner, cutting through blocks
        hr_valid[20:, -9:] = False
        hr_valid[2 * factor + 1, 9] = False  # one pixel
    op = DegradationOperator(x.shape, factor=factor, method=method, hr_valid=hr_valid)
    lhs = np.vdot(op.forward(x), y)
    rhs = np.vdot(x, op.adjoint(y))
    assert abs(lhs - rhs) <= 1e-10 * abs(lhs)


@pytest.mark.parametrize("method", ["gaussian-bilinear", "bin"])
def test_operator_is_degrade_array(method, sample_map):
    """The float64 operator is `degrade_array` (to its float32 output rounding), NaN pattern included."""
    hr = np.asarray(sample_map.data, dtype=np.float64)
    hr[:37, :50] = np.nan
    ref = degrade_array(hr, method=method)
    op = DegradationOperator(hr.shape, method=method, hr_valid=np.isfinite(hr))
    out = op.forward(hr)
    finite = np.isfinite(ref)
    assert (op.lr_valid == finite).all()
    np.testing.assert_allclose(out[finite], ref[finite], rtol=0, atol=2e-4)


@pytest.fixture(scope="module")
def rcan_fast_outputs():
    """The sample map super-resolved with rcan-fast: unprojected, projected whole, projected tiled."""
    from sunpy_sr.data import sample
    lr = sample.hmi_active_region()
    plain = sunpy_sr.superresolve(lr, method="rcan-fast", tile_size=None)
    whole = sunpy_sr.superresolve(lr, method="rcan-fast", consistent=True, tile_size=None)
    tiled = sunpy_sr.superresolve(lr, method="rcan-fast", consistent=True, tile_size=64)
    return np.asarray(lr.data, dtype=np.float32), plain, whole, tiled


def test_consistent_rcan_fast_degrades_to_input(rcan_fast_outputs):
    lr, plain, whole, tiled = rcan_fast_outputs
    assert whole.data.shape == tiled.data.shape == (1024, 1024)
    for out in (whole, tiled):
        assert np.abs(degrade_array(out.data) - lr).max() < TOL
    # the network alone is not consistent, so the projection does something (the test can fail)
    assert np.abs(degrade_array(plain.data) - lr).max() > 1.0
    assert np.abs(whole.data - plain.data).max() > 1.0
    # tiling with the extra padding gives the global projection
    np.testing.assert_allclose(tiled.data, whole.data, rtol=0, atol=TOL)


def test_projection_changes_little(rcan_fast_outputs):
    """The correction is the residual's minimum-norm lift: small next to the field, zero mean-ish."""
    lr, plain, whole, _ = rcan_fast_outputs
    delta = np.asarray(whole.data, np.float64) - plain.data
    resid = degrade_array(plain.data) - lr
    # RMS of the correction is of the order of the residual's (D has row norms ~0.44)
    assert np.sqrt(np.mean(delta ** 2)) < 3 * np.sqrt(np.mean(resid.astype(np.float64) ** 2))


def test_projection_is_idempotent(sample_map):
    """A consistent map is left alone; projecting twice changes nothing."""
    hr = np.asarray(sample_map.data, dtype=np.float64)
    op = DegradationOperator(hr.shape)
    lr = op.forward(hr)                         # exactly consistent in float64
    x, info = project_consistent(hr, lr, tol=1e-9, return_info=True)
    assert info.initial_residual < 1e-9 and np.abs(x - hr).max() < 1e-6
    lr32 = np.asarray(sample_map.data, dtype=np.float32)[::4, ::4].copy()
    sr = np.kron(lr32, np.ones((4, 4))).astype(np.float64)  # far from consistent
    once, info = project_consistent(sr, lr32, tol=1e-8, return_info=True)
    assert info.iterations > 5 and info.initial_residual > 10 and info.residual <= 1e-8
    twice = project_consistent(once, lr32, tol=1e-8)
    assert np.abs(twice - once).max() < 1e-6


def test_bin_recipe(sample_map):
    """consistent="bin": the 4x4 block means of the output are the input (one CG step)."""
    lr = np.asarray(sample_map.data, np.float32)[:64, :64]
    out = sunpy_sr.superresolve(lr, method="bicubic", consistent="bin")
    assert np.abs(degrade_array(out, method="bin") - lr).max() < TOL
    plain = sunpy_sr.superresolve(lr, method="bicubic")
    _, info = project_consistent(plain, lr, method="bin", return_info=True)
    assert info.iterations == 1


@pytest.mark.parametrize("method", ["bicubic", "linear"])
def test_classical_methods_and_tiling(method, sample_map):
    """A short receptive radius needs the extra padding: tiled == untiled, both consistent."""
    lr = np.asarray(sample_map.data, np.float32)[:96, :96]
    whole = sunpy_sr.superresolve(lr, method=method, consistent=True, tile_size=None)
    tiled = sunpy_sr.superresolve(lr, method=method, consistent=True, tile_size=32)
    for out in (whole, tiled):
        assert np.abs(degrade_array(out) - lr).max() < TOL
    np.testing.assert_allclose(tiled, whole, rtol=0, atol=TOL)
    m = sunpy_sr.methods.get_method(method)
    _, r0 = m.build()
    _, r1 = m.build(consistent=True)
    assert r1 == r0 + CONSISTENCY_PAD


def test_limb_guarantee(limb_map):
    """Off-disk NaN: exact on every LR pixel whose 3x3 neighbourhood is on the disk, NaN where it was."""
    lr = np.asarray(limb_map.data, np.float32)
    out = sunpy_sr.superresolve(lr, method="bicubic", consistent=True, tile_size=64)
    back = degrade_array(out)
    valid = np.isfinite(lr)
    assert (np.isnan(back) == ~valid).all()
    inner = scipy.ndimage.binary_erosion(valid, np.ones((3, 3)), border_value=1)
    assert inner.sum() > 0.8 * valid.sum()
    assert np.abs(back[inner] - lr[inner]).max() < TOL
    # the public function with the NaN kept is exact on every finite LR pixel, limb band included
    plain = sunpy_sr.superresolve(lr, method="bicubic", tile_size=64)
    exact = project_consistent(plain, lr)
    assert (np.isnan(exact) == np.isnan(plain)).all()
    assert np.nanmax(np.abs(degrade_array(exact) - lr)) < TOL


def test_option_values():
    assert consistency_recipe(False) is None and consistency_recipe(True) == "gaussian-bilinear"
    assert consistency_recipe("bin") == "bin"
    with pytest.raises(SunpySRError, match="consistent must be"):
        sunpy_sr.superresolve(np.zeros((16, 16), np.float32), method="bicubic", consistent="yes")
    with pytest.raises(SunpySRError, match="not 4 x lr shape"):
        project_consistent(np.zeros((10, 12)), np.zeros((3, 3)))


def test_progan_is_consistent_by_default_and_bounded_where_the_input_leaves_the_training_range(limb_map):
    """
    progan projects by default; where the input leaves the training range (the limb, > 2000 G)
    the range guard still bounds it, so the default never amplifies a limb spike. An explicit
    consistent=True is exact everywhere (the projection takes precedence over the bound).
    """
    from sunpy_sr.api import prepare_method
    from sunpy_sr.core.range_guard import out_of_range
    assert prepare_method("progan").consistent is True
    assert prepare_method("progan", consistent=False).consistent is False
    assert prepare_method("rcan").consistent is False
    lr = np.asarray(limb_map.data, np.float32)
    valid = np.isfinite(lr)
    inner = scipy.ndimage.binary_erosion(valid, np.ones((3, 3)), border_value=1)
    ood = out_of_range(np.where(valid, lr, 0), ~valid)
    in_range = inner & ~scipy.ndimage.binary_dilation(ood, np.ones((7, 7)))
    assert ood.any() and in_range.sum() > 0.5 * valid.sum()
    default = sunpy_sr.superresolve(lr, method="progan", tile_size=64)
    assert np.abs(degrade_array(default)[in_range] - lr[in_range]).max() < TOL
    # where the input is out of range, each output pixel lies within its parent's 3x3 input range
    local = scipy.ndimage.maximum_filter(np.abs(np.where(valid, lr, 0)), size=3)
    children = np.kron(ood & valid, np.ones((4, 4), bool))
    limit = np.kron(local, np.ones((4, 4)))
    assert (np.abs(default[children]) <= limit[children] + 1e-3).all()
    exact = sunpy_sr.superresolve(lr, method="progan", consistent=True, tile_size=64)
    assert np.abs(degrade_array(exact)[inner] - lr[inner]).max() < TOL
    assert (np.abs(exact[children]) > limit[children] + 1e-3).any()  # what the bound prevents
    free = sunpy_sr.superresolve(lr, method="progan", consistent=False, tile_size=64)
    assert np.abs(degrade_array(free)[in_range] - lr[in_range]).max() > TOL
