"""
The training strategies: what one iteration of `sunpy_sr.training.train` does.

The loop (`sunpy_sr.training.loop`) is the same for every network: seeding, the
network, the optimizer and its scheduler, exact resume, patch sampling,
checkpoints, the log and the progress bar. A strategy supplies the rest, as the
model classes of BasicSR do:

- ``build(model)``: extra networks, optimizers and losses (and checks that the
  network suits it);
- ``step(it, net, lr, hr, optimizer, scheduler)``: one iteration, returning its
  loss terms (``"pixel"`` is the one logged as ``loss``, the others as ``loss_<name>``);
- ``stateful()`` and ``checkpoint_extra(iteration)``: what a checkpoint holds beyond the
  loop's own keys, restored on resume;
- ``validates_at(it)`` and ``validate(model, pairs)``: the validation metrics.

`strategy_for` chooses from the configuration: `GanStrategy` when ``TrainConfig.gan``
is set (not empty), `PixelStrategy` otherwise.

The adversarial strategy trains the progressive GAN (ProGanSR after Wang et al. 2018;
Rahman et al. 2020) along a curriculum over iterations, all recorded in `GanSettings`
(``TrainConfig.gan``):

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

Its checkpoints also hold the discriminator, its optimizer and scheduler, so
``resume=True`` ends with the same weights as an uninterrupted run.

References
----------
Wang, Y. et al. 2018, CVPR Workshops, arXiv:1804.02900.
Rahman, S. et al. 2020, ApJL 897, L32, Sect. 3.2, Eqs. 2-4.
Mao, X. et al. 2017, ICCV, arXiv:1611.04076.
"""
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.models.progan import bicubic
from sunpy_sr.training.discriminator import ProgressiveDiscriminator
from sunpy_sr.training.gan_losses import GAN_LOSSES, PerceptualLoss
from sunpy_sr.training.losses import PIXEL_LOSSES
from sunpy_sr.training.projection import ConsistencyProjection, ProjectedModel
from sunpy_sr.training.targets import SharpenedTarget
from sunpy_sr.training.validation import VALIDATION_METRICS, validate

__all__ = ["PixelStrategy", "GanStrategy", "GanSettings", "strategy_for"]


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
    consistent: bool = False            # project the 4x output onto {x : D x = lr} (the training
                                        # recipe) before every loss and in validation, so the
                                        # generator only supplies what the input does not determine
    feature_matching_weight: float = 0.0  # weight of the feature-matching term (pix2pixHD, Wang et
                                        # al. 2018): the mean L1 distance between the discriminator's
                                        # activations on the output's residual and on the target's
    pixel_target_sharpening: dict = field(default_factory=dict)  # if set ({"curve": [[f, g], ...],
                                        # "strength": s}, sunpy_sr.training.targets): the pixel terms
                                        # compare with the sharpened target, the discriminator and the
                                        # perceptual term with the target itself
    noise_lr: float = 0.0               # if > 0: the learning rate of the generator's noise scales
                                        # (ProGenerator(noise=True)), which start at zero and at the
                                        # generator's small fine-tuning rate would hardly move
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


def _descend(loss, optimizer, scheduler):
    """One optimizer step on ``loss``, then one scheduler step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    scheduler.step()


class PixelStrategy:
    """
    A pixel loss alone (``TrainConfig.loss``), validated on PSNR, CC and RMSE.

    Rahman et al. (2020) train RCAN with an L1 loss; the only strategy that runs in
    several processes (torchrun, `sunpy_sr.training.distributed`).
    """
    name = "pixel"
    description = "train"          # the progress bar's
    distributed = True             # runs under torchrun
    channels_last = True           # the network and its input in channels-last memory
    validation_metrics = VALIDATION_METRICS

    def __init__(self, config):
        self.config = config
        self.pixel_fn, self.loss_unit = PIXEL_LOSSES[config.loss]

    def build(self, model):
        """Nothing beyond the network, its optimizer and scheduler."""

    def param_groups(self, model):
        """The network's parameter groups for its optimizer (one, at ``TrainConfig.lr``)."""
        return [{"params": list(model.parameters())}]

    def stateful(self):
        """Checkpoint key -> object with ``state_dict`` beyond the network, optimizer and scheduler."""
        return {}

    def checkpoint_extra(self, iteration):
        """Plain values a checkpoint holds beyond the loop's own."""
        return {}

    def run_info(self):
        """Entries ``config.json`` holds beyond the `TrainConfig` fields."""
        return {}

    def log_extra(self, it):
        """Entries of the log row at iteration ``it`` beyond the losses and validation."""
        return {}

    def checkpoint_copies(self, done, regular):
        """Names of copies of ``checkpoint.pt`` to keep after ``done`` iterations."""
        return []

    def step(self, it, net, lr, hr, optimizer, scheduler):
        """One iteration on the batch ``(lr, hr)`` (G); returns the loss terms (tensors)."""
        loss = self.pixel_fn(net(lr.contiguous(memory_format=torch.channels_last)), hr)
        _descend(loss, optimizer, scheduler)
        return {"pixel": loss}

    def postfix(self, it, terms):
        """The progress bar's postfix after iteration ``it``."""
        return {"loss": f"{terms['pixel'].item():.2f} {self.loss_unit}"}

    def validates_at(self, it):
        """Whether a log row at iteration ``it`` carries validation metrics."""
        return True

    def validate(self, model, pairs):
        """The validation metrics of ``model`` on ``pairs`` (`sunpy_sr.training.validate`)."""
        return validate(model, pairs, metrics=self.validation_metrics)


