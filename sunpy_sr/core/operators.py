"""
The degradations, one owner: each recipe's forward operator, its adjoint and its description.

A degradation ``D`` maps an HR magnetogram (G) to LR by ``factor`` per axis. Every recipe
is registered here once, as a `Degradation`, and everything that needs to know what a
degradation is reads this registry: `sunpy_sr.degrade` and
`~sunpy_sr.core.degrade_array` (the forward model of the training pairs), the
``consistent`` option of the methods and `project_consistent` (its adjoint). An unknown
name raises `~sunpy_sr.exceptions.SunpySRError` naming the registered ones.

A recipe is separable: per axis it is two sparse matrices, ``A`` (n_sel x n_hr, the
rows of the smoothing at the HR positions the recipe samples, zero outside the image)
and ``M`` (n_lr x n_sel, the mean of the sampled positions of each LR pixel). With the
normalised-convolution weights ``1 / den`` (image edges, NaN) applied in between::

    D x   = W * ( M_y [ (A_y (V x) A_x^T) / den ] M_x^T )
    D^T y = V * ( A_y^T [ (M_y^T (W y) M_x) / den ] A_x )
    den   = A_y V A_x^T

where ``V`` marks the finite HR pixels and ``W`` the LR pixels kept (those whose HR block
is finite, and finite in the LR target when projecting). Both are linear in ``x`` for a
fixed NaN pattern, and the second is the exact adjoint of the first
(`DegradationOperator`). A recipe may also give a faster array implementation of its
forward operator (the built-in ones do); without one, ``D`` above is the forward model.

Built-in recipes, after Rahman et al. (2020, ApJL 897, L32):

``"gaussian-bilinear"``
    a ``kernel_size`` x ``kernel_size`` Gaussian of width ``sigma`` (HR pixels), then
    bilinear down-sampling with centre alignment (the mean of the central 2 x 2 HR
    pixels of each block for an even factor, the central pixel for an odd one).
``"bin"``
    the mean over ``factor`` x ``factor`` blocks.

`project_consistent` (the orthogonal projection onto ``{x : D x = lr}``, by conjugate
gradients on the LR grid) is here too: it needs only numpy and scipy.

References
----------
Irani, M. & Peleg, S. 1991, CVGIP: Graphical Models and Image Processing 53, 231,
"Improving resolution by image registration" (iterative back-projection);
Hestenes, M. R. & Stiefel, E. 1952, J. Res. Natl. Bur. Stand. 49, 409 (conjugate
gradients); Rahman, S. et al. 2020, ApJL 897, L32 (the degradation).
"""
import functools
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.ndimage
import scipy.sparse

from sunpy_sr.core.grid import block_mean, block_view
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError, warn_user

__all__ = ["Degradation", "register_degradation", "unregister_degradation", "get_degradation",
           "degradation_methods", "axis_matrices", "axis_operator", "gaussian_kernel", "DegradationOperator",
           "ConsistencyInfo", "project_consistent", "CONSISTENCY_PAD"]

#: LR pixels added to a method's receptive radius when ``consistent=True`` with the
#: ``"gaussian-bilinear"`` recipe: the tiles of `sunpy_sr.inference.tiling.run_tiled` are
#: padded this much more, so that each tile's projection equals the global one in the kept
#: core. The influence of a residual on the correction decays by a factor 0.151 per LR
#: pixel (the off-diagonal decay of ``(D D^T)^{-1}``), so 12 pixels leave
#: ``0.151**11 ~ 1e-9`` of it. It is also the default `Degradation.consistency_pad`.
CONSISTENCY_PAD = 12


def _check_kernel_options(sigma, kernel_size):
    """``sigma`` (HR pixels) and ``kernel_size`` (HR pixels, odd) checked; each bad one names itself."""
    if not isinstance(sigma, numbers.Real) or isinstance(sigma, (bool, np.bool_)):
        raise SunpySRTypeError(f"sigma must be a positive number (HR pixels), got {sigma!r}")
    if not np.isfinite(sigma) or sigma <= 0:
        raise SunpySRError(f"sigma must be a positive number (HR pixels), got {sigma!r}")
    if not isinstance(kernel_size, numbers.Integral) or isinstance(kernel_size, (bool, np.bool_)):
        raise SunpySRTypeError(f"kernel_size must be a positive odd integer, got {kernel_size!r}")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise SunpySRError(f"kernel_size must be a positive odd integer, got {kernel_size!r}")


