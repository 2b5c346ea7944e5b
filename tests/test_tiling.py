"""Tiled inference equals untiled inference; off-disk tiles are skipped."""
import numpy as np
import pytest

import sunpy_sr
from sunpy_sr.inference.tiling import run_tiled, tile_slices
from sunpy_sr.methods import available_methods


def test_tile_slices_cover_once():
    seen = np.zeros((70, 45), int)
    for rs, cs, prs, pcs in tile_slices(seen.shape, 16, 5):
        seen[rs, cs] += 1
        assert prs.start == max(rs.start - 5, 0) and pcs.stop == min(cs.stop + 5, 45)
        assert rs.stop - rs.start in (14, 15) and cs.stop - cs.start == 15  # even split, <= 16
    assert (seen == 1).all()


def test_tile_plan_follows_the_disk():
    """With an off-disk mask, cores cover every on-disk pixel once and stay near the limb."""
    yy, xx = np.mgrid[:300, :340]
    skip = (yy - 150.3) ** 2 + (xx - 171.8) ** 2 > 130 ** 2
    seen = np.zeros(skip.shape, int)
    plan = list(tile_slices(skip.shape, 64, 7, skip))
    for rs, cs, prs, _pcs in plan:
        seen[rs, cs] += 1
        assert rs.stop - rs.start <= 64 and cs.stop - cs.start <= 64
        assert not skip[rs, cs].all()
        assert (prs.start, prs.stop) == (max(rs.start - 7, 0), min(rs.stop + 7, 300))
    assert (seen[~skip] == 1).all() and seen.max() == 1
    core_area = (seen > 0).sum()
    # the cores of a regular 64-px grid (minus all-off-disk tiles) cover 1.66x the disk here
    assert core_area < 1.15 * (~skip).sum()
    assert list(tile_slices(skip.shape, 64, 7, np.ones_like(skip))) == []


@pytest.fixture(scope="module")
def real_crop_512():
    """A real 512x512 HMI crop (2016-07-07, near disk centre, held out from training)."""
    from conftest import FULLDISK_2016
    if not FULLDISK_2016.exists():
        pytest.skip(f"real data not found at {FULLDISK_2016}")
    import sunpy.map
    m = sunpy.map.Map(FULLDISK_2016)
    return np.asarray(m.data[1792:2304, 1792:2304], dtype=np.float32)


@pytest.mark.parametrize("method", available_methods())
def test_tiled_equals_untiled(method, real_crop_512):
    big = method in ("rcan", "progan")  # the slower networks on a 256^2 crop
    data = real_crop_512[:256, :256] if big else real_crop_512
    whole = sunpy_sr.superresolve(data, method=method, tile_size=None)
    tiled = sunpy_sr.superresolve(data, method=method, tile_size=96 if big else 100)
    assert np.isfinite(whole).all()
    np.testing.assert_allclose(tiled, whole, rtol=0, atol=2e-3)  # G; float32 rounding only


def test_too_little_padding_would_show_seams(real_crop_512):
    """The padding matters: without it the tiled result differs (so the test above can fail)."""
    from sunpy_sr.methods import get_method
    func, radius = get_method("linear").build()
    data = real_crop_512[:200, :200]
    whole = run_tiled(func, data, scale=4, pad=radius, tile=None)
    seams = run_tiled(func, data, scale=4, pad=0, tile=64)
    assert np.abs(seams - whole).max() > 1.0


def test_offdisk_tiles_are_skipped_on_the_real_full_disk(fulldisk_2016):
    data = np.asarray(fulldisk_2016.data, dtype=np.float32)
    nan = np.isnan(data)
    calls = []

    def fake(a):  # nearest-neighbour 4x, counting calls
        calls.append(a.shape)
        return np.repeat(np.repeat(a, 4, 0), 4, 1)

    out = run_tiled(fake, np.where(nan, 0, data), scale=4, pad=2, tile=512, skip=nan)
    plan = list(tile_slices(data.shape, 512, 2, nan))
    assert len(calls) == len(plan) < 64  # fewer tiles than the 8x8 grid of a 4096^2 disk
    computed = sum(a[0] * a[1] for a in calls)
    disk = (~nan).sum()
    assert disk < computed < 1.2 * disk  # a regular 512 grid with this padding computes 1.8x the disk
    # nothing computed in the off-limb corner; every on-disk output pixel was written
    assert np.isnan(out[:1600, :1600]).all()
    assert not np.isnan(out[::4, ::4][~nan]).any()


