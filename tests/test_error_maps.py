"""Error maps: ``superresolve(..., uncertainty=True)``, the error models, their calibration and the
range guard."""
import json
import shutil
import warnings

import astropy.units as u
import numpy as np
import pytest
import sunpy.map

import sunpy_sr
from sunpy_sr.core.range_guard import bound_output, out_of_range
from sunpy_sr.data import sample
from sunpy_sr.exceptions import SunpySRError, WeightsError
from sunpy_sr.inference.errors import Calibration, ErrorModel
from sunpy_sr.methods import available_methods, get_method
from sunpy_sr.metrics import calibration_statistics
from sunpy_sr.weights import ERROR_MODELS, load_error_model


@pytest.fixture(scope="module")
def ar():
    return sample.hmi_active_region()


@pytest.fixture(scope="module")
def ar_rcan(ar):
    """The shipped real cutout (the error models' test quadrant of the 2016 disk), degraded and
    super-resolved by rcan with its error map."""
    lr = sunpy_sr.degrade(ar)
    return lr, sunpy_sr.superresolve(lr, method="rcan", uncertainty=True)


def test_every_method_has_an_error_model():
    assert set(available_methods()) == set(ERROR_MODELS)
    for name in available_methods():
        em = load_error_model(name)
        assert em.name == ERROR_MODELS[name].stem
        assert all(f > 0 for f in em.calibration.band_factors + em.calibration.ring_factors)


@pytest.mark.parametrize("method", sorted(ERROR_MODELS))
def test_each_method_gives_a_finite_positive_error_map(ar, method):
    crop = ar.submap([0, 0] * u.pix, top_right=[47, 47] * u.pix)
    sr = sunpy_sr.superresolve(crop, method=method, uncertainty=True)
    sigma = sr.uncertainty.array
    assert sigma.shape == sr.data.shape == (192, 192)
    assert np.isfinite(sigma).all() and (sigma > 0).all()
    assert sr.uncertainty.unit == u.G
    assert sr.meta["srerrmod"] == ERROR_MODELS[method].stem
    # the error is of the order of the networks' quiet-Sun errors (G), not a spread of 0.1 G
    assert 1.0 < float(np.median(sigma)) < 100.0


def test_calibration_on_the_shipped_cutout(ar, ar_rcan):
    """Measured on the shipped real cutout (held out: the test quadrant of the 2016 disk) with
    rcan and its bundled error model: rms_z 1.09, within 1 sigma 0.68, within 2 sigma 0.94,
    NLL 3.08 against 4.28 for the constant."""
    _, sr = ar_rcan
    err = sr.data - ar.data
    s = calibration_statistics(err, sr.uncertainty.array)
    assert s["n"] == 1024 ** 2 // 16
    assert 0.8 <= s["rms_z"] <= 1.25
    assert 0.60 <= s["coverage_1"] <= 0.80
    assert 0.90 <= s["coverage_2"] <= 0.98
    # sharper than one constant sigma equal to the cutout's own RMS error
    assert s["nll"] < s["nll_constant"] - 0.3
    assert s["spearman"] > 0.3


def test_sigma_is_larger_where_the_field_is_strong(ar, ar_rcan):
    _, sr = ar_rcan
    sigma = sr.uncertainty.array
    strong = np.abs(sr.data) > 200
    assert strong.sum() > 500
    assert np.median(sigma[strong]) > 3 * np.median(sigma[~strong])


def test_tiled_equals_untiled(ar):
    crop = ar.submap([0, 0] * u.pix, top_right=[95, 95] * u.pix)
    whole = sunpy_sr.superresolve(crop, method="rcan-fast", uncertainty=True, tile_size=None)
    tiled = sunpy_sr.superresolve(crop, method="rcan-fast", uncertainty=True, tile_size=40)
    np.testing.assert_allclose(tiled.data, whole.data, atol=1e-3)
    np.testing.assert_allclose(tiled.uncertainty.array, whole.uncertainty.array, rtol=1e-4, atol=1e-4)


def test_units_tesla_in_tesla_out(ar):
    crop = ar.submap([0, 0] * u.pix, top_right=[47, 47] * u.pix)
    meta = dict(crop.meta, bunit="T")
    tesla = sunpy.map.Map(crop.data * 1e-4, meta)
    a = sunpy_sr.superresolve(crop, method="bicubic", uncertainty=True)
    b = sunpy_sr.superresolve(tesla, method="bicubic", uncertainty=True)
    assert b.uncertainty.unit == u.T
    np.testing.assert_allclose(b.uncertainty.array * 1e4, a.uncertainty.array, rtol=1e-4)


def test_array_input_returns_sigma(ar):
    data = np.asarray(ar.data[:40, :40], dtype=np.float32)
    sr, sigma = sunpy_sr.superresolve(data, method="linear", uncertainty=True)
    assert sr.shape == sigma.shape == (160, 160)
    assert (sigma > 0).all()


