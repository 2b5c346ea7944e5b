"""Network architectures: shapes, parameter counts per preset, receptive field."""
import numpy as np
import pytest
import torch
from conftest import trained_like

from sunpy_sr.models import PRESETS, build_model, get_preset
from sunpy_sr.models.rcan import RCAN, RepConv

#: Parameter counts per preset (a change of architecture must change these on purpose).
PARAMS = {"rcan-paper": 15_590_049, "rcan-medium": 1_209_857, "rcan-deep": 553_429,
          "rcan-small": 347_053, "rcan-lite": 201_304, "rcan-lite-fold": 224_601, "rcan-tiny": 4_255,
          "progan-paper": 13_414_082, "progan-small": 228_450, "progan-tiny": 7_906,
          "errornet-small": 18_184, "errornet-tiny": 3_184}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_parameter_count(name):
    model = build_model(name)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[name]


def test_paper_preset_is_the_paper_configuration():
    cfg = get_preset("rcan-paper")
    assert (cfg["n_groups"], cfg["n_blocks"], cfg["n_feats"], cfg["reduction"]) == (10, 20, 64, 16)


@pytest.mark.parametrize("name", ["rcan-tiny", "rcan-small", "rcan-lite"])
def test_output_shape_and_dtype(name):
    model = build_model(name).eval()
    with torch.inference_mode():
        y = model(torch.zeros(2, 1, 12, 20))
    assert y.shape == (2, 1, 48, 80)
    assert y.dtype == torch.float32


