"""
Writing files: one atomic writer (`atomic_write`) for every output of the package.

Light to import (standard library only), so the command line can use it before numpy,
astropy or torch are loaded.
"""
from sunpy_sr.io.atomic import atomic_write

__all__ = ["atomic_write"]
