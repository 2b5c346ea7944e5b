"""
Tests of sunpy_sr.superresolve on real data: the bundled HMI cutouts, and (when present)
../shared/data (MDI, SHARP CEA, an HMI continuum map).
"""
import copy

import astropy.units as u
import numpy as np
import pytest
import sunpy.map

import sunpy_sr
from sunpy_sr.api.pipeline import superresolve
from sunpy_sr.exceptions import SunpySRError, SunpySRUserWarning

MDI_FULLDISK = ("mdi", "mdi.fd_M_96m_lev182.20101015_000000_TAI.data.fits")
HMI_CONTINUUM = ("other", "resampled_hmi.fits")


def _crop(smap, x0, y0, n):
    """An n x n pixel submap with bottom-left pixel (x0, y0)."""
    sub = smap.submap([x0, y0] * u.pix, top_right=[x0 + n - 1, y0 + n - 1] * u.pix)
    assert sub.data.shape == (n, n)
    return sub


@pytest.fixture(scope="module")
def sample():
    from sunpy_sr.data import sample as s
    return s.hmi_active_region()


@pytest.fixture(scope="module")
def sr_sample(sample):
    return superresolve(sample, method="bicubic")


# ------------------------------------------------------------------ the real sample


def test_output_class_shape_and_unit(sample, sr_sample):
    assert type(sr_sample).__name__ == "HMIMap"
    assert type(sr_sample) is type(sample)
    assert sr_sample.data.shape == (1024, 1024)
    assert sr_sample.data.dtype == np.float32
    assert sr_sample.unit == u.G
    assert sr_sample.meta["bunit"] == "Gauss"
    assert np.isfinite(sr_sample.data).all()


def test_header_arithmetic(sample, sr_sample):
    for axis in (1, 2):
        assert sr_sample.meta[f"cdelt{axis}"] == sample.meta[f"cdelt{axis}"] / 4
        assert sr_sample.meta[f"crpix{axis}"] == pytest.approx(4 * sample.meta[f"crpix{axis}"] - 1.5,
                                                               rel=1e-15, abs=1e-12)
        assert sr_sample.meta[f"crval{axis}"] == sample.meta[f"crval{axis}"]
    assert sr_sample.meta["naxis1"] == sr_sample.meta["naxis2"] == 1024
    assert sr_sample.scale[0] == sample.scale[0] / 4
    # the centre of the map is the same point on the Sun
    assert sr_sample.center.separation(sample.center) < 1e-6 * u.arcsec
    # sample values: CRPIX1 = 990.84863 -> 3961.89452
    assert sr_sample.meta["crpix1"] == pytest.approx(3961.89452, abs=1e-9)


def test_observer_and_dates_kept(sample, sr_sample):
    for key in ("rsun_obs", "dsun_obs", "crota2", "t_obs", "t_rec", "date-obs", "crln_obs", "crlt_obs",
                "telescop", "instrume", "content", "wavelnth", "origfile", "origser", "origpix"):
        assert sr_sample.meta[key] == sample.meta[key], key
    assert sr_sample.meta["crota2"] == pytest.approx(180.013367)
    assert sr_sample.date == sample.date
    assert sr_sample.rsun_obs == sample.rsun_obs
    o1, o2 = sr_sample.observer_coordinate, sample.observer_coordinate
    assert o1.lon == o2.lon and o1.lat == o2.lat and o1.radius == o2.radius
    np.testing.assert_array_equal(sr_sample.rotation_matrix, sample.rotation_matrix)


def test_provenance(sample, sr_sample):
    assert sr_sample.meta["srmethod"] == "bicubic"
    assert sr_sample.meta["srfactor"] == 4
    assert sr_sample.meta["srvers"] == sunpy_sr.__version__
    assert "srmodel" not in sr_sample.meta  # not a network
    last = sr_sample.meta["history"].splitlines()[-1]
    assert "sunpy_sr" in last and "bicubic" in last and "4x" in last
    # the original history is kept in front
    assert sr_sample.meta["history"].startswith(sample.meta["history"])
    # statistics of the old array are gone
    assert "datamean" in sample.meta and "datamean" not in sr_sample.meta


