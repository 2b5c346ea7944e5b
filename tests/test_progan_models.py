"""ProGanSR generator, VGG16 features, progressive discriminator and GAN losses."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sunpy_sr.exceptions import WeightsError
from sunpy_sr.models import PRESETS, ProGenerator, build_model, get_preset
from sunpy_sr.models.progan import bicubic
from sunpy_sr.models.vgg import VGG16_CONV_INDICES, VGG16Features, load_vgg16_weights, vgg16_state_shapes
from sunpy_sr.training.discriminator import ProgressiveDiscriminator
from sunpy_sr.training.gan_losses import PerceptualLoss, lsgan_discriminator_loss, lsgan_generator_loss

#: Parameter counts per preset (a change of architecture must change these on purpose).
#: progan-paper is ProSR's size for 4x (Wang et al. 2018: 13.4 M).
PARAMS = {"progan-paper": 13_414_082, "progan-small": 228_450, "progan-tiny": 7_906}
#: Receptive radius (LR px) at level 2 and level 1.
RADIUS = {"progan-paper": (89, 76), "progan-small": (27, 24), "progan-tiny": (8, 6)}


def tiny(seed=0):
    torch.manual_seed(seed)
    return build_model("progan-tiny")


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_parameter_count_and_radius(name):
    model = build_model(name)
    assert isinstance(model, ProGenerator)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[name]
    assert (model.receptive_radius(), model.receptive_radius(level=1)) == RADIUS[name]
    assert model.scale == 4


def test_presets_are_json_configs():
    progan = sorted(n for n in PRESETS if n.startswith("progan-"))
    assert progan == sorted(PARAMS)
    for name in progan:
        cfg = get_preset(name)
        assert json.loads(json.dumps(cfg)) == cfg
    assert get_preset("progan-paper") == {"arch": "progan", "dcus": [9, 3], "n_layers": 8, "growth": 40,
                                          "width": [160, 160], "bottleneck": 4}


def test_shapes_at_both_levels():
    model = tiny().eval()
    x = torch.randn(2, 1, 12, 20) * 300
    with torch.inference_mode():
        assert model(x, level=1).shape == (2, 1, 24, 40)
        assert model(x).shape == (2, 1, 48, 80)
        y2, y4 = model.forward_pyramid(x)
    assert y2.shape == (2, 1, 24, 40) and y4.shape == (2, 1, 48, 80)
    assert y4.dtype == torch.float32


def test_bad_level_or_alpha_raises():
    model = tiny()
    x = torch.zeros(1, 1, 8, 8)
    for kwargs in ({"level": 3}, {"alpha": 1.5}, {"alpha": -0.1}, {"level": 1, "alpha": 0.5}):
        with pytest.raises(ValueError):
            model(x, **kwargs)


def test_zero_residual_is_exactly_bicubic():
    model = tiny().zero_residual_().eval()
    x = torch.randn(1, 1, 16, 12) * 500
    with torch.inference_mode():
        assert torch.equal(model(x), F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False))
        assert torch.equal(model(x, level=1), bicubic(x, 2))
        y2, y4 = model.forward_pyramid(x)
    assert torch.equal(y2, bicubic(x, 2)) and torch.equal(y4, bicubic(x, 4))
    # and the untouched network does not
    with torch.inference_mode():
        assert not torch.allclose(tiny()(x), bicubic(x, 4), atol=1e-3)


def test_alpha_blends_the_bicubic_2x_output():
    model = tiny().eval()
    x = torch.randn(1, 1, 10, 14) * 300
    with torch.inference_mode():
        y2, y4 = model.forward_pyramid(x)
        base = F.interpolate(y2, scale_factor=2, mode="bicubic", align_corners=False)
        assert torch.equal(model(x, alpha=0.0), base)
        blend = 0.7 * base + 0.3 * y4
        assert torch.allclose(model(x, alpha=0.3), blend, rtol=1e-5, atol=1e-3)
        assert torch.allclose(model.forward_pyramid(x, alpha=0.3)[1], blend, rtol=1e-5, atol=1e-3)
        assert torch.equal(model(x, alpha=1.0), y4)
        assert not torch.allclose(base, y4, atol=1.0)


def _influence(model, n, level, seed=1):
    """LR-pixel Chebyshev distance of the farthest output pixel changed by one input pixel."""
    torch.manual_seed(seed)
    x = torch.randn(1, 1, n, n, dtype=torch.float64) * 300
    x2 = x.clone()
    c = n // 2
    x2[0, 0, c, c] += 1000
    with torch.inference_mode():
        d = (model(x2, level=level) - model(x, level=level))[0, 0].numpy()
    rows, cols = np.nonzero(d)
    factor = 2 ** level
    assert rows.size > 0
    return max(np.abs(rows // factor - c).max(), np.abs(cols // factor - c).max())


@pytest.mark.parametrize("level", [1, 2])
def test_receptive_radius_is_a_tight_bound(level):
    model = tiny().double().eval()
    r = model.receptive_radius(level=level)
    measured = _influence(model, 64, level)
    assert measured <= r          # a true bound ...
    assert r <= 2 * measured      # ... and not wildly loose
    assert measured >= r - 1      # (in fact tight to a pixel with random weights)


def test_chunked_inference_matches_one_pass():
    model = tiny().eval()
    x = torch.randn(1, 1, 40, 24) * 300
    with torch.no_grad():   # grad mode disabled: the chunked path
        model.chunk_rows = 80
        whole = model(x)
        model.chunk_rows = 7   # 2x rows per chunk: several chunks, halo 5
        chunked = model(x)
    assert torch.allclose(chunked, whole, rtol=1e-5, atol=1e-3)
    with torch.enable_grad():   # training path never chunks
        assert model(x).requires_grad


# ---- discriminator -------------------------------------------------------------------------


def test_discriminator_shapes_at_both_levels():
    torch.manual_seed(0)
    d = ProgressiveDiscriminator()
    r4, r2 = torch.randn(2, 1, 32, 48) * 50, torch.randn(2, 1, 16, 24) * 50
    assert d(residual_2x=r2).shape == (2, 1, 4, 6)
    assert d(residual_4x=r4).shape == (2, 1, 4, 6)
    assert d(r4, r2, alpha=0.5).shape == (2, 1, 4, 6)
    assert ProgressiveDiscriminator(width=8, n_down=3)(residual_4x=r4).shape == (2, 1, 2, 3)
    with pytest.raises(ValueError):
        d()
    with pytest.raises(ValueError):
        d(residual_2x=r2, alpha=0.5)


def test_discriminator_alpha_blending():
    torch.manual_seed(0)
    d = ProgressiveDiscriminator(width=8)
    r4, r2 = torch.randn(1, 1, 32, 32) * 50, torch.randn(1, 1, 16, 16) * 50
    with torch.no_grad():
        only_4x = d(residual_4x=r4)
        assert torch.equal(d(r4, r2, alpha=1.0), only_4x)               # r2 unused at alpha=1
        assert torch.equal(d(r4, r2, alpha=0.0), d(residual_2x=r2))     # 4x branch faded out
        assert torch.equal(d(r4, alpha=0.0), d(residual_2x=F.avg_pool2d(r4, 2)))  # default r2
        h = 0.25 * d.from_4x(r4 / 1000) + 0.75 * d.from_2x(r2 / 1000)
        assert torch.allclose(d(r4, r2, alpha=0.25), d.trunk(h), rtol=1e-5, atol=1e-6)
        assert not torch.allclose(d(r4, r2, alpha=0.25), only_4x)
    with pytest.raises(ValueError):
        d(r4, torch.zeros(1, 1, 8, 8), alpha=0.5)


def test_discriminator_input_scale_compresses_residuals():
    torch.manual_seed(0)
    linear, squashed = ProgressiveDiscriminator(width=8), ProgressiveDiscriminator(width=8, input_scale=10.0)
    squashed.load_state_dict(linear.state_dict())
    r4 = torch.tensor([0.0, 10.0, -10.0, 1000.0]).repeat(1, 1, 16, 4)
    with torch.no_grad():
        # asinh(r / 10 G): a 10 G residual becomes 0.881, a 1000 G one 5.30, not 0.01 and 1
        expected = squashed.trunk(squashed.from_4x(torch.asinh(r4 / 10.0)))
        assert torch.equal(squashed(residual_4x=r4), expected)
        assert torch.equal(linear(residual_4x=r4), linear.trunk(linear.from_4x(r4 / 1000.0)))
        assert not torch.allclose(squashed(residual_4x=r4), linear(residual_4x=r4))
    assert squashed._normalise(torch.tensor([10.0])).item() == pytest.approx(0.8814, abs=1e-4)
    for bad in (0.0, -5.0, float("nan")):
        with pytest.raises(ValueError, match="input_scale"):
            ProgressiveDiscriminator(input_scale=bad)




# ---- losses -------------------------------------------------------------------------------


def test_lsgan_losses_on_hand_values():
    ones, zeros = torch.ones(2, 1, 3, 3), torch.zeros(2, 1, 3, 3)
    assert lsgan_discriminator_loss(ones, zeros).item() == 0.0
    assert lsgan_discriminator_loss(zeros, ones).item() == 1.0
    assert lsgan_discriminator_loss(torch.tensor([3.0]), torch.tensor([-1.0])).item() == 2.5
    assert lsgan_generator_loss(ones).item() == 0.0
    assert lsgan_generator_loss(zeros).item() == 0.5
    assert lsgan_generator_loss(torch.tensor([0.0, 3.0])).item() == pytest.approx(0.5 * (1 + 4) / 2)


def test_gradient_spectrum_loss():
    loss = PerceptualLoss()
    assert loss.kind == "gradient-spectrum" and "gradient-spectrum" in loss.description
    assert json.loads(json.dumps(loss.config)) == loss.config and loss.weights_path is None
    torch.manual_seed(0)
    a = torch.randn(2, 1, 32, 32) * 300
    assert loss(a, a.clone()).item() == 0.0
    b = a + torch.randn_like(a) * 30
    assert loss(b, a).item() > 0
    assert loss.gradient_term(a + 100.0, a).item() == pytest.approx(0.0, abs=1e-7)  # offset-blind
    assert loss.spectrum_term(b, a).item() > 0
    # blur: spectrum term sees lost small-scale power
    blurred = F.avg_pool2d(a, 3, stride=1, padding=1, count_include_pad=False)
    assert loss.spectrum_term(blurred, a).item() > loss.spectrum_term(a * 1.01, a).item()
    with pytest.raises(ValueError, match="only for kind='vgg16'"):
        PerceptualLoss(weights="x.pt")
    with pytest.raises(ValueError, match="unknown"):
        PerceptualLoss(kind="vgg19")


def test_vgg16_loss_needs_a_file():
    with pytest.raises(ValueError, match="needs weights"):
        PerceptualLoss(kind="vgg16")


@pytest.fixture(scope="module")
def fake_vgg(tmp_path_factory):
    """A file with random tensors of VGG16's shapes (and a torchvision classifier key)."""
    torch.manual_seed(0)
    state = {k: torch.randn(shape) * 0.05 for k, shape in vgg16_state_shapes().items()}
    state["classifier.0.bias"] = torch.zeros(4096)
    path = tmp_path_factory.mktemp("vgg") / "vgg16.pth"
    torch.save(state, path)
    return path