def test_fulldisk_nan_exactly_off_limb(fulldisk_2016):
    """The real full disk, bicubic: output NaN exactly where the input is off-limb."""
    sr = sunpy_sr.superresolve(fulldisk_2016, method="bicubic", tile_size=1024)
    nan = np.isnan(fulldisk_2016.data)
    sr_nan = np.isnan(sr.data)
    assert sr_nan.shape == (16384, 16384)
    # compare block-wise without materialising the 16384^2 repeat of the mask twice
    np.testing.assert_array_equal(sr_nan[::4, ::4], nan)
    np.testing.assert_array_equal(sr_nan[3::4, 3::4], nan)
    assert sr_nan.sum() == 16 * nan.sum()


def test_parallel_tiles_equal_serial_and_restore_threads(real_crop_512):
    """Tiles computed by several workers give the same map; torch's thread setting survives."""
    import torch
    data = real_crop_512[:300, :300]
    serial = sunpy_sr.superresolve(data, method="linear", tile_size=64, threads=1)
    before = torch.get_num_threads()
    parallel = sunpy_sr.superresolve(data, method="linear", tile_size=64, threads=3, tile_workers=3)
    assert torch.get_num_threads() == before
    np.testing.assert_array_equal(parallel, serial)
    with pytest.raises(ValueError, match="threads"):
        sunpy_sr.superresolve(data, method="linear", threads=0)


def test_self_ensemble_is_equivariant_and_tiles_exactly(real_crop_512):
    """ensemble=True averages over the 16 training symmetries: the result commutes with them."""
    data = real_crop_512[:80, :72]
    ens = sunpy_sr.superresolve(data, method="rcan-fast", ensemble=True, tile_size=None)
    rotated = sunpy_sr.superresolve(np.rot90(data), method="rcan-fast", ensemble=True, tile_size=None)
    negated = sunpy_sr.superresolve(-data, method="rcan-fast", ensemble=True, tile_size=None)
    np.testing.assert_allclose(rotated, np.rot90(ens), atol=1e-3)
    np.testing.assert_allclose(negated, -ens, atol=1e-3)
    # a single pass is not equivariant, so the two assertions above can fail
    single = sunpy_sr.superresolve(data, method="rcan-fast", tile_size=None)
    single_rot = sunpy_sr.superresolve(np.rot90(data), method="rcan-fast", tile_size=None)
    assert np.abs(single_rot - np.rot90(single)).max() > 0.01
    tiled = sunpy_sr.superresolve(data, method="rcan-fast", ensemble=True, tile_size=32)
    np.testing.assert_allclose(tiled, ens, atol=2e-3)


def test_unfilled_skipped_tiles_are_set_by_restore_nan():
    from sunpy_sr.core.grid import restore_nan
    from sunpy_sr.inference.tiling import run_tiled
    rng = np.random.default_rng(1)
    data = rng.normal(0, 100, (96, 96)).astype(np.float32)
    yy, xx = np.mgrid[:96, :96]
    bad = np.hypot(yy - 47.5, xx - 47.5) > 40  # a disk: the corner tiles are skipped
    data[bad] = np.nan

    def up(a):
        return np.repeat(np.repeat(np.nan_to_num(a), 2, axis=0), 2, axis=1)
    filled = run_tiled(up, data, scale=2, pad=1, tile=24, skip=bad)
    sentinel = np.full((192, 192), 7.0, np.float32)
    run_tiled(up, data, scale=2, pad=1, tile=24, skip=bad, out=sentinel, fill_skipped=False)
    assert (sentinel == 7.0).sum() > 1000  # the skipped tiles were left as they were
    restore_nan(sentinel, bad, 2)
    restore_nan(filled, bad, 2)
    np.testing.assert_array_equal(sentinel, filled)
