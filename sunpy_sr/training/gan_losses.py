"""
Adversarial and perceptual losses of the ProGanSR training (Rahman et al. 2020).

Least-squares GAN losses (Mao et al. 2017), Eqs. 3-4 of Rahman et al. (2020), and a
perceptual loss, either the VGG16 feature loss of ProGanSR (Wang et al. 2018; needs
a local VGG16 weight file, nothing is downloaded) or a download-free
gradient-and-spectrum loss. `PerceptualLoss` records which one is used
(``.kind``, ``.description``, ``.config``) so that run files and weight metadata
can say so.

References
----------
.. [1] Mao, X., Li, Q., Xie, H., Lau, R. Y. K., Wang, Z., & Smolley, S. P. 2017,
   "Least Squares Generative Adversarial Networks", ICCV, arXiv:1611.04076.
.. [2] Rahman, S., Moon, Y.-J., Park, E., et al. 2020, "Super-resolution of SDO/HMI
   Magnetograms Using Novel Deep Learning Methods", ApJL, 897, L32.
.. [3] Wang, Y. et al. 2018, "A Fully Progressive Approach to Single-Image
   Super-Resolution", CVPR Workshops, arXiv:1804.02900.
.. [4] Simonyan, K., & Zisserman, A. 2015, ICLR, arXiv:1409.1556 (VGG16).
"""
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from sunpy_sr.weights import sha256

__all__ = ["lsgan_discriminator_loss", "lsgan_generator_loss", "relativistic_lsgan_discriminator_loss",
           "relativistic_lsgan_generator_loss", "PerceptualLoss", "PERCEPTUAL_KINDS", "GAN_LOSSES"]

PERCEPTUAL_KINDS = ("gradient-spectrum", "vgg16")


def lsgan_discriminator_loss(d_real, d_fake):
    r"""
    Least-squares GAN loss of the discriminator (Mao et al. 2017; Rahman et al. 2020, Eq. 3).

    .. math::

        L_D = \tfrac12\,\mathbb{E}_{y}\big[(D(y) - 1)^2\big]
              + \tfrac12\,\mathbb{E}_{x}\big[D(G(x))^2\big]

    with targets 1 for real and 0 for generated images; the expectations are means
    over the batch and the patch map.

    Parameters
    ----------
    d_real, d_fake : `torch.Tensor`
        Discriminator scores (any shape; no sigmoid) of real and generated residuals.
        Detach the generator output before scoring ``d_fake`` for this loss.

    Returns
    -------
    `torch.Tensor`
        Scalar, dimensionless; 0 for a perfect discriminator.
    """
    return 0.5 * ((d_real - 1.0) ** 2).mean() + 0.5 * (d_fake ** 2).mean()


def lsgan_generator_loss(d_fake):
    r"""
    Least-squares GAN loss of the generator (Mao et al. 2017; Rahman et al. 2020, Eq. 4).

    .. math::

        L_G = \tfrac12\,\mathbb{E}_{x}\big[(D(G(x)) - 1)^2\big]

    Parameters
    ----------
    d_fake : `torch.Tensor`
        Discriminator scores of generated residuals (gradients flow to the generator).

    Returns
    -------
    `torch.Tensor`
        Scalar, dimensionless; 0 when the discriminator scores every patch as real.
    """
    return 0.5 * ((d_fake - 1.0) ** 2).mean()


def relativistic_lsgan_discriminator_loss(d_real, d_fake):
    r"""
    Relativistic average least-squares loss of the discriminator (Jolicoeur-Martineau 2019).

    .. math::

        L_D = \tfrac12\,\mathbb{E}_{y}\big[(D(y) - \bar D(G(x)) - 1)^2\big]
              + \tfrac12\,\mathbb{E}_{x}\big[(D(G(x)) - \bar D(y) + 1)^2\big]

    where the bars are batch means: the discriminator judges whether a real residual is
    more realistic than the average generated one, not whether it is real in itself.

    Parameters
    ----------
    d_real, d_fake : `torch.Tensor`
        Discriminator scores (no sigmoid) of real and (detached) generated residuals.

    Returns
    -------
    `torch.Tensor`
        Scalar, dimensionless.
    """
    return (0.5 * ((d_real - d_fake.mean() - 1.0) ** 2).mean()
            + 0.5 * ((d_fake - d_real.mean() + 1.0) ** 2).mean())


