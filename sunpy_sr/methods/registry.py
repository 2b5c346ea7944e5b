"""
The registry of super-resolution methods behind ``superresolve(..., method=...)``.

Each method maps a float32 2D array of LR field values in gauss (no NaN; the
caller fills and restores them) to an array ``scale`` times larger on the grid
where output pixel ``j`` is centred on input coordinate ``(j + 0.5) / scale - 0.5``
(CRPIX' = scale * (CRPIX - 0.5) + 0.5; see `sunpy_sr.core.header`). A method declares:

``scale``
    the zoom factor (4 for every bundled method);
``min_size``
    the smallest input (pixels per axis) it accepts;
``receptive_radius``
    LR pixels beyond which input cannot change an output pixel, used by
    `sunpy_sr.inference.tiling` to pad tiles so that tiling is exact;
``error_model``
    optional: ``error_model(**options) -> ErrorModel``, the method's calibrated error model
    for those options (`sunpy_sr.inference.errors`), used by ``superresolve(...,
    uncertainty=True)``; a method without one cannot give an error map.

Register a new one with :func:`register_method` (sunkit-image's pattern); it then
appears in `available_methods`, in the docstring of `sunpy_sr.superresolve` and in the
command line's ``--method`` help.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError

__all__ = ["Method", "register_method", "unregister_method", "get_method", "available_methods",
           "add_registry_listener", "remove_registry_listener"]

#: name -> `Method`
METHODS = {}


@dataclass
class Method:
    """A registered super-resolution method (see module docstring)."""
    name: str
    scale: int
    min_size: int
    description: str
    # (options) -> (array -> array, receptive_radius); options are method-specific keywords
    build: Callable = field(repr=False)
    is_network: bool = False
    # (options) -> `sunpy_sr.inference.errors.ErrorModel`; None: the method has no error model
    error_model: Callable = field(default=None, repr=False)


def register_method(name, *, scale, min_size, description, is_network=False, error_model=None):
    """
    Decorator registering ``build(**options) -> (function, receptive_radius)`` as ``name``.

    ``error_model``, if given, is ``error_model(**options) -> ErrorModel`` (the same options
    as ``build``), for ``superresolve(..., uncertainty=True)``.

    The listing in `sunpy_sr.superresolve`'s docstring is refreshed, so a method
    registered after import is documented like the bundled ones.

    Examples
    --------
    A 4x pixel replication, registered for this example and removed again:

    >>> import numpy as np
    >>> from sunpy_sr.methods import available_methods, get_method, register_method, unregister_method
    >>> @register_method("nearest-test", scale=4, min_size=1, description="pixel replication (a test)")
    ... def build(**options):
    ...     return (lambda a: np.kron(a, np.ones((4, 4), a.dtype))), 0    # (function, receptive radius)
    >>> run, radius = get_method("nearest-test").build()
    >>> run(np.eye(2, dtype=np.float32)).shape, radius, "nearest-test" in available_methods()
    ((8, 8), 0, True)
    >>> unregister_method("nearest-test")          # and superresolve's docstring forgets it
    >>> "nearest-test" in available_methods()
    False
    """
    def deco(build):
        METHODS[name] = Method(name, scale, min_size, description, build, is_network, error_model)
        for listener in _LISTENERS:
            listener()
        return build
    return deco


#: callables run after every registration (e.g. the docstring refresh of ``superresolve``)
_LISTENERS = []


def add_registry_listener(listener):
    """
    Call ``listener()`` after every `register_method` and `unregister_method`.

    `sunpy_sr.api` uses it to keep `sunpy_sr.superresolve`'s list of methods current.

    Parameters
    ----------
    listener : callable
        Called with no arguments; its return value is ignored.

    Examples
    --------
    >>> from sunpy_sr.methods import (add_registry_listener, register_method, remove_registry_listener,
    ...                               unregister_method)
    >>> seen = []
    >>> def listener():
    ...     seen.append("changed")
    >>> add_registry_listener(listener)
    >>> @register_method("listener-test", scale=4, min_size=1, description="a test")
    ... def build(**options):
    ...     return (lambda a: a), 0
    >>> unregister_method("listener-test")
    >>> remove_registry_listener(listener)
    >>> seen
    ['changed', 'changed']
    """
    if not callable(listener):
        raise SunpySRTypeError(f"listener must be callable, not {type(listener).__name__}")
    _LISTENERS.append(listener)


def remove_registry_listener(listener):
    """
    Stop calling ``listener`` (added by `add_registry_listener`) after registry changes.

    Raises
    ------
    SunpySRError
        If ``listener`` was never added.

    Examples
    --------
    >>> from sunpy_sr.methods import remove_registry_listener
    >>> remove_registry_listener(print)
    Traceback (most recent call last):
    ...
    sunpy_sr.exceptions.SunpySRError: <built-in function print> is not a registry listener
    """
    if listener not in _LISTENERS:
        raise SunpySRError(f"{listener!r} is not a registry listener")
    _LISTENERS.remove(listener)


def unregister_method(name):
    """
    Remove the method registered as ``name`` (for examples and tests; see `register_method`).

    The listing in `sunpy_sr.superresolve`'s docstring is refreshed. An unknown name raises
    the same error as `get_method`.

    Examples
    --------
    >>> from sunpy_sr.methods import unregister_method
    >>> unregister_method("nearest")
    Traceback (most recent call last):
    ...
    sunpy_sr.exceptions.SunpySRError: unknown method 'nearest'; registered methods: bicubic, linear, ...
    """
    get_method(name)
    del METHODS[name]
    for listener in _LISTENERS:
        listener()


def available_methods():
    """
    Names of the registered methods.

    Examples
    --------
    >>> from sunpy_sr.methods import available_methods
    >>> available_methods()
    ['bicubic', 'linear', 'progan', 'progan-gan', 'progan-gan3', 'progan-small-l1gan', 'rcan', 'rcan-fast',
     'rcan-small']
    """
    return sorted(METHODS)


def get_method(name):
    """
    The `Method` registered as ``name`` (ValueError listing the registered ones otherwise).

    Examples
    --------
    >>> from sunpy_sr.methods import get_method
    >>> bicubic = get_method("bicubic")
    >>> bicubic.scale, bicubic.min_size, bicubic.is_network, get_method("rcan").is_network
    (4, 2, False, True)
    >>> get_method("nearest")
    Traceback (most recent call last):
    ...
    sunpy_sr.exceptions.SunpySRError: unknown method 'nearest'; registered methods: bicubic, linear, ...
    """
    if name not in METHODS:
        raise SunpySRError(f"unknown method {name!r}; registered methods: {', '.join(available_methods())}")
    return METHODS[name]
