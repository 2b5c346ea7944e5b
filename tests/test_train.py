"""Training: pairs from real data, patch sampling, a tiny run that learns, exact resume."""
import numpy as np
import pytest
import torch

from sunpy_sr.core.degradation import degrade_array
from sunpy_sr.core.pairs import PairRecipe, PairSet, crop_origins, make_pairs, select_by_date, to_level15
from sunpy_sr.training import PatchSampler, TrainConfig, load_checkpoint, train


def _tiny_config(**kw):
    base = dict(preset="rcan-tiny", iterations=30, batch_size=4, patch=16, lr=1e-3, lr_halving=10,
                checkpoint_every=10, validate_every=10, threads=1, seed=3)
    base.update(kw)
    return TrainConfig(**base)


def test_level15_is_an_exact_flip(sample_map):
    flipped = to_level15(sample_map)
    np.testing.assert_array_equal(flipped.data, sample_map.data[::-1, ::-1])
    assert abs(flipped.meta["crota2"]) < 0.1
    # the same sky position sits under the same data value
    import astropy.units as u
    c = sample_map.pixel_to_world(10 * u.pix, 20 * u.pix)
    x, y = flipped.world_to_pixel(c)
    assert flipped.data[int(round(y.value)), int(round(x.value))] == sample_map.data[20, 10]


def test_crops_lie_within_max_distance(fulldisk_2016):
    import astropy.units as u
    m = to_level15(fulldisk_2016)
    origins, size = crop_origins(m, PairRecipe(size=512, stride=512, max_distance=500))
    assert len(origins) == 9 and size == 512
    for r, c in origins:
        for py, px in ((r, c), (r + size - 1, c + size - 1)):
            w = m.pixel_to_world(px * u.pix, py * u.pix)
            assert abs(w.Tx.to_value(u.arcsec)) <= 500 and abs(w.Ty.to_value(u.arcsec)) <= 500


def test_make_pairs_clips_caches_and_degrades(tmp_path, shared_data):
    f = shared_data / "hmi" / "sharp" / "hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"
    recipe = PairRecipe(size=256, stride=256, clip=1000)
    pairs = make_pairs([f], recipe, tmp_path, progress=False)
    assert len(pairs) == 6  # 377 x 744 cutout, 256-px crops: rows 0, 121 x cols 0, 256, 488
    assert max(np.abs(h).max() for h in pairs.hr) == 1000
    np.testing.assert_array_equal(pairs.lr[0], degrade_array(pairs.hr[0]))
    cached = make_pairs([f], recipe, tmp_path, progress=False)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    np.testing.assert_array_equal(cached.hr[1], pairs.hr[1])


def test_cea_crops_cover_the_whole_cutout(shared_data):
    """SHARP cutouts are not multiples of the crop: edge-flush crops leave no pixel unused."""
    import sunpy.map
    f = shared_data / "hmi" / "sharp" / "hmi.sharp_cea_720s.856.20110915_052400_TAI.magnetogram.fits"
    m = sunpy.map.Map(f)
    assert m.data.shape == (760, 1326)
    covered = np.zeros(m.data.shape, bool)
    origins, size = crop_origins(m, PairRecipe(size=512, stride=256))
    for r, c in origins:
        covered[r:r + size, c:c + size] = True
    assert covered.all() and len(origins) == 2 * 5  # rows 0, 248; cols 0, 256, 512, 768, 814
    old, _ = crop_origins(m, PairRecipe(size=512, stride=256, cover_edges=False))
    assert len(old) == 4  # the earlier recipe (stages 1-3 of the bundled run) missed 36% of it


def test_select_by_date(shared_data):
    files = sorted((shared_data / "hmi").rglob("*magnetogram*.fits"))
    train = select_by_date(files, [("2010-01-01", "2011-02-01"), ("2011-03-01", "2015-12-31")])
    names = {f.name for f in train}
    assert not any(".377." in n or "2016" in n for n in names)
    assert any("20111217" in n for n in names)


def test_sampler_balances_strong_fields(real_pairs):
    rng = np.random.default_rng(0)
    s = PatchSampler(real_pairs, 16, 4, strong_fraction=0.8, strong_threshold=300, rng=rng)
    lr, hr = s.batch(200)
    assert lr.shape == (200, 1, 16, 16) and hr.shape == (200, 1, 64, 64)
    share = (hr.abs().amax(dim=(1, 2, 3)) > 300).float().mean().item()
    uniform_share = len(s.strong) / len(s.all)
    assert share > 0.75 > uniform_share


def test_polarity_flip_augmentation(real_pairs):
    positive = PairSet(hr=[np.abs(h) for h in real_pairs.hr], lr=[np.abs(a) for a in real_pairs.lr])
    for flip, expected in ((False, 0.0), (True, 0.5)):
        s = PatchSampler(positive, 16, 4, 0.5, 300, np.random.default_rng(2), sign_flip=flip)
        lr, hr = s.batch(400)
        negative = (hr.sum(dim=(1, 2, 3)) < 0).float()
        assert negative.mean().item() == pytest.approx(expected, abs=0.06)
        # LR and HR flip together
        assert ((lr.sum(dim=(1, 2, 3)) < 0).float() == negative).all()


def test_augmentation_keeps_lr_hr_consistent(real_pairs):
    s = PatchSampler(real_pairs, 16, 4, 0.5, 300, np.random.default_rng(1), sign_flip=True)
    lr, hr = s.batch(16)
    for a, b in zip(lr[:, 0].numpy(), hr[:, 0].numpy()):
        # degrading an augmented HR patch gives its LR patch, away from the patch border
        np.testing.assert_allclose(degrade_array(b)[2:-2, 2:-2], a[2:-2, 2:-2], atol=0.05)


