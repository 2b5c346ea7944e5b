"""
A batch that runs for days (sunpy_sr.batch, ``sunpy-sr batch``): bad inputs, a full disk, a worker
that dies, Ctrl-C and an external scheduler. Fast: one in-process dask worker (a thread, tcp
scheduler), method ``bicubic``, 32x32 crops of the bundled real HMI cutout written to tmp_path.
"""
import errno
from pathlib import Path
from types import SimpleNamespace

import astropy.units as u
import numpy as np
import pytest
import sunpy.map
from astropy.table import Table

from sunpy_sr.batch import output_path, superresolve_files, validate_output
from sunpy_sr.batch.files import PARTIAL_PREFIX, is_valid_output

distributed = pytest.importorskip("distributed")

METHOD = "bicubic"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Three real 32x32 crops of the bundled HMI active region (FITS, G), at three offsets."""
    from sunpy_sr.data.sample import hmi_active_region
    hmi = hmi_active_region()
    folder = tmp_path_factory.mktemp("inputs")
    out = []
    for k, x0 in enumerate((96, 112, 128)):
        crop = hmi.submap([x0, 112] * u.pix, top_right=[x0 + 31, 143] * u.pix)
        crop.meta.pop("blank", None)
        out.append(folder / f"crop{k}.fits")
        crop.save(out[-1], overwrite=True)
    return out


@pytest.fixture(scope="module")
def scheduler():
    """The address of a running scheduler (tcp, as a user's), with one worker thread in this process."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def _partials(folder):
    return sorted(p.name for p in Path(folder).glob(f"{PARTIAL_PREFIX}*"))


def _expected(path):
    return 4 * sunpy.map.Map(path).data


def test_external_scheduler_address(inputs, scheduler, tmp_path):
    """A scheduler address string, as ``--scheduler tcp://HOST:PORT`` passes it: the outputs are right."""
    assert scheduler.startswith("tcp://")
    table = superresolve_files(inputs, tmp_path, method=METHOD, client=scheduler, progress=False)
    assert list(table["status"]) == ["ok"] * 3, list(table["error"])
    assert table.meta["n_workers"] == 1
    for p in inputs:
        o = output_path(p, tmp_path)
        validate_output(o, expected_shape=(128, 128), method=METHOD)
        got, lr = sunpy.map.Map(o), sunpy.map.Map(p)
        assert got.data.shape == (128, 128)
        # bicubic keeps the mean flux density of the 4x4 blocks close to the input pixels
        blocks = got.data.reshape(32, 4, 32, 4).mean(axis=(1, 3))
        assert np.nanmedian(np.abs(blocks - lr.data)) < 0.1 * np.nanstd(lr.data)
        assert got.meta["srmethod"] == METHOD
    again = superresolve_files(inputs, tmp_path, method=METHOD, client=scheduler, progress=False)
    assert list(again["status"]) == ["skipped"] * 3


def test_bad_inputs_are_recorded_and_the_cli_fails(inputs, scheduler, tmp_path, shared_data, capsys):
    from sunpy_sr.cli import batch
    continuum = shared_data / "other" / "resampled_hmi.fits"  # a real HMI continuum map
    if not continuum.is_file():
        pytest.skip(f"{continuum} is not there")
    text = tmp_path / "in" / "x.fits"
    text.parent.mkdir()
    text.write_text("this is not a FITS file\n")
    out = tmp_path / "out"
    paths = [inputs[0], continuum, text, inputs[1]]
    status = batch.main([*map(str, paths), "--out", str(out), "--method", METHOD, "--scheduler", scheduler,
                         "--quiet"])
    captured = capsys.readouterr()
    assert status == 1
    table = Table.read(out / "batch_summary.ecsv")
    assert list(table["status"]) == ["ok", "error", "error", "ok"]
    errors = [str(e) for e in np.ma.filled(table["error"], "")]
    assert errors[0] == "" and errors[3] == ""
    assert "does not look like a LOS magnetogram" in errors[1] and "continuum" in errors[1]
    assert errors[2].startswith("OSError") and "x.fits" in errors[2]
    assert table.meta["counts"] == {"ok": 2, "skipped": 0, "error": 2}
    for p in (inputs[0], inputs[1]):
        validate_output(output_path(p, out), expected_shape=(128, 128), method=METHOD)
    for p in (continuum, text):
        assert not output_path(p, out).exists()
    # one line naming the failed files
    summary = [line for line in captured.err.splitlines() if line.startswith("sunpy-sr batch: 2 failed")]
    assert len(summary) == 1, captured.err
    assert "resampled_hmi.fits" in summary[0] and "x.fits" in summary[0]
    # each failure with its message, too
    assert errors[1] in captured.err and errors[2] in captured.err
    assert not _partials(out)


def test_disk_full_is_recorded_and_leaves_nothing(inputs, scheduler, tmp_path, monkeypatch):
    import sunpy_sr.io.fits
    real_write = sunpy_sr.io.fits._write

    def full_disk(smap, tmp):  # half the file, then the disk is full
        if Path(tmp).name.startswith(f"{PARTIAL_PREFIX}crop1"):
            Path(tmp).write_bytes(b"SIMPLE  =                    T" + b" " * 2000)
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
        return real_write(smap, tmp)
    monkeypatch.setattr(sunpy_sr.io.fits, "_write", full_disk)
    table = superresolve_files(inputs, tmp_path, method=METHOD, client=scheduler, progress=False)
    assert list(table["status"]) == ["ok", "error", "ok"]
    assert "No space left on device" in table["error"][1] and "[Errno 28]" in table["error"][1]
    assert not output_path(inputs[1], tmp_path).exists()
    assert not is_valid_output(output_path(inputs[1], tmp_path), expected_shape=(128, 128), method=METHOD)
    assert not _partials(tmp_path)
    assert Table.read(tmp_path / "batch_summary.ecsv").meta["counts"]["error"] == 1
    # space again: the re-run does that file only
    monkeypatch.setattr(sunpy_sr.io.fits, "_write", real_write)
    table = superresolve_files(inputs, tmp_path, method=METHOD, client=scheduler, progress=False)
    assert list(table["status"]) == ["skipped", "ok", "skipped"]
    validate_output(output_path(inputs[1], tmp_path), expected_shape=(128, 128), method=METHOD)


def test_summary_on_a_full_disk_is_a_warning(inputs, scheduler, tmp_path, monkeypatch):
    import sunpy_sr.batch.run as run

    def no_space(table, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(run, "_write_table_atomic", no_space)
    with pytest.warns(UserWarning, match="No space left on device"):
        table = superresolve_files(inputs[:1], tmp_path, method=METHOD, client=scheduler, progress=False)
    assert list(table["status"]) == ["ok"]  # the table is still returned
    assert "No space left" in table.meta["summary_error"]


def _killed_on_crop1(path, output, **kwargs):
    """process_file, but the worker 'dies' on crop1 (what the future raises when dask gives up)."""
    from sunpy_sr.batch.worker import _real_process_file
    if Path(path).name == "crop1.fits":
        last_worker = SimpleNamespace(address="tcp://127.0.0.1:40404")  # dask's WorkerState, for its message
        raise distributed.KilledWorker("sunpy-sr-crop1", last_worker, 3)
    return _real_process_file(path, output, **kwargs)


def test_killed_worker_is_recorded_and_redone(inputs, scheduler, tmp_path, monkeypatch):
    import sunpy_sr.batch.worker as worker
    monkeypatch.setattr(worker, "_real_process_file", worker.process_file, raising=False)
    monkeypatch.setattr(worker, "process_file", _killed_on_crop1)
    table = superresolve_files(inputs, tmp_path, method=METHOD, client=scheduler, progress=False)
    assert list(table["status"]) == ["ok", "error", "ok"]
    msg = table["error"][1]
    assert msg.startswith("KilledWorker") and "worker died" in msg and "run the batch again" in msg
    assert not output_path(inputs[1], tmp_path).exists()
    monkeypatch.setattr(worker, "process_file", worker._real_process_file)
    table = superresolve_files(inputs, tmp_path, method=METHOD, client=scheduler, progress=False)
    assert list(table["status"]) == ["skipped", "ok", "skipped"]
    validate_output(output_path(inputs[1], tmp_path), expected_shape=(128, 128), method=METHOD)


def test_ctrl_c_cancels_returns_what_was_done_and_resumes(inputs, scheduler, tmp_path, monkeypatch, capsys):
    import sunpy_sr.batch.run as run
    from sunpy_sr.batch import BatchInterrupted
    from sunpy_sr.cli import batch
    real = run._completed
    state = {}

    def interrupted_after_first(futures):
        state["futures"] = list(futures)
        for k, fut in enumerate(real(futures)):
            if k == 1:
                raise KeyboardInterrupt
            yield fut
    monkeypatch.setattr(run, "_completed", interrupted_after_first)
    with pytest.raises(KeyboardInterrupt) as excinfo:
        superresolve_files(inputs, tmp_path, method=METHOD, client=scheduler, progress=False)
    assert isinstance(excinfo.value, BatchInterrupted)
    table = excinfo.value.table
    assert sorted(table["status"]) == ["interrupted", "interrupted", "ok"]
    assert table.meta["counts"] == {"ok": 1, "skipped": 0, "error": 0, "interrupted": 2}
    assert table.meta["interrupted"] is True
    assert all(f.cancelled() or f.done() for f in state["futures"])
    on_disk = Table.read(tmp_path / "batch_summary.ecsv")
    assert list(on_disk["status"]) == list(table["status"])
    assert not _partials(tmp_path)
    done = [Path(o).name for o, s in zip(table["output"], table["status"]) if s == "ok"]
    for name in done:
        validate_output(tmp_path / name, expected_shape=(128, 128), method=METHOD)
    # the command line: prints what was done, exit status 130
    status = batch.main([*map(str, inputs), "--out", str(tmp_path / "cli"), "--method", METHOD,
                         "--scheduler", scheduler, "--quiet"])
    err = capsys.readouterr().err
    assert status == 130
    assert "interrupted: 1 ok, 0 skipped, 0 failed, 2 not done of 3" in err
    assert "run the same command again" in err
    # the re-run resumes: the done file is skipped (not redone), the rest is done. dask cannot stop a
    # task that was writing when Ctrl-C came: it ends its write (a whole output), which is then skipped
    before = {name: (tmp_path / name).stat().st_mtime_ns for name in done}
    monkeypatch.setattr(run, "_completed", real)
    table = superresolve_files(inputs, tmp_path, method=METHOD, client=scheduler, progress=False)
    status = dict(zip((Path(o).name for o in table["output"]), table["status"]))
    assert all(status[name] == "skipped" for name in done)
    assert all(s in ("ok", "skipped") for s in status.values())
    assert {name: (tmp_path / name).stat().st_mtime_ns for name in done} == before
    assert not _partials(tmp_path)
    for p in inputs:
        validate_output(output_path(p, tmp_path), expected_shape=(128, 128), method=METHOD)


def test_ctrl_c_closes_an_own_cluster(inputs, tmp_path, monkeypatch):
    """With no client given, the cluster the batch made is closed on Ctrl-C (in-process here, to be quick)."""
    import sunpy_sr.batch.run as run
    made = []

    def in_process_cluster(n_workers, **kwargs):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                           dashboard_address=":0")
        made.append(cluster)
        return cluster

    def interrupted(futures):
        raise KeyboardInterrupt
        yield
    monkeypatch.setattr(run, "local_cluster", in_process_cluster)
    monkeypatch.setattr(run, "_completed", interrupted)
    with pytest.raises(KeyboardInterrupt) as excinfo:
        superresolve_files(inputs, tmp_path, method=METHOD, progress=False)
    assert list(excinfo.value.table["status"]) == ["interrupted"] * 3
    assert len(made) == 1 and made[0].status.name == "closed"
    assert not _partials(tmp_path)
