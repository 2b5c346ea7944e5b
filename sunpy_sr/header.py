"""Old import path, kept so that existing scripts work: use `sunpy_sr.core.header`."""
from sunpy_sr.core.header import *  # noqa: F401,F403
from sunpy_sr.core.header import __all__  # noqa: F401
