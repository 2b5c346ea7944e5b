"""
Multi-process training (DistributedDataParallel) from torchrun's environment.

``torchrun --nproc_per_node=N`` starts N copies of the training entry point with ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``
set. `sunpy_sr.training.train` then runs unchanged:

- :func:`process_group` initialises the default process group from those variables (gloo
  on the CPU, nccl for a model on CUDA) and does nothing in a single process;
- each rank draws its own patches: its sampler's seed is :func:`rank_seed` (rank 0 keeps
  the run's seed, so a one-process run is the run it always was);
- :func:`wrap_model` wraps the network in `~torch.nn.parallel.DistributedDataParallel`,
  which all-reduces (averages) the gradients, so every rank takes the same optimizer step
  and the ranks hold identical weights throughout; the effective batch is
  ``N x batch_size``;
- only :func:`is_main` (rank 0) writes checkpoints, logs and plots; a checkpoint holds the
  random state of every rank (:func:`gather_objects`), so a resumed run continues exactly
  as in one process.

Torch threads: each of the N processes on a node gets ``cores // LOCAL_WORLD_SIZE`` threads
(:func:`threads_per_process`) unless the run file sets ``threads``.
"""
import os
from contextlib import contextmanager

import numpy as np

__all__ = ["process_group", "init_from_env", "is_distributed", "rank", "world_size", "is_main", "rank_seed",
           "wrap_model", "gather_objects", "all_mean", "barrier", "threads_per_process", "default_backend",
           "checkpoint_rng_state"]

_ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def _dist():
    import torch.distributed as dist
    return dist


def default_backend(device="cpu"):
    """``"nccl"`` for a model on CUDA, ``"gloo"`` on the CPU."""
    return "nccl" if str(device).startswith("cuda") else "gloo"


def init_from_env(backend=None, *, device="cpu"):
    """
    Initialise the default process group from torchrun's environment variables, if set.

    Parameters
    ----------
    backend : str, optional
        ``"gloo"`` or ``"nccl"``; default :func:`default_backend` of ``device``.
    device : str
        Where the model lives; with ``"cuda"`` each rank uses GPU ``LOCAL_RANK``.

    Returns
    -------
    bool
        True if this call initialised the group (the caller then destroys it), False if
        there is nothing to do: one process (``WORLD_SIZE`` absent or 1), or a group that
        already exists (e.g. made by the caller's own script).
    """
    dist = _dist()
    if not dist.is_available() or dist.is_initialized():
        return False
    if any(k not in os.environ for k in _ENV) or int(os.environ["WORLD_SIZE"]) < 2:
        return False
    backend = backend or default_backend(device)
    if backend == "nccl":
        import torch
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    dist.init_process_group(backend=backend, init_method="env://")
    return True


@contextmanager
def process_group(backend=None, *, device="cpu"):
    """Run the block in the process group of :func:`init_from_env`; destroy it after if this made it."""
    made = init_from_env(backend, device=device)
    try:
        yield
    finally:
        if made:
            _dist().destroy_process_group()


def is_distributed():
    """True inside a process group of more than one process."""
    dist = _dist()
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank():
    """This process's rank (0 in a single process)."""
    return _dist().get_rank() if is_distributed() else 0


def world_size():
    """The number of processes (1 in a single process)."""
    return _dist().get_world_size() if is_distributed() else 1


def is_main():
    """True on rank 0, the one that writes checkpoints, logs and plots."""
    return rank() == 0


def rank_seed(seed, rank_=None):
    """
    The sampling seed of a rank: ``seed`` itself on rank 0, an independent stream on the others.

    Derived with `numpy.random.SeedSequence` from ``(seed, rank)``, so the ranks draw
    different patches, reproducibly.
    """
    r = rank() if rank_ is None else int(rank_)
    if r == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), r]).generate_state(1, dtype=np.uint64)[0])


def wrap_model(model):
    """``model`` in `~torch.nn.parallel.DistributedDataParallel` in a process group, else ``model``."""
    if not is_distributed():
        return model
    from torch.nn.parallel import DistributedDataParallel
    p = next(model.parameters())
    return DistributedDataParallel(model, device_ids=[p.device.index] if p.device.type == "cuda" else None)


def gather_objects(obj):
    """Every rank's ``obj`` (picklable), in rank order, on every rank; ``[obj]`` in one process."""
    if not is_distributed():
        return [obj]
    out = [None] * world_size()
    _dist().all_gather_object(out, obj)
    return out


def all_mean(value):
    """The mean of a float over the ranks (``value`` in one process)."""
    if not is_distributed():
        return float(value)
    import torch
    t = torch.tensor([float(value)], dtype=torch.float64)
    if _dist().get_backend() == "nccl":
        t = t.cuda()
    _dist().all_reduce(t)
    return float(t.item()) / world_size()


def barrier():
    """Wait for every rank (nothing in one process)."""
    if is_distributed():
        _dist().barrier()


def threads_per_process(threads=0):
    """
    Torch threads for this process: ``threads`` if set, else the cores shared by the processes on this node.

    ``cores // LOCAL_WORLD_SIZE`` (at least 1): N processes of one node must not each use
    every core.
    """
    if threads:
        return int(threads)
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    return max(1, (os.cpu_count() or 1) // max(1, local))


def checkpoint_rng_state(checkpoint):
    """
    The sampling generator's state of this rank in a checkpoint, or None to keep its fresh seed.

    A checkpoint of N ranks holds every rank's state (``numpy_rng_ranks``); resumed with N
    ranks, each rank continues its own stream, exactly. A one-process checkpoint resumed in
    one process gives ``numpy_rng``. With another number of ranks, rank 0 continues
    ``numpy_rng`` and the others start from their rank seeds (the run goes on, but not
    bit-for-bit as it would have).
    """
    states = checkpoint.get("numpy_rng_ranks") or [checkpoint["numpy_rng"]]
    if len(states) == world_size():
        return states[rank()]
    return checkpoint["numpy_rng"] if is_main() else None
