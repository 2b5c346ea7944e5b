"""
The training loop of the progressive GAN (ProGanSR after Wang et al. 2018; Rahman et al. 2020).

A curriculum over iterations, all recorded in `GanSettings` (``TrainConfig.gan``):

1. ``[0, level1)``: the 2x level alone, on a pixel loss against the 2x target (the HR
   crop averaged over 2x2 blocks);
2. ``[level1, level1 + fade)``: the 4x level blended in: ``alpha`` rises linearly from 0
   to 1, the 4x output being ``(1 - alpha) * bicubic(Y_2x, 2) + alpha * Y_4x``; both
   levels keep their pixel losses;
3. until ``adversarial_start``: pixel pre-training of the whole generator;
4. from ``adversarial_start``: the generator adds the least-squares adversarial term
   (Eq. 4 of Rahman et al. 2020) and the perceptual term to its pixel loss; the
   discriminator (`ProgressiveDiscriminator`, which judges residuals: image minus
   bicubic of the LR input) is updated every ``d_every`` generator steps on Eq. 3.

A checkpoint holds the generator, the discriminator, both optimizers and schedulers,
the iteration (which fixes the curriculum position) and both random states, so
``resume=True`` ends with the same weights as an uninterrupted run.

References
----------
Wang, Y. et al. 2018, CVPR Workshops, arXiv:1804.02900.
Rahman, S. et al. 2020, ApJL 897, L32, Sect. 3.2, Eqs. 2-4.
Mao, X. et al. 2017, ICCV, arXiv:1611.04076.
"""
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.metrics import METRICS, magnetic_elements
from sunpy_sr.models.progan import bicubic
from sunpy_sr.models.registry import build_model
from sunpy_sr.training.checkpoints import init_from, load_checkpoint, restore_training_state, save_atomic
from sunpy_sr.training.discriminator import ProgressiveDiscriminator
from sunpy_sr.training.gan_losses import GAN_LOSSES, PerceptualLoss
from sunpy_sr.training.log import plot_log, write_log
from sunpy_sr.training.losses import PIXEL_LOSSES
from sunpy_sr.training.sampling import PatchSampler

__all__ = ["GanSettings", "train_gan", "validate_gan"]


@dataclass
class GanSettings:
    """The GAN part of a training run (``TrainConfig.gan``); iterations count from 0."""
    level1: int = 1000                  # iterations of the 2x level alone
    fade: int = 1000                    # iterations of the 4x level's fade-in
    adversarial_start: int = 4000       # first iteration with the adversarial and perceptual terms
    pixel_weight: float = 1.0           # weight of the pixel loss (TrainConfig.loss, on G)
    adversarial_weight: float = 1e-3    # weight of the LSGAN generator term (on normalised residuals)
    perceptual_weight: float = 1e-2     # weight of the perceptual term
    perceptual: str = "gradient-spectrum"  # "gradient-spectrum" (no file) or "vgg16" (needs vgg_weights)
    vgg_weights: str = ""               # a local VGG16 state_dict file (kind "vgg16"); nothing is downloaded
    adversarial_weight_end: float = -1.0  # if >= 0: the adversarial weight ramps linearly from
                                        # adversarial_weight (at adversarial_start) to this (at the
                                        # last iteration), so one run sweeps the perception-distortion
                                        # trade and its kept checkpoints sample it
    gan_loss: str = "lsgan"             # "lsgan" (Rahman et al. 2020) or "relativistic-lsgan"
    keep_checkpoints: bool = False      # also keep checkpoint-<iteration>.pt at every checkpoint
    element_threshold: float = 50.0     # G: validation counts magnetic elements above this
    d_every: int = 1                    # discriminator updates every k generator steps
    d_lr: float = 1e-4
    discriminator: dict = field(default_factory=lambda: {"width": 16, "n_down": 2, "max_width": 64})

    def alpha(self, it):
        """Fade-in weight of the 4x level at iteration ``it`` (None during the 2x-only phase)."""
        if it < self.level1:
            return None
        return 1.0 if self.fade <= 0 else min(1.0, (it - self.level1 + 1) / self.fade)

    def adversarial_weight_at(self, it, iterations):
        """Weight of the adversarial term at iteration ``it`` of a run of ``iterations``."""
        if self.adversarial_weight_end < 0 or iterations - 1 <= self.adversarial_start:
            return self.adversarial_weight
        t = min(1.0, max(0.0, (it - self.adversarial_start) / (iterations - 1 - self.adversarial_start)))
        return self.adversarial_weight + t * (self.adversarial_weight_end - self.adversarial_weight)

    def phase(self, it):
        if it < self.level1:
            return "2x"
        if it < self.level1 + self.fade:
            return "fade-in"
        return "pixel" if it < self.adversarial_start else "adversarial"


