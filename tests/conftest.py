"""
Shared fixtures: the real data folder beside the repository, and small maps.

Every test that uses a fixture reading ``../shared/data`` (directly or through another fixture)
is marked ``realdata`` automatically, so ``python -m pytest -m "not realdata"`` runs the rest.
"""
import inspect
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

#: ../shared/data beside the repository root (absent on a plain install: tests skip).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FULLDISK_2011 = SHARED_DATA / "hmi" / "fulldisk" / "hmi.m_720s.20111217_060000_TAI.magnetogram.fits"
FULLDISK_2016 = SHARED_DATA / "hmi" / "fulldisk" / "hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
SHARP_377 = SHARED_DATA / "hmi" / "sharp" / "hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"


def _need(path):
    if not path.exists():
        pytest.skip(f"real data not found at {path} (../shared/data beside the repository)")
    return path


@pytest.fixture(scope="session")
def shared_data():
    return _need(SHARED_DATA)


@pytest.fixture(scope="session")
def fulldisk_2016():
    import sunpy.map
    return sunpy.map.Map(_need(FULLDISK_2016))


@pytest.fixture(scope="session")
def fulldisk_2011():
    import sunpy.map
    return sunpy.map.Map(_need(FULLDISK_2011))


@pytest.fixture(scope="session")
def sharp_377():
    import sunpy.map
    return sunpy.map.Map(_need(SHARP_377))


@pytest.fixture(scope="session")
def real_pairs():
    """Four 128x128 HR crops of the shipped real cutouts (HMI, 2016-07-07) and their LR:
    the training pairs of the tiny training runs in the tests."""
    import numpy as np

    from sunpy_sr.core.degradation import degrade_array
    from sunpy_sr.core.pairs import PairSet, to_level15
    from sunpy_sr.data import sample
    pairs = PairSet()
    for m in (sample.hmi_active_region(), sample.hmi_limb()):
        d = np.clip(to_level15(m).data.astype(np.float32), -2000, 2000)
        for r, c in ((0, 0), (128, 128)):
            hr = d[r:r + 128, c:c + 128]
            if np.isfinite(hr).all():
                pairs.hr.append(hr)
                pairs.lr.append(degrade_array(hr))
                pairs.source.append(m.meta["origfile"])
                pairs.origin.append((r, c))
                pairs.date.append(m.date.isot)
    assert len(pairs) >= 3
    return pairs


@pytest.fixture
def sample_map():
    from sunpy_sr.data import sample
    return sample.hmi_active_region()


@pytest.fixture
def limb_map():
    from sunpy_sr.data import sample
    return sample.hmi_limb()


# ------------------------------------------------------------------------ the realdata marker

#: The fixtures above that read ../shared/data.
REALDATA_FIXTURES = frozenset({"shared_data", "fulldisk_2011", "fulldisk_2016", "sharp_377"})
#: Names whose use in a test module's own fixture means it reads ../shared/data as well
#: (e.g. ``from conftest import FULLDISK_2016``, or ``Path(...).parents[2] / "shared" / "data"``).
_SHARED_DATA_NAMES = ("SHARED_DATA", "FULLDISK_2011", "FULLDISK_2016", "SHARP_377", '"shared"')
_reads_cache = {}


def _reads_shared_data(fixturedef):
    func = fixturedef.func
    if func not in _reads_cache:
        try:
            source = inspect.getsource(func)
        except (OSError, TypeError):
            source = ""
        _reads_cache[func] = any(name in source for name in _SHARED_DATA_NAMES)
    return _reads_cache[func]


def pytest_collection_modifyitems(config, items):
    """Mark ``realdata`` every test whose fixture closure reads ../shared/data."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None or item.get_closest_marker("realdata") is not None:
            continue
        if set(item.fixturenames) & REALDATA_FIXTURES or any(
                _reads_shared_data(d) for defs in info.name2fixturedefs.values() for d in defs):
            item.add_marker(pytest.mark.realdata)


def trained_like(model, seed=1):
    """``model`` with every parameter perturbed (a new network's biases are small), in eval mode."""
    import torch
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.02 * torch.randn_like(p))
    return model.eval()