def gaussian_kernel(sigma=2.0, kernel_size=5):
    """
    A normalised 2D Gaussian kernel (sum 1), ``kernel_size`` x ``kernel_size``.

    Parameters
    ----------
    sigma : float
        Width, HR pixels (default 2).
    kernel_size : int
        Size, HR pixels, odd (default 5).

    Returns
    -------
    `numpy.ndarray`
        float64, shape ``(kernel_size, kernel_size)``.

    Examples
    --------
    >>> from sunpy_sr.core import gaussian_kernel
    >>> k = gaussian_kernel(sigma=2.0, kernel_size=5)
    >>> k.shape, round(float(k.sum()), 6)
    ((5, 5), 1.0)
    >>> round(float(k[2, 2]), 4), round(float(k[0, 0]), 4)   # peak at the centre, lowest in a corner
    (0.0632, 0.0232)
    """
    _check_kernel_options(sigma, kernel_size)
    x = np.arange(kernel_size) - (kernel_size - 1) / 2
    g = np.exp(-0.5 * (x / sigma) ** 2)
    k = np.outer(g, g)
    return k / k.sum()


@dataclass(frozen=True, eq=False)
class Degradation:
    """
    One registered degradation recipe (see the module docstring).

    Attributes
    ----------
    name : str
        The ``method`` name (`sunpy_sr.degrade`) and ``consistent`` value that select it.
    description : str
        One line: what the recipe does.
    axis_matrices : callable
        ``axis_matrices(n_hr, factor, *, sigma, kernel_size) -> (A, M)``: one axis of the
        forward operator as sparse matrices, ``A`` (n_sel x n_hr) and ``M`` (n_lr x n_sel,
        ``n_lr = n_hr // factor``). ``sigma`` and ``kernel_size`` (HR pixels) are the
        options of `sunpy_sr.degrade`; a recipe that has no use for them ignores them.
        The adjoint is built from the transposes (`DegradationOperator`).
    array_forward : callable or None
        ``array_forward(data, factor, *, sigma, kernel_size) -> array``: a faster
        implementation of the forward operator on a float32 2D array (G) whose shape is
        a multiple of ``factor``, NaN-aware like ``D`` above; it must equal the matrix
        form to float32 rounding on every LR pixel whose block is finite. None: the
        matrix form is used.
    consistency_pad : int
        LR pixels added to a method's receptive radius when its output is projected with
        this recipe (``consistent=...``), so that tiled output equals untiled output: 0
        for a recipe in which each LR pixel depends on its own HR block only.
    history : callable or None
        ``history(sigma, kernel_size) -> str``: the recipe's details in the HISTORY
        card of a degraded map (None: its name).
    """
    name: str
    description: str
    axis_matrices: Callable
    array_forward: Callable | None = None
    consistency_pad: int = CONSISTENCY_PAD
    history: Callable | None = None

    def details(self, sigma, kernel_size):
        """The recipe's details for a HISTORY card (str)."""
        return self.history(sigma, kernel_size) if self.history is not None else self.name


_REGISTRY = {}
_BUILTIN = ("gaussian-bilinear", "bin")


def degradation_methods():
    """
    The names of the registered degradation recipes, in the order they were registered.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> from sunpy_sr.core import degradation_methods
    >>> degradation_methods()[:2]
    ('gaussian-bilinear', 'bin')
    """
    return tuple(_REGISTRY)


def get_degradation(method):
    """
    The registered `Degradation` called ``method``.

    Parameters
    ----------
    method : str
        A name in `degradation_methods`.

    Returns
    -------
    `Degradation`

    Raises
    ------
    `~sunpy_sr.exceptions.SunpySRError`
        For any other value, naming the registered recipes.

    Examples
    --------
    >>> from sunpy_sr.core import get_degradation
    >>> get_degradation("bin").description
    'the mean over factor x factor blocks'
    """
    if not isinstance(method, str) or method not in _REGISTRY:
        raise SunpySRError(f"unknown degradation method {method!r}; choose one of {degradation_methods()}")
    return _REGISTRY[method]


