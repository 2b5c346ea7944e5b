"""
Tests of the ``sunpy-sr`` command line, run in-process through ``sunpy_sr.cli.main`` (plus one
subprocess call of the installed console script to prove the entry point).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sunpy.map
from sunpy.util.exceptions import SunpyUserWarning

from sunpy_sr.cli import main
from sunpy_sr.data import sample
from sunpy_sr.core.degradation import degrade
from sunpy_sr.api.superresolve import superresolve

HEADER_KEYS = ("crpix1", "crpix2", "cdelt1", "cdelt2", "crval1", "crval2", "crota2", "naxis1", "naxis2")


def run(argv, capsys):
    """main(argv) -> (exit status, stdout, stderr)."""
    status = main(["--quiet", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, err, match=None):
    assert status == 1
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sunpy-sr: error: ")
    if match is not None:
        assert match in lines[0]


def files_in(folder):
    return sorted(p.name for p in Path(folder).iterdir())


@pytest.fixture(scope="module")
def sr_sample_in_memory():
    return superresolve(sample.hmi_active_region(), method="bicubic")


# ------------------------------------------------------------------ working commands


def test_superresolve_sample(tmp_path, capsys, sr_sample_in_memory):
    out = tmp_path / "sr.fits"
    status, stdout, err = run(["superresolve", "--sample", str(out), "--method", "bicubic"], capsys)
    assert status == 0, err
    assert err == ""
    assert stdout.startswith(f"wrote {out}: 1024x1024 px") and "(bicubic)" in stdout
    assert files_in(tmp_path) == ["sr.fits"]  # no leftover partial file
    back = sunpy.map.Map(out)
    assert type(back).__name__ == "HMIMap"
    np.testing.assert_array_equal(back.data, sr_sample_in_memory.data)
    for key in HEADER_KEYS:
        assert back.meta[key] == pytest.approx(sr_sample_in_memory.meta[key], rel=1e-12), key
    assert back.meta["srmethod"] == "bicubic"
    assert back.meta["srfactor"] == 4
    assert back.meta["srvers"] == sr_sample_in_memory.meta["srvers"]
    assert "sunpy_sr" in str(back.meta["history"])
    assert back.unit == sr_sample_in_memory.unit


def test_superresolve_file_round_trip(tmp_path, capsys):
    src = tmp_path / "in.fits"
    lr = sample.hmi_limb()
    lr.save(src, filetype="fits")
    out = tmp_path / "out.fits"
    status, stdout, err = run(["superresolve", str(src), str(out), "--method", "bicubic",
                               "--tile-size", "64", "--threads", "1"], capsys)
    assert status == 0, err
    assert files_in(tmp_path) == ["in.fits", "out.fits"]
    expected = superresolve(sunpy.map.Map(src), method="bicubic")
    back = sunpy.map.Map(out)
    np.testing.assert_array_equal(back.data, expected.data)  # NaN in the same places too
    assert np.isnan(back.data).any()
    for key in HEADER_KEYS:
        assert back.meta[key] == pytest.approx(expected.meta[key], rel=1e-12), key
    assert back.meta["crpix1"] == pytest.approx(4 * lr.meta["crpix1"] - 1.5, rel=1e-12)


def test_superresolve_memmap_output(tmp_path, capsys, sr_sample_in_memory):
    out = tmp_path / "sr.fits"
    status, stdout, err = run(["superresolve", "--sample", str(out), "--method", "bicubic",
                               "--memmap", "--tile-size", "100"], capsys)
    assert status == 0, err
    assert files_in(tmp_path) == ["sr.fits"]  # the memory-mapped buffer is removed
    np.testing.assert_array_equal(sunpy.map.Map(out).data, sr_sample_in_memory.data)


@pytest.mark.parametrize("method, factor", [("gaussian-bilinear", 4), ("bin", 2)])
def test_degrade(tmp_path, capsys, method, factor):
    out = tmp_path / "lr.fits"
    status, stdout, err = run(["degrade", str(sample.HMI_ACTIVE_REGION), str(out), "--method", method,
                               "--factor", str(factor)], capsys)
    assert status == 0, err
    n = 256 // factor
    assert stdout.startswith(f"wrote {out}: {n}x{n} px")
    assert files_in(tmp_path) == ["lr.fits"]
    expected = degrade(sample.hmi_active_region(), method=method, factor=factor)
    back = sunpy.map.Map(out)
    np.testing.assert_array_equal(back.data, expected.data)
    for key in HEADER_KEYS:
        assert back.meta[key] == pytest.approx(expected.meta[key], rel=1e-12), key
    assert back.meta["srdegrad"] == method


def test_degrade_sigma_and_kernel_options(tmp_path, capsys):
    out = tmp_path / "lr.fits"
    status, _, err = run(["degrade", str(sample.HMI_ACTIVE_REGION), str(out), "--sigma", "1",
                          "--kernel-size", "3"], capsys)
    assert status == 0, err
    expected = degrade(sample.hmi_active_region(), sigma=1.0, kernel_size=3)
    np.testing.assert_array_equal(sunpy.map.Map(out).data, expected.data)
    assert not np.array_equal(expected.data, degrade(sample.hmi_active_region()).data)


# ------------------------------------------------------------------ evaluate


def test_evaluate_writes_table_figures_and_error_budget(tmp_path, capsys):
    from astropy.table import QTable
    status, out, err = run(["evaluate", "--data", str(sample.HMI_ACTIVE_REGION), "--methods",
                            "bicubic,linear", "--out", str(tmp_path), "--size", "64", "--stride",
                            "64", "--max-distance", "1000"], capsys)
    assert status == 0, err
    n_crops = int(out.split(" crops of 64x64 px from 1 file(s)")[0].split()[-1])
    assert n_crops >= 4
    assert "share of the summed squared error" in out
    table = QTable.read(tmp_path / "table.ecsv")
    assert list(table["method"]) == ["bicubic", "linear"] and list(table["n_images"]) == [n_crops] * 2
    assert table["psnr"][1] > table["psnr"][0]  # the fitted filter beats bicubic on real HMI
    budget = QTable.read(tmp_path / "error_budget.ecsv")
    assert len(budget) == 6
    for method in ("bicubic", "linear"):
        rows = budget[budget["method"] == method]
        assert rows["error_share"].sum() == pytest.approx(1.0)
        assert rows["pixel_fraction"].sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(budget["pixel_fraction"][:3], budget["pixel_fraction"][3:])
    for name in ("figure2.png", "figure3.png"):
        assert (tmp_path / name).stat().st_size > 10_000


# ------------------------------------------------------------------ help


@pytest.mark.parametrize("command", ["superresolve", "degrade", "train", "export-weights", "fit-linear",
                                     "evaluate"])
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: sunpy-sr {command}")


def test_top_level_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("superresolve", "degrade", "train", "export-weights", "fit-linear", "evaluate"):
        assert command in out


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["degrade", "a.fits", "b.fits", "--method", "nearest"])
    assert exc.value.code == 2
    assert "invalid choice: 'nearest'" in capsys.readouterr().err


# ------------------------------------------------------------------ errors: one line, exit 1, no file


def test_missing_input_file(tmp_path, capsys):
    status, stdout, err = run(["superresolve", str(tmp_path / "nothere.fits"), str(tmp_path / "out.fits"),
                               "--method", "bicubic"], capsys)
    assert_one_line_error(status, err, "no such file")
    assert stdout == ""
    assert files_in(tmp_path) == []


def test_missing_output_argument(tmp_path, capsys):
    status, _, err = run(["superresolve", str(sample.HMI_ACTIVE_REGION), "--method", "bicubic"], capsys)
    assert_one_line_error(status, err, "give IN.fits OUT.fits, or --sample OUT.fits")


@pytest.mark.realdata
def test_non_magnetogram_input(tmp_path, capsys, shared_data):
    out = tmp_path / "out.fits"
    status, stdout, err = run(["superresolve", str(shared_data / "other" / "resampled_hmi.fits"), str(out),
                               "--method", "bicubic"], capsys)
    assert_one_line_error(status, err, "does not look like a LOS magnetogram")
    assert "assume_magnetogram=True" in err
    assert stdout == ""
    assert files_in(tmp_path) == []


@pytest.mark.realdata
def test_hinode_sp_file(tmp_path, capsys, shared_data):
    """A real Hinode SOT/SP level-0 Stokes file: sunpy cannot read it as a map."""
    out = tmp_path / "out.fits"
    with pytest.warns(SunpyUserWarning, match="more than 2 dimensions"):
        status, stdout, err = run(["superresolve", str(shared_data / "hinode" / "HinodeSOT.fits"), str(out),
                                   "--method", "bicubic"], capsys)
    assert_one_line_error(status, err, "spherical coordinate")
    assert files_in(tmp_path) == []


def test_unknown_method(tmp_path, capsys):
    out = tmp_path / "out.fits"
    status, stdout, err = run(["superresolve", "--sample", str(out), "--method", "srgan"], capsys)
    assert_one_line_error(status, err, "unknown method 'srgan'; registered methods: ")
    for name in ("bicubic", "linear", "rcan"):
        assert name in err
    assert files_in(tmp_path) == []


def test_not_a_fits_file_multiline_error_is_one_line(tmp_path, capsys):
    """sunpy's read error spans three lines; the CLI still prints one."""
    bad = tmp_path / "bad.fits"
    bad.write_text("not a FITS file\n")
    status, _, err = run(["superresolve", str(bad), str(tmp_path / "out.fits"), "--method", "bicubic"],
                         capsys)
    assert_one_line_error(status, err, f"Failed to read {bad}")
    assert files_in(tmp_path) == ["bad.fits"]


