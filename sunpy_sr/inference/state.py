"""
Context managers that change torch's process-wide settings and always restore them.

`superresolve` and `train` set the number of threads and flush denormal floats (a
trained network produces them, and x86 CPUs handle them slowly); a caller's own
settings must survive the call, also when an exception escapes it.
"""
from contextlib import contextmanager

__all__ = ["torch_threads", "flush_denormal", "denormals_flushed"]


def denormals_flushed():
    """True if the calling thread flushes denormal floats to zero (torch has no getter)."""
    import torch
    tiny = torch.tensor([1e-39], dtype=torch.float32)  # a float32 denormal
    return bool((tiny * 1.0).item() == 0.0)


@contextmanager
def torch_threads(threads):
    """Run the block with ``torch.set_num_threads(threads)`` (None: unchanged), then restore."""
    import torch
    old = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextmanager
def flush_denormal(enabled=True):
    """Run the block with denormal flushing on (or off), then restore the previous state."""
    import torch
    old = denormals_flushed()
    torch.set_flush_denormal(bool(enabled))
    try:
        yield
    finally:
        torch.set_flush_denormal(old)
