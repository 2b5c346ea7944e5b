"""
Tests of the ``sunpy-sr`` command line, run in-process through ``sunpy_sr.cli.main`` (plus one
subprocess call of the installed console script to prove the entry point).
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sunpy.map

import sunpy_sr
from sunpy_sr.api.pipeline import superresolve
from sunpy_sr.cli import main
from sunpy_sr.cli.main import SUBCOMMANDS, build_parser
from sunpy_sr.core.degradation import degrade
from sunpy_sr.data import sample
from sunpy_sr.exceptions import SunpySRUserWarning

HEADER_KEYS = ("crpix1", "crpix2", "cdelt1", "cdelt2", "crval1", "crval2", "crota2", "naxis1", "naxis2")


def run(argv, capsys):
    """main(argv) -> (exit status, stdout, stderr)."""
    status = main(["--quiet", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, err, match=None, usage=False):
    assert status == (2 if usage else 1)
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


COMMANDS = ["superresolve", "degrade", "train", "export-weights", "fit-linear", "evaluate"]


@pytest.mark.parametrize("command", COMMANDS)
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
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["degrade", "a.fits", "b.fits", "--method", "nearest"])
    assert exc.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()  # one line, no usage block
    assert line.startswith("sunpy-sr: error: argument --method: invalid choice: 'nearest' (choose from ")
    assert line.endswith("(see 'sunpy-sr degrade --help')")
    with pytest.raises(SystemExit) as exc:
        main(["--threads", "0", "degrade", "a.fits", "b.fits"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "sunpy-sr: error: argument --threads: must be at least 1, got 0 (see 'sunpy-sr --help')"]


# ------------------------------------------------------------------ errors: one line, exit 1, no file


def test_missing_input_file(tmp_path, capsys):
    status, stdout, err = run(["superresolve", str(tmp_path / "nothere.fits"), str(tmp_path / "out.fits"),
                               "--method", "bicubic"], capsys)
    assert_one_line_error(status, err, "no such file")
    assert stdout == ""
    assert files_in(tmp_path) == []


def test_missing_output_argument(tmp_path, capsys):
    status, _, err = run(["superresolve", str(sample.HMI_ACTIVE_REGION), "--method", "bicubic"], capsys)
    assert_one_line_error(status, err, "give IN.fits OUT.fits, or --sample OUT.fits", usage=True)
    assert err.rstrip().endswith("(see 'sunpy-sr superresolve --help')")


def test_sample_and_files_together_is_a_usage_error(tmp_path, capsys):
    status, _, err = run(["superresolve", str(sample.HMI_ACTIVE_REGION), str(tmp_path / "a.fits"),
                          "--sample", str(tmp_path / "b.fits")], capsys)
    assert_one_line_error(status, err, "not both", usage=True)
    assert files_in(tmp_path) == []


@pytest.mark.realdata
def test_non_magnetogram_input(tmp_path, capsys, shared_data):
    out = tmp_path / "out.fits"
    status, stdout, err = run(["superresolve", str(shared_data / "other" / "resampled_hmi.fits"), str(out),
                               "--method", "bicubic"], capsys)
    assert_one_line_error(status, err, "does not look like a LOS magnetogram")
    assert "pass --assume-magnetogram to process it anyway" in err
    assert "assume_magnetogram=True" not in err  # the Python spelling is no use on the command line
    assert stdout == ""
    assert files_in(tmp_path) == []
    # the flag the error names does what it says
    status, stdout, err = run(["superresolve", str(shared_data / "other" / "resampled_hmi.fits"), str(out),
                               "--method", "bicubic", "--assume-magnetogram"], capsys)
    assert status == 0, err
    assert stdout.startswith(f"wrote {out}: 400x400 px")
    assert files_in(tmp_path) == ["out.fits"]


@pytest.mark.realdata
@pytest.mark.parametrize("command", ["superresolve", "degrade"])
def test_hinode_sp_file_is_not_a_magnetogram(tmp_path, capsys, shared_data, command):
    """A real Hinode SOT/SP level-0 Stokes cube gets the product error a continuum map gets."""
    status, stdout, err = run([command, str(shared_data / "hinode" / "HinodeSOT.fits"),
                               str(tmp_path / "out.fits")], capsys)
    assert_one_line_error(status, err)
    assert err == ("sunpy-sr: error: 'HinodeSOT.fits' does not look like a LOS magnetogram (header: 'sp iquv "
                   "4d array wavelength solar-y ccd side stokes component'); pass --assume-magnetogram to "
                   "process it anyway\n")
    assert files_in(tmp_path) == []


@pytest.mark.realdata
def test_degrade_refuses_a_non_magnetogram_unless_assumed(tmp_path, capsys, shared_data):
    src, out = shared_data / "other" / "resampled_hmi.fits", tmp_path / "out.fits"
    status, _, err = run(["degrade", str(src), str(out)], capsys)
    assert err.splitlines()[-1] == ("sunpy-sr: error: 'HMI continuum 2014-03-01 00:00:27' does not look "
                                    "like a LOS magnetogram (header: 'continuum intensity continuum'); pass "
                                    "--assume-magnetogram to process it anyway")
    assert status == 1 and files_in(tmp_path) == []
    status, stdout, err = run(["degrade", str(src), str(out), "--assume-magnetogram"], capsys)
    assert status == 0, err
    assert stdout.startswith(f"wrote {out}: 25x25 px")
    assert sunpy.map.Map(out).meta["bunit"] == sunpy.map.Map(src).meta["bunit"]


@pytest.mark.realdata
def test_headerless_array_points_to_python(tmp_path, capsys, shared_data):
    src = shared_data / "other" / "enhance-sample-blos.fits"
    status, _, err = run(["superresolve", str(src), str(tmp_path / "out.fits"), "--method", "bicubic"],
                         capsys)
    assert status == 1
    assert err == (f"sunpy-sr: error: {src} has no usable header (no celestial WCS), so it is not a map; in "
                   "Python, sunpy_sr.superresolve(array) takes its data as a plain 2D array\n")


@pytest.mark.realdata
def test_header_warnings_are_one_line(tmp_path, capsys, shared_data):
    """astropy's VerifyWarning (a BLANK on float data), said once, naming the file."""
    src = shared_data / "other" / "resampled_hmi.fits"
    with pytest.warns(SunpySRUserWarning) as record:
        status, _, err = run(["superresolve", str(src), str(tmp_path / "out.fits"), "--method", "bicubic",
                              "--assume-magnetogram"], capsys)
    assert status == 0, err
    from astropy.io.fits.verify import VerifyWarning
    assert not [w for w in record if issubclass(w.category, VerifyWarning)]
    notes = [str(w.message) for w in record if "non-standard header" in str(w.message)]
    assert notes == [f"{src}: non-standard header, read anyway: Invalid 'BLANK' keyword in header. The "
                     "'BLANK' keyword is only applicable to integer data, and will be ignored in this HDU."]


