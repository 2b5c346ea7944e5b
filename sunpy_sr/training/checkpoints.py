"""Checkpoints: atomic writes, safe loading, and initialising a network from earlier weights."""
from pathlib import Path

import torch

from sunpy_sr.io import atomic_write
from sunpy_sr.models.rcan import RCAN
from sunpy_sr.weights import load_network, safe_torch_load

__all__ = ["load_checkpoint", "save_atomic", "init_from", "restore_training_state"]


def init_from(model, path):
    """Load a checkpoint or exported weight file into ``model`` (fine-tuning, or growing deeper)."""
    source, _ = load_network(path, fuse=False)  # the training form of re-parameterisable blocks
    grow = isinstance(model, RCAN) and isinstance(source, RCAN) and len(source.body) < len(model.body)
    load = model.load_shallower if grow else model.load_state_dict  # growing: new groups = identity
    state = source.state_dict()
    # a generator given noise injection: its noise scales start at zero (the source's network)
    missing_noise = {k: v for k, v in model.state_dict().items()
                     if k.startswith("noise_scale_") and k not in state and not v.any()}
    try:
        load({**state, **missing_noise})
    except (RuntimeError, ValueError) as e:
        raise ValueError(f"init_weights {path} do not fit the configured architecture: {e}") from None

def save_atomic(obj, path):
    """``torch.save(obj, path)`` atomically (`sunpy_sr.io.atomic_write`): a killed run keeps the last one."""
    path = Path(path)
    with atomic_write(path, prefix=f"{path.name}.", suffix=".tmp") as tmp:
        torch.save(obj, tmp)

def load_checkpoint(path):
    """
    Load a training checkpoint (a dict of tensors and plain values).

    Read with ``weights_only=True``: a checkpoint whose pickle would run code is a
    `~sunpy_sr.exceptions.WeightsError`, and the code does not run.

    Examples
    --------
    The checkpoint of two iterations of the tiny test network:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.core.pairs import PairRecipe, make_pairs
    >>> from sunpy_sr.data.test import HMI_AR_20111217
    >>> from sunpy_sr.training import TrainConfig, load_checkpoint, train
    >>> pairs = make_pairs([HMI_AR_20111217], PairRecipe(size=64, stride=64), progress=False)
    >>> config = TrainConfig(preset="rcan-tiny", iterations=2, batch_size=2, patch=8, threads=1)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     _ = train(config, pairs, out, progress=False)
    ...     checkpoint = load_checkpoint(Path(out) / "checkpoint.pt")
    >>> sorted(checkpoint)  # doctest: +NORMALIZE_WHITESPACE
    ['config', 'iteration', 'log', 'model', 'model_config', 'numpy_rng', 'optimizer', 'scheduler',
     'torch_rng']
    >>> checkpoint["iteration"], checkpoint["config"]["preset"], checkpoint["log"][-1]["iteration"]
    (2, 'rcan-tiny', 2)
    """
    return safe_torch_load(path, what="checkpoint")


def restore_training_state(checkpoint, rng, **stateful):
    """
    Put a run back where ``checkpoint`` left it, for an exact resume.

    Parameters
    ----------
    checkpoint : dict
        From `load_checkpoint`.
    rng : `numpy.random.Generator`
        The patch sampler's generator: it continues this rank's stream (see
        `sunpy_sr.training.distributed.checkpoint_rng_state`).
    **stateful
        Checkpoint key -> object with ``load_state_dict`` (networks, optimizers, schedulers).

    Returns
    -------
    start : int
        The iteration to continue from.
    log : list of dict
        The log rows so far.
    """
    from sunpy_sr.training import distributed as ddp
    for key, obj in stateful.items():
        obj.load_state_dict(checkpoint[key])
    state = ddp.checkpoint_rng_state(checkpoint)
    if state is not None:
        rng.bit_generator.state = state
    torch.set_rng_state(checkpoint["torch_rng"])
    return checkpoint["iteration"], checkpoint["log"]
