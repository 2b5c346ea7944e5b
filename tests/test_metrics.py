"""Tests of sunpy_sr.metrics and sunpy_sr.visualization: hand-computed values, scikit-image, real HMI data."""
import astropy.units as u
import numpy as np
import pytest
import sunpy.map
from astropy.coordinates import SkyCoord
from sunpy.coordinates import frames

from sunpy_sr import metrics
from sunpy_sr.api.pipeline import superresolve
from sunpy_sr.core.degradation import degrade, degrade_array
from sunpy_sr.core.pairs import PairSet
from sunpy_sr.evaluation import EVALUATE_COLUMNS, evaluate
from sunpy_sr.exceptions import SunpySRError

# Two 128x128 crops of the real 2016-07-07 full-disk map (level-1 pixel indices):
# an active region (about 870 pixels above 200 G) and a quiet-Sun patch near disk centre.
CROPS_2016 = [(2560, 1024), (1984, 1984)]
SIZE = 128


@pytest.fixture(scope="module")
def real_pairs(fulldisk_2016):
    data = np.asarray(fulldisk_2016.data)
    hr = [np.clip(np.array(data[r:r + SIZE, c:c + SIZE], dtype=np.float32), -2000, 2000)
          for r, c in CROPS_2016]
    assert all(np.isfinite(h).all() for h in hr)
    return hr, [degrade_array(h) for h in hr]


@pytest.fixture(scope="module")
def evaluated(real_pairs):
    return evaluate(real_pairs, methods=("bicubic",), progress=False, return_outputs=True)


# ------------------------------------------------------------------ image metrics, by hand


def test_constant_error_psnr_rmse():
    rng = np.random.default_rng(1)
    target = rng.normal(0, 300, (32, 32))
    output = target + 40.0
    assert metrics.rmse(target, output) == pytest.approx(40.0, rel=1e-12)
    # 20 log10(4000 / 40) = 40 dB exactly
    assert metrics.psnr(target, output) == pytest.approx(40.0, rel=1e-12)
    assert metrics.psnr(target, output, max_value=400) == pytest.approx(20.0, rel=1e-12)
    assert metrics.psnr(target, target) == float("inf")


def test_rmse_hand_computed():
    target = np.zeros((2, 2))
    output = np.array([[1.0, -1.0], [3.0, -3.0]])
    assert metrics.rmse(target, output) == pytest.approx(np.sqrt(5.0))


def test_cc_linear_transform():
    x = np.arange(64, dtype=float).reshape(8, 8) ** 1.5
    assert metrics.pearson_cc(x, 3 * x + 7) == pytest.approx(1.0, abs=1e-12)
    assert metrics.pearson_cc(x, -2 * x) == pytest.approx(-1.0, abs=1e-12)
    assert np.isnan(metrics.pearson_cc(x, np.ones_like(x)))


def test_nan_pixels_ignored():
    target = np.array([[0.0, 10.0], [20.0, np.nan]])
    output = np.array([[3.0, 14.0], [20.0, 1e6]])
    clean_t, clean_o = np.array([0.0, 10.0, 20.0]), np.array([3.0, 14.0, 20.0])
    assert metrics.rmse(target, output) == pytest.approx(np.sqrt(25 / 3))
    assert metrics.pearson_cc(target, output) == pytest.approx(np.corrcoef(clean_t, clean_o)[0, 1])
    output2 = output.copy()
    output2[0, 0] = np.nan
    assert metrics.rmse(target, output2) == pytest.approx(np.sqrt(16 / 2))


