"""Old import path, kept so that existing scripts work: use `sunpy_sr.visualization`."""
from sunpy_sr.visualization import *  # noqa: F401,F403
from sunpy_sr.visualization import __all__  # noqa: F401
