"""Shared fixtures: the real data folder beside the repository, and small maps."""
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


@pytest.fixture
def sample_map():
    from sunpy_sr.data import sample
    return sample.hmi_active_region()


@pytest.fixture
def limb_map():
    from sunpy_sr.data import sample
    return sample.hmi_limb()
