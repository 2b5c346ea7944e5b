"""Old import path, kept so that existing scripts work: use `sunpy_sr.core.pairs`."""
from sunpy_sr.core.pairs import *  # noqa: F401,F403
from sunpy_sr.core.pairs import __all__  # noqa: F401
