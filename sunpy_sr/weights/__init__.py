"""
Bundled network weights and the hash-checked loader.

Each network is two files side by side: ``NAME.pt``, a state_dict of tensors
(fp16 storage, read with ``torch.load(weights_only=True)``, so no pickled code
ever runs), and ``NAME.json``, its metadata: the architecture config that
rebuilds the network (`sunpy_sr.models.build_model`), the SHA-256 of the ``.pt``
file, the training data and iterations, and the validation metrics.
"""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from sunpy_sr.exceptions import WeightsError

__all__ = ["WEIGHTS_DIR", "BUNDLED", "load_network", "export_weights", "sha256", "weights_path"]

WEIGHTS_DIR = Path(__file__).parent
#: method name -> bundled weight file stem
BUNDLED = {"rcan": "rcan-small", "rcan-fast": "rcan-tiny"}


def sha256(path):
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def weights_path(name):
    """Path of the bundled ``.pt`` file for method ``name``."""
    return WEIGHTS_DIR / f"{BUNDLED[name]}.pt"


def load_network(path=None, *, default="rcan"):
    """
    Build a network and load its weights, checking hash and architecture.

    Parameters
    ----------
    path : path-like, optional
        A ``.pt`` weight file with its ``.json`` beside it (as written by
        :func:`export_weights`), or a training ``checkpoint.pt`` from
        `sunpy_sr.train.train`. Default: the bundled weights of ``default``.

    Returns
    -------
    model : `torch.nn.Module`
        In eval mode, float32, on the CPU. Cached: loading twice costs nothing.
    meta : dict
        The metadata.

    Raises
    ------
    WeightsError
        Missing file, hash mismatch, unreadable file, or weights that do not fit
        the architecture.
    """
    path = Path(path) if path is not None else weights_path(default)
    if not path.exists():
        raise WeightsError(f"weight file {path} does not exist")
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_cached(path, _mtime):
    import torch

    from sunpy_sr.models.registry import build_model
    path = Path(path)
    meta_path = path.with_suffix(".json")
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
            expected, config = meta["sha256"], meta["model_config"]
        except (ValueError, KeyError) as e:
            raise WeightsError(f"metadata {meta_path} is unreadable or incomplete: {e}") from None
        if sha256(path) != expected:
            raise WeightsError(f"{path.name}: SHA-256 does not match {meta_path.name} "
                               "(corrupt or replaced file)")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # torch raises many types for a bad file
            raise WeightsError(f"cannot read weight file {path}: {e}") from None
    else:
        try:
            ck = torch.load(path, map_location="cpu", weights_only=False)
            state, config = ck["model"], ck["model_config"]
        except Exception as e:
            raise WeightsError(f"{path} is neither a weight file with a .json beside it nor a "
                               f"sunpy_sr training checkpoint: {e}") from None
        meta = {"model_config": config, "source": "checkpoint"}
    try:
        model = build_model(config)
    except (TypeError, ValueError) as e:
        raise WeightsError(f"{path.name}: cannot build architecture {config}: {e}") from None
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except (RuntimeError, AttributeError) as e:
        raise WeightsError(f"{path.name}: weights do not match architecture {config}: "
                           f"{str(e).splitlines()[0]}") from None
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


def export_weights(checkpoint, out_path, *, fp16=True, **metadata):
    """
    Write a training checkpoint's network as ``out_path`` (.pt) + metadata (.json).

    Parameters
    ----------
    checkpoint : path-like or dict
        A `sunpy_sr.train.train` checkpoint.
    out_path : path-like
        Destination ``.pt``; the ``.json`` goes beside it.
    fp16 : bool
        Store tensors as float16 (half the size; loaded back as float32).
    **metadata
        Extra JSON-serialisable entries (training data, metrics...).
    """
    import torch
    if not isinstance(checkpoint, dict):
        checkpoint = torch.load(checkpoint, map_location="cpu", weights_only=False)
    state = {k: (v.half() if fp16 and v.is_floating_point() else v).contiguous()
             for k, v in checkpoint["model"].items()}
    out_path = Path(out_path)
    torch.save(state, out_path)
    meta = {"model_config": checkpoint["model_config"], "iterations": checkpoint["iteration"],
            "train_config": checkpoint.get("config"), "storage": "float16" if fp16 else "float32",
            **metadata, "sha256": sha256(out_path)}
    out_path.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    _load_cached.cache_clear()
    return out_path
