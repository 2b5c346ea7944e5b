"""
Is the self-ensemble spread (``superresolve(..., uncertainty="ensemble")``) an error bar? Measured.

Real HR crops that the bundled networks never trained on are degraded 4x (the training
forward model, `sunpy_sr.degrade`), super-resolved with ``uncertainty="ensemble"``, and the spread
(the standard deviation of the 16 symmetric passes) is compared with the true error
``SR - HR``, pixel by pixel:

* 4 crops of 256^2 HR pixels around the disk centre of the 2016-07-07 01:00 TAI full disk
  (hmi.M_720s; the project's validation/test disk: quiet Sun and network);
* 3 crops of 256^2 of SHARP 377 (NOAA 11158, 2011-02-15 02:00 TAI; the held-out active
  region; CEA grid).

Printed, per crop set and for both together: Pearson and Spearman correlation of the spread
with |error|, the 1-sigma coverage (share of pixels with |error| <= spread; 68 % for a
calibrated Gaussian error bar), and per |B_HR| band (< 200 G, 200-1000 G, > 1000 G) the RMS
error, the RMS spread and their ratio RMS(error) / RMS(spread).

Usage::

    python benchmarks/uncertainty_vs_error.py [--method rcan] [--threads 2] [--data ../shared/data]
"""
import argparse
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
FULLDISK = "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
SHARP_377 = "hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"
BANDS = ((0.0, 200.0), (200.0, 1000.0), (1000.0, np.inf))  # |B_HR| in G


def crops(data_dir):
    """(set name, HR crop Map) for the 4 disk-centre and 3 SHARP 377 crops."""
    import astropy.units as u
    import sunpy.map
    disk = sunpy.map.Map(data_dir / FULLDISK)
    # the disk centre in pixels (level 1: CROTA2 = 180, so take it from the WCS)
    from astropy.coordinates import SkyCoord
    centre = disk.world_to_pixel(SkyCoord(0 * u.arcsec, 0 * u.arcsec, frame=disk.coordinate_frame))
    cx, cy = int(round(centre.x.value)), int(round(centre.y.value))
    out = []
    for dx, dy in ((-256, -256), (0, -256), (-256, 0), (0, 0)):
        x0, y0 = cx + dx, cy + dy
        crop = disk.submap([x0, y0] * u.pix, top_right=[x0 + 255, y0 + 255] * u.pix)
        out.append(("disk centre 2016", crop))
    sharp = sunpy.map.Map(data_dir / SHARP_377)
    ny, nx = sharp.data.shape  # 377 x 744
    y0 = (ny - 256) // 2
    for x0 in (0, (nx - 256) // 2, nx - 256):
        out.append(("SHARP 377", sharp.submap([x0, y0] * u.pix, top_right=[x0 + 255, y0 + 255] * u.pix)))
    return out


def spearman(a, b):
    ra = np.argsort(np.argsort(a)).astype(np.float64)
    rb = np.argsort(np.argsort(b)).astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def summary(name, hr, err, spread):
    ok = np.isfinite(hr) & np.isfinite(err) & np.isfinite(spread)
    hr, err, spread = hr[ok], err[ok], spread[ok]
    a = np.abs(err)
    print(f"\n{name}: {ok.sum()} pixels")
    print(f"  corr(spread, |error|): Pearson {np.corrcoef(spread, a)[0, 1]:.3f}, "
          f"Spearman {spearman(spread, a):.3f}")
    print(f"  1-sigma coverage (|error| <= spread): {np.mean(a <= spread) * 100:.1f} %  "
          "(68.3 % if it were an error bar)")
    print(f"  RMS error {np.sqrt(np.mean(err**2)):.2f} G, RMS spread {np.sqrt(np.mean(spread**2)):.2f} G, "
          f"ratio {np.sqrt(np.mean(err**2)) / np.sqrt(np.mean(spread**2)):.2f}")
    print(f"  {'|B_HR| band':>14} {'pixels':>8} {'RMS error':>10} {'RMS spread':>11} {'ratio':>6} "
          f"{'corr':>6} {'coverage':>9}")
    for lo, hi in BANDS:
        m = (np.abs(hr) >= lo) & (np.abs(hr) < hi)
        label = f"{lo:.0f}-{hi:.0f} G" if np.isfinite(hi) else f"> {lo:.0f} G"
        if m.sum() < 10:
            print(f"  {label:>14} {m.sum():>8}   (too few)")
            continue
        re, rs = np.sqrt(np.mean(err[m] ** 2)), np.sqrt(np.mean(spread[m] ** 2))
        corr = np.corrcoef(spread[m], np.abs(err[m]))[0, 1]
        coverage = np.mean(np.abs(err[m]) <= spread[m]) * 100
        print(f"  {label:>14} {m.sum():>8} {re:>10.2f} {rs:>11.2f} {re / rs:>6.2f} {corr:>6.3f} "
              f"{coverage:>8.1f}%")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--method", default="rcan")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    a = p.parse_args()
    import sunpy_sr
    from sunpy_sr.api import prepare_method
    prepared = prepare_method(a.method, uncertainty="ensemble")
    pooled = {}
    t_all = time.perf_counter()
    for name, hr_map in crops(a.data):
        lr = sunpy_sr.degrade(hr_map)
        t = time.perf_counter()
        sr = sunpy_sr.superresolve(lr, method=prepared, threads=a.threads)
        hr = np.asarray(hr_map.data, dtype=np.float64)  # Mx/cm^2 = G for the SHARP
        err = np.asarray(sr.data, dtype=np.float64) - hr
        spread = np.asarray(sr.uncertainty.array, dtype=np.float64)
        print(f"{name}: LR {lr.data.shape} -> SR {sr.data.shape} in {time.perf_counter() - t:.1f} s; "
              f"median spread {np.nanmedian(spread):.2f} G, median |error| {np.nanmedian(np.abs(err)):.2f} G")
        for key in (name, "all"):
            h, e, s = pooled.setdefault(key, ([], [], []))
            h.append(hr.ravel())
            e.append(err.ravel())
            s.append(spread.ravel())
    print(f"\nmethod {a.method} ({prepared.model}), 16-symmetry self-ensemble; "
          f"{time.perf_counter() - t_all:.0f} s")
    for key, (h, e, s) in pooled.items():
        summary(key, np.concatenate(h), np.concatenate(e), np.concatenate(s))


if __name__ == "__main__":
    main()
