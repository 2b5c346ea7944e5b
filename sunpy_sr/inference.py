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


def network_runner(model, *, device="cpu", dtype="float32"):
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
        # Trained ReLU/sigmoid networks produce denormal floats, which x86 CPUs process up to
        # 4x slower; flushing them to zero changes results by < 1e-30 G (restored afterwards).
        torch.set_flush_denormal(True)
        try:
            with torch.inference_mode(), torch.autocast(dev.type, dtype=torch.bfloat16,
                                                        enabled=dtype == "bfloat16"):
                y = net(x)
        finally:
            torch.set_flush_denormal(False)
        return y[0, 0].float().cpu().numpy()
    return run