def test_global_skip_is_nearest_neighbour_upsampling():
    model = RCAN(n_groups=1, n_blocks=1, n_feats=4, reduction=2, ca_window=3, up_feats=4)
    for p in model.tail.parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(1, 1, 6, 7) * 300
    with torch.inference_mode():
        y = model(x)
    expected = x.repeat_interleave(4, dim=2).repeat_interleave(4, dim=3)
    torch.testing.assert_close(y, expected, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("name", ["rcan-tiny", "rcan-small", "rcan-lite", "rcan-lite fused"])
def test_receptive_radius_bounds_the_influence(name):
    torch.manual_seed(0)
    model = build_model(name.split()[0]).eval()
    if name.endswith("fused"):
        model = model.fused()
    r = model.receptive_radius()
    n = 2 * r + 21
    x = torch.randn(1, 1, n, n) * 200
    x2 = x.clone()
    c = n // 2
    x2[0, 0, c, c] += 1000
    with torch.inference_mode():
        d = (model(x2) - model(x)).abs()[0, 0].numpy()
    rows, cols = np.nonzero(d)
    # every changed output pixel lies within r LR pixels of the perturbed one
    assert rows.size > 0
    lr_rows, lr_cols = (rows + 0.5) / 4 - 0.5, (cols + 0.5) / 4 - 0.5
    assert np.abs(lr_rows - c).max() <= r
    assert np.abs(lr_cols - c).max() <= r
    # and the bound is not wildly loose for the small network (within 2x of what is measured)
    assert np.abs(lr_rows - c).max() > r / 2 - 2


def test_fused_network_equals_the_unfused_one():
    model = trained_like(build_model("rcan-lite"))
    fused = model.fused()
    assert fused is not model and not fused.config["rep"]
    # one plain 3x3 convolution per re-parameterisable block: fewer parameters, same output
    n_rep = sum(isinstance(m, RepConv) for m in model.modules())
    assert n_rep == 2 * (2 * 4 + 1) + 1 and not any(isinstance(m, RepConv) for m in fused.modules())
    assert sum(p.numel() for p in fused.parameters()) == (sum(p.numel() for p in model.parameters())
                                                          - n_rep * (32 * 32 + 32))
    x = torch.randn(2, 1, 40, 52) * 300
    with torch.inference_mode():
        y, y_fused = model(x), fused(x)
    assert y.abs().max() > 100  # G: a real output, not a vanishing one
    torch.testing.assert_close(y_fused, y, rtol=1e-5, atol=2e-3)  # G: float rounding only
    # the fused network is a plain RCAN: rebuilt from its config and state_dict alone
    rebuilt = RCAN(**fused.config).eval()
    rebuilt.load_state_dict(fused.state_dict())
    with torch.inference_mode():
        torch.testing.assert_close(rebuilt(x), y_fused, rtol=0, atol=0)


def test_fusing_a_plain_network_returns_it():
    model = build_model("rcan-tiny")
    assert model.fused() is model


def test_repconv_fused_weight_is_the_sum_of_its_branches():
    block = trained_like(RepConv(3))
    w, b = block.fused_weight()
    x = torch.randn(1, 3, 9, 9)
    with torch.no_grad():
        torch.testing.assert_close(torch.nn.functional.conv2d(x, w, b, padding=1), block(x))


def test_group_attention_and_direct_upsampler():
    model = build_model("rcan-lite")
    # one attention per group, none per block; one LR convolution to 16 phases and a 4x shuffle
    assert all(isinstance(b.ca, torch.nn.Identity) for g in model.body for b in g.blocks)
    assert all(g.ca is not None for g in model.body)
    assert [type(m).__name__ for m in model.upsample] == ["Conv2d", "PixelShuffle"]
    assert model.upsample[0].out_channels == 16 and model.upsample[1].upscale_factor == 4


def test_global_attention_has_no_finite_radius():
    model = RCAN(n_groups=1, n_blocks=1, n_feats=4, reduction=2, ca_window=None)
    assert model.receptive_radius() == float("inf")


def test_bad_configurations():
    with pytest.raises(ValueError, match="power of 2"):
        RCAN(scale=3)
    with pytest.raises(ValueError, match="odd"):
        RCAN(ca_window=4)
    with pytest.raises(ValueError, match="attention"):
        RCAN(attention="pixel")
    with pytest.raises(ValueError, match="upsampler"):
        RCAN(upsampler="deconv")
    with pytest.raises(ValueError, match="unknown preset"):
        get_preset("rcan-huge")
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model({"arch": "srgan"})


def test_chunked_upsampler_equals_whole(monkeypatch):
    """In inference the upsampler runs in row chunks (memory); the result must not change."""
    torch.manual_seed(1)
    model = build_model("rcan-small").eval()
    x = torch.randn(1, 1, 29, 23) * 300
    with torch.inference_mode():
        whole = model(x)
        monkeypatch.setattr(model, "up_chunk_rows", 4)
        chunked = model(x)
    assert model._up_radius() == 2  # 1 LR px (conv at 1x) + 1/2 (2x) + 1/4 (tail at 4x), rounded up
    torch.testing.assert_close(chunked, whole, rtol=0, atol=1e-3)
    # without the halo the seams would show: the test above can fail
    monkeypatch.setattr(model, "_up_radius", lambda: 0)
    with torch.inference_mode():
        seams = model(x)
    assert (seams - whole).abs().max().item() > 1.0


@pytest.mark.parametrize("window", [3, 5])
def test_separable_attention_mean_equals_the_window_mean(window):
    """The local attention statistic equals a 2D window mean, borders included."""
    from sunpy_sr.models.rcan import ChannelAttention
    torch.manual_seed(2)
    ca = ChannelAttention(8, 2, window).eval()
    x = torch.randn(2, 8, 9, 11)
    ref = torch.nn.functional.avg_pool2d(x, window, stride=1, padding=window // 2, count_include_pad=False)
    with torch.inference_mode():
        torch.testing.assert_close(ca(x), x * ca.fc(ref), rtol=0, atol=1e-6)


def test_growing_a_shallower_rcan_preserves_its_function():
    torch.manual_seed(0)
    base = {**get_preset("rcan-small"), "n_feats": 8, "up_feats": 4}
    small = build_model(base).eval()
    deep = build_model({**base, "n_groups": 5}).eval()
    x = torch.randn(1, 1, 24, 20) * 300
    with torch.no_grad():
        before = deep(x)
        assert deep.load_shallower(small.state_dict()) == 3
        torch.testing.assert_close(deep(x), small(x), rtol=0, atol=1e-5)
    assert not torch.allclose(before, deep(x).detach(), atol=1e-3)  # the weights did change
    # the new groups still learn: their closing convolutions get gradients
    deep.train()
    deep(x).square().mean().backward()
    assert deep.body[4].conv.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="fewer than"):
        small.load_shallower(deep.state_dict())
    wide = build_model({**base, "n_feats": 12, "n_groups": 2})
    with pytest.raises(ValueError, match="not a shallower copy"):
        deep.load_shallower(wide.state_dict())


@pytest.mark.parametrize("config", [{"attention": "block"}, {"attention": "group"}, {"ca_window": None}],
                         ids=["attention per block", "attention per group", "global attention"])
def test_in_place_skip_adds_of_inference_equal_the_training_arithmetic(config):
    """Inference adds the skips (and scales the attention) in place: bit for bit the same output,
    input untouched."""
    torch.manual_seed(0)
    options = {"n_groups": 2, "n_blocks": 2, "n_feats": 8, "reduction": 4, "ca_window": 3, **config}
    net = trained_like(RCAN(**options), seed=1)
    x = 300 * torch.randn(1, 1, 20, 20)
    before = x.clone()
    with torch.no_grad():
        y = net(x)  # in place
    net.requires_grad_(False)
    with torch.enable_grad():
        ref = net(x)  # autograd on: the out-of-place arithmetic of training
    assert float(ref.abs().max()) > 10.0
    torch.testing.assert_close(y, ref, rtol=0, atol=0)
    torch.testing.assert_close(x, before, rtol=0, atol=0)


def test_add_skip_writes_in_place_only_without_autograd():
    from sunpy_sr.models.rcan import _add_skip
    x, y = torch.ones(2, 3), torch.full((2, 3), 2.0)
    with torch.no_grad():
        out = _add_skip(x, y)
    assert out is y and float(y[0, 0]) == 3.0 and float(x[0, 0]) == 1.0
    x, y = torch.ones(2, 3), torch.full((2, 3), 2.0, requires_grad=True)
    out = _add_skip(x, y)
    assert out is not y and float(y.detach()[0, 0]) == 2.0 and float(out.detach()[0, 0]) == 3.0
    with torch.no_grad():  # a broadcast skip (global attention statistic) is never written in place
        assert _add_skip(torch.ones(2, 3), torch.ones(2, 1)).shape == (2, 3)


def _progressive_foldable(seed=2, **options):
    config = {"n_groups": 1, "n_blocks": 2, "n_feats": 8, "reduction": 4, "ca_window": 3, "rep": True,
              "attention": "group", "upsampler": "progressive", "up_feats": 4, "fuse_upsampler": True,
              **options}
    torch.manual_seed(0)
    return trained_like(RCAN(**config), seed=seed)


def test_folded_upsampler_equals_the_progressive_one_away_from_the_edges():
    net = _progressive_foldable()
    folded = net.fused()
    assert folded.config["upsampler"] == "direct" and folded.config["up_kernel"] == 5
    assert not folded.config["fuse_upsampler"] and not folded.config["rep"]
    assert isinstance(folded.tail, torch.nn.Identity) and folded.upsample[0].kernel_size == (5, 5)
    assert folded.receptive_radius() == net.receptive_radius()
    # the progressive upsampler costs (8*16*9 + 4*16*9*4 + 4*9*16) MACs per LR pixel, the folded one 8*16*25
    x = torch.randn(2, 1, 26, 30) * 300
    with torch.inference_mode():
        y, y_folded = net(x), folded(x)
    assert y.abs().max() > 100
    border = 4 * 2  # HR pixels: the upsampler's radius, 2 LR pixels, from each edge
    inner = (..., slice(border, -border), slice(border, -border))
    torch.testing.assert_close(y_folded[inner], y[inner], rtol=1e-5, atol=2e-3)
    # at the edges the zero padding between the progressive stages differs: not equal there
    assert (y_folded - y).abs()[..., :border, :].max() > 1e-2
    # folding leaves the training network as it was, and a folded network rebuilds from its config
    assert net.config["fuse_upsampler"] and net.training is False
    rebuilt = RCAN(**folded.config).eval()
    rebuilt.load_state_dict(folded.state_dict())
    with torch.inference_mode():
        torch.testing.assert_close(rebuilt(x), y_folded, rtol=0, atol=0)


def test_folded_upsampler_tiles_exactly():
    from sunpy_sr.inference import network_runner
    from sunpy_sr.inference.tiling import run_tiled
    folded = _progressive_foldable(seed=3).fused()
    data = (300 * np.random.default_rng(0).standard_normal((70, 90))).astype(np.float32)
    run = network_runner(folded)
    whole = run(data)
    tiled = run_tiled(run, data, scale=4, pad=folded.receptive_radius(), tile=32)
    np.testing.assert_allclose(tiled, whole, rtol=0, atol=2e-3)


def test_fuse_upsampler_needs_a_progressive_upsampler():
    with pytest.raises(ValueError, match="progressive"):
        RCAN(n_groups=1, n_blocks=1, n_feats=4, reduction=2, upsampler="direct", fuse_upsampler=True)
    with pytest.raises(ValueError, match="up_kernel"):
        RCAN(n_groups=1, n_blocks=1, n_feats=4, reduction=2, upsampler="direct", up_kernel=4)
