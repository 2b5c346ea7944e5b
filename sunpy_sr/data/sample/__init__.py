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
    """
    The near-disk-centre cutout as an `~sunpy.map.sources.HMIMap`.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.data.sample import HMI_ACTIVE_REGION, hmi_active_region
    >>> hmi = hmi_active_region()                  # read from the file HMI_ACTIVE_REGION
    >>> HMI_ACTIVE_REGION.name, hmi.data.shape, str(hmi.unit), hmi.date.isot
    ('hmi_active_region.fits.gz', (256, 256), 'G', '2016-07-07T00:58:47.300')
    >>> round(float(np.abs(hmi.data).max()))       # strongest field, G
    996
    """
    return sunpy.map.Map(HMI_ACTIVE_REGION)


def hmi_limb():
    """
    The limb cutout (NaN off the disk) as an `~sunpy.map.sources.HMIMap`.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.data.sample import HMI_LIMB, hmi_limb
    >>> limb = hmi_limb()                          # read from the file HMI_LIMB
    >>> HMI_LIMB.name, limb.data.shape, str(limb.unit)
    ('hmi_limb.fits.gz', (256, 256), 'G')
    >>> round(float(np.isnan(limb.data).mean()), 2)   # fraction of pixels off the disk (NaN)
    0.15
    """
    return sunpy.map.Map(HMI_LIMB)