def register_degradation(name, axis_matrices, *, description, array_forward=None,
                         consistency_pad=CONSISTENCY_PAD, history=None):
    """
    Register a degradation recipe: `sunpy_sr.degrade`, the ``consistent`` option and
    `project_consistent` all accept ``name`` from then on.

    Parameters
    ----------
    name : str
        The recipe's name; a built-in name or one already registered is refused
        (`unregister_degradation` it first).
    axis_matrices : callable
        ``axis_matrices(n_hr, factor, *, sigma, kernel_size) -> (A, M)``, one axis of
        the forward operator as scipy sparse matrices (see `Degradation`).
    description : str
        One line: what the recipe does.
    array_forward : callable, optional
        A faster forward implementation on a float32 2D array (see `Degradation`).
    consistency_pad : int
        LR pixels of extra tile padding for the projection (default `CONSISTENCY_PAD`;
        0 when each LR pixel depends on its own HR block only).
    history : callable, optional
        ``history(sigma, kernel_size) -> str`` for the HISTORY card.

    Returns
    -------
    `Degradation`
        The registered entry.

    Examples
    --------
    A 2 x 2 box mean, then every ``factor // 2``-th box (a subsampled binning):

    >>> import numpy as np
    >>> import scipy.sparse
    >>> from sunpy_sr.core import degrade_array, register_degradation, unregister_degradation
    >>> def box_subsample(n_hr, factor, *, sigma, kernel_size):
    ...     n_lr = n_hr // factor
    ...     first = factor * np.arange(n_lr) + factor // 2 - 1       # first pixel of each sampled box
    ...     rows = np.repeat(np.arange(n_lr), 2)
    ...     cols = (first[:, None] + np.arange(2)).ravel()
    ...     a = scipy.sparse.csr_matrix((np.ones(2 * n_lr), (rows, cols)), shape=(n_lr, n_hr))
    ...     return a, scipy.sparse.identity(n_lr, format="csr")
    >>> entry = register_degradation("box-subsample", box_subsample, consistency_pad=0,
    ...                              description="2 x 2 box mean at the centre of each block")
    >>> degrade_array(np.arange(16.0).reshape(4, 4), method="box-subsample")
    array([[7.5]], dtype=float32)
    >>> unregister_degradation("box-subsample")
    """
    if not isinstance(name, str) or not name:
        raise SunpySRTypeError(f"a degradation name must be a non-empty string, got {name!r}")
    if name in _REGISTRY:
        raise SunpySRError(f"a degradation called {name!r} is already registered; unregister it first")
    if not callable(axis_matrices) or (array_forward is not None and not callable(array_forward)):
        raise SunpySRTypeError("axis_matrices (and array_forward, if given) must be callables")
    if not isinstance(consistency_pad, numbers.Integral) or consistency_pad < 0:
        raise SunpySRError(f"consistency_pad must be a non-negative integer, got {consistency_pad!r}")
    entry = Degradation(name=name, description=str(description), axis_matrices=axis_matrices,
                        array_forward=array_forward, consistency_pad=int(consistency_pad), history=history)
    _REGISTRY[name] = entry
    return entry


def unregister_degradation(name):
    """
    Remove a recipe added by `register_degradation` (the built-in ones stay).

    Parameters
    ----------
    name : str
        A registered name other than ``"gaussian-bilinear"`` and ``"bin"``.

    Examples
    --------
    >>> from sunpy_sr.core import unregister_degradation
    >>> unregister_degradation("bin")
    Traceback (most recent call last):
    ...
    sunpy_sr.exceptions.SunpySRError: the built-in degradation 'bin' cannot be unregistered
    """
    if name in _BUILTIN:
        raise SunpySRError(f"the built-in degradation {name!r} cannot be unregistered")
    get_degradation(name)
    del _REGISTRY[name]


