"""
Flux consistency: project a super-resolved map onto the maps that degrade to its input.

A super-resolved map ``sr`` of a low-resolution input ``lr`` is *consistent* with the
forward model ``D`` (`sunpy_sr.core.degradation.degrade_array`, the degradation the
networks were trained with) when ``D sr = lr``: degraded again, it gives back its
input, so every LR pixel's flux, and any flux budget built from LR pixels, is kept.
No network output is exactly consistent. :func:`project_consistent` returns the
closest consistent map (in the least-squares sense, HR pixel by HR pixel),

.. math::

    x = \\mathrm{sr} + D^T (D D^T)^{-1} (\\mathrm{lr} - D\\,\\mathrm{sr}),

the orthogonal projection of ``sr`` onto the affine set ``{x : D x = lr}``. The
correction ``D^T y`` lies in the row space of ``D``, so the part of ``sr`` that ``D``
cannot see (the detail the network added, the null space of ``D``) is untouched. The
LR system ``D D^T y = r`` is symmetric positive definite and well conditioned (for the
default recipe its condition number is about 3.4 in the interior: ``D D^T`` is, per
axis, tridiagonal with diagonal 0.194 and off-diagonal 0.029), so conjugate gradients
converge by a factor of about 0.3 per iteration; every step costs one ``D`` and one
``D^T`` on the HR grid.

``D`` and its exact adjoint ``D^T`` are those of the registered recipe
(`sunpy_sr.core.operators`, the one owner of what a degradation is: separable sparse
matrices with the normalised-convolution weights of
`~sunpy_sr.core.degradation.degrade_array`); the projection itself,
`~sunpy_sr.core.operators.project_consistent`, needs only numpy and scipy and lives
there too. This module adds what the methods need: the ``consistent`` option
(:func:`consistency_recipe`) and the wrapper that projects a method's output
(:func:`consistent_method`).

Where the guarantee holds: every finite LR pixel when ``lr`` and ``sr`` carry their NaN
(off-disk pixels); inside `sunpy_sr.superresolve` the method sees off-disk pixels
filled with 0 G and the projection is made on that filled map, so after NaN is
restored ``degrade(output) == input`` holds for every LR pixel whose 3 x 3
neighbourhood is finite (the Gaussian of an LR pixel reaches one HR pixel into each
neighbouring block), i.e. everywhere except a band one LR pixel wide along the limb.

References
----------
Irani, M. & Peleg, S. 1991, CVGIP: Graphical Models and Image Processing 53, 231,
"Improving resolution by image registration" (iterative back-projection);
Hestenes, M. R. & Stiefel, E. 1952, J. Res. Natl. Bur. Stand. 49, 409 (conjugate
gradients); Rahman, S. et al. 2020, ApJL 897, L32 (the degradation).
"""
import numpy as np

from sunpy_sr.core.operators import (
    CONSISTENCY_PAD,
    ConsistencyInfo,
    DegradationOperator,
    degradation_methods,
    get_degradation,
    project_consistent,
)
from sunpy_sr.exceptions import SunpySRError

__all__ = ["project_consistent", "ConsistencyInfo", "DegradationOperator", "consistency_recipe",
           "consistent_method", "CONSISTENCY_PAD"]


def consistency_recipe(consistent):
    """
    The degradation recipe named by a method's ``consistent`` option, or None.

    Parameters
    ----------
    consistent : bool or str
        False (no projection), True (the default recipe, ``"gaussian-bilinear"`` with
        sigma 2 and a 5 x 5 kernel: the training forward model) or the name of a
        registered recipe (`sunpy_sr.core.degradation_methods`: ``"gaussian-bilinear"``,
        ``"bin"`` and any added by `sunpy_sr.core.register_degradation`).

    Returns
    -------
    str or None
    """
    if consistent is None or consistent is False:
        return None
    if consistent is True:
        return "gaussian-bilinear"
    if isinstance(consistent, str) and consistent in degradation_methods():
        return consistent
    raise SunpySRError(f"consistent must be True, False or a degradation recipe {degradation_methods()}, "
                       f"got {consistent!r}")


def consistent_method(func, radius, consistent, *, scale=4):
    """
    Wrap a built method so that its output is projected onto ``{x : D x = input}``.

    Used by the ``build`` of the registered methods for their ``consistent`` option.

    Parameters
    ----------
    func : callable
        The method, ``array (H, W) G -> array (scale H, scale W) G``; with a ``batching``
        attribute (`sunpy_sr.inference.runner.TileBatching`) also for stacks ``(N, H, W)``,
        and so is the projected method.
    radius : int or float
        Its receptive radius (LR pixels).
    consistent : bool or str
        The option's value (see :func:`consistency_recipe`).
    scale : int
        The method's zoom factor (the degradation factor of ``D``).

    Returns
    -------
    func, radius
        Unchanged when ``consistent`` is False. Otherwise the projected method (its
        own input is ``lr``: on a padded tile, the padded tile) and the radius plus
        the recipe's `~sunpy_sr.core.operators.Degradation.consistency_pad`
        (`CONSISTENCY_PAD` for ``"gaussian-bilinear"``, 0 for ``"bin"``, which is local
        to each block), so that tiled output stays equal to untiled output.
    """
    recipe = consistency_recipe(consistent)
    if recipe is None:
        return func, radius

    def run(a):
        y = func(a)
        if a.ndim == 2:
            return project_consistent(y, a, factor=scale, method=recipe)
        return np.stack([project_consistent(t, s, factor=scale, method=recipe) for t, s in zip(y, a)])

    run.consistent = recipe
    run.batching = getattr(func, "batching", None)  # a stack of tiles is projected tile by tile
    return run, radius + get_degradation(recipe).consistency_pad
