"""Errors and warnings of sunpy_sr.

Following aiapy and sunpy, the package raises and warns with its own classes so
that callers can filter them precisely (``warnings.simplefilter("ignore",
SunpySRWarning)``) without silencing astropy or sunpy. The errors are also the
built-in classes a Python caller expects: bad input values are a `ValueError`
(`SunpySRError`), input of the wrong type a `TypeError` (`SunpySRTypeError`), so
``except ValueError`` catches them as it would catch numpy's.
"""
import contextlib
import functools
import os
import sys
import warnings
from functools import partial

from astropy.utils.exceptions import AstropyUserWarning, AstropyWarning

__all__ = ["SunpySRError", "SunpySRTypeError", "NotMagnetogramError", "SunpySRWarning", "SunpySRUserWarning",
           "WeightsError", "warn_user"]


class SunpySRError(ValueError):
    """An error raised by sunpy_sr for input it cannot process correctly (also a `ValueError`)."""


class SunpySRTypeError(SunpySRError, TypeError):
    """Input of a type sunpy_sr does not accept (also a `TypeError`)."""


class NotMagnetogramError(SunpySRError):
    """
    Input that does not say it is a LOS magnetogram in a field unit (its product or its unit).

    ``assume_magnetogram=True`` skips the check; the message says so. A front end that spells
    that override otherwise (the command line's ``--assume-magnetogram``) builds its own
    message with `advice`.

    Parameters
    ----------
    problem : str
        What is wrong with the input, without the advice.
    when : str
        When the override applies (``"to process it anyway"``).
    """

    def __init__(self, problem, *, when="to process it anyway"):
        self.problem = problem
        self.when = when
        super().__init__(self.advice("assume_magnetogram=True"))

    def advice(self, override):
        """The message with ``override`` as the way to skip the check."""
        return f"{self.problem}; pass {override} {self.when}"

    def __reduce__(self):  # the keyword-only ``when`` survives pickling (dask workers send errors back)
        return partial(type(self), self.problem, when=self.when), ()


class WeightsError(SunpySRError):
    """A weight file is missing, corrupt, unsafe, or does not match its architecture."""


class SunpySRWarning(AstropyWarning):
    """Base class of every warning sunpy_sr emits."""


class SunpySRUserWarning(SunpySRWarning, AstropyUserWarning):
    """A warning about input that was processed, but maybe not as the caller expects."""


#: Frames `warn_user` looks through: the package's own, and the standard library's wrappers
#: between them (`functools.singledispatch`, `contextlib.contextmanager`).
_INTERNAL_FILES = (os.path.dirname(os.path.abspath(__file__)) + os.sep,
                   os.path.abspath(functools.__file__), os.path.abspath(contextlib.__file__))


def warn_user(message, category=SunpySRUserWarning):
    """
    Warn now, at the line of the caller's code that called into sunpy_sr.

    Every warning of the package goes through this one helper, where its cause is found,
    so that it arrives as the work goes on (not after a full disk) and points at the
    user's call, however deep in the package it was raised: the stack level is that of the
    first frame outside sunpy_sr (as Python 3.12's ``skip_file_prefixes`` does). The
    warnings filters apply as usual (``"error"`` raises at once).

    Parameters
    ----------
    message : str
    category : type, optional
        A subclass of `Warning` (default `SunpySRUserWarning`).

    Examples
    --------
    >>> import warnings
    >>> from sunpy_sr.exceptions import SunpySRUserWarning, warn_user
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_user("a note for the caller")
    >>> caught[0].category is SunpySRUserWarning, str(caught[0].message)
    (True, 'a note for the caller')
    """
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(_INTERNAL_FILES):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
