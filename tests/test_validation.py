
"""
Bad input to superresolve: the right exception class, and a message that names the problem.

Maps are built by hand here (their header is what is being tested); the data values do not matter.
"""
import re
import warnings

import astropy.units as u
import numpy as np
import pytest
import sunpy.map
from sunpy.util.exceptions import SunpyMetadataWarning

from sunpy_sr.api.pipeline import superresolve
from sunpy_sr.core.validation import as_float_array, validate_input
from sunpy_sr.exceptions import SunpySRError, SunpySRUserWarning


def header(shape=(16, 16), **changes):
    """An HMI-like header; a value of None removes the key."""
    h = {
        "naxis": 2, "naxis1": shape[1], "naxis2": shape[0],
        "ctype1": "HPLN-TAN", "ctype2": "HPLT-TAN", "cunit1": "arcsec", "cunit2": "arcsec",
        "crpix1": 8.5, "crpix2": 8.5, "crval1": 0.0, "crval2": 0.0,
        "cdelt1": 0.504, "cdelt2": 0.504, "crota2": 180.0,
        "telescop": "SDO/HMI", "instrume": "HMI_FRONT2", "content": "MAGNETOGRAM", "bunit": "Gauss",
        "date-obs": "2016-07-07T00:58:47.300", "t_obs": "2016.07.07_01:00:08.326_TAI",
        "dsun_obs": 152093947186.0, "hgln_obs": 0.067, "hglt_obs": 3.556, "rsun_obs": 943.9,
        "rsun_ref": 696000000.0, "wavelnth": 6173.0, "waveunit": "angstrom",
    }
    for key, value in changes.items():
        if value is None:
            h.pop(key, None)
        else:
            h[key] = value
    return h


def make_map(data=None, **changes):
    if data is None:
        data = np.random.default_rng(0).normal(0, 50, (16, 16)).astype(np.float32)
    return sunpy.map.Map(data, header(data.shape, **changes))


def test_header_helper_makes_a_valid_hmi_map():
    m = make_map()
    assert type(m).__name__ == "HMIMap" and m.unit == u.G
    sr = superresolve(m, method="bicubic")
    assert sr.data.shape == (64, 64)


# ------------------------------------------------------------------ type and shape


@pytest.mark.parametrize("bad", [[[1.0, 2.0], [3.0, 4.0]], "hmi.fits", None, 3.0, (np.zeros((4, 4)),)])
def test_not_a_map_or_array_is_type_error(bad):
    with pytest.raises(TypeError, match="expected a sunpy.map.GenericMap or a 2D numpy array, got"):
        superresolve(bad, method="bicubic")


def test_list_error_names_the_type():
    with pytest.raises(TypeError, match="got list"):
        superresolve([[1.0]], method="bicubic")
    with pytest.raises(TypeError, match="got str"):
        superresolve("x.fits", method="bicubic")


@pytest.mark.parametrize("shape", [(4, 8, 8), (1, 16, 16), (16,), ()])
def test_not_2d_is_value_error(shape):
    with pytest.raises(ValueError, match="expected 2D data, got an array of shape " + re.escape(repr(shape))):
        superresolve(np.zeros(shape, np.float32), method="bicubic")


@pytest.mark.parametrize("method, minimum, shape", [
    ("bicubic", 2, (1, 1)),
    ("bicubic", 2, (1, 40)),
    ("rcan", 8, (7, 7)),
    ("rcan", 8, (64, 7)),
    ("linear", 7, (6, 30)),
])
def test_too_small_names_the_minimum(method, minimum, shape):
    with pytest.raises(ValueError, match=f"too small: this method needs at least {minimum}x{minimum} pixels"):
        superresolve(np.ones(shape, np.float32), method=method)


def test_minimum_size_is_accepted():
    out = superresolve(np.ones((2, 2), np.float32), method="bicubic")
    np.testing.assert_allclose(out, np.ones((8, 8)))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_is_type_error(dtype):
    with pytest.raises(TypeError, match="expected real numeric data, got dtype complex"):
        superresolve(np.ones((8, 8), dtype=dtype), method="bicubic")


@pytest.mark.parametrize("dtype", [bool, object, "U3"])
def test_non_numeric_dtype_is_type_error(dtype):
    with pytest.raises(TypeError, match="expected real numeric data"):
        superresolve(np.ones((8, 8)).astype(dtype), method="bicubic")


# ------------------------------------------------------------------ values


