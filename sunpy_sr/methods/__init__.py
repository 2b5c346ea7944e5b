"""
The methods behind ``superresolve(..., method=...)``: a registry (`sunpy_sr.methods.registry`),
classical methods (`~sunpy_sr.methods.classical`) and networks built from the weight
catalogue (`~sunpy_sr.methods.networks`).
"""
from sunpy_sr.methods import classical, networks  # noqa: F401  (they register themselves)
from sunpy_sr.methods.registry import (
    Method,
    add_registry_listener,
    available_methods,
    get_method,
    register_method,
    remove_registry_listener,
    unregister_method,
)

__all__ = ["Method", "available_methods", "get_method", "register_method", "unregister_method",
           "add_registry_listener", "remove_registry_listener"]
