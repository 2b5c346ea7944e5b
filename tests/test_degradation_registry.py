"""The degradation registry: one owner of each recipe's forward operator, adjoint and description."""
import fractions

import numpy as np
import pytest
import scipy.sparse

import sunpy_sr
from sunpy_sr.core import (
    degradation_methods,
    degrade_array,
    get_degradation,
    register_degradation,
    unregister_degradation,
)
from sunpy_sr.core.operators import DegradationOperator, axis_matrices, project_consistent
from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.inference.consistency import consistency_recipe, consistent_method

#: G: float32 rounding of a projected output of a few hundred G, plus the CG tolerance (1e-4 G)
TOL = 1e-3


def _tent5(n_hr, factor, *, sigma, kernel_size):
    """A 5-tap triangle (1, 2, 3, 2, 1) / 9 centred on each block, sampled once per block.

    Neighbouring LR pixels share an HR pixel (for factor 4), so ``D D^T`` is not
    diagonal: the projection needs more than one iteration.
    """
    n_lr = n_hr // factor
    centre = factor * np.arange(n_lr) + factor // 2
    offsets = np.arange(-2, 3)
    rows = np.repeat(np.arange(n_lr), 5)
    cols = (centre[:, None] + offsets[None, :]).ravel()
    vals = np.tile(np.array([1.0, 2.0, 3.0, 2.0, 1.0]), n_lr)
    inside = (cols >= 0) & (cols < n_hr)
    a = scipy.sparse.csr_matrix((vals[inside], (rows[inside], cols[inside])), shape=(n_lr, n_hr))
    return a, scipy.sparse.identity(n_lr, format="csr")


@pytest.fixture
def tent5():
    entry = register_degradation("tent5", _tent5, description="a 5-tap triangle at each block's centre")
    yield entry.name
    unregister_degradation(entry.name)


