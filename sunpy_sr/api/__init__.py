"""The public entry point: `superresolve` and the dispatch on the input's container."""
from sunpy_sr.api.superresolve import DEFAULT_METHOD, FILL_VALUE, superresolve

__all__ = ["superresolve", "DEFAULT_METHOD", "FILL_VALUE"]