def test_all_nan_array_and_map():
    with pytest.raises(SunpySRError, match="no finite values"):
        superresolve(np.full((8, 8), np.nan, np.float32), method="bicubic")
    with pytest.warns(RuntimeWarning, match="All-NaN"):  # sunpy's HMIMap plot limits (nanmax)
        all_nan = make_map(np.full((16, 16), np.nan, np.float32))
    with pytest.raises(SunpySRError, match="no finite values"):
        superresolve(all_nan, method="bicubic")
    with pytest.raises(SunpySRError, match="no finite values"):
        superresolve(np.full((8, 8), np.inf, np.float32), method="bicubic")


def test_inf_treated_as_nan():
    data = np.random.default_rng(1).normal(0, 50, (16, 16)).astype(np.float32)
    data[3, 4] = np.inf
    data[10, 12] = -np.inf
    out = superresolve(data, method="bicubic")
    nan_in = ~np.isfinite(data)
    expected = np.repeat(np.repeat(nan_in, 4, 0), 4, 1)
    np.testing.assert_array_equal(np.isnan(out), expected)
    assert not np.isinf(out).any()
    # the same as giving NaN there
    with_nan = data.copy()
    with_nan[nan_in] = np.nan
    np.testing.assert_array_equal(out, superresolve(with_nan, method="bicubic"))
    # validate_input turns inf into NaN, in a copy
    v = validate_input(data)
    assert np.isnan(v[3, 4]) and np.isnan(v[10, 12]) and np.isinf(data[3, 4])


def test_as_float_array_is_a_native_copy():
    a = np.arange(6, dtype=">f8").reshape(2, 3)
    b = as_float_array(a)
    assert b.dtype == np.float32 and b.dtype.isnative and b.flags.c_contiguous
    b[0, 0] = 99
    assert a[0, 0] == 0


# ------------------------------------------------------------------ map metadata


def test_unknown_unit_furlong_is_rejected():
    # sunpy cannot parse a non-FITS unit: it warns (its own class), the map's unit is None
    with pytest.warns(SunpyMetadataWarning, match="furlong"):
        m = make_map(bunit="furlong", instrume="MAGCAM", telescop="ACME")
        with pytest.raises(SunpySRError, match="unknown or unsupported data unit 'furlong'"):
            superresolve(m, method="bicubic")


def test_missing_unit_is_rejected_unless_assumed():
    m = make_map(bunit=None)
    assert m.unit is None
    with pytest.raises(SunpySRError, match="unknown or unsupported data unit None"):
        superresolve(m, method="bicubic")
    sr = superresolve(m, method="bicubic", assume_magnetogram=True)
    assert sr.data.shape == (64, 64)


def test_non_field_unit_is_rejected():
    m = make_map(bunit="K")
    with pytest.raises(SunpySRError, match="unknown or unsupported data unit 'K'"):
        superresolve(m, method="bicubic")


def test_tesla_is_a_field_unit():
    m = make_map(bunit="T")
    sr = superresolve(m, method="bicubic")
    assert sr.unit == m.unit


def test_non_square_pixels_are_rejected():
    m = make_map(cdelt1=0.504, cdelt2=0.6)
    with pytest.raises(SunpySRError, match="pixels are not square"):
        superresolve(m, method="bicubic")
    # even when the product checks are skipped
    with pytest.raises(SunpySRError, match="resample the map first"):
        superresolve(m, method="bicubic", assume_magnetogram=True)
    # a sign flip is not a shape change
    superresolve(make_map(cdelt1=-0.504), method="bicubic")


def test_aia_map_is_rejected():
    m = make_map(instrume="AIA_3", telescop="SDO/AIA", bunit="DN", wavelnth=171, content=None,
                 waveunit="angstrom")
    assert type(m).__name__ == "AIAMap"
    with pytest.raises(SunpySRError, match="does not look like a LOS magnetogram"):
        superresolve(m, method="bicubic")


@pytest.mark.parametrize("content", ["DOPPLERGRAM", "CONTINUUM INTENSITY", "LINEWIDTH"])
def test_other_hmi_products_are_rejected(content):
    with pytest.raises(SunpySRError, match="assume_magnetogram=True"):
        superresolve(make_map(content=content), method="bicubic")


def test_non_hmi_magnetogram_warns_with_package_class():
    m = make_map(instrume="MAGCAM", telescop="ACME", bunit="G", content=None)
    with pytest.warns(SunpySRUserWarning, match="trained on SDO/HMI") as rec:
        sr = superresolve(m, method="rcan-fast")
    assert rec[0].filename == __file__  # at the caller's line, through the dispatch's frames
    assert sr.unit == u.G and sr.data.shape == (64, 64)


def test_classical_methods_get_no_warning_about_training():
    m = make_map(instrume="MAGCAM", telescop="ACME", bunit="G", content=None)
    for method in ("bicubic", "linear"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", SunpySRUserWarning)
            sr = superresolve(m, method=method)
        assert sr.data.shape == (64, 64)
