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

Options for a cheaper network on a CPU (all off by default, so the presets
trained before them rebuild unchanged):

* ``rep=True``: every 3x3 feature convolution of the body is trained as two
  branches (3x3 and 1x1) and fused into one 3x3 convolution for
  inference (structural re-parameterisation: Ding et al. 2021, RepVGG; Zhang
  et al. 2021, ECBSR; Wan et al. 2024, SPAN); :meth:`RCAN.fused` returns the
  equal network with plain convolutions;
* ``attention="group"``: one channel attention per residual group (after the
  group's closing convolution) instead of one per block, which removes most of
  the element-wise work (pooling, sigmoid, multiply);
* ``upsampler="direct"``: one LR convolution to ``scale**2`` channels and one
  PixelShuffle (ESPCN, Shi et al. 2016), instead of 2x stages with
  convolutions at 2x and 4x resolution.
"""
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RCAN", "ChannelAttention", "RCAB", "ResidualGroup", "RepConv"]


def _add_skip(x, y):
    """
    ``x + y`` for a skip connection, where ``y`` is a new tensor made from ``x``.

    In inference (no autograd) the sum is written into ``y``: the same values, without
    allocating and first touching another feature map of the whole tile (see the
    full-disk profile in the performance docs).
    """
    if torch.is_grad_enabled() or y.shape != x.shape or y.dtype != x.dtype:
        return x + y  # a float32 stream plus a bfloat16 branch: the sum is float32
    return y.add_(x)


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
            # cost 2w instead of w^2 additions per pixel
            w, h = self.window, self.window // 2
            s = F.avg_pool2d(x, (w, 1), stride=1, padding=(h, 0), count_include_pad=False)
            s = F.avg_pool2d(s, (1, w), stride=1, padding=(0, h), count_include_pad=False)
        w = self.fc(s)
        if w.shape == x.shape and not torch.is_grad_enabled():
            return w.mul_(x)  # inference: in place, on the new tensor (same values as x * w)
        return x * w

    def receptive_radius(self):
        return float("inf") if self.window is None else (self.window - 1) // 2


class RepConv(nn.Module):
    """
    A 3x3 convolution trained as two branches: ``conv3(x) + conv1(x)``.

    Both are linear in ``x``, so they equal one 3x3 convolution whose kernel is the
    3x3 kernel plus the 1x1 kernel at its centre (:meth:`fused_weight`): more to
    learn from in training, the cost of a single convolution in inference (Ding et
    al. 2021, "RepVGG"; Zhang et al. 2021, ECBSR). RepVGG's third, identity branch
    is left out: inside residual blocks that already add their input, it made the
    activations of a newly initialised ``rcan-lite`` grow to ~1e5 G at the output
    (~1e3 G without it, as for ``rcan-small``).
    """

    def __init__(self, n_feats):
        super().__init__()
        self.conv3 = nn.Conv2d(n_feats, n_feats, 3, padding=1)
        self.conv1 = nn.Conv2d(n_feats, n_feats, 1)

    def forward(self, x):
        return self.conv3(x) + self.conv1(x)

    @torch.no_grad()
    def fused_weight(self):
        """``(weight, bias)`` of the single 3x3 convolution equal to this block."""
        w = self.conv3.weight.clone()
        w[:, :, 1, 1] += self.conv1.weight[:, :, 0, 0]
        return w, self.conv3.bias + self.conv1.bias


def _conv3(n_feats, rep):
    """A 3x3 feature convolution, re-parameterisable if ``rep``."""
    return RepConv(n_feats) if rep else nn.Conv2d(n_feats, n_feats, 3, padding=1)


class RCAB(nn.Module):
    """Residual channel attention block: x + CA(conv(relu(conv(x)))); CA omitted if ``window`` is False."""

    def __init__(self, n_feats, reduction, window, rep=False):
        super().__init__()
        self.body = nn.Sequential(_conv3(n_feats, rep), nn.ReLU(inplace=True), _conv3(n_feats, rep))
        self.ca = ChannelAttention(n_feats, reduction, window) if window is not False else nn.Identity()

    def forward(self, x):
        return _add_skip(x, self.ca(self.body(x)))

    def receptive_radius(self):
        return 2 + (self.ca.receptive_radius() if isinstance(self.ca, ChannelAttention) else 0)


class ResidualGroup(nn.Module):
    """
    ``n_blocks`` RCABs and a 3x3 convolution, with a short skip.

    With ``attention="group"`` the blocks have no attention of their own and one
    channel attention follows the group's closing convolution.
    """

    def __init__(self, n_feats, n_blocks, reduction, window, rep=False, attention="block"):
        super().__init__()
        block_window = window if attention == "block" else False
        self.blocks = nn.Sequential(*[RCAB(n_feats, reduction, block_window, rep) for _ in range(n_blocks)])
        self.conv = _conv3(n_feats, rep)
        self.ca = ChannelAttention(n_feats, reduction, window) if attention == "group" else None

    def forward(self, x):
        # a float32 stream under an autocast (RCAN.fp32_stream): the blocks inside the group run
        # in the autocast's type, the group's skip sum is float32
        dev = x.device.type
        to_half = x.dtype == torch.float32 and torch.is_autocast_enabled(dev)
        inner = x.to(torch.get_autocast_dtype(dev)) if to_half else x
        y = self.conv(self.blocks(inner))
        return _add_skip(x, self.ca(y) if self.ca is not None else y)

    def receptive_radius(self):
        r = sum(b.receptive_radius() for b in self.blocks) + 1
        return r + (self.ca.receptive_radius() if self.ca is not None else 0)


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
    rep : bool
        Train the body's 3x3 convolutions as re-parameterisable `RepConv` blocks
        (fuse them with :meth:`fused` for inference).
    attention : {"block", "group"}
        One channel attention per block (Zhang et al. 2018) or per residual group.
    upsampler : {"progressive", "direct"}
        2x PixelShuffle stages with ``up_feats`` channels and a tail convolution,
        or one LR convolution to ``scale**2`` channels and one PixelShuffle.
    up_kernel : int
        Kernel size (odd) of the direct upsampler's LR convolution.
    fuse_upsampler : bool
        With the progressive upsampler: :meth:`fused` folds it into a direct one.
        Its stages have no activation, so together they are one linear map of the
        LR features, which one LR convolution of kernel ``2 * radius + 1`` (5 at 4x)
        to ``scale**2`` phases computes: trained with the progressive upsampler's
        layers and reach, run at about a quarter of its cost.
    """

    def __init__(self, n_groups=10, n_blocks=20, n_feats=64, reduction=16, scale=4,
                 ca_window=None, up_feats=None, field_scale=1000.0, global_skip=True,
                 rep=False, attention="block", upsampler="progressive", up_kernel=3, fuse_upsampler=False):
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of 2, got {scale}")
        if ca_window is not None and (ca_window < 1 or ca_window % 2 == 0):
            raise ValueError(f"ca_window must be a positive odd integer or None, got {ca_window}")
        if attention not in ("block", "group"):
            raise ValueError(f"attention must be 'block' or 'group', got {attention!r}")
        if upsampler not in ("progressive", "direct"):
            raise ValueError(f"upsampler must be 'progressive' or 'direct', got {upsampler!r}")
        if up_kernel < 1 or up_kernel % 2 == 0:
            raise ValueError(f"up_kernel must be a positive odd integer, got {up_kernel}")
        if fuse_upsampler and upsampler != "progressive":
            raise ValueError("fuse_upsampler folds a progressive upsampler; this one is direct")
        up_feats = up_feats or n_feats
        self.scale = scale
        self.field_scale = float(field_scale)
        self.global_skip = global_skip
        self.config = {"n_groups": n_groups, "n_blocks": n_blocks, "n_feats": n_feats,
                       "reduction": reduction, "scale": scale, "ca_window": ca_window,
                       "up_feats": up_feats, "field_scale": field_scale, "global_skip": global_skip,
                       "rep": rep, "attention": attention, "upsampler": upsampler,
                       "up_kernel": up_kernel, "fuse_upsampler": fuse_upsampler}
        self.head = nn.Conv2d(1, n_feats, 3, padding=1)
        self.body = nn.Sequential(*[ResidualGroup(n_feats, n_blocks, reduction, ca_window, rep, attention)
                                    for _ in range(n_groups)])
        self.body_conv = _conv3(n_feats, rep)
        if upsampler == "direct":
            self.upsample = nn.Sequential(
                nn.Conv2d(n_feats, scale * scale, up_kernel, padding=up_kernel // 2),
                nn.PixelShuffle(scale))
            self.tail = nn.Identity()
        else:
            stages, c_in = [], n_feats
            for _ in range(scale.bit_length() - 2 + 1):
                stages += [nn.Conv2d(c_in, 4 * up_feats, 3, padding=1), nn.PixelShuffle(2)]
                c_in = up_feats
            self.upsample = nn.Sequential(*stages)
            self.tail = nn.Conv2d(up_feats, 1, 3, padding=1)

    def fused(self):
        """
        The equal network for inference: re-parameterisable blocks and upsampler folded.

        Every `RepConv` becomes one 3x3 convolution; with ``fuse_upsampler=True`` the
        progressive upsampler and its tail become one LR convolution (see
        :meth:`_folded_upsampler`).

        Returns
        -------
        RCAN
            A new network (``rep=False``, a direct upsampler if folded, same other
            options, eval mode) whose output equals this one's to float rounding (with a
            folded upsampler: everywhere except within its radius, 2 LR pixels at 4x,
            of the input's edges, where the zero padding between the progressive
            stages differs); ``self`` if there is nothing to fold.
        """
        fold = self.config["fuse_upsampler"]
        if not self.config["rep"] and not fold:
            return self
        config = {**self.config, "rep": False}
        state = {}
        if fold:
            weight, bias = self._folded_upsampler()
            config.update(upsampler="direct", up_kernel=weight.shape[-1], fuse_upsampler=False)
            state["upsample.0.weight"], state["upsample.0.bias"] = weight, bias
        plain = RCAN(**config)
        for name, module in self.named_modules():
            if isinstance(module, RepConv):
                state[f"{name}.weight"], state[f"{name}.bias"] = module.fused_weight()
        inside_rep = tuple(f"{n}." for n, m in self.named_modules() if isinstance(m, RepConv))
        replaced = inside_rep + (("upsample.", "tail.") if fold else ())
        for key, value in self.state_dict().items():
            if not key.startswith(replaced):
                state[key] = value
        plain.load_state_dict(state)
        return plain.eval()

    @torch.no_grad()
    def _folded_upsampler(self):
        """
        ``(weight, bias)`` of the LR convolution equal to the progressive upsampler and tail.

        The stages are linear, so the map is read off from impulse responses: the
        response to a unit of feature ``c`` at one LR pixel gives, for every LR offset
        within the radius ``R``, the weights of the ``scale**2`` output phases; the
        response to zero input gives the bias. The grid is wide enough that its own
        zero padding does not reach the pixels read.
        """
        radius, s = self._up_radius(), self.scale
        n_feats = self.config["n_feats"]
        n = 4 * radius + 3
        c = n // 2
        was_training = self.training
        self.eval()
        zero = torch.zeros(1, n_feats, n, n, dtype=self.head.weight.dtype)
        base = self.tail(self.upsample(zero))[0, 0]
        impulses = torch.zeros(n_feats, n_feats, n, n, dtype=zero.dtype)
        impulses[range(n_feats), range(n_feats), c, c] = 1.0
        resp = self.tail(self.upsample(impulses))[:, 0] - base
        k = 2 * radius + 1
        weight = torch.empty(s * s, n_feats, k, k, dtype=zero.dtype)
        for ky in range(k):
            for kx in range(k):
                # output LR pixel (i, j) sees input (c, c) at kernel offset (ky, kx)
                i, j = c + radius - ky, c + radius - kx
                block = resp[:, s * i:s * i + s, s * j:s * j + s]      # (n_feats, s, s): phases p, q
                weight[:, :, ky, kx] = block.reshape(n_feats, s * s).T  # PixelShuffle phase p * s + q
        bias = base[s * c:s * c + s, s * c:s * c + s].reshape(s * s).clone()
        self.train(was_training)
        return weight, bias

    def forward(self, x):
        """``x``: (N, 1, H, W) field in gauss -> (N, 1, scale*H, scale*W) in gauss."""
        z = x / self.field_scale
        if self.fp32_stream and torch.is_autocast_enabled(x.device.type):
            with torch.autocast(x.device.type, enabled=False):  # the head in float32
                h = self.head(z.float())
        else:
            h = self.head(z)
        h = _add_skip(h, self.body_conv(self.body(h)))
        if self.fp32_tail and torch.is_autocast_enabled(x.device.type):
            with torch.autocast(x.device.type, enabled=False):  # the upsampler in float32
                out = self._reconstruct(h.float())
        else:
            out = self._reconstruct(h)
        if self.global_skip:
            out = out + F.interpolate(z, scale_factor=self.scale, mode="nearest")
        return out * self.field_scale

    #: Run the upsampler and tail in float32 under a bfloat16 autocast (a precision lever,
    #: measured by ``benchmarks/precision_levers.py``); off by default.
    fp32_tail = False

    #: Under a bfloat16 autocast, keep the long residual stream (the head's output, each
    #: residual group's skip sum and the long skip) in float32 while everything inside the
    #: groups runs in bfloat16: the stream is then not rounded to bfloat16's 8-bit mantissa
    #: at each group. Off by default (a precision lever, measured by
    #: ``benchmarks/precision_levers.py``).
    fp32_stream = False

    #: LR rows per chunk of the upsampler in inference (it works at 2x and 4x
    #: resolution, where a whole large tile would need several GB).
    up_chunk_rows = 128

    def _up_radius(self):
        """Radius (LR pixels, rounded up) of the upsampler and tail convolutions."""
        frac, res = 0.0, 1
        for m in self.upsample:
            if isinstance(m, nn.Conv2d):
                frac += (m.kernel_size[0] // 2) / res
            elif isinstance(m, nn.PixelShuffle):
                res *= 2
        if isinstance(self.tail, nn.Conv2d):
            frac += (self.tail.kernel_size[0] // 2) / res
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
