"""
Where the full-disk time of a method goes (prints a table; no assertions).

Runs ``sunpy_sr.superresolve`` once on the real 2016-07-07 HMI disk (4096^2 -> 16384^2)
with the defaults, under `cProfile`, and prints the wall time and the cumulative time of
the stages a map travels through: reading is outside the timing; validation and unit
conversion, the NaN mask and tile plan, the network forwards (``RCAN.forward``, summed
over tiles, of which the convolutions are most), the copies of tile outputs into the
full output, NaN restoration, and building the output map (header and ``Map``). A 4096^2
float32 matmul is measured first in the same run.

Usage::

    python benchmarks/fulldisk_breakdown.py [METHOD] [--shared ../shared] [--top 25]
"""
import argparse
import cProfile
import pstats
import time
import warnings
from pathlib import Path

from _timing import matmul_gflops

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
FULLDISK = "data/hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("method", nargs="?", default="rcan")
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--top", type=int, default=25)
    a = p.parse_args()
    import sunpy.map
    import torch

    import sunpy_sr
    print(f"fp32 matmul 4096^2: {matmul_gflops():.0f} GFLOP/s ({torch.get_num_threads()} threads)")
    m = sunpy.map.Map(Path(a.shared) / FULLDISK)
    sunpy_sr.superresolve(m.data[2016:2080, 2016:2080], method=a.method)  # loads and caches the weights
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    sunpy_sr.superresolve(m, method=a.method)
    prof.disable()
    wall = time.perf_counter() - t
    print(f"{a.method}: full disk {wall:.1f} s wall")
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(a.top)


if __name__ == "__main__":
    main()
