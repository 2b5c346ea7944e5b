"""
The training loop shared by every network: sampling, checkpoints, exact resume, logs.

Rahman et al. (2020) train RCAN with an L1 loss and Adam (beta 0.9, 0.999) at
a learning rate of 1e-4 halved every 2e5 iterations; those are the defaults here,
except ``lr_halving`` which a CPU run sets much lower.

Exact resume: a checkpoint holds the model, optimizer and scheduler states, the
iteration, and the states of both random generators (patch sampling and
augmentation come from one `numpy.random.Generator`), so a run interrupted and
resumed ends with the same weights as an uninterrupted one.
"""
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.inference.state import flush_denormal, torch_threads
from sunpy_sr.metrics import METRICS
from sunpy_sr.models.registry import build_model
from sunpy_sr.training import distributed as ddp
from sunpy_sr.training.checkpoints import init_from, load_checkpoint, restore_training_state, save_atomic
from sunpy_sr.training.log import plot_log, write_log
from sunpy_sr.training.losses import PIXEL_LOSSES
from sunpy_sr.training.sampling import PatchSampler

__all__ = ["train", "validate"]

#: Metrics of `sunpy_sr.metrics.METRICS` that `validate` reports (``val_<name>`` in ``log.csv``).
_VALIDATION_METRICS = ("psnr", "cc", "rmse")


def validate(model, pairs, batch=1):
    """
    Mean PSNR/CC/RMSE of ``model`` over validation pairs (per image, then averaged).

    Examples
    --------
    Any module mapping a ``(1, 1, ny, nx)`` LR tensor to its 4x will do; here bicubic
    interpolation, on the nine 64x64 crops of the shipped cutout of the validation disk:

    >>> import torch
    >>> from sunpy_sr.core.pairs import PairRecipe, make_pairs
    >>> from sunpy_sr.data.sample import HMI_ACTIVE_REGION
    >>> from sunpy_sr.training import validate
    >>> pairs = make_pairs([HMI_ACTIVE_REGION], PairRecipe(size=64, stride=64), progress=False)
    >>> scores = validate(torch.nn.Upsample(scale_factor=4, mode="bicubic"), pairs)
    >>> len(pairs), round(scores["psnr"], 1), round(scores["cc"], 3), round(scores["rmse"], 1)  # dB, -, G
    (9, 50.8, 0.862, 17.5)
    """
    model.eval()
    scores = {k: [] for k in _VALIDATION_METRICS}
    with torch.inference_mode():
        for lr, hr in zip(pairs.lr, pairs.hr):
            sr = model(torch.from_numpy(lr)[None, None])[0, 0].numpy()
            for k in _VALIDATION_METRICS:
                scores[k].append(METRICS[k].function(hr, sr))
    model.train()
    return {k: float(np.mean(v)) for k, v in scores.items()}