class GanStrategy(PixelStrategy):
    """
    The progressive GAN's curriculum (`GanSettings`, from ``TrainConfig.gan``): pixel
    losses on both levels, then the adversarial and perceptual terms and the
    discriminator's updates; validated also on the spectral error and the magnetic
    elements. The generator must be progressive (architecture ``"progan"``).
    """
    name = "gan"
    description = "train progan"
    distributed = False
    channels_last = False
    validation_metrics = ("psnr", "cc", "rmse", "spectral_error")

    def __init__(self, config):
        super().__init__(config)
        self.gs = gs = GanSettings(**config.gan)
        if gs.d_every < 1:
            raise SunpySRError(f"d_every must be >= 1, got {gs.d_every}")
        if gs.gan_loss not in GAN_LOSSES:
            raise SunpySRError(f"gan_loss must be one of {sorted(GAN_LOSSES)}, got {gs.gan_loss!r}")
        self.d_loss_fn, self.g_loss_fn = GAN_LOSSES[gs.gan_loss]
        self.pscale = _pixel_scale(config.loss)
        self.projection = ConsistencyProjection() if gs.consistent else None
        sharpening = gs.pixel_target_sharpening
        if sharpening and set(sharpening) - {"curve", "strength", "radius"}:
            raise SunpySRError(f"pixel_target_sharpening takes curve, strength and radius, "
                               f"got {sorted(sharpening)}")
        self.sharpen = SharpenedTarget(**sharpening) if sharpening else None

    def build(self, gen):
        """The discriminator, the perceptual loss, the discriminator's optimizer and scheduler."""
        if not hasattr(gen, "forward_pyramid"):
            raise SunpySRError("the adversarial strategy (TrainConfig.gan set) trains a progressive "
                               "generator (architecture 'progan'); leave gan empty for a pixel loss alone")
        gs, config = self.gs, self.config
        self.gen = gen
        self.disc = ProgressiveDiscriminator(**gs.discriminator, field_scale=gen.field_scale).train()
        self.perceptual = PerceptualLoss(kind=gs.perceptual, weights=gs.vgg_weights or None,
                                         field_scale=gen.field_scale)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=gs.d_lr, betas=tuple(config.betas))
        self.sched_d = torch.optim.lr_scheduler.StepLR(self.opt_d, step_size=config.lr_halving, gamma=0.5)

    def param_groups(self, gen):
        """The generator's parameters, its noise scales apart at ``noise_lr`` where that is set."""
        if self.gs.noise_lr <= 0:
            return super().param_groups(gen)
        named = list(gen.named_parameters())
        noise = [p for name, p in named if name.startswith("noise_scale_")]
        if not noise:
            raise SunpySRError("noise_lr is set but the generator has no noise scales; "
                               "configure the model with noise=True")
        rest = [p for name, p in named if not name.startswith("noise_scale_")]
        return [{"params": rest}, {"params": noise, "lr": self.gs.noise_lr}]

    def stateful(self):
        return {"discriminator": self.disc, "optimizer_d": self.opt_d, "scheduler_d": self.sched_d}

    def checkpoint_extra(self, iteration):
        return {"phase": self.gs.phase(max(iteration - 1, 0)), "perceptual_loss": self.perceptual.config}

    def run_info(self):
        return {"perceptual_loss": self.perceptual.description}

    def log_extra(self, it):
        extra = {"phase": self.gs.phase(it)}
        for name, p in self.gen.named_parameters():  # the mean |scale| of injected noise, if any
            if name.startswith("noise_scale_"):
                extra[name] = float(p.detach().abs().mean())
        return extra

    def checkpoint_copies(self, done, regular):
        """Every kept checkpoint (``keep_checkpoints``), and the pixel-pretrained generator."""
        keep = [f"checkpoint-{done}.pt"] if regular and self.gs.keep_checkpoints else []
        return keep + (["checkpoint-pretrain.pt"] if done == self.gs.adversarial_start else [])

    def step(self, it, net, lr, hr, optimizer, scheduler):
        gs, gen, disc = self.gs, self.gen, self.disc
        target = hr if self.sharpen is None else self.sharpen(hr)  # of the pixel terms
        hr2 = F.avg_pool2d(target, 2)
        alpha = gs.alpha(it)
        adversarial = alpha is not None and it >= gs.adversarial_start
        terms = {}
        if alpha is None:
            out2 = gen(lr, level=1)
            terms["pixel"] = self.pixel_fn(out2, hr2)
        else:
            out2, out4 = gen.forward_pyramid(lr, alpha=alpha)
            if self.projection is not None:
                out4 = self.projection(out4, lr)
            terms["pixel"] = self.pixel_fn(out4, target) + 0.25 * self.pixel_fn(out2, hr2)
        loss_g = gs.pixel_weight * self.pscale * terms["pixel"]
        if adversarial:
            base4 = bicubic(lr, 4)
            matching = gs.feature_matching_weight > 0
            d_real_g = real_features = None
            if gs.gan_loss != "lsgan" or matching:
                with torch.no_grad():
                    real_features = disc.features(hr - base4)
                    d_real_g = real_features[-1]
            fake_features = disc.features(out4 - base4)
            terms["adversarial"] = self.g_loss_fn(fake_features[-1], d_real_g)
            terms["perceptual"] = self.perceptual(out4, hr)
            loss_g = loss_g + gs.adversarial_weight_at(it, self.config.iterations) * terms["adversarial"] \
                + gs.perceptual_weight * terms["perceptual"]
            if matching:
                terms["feature_matching"] = sum(
                    F.l1_loss(f, r) for f, r in zip(fake_features[:-1], real_features[:-1])
                ) / (len(fake_features) - 1)
                loss_g = loss_g + gs.feature_matching_weight * terms["feature_matching"]
        _descend(loss_g, optimizer, scheduler)
        if adversarial and (it - gs.adversarial_start) % gs.d_every == 0:
            with torch.no_grad():
                fake = out4.detach() - base4
                real = hr - base4
            terms["discriminator"] = self.d_loss_fn(disc(real), disc(fake))
            _descend(terms["discriminator"], self.opt_d, self.sched_d)
        terms["generator"] = loss_g
        return terms

    def postfix(self, it, terms):
        d = terms.get("discriminator")
        return {"phase": self.gs.phase(it), "G": f"{terms['generator'].item():.3g}",
                "D": f"{d.item():.3g}" if d is not None else "-"}

    def validates_at(self, it):
        """Once the 4x level is in (from ``level1``)."""
        return self.gs.alpha(it) is not None

    def validate(self, model, pairs):
        if self.projection is not None:
            model = ProjectedModel(model, self.projection)
        return validate(model, pairs, metrics=self.validation_metrics,
                        element_threshold=self.gs.element_threshold)


def strategy_for(config):
    """
    The strategy of a run: `GanStrategy` if ``config.gan`` is set (not empty), else `PixelStrategy`.

    Examples
    --------
    >>> from sunpy_sr.training import TrainConfig
    >>> from sunpy_sr.training.strategies import strategy_for
    >>> strategy_for(TrainConfig(preset="rcan-tiny")).name
    'pixel'
    >>> strategy = strategy_for(TrainConfig(preset="progan-tiny", gan={"adversarial_start": 0}))
    >>> strategy.name, strategy.gs.adversarial_start
    ('gan', 0)
    """
    return GanStrategy(config) if config.gan else PixelStrategy(config)
