"""
The consistency projection inside training: a differentiable ``x -> x + D^+ (lr - D x)``.

With ``GanSettings.consistent`` the generator's 4x output is projected onto the maps that
degrade to its LR input before any loss sees it, so the generator only has to supply
what the observation does not determine (the null space of the degradation ``D``); the
part ``D`` sees is fixed by the input. This is the training-side twin of the
``consistent=True`` option of the methods (`sunpy_sr.core.operators.project_consistent`),
for NaN-free training patches.

On a NaN-free patch the degradation is separable with the edge weights folded in,
``D x = D_y x D_x^T`` (`sunpy_sr.core.operators`), so its pseudo-inverse is the
Kronecker product of the per-axis ones, ``D_a^+ = D_a^T (D_a D_a^T)^{-1}``, and the
projection is two small matrix products per side, exact and cheap (no iterations).
Inside an image it equals `~sunpy_sr.core.operators.project_consistent`; at a patch's
edge the patch's ``D`` normalises the Gaussian over the pixels it has, as
`~sunpy_sr.core.degrade_array` does at an image's edge.
"""
import numpy as np
import torch

from sunpy_sr.core.operators import axis_operator

__all__ = ["ConsistencyProjection", "ProjectedModel"]


class ConsistencyProjection:
    """
    The orthogonal projection onto ``{x : D x = lr}`` for NaN-free batches, differentiable.

    Parameters
    ----------
    factor : int
        The degradation factor (the network's zoom).
    method : str
        A registered degradation recipe (`sunpy_sr.core.degradation_methods`).
    sigma, kernel_size : float, int
        The recipe's options (HR pixels).

    Examples
    --------
    >>> import torch
    >>> from sunpy_sr.training.projection import ConsistencyProjection
    >>> project = ConsistencyProjection()
    >>> lr, sr = torch.randn(2, 1, 12, 16) * 100, torch.randn(2, 1, 48, 64) * 100
    >>> x = project(sr, lr)
    >>> float((project.degrade(x) - lr).abs().max()) < 1e-3  # G: it degrades onto its input
    True
    """

    def __init__(self, *, factor=4, method="gaussian-bilinear", sigma=2.0, kernel_size=5):
        self.factor, self.method, self.sigma, self.kernel_size = factor, method, sigma, kernel_size
        self._cache = {}

    def _axis(self, n_hr, like):
        """``(D_a, D_a^+)`` of one axis of ``n_hr`` HR pixels, as tensors like ``like``."""
        key = (n_hr, like.dtype, like.device)
        if key not in self._cache:
            d = axis_operator(self.method, n_hr, self.factor, sigma=self.sigma, kernel_size=self.kernel_size)
            pinv = d.T @ np.linalg.inv(d @ d.T)
            self._cache[key] = tuple(torch.as_tensor(t, dtype=like.dtype, device=like.device)
                                     for t in (d, pinv))
        return self._cache[key]

    def degrade(self, x):
        """``D x`` for a batch ``(..., H, W)`` (G)."""
        dy, _ = self._axis(x.shape[-2], x)
        dx, _ = self._axis(x.shape[-1], x)
        return dy @ x @ dx.T

    def __call__(self, sr, lr):
        """``sr + D^+ (lr - D sr)``: ``sr`` ``(..., H, W)``, ``lr`` ``(..., H / factor, W / factor)`` (G)."""
        dy, py = self._axis(sr.shape[-2], sr)
        dx, px = self._axis(sr.shape[-1], sr)
        return sr + py @ (lr - dy @ sr @ dx.T) @ px.T


class ProjectedModel(torch.nn.Module):
    """A network whose 4x output is projected onto its input (`ConsistencyProjection`); for validation."""

    def __init__(self, net, projection):
        super().__init__()
        self.net, self.projection = net, projection

    def forward(self, lr):
        return self.projection(self.net(lr), lr)