def test_input_map_unchanged():
    from sunpy_sr.data import sample as s
    m = s.hmi_active_region()
    data_before = np.array(m.data, copy=True)
    meta_before = copy.deepcopy(dict(m.meta))
    assert m.data.dtype == np.dtype(">f4")
    superresolve(m, method="bicubic")
    np.testing.assert_array_equal(m.data, data_before)
    assert m.data.dtype == np.dtype(">f4")
    assert dict(m.meta) == meta_before


def test_bicubic_values(sample, sr_sample):
    """Bicubic is an interpolation: each 4x4 child block averages close to its parent."""
    lr = np.asarray(sample.data, dtype=np.float64)
    block_mean = sr_sample.data.reshape(256, 4, 256, 4).mean(axis=(1, 3))
    inner = (slice(2, -2), slice(2, -2))
    corr = np.corrcoef(block_mean[inner].ravel(), lr[inner].ravel())[0, 1]
    assert corr > 0.97
    # a constant input gives exactly that constant back (cubic weights sum to 1)
    const = superresolve(np.full((16, 16), 42.0, np.float32), method="bicubic")
    np.testing.assert_allclose(const, 42.0, rtol=1e-6)
    # a row profile is interpolated with the Keys (1981) kernel, a = -0.75, at the phases of the
    # output grid: output j <-> input x = (j + 0.5) / 4 - 0.5 (computed here by hand)
    row = np.random.default_rng(5).normal(0, 100, 32)
    img = np.tile(row, (16, 1)).astype(np.float32)  # constant along y: only x interpolation matters
    out = superresolve(img, method="bicubic")

    def keys(s, a=-0.75):
        s = abs(s)
        if s <= 1:
            return (a + 2) * s**3 - (a + 3) * s**2 + 1
        return a * s**3 - 5 * a * s**2 + 8 * a * s - 4 * a if s < 2 else 0.0

    for j in range(8, 120):
        x = (j + 0.5) / 4 - 0.5
        i0 = int(np.floor(x))
        t = x - i0
        expected = sum(keys(t - k) * row[i0 + k] for k in (-1, 0, 1, 2))
        assert out[30, j] == pytest.approx(expected, abs=1e-3), j
    # this kernel does not reproduce a linear ramp exactly (only a = -0.5 would)
    ramp = superresolve(np.tile(np.arange(32, dtype=np.float32), (8, 1)), method="bicubic")
    assert ramp[4, 40] == pytest.approx(9.625 - 0.029296875, abs=1e-5)  # x = 40.5 / 4 - 0.5


def test_tiling_does_not_change_the_result(sample, sr_sample):
    tiled = superresolve(sample, method="bicubic", tile_size=48)
    np.testing.assert_allclose(tiled.data, sr_sample.data, rtol=0, atol=1e-3)


# ------------------------------------------------------------------ the limb sample (NaN off the disk)


@pytest.mark.parametrize("tile_size", [None, 64])
def test_limb_nan_exactly_under_nan_parents(limb_map, tile_size):
    nan = np.isnan(limb_map.data)
    assert 0.1 < nan.mean() < 0.2
    sr = superresolve(limb_map, method="bicubic", tile_size=tile_size)
    expected = np.repeat(np.repeat(nan, 4, axis=0), 4, axis=1)
    np.testing.assert_array_equal(np.isnan(sr.data), expected)
    assert np.isfinite(sr.data[~expected]).all()
    # on-disk output near the limb is not polluted by the fill value: its scale is the disk's
    assert np.abs(sr.data[~expected]).max() < 1.5 * np.nanmax(np.abs(limb_map.data))


# ------------------------------------------------------------------ arrays


def test_array_in_array_out_equals_map_path(sample, sr_sample):
    out = superresolve(np.asarray(sample.data), method="bicubic")
    assert type(out) is np.ndarray
    assert out.dtype == np.float32 and out.shape == (1024, 1024)
    np.testing.assert_array_equal(out, sr_sample.data)


