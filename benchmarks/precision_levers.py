"""
What each bfloat16 lever of the default network costs in accuracy and buys in time, on real data.

On a 1024x1024 input crop around the disk centre of the 2016-07-07 full disk (real HMI, the
validation disk; ``--size`` for another), the bundled ``rcan`` network runs as one tile, each
variant three times (the fastest kept), on 2 threads:

* ``float32``: the reference;
* ``bfloat16``: the whole network under a bfloat16 autocast (what ``dtype="bfloat16"`` and, on a
  CPU with native bfloat16, ``dtype="auto"`` run);
* ``bfloat16, float32 tail``: the body in bfloat16, the upsampler and tail in float32
  (`sunpy_sr.models.rcan.RCAN.fp32_tail`);
* ``bfloat16, float32 stream``: the convolutions in bfloat16, the residual stream (head output
  and skip sums) in float32 (`sunpy_sr.models.rcan.RCAN.fp32_stream`); and both levers together.

Printed: what `sunpy_sr.inference.native_bfloat16` detected, the same run's float32 and bfloat16
4096^2 matmul rates, and per variant the time and the difference from float32 (RMS and maximum,
G). A full disk's difference is this crop's in kind; ``benchmarks/precision_fulldisk.py``
measures a whole disk for the shipped variants.

Usage::

    python benchmarks/precision_levers.py [--size 1024] [--threads 2]
"""
import argparse
import time
from pathlib import Path

import numpy as np
from _timing import matmul_gflops

ROOT = Path(__file__).resolve().parents[1]
DISK = ROOT.parent / "shared" / "data" / "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    import sunpy.map
    import torch

    from sunpy_sr.inference import network_runner
    from sunpy_sr.inference.precision import native_bfloat16
    from sunpy_sr.weights import load_network
    torch.set_num_threads(a.threads)
    print(f"native bfloat16: {native_bfloat16()}")
    print(f"matmul 4096^2: float32 {matmul_gflops(torch.float32):.0f} GFLOP/s, "
          f"bfloat16 {matmul_gflops(torch.bfloat16):.0f} GFLOP/s")
    data = np.asarray(sunpy.map.Map(DISK).data, dtype=np.float32)
    c, h = data.shape[0] // 2, a.size // 2
    crop = np.nan_to_num(data[c - h:c + h, c - h:c + h])
    model, _ = load_network(default="rcan")
    results = {}
    for name, dtype, tail, stream in (("float32", "float32", False, False),
                                      ("bfloat16", "bfloat16", False, False),
                                      ("bfloat16, float32 tail", "bfloat16", True, False),
                                      ("bfloat16, float32 stream", "bfloat16", False, True),
                                      ("bf16, fp32 stream+tail", "bfloat16", True, True)):
        model.fp32_tail, model.fp32_stream = tail, stream
        run = network_runner(model, dtype=dtype)
        run(crop[:64, :64])
        times = []
        for _ in range(3):
            t = time.perf_counter()
            out = run(crop)
            times.append(time.perf_counter() - t)
        results[name] = (min(times), out)
    ref = results["float32"][1]
    print(f"\n{a.size}x{a.size} input crop, one tile, {a.threads} threads")
    print(f"{'variant':<24} {'time s':>7} {'speed-up':>8} {'RMS diff G':>10} {'max diff G':>10}")
    for name, (t, out) in results.items():
        d = out - ref
        print(f"{name:<24} {t:>7.2f} {results['float32'][0] / t:>8.2f} {np.sqrt(np.mean(d * d)):>10.3f} "
              f"{np.abs(d).max():>10.2f}")


if __name__ == "__main__":
    main()