@functools.lru_cache(maxsize=32)
def _cached_axis_matrices(entry, n_hr, factor, sigma, kernel_size):
    a, m = entry.axis_matrices(n_hr, factor, sigma=sigma, kernel_size=kernel_size)
    a, m = scipy.sparse.csr_matrix(a, dtype=np.float64), scipy.sparse.csr_matrix(m, dtype=np.float64)
    n_lr = n_hr // factor
    if a.shape[1] != n_hr or m.shape != (n_lr, a.shape[0]):
        raise SunpySRError(f"degradation {entry.name!r}: axis matrices of shapes {a.shape} and {m.shape} "
                           f"do not map {n_hr} HR pixels to {n_lr} LR pixels")
    return a, m


def axis_matrices(method, n_hr, factor, *, sigma=2.0, kernel_size=5):
    """
    One axis of a registered degradation as CSR matrices ``(A, M)`` (see the module docstring).

    Parameters
    ----------
    method : str
        A name in `degradation_methods`.
    n_hr : int
        HR pixels on the axis, a multiple of ``factor``.
    factor : int
        Down-sampling factor.
    sigma, kernel_size : float, int
        The recipe's options (HR pixels; ignored by recipes that do not use them).

    Returns
    -------
    A, M : `scipy.sparse.csr_matrix`
        float64, shapes ``(n_sel, n_hr)`` and ``(n_hr // factor, n_sel)``.

    Examples
    --------
    >>> from sunpy_sr.core.operators import axis_matrices
    >>> a, m = axis_matrices("bin", 8, 4)
    >>> a.toarray()
    array([[1., 1., 1., 1., 0., 0., 0., 0.],
           [0., 0., 0., 0., 1., 1., 1., 1.]])
    """
    entry = get_degradation(method)
    return _cached_axis_matrices(entry, int(n_hr), int(factor), float(sigma), int(kernel_size))


# ------------------------------------------------------------------ the built-in recipes

def _bin_matrices(n_hr, factor, *, sigma, kernel_size):
    """``A``: the block sums (normalised by ``den`` to means); ``M``: the identity."""
    n_lr = n_hr // factor
    rows = np.repeat(np.arange(n_lr), factor)
    a = scipy.sparse.csr_matrix((np.ones(n_lr * factor), (rows, np.arange(n_lr * factor))),
                                shape=(n_lr, n_hr))
    return a, scipy.sparse.identity(n_lr, format="csr")


def _bin_forward(data, factor, *, sigma, kernel_size):
    return block_mean(data, factor)


def _gaussian_matrices(n_hr, factor, *, sigma, kernel_size):
    """``A``: the 1D Gaussian's rows at the sampled positions; ``M``: the mean of the two central ones."""
    n_lr = n_hr // factor
    lr = np.arange(n_lr)
    g = gaussian_kernel(sigma, kernel_size).sum(axis=1)  # the 2D kernel is the outer product of this
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