def test_off_disk_nan_kept_and_limb_sigma_calibrated_larger():
    limb = sample.hmi_limb()
    sr = sunpy_sr.superresolve(limb, method="rcan-fast", uncertainty=True)
    nan_in = np.kron(np.isnan(limb.data), np.ones((4, 4), bool))
    assert np.array_equal(np.isnan(sr.data), nan_in)
    assert np.array_equal(np.isnan(sr.uncertainty.array), nan_in)
    # the last pixels at the limb are out of the training range: their own, larger sigma
    bad = np.isnan(limb.data)
    ood = np.kron(out_of_range(np.nan_to_num(limb.data), bad), np.ones((4, 4), bool))
    sigma = sr.uncertainty.array
    assert ood.sum() > 0
    assert np.nanmedian(sigma[ood]) > 1.5 * np.nanmedian(sigma[~ood & ~nan_in])


def test_ring_factors_apply_to_a_disk_map_not_to_its_array():
    limb = sample.hmi_limb()
    em = load_error_model("bicubic")
    mapped = sunpy_sr.superresolve(limb, method="bicubic", uncertainty=True).uncertainty.array
    _, plain = sunpy_sr.superresolve(np.asarray(limb.data, dtype=np.float32), method="bicubic",
                                     uncertainty=True)
    ratio = mapped / plain
    ok = np.isfinite(ratio)
    factors = np.array(em.calibration.ring_factors)
    seen = np.unique(ratio[ok].round(3))
    # every ratio is one of the ring factors, and the cutout spans more than one ring
    assert all(np.min(np.abs(factors - v) / factors) < 1e-3 for v in seen), (seen, factors)
    assert len(seen) >= 2


def test_consistent_and_uncertainty_together(ar):
    crop = ar.submap([0, 0] * u.pix, top_right=[63, 63] * u.pix)
    sr = sunpy_sr.superresolve(crop, method="rcan-fast", uncertainty=True, consistent=True)
    back = sunpy_sr.degrade(sr)
    rms = float(np.sqrt(np.mean((back.data - crop.data) ** 2)))
    assert rms < 0.05
    assert sr.uncertainty.array.shape == sr.data.shape
    assert (sr.uncertainty.array > 0).all()


def test_ensemble_spread_under_its_own_name(ar):
    crop = ar.submap([0, 0] * u.pix, top_right=[31, 31] * u.pix)
    sr = sunpy_sr.superresolve(crop, method="rcan-fast", uncertainty="ensemble")
    mean = sunpy_sr.superresolve(crop, method="rcan-fast", ensemble=True)
    np.testing.assert_allclose(sr.data, mean.data, atol=1e-3)
    assert sr.meta["srerrmod"] == "16-symmetry spread"
    assert 0 < float(np.median(sr.uncertainty.array)) < 5.0
    calibrated = sunpy_sr.superresolve(crop, method="rcan-fast", uncertainty=True)
    # the spread is several times smaller than the calibrated error
    assert np.median(calibrated.uncertainty.array) > 3 * np.median(sr.uncertainty.array)


@pytest.mark.parametrize("value, match", [("bogus", "uncertainty must be"), (2, "uncertainty must be")])
def test_bad_uncertainty_values(ar, value, match):
    with pytest.raises(SunpySRError, match=match):
        sunpy_sr.superresolve(ar, method="bicubic", uncertainty=value)


def test_ensemble_spread_needs_a_network(ar):
    with pytest.raises(SunpySRError, match="needs a network"):
        sunpy_sr.superresolve(ar, method="bicubic", uncertainty="ensemble")
    with pytest.raises(SunpySRError, match="consistent"):
        sunpy_sr.superresolve(ar, method="rcan-fast", uncertainty="ensemble", consistent=True)
    with pytest.raises(SunpySRError, match="not a method option"):
        sunpy_sr.superresolve(ar, method="rcan-fast", spread=True)


def test_user_weights_without_error_model_say_so(ar, tmp_path):
    from sunpy_sr.weights import weights_path
    src = weights_path("rcan-fast")
    mine = tmp_path / "mine.pt"
    shutil.copy(src, mine)
    shutil.copy(src.with_suffix(".json"), mine.with_suffix(".json"))
    sr = sunpy_sr.superresolve(ar, method="rcan-fast", weights=mine)  # no uncertainty: fine
    assert sr.meta["srmodel"] == "mine.pt"
    with pytest.raises(WeightsError, match="no error model for the weights mine.pt.*fit-errors"):
        sunpy_sr.superresolve(ar, method="rcan-fast", weights=mine, uncertainty=True)
    # beside them, it is found
    em = ERROR_MODELS["rcan-fast"].path
    shutil.copy(em, tmp_path / "mine-errors.pt")
    shutil.copy(em.with_suffix(".json"), tmp_path / "mine-errors.json")
    sr = sunpy_sr.superresolve(ar, method="rcan-fast", weights=mine, uncertainty=True)
    assert sr.meta["srerrmod"] == "mine-errors"


