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
import csv
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from sunpy_sr.metrics import pearson_cc, psnr, rmse
from sunpy_sr.models.rcan import RCAN
from sunpy_sr.models.registry import build_model, get_preset
from sunpy_sr.pairs import PairRecipe, make_pairs

__all__ = ["TrainConfig", "PatchSampler", "train", "load_checkpoint"]


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved in every checkpoint)."""
    preset: str = "rcan-small"
    model: dict = field(default_factory=dict)       # overrides of the preset
    iterations: int = 10000
    batch_size: int = 8
    patch: int = 48                                 # LR patch size (pixels); HR is factor x
    lr: float = 1e-4
    lr_halving: int = 200000                        # iterations between halvings (paper: 2e5)
    betas: tuple = (0.9, 0.999)
    seed: int = 0
    strong_fraction: float = 0.5                    # share of patches drawn from strong-field places
    strong_threshold: float = 300.0                 # G: a patch is "strong" if max |B_HR| exceeds this
    checkpoint_every: int = 500
    validate_every: int = 500
    threads: int = 0                                # 0: all cores
    recipe: dict = field(default_factory=dict)      # PairRecipe fields for training files
    val_recipe: dict = field(default_factory=dict)  # PairRecipe fields for validation files
    loss: str = "l1"                                # "l1" (the paper) or "mse" (aligned with PSNR)
    sign_flip: bool = True                          # also augment B -> -B (physics is sign-symmetric)
    init_weights: str = ""                          # start from these weights (fine-tuning, or growing a
                                                    # shallower RCAN deeper); "" = random

    def model_config(self):
        cfg = get_preset(self.preset)
        cfg.update(self.model)
        return cfg


class PatchSampler:
    """
    Draws augmented (LR, HR) patch batches, balancing quiet Sun and strong fields.

    Candidate patches lie on a grid of stride ``patch // 2`` (LR pixels) in every
    pair; a candidate is *strong* when its HR ``max |B|`` exceeds ``strong_threshold``.
    With probability ``strong_fraction`` a patch is drawn from the strong
    candidates, otherwise from all. Each patch gets one of the 8 symmetries of the
    square (rotations by 90 degrees and flips), which move pixels but keep the
    sign of the LOS field, and, with ``sign_flip``, a reversal of polarity with
    probability 1/2: the degradation is linear and the Sun has no preferred
    polarity, so ``-B`` is as valid a training pair as ``B``.
    """

    def __init__(self, pairs, patch, factor, strong_fraction, strong_threshold, rng, sign_flip=False):
        self.pairs, self.patch, self.factor = pairs, patch, factor
        self.strong_fraction = strong_fraction
        self.sign_flip = sign_flip
        self.rng = rng
        all_c, strong_c = [], []
        step = max(1, patch // 2)
        for k, lr in enumerate(pairs.lr):
            ny, nx = lr.shape
            for r in range(0, ny - patch + 1, step):
                for c in range(0, nx - patch + 1, step):
                    all_c.append((k, r, c))
                    hr = pairs.hr[k][r * factor:(r + patch) * factor, c * factor:(c + patch) * factor]
                    if np.abs(hr).max() > strong_threshold:
                        strong_c.append((k, r, c))
        if not all_c:
            raise ValueError(f"no LR crop is at least {patch} pixels wide")
        self.all, self.strong = np.array(all_c), np.array(strong_c).reshape(-1, 3)

    def batch(self, n):
        lrs, hrs = [], []
        f, p = self.factor, self.patch
        for _ in range(n):
            pool = self.strong if (len(self.strong) and self.rng.random() < self.strong_fraction) else self.all
            k, r, c = pool[self.rng.integers(len(pool))]
            lr = self.pairs.lr[k][r:r + p, c:c + p]
            hr = self.pairs.hr[k][r * f:(r + p) * f, c * f:(c + p) * f]
            rot, flip = int(self.rng.integers(4)), bool(self.rng.integers(2))
            lr, hr = np.rot90(lr, rot), np.rot90(hr, rot)
            if flip:
                lr, hr = lr[:, ::-1], hr[:, ::-1]
            if self.sign_flip and self.rng.integers(2):
                lr, hr = -lr, -hr
            lrs.append(lr.copy())
            hrs.append(hr.copy())
        return (torch.from_numpy(np.stack(lrs)[:, None]), torch.from_numpy(np.stack(hrs)[:, None]))


#: loss name -> (function, unit of its value)
_LOSSES = {"l1": (torch.nn.functional.l1_loss, "G"), "mse": (torch.nn.functional.mse_loss, "G^2")}


def _init_from(model, path):
    """Load a checkpoint or exported weight file into ``model`` (fine-tuning, or growing deeper)."""
    from sunpy_sr.weights import load_network
    source, _ = load_network(path)
    grow = isinstance(model, RCAN) and isinstance(source, RCAN) and len(source.body) < len(model.body)
    load = model.load_shallower if grow else model.load_state_dict  # growing: new groups = identity
    try:
        load(source.state_dict())
    except (RuntimeError, ValueError) as e:
        raise ValueError(f"init_weights {path} do not fit the configured architecture: {e}") from None


def _save_atomic(obj, path):
    tmp = Path(str(path) + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_checkpoint(path):
    """Load a training checkpoint (a dict; ``weights_only=True``)."""
    return torch.load(path, map_location="cpu", weights_only=False)


def validate(model, pairs, batch=1):
    """Mean PSNR/CC/RMSE of ``model`` over validation pairs (per image, then averaged)."""
    model.eval()
    scores = {"psnr": [], "cc": [], "rmse": []}
    with torch.inference_mode():
        for lr, hr in zip(pairs.lr, pairs.hr):
            sr = model(torch.from_numpy(lr)[None, None])[0, 0].numpy()
            scores["psnr"].append(psnr(hr, sr))
            scores["cc"].append(pearson_cc(hr, sr))
            scores["rmse"].append(rmse(hr, sr))
    model.train()
    return {k: float(np.mean(v)) for k, v in scores.items()}


def train(config, train_pairs, out_dir, *, val_pairs=None, resume=False, progress=True,
          stop_after=None):
    """
    Train a network on HR/LR pairs.

    Parameters
    ----------
    config : `TrainConfig`
    train_pairs, val_pairs : `sunpy_sr.pairs.PairSet`
        Training and (optional) validation pairs, e.g. from `sunpy_sr.pairs.make_pairs`.
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
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    torch.manual_seed(config.seed)
    if config.loss not in _LOSSES:
        raise ValueError(f"loss must be one of {sorted(_LOSSES)}, got {config.loss!r}")
    loss_fn, loss_unit = _LOSSES[config.loss]
    model = build_model(config.model_config()).to(memory_format=torch.channels_last)
    if config.init_weights and not (resume and (out_dir / "checkpoint.pt").exists()):
        _init_from(model, config.init_weights)
    factor = model.scale
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, betas=tuple(config.betas))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=config.lr_halving, gamma=0.5)
    rng = np.random.default_rng(config.seed)
    start, log = 0, []
    ckpt_path = out_dir / "checkpoint.pt"
    if resume and ckpt_path.exists():
        ck = load_checkpoint(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        rng.bit_generator.state = ck["numpy_rng"]
        torch.set_rng_state(ck["torch_rng"])
        start, log = ck["iteration"], ck["log"]
    sampler = PatchSampler(train_pairs, config.patch, factor, config.strong_fraction,
                           config.strong_threshold, rng, sign_flip=config.sign_flip)
    (out_dir / "config.json").write_text(json.dumps(asdict(config), indent=1))

    def checkpoint(it):
        _save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(),
                      "scheduler": sched.state_dict(), "numpy_rng": rng.bit_generator.state,
                      "torch_rng": torch.get_rng_state(), "iteration": it, "log": log,
                      "config": asdict(config), "model_config": config.model_config()}, ckpt_path)

    model.train()
    torch.set_flush_denormal(True)  # denormal floats slow x86 CPUs several-fold
    end = config.iterations if stop_after is None else min(config.iterations, start + stop_after)
    bar = tqdm(range(start, end), initial=start, total=config.iterations, disable=not progress,
               desc="train", unit="it")
    running, n_running, t0 = 0.0, 0, time.perf_counter()
    it = start
    for it in bar:
        lr_b, hr_b = sampler.batch(config.batch_size)
        lr_b = lr_b.contiguous(memory_format=torch.channels_last)
        loss = loss_fn(model(lr_b), hr_b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        n_running += 1
        bar.set_postfix(loss=f"{loss.item():.2f} {loss_unit}")
        done = it + 1
        if done % config.validate_every == 0 or done == config.iterations:
            row = {"iteration": done, "loss": running / n_running, "lr": sched.get_last_lr()[0],
                   "seconds": time.perf_counter() - t0}
            if val_pairs is not None and len(val_pairs):
                row.update({f"val_{k}": v for k, v in validate(model, val_pairs).items()})
            log.append(row)
            _write_log(log, out_dir / "log.csv")
            running, n_running = 0.0, 0
        if done % config.checkpoint_every == 0:
            checkpoint(done)
    torch.set_flush_denormal(False)
    checkpoint(end)
    if log:
        _write_log(log, out_dir / "log.csv")
        plot_log(log, out_dir / "training.png")
    model.eval()
    return model


def _write_log(log, path):
    keys = sorted({k for row in log for k in row}, key=lambda k: (k != "iteration", k))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(log)


def plot_log(log, path):
    """Plot training loss and validation PSNR against iteration into a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    it = [r["iteration"] for r in log]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
    ax[0].plot(it, [r["loss"] for r in log])
    ax[0].set(xlabel="iteration", ylabel="training loss", yscale="log", title="training loss")
    if "val_psnr" in log[0]:
        ax[1].plot(it, [r["val_psnr"] for r in log])
        ax[1].set(xlabel="iteration", ylabel="PSNR (dB, MAX 4000 G)", title="validation")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def pairs_for_training(train_files, val_files, config, cache_dir, progress=True):
    """Build training and validation pairs for ``config`` (cached in ``cache_dir``)."""
    train_pairs = make_pairs(train_files, PairRecipe(**config.recipe), cache_dir, progress)
    val_pairs = make_pairs(val_files, PairRecipe(**config.val_recipe), cache_dir, progress) \
        if val_files else None
    return train_pairs, val_pairs


def load_run_file(path):
    """
    Read a run file (JSON): ``{"config": {...TrainConfig fields...}, "train_dates": [[start, end], ...],
    "val_dates": [[start, end], ...], "val_full_disk_only": bool}``.
    """
    spec = json.loads(Path(path).read_text())
    return TrainConfig(**spec.get("config", {})), spec


def train_from_folder(data_dir, out_dir, run_file=None, *, config=None, resume=False, progress=True):
    """
    Train from a folder of magnetograms, split by observation date (the CLI's ``sunpy-sr train``).

    Parameters
    ----------
    data_dir : path-like
        Folder searched recursively for ``*magnetogram*.fits`` (full-disk HMI and SHARP CEA).
    out_dir : path-like
        Output folder (checkpoints, log, plot, pair cache in ``out_dir/cache``).
    run_file : path-like, optional
        JSON run file (see :func:`load_run_file`); without one, every file trains and
        none validates.
    config : `TrainConfig`, optional
        Overrides the run file's config.
    """
    from sunpy_sr.pairs import find_magnetograms, select_by_date
    spec = {}
    if run_file is not None:
        file_config, spec = load_run_file(run_file)
        config = config or file_config
    config = config or TrainConfig()
    files = find_magnetograms(data_dir)
    train_files = select_by_date(files, spec["train_dates"]) if "train_dates" in spec else files
    val_files = select_by_date(files, spec["val_dates"]) if "val_dates" in spec else []
    if spec.get("val_full_disk_only"):
        val_files = [f for f in val_files if "sharp" not in f.name]
    if not train_files:
        raise ValueError(f"no training magnetogram found in {data_dir}")
    out_dir = Path(out_dir)
    train_pairs, val_pairs = pairs_for_training(train_files, val_files, config, out_dir / "cache", progress)
    (out_dir).mkdir(parents=True, exist_ok=True)
    (out_dir / "files.json").write_text(json.dumps(
        {"train": [f.name for f in train_files], "val": [f.name for f in val_files],
         "train_pairs": len(train_pairs), "val_pairs": len(val_pairs) if val_pairs else 0}, indent=1))
    return train(config, train_pairs, out_dir, val_pairs=val_pairs, resume=resume, progress=progress)
