"""
Small real HMI cutouts shipped with the package (about 230 kB in all).

Both are 256x256-pixel cutouts of the SDO/HMI LOS magnetogram ``hmi.M_720s``
at T_REC = 2016.07.07_01:00:00_TAI, level 1 (CROTA2 = 180.01 deg), 0.504"/px,
in gauss, cut by ``tools/make_sample_data.py``; the source file, JSOC series
and pixel range are in each header (``ORIGFILE``, ``ORIGSER``, ``ORIGPIX``).
This observation is the project's *validation* disk: it was never used to train
the bundled networks. See ``README.rst`` in this folder.
"""
from pathlib import Path

import sunpy.map

__all__ = ["HMI_ACTIVE_REGION", "HMI_LIMB", "hmi_active_region", "hmi_limb"]

_HERE = Path(__file__).parent
#: Path of a cutout near disk centre (centred at about (+435", -301")) with plage and pores.
HMI_ACTIVE_REGION = _HERE / "hmi_active_region.fits.gz"
#: Path of a cutout across the west limb (15 % of the pixels are NaN, off the disk).
HMI_LIMB = _HERE / "hmi_limb.fits.gz"


def hmi_active_region():
    """The near-disk-centre cutout as an `~sunpy.map.sources.HMIMap`."""
    return sunpy.map.Map(HMI_ACTIVE_REGION)


def hmi_limb():
    """The limb cutout (NaN off the disk) as an `~sunpy.map.sources.HMIMap`."""
    return sunpy.map.Map(HMI_LIMB)
