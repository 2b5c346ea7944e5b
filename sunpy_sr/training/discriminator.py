"""
Progressive patch discriminator judging super-resolution residuals at 2x and 4x.

It mirrors the two levels of `sunpy_sr.models.progan.ProGenerator`, as the
discriminator of ProGanSR (Wang et al. 2018) does, and judges *residuals*: an
image at 2x or 4x minus the bicubic interpolation of the LR input, so that it
sees only the detail the generator adds, not the large-scale field bicubic
already gives. Least-squares GAN (Mao et al. 2017; Rahman et al. 2020, Eqs. 3-4):
the output is an unbounded score per patch (no sigmoid), see
`sunpy_sr.training.gan_losses`.

Layout (``c = width``; every 3x3 convolution but the last followed by LeakyReLU 0.2;
no normalisation layers)::

    residual_4x (4H) -> conv 1->c, conv c->c stride 2 -------------------+
                                                                         | (alpha blend)
    residual_2x (2H) -> conv 1->c -----------------------------------------+-> trunk at 2H:
        n_down x [conv stride 2 (channels x2, at most max_width), conv] -> conv -> 1
    -> score map (N, 1, 2H / 2**n_down, 2W / 2**n_down)

References
----------
.. [1] Wang, Y. et al. 2018, "A Fully Progressive Approach to Single-Image
   Super-Resolution", CVPR Workshops, arXiv:1804.02900.
.. [2] Rahman, S. et al. 2020, ApJL, 897, L32.
.. [3] Mao, X., Li, Q., Xie, H., Lau, R. Y. K., Wang, Z., & Smolley, S. P. 2017,
   "Least Squares Generative Adversarial Networks", ICCV, arXiv:1611.04076.
"""
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ProgressiveDiscriminator"]


def _conv(c_in, c_out, stride=1):
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.LeakyReLU(0.2, inplace=True)]


class ProgressiveDiscriminator(nn.Module):
    """
    Patch discriminator with a 4x branch whose 2x features join the 2x branch.

    Parameters
    ----------
    width : int
        Channels of the input branches (the trunk doubles them at each stride).
    n_down : int
        Stride-2 stages of the trunk (at 2x resolution).
    max_width : int
        Upper bound on trunk channels.
    field_scale : float
        Gauss per network unit: without ``input_scale`` the residuals (in gauss) are
        divided by it at the input, as in the generator.
    input_scale : float, optional
        Gauss. If given, the discriminator sees ``asinh(residual / input_scale)``
        instead: residuals of a few ``input_scale`` reach it at order one and kilogauss
        ones are compressed logarithmically. Quiet-Sun residuals are ~10 G, 1 % of a
        ``field_scale`` of 1000 G, so the linear scaling leaves them too small for a
        freshly initialised discriminator to tell apart.

    References
    ----------
    .. [1] Wang, Y. et al. 2018, CVPR Workshops, arXiv:1804.02900.
    .. [2] Mao, X. et al. 2017, ICCV, arXiv:1611.04076.
    """

    def __init__(self, *, width=16, n_down=2, max_width=128, field_scale=1000.0, input_scale=None):
        super().__init__()
        if width < 1 or n_down < 0 or max_width < width:
            raise ValueError(f"need width >= 1, n_down >= 0, max_width >= width; got {width}, "
                             f"{n_down}, {max_width}")
        if input_scale is not None and not float(input_scale) > 0:
            raise ValueError(f"input_scale must be a positive number of gauss or None, got {input_scale!r}")
        self.field_scale = float(field_scale)
        self.input_scale = None if input_scale is None else float(input_scale)
        self.n_down = int(n_down)
        self.from_4x = nn.Sequential(*_conv(1, width), *_conv(width, width, stride=2))
        self.from_2x = nn.Sequential(*_conv(1, width))
        layers, c = [], width
        for _ in range(n_down):
            c_out = min(2 * c, max_width)
            layers += _conv(c, c_out, stride=2) + _conv(c_out, c_out)
            c = c_out
        layers.append(nn.Conv2d(c, 1, 3, padding=1))
        self.trunk = nn.Sequential(*layers)

    def _normalise(self, residual):
        if self.input_scale is None:
            return residual / self.field_scale
        return torch.asinh(residual / self.input_scale)

    def features(self, residual_4x, alpha=1.0):
        """
        The trunk's activations (after each LeakyReLU) and the score map, for feature matching.

        Parameters
        ----------
        residual_4x : `torch.Tensor`
            (N, 1, 4H, 4W) image at 4x minus ``bicubic(LR, 4)``, in gauss.
        alpha : float
            As in :meth:`forward`.

        Returns
        -------
        list of `torch.Tensor`
            The activations, in order; the last entry is the score map of :meth:`forward`.
        """
        h = self._branches(residual_4x, None, alpha)
        out = []
        for layer in self.trunk:
            h = layer(h)
            if not isinstance(layer, nn.Conv2d):
                out.append(h)
        return out + [h]

    def forward(self, residual_4x=None, residual_2x=None, alpha=1.0):
        """
        Score residuals (least-squares GAN: real -> 1, fake -> 0; no sigmoid).

        Parameters
        ----------
        residual_4x : `torch.Tensor`, optional
            (N, 1, 4H, 4W) image at 4x minus ``bicubic(LR, 4)``, in gauss.
        residual_2x : `torch.Tensor`, optional
            (N, 1, 2H, 2W) image at 2x minus ``bicubic(LR, 2)``, in gauss. Used when
            ``residual_4x`` is None (level-1 training) or ``alpha < 1`` (fade-in of
            the 4x branch); default then: the 2x2 mean of ``residual_4x``. Not used
            when ``residual_4x`` is given and ``alpha == 1``.
        alpha : float
            Fade-in weight of the 4x branch, in [0, 1]: the trunk sees
            ``alpha * from_4x(r4) + (1 - alpha) * from_2x(r2)``.

        Returns
        -------
        `torch.Tensor`
            (N, 1, 2H / 2**n_down, 2W / 2**n_down) patch scores (same shape at both
            levels).
        """
        return self.trunk(self._branches(residual_4x, residual_2x, alpha))

    def _branches(self, residual_4x, residual_2x, alpha):
        """The trunk's input at 2x from the 4x and/or 2x branches."""
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
        alpha = float(alpha)
        if residual_4x is None:
            if residual_2x is None:
                raise ValueError("give residual_4x, residual_2x or both")
            if alpha != 1.0:
                raise ValueError("alpha < 1 blends the 4x branch in: it needs residual_4x")
            h = self.from_2x(self._normalise(residual_2x))
        else:
            h4 = self.from_4x(self._normalise(residual_4x)) if alpha > 0.0 else None
            if alpha < 1.0:
                r2 = residual_2x if residual_2x is not None else F.avg_pool2d(residual_4x, 2)
                if r2.shape[-2:] != (residual_4x.shape[-2] // 2, residual_4x.shape[-1] // 2):
                    raise ValueError(f"residual_2x has shape {tuple(r2.shape)}, expected half of "
                                     f"residual_4x's {tuple(residual_4x.shape)}")
                h2 = self.from_2x(self._normalise(r2))
                h = h2 if h4 is None else alpha * h4 + (1.0 - alpha) * h2
            else:
                h = h4
        return h
