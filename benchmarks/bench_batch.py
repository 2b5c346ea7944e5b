"""
Throughput of ``sunpy_sr.batch.superresolve_files`` on a LocalCluster against a serial loop.

Two workloads, both real, with the package's default method and options (``--method`` for
another; the measurements of ``rcan-fast`` in the docs were made with ``--method rcan-fast``):

* cutouts: 12 crops of 256^2 px from the centres of the 2012 SHARPs (../shared/data/hmi/sharp-2012);
* full disks: the two 4096^2 HMI full disks (2011-12-17 and 2016-07-07; outputs of 16384^2 px,
  1 GiB each on disk).

Each workload runs (a) serially in one fresh process (the network prepared once, maps read,
super-resolved and written one after the other, all cores to torch), (b) on a LocalCluster
of 1 worker x 2 torch threads and (c) of 2 workers x 1 thread (`sunpy_sr.batch.run.local_cluster`,
as ``superresolve_files`` starts it). Printed for each:

* cold: wall time from nothing (the serial process started, or the cluster created) to the
  last output written, imports and model loading included, and maps per minute;
* warm: maps per minute once everything is loaded (serial: a second pass over the files in the
  same process; batch: the same files again on the same cluster with ``overwrite=True``);
* the peak RSS of the serial process and of every worker (``ru_maxrss``, read at the end).

Usage::

    python benchmarks/bench_batch.py [--method M] [--data ../shared/data] [--work DIR]
                                     [--skip-cutouts] [--skip-fulldisk]

It first prints the bfloat16 detection (``dtype="auto"``) and this run's 4096^2 matmul rates.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
METHOD = None  # set by --method (default: sunpy_sr.api.pipeline.DEFAULT_METHOD)
FULLDISKS = ("hmi/fulldisk/hmi.m_720s.20111217_060000_TAI.magnetogram.fits",
             "hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits")

_SERIAL = r"""
import json, resource, sys, time, warnings
t_start = time.perf_counter()
warnings.simplefilter("ignore")
import sunpy.map
from sunpy_sr.api import prepare_method, superresolve
from sunpy_sr.batch.files import output_path, write_map_atomic
files, out, method = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
prepared = prepare_method(method)
passes = []
for _ in range(2):  # the first pass from cold (imports done above), the second warm
    t0 = time.perf_counter()
    for f in files:
        sr = superresolve(sunpy.map.Map(f), method=prepared)
        write_map_atomic(sr, output_path(f, out))
        del sr
    passes.append(time.perf_counter() - t0)
    if len(passes) == 1:
        print(json.dumps({"first_pass_end": time.perf_counter() - t_start}), flush=True)
print(json.dumps({"seconds": passes[1], "first_pass": passes[0],
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""


def make_cutouts(data, folder, n=12):
    import astropy.units as u
    import sunpy.map
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in sorted((data / "hmi" / "sharp-2012").glob("*.magnetogram.fits"))[:n]:
        m = sunpy.map.Map(f)
        ny, nx = m.data.shape
        s = min(256, ny, nx)
        x0, y0 = (nx - s) // 2, (ny - s) // 2
        crop = m.submap([x0, y0] * u.pix, top_right=[x0 + s - 1, y0 + s - 1] * u.pix)
        crop.meta.pop("blank", None)
        out.append(folder / f.name)
        crop.save(out[-1], overwrite=True)
    return out


def serial(files, out):
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    cmd = [sys.executable, "-c", _SERIAL, json.dumps([str(f) for f in files]), str(out), METHOD]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    first = json.loads(proc.stdout.readline())  # printed when the first (cold) pass has ended
    cold = time.perf_counter() - t
    res = json.loads(proc.stdout.read().strip().splitlines()[-1])
    assert proc.wait() == 0
    res["cold"] = cold
    res["cold_inside"] = first["first_pass_end"]
    return res


def _peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def batch(files, out, n_workers, threads):
    from distributed import Client

    from sunpy_sr.batch import superresolve_files
    from sunpy_sr.batch.run import local_cluster
    t0 = time.perf_counter()
    cluster = local_cluster(n_workers, memory_limit=0)  # what superresolve_files starts (no memory limit)
    client = Client(cluster)
    try:
        client.wait_for_workers(n_workers)
        table = superresolve_files(files, out, method=METHOD, client=client, threads_per_worker=threads,
                                   progress=False)
        cold = time.perf_counter() - t0
        assert all(table["status"] == "ok"), list(table["error"])
        t1 = time.perf_counter()
        table = superresolve_files(files, out, method=METHOD, client=client, threads_per_worker=threads,
                                   progress=False, overwrite=True)
        warm = time.perf_counter() - t1
        assert all(table["status"] == "ok"), list(table["error"])
        rss = sorted(client.run(_peak_rss_gb).values())
    finally:
        client.close()
        cluster.close()
    return {"cold": cold, "seconds": warm, "worker_peak_rss_gb": rss}


def run(name, files, work):
    n = len(files)
    print(f"\n{name}: {n} files, {METHOD}, {os.cpu_count()} cores")
    print(f"  {'run':<22} {'cold s':>8} {'maps/min':>9} {'warm s':>8} {'maps/min':>9} {'peak RSS GB':>14}")
    s = serial(files, work / "serial")
    shutil.rmtree(work / "serial")
    print(f"  {'serial (1 process)':<22} {s['cold']:>8.1f} {60 * n / s['cold']:>9.2f} {s['seconds']:>8.1f} "
          f"{60 * n / s['seconds']:>9.2f} {s['peak_rss_gb']:>14.2f}")
    for n_workers, threads in ((1, 2), (2, 1)):
        r = batch(files, work / "batch", n_workers, threads)
        shutil.rmtree(work / "batch")
        label = f"{n_workers} worker x {threads} thr"
        rss = ", ".join(f"{x:.2f}" for x in r["worker_peak_rss_gb"])
        print(f"  {label:<22} {r['cold']:>8.1f} {60 * n / r['cold']:>9.2f} {r['seconds']:>8.1f} "
              f"{60 * n / r['seconds']:>9.2f} {rss:>14}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    p.add_argument("--method", default=None, help="default: the package's default method")
    p.add_argument("--skip-cutouts", action="store_true")
    p.add_argument("--skip-fulldisk", action="store_true")
    a = p.parse_args()
    global METHOD
    import torch
    from _timing import matmul_gflops

    from sunpy_sr.api.pipeline import DEFAULT_METHOD
    from sunpy_sr.inference.precision import native_bfloat16, resolve_dtype
    METHOD = a.method or DEFAULT_METHOD
    print(f"detected: {native_bfloat16()}; dtype='auto' runs {resolve_dtype('auto', 'cpu')}")
    print(f"matmul 4096^2: float32 {matmul_gflops():.0f} GFLOP/s, "
          f"bfloat16 {matmul_gflops(torch.bfloat16):.0f} GFLOP/s")
    work = Path(a.work or tempfile.mkdtemp(prefix="bench_batch_"))
    try:
        if not a.skip_cutouts:
            cutouts = make_cutouts(a.data, work / "cutouts")
            run("cutouts (256^2 -> 1024^2)", cutouts, work)
        if not a.skip_fulldisk:
            run("full disks (4096^2 -> 16384^2)", [a.data / f for f in FULLDISKS], work)
    finally:
        if a.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
