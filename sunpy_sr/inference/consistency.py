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

``D`` is written as separable sparse matrices (``A`` selects the Gaussian-smoothed
values at the HR positions the recipe samples, ``M`` averages them), with the
normalised-convolution weights ``1 / den`` of `~sunpy_sr.core.degradation.degrade_array`
(image edges, NaN) applied in between::

    D x   = W * ( M_y [ (A_y (V x) A_x^T) / den ] M_x^T )
    D^T y = V * ( A_y^T [ (M_y^T (W y) M_x) / den ] A_x )
    den   = A_y V A_x^T

where ``V`` marks the finite HR pixels of ``sr`` and ``W`` the LR pixels that are
constrained (finite in ``lr`` and in ``D sr``). Both are linear in ``x`` for a fixed
NaN pattern, and the second is the exact adjoint of the first.

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
import functools
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from sunpy_sr.core.degradation import DEGRADE_METHODS, gaussian_kernel
from sunpy_sr.exceptions import SunpySRError, SunpySRUserWarning

__all__ = ["project_consistent", "ConsistencyInfo", "DegradationOperator", "consistency_recipe",
           "consistent_method", "CONSISTENCY_PAD"]

#: LR pixels added to a method's receptive radius when ``consistent=True``: the tiles of
#: `sunpy_sr.inference.tiling.run_tiled` are padded this much more, so that each tile's
#: projection equals the global one in the kept core. The influence of a residual on the
#: correction decays by a factor 0.151 per LR pixel (the off-diagonal decay of
#: ``(D D^T)^{-1}``), so 12 pixels leave ``0.151**11 ~ 1e-9`` of it.
CONSISTENCY_PAD = 12


@functools.lru_cache(maxsize=32)
def _axis_matrices(n_hr, factor, method, sigma, kernel_size):
    """
    One axis of the degradation: ``(A, M)`` as CSR matrices.

    ``A`` (n_sel x n_hr): the sampled rows of the 1D Gaussian convolution (zero outside
    the image), or the block sums for ``"bin"``. ``M`` (n_lr x n_sel): the mean of the
    sampled positions of each block (identity when one position is sampled).
    """
    n_lr = n_hr // factor
    lr = np.arange(n_lr)
    if method == "bin":
        rows = np.repeat(lr, factor)
        a = scipy.sparse.csr_matrix((np.ones(n_lr * factor), (rows, np.arange(n_lr * factor))),
                                    shape=(n_lr, n_hr))
        return a, scipy.sparse.identity(n_lr, format="csr")
    k = gaussian_kernel(sigma, kernel_size)
    g = k.sum(axis=1)  # the 2D kernel is the outer product of this with itself (sum 1)
    if factor % 2 == 0:
        lo = factor // 2 - 1
        sel = (factor * lr[:, None] + np.array([lo, lo + 1])[None, :]).ravel()
        m = scipy.sparse.csr_matrix((np.full(2 * n_lr, 0.5), (np.repeat(lr, 2), np.arange(2 * n_lr))),
                                    shape=(n_lr, 2 * n_lr))
    else:
        sel = factor * lr + factor // 2
        m = scipy.sparse.identity(n_lr, format="csr")
    half = kernel_size // 2
    offsets = np.arange(-half, half + 1)
    rows = np.repeat(np.arange(len(sel)), kernel_size)
    cols = (sel[:, None] + offsets[None, :]).ravel()
    vals = np.tile(g[::-1], len(sel))  # convolution flips the kernel (symmetric anyway)
    inside = (cols >= 0) & (cols < n_hr)
    a = scipy.sparse.csr_matrix((vals[inside], (rows[inside], cols[inside])), shape=(len(sel), n_hr))
    return a, m


def _fold(m, a):
    """``M diag(1 / (A 1)) A``: one axis of the degradation of a NaN-free map (edge weights folded in)."""
    den = np.asarray(a.sum(axis=1)).ravel()
    return (m @ scipy.sparse.diags(1.0 / den) @ a).tocsr()


def _sandwich(left, x, right):
    """
    ``left @ x @ right.T`` for sparse ``left``, ``right`` and a C-contiguous dense ``x``.

    The large array is only ever read or written C-contiguously (scipy copies
    transposed operands): a reducing product applies ``left`` first, an expanding one
    ``right`` first. The result is C-contiguous.
    """
    if left.shape[0] <= left.shape[1]:
        t = left @ x
        return np.ascontiguousarray((right @ np.ascontiguousarray(t.T)).T)
    t = np.ascontiguousarray((right @ np.ascontiguousarray(x.T)).T)
    return left @ t


