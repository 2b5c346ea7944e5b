"""
Batches on dask.distributed (sunpy_sr.batch, ``sunpy-sr batch``) with a real LocalCluster of 2
worker processes (1 thread each) on small real FITS cutouts: 64^2 crops of the 2012 SHARPs of
HARPs 1449 and 1446 (../shared/data/hmi/sharp-2012), written to tmp_path.
"""
import signal
import subprocess
import sys
import time
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
import sunpy.map
from astropy.table import Table

from sunpy_sr.api import superresolve
from sunpy_sr.batch import output_path, superresolve_files, validate_output
from sunpy_sr.batch.files import PARTIAL_PREFIX, OutputError, write_map_atomic
from sunpy_sr.exceptions import SunpySRError

METHOD = "rcan-fast"


def _cutouts(shared_data, folder, n):
    sharp_2012 = shared_data / "hmi" / "sharp-2012"
    files = sorted(sharp_2012.glob("hmi.sharp_cea_720s.1449.*.magnetogram.fits")) + \
        sorted(sharp_2012.glob("hmi.sharp_cea_720s.1446.*.magnetogram.fits"))
    if len(files) < n:
        pytest.skip(f"the 2012 SHARPs are not in {sharp_2012} (../shared/data beside the repository)")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files[:n]:
        m = sunpy.map.Map(f)
        ny, nx = m.data.shape
        x0, y0 = nx // 2 - 32, ny // 2 - 32  # the centre of the HARP: active-region field
        crop = m.submap([x0, y0] * u.pix, top_right=[x0 + 63, y0 + 63] * u.pix)
        crop.meta.pop("blank", None)  # JSOC's integer BLANK does not apply to the float32 cutout
        out.append(folder / f.name)
        crop.save(out[-1], overwrite=True)
    return out


