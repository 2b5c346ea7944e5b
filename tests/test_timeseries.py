"""
Beyond one map: `superresolve` and `degrade` of a MapSequence and an NDCube, the method built
once per series, and the uncertainty of a series (``uncertainty=True``: the calibrated error map;
``"ensemble"``: the spread of the 16-symmetry self-ensemble).

Real data: five 6-hourly snapshots of HARP 1449 (NOAA 11429, 2012-03-06/07) from
../shared/data/hmi/sharp-2012, cropped to 64^2 on the same pixels. The WCS round-trip
properties are checked with hypothesis on synthetic headers (only the header matters there,
as in tests/test_header.py).
"""
import astropy.units as u
import numpy as np
import pytest
import sunpy.map
from astropy.nddata import StdDevUncertainty
from astropy.wcs import WCS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ndcube import NDCube

import sunpy_sr
from sunpy_sr.api import prepare_method
from sunpy_sr.api.pipeline import superresolve
from sunpy_sr.core.degradation import degrade
from sunpy_sr.core.grid import SYMMETRIES, apply_symmetry, undo_symmetry
from sunpy_sr.core.header import celestial_array_axes, celestial_pixel_axes, rescale_wcs
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError
from sunpy_sr.methods import get_method

CROP = (500, 200, 64)  # x0, y0, size: 64^2 px of the delta spot region of HARP 1449


@pytest.fixture(scope="module")
def harp_maps(shared_data):
    """The five real 2012 snapshots of HARP 1449, each cropped to the same 64^2 pixels (Mx/cm^2)."""
    sharp_2012 = shared_data / "hmi" / "sharp-2012"
    files = sorted(sharp_2012.glob("hmi.sharp_cea_720s.1449.*.magnetogram.fits"))
    if len(files) != 5:
        pytest.skip(f"the 2012 SHARPs of HARP 1449 are not in {sharp_2012} "
                    "(../shared/data beside the repository)")
    x0, y0, n = CROP
    maps = [m.submap([x0, y0] * u.pix, top_right=[x0 + n - 1, y0 + n - 1] * u.pix)
            for m in sunpy.map.Map([str(f) for f in files])]
    assert all(m.data.shape == (n, n) for m in maps)
    assert np.nanmax(np.abs(maps[0].data)) > 1000  # the delta spot: a strong field
    return maps


@pytest.fixture(scope="module")
def seq(harp_maps):
    return sunpy.map.MapSequence(harp_maps)


def cube_wcs(m, *, order=("x", "y", "t")):
    """A 3D FITS WCS: the map's celestial axes and a 6-hour time axis, pixel axes in ``order``."""
    axes = {
        "x": (m.meta["ctype1"], "deg", m.meta["crpix1"], m.meta["cdelt1"], m.meta["crval1"]),
        "y": (m.meta["ctype2"], "deg", m.meta["crpix2"], m.meta["cdelt2"], m.meta["crval2"]),
        "t": ("TIME", "s", 1.0, 21600.0, 0.0),
    }
    w = WCS(naxis=3)
    columns = zip(*(axes[a] for a in order))
    w.wcs.ctype, w.wcs.cunit, w.wcs.crpix, w.wcs.cdelt, w.wcs.crval = (list(v) for v in columns)
    w.wcs.dateref = m.date.isot
    w.wcs.set()
    return w


@pytest.fixture(scope="module")
def cube(harp_maps):
    """The snapshots as an NDCube (time, y, x) in Mx/cm^2."""
    data = np.stack([np.asarray(m.data, dtype=np.float32) for m in harp_maps])
    return NDCube(data, wcs=cube_wcs(harp_maps[0]), unit=harp_maps[0].unit, meta={"harpnum": 1449})


def counting(monkeypatch, obj, name):
    """Replace ``obj.name`` by a wrapper counting its calls; returns the list of calls."""
    calls = []
    original = getattr(obj, name)

    def wrapper(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)
    monkeypatch.setattr(obj, name, wrapper)
    return calls


# ------------------------------------------------------------------ MapSequence

def test_sequence_is_each_map_super_resolved(seq, harp_maps):
    out = superresolve(seq, method="bicubic")
    assert isinstance(out, sunpy.map.MapSequence)
    assert len(out.maps) == 5
    for m, sr in zip(harp_maps, out.maps):
        alone = superresolve(m, method="bicubic")
        assert type(sr) is type(m)
        assert sr.data.shape == (256, 256)
        np.testing.assert_array_equal(sr.data, alone.data)
        assert dict(sr.meta) == dict(alone.meta)
        assert sr.meta["crpix1"] == 4 * m.meta["crpix1"] - 1.5
        assert sr.meta["cdelt2"] == m.meta["cdelt2"] / 4
        assert sr.date == m.date
    # order kept (the sequence is in time order)
    assert [m.date for m in out.maps] == [m.date for m in harp_maps]


