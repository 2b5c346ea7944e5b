"""
Full-disk time, peak GPU memory and accuracy of ``device="cuda"``, per method and precision.

For a user with an NVIDIA GPU: one command, a few minutes. On the 2016-07-07 01:00 TAI HMI full
disk (4096^2 -> 16384^2; ``--input`` for another map), for each method and each precision the GPU
supports ("float32"; "bfloat16" where ``torch.cuda.is_bf16_supported()``):

* wall time of ``superresolve(disk, method=M, device="cuda", dtype=D, tile_batch=B)`` (after
  one warm-up call on a small crop, so CUDA's start-up is not in it), with ``B`` from
  ``--tile-batch`` (default "auto": as many tiles per forward pass as fill half the free GPU
  memory with two batches in flight, `sunpy_sr.inference.runner.auto_tile_batch`);
* peak GPU memory (``torch.cuda.max_memory_allocated``);
* the difference from the CPU float32 result of the same method on the same map: RMS and
  maximum within 0.99 R_sun, and maximum beyond (the limb).

Output: a table on stdout, one row per (method, precision), and with ``--json PATH`` the same
rows as JSON (keys: method, dtype, tile_batch, seconds, peak_gpu_gb, rms_g, max_inner_g,
max_limb_g, gpu, torch; ``tile_batch`` is the batch size used, "auto" resolved for a full
tile). The CPU reference runs once per method on all CPU threads (``--skip-cpu`` leaves the
accuracy columns empty and takes seconds instead of minutes).

Usage::

    python benchmarks/gpu_fulldisk.py [--methods rcan rcan-fast progan] [--tile-batch auto|N]
                                      [--json gpu.json]
"""
import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: superresolve's default tile size (input pixels), given explicitly so that the batch size
#: reported is the one of the run
TILE_SIZE = 768
DISK = ROOT.parent / "shared" / "data" / "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"


def _inner_mask(smap, shape):
    """Output pixels within 0.99 R_sun (by the parent input pixel's disk position)."""
    import sunpy.map
    c = sunpy.map.all_coordinates_from_map(smap)
    r = (np.hypot(c.Tx, c.Ty) / smap.rsun_obs).decompose().value
    s = shape[0] // r.shape[0]
    return np.kron(r < 0.99, np.ones((s, s), bool))


def _tile_batch(text):
    """``--tile-batch``: "auto" or a positive integer."""
    return text if text == "auto" else int(text)


def _batch_used(name, dtype, tile_batch, disk, tile_size):
    """The tiles per forward pass that ``tile_batch`` gives on ``disk`` (a full padded tile)."""
    if tile_batch != "auto":
        return tile_batch
    from sunpy_sr.core.range_guard import guard_radius
    from sunpy_sr.inference import network_runner
    from sunpy_sr.weights import load_network
    model, _ = load_network(None, default=name)
    pad = max(int(model.receptive_radius()), guard_radius())  # superresolve's padding without an error map
    side = min(tile_size + 2 * pad, max(disk.data.shape))
    return network_runner(model, device="cuda", dtype=dtype, tile_batch="auto").batching.size((side, side))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--methods", nargs="+", default=["rcan", "rcan-fast", "progan"])
    ap.add_argument("--input", type=Path, default=DISK)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--skip-cpu", action="store_true")
    ap.add_argument("--tile-batch", type=_tile_batch, default="auto",
                    help='tiles per forward pass: "auto" (default) or a positive integer')
    a = ap.parse_args()
    import astropy.units as u
    import sunpy.map
    import torch

    import sunpy_sr
    if not torch.cuda.is_available():
        sys.exit("no CUDA device: this benchmark needs an NVIDIA GPU (torch.cuda.is_available() is False)")
    warnings.simplefilter("ignore")
    gpu = torch.cuda.get_device_name(0)
    dtypes = ["float32"] + (["bfloat16"] if torch.cuda.is_bf16_supported() else [])
    disk = sunpy.map.Map(a.input)
    print(f"GPU: {gpu}; torch {torch.__version__}; map {a.input.name} {disk.data.shape}")
    crop = disk.submap([1900, 1900] * u.pix, top_right=[2027, 2027] * u.pix)
    inner = None
    rows = []
    for name in a.methods:
        ref = None
        if not a.skip_cpu:
            t = time.perf_counter()
            ref = sunpy_sr.superresolve(disk, method=name).data
            print(f"{name}: CPU float32 reference in {time.perf_counter() - t:.1f} s")
            if inner is None:
                inner = _inner_mask(disk, ref.shape)
        for dtype in dtypes:
            sunpy_sr.superresolve(crop, method=name, device="cuda", dtype=dtype,
                                  tile_batch=a.tile_batch)  # warm-up
            torch.cuda.synchronize()
            batch = _batch_used(name, dtype, a.tile_batch, disk, TILE_SIZE)
            torch.cuda.reset_peak_memory_stats()
            t = time.perf_counter()
            sr = sunpy_sr.superresolve(disk, method=name, device="cuda", dtype=dtype, tile_size=TILE_SIZE,
                                       tile_batch=a.tile_batch).data
            torch.cuda.synchronize()
            row = {"method": name, "dtype": dtype, "tile_batch": batch,
                   "seconds": round(time.perf_counter() - t, 2),
                   "peak_gpu_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2),
                   "rms_g": None, "max_inner_g": None, "max_limb_g": None, "gpu": gpu,
                   "torch": torch.__version__}
            if ref is not None:
                d = sr - ref
                ok = np.isfinite(d)
                row["rms_g"] = round(float(np.sqrt(np.mean(d[ok] ** 2))), 3)
                row["max_inner_g"] = round(float(np.max(np.abs(d[ok & inner]))), 2)
                limb = ok & ~inner
                row["max_limb_g"] = round(float(np.max(np.abs(d[limb]))), 2) if limb.any() else None
            rows.append(row)
            print(json.dumps(row), flush=True)
    head = ("method", "dtype", "batch", "s", "GPU GB", "RMS G", "max<0.99", "max limb")
    print("\n" + " ".join(f"{h:<12}" if i == 0 else f"{h:<9}" if i == 1 else f"{h:>7}" if i < 6 else f"{h:>9}"
                          for i, h in enumerate(head)))
    for r in rows:
        cells = [f"{r[k]:>7}" if r[k] is not None else f"{'--':>7}"
                 for k in ("tile_batch", "seconds", "peak_gpu_gb", "rms_g")]
        print(f"{r['method']:<12} {r['dtype']:<9} {' '.join(cells)} {str(r['max_inner_g'] or '--'):>9} "
              f"{str(r['max_limb_g'] or '--'):>9}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
