"""
Correctness and trust (issue #10, "house"): contracts, most of which the flat layout before #10 broke.

1. units are converted at the boundary (a map in T, kG or mT gives the same field as in G);
2. no pickled code ever runs (weights, checkpoints, ``weights=``) and every ``torch.load`` is
   ``weights_only=True``;
3. errors are the built-in classes callers catch (``ValueError``, ``TypeError``);
4. every ``load_network`` call returns a new module (no shared mutable model);
5. torch's thread count, its denormal flag and the matplotlib backend are the caller's again
   after ``superresolve`` and ``train``, also when they raise;
6. the import graph (core, metrics and io without torch; only the command line imports training;
   cycles and the order of the subpackages: ``tests/test_import_graph.py``);
7. a method registered after import is documented in ``superresolve.__doc__``;
8. the ``realdata`` marker is set automatically (tests/conftest.py);
9. the installed console script runs;
10. the version has one source (sunpy_sr/version.py).

The tests use public names that exist in the old flat layout as well (``sunpy_sr.superresolve``,
``sunpy_sr.degrade``, ``sunpy_sr.weights.load_network``), or fall back to the flat module where the
subpackage is absent (``sunpy_sr.train`` for ``sunpy_sr.training``, ``sunpy_sr.pairs`` for
``sunpy_sr.core.pairs``; the aliases of those old paths are gone since #19), so that they can be run
against a checkout of the commit before #10 (``PYTHONPATH=<checkout>``) and fail there for the
reason they test, not for an import error.
"""
import ast
import importlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
import sunpy.map

import sunpy_sr
from sunpy_sr.data import sample
from sunpy_sr.exceptions import SunpySRError, WeightsError

PACKAGE = Path(sunpy_sr.__file__).parent
REPO = PACKAGE.parent


def _training():
    """`sunpy_sr.training` (``sunpy_sr.train`` in the flat layout before #10)."""
    try:
        return importlib.import_module("sunpy_sr.training")
    except ImportError:
        return importlib.import_module("sunpy_sr.train")


def _pairs():
    """`sunpy_sr.core.pairs` (``sunpy_sr.pairs`` in the flat layout before #10)."""
    try:
        return importlib.import_module("sunpy_sr.core.pairs")
    except ImportError:
        return importlib.import_module("sunpy_sr.pairs")


def _denormals_flushed():
    """`sunpy_sr.inference.state.denormals_flushed` (the same probe where that module is absent)."""
    try:
        from sunpy_sr.inference.state import denormals_flushed
    except ImportError:
        import torch
        return bool((torch.tensor([1e-39], dtype=torch.float32) * 1.0).item() == 0.0)
    return denormals_flushed()


def _in_unit(smap, unit):
    """The same observation with its values converted to ``unit`` (float32) and BUNIT changed."""
    meta = smap.meta.copy()
    meta["bunit"] = u.Unit(unit).to_string("fits")
    data = np.asarray(smap.data, dtype=np.float32) * np.float32(u.G.to(unit))
    return sunpy.map.Map(data.astype(np.float32), meta)


def _relabelled(smap, bunit):
    """The same values with BUNIT set to ``bunit`` (not a field unit, say)."""
    meta = smap.meta.copy()
    meta["bunit"] = bunit
    return sunpy.map.Map(np.asarray(smap.data, dtype=np.float32), meta)


@pytest.fixture(scope="module")
def crop_g():
    """The shipped real HMI cutout (256^2, G)."""
    m = sample.hmi_active_region()
    assert m.data.shape == (256, 256) and m.unit == u.G
    return m


@pytest.fixture(scope="module")
def rcan_g(crop_g):
    return sunpy_sr.superresolve(crop_g, method="rcan")


@pytest.fixture
def small_crop():
    """A 32x32 real HMI crop (G)."""
    m = sample.hmi_active_region()
    return m.submap([112, 112] * u.pix, top_right=[143, 143] * u.pix)


# ------------------------------------------------------------------------------------------ 1. units