def test_failed_write_leaves_no_partial_file_and_keeps_old_output(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out.fits"
    out.write_bytes(b"previous result")

    def broken_save(self, filepath, **kwargs):
        Path(filepath).write_bytes(b"SIMPLE  =                    T half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(sunpy.map.GenericMap, "save", broken_save)
    status, stdout, err = run(["superresolve", "--sample", str(out), "--method", "bicubic"], capsys)
    assert_one_line_error(status, err, "No space left on device")
    assert files_in(tmp_path) == ["out.fits"]
    assert out.read_bytes() == b"previous result"


def test_output_folder_missing(tmp_path, capsys):
    status, _, err = run(["degrade", str(sample.HMI_ACTIVE_REGION), str(tmp_path / "no" / "lr.fits")], capsys)
    assert_one_line_error(status, err)
    assert files_in(tmp_path) == []


# ------------------------------------------------------------------ the installed entry point


def test_console_script_entry_point(tmp_path):
    exe = shutil.which("sunpy-sr", path=os.path.dirname(sys.executable))
    cmd = [exe] if exe else [sys.executable, "-m", "sunpy_sr"]
    proc = subprocess.run([*cmd, "--quiet", "superresolve", str(tmp_path / "nothere.fits"),
                           str(tmp_path / "out.fits"), "--method", "bicubic"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"sunpy-sr: error: no such file: {tmp_path / 'nothere.fits'}"]
    assert files_in(tmp_path) == []
