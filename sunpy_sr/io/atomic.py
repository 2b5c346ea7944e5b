"""
Atomic file writes: a temporary file beside the target, renamed onto it only when complete.

Every output of the package (FITS maps of the command line and of batches, batch summaries,
training-pair caches, training checkpoints) goes through :func:`atomic_write`, so that

- a reader never sees a half-written file under the target name, and a failed or killed
  write leaves the previous file (or no file) there;
- the finished file has the permissions an ordinary ``open(path, "w")`` would give it,
  ``0o666 & ~umask``, and not the ``0o600`` of `tempfile.mkstemp` (colleagues on a shared
  cluster can read batch outputs).

Standard library only (the command line imports this before numpy, astropy or torch).
"""
import errno
import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_write"]

_UMASK_LOCK = threading.Lock()


def _umask():
    """The process's umask, read without a window in which it is looser than it is."""
    try:  # Linux >= 4.7: read it, nothing changed
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # os.umask can only be read by setting it: set the strictest mask for the moment it takes,
    # so a file another thread creates meanwhile is at worst too private, never too open
    with _UMASK_LOCK:
        old = os.umask(0o077)
        os.umask(old)
    return old


def _file_mode():
    """The mode ``open(path, "w")`` gives a new file: ``0o666 & ~umask``."""
    return 0o666 & ~_umask()


@contextmanager
def atomic_write(path, *, overwrite=True, prefix=None, suffix=".tmp", fsync=False):
    """
    Write a file atomically: yield a temporary path beside ``path``, move it onto ``path`` when done.

    The temporary file is created empty, with a unique name in the folder of ``path`` (the same
    file system, so the final rename is atomic; two processes never share it). Write the whole
    file to it inside the ``with`` block, by any means (``open``, ``smap.save(tmp,
    overwrite=True)``, ``torch.save``, ``np.savez`` to an open file). When the block ends
    without an exception the file is given the permissions of an ordinary new file
    (``0o666 & ~umask``) and then replaces ``path`` in one step (`os.replace`). On any
    exception (also ``KeyboardInterrupt``) the temporary file is removed and ``path`` is
    left as it was. A process killed outright leaves only the temporary file (hidden by
    default), never a partial file under ``path``.

    Parameters
    ----------
    path : path-like
        The target. Its folder must exist.
    overwrite : bool, optional
        If True (default) an existing ``path`` is replaced. If False an existing ``path`` is
        a `FileExistsError`, also one that appears while the file is written: the file is put
        in place with a hard link, which fails if the name exists (on a file system without
        hard links, the name is checked just before the rename).
    prefix : str, optional
        Start of the temporary file's name; default ``".<name of path>."`` (hidden).
    suffix : str, optional
        End of the temporary file's name (default ``".tmp"``); e.g. ``".fits"`` for writers
        that look at the extension.
    fsync : bool, optional
        Flush the file to disk before the rename (a crash of the machine then cannot leave an
        empty file under ``path``). Default False.

    Yields
    ------
    `pathlib.Path`
        The temporary file to write to.

    Raises
    ------
    FileExistsError
        ``overwrite`` is False and ``path`` exists.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.io import atomic_write
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "result.txt"
    ...     with atomic_write(target) as tmp:
    ...         _ = tmp.write_text("first")
    ...         visible_while_writing = target.exists()
    ...     try:  # a failing write keeps the old file and leaves no temporary file
    ...         with atomic_write(target) as tmp:
    ...             _ = tmp.write_text("half of the sec")
    ...             raise OSError("No space left on device")
    ...     except OSError:
    ...         pass
    ...     names = sorted(p.name for p in Path(folder).iterdir())
    ...     text = target.read_text()
    ...     mode = target.stat().st_mode & 0o777
    ...     umask = os.umask(0o022); _ = os.umask(umask)
    >>> visible_while_writing, names, text
    (False, ['result.txt'], 'first')
    >>> mode == 0o666 & ~umask  # as open(target, "w") would make it, not 0o600
    True
    """
    path = Path(path)
    if prefix is None:
        prefix = f".{path.name}."
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(tmp, _file_mode())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
            except OSError:  # a file system without hard links
                if os.path.lexists(path):
                    raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
                os.replace(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
