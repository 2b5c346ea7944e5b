"""Errors and warnings of sunpy_sr.

Following aiapy and sunpy, the package raises and warns with its own classes so
that callers can filter them precisely (``warnings.simplefilter("ignore",
SunpySRWarning)``) without silencing astropy or sunpy.
"""
from astropy.utils.exceptions import AstropyUserWarning, AstropyWarning

__all__ = ["SunpySRError", "SunpySRWarning", "SunpySRUserWarning", "WeightsError"]


class SunpySRError(Exception):
    """An error raised by sunpy_sr for input it cannot process correctly."""


class WeightsError(SunpySRError):
    """A weight file is missing, corrupt, or does not match its architecture."""


class SunpySRWarning(AstropyWarning):
    """Base class of every warning sunpy_sr emits."""


class SunpySRUserWarning(SunpySRWarning, AstropyUserWarning):
    """A warning about input that was processed, but maybe not as the caller expects."""
