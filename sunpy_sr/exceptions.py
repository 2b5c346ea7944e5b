"""Errors and warnings of sunpy_sr.

Following aiapy and sunpy, the package raises and warns with its own classes so
that callers can filter them precisely (``warnings.simplefilter("ignore",
SunpySRWarning)``) without silencing astropy or sunpy. The errors are also the
built-in classes a Python caller expects: bad input values are a `ValueError`
(`SunpySRError`), input of the wrong type a `TypeError` (`SunpySRTypeError`), so
``except ValueError`` catches them as it would catch numpy's.
"""
from astropy.utils.exceptions import AstropyUserWarning, AstropyWarning

__all__ = ["SunpySRError", "SunpySRTypeError", "SunpySRWarning", "SunpySRUserWarning", "WeightsError"]


class SunpySRError(ValueError):
    """An error raised by sunpy_sr for input it cannot process correctly (also a `ValueError`)."""


class SunpySRTypeError(SunpySRError, TypeError):
    """Input of a type sunpy_sr does not accept (also a `TypeError`)."""


class WeightsError(SunpySRError):
    """A weight file is missing, corrupt, unsafe, or does not match its architecture."""


class SunpySRWarning(AstropyWarning):
    """Base class of every warning sunpy_sr emits."""


class SunpySRUserWarning(SunpySRWarning, AstropyUserWarning):
    """A warning about input that was processed, but maybe not as the caller expects."""
