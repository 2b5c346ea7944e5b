"""The public entry point: `superresolve`, the dispatch on the input's container, and prepared methods."""
from sunpy_sr.api.pipeline import DEFAULT_METHOD, PreparedMethod, prepare_method, superresolve

__all__ = ["superresolve", "prepare_method", "PreparedMethod", "DEFAULT_METHOD"]
