"""
What ``superresolve(..., consistent=True)`` does on real HMI data (prints tables).

1. Evaluation, as ``sunpy-sr evaluate`` does it (`sunpy_sr.core.pairs.make_pairs` and
   `sunpy_sr.evaluation.evaluate`): the 2016-07-07 full disk (held out from training),
   ``PairRecipe(size=512, stride=512, max_distance=500)`` (9 HR crops of 512^2 within
   500" of disk centre, LR = ``degrade`` of each), and SHARP 377 (NOAA 11158, held out),
   ``PairRecipe(size=256, stride=128)``. Each method runs with and without
   ``consistent=True``. Columns: PSNR (dB, peak 4000 G) and RMSE (G) against HR; the
   re-degradation residual ``degrade(SR) - LR`` (RMS, `sunpy_sr.metrics.redegradation_residual`,
   and max, G); the signed and unsigned flux errors of SR against HR (per crop,
   ``sum(SR) - sum(HR)`` and ``sum|SR| - sum|HR|`` relative to ``sum|HR|``: a crop's
   pixels have equal areas; mean over crops of the signed error's absolute value and of
   the unsigned error); the input-flux error (``sum(SR)/16 - sum(LR)`` relative to
   ``sum|LR|``, what a flux budget computed from the input would see); the CPU time
   (process time, all threads, summed over crops; wall time is meaningless on a shared
   machine) and, for the projection alone, the conjugate-gradient iterations and the
   initial and final max residual.
2. Tiling: a real 512^2 LR crop at disk centre (the HMI data itself as LR) with tiles
   of 128 LR pixels, with the method's own padding (receptive radius) and with the extra
   `sunpy_sr.inference.consistency.CONSISTENCY_PAD`; and a 512^2 limb crop (off-disk
   NaN): the max deviation on the pixels the guarantee covers and on the limb band.

Usage::

    python benchmarks/consistency.py [--shared ../shared] [--methods bicubic,linear,rcan-fast,rcan]
                                     [--tiling-methods bicubic,rcan-fast]

It takes several minutes (rcan on 19 crops, twice). This script gave the table of
``docs/guide/consistency.rst``.
"""
import argparse
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
FULLDISK = "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
SHARP = "hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"


def _run(prepared, lrs):
    """Outputs of a prepared method on every LR crop, and the process (CPU) time spent."""
    from sunpy_sr import superresolve
    prepared.build()  # load the network outside the timing
    superresolve(lrs[0], method=prepared)  # and the first-call costs (thread pools, kernels for this shape)
    t = time.process_time()
    outs = [np.asarray(superresolve(x, method=prepared)) for x in lrs]
    return outs, time.process_time() - t


def evaluation(name, pairs, methods):
    from sunpy_sr.api import prepare_method
    from sunpy_sr.core.degradation import degrade_array
    from sunpy_sr.evaluation import evaluate
    from sunpy_sr.inference.consistency import project_consistent

    outputs, cpu, infos = {}, {}, {}
    for m in methods:
        for consistent in (False, True):
            label = f"{m}{' +consistent' if consistent else ''}"
            outputs[label], cpu[label] = _run(prepare_method(m, consistent=consistent), pairs.lr)
            print(f"  {name}: {label} done ({cpu[label]:.1f} s CPU)", flush=True)
        t = time.process_time()
        infos[m] = [project_consistent(o, x, return_info=True)[1] for o, x in zip(outputs[m], pairs.lr)]
        cpu[f"{m} projection"] = time.process_time() - t
    table = evaluate((pairs.hr, pairs.lr), methods=outputs, progress=False)
    per = table.meta["per_image"]
    rows = []
    for label, outs in outputs.items():
        i = list(table["method"]).index(label)
        redeg_max = max(float(np.nanmax(np.abs(degrade_array(o) - x))) for o, x in zip(outs, pairs.lr))
        influx = np.mean([abs(o.sum(dtype=np.float64) / 16 - x.sum(dtype=np.float64))
                          / np.abs(x).sum(dtype=np.float64) for o, x in zip(outs, pairs.lr)])
        rows.append((label, table["psnr"][i].value, table["rmse"][i].value,
                     table["redegradation_residual"][i].value, redeg_max,
                     100 * np.mean(np.abs(per[label]["signed_flux_error"])),
                     100 * np.mean(per[label]["unsigned_flux_error"]), 100 * influx, cpu[label]))
    print(f"\n{name}: {len(pairs)} crops, HR {pairs.hr[0].shape[0]}^2")
    print(f"{'method':22} {'PSNR dB':>8} {'RMSE G':>7} {'redeg RMS G':>11} {'redeg max G':>11} "
          f"{'|signed| %':>10} {'unsigned %':>10} {'input flux %':>12} {'CPU s':>7}")
    for r in rows:
        print(f"{r[0]:22} {r[1]:8.2f} {r[2]:7.2f} {r[3]:11.2e} {r[4]:11.2e} {r[5]:10.4f} {r[6]:10.3f} "
              f"{r[7]:12.5f} {r[8]:7.1f}")
    for m in methods:
        its = [i.iterations for i in infos[m]]
        print(f"{m} projection alone: {min(its)}-{max(its)} CG iterations, initial max residual "
              f"{np.median([i.initial_residual for i in infos[m]]):.1f} G median / "
              f"{max(i.initial_residual for i in infos[m]):.1f} G max, final max residual "
              f"{max(i.residual for i in infos[m]):.1e} G (float64), {cpu[f'{m} projection']:.2f} s CPU "
              f"for all crops; CPU time ratio consistent/plain {cpu[m + ' +consistent'] / cpu[m]:.3f}, "
              f"(plain + projection alone)/plain {1 + cpu[f'{m} projection'] / cpu[m]:.3f}")
    return rows


