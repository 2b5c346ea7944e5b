"""
RCAN: residual channel attention network for one signed channel (a LOS magnetogram).

After Zhang et al. (2018, ECCV, "Image Super-Resolution Using Very Deep Residual
Channel Attention Networks"), as used by Rahman et al. (2020, ApJL 897, L32):
a shallow 3x3 convolution, residual groups of residual channel-attention blocks
(conv-ReLU-conv, then channel attention with reduction ``r``), a short skip around
every group and a long skip around the body, and sub-pixel (PixelShuffle)
upsampling 2x then 2x. Differences from the RGB original, all deliberate:

* one input channel, no RGB mean shift; the field is divided by a fixed
  ``field_scale`` (G) at the input and multiplied back at the output;
* the channel-attention statistic is a local mean over ``ca_window`` x
  ``ca_window`` pixels instead of a global mean (``ca_window=None`` restores the
  global mean). A global mean depends on the whole image, so a tile would not
  see the statistic the whole map sees; a local window gives a finite receptive
  field (:meth:`RCAN.receptive_radius`) and makes tiled inference exact;
* the upsampler width ``up_feats`` may be smaller than ``n_feats`` (its second
  convolution runs at 2x resolution, where it costs 4x as much per pixel);
* the output is bicubic-free: the network predicts the field directly, but a
  global skip adds the nearest-neighbour upsampled input so that it learns the
  residual (``global_skip=True``).
"""
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RCAN", "ChannelAttention", "RCAB", "ResidualGroup"]


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation style channel attention with a local or global mean."""

    def __init__(self, n_feats, reduction, window):
        super().__init__()
        self.window = window
        hidden = max(1, n_feats // reduction)
        self.fc = nn.Sequential(nn.Conv2d(n_feats, hidden, 1), nn.ReLU(inplace=True),
                                nn.Conv2d(hidden, n_feats, 1), nn.Sigmoid())

    def forward(self, x):
        if self.window is None:
            s = x.mean(dim=(2, 3), keepdim=True)
        elif self.window == 1:
            s = x
        else:
            # the window mean is separable (also at the border, where count_include_pad=False
            # divides by the clipped window's area, a product of its two sides): two 1D means
            # cost 2w instead of w^2 additions per pixel (1.9x faster on channels_last)
            w, h = self.window, self.window // 2
            s = F.avg_pool2d(x, (w, 1), stride=1, padding=(h, 0), count_include_pad=False)
            s = F.avg_pool2d(s, (1, w), stride=1, padding=(0, h), count_include_pad=False)
        return x * self.fc(s)

    def receptive_radius(self):
        return float("inf") if self.window is None else (self.window - 1) // 2


class RCAB(nn.Module):
    """Residual channel attention block: x + CA(conv(relu(conv(x))))."""

    def __init__(self, n_feats, reduction, window):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(n_feats, n_feats, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(n_feats, n_feats, 3, padding=1))
        self.ca = ChannelAttention(n_feats, reduction, window)

    def forward(self, x):
        return x + self.ca(self.body(x))

    def receptive_radius(self):
        return 2 + self.ca.receptive_radius()


class ResidualGroup(nn.Module):
    """``n_blocks`` RCABs and a 3x3 convolution, with a short skip."""

    def __init__(self, n_feats, n_blocks, reduction, window):
        super().__init__()
        self.blocks = nn.Sequential(*[RCAB(n_feats, reduction, window) for _ in range(n_blocks)])
        self.conv = nn.Conv2d(n_feats, n_feats, 3, padding=1)

    def forward(self, x):
        return x + self.conv(self.blocks(x))

    def receptive_radius(self):
        return sum(b.receptive_radius() for b in self.blocks) + 1


class RCAN(nn.Module):
    """
    Residual channel attention network, ``scale`` in {2, 4}, one signed channel.

    Parameters
    ----------
    n_groups, n_blocks, n_feats, reduction : int
        Residual groups, RCABs per group, feature channels, attention reduction.
    scale : int
        Upsampling factor (a power of 2); PixelShuffle 2x stages.
    ca_window : int or None
        Window (LR pixels, odd) of the channel-attention mean; None = global.
    up_feats : int or None
        Channels in the upsampler (default ``n_feats``).
    field_scale : float
        Gauss per network unit at input and output.
    global_skip : bool
        Add the nearest-neighbour upsampled input to the output.
    """

    def __init__(self, n_groups=10, n_blocks=20, n_feats=64, reduction=16, scale=4,
                 ca_window=None, up_feats=None, field_scale=1000.0, global_skip=True):
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of 2, got {scale}")
        if ca_window is not None and (ca_window < 1 or ca_window % 2 == 0):
            raise ValueError(f"ca_window must be a positive odd integer or None, got {ca_window}")
        up_feats = up_feats or n_feats
        self.scale = scale
        self.field_scale = float(field_scale)
        self.global_skip = global_skip
        self.head = nn.Conv2d(1, n_feats, 3, padding=1)
        self.body = nn.Sequential(*[ResidualGroup(n_feats, n_blocks, reduction, ca_window)
                                    for _ in range(n_groups)])
        self.body_conv = nn.Conv2d(n_feats, n_feats, 3, padding=1)
        stages, c_in = [], n_feats
        for _ in range(scale.bit_length() - 2 + 1):
            stages += [nn.Conv2d(c_in, 4 * up_feats, 3, padding=1), nn.PixelShuffle(2)]
            c_in = up_feats
        self.upsample = nn.Sequential(*stages)
        self.tail = nn.Conv2d(up_feats, 1, 3, padding=1)

    def forward(self, x):
        """``x``: (N, 1, H, W) field in gauss -> (N, 1, scale*H, scale*W) in gauss."""
        z = x / self.field_scale
        h = self.head(z)
        h = h + self.body_conv(self.body(h))
        out = self._reconstruct(h)
        if self.global_skip:
            out = out + F.interpolate(z, scale_factor=self.scale, mode="nearest")
        return out * self.field_scale

    #: LR rows per chunk of the upsampler in inference (it works at 2x and 4x
    #: resolution, where a whole large tile would need several GB).
    up_chunk_rows = 128

    def _up_radius(self):
        """Radius (LR pixels, rounded up) of the upsampler and tail convolutions."""
        frac, res = 0.0, 1
        for m in self.upsample:
            if isinstance(m, nn.Conv2d):
                frac += 1 / res
            elif isinstance(m, nn.PixelShuffle):
                res *= 2
        frac += 1 / res  # tail
        return int(-(-frac // 1))

    def _reconstruct(self, h):
        """Upsampler and tail; in inference, in row chunks padded by their receptive radius."""
        rows = h.shape[-2]
        if self.training or torch.is_grad_enabled() or rows <= self.up_chunk_rows:
            return self.tail(self.upsample(h))
        halo, s = self._up_radius(), self.scale
        out = h.new_empty((h.shape[0], 1, rows * s, h.shape[-1] * s))
        for r0 in range(0, rows, self.up_chunk_rows):
            r1 = min(r0 + self.up_chunk_rows, rows)
            p0, p1 = max(r0 - halo, 0), min(r1 + halo, rows)
            part = self.tail(self.upsample(h[..., p0:p1, :]))
            out[..., r0 * s:r1 * s, :] = part[..., (r0 - p0) * s:(r0 - p0 + r1 - r0) * s, :]
        return out

    def load_shallower(self, state_dict):
        """
        Start from the weights of an RCAN with fewer residual groups (growing it deeper).

        Every weight of the shallower network is copied; the extra residual groups
        start as the identity (the convolution that closes each group is zeroed, and
        the group adds its input back), so the grown network computes exactly what
        the shallower one did and training continues from there (Net2Net-style
        function-preserving growth; Chen, Goodfellow & Shlens 2016).

        Parameters
        ----------
        state_dict : dict
            A state_dict of an `RCAN` identical to this one except for fewer groups.

        Raises
        ------
        ValueError
            If the weights are not those of a shallower network of the same width,
            blocks, attention and upsampler.
        """
        def group(key):  # index of the residual group a key belongs to, -1 outside the body
            return int(key.split(".")[1]) if key.startswith("body.") else -1

        own = self.state_dict()
        n_src = 1 + max(map(group, state_dict), default=-1)
        if n_src >= len(self.body):
            raise ValueError(f"the source network has {n_src} residual groups; growing needs "
                             f"fewer than this network's {len(self.body)}")
        expected = {k for k in own if group(k) < n_src}
        if set(state_dict) != expected:
            raise ValueError("the source weights are not a shallower copy of this architecture: "
                             f"keys differ ({sorted(set(state_dict) ^ expected)[:4]} ...)")
        for k, v in state_dict.items():
            if own[k].shape != v.shape:
                raise ValueError(f"the source weights are not a shallower copy of this "
                                 f"architecture: {k} has shape {tuple(v.shape)}, "
                                 f"expected {tuple(own[k].shape)}")
        self.load_state_dict(state_dict, strict=False)
        with torch.no_grad():
            for group in list(self.body)[n_src:]:
                group.conv.weight.zero_()
                group.conv.bias.zero_()
        return n_src

    def receptive_radius(self):
        """
        Radius (LR pixels) beyond which an input pixel cannot change an output pixel.

        Computed from the layers: one pixel per 3x3 convolution at LR, half the
        attention window per RCAB, and the upsampler's convolutions at 2x, 4x...
        resolution (1/2, 1/4 ... LR pixel each), rounded up, plus one pixel for the
        sub-pixel phase of the output. Infinite with global channel attention
        (``ca_window=None``), whose statistic depends on the whole image.
        """
        r = 1 + sum(g.receptive_radius() for g in self.body) + 1
        if r == float("inf"):
            return r
        return int(r + self._up_radius()) + 1
