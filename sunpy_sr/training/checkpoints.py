"""Checkpoints: atomic writes, safe loading, and initialising a network from earlier weights."""
import os
from pathlib import Path

import torch

from sunpy_sr.models.rcan import RCAN
from sunpy_sr.weights import load_network, safe_torch_load

__all__ = ["load_checkpoint", "save_atomic", "init_from"]


def init_from(model, path):
    """Load a checkpoint or exported weight file into ``model`` (fine-tuning, or growing deeper)."""
    source, _ = load_network(path)
    grow = isinstance(model, RCAN) and isinstance(source, RCAN) and len(source.body) < len(model.body)
    load = model.load_shallower if grow else model.load_state_dict  # growing: new groups = identity
    try:
        load(source.state_dict())
    except (RuntimeError, ValueError) as e:
        raise ValueError(f"init_weights {path} do not fit the configured architecture: {e}") from None

def save_atomic(obj, path):
    tmp = Path(str(path) + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)

def load_checkpoint(path):
    """
    Load a training checkpoint (a dict of tensors and plain values).

    Read with ``weights_only=True``: a checkpoint whose pickle would run code is a
    `~sunpy_sr.exceptions.WeightsError`, and the code does not run.
    """
    return safe_torch_load(path, what="checkpoint")
