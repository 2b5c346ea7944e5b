"""
Where the input leaves what the methods were trained on, and the bound put on the output there.

The networks (and the linear filter, and the error models) were trained on HR crops within
500" of disk centre, clipped to +-2000 G. Two kinds of input pixel lie outside that:

* the last pixels at the limb (within ``limb`` LR pixels of an off-disk NaN), where HMI records
  isolated spikes of several kG and the networks never saw a disk edge;
* strong fields: an LR pixel whose 3x3 neighbourhood holds ``|B| > clip``.

There the output is bounded by the input it comes from: each output pixel is clamped to the
range (minimum, maximum) of the finite LR values in the 3x3 neighbourhood of its parent
pixel. The output then never holds a field the input does not support nearby, which is what
the networks do otherwise at the limb (``docs/guide/error_maps.rst`` shows it on a full
disk). Everywhere else the output is
untouched. The bound is local (radius ``max(limb, 1)`` LR pixels), so tiled runs stay exact.
`sunpy_sr.superresolve` applies it to every method, except with ``consistent=True``, whose
projection (the output degrades back onto the input) takes precedence.
"""
import numpy as np
import scipy.ndimage

__all__ = ["TRAINING_CLIP", "LIMB_PIXELS", "out_of_range", "bound_output", "guard_radius"]

#: ``|B|`` (G) of the training clip (Rahman et al. 2020)
TRAINING_CLIP = 2000.0
#: LR pixels next to an off-disk NaN that count as "at the limb"
LIMB_PIXELS = 2


def guard_radius(limb=LIMB_PIXELS):
    """
    LR pixels beyond which the input cannot change `out_of_range` or `bound_output`.

    Examples
    --------
    >>> from sunpy_sr.core.range_guard import guard_radius
    >>> guard_radius(), guard_radius(limb=4)
    (2, 4)
    """
    return max(int(limb), 1)


def out_of_range(lr, bad, *, clip=TRAINING_CLIP, limb=LIMB_PIXELS):
    """
    LR pixels outside the training range (see module docstring).

    Parameters
    ----------
    lr : `numpy.ndarray`
        2D LR field, G (NaN-filled pixels may hold anything).
    bad : `numpy.ndarray` of bool
        Off-disk (NaN) input pixels.
    clip : float
        ``|B|`` (G) above which a field is outside the training range.
    limb : int
        LR pixels next to a ``bad`` pixel that count as the limb (0: none).

    Returns
    -------
    `numpy.ndarray` of bool
        True where the input leaves the training range (never on ``bad`` pixels).

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core.range_guard import out_of_range
    >>> lr = np.zeros((5, 7)); lr[2, 5] = 3000.0          # one strong pixel
    >>> bad = np.zeros((5, 7), bool); bad[:, 0] = True    # off-disk column
    >>> out_of_range(lr, bad, limb=1).astype(int)
    array([[0, 1, 0, 0, 0, 0, 0],
           [0, 1, 0, 0, 1, 1, 1],
           [0, 1, 0, 0, 1, 1, 1],
           [0, 1, 0, 0, 1, 1, 1],
           [0, 1, 0, 0, 0, 0, 0]])
    """
    a = np.where(bad, 0.0, np.abs(lr))
    ood = scipy.ndimage.maximum_filter(a, size=3, mode="nearest") > clip
    if limb > 0 and bad.any():
        ood |= scipy.ndimage.maximum_filter(bad, size=2 * int(limb) + 1, mode="nearest")
    return ood & ~bad


def bound_output(sr, lr, bad, *, scale=4, clip=TRAINING_CLIP, limb=LIMB_PIXELS, ood=None):
    """
    Clamp, in place, the output children of out-of-range LR pixels to their parent's local range.

    Parameters
    ----------
    sr : `numpy.ndarray`
        ``(scale H, scale W)`` float32 output, G; modified in place.
    lr : `numpy.ndarray`
        ``(H, W)`` LR field, G.
    bad : `numpy.ndarray` of bool
        Off-disk (NaN) input pixels.
    scale, clip, limb
        As for `out_of_range`.
    ood : `numpy.ndarray` of bool, optional
        `out_of_range` of the input, if already computed.

    Returns
    -------
    `numpy.ndarray` of bool
        The out-of-range LR pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core.range_guard import bound_output
    >>> lr = np.full((3, 3), 2500.0, np.float32)          # a strong field, flat
    >>> sr = np.full((12, 12), 2500.0, np.float32); sr[5, 5] = 6000.0
    >>> ood = bound_output(sr, lr, np.zeros((3, 3), bool))
    >>> float(sr.max()), int(ood.sum())                   # the overshoot is clamped
    (2500.0, 9)
    """
    if ood is None:
        ood = out_of_range(lr, bad, clip=clip, limb=limb)
    if not ood.any():
        return ood
    lo = scipy.ndimage.minimum_filter(np.where(bad, np.inf, lr), size=3, mode="nearest")
    hi = scipy.ndimage.maximum_filter(np.where(bad, -np.inf, lr), size=3, mode="nearest")
    i, j = np.nonzero(ood)
    blocks = sr.reshape(lr.shape[0], scale, lr.shape[1], scale)
    blocks[i, :, j, :] = np.clip(blocks[i, :, j, :], lo[i, j, None, None], hi[i, j, None, None])
    return ood
