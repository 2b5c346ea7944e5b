"""Weight files: bundled load, hash check, corrupt and mismatched files, user weights."""
import json
import shutil

import numpy as np
import pytest
import torch
from conftest import trained_like

import sunpy_sr
from sunpy_sr.exceptions import WeightsError
from sunpy_sr.weights import export_weights, load_network, sha256, weights_path
from sunpy_sr.weights.linear import LINEAR_WEIGHTS, load_linear_filter


def test_bundled_weights_load_and_match_metadata():
    model, meta = load_network()
    assert meta["sha256"] == sha256(weights_path("rcan"))
    assert meta["model_config"]["arch"] == "rcan"
    assert not model.training
    assert weights_path("rcan").stat().st_size < 1_000_000


@pytest.fixture
def weight_copy(tmp_path):
    src = weights_path("rcan")
    dst = tmp_path / "w.pt"
    shutil.copy(src, dst)
    shutil.copy(src.with_suffix(".json"), tmp_path / "w.json")
    return dst


def test_user_weights_give_the_same_result(weight_copy, sample_map):
    crop = sample_map.data[:32, :32].astype(np.float32)
    a = sunpy_sr.superresolve(crop, method="rcan")
    b = sunpy_sr.superresolve(crop, method="rcan", weights=weight_copy)
    np.testing.assert_array_equal(a, b)


def _edit_metadata(weight_file, edit):
    """Apply ``edit(meta)`` to the JSON beside ``weight_file``."""
    meta_path = weight_file.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    edit(meta)
    meta_path.write_text(json.dumps(meta))


def test_corrupt_file_is_a_clear_error(weight_copy):
    raw = bytearray(weight_copy.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    weight_copy.write_bytes(bytes(raw))
    with pytest.raises(WeightsError, match="SHA-256"):
        load_network(weight_copy)
    with pytest.raises(WeightsError, match="SHA-256"):
        sunpy_sr.superresolve(np.ones((16, 16), np.float32), method="rcan", weights=weight_copy)


def test_truncated_file_with_updated_hash_is_a_clear_error(weight_copy):
    weight_copy.write_bytes(weight_copy.read_bytes()[:1000])
    _edit_metadata(weight_copy, lambda meta: meta.update(sha256=sha256(weight_copy)))
    with pytest.raises(WeightsError, match="cannot read"):
        load_network(weight_copy)


def test_mismatched_architecture_is_a_clear_error(weight_copy):
    _edit_metadata(weight_copy, lambda meta: meta["model_config"].update(n_feats=16))
    with pytest.raises(WeightsError, match="do not match"):
        load_network(weight_copy)


def test_unknown_architecture_is_a_clear_error(weight_copy):
    _edit_metadata(weight_copy, lambda meta: meta["model_config"].update(arch="unet"))
    with pytest.raises(WeightsError, match="cannot build"):
        load_network(weight_copy)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        load_network(tmp_path / "nope.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(WeightsError, match="neither"):
        load_network(junk)


def test_export_roundtrip_fp16(tmp_path):
    from sunpy_sr.models import build_model
    model = build_model("rcan-tiny")
    ck = {"model": model.state_dict(), "model_config": {"arch": "rcan", **{k: v for k, v in
          __import__("sunpy_sr.models.registry", fromlist=["x"]).get_preset("rcan-tiny").items()
          if k != "arch"}}, "iteration": 3}
    out = export_weights(ck, tmp_path / "tiny.pt", trained_on="nothing")
    loaded, meta = load_network(out)
    assert meta["iterations"] == 3 and meta["storage"] == "float16" and meta["trained_on"] == "nothing"
    for k, v in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[k], v.half().float())


def test_export_fuses_reparameterisable_blocks(tmp_path):
    from sunpy_sr.models import build_model
    from sunpy_sr.models.registry import get_preset
    model = trained_like(build_model("rcan-lite"), seed=0)
    ck = {"model": model.state_dict(), "model_config": get_preset("rcan-lite"), "iteration": 5}
    out = export_weights(ck, tmp_path / "lite.pt", fp16=False)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["model_config"]["rep"] is False and meta["model_config"]["attention"] == "group"
    assert not any(".conv1." in k for k in torch.load(out, weights_only=True))
    loaded, _ = load_network(out)
    from_checkpoint, _ = load_network(_save(tmp_path / "checkpoint.pt", ck))
    x = torch.randn(1, 1, 30, 30) * 300
    with torch.inference_mode():
        expected = model(x)
        torch.testing.assert_close(loaded(x), expected, rtol=1e-5, atol=2e-3)
        torch.testing.assert_close(from_checkpoint(x), expected, rtol=1e-5, atol=2e-3)
    assert sum(p.numel() for p in loaded.parameters()) == 181_240
    # fine-tuning starts from the training form of the checkpoint (init_from), not the fused one
    from sunpy_sr.training.checkpoints import init_from
    again = build_model("rcan-lite")
    init_from(again, tmp_path / "checkpoint.pt")
    for k, v in model.state_dict().items():
        torch.testing.assert_close(again.state_dict()[k], v, rtol=0, atol=0)


def test_export_folds_a_foldable_progressive_upsampler(tmp_path):
    from sunpy_sr.models import build_model
    from sunpy_sr.models.registry import get_preset
    config = {**get_preset("rcan-lite"), "upsampler": "progressive", "up_feats": 16, "fuse_upsampler": True}
    model = trained_like(build_model(config), seed=0)
    ck = {"model": model.state_dict(), "model_config": config, "iteration": 5}
    out = export_weights(ck, tmp_path / "lite-progressive.pt", fp16=False)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["model_config"]["upsampler"] == "direct" and meta["model_config"]["up_kernel"] == 5
    assert not any(k.startswith("tail.") for k in torch.load(out, weights_only=True))
    loaded, _ = load_network(out)
    # fused: 181,240 parameters of rcan-lite, with the upsampler's 3x3 kernel now 5x5 (32 * 16 * 16 more)
    assert sum(p.numel() for p in loaded.parameters()) == 181_240 + 32 * 16 * (25 - 9)
    x = torch.randn(1, 1, 30, 30) * 300
    with torch.inference_mode():
        expected, got = model(x), loaded(x)
    torch.testing.assert_close(got[..., 8:-8, 8:-8], expected[..., 8:-8, 8:-8], rtol=1e-5, atol=2e-3)


def _save(path, obj):
    torch.save(obj, path)
    return path


def test_training_checkpoint_is_accepted(tmp_path):
    from sunpy_sr.models import build_model
    from sunpy_sr.models.registry import get_preset
    model = build_model("rcan-tiny")
    torch.save({"model": model.state_dict(), "model_config": get_preset("rcan-tiny")},
               tmp_path / "checkpoint.pt")
    loaded, meta = load_network(tmp_path / "checkpoint.pt")
    assert meta["source"] == "checkpoint"
    assert sum(p.numel() for p in loaded.parameters()) == 4255


def test_linear_filter_bundled_and_corrupt(tmp_path):
    filt = load_linear_filter()
    assert filt.coef.shape == (4, 4, 7, 7)
    # a linear 4x filter fitted on real pairs reproduces a constant field (rows sum to ~1)
    np.testing.assert_allclose(filt.coef.sum(axis=(2, 3)), 1.0, atol=0.02)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(LINEAR_WEIGHTS.read_bytes()[:200])
    with pytest.raises(WeightsError):
        load_linear_filter(bad)
    np.savez(tmp_path / "shape.npz", coef=np.zeros((4, 4, 6, 6)), scale=4)
    with pytest.raises(WeightsError, match="not a valid filter"):
        load_linear_filter(tmp_path / "shape.npz")
