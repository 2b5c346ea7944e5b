"""
Grid helpers shared by inference, training and comparison: the symmetries of the square
(with polarity reversal), block means, and restoring NaN after super-resolution.
"""
import numpy as np

__all__ = ["SYMMETRIES", "SQUARE_SYMMETRIES", "apply_symmetry", "undo_symmetry", "block_view", "block_mean",
           "restore_nan"]

#: The 16 symmetries the networks are trained with, as (quarter turns, left-right flip, polarity):
#: the 8 symmetries of the square, each with and without a reversal of the field's sign. The
#: degradation commutes with all of them, and the Sun has no preferred polarity.
SYMMETRIES = tuple((k, flip, sign) for k in range(4) for flip in (False, True) for sign in (1.0, -1.0))
#: The 8 symmetries of the square (no polarity reversal).
SQUARE_SYMMETRIES = tuple(s for s in SYMMETRIES if s[2] == 1.0)


def apply_symmetry(a, k, flip, sign=1.0):
    """Rotate the last two axes of ``a`` by ``k`` quarter turns, then flip left-right, then scale by ``sign``.

    Works for numpy arrays (a view when ``sign == 1``).

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core import apply_symmetry
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> apply_symmetry(a, 1, False)                     # a quarter turn counter-clockwise
    array([[2., 4.],
           [1., 3.]])
    >>> apply_symmetry(a, 0, True, sign=-1.0)           # flip left-right, reverse the polarity
    array([[-2., -1.],
           [-4., -3.]])
    """
    out = np.rot90(a, k, axes=(-2, -1))
    if flip:
        out = out[..., ::-1]
    return out if sign == 1.0 else sign * out


def undo_symmetry(a, k, flip, sign=1.0):
    """
    The inverse of :func:`apply_symmetry` with the same arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core import apply_symmetry, undo_symmetry
    >>> a = np.arange(6.0).reshape(2, 3)
    >>> b = apply_symmetry(a, 3, True, sign=-1.0)
    >>> b.shape, np.array_equal(undo_symmetry(b, 3, True, sign=-1.0), a)
    ((3, 2), True)
    """
    out = a if sign == 1.0 else sign * a
    if flip:
        out = out[..., ::-1]
    return np.rot90(out, -k, axes=(-2, -1))


def block_view(a, factor):
    """``a`` (ny, nx), both multiples of ``factor``, viewed as (ny/f, f, nx/f, f) blocks."""
    ny, nx = a.shape
    return a.reshape(ny // factor, factor, nx // factor, factor)


def block_mean(a, factor):
    """
    Mean over ``factor`` x ``factor`` blocks in float64.

    Trailing rows and columns that do not fill a block are dropped (the first pixel edge,
    and so the header, does not move); a block with a NaN pixel is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core import block_mean
    >>> block_mean(np.arange(16.0).reshape(4, 4), 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    >>> block_mean(np.ones((5, 5)), 2).shape            # the last row and column are dropped
    (2, 2)
    """
    a = np.asarray(a)
    if factor == 1:
        return a.astype(np.float64)
    ny, nx = (a.shape[0] // factor) * factor, (a.shape[1] // factor) * factor
    return block_view(np.asarray(a[:ny, :nx], dtype=np.float64), factor).mean(axis=(1, 3))


def restore_nan(result, nan, scale):
    """
    Set to NaN, in place, every output pixel whose parent input pixel is NaN.

    Works on a broadcast view (no ``scale**2``-times larger mask is built), so it
    costs no memory beyond ``result`` itself, even for a 16384^2 full disk.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core import restore_nan
    >>> nan = np.array([[True, False], [False, False]])  # NaN pixels of a 2x2 input
    >>> restore_nan(np.ones((4, 4), np.float32), nan, 2)  # its 2x output
    array([[nan, nan,  1.,  1.],
           [nan, nan,  1.,  1.],
           [ 1.,  1.,  1.,  1.],
           [ 1.,  1.,  1.,  1.]], dtype=float32)
    """
    ny, nx = nan.shape
    blocks = result.reshape(ny, scale, nx, scale)
    np.copyto(blocks, np.float32(np.nan), where=np.broadcast_to(nan[:, None, :, None], blocks.shape))
    return result
