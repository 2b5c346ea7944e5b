"""
Error-model networks: a per-pixel standard deviation of a super-resolved output.

`ErrorNet` works on the LR grid. Its input, per LR pixel, is the LR field and the
``scale x scale`` block of output pixels it is the parent of (space-to-depth), each
as a signed logarithm (``asinh(B / 50 G)``) and saturating (``tanh(B / 1000 G)``); a few 3x3
convolutions map that to the natural logarithm of sigma for each of the block's
pixels, which depth-to-space puts back on the output grid. Working on the LR grid
keeps it cheap (one LR pixel carries 16 output pixels) and its receptive field
finite (``layers - 1`` LR pixels), so tiled and untiled runs agree exactly.

It is trained by `sunpy_sr.training.error_fit` with the Gaussian negative
log-likelihood of the residuals ``output - truth`` of a frozen method, and then
calibrated (`sunpy_sr.inference.errors.ErrorModel`).
"""
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["ErrorNet"]


class ErrorNet(nn.Module):
    """
    ``(lr, sr) -> log sigma``: a small local network on the LR grid (see module docstring).

    Parameters
    ----------
    channels : int
        Feature channels of the hidden convolutions.
    layers : int
        Number of 3x3 convolutions (at least 1); a final 1x1 convolution gives the
        ``scale**2`` log-sigmas of each LR pixel's children.
    scale : int
        The super-resolution factor.
    log_sigma_init : float
        Initial bias of the output, ln(G) (ln 10 G: the order of the networks' errors
        on the quiet Sun).

    Examples
    --------
    >>> import torch
    >>> from sunpy_sr.models.error import ErrorNet
    >>> net = ErrorNet(channels=8, layers=2).eval()
    >>> net.receptive_radius(), sum(p.numel() for p in net.parameters())
    (2, 3184)
    >>> with torch.inference_mode():
    ...     net(torch.zeros(1, 1, 6, 5), torch.zeros(1, 1, 24, 20)).shape
    torch.Size([1, 1, 24, 20])
    """

    def __init__(self, channels=24, layers=3, scale=4, log_sigma_init=2.3):
        super().__init__()
        if int(layers) < 1:
            raise ValueError(f"layers must be at least 1, got {layers}")
        self.config = {"channels": int(channels), "layers": int(layers), "scale": int(scale),
                       "log_sigma_init": float(log_sigma_init)}
        self.scale = int(scale)
        n_in = len(self.FEATURES) * (1 + self.scale ** 2)
        convs = []
        for i in range(int(layers)):
            convs.append(nn.Conv2d(n_in if i == 0 else channels, channels, 3, padding=1))
        self.body = nn.ModuleList(convs)
        self.tail = nn.Conv2d(channels, self.scale ** 2, 1)
        nn.init.zeros_(self.tail.weight)
        nn.init.constant_(self.tail.bias, float(log_sigma_init))

    def receptive_radius(self):
        """LR pixels beyond which the input cannot change an output pixel's sigma."""
        return len(self.body)

    #: The features of a field ``b`` (G) the network sees: both grow slowly or not at all beyond
    #: the fields of the fit data (a few kG at most), so sigma cannot run away where the network
    #: never saw such fields.
    FEATURES = (lambda b: torch.asinh(b / 50.0), lambda b: torch.tanh(b / 1000.0))

    def _input_channels_last(self, lr, sr):
        """
        The features of ``lr`` and of each pixel's ``scale x scale`` output block, ``(N, C, H, W)``
        in channels-last memory (oneDNN's fast layout for CPU convolutions).

        Written straight into that layout, with the features computed on the contiguous output
        image: the same values as concatenating the features of ``lr`` and of
        ``pixel_unshuffle(sr)`` and converting, without two copies of the largest array.
        """
        n, _, height, width = lr.shape
        s, k = self.scale, self.scale ** 2
        nf = len(self.FEATURES)
        h = torch.empty((n, height, width, nf * (1 + k)), dtype=lr.dtype, device=lr.device)
        for i, feature in enumerate(self.FEATURES):
            h[..., i] = feature(lr[:, 0])
            blocks = feature(sr).view(n, height, s, width, s).permute(0, 1, 3, 2, 4)  # unshuffle order
            h[..., nf + i * k:nf + (i + 1) * k] = blocks.reshape(n, height, width, k)
        return h.permute(0, 3, 1, 2)

    def forward(self, lr, sr):
        """
        Parameters
        ----------
        lr : `torch.Tensor`
            ``(N, 1, H, W)`` LR field, G.
        sr : `torch.Tensor`
            ``(N, 1, scale H, scale W)`` the method's output, G.

        Returns
        -------
        `torch.Tensor`
            ``(N, 1, scale H, scale W)``: ln(sigma / G), uncalibrated.
        """
        h = self._input_channels_last(lr, sr)
        for conv in self.body:
            h = F.relu(conv(h))
        return F.pixel_shuffle(self.tail(h), self.scale)
