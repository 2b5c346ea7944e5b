"""
Full-disk time and accuracy of ``dtype="auto"`` against ``dtype="float32"``, in one run.

Usage::

    python benchmarks/precision_fulldisk.py [--method rcan] [--shared ../shared]

Prints what `sunpy_sr.inference.precision.native_bfloat16` detected, the 4096^2 float32 and
bfloat16 matmul rates of this run, then for each dtype (each in a fresh process, so the peak
RSS is its own) the wall time of `sunpy_sr.superresolve` on the real 2016-07-07 HMI disk and
its peak RSS; then the difference auto - float32 in G: RMS over all finite pixels, maximum
within 0.99 solar radii and maximum beyond (the limb pixels, reported separately). The disk
radius of an output pixel is that of its parent input pixel.
"""
import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _timing import matmul_gflops

ROOT = Path(__file__).resolve().parents[1]
FULLDISK = "data/hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"


def _child(method, dtype, path, out):
    import sunpy.map

    import sunpy_sr
    m = sunpy.map.Map(path)
    t = time.perf_counter()
    sr = sunpy_sr.superresolve(m, method=method, dtype=dtype)
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    np.save(out, sr.data)
    print(f"{dtype}\t{sr.meta.get('srdtype')}\t{dt:.1f}\t{rss:.2f}")


def _radius(path):
    """Distance of each input pixel from disk centre, in solar radii."""
    import astropy.units as u
    import sunpy.map
    from astropy.coordinates import SkyCoord
    m = sunpy.map.Map(path)
    cx, cy = m.world_to_pixel(SkyCoord(0 * u.arcsec, 0 * u.arcsec, frame=m.coordinate_frame))
    r_px = (m.rsun_obs / m.scale.axis1).to_value(u.pix)
    y, x = np.mgrid[:m.data.shape[0], :m.data.shape[1]]
    return np.hypot(x - cx.value, y - cy.value) / r_px


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--method", default="rcan")
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args()
    path = Path(a.shared) / FULLDISK
    if a.child:
        return _child(a.method, a.child[0], path, a.child[1])
    import torch

    from sunpy_sr.inference.precision import native_bfloat16
    print("detected:", native_bfloat16())
    print(f"matmul 4096^2: float32 {matmul_gflops():.0f} GFLOP/s, bfloat16 "
          f"{matmul_gflops(torch.bfloat16):.0f} GFLOP/s ({torch.get_num_threads()} threads)")
    print("dtype asked\tSRDTYPE\twall s\tpeak RSS GB")
    with tempfile.TemporaryDirectory() as tmp:
        outs = {}
        for dtype in ("float32", "auto"):
            outs[dtype] = str(Path(tmp) / f"{dtype}.npy")
            run = subprocess.run([sys.executable, __file__, "--method", a.method, "--shared", a.shared,
                                  "--child", dtype, outs[dtype]], capture_output=True, text=True, check=True)
            print(run.stdout.strip(), flush=True)
        ref, auto = np.load(outs["float32"], mmap_mode="r"), np.load(outs["auto"], mmap_mode="r")
        r = np.repeat(np.repeat(_radius(path), 4, axis=0), 4, axis=1)
        sq, n, inner, outer = 0.0, 0, 0.0, 0.0
        for r0 in range(0, ref.shape[0], 1024):  # row blocks: two 16384^2 maps do not fit twice
            d = np.asarray(auto[r0:r0 + 1024], np.float64) - np.asarray(ref[r0:r0 + 1024], np.float64)
            ok = np.isfinite(d)
            sq, n = sq + float(np.sum(d[ok] ** 2)), n + int(ok.sum())
            rr = r[r0:r0 + 1024]
            if (ok & (rr <= 0.99)).any():
                inner = max(inner, float(np.abs(d[ok & (rr <= 0.99)]).max()))
            if (ok & (rr > 0.99)).any():
                outer = max(outer, float(np.abs(d[ok & (rr > 0.99)]).max()))
        print(f"auto - float32: RMS {np.sqrt(sq / n):.3f} G over {n} pixels; max {inner:.2f} G within "
              f"0.99 R_sun, {outer:.2f} G beyond")


if __name__ == "__main__":
    main()
