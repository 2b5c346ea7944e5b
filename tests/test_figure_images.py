"""
The paper's figures compared as images with committed baselines (``tests/baseline_images/``).

Each figure function is drawn on small deterministic synthetic inputs with fixed rcParams
(Matplotlib's default style and its test font settings, the Agg backend) and saved at a low
dpi; `matplotlib.testing.compare.compare_images` then compares it with the baseline PNG of the
same name, within an RMS difference of `TOLERANCE` (0-255 grey levels). A figure that changes
fails here; when the change is meant, regenerate the baselines with
``SUNPY_SR_GENERATE_BASELINES=1 python -m pytest tests/test_figure_images.py`` (contributing
guide) and commit the new PNGs with the change.

Text rendering differs between Matplotlib releases, so the comparison runs on the
Matplotlib version (major.minor) that drew the baselines, recorded in
``tests/baseline_images/matplotlib_version.txt``, and is skipped, with the reason, on others.
"""
import os
from pathlib import Path

import astropy.units as u
import matplotlib
import matplotlib.style
import numpy as np
import pytest
import sunpy.map
from astropy.coordinates import SkyCoord
from matplotlib.testing import set_font_settings_for_testing, set_reproducibility_for_testing
from matplotlib.testing.compare import compare_images
from sunpy.coordinates import frames

from sunpy_sr.visualization import plot_comparison_panel, plot_scatter_figure
from sunpy_sr.visualization.comparison import plot_difference_map, plot_map_panels

BASELINES = Path(__file__).parent / "baseline_images"
VERSION_FILE = BASELINES / "matplotlib_version.txt"
#: Largest RMS difference (grey levels 0-255) between a figure and its baseline.
TOLERANCE = 2
#: Resolution the figures are saved at: small baselines, still legible.
DPI = 40
GENERATE = os.environ.get("SUNPY_SR_GENERATE_BASELINES") == "1"


def _mpl_version():
    return ".".join(matplotlib.__version__.split(".")[:2])


def _field(shape, shift=0.0):
    """A deterministic bipole (G) with a little noise: strong enough to fill the +-2000 G axes."""
    ny, nx = shape
    y, x = np.mgrid[0:ny, 0:nx] / max(ny, nx)
    bipole = 2500 * np.exp(-((x - 0.35 - shift) ** 2 + (y - 0.5) ** 2) / 0.01) \
        - 1800 * np.exp(-((x - 0.65) ** 2 + (y - 0.45 + shift) ** 2) / 0.015)
    return bipole + np.random.default_rng(0).normal(0, 30, shape)


