"""``progress=None`` (the default everywhere): a bar for long work on a terminal, none elsewhere."""
import inspect
import io
import sys

import numpy as np
import pytest

import sunpy_sr
from sunpy_sr.exceptions import SunpySRTypeError
from sunpy_sr.progress import show_progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_show_progress_rule(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert show_progress(None, long=True) is False  # not a terminal (a log, captured output)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert show_progress(None, long=True) is True
    assert show_progress(None, long=False) is False  # short work
    assert show_progress(False, long=True) is False and show_progress(True, long=False) is True
    assert show_progress(np.bool_(True), long=False) is True


@pytest.mark.parametrize("bad", ["yes", 1, 0.5])
def test_bad_progress_is_refused_at_the_door(bad):
    with pytest.raises(SunpySRTypeError, match="progress must be True, False or None"):
        sunpy_sr.superresolve(np.zeros((16, 16), np.float32), method="bicubic", progress=bad)


def _public_functions_with_progress():
    from sunpy_sr.batch import superresolve_files
    from sunpy_sr.core.pairs import make_pairs
    from sunpy_sr.evaluation import evaluate, run_evaluation
    from sunpy_sr.inference.tiling import run_tiled
    from sunpy_sr.training import train, train_from_folder
    from sunpy_sr.training.error_fit import fit_error_net
    return [sunpy_sr.superresolve, run_tiled, make_pairs, evaluate, run_evaluation, superresolve_files, train,
            train_from_folder, fit_error_net]


def test_every_progress_option_defaults_to_none():
    for func in _public_functions_with_progress():
        assert inspect.signature(func).parameters["progress"].default is None, func.__qualname__


def test_a_long_superresolve_shows_a_bar_on_a_terminal_only(monkeypatch):
    data = np.zeros((64, 64), np.float32)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    sunpy_sr.superresolve(data, method="bicubic", tile_size=16)  # 16 tiles: long
    assert "tiles" in terminal.getvalue() and "16/16" in terminal.getvalue()
    short = _Terminal()
    monkeypatch.setattr(sys, "stderr", short)
    sunpy_sr.superresolve(data, method="bicubic", tile_size=32)  # 4 tiles
    assert short.getvalue() == ""
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    sunpy_sr.superresolve(data, method="bicubic", tile_size=16)  # long, but not a terminal
    assert log.getvalue() == ""
