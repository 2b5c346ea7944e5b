"""
Inference speed and memory of every method on this machine (prints a table; no assertions).

Measures, in one run:
* the practical FLOP/s limit: a 4096^2 torch matmul in float32 (and bfloat16);
* output Mpixel/s of every method on a real 1024^2 HMI crop (2016-07-07, disk centre);
* full-disk wall time and peak RSS of ``superresolve`` on the real 4096^2 map, each method in
  a fresh subprocess (so peak RSS is the method's own);
* the network's achieved GFLOP/s (convolution MACs counted with forward hooks) against the matmul;
* the ratio of every method's full-disk time to bicubic's;
* bfloat16 autocast against float32 on the crop: speed and the RMSE change (G);
* for every architecture preset: parameters and throughput on a 256^2 crop, with the full-disk
  time extrapolated from it and the tile plan (random weights: speed only; the
  quality of trained presets is in ``docs/results.rst``).

Usage::

    python benchmarks/bench_inference.py [--shared ../shared] [--skip-fulldisk] [--presets]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _timing import matmul_gflops

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
FULLDISK = "data/hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"


def conv_macs_per_lr_pixel(model):
    """Multiply-accumulates per LR input pixel, counted with hooks on a 32x32 input."""
    import torch
    macs = []

    def hook(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
        macs.append(out.numel() * k)
    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.inference_mode():
        model(torch.zeros(1, 1, 32, 32))
    for h in hs:
        h.remove()
    return sum(macs) / 32**2


def throughput(method, crop, reps=1, **opts):
    import sunpy_sr
    sunpy_sr.superresolve(crop[:64, :64], method=method, **opts)  # warm-up, weights cached
    t = time.perf_counter()
    for _ in range(reps):
        out = sunpy_sr.superresolve(crop, method=method, **opts)
    dt = (time.perf_counter() - t) / reps
    return out, dt


def fulldisk_child(method, path, tile):
    """Run in a subprocess: full-disk superresolve, print JSON with seconds and peak RSS."""
    import sunpy.map

    import sunpy_sr
    m = sunpy.map.Map(path)
    t = time.perf_counter()
    sr = sunpy_sr.superresolve(m, method=method, tile_size=tile)
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # GB (ru_maxrss in kB), before
    nan_fraction = float(np.isnan(sr.data[::4, ::4]).mean())        # the check below allocates
    print(json.dumps({"method": method, "seconds": dt, "peak_rss_gb": rss, "nan_fraction": nan_fraction}))


def planned_pixels(shape, tile, pad, skip=None):
    """LR pixels the tile plan of ``superresolve`` feeds to the method (padding included)."""
    from sunpy_sr.inference.tiling import tile_slices
    if tile is None or tile >= max(shape):
        return shape[0] * shape[1]  # one piece: every pixel is computed
    return sum((pr.stop - pr.start) * (pc.stop - pc.start)
               for _, _, pr, pc in tile_slices(shape, tile, pad, skip))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--skip-fulldisk", action="store_true")
    p.add_argument("--presets", action="store_true", help="also time every architecture preset")
    p.add_argument("--tile", type=int, default=768)
    p.add_argument("--skip-crop", action="store_true", help="time the methods on 128^2 only")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args()
    path = Path(a.shared) / FULLDISK
    if a.child:
        return fulldisk_child(a.child[0], a.child[1], a.tile)

    import sunpy.map
    import torch

    import sunpy_sr
    from sunpy_sr.metrics import rmse
    from sunpy_sr.weights import load_network
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, cpu count {os.cpu_count()}")
    mm32 = matmul_gflops(torch.float32)
    # without AMX/AVX512-BF16 a bfloat16 matmul is emulated and very slow: time a smaller one
    mm16 = matmul_gflops(torch.bfloat16, n=1024, reps=1)
    print(f"matmul: float32 (4096^2) {mm32:.0f} GFLOP/s, bfloat16 (1024^2) {mm16:.1f} GFLOP/s")
    crop = np.asarray(sunpy.map.Map(path).data[1536:2560, 1536:2560], dtype=np.float32)
    if a.skip_crop:
        crop = crop[:128, :128]

    model, meta = load_network()
    macs = conv_macs_per_lr_pixel(model)
    print(f"rcan ({meta['model_config']}): {sum(p.numel() for p in model.parameters())} parameters, "
          f"{2 * macs / 1e6:.3f} MFLOP per LR pixel, receptive radius {model.receptive_radius()} LR px")

    rows = {}
    print(f"\nreal {crop.shape[0]}^2 crop (output {4 * crop.shape[0]}^2):")
    for method in sunpy_sr.available_methods():
        out, dt = throughput(method, crop)
        rows[method] = out
        extra = ""
        if method == "rcan":
            # FLOPs actually needed by the tiles (padding included) vs the matmul
            padded = planned_pixels(crop.shape, a.tile, model.receptive_radius())
            gf = 2 * macs * padded / dt / 1e9
            extra = f"  achieved {gf:.0f} GFLOP/s = {100 * gf / mm32:.0f}% of the float32 matmul"
        print(f"  {method:8s} {crop.size * 16 / dt / 1e6:7.2f} Mpx/s  ({dt:.2f} s){extra}")
    # bfloat16 on a 128^2 part of the crop (emulated bf16 is slow on CPUs without AMX/AVX512-BF16)
    h = crop.shape[0] // 2
    part = crop[h - 64:h + 64, h - 64:h + 64]
    fp_out, fp_dt = throughput("rcan", part)
    bf_out, bf_dt = throughput("rcan", part, dtype="bfloat16")
    print(f"  rcan on 128^2: float32 {128 * 128 * 16 / fp_dt / 1e6:.2f} Mpx/s, bfloat16 autocast "
          f"{128 * 128 * 16 / bf_dt / 1e6:.2f} Mpx/s; RMSE(bf16 - fp32) = {rmse(fp_out, bf_out):.3f} G")

    if a.presets:
        from sunpy_sr.inference import network_runner
        from sunpy_sr.models import PRESETS, build_model
        print("\npresets (random weights, speed only), 256^2 LR crop, untiled:")
        disk_nan = np.isnan(sunpy.map.Map(path).data)
        for name in PRESETS:
            net = build_model(name).eval()
            run = network_runner(net)
            small = crop[:256, :256]
            run(small[:32, :32])
            t = time.perf_counter()
            run(small)
            dt = time.perf_counter() - t
            r = net.receptive_radius()
            planned = planned_pixels(disk_nan.shape, a.tile, r, disk_nan)
            print(f"  {name:12s} {sum(p.numel() for p in net.parameters()):>10d} params  "
                  f"{256 * 256 * 16 / dt / 1e6:6.3f} Mpx/s  "
                  f"full disk ~{planned / (256 * 256) * dt / 60:7.1f} min"
                  f" (radius {r}, {planned / 1e6:.1f} M LR px planned for "
                  f"{(~disk_nan).sum() / 1e6:.1f} M on disk)")

    if not a.skip_fulldisk:
        print(f"\nreal full disk {path.name} (4096^2 -> 16384^2), tile {a.tile}:")
        times = {}
        for method in sunpy_sr.available_methods():
            res = subprocess.run([sys.executable, __file__, "--child", method, str(path),
                                  "--tile", str(a.tile)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(res.stdout.strip().splitlines()[-1])
            times[method] = r["seconds"]
            print(f"  {method:8s} {r['seconds']:8.1f} s   peak RSS {r['peak_rss_gb']:.2f} GB   "
                  f"x{r['seconds'] / times.get('bicubic', r['seconds']):.1f} bicubic")


if __name__ == "__main__":
    main()
