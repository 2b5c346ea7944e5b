"""Tests of ``sunpy-sr fit-errors``: a tiny error model fit on the shipped real cutout, the
round trip through a user's weights (``W.pt`` -> ``W-errors.pt`` -> ``superresolve(...,
weights=W.pt, uncertainty=True)``), and the refusals."""
import json
import shutil

import astropy.units as u
import numpy as np
import pytest
from astropy.nddata import StdDevUncertainty

import sunpy_sr
from sunpy_sr.cli import main
from sunpy_sr.data import sample
from sunpy_sr.weights import weights_path


def run(argv, capsys):
    status = main(["--quiet", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def cutouts(tmp_path_factory):
    """Disjoint parts of the shipped real HMI cutout (256x256 px): rows 0-191 fit (the network's
    48-px LR patches need 192 HR px), rows 192-255 calibrate."""
    folder = tmp_path_factory.mktemp("cutouts")
    m = sample.hmi_active_region()
    fit = m.submap([0, 0] * u.pix, top_right=[255, 191] * u.pix)
    cal = m.submap([0, 192] * u.pix, top_right=[255, 255] * u.pix)
    assert fit.data.shape == (192, 256) and cal.data.shape == (64, 256)
    sunpy_sr.save(fit, folder / "fit.fits")
    sunpy_sr.save(cal, folder / "cal.fits")
    return folder / "fit.fits", folder / "cal.fits"


@pytest.fixture(scope="module")
def my_weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    src = weights_path("rcan-fast")
    shutil.copy(src, folder / "mine.pt")
    shutil.copy(src.with_suffix(".json"), folder / "mine.json")
    return folder / "mine.pt"


def test_fit_errors_beside_user_weights_round_trip(cutouts, my_weights, capsys):
    fit, cal = cutouts
    status, out, err = run(["fit-errors", "rcan-fast", "--fit", str(fit), "--calibrate", str(cal),
                            "--weights", str(my_weights), "--iterations", "20", "--preset", "errornet-tiny"],
                           capsys)
    assert status == 0, err
    written = my_weights.with_name("mine-errors.pt")
    assert written.exists() and written.with_suffix(".json").exists()
    assert not list(my_weights.parent.glob(".*partial*"))
    assert "rms_z" in out and "coverage_1" in out and "coverage_2" in out and "nll_constant" in out
    meta = json.loads(written.with_suffix(".json").read_text())
    assert meta["kind"] == "error-model" and meta["method"] == "rcan-fast" and meta["weights"] == "mine.pt"
    assert meta["fit_files"] == ["fit.fits"] and meta["calibration_files"] == ["cal.fits"]
    assert meta["fit_config"]["iterations"] == 20 and meta["fit_config"]["preset"] == "errornet-tiny"
    # superresolve finds the new error model beside the weights
    m = sunpy_sr.load(cal)
    sr = sunpy_sr.superresolve(m, method="rcan-fast", weights=my_weights, uncertainty=True)
    assert sr.meta["srerrmod"] == "mine-errors"
    assert isinstance(sr.uncertainty, StdDevUncertainty)
    sigma = np.asarray(sr.uncertainty.array)
    assert sigma.shape == sr.data.shape and np.all(np.isfinite(sigma)) and np.all(sigma > 0)
    # an existing output is refused without --overwrite
    status, _, err = run(["fit-errors", "rcan-fast", "--fit", str(fit), "--calibrate", str(cal),
                          "--weights", str(my_weights), "--iterations", "1", "--preset", "errornet-tiny"],
                         capsys)
    assert status == 1 and "exists; pass --overwrite" in err and len(err.splitlines()) == 1


def test_fit_errors_usage_errors(cutouts, tmp_path, capsys):
    fit, cal = cutouts
    status, _, err = run(["fit-errors", "rcan", "--fit", str(fit), str(cal), "--calibrate", str(cal),
                          "--out", str(tmp_path / "e.pt")], capsys)
    assert status == 2 and "both a --fit and a --calibrate file" in err
    status, _, err = run(["fit-errors", "rcan", "--fit", str(fit), "--calibrate", str(cal)], capsys)
    assert status == 2 and "--out is required without --weights" in err
    status, _, err = run(["fit-errors", "rcan", "--fit", str(fit), "--calibrate", str(cal),
                          "--out", str(tmp_path / "e.npz")], capsys)
    assert status == 2 and "must end in .pt" in err
    status, _, err = run(["fit-errors", "rcan", "--fit", str(tmp_path / "no.fits"), "--calibrate", str(cal),
                          "--out", str(tmp_path / "e.pt")], capsys)
    assert status == 1 and "no such file" in err
    assert list(tmp_path.iterdir()) == []