@pytest.mark.parametrize("container", ["seq", "cube"])
def test_series_builds_the_network_once(container, request, monkeypatch, harp_maps):
    series = request.getfixturevalue(container)
    calls = counting(monkeypatch, get_method("rcan-fast"), "build")
    out = superresolve(series, method="rcan-fast")
    assert len(calls) == 1
    # ... and frame 2 is what a map on its own gives
    alone = superresolve(harp_maps[2], method="rcan-fast")
    assert len(calls) == 2
    frame = out.maps[2].data if container == "seq" else out.data[2]
    np.testing.assert_allclose(frame, alone.data, rtol=0, atol=1e-3)


def test_prepared_method_is_reused_across_calls(harp_maps, monkeypatch):
    calls = counting(monkeypatch, get_method("rcan-fast"), "build")
    prepared = prepare_method("rcan-fast")
    assert not calls  # built lazily, on the first map
    outs = [superresolve(m, method=prepared) for m in harp_maps[:3]]
    assert len(calls) == 1
    assert outs[0].meta["srmodel"] == "rcan-tiny" and outs[0].meta["srmethod"] == "rcan-fast"
    with pytest.raises(SunpySRTypeError, match="belong to prepare_method"):
        superresolve(harp_maps[0], method=prepared, ensemble=True)


def test_sequence_error_names_the_map(harp_maps):
    meta = harp_maps[1].meta.copy()
    meta["bunit"] = "DN"  # not a field unit
    bad = harp_maps[1]._new_instance(harp_maps[1].data, meta)
    with pytest.raises(SunpySRError, match="map 1 of the MapSequence.*unsupported data unit"):
        superresolve(sunpy.map.MapSequence([harp_maps[0], bad], sortby=None), method="bicubic")
    with pytest.raises(SunpySRError, match="out= is for a single map"):
        superresolve(sunpy.map.MapSequence(harp_maps), method="bicubic", out=np.empty((256, 256), np.float32))


def test_degrade_sequence(seq, harp_maps):
    lr = degrade(seq)
    assert isinstance(lr, sunpy.map.MapSequence)
    for m, d in zip(harp_maps, lr.maps):
        alone = degrade(m)
        np.testing.assert_array_equal(d.data, alone.data)
        assert d.meta["crpix1"] == (m.meta["crpix1"] - 0.5) / 4 + 0.5
    back = superresolve(lr, method="bicubic")
    for m, b in zip(harp_maps, back.maps):
        for key in ("crpix1", "crpix2", "cdelt1", "cdelt2", "crval1", "crval2", "naxis1", "naxis2"):
            assert b.meta[key] == m.meta[key], key


# ------------------------------------------------------------------ NDCube

def test_cube_wcs_values_unit_meta(cube, harp_maps):
    out = superresolve(cube, method="bicubic")
    assert isinstance(out, NDCube)
    assert out.data.shape == (5, 256, 256)
    assert out.unit == cube.unit == u.Mx / u.cm**2
    w0, w1 = cube.wcs.wcs, out.wcs.wcs
    # celestial axes: sunpy's rule; time axis untouched
    np.testing.assert_array_equal(w1.crpix, [4 * w0.crpix[0] - 1.5, 4 * w0.crpix[1] - 1.5, w0.crpix[2]])
    np.testing.assert_array_equal(w1.cdelt, [w0.cdelt[0] / 4, w0.cdelt[1] / 4, w0.cdelt[2]])
    np.testing.assert_array_equal(w1.crval, w0.crval)
    np.testing.assert_array_equal(w1.pc, w0.pc)
    assert list(w1.ctype) == list(w0.ctype)
    assert out.wcs.pixel_shape == (256, 256, 5)
    # SR block centres are LR pixel centres, at every time step
    x, y, t = np.array([0, 10, 63, 31]), np.array([0, 40, 63, 7]), np.array([0, 1, 4, 2])
    world = cube.wcs.pixel_to_world_values(x, y, t)
    sx, sy, st_ = out.wcs.world_to_pixel_values(*world)
    np.testing.assert_allclose(sx, 4 * x + 1.5, atol=1e-6)
    np.testing.assert_allclose(sy, 4 * y + 1.5, atol=1e-6)
    np.testing.assert_allclose(st_, t, atol=1e-9)
    # values: each frame as its map alone (Mx/cm^2 = G, so no conversion)
    for k in (0, 4):
        np.testing.assert_array_equal(out.data[k], superresolve(harp_maps[k], method="bicubic").data)
    # meta carried over with the provenance
    assert out.meta["harpnum"] == 1449
    assert out.meta["srmethod"] == "bicubic" and out.meta["srfactor"] == 4
    assert "harpnum" in cube.meta and "srmethod" not in cube.meta  # input untouched
    assert out.mask is None and out.uncertainty is None


