"""
sunpy_sr: 4x super-resolution of SDO/HMI line-of-sight magnetograms with deep networks.

>>> import sunpy_sr
>>> from sunpy_sr.data import sample
>>> sr_map = sunpy_sr.superresolve(sample.hmi_active_region(), method="rcan-fast")
>>> sr_map.data.shape
(1024, 1024)

The public names are imported on first use (PEP 562), so that importing a light
submodule (``sunpy_sr.cli``: ``sunpy-sr --help`` must answer at once) does not
import torch, sunpy.map or astropy.
"""
import importlib

from sunpy_sr.version import version as __version__

#: public name -> the module that defines it
_LAZY = {
    "metrics": "sunpy_sr.metrics",
    "degrade": "sunpy_sr.core.degradation",
    "SunpySRError": "sunpy_sr.exceptions",
    "SunpySRTypeError": "sunpy_sr.exceptions",
    "SunpySRUserWarning": "sunpy_sr.exceptions",
    "SunpySRWarning": "sunpy_sr.exceptions",
    "WeightsError": "sunpy_sr.exceptions",
    "available_methods": "sunpy_sr.methods",
    "register_method": "sunpy_sr.methods",
    "superresolve": "sunpy_sr.api.pipeline",
    # FITS with the map's uncertainty (sunpy's Map.save drops it); light: numpy etc. load on call
    "save": "sunpy_sr.io.fits",
    "load": "sunpy_sr.io.fits",
    # brings reproject and the comparison figures; the real function, so help() shows its parameters
    "compare_maps": "sunpy_sr.compare",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if module.__name__ == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__citation__ = """@ARTICLE{2020ApJ...897L..32R,
  author = {Rahman, Sumiaya and Moon, Yong-Jae and Park, Eunsu and Siddique, Ashraf and
            Cho, Il-Hyun and Lim, Daye},
  title = "{Super-resolution of SDO/HMI Magnetograms Using Novel Deep Learning Methods}",
  journal = {ApJL}, year = 2020, volume = 897, number = 2, eid = {L32},
  doi = {10.3847/2041-8213/ab9d79}}"""

__all__ = ["superresolve", "save", "load", "degrade", "compare_maps", "metrics", "available_methods",
           "register_method", "SunpySRError", "SunpySRTypeError", "SunpySRWarning", "SunpySRUserWarning",
           "WeightsError", "__version__", "__citation__"]