def _random_fields(rng, shape, factor):
    x = rng.normal(0, 100, shape)
    y = rng.normal(0, 100, (shape[0] // factor, shape[1] // factor))
    return x, y


def _all_methods():
    return degradation_methods()


# ------------------------------------------------------------------ the registry

def test_builtin_recipes_are_registered():
    assert degradation_methods()[:2] == ("gaussian-bilinear", "bin")
    for name in ("gaussian-bilinear", "bin"):
        entry = get_degradation(name)
        assert entry.name == name and entry.description
    assert get_degradation("bin").consistency_pad == 0
    assert get_degradation("gaussian-bilinear").consistency_pad == 12


def test_unknown_names_raise_naming_the_allowed_values():
    hr = np.ones((8, 8))
    for call in (lambda: get_degradation("nearest"),
                 lambda: degrade_array(hr, method="nearest"),
                 lambda: DegradationOperator(hr.shape, method="nearest"),
                 lambda: project_consistent(hr, np.ones((2, 2)), method="nearest"),
                 lambda: axis_matrices("nearest", 8, 4)):
        with pytest.raises(SunpySRError, match=r"unknown degradation method 'nearest'.*'gaussian-bilinear'"):
            call()
    with pytest.raises(ValueError, match="'bin'"):
        consistency_recipe("nearest")


def test_register_and_unregister(tent5):
    assert tent5 in degradation_methods()
    assert consistency_recipe(tent5) == tent5
    with pytest.raises(SunpySRError, match="already registered"):
        register_degradation(tent5, _tent5, description="again")
    with pytest.raises(SunpySRError, match="cannot be unregistered"):
        unregister_degradation("gaussian-bilinear")
    with pytest.raises(SunpySRError, match="consistency_pad"):
        register_degradation("bad-pad", _tent5, description="x", consistency_pad=-1)
    with pytest.raises(TypeError):
        register_degradation("not-callable", None, description="x")


def test_unregistered_name_is_unknown_again():
    register_degradation("tmp-box", get_degradation("bin").axis_matrices, description="a copy of bin")
    assert degrade_array(np.arange(16.0).reshape(4, 4), method="tmp-box").tolist() == [[7.5]]
    unregister_degradation("tmp-box")
    with pytest.raises(SunpySRError, match="unknown degradation method 'tmp-box'"):
        degrade_array(np.ones((4, 4)), method="tmp-box")


def test_wrong_matrix_shapes_are_reported():
    def wrong(n_hr, factor, *, sigma, kernel_size):
        return scipy.sparse.identity(n_hr, format="csr"), scipy.sparse.identity(n_hr, format="csr")
    register_degradation("wrong-shape", wrong, description="not a down-sampling")
    try:
        with pytest.raises(SunpySRError, match="do not map 8 HR pixels to 2 LR pixels"):
            DegradationOperator((8, 8), factor=4, method="wrong-shape")
    finally:
        unregister_degradation("wrong-shape")


# ------------------------------------------------------------------ adjoint, forward

@pytest.mark.parametrize("factor", [2, 3, 4])
@pytest.mark.parametrize("with_nan", [False, True])
def test_adjoint_of_every_registered_recipe(tent5, factor, with_nan):
    """<D x, y> == <x, D^T y> to 1e-10 relative in float64, with and without a NaN pattern."""
    rng = np.random.default_rng(factor)
    shape = (12 * factor, 10 * factor)
    for method in _all_methods():
        hr_valid = None
        if with_nan:
            hr_valid = rng.random(shape) > 0.05
        op = DegradationOperator(shape, factor=factor, method=method, hr_valid=hr_valid)
        x, y = _random_fields(rng, shape, factor)
        lhs = float(np.vdot(op.forward(x), y))
        rhs = float(np.vdot(x, op.adjoint(y)))
        assert abs(lhs - rhs) <= 1e-10 * max(abs(lhs), abs(rhs)), method


@pytest.mark.parametrize("factor", [2, 4])
def test_forward_matrix_form_equals_degrade_array(tent5, factor):
    """The matrix form is the forward model of degrade_array, for every recipe, NaN included."""
    rng = np.random.default_rng(1)
    hr = rng.normal(0, 300, (16 * factor, 12 * factor)).astype(np.float32)
    hr[rng.random(hr.shape) < 0.02] = np.nan
    for method in _all_methods():
        lr = degrade_array(hr, factor=factor, method=method)
        op = DegradationOperator(hr.shape, factor=factor, method=method, hr_valid=np.isfinite(hr))
        d = op.forward(np.where(np.isfinite(hr), hr, 0.0))
        keep = np.isfinite(lr)
        assert keep.sum() > 0.5 * lr.size
        np.testing.assert_allclose(d[keep], lr[keep], rtol=0, atol=1e-3, err_msg=method)
        assert np.isnan(lr[~op.lr_valid]).all() if op.lr_valid is not None else True


def test_tent5_by_hand(tent5):
    hr = np.zeros((8, 8))
    hr[2, 2] = 81.0  # the centre of the first block: weight (3/9)^2
    hr[4, 2] = 81.0  # shared with the next block's row: weight (1/9) (3/9) in both
    lr = degrade_array(hr, method=tent5)
    # the first row's taps are 0..4 with (1, 2, 3, 2, 1) / 9, the second's 4..8 with the last outside (/ 8)
    assert lr[0, 0] == pytest.approx(81 * 9 / 81 + 81 * 3 / 81)
    assert lr[1, 0] == pytest.approx(81 * 1 / 8 * 3 / 9)


# ------------------------------------------------------------------ the projection with a third recipe

def test_projection_with_a_registered_recipe(tent5):
    """degrade(project(sr, lr)) == lr for the new recipe; several CG iterations (D D^T not diagonal)."""
    rng = np.random.default_rng(3)
    lr = rng.normal(0, 300, (24, 20)).astype(np.float32)
    sr = np.kron(lr, np.ones((4, 4), np.float32)) + rng.normal(0, 30, (96, 80)).astype(np.float32)
    x, info = project_consistent(sr, lr, method=tent5, return_info=True)
    assert info.converged and info.iterations > 1
    assert x.dtype == np.float32
    assert np.abs(degrade_array(x, method=tent5) - lr).max() < TOL
    # the projection is onto the recipe's own set, not the Gaussian's
    assert np.abs(degrade_array(x) - lr).max() > 1.0


def test_projection_with_a_registered_recipe_and_nan(tent5):
    rng = np.random.default_rng(4)
    lr = rng.normal(0, 300, (16, 16))
    sr = np.kron(lr, np.ones((4, 4)))
    sr[10:14, 20:30] = np.nan
    lr[0, 0] = np.nan
    x = project_consistent(sr, lr, method=tent5)
    assert np.isnan(x[10:14, 20:30]).all()
    got = degrade_array(x, method=tent5)
    keep = np.isfinite(got) & np.isfinite(lr)
    assert keep.sum() > 240
    assert np.abs(got[keep] - lr[keep]).max() < TOL


def test_superresolve_consistent_with_a_registered_recipe(tent5):
    rng = np.random.default_rng(5)
    lr = rng.normal(0, 300, (32, 32)).astype(np.float32)
    out = sunpy_sr.superresolve(lr, method="bicubic", consistent=tent5)
    assert np.abs(degrade_array(out, method=tent5) - lr).max() < TOL
    func, radius = consistent_method(lambda a: a, 2, tent5)
    assert radius == 2 + get_degradation(tent5).consistency_pad and func.consistent == tent5


def test_degrade_map_and_cube_with_a_registered_recipe(tent5, sample_map):
    lr = sunpy_sr.degrade(sample_map, method=tent5)
    assert lr.meta["srdegrad"] == tent5 and tent5 in lr.meta["history"]
    np.testing.assert_array_equal(lr.data, degrade_array(np.asarray(sample_map.data, np.float32),
                                                         method=tent5))


# ------------------------------------------------------------------ the cube plane loop

def test_map_celestial_planes_zoom_is_checked():
    from sunpy_sr.core.cube import _zoom
    assert _zoom(4) == 4 and _zoom(fractions.Fraction(1, 4)) == fractions.Fraction(1, 4)
    for bad in (0, -2, fractions.Fraction(2, 3), 1.5):
        with pytest.raises(SunpySRError, match="zoom"):
            _zoom(bad)