def test_cube_in_tesla_is_converted(cube):
    tesla = NDCube(cube.data * np.float32(1e-4), wcs=cube.wcs, unit=u.T)
    out_t = superresolve(tesla, method="rcan-fast")
    out_g = superresolve(cube, method="rcan-fast")
    assert out_t.unit == u.T
    # a network fed tesla (1e-4 of gauss) would give a different field, not just a scaled one
    np.testing.assert_allclose(out_t.data * 1e4, out_g.data, rtol=1e-5, atol=2e-3)


def test_cube_mask_children_are_masked(cube):
    mask = np.zeros(cube.data.shape, dtype=bool)
    mask[1, 10, 20] = mask[3, 0, 63] = True
    masked = NDCube(cube.data, wcs=cube.wcs, unit=cube.unit, mask=mask)
    out = superresolve(masked, method="bicubic")
    expected = np.repeat(np.repeat(mask, 4, axis=1), 4, axis=2)
    np.testing.assert_array_equal(out.mask, expected)
    assert np.isnan(out.data[expected]).all() and np.isfinite(out.data[~expected]).all()
    # degradation: an LR pixel is masked when any pixel of its block is
    lr = degrade(masked)
    assert lr.mask.sum() == 2 and lr.mask[1, 2, 5] and lr.mask[3, 0, 15]
    assert np.isnan(lr.data[lr.mask]).all()


def test_cube_axis_order_does_not_matter(cube, harp_maps):
    """A cube stored (y, x, time) gives the same planes as (time, y, x)."""
    data = np.moveaxis(cube.data, 0, -1)  # (y, x, t): pixel axes (t, x, y)
    other = NDCube(data, wcs=cube_wcs(harp_maps[0], order=("t", "x", "y")), unit=cube.unit)
    assert celestial_array_axes(other.wcs) == (0, 1)
    assert celestial_array_axes(cube.wcs) == (1, 2)
    a = superresolve(cube, method="bicubic")
    b = superresolve(other, method="bicubic")
    np.testing.assert_array_equal(np.moveaxis(b.data, -1, 0), a.data)
    np.testing.assert_array_equal(b.wcs.wcs.crpix, [1.0, a.wcs.wcs.crpix[0], a.wcs.wcs.crpix[1]])


def test_cube_errors(cube):
    w = WCS(naxis=3)
    w.wcs.ctype = ["WAVE", "TIME", "STOKES"]
    w.wcs.set()
    with pytest.raises(SunpySRError, match="no celestial"):
        superresolve(NDCube(cube.data, wcs=w, unit=u.G), method="bicubic")
    with pytest.raises(SunpySRError, match="has no unit"):
        superresolve(NDCube(cube.data, wcs=cube.wcs), method="bicubic")
    out = superresolve(NDCube(cube.data, wcs=cube.wcs), method="bicubic", assume_magnetogram=True)
    assert out.unit is None
    with pytest.raises(SunpySRError, match="is too small"):
        superresolve(cube[:, :4, :4], method="rcan-fast")
    with pytest.raises(TypeError, match="expected a sunpy.map.GenericMap or a 2D numpy array, got list"):
        superresolve([cube], method="bicubic")


def test_cube_extra_coords_along_other_axes_carried(cube):
    from astropy.time import Time
    c = NDCube(cube.data, wcs=cube.wcs, unit=cube.unit)
    times = Time("2012-03-06T14:24") + np.arange(5) * 6 * u.h
    c.extra_coords.add("obs_time", 0, times)
    out = superresolve(c, method="bicubic")
    assert out.extra_coords.keys() == ("obs_time",)
    assert (out.axis_world_coords(wcs=out.extra_coords)[0] == times).all()
    # a coordinate along a celestial axis no longer fits the 4x grid: dropped, with a warning
    c.extra_coords.add("column", 2, np.arange(64) * u.pix)
    with pytest.warns(sunpy_sr.SunpySRUserWarning, match="dropped: column"):
        out = superresolve(c, method="bicubic")
    assert out.extra_coords.keys() == ("obs_time",)


