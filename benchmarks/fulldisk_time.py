"""
Full-disk wall time and peak RSS of one method, next to the same run's matmul rate.

Usage::

    python benchmarks/fulldisk_time.py METHOD [METHOD ...] [--shared ../shared] [--option KEY=VALUE ...]

``--option`` passes method options to every run (e.g. ``--option consistent=True``,
``--option dtype=bfloat16``; values are read as Python literals where they parse).

Each method runs in a fresh process (so the peak RSS is its own) on the real 2016-07-07 HMI
disk (4096^2 -> 16384^2) with the defaults of `sunpy_sr.superresolve`; the 4096^2 float32
matmul rate is measured first in the same run, because run times on a shared machine vary.
"""
import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

from _timing import matmul_gflops

ROOT = Path(__file__).resolve().parents[1]
FULLDISK = "data/hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"


def _options(pairs):
    import ast
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _child(method, path, options):
    import sunpy.map

    import sunpy_sr
    m = sunpy.map.Map(path)
    t = time.perf_counter()
    sunpy_sr.superresolve(m, method=method, **options)
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"{method} {options or ''}\t{dt:.1f}\t{rss:.2f}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("methods", nargs="+")
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--option", action="append", default=[], help="a method option KEY=VALUE")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    path = Path(a.shared) / FULLDISK
    if a.child:
        return _child(a.methods[0], path, _options(a.option))
    import torch
    print(f"fp32 matmul 4096^2: {matmul_gflops():.0f} GFLOP/s ({torch.get_num_threads()} threads)")
    print("method\twall s\tpeak RSS GB")
    for method in a.methods:
        extra = [x for o in a.option for x in ("--option", o)]
        out = subprocess.run([sys.executable, __file__, method, "--child", "--shared", a.shared, *extra],
                             capture_output=True, text=True, check=True)
        print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
