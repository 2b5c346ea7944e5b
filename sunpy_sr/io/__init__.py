"""
Writing files: one atomic writer (`atomic_write`) for every output of the package, and FITS
files that keep a map's uncertainty and mask (`save`, `load`; sunpy's ``Map.save`` drops them),
and the provenance keywords of a super-resolved map (`PROVENANCE_KEYS`, `name_super_resolved`).

Light to import (standard library only), so the command line can use it before numpy,
astropy or torch are loaded: `save` and `load` import them when called.
"""
from sunpy_sr.io.atomic import atomic_write
from sunpy_sr.io.fits import load, save
from sunpy_sr.io.provenance import PROVENANCE_KEYS, name_super_resolved

__all__ = ["atomic_write", "save", "load", "PROVENANCE_KEYS", "name_super_resolved"]