def _pixel_scale(loss_name):
    """Normalises the pixel loss (in G or G^2) so that the term weights are comparable."""
    return 1e-2 if loss_name == "l1" else 1e-4

#: Metrics of `sunpy_sr.metrics.METRICS` computed per image by `validate_gan` (then averaged); it adds
#: ``element_count_ratio`` and ``element_area_ratio`` pooled over the images.
_GAN_VALIDATION_METRICS = ("psnr", "cc", "rmse", "spectral_error")


def validate_gan(model, pairs, element_threshold=50.0):
    """
    Mean PSNR/CC/RMSE and spectral error (4x output) over validation pairs, and the
    magnetic-element statistics pooled over them (count ratio, median-area ratio at
    ``element_threshold`` G).
    """
    model.eval()
    scores = {k: [] for k in _GAN_VALIDATION_METRICS}
    n_t = n_o = 0
    areas_t, areas_o = [], []
    with torch.inference_mode():
        for lr, hr in zip(pairs.lr, pairs.hr):
            sr = model(torch.from_numpy(lr)[None, None])[0, 0].numpy()
            for k in _GAN_VALIDATION_METRICS:
                scores[k].append(METRICS[k].function(hr, sr))
            et, eo = magnetic_elements(hr, element_threshold), magnetic_elements(sr, element_threshold)
            n_t, n_o = n_t + et.count, n_o + eo.count
            areas_t.append(et.area)
            areas_o.append(eo.area)
    model.train()
    out = {k: float(np.mean(v)) for k, v in scores.items()}
    a_t, a_o = np.concatenate(areas_t), np.concatenate(areas_o)
    out["element_count_ratio"] = n_o / n_t if n_t else float("nan")
    out["element_area_ratio"] = (float(np.median(a_o) / np.median(a_t)) if a_t.size and a_o.size
                                 else float("nan"))
    return out


