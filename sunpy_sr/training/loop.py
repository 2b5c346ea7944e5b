"""
The one training loop, for every network: sampling, checkpoints, exact resume, logs.

What an iteration does is the run's strategy (`sunpy_sr.training.strategies`): a pixel
loss alone, or the progressive GAN's adversarial curriculum, chosen by ``TrainConfig.gan``.

Rahman et al. (2020) train RCAN with an L1 loss and Adam (beta 0.9, 0.999) at
a learning rate of 1e-4 halved every 2e5 iterations; those are the defaults here,
except ``lr_halving`` which a CPU run sets much lower.

Exact resume: a checkpoint holds the model, optimizer and scheduler states (and the
strategy's: a discriminator, its optimizer and scheduler), the iteration, and the
states of both random generators (patch sampling and augmentation come from one
`numpy.random.Generator`), so a run interrupted and resumed ends with the same weights
as an uninterrupted one.
"""
import json
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.inference.state import flush_denormal, torch_threads
from sunpy_sr.models.registry import build_model
from sunpy_sr.progress import show_progress
from sunpy_sr.training import distributed as ddp
from sunpy_sr.training.checkpoints import init_from, load_checkpoint, restore_training_state, save_atomic
from sunpy_sr.training.log import plot_log, write_log
from sunpy_sr.training.losses import PIXEL_LOSSES
from sunpy_sr.training.sampling import PatchSampler
from sunpy_sr.training.strategies import strategy_for

__all__ = ["train"]


def train(config, train_pairs, out_dir, *, val_pairs=None, resume=False, progress=None,
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
    progress : bool or None
        Show a progress bar with the loss and iterations per second; None (default): when
        the standard error is a terminal (`sunpy_sr.progress.show_progress`).
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
    strategy = strategy_for(config)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not strategy.distributed:
        raise SunpySRError(f"multi-process training (torchrun) is implemented for the pixel strategy only; "
                           f"train with the {strategy.name} strategy (TrainConfig.gan) in one process")
    # under torchrun: one process group for the run (sunpy_sr.training.distributed), and the cores
    # of the node shared by its processes
    with ddp.process_group(), torch_threads(ddp.threads_per_process(config.threads)), flush_denormal(True):
        return _run(config, strategy, train_pairs, out_dir, val_pairs=val_pairs, resume=resume,
                    progress=progress, stop_after=stop_after)


def _run(config, strategy, train_pairs, out_dir, *, val_pairs, resume, progress, stop_after):
    """The loop of :func:`train`; each iteration is ``strategy.step``."""
    torch.manual_seed(config.seed)
    model = build_model(config.model_config())
    if strategy.channels_last:
        model = model.to(memory_format=torch.channels_last)
    ckpt_path = out_dir / "checkpoint.pt"
    if config.init_weights and not (resume and ckpt_path.exists()):
        init_from(model, config.init_weights)
    strategy.build(model)
    opt = torch.optim.Adam(strategy.param_groups(model), lr=config.lr, betas=tuple(config.betas))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=config.lr_halving, gamma=0.5)
    rng = np.random.default_rng(ddp.rank_seed(config.seed))  # each rank draws its own patches
    start, log = 0, []
    if resume and ckpt_path.exists():
        start, log = restore_training_state(load_checkpoint(ckpt_path), rng, model=model, optimizer=opt,
                                            scheduler=sched, **strategy.stateful())
    sampler = PatchSampler(train_pairs, config.patch, model.scale, config.strong_fraction,
                           config.strong_threshold, rng, sign_flip=config.sign_flip)
    if ddp.is_main():
        (out_dir / "config.json").write_text(json.dumps({**asdict(config), **strategy.run_info()}, indent=1))

    def checkpoint(it, copies=()):
        rngs = ddp.gather_objects(rng.bit_generator.state)  # every rank's, so that resume is exact
        if not ddp.is_main():
            return
        save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": sched.state_dict(),
                     **{key: obj.state_dict() for key, obj in strategy.stateful().items()},
                     **({"numpy_rng_ranks": rngs} if len(rngs) > 1 else {}),
                     "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                     "iteration": it, "log": log, "config": asdict(config),
                     "model_config": config.model_config(), **strategy.checkpoint_extra(it)}, ckpt_path)
        for name in copies:
            shutil.copyfile(ckpt_path, out_dir / name)

    net = ddp.wrap_model(model)  # DistributedDataParallel under torchrun: gradients all-reduced
    model.train()
    end = config.iterations if stop_after is None else min(config.iterations, start + stop_after)
    quiet = not show_progress(progress, long=True) or not ddp.is_main()
    bar = tqdm(range(start, end), initial=start, total=config.iterations, disable=quiet,
               desc=strategy.description, unit="it")
    sums, n_sum, t0 = {}, 0, time.perf_counter()
    for it in bar:
        lr_b, hr_b = sampler.batch(config.batch_size)
        terms = strategy.step(it, net, lr_b, hr_b, opt, sched)
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.item())
        n_sum += 1
        bar.set_postfix(strategy.postfix(it, terms))
        done = it + 1
        if done % config.validate_every == 0 or done == config.iterations:
            # the loss terms are means over the iterations since the last row and over the ranks
            row = {"iteration": done, **strategy.log_extra(it),
                   "loss": ddp.all_mean(sums.get("pixel", 0.0) / n_sum), "lr": sched.get_last_lr()[0],
                   "seconds": time.perf_counter() - t0,
                   **{f"loss_{k}": ddp.all_mean(v / n_sum) for k, v in sums.items() if k != "pixel"}}
            if val_pairs is not None and len(val_pairs) and strategy.validates_at(it) and ddp.is_main():
                row.update({f"val_{k}": v for k, v in strategy.validate(model, val_pairs).items()})
            log.append(row)
            if ddp.is_main():
                write_log(log, out_dir / "log.csv")
            sums, n_sum = {}, 0
        regular = done % config.checkpoint_every == 0
        copies = strategy.checkpoint_copies(done, regular)
        if regular or copies:
            checkpoint(done, copies)
    checkpoint(end)
    if log and ddp.is_main():
        write_log(log, out_dir / "log.csv")
        plot_log(log, out_dir / "training.png", loss_unit=strategy.loss_unit)
    ddp.barrier()  # every rank returns once rank 0 has written
    model.eval()
    return model
