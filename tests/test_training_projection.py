"""The consistency projection inside training (GanSettings.consistent): exact, differentiable, used."""
import csv

import numpy as np
import pytest
import torch

from sunpy_sr.core.degradation import degrade_array
from sunpy_sr.core.operators import axis_operator, project_consistent
from sunpy_sr.training import TrainConfig, train
from sunpy_sr.training.projection import ConsistencyProjection, ProjectedModel
from sunpy_sr.training.strategies import strategy_for


@pytest.mark.parametrize("method", ["gaussian-bilinear", "bin"])
def test_axis_operator_is_the_degradation_of_a_nan_free_map(method):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 100, (24, 32))
    dy, dx = axis_operator(method, 24, 4), axis_operator(method, 32, 4)
    assert dy.shape == (6, 24) and dx.shape == (8, 32)
    np.testing.assert_allclose(dy.sum(axis=1), 1.0)
    np.testing.assert_allclose(dy @ x @ dx.T, degrade_array(x.astype(np.float32), method=method),
                               atol=1e-3)


def test_projection_degrades_onto_its_input_and_keeps_the_null_space():
    torch.manual_seed(0)
    project = ConsistencyProjection()
    lr = torch.randn(3, 1, 10, 14, dtype=torch.float64) * 300
    sr = torch.randn(3, 1, 40, 56, dtype=torch.float64) * 300
    x = project(sr, lr)
    assert float((project.degrade(x) - lr).abs().max()) < 1e-9  # G
    torch.testing.assert_close(project(x, lr), x)  # a projection: idempotent
    # the correction is orthogonal to the null space: <x - sr, n> = 0 for n with D n = 0
    n = project(torch.randn_like(sr), torch.zeros_like(lr))
    assert float(project.degrade(n).abs().max()) < 1e-9
    assert abs(float(((x - sr) * n).sum())) < 1e-6 * float((x - sr).norm() * n.norm())


def test_projection_equals_project_consistent_on_a_real_crop(real_pairs):
    lr, hr = real_pairs.lr[0], real_pairs.hr[0]
    sr = torch.nn.functional.interpolate(torch.from_numpy(lr)[None, None].double(), scale_factor=4,
                                         mode="bicubic")
    ours = ConsistencyProjection()(sr, torch.from_numpy(lr)[None, None].double())[0, 0].numpy()
    theirs = project_consistent(sr[0, 0].numpy(), lr, tol=1e-8)
    theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    assert np.abs(ours - theirs).max() < 1e-3  # G
    # and the target itself is consistent away from the crop's edges (LR pixels 1 ... n - 2)
    d = ConsistencyProjection().degrade(torch.from_numpy(hr).double()) - torch.from_numpy(lr)
    assert float(d[1:-1, 1:-1].abs().max()) < 1e-3


def test_projection_is_differentiable():
    project = ConsistencyProjection()
    sr = torch.zeros(1, 1, 16, 16, requires_grad=True)
    project(sr, torch.ones(1, 1, 4, 4)).sum().backward()
    assert sr.grad is not None and torch.isfinite(sr.grad).all()


def test_consistent_gan_training_projects_in_the_step_and_in_validation(real_pairs, tmp_path):
    gan = {"level1": 0, "fade": 0, "adversarial_start": 0, "consistent": True,
           "discriminator": {"width": 4, "n_down": 1, "max_width": 8}}
    cfg = TrainConfig(preset="progan-tiny", iterations=8, batch_size=4, patch=16, lr=1e-3, lr_halving=100,
                      checkpoint_every=8, validate_every=4, threads=1, seed=5, loss="mse", gan=gan)
    model = train(cfg, real_pairs, tmp_path, val_pairs=real_pairs, progress=False)
    with open(tmp_path / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["iteration"]) for r in rows] == [4, 8]
    strategy = strategy_for(cfg)
    assert strategy.projection is not None
    projected = ProjectedModel(model.eval(), strategy.projection)
    lr = torch.from_numpy(real_pairs.lr[0])[None, None]
    with torch.inference_mode():
        out = projected(lr)
        plain = model(lr)
    assert float((strategy.projection.degrade(out) - lr).abs().max()) < 1e-2  # G
    assert float((strategy.projection.degrade(plain) - lr).abs().max()) > 1.0  # the network alone is not
    # validation saw the projected output: its PSNR is that of ``projected``, not of the network
    from sunpy_sr.training.validation import validate
    expected = validate(projected, real_pairs, metrics=("psnr",))["psnr"]
    assert float(rows[-1]["val_psnr"]) == pytest.approx(expected, abs=1e-6)
