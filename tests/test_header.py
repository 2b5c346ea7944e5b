"""
Header arithmetic of a change of pixel scale (sunpy_sr.core.header) and the exactness of the
WCS through ``degrade`` and ``superresolve``.

The real sample (a level-1 HMI cutout, CROTA2 = 180.01, big-endian float32) is checked
against sunpy's own ``superpixel``; the round-trip properties are checked with hypothesis on
synthetic maps (no realism needed: only the header matters).
"""
import copy
import math

import astropy.units as u
import numpy as np
import pytest
import sunpy.map
from astropy.coordinates import SkyCoord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sunpy.coordinates import frames
from sunpy.util import MetaDict

import sunpy_sr
from sunpy_sr.api.pipeline import superresolve
from sunpy_sr.core.degradation import degrade
from sunpy_sr.core.header import STALE_KEYS, add_provenance, rescale_meta

# A handful of pixels (x, y), 0-based, used to compare two WCSs; scaled to each map's shape.
_FRACTIONS = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.5, 0.5), (0.13, 0.71), (0.9, 0.37)]

_OBSTIME = "2016-07-07T00:58:47.300"


def hmi_like_header(shape, *, crota2=180.0, cdelt=0.5, crpix=(10.5, 20.25), crval=(12.0, -30.0),
                    **extra):
    """A hand-written header shaped like a level-1 hmi.M_720s header (CROTA2 rotation)."""
    h = {
        "naxis": 2, "naxis1": shape[1], "naxis2": shape[0],
        "ctype1": "HPLN-TAN", "ctype2": "HPLT-TAN", "cunit1": "arcsec", "cunit2": "arcsec",
        "crpix1": crpix[0], "crpix2": crpix[1], "crval1": crval[0], "crval2": crval[1],
        "cdelt1": cdelt, "cdelt2": cdelt, "crota2": crota2,
        "telescop": "SDO/HMI", "instrume": "HMI_FRONT2", "content": "MAGNETOGRAM", "bunit": "Gauss",
        "date-obs": _OBSTIME, "t_obs": "2016.07.07_01:00:08.326_TAI",
        "dsun_obs": 152093947186.0, "hgln_obs": 0.067, "hglt_obs": 3.556, "rsun_obs": 943.9,
        "rsun_ref": 696000000.0, "wavelnth": 6173.0, "waveunit": "angstrom",
    }
    h.update(extra)
    return h


def pc_header(shape, *, rotation, cdelt, crpix, crval):
    """A header from sunpy.map.make_fitswcs_header (PCi_j rotation matrix)."""
    observer = SkyCoord(0.067 * u.deg, 3.556 * u.deg, 1.5209e11 * u.m,
                        frame=frames.HeliographicStonyhurst, obstime=_OBSTIME)
    ref = SkyCoord(crval[0] * u.arcsec, crval[1] * u.arcsec,
                   frame=frames.Helioprojective(observer=observer, obstime=_OBSTIME))
    # make_fitswcs_header takes a 0-based reference pixel
    return sunpy.map.make_fitswcs_header(
        shape, ref, reference_pixel=[crpix[0] - 1, crpix[1] - 1] * u.pix,
        scale=[cdelt, cdelt] * u.arcsec / u.pix, rotation_angle=rotation * u.deg,
        instrument="HMI", telescope="SDO/HMI", unit=u.G)


def synthetic_map(shape, *, rotation, cdelt, crpix, crval, use_pc, seed=0):
    data = np.random.default_rng(seed).normal(0, 100, shape).astype(np.float32)
    if use_pc:
        header = pc_header(shape, rotation=rotation, cdelt=cdelt, crpix=crpix, crval=crval)
    else:
        header = hmi_like_header(shape, crota2=rotation, cdelt=cdelt, crpix=crpix, crval=crval)
    return sunpy.map.Map(data, header)


def sample_pixels(shape):
    ny, nx = shape
    x = np.array([f[0] * (nx - 1) for f in _FRACTIONS])
    y = np.array([f[1] * (ny - 1) for f in _FRACTIONS])
    return x, y


