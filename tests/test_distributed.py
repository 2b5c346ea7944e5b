"""
Multi-process training (sunpy_sr.training.distributed): two processes on the CPU (gloo),
started with torch.multiprocessing.spawn and the environment torchrun would give them, train
the tiny preset on real crops (the shipped HMI cutouts, 2016-07-07).
"""
import os
import socket

import torch

from sunpy_sr.training import distributed as ddp
from sunpy_sr.training import load_checkpoint

CONFIG = dict(preset="rcan-tiny", iterations=24, batch_size=4, patch=16, lr=1e-3, lr_halving=12,
              checkpoint_every=8, validate_every=4, threads=1, seed=3)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank, world, ports, pairs, out):
    """One rank, as torchrun starts it: the environment, then the unchanged training entry point."""
    os.environ.update(MASTER_ADDR="127.0.0.1", RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      LOCAL_WORLD_SIZE=str(world))
    from sunpy_sr.training import TrainConfig, train
    cfg = TrainConfig(**CONFIG)
    runs = [("straight", {}), ("resumed", {"stop_after": 10}), ("resumed", {"resume": True})]
    for port, (name, kwargs) in zip(ports, runs):
        os.environ["MASTER_PORT"] = str(port)  # train() makes (and destroys) the process group
        model = train(cfg, pairs, out / name, progress=False, **kwargs)
        assert not torch.distributed.is_initialized()
        torch.save(model.state_dict(), out / f"{name}_rank{rank}.pt")


def test_rank_seeds():
    assert ddp.rank_seed(3, 0) == 3  # rank 0 (and a single process) keep the run's seed
    seeds = {ddp.rank_seed(3, r) for r in range(8)}
    assert len(seeds) == 8 and ddp.rank_seed(3, 1) == ddp.rank_seed(3, 1)
    assert not ddp.is_distributed() and ddp.rank() == 0 and ddp.world_size() == 1 and ddp.is_main()
    assert ddp.gather_objects("x") == ["x"] and ddp.all_mean(2.5) == 2.5
    assert ddp.init_from_env() is False  # no torchrun environment: nothing to do
    assert ddp.default_backend("cpu") == "gloo" and ddp.default_backend("cuda:0") == "nccl"


def test_two_processes_identical_weights_falling_loss_exact_resume(real_pairs, tmp_path, monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    ports = [_free_port() for _ in range(3)]
    torch.multiprocessing.spawn(_rank_main, args=(2, ports, real_pairs, tmp_path), nprocs=2, join=True)
    straight = [torch.load(tmp_path / f"straight_rank{r}.pt", weights_only=True) for r in (0, 1)]
    # the ranks drew different patches (rank seeds) and yet hold the same weights: DDP averaged the gradients
    for k, v in straight[0].items():
        torch.testing.assert_close(straight[1][k], v, rtol=0, atol=0, msg=k)
    ck = load_checkpoint(tmp_path / "straight" / "checkpoint.pt")
    assert ck["iteration"] == 24
    states = ck["numpy_rng_ranks"]
    assert len(states) == 2 and states[0] != states[1] and states[0] == ck["numpy_rng"]
    for k, v in straight[0].items():  # rank 0 wrote the checkpoint of the weights it returned
        torch.testing.assert_close(ck["model"][k], v, rtol=0, atol=0, msg=k)
    # the loss (mean over both ranks) falls
    rows = (tmp_path / "straight" / "log.csv").read_text().splitlines()
    header = rows[0].split(",")
    losses = [float(r.split(",")[header.index("loss")]) for r in rows[1:]]
    assert len(losses) == 6
    assert losses[-1] < 0.8 * losses[0], losses
    # only rank 0 wrote: one checkpoint, one log, one plot
    assert sorted(p.name for p in (tmp_path / "straight").iterdir()) == \
        ["checkpoint.pt", "config.json", "log.csv", "training.png"]
    # stopped after 10 iterations and resumed: the same weights as the run that went straight through
    for r in (0, 1):
        resumed = torch.load(tmp_path / f"resumed_rank{r}.pt", weights_only=True)
        for k, v in straight[0].items():
            torch.testing.assert_close(resumed[k], v, rtol=0, atol=0, msg=f"rank {r}: {k}")