def train_gan(config, train_pairs, out_dir, *, val_pairs=None, resume=False, progress=True, stop_after=None):
    """
    Train the progressive GAN (called by `sunpy_sr.training.train` for ``progan`` presets).

    Parameters are those of `sunpy_sr.training.train`; ``config.gan`` holds the
    `GanSettings` fields. Writes ``checkpoint.pt`` (generator as ``model``, plus
    ``discriminator``), ``log.csv`` (loss of both networks, validation PSNR and
    spectral error), ``training.png`` and ``config.json`` to ``out_dir``, and a copy of
    the checkpoint at the end of the pixel pre-training, ``checkpoint-pretrain.pt``.

    Returns
    -------
    `torch.nn.Module`
        The generator, in eval mode.
    """
    gs = GanSettings(**config.gan)
    if gs.d_every < 1:
        raise SunpySRError(f"d_every must be >= 1, got {gs.d_every}")
    if gs.gan_loss not in GAN_LOSSES:
        raise SunpySRError(f"gan_loss must be one of {sorted(GAN_LOSSES)}, got {gs.gan_loss!r}")
    d_loss_fn, g_loss_fn = GAN_LOSSES[gs.gan_loss]
    out_dir = Path(out_dir)
    torch.manual_seed(config.seed)
    pixel_fn, pixel_unit = PIXEL_LOSSES[config.loss]
    pscale = _pixel_scale(config.loss)
    gen = build_model(config.model_config())
    if config.init_weights and not (resume and (out_dir / "checkpoint.pt").exists()):
        init_from(gen, config.init_weights)
    disc = ProgressiveDiscriminator(**gs.discriminator, field_scale=gen.field_scale)
    perceptual = PerceptualLoss(kind=gs.perceptual, weights=gs.vgg_weights or None,
                                field_scale=gen.field_scale)
    opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr, betas=tuple(config.betas))
    opt_d = torch.optim.Adam(disc.parameters(), lr=gs.d_lr, betas=tuple(config.betas))
    sched_g = torch.optim.lr_scheduler.StepLR(opt_g, step_size=config.lr_halving, gamma=0.5)
    sched_d = torch.optim.lr_scheduler.StepLR(opt_d, step_size=config.lr_halving, gamma=0.5)
    rng = np.random.default_rng(config.seed)
    start, log = 0, []
    ckpt_path = out_dir / "checkpoint.pt"
    if resume and ckpt_path.exists():
        start, log = restore_training_state(load_checkpoint(ckpt_path), rng, model=gen, discriminator=disc,
                                            optimizer=opt_g, optimizer_d=opt_d, scheduler=sched_g,
                                            scheduler_d=sched_d)
    sampler = PatchSampler(train_pairs, config.patch, gen.scale, config.strong_fraction,
                           config.strong_threshold, rng, sign_flip=config.sign_flip)
    run = asdict(config)
    run["perceptual_loss"] = perceptual.description
    (out_dir / "config.json").write_text(json.dumps(run, indent=1))

    def checkpoint(it):
        save_atomic({"model": gen.state_dict(), "discriminator": disc.state_dict(),
                     "optimizer": opt_g.state_dict(), "optimizer_d": opt_d.state_dict(),
                     "scheduler": sched_g.state_dict(), "scheduler_d": sched_d.state_dict(),
                     "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                     "iteration": it, "phase": gs.phase(max(it - 1, 0)), "log": log,
                     "config": asdict(config), "model_config": config.model_config(),
                     "perceptual_loss": perceptual.config}, ckpt_path)

    gen.train()
    disc.train()
    end = config.iterations if stop_after is None else min(config.iterations, start + stop_after)
    bar = tqdm(range(start, end), initial=start, total=config.iterations, disable=not progress,
               desc="train progan", unit="it")
    sums, n_sum, t0 = {}, 0, time.perf_counter()
    for it in bar:
        lr_b, hr_b = sampler.batch(config.batch_size)
        hr2 = F.avg_pool2d(hr_b, 2)
        alpha = gs.alpha(it)
        terms = {}
        if alpha is None:
            out2 = gen(lr_b, level=1)
            terms["pixel"] = pixel_fn(out2, hr2)
            loss_g = gs.pixel_weight * pscale * terms["pixel"]
        else:
            out2, out4 = gen.forward_pyramid(lr_b, alpha=alpha)
            terms["pixel"] = pixel_fn(out4, hr_b) + 0.25 * pixel_fn(out2, hr2)
            loss_g = gs.pixel_weight * pscale * terms["pixel"]
            if it >= gs.adversarial_start:
                base4 = bicubic(lr_b, 4)
                d_real_g = None
                if gs.gan_loss != "lsgan":
                    with torch.no_grad():
                        d_real_g = disc(hr_b - base4)
                terms["adversarial"] = g_loss_fn(disc(out4 - base4), d_real_g)
                terms["perceptual"] = perceptual(out4, hr_b)
                loss_g = loss_g + gs.adversarial_weight_at(it, config.iterations) * terms["adversarial"] \
                    + gs.perceptual_weight * terms["perceptual"]
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        sched_g.step()
        if alpha is not None and it >= gs.adversarial_start and (it - gs.adversarial_start) % gs.d_every == 0:
            with torch.no_grad():
                fake = out4.detach() - base4
                real = hr_b - base4
            loss_d = d_loss_fn(disc(real), disc(fake))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            sched_d.step()
            terms["discriminator"] = loss_d
        terms["generator"] = loss_g
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.item())
        n_sum += 1
        bar.set_postfix(phase=gs.phase(it), G=f"{loss_g.item():.3g}",
                        D=f"{terms['discriminator'].item():.3g}" if "discriminator" in terms else "-")
        done = it + 1
        if done % config.validate_every == 0 or done == config.iterations:
            row = {"iteration": done, "phase": gs.phase(it), "loss": sums.get("pixel", 0.0) / n_sum,
                   "lr": sched_g.get_last_lr()[0], "seconds": time.perf_counter() - t0,
                   **{f"loss_{k}": v / n_sum for k, v in sums.items() if k != "pixel"}}
            if val_pairs is not None and len(val_pairs) and alpha is not None:
                val = validate_gan(gen, val_pairs, gs.element_threshold)
                row.update({f"val_{k}": v for k, v in val.items()})
            log.append(row)
            write_log(log, out_dir / "log.csv")
            sums, n_sum = {}, 0
        if done % config.checkpoint_every == 0:
            checkpoint(done)
            if gs.keep_checkpoints:
                shutil.copyfile(ckpt_path, out_dir / f"checkpoint-{done}.pt")
        if done == gs.adversarial_start:  # keep the pixel-pretrained generator for comparison
            checkpoint(done)
            shutil.copyfile(ckpt_path, out_dir / "checkpoint-pretrain.pt")
    checkpoint(end)
    if log:
        write_log(log, out_dir / "log.csv")
        plot_log(log, out_dir / "training.png", loss_unit=pixel_unit)
    gen.eval()
    return gen