def test_big_endian_array_equals_native(sample):
    native = np.array(sample.data[:64, :64], dtype=np.float32)
    big = native.astype(">f4")
    assert big.dtype.byteorder == ">"
    out_big = superresolve(big, method="bicubic")
    out_native = superresolve(native, method="bicubic")
    np.testing.assert_array_equal(out_big, out_native)
    assert out_big.dtype == np.dtype("float32") and out_big.dtype.isnative
    np.testing.assert_array_equal(big, native)  # input untouched
    # float64 and int16 input work too
    np.testing.assert_allclose(superresolve(native.astype(">f8"), method="bicubic"), out_native,
                               rtol=1e-6, atol=1e-4)
    ints = np.round(native).astype(np.int16)
    np.testing.assert_allclose(superresolve(ints, method="bicubic"),
                               superresolve(ints.astype(np.float32), method="bicubic"))


def test_unknown_method_lists_registered(sample):
    with pytest.raises(ValueError, match="unknown method 'srgan'") as exc:
        superresolve(sample, method="srgan")
    for name in ("bicubic", "linear", "rcan"):
        assert name in str(exc.value)
    assert set(sunpy_sr.available_methods()) >= {"bicubic", "linear", "rcan"}


def test_bicubic_rejects_options(sample):
    with pytest.raises(TypeError, match="bicubic takes no options"):
        superresolve(sample, method="bicubic", weights="x.pt")


def test_out_preallocated(sample):
    crop = np.array(sample.data[:32, :32], dtype=np.float32)
    out = np.zeros((128, 128), np.float32)
    res = superresolve(crop, method="bicubic", out=out)
    assert res is out
    np.testing.assert_array_equal(out, superresolve(crop, method="bicubic"))


# ------------------------------------------------------------------ the network (small crop)


def test_rcan_on_small_crop(sample):
    crop = _crop(sample, 96, 96, 64)
    sr = superresolve(crop, method="rcan")
    assert type(sr).__name__ == "HMIMap"
    assert sr.data.shape == (256, 256) and sr.data.dtype == np.float32
    assert np.isfinite(sr.data).all()
    assert sr.meta["srmethod"] == "rcan"
    assert sr.meta["srmodel"] == "rcan-lite"
    assert "rcan-lite" in sr.meta["history"].splitlines()[-1]
    assert sr.meta["crpix1"] == pytest.approx(4 * crop.meta["crpix1"] - 1.5, rel=1e-15)
    # a real super-resolution of this field, not noise: close to bicubic, but not bicubic
    bic = superresolve(crop, method="bicubic")
    corr = np.corrcoef(sr.data.ravel(), bic.data.ravel())[0, 1]
    assert corr > 0.95
    assert np.abs(sr.data - bic.data).mean() > 0.01
    # child blocks average back close to the parent field (flux density is kept)
    parents = sr.data.reshape(64, 4, 64, 4).mean(axis=(1, 3))
    lr = np.asarray(crop.data, dtype=np.float32)
    assert np.sqrt(np.mean((parents - lr) ** 2)) < 0.25 * lr.std()


# ------------------------------------------------------------------ other real data (../shared/data)


@pytest.mark.realdata
def test_mdi_fulldisk_works_with_warning(shared_data):
    mdi = sunpy.map.Map(shared_data.joinpath(*MDI_FULLDISK))
    crop = _crop(mdi, 496, 496, 32)  # near disk centre
    with pytest.warns(SunpySRUserWarning, match="trained on SDO/HMI.*MDI") as rec, \
            pytest.warns(SunpySRUserWarning, match=r"pixel scale is 1\.98\d arcsec/pixel.*0\.504") as scale:
        sr = superresolve(crop, method="rcan-fast")
    assert rec[0].filename == __file__  # the warning points at the caller
    assert scale[0].filename == __file__
    assert type(sr).__name__ == "MDIMap"
    assert sr.unit == u.G
    assert sr.data.shape == (128, 128)
    assert sr.meta["cdelt1"] == pytest.approx(crop.meta["cdelt1"] / 4, rel=1e-15)
    assert np.isfinite(sr.data).all()