@pytest.mark.parametrize("unit", ["kG", "T"])
def test_units_rcan_same_field_in_any_unit(crop_g, rcan_g, unit):
    """Before #10 a map in T was fed to the network as is (1e-4 of its field): 1452 G RMS off."""
    crop = _in_unit(crop_g, unit)
    sr = sunpy_sr.superresolve(crop, method="rcan")
    assert sr.unit == u.Unit(unit)
    assert sr.meta["bunit"] == crop.meta["bunit"]
    in_gauss = sr.data.astype(np.float64) * u.Unit(unit).to(u.G)
    diff = in_gauss - rcan_g.data
    # float32 rounding of the scaled input, through the network: measured 2.6e-5 G RMS, 1.0e-3 G max
    assert np.sqrt(np.nanmean(diff ** 2)) < 1e-3
    np.testing.assert_allclose(in_gauss, rcan_g.data, rtol=1e-5, atol=1e-2)


@pytest.mark.parametrize("unit", ["kG", "T", "mT"])
def test_units_degrade_same_field_in_any_unit(crop_g, unit):
    ref = sunpy_sr.degrade(crop_g)
    lr = sunpy_sr.degrade(_in_unit(crop_g, unit))
    assert lr.unit == u.Unit(unit)
    np.testing.assert_allclose(lr.data * u.Unit(unit).to(u.G), ref.data, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("unit", ["kG", "T"])
def test_units_metrics_in_gauss(crop_g, unit):
    """psnr/rmse/cc of maps in T are those of the same maps in G (rmse in G, PSNR peak 4000 G)."""
    from sunpy_sr import metrics
    out_g = sunpy_sr.superresolve(sunpy_sr.degrade(crop_g), method="bicubic")
    target, output = _in_unit(crop_g, unit), _in_unit(out_g, unit)
    rmse_g, psnr_g = metrics.rmse(crop_g, out_g), metrics.psnr(crop_g, out_g)
    assert rmse_g > 10  # a real error, in G
    assert metrics.rmse(target, output) == pytest.approx(rmse_g, rel=1e-5)
    assert metrics.psnr(target, output) == pytest.approx(psnr_g, abs=1e-4)
    assert metrics.psnr(crop_g, output) == pytest.approx(psnr_g, abs=1e-4)  # mixed units
    assert metrics.pearson_cc(target, output) == pytest.approx(metrics.pearson_cc(crop_g, out_g), abs=1e-6)


NOT_FIELDS = [("DN", r"DN"), ("m/s", r"m ?/ ?s"), ("erg", r"erg")]


@pytest.mark.parametrize(("bunit", "named"), NOT_FIELDS)
def test_not_a_field_unit_is_an_error_naming_it_superresolve(small_crop, bunit, named):
    with pytest.raises(ValueError, match=named) as info:
        sunpy_sr.superresolve(_relabelled(small_crop, bunit), method="bicubic")
    assert isinstance(info.value, SunpySRError)


@pytest.mark.parametrize(("bunit", "named"), NOT_FIELDS)
def test_not_a_field_unit_is_an_error_naming_it_degrade(small_crop, bunit, named):
    with pytest.raises(ValueError, match=named) as info:
        sunpy_sr.degrade(_relabelled(small_crop, bunit))
    assert isinstance(info.value, SunpySRError)


@pytest.mark.parametrize(("bunit", "named"), NOT_FIELDS)
def test_not_a_field_unit_is_an_error_naming_it_metrics(small_crop, bunit, named):
    from sunpy_sr import metrics
    with pytest.raises(ValueError, match=named) as info:
        metrics.psnr(small_crop, _relabelled(small_crop, bunit))
    assert isinstance(info.value, SunpySRError)


# ------------------------------------------------------------------------- 2. no pickled code runs


class _RunsCode:
    """Unpickling this runs ``exec``: it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"import pathlib; pathlib.Path({self.marker!r}).write_text('pickled code ran')",))


@pytest.fixture
def malicious(tmp_path):
    """A checkpoint-shaped file whose pickle would run code on load, and the marker it would write."""
    import torch
    marker = tmp_path / "MARKER"
    path = tmp_path / "checkpoint.pt"
    from sunpy_sr.models.registry import build_model, get_preset
    config = get_preset("rcan-tiny")
    torch.save({"model": build_model(config).state_dict(), "model_config": config,
                "payload": _RunsCode(marker)}, path)
    return path, marker


def test_no_pickled_code_runs(malicious, small_crop, tmp_path):
    from sunpy_sr.weights import load_network, sha256
    path, marker = malicious
    loaders = {
        "load_network": lambda: load_network(path),
        "load_checkpoint": lambda: _training().load_checkpoint(path),
        "superresolve(weights=)": lambda: sunpy_sr.superresolve(small_crop, method="rcan", weights=path),
    }
    for name, load in loaders.items():
        with pytest.raises(WeightsError) as info:
            load()
        assert str(path) in str(info.value) or path.name in str(info.value), name
        assert not marker.exists(), f"{name} ran pickled code"
    # the same payload in a weight file with a .json beside it whose hash matches
    import json
    weights = tmp_path / "net.pt"
    weights.write_bytes(path.read_bytes())
    weights.with_suffix(".json").write_text(json.dumps({"sha256": sha256(weights),
                                                        "model_config": {"arch": "rcan"}}))
    with pytest.raises(WeightsError):
        load_network(weights)
    assert not marker.exists()
    # control: the file does run code when unpickled without weights_only
    import torch
    torch.load(path, weights_only=False)
    assert marker.read_text() == "pickled code ran"


def _calls(tree, module, func):
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == func
                and isinstance(node.func.value, ast.Name) and node.func.value.id == module):
            yield node


def _keyword(call, name):
    kw = [k.value for k in call.keywords if k.arg == name]
    return kw[0].value if kw and isinstance(kw[0], ast.Constant) else "<missing or not a constant>"


def _package_modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


PICKLERS = ("pickle", "dill", "cloudpickle", "joblib")


def test_every_torch_load_is_weights_only():
    bad, n = [], 0
    for path in _package_modules():
        rel = path.relative_to(REPO).as_posix()
        tree = ast.parse(path.read_text(), filename=rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    assert not (a.name == "torch" and a.asname), f"{rel}: torch imported as {a.asname}"
                    assert a.name.split(".")[0] not in PICKLERS, f"{rel} imports {a.name}"
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert not (node.module == "torch" and "load" in [a.name for a in node.names]), \
                    f"{rel}: from torch import load"
                assert node.module.split(".")[0] not in PICKLERS, f"{rel} imports {node.module}"
        calls = list(_calls(tree, "torch", "load"))
        # every mention of torch.load in code is a call this test checks (no ``f = torch.load``)
        mentions = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "load"
                    and isinstance(node.value, ast.Name) and node.value.id == "torch"]
        assert len(mentions) == len(calls), f"{rel}: torch.load used other than as a direct call"
        for call in calls:
            n += 1
            if _keyword(call, "weights_only") is not True:
                bad.append(f"{rel}:{call.lineno}")
        for call in _calls(tree, "np", "load"):
            if _keyword(call, "allow_pickle") is not False:
                bad.append(f"{rel}:{call.lineno} (np.load without allow_pickle=False)")
    assert n >= 1
    assert not bad, f"loads that could unpickle code: {bad}"


# ----------------------------------------------------------------- 3. errors callers catch as usual


def _catch(exc_type, func, *args, **kwargs):
    """Call ``func`` and return the exception ``except exc_type`` catches (fail if none)."""
    try:
        func(*args, **kwargs)
    except exc_type as e:  # the way a caller catches it
        return e
    pytest.fail(f"{func.__name__} raised no {exc_type.__name__}")


def test_all_nan_map_is_a_value_error(small_crop):
    with warnings.catch_warnings():  # sunpy's plot-range scaling: "All-NaN slice encountered"
        warnings.simplefilter("ignore", RuntimeWarning)
        nan_map = sunpy.map.Map(np.full(small_crop.data.shape, np.nan, np.float32), small_crop.meta)
    for func, kw in ((sunpy_sr.superresolve, {"method": "bicubic"}), (sunpy_sr.degrade, {})):
        e = _catch(ValueError, func, nan_map, **kw)
        assert isinstance(e, SunpySRError)
        assert "finite" in str(e) or "NaN" in str(e)


def test_continuum_map_is_a_value_error(shared_data):
    path = shared_data / "other" / "resampled_hmi.fits"
    if not path.exists():
        pytest.skip(f"real data not found at {path}")
    continuum = sunpy.map.Map(path)
    e = _catch(ValueError, sunpy_sr.superresolve, continuum, method="bicubic")
    assert isinstance(e, SunpySRError)
    assert "magnetogram" in str(e)


@pytest.mark.parametrize("bad", [[[1.0, 2.0], [3.0, 4.0]], "hmi.fits", None])
def test_wrong_type_is_a_type_error(bad):
    for func, kw in ((sunpy_sr.superresolve, {"method": "bicubic"}), (sunpy_sr.degrade, {})):
        e = _catch(TypeError, func, bad, **kw)
        assert isinstance(e, SunpySRError)
        assert type(bad).__name__ in str(e)


def test_non_numeric_array_is_a_type_error():
    e = _catch(TypeError, sunpy_sr.superresolve, np.full((16, 16), "x"), method="bicubic")
    assert isinstance(e, SunpySRError)


def test_star_import_exports_everything_in_all():
    """Every name in ``sunpy_sr.__all__`` exists (``from sunpy_sr import *`` works)."""
    missing = [name for name in sunpy_sr.__all__ if not hasattr(sunpy_sr, name)]
    assert not missing, f"sunpy_sr.__all__ names missing attributes: {missing}"
    namespace = {}
    exec("from sunpy_sr import *", namespace)


# --------------------------------------------------------------------------- 4. no shared model


def test_load_network_returns_a_new_module_every_call(small_crop):
    import torch

    from sunpy_sr.weights import load_network
    before = sunpy_sr.superresolve(small_crop, method="rcan")
    a, meta_a = load_network()
    b, meta_b = load_network()
    assert a is not b
    pa, pb = next(a.parameters()), next(b.parameters())
    assert pa is not pb and pa.data_ptr() != pb.data_ptr()
    saved = pa.detach().clone()
    with torch.no_grad():
        pa.add_(1000.0)  # in place, as a careless caller (or fine-tuning) would
    meta_a["model_config"] = "changed"
    assert torch.equal(next(b.parameters()), saved)
    c, meta_c = load_network()
    assert torch.equal(next(c.parameters()), saved)
    assert meta_c["model_config"] != "changed"
    after = sunpy_sr.superresolve(small_crop, method="rcan")
    np.testing.assert_array_equal(after.data, before.data)


# ----------------------------------------------------------------------- 5. global state restored


@pytest.fixture
def unusual_state():
    """Thread count, denormal flag and matplotlib backend set to unusual values; restored afterwards."""
    import matplotlib
    import torch
    saved = (torch.get_num_threads(), _denormals_flushed(), matplotlib.get_backend())
    threads = 1 if saved[0] != 1 else 2
    torch.set_num_threads(threads)
    torch.set_flush_denormal(not _default_denormal_flag())
    matplotlib.use("svg")
    state = (torch.get_num_threads(), _denormals_flushed(), matplotlib.get_backend())
    assert state == (threads, not _default_denormal_flag(), "svg")
    yield state
    torch.set_num_threads(saved[0])
    torch.set_flush_denormal(saved[1])
    matplotlib.use(saved[2])


def _default_denormal_flag():
    """Denormal flushing is off in a fresh Python process."""
    return False


def _state():
    import matplotlib
    import torch
    return torch.get_num_threads(), _denormals_flushed(), matplotlib.get_backend()


def _other_threads(n):
    return 2 if n == 1 else 1


def _rcan_class():
    from sunpy_sr.models.rcan import RCAN
    return RCAN


@pytest.fixture(scope="module")
def tiny_pairs():
    """Four 64x64 HR crops of the real sample cutout (G) and their LR."""
    pairs = _pairs().PairSet()
    data = np.asarray(sample.hmi_active_region().data, dtype=np.float32)
    for r, c in ((0, 0), (0, 64), (64, 0), (64, 64)):
        hr = np.ascontiguousarray(data[r:r + 64, c:c + 64])
        pairs.hr.append(hr)
        pairs.lr.append(sunpy_sr.degrade(hr))
        pairs.source.append("hmi_active_region")
        pairs.origin.append((r, c))
        pairs.date.append("2016-07-07T00:00:00")
    return pairs


def _tiny_config(threads):
    return _training().TrainConfig(preset="rcan-tiny", iterations=3, batch_size=2, patch=8, lr=1e-3,
                                   checkpoint_every=3, validate_every=3, threads=threads, seed=1)


def test_superresolve_restores_global_state(unusual_state, small_crop):
    threads = _other_threads(unusual_state[0])
    sr = sunpy_sr.superresolve(small_crop, method="rcan-fast", threads=threads)
    assert sr.data.shape == (128, 128)
    assert _state() == unusual_state


def test_superresolve_restores_global_state_on_error(unusual_state, small_crop, monkeypatch):
    threads = _other_threads(unusual_state[0])
    inside = []

    def forward(self, x):
        inside.append(_state())
        raise RuntimeError("raised inside the network")
    monkeypatch.setattr(_rcan_class(), "forward", forward)
    with pytest.raises(RuntimeError, match="inside the network"):
        sunpy_sr.superresolve(small_crop, method="rcan-fast", threads=threads)
    assert inside and inside[0][0] == threads  # the call did change the setting
    assert _state() == unusual_state


def test_train_restores_global_state(unusual_state, tiny_pairs, tmp_path):
    threads = _other_threads(unusual_state[0])
    model = _training().train(_tiny_config(threads), tiny_pairs, tmp_path, progress=False)
    assert not model.training
    assert (tmp_path / "training.png").exists()
    assert _state() == unusual_state


def test_train_restores_global_state_on_error(unusual_state, tiny_pairs, tmp_path, monkeypatch):
    threads = _other_threads(unusual_state[0])
    inside = []

    def batch(self, n):
        inside.append(_state())
        raise RuntimeError("raised inside the sampler")
    monkeypatch.setattr(_training().PatchSampler, "batch", batch)
    with pytest.raises(RuntimeError, match="inside the sampler"):
        _training().train(_tiny_config(threads), tiny_pairs, tmp_path, progress=False)
    assert inside and inside[0][:2] == (threads, True)  # train set both, mid-way
    assert _state() == unusual_state


# ----------------------------------------------------------------------------- 6. import graph


_IMPORT_PROBE = """
import json, sys
import sunpy_sr.core, sunpy_sr.core.units, sunpy_sr.core.degradation, sunpy_sr.metrics, sunpy_sr.io
torch_after_core = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
import numpy as np, sunpy_sr, sunpy_sr.api, sunpy_sr.inference, sunpy_sr.methods
sunpy_sr.superresolve(np.zeros((16, 16), np.float32), method="rcan-fast")
training = sorted(m for m in sys.modules if m.startswith(("sunpy_sr.training", "sunpy_sr.train")))
print(json.dumps({"torch_after_core": torch_after_core, "training_after_inference": training}))
"""


@pytest.fixture(scope="module")
def import_probe():
    """What a fresh interpreter imports: core and metrics first, then a super-resolution."""
    out = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, timeout=900,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    import json
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_core_and_metrics_do_not_import_torch(import_probe):
    assert import_probe["torch_after_core"] == []


def test_inference_does_not_import_training_at_run_time(import_probe):
    assert import_probe["training_after_inference"] == []


#: Modules outside sunpy_sr/cli/ and sunpy_sr/training/ allowed to import sunpy_sr.training, and why.
TRAINING_IMPORT_EXCEPTIONS = {}


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def _is_training(name):
    return name in ("sunpy_sr.training", "sunpy_sr.train") or name.startswith("sunpy_sr.training.")


def test_only_the_command_line_imports_training():
    for sub in ("inference", "api", "methods", "core", "training", "cli"):
        assert (PACKAGE / sub / "__init__.py").exists(), f"sunpy_sr.{sub} is not a package"
    offenders, never = [], []
    for path in _package_modules():
        rel = path.relative_to(REPO).as_posix()
        imports = [n for n in _imported_modules(ast.parse(path.read_text(), filename=rel)) if _is_training(n)]
        if not imports:
            continue
        if rel.startswith(("sunpy_sr/inference/", "sunpy_sr/api/", "sunpy_sr/methods/")):
            never.append(f"{rel}: {imports}")
        if rel.startswith(("sunpy_sr/cli/", "sunpy_sr/training/")) or rel in TRAINING_IMPORT_EXCEPTIONS:
            continue
        offenders.append(f"{rel}: {imports}")
    assert not never, f"inference, api and methods must never import training: {never}"
    assert not offenders, f"only sunpy_sr/cli/ may import sunpy_sr.training: {offenders}"


def test_degradation_module_and_degrade_function():
    module = importlib.import_module("sunpy_sr.core.degradation")
    assert type(module).__name__ == "module"
    assert callable(sunpy_sr.degrade) and sunpy_sr.degrade is module.degrade
    assert importlib.import_module("sunpy_sr.api").superresolve is sunpy_sr.superresolve


# -------------------------------------------------------------------- 7. register_method after import


@pytest.fixture
def registered():
    """A method registered after import (nearest neighbour), unregistered at teardown."""
    registry = sys.modules[sunpy_sr.register_method.__module__]
    name = "house-test-nearest"

    @sunpy_sr.register_method(name, scale=4, min_size=1, description="nearest neighbour (a test)")
    def _build(**options):
        return (lambda a: np.repeat(np.repeat(a, 4, axis=0), 4, axis=1)), 0
    yield name
    registry.METHODS.pop(name, None)
    for listener in getattr(registry, "_LISTENERS", []):
        listener()


def test_register_method_after_import_is_documented(registered, small_crop):
    assert registered in sunpy_sr.available_methods()
    listing = re.search(r"Registered: ([^.]*)\.", sunpy_sr.superresolve.__doc__)
    assert listing, "superresolve.__doc__ has no 'Registered:' listing"
    assert registered in [m.strip() for m in listing.group(1).replace("\n", " ").split(",")]
    for name in sunpy_sr.available_methods():
        assert name in listing.group(1)
    sr = sunpy_sr.superresolve(small_crop, method=registered)
    np.testing.assert_array_equal(sr.data[::4, ::4], np.asarray(small_crop.data, np.float32))


def test_unregistered_method_leaves_the_docstring(registered):
    registry = sys.modules[sunpy_sr.register_method.__module__]
    assert registered in sunpy_sr.superresolve.__doc__
    registry.METHODS.pop(registered)
    for listener in getattr(registry, "_LISTENERS", []):
        listener()
    assert registered not in sunpy_sr.superresolve.__doc__
    assert "Registered: " + ", ".join(sunpy_sr.available_methods()) in sunpy_sr.superresolve.__doc__


# ------------------------------------------------------------------------- 8. the realdata marker


def test_realdata_marker_is_automatic(request):
    """This test asks for no real data: not marked. Those using the shared-data fixtures are."""
    assert request.node.get_closest_marker("realdata") is None
    conftest = sys.modules.get("conftest")
    assert conftest is not None and hasattr(conftest, "REALDATA_FIXTURES")
    assert {"shared_data", "fulldisk_2011", "fulldisk_2016", "sharp_377"} <= set(conftest.REALDATA_FIXTURES)


def test_realdata_marker_set_on_fixture_users(shared_data, request):
    assert request.node.get_closest_marker("realdata") is not None


# ------------------------------------------------------------------------ 9. the console script


def test_console_script_runs():
    """The installed ``sunpy-sr`` script itself (the other CLI tests call ``main`` in-process)."""
    exe = shutil.which("sunpy-sr", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                         os.environ.get("PATH", "")]))
    assert exe, "the sunpy-sr console script is not installed (pip install -e .)"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=900,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"sunpy-sr {sunpy_sr.__version__}"


# --------------------------------------------------------------------- 10. one source of the version


def test_version_has_one_source():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")

    from sunpy_sr import version
    assert sunpy_sr.__version__ == version.version
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sunpy_sr.version.version"}
    literal = re.compile(r"""^\s*(__version__|version|release)\s*[=:]\s*["']?\d+\.\d+""", re.M)
    files = [*_package_modules(), REPO / "setup.cfg", REPO / "docs" / "conf.py", REPO / "CITATION.cff"]
    defined = [p.relative_to(REPO).as_posix() for p in files if p.exists() and literal.search(p.read_text())]
    assert defined == ["sunpy_sr/version.py"]