def tiling(lr, limb, methods):
    import scipy.ndimage

    import sunpy_sr
    from sunpy_sr.core.degradation import degrade_array
    from sunpy_sr.inference.consistency import CONSISTENCY_PAD
    from sunpy_sr.inference.tiling import run_tiled
    from sunpy_sr.methods import get_method

    print(f"\ntiling: 2016-07-07 disk centre, {lr.shape[0]}^2 LR (HMI data as LR), tiles of 128 LR px")
    valid = np.isfinite(limb)
    inner = scipy.ndimage.binary_erosion(valid, np.ones((3, 3)), border_value=1)
    band = valid & ~inner
    for m in methods:
        func, pad = get_method(m).build(consistent=True)
        whole = func(lr)
        print(f"  {m}: untiled max|degrade(SR) - LR| = {np.abs(degrade_array(whole) - lr).max():.2e} G")
        for p in (pad - CONSISTENCY_PAD, pad):
            t = time.process_time()
            out = run_tiled(func, lr, scale=4, pad=p, tile=128)
            t = time.process_time() - t
            print(f"  {m}: pad {p:3d} LR px: max|degrade(SR) - LR| = "
                  f"{np.abs(degrade_array(out) - lr).max():.2e} G, "
                  f"max|tiled - untiled| = {np.abs(out - whole).max():.2e} G, {t:.1f} s CPU", flush=True)
        out = sunpy_sr.superresolve(limb, method=m, consistent=True, tile_size=128)
        d = np.abs(degrade_array(out) - limb)
        print(f"  {m}: limb crop (NaN off disk), tiled: {inner.sum()} LR px with a finite 3x3 neighbourhood: "
              f"max {d[inner].max():.2e} G; limb band ({band.sum()} px): max {d[band].max():.2f} G, "
              f"median {np.median(d[band]):.2f} G", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--methods", default="bicubic,linear,rcan-fast,rcan")
    p.add_argument("--tiling-methods", default="bicubic,rcan-fast")
    p.add_argument("--cache", default=str(ROOT / "benchmarks" / ".cache"))
    a = p.parse_args()
    import sunpy.map

    from sunpy_sr.core.pairs import PairRecipe, make_pairs

    data = Path(a.shared) / "data"
    methods = a.methods.split(",")
    rows = {}
    for name, path, recipe in (("2016-07-07 disk centre", data / FULLDISK,
                                PairRecipe(size=512, stride=512, max_distance=500)),
                               ("SHARP 377", data / SHARP, PairRecipe(size=256, stride=128))):
        pairs = make_pairs([path], recipe, a.cache, progress=False)
        rows[name] = evaluation(name, pairs, methods)

    if not a.tiling_methods:
        return
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    m = sunpy.map.Map(data / FULLDISK)
    d = np.asarray(m.data, dtype=np.float32)
    x0, y0 = m.wcs.world_to_pixel(SkyCoord(0 * u.arcsec, 0 * u.arcsec, frame=m.coordinate_frame))
    cy, cx = int(round(float(y0))), int(round(float(x0)))  # disk centre (2051, 2038)
    tiling(d[cy - 256:cy + 256, cx - 256:cx + 256], d[cy - 256:cy + 256, :512], a.tiling_methods.split(","))


if __name__ == "__main__":
    main()