def test_errors():
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.rmse(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.ssim(np.zeros((8, 8)), np.zeros((16, 16)))
    with pytest.raises(ValueError, match="no pixel"):
        metrics.psnr(np.full((4, 4), np.nan), np.zeros((4, 4)))


def test_strong_field_rmse_hand_computed():
    target = np.array([[0.0, 300.0], [-500.0, 100.0]])
    output = target + np.array([[50.0, 10.0], [-20.0, 70.0]])
    # strong pixels: 300 G and -500 G, errors 10 and -20 G
    assert metrics.strong_field_rmse(target, output) == pytest.approx(np.sqrt(250.0))
    assert metrics.strong_field_rmse(target, output, threshold=200 * u.G) == pytest.approx(np.sqrt(250.0))
    assert metrics.strong_field_rmse(target, output, threshold=50) == pytest.approx(np.sqrt(5400 / 3))
    assert np.isnan(metrics.strong_field_rmse(target, output, threshold=1000))


# ------------------------------------------------------------------ against scikit-image, real data


@pytest.mark.realdata
def test_psnr_ssim_match_skimage(real_pairs, evaluated):
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    _, outputs = evaluated
    for hr, sr in zip(real_pairs[0], outputs["bicubic"]):
        h, s = hr.astype(np.float64), sr.astype(np.float64)
        assert metrics.psnr(hr, sr) == pytest.approx(peak_signal_noise_ratio(h, s, data_range=4000), rel=1e-9)
        assert metrics.ssim(hr, sr) == pytest.approx(structural_similarity(h, s, data_range=4000), rel=1e-9)
        assert metrics.ssim(hr, hr) == pytest.approx(1.0)


@pytest.mark.realdata
def test_metrics_accept_maps(sharp_377):
    noisy = sunpy.map.Map(sharp_377.data + 10.0, sharp_377.meta)
    assert metrics.rmse(sharp_377, noisy) == pytest.approx(10.0, rel=1e-5)
    assert metrics.pearson_cc(sharp_377, noisy) == pytest.approx(1.0)


# ------------------------------------------------------------------ re-degradation residual


@pytest.mark.realdata
@pytest.mark.parametrize("method", ["gaussian-bilinear", "bin"])
def test_redegradation_residual_zero_for_consistent_sr(real_pairs, method):
    hr = real_pairs[0][0]
    lr = degrade_array(hr, method=method)
    assert metrics.redegradation_residual(hr, lr, method=method) == pytest.approx(0.0, abs=1e-6)
    # bicubic interpolation does not reproduce its input when degraded again
    sr = superresolve(lr, method="bicubic")
    assert metrics.redegradation_residual(sr, lr, method=method) > 1.0


@pytest.mark.realdata
def test_redegradation_residual_maps(sharp_377):
    hr = sharp_377.submap([0, 0] * u.pix, top_right=[255, 255] * u.pix)
    assert metrics.redegradation_residual(hr, degrade(hr)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="not 4 x"):
        metrics.redegradation_residual(hr, degrade(hr).data[:-1])


# ------------------------------------------------------------------ flux


def test_flux_of_uniform_array():
    field = np.full((10, 10), 10.0)
    field[:5] = -10.0
    area = 1 * u.km**2                                    # = 1e10 cm^2
    assert metrics.unsigned_flux(field, pixel_area=area).to_value(u.Mx) == pytest.approx(1e13)
    assert metrics.signed_flux(field, pixel_area=area).to_value(u.Mx) == pytest.approx(0.0)
    field[0, 0] = np.nan                                  # NaN pixels are left out
    assert metrics.signed_flux(field, pixel_area=area).unit == u.Mx
    assert metrics.signed_flux(field, pixel_area=area).to_value(u.Mx) == pytest.approx(1e11)
    mask = np.zeros(field.shape, bool)
    mask[5:, :3] = True
    assert metrics.signed_flux(field, pixel_area=2e10 * u.cm**2, mask=mask).to_value(u.Mx) == \
        pytest.approx(15 * 10 * 2e10)


def test_flux_array_errors():
    with pytest.raises(ValueError, match="pixel_area"):
        metrics.signed_flux(np.ones((4, 4)))
    with pytest.raises(TypeError, match="Quantity"):
        metrics.signed_flux(np.ones((4, 4)), pixel_area=1e10)
    with pytest.raises(ValueError, match="Map"):
        metrics.unsigned_flux(np.ones((4, 4)), pixel_area=1 * u.cm**2, radial=True)


def _hpc_map(n, scale, data=None, unit=u.G):
    """A helioprojective header (synthetic, for geometry only) seen from 1 AU, Sun at the centre."""
    obs = SkyCoord(0 * u.deg, 0 * u.deg, 1 * u.AU, frame=frames.HeliographicStonyhurst,
                   obstime="2016-07-07T01:00:00")
    frame = frames.Helioprojective(observer=obs, obstime=obs.obstime, rsun=696000 * u.km)   # HMI's RSUN_REF
    ref = SkyCoord(0 * u.arcsec, 0 * u.arcsec, frame=frame)
    header = sunpy.map.make_fitswcs_header((n, n), ref, scale=[scale, scale] * u.arcsec / u.pix, unit=unit)
    return sunpy.map.Map(np.ones((n, n)) if data is None else data, header)


def test_flux_of_uniform_helioprojective_map():
    smap = _hpc_map(16, 0.5, np.full((16, 16), 5.0))
    omega = (0.5 * u.arcsec).to_value(u.rad) ** 2
    d = (1 * u.AU - 696000 * u.km).to_value(u.cm)
    expected = 256 * 5.0 * omega * d**2               # G cm^2 = Mx
    assert metrics.map_pixel_area(smap).to_value(u.cm**2) == pytest.approx(omega * d**2, rel=1e-9)
    assert metrics.unsigned_flux(smap).to_value(u.Mx) == pytest.approx(expected, rel=1e-9)
    # a patch at disk centre: the surface area and radial field hardly differ (mu ~ 1)
    assert metrics.unsigned_flux(smap, radial=True).to_value(u.Mx) == pytest.approx(expected, rel=1e-4)
    # Mx/cm^2 is G
    smap_mx = _hpc_map(16, 0.5, np.full((16, 16), 5.0), unit=u.Mx / u.cm**2)
    assert metrics.unsigned_flux(smap_mx).to_value(u.Mx) == pytest.approx(expected, rel=1e-9)


def _visible_area(mu_min, D, R):
    """Exact area (cm^2) of the part of a sphere seen with mu >= mu_min from distance D."""
    from scipy.optimize import brentq

    def mu(psi):
        return (D * np.cos(psi) - R) / np.sqrt(D**2 + R**2 - 2 * D * R * np.cos(psi))
    psi0 = brentq(lambda p: mu(p) - mu_min, 0, np.arccos(R / D))
    return 2 * np.pi * R**2 * (1 - np.cos(psi0))


def test_surface_area_and_radial_flux_full_disk():
    smap = _hpc_map(512, 4.0)                          # the whole disk at 4"/px
    D, R = smap.dsun.to_value(u.cm), smap.rsun_meters.to_value(u.cm)
    exact = _visible_area(0.1, D, R)
    area = metrics.map_pixel_area(smap, surface=True, mu_min=0.1)
    assert area.shape == (512, 512)
    assert np.nansum(area.to_value(u.cm**2)) == pytest.approx(exact, rel=5e-3)
    # a radial 100 G field, mu computed independently (sunpy's surface coordinates):
    # its radial flux is 100 G times the visible area
    hgs = sunpy.map.all_coordinates_from_map(smap).transform_to(frames.HeliographicStonyhurst)
    obs = smap.observer_coordinate
    cos_psi = (np.sin(hgs.lat) * np.sin(obs.lat)
               + np.cos(hgs.lat) * np.cos(obs.lat) * np.cos(hgs.lon - obs.lon)).value
    mu = (D * cos_psi - R) / np.sqrt(D**2 + R**2 - 2 * D * R * cos_psi)
    radial = sunpy.map.Map(100 * mu, smap.meta)
    assert metrics.signed_flux(radial, radial=True).to_value(u.Mx) == pytest.approx(100 * exact, rel=5e-3)


@pytest.mark.realdata
def test_cea_pixel_area_sharp(sharp_377):
    area = metrics.map_pixel_area(sharp_377)
    assert area.isscalar
    # equal-area projection: (CDELT in rad)^2 * RSUN_REF^2, everywhere
    expected = (np.deg2rad(0.03) * 696e8) ** 2
    assert sharp_377.meta["cdelt1"] == 0.03 and sharp_377.meta["rsun_ref"] == 696e6
    assert area.to_value(u.cm**2) == pytest.approx(expected, rel=1e-9)
    flux = metrics.unsigned_flux(sharp_377)
    assert flux.unit == u.Mx
    assert flux.to_value(u.Mx) == pytest.approx(np.nansum(np.abs(sharp_377.data)) * expected, rel=1e-9)


@pytest.mark.realdata
def test_sharp_flux_against_usflux(sharp_377, shared_data):
    """
    The header's USFLUX (Mx) is the JSOC pipeline's sum of |Br| times the CEA pixel
    area over CMASK pixels: inside the HARP and with high disambiguation confidence,
    a mask we do not have. Two honest checks: (1) Br over a proxy mask (HARP pixels,
    bitmap >= 33, keeping the CMASK strongest pixels of total field |B|) gives USFLUX
    within 5% (the area rule is the same: 3% off here, from the mask); (2) the LOS
    magnetogram's flux over the HARP is of the same order (LOS field is not Br).
    """
    usflux = sharp_377.meta["usflux"]
    stem = "hmi.sharp_cea_720s.377.20110215_020000_TAI"
    sharp = shared_data / "hmi" / "sharp"
    bitmap = np.asarray(sunpy.map.Map(sharp / f"{stem}.bitmap.fits").data)
    br, bt, bp = (sunpy.map.Map(sharp / f"{stem}.{c}.fits") for c in ("Br", "Bt", "Bp"))
    btot = np.sqrt(np.asarray(br.data, float) ** 2 + np.asarray(bt.data, float) ** 2
                   + np.asarray(bp.data, float) ** 2)
    harp = bitmap >= 33
    n = int(sharp_377.meta["cmask"])
    cut = np.sort(btot[harp])[::-1][n - 1]
    mask = harp & (btot >= cut)
    flux_br = metrics.unsigned_flux(br, mask=mask).to_value(u.Mx)
    assert flux_br == pytest.approx(usflux, rel=0.05)
    flux_los = metrics.unsigned_flux(sharp_377, mask=harp).to_value(u.Mx)
    assert 0.5 * usflux < flux_los < 1.5 * usflux
    # the radial-field correction (B_LOS / mu) increases it
    assert metrics.unsigned_flux(sharp_377, mask=harp, radial=True).to_value(u.Mx) > flux_los


# ------------------------------------------------------------------ evaluate


@pytest.mark.realdata
def test_evaluate_bicubic_real_crops(real_pairs, evaluated):
    table, outputs = evaluated
    assert tuple(table.colnames) == EVALUATE_COLUMNS
    assert len(table) == 1 and table["method"][0] == "bicubic"
    row = table[0]
    assert row["n_images"] == 2
    assert table["psnr"].unit == u.dB and table["rmse"].unit == u.G
    assert table["rmse_strong"].unit == u.G and table["redegradation_residual"].unit == u.G
    assert 35 < row["psnr"].value < 60
    assert row["cc"] > 0.8
    assert 0.9 < row["ssim"] <= 1
    assert row["rmse_strong"] > row["rmse"]          # the error is in the strong field
    assert 0 < row["redegradation_residual"].value < row["rmse"].value
    # per image, then averaged
    hr, lr = real_pairs
    srs = [superresolve(x, method="bicubic") for x in lr]
    assert all(np.array_equal(a, b) for a, b in zip(srs, outputs["bicubic"]))
    assert srs[0].shape == hr[0].shape
    assert row["psnr"].value == pytest.approx(np.mean([metrics.psnr(h, s) for h, s in zip(hr, srs)]))
    assert row["rmse"].value == pytest.approx(np.mean([metrics.rmse(h, s) for h, s in zip(hr, srs)]))
    assert len(table.meta["per_image"]["bicubic"]["cc"]) == 2


@pytest.mark.realdata
def test_evaluate_pairset_and_given_outputs(real_pairs):
    hr, lr = real_pairs
    pairs = PairSet(hr=list(hr), lr=list(lr))
    table = evaluate(pairs, methods={"perfect": hr}, progress=False)
    row = table[0]
    assert row["method"] == "perfect" and row["n_images"] == 2
    assert row["rmse"].value == 0 and row["psnr"].value == np.inf
    assert row["cc"] == pytest.approx(1) and row["ssim"] == pytest.approx(1)
    assert row["redegradation_residual"].value == pytest.approx(0, abs=1e-6)
    # only the active-region crop has pixels above 990 G (max 994 G); none above 5000 G: NaN
    table = evaluate(pairs, methods={"perfect": hr}, strong_threshold=990, progress=False)
    assert table[0]["n_strong"] == 1
    table = evaluate(pairs, methods={"perfect": hr}, strong_threshold=5000, progress=False)
    assert table[0]["n_strong"] == 0 and np.isnan(table[0]["rmse_strong"])


def test_evaluate_errors():
    hr, lr = [np.zeros((16, 16))], [np.zeros((4, 4))]
    with pytest.raises(ValueError, match="HR images"):
        evaluate((hr * 2, lr), progress=False)
    with pytest.raises(TypeError, match="not among the methods"):
        evaluate((hr, lr), methods=("bicubic",), rcan={"weights": "x.pt"}, progress=False)
    with pytest.raises(TypeError, match="PairSet"):
        evaluate(np.zeros(3), progress=False)


# ------------------------------------------------------------------ plotting


def _is_png(path):
    with open(path, "rb") as f:
        return path.stat().st_size > 1000 and f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.realdata
def test_plot_comparison_panel(real_pairs, evaluated, tmp_path):
    from sunpy_sr.visualization import FIELD_LABEL, plot_comparison_panel
    hr, lr = real_pairs
    outputs = evaluated[1]
    path = tmp_path / "panel.png"
    fig = plot_comparison_panel(lr[0], hr[0], {"bicubic": outputs["bicubic"][0]}, vmax=500, path=path, dpi=50)
    assert _is_png(path)
    images = [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]
    assert len(images) == 3                                   # input, target, bicubic
    assert images[0].get_title().startswith("Input (LR), crop 0")
    assert images[1].get_title().startswith("Target (HR), crop 0")
    title = images[2].get_title()
    assert title.startswith("bicubic, crop 0\nPSNR") and "CC" in title
    assert f"{metrics.psnr(hr[0], outputs['bicubic'][0]):.2f} dB" in title
    assert images[0].images[0].get_clim() == (-500, 500)
    assert len(fig.axes) == 4 and fig.axes[-1].get_ylabel() == FIELD_LABEL == r"$B_\mathrm{LOS}$ [G]"
    # two examples: rows input / target / method, one column per example
    fig2 = plot_comparison_panel(lr, hr, outputs, crop_labels=["crop 7", "crop 2"],
                                 path=tmp_path / "panel2.png", dpi=50)
    assert len(fig2.axes) == 3 * 2 + 1
    # every panel, in every row, says which crop it shows
    titles = [ax.get_title() for ax in fig2.axes[:-1]]
    assert all(t.split("\n")[0].endswith((", crop 7", ", crop 2")) for t in titles)
    with pytest.raises(SunpySRError, match="1 crop labels for 2 images"):
        plot_comparison_panel(lr, hr, outputs, crop_labels=["crop 7"])
    assert _is_png(tmp_path / "panel2.png")


@pytest.mark.realdata
def test_plot_scatter_figure(real_pairs, evaluated, tmp_path):
    from sunpy_sr.visualization import plot_scatter_figure
    hr, _ = real_pairs
    outputs = {"bicubic": evaluated[1]["bicubic"], "target": hr}
    path = tmp_path / "scatter.png"
    fig = plot_scatter_figure(hr, outputs, field_range=2000, n_scatter=2000, path=path, dpi=50)
    assert _is_png(path)
    panels = [ax for ax in fig.axes if ax.get_xlabel()]
    assert len(panels) == 3 * 2                               # 3 rows x 2 methods
    assert len(fig.axes) == 3 * 2 + 1                         # + one colour bar for the 2D histograms
    assert fig.axes[-1].get_ylabel() == "pixels per bin"
    for ax in panels:
        assert ax.get_xlabel() == "Target [G]" and ax.get_ylabel().endswith(" [G]")
        assert ax.get_xlim() == (-2000, 2000)
        assert list(ax.get_xticks()) == list(ax.get_yticks()) == [-1000, 0, 1000]   # no crowded labels
    hist, errbar, scatter = panels[0], panels[2], panels[4]   # the first column, top to bottom
    # every row titled: the column, then what the row shows
    assert hist.get_title() == "bicubic\n2D histogram" and hist.images
    assert errbar.get_title() == "bicubic\nmean, std in 100 G bins"
    assert scatter.get_title() == "bicubic\n2000 random pixels"
    # both columns' histograms on one colour scale
    assert hist.images[0].norm is panels[1].images[0].norm
    assert errbar.containers                                  # the error bars
    assert len(scatter.collections[0].get_offsets()) == 2000


# ------------------------------------------------------------------ error budget by |B| band


def test_error_budget_hand_computed():
    target = np.array([[0.0, 100.0], [500.0, -1500.0]])
    output = target + np.array([[1.0, 1.0], [2.0, 4.0]])
    budget = metrics.error_budget(target, output)
    # squared errors 1 + 1 (< 200 G), 4 (200-1000 G), 16 (> 1000 G): total 22
    np.testing.assert_allclose(budget["error_share"], [2 / 22, 4 / 22, 16 / 22])
    np.testing.assert_allclose(budget["pixel_fraction"], [0.5, 0.25, 0.25])
    np.testing.assert_allclose(budget["rmse"].to_value(u.G), [1.0, 2.0, 4.0])
    assert budget["high"][-1] == np.inf * u.G
    # several images pool their pixels; NaN pixels are ignored; Quantity edges
    two = metrics.error_budget([target, np.full((2, 2), np.nan)], [output, output], edges=[200 * u.G])
    np.testing.assert_allclose(two["error_share"], [2 / 22, 20 / 22])
    np.testing.assert_allclose(two["pixel_fraction"], [0.5, 0.5])
    with pytest.raises(ValueError, match="increasing"):
        metrics.error_budget(target, output, edges=(1000, 200))
    with pytest.raises(ValueError, match="2 targets but 1 outputs"):
        metrics.error_budget([target, target], [output])


@pytest.mark.realdata
def test_error_budget_of_bicubic_on_held_out_active_region(sharp_377):
    # The finding behind docs/results.rst: on NOAA 11158 the 200-1000 G pixels
    # (sunspot edges, penumbrae, plage) carry most of bicubic's squared error,
    # the > 1000 G umbrae little of it, although their errors are larger per pixel.
    hr = np.clip(np.asarray(sharp_377.data, dtype=np.float32)[:368, 100:612], -2000, 2000)
    from sunpy_sr.api.pipeline import superresolve
    sr = superresolve(degrade_array(hr), method="bicubic")
    budget = metrics.error_budget(hr, sr)
    quiet, mid, strong = budget["error_share"]
    assert mid > 0.5 and mid > quiet and strong < 0.2
    assert budget["pixel_fraction"][1] < 0.2
    assert budget["rmse"][2] > budget["rmse"][0]


def _flood_fill_elements(b, threshold):
    """An independent count of 4-connected one-polarity regions above ``threshold`` (G)."""
    seen = np.zeros(b.shape, bool)
    areas = []
    for sign in (1, -1):
        mask = np.isfinite(b) & (sign * np.nan_to_num(b) > threshold)
        seen[:] = False
        for start in zip(*np.nonzero(mask)):
            if seen[start]:
                continue
            stack, n = [start], 0
            seen[start] = True
            while stack:
                i, j = stack.pop()
                n += 1
                for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    y, x = i + di, j + dj
                    if 0 <= y < b.shape[0] and 0 <= x < b.shape[1] and mask[y, x] and not seen[y, x]:
                        seen[y, x] = True
                        stack.append((y, x))
            areas.append(n)
    return sorted(areas)


@pytest.mark.parametrize("threshold", [50, 200])
def test_magnetic_elements_match_an_independent_count_on_a_real_cutout(threshold):
    import astropy.units as u

    from sunpy_sr.data import sample
    from sunpy_sr.metrics import magnetic_elements
    m = sample.hmi_active_region()
    b = m.data.astype(np.float64)
    e = magnetic_elements(m.quantity, threshold * u.G)
    assert sorted(e.area.tolist()) == _flood_fill_elements(b, threshold)
    assert e.count > 40
    # polarities and fluxes are consistent with the areas
    assert np.all(np.sign(e.flux) == e.polarity) and np.all(np.abs(e.flux) > threshold * e.area)


def test_magnetic_elements_units_and_bad_thresholds():
    import astropy.units as u

    from sunpy_sr.exceptions import SunpySRError
    from sunpy_sr.metrics import element_statistics, magnetic_elements
    b = np.array([[0.006, 0.0], [0.0, -0.006]]) * u.T  # 60 G and -60 G
    assert magnetic_elements(b, 50 * u.G).count == 2
    assert magnetic_elements(b, 0.007 * u.T).count == 0
    for bad in (-5 * u.G, 0, 3 * u.m, "50 G", float("nan")):
        with pytest.raises(SunpySRError):
            magnetic_elements(b, bad)
    with pytest.raises(SunpySRError, match="shapes differ"):
        element_statistics(np.zeros((3, 3)), np.zeros((3, 4)))
    assert np.isnan(element_statistics(np.zeros((3, 3)), np.zeros((3, 3)))["count_ratio"])


@pytest.fixture(scope="module")
def sample_pair():
    """The one 128x128 crop (and its LR) of the shipped real cutout within 500" of disk centre."""
    from sunpy_sr.core.pairs import PairRecipe, make_pairs
    from sunpy_sr.data import sample
    pairs = make_pairs([sample.HMI_ACTIVE_REGION], PairRecipe(size=128, stride=128), progress=False)
    assert len(pairs) == 1
    return pairs


def test_evaluate_uncertainty_columns_pooled(sample_pair):
    from sunpy_sr.evaluation import UNCERTAINTY_COLUMNS
    from sunpy_sr.metrics.calibration import calibration_statistics
    plain, plain_out = evaluate(sample_pair, methods=("progan",), progress=False, return_outputs=True)
    assert tuple(plain.colnames) == EVALUATE_COLUMNS and "calibration" not in plain.meta
    table, outputs = evaluate(sample_pair, methods=("progan",), progress=False, return_outputs=True,
                              uncertainty=True)
    assert tuple(table.colnames) == EVALUATE_COLUMNS + UNCERTAINTY_COLUMNS
    assert np.array_equal(outputs["progan"][0], plain_out["progan"][0])  # the same SR
    row = table[0]
    assert 0.5 < row["rms_z"] < 2
    assert 0.4 < row["coverage_1"] < 0.95 and row["coverage_1"] < row["coverage_2"] <= 1
    assert np.isfinite(row["nll"]) and np.isfinite(row["nll_constant"])
    # the pooled statistics of the error map superresolve gives
    sr, sigma = superresolve(sample_pair.lr[0], method="progan", uncertainty=True)
    stats = calibration_statistics(sr - sample_pair.hr[0], sigma)
    assert row["rms_z"] == pytest.approx(stats["rms_z"]) and row["nll"] == pytest.approx(stats["nll"])
    assert table.meta["calibration"]["progan"]["n"] == sr.size
    with pytest.raises(ValueError, match="given outputs"):
        evaluate(sample_pair, methods={"given": list(sample_pair.hr)}, uncertainty=True, progress=False)