def assert_same_wcs(a, b):
    """``a`` and ``b`` describe the same grid: header equal, pixels agree to 1e-6 px."""
    for axis in (1, 2):
        assert b.meta[f"crpix{axis}"] == pytest.approx(a.meta[f"crpix{axis}"], abs=1e-9, rel=0)
        assert b.meta[f"cdelt{axis}"] == a.meta[f"cdelt{axis}"]
        assert b.meta[f"crval{axis}"] == a.meta[f"crval{axis}"]
    assert b.data.shape == a.data.shape
    assert (b.meta["naxis1"], b.meta["naxis2"]) == (a.meta["naxis1"], a.meta["naxis2"])
    np.testing.assert_allclose(b.rotation_matrix, a.rotation_matrix, rtol=0, atol=1e-15)
    x, y = sample_pixels(a.data.shape)
    # world of a's pixels, back to pixels through b's WCS
    bx, by = b.wcs.world_to_pixel_values(*a.wcs.pixel_to_world_values(x, y))
    np.testing.assert_allclose(bx, x, rtol=0, atol=1e-6)
    np.testing.assert_allclose(by, y, rtol=0, atol=1e-6)
    # and the other way round
    ax, ay = a.wcs.world_to_pixel_values(*b.wcs.pixel_to_world_values(x, y))
    np.testing.assert_allclose(ax, x, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ay, y, rtol=0, atol=1e-6)


# ------------------------------------------------------------------ rescale_meta, by hand

@pytest.fixture
def full_meta():
    return MetaDict({
        "naxis1": 100, "naxis2": 80,
        "crpix1": 50.5, "crpix2": -3.25, "cdelt1": 0.504, "cdelt2": 0.504,
        "crval1": 12.0, "crval2": -7.5, "crota2": 180.013367,
        "pc1_1": -1.0, "pc1_2": 0.0002, "pc2_1": -0.0002, "pc2_2": -1.0,
        "cd1_1": -0.504, "cd1_2": 0.0001, "cd2_1": -0.0001, "cd2_2": -0.504,
        "r_sun": 1880.0, "x0_mp": 2047.0, "y0_mp": 2040.5, "imscl_mp": 0.504,
        "rsun_obs": 943.9, "dsun_obs": 1.52e11, "t_obs": "2016.07.07_01:00:08.326_TAI",
        "datamean": 0.65, "datamin": -2000.0, "datamax": 2100.0, "datarms": 120.0,
        "blank": -2147483648, "bzero": 0.0, "bscale": 1.0, "checksum": "abc", "datasum": "1",
        "missvals": 3, "totvals": 8000, "bunit": "Gauss", "history": "an old line",
    })


def test_rescale_meta_superresolution_by_hand(full_meta):
    new = rescale_meta(full_meta, 4, (320, 400))
    # CRPIX' = 4 * CRPIX - 1.5 (edges: the outer edge of the first pixel stays put)
    assert new["crpix1"] == 4 * 50.5 - 1.5 == 200.5
    assert new["crpix2"] == 4 * -3.25 - 1.5 == -14.5
    assert new["cdelt1"] == 0.504 / 4 == new["cdelt2"]
    assert (new["cd1_1"], new["cd1_2"], new["cd2_1"], new["cd2_2"]) == (-0.126, 0.000025, -0.000025, -0.126)
    # the rotation is unchanged
    assert new["crota2"] == 180.013367
    assert (new["pc1_1"], new["pc1_2"], new["pc2_1"], new["pc2_2"]) == (-1.0, 0.0002, -0.0002, -1.0)
    assert (new["crval1"], new["crval2"]) == (12.0, -7.5)
    assert (new["naxis1"], new["naxis2"]) == (400, 320)
    # pixel-unit keys: R_SUN x4, 0-based centre 4*(x+0.5)-0.5, IMSCL_MP / 4
    assert new["r_sun"] == 4 * 1880.0
    assert new["x0_mp"] == 4 * 2047.5 - 0.5 == 8189.5
    assert new["y0_mp"] == 4 * 2041.0 - 0.5 == 8163.5
    assert new["imscl_mp"] == 0.126
    # world quantities and other keys untouched
    for key in ("rsun_obs", "dsun_obs", "t_obs", "bunit", "history"):
        assert new[key] == full_meta[key]
    # stale statistics and storage keys dropped
    for key in ("datamean", "datamin", "datamax", "datarms", "blank", "bzero", "bscale",
                "checksum", "datasum", "missvals", "totvals"):
        assert key in full_meta
        assert key not in new
    assert isinstance(new, MetaDict)


