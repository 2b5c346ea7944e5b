"""The table of metrics (`sunpy_sr.metrics.METRICS`) and what reads it; the files of a failed or
successful `sunpy_sr.evaluation.run_evaluation`."""
import dataclasses
import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest

from sunpy_sr.data import sample
from sunpy_sr.metrics import METRICS


@pytest.fixture(scope="module")
def small_pairs():
    rng = np.random.default_rng(1)
    hr = [rng.normal(0, 300, (64, 64)).astype(np.float32) for _ in range(2)]
    from sunpy_sr.core.degradation import degrade_array
    return hr, [degrade_array(h) for h in hr]


def test_every_entry_is_complete():
    for name, metric in METRICS.items():
        assert metric.name == name and metric.description
        assert metric.unit is None or isinstance(metric.unit, u.UnitBase)
        assert metric.higher_is_better in (True, False, None)
    assert METRICS["psnr"].unit == u.dB and METRICS["rmse"].unit == u.G


def test_evaluate_columns_and_units_are_the_table_s(small_pairs):
    from sunpy_sr.evaluation import EVALUATE_COLUMNS, UNCERTAINTY_COLUMNS, evaluate
    hr, lr = small_pairs
    table = evaluate((hr, lr), methods={"same": hr}, progress=False)
    counts = {"method", "n_images", "n_strong"}
    assert [c for c in table.colnames if c not in counts] == [c for c in METRICS if c in table.colnames]
    assert set(EVALUATE_COLUMNS + UNCERTAINTY_COLUMNS) - counts <= set(METRICS)
    for col in set(table.colnames) - counts:
        assert getattr(table[col], "unit", None) == METRICS[col].unit, col
    # the values are those of the table's functions
    assert table["cc"][0] == pytest.approx(np.mean([METRICS["cc"].function(h, h) for h in hr]))


def test_compare_metric_set_uses_the_table():
    from sunpy_sr.compare.results import MetricSet
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 300, (32, 32))
    m = MetricSet.from_fields(ref, ref + 10, np.ones(ref.shape, bool))
    names = [f.name for f in dataclasses.fields(MetricSet) if f.name != "n_pixels"]
    assert set(names) <= set(METRICS)
    assert m.rmse.unit == METRICS["rmse"].unit
    assert m.psnr == pytest.approx(METRICS["psnr"].function(ref, ref + 10))
    assert list(m.as_dict()) == names + ["n_pixels"]


def test_training_validation_keys_are_table_names():
    pytest.importorskip("torch")
    from sunpy_sr.training.strategies import GanStrategy, PixelStrategy
    assert set(PixelStrategy.validation_metrics) <= set(METRICS)
    assert set(GanStrategy.validation_metrics) <= set(METRICS)
    assert {"element_count_ratio", "element_area_ratio"} <= set(METRICS)


def test_metrics_does_not_import_evaluation():
    code = ("import sys, sunpy_sr.metrics; print(sorted(m for m in sys.modules "
            "if m.startswith(('sunpy_sr.evaluation', 'sunpy_sr.training'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _run(out_dir, **kw):
    from sunpy_sr.evaluation import run_evaluation
    return run_evaluation(sample.HMI_ACTIVE_REGION, ["bicubic"], out_dir=out_dir, size=128, stride=128,
                          progress=False, **kw)


def test_failed_evaluate_leaves_nothing(tmp_path, monkeypatch):
    def boom(target, output):
        raise RuntimeError("metric failed")
    monkeypatch.setitem(METRICS, "psnr", dataclasses.replace(METRICS["psnr"], function=boom))
    out = tmp_path / "new"
    with pytest.raises(RuntimeError, match="metric failed"):
        _run(out)
    assert not out.exists()
    # an existing folder keeps what it had; the cache is kept only when asked
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RuntimeError):
        _run(out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    with pytest.raises(RuntimeError):
        _run(out, keep_cache=True)
    assert sorted(p.name for p in out.iterdir()) == ["cache", "notes.txt"]


def test_failed_evaluate_keeps_earlier_results(tmp_path, monkeypatch):
    _run(tmp_path)
    before = (tmp_path / "table.ecsv").read_text()
    monkeypatch.setitem(METRICS, "cc", dataclasses.replace(METRICS["cc"], function=None))
    with pytest.raises(TypeError):
        _run(tmp_path)
    assert (tmp_path / "table.ecsv").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cache", "error_budget.ecsv", "figure2.png", "figure3.png", "table-arrays.npz", "table.ecsv"]


def test_table_ecsv_is_plain_text(tmp_path):
    from astropy.table import QTable
    table = _run(tmp_path)
    text = (tmp_path / "table.ecsv").read_text()
    assert "!!binary" not in text and "base64" not in text and "numpy" not in text
    back = QTable.read(tmp_path / "table.ecsv")
    assert back.colnames == table.colnames
    for col in table.colnames:
        if table[col].dtype.kind == "f":
            np.testing.assert_allclose(u.Quantity(back[col]).value, u.Quantity(table[col]).value)
            assert getattr(back[col], "unit", None) == getattr(table[col], "unit", None)
        else:
            assert list(back[col]) == list(table[col])
    for key in ("max_field", "strong_threshold", "degrade_method"):
        assert back.meta[key] == table.meta[key]
    assert back.meta["arrays"] == "table-arrays.npz"
    with np.load(tmp_path / "table-arrays.npz") as arrays:
        for col, values in table.meta["per_image"]["bicubic"].items():
            np.testing.assert_array_equal(arrays[f"per_image/bicubic/{col}"], values)
