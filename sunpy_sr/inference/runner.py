"""Running a network on an array or a stack of tiles: device, dtype, channels_last, inference mode."""
import numbers
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from sunpy_sr.core.grid import SYMMETRIES
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError, warn_user
from sunpy_sr.inference.precision import check_dtype, resolve_dtype
from sunpy_sr.inference.state import flush_denormal

__all__ = ["network_runner", "resolve_device", "TileBatching", "check_tile_batch", "auto_tile_batch",
           "AUTO_MEMORY_FRACTION", "TILE_MEMORY_TENSORS"]

#: The share of the GPU's free memory that ``tile_batch="auto"`` fills with tiles.
AUTO_MEMORY_FRACTION = 0.5
#: Tensors of the widest layer counted per tile at half the output resolution (`auto_tile_batch`).
TILE_MEMORY_TENSORS = 4


@dataclass(frozen=True)
class TileBatching:
    """
    How a network function takes tiles in batches: its ``batching`` attribute.

    `sunpy_sr.inference.run_tiled` then passes it stacks ``(N, h, w)`` of tiles of
    one padded shape and gets stacks back.

    Attributes
    ----------
    size : callable
        ``(h, w) -> int``: tiles of that padded shape (input pixels) per forward pass.
    in_flight : int
        Batches run at once: 2 on CUDA (one computes on the GPU while the previous
        one's output is copied back and stitched on the host), 1 elsewhere.
    """

    size: object
    in_flight: int = 1


def check_tile_batch(tile_batch):
    """
    ``tile_batch`` if it is a positive integer or ``"auto"``, else an error naming it.

    Examples
    --------
    >>> from sunpy_sr.inference.runner import check_tile_batch
    >>> check_tile_batch(8), check_tile_batch("auto")
    (8, 'auto')
    """
    if isinstance(tile_batch, str) and tile_batch == "auto":
        return tile_batch
    if not isinstance(tile_batch, numbers.Integral) or isinstance(tile_batch, (bool, np.bool_)):
        raise SunpySRTypeError(f"tile_batch must be a positive integer or 'auto', got {tile_batch!r}")
    if tile_batch < 1:
        raise SunpySRError(f"tile_batch must be a positive integer or 'auto', got {tile_batch!r}")
    return int(tile_batch)