def test_rescale_meta_degradation_by_hand(full_meta):
    new = rescale_meta(full_meta, 0.25, (20, 25))
    # superpixel rule: CRPIX' = (CRPIX - 0.5) / 4 + 0.5
    assert new["crpix1"] == (50.5 - 0.5) / 4 + 0.5 == 13.0
    assert new["crpix2"] == (-3.25 - 0.5) / 4 + 0.5 == -0.4375
    assert new["cdelt1"] == 0.504 * 4
    assert new["cd2_2"] == -0.504 * 4
    assert new["r_sun"] == 1880.0 / 4
    assert new["x0_mp"] == (2047.0 + 0.5) / 4 - 0.5
    assert (new["naxis1"], new["naxis2"]) == (25, 20)
    assert new["crota2"] == full_meta["crota2"]


def test_rescale_meta_does_not_modify_input(full_meta):
    before = copy.deepcopy(dict(full_meta))
    new = rescale_meta(full_meta, 4, (320, 400))
    assert dict(full_meta) == before
    assert new is not full_meta
    new["crota2"] = 0.0  # the copy is independent
    assert full_meta["crota2"] == 180.013367


def test_rescale_meta_plain_dict_and_missing_keys():
    new = rescale_meta({"crpix1": 1.0, "cdelt2": 2.0, "datamean": 5}, 4, (8, 12))
    assert new == {"crpix1": 2.5, "cdelt2": 0.5, "naxis1": 12, "naxis2": 8}
    assert type(new) is dict


@pytest.mark.parametrize("factor", [2, 3, 4, 8])
def test_rescale_meta_round_trip(full_meta, factor):
    back = rescale_meta(rescale_meta(full_meta, factor, (1, 1)), 1 / factor, (80, 100))
    for key in ("crpix1", "crpix2", "cdelt1", "cdelt2", "cd1_1", "cd2_2", "r_sun", "x0_mp", "y0_mp",
                "imscl_mp"):
        assert back[key] == pytest.approx(full_meta[key], rel=1e-14, abs=1e-12)


def test_stale_keys_are_lowercase_and_include_blank():
    assert all(k == k.lower() for k in STALE_KEYS)
    assert {"blank", "bzero", "bscale", "datamean", "checksum"} <= set(STALE_KEYS)


def test_add_provenance():
    meta = {"history": "first"}
    out = add_provenance(meta, history="second", srmethod="bicubic", SRFACTOR=4)
    assert out is meta
    assert meta["history"] == "first\nsecond"
    assert meta["srmethod"] == "bicubic" and meta["srfactor"] == 4
    fresh = add_provenance({}, history="only")
    assert fresh["history"] == "only"
    with pytest.raises(ValueError, match="longer than 8"):
        add_provenance({}, history="x", toolongkey=1)


# ------------------------------------------------------------------ degrade == superpixel on real HMI

@pytest.fixture(scope="module")
def real_sample():
    from sunpy_sr.data import sample
    m = sample.hmi_active_region()
    # what the sample is: real level-1 HMI, big-endian float32
    assert m.data.dtype == np.dtype(">f4")
    assert m.meta["crota2"] == pytest.approx(180.013367)
    return m


