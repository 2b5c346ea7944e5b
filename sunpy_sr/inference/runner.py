"""Running a network on an array: device, dtype, channels_last, inference mode."""
import numpy as np

from sunpy_sr.core.grid import SYMMETRIES
from sunpy_sr.exceptions import SunpySRError, SunpySRUserWarning
from sunpy_sr.inference.precision import check_dtype, resolve_dtype
from sunpy_sr.inference.state import flush_denormal

__all__ = ["network_runner", "resolve_device"]


def resolve_device(device):
    """A `torch.device` for ``device`` ("cpu", "cuda", "mps"); falls back to CPU with a warning."""
    import warnings

    import torch
    device = str(device)
    if device.startswith("cuda") and not torch.cuda.is_available():
        warnings.warn("CUDA is not available; running on the CPU", SunpySRUserWarning, stacklevel=3)
        device = "cpu"
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        warnings.warn("MPS is not available; running on the CPU", SunpySRUserWarning, stacklevel=3)
        device = "cpu"
    if device.split(":")[0] not in ("cpu", "cuda", "mps"):
        raise SunpySRError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'mps'")
    return torch.device(device)


def network_runner(model, *, device="cpu", dtype="float32", ensemble=False, spread=False):
    """
    Wrap a network as ``array (H, W) G -> array (sH, sW) G``.

    Parameters
    ----------
    model : `torch.nn.Module`
    device : str
        "cpu", "cuda" or "mps"; CPU if the accelerator is absent.
    dtype : {"float32", "bfloat16", "auto"}
        Compute type; "auto" is bfloat16 on a CPU with native bfloat16, float32 otherwise
        (`sunpy_sr.inference.precision.resolve_dtype`). bfloat16 is meant for hardware with
        native bfloat16; without it, autocast is slower than float32 (the performance docs
        measure both, ``benchmarks/bench_inference.py``).
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

    Returns
    -------
    callable
        ``array (H, W) G -> array (sH, sW) G``, or with ``spread`` ``-> (mean, std)``.
    """
    import copy

    import torch
    check_dtype(dtype)  # a bad value fails before the device is looked up
    dev = resolve_device(device)
    dtype = resolve_dtype(dtype, dev.type)
    net = copy.deepcopy(model).to(dev).to(memory_format=torch.channels_last).eval()

    if spread:
        return _spread_runner(net, dev, dtype)

    def run(a):
        x = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None].to(dev)
        x = x.contiguous(memory_format=torch.channels_last)
        # Denormal floats slow x86 CPUs; flushing them to zero changes values below 1.2e-38 G
        # only. The caller's setting is restored afterwards (also on error).
        with flush_denormal(True):
            with torch.inference_mode(), torch.autocast(dev.type, dtype=torch.bfloat16,
                                                        enabled=dtype == "bfloat16"):
                if not ensemble:
                    y = net(x)
                else:
                    y = torch.zeros((1, 1, x.shape[2] * net.scale, x.shape[3] * net.scale), device=dev)
                    for k, flip, sign in SYMMETRIES:
                        t = torch.rot90(x, k, (2, 3))
                        t = torch.flip(t, (3,)) if flip else t
                        o = net((sign * t).contiguous(memory_format=torch.channels_last)) * sign
                        o = torch.flip(o, (3,)) if flip else o
                        y += torch.rot90(o, -k, (2, 3)).float()
                    y /= len(SYMMETRIES)
        return y[0, 0].float().cpu().numpy()
    return run


def _spread_runner(net, dev, dtype):
    """The ``spread=True`` variant of `network_runner`: ``array -> (mean, std)`` over `SYMMETRIES`."""
    import torch

    def run(a):
        x = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None].to(dev)
        x = x.contiguous(memory_format=torch.channels_last)
        shape = (x.shape[2] * net.scale, x.shape[3] * net.scale)
        # running sums in float64 (MPS has none: float32 there): |B| up to a few kG, squares
        # to 1e7 G^2, spreads down to 0.01 G
        acc = torch.float32 if dev.type == "mps" else torch.float64
        total = torch.zeros(shape, dtype=acc, device=dev)
        squares = torch.zeros(shape, dtype=acc, device=dev)
        with flush_denormal(True):
            with torch.inference_mode(), torch.autocast(dev.type, dtype=torch.bfloat16,
                                                        enabled=dtype == "bfloat16"):
                for k, flip, sign in SYMMETRIES:
                    t = torch.rot90(x, k, (2, 3))
                    t = torch.flip(t, (3,)) if flip else t
                    o = net((sign * t).contiguous(memory_format=torch.channels_last)) * sign
                    o = torch.flip(o, (3,)) if flip else o
                    o = torch.rot90(o, -k, (2, 3))[0, 0].to(acc)
                    total += o
                    squares += o * o
        n = len(SYMMETRIES)
        mean = total / n
        var = (squares / n - mean * mean).clamp_(min=0.0)
        return mean.float().cpu().numpy(), var.sqrt().float().cpu().numpy()
    return run
