"""Every public option is checked at the door: a bad value is a SunpySRError / SunpySRTypeError naming it."""
import os
import warnings
from pathlib import Path

import astropy.units as u
import matplotlib
import numpy as np
import pytest
import sunpy.map

import sunpy_sr
from sunpy_sr.api import prepare_method
from sunpy_sr.data import sample
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError, SunpySRUserWarning

matplotlib.use("Agg")

MDI = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mdi",
                   "mdi.fd_M_96m_lev182.20101015_000000_TAI.data.fits")


@pytest.fixture(scope="module")
def small():
    """A 32 x 32 px crop of the real HMI sample."""
    hmi = sample.hmi_active_region()
    return hmi.submap([0, 0] * u.pix, top_right=[31, 31] * u.pix)


def _raises(call, *words):
    """``call()`` raises one of the package's errors, also a ValueError/TypeError, naming one of ``words``."""
    with pytest.raises((SunpySRError, SunpySRTypeError)) as info:
        call()
    assert isinstance(info.value, (ValueError, TypeError))
    message = str(info.value)
    assert any(w in message for w in words), f"{message!r} names none of {words}"
    return info.value


# (option, value, how it is allowed to be named in the message)
CALL_OPTIONS = [
    ("tile_size", 0, None), ("tile_size", -5, None), ("tile_size", 2.5, None), ("tile_size", "big", None),
    ("tile_size", True, None),
    ("threads", 0, None), ("threads", -1, None), ("threads", 1.5, None), ("threads", "two", None),
    ("tile_workers", 0, None), ("tile_workers", -2, None), ("tile_workers", 1.5, None),
    ("tile_workers", None, None),
    ("progress", "yes", None), ("progress", 2, None),
    ("assume_magnetogram", "no", None),
    ("uncertainty", "bogus", None), ("uncertainty", 2, None),
]

METHOD_OPTIONS = [
    ("dtype", "float16", None), ("dtype", np.float32, None),
    ("tile_batch", 0, None), ("tile_batch", -4, None), ("tile_batch", 2.5, None), ("tile_batch", "big", None),
    ("tile_batch", True, None), ("tile_batch", None, None),
    ("device", "tpu", None), ("device", 3, None),
    ("ensemble", "maybe", None), ("ensemble", 1.0, None),
    ("consistent", "sometimes", None), ("consistent", 2.5, None),
    ("weights", 3, None),
    ("colour", "blue", None),
]


@pytest.mark.parametrize("option, value, _", CALL_OPTIONS, ids=[f"{o}={v!r}" for o, v, _ in CALL_OPTIONS])
@pytest.mark.parametrize("method", ["bicubic", "rcan-fast"])
def test_superresolve_bad_call_option(small, method, option, value, _):
    _raises(lambda: sunpy_sr.superresolve(small, method=method, **{option: value}), option, repr(value))


@pytest.mark.parametrize("option, value, _", METHOD_OPTIONS, ids=[f"{o}={v!r}" for o, v, _ in METHOD_OPTIONS])
def test_superresolve_bad_method_option(small, option, value, _):
    _raises(lambda: sunpy_sr.superresolve(small, method="rcan-fast", **{option: value}), option, repr(value))


@pytest.mark.parametrize("option, value, _", METHOD_OPTIONS + [("uncertainty", "bogus", None)],
                         ids=[f"{o}={v!r}" for o, v, _ in METHOD_OPTIONS + [("uncertainty", "bogus", None)]])
def test_prepare_method_fails_before_the_network_loads(monkeypatch, option, value, _):
    import sunpy_sr.weights

    def no_load(*args, **kwargs):
        raise AssertionError("the network was loaded before the options were checked")
    monkeypatch.setattr(sunpy_sr.weights, "load_network", no_load)
    _raises(lambda: prepare_method("rcan-fast", **{option: value}), option, repr(value))


@pytest.mark.parametrize("option, value", [("dtype", "float16"), ("ensemble", "maybe"),
                                           ("consistent", "sometimes"), ("device", "tpu")])