# ------------------------------------------------------------------ rescale_wcs by hand

def test_rescale_wcs_cd_matrix_columns():
    w = WCS(naxis=3)
    w.wcs.ctype = ["HPLN-TAN", "HPLT-TAN", "TIME"]
    w.wcs.cd = [[0.4, -0.1, 0.0], [0.1, 0.4, 0.0], [0.0, 0.0, 60.0]]
    w.wcs.crpix = [10.0, -3.25, 2.0]
    w.wcs.set()
    new = rescale_wcs(w, 4)
    np.testing.assert_array_equal(new.wcs.cd, [[0.1, -0.025, 0.0], [0.025, 0.1, 0.0], [0.0, 0.0, 60.0]])
    np.testing.assert_array_equal(new.wcs.crpix, [38.5, -14.5, 2.0])
    assert w.wcs.crpix[0] == 10.0  # input untouched
    assert celestial_pixel_axes(w) == (0, 1)


def test_rescale_wcs_refuses_a_mixed_plane():
    w = WCS(naxis=3)
    w.wcs.ctype = ["HPLN-TAN", "HPLT-TAN", "TIME"]
    w.wcs.pc = [[1.0, 0.0, 0.1], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]  # longitude depends on time
    w.wcs.set()
    with pytest.raises(SunpySRError, match="depend on 3 pixel axes"):
        celestial_pixel_axes(w)


# ------------------------------------------------------------------ superresolve(degrade(x)) has x's WCS

_OBS = dict(dsun_obs=1.5209e11, hgln_obs=0.067, hglt_obs=3.556, rsun_ref=696000000.0)


def synthetic_header(shape, rotation, cdelt, crpix, crval):
    return {"naxis": 2, "naxis1": shape[1], "naxis2": shape[0], "ctype1": "HPLN-TAN", "ctype2": "HPLT-TAN",
            "cunit1": "arcsec", "cunit2": "arcsec", "crpix1": crpix[0], "crpix2": crpix[1],
            "crval1": crval[0], "crval2": crval[1], "cdelt1": cdelt, "cdelt2": cdelt, "crota2": rotation,
            "telescop": "SDO/HMI", "instrume": "HMI_FRONT2", "content": "MAGNETOGRAM", "bunit": "Gauss",
            "date-obs": "2016-07-07T00:58:47.300", **_OBS}


