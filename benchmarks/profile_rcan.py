"""
Where the time of the bundled RCAN goes on this CPU (prints a table; no assertions).

Runs the network once on a real LR tile (the 2016-07-07 HMI disk centre; default 256^2
plus the receptive padding, as a tile of ``superresolve`` is) under `torch.profiler`
and prints the forward time and overall GFLOP/s against a float32 matmul measured in
the same run, then, per operator, the self CPU time and its share, and the FLOPs per
kind of convolution (residual body, upsampler, attention, head).

Usage::

    python benchmarks/profile_rcan.py [--shared ../shared] [--size 256] [--threads N]
"""
import argparse
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
FULLDISK = "data/hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--size", type=int, default=256, help="LR tile core (pixels)")
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()

    import sunpy.map
    import torch
    from torch.profiler import ProfilerActivity, profile

    from sunpy_sr.weights import load_network
    if a.threads:
        torch.set_num_threads(a.threads)
    net, meta = load_network()
    net = net.to(memory_format=torch.channels_last).eval()
    r = net.receptive_radius()
    n = a.size + 2 * r
    data = sunpy.map.Map(Path(a.shared) / FULLDISK).data
    c = data.shape[0] // 2
    x = torch.from_numpy(np.ascontiguousarray(data[c - n // 2:c - n // 2 + n, c - n // 2:c - n // 2 + n],
                                              dtype=np.float32))[None, None]
    x = x.contiguous(memory_format=torch.channels_last)

    m = torch.randn(2048, 2048)
    m @ m
    t = time.perf_counter()
    for _ in range(4):
        m @ m
    mm = 2 * 2048**3 * 4 / (time.perf_counter() - t) / 1e9

    # FLOPs per convolution kind, from the layer shapes
    flops = {"body 3x3 conv": 0.0, "upsampler+tail conv": 0.0, "attention 1x1 conv": 0.0, "head conv": 0.0}

    def kind(name):
        if name.startswith(("upsample", "tail")):
            return "upsampler+tail conv"
        if name.startswith("head"):
            return "head conv"
        return "attention 1x1 conv" if ".fc." in name else "body 3x3 conv"

    def counter(k):
        def hook(mod, inp, out):
            flops[k] += 2.0 * out.numel() * mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels
        return hook
    hs = [mod.register_forward_hook(counter(kind(name))) for name, mod in net.named_modules()
          if isinstance(mod, torch.nn.Conv2d)]
    with torch.inference_mode():
        net(x)
    for h in hs:
        h.remove()
    with torch.inference_mode():
        net(x)
        t = time.perf_counter()
        net(x)
        wall = time.perf_counter() - t
        with profile(activities=[ProfilerActivity.CPU], record_shapes=False) as prof:
            net(x)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; rcan {meta['model_config']}")
    print(f"tile {n}^2 LR (core {a.size}^2 + radius {r}): forward {wall:.2f} s, "
          f"{sum(flops.values()) / wall / 1e9:.1f} GFLOP/s overall; float32 matmul {mm:.1f} GFLOP/s")
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    print(f"\n{'operator':32s} {'self CPU ms':>12s} {'share':>7s} {'calls':>6s}")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:12]:
        print(f"{e.key[:32]:32s} {e.self_cpu_time_total / 1e3:12.1f} "
              f"{100 * e.self_cpu_time_total / total:6.1f}% {e.count:6d}")
    conv_us = sum(e.self_cpu_time_total for e in events if "conv" in e.key or "mkldnn" in e.key)
    print(f"\nconvolutions: {100 * conv_us / total:.0f}% of the time; FLOPs by kind: "
          + ", ".join(f"{k} {v / 1e9:.2f} GFLOP ({100 * v / sum(flops.values()):.0f}%)"
                      for k, v in flops.items()))


if __name__ == "__main__":
    main()