def test_prepare_classical_bad_option(option, value):
    # bicubic takes only 'consistent'; any other option, good or bad, is an error at the door
    _raises(lambda: prepare_method("bicubic", **{option: value}), option, repr(value))


@pytest.mark.parametrize("method", [3, None, "nope", ["bicubic"]])
def test_bad_method(small, method):
    _raises(lambda: sunpy_sr.superresolve(small, method=method), "method", repr(method))
    _raises(lambda: prepare_method(method), "method", repr(method))


@pytest.mark.parametrize("out, word", [
    (np.empty((10, 10), np.float32), "shape"),
    (np.empty((128, 128), np.float64), "float32"),
    (np.empty((128, 128), np.int32), "float32"),
    ([[0.0]], "out"),
    (np.empty((128, 128, 1), np.float32), "shape"),
])
@pytest.mark.parametrize("method", ["bicubic", "rcan-fast"])
def test_bad_out(small, method, out, word):
    _raises(lambda: sunpy_sr.superresolve(small, method=method, out=out), word)


def test_good_out_still_works(small):
    out = np.empty((128, 128), np.float32)
    sr = sunpy_sr.superresolve(small, method="bicubic", out=out)
    assert np.shares_memory(sr.data, out) or np.array_equal(sr.data, out)


def test_good_options_still_work(small):
    sr = sunpy_sr.superresolve(small, method="bicubic", tile_size=16, threads=1, tile_workers=2,
                               progress=np.bool_(False))
    assert sr.data.shape == (128, 128)
    whole = sunpy_sr.superresolve(small, method="bicubic", tile_size=None, threads=np.int64(1))
    np.testing.assert_allclose(sr.data, whole.data, atol=1e-4)


DEGRADE_OPTIONS = [
    ("factor", 0), ("factor", -4), ("factor", 2.5), ("factor", "4"), ("factor", None),
    ("method", "nope"), ("method", 3),
    ("sigma", -1), ("sigma", 0), ("sigma", "wide"), ("sigma", np.nan),
    ("kernel_size", 4), ("kernel_size", 0), ("kernel_size", 2.5), ("kernel_size", "5"),
]


@pytest.mark.parametrize("option, value", DEGRADE_OPTIONS, ids=[f"{o}={v!r}" for o, v in DEGRADE_OPTIONS])
@pytest.mark.parametrize("kind", ["map", "array"])
def test_degrade_bad_option(small, kind, option, value):
    x = small if kind == "map" else np.asarray(small.data, dtype=np.float32)
    _raises(lambda: sunpy_sr.degrade(x, **{option: value}), option, repr(value))


def test_degrade_good_options(small):
    assert sunpy_sr.degrade(small, factor=np.int64(2), sigma=1, kernel_size=3).data.shape == (16, 16)
    assert sunpy_sr.degrade(small, factor=4.0, method="bin").data.shape == (8, 8)


# --- inputs the networks were not trained for --------------------------------------------------------

def test_rescaled_map_warns(small):
    coarse = small.superpixel([2, 2] * u.pix)  # 1.0"/px
    with pytest.warns(SunpySRUserWarning, match=r"0\.504.*validated") as record:
        sunpy_sr.superresolve(coarse, method="rcan-fast")
    assert any("1.0" in str(w.message) for w in record)


def test_hmi_scale_does_not_warn(small):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SunpySRUserWarning)
        sunpy_sr.superresolve(small, method="bicubic")


def test_rescaled_map_assume_magnetogram_is_silent(small):
    coarse = small.superpixel([2, 2] * u.pix)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SunpySRUserWarning)
        sunpy_sr.superresolve(coarse, method="bicubic", assume_magnetogram=True)


