"""
What an error map costs on a real full disk, and what the range guard does there.

On the 2016-07-07 01:00 TAI HMI full disk (4096^2, native 0.504"/px: what a user super-resolves),
in one process, for each method given:

* ``superresolve(disk, method=M)`` and ``superresolve(disk, method=M, uncertainty=True)``: wall
  time (the second after the first, so the network is warm for both), their ratio, and peak RSS;
* the output's range with the guard (as shipped) and without it (the method's function run
  tiled on the NaN-filled disk, as before the guard), and the range of the input;
* the pixels whose input leaves the training range (`sunpy_sr.core.range_guard.out_of_range`)
  and the median sigma there and elsewhere;
* with ``--profile``: where the error map's time goes (``cProfile`` of the ``uncertainty=True``
  pass: the error network's forward, its calibration, the range check), and the floor of any
  per-pixel error map: filling a second 16384^2 float32 array from a per-band lookup of the
  output (one read of the output, one write of sigma), timed alone.

The fp32 4096^2 matmul rate of the same run is printed first, so that times can be compared
across machines.

Usage::

    python benchmarks/error_map_cost.py [--methods rcan bicubic] [--threads 2] [--profile]
"""
import argparse
import cProfile
import pstats
import resource
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DISK = ROOT.parent / "shared" / "data" / "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"


def matmul_rate(n=4096, repeats=3):
    import torch
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - t) / 1e9


def _print_error_map_profile(prof, out, error_model):
    """Cumulative times of the error map's parts, and the floor of a per-pixel error map."""
    stats = pstats.Stats(prof).stats
    parts = {"ErrorModel.__call__ (network + calibration)": ("inference/errors.py", "__call__"),
             "ErrorNet.forward (the network)": ("models/error.py", "forward"),
             "out_of_range (range check)": ("core/range_guard.py", "out_of_range"),
             "restore_nan (output and sigma)": ("core/grid.py", "restore_nan")}
    for label, (file, func) in parts.items():
        total = sum(v[3] for (f, _, fn), v in stats.items() if f.endswith(file) and fn == func)
        print(f"  {label}: {total:.1f} s")
    values = np.asarray(error_model.calibration.band_factors, dtype=np.float32)
    edges = np.asarray(error_model.calibration.band_edges, dtype=np.float32)
    sigma = np.empty_like(out)
    t = time.perf_counter()
    for r0 in range(0, out.shape[0], 1024):  # in row blocks, as tiles would
        block = out[r0:r0 + 1024]
        sigma[r0:r0 + 1024] = values[np.searchsorted(edges, np.abs(block), side="right")]
    print(f"  floor: a per-band lookup of the output written to a {out.shape[0]}^2 sigma array "
          f"{time.perf_counter() - t:.1f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--methods", nargs="+", default=["rcan", "bicubic"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--profile", action="store_true", help="where the error map's time goes, and its floor")
    a = ap.parse_args()
    import sunpy.map
    import torch

    import sunpy_sr
    from sunpy_sr.api import prepare_method
    from sunpy_sr.core.range_guard import out_of_range
    from sunpy_sr.inference.tiling import run_tiled
    torch.set_num_threads(a.threads)
    warnings.simplefilter("ignore")
    print(f"fp32 matmul 4096^2: {matmul_rate():.0f} GFLOP/s ({a.threads} threads)")
    disk = sunpy.map.Map(DISK)
    data = np.asarray(disk.data, dtype=np.float32)
    bad = np.isnan(data)
    print(f"input: {disk.data.shape}, range {np.nanmin(data):.0f} .. {np.nanmax(data):.0f} G")
    ood = out_of_range(np.nan_to_num(data), bad)
    ood_hr = np.kron(ood, np.ones((4, 4), bool))
    print(f"out-of-range input pixels: {int(ood.sum())} ({ood.sum() / (~bad).sum() * 100:.2f} % of the disk)")
    for name in a.methods:
        plain = prepare_method(name)
        t = time.perf_counter()
        sr = sunpy_sr.superresolve(disk, method=plain, threads=a.threads)
        t_plain = time.perf_counter() - t
        print(f"\n{name}: plain {t_plain:.1f} s, range {np.nanmin(sr.data):.0f} .. "
              f"{np.nanmax(sr.data):.0f} G (guarded)")
        del sr
        func, radius = plain.build()
        filled = np.where(bad, np.float32(0), data)
        raw = run_tiled(func, filled, scale=4, pad=int(radius), tile=768, skip=bad)
        raw[np.kron(bad, np.ones((4, 4), bool))] = np.nan
        print(f"{name}: without the guard, range {np.nanmin(raw):.0f} .. {np.nanmax(raw):.0f} G; "
              f"{int((np.abs(raw) > np.nanmax(np.abs(data))).sum())} pixels beyond the input's max |B|")
        del raw
        with_sigma = prepare_method(name, uncertainty=True)
        prof = cProfile.Profile() if a.profile else None
        t = time.perf_counter()
        if prof is not None:
            prof.enable()
        sr = sunpy_sr.superresolve(disk, method=with_sigma, threads=a.threads)
        if prof is not None:
            prof.disable()
        t_unc = time.perf_counter() - t
        if prof is not None:
            _print_error_map_profile(prof, sr.data, with_sigma.error_model)
        sigma = sr.uncertainty.array
        print(f"{name}: uncertainty=True {t_unc:.1f} s = {t_unc / t_plain:.2f}x the plain pass; median sigma "
              f"{np.nanmedian(sigma[ood_hr]):.1f} G at out-of-range pixels, "
              f"{np.nanmedian(sigma[~ood_hr]):.2f} G elsewhere")
        del sr, sigma
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
