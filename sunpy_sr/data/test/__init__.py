"""
A small real HMI cutout shipped for the tests and examples of `sunpy_sr.compare` (157 kB).

A 224x352-pixel cutout of the SDO/HMI LOS magnetogram ``hmi.M_720s`` at
T_REC = 2011.12.17_06:00:00_TAI, level 1 (CROTA2 = 180.01 deg), 0.504"/px, in
gauss, centred at (-207", +225"): an active region with a negative spot (down to
-1.59 kG), pores and positive plage. Cut by ``tools/make_sample_data.py``; the
source file, JSOC series and pixel range are in its header (``T_REC``,
``ORIGFILE``, ``ORIGSER``, ``ORIGPIX``). The 2011-12-17 disk is the one the
bundled networks were trained on: use the cutout to exercise the comparison
machinery without ``../shared/data``, not to validate a network (the sample data
in `sunpy_sr.data.sample` come from the validation disk). See ``README.rst`` in
this folder.
"""
from pathlib import Path

import sunpy.map

__all__ = ["HMI_AR_20111217", "hmi_ar_20111217"]

_HERE = Path(__file__).parent
#: Path of the active-region cutout of 2011-12-17 06:00 TAI (224x352 px, gauss).
HMI_AR_20111217 = _HERE / "hmi_ar_20111217.fits.gz"


def hmi_ar_20111217():
    """The active-region cutout of 2011-12-17 06:00 TAI as an `~sunpy.map.sources.HMIMap`."""
    return sunpy.map.Map(HMI_AR_20111217)