class DegradationOperator:
    """
    The degradation of `~sunpy_sr.core.degradation.degrade_array` as a linear operator in float64.

    For a fixed NaN pattern (``hr_valid``, ``lr_valid``) the degradation is linear;
    this class applies it (:meth:`forward`, equal to ``degrade_array`` to float32
    rounding on finite pixels) and its exact adjoint (:meth:`adjoint`), so that
    ``<D x, y> == <x, D^T y>`` to float64 rounding.

    Parameters
    ----------
    hr_shape : tuple of int
        HR shape, a multiple of ``factor`` on both axes.
    factor : int
        Down-sampling factor.
    method : {"gaussian-bilinear", "bin"}
        Degradation recipe.
    sigma : float
        Gaussian width (HR pixels).
    kernel_size : int
        Gaussian kernel size (HR pixels, odd).
    hr_valid : `numpy.ndarray` of bool, optional
        Finite HR pixels (default: all). Others take no part (the normalised
        convolution of ``degrade_array`` leaves them out).
    lr_valid : `numpy.ndarray` of bool, optional
        LR pixels kept in the output (default: all whose block is fully valid);
        other LR pixels are 0 in :meth:`forward` and ignored by :meth:`adjoint`.
    """

    def __init__(self, hr_shape, *, factor=4, method="gaussian-bilinear", sigma=2.0, kernel_size=5,
                 hr_valid=None, lr_valid=None):
        if method not in DEGRADE_METHODS:
            raise SunpySRError(f"unknown degradation method {method!r}; choose one of {DEGRADE_METHODS}")
        factor = int(factor)
        ny, nx = hr_shape
        if factor < 1 or ny % factor or nx % factor:
            raise SunpySRError(f"HR shape {tuple(hr_shape)} is not a multiple of the factor {factor}")
        self.hr_shape = (ny, nx)
        self.lr_shape = (ny // factor, nx // factor)
        self.factor = factor
        self.ay, self.my = _axis_matrices(ny, factor, method, float(sigma), int(kernel_size))
        self.ax, self.mx = _axis_matrices(nx, factor, method, float(sigma), int(kernel_size))
        self.ayt, self.axt = self.ay.T.tocsr(), self.ax.T.tocsr()
        self.myt, self.mxt = self.my.T.tocsr(), self.mx.T.tocsr()
        self.hr_valid = None if hr_valid is None or np.all(hr_valid) else np.asarray(hr_valid, dtype=bool)
        block_ok = np.ones(self.lr_shape, dtype=bool)
        if self.hr_valid is not None:
            block_ok = self.hr_valid.reshape(ny // factor, factor, nx // factor, factor).all(axis=(1, 3))
        if lr_valid is not None:
            block_ok &= np.asarray(lr_valid, dtype=bool)
        self.lr_valid = None if block_ok.all() else block_ok
        if self.hr_valid is None:
            # no NaN: the normalisation is separable too, D x = B_y x B_x^T with B = M diag(1/den) A
            self.by = _fold(self.my, self.ay)
            self.bx = _fold(self.mx, self.ax)
            self.byt, self.bxt = self.by.T.tocsr(), self.bx.T.tocsr()
        else:
            den = self._smooth(self.hr_valid.astype(np.float64))
            self._inv_den = np.where(den > 0, 1.0 / np.where(den > 0, den, 1.0), 0.0)

    def _smooth(self, x):
        """``A_y x A_x^T``: the smoothed HR map at the sampled positions (no normalisation)."""
        return _sandwich(self.ay, x, self.ax)

    def forward(self, x):
        """``D x``: HR (``hr_shape``) -> LR (``lr_shape``), float64; NaN in invalid HR pixels is ignored."""
        x = np.asarray(x, dtype=np.float64)
        if self.hr_valid is None:
            out = _sandwich(self.by, x, self.bx)
        else:
            s = _sandwich(self.ay, np.where(self.hr_valid, x, 0.0), self.ax) * self._inv_den
            out = _sandwich(self.my, s, self.mx)
        if self.lr_valid is not None:
            out[~self.lr_valid] = 0.0
        return out

    def adjoint(self, y):
        """``D^T y``: LR -> HR, float64; 0 in invalid HR pixels."""
        y = np.asarray(y, dtype=np.float64)
        if self.lr_valid is not None:
            y = np.where(self.lr_valid, y, 0.0)
        if self.hr_valid is None:
            return _sandwich(self.byt, y, self.bxt)
        s = _sandwich(self.myt, y, self.mxt) * self._inv_den
        out = _sandwich(self.ayt, s, self.axt)
        out[~self.hr_valid] = 0.0
        return out


@dataclass
class ConsistencyInfo:
    """What :func:`project_consistent` did.

    Attributes
    ----------
    iterations : int
        Conjugate-gradient iterations (each one ``D`` and one ``D^T``).
    initial_residual : float
        ``max |D sr - lr|`` over the constrained LR pixels before the projection (input units, G).
    residual : float
        ``max |D x - lr|`` after it, computed in float64 before the result is cast back
        to the input's dtype (casting a float32 output adds up to about
        ``6e-8 * max|x|``, 2e-4 G at 3 kG).
    converged : bool
        ``residual <= tol``.
    n_constrained : int
        LR pixels constrained.
    """
    iterations: int
    initial_residual: float
    residual: float
    converged: bool
    n_constrained: int


def project_consistent(sr, lr, *, factor=4, method="gaussian-bilinear", sigma=2.0, kernel_size=5, tol=1e-4,
                       max_iter=100, return_info=False):
    """
    Project a super-resolved map so that it degrades exactly to its input.

    Solves for the minimum-norm correction ``x = sr + D^T (D D^T)^{-1} (lr - D sr)``
    (the orthogonal projection of ``sr`` onto ``{x : D x = lr}``) by conjugate
    gradients on the LR grid, ``D`` being `sunpy_sr.core.degradation.degrade_array`
    with the same recipe and ``D^T`` its exact adjoint (see the module docstring).
    The correction is the limit of iterative back-projection (Irani & Peleg 1991)
    with the adjoint as back-projection kernel, reached here in a few iterations.

    Parameters
    ----------
    sr : `numpy.ndarray`
        Super-resolved map, 2D, ``factor`` times the shape of ``lr`` (G, or any unit
        shared with ``lr``). NaN pixels take no part and stay NaN.
    lr : `numpy.ndarray`
        The low-resolution input (same unit). NaN pixels are not constrained.
    factor : int
        Zoom factor (default 4).
    method : {"gaussian-bilinear", "bin"}
        Degradation recipe ``D`` (see `sunpy_sr.degrade`); the networks were trained
        with ``"gaussian-bilinear"``. For ``"bin"`` (``D D^T = I / factor**2``) the
        projection adds to each block the mean of its residual: one iteration.
    sigma : float
        Gaussian width of ``D``, HR pixels (default 2.0).
    kernel_size : int
        Gaussian kernel size of ``D``, HR pixels (default 5).
    tol : float
        Stop when ``max |D x - lr| <= tol`` over the constrained pixels (input units,
        G; default 1e-4 G).
    max_iter : int
        At most this many conjugate-gradient iterations (default 100; about 12 are
        needed for ``tol = 1e-4`` G on real HMI data). A
        `~sunpy_sr.exceptions.SunpySRUserWarning` is emitted if ``tol`` is not reached.
    return_info : bool
        Also return a `ConsistencyInfo`.

    Returns
    -------
    x : `numpy.ndarray`
        The projected map, in ``sr``'s float dtype (float32 stays float32), NaN where
        ``sr`` is NaN.
    info : `ConsistencyInfo`
        Only with ``return_info=True``.

    Notes
    -----
    A constrained LR pixel is one that is finite in ``lr`` and whose HR block is
    finite in ``sr``. ``degrade_array(x)`` then equals ``lr`` on every such pixel to
    ``tol`` plus float32 rounding. The correction changes no component of ``sr`` in
    the null space of ``D``; on a map that is already consistent it changes nothing.

    References
    ----------
    Irani, M. & Peleg, S. 1991, CVGIP: Graphical Models and Image Processing 53, 231;
    Hestenes, M. R. & Stiefel, E. 1952, J. Res. Natl. Bur. Stand. 49, 409.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core.degradation import degrade_array
    >>> from sunpy_sr.inference.consistency import project_consistent
    >>> rng = np.random.default_rng(0)
    >>> lr = rng.normal(0, 100, (16, 16)).astype(np.float32)
    >>> sr = np.kron(lr, np.ones((4, 4), np.float32))          # any first guess
    >>> x = project_consistent(sr, lr)
    >>> bool(np.abs(degrade_array(x) - lr).max() < 1e-3)
    True
    """
    sr = np.asarray(sr)
    lr = np.asarray(lr)
    factor = int(factor)
    if sr.ndim != 2 or lr.ndim != 2 or sr.shape != (lr.shape[0] * factor, lr.shape[1] * factor):
        raise SunpySRError(f"sr shape {sr.shape} is not {factor} x lr shape {lr.shape}")
    if tol <= 0 or max_iter < 1:
        raise SunpySRError(f"tol must be positive and max_iter at least 1, got {tol} and {max_iter}")
    out_dtype = sr.dtype if np.issubdtype(sr.dtype, np.floating) else np.float64
    hr_valid = np.isfinite(sr)
    lr_valid = np.isfinite(lr)
    op = DegradationOperator(sr.shape, factor=factor, method=method, sigma=sigma, kernel_size=kernel_size,
                             hr_valid=None if hr_valid.all() else hr_valid,
                             lr_valid=None if lr_valid.all() else lr_valid)
    w = op.lr_valid
    x = np.where(hr_valid, sr, 0.0).astype(np.float64)
    target = np.where(lr_valid, lr, 0.0).astype(np.float64)

    def residual(x):
        r = target - op.forward(x)
        if w is not None:
            r[~w] = 0.0
        return r

    r = residual(x)
    initial = res = float(np.abs(r).max()) if r.size else 0.0
    iterations = 0
    # CG on (D D^T) y = r (LR grid), then x += D^T y; a restart from the true residual
    # guards against drift of the recurrence (rare in float64 with this conditioning).
    while res > tol and iterations < max_iter:
        y = np.zeros_like(r)
        p = r.copy()
        rs = float(np.vdot(r, r))
        while iterations < max_iter:
            q = op.forward(op.adjoint(p))
            alpha = rs / float(np.vdot(p, q))
            y += alpha * p
            r -= alpha * q
            iterations += 1
            if np.abs(r).max() <= tol:
                break
            rs_new = float(np.vdot(r, r))
            p *= rs_new / rs
            p += r
            rs = rs_new
        x += op.adjoint(y)
        r = residual(x)
        res = float(np.abs(r).max())
    info = ConsistencyInfo(iterations=iterations, initial_residual=initial, residual=res,
                           converged=res <= tol, n_constrained=int(w.sum()) if w is not None else r.size)
    if not info.converged:
        warnings.warn(f"consistency projection: max residual {res:.3g} after {iterations} iterations "
                      f"(tol {tol:g})", SunpySRUserWarning, stacklevel=2)
    x[~hr_valid] = np.nan
    x = x.astype(out_dtype, copy=False)
    return (x, info) if return_info else x


def consistency_recipe(consistent):
    """
    The degradation recipe named by a method's ``consistent`` option, or None.

    Parameters
    ----------
    consistent : bool or str
        False (no projection), True (the default recipe, ``"gaussian-bilinear"`` with
        sigma 2 and a 5 x 5 kernel: the training forward model) or a recipe name
        (``"gaussian-bilinear"`` or ``"bin"``).

    Returns
    -------
    str or None
    """
    if consistent is None or consistent is False:
        return None
    if consistent is True:
        return "gaussian-bilinear"
    if isinstance(consistent, str) and consistent in DEGRADE_METHODS:
        return consistent
    raise SunpySRError(f"consistent must be True, False or a degradation recipe {DEGRADE_METHODS}, "
                       f"got {consistent!r}")


def consistent_method(func, radius, consistent, *, scale=4):
    """
    Wrap a built method so that its output is projected onto ``{x : D x = input}``.

    Used by the ``build`` of the registered methods for their ``consistent`` option.

    Parameters
    ----------
    func : callable
        The method, ``array (H, W) G -> array (scale H, scale W) G``.
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
        `CONSISTENCY_PAD` (for the ``"gaussian-bilinear"`` recipe; ``"bin"`` is local to
        each block), so that tiled output stays equal to untiled output.
    """
    recipe = consistency_recipe(consistent)
    if recipe is None:
        return func, radius

    def run(a):
        return project_consistent(func(a), a, factor=scale, method=recipe)

    run.consistent = recipe
    return run, radius + (CONSISTENCY_PAD if recipe == "gaussian-bilinear" else 0)