@pytest.mark.realdata
def test_sharp_cea_works_unit_kept(sharp_377):
    crop = _crop(sharp_377, 300, 150, 48)
    assert crop.unit == u.Mx / u.cm**2
    sr = superresolve(crop, method="bicubic")
    assert type(sr).__name__ == "HMIMap"
    assert sr.unit == u.Mx / u.cm**2
    assert sr.meta["bunit"] == crop.meta["bunit"]
    assert sr.data.shape == (192, 192)
    assert sr.scale[0] == crop.scale[0] / 4
    assert sr.scale[0].unit == u.deg / u.pix  # CEA grid in degrees
    assert sr.meta["crpix2"] == pytest.approx(4 * crop.meta["crpix2"] - 1.5, rel=1e-15)
    np.testing.assert_allclose(sr.data.reshape(48, 4, 48, 4).mean(axis=(1, 3)).mean(),
                               np.mean(crop.data), rtol=0.02, atol=2)


@pytest.mark.realdata
def test_hmi_continuum_is_rejected(shared_data):
    cont = sunpy.map.Map(shared_data.joinpath(*HMI_CONTINUUM))
    with pytest.raises(SunpySRError, match="does not look like a LOS magnetogram.*continuum"):
        superresolve(cont, method="bicubic")
    sr = superresolve(cont, method="bicubic", assume_magnetogram=True)
    assert sr.data.shape == (400, 400)
    assert sr.unit == cont.unit == u.DN / u.s
    assert sr.meta["srmethod"] == "bicubic"


@pytest.mark.realdata
def test_hinode_sp_file_is_not_a_map(shared_data):
    """sunpy itself cannot read it as a map (the CLI test checks the user-facing error)."""
    from sunpy.map.mapbase import MapMetaValidationError
    from sunpy.util.exceptions import SunpyUserWarning
    with pytest.warns(SunpyUserWarning, match="more than 2 dimensions"), \
            pytest.raises(MapMetaValidationError, match="spherical coordinate"):
        sunpy.map.Map(shared_data / "hinode" / "HinodeSOT.fits")


@pytest.mark.realdata
def test_fulldisk_crop_block_centres(fulldisk_2016):
    """A crop of the real full-disk map: SR block centres are the LR pixel centres on the sky."""
    crop = _crop(fulldisk_2016, 2000, 2000, 32)
    sr = superresolve(crop, method="bicubic")
    i = np.array([0, 5, 31])
    j = np.array([31, 16, 0])
    c_lr = crop.pixel_to_world(i * u.pix, j * u.pix)
    c_sr = sr.pixel_to_world((4 * i + 1.5) * u.pix, (4 * j + 1.5) * u.pix)
    assert np.all(c_lr.separation(c_sr) < 1e-6 * u.arcsec)


def test_the_output_has_the_input_colour_scale_without_a_pass_over_it(sample_map, monkeypatch):
    # sunpy's HMIMap would set a symmetric scale from nanmax(abs(output)): a 1 GB copy on a full disk
    import sunpy.map.sources.sdo

    def forbidden(self):
        raise AssertionError("the colour scale was recomputed from the output")
    monkeypatch.setattr(sunpy.map.sources.sdo.HMIMap, "_set_symmetric_vmin_vmax", forbidden)
    norm = sample_map.plot_settings["norm"]
    before = (norm.vmin, norm.vmax)
    out = sunpy_sr.superresolve(sample_map, method="bicubic")
    assert out.plot_settings["norm"] is not norm  # a copy: the input's is not shared
    assert (out.plot_settings["norm"].vmin, out.plot_settings["norm"].vmax) == before == (-996.0, 996.0)
    assert (norm.vmin, norm.vmax) == before  # the input's is not modified
    assert out.plot_settings["cmap"] == sample_map.plot_settings["cmap"]