def _gaussian_forward(data, factor, *, sigma, kernel_size):
    """Normalised convolution over the finite pixels, then the recipe's samples (centre-aligned bilinear)."""
    nan = np.isnan(data)
    k = gaussian_kernel(sigma, kernel_size)
    valid = (~nan).astype(np.float64)
    num = scipy.ndimage.convolve(np.where(nan, 0, data).astype(np.float64), k, mode="constant")
    den = scipy.ndimage.convolve(valid, k, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        smooth = num / den
    if factor % 2 == 0:
        lo = factor // 2 - 1
        return block_view(smooth, factor)[:, lo:lo + 2, :, lo:lo + 2].mean(axis=(1, 3))
    c = factor // 2
    return block_view(smooth, factor)[:, c, :, c]


register_degradation(
    "gaussian-bilinear", _gaussian_matrices, array_forward=_gaussian_forward,
    description="a kernel_size x kernel_size Gaussian of width sigma, then centre-aligned bilinear "
                "down-sampling", history=lambda sigma, kernel_size: f"sigma={sigma}, kernel={kernel_size}")
register_degradation("bin", _bin_matrices, array_forward=_bin_forward, consistency_pad=0,
                     description="the mean over factor x factor blocks",
                     history=lambda sigma, kernel_size: "block mean")


def forward_array(data, factor, method, *, sigma=2.0, kernel_size=5):
    """
    ``D data`` for a float32 2D array (G) whose shape is a multiple of ``factor``, without the NaN of blocks.

    The recipe's ``array_forward`` when it has one, otherwise `DegradationOperator`; LR
    pixels whose block is not finite are left to the caller (`~sunpy_sr.core.degrade_array`
    sets them to NaN).
    """
    entry = get_degradation(method)
    if entry.array_forward is not None:
        return entry.array_forward(data, factor, sigma=sigma, kernel_size=kernel_size)
    valid = ~np.isnan(data)
    op = DegradationOperator(data.shape, factor=factor, method=method, sigma=sigma, kernel_size=kernel_size,
                             hr_valid=None if valid.all() else valid)
    return op.forward(data)


def _fold(m, a):
    """``M diag(1 / (A 1)) A``: one axis of the degradation of a NaN-free map (edge weights folded in)."""
    den = np.asarray(a.sum(axis=1)).ravel()
    return (m @ scipy.sparse.diags(1.0 / den) @ a).tocsr()


def axis_operator(method, n_hr, factor, *, sigma=2.0, kernel_size=5):
    """
    One axis of a registered degradation of a NaN-free map, edge weights folded in.

    On a NaN-free map the degradation is separable, ``D x = D_y x D_x^T``; this is one
    ``D_a = M diag(1 / (A 1)) A`` (see the module docstring), used by the projection inside
    training (``sunpy_sr.training.projection``).

    Parameters
    ----------
    method : str
        A name in `degradation_methods`.
    n_hr : int
        HR pixels on the axis, a multiple of ``factor``.
    factor : int
        Down-sampling factor.
    sigma, kernel_size : float, int
        The recipe's options (HR pixels).

    Returns
    -------
    `numpy.ndarray`
        float64, shape ``(n_hr // factor, n_hr)``; every row sums to 1.

    Examples
    --------
    >>> from sunpy_sr.core.operators import axis_operator
    >>> axis_operator("bin", 8, 4)
    array([[0.25, 0.25, 0.25, 0.25, 0.  , 0.  , 0.  , 0.  ],
           [0.  , 0.  , 0.  , 0.  , 0.25, 0.25, 0.25, 0.25]])
    """
    a, m = axis_matrices(method, n_hr, factor, sigma=sigma, kernel_size=kernel_size)
    return _fold(m, a).toarray()


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
    A registered degradation (`degradation_methods`) as a linear operator in float64.

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
    method : str
        Degradation recipe, a name in `degradation_methods`.
    sigma : float
        Gaussian width (HR pixels; ignored by recipes that do not use it).
    kernel_size : int
        Gaussian kernel size (HR pixels, odd; ignored by recipes that do not use it).
    hr_valid : `numpy.ndarray` of bool, optional
        Finite HR pixels (default: all). Others take no part (the normalised
        convolution of ``degrade_array`` leaves them out).
    lr_valid : `numpy.ndarray` of bool, optional
        LR pixels kept in the output (default: all whose block is fully valid);
        other LR pixels are 0 in :meth:`forward` and ignored by :meth:`adjoint`.
    """

    def __init__(self, hr_shape, *, factor=4, method="gaussian-bilinear", sigma=2.0, kernel_size=5,
                 hr_valid=None, lr_valid=None):
        get_degradation(method)
        factor = int(factor)
        ny, nx = hr_shape
        if factor < 1 or ny % factor or nx % factor:
            raise SunpySRError(f"HR shape {tuple(hr_shape)} is not a multiple of the factor {factor}")
        self.hr_shape = (ny, nx)
        self.lr_shape = (ny // factor, nx // factor)
        self.factor = factor
        self.ay, self.my = axis_matrices(method, ny, factor, sigma=sigma, kernel_size=kernel_size)
        self.ax, self.mx = axis_matrices(method, nx, factor, sigma=sigma, kernel_size=kernel_size)
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
    method : str
        Degradation recipe ``D``, a name in `degradation_methods` (see
        `sunpy_sr.degrade`); the networks were trained with ``"gaussian-bilinear"``.
        For ``"bin"`` (``D D^T = I / factor**2``) the projection adds to each block
        the mean of its residual: one iteration.
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
    >>> from sunpy_sr.core.operators import project_consistent
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
        warn_user(f"consistency projection: max residual {res:.3g} after {iterations} iterations "
                      f"(tol {tol:g})")
    x[~hr_valid] = np.nan
    x = x.astype(out_dtype, copy=False)
    return (x, info) if return_info else x


