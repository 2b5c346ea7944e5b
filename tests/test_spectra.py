"""Power spectra and the spectral error: what a smoothing super-resolution loses at small scales."""
import astropy.units as u
import numpy as np
import pytest

import sunpy_sr
from sunpy_sr.metrics import power_spectrum, spectral_error


def test_power_spectrum_of_a_sinusoid_peaks_at_its_wavenumber():
    y, x = np.mgrid[:128, :128]
    k, p = power_spectrum(np.sin(2 * np.pi * 0.25 * x))
    assert abs(k[np.argmax(p)] - 0.25) < 0.01


def test_spectral_error_values():
    x = np.random.default_rng(1).normal(size=(128, 128))
    assert spectral_error(x, x) == 0.0
    assert spectral_error(x, 0.5 * x) == pytest.approx(np.log10(4))
    # a Quantity in tesla is converted, not relabelled
    assert spectral_error(x * u.G, (x * 1e-4) * u.T) == pytest.approx(0.0, abs=1e-9)


def test_bicubic_loses_small_scale_power_on_a_real_crop(sample_map):
    hr = np.clip(np.nan_to_num(sample_map.data.astype(np.float32)), -2000, 2000)
    lr = sunpy_sr.degrade(hr)
    bic = sunpy_sr.superresolve(lr, method="bicubic")
    k, p_hr = power_spectrum(hr)
    _, p_bic = power_spectrum(bic)
    band = (k > 1 / 8) & (k < 0.4)
    assert np.all(p_bic[band] < p_hr[band])          # smoothing removes power at every small scale
    assert spectral_error(hr, bic) > 0.5             # by more than a factor 3 on average


def test_evaluate_reports_spectral_and_flux_errors(sample_map):
    hr = np.clip(np.nan_to_num(sample_map.data.astype(np.float32)), -2000, 2000)
    lr = sunpy_sr.degrade(hr)
    from sunpy_sr.evaluation import evaluate
    table = evaluate(([hr], [lr]), methods={"identity": [hr], "half": [0.5 * hr]},
                                         progress=False)
    assert table["spectral_error"][0] == 0.0 and table["signed_flux_error"][0] == 0.0
    assert table["spectral_error"][1] == pytest.approx(np.log10(4))
    assert table["unsigned_flux_error"][1] == pytest.approx(-0.5)
