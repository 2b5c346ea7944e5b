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

    Works for numpy arrays (a view when ``sign == 1``)."""
    out = np.rot90(a, k, axes=(-2, -1))
    if flip:
        out = out[..., ::-1]
    return out if sign == 1.0 else sign * out


def undo_symmetry(a, k, flip, sign=1.0):
    """The inverse of :func:`apply_symmetry` with the same arguments."""
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
    """
    ny, nx = nan.shape
    blocks = result.reshape(ny, scale, nx, scale)
    np.copyto(blocks, np.float32(np.nan), where=np.broadcast_to(nan[:, None, :, None], blocks.shape))
    return result
