"""
When a progress bar is shown: one rule for every long loop of the package.

Every public function with a ``progress`` option takes ``True`` (always a bar), ``False``
(never) or ``None``, the default: a bar when the work is long (a full disk, a training
run, a folder of files; each caller says what long is) and the standard error is a
terminal, so that a script run interactively shows how far it is while logs, notebooks'
captured output and tests stay clean. Standard library only: every room may use it.
"""
import sys

__all__ = ["show_progress"]


def show_progress(progress, *, long):
    """
    Whether to show a progress bar.

    Parameters
    ----------
    progress : bool or None
        The caller's option: ``True`` or ``False`` is taken as it is; ``None`` means show
        the bar when ``long`` is true and `sys.stderr` (where tqdm writes) is a terminal.
    long : bool
        Whether the work is long enough for a bar to help (e.g. at least 16 tiles).

    Returns
    -------
    bool

    Raises
    ------
    SunpySRTypeError
        ``progress`` is neither a bool nor None.

    Examples
    --------
    >>> from sunpy_sr.progress import show_progress
    >>> show_progress(True, long=False), show_progress(False, long=True)
    (True, False)
    >>> show_progress(None, long=False)        # short work: never a bar
    False
    """
    if progress is None:
        if not long:
            return False
        isatty = getattr(sys.stderr, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # a closed stream
            return False
    if isinstance(progress, bool):
        return progress
    np = sys.modules.get("numpy")  # a numpy bool can only come from a loaded numpy
    if np is not None and isinstance(progress, np.bool_):
        return bool(progress)
    from sunpy_sr.exceptions import SunpySRTypeError
    raise SunpySRTypeError(f"progress must be True, False or None (a bar for long work on a terminal), "
                           f"got {progress!r}")
