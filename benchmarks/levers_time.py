"""
What each lever of the default network costs in inference (prints a table; no assertions).

The default ``rcan-lite`` differs from the former default ``rcan-small`` by four levers:
fewer groups and blocks (a smaller receptive radius), re-parameterisable 3x3 convolutions,
one channel attention per residual group instead of per block, and a direct 4x upsampler.
Each row below is ``rcan-lite`` with one lever undone, so its time against rcan-lite's is
that lever's saving. One more lever is in the code, not the architecture: in inference the
skip connections add into the new tensor in place (``_add_skip``); its row runs the same
network with autograd enabled (nothing to record), which takes the out-of-place branch.
Speed does not depend on the weights: random ones are used (the quality of each lever is
measured by training, ``training/ablation/``).

Columns, per network in inference form (re-parameterised blocks fused):

- parameters, MFLOP per LR pixel (convolutions, from the layer shapes), receptive radius;
- the LR pixels exact tiling computes for the 2016-07-07 disk at the default 768-px tiles
  (radius padding included, off-disk tiles skipped), as a multiple of the on-disk pixels;
- forward time of a 256^2 tile plus that network's padding, 2 threads, channels_last: the
  minimum of ``--rounds`` (5) interleaved rounds over the networks;
- that time scaled by the tiling's padded pixels: an estimate of the network's full-disk
  share (not the measured full-disk time, which ``benchmarks/fulldisk_time.py`` gives);
- a float32 2048^2 matmul in the same run.

Usage::

    python benchmarks/levers_time.py [--shared ../shared]
"""
import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _timing import best_of
from bench_inference import conv_macs_per_lr_pixel

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
FULLDISK = "data/hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"

VARIANTS = {
    "rcan-lite (all levers)": ("rcan-lite", {}),
    "  with attention per block": ("rcan-lite", {"attention": "block"}),
    "  with the progressive upsampler": ("rcan-lite", {"upsampler": "progressive", "up_feats": 16}),
    "  with it folded (5x5 direct)": ("rcan-lite", {"upsampler": "progressive", "up_feats": 16,
                                                   "fuse_upsampler": True}),
    "  unfused (training form)": ("rcan-lite", {"_unfused": True}),
    "  with skip adds not in place": ("rcan-lite", {"_out_of_place": True}),
    "rcan-small (none of them)": ("rcan-small", {}),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--tile", type=int, default=768)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    import sunpy.map
    import torch

    from sunpy_sr.inference.tiling import tile_slices
    from sunpy_sr.models import build_model, get_preset
    data = sunpy.map.Map(Path(a.shared) / FULLDISK).data
    off = np.isnan(data)
    m = torch.randn(2048, 2048)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; float32 2048^2 matmul "
          f"{2 * 2048 ** 3 / best_of(lambda _: m @ m, None) / 1e9:.0f} GFLOP/s")
    print(f"{'network':34s} {'params':>8s} {'MFLOP/px':>9s} {'radius':>7s} {'tiled px':>9s} "
          f"{'tile s':>7s} {'x lite':>7s} {'disk est s':>11s}")
    rows = {}
    for name, (preset, override) in VARIANTS.items():
        override = dict(override)
        unfused = override.pop("_unfused", False)
        out_of_place = override.pop("_out_of_place", False)
        torch.manual_seed(0)
        net = build_model({**get_preset(preset), **override}).eval()
        if not unfused and hasattr(net, "fused"):
            net = net.fused()
        r = net.receptive_radius()
        planned = sum((pr.stop - pr.start) * (pc.stop - pc.start)
                      for _, _, pr, pc in tile_slices(data.shape, a.tile, r, off))
        n = a.size + 2 * r
        c = data.shape[0] // 2
        x = torch.from_numpy(np.ascontiguousarray(np.nan_to_num(
            data[c - n // 2:c - n // 2 + n, c - n // 2:c - n // 2 + n]), dtype=np.float32))[None, None]
        rows[name] = dict(net=net.to(memory_format=torch.channels_last),
                          x=x.contiguous(memory_format=torch.channels_last),
                          params=sum(q.numel() for q in net.parameters()),
                          mflop=2 * conv_macs_per_lr_pixel(net) / 1e6,
                          r=r, planned=planned, n=n, times=[], out_of_place=out_of_place)
        if out_of_place:  # autograd on, nothing to record: the skip adds take their out-of-place branch
            net.requires_grad_(False)
    # interleaved rounds (the minimum of each network's times), so that a slow spell of the
    # shared machine does not fall on one network only
    def forward(row):
        with torch.enable_grad() if row["out_of_place"] else torch.inference_mode():
            row["net"](row["x"])
    for row in rows.values():
        forward(row)
    for _ in range(a.rounds):
        for row in rows.values():
            t = time.perf_counter()
            forward(row)
            row["times"].append(time.perf_counter() - t)
    base = min(rows[next(iter(rows))]["times"])
    for name, row in rows.items():
        dt = min(row["times"])
        est = dt * row["planned"] / (row["n"] ** 2)
        print(f"{name:34s} {row['params']:8d} {row['mflop']:9.3f} {row['r']:7d} "
              f"{row['planned'] / (~off).sum():8.2f}x {dt:7.3f} {dt / base:7.2f} {est:11.1f}")


if __name__ == "__main__":
    main()