def relativistic_lsgan_generator_loss(d_fake, d_real):
    r"""
    Relativistic average least-squares loss of the generator (the discriminator's, roles swapped).

    Unlike the plain LSGAN generator loss it has gradients from the real scores too (through
    their mean, detached here: the discriminator is not updated by the generator's step).

    Parameters
    ----------
    d_fake : `torch.Tensor`
        Scores of generated residuals (gradients flow to the generator).
    d_real : `torch.Tensor`
        Scores of real residuals.

    Returns
    -------
    `torch.Tensor`
        Scalar, dimensionless.
    """
    d_real = d_real.detach()
    return (0.5 * ((d_fake - d_real.mean() - 1.0) ** 2).mean()
            + 0.5 * ((d_real - d_fake.mean() + 1.0) ** 2).mean())


#: GAN loss name -> (discriminator loss(d_real, d_fake), generator loss(d_fake, d_real))
GAN_LOSSES = {
    "lsgan": (lsgan_discriminator_loss, lambda d_fake, d_real: lsgan_generator_loss(d_fake)),
    "relativistic-lsgan": (relativistic_lsgan_discriminator_loss, relativistic_lsgan_generator_loss),
}


class PerceptualLoss(nn.Module):
    r"""
    Perceptual loss between a super-resolved field and its target, VGG16 or download-free.

    ``kind="gradient-spectrum"`` (default, needs no file), on ``z = B / field_scale``:

    .. math::

        L = \frac13 \sum_{s \in \{1, 2, 4\}} \Big(
              \big\langle |\partial_x z^{o}_s - \partial_x z^{t}_s| \big\rangle
            + \big\langle |\partial_y z^{o}_s - \partial_y z^{t}_s| \big\rangle \Big)
          + w_P \,\big\langle |\log_{10}(P^{o} + \epsilon) - \log_{10}(P^{t} + \epsilon)| \big\rangle

    where ``z_s`` is ``z`` averaged over s x s pixel blocks, the derivatives are
    forward differences (network units per pixel at that scale), ``P = |FFT2(z)|^2``
    with the orthonormal 2D FFT (per-mode power, network units^2; its mean over modes
    is the mean of ``z**2``), over all modes of the real FFT, and ``<.>`` a mean.
    The gradient term compares structure at three scales without the large-scale
    offset; the spectrum term compares the power at each spatial frequency
    whatever its phase, penalising the loss of small-scale power (blur) and
    spurious power (noise, ringing) in decades.

    ``kind="vgg16"``: ProGanSR's feature loss (Wang et al. 2018),
    ``sum_l w_l * mean((phi_l(out) - phi_l(target))**2)`` over the ``relu2_2`` and
    ``relu4_3`` activations ``phi_l`` of VGG16 (`sunpy_sr.models.vgg.VGG16Features`,
    the field mapped to grey ``0.5 + 0.5 B / field_scale``), weights ``w_l =
    layer_weights`` (ProGanSR: 0.5 and 2). Needs ``weights``, a local
    torchvision-style VGG16 state_dict file; VGG is frozen.

    Parameters
    ----------
    kind : {"gradient-spectrum", "vgg16"}
        Which loss; no silent substitution (``"vgg16"`` without ``weights`` raises).
    weights : path-like, optional
        VGG16 weight file (``kind="vgg16"`` only).
    field_scale : float
        Gauss per normalised unit (both kinds).
    spectrum_weight : float
        ``w_P`` of the gradient-spectrum loss. Default 0.01 weights the two terms about
        equally: for bicubic interpolation of the bundled active-region sample
        (256^2, degraded 4x by the default Gaussian-bilinear recipe) against the
        original, the gradient term is 0.013 and the spectrum term 1.08 decades
        (0.74 for the original plus 10 G white noise: per-mode power scatters, so
        this term never reaches 0 between two noisy images).
    eps : float
        ``epsilon`` of the log power, in network units^2 (1e-6 = 1 G^2 per mode at
        ``field_scale=1000``, 1 % of HMI's ~10 G white noise power).
    layer_weights : sequence of 2 float
        ``w_l`` of relu2_2 and relu4_3 (``kind="vgg16"``).

    Attributes
    ----------
    kind : str
    description : str
        One line naming the loss, its terms and weights, and the VGG file and its
        SHA-256, for run files and weight metadata.
    weights_path : str or None
    weights_sha256 : str or None
    config : dict
        JSON-serialisable constructor arguments (with ``weights_sha256``).

    Raises
    ------
    ValueError
        Unknown ``kind``; ``kind="vgg16"`` without ``weights``; ``weights`` given with
        ``kind="gradient-spectrum"``.
    sunpy_sr.exceptions.WeightsError
        A VGG16 file that is missing, unreadable, unsafe or not VGG16.

    References
    ----------
    .. [1] Wang, Y. et al. 2018, CVPR Workshops, arXiv:1804.02900.
    .. [2] Simonyan, K., & Zisserman, A. 2015, ICLR, arXiv:1409.1556.
    .. [3] Rahman, S. et al. 2020, ApJL, 897, L32.
    """

    scales = (1, 2, 4)

    def __init__(self, *, kind="gradient-spectrum", weights=None, field_scale=1000.0,
                 spectrum_weight=0.01, eps=1e-6, layer_weights=(0.5, 2.0)):
        super().__init__()
        if kind not in PERCEPTUAL_KINDS:
            raise ValueError(f"unknown perceptual loss kind {kind!r}; known: {list(PERCEPTUAL_KINDS)}")
        self.kind = kind
        self.field_scale = float(field_scale)
        self.weights_path = self.weights_sha256 = None
        if kind == "vgg16":
            if weights is None:
                raise ValueError("kind='vgg16' needs weights=<path of a local VGG16 state_dict file> "
                                 "(nothing is downloaded); use kind='gradient-spectrum' for a loss "
                                 "without a weight file")
            from sunpy_sr.models.vgg import load_vgg16_weights
            self.vgg = load_vgg16_weights(weights, field_range=self.field_scale)
            self.weights_path = str(Path(weights).resolve())
            self.weights_sha256 = sha256(weights)
            self.layer_weights = tuple(float(w) for w in layer_weights)
            if len(self.layer_weights) != 2:
                raise ValueError(f"layer_weights needs 2 values (relu2_2, relu4_3), got {layer_weights}")
            self.config = {"kind": kind, "weights": self.weights_path,
                           "weights_sha256": self.weights_sha256, "field_scale": self.field_scale,
                           "layer_weights": list(self.layer_weights)}
            self.description = (f"vgg16 feature MSE, relu2_2 x {self.layer_weights[0]:g} + relu4_3 x "
                                f"{self.layer_weights[1]:g}, grey = 0.5 + 0.5 B / {self.field_scale:g} G, "
                                f"weights {self.weights_path} (sha256 {self.weights_sha256})")
        else:
            if weights is not None:
                raise ValueError("weights= is only for kind='vgg16'; the gradient-spectrum loss has "
                                 "no weight file")
            self.spectrum_weight, self.eps = float(spectrum_weight), float(eps)
            self.config = {"kind": kind, "field_scale": self.field_scale,
                           "spectrum_weight": self.spectrum_weight, "eps": self.eps,
                           "scales": list(self.scales)}
            self.description = (f"gradient-spectrum: mean L1 of x/y forward differences at scales "
                                f"{', '.join(map(str, self.scales))} + {self.spectrum_weight:g} x mean "
                                f"|log10 power difference| (orthonormal FFT, eps {self.eps:g}), "
                                f"B / {self.field_scale:g} G")

    def gradient_term(self, output, target):
        """Multi-scale gradient L1 (normalised units per pixel), mean over the scales."""
        d = (output - target) / self.field_scale  # the differences are linear: diff of diffs
        total = 0.0
        for s in self.scales:
            ds = F.avg_pool2d(d, s) if s > 1 else d
            total = total + (ds[..., :, 1:] - ds[..., :, :-1]).abs().mean() \
                + (ds[..., 1:, :] - ds[..., :-1, :]).abs().mean()
        return total / len(self.scales)

    def spectrum_term(self, output, target):
        """Mean absolute difference of log10 power per Fourier mode (decades)."""
        def log_power(x):
            f = torch.fft.rfft2((x / self.field_scale).float(), norm="ortho")
            return torch.log10(f.real ** 2 + f.imag ** 2 + self.eps)
        return (log_power(output) - log_power(target)).abs().mean()

    def forward(self, output, target):
        """
        Loss of ``output`` against ``target``.

        Parameters
        ----------
        output, target : `torch.Tensor`
            (N, 1, H, W) fields in gauss (H, W >= 4 for the gradient-spectrum loss,
            >= 8 for vgg16).

        Returns
        -------
        `torch.Tensor`
            Scalar, dimensionless; 0 for identical inputs.
        """
        if output.shape != target.shape:
            raise ValueError(f"output and target shapes differ: {tuple(output.shape)} vs "
                             f"{tuple(target.shape)}")
        if self.kind == "vgg16":
            fo, ft = self.vgg(output), self.vgg(target)
            return sum(w * F.mse_loss(a, b) for w, a, b in zip(self.layer_weights, fo, ft))
        return self.gradient_term(output, target) + self.spectrum_weight * self.spectrum_term(output, target)