def test_error_model_file_is_hash_checked_and_typed(tmp_path):
    em = ERROR_MODELS["bicubic"].path
    bad = tmp_path / "e.pt"
    shutil.copy(em, bad)
    meta = json.loads(em.with_suffix(".json").read_text())
    meta["sha256"] = "0" * 64
    bad.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(WeightsError, match="SHA-256"):
        load_error_model(path=bad)
    from sunpy_sr.weights import weights_path
    net = tmp_path / "net.pt"
    shutil.copy(weights_path("rcan-fast"), net)
    shutil.copy(weights_path("rcan-fast").with_suffix(".json"), net.with_suffix(".json"))
    with pytest.raises(WeightsError, match="not an error model"):
        load_error_model(path=net)


def test_range_guard_bounds_limb_spikes():
    """A spike at the limb cannot grow: every child of an out-of-range pixel stays within the
    range of its parent's 3x3 neighbourhood."""
    rng = np.random.default_rng(0)
    lr = rng.normal(0, 30, (40, 40)).astype(np.float32)
    lr[:, 30:] = np.nan
    lr[20, 27] = 4800.0                                   # a spike of the kind HMI has near the limb
    sr = sunpy_sr.superresolve(lr, method="rcan")
    assert np.nanmax(sr) <= 4800.0 + 1e-3
    bad = np.isnan(lr)
    ood = out_of_range(np.nan_to_num(lr), bad)
    assert ood[:, 28:30].all()                               # within 2 pixels of the limb
    assert ood[19:22, 26:29].all() and not ood[:19, :28].any()  # beside the 4.8 kG spike
    assert not ood[:, :26].any()
    # inside the training range the guard changes nothing
    raw, _ = get_method("rcan").build()
    np.testing.assert_allclose(sr[:, :26 * 4], raw(np.nan_to_num(lr))[:, :26 * 4], atol=1e-4)


def test_bound_output_leaves_in_range_pixels():
    lr = np.full((6, 6), 100.0, np.float32)
    sr = np.full((24, 24), 900.0, np.float32)
    ood = bound_output(sr, lr, np.zeros((6, 6), bool))
    assert not ood.any() and (sr == 900.0).all()


def test_calibrate_makes_rms_z_one_on_its_images():
    """The fitting recipe end to end on tiny synthetic residual images (a test of the maths, not
    of realism): after calibration RMS(error / sigma) is 1 in each band of the output's |B|."""
    from sunpy_sr.training.error_fit import (
        ErrorFitConfig,
        ResidualImage,
        calibrate,
        calibration_report,
        fit_error_net,
    )
    def image(seed):
        r = np.random.default_rng(seed)
        lr = r.normal(0, 300, (32, 32)).astype(np.float32)
        sr = np.kron(lr, np.ones((4, 4), np.float32))
        hr = sr + r.normal(0, 1, sr.shape).astype(np.float32) * (5 + 0.05 * np.abs(sr))
        return ResidualImage("synthetic", lr, np.zeros(lr.shape, bool), sr, hr, np.ones(lr.shape, bool))
    config = ErrorFitConfig(preset="errornet-tiny", iterations=150, batch_size=4, patch=16, min_pixels=100)
    net = fit_error_net([image(1), image(2)], config, progress=False)
    cal = calibrate(net, [image(3)], config)
    report = calibration_report(ErrorModel(net, cal), [image(3)])
    for band, stats in report["bands"].items():
        if stats["n"] >= 100:
            assert stats["rms_z"] == pytest.approx(1.0, abs=0.02), band


def test_calibration_statistics_laplace_coverage():
    from sunpy_sr.metrics.calibration import LAPLACE_COVERAGE
    rng = np.random.default_rng(3)
    e = rng.laplace(0, 1 / np.sqrt(2), 400_000)          # unit RMS
    s = calibration_statistics(e, np.ones_like(e))
    np.testing.assert_allclose(s["coverage"], LAPLACE_COVERAGE, atol=0.005)
    assert s["nll"] == pytest.approx(s["nll_constant"], abs=0.01)


def test_calibration_needs_matching_factor_lengths():
    with pytest.raises(ValueError, match="one factor more"):
        Calibration(band_factors=[1.0])


def test_another_instrument_warns(ar):
    meta = dict(ar.meta, instrume="MDI", telescop="SOHO")
    other = sunpy.map.Map(np.asarray(ar.data[:32, :32]), meta)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        sunpy_sr.superresolve(other, method="bicubic", uncertainty=True)
    assert any("trained on SDO/HMI" in str(x.message) for x in w)
