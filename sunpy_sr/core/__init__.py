"""
The numerical core: units, header/WCS arithmetic, validation, degradation (and its registry), grid
helpers, the cube plane loop and pairs.

Depends on numpy, astropy, sunpy and ndcube only, never on torch (a test checks it), so that
everything here can be used, and tested, without a deep-learning stack.
"""
from sunpy_sr.core.degradation import degrade, degrade_array, gaussian_kernel
from sunpy_sr.core.grid import SYMMETRIES, apply_symmetry, block_mean, restore_nan, undo_symmetry
from sunpy_sr.core.header import add_provenance, rescale_meta
from sunpy_sr.core.operators import (
    Degradation,
    degradation_methods,
    get_degradation,
    register_degradation,
    unregister_degradation,
)
from sunpy_sr.core.units import FIELD_UNIT, from_gauss, to_gauss, validate_field_unit
from sunpy_sr.core.validation import validate_input

__all__ = ["degrade", "degrade_array", "gaussian_kernel", "SYMMETRIES", "apply_symmetry",
           "undo_symmetry", "block_mean", "restore_nan", "add_provenance",
           "rescale_meta", "FIELD_UNIT",
           "to_gauss", "from_gauss", "validate_field_unit", "validate_input",
           "Degradation", "degradation_methods", "get_degradation", "register_degradation",
           "unregister_degradation"]