_shape = st.tuples(st.integers(2, 12), st.integers(2, 12)).map(lambda s: (4 * s[0], 4 * s[1]))
_grid = st.fixed_dictionaries({
    "rotation": st.floats(0, 360, exclude_max=True), "cdelt": st.floats(0.1, 2.0),
    "crpix": st.tuples(st.floats(-100, 100), st.floats(-100, 100)),
    "crval": st.tuples(st.floats(-900, 900), st.floats(-900, 900)),
})
_settings = settings(max_examples=20, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _same_world(w_a, w_b, pixels):
    np.testing.assert_allclose(w_b.world_to_pixel_values(*w_a.pixel_to_world_values(*pixels)),
                               np.asarray(pixels, dtype=float), rtol=0, atol=1e-6)


@pytest.mark.filterwarnings("ignore:the map's pixel scale:sunpy_sr.exceptions.SunpySRUserWarning")
@_settings
@given(shape=_shape, grids=st.lists(_grid, min_size=1, max_size=3))
def test_superresolve_of_degraded_sequence_has_its_wcs(shape, grids):
    rng = np.random.default_rng(0)
    maps = [sunpy.map.Map(rng.normal(0, 100, shape).astype(np.float32), synthetic_header(shape, **g))
            for g in grids]
    seq = sunpy.map.MapSequence(maps, sortby=None)
    back = superresolve(degrade(seq), method="bicubic")
    assert isinstance(back, sunpy.map.MapSequence) and len(back.maps) == len(maps)
    ny, nx = shape
    pixels = (np.array([0, nx - 1, 0.3 * nx, -0.5]), np.array([0, ny - 1, 0.7 * ny, -0.5]))
    for m, b in zip(maps, back.maps):
        assert b.data.shape == m.data.shape
        for key in ("crpix1", "crpix2"):
            assert b.meta[key] == pytest.approx(m.meta[key], abs=1e-9, rel=0)
        for key in ("cdelt1", "cdelt2", "crval1", "crval2", "crota2", "naxis1", "naxis2"):
            assert b.meta[key] == m.meta[key]
        _same_world(m.wcs, b.wcs, pixels)


def synthetic_cube(shape2d, nt, order, rotation, cdelt, crpix, crval, t_crpix, t_cdelt):
    """A cube with a TAN celestial plane (PC rotation) and a time axis, pixel axes in ``order``."""
    theta = np.deg2rad(rotation)
    spec = {
        "x": ("HPLN-TAN", "arcsec", crpix[0], cdelt, crval[0]),
        "y": ("HPLT-TAN", "arcsec", crpix[1], cdelt, crval[1]),
        "t": ("TIME", "s", t_crpix, t_cdelt, 0.0),
    }
    w = WCS(naxis=3)
    columns = zip(*(spec[a] for a in order))
    w.wcs.ctype, w.wcs.cunit, w.wcs.crpix, w.wcs.cdelt, w.wcs.crval = (list(v) for v in columns)
    pc = np.eye(3)
    ix, iy = order.index("x"), order.index("y")
    c, s = np.cos(theta), np.sin(theta)
    pc[ix, ix], pc[ix, iy], pc[iy, ix], pc[iy, iy] = c, -s, s, c
    w.wcs.pc = pc
    w.wcs.dateref = "2016-07-07T00:58:47.300"
    w.wcs.set()
    sizes = {"x": shape2d[1], "y": shape2d[0], "t": nt}
    array_shape = tuple(sizes[a] for a in order[::-1])
    data = np.random.default_rng(1).normal(0, 100, array_shape).astype(np.float32)
    return NDCube(data, wcs=w, unit=u.G)


@_settings
@given(shape=_shape, nt=st.integers(1, 3), order=st.permutations("xyt"), grid=_grid,
       t_crpix=st.floats(-5, 5), t_cdelt=st.floats(1, 1000))
def test_superresolve_of_degraded_cube_has_its_wcs(shape, nt, order, grid, t_crpix, t_cdelt):
    cube = synthetic_cube(shape, nt, tuple(order), t_crpix=t_crpix, t_cdelt=t_cdelt, **grid)
    lr = degrade(cube)
    back = superresolve(lr, method="bicubic")
    assert back.data.shape == cube.data.shape
    np.testing.assert_allclose(back.wcs.wcs.crpix, cube.wcs.wcs.crpix, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(back.wcs.wcs.cdelt, cube.wcs.wcs.cdelt)
    np.testing.assert_array_equal(back.wcs.wcs.crval, cube.wcs.wcs.crval)
    np.testing.assert_array_equal(back.wcs.wcs.get_pc(), cube.wcs.wcs.get_pc())
    assert back.wcs.pixel_shape == cube.data.shape[::-1]
    # the same world at a handful of pixels of every axis, through both WCSs
    size = cube.data.shape[::-1]  # pixel (WCS) order
    pixels = tuple(np.array([0, n - 1, 0.37 * n, -0.5]) for n in size)
    _same_world(cube.wcs, back.wcs, pixels)
    _same_world(back.wcs, cube.wcs, pixels)


# ------------------------------------------------------------------ uncertainty=True

def _corner(m, n=32):
    """The first ``n`` x ``n`` pixels of a map, as a map."""
    return m.submap([0, 0] * u.pix, top_right=[n - 1, n - 1] * u.pix)


def test_map_uncertainty(harp_maps):
    m = harp_maps[0]
    sr = superresolve(m, method="rcan-fast", uncertainty=True, threads=1)
    assert isinstance(sr.uncertainty, StdDevUncertainty)
    assert sr.uncertainty.unit == sr.unit == u.Mx / u.cm**2
    std = sr.uncertainty.array
    assert std.shape == sr.data.shape == (256, 256)
    assert np.all(std >= 0)
    assert np.median(std) > 1.0  # G: the calibrated error, not the 0.1-1 G of the ensemble spread
    assert "uncertainty" in sr.meta["history"]
    assert sr.meta["srerrmod"] == "rcan-tiny-errors"
    assert sr.meta["srmethod"] == "rcan-fast"


def test_uncertainty_is_the_spread_of_the_16_symmetries(harp_maps):
    x = np.nan_to_num(np.asarray(harp_maps[0].data[16:48, 16:48], dtype=np.float32))
    mean, std = superresolve(x, method="rcan-fast", uncertainty="ensemble", threads=1)  # array: (sr, std)
    # the data are the self-ensemble mean ...
    ens = superresolve(x, method="rcan-fast", ensemble=True, threads=1)
    np.testing.assert_allclose(mean, ens, rtol=0, atol=2e-3)
    # ... and the uncertainty the standard deviation (ddof 0) of the 16 outputs, computed here by hand
    single = get_method("rcan-fast").build()[0]
    outs = np.stack([undo_symmetry(single(np.ascontiguousarray(apply_symmetry(x, k, f, s))), k, f, s)
                     for k, f, s in SYMMETRIES])
    np.testing.assert_allclose(std, outs.std(axis=0), rtol=0, atol=2e-3)
    np.testing.assert_allclose(mean, outs.mean(axis=0), rtol=0, atol=2e-3)


def test_uncertainty_tiled_equals_untiled(harp_maps):
    a = np.nan_to_num(np.asarray(harp_maps[3].data[:40, :40], dtype=np.float32))
    prepared = prepare_method("rcan-fast", uncertainty=True)
    mean1, std1 = superresolve(a, method=prepared, tile_size=None, threads=1)
    mean2, std2 = superresolve(a, method=prepared, tile_size=20, threads=1)  # 2 x 2 tiles
    np.testing.assert_allclose(mean2, mean1, rtol=0, atol=1e-3)
    np.testing.assert_allclose(std2, std1, rtol=0, atol=1e-3)


def test_uncertainty_in_tesla_and_nan(harp_maps):
    m = _corner(harp_maps[0])
    data = np.asarray(m.data, dtype=np.float32).copy()
    data[:3, :5] = np.nan
    meta = m.meta.copy()
    meta["bunit"] = "T"
    m_t = sunpy.map.Map(data * np.float32(1e-4), meta)
    m_g = m._new_instance(data, m.meta)
    prepared = prepare_method("rcan-fast", uncertainty=True)
    sr_t = superresolve(m_t, method=prepared, threads=1)
    sr_g = superresolve(m_g, method=prepared, threads=1)
    assert sr_t.uncertainty.unit == u.T
    np.testing.assert_allclose(sr_t.uncertainty.array * 1e4, sr_g.uncertainty.array, rtol=1e-4, atol=2e-3)
    nan = np.isnan(sr_g.data)
    assert nan.sum() == 3 * 5 * 16
    np.testing.assert_array_equal(np.isnan(sr_g.uncertainty.array), nan)


def test_cube_uncertainty_and_one_load(cube, harp_maps, monkeypatch):
    import sunpy_sr.weights
    loads = counting(monkeypatch, sunpy_sr.weights, "load_network")
    part = cube[:2, :32, :32]  # a sliced cube (its WCS is a slice of the FITS WCS)
    out = superresolve(part, method="rcan-fast", uncertainty=True, threads=1)
    assert len(loads) == 1  # two frames, one network
    assert isinstance(out.uncertainty, StdDevUncertainty)
    assert out.uncertainty.unit == cube.unit
    assert out.uncertainty.array.shape == out.data.shape == (2, 128, 128)
    alone = superresolve(_corner(harp_maps[1]), method="rcan-fast", uncertainty=True, threads=1)
    np.testing.assert_allclose(out.uncertainty.array[1], alone.uncertainty.array, rtol=0, atol=1e-3)
    np.testing.assert_allclose(out.data[1], alone.data, rtol=0, atol=1e-3)
    np.testing.assert_array_equal(out.wcs.wcs.crpix[:2], 4 * cube.wcs.wcs.crpix[:2] - 1.5)


def test_ensemble_spread_needs_a_network(harp_maps):
    with pytest.raises(SunpySRError, match="needs a network method"):
        superresolve(harp_maps[0], method="bicubic", uncertainty="ensemble")
    with pytest.raises(SunpySRError, match="ensemble=False contradicts"):
        superresolve(harp_maps[0], method="rcan-fast", uncertainty="ensemble", ensemble=False)
    with pytest.raises(SunpySRError, match="needs a method prepared with it"):
        superresolve(harp_maps[0], method=prepare_method("rcan-fast"), uncertainty=True)


def test_public_names():
    import sunpy_sr.api
    assert sunpy_sr.superresolve is superresolve
    assert {"superresolve", "prepare_method", "PreparedMethod"} <= set(sunpy_sr.api.__all__)
    assert "uncertainty" in superresolve.__doc__ and "MapSequence" in superresolve.__doc__