def cheap_vgg_state():
    """VGG16's keys and shapes as stride-0 views of one zero (tiny files for the error tests)."""
    return {k: torch.zeros(1).expand(shape) for k, shape in vgg16_state_shapes().items()}


def test_vgg16_layout():
    vgg = VGG16Features()
    convs = [m for m in vgg.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    assert all(c.kernel_size == (3, 3) for c in convs)
    assert [i for i, m in enumerate(vgg.features) if isinstance(m, torch.nn.MaxPool2d)] == [4, 9, 16, 23, 30]
    state = vgg.state_dict()
    assert sorted(state) == sorted(f"features.{i}.{p}"
                                   for i in VGG16_CONV_INDICES for p in ("weight", "bias"))
    assert {k: tuple(v.shape) for k, v in state.items()} == vgg16_state_shapes()
    assert sum(v.numel() for v in state.values()) == 14_714_688   # torchvision vgg16().features


def test_vgg16_loss_with_a_weight_file(fake_vgg):
    path = fake_vgg
    loss = PerceptualLoss(kind="vgg16", weights=path)
    assert loss.kind == "vgg16" and str(path.name) in loss.description
    assert loss.weights_sha256 in loss.description and len(loss.weights_sha256) == 64
    assert not any(p.requires_grad for p in loss.parameters())
    torch.manual_seed(1)
    a = torch.randn(2, 1, 16, 16) * 300
    b = (a + torch.randn_like(a) * 100).requires_grad_(True)
    f22, f43 = loss.vgg(a)
    assert f22.shape == (2, 128, 8, 8) and f43.shape == (2, 512, 2, 2)
    assert loss(a, a.clone()).item() == 0.0
    value = loss(b, a)
    assert torch.isfinite(value) and value.item() > 0
    value.backward()
    assert torch.isfinite(b.grad).all() and b.grad.abs().sum() > 0


class _WritesMarker:
    """Unpickling this would create the marker file (stands in for os.system)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_vgg16_file_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "marker"
    evil = cheap_vgg_state()
    evil["features.0.weight"] = _WritesMarker(marker)
    path = tmp_path / "evil.pth"
    torch.save(evil, path)
    assert not marker.exists()
    with pytest.raises(WeightsError, match="weights_only"):
        load_vgg16_weights(path)
    with pytest.raises(WeightsError):
        PerceptualLoss(kind="vgg16", weights=path)
    assert not marker.exists()


def test_vgg16_bad_files_raise(tmp_path):
    state = cheap_vgg_state()
    torch.save(state, tmp_path / "ok.pth")
    assert (tmp_path / "ok.pth").stat().st_size < 100_000
    load_vgg16_weights(tmp_path / "ok.pth")  # the cheap file itself is valid
    wrong = dict(state)
    wrong["features.10.weight"] = torch.zeros(256, 128, 1, 1)
    torch.save(wrong, tmp_path / "wrong.pth")
    with pytest.raises(WeightsError, match=r"features\.10\.weight has shape \(256, 128, 1, 1\)"):
        load_vgg16_weights(tmp_path / "wrong.pth")
    missing = {k: v for k, v in state.items() if not k.startswith("features.28.")}
    torch.save(missing, tmp_path / "missing.pth")
    with pytest.raises(WeightsError, match="missing keys"):
        load_vgg16_weights(tmp_path / "missing.pth")
    (tmp_path / "garbage.pth").write_bytes(b"not a torch file")
    with pytest.raises(WeightsError, match="cannot read"):
        load_vgg16_weights(tmp_path / "garbage.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(WeightsError, match="dict of tensors"):
        load_vgg16_weights(tmp_path / "list.pth")
    with pytest.raises(WeightsError, match="does not exist"):
        load_vgg16_weights(Path(tmp_path / "absent.pth"))


# ---- noise injection -----------------------------------------------------------------------


def _noisy_tiny(seed=0, scale=0.0):
    torch.manual_seed(seed)
    model = build_model({**get_preset("progan-tiny"), "noise": True})
    with torch.no_grad():
        model.noise_scale_2x.fill_(scale)
        model.noise_scale_4x.fill_(scale)
    return model


def test_noise_injection_adds_only_the_scales_and_starts_as_the_plain_network():
    plain, noisy = tiny(), _noisy_tiny()
    n_plain = sum(p.numel() for p in plain.parameters())
    n_noisy = sum(p.numel() for p in noisy.parameters())
    assert n_plain == PARAMS["progan-tiny"]
    width = get_preset("progan-tiny")["width"]
    assert n_noisy - n_plain == width[0] + width[1]
    noisy.load_state_dict({**plain.state_dict(), "noise_scale_2x": noisy.noise_scale_2x.detach(),
                           "noise_scale_4x": noisy.noise_scale_4x.detach()})
    x = torch.randn(2, 1, 12, 16) * 300
    with torch.no_grad():
        for mode in (True, False):  # zero scales: the plain network's output, in training and not
            plain.train(mode)
            noisy.train(mode)
            assert torch.equal(noisy(x), plain(x))
            assert all(torch.equal(a, b) for a, b in zip(noisy.forward_pyramid(x), plain.forward_pyramid(x)))


def test_noise_is_reproducible_seeded_and_tiling_exact_outside_training():
    model = _noisy_tiny(scale=0.5).eval()
    x = torch.randn(1, 1, 40, 24) * 300
    with torch.no_grad():
        whole = model(x)
        assert torch.equal(model(x), whole)                    # the same input, the same output
        assert (whole - tiny()(x)).abs().max() > 1.0           # the noise does change it (G)
        r = model.receptive_radius()
        top = model(x[..., :24, :])                            # a tile: exact away from its cut
        assert torch.allclose(top[..., :4 * (24 - r), :], whole[..., :4 * (24 - r), :], atol=1e-3)
        model.chunk_rows = 7                                   # row chunks of level 2: the same noise
        torch.testing.assert_close(model(x), whole, rtol=1e-5, atol=1e-3)
        model.chunk_rows = ProGenerator.chunk_rows
        model.noise_seed = 1                                   # another seed: another sample
        other = model(x)
    assert (other - whole).abs().max() > 1.0
    model.train()
    with torch.no_grad():                                      # training: fresh noise every call
        assert not torch.equal(model(x), model(x))


def test_input_hashed_normal_is_standard_normal_and_a_function_of_the_input():
    from sunpy_sr.models.progan import input_hashed_normal
    torch.manual_seed(0)
    x = torch.randn(2, 1, 96, 96) * 100
    z = input_hashed_normal(x, 4)
    assert z.shape == (2, 1, 384, 384) and z.dtype == torch.float32
    assert abs(float(z.mean())) < 0.01 and abs(float(z.std()) - 1.0) < 0.01
    assert abs(float((z[..., 1:, :] * z[..., :-1, :]).mean())) < 0.01    # neighbours uncorrelated
    assert abs(float((z[..., :, 1:] * z[..., :, :-1]).mean())) < 0.01
    frac = float(((z > -1) & (z < 1)).float().mean())
    assert abs(frac - 0.6827) < 0.005                                     # a normal's 1-sigma share
    assert torch.equal(input_hashed_normal(x[1:, :, 30:60, 7:50], 4), z[1:, :, 120:240, 28:200])
    for other in (input_hashed_normal(x, 4, seed=1), input_hashed_normal(x, 4, stream=1)):
        assert float((other == z).float().mean()) < 1e-4
    assert abs(float((input_hashed_normal(x, 4, seed=1) * z).mean())) < 0.01  # independent samples
    z2 = input_hashed_normal(x, 2)
    assert z2.shape == (2, 1, 192, 192) and float((z2 == z[..., ::2, ::2]).float().mean()) < 1e-4


def test_discriminator_features_end_with_its_score():
    torch.manual_seed(0)
    d = ProgressiveDiscriminator(width=8, n_down=2, max_width=16, input_scale=10.0)
    r4 = torch.randn(2, 1, 32, 48) * 50
    feats = d.features(r4)
    assert len(feats) == 1 + sum(not isinstance(m, torch.nn.Conv2d) for m in d.trunk)
    assert torch.equal(feats[-1], d(residual_4x=r4))
    assert [f.shape[0] for f in feats] == [2] * len(feats)
