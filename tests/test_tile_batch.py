"""Tiles batched by shape (``tile_batch``, the GPU path) give the per-tile and the untiled result."""
import warnings

import numpy as np
import pytest

import sunpy_sr
from sunpy_sr.exceptions import SunpySRUserWarning
from sunpy_sr.inference import network_runner, run_tiled, tile_slices
from sunpy_sr.inference.runner import AUTO_MEMORY_FRACTION, TILE_MEMORY_TENSORS, auto_tile_batch
from sunpy_sr.inference.tiling import tile_batches


def _disk(shape=(150, 140), radius=62, seed=0):
    """A synthetic magnetogram (G): a noisy field on a disk, NaN off it, so the plan has varied shapes."""
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    rng = np.random.default_rng(seed)
    data = rng.normal(0, 80, shape).astype(np.float32) + 300 * np.sin(xx / 9.0).astype(np.float32)
    data[(yy - shape[0] / 2 + 0.5) ** 2 + (xx - shape[1] / 2 + 0.2) ** 2 > radius ** 2] = np.nan
    return data


def test_batches_group_tiles_by_padded_shape():
    skip = np.isnan(_disk())
    plan = list(tile_slices(skip.shape, 32, 9, skip))
    batches = tile_batches(plan, 3)
    shapes = [{(p[2].stop - p[2].start, p[3].stop - p[3].start) for p in b} for b in batches]
    assert all(len(s) == 1 for s in shapes)  # one padded shape per batch
    assert all(1 <= len(b) <= 3 for b in batches)
    assert sorted(t for b in batches for t in b) == sorted(plan)  # every tile once
    assert len({s.pop() for s in shapes}) > 1  # the limb and border tiles have other shapes
    assert max(len(b) for b in batches) == 3 and len(batches) < len(plan)
    assert [len(b) for b in tile_batches(plan, 1)] == [1] * len(plan)


@pytest.fixture(scope="module")
def tiny_rcan():
    from conftest import trained_like

    from sunpy_sr.models.rcan import RCAN
    return trained_like(RCAN(n_groups=1, n_blocks=1, n_feats=4, reduction=2, ca_window=3, up_feats=4))


def test_batched_tiling_equals_per_tile_and_untiled(tiny_rcan):
    data = _disk()
    skip = np.isnan(data)
    filled = np.where(skip, 0, data).astype(np.float32)
    pad = tiny_rcan.receptive_radius()
    batch_shapes = []
    hook = tiny_rcan.register_forward_pre_hook(lambda m, args: batch_shapes.append(tuple(args[0].shape)))
    try:
        whole = run_tiled(network_runner(tiny_rcan), filled, scale=4, pad=pad, tile=None)
        per_tile = run_tiled(network_runner(tiny_rcan), filled, scale=4, pad=pad, tile=32, skip=skip)
        del batch_shapes[:]
        batched = run_tiled(network_runner(tiny_rcan, tile_batch=4), filled, scale=4, pad=pad, tile=32,
                            skip=skip, batch=4)
    finally:
        hook.remove()
    plan = list(tile_slices(data.shape, 32, pad, skip))
    # one forward pass per batch, each a stack of tiles of one shape, several tiles in most
    assert [n for n, *_ in batch_shapes] == [len(b) for b in tile_batches(plan, 4)]
    assert sum(n for n, *_ in batch_shapes) == len(plan) and max(n for n, *_ in batch_shapes) == 4
    assert len(batch_shapes) < len(plan) / 2
    written = ~np.isnan(per_tile)
    np.testing.assert_array_equal(np.isnan(batched), ~written)
    assert written[::4, ::4][~skip].all()
    np.testing.assert_allclose(batched[written], per_tile[written], rtol=0, atol=1e-3)  # G
    np.testing.assert_allclose(batched[written], whole[written], rtol=0, atol=1e-3)
    assert np.abs(whole[written]).max() > 100  # the field is not trivially small


@pytest.mark.parametrize("kwargs", [{}, {"uncertainty": True}, {"consistent": True},
                                    {"uncertainty": "ensemble"}], ids=["plain", "error-map", "consistent",
                                                                      "spread"])
def test_superresolve_tile_batch_does_not_change_the_result(monkeypatch, kwargs):
    from sunpy_sr.api import single
    data = _disk()
    batches = []

    def spy(*args, **kw):
        batches.append(kw["batch"])
        return run_tiled(*args, **kw)
    whole = sunpy_sr.superresolve(data, method="rcan-fast", tile_size=None, **kwargs)
    per_tile = sunpy_sr.superresolve(data, method="rcan-fast", tile_size=40, **kwargs)
    monkeypatch.setattr(single, "run_tiled", spy)
    batched = sunpy_sr.superresolve(data, method="rcan-fast", tile_size=40, tile_batch=3, **kwargs)
    assert batches == [3]
    for b, p, w in zip(*(r if isinstance(r, tuple) else (r,) for r in (batched, per_tile, whole))):
        np.testing.assert_array_equal(np.isnan(b), np.isnan(w))
        ok = ~np.isnan(w)
        np.testing.assert_allclose(b[ok], p[ok], rtol=0, atol=1e-3)  # G
        np.testing.assert_allclose(b[ok], w[ok], rtol=0, atol=1e-3)


def test_auto_tile_batch_follows_free_memory_and_dtype(tiny_rcan):
    # the widest convolution of the tiny RCAN: the upsampler's 4 * up_feats = 16 channels
    per_tile = TILE_MEMORY_TENSORS * 16 * 100 * 120 * 4 * 2  # bytes, bfloat16, 100 x 120 px at 2x
    free = 40 * per_tile / AUTO_MEMORY_FRACTION
    assert auto_tile_batch(tiny_rcan, (100, 120), free_bytes=free, dtype="bfloat16") == 40
    assert auto_tile_batch(tiny_rcan, (100, 120), free_bytes=free, dtype="float16") == 40
    assert auto_tile_batch(tiny_rcan, (100, 120), free_bytes=free, dtype="float32") == 20
    assert auto_tile_batch(tiny_rcan, (200, 240), free_bytes=free, dtype="bfloat16") == 10
    assert auto_tile_batch(tiny_rcan, (100, 120), free_bytes=1, dtype="float32") == 1


def test_tile_batch_on_the_cpu(tiny_rcan):
    assert network_runner(tiny_rcan, tile_batch="auto").batching.size((800, 800)) == 1  # "auto" on a CPU
    runner = network_runner(tiny_rcan, tile_batch=6)
    assert runner.batching.size((800, 800)) == 6 and runner.batching.in_flight == 1
    stack = np.stack([_disk((24, 20), 30, seed) for seed in range(3)])
    out = runner(stack)
    assert out.shape == (3, 96, 80)
    np.testing.assert_allclose(out[1], runner(stack[1]), rtol=0, atol=1e-3)


def test_cuda_absent_warns_and_gives_the_cpu_result(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    data = _disk()
    cpu = sunpy_sr.superresolve(data, method="rcan-fast", tile_size=40, dtype="auto")  # auto for the CPU
    with pytest.warns(SunpySRUserWarning, match="CUDA is not available; running on the CPU"):
        gpu = sunpy_sr.superresolve(data, method="rcan-fast", tile_size=40, device="cuda", tile_batch="auto",
                                    dtype="auto")
    np.testing.assert_array_equal(gpu, cpu)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the CPU path itself does not warn
        sunpy_sr.superresolve(data, method="rcan-fast", tile_size=40, tile_batch=2)