@pytest.mark.parametrize("method", ["gaussian-bilinear", "bin"])
def test_degrade_header_equals_superpixel_on_real_sample(real_sample, method):
    lr = degrade(real_sample, method=method)
    sp = real_sample.superpixel((4, 4) * u.pix)  # sum by default: compare the header only
    for key in ("crpix1", "crpix2", "cdelt1", "cdelt2", "crval1", "crval2", "crota2", "naxis1", "naxis2"):
        assert lr.meta[key] == pytest.approx(sp.meta[key], rel=1e-15, abs=1e-12), key
    assert lr.data.shape == sp.data.shape == (64, 64)
    np.testing.assert_allclose(lr.rotation_matrix, sp.rotation_matrix, rtol=0, atol=1e-15)
    px = [0, 10, 31, 63, 5.25] * u.pix
    py = [0, 50, 31, 63, 40.75] * u.pix
    c_lr = lr.pixel_to_world(px, py)
    c_sp = sp.pixel_to_world(px, py)
    assert np.all(c_lr.separation(c_sp) < 1e-6 * u.arcsec)
    # and the same sky lies under the same LR pixels
    back = sp.world_to_pixel(c_lr)
    np.testing.assert_allclose(back.x.value, px.value, atol=1e-6)
    np.testing.assert_allclose(back.y.value, py.value, atol=1e-6)


def test_degrade_bin_data_equals_superpixel_mean(real_sample):
    lr = degrade(real_sample, method="bin")
    sp = real_sample.superpixel((4, 4) * u.pix, func=np.mean)
    np.testing.assert_allclose(lr.data, sp.data, rtol=1e-5, atol=1e-3)
    # sum vs mean: the default superpixel is 16x the block mean
    np.testing.assert_allclose(real_sample.superpixel((4, 4) * u.pix).data, 16 * lr.data,
                               rtol=1e-4, atol=1e-2)


def test_sr_block_centre_maps_to_lr_pixel_on_real_sample(real_sample):
    """SR pixels 4i..4i+3 tile LR pixel i: their centre 4i+1.5 is the LR pixel centre."""
    sr = superresolve(real_sample, method="bicubic")
    i = np.array([0, 0, 17, 63, 255, 100])
    j = np.array([0, 255, 42, 128, 255, 3])
    lr_world = real_sample.pixel_to_world(i * u.pix, j * u.pix)
    sr_world = sr.pixel_to_world((4 * i + 1.5) * u.pix, (4 * j + 1.5) * u.pix)
    assert np.all(lr_world.separation(sr_world) < 1e-6 * u.arcsec)
    # outer edge of the first pixel stays where it was
    e_lr = real_sample.pixel_to_world(-0.5 * u.pix, -0.5 * u.pix)
    e_sr = sr.pixel_to_world(-0.5 * u.pix, -0.5 * u.pix)
    assert e_lr.separation(e_sr) < 1e-6 * u.arcsec
    # and the naive CRPIX' = 4 * CRPIX is 1.5 SR pixels off: the check above can fail
    naive = copy.deepcopy(sr.meta)
    naive["crpix1"] = 4 * real_sample.meta["crpix1"]
    naive_map = sr._new_instance(sr.data, naive)
    off = naive_map.pixel_to_world((4 * i + 1.5) * u.pix, (4 * j + 1.5) * u.pix)
    sep = lr_world.separation(off).to_value(u.arcsec)
    np.testing.assert_allclose(sep, 1.5 * sr.scale[0].value, rtol=1e-3)


# ------------------------------------------------------------------ properties on synthetic maps