def _block_mean(a, k=4):
    return a.reshape(a.shape[0] // k, k, a.shape[1] // k, k).mean(axis=(1, 3))


def _hr_and_outputs():
    hr = [_field((32, 32)), _field((32, 32), shift=0.08)]
    lr = [_block_mean(h) for h in hr]
    nearest = [np.kron(x, np.ones((4, 4))) for x in lr]
    smooth = [0.5 * (n + h) for n, h in zip(nearest, hr)]
    return hr, lr, {"nearest": nearest, "halfway": smooth}


def _map(data):
    """A helioprojective map (G) near disk centre, 1 arcsec pixels."""
    centre = SkyCoord(0 * u.arcsec, 0 * u.arcsec, obstime="2011-12-17T06:00", observer="earth",
                      frame=frames.Helioprojective)
    header = sunpy.map.make_fitswcs_header(data, centre, scale=[1, 1] * u.arcsec / u.pix, unit=u.G)
    return sunpy.map.Map(data.astype(np.float32), header)


def _figure2_one_crop():
    hr, lr, outputs = _hr_and_outputs()
    return plot_comparison_panel(lr[0], hr[0], {k: v[0] for k, v in outputs.items()}, crop_labels=["crop 4"])


def _figure2_two_crops():
    hr, lr, outputs = _hr_and_outputs()
    return plot_comparison_panel(lr, hr, outputs, crop_labels=["crop 4", "crop 9"], panel_size=1.6)


def _figure3():
    hr, _, outputs = _hr_and_outputs()
    return plot_scatter_figure(hr, outputs, bins=40, errorbar_bin=250, n_scatter=500, panel_size=1.8)


def _figure_a1():
    hr, _, outputs = _hr_and_outputs()
    mask = np.zeros((32, 32), dtype=bool)
    mask[4:28, 2:30] = True
    return plot_scatter_figure(hr[0], {k: v[0] for k, v in outputs.items()}, mask=mask,
                               target_label="reference", rows=("histogram", "scatter"),
                               titles={"nearest": "nearest: CC=0.900", "halfway": "halfway: CC=0.950"},
                               bins=40, n_scatter=500, panel_size=1.8)


def _figure4():
    hr, lr, outputs = _hr_and_outputs()
    wide = [np.hstack([h, h[:, ::-1]]) for h in (hr[0], outputs["nearest"][0], outputs["halfway"][0], hr[1])]
    return plot_map_panels([(f"panel {i}", _map(a)) for i, a in enumerate(wide)])


def _difference():
    hr, _, outputs = _hr_and_outputs()
    mask = np.ones((32, 32), dtype=bool)
    mask[:, :4] = False
    return plot_difference_map(_map(outputs["nearest"][0]), _map(hr[0]), mask, title="nearest minus target")


FIGURES = {"figure2_one_crop": _figure2_one_crop, "figure2_two_crops": _figure2_two_crops,
           "figure3": _figure3, "figure_a1": _figure_a1, "figure4": _figure4, "difference": _difference}


@pytest.fixture
def fixed_rcparams():
    """Matplotlib's default style and test font settings, restored afterwards."""
    with matplotlib.rc_context():
        matplotlib.style.use("default")
        set_font_settings_for_testing()
        set_reproducibility_for_testing()
        yield


def _save(name, folder):
    path = folder / f"{name}.png"
    FIGURES[name]().savefig(path, dpi=DPI, metadata={"Software": None})
    return path


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_matches_its_baseline(name, fixed_rcparams, tmp_path):
    baseline = BASELINES / f"{name}.png"
    if GENERATE:
        BASELINES.mkdir(exist_ok=True)
        _save(name, BASELINES)
        VERSION_FILE.write_text(_mpl_version() + "\n")
        pytest.skip(f"baseline written: {baseline}")
    recorded = VERSION_FILE.read_text().strip()
    if recorded != _mpl_version():
        pytest.skip(f"baselines drawn with Matplotlib {recorded}, this is {matplotlib.__version__}")
    assert baseline.exists(), f"no baseline {baseline}: run with SUNPY_SR_GENERATE_BASELINES=1"
    actual = _save(name, tmp_path)
    result = compare_images(str(baseline), str(actual), tol=TOLERANCE)
    assert result is None, result


def test_the_comparison_detects_a_changed_figure(fixed_rcparams, tmp_path):
    # the check above can fail: a figure with one title changed differs from its baseline by more
    # than the tolerance
    recorded = VERSION_FILE.read_text().strip()
    if recorded != _mpl_version():
        pytest.skip(f"baselines drawn with Matplotlib {recorded}, this is {matplotlib.__version__}")
    fig = _figure3()
    fig.axes[0].set_title("a different title\n2D histogram", fontsize="small")
    fig.axes[0].set_xticks([-2000, 0, 2000])
    changed = tmp_path / "figure3.png"
    fig.savefig(changed, dpi=DPI, metadata={"Software": None})
    result = compare_images(str(BASELINES / "figure3.png"), str(changed), tol=TOLERANCE)
    assert result is not None and "Image files did not match" in result


def test_baselines_are_small():
    pngs = sorted(BASELINES.glob("*.png"))
    assert {p.stem for p in pngs} == set(FIGURES)
    assert all(p.stat().st_size < 60_000 for p in pngs), {p.name: p.stat().st_size for p in pngs}