def _bad_fits(folder):
    """Three files astropy cannot read: text, a header without END, data cut short."""
    from astropy.io import fits
    fits.PrimaryHDU(np.zeros((20, 20), np.float32)).writeto(folder / "good.fits")
    whole = (folder / "good.fits").read_bytes()
    (folder / "text.fits").write_text("not a FITS file\n")
    (folder / "no_end.fits").write_bytes(whole[:2880].replace(b"END" + b" " * 77, b" " * 80))
    (folder / "short.fits").write_bytes(whole[:2980])
    return {"text.fits": "No SIMPLE card found, this file does not appear to be a valid FITS file",
            "no_end.fits": "Header missing END card",
            "short.fits": "File may have been truncated: actual file length (2980) is smaller than the "
                          "expected size (5760)"}


def test_unreadable_fits_files(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    for name, reason in _bad_fits(src).items():
        status, _, err = run(["superresolve", str(src / name), str(tmp_path / "out.fits"), "--method",
                              "bicubic"], capsys)
        assert status == 1
        assert err == f"sunpy-sr: error: not a FITS file we can read: {src / name}: {reason}\n"
        assert "ignore_missing" not in err and "allow_errors" not in err
    assert not (tmp_path / "out.fits").exists()


def test_not_magnetogram_error_pickles_with_its_advice():
    import pickle

    from sunpy_sr.exceptions import NotMagnetogramError
    e = pickle.loads(pickle.dumps(NotMagnetogramError("no unit", when="if the data are in gauss")))
    assert (str(e), e.advice("--x")) == ("no unit; pass assume_magnetogram=True if the data are in gauss",
                                         "no unit; pass --x if the data are in gauss")


def test_unknown_method(tmp_path, capsys):
    out = tmp_path / "out.fits"
    status, stdout, err = run(["superresolve", "--sample", str(out), "--method", "srgan"], capsys)
    assert_one_line_error(status, err, "unknown method 'srgan'; registered methods: ")
    for name in ("bicubic", "linear", "rcan"):
        assert name in err
    assert files_in(tmp_path) == []


def test_not_a_fits_file_multiline_error_is_one_line(tmp_path, capsys):
    """astropy's read error, in one line, without its advice to Python callers."""
    bad = tmp_path / "bad.fits"
    bad.write_text("not a FITS file\n")
    status, _, err = run(["superresolve", str(bad), str(tmp_path / "out.fits"), "--method", "bicubic"],
                         capsys)
    assert_one_line_error(status, err, f"not a FITS file we can read: {bad}: No SIMPLE card found")
    assert files_in(tmp_path) == ["bad.fits"]


def test_failed_write_leaves_no_partial_file_and_keeps_old_output(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out.fits"
    out.write_bytes(b"previous result")

    def broken_save(self, filepath, **kwargs):
        Path(filepath).write_bytes(b"SIMPLE  =                    T half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(sunpy.map.GenericMap, "save", broken_save)
    status, stdout, err = run(["superresolve", "--sample", str(out), "--method", "bicubic", "--overwrite"],
                              capsys)
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


# ------------------------------------------------------------------ subcommand modules, version, options


def test_one_module_per_subcommand():
    """Every module of SUBCOMMANDS that exists adds its command(s) and dispatches to its own run()."""
    import importlib
    assert SUBCOMMANDS == ["superresolve", "degrade", "train", "export_weights", "fit_linear", "fit_errors",
                           "evaluate", "batch"]
    parser = build_parser()
    for name in SUBCOMMANDS:
        path = Path(sunpy_sr.__file__).parent / "cli" / f"{name}.py"
        if not path.exists():
            assert name == "batch"  # written separately; skipped until it exists
            continue
        module = importlib.import_module(f"sunpy_sr.cli.{name}")
        assert callable(module.add_parser) and callable(module.run)
        command = name.replace("_", "-")
        if command in MINIMAL_ARGS:
            assert parser.parse_args([command, *MINIMAL_ARGS[command]]).command_handler is module.run


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"sunpy-sr {sunpy_sr.__version__}\n"


MINIMAL_ARGS = {
    "superresolve": ["--sample", "sr.fits"],
    "degrade": ["a.fits", "b.fits"],
    "train": ["rcan", "--data", "d", "--out", "o"],
    "export-weights": ["c.pt", "w.pt"],
    "fit-linear": ["--data", "d", "--out", "f.npz"],
    "fit-errors": ["rcan", "--fit", "a.fits", "--calibrate", "b.fits", "--out", "e.pt"],
    "evaluate": ["--data", "d", "--out", "o"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_global_options_before_and_after_the_command(command):
    args = MINIMAL_ARGS[command]
    parse = build_parser().parse_args
    assert (parse([command, *args]).quiet, parse([command, *args]).threads) == (False, None)
    before = parse(["--quiet", "--threads", "3", command, *args])
    after = parse([command, *args, "--quiet", "--threads", "3"])
    for ns in (before, after):
        assert (ns.quiet, ns.threads, ns.command) == (True, 3, command)
    # an option given before the command is not reset by the command's own parser
    mixed = parse(["--threads", "2", command, "--quiet", *args])
    assert (mixed.quiet, mixed.threads) == (True, 2)
    assert parse(["--threads", "2", command, *args, "--threads", "5"]).threads == 5


def test_threads_reach_superresolve_and_torch_is_restored(tmp_path, capsys, monkeypatch):
    import torch

    from sunpy_sr.inference.state import torch_threads
    real = sunpy_sr.superresolve
    seen = []

    def spy(*args, **kwargs):
        seen.append((kwargs["threads"], torch.get_num_threads()))
        return real(*args, **kwargs)

    monkeypatch.setattr(sunpy_sr, "superresolve", spy)
    with torch_threads(2):
        status, _, err = run(["superresolve", "--sample", str(tmp_path / "sr.fits"), "--method", "bicubic",
                              "--threads", "1"], capsys)
        assert torch.get_num_threads() == 2
    assert status == 0, err
    assert seen == [(1, 1)]


# ------------------------------------------------------------------ overwrite policy


def _computing_is_an_error(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("computed although the output would be refused")
    monkeypatch.setattr(sunpy_sr, "superresolve", refuse)
    monkeypatch.setattr(sunpy_sr, "degrade", refuse)


@pytest.mark.parametrize("command", ["superresolve", "degrade"])
def test_existing_output_is_refused_before_any_work_unless_overwrite(tmp_path, capsys, monkeypatch, command):
    out = tmp_path / "out.fits"
    out.write_bytes(b"previous result")
    argv = (["superresolve", "--sample", str(out), "--method", "bicubic"] if command == "superresolve"
            else ["degrade", str(sample.HMI_ACTIVE_REGION), str(out)])
    with monkeypatch.context() as m:
        _computing_is_an_error(m)
        status, stdout, err = run(argv, capsys)
    assert_one_line_error(status, err, f"output {out} exists; pass --overwrite to replace it")
    assert stdout == ""
    assert out.read_bytes() == b"previous result"
    status, stdout, err = run([*argv, "--overwrite"], capsys)
    assert status == 0, err
    assert files_in(tmp_path) == ["out.fits"]
    assert sunpy.map.Map(out).data.shape == ((1024, 1024) if command == "superresolve" else (64, 64))


def test_output_appearing_during_the_run_is_not_replaced(tmp_path, capsys, monkeypatch):
    """The final rename refuses too (a hard link), not only the check before the work."""
    out = tmp_path / "out.fits"
    real = sunpy_sr.degrade

    def degrade_and_race(*args, **kwargs):
        out.write_bytes(b"written meanwhile")
        return real(*args, **kwargs)

    monkeypatch.setattr(sunpy_sr, "degrade", degrade_and_race)
    status, stdout, err = run(["degrade", str(sample.HMI_ACTIVE_REGION), str(out)], capsys)
    assert_one_line_error(status, err, "exists; pass --overwrite")
    assert out.read_bytes() == b"written meanwhile"
    assert files_in(tmp_path) == ["out.fits"]


def test_export_weights_refuses_an_existing_json(tmp_path, capsys):
    (tmp_path / "w.json").write_text("{}")
    status, _, err = run(["export-weights", str(tmp_path / "nothere.pt"), str(tmp_path / "w.pt")], capsys)
    assert_one_line_error(status, err, f"output {tmp_path / 'w.json'} exists; pass --overwrite")
    status, _, err = run(["export-weights", str(tmp_path / "nothere.pt"), str(tmp_path / "w.pt"),
                          "--overwrite"], capsys)
    assert_one_line_error(status, err, "no such file")
    assert files_in(tmp_path) == ["w.json"]


def test_fit_linear_refuses_an_existing_output(tmp_path, capsys):
    (tmp_path / "f.npz").write_bytes(b"x")
    status, _, err = run(["fit-linear", "--data", str(tmp_path), "--out", str(tmp_path / "f.npz")], capsys)
    assert_one_line_error(status, err, "exists; pass --overwrite")
    status, _, err = run(["fit-linear", "--data", str(tmp_path), "--out", str(tmp_path / "f.npz"),
                          "--overwrite"], capsys)
    assert_one_line_error(status, err, f"no magnetogram FITS file found in {tmp_path}")


def test_train_refuses_an_existing_checkpoint_without_resume(tmp_path, capsys):
    (tmp_path / "checkpoint.pt").write_bytes(b"x")
    status, _, err = run(["train", "rcan", "--data", str(tmp_path), "--out", str(tmp_path)], capsys)
    assert_one_line_error(status, err, "checkpoint.pt exists; pass --resume to continue it or --overwrite")
    assert files_in(tmp_path) == ["checkpoint.pt"]


def test_evaluate_uncertainty_option():
    parser = build_parser()
    assert parser.parse_args(["evaluate", *MINIMAL_ARGS["evaluate"]]).uncertainty is False
    assert parser.parse_args(["evaluate", *MINIMAL_ARGS["evaluate"], "--uncertainty"]).uncertainty is True


def test_evaluate_needs_out_and_refuses_earlier_results(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--data", str(sample.HMI_ACTIVE_REGION)])
    assert exc.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "the following arguments are required: --out" in line
    (tmp_path / "table.ecsv").write_text("earlier")
    status, _, err = run(["evaluate", "--data", str(sample.HMI_ACTIVE_REGION), "--out", str(tmp_path)],
                         capsys)
    assert_one_line_error(status, err, "holds the results of an earlier run (table.ecsv); pass --overwrite")
    assert files_in(tmp_path) == ["table.ecsv"]


# ------------------------------------------------------------------ compressed output


def test_compressed_output(tmp_path, capsys):
    from astropy.io import fits
    src = tmp_path / "limb.fits"
    sample.hmi_limb().save(src)
    plain, packed, again = tmp_path / "plain.fits", tmp_path / "packed.fits", tmp_path / "again.fits"
    status, stdout, err = run(["superresolve", str(src), str(plain), "--method", "bicubic"], capsys)
    assert status == 0, err
    for out in (packed, again):
        status, stdout, err = run(["superresolve", str(src), str(out), "--method", "bicubic", "--compress"],
                                  capsys)
        assert status == 0, err
        assert stdout.rstrip().endswith("(bicubic, RICE-compressed)")
    assert files_in(tmp_path) == ["again.fits", "limb.fits", "packed.fits", "plain.fits"]
    with fits.open(packed) as hdul:
        assert isinstance(hdul[1], fits.CompImageHDU)
        assert hdul[1].compression_type == "RICE_1"
    assert packed.stat().st_size < 0.4 * plain.stat().st_size
    assert packed.read_bytes() == again.read_bytes()  # a fixed dither seed: the same bytes every time
    a, b = sunpy.map.Map(plain), sunpy.map.Map(packed)
    assert type(b) is type(a)
    assert b.unit == a.unit
    nan = np.isnan(a.data)
    assert nan.any()
    np.testing.assert_array_equal(np.isnan(b.data), nan)  # off-limb NaN survive the quantisation
    error = np.abs(b.data[~nan].astype(np.float64) - a.data[~nan])
    assert 0 < error.max() < 0.1  # lossy, by hundredths of a gauss (HMI's noise is several G)
    for key in HEADER_KEYS:
        assert b.meta[key] == pytest.approx(a.meta[key], rel=1e-12), key
    assert b.meta["srmethod"] == "bicubic"


# ------------------------------------------------------------------ the --method help comes from the registry


def test_superresolve_help_lists_every_registered_method(capsys, monkeypatch):
    from sunpy_sr.methods import Method, available_methods
    from sunpy_sr.methods.registry import METHODS
    # a method registered after import is listed too: the help reads the registry when it is shown
    monkeypatch.setitem(METHODS, "test-only", Method("test-only", 4, 2, "a method registered by this test",
                                                     build=None))
    with pytest.raises(SystemExit) as exc:
        main(["superresolve", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    names = available_methods()
    assert "test-only" in names and "rcan-fast" in names
    assert "--method METHOD" in out
    for name in names:
        line = next(line for line in out.splitlines() if line.startswith(f"  {name} "))
        assert METHODS[name].description.split()[0] in line


def test_installed_command_superresolve_help_lists_every_registered_method():
    from sunpy_sr.methods import available_methods
    proc = subprocess.run([*_console_script(), "superresolve", "--help"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[0] for line in proc.stdout.split("registered methods")[1].splitlines()[1:]
              if line.startswith("  ") and not line.startswith("   ")]
    assert listed == available_methods()


# ------------------------------------------------------------------ light to import: --help answers at once

HEAVY = ("torch", "sunpy.map", "astropy", "numpy")
_CHECK_IMPORTS = r"""
import importlib.util, json, sys, types
if sys.argv[1] == "cli-only":  # the CLI's own modules, without sunpy_sr/__init__.py
    spec = importlib.util.find_spec("sunpy_sr")
    package = types.ModuleType("sunpy_sr")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["sunpy_sr"] = package
from sunpy_sr.cli import main
for argv in json.loads(sys.argv[2]):
    try:
        main(argv)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in HEAVY if m in sys.modules)))
""".replace("HEAVY", repr(HEAVY))


def _heavy_modules_after(mode, argvs):
    proc = subprocess.run([sys.executable, "-c", _CHECK_IMPORTS, mode, json.dumps(argvs)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_cli_modules_import_nothing_heavy_for_help():
    """Every subcommand module (batch.py too) imports torch, sunpy.map, astropy and numpy in run() only."""
    batch = [["batch", "--help"]] if (Path(sunpy_sr.__file__).parent / "cli" / "batch.py").exists() else []
    helps = [["--help"], ["--version"]] + [[c, "--help"] for c in COMMANDS if c != "superresolve"] + batch
    assert _heavy_modules_after("cli-only", helps) == []
    # superresolve --help reads the method registry (sunpy_sr.exceptions imports astropy), not torch or sunpy
    heavy = _heavy_modules_after("cli-only", [["superresolve", "--help"]])
    assert "torch" not in heavy and "sunpy.map" not in heavy


def test_importing_sunpy_sr_cli_imports_nothing_heavy():
    assert _heavy_modules_after("package", [["--help"]]) == []


# ------------------------------------------------------------------ evaluate: crops of the stated size


@pytest.mark.realdata
def test_evaluate_refuses_a_map_smaller_than_the_crop_size(tmp_path, capsys, shared_data):
    from conftest import SHARP_377  # 377 rows x 744 columns
    out = tmp_path / "ev"
    status, stdout, err = run(["evaluate", "--data", str(SHARP_377), "--methods", "bicubic",
                               "--out", str(out)], capsys)
    assert_one_line_error(status, err, "map smaller than the crop size 512x512 px: "
                                       f"{SHARP_377.name} is 377 rows x 744 columns; "
                                       "pass --size 376 (or less)")
    assert stdout == ""
    assert not (out / "table.ecsv").exists()


@pytest.mark.realdata
def test_evaluate_counts_distinct_crops_of_the_stated_size(tmp_path, capsys, shared_data):
    """SHARP 377 as docs/results.rst evaluates it: 10 crops of 256x256 px covering it to its edges."""
    from astropy.table import QTable
    from conftest import SHARP_377  # 377 x 744 px, no NaN
    out = tmp_path / "ev"
    status, stdout, err = run(["evaluate", "--data", str(SHARP_377), "--methods", "bicubic",
                               "--out", str(out), "--size", "256", "--stride", "128"], capsys)
    assert status == 0, err
    assert "10 crops of 256x256 px from 1 file(s)" in stdout
    assert list(QTable.read(out / "table.ecsv")["n_images"]) == [10]
    (cache,) = (out / "cache").glob("*.npz")
    with np.load(cache) as z:
        assert z["hr"].shape == (10, 256, 256)
        origins = sorted(map(tuple, z["origin"].tolist()))
    # stride 128, plus crops flush with the far edges (row 377 - 256, column 744 - 256)
    assert origins == [(r, c) for r in (0, 121) for c in (0, 128, 256, 384, 488)]


@pytest.mark.realdata
def test_evaluate_folder_refuses_only_the_small_map(tmp_path, capsys, shared_data):
    """A small real CEA crop (cut from SHARP 377) beside a map that fits: the small one is refused."""
    import astropy.units as u
    from astropy.table import QTable
    from conftest import SHARP_377
    data = tmp_path / "data"
    data.mkdir()
    sample.hmi_active_region().save(data / "hmi_sample.magnetogram.fits")
    small = sunpy.map.Map(SHARP_377).submap([0, 0] * u.pix, top_right=[79, 39] * u.pix)
    assert small.data.shape == (40, 80)
    small.meta.pop("blank", None)  # the JSOC file's integer BLANK does not apply to the float data saved here
    small.save(data / "sharp377_small.magnetogram.fits")
    with pytest.warns(SunpySRUserWarning, match=r"refused 1 map\(s\) smaller than the crop size 64x64 px: "
                                               r"sharp377_small.magnetogram.fits is 40 rows x 80 columns; "
                                               r"pass --size 40"):
        status, stdout, err = run(["evaluate", "--data", str(data), "--methods", "bicubic", "--out",
                                   str(tmp_path / "ev"), "--size", "64", "--stride", "64", "--max-distance",
                                   "1000"], capsys)
    assert status == 0, err
    n = int(stdout.split(" crops of 64x64 px from 1 file(s)")[0].split()[-1])  # the sample's crops only
    assert n >= 1
    assert list(QTable.read(tmp_path / "ev" / "table.ecsv")["n_images"]) == [n]


# ------------------------------------------------------------------ helpers


def _console_script():
    exe = shutil.which("sunpy-sr", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "sunpy_sr"]


@pytest.mark.parametrize("command", ["superresolve", "degrade"])
def test_missing_input_is_reported_before_heavy_imports(command, tmp_path):
    """A missing file is the first thing checked: neither torch nor sunpy.map is imported."""
    import subprocess
    import sys
    code = ("import sys; from sunpy_sr.cli.main import main; "
            f"rc = main([{command!r}, 'missing.fits', 'out.fits']); "
            "print(rc, 'torch' in sys.modules, 'sunpy.map' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split() == ["1", "False", "False"], done.stdout + done.stderr
    assert "sunpy-sr: error: no such file: missing.fits" in done.stderr