@pytest.fixture(scope="module")
def inputs(shared_data, tmp_path_factory):
    """Six real 64^2 SHARP cutouts (FITS, Mx/cm^2)."""
    return _cutouts(shared_data, tmp_path_factory.mktemp("inputs"), 6)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster: 2 worker processes, 1 thread each."""
    distributed = pytest.importorskip("distributed")
    from sunpy_sr.batch.run import local_cluster
    cluster = local_cluster(2)  # what superresolve_files starts: 2 worker processes, 1 thread each
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def first_run(inputs, client, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    table = superresolve_files(inputs, out, method=METHOD, client=client, threads_per_worker=1,
                               progress=False)
    return table, out


def _mtimes(folder):
    return {p.name: p.stat().st_mtime_ns for p in Path(folder).glob("*_sr.fits")}


def test_outputs_equal_serial_and_one_model_per_worker(first_run, inputs, client):
    table, out = first_run
    assert list(table["status"]) == ["ok"] * 6, list(table["error"])
    assert list(table["path"]) == [str(p) for p in inputs]  # input order
    for p in inputs:
        o = output_path(p, out)
        validate_output(o, expected_shape=(256, 256), method=METHOD)
        got = sunpy.map.Map(o)
        serial = superresolve(sunpy.map.Map(p), method=METHOD, threads=1)
        np.testing.assert_allclose(got.data, serial.data, rtol=0, atol=1e-4)
        for key in ("crpix1", "crpix2", "cdelt1", "cdelt2", "crval1", "srmethod", "srmodel"):
            assert got.meta[key] == serial.meta[key], key
    # the summary on disk is the table returned
    on_disk = Table.read(out / "batch_summary.ecsv")
    assert list(on_disk["status"]) == list(table["status"])
    assert on_disk.meta["counts"] == {"ok": 6, "skipped": 0, "error": 0}
    # each worker loaded the network once, for all the files it did
    info = client.run(lambda: __import__("sunpy_sr.batch.worker", fromlist=["cache_info"]).cache_info())
    entries = [e for per_worker in info.values() for e in per_worker.values()]
    assert len(entries) <= 2 and all(e["built"] for e in entries)
    assert sum(e["uses"] for e in entries) == 6
    assert not list(out.glob(f"{PARTIAL_PREFIX}*"))


def test_corrupt_and_unsupported_inputs_are_recorded(inputs, client, tmp_path, shared_data):
    truncated = tmp_path / "truncated.magnetogram.fits"
    truncated.write_bytes(inputs[0].read_bytes()[:2880 * 3 + 100])
    hinode_sp = shared_data / "hinode" / "HinodeSOT.fits"  # a real file that is not a magnetogram
    table = superresolve_files([inputs[0], truncated, hinode_sp, inputs[1]], tmp_path / "out", method=METHOD,
                               client=client, progress=False)
    assert list(table["status"]) == ["ok", "error", "error", "ok"]
    assert table["error"][1].startswith("OSError") and "truncated.magnetogram.fits" in table["error"][1]
    assert "Error: " in table["error"][2]  # sunpy cannot even make a Map of it (its unit, its axes)
    assert not output_path(truncated, tmp_path / "out").exists()
    assert table.meta["counts"] == {"ok": 2, "skipped": 0, "error": 2}


def test_second_run_skips_everything(first_run, inputs, tmp_path):
    table0, out = first_run
    before = _mtimes(out)
    table = superresolve_files(inputs, out, method=METHOD, progress=False)  # no cluster needed: nothing to do
    assert list(table["status"]) == ["skipped"] * 6
    assert table.meta["n_workers"] == 0
    assert _mtimes(out) == before


def test_broken_output_is_redone_and_other_method_is_not_overwritten(inputs, client, tmp_path):
    out = tmp_path / "out"
    superresolve_files(inputs[:3], out, method=METHOD, client=client, progress=False)
    broken = output_path(inputs[0], out)
    broken.write_bytes(broken.read_bytes()[:-10000])  # data cut short (by something else than the batch)
    with pytest.raises(OutputError, match="truncated"):
        validate_output(broken)
    before = _mtimes(out)
    table = superresolve_files(inputs[:3], out, method=METHOD, client=client, progress=False)
    assert list(table["status"]) == ["ok", "skipped", "skipped"]
    validate_output(broken, expected_shape=(256, 256), method=METHOD)
    after = _mtimes(out)
    assert after[broken.name] != before[broken.name]
    assert {k: v for k, v in after.items() if k != broken.name} == {k: v for k, v in before.items()
                                                                      if k != broken.name}
    # complete outputs of another method are not replaced without overwrite
    table = superresolve_files(inputs[:1], out, method="bicubic", client=client, progress=False)
    assert table["status"][0] == "error" and "overwrite" in table["error"][0]
    table = superresolve_files(inputs[:1], out, method="bicubic", client=client, progress=False,
                               overwrite=True)
    assert table["status"][0] == "ok"
    assert sunpy.map.Map(broken).meta["srmethod"] == "bicubic"


def test_atomic_write_leaves_nothing_on_error(inputs, tmp_path, monkeypatch):
    m = sunpy.map.Map(inputs[0])
    target = tmp_path / "x_sr.fits"

    def broken_save(self, *args, **kwargs):
        Path(args[0]).write_bytes(b"half")
        raise OSError("disk full")
    monkeypatch.setattr(type(m), "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_map_atomic(m, target)
    assert list(tmp_path.iterdir()) == []


def test_refusals(inputs, tmp_path):
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / inputs[0].name).write_bytes(inputs[0].read_bytes())
    with pytest.raises(SunpySRError, match="would both be written"):
        superresolve_files([inputs[0], twin / inputs[0].name], tmp_path / "o", method=METHOD)
    with pytest.raises(SunpySRError, match="unknown method"):
        superresolve_files(inputs, tmp_path / "o", method="nope")


def test_killed_run_restarts_without_redoing(client, tmp_path, shared_data):
    """``sunpy-sr batch --scheduler`` killed after its first output, then the same batch again."""
    method = "rcan"  # the full network: tens of ms per cutout even on a fast machine: the kill comes midway
    files = _cutouts(shared_data, tmp_path / "in", 10)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sunpy_sr.cli.batch", *map(str, files), "--out", str(out), "--threads", "1",
           "--method", method, "--scheduler", client.scheduler.address, "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not list(out.glob("*_sr.fits")):
            assert proc.poll() is None, "the batch ended before its first output"
            assert time.monotonic() < deadline, "no output within 600 s"
            time.sleep(0.01)
    finally:
        proc.terminate()  # SIGTERM: the batch dies at once (no handler), mid-run
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGTERM
    # the scheduler forgets the dead client's tasks; wait until no worker runs one of them
    # (and until the outputs have stopped changing: a task may still be writing when it leaves the
    # scheduler's processing list)
    deadline, previous, stable_since = time.monotonic() + 120, None, time.monotonic()
    while time.monotonic() < deadline:
        current = _mtimes(out)
        if current != previous:
            previous, stable_since = current, time.monotonic()
        elif time.monotonic() - stable_since > 3 and not any(client.processing().values()):
            break
        time.sleep(0.1)
    done = _mtimes(out)
    # the tasks already on the workers (one per worker) may still finish after the client dies
    assert 1 <= len(done) < len(files), f"killed after {len(done)} of {len(files)} outputs"
    for name in done:  # whatever carries an output's name is complete
        validate_output(out / name, expected_shape=(256, 256), method=method)
    # a worker killed while writing leaves its temporary file (never an output's name): the next run
    # removes it
    stale = out / f"{PARTIAL_PREFIX}{output_path(files[-1], out).name}.x1y2z3.fits"
    stale.write_bytes(b"SIMPLE  =    T" + b" " * 66)
    table = superresolve_files(files, out, method=method, client=client, progress=False)
    status = dict(zip((Path(p).name for p in table["path"]), table["status"]))
    for f in files:
        expected = "skipped" if output_path(f, out).name in done else "ok"
        assert status[f.name] == expected
    after = _mtimes(out)
    assert len(after) == len(files)
    assert {k: after[k] for k in done} == done  # nothing redone
    assert not list(out.glob(f"{PARTIAL_PREFIX}*"))  # no half-written file left
    for f in files:
        validate_output(output_path(f, out), expected_shape=(256, 256), method=method)


def test_cli_on_a_running_scheduler(tmp_path, capsys, inputs, client):
    import argparse
    import ast

    from sunpy_sr.cli import batch
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--quiet", action="store_true")
    p = argparse.ArgumentParser(prog="sunpy-sr")
    sub = p.add_subparsers(dest="command")
    batch.add_parser(sub, [parent])
    address = client.scheduler.address  # "sunpy-sr batch --scheduler ADDRESS": scale out to a cluster
    args = p.parse_args(["batch", str(inputs[0]), str(inputs[1]), "--out", str(tmp_path),
                         "--method", "bicubic", "--scheduler", address, "--quiet"])
    assert args.func is batch.run and args.workers is None and args.scheduler == address
    assert batch.run(args) == 0  # exit status 0: all succeeded
    assert "2 ok, 0 skipped, 0 failed of 2" in capsys.readouterr().out
    assert Table.read(tmp_path / "batch_summary.ecsv").meta["method"] == "bicubic"
    (tmp_path / "broken.fits").write_bytes(b"SIMPLE  =                    T" + b" " * 100)
    args = p.parse_args(["batch", str(tmp_path / "broken.fits"), "--out", str(tmp_path),
                         "--method", "bicubic", "--scheduler", address, "--quiet"])
    assert batch.run(args) == 1  # one failed
    assert "broken.fits" in capsys.readouterr().err
    # dask is imported when the command runs, not when the command line imports the module
    tree = ast.parse(Path(batch.__file__).read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in top for a in n.names]
    names += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    assert not any(n.split(".")[0] in ("dask", "distributed", "sunpy_sr") for n in names)
