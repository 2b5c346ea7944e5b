"""Running a network on an array: device, dtype, channels_last, inference mode."""
import numpy as np

from sunpy_sr.exceptions import SunpySRUserWarning

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
        raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'mps'")
    return torch.device(device)


#: The 16 symmetries the networks were trained with: (quarter turns, flip, polarity).
SYMMETRIES = [(k, flip, sign) for k in range(4) for flip in (False, True) for sign in (1.0, -1.0)]


def network_runner(model, *, device="cpu", dtype="float32", ensemble=False):
    """
    Wrap a network as ``array (H, W) G -> array (sH, sW) G``.

    Parameters
    ----------
    model : `torch.nn.Module`
    device : str
        "cpu", "cuda" or "mps"; CPU if the accelerator is absent.
    dtype : {"float32", "bfloat16"}
        Compute type. bfloat16 autocast pays only on CPUs with AMX/AVX512-BF16 or on
        GPUs; its error against float32 is measured by ``benchmarks/``.
    ensemble : bool
        Average the outputs over the 16 symmetries of the training augmentation
        (rotations by 90 degrees, flips, polarity reversal), each undone after the
        network: the self-ensemble of Lim et al. (2017) and "RCAN+" of Zhang et al.
        (2018). 16x the time; the receptive field, and so exact tiling, is unchanged.
    """
    import copy

    import torch
    dev = resolve_device(device)
    if dtype not in ("float32", "bfloat16"):
        raise ValueError(f"dtype must be 'float32' or 'bfloat16', got {dtype!r}")
    net = copy.deepcopy(model).to(dev).to(memory_format=torch.channels_last).eval()

    def run(a):
        x = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None].to(dev)
        x = x.contiguous(memory_format=torch.channels_last)
        # Denormal floats can slow x86 CPUs several-fold; flushing them to zero changes results
        # by < 1e-30 G (restored afterwards). No effect measured with the bundled weights.
        torch.set_flush_denormal(True)
        try:
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
        finally:
            torch.set_flush_denormal(False)
        return y[0, 0].float().cpu().numpy()
    return run