def train(config, train_pairs, out_dir, *, val_pairs=None, resume=False, progress=True,
          stop_after=None):
    """
    Train a network on HR/LR pairs.

    Parameters
    ----------
    config : `TrainConfig`
    train_pairs, val_pairs : `sunpy_sr.core.pairs.PairSet`
        Training and (optional) validation pairs, e.g. from `sunpy_sr.core.pairs.make_pairs`.
    out_dir : path-like
        Receives ``checkpoint.pt``, ``log.csv``, ``training.png`` and ``config.json``.
    resume : bool
        Continue from ``out_dir/checkpoint.pt`` exactly where it stopped.
    progress : bool
        Show a progress bar with the loss and iterations per second.
    stop_after : int, optional
        Stop (with a checkpoint) after this many iterations of this call, as an
        interruption would; used by tests of exact resume.

    Returns
    -------
    model : `torch.nn.Module`
        The trained network (in eval mode).

    Examples
    --------
    Four iterations of the tiny test network on 8x8 LR patches of the shipped cutout of
    the 2011-12-17 training disk, validated every two on that of the 2016-07-07 disk:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.core.pairs import PairRecipe, make_pairs
    >>> from sunpy_sr.data import sample, test
    >>> from sunpy_sr.training import TrainConfig, train
    >>> recipe = PairRecipe(size=64, stride=64)
    >>> train_pairs = make_pairs([test.HMI_AR_20111217], recipe, progress=False)
    >>> val_pairs = make_pairs([sample.HMI_ACTIVE_REGION], recipe, progress=False)
    >>> config = TrainConfig(preset="rcan-tiny", iterations=4, batch_size=2, patch=8, validate_every=2,
    ...                      threads=1)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     model = train(config, train_pairs, out, val_pairs=val_pairs, progress=False)
    ...     written = sorted(p.name for p in Path(out).iterdir())
    ...     log = (Path(out) / "log.csv").read_text().splitlines()
    >>> written
    ['checkpoint.pt', 'config.json', 'log.csv', 'training.png']
    >>> log[0], [row.split(",")[0] for row in log[1:]]  # a row per validation
    ('iteration,loss,lr,seconds,val_cc,val_psnr,val_rmse', ['2', '4'])
    >>> model.training, model.scale
    (False, 4)
    """
    if config.loss not in PIXEL_LOSSES:
        raise SunpySRError(f"loss must be one of {sorted(PIXEL_LOSSES)}, got {config.loss!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # torch's thread count and the denormal flag are the caller's again afterwards, also on error;
    # denormal floats slow x86 CPUs, and a network in training produces them
    loop = _train_pixel
    if config.model_config().get("arch") == "progan":
        from sunpy_sr.training.gan_loop import train_gan as loop
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            raise SunpySRError("multi-process training (torchrun) is implemented for the pixel loop only; "
                               "train the progressive GAN in one process")
    # under torchrun: one process group for the run (sunpy_sr.training.distributed), and the cores
    # of the node shared by its processes
    with ddp.process_group(), torch_threads(ddp.threads_per_process(config.threads)), flush_denormal(True):
        return loop(config, train_pairs, out_dir, val_pairs=val_pairs, resume=resume,
                            progress=progress, stop_after=stop_after)


def _train_pixel(config, train_pairs, out_dir, *, val_pairs, resume, progress, stop_after):
    """The loop of :func:`train` for networks trained on a pixel loss alone."""
    torch.manual_seed(config.seed)
    loss_fn, loss_unit = PIXEL_LOSSES[config.loss]
    model = build_model(config.model_config()).to(memory_format=torch.channels_last)
    if config.init_weights and not (resume and (out_dir / "checkpoint.pt").exists()):
        init_from(model, config.init_weights)
    factor = model.scale
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, betas=tuple(config.betas))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=config.lr_halving, gamma=0.5)
    rng = np.random.default_rng(ddp.rank_seed(config.seed))  # each rank draws its own patches
    start, log = 0, []
    ckpt_path = out_dir / "checkpoint.pt"
    if resume and ckpt_path.exists():
        start, log = restore_training_state(load_checkpoint(ckpt_path), rng, model=model, optimizer=opt,
                                            scheduler=sched)
    sampler = PatchSampler(train_pairs, config.patch, factor, config.strong_fraction,
                           config.strong_threshold, rng, sign_flip=config.sign_flip)
    if ddp.is_main():
        (out_dir / "config.json").write_text(json.dumps(asdict(config), indent=1))

    def checkpoint(it):
        rngs = ddp.gather_objects(rng.bit_generator.state)  # every rank's, so that resume is exact
        if not ddp.is_main():
            return
        save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(),
                      **({"numpy_rng_ranks": rngs} if len(rngs) > 1 else {}),
                      "scheduler": sched.state_dict(), "numpy_rng": rng.bit_generator.state,
                      "torch_rng": torch.get_rng_state(), "iteration": it, "log": log,
                      "config": asdict(config), "model_config": config.model_config()}, ckpt_path)

    net = ddp.wrap_model(model)  # DistributedDataParallel under torchrun: gradients all-reduced
    model.train()
    end = config.iterations if stop_after is None else min(config.iterations, start + stop_after)
    bar = tqdm(range(start, end), initial=start, total=config.iterations,
               disable=not progress or not ddp.is_main(), desc="train", unit="it")
    running, n_running, t0 = 0.0, 0, time.perf_counter()
    it = start
    for it in bar:
        lr_b, hr_b = sampler.batch(config.batch_size)
        lr_b = lr_b.contiguous(memory_format=torch.channels_last)
        loss = loss_fn(net(lr_b), hr_b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        n_running += 1
        bar.set_postfix(loss=f"{loss.item():.2f} {loss_unit}")
        done = it + 1
        if done % config.validate_every == 0 or done == config.iterations:
            row = {"iteration": done, "loss": ddp.all_mean(running / n_running),  # mean over the ranks
                   "lr": sched.get_last_lr()[0], "seconds": time.perf_counter() - t0}
            if val_pairs is not None and len(val_pairs) and ddp.is_main():
                row.update({f"val_{k}": v for k, v in validate(model, val_pairs).items()})
            log.append(row)
            if ddp.is_main():
                write_log(log, out_dir / "log.csv")
            running, n_running = 0.0, 0
        if done % config.checkpoint_every == 0:
            checkpoint(done)
    checkpoint(end)
    if log and ddp.is_main():
        write_log(log, out_dir / "log.csv")
        plot_log(log, out_dir / "training.png", loss_unit=loss_unit)
    ddp.barrier()  # every rank returns once rank 0 has written
    model.eval()
    return model
