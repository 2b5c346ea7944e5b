"""Old import path, kept so that existing scripts work: use `sunpy_sr.training`."""
from sunpy_sr.training import *  # noqa: F401,F403
from sunpy_sr.training import __all__  # noqa: F401