def test_tiny_training_lowers_the_loss(real_pairs, tmp_path):
    cfg = _tiny_config(iterations=60)
    torch.manual_seed(0)
    lr = torch.from_numpy(np.stack(real_pairs.lr)[:, None])
    hr = torch.from_numpy(np.stack(real_pairs.hr)[:, None])
    from sunpy_sr.models import build_model
    torch.manual_seed(cfg.seed)
    before = torch.nn.functional.l1_loss(build_model("rcan-tiny").eval()(lr), hr).item()
    model = train(cfg, real_pairs, tmp_path, val_pairs=real_pairs, progress=False)
    with torch.inference_mode():
        after = torch.nn.functional.l1_loss(model(lr), hr).item()
    assert after < 0.8 * before
    log = (tmp_path / "log.csv").read_text().splitlines()
    assert log[0].startswith("iteration") and "val_psnr" in log[0] and len(log) == 7
    assert (tmp_path / "training.png").stat().st_size > 1000


def test_resume_is_exact(real_pairs, tmp_path):
    cfg = _tiny_config(iterations=20)
    straight = train(cfg, real_pairs, tmp_path / "a", progress=False)
    train(cfg, real_pairs, tmp_path / "b", progress=False, stop_after=7)
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["iteration"] == 7
    resumed = train(cfg, real_pairs, tmp_path / "b", resume=True, progress=False)
    for (k, v), w in zip(straight.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(v, w, rtol=0, atol=0, msg=k)
    ck = load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert ck["iteration"] == 20 and ck["scheduler"]["last_epoch"] == 20


def test_mse_loss_and_fine_tuning_from_weights(real_pairs, tmp_path):
    first = train(_tiny_config(iterations=10, loss="mse"), real_pairs, tmp_path / "a", progress=False)
    log = (tmp_path / "a" / "log.csv").read_text().splitlines()
    l1_run = train(_tiny_config(iterations=10), real_pairs, tmp_path / "l1", progress=False)
    assert not torch.equal(first.head.weight, l1_run.head.weight)  # the loss changes the training
    # a run of 0 iterations that starts from the first run's checkpoint holds its weights exactly
    init = str(tmp_path / "a" / "checkpoint.pt")
    start = train(_tiny_config(iterations=0, init_weights=init), real_pairs, tmp_path / "b", progress=False)
    for (k, v), w in zip(first.state_dict().items(), start.state_dict().values()):
        torch.testing.assert_close(v, w, rtol=0, atol=0, msg=k)
    # a deeper network grown from the checkpoint computes what the checkpoint does
    grown = train(_tiny_config(iterations=0, init_weights=init, model={"n_groups": 2}), real_pairs,
                  tmp_path / "g", progress=False)
    assert len(grown.body) == 2 and len(first.body) == 1
    x = torch.from_numpy(real_pairs.lr[0][None, None].copy())
    with torch.no_grad():
        torch.testing.assert_close(grown.eval()(x), first.eval()(x), rtol=0, atol=1e-3)
    l1_log = (tmp_path / "l1" / "log.csv").read_text().splitlines()
    assert float(log[1].split(",")[1]) > 10 * float(l1_log[1].split(",")[1])  # G^2 against G
    with pytest.raises(ValueError, match="do not fit"):
        train(_tiny_config(iterations=0, init_weights=init, preset="rcan-small"), real_pairs,
              tmp_path / "c", progress=False)
    with pytest.raises(ValueError, match="loss must be one of"):
        train(_tiny_config(loss="l3"), real_pairs, tmp_path / "d", progress=False)


def test_cli_train_export_and_use(tmp_path, sample_map, capsys):
    """``sunpy-sr train`` on a folder, ``export-weights``, then ``superresolve(weights=...)``."""
    import json

    import sunpy_sr
    from sunpy_sr.cli import main
    data = tmp_path / "data"
    data.mkdir()
    sample_map.save(data / "hmi.m_720s.20160707_010000_TAI.magnetogram.fits", filetype="fits")
    run = {"config": {"preset": "rcan-tiny", "iterations": 4, "batch_size": 2, "patch": 16,
                      "checkpoint_every": 2, "validate_every": 2, "threads": 1,
                      "recipe": {"size": 128, "stride": 128, "max_distance": 1000}},
           "train_dates": [["2016-01-01", "2016-12-31"]]}
    (tmp_path / "run.json").write_text(json.dumps(run))
    out = tmp_path / "out"
    assert main(["--quiet", "train", "rcan", "--data", str(data), "--out", str(out),
                 "--config", str(tmp_path / "run.json")]) == 0
    files = json.loads((out / "files.json").read_text())
    # the crop grid is centred on the disk centre: one 128-px crop falls wholly inside the cutout
    assert files["train_pairs"] == 1 and files["val_pairs"] == 0
    assert main(["export-weights", str(out / "checkpoint.pt"), str(tmp_path / "mine.pt")]) == 0
    meta = json.loads((tmp_path / "mine.json").read_text())
    assert meta["iterations"] == 4 and meta["model_config"]["n_feats"] == 8
    crop = np.asarray(sample_map.data[:16, :16], dtype=np.float32)
    a = sunpy_sr.superresolve(crop, method="rcan", weights=tmp_path / "mine.pt", dtype="float32")
    b = sunpy_sr.superresolve(crop, method="rcan", weights=out / "checkpoint.pt", dtype="float32")
    assert a.shape == (64, 64)
    np.testing.assert_allclose(a, b, atol=0.5)  # fp16 storage vs the float32 checkpoint
