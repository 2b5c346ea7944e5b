"""
The one atomic writer (sunpy_sr.io.atomic_write, issue #22): permissions of the umask (not the
0600 of tempfile.mkstemp), nothing left by a failing write, an existing file replaced in one
step, and batch outputs that colleagues on a shared cluster can read.
"""
import os
import stat
import threading
from contextlib import contextmanager

import pytest

from sunpy_sr.io import atomic_write


@contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield mask
    finally:
        os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002])
def test_written_file_has_the_mode_of_the_umask(tmp_path, mask):
    target = tmp_path / "out.bin"
    with umask(mask):
        with atomic_write(target) as tmp:
            assert tmp.parent == tmp_path and tmp != target
            tmp.write_bytes(b"data")
        assert _mode(target) == 0o666 & ~mask
        with open(tmp_path / "plain.bin", "w"):  # what an ordinary write gives
            pass
        assert _mode(target) == _mode(tmp_path / "plain.bin")
    assert target.read_bytes() == b"data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin", "plain.bin"]


def test_umask_is_unchanged_and_read_without_proc(tmp_path, monkeypatch):
    from sunpy_sr.io import atomic
    with umask(0o027):
        assert atomic._umask() == 0o027
        real_open = open

        def no_proc(path, *args, **kwargs):
            if str(path).startswith("/proc/"):
                raise OSError("no /proc here")
            return real_open(path, *args, **kwargs)
        monkeypatch.setattr("builtins.open", no_proc)
        assert atomic._umask() == 0o027  # the os.umask fallback
        assert os.umask(0o027) == 0o027  # and left as it was


@pytest.mark.parametrize("exc", [OSError("No space left on device"), KeyboardInterrupt()])
def test_failing_write_leaves_neither_target_nor_temporary(tmp_path, exc):
    target = tmp_path / "out.fits"
    with pytest.raises(type(exc)):
        with atomic_write(target, suffix=".fits") as tmp:
            tmp.write_bytes(b"SIMPLE  = T half a file")
            raise exc
    assert list(tmp_path.iterdir()) == []


def test_failing_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("ne")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_existing_target_is_replaced_atomically(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o600)
    held = open(target)  # a reader of the old file keeps reading the old file
    old_inode = os.stat(target).st_ino
    with umask(0o022):
        with atomic_write(target) as tmp:
            tmp.write_text("new")
            assert target.read_text() == "old"  # the old file is whole until the rename
        assert target.read_text() == "new"
        assert os.stat(target).st_ino != old_inode  # a rename, not a rewrite in place
        assert _mode(target) == 0o644
    assert held.read() == "old"
    held.close()
    assert list(tmp_path.iterdir()) == [target]


def test_no_overwrite_refuses_an_existing_target(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_write(target, overwrite=False) as tmp:
        tmp.write_text("first")
    with pytest.raises(FileExistsError):
        with atomic_write(target, overwrite=False) as tmp:
            tmp.write_text("second")
    assert target.read_text() == "first"
    assert list(tmp_path.iterdir()) == [target]


def test_no_overwrite_refuses_a_target_that_appears_while_writing(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(FileExistsError):
        with atomic_write(target, overwrite=False) as tmp:
            tmp.write_text("mine")
            target.write_text("someone else's")
    assert target.read_text() == "someone else's"
    assert list(tmp_path.iterdir()) == [target]


def test_temporary_names_are_unique_and_fsync_works(tmp_path):
    target = tmp_path / "out.txt"
    names, barrier = [], threading.Barrier(4)

    def write(i):
        with atomic_write(target, fsync=True) as tmp:
            names.append(tmp.name)
            tmp.write_text(str(i))
            barrier.wait(timeout=30)  # all four temporary files exist at once

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 4 and all(n.startswith(".out.txt.") for n in names)
    assert target.read_text() in {"0", "1", "2", "3"}
    assert list(tmp_path.iterdir()) == [target]


def test_the_callers_write_with_the_umask(tmp_path):
    """CLI maps, checkpoints and pair caches get 0o666 & ~umask too."""
    import torch

    from sunpy_sr.cli._common import write_map
    from sunpy_sr.core.pairs import PairRecipe, make_pairs
    from sunpy_sr.data.sample import HMI_ACTIVE_REGION, hmi_active_region
    from sunpy_sr.training.checkpoints import save_atomic
    with umask(0o022):
        smap = hmi_active_region()
        write_map(smap, tmp_path / "plain.fits")
        write_map(smap, tmp_path / "rice.fits", compress=True)
        save_atomic({"x": torch.zeros(2)}, tmp_path / "ckpt.pt")
        make_pairs([HMI_ACTIVE_REGION], PairRecipe(size=128, stride=128), cache_dir=tmp_path / "cache",
                   progress=False)
        written = [tmp_path / "plain.fits", tmp_path / "rice.fits", tmp_path / "ckpt.pt",
                   *(tmp_path / "cache").iterdir()]
    assert len(written) == 4 and written[-1].suffix == ".npz"
    assert {p.name: _mode(p) for p in written} == {p.name: 0o644 for p in written}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "ckpt.pt", "plain.fits", "rice.fits"]
    with pytest.raises(FileExistsError, match="pass --overwrite"):
        write_map(smap, tmp_path / "plain.fits")


def test_batch_outputs_are_group_and_world_readable(tmp_path):
    """Under umask 0o022 every file of a batch is 0o644 (before: 0o600 from tempfile.mkstemp)."""
    import shutil

    distributed = pytest.importorskip("distributed")
    from sunpy_sr.batch import output_path, superresolve_files
    from sunpy_sr.data.sample import HMI_ACTIVE_REGION
    (tmp_path / "inputs").mkdir()
    inputs = [shutil.copy(HMI_ACTIVE_REGION, tmp_path / "inputs" / f"hmi_{i}.fits.gz") for i in range(2)]
    out = tmp_path / "out"
    out.mkdir()
    with umask(0o022), distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                                          dashboard_address=None) as client:
        table = superresolve_files(inputs, out, method="bicubic", client=client, progress=False)
    assert list(table["status"]) == ["ok", "ok"]
    files = sorted(out.iterdir())
    assert files == sorted([output_path(p, out) for p in inputs] + [out / "batch_summary.ecsv"])
    for p in files:
        mode = _mode(p)
        assert mode == 0o644, f"{p.name}: {oct(mode)}"
        assert mode & stat.S_IRGRP and mode & stat.S_IROTH