def auto_tile_batch(model, tile_shape, *, free_bytes, dtype="float32"):
    """
    Tiles per forward pass that fit ``AUTO_MEMORY_FRACTION`` of ``free_bytes``: ``tile_batch="auto"``.

    One tile's memory is estimated as `TILE_MEMORY_TENSORS` tensors as wide as the
    network's widest convolution (its most output channels) at half the output
    resolution, ``(scale / 2)**2 * h * w`` pixels for an ``h`` x ``w`` padded tile, of
    2 bytes per value in bfloat16 and float16 and 4 in float32. The widest
    convolutions (the first upsampling stage) run at that resolution or below, so the
    estimate errs on the large side.

    Parameters
    ----------
    model : `torch.nn.Module`
        The network (its ``scale`` attribute, 4 if absent).
    tile_shape : tuple of int
        ``(h, w)``, a padded tile in input pixels.
    free_bytes : int
        Free device memory (bytes), e.g. the first value of ``torch.cuda.mem_get_info()``.
    dtype : {"float32", "bfloat16", "float16"}
        The compute type (`sunpy_sr.inference.resolve_dtype`).

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> import torch
    >>> from sunpy_sr.inference.runner import auto_tile_batch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 64, 3), torch.nn.Conv2d(64, 256, 3))
    >>> auto_tile_batch(net, (800, 800), free_bytes=80e9, dtype="bfloat16")  # 5.2 GB per tile
    7
    >>> auto_tile_batch(net, (800, 800), free_bytes=1e9)
    1
    """
    import torch
    width = max((m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv2d)), default=1)
    scale = getattr(model, "scale", 4)
    h, w = tile_shape
    itemsize = 4 if dtype == "float32" else 2
    per_tile = TILE_MEMORY_TENSORS * width * h * w * (scale / 2) ** 2 * itemsize
    return max(1, int(AUTO_MEMORY_FRACTION * free_bytes // per_tile))


def resolve_device(device):
    """A `torch.device` for ``device`` ("cpu", "cuda", "mps"); falls back to CPU with a warning."""

    import torch
    device = str(device)
    if device.startswith("cuda") and not torch.cuda.is_available():
        warn_user("CUDA is not available; running on the CPU")
        device = "cpu"
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        warn_user("MPS is not available; running on the CPU")
        device = "cpu"
    if device.split(":")[0] not in ("cpu", "cuda", "mps"):
        raise SunpySRError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'mps'")
    return torch.device(device)


def network_runner(model, *, device="cpu", dtype="float32", ensemble=False, spread=False, tile_batch=1):
    """
    Wrap a network as ``array (H, W) G -> array (sH, sW) G``, also for stacks of tiles.

    Parameters
    ----------
    model : `torch.nn.Module`
    device : str
        "cpu", "cuda" or "mps"; CPU if the accelerator is absent.
    dtype : {"float32", "bfloat16", "auto"}
        Compute type; "auto" is the fastest type the device computes natively
        (`sunpy_sr.inference.precision.resolve_dtype`): bfloat16 or float16 on a CUDA GPU
        that has it, bfloat16 on a CPU with native bfloat16, float32 otherwise. Without
        native bfloat16, autocast is slower than float32 (the performance docs measure both,
        ``benchmarks/bench_inference.py``). The half types run under `torch.autocast`.
    ensemble : bool
        Average the outputs over the 16 symmetries of the training augmentation
        (rotations by 90 degrees, flips, polarity reversal), each undone after the
        network: the self-ensemble of Lim et al. (2017) and "RCAN+" of Zhang et al.
        (2018). 16x the time; the receptive field, and so exact tiling, is unchanged.
    spread : bool
        Run the 16-symmetry self-ensemble (``ensemble`` is then implied) and return
        ``(mean, std)``: the ensemble mean (what ``ensemble=True`` returns) and the
        population standard deviation (ddof 0) of the 16 outputs, both in gauss. The
        spread measures how much the network's answer depends on the orientation and
        polarity of its input; it is not an error bar (see ``docs/many_maps.rst``).
    tile_batch : int or "auto"
        Tiles of one padded shape run in one forward pass by
        `sunpy_sr.inference.run_tiled` (the function's ``batching``, a `TileBatching`).
        "auto": on CUDA as many as fit half the free GPU memory (`auto_tile_batch` with
        ``torch.cuda.mem_get_info()``) shared by the two batches in flight, 1 elsewhere.

    Returns
    -------
    callable
        ``array (H, W) G -> array (sH, sW) G``, or with ``spread`` ``-> (mean, std)``; a
        stack ``(N, H, W)`` gives stacks ``(N, sH, sW)``. On CUDA the input goes through
        page-locked host memory with an asynchronous copy, and the only wait for the GPU
        is the copy of the result back to the host.
    """
    import copy

    import torch
    check_dtype(dtype)  # a bad value fails before the device is looked up
    check_tile_batch(tile_batch)
    dtype = resolve_dtype(dtype, device)  # for the device asked for ("cuda" without CUDA: the CPU's)
    dev = resolve_device(device)
    net = copy.deepcopy(model).to(dev).to(memory_format=torch.channels_last).eval()
    half = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(dtype)

    @contextmanager
    def compute():
        """The context of a forward pass: inference mode, the compute type, denormals flushed."""
        # Denormal floats slow x86 CPUs; flushing them to zero changes values below 1.2e-38 G
        # only. The caller's setting is restored afterwards (also on error).
        with flush_denormal(True), torch.inference_mode(), \
                torch.autocast(dev.type, dtype=half or torch.bfloat16, enabled=half is not None):
            yield

    if spread:
        run = _spread_runner(net, dev, compute)
    else:
        def run(a):
            x = _to_device(a, dev)
            with compute():
                if not ensemble:
                    y = net(x)
                else:
                    n, _, h, w = x.shape
                    y = torch.zeros((n, 1, h * net.scale, w * net.scale), device=dev)
                    for k, flip, sign in SYMMETRIES:
                        t = torch.rot90(x, k, (2, 3))
                        t = torch.flip(t, (3,)) if flip else t
                        o = net((sign * t).contiguous(memory_format=torch.channels_last)) * sign
                        o = torch.flip(o, (3,)) if flip else o
                        y += torch.rot90(o, -k, (2, 3)).float()
                    y /= len(SYMMETRIES)
            return _to_host(y[:, 0], np.ndim(a))

    in_flight = 2 if dev.type == "cuda" else 1
    if tile_batch != "auto":
        def size(shape):
            return tile_batch
    elif dev.type == "cuda":
        def size(shape):
            # the batches in flight share the free memory
            free = torch.cuda.mem_get_info(dev)[0] / in_flight
            return auto_tile_batch(net, shape, free_bytes=free, dtype=dtype)
    else:
        def size(shape):
            return 1
    run.batching = TileBatching(size, in_flight=in_flight)
    return run


def _to_device(a, dev):
    """``a`` (H, W) or a stack (N, H, W) as an (N, 1, H, W) channels-last float32 tensor on ``dev``."""
    import torch
    a = np.ascontiguousarray(a, dtype=np.float32)
    x = torch.from_numpy(a.reshape((-1, 1) + a.shape[-2:]))
    if dev.type == "cuda":
        # from page-locked memory the copy is queued on the GPU's stream and returns at once
        x = x.pin_memory().to(dev, non_blocking=True)
    else:
        x = x.to(dev)
    return x.contiguous(memory_format=torch.channels_last)


def _to_host(y, ndim):
    """``y`` (N, sH, sW) on its device as a float32 array; (sH, sW) for a 2D input (``ndim`` 2).

    The copy to the host waits for the GPU: the one synchronisation of a batch.
    """
    y = y.float().cpu().numpy()
    return y[0] if ndim == 2 else y


def _spread_runner(net, dev, compute):
    """The ``spread=True`` variant of `network_runner`: ``array -> (mean, std)`` over `SYMMETRIES`."""
    import torch

    def run(a):
        x = _to_device(a, dev)
        shape = (x.shape[0], x.shape[2] * net.scale, x.shape[3] * net.scale)
        # running sums in float64 (MPS has none: float32 there): |B| up to a few kG, squares
        # to 1e7 G^2, spreads down to 0.01 G
        acc = torch.float32 if dev.type == "mps" else torch.float64
        total = torch.zeros(shape, dtype=acc, device=dev)
        squares = torch.zeros(shape, dtype=acc, device=dev)
        with compute():
            for k, flip, sign in SYMMETRIES:
                t = torch.rot90(x, k, (2, 3))
                t = torch.flip(t, (3,)) if flip else t
                o = net((sign * t).contiguous(memory_format=torch.channels_last)) * sign
                o = torch.flip(o, (3,)) if flip else o
                o = torch.rot90(o, -k, (2, 3))[:, 0].to(acc)
                total += o
                squares += o * o
        n = len(SYMMETRIES)
        mean = total / n
        var = (squares / n - mean * mean).clamp_(min=0.0)
        return _to_host(mean, np.ndim(a)), _to_host(var.sqrt(), np.ndim(a))
    return run
