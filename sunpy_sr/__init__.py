"""
sunpy_sr: 4x super-resolution of SDO/HMI line-of-sight magnetograms with deep networks.

>>> import sunpy_sr
>>> sr_map = sunpy_sr.superresolve(hmi_map, method="rcan")  # doctest: +SKIP
"""
from sunpy_sr.version import version as __version__

from sunpy_sr import metrics  # noqa: E402
from sunpy_sr.core.degradation import degrade  # noqa: E402
from sunpy_sr.exceptions import (SunpySRError, SunpySRTypeError, SunpySRUserWarning, SunpySRWarning,  # noqa: E402
                                 WeightsError)
from sunpy_sr.methods import available_methods, register_method  # noqa: E402
from sunpy_sr.api.superresolve import superresolve  # noqa: E402


def __getattr__(name):
    # `compare_maps` is imported on first use (it brings reproject and the comparison figures),
    # and is the real function: help(sunpy_sr.compare_maps) shows its parameters.
    if name == "compare_maps":
        from sunpy_sr.compare import compare_maps
        return compare_maps
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__citation__ = """@ARTICLE{2020ApJ...897L..32R,
  author = {Rahman, Sumiaya and Moon, Yong-Jae and Park, Eunsu and Siddique, Ashraf and
            Cho, Il-Hyun and Lim, Daye},
  title = "{Super-resolution of SDO/HMI Magnetograms Using Novel Deep Learning Methods}",
  journal = {ApJL}, year = 2020, volume = 897, number = 2, eid = {L32},
  doi = {10.3847/2041-8213/ab9d79}}"""

__all__ = ["superresolve", "degrade", "compare_maps", "metrics", "available_methods",
           "register_method", "SunpySRError", "SunpySRTypeError", "SunpySRWarning", "SunpySRUserWarning",
           "WeightsError", "__version__", "__citation__"]