_shapes = st.tuples(st.integers(2, 16), st.integers(2, 16)).map(lambda s: (4 * s[0], 4 * s[1]))
_maps = st.builds(
    synthetic_map,
    _shapes,
    rotation=st.floats(0, 360, exclude_max=True),
    cdelt=st.floats(0.1, 2.0),
    crpix=st.tuples(st.floats(-100, 100), st.floats(-100, 100)),
    crval=st.tuples(st.floats(-900, 900), st.floats(-900, 900)),
    use_pc=st.booleans(),
)
_settings = settings(max_examples=25, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.filterwarnings("ignore:the map's pixel scale:sunpy_sr.exceptions.SunpySRUserWarning")
@_settings
@given(m=_maps)
def test_superresolve_of_degrade_has_original_wcs(m):
    lr = degrade(m)
    assert lr.data.shape == (m.data.shape[0] // 4, m.data.shape[1] // 4)
    sr = superresolve(lr, method="bicubic")
    assert type(sr) is type(m)
    assert_same_wcs(m, sr)


@pytest.mark.filterwarnings("ignore:the map's pixel scale:sunpy_sr.exceptions.SunpySRUserWarning")
@_settings
@given(m=_maps)
def test_degrade_of_superresolve_has_original_wcs(m):
    sr = superresolve(m, method="bicubic")
    assert sr.data.shape == (4 * m.data.shape[0], 4 * m.data.shape[1])
    back = degrade(sr)
    assert_same_wcs(m, back)


@pytest.mark.filterwarnings("ignore:the map's pixel scale:sunpy_sr.exceptions.SunpySRUserWarning")
@_settings
@given(m=_maps)
def test_sr_block_centres_map_to_lr_centres(m):
    sr = superresolve(m, method="bicubic")
    x, y = sample_pixels(m.data.shape)
    x, y = np.round(x), np.round(y)  # LR pixel centres
    world_lr = m.wcs.pixel_to_world_values(x, y)
    sx, sy = sr.wcs.world_to_pixel_values(*world_lr)
    np.testing.assert_allclose(sx, 4 * x + 1.5, rtol=0, atol=1e-6)
    np.testing.assert_allclose(sy, 4 * y + 1.5, rtol=0, atol=1e-6)
    # SR scale is a quarter of LR's and the rotation matrix is unchanged
    assert sr.scale[0] == m.scale[0] / 4
    np.testing.assert_allclose(sr.rotation_matrix, m.rotation_matrix, atol=1e-15)


def test_cd_matrix_header_round_trip():
    """A header with a CDi_j matrix (no CDELT) is rescaled through CD and stays exact."""
    h = hmi_like_header((16, 24))
    for key in ("crota2", "cdelt1", "cdelt2"):
        del h[key]
    t, c = math.radians(33.0), 0.7
    h.update(cd1_1=c * math.cos(t), cd1_2=-c * math.sin(t), cd2_1=c * math.sin(t), cd2_2=c * math.cos(t))
    m = sunpy.map.Map(np.ones((16, 24), np.float32), h)
    sr = superresolve(m, method="bicubic")
    assert sr.meta["cd1_1"] == pytest.approx(c * math.cos(t) / 4, rel=1e-15)
    assert "cdelt1" not in sr.meta
    x, y = sample_pixels(m.data.shape)
    sx, sy = sr.wcs.world_to_pixel_values(*m.wcs.pixel_to_world_values(x, y))
    np.testing.assert_allclose(sx, 4 * x + 1.5, atol=1e-6)
    np.testing.assert_allclose(sy, 4 * y + 1.5, atol=1e-6)
    back = degrade(sr)
    bx, by = back.wcs.world_to_pixel_values(*m.wcs.pixel_to_world_values(x, y))
    np.testing.assert_allclose(bx, x, atol=1e-6)
    np.testing.assert_allclose(by, y, atol=1e-6)


def test_version_in_provenance_matches_package(real_sample):
    sr = superresolve(real_sample, method="bicubic")
    assert sr.meta["srvers"] == sunpy_sr.__version__


def test_a_super_resolved_map_is_named_after_its_method(tmp_path):
    import sunpy_sr
    from sunpy_sr.data import sample
    hmi = sample.hmi_active_region()
    out = sunpy_sr.superresolve(hmi, method="bicubic")
    assert out.name == "HMI (bicubic 4x) magnetogram 2016-07-07 00:58:47" != hmi.name
    assert hmi.name == "HMI magnetogram 2016-07-07 00:58:47"  # the input keeps its own
    sunpy_sr.save(out, tmp_path / "sr.fits")
    assert sunpy_sr.load(tmp_path / "sr.fits").name == out.name  # from SRMETHOD / SRFACTOR
    degraded = sunpy_sr.degrade(hmi)  # SRFACTOR 0.25: not super-resolved, its name is the input's
    assert degraded.name == hmi.name
