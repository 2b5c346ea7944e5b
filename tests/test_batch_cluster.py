"""
``sunpy-sr batch --scheduler`` on a real external cluster: ``dask scheduler`` and two ``dask worker``
processes on loopback, as the many-maps page starts them, and the command line as a user runs it.

About 20 s (three processes import sunpy_sr and torch); method ``bicubic`` on 32x32 crops of the
bundled real HMI cutout.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
import sunpy.map
from astropy.table import Table

from sunpy_sr.batch import output_path, validate_output

distributed = pytest.importorskip("distributed")
DASK = Path(sys.executable).with_name("dask")
pytestmark = pytest.mark.skipif(not DASK.exists(), reason=f"no dask command beside {sys.executable}")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker --nthreads 1`` processes; the scheduler's address."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    log = open(tmp_path / "cluster.log", "w")
    port = address.rsplit(":", 1)[1]
    scheduler = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"]
    procs = [subprocess.Popen(scheduler, stdout=log, stderr=log, env=env, start_new_session=True)]
    for _ in range(2):
        procs.append(subprocess.Popen([str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--memory-limit", "0"],
                                      stdout=log, stderr=log, env=env, start_new_session=True))
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with distributed.Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in procs[::-1]:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def inputs(tmp_path):
    from sunpy_sr.data.sample import hmi_active_region
    hmi = hmi_active_region()
    folder = tmp_path / "in"
    folder.mkdir()
    out = []
    for k, x0 in enumerate((96, 112, 128, 144)):
        crop = hmi.submap([x0, 112] * u.pix, top_right=[x0 + 31, 143] * u.pix)
        crop.meta.pop("blank", None)
        out.append(folder / f"crop{k}.fits")
        crop.save(out[-1], overwrite=True)
    return out


def _batch(*args):
    return subprocess.run([sys.executable, "-m", "sunpy_sr", "--quiet", "batch", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_cli_batch_on_an_external_scheduler_with_two_worker_processes(cluster, inputs, tmp_path):
    out = tmp_path / "sr"
    done = _batch(*inputs, "--out", out, "--scheduler", cluster, "--method", "bicubic", "--threads", "1")
    assert done.returncode == 0, done.stderr
    summary = Table.read(out / "batch_summary.ecsv")
    assert list(summary["status"]) == ["ok"] * 4
    assert summary.meta["n_workers"] == 2
    pids = {int(str(w).rsplit(":", 1)[1]) for w in summary["worker"]}  # "host:pid" of the worker process
    assert 1 <= len(pids) <= 2 and os.getpid() not in pids
    for p in inputs:
        o = output_path(p, out)
        validate_output(o, expected_shape=(128, 128), method="bicubic")
        got, lr = sunpy.map.Map(o), sunpy.map.Map(p)
        blocks = got.data.reshape(32, 4, 32, 4).mean(axis=(1, 3))
        assert np.nanmedian(np.abs(blocks - lr.data)) < 0.1 * np.nanstd(lr.data)
        assert got.meta["srmethod"] == "bicubic"
        assert got.meta["cdelt1"] == pytest.approx(lr.meta["cdelt1"] / 4)
    again = _batch(*inputs, "--out", out, "--scheduler", cluster, "--method", "bicubic", "--threads", "1")
    assert again.returncode == 0, again.stderr
    assert list(Table.read(out / "batch_summary.ecsv")["status"]) == ["skipped"] * 4