@pytest.mark.skipif(not os.path.exists(MDI), reason="the shared data folder is absent")
def test_mdi_map_warns_on_its_scale():
    mdi = sunpy.map.Map(MDI)
    part = mdi.submap([512, 512] * u.pix, top_right=[543, 543] * u.pix)
    with pytest.warns(SunpySRUserWarning) as record:
        sunpy_sr.superresolve(part, method="rcan-fast")
    messages = [str(w.message) for w in record]
    assert any("1.98" in m and "0.504" in m for m in messages), messages
    assert any("SDO/HMI" in m for m in messages), messages  # the instrument warning stays


def test_super_resolving_twice_warns(small):
    sr = sunpy_sr.superresolve(small, method="bicubic")
    with pytest.warns(SunpySRUserWarning) as record:
        sunpy_sr.superresolve(sr, method="rcan-fast")
    messages = [str(w.message) for w in record]
    assert any("already" in m and "bicubic" in m and "trained" in m for m in messages), messages
    with warnings.catch_warnings():  # bicubic again: nothing it was trained for
        warnings.simplefilter("error", SunpySRUserWarning)
        sunpy_sr.superresolve(sr, method="bicubic")


# --- a super-resolved map says so ----------------------------------------------------------------

def test_plot_title_names_the_method(small):
    import matplotlib.pyplot as plt
    sr = sunpy_sr.superresolve(small, method="rcan-fast")
    assert "rcan-fast" in sr.plot_settings["title"]
    assert small.name in sr.plot_settings["title"]
    assert "title" not in small.plot_settings or "rcan-fast" not in small.plot_settings["title"]
    fig = plt.figure()
    try:
        ax = fig.add_subplot(projection=sr)
        sr.plot(axes=ax)
        assert "rcan-fast" in ax.get_title()
    finally:
        plt.close(fig)
    assert sr.meta["srmethod"] == "rcan-fast"
    # degraded again, the map is no longer the super-resolved one: the title goes with it
    lr = sunpy_sr.degrade(sr)
    assert "rcan-fast" not in lr.plot_settings.get("title", "")


# --- warnings: at their cause, at the caller's line, from one helper ---------------------------

def test_warnings_arrive_while_the_work_runs_and_point_at_the_caller(small):
    """A warning raised before the method runs is seen before it runs (not replayed at the end)."""
    from sunpy_sr.methods import register_method, unregister_method
    other = sunpy.map.Map(np.asarray(small.data), dict(small.meta, instrume="MDI", telescop="SOHO"))
    seen_while_running = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        @register_method("door-test-warn", scale=4, min_size=1, is_network=True, description="a test")
        def _build(**options):
            def run(a):
                seen_while_running.append(len(caught))
                return np.repeat(np.repeat(a, 4, axis=0), 4, axis=1)
            return run, 0
        try:
            sunpy_sr.superresolve(other, method="door-test-warn", tile_size=None)
        finally:
            unregister_method("door-test-warn")
    ours = [w for w in caught if issubclass(w.category, SunpySRUserWarning)]
    assert any("SDO/HMI" in str(w.message) for w in ours)
    assert seen_while_running and seen_while_running[0] >= 1
    assert {w.filename for w in ours} == {__file__}


def test_every_warning_of_the_package_goes_through_warn_user():
    package = Path(sunpy_sr.__file__).parent
    direct = [f"{p.relative_to(package)}:{i}" for p in sorted(package.rglob("*.py"))
              if p.name != "exceptions.py"
              for i, line in enumerate(p.read_text().splitlines(), 1) if "warnings.warn(" in line]
    assert not direct, f"warn with sunpy_sr.exceptions.warn_user: {direct}"


def test_warn_user_points_past_the_package_and_the_dispatch():
    from sunpy_sr.exceptions import warn_user
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_user("here")
    assert caught[0].filename == __file__ and caught[0].category is SunpySRUserWarning
    with pytest.warns(SunpySRUserWarning) as record:  # raised in core, below the singledispatch of degrade
        sunpy_sr.degrade(sample.hmi_active_region().submap([0, 0] * u.pix, top_right=[29, 29] * u.pix))
    assert record[0].filename == __file__ and "cropping" in str(record[0].message)
