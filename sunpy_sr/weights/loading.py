"""
Safe, hash-checked loading of network weights, and export of trained networks.

Each network is two files side by side: ``NAME.pt``, a state_dict of tensors (fp16
storage) and ``NAME.json``, its metadata: the architecture config that rebuilds the
network (`sunpy_sr.models.build_model`, deepCR's pattern), the SHA-256 of the ``.pt``
file, the training data and iterations, and the measured metrics. Training
checkpoints (from `sunpy_sr.training.train`) are accepted too.

Every file is read with ``torch.load(..., weights_only=True)``: a file whose pickle
would run code is refused with a `~sunpy_sr.exceptions.WeightsError`, and the code
does not run.
"""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from sunpy_sr.exceptions import WeightsError
from sunpy_sr.weights.catalogue import error_model_path, weights_path

__all__ = ["load_network", "load_error_model", "export_weights", "export_error_model", "safe_torch_load",
           "sha256"]


def sha256(path):
    """
    Hex SHA-256 of a file (read in 1 MiB chunks).

    Examples
    --------
    >>> from sunpy_sr.weights import sha256, weights_path
    >>> len(sha256(weights_path("rcan")))
    64
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def safe_torch_load(path, *, what="weight file"):
    """
    ``torch.load(path, map_location="cpu", weights_only=True)``, with a clear error.

    Raises
    ------
    WeightsError
        The file is missing, unreadable, or holds anything but tensors and plain
        Python containers (e.g. a pickle that would execute code).

    Examples
    --------
    >>> from sunpy_sr.weights import safe_torch_load, weights_path
    >>> state = safe_torch_load(weights_path("rcan-fast"))
    >>> state["head.weight"].shape, state["head.weight"].dtype
    (torch.Size([8, 1, 3, 3]), torch.float16)
    """
    import torch
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{what} {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises UnpicklingError, RuntimeError, EOFError... for bad files
        first = str(e).strip().splitlines()[0].split(". ")[0] if str(e).strip() else type(e).__name__
        raise WeightsError(f"cannot read {what} {path}: {first} (sunpy_sr loads only tensors and plain "
                           "containers, never pickled code)") from None


def load_network(path=None, *, default="rcan", fuse=True):
    """
    Build a network and load its weights, checking hash and architecture.

    Parameters
    ----------
    path : path-like, optional
        A ``.pt`` weight file with its ``.json`` beside it (as written by
        :func:`export_weights`), or a training ``checkpoint.pt`` from
        `sunpy_sr.training.train`. Default: the bundled weights of method ``default``.
    default : str
        The method whose bundled weights are used when ``path`` is None.
    fuse : bool
        Fuse the re-parameterisable blocks of a training checkpoint (``rep=True``)
        into plain convolutions, the equal and faster network for inference;
        ``False`` keeps the training form (to continue training it).

    Returns
    -------
    model : `torch.nn.Module`
        A new module for every call (the cache holds tensors, not modules, so no
        caller can change another's network), in eval mode, float32, on the CPU,
        without gradients; re-parameterisable blocks of a training checkpoint are
        fused.
    meta : dict
        A copy of the metadata.

    Raises
    ------
    WeightsError
        Missing file, hash mismatch, unsafe or unreadable file, or weights that do
        not fit the architecture.

    Examples
    --------
    >>> import torch
    >>> from sunpy_sr.weights import load_network
    >>> net, meta = load_network(default="rcan-fast")
    >>> meta["model_config"]["arch"], net.training
    ('rcan', False)
    >>> with torch.inference_mode():
    ...     net(torch.zeros(1, 1, 8, 8)).shape  # gauss in, gauss out, 4x
    torch.Size([1, 1, 32, 32])
    """
    import copy

    from sunpy_sr.models.registry import build_model
    path = Path(path) if path is not None else weights_path(default)
    if not path.exists():
        raise WeightsError(f"weight file {path} does not exist")
    state, config, meta = _read_cached(str(path.resolve()), path.stat().st_mtime_ns)
    try:
        model = build_model(config)
    except (TypeError, ValueError) as e:
        raise WeightsError(f"{path.name}: cannot build architecture {config}: {e}") from None
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, AttributeError) as e:
        raise WeightsError(f"{path.name}: weights do not match architecture {config}: "
                           f"{str(e).splitlines()[0]}") from None
    if fuse and hasattr(model, "fused"):  # a checkpoint of re-parameterisable blocks runs fused
        model = model.fused()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, copy.deepcopy(meta)


@lru_cache(maxsize=8)
def _read_cached(path, _mtime):
    """(float32 state_dict, config, metadata) of a weight file or checkpoint; cached by path and mtime."""
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
        state = safe_torch_load(path)
    else:
        try:
            ck = safe_torch_load(path, what="checkpoint")
        except WeightsError as e:
            raise WeightsError(f"{path} is neither a weight file with a .json beside it nor a readable "
                               f"sunpy_sr training checkpoint: {e}") from None
        if not isinstance(ck, dict) or "model" not in ck or "model_config" not in ck:
            raise WeightsError(f"{path} is neither a weight file with a .json beside it nor a "
                               "sunpy_sr training checkpoint")
        state, config = ck["model"], ck["model_config"]
        meta = {"model_config": config, "source": "checkpoint"}
    if not isinstance(state, dict):
        raise WeightsError(f"{path.name}: expected a state_dict of tensors, got {type(state).__name__}")
    try:
        state = {k: v.float() for k, v in state.items()}
    except AttributeError:
        raise WeightsError(f"{path.name}: the state_dict holds values that are not tensors") from None
    return state, config, meta


def export_weights(checkpoint, out_path, *, fp16=True, **metadata):
    """
    Write a training checkpoint's network as ``out_path`` (.pt) + metadata (.json).

    Parameters
    ----------
    checkpoint : path-like or dict
        A `sunpy_sr.training.train` checkpoint (read with ``weights_only=True``).
    out_path : path-like
        Destination ``.pt``; the ``.json`` goes beside it.
    fp16 : bool
        Store tensors as float16 (half the size; loaded back as float32).
        A network trained with re-parameterisable blocks (``rep=True``) is
        written fused (`sunpy_sr.models.rcan.RCAN.fused`), as the plain network
        it equals.
    **metadata
        Extra JSON-serialisable entries (training data, metrics...).

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.models import build_model, get_preset
    >>> from sunpy_sr.weights import export_weights, load_network
    >>> checkpoint = {"model": build_model("rcan-tiny").state_dict(),
    ...               "model_config": get_preset("rcan-tiny"), "iteration": 10}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = export_weights(checkpoint, Path(tmp) / "mine.pt", trained_on="my crops")
    ...     meta = json.loads(out.with_suffix(".json").read_text())
    ...     net, _ = load_network(out)
    >>> meta["storage"], meta["iterations"], meta["trained_on"]
    ('float16', 10, 'my crops')
    """
    import torch
    if not isinstance(checkpoint, dict):
        checkpoint = safe_torch_load(checkpoint, what="checkpoint")
    model_config, state = dict(checkpoint["model_config"]), checkpoint["model"]
    if model_config.get("rep") or model_config.get("fuse_upsampler"):
        # re-parameterisable training blocks (and a foldable upsampler) are fused: the file
        # holds the plain network
        from sunpy_sr.models.registry import build_model
        trained = build_model(model_config)
        trained.load_state_dict(state)
        fused = trained.fused()
        model_config = {"arch": model_config.get("arch", "rcan"), **fused.config}
        state = fused.state_dict()
    state = {k: (v.half() if fp16 and v.is_floating_point() else v).contiguous() for k, v in state.items()}
    out_path = Path(out_path)
    torch.save(state, out_path)
    meta = {"model_config": model_config, "iterations": checkpoint["iteration"],
            "train_config": checkpoint.get("config"), "storage": "float16" if fp16 else "float32",
            **metadata, "sha256": sha256(out_path)}
    out_path.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    _read_cached.cache_clear()
    return out_path


def load_error_model(method=None, *, path=None, weights=None, device="cpu"):
    """
    Load a calibrated error model (`sunpy_sr.inference.errors.ErrorModel`), hash-checked.

    Parameters
    ----------
    method : str, optional
        The method whose bundled error model is loaded (`sunpy_sr.weights.catalogue.ERROR_MODELS`).
    path : path-like, optional
        An error-model file (``.pt`` with its ``.json`` beside it), instead.
    weights : path-like, optional
        A user's weight file: the error model beside it (``STEM-errors.pt``), instead.
    device : str
        Torch device of the error model's network.

    Raises
    ------
    WeightsError
        No such error model, hash mismatch, unsafe file, or a file that is not an error model.

    Examples
    --------
    >>> from sunpy_sr.weights import load_error_model
    >>> em = load_error_model("rcan")
    >>> em.name, em.receptive_radius, len(em.calibration.band_factors)
    ('rcan-lite-errors', 3, 3)
    """
    from sunpy_sr.inference.errors import Calibration, ErrorModel
    if path is None:
        path = error_model_path(method, weights=weights)
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"error-model file {path} does not exist")
    if not path.with_suffix(".json").exists():
        raise WeightsError(f"error-model file {path} has no metadata "
                           f"{path.with_suffix('.json').name} beside it")
    state, config, meta = _read_cached(str(path.resolve()), path.stat().st_mtime_ns)
    if meta.get("kind") != "error-model" or config.get("arch") != "errornet":
        raise WeightsError(f"{path.name} is not an error model (kind {meta.get('kind')!r})")
    from sunpy_sr.models.registry import build_model
    net = build_model(config)
    try:
        net.load_state_dict(state, strict=True)
        cal = Calibration(**meta["calibration"])
    except (RuntimeError, KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{path.name}: not a valid error model: {str(e).splitlines()[0]}") from None
    for p in net.parameters():
        p.requires_grad_(False)
    return ErrorModel(net.eval(), cal, name=path.stem, device=device)


def export_error_model(net, out_path, metadata):
    """
    Write an error model: ``out_path`` (.pt, float32 state_dict) and its ``.json`` (``metadata``
    plus the SHA-256 of the ``.pt``). Returns ``out_path``.

    ``metadata`` needs ``kind="error-model"``, the network's ``model_config`` and its
    ``calibration`` (`sunpy_sr.training.error_fit.error_model_metadata` makes it).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.inference.errors import Calibration
    >>> from sunpy_sr.models import build_model, get_preset
    >>> from sunpy_sr.weights import export_error_model, load_error_model
    >>> meta = {"kind": "error-model", "model_config": get_preset("errornet-tiny"),
    ...         "calibration": Calibration(band_factors=[0.9, 1.1, 1.1]).to_dict()}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export_error_model(build_model("errornet-tiny"), Path(tmp) / "mine-errors.pt", meta)
    ...     em = load_error_model(path=path)
    >>> em.name, em.calibration.band_factors
    ('mine-errors', [0.9, 1.1, 1.1])
    """
    import torch
    out_path = Path(out_path)
    torch.save({k: v.contiguous() for k, v in net.state_dict().items()}, out_path)
    meta = {**metadata, "sha256": sha256(out_path)}
    out_path.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    _read_cached.cache_clear()
    return out_path
