"""
ProGanSR generator: a 2x-then-2x pyramid of dense compression units predicting residuals.

After the progressive super-resolution network of Wang et al. (2018, "A Fully
Progressive Approach to Single-Image Super-Resolution", CVPRW; ProSR / ProGanSR),
as used by Rahman et al. (2020, ApJL 897, L32) for HMI magnetograms. Each pyramid
level doubles the resolution:

* level 1 (LR -> 2x): a 3x3 head convolution, ``dcus[0]`` dense compression units
  (DCUs) and a 3x3 convolution, with a skip around them; a sub-pixel upsampler
  (3x3 convolution to ``4 * width``, PixelShuffle(2), ReLU); a 3x3 reconstruction
  convolution giving the level's residual image;
* level 2 (2x -> 4x): a 1x1 convolution adapting the level-1 features at 2x
  (``width[0]`` -> ``width[1]`` channels), ``dcus[1]`` DCUs and a 3x3 convolution
  with a skip around them, the upsampler and the reconstruction convolution.

A DCU is ``n_layers`` densely connected layers (1x1 bottleneck convolution to
``bottleneck * growth`` channels, ReLU, 3x3 convolution to ``growth`` channels; each
layer sees the unit input and every previous layer's output), a 1x1 compression
back to ``width`` channels scaled by ``res_scale``, and a skip around the unit.

The output of level k is the bicubic interpolation of the input plus the
predicted residual, Eq. 2 of Rahman et al. (2020)::

    Y_k = bicubic(X, 2**k) + R_k(X)

Differences from ProSR, all deliberate: one signed input channel divided by a fixed
``field_scale`` (G) and multiplied back at the output (no RGB mean); one shared
head for both levels (ProSR has one input convolution per output scale), so that
:meth:`ProGenerator.forward_pyramid` gives both levels in one pass; zero padding and
only local operations (no normalisation, no global pooling), so the receptive field
is finite (:meth:`ProGenerator.receptive_radius`) and tiled inference is exact.

References
----------
.. [1] Wang, Y., Perazzi, F., McWilliams, B., Sorkine-Hornung, A., Sorkine-Hornung, O.,
   & Schroers, C. 2018, "A Fully Progressive Approach to Single-Image
   Super-Resolution", CVPR Workshops, arXiv:1804.02900.
.. [2] Rahman, S., Moon, Y.-J., Park, E., et al. 2020, "Super-resolution of SDO/HMI
   Magnetograms Using Novel Deep Learning Methods", ApJL, 897, L32.
"""
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ProGenerator", "DenseLayer", "DenseCompressionUnit", "bicubic", "input_hashed_normal"]


def bicubic(x, factor):
    """
    Bicubic interpolation by ``factor``, exactly as the ``"bicubic"`` method of sunpy_sr.

    Cubic convolution (Keys 1981, a = -0.75), pixel centres aligned
    (``align_corners=False``), edges clamped.

    Parameters
    ----------
    x : `torch.Tensor`
        (N, C, H, W), any unit (the interpolation is linear).
    factor : int
        Upsampling factor.

    Returns
    -------
    `torch.Tensor`
        (N, C, factor*H, factor*W), in the unit of ``x``.
    """
    return F.interpolate(x, scale_factor=factor, mode="bicubic", align_corners=False)


_MASK32 = 0xFFFFFFFF


def _mix32(h):
    """An integer hash of int64 tensors holding 32-bit values (xor-shift-multiply rounds).

    The multipliers are below 2**31, so that no int64 product overflows.
    """
    for mult in (0x7FEB352D, 0x2C1B3C6D):
        h = h ^ (h >> 16)
        h = (h * mult) & _MASK32
    return h ^ (h >> 16)


def input_hashed_normal(x, factor, *, seed=0, stream=0):
    """
    Standard normal noise at ``factor`` x the resolution of ``x``, a function of ``x`` alone.

    The value at an output pixel is a hash of the float32 bits of the input pixel it lies
    in, of its place within that pixel (one of ``factor**2``), of ``seed`` and of
    ``stream``, turned into a normal deviate (Box-Muller). So the same input gives the same
    noise whatever the tiling or batch (tiled inference stays exact), and two ``seed``
    values give two independent samples. Inputs equal in value give the same noise, which
    matters only where the input is constant (off-disk fill).

    Parameters
    ----------
    x : `torch.Tensor`
        (N, 1, H, W) input, any unit; hashed as float32.
    factor : int
        Output pixels per input pixel along each axis.
    seed, stream : int
        Select independent noise fields (``stream``: one per place the noise enters).

    Returns
    -------
    `torch.Tensor`
        (N, 1, factor * H, factor * W) float32.

    Examples
    --------
    >>> import torch
    >>> from sunpy_sr.models.progan import input_hashed_normal
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(1, 1, 64, 64) * 100
    >>> z = input_hashed_normal(x, 4)
    >>> z.shape, abs(float(z.mean())) < 0.01, round(float(z.std()), 2)
    (torch.Size([1, 1, 256, 256]), True, 1.0)
    >>> bool((input_hashed_normal(x[..., :32, :], 4) == z[..., :128, :]).all())  # a tile: the same
    True
    >>> bool((input_hashed_normal(x, 4, seed=1) == z).any())  # another sample
    False
    """
    f = int(factor)
    bits = x.detach().to(torch.float32).contiguous().view(torch.int32).to(torch.int64) & _MASK32
    sub = torch.arange(f * f, device=x.device, dtype=torch.int64).view(1, f * f, 1, 1)
    salt = _mix32(torch.tensor((int(seed) * 7919 + int(stream) * 104729 + 1) & _MASK32, dtype=torch.int64,
                               device=x.device))
    h = _mix32(bits ^ _mix32((sub + f * f * salt) & _MASK32))  # (N, f*f, H, W)
    u1 = (_mix32(h ^ 0x5BD1E995) + 1).to(torch.float64) / 2.0 ** 32  # (0, 1]
    u2 = _mix32(h ^ 0x1B873593).to(torch.float64) / 2.0 ** 32
    z = (torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(2.0 * torch.pi * u2)).to(torch.float32)
    return F.pixel_shuffle(z, f)  # channel a*f + b -> output pixel (f*i + a, f*j + b)


class DenseLayer(nn.Module):
    """
    One densely connected layer: 1x1 bottleneck conv, ReLU, 3x3 conv to ``growth`` channels.

    Parameters
    ----------
    in_channels, growth, bottleneck : int
        Input channels; output channels; the bottleneck has ``bottleneck * growth``.
    """

    def __init__(self, in_channels, growth, bottleneck):
        super().__init__()
        mid = bottleneck * growth
        self.reduce = nn.Conv2d(in_channels, mid, 1)
        self.act = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(mid, growth, 3, padding=1)

    def forward(self, x):
        return self.conv(self.act(self.reduce(x)))


class DenseCompressionUnit(nn.Module):
    """
    Dense compression unit (DCU) of Wang et al. (2018) with a residual skip.

    ``y = x + res_scale * C([x, L_1, ..., L_n])`` where layer ``L_i`` sees
    ``[x, L_1, ..., L_{i-1}]`` (channel concatenation) and ``C`` is a bias-free 1x1
    compression back to ``width`` channels. Receptive radius: ``n_layers`` pixels
    (one 3x3 convolution per layer on the longest path).

    Parameters
    ----------
    width, n_layers, growth, bottleneck : int
        Unit input/output channels, dense layers, channels each layer adds,
        bottleneck multiplier.
    res_scale : float
        Factor on the unit's residual branch (0.2 in ProSR).
    """

    def __init__(self, width, n_layers, growth, bottleneck, res_scale):
        super().__init__()
        self.layers = nn.ModuleList([DenseLayer(width + i * growth, growth, bottleneck)
                                     for i in range(n_layers)])
        self.compress = nn.Conv2d(width + n_layers * growth, width, 1, bias=False)
        self.res_scale = float(res_scale)

    def forward(self, x):
        feats = [x]
        for layer in self.layers:
            feats.append(layer(torch.cat(feats, dim=1)))
        return x + self.res_scale * self.compress(torch.cat(feats, dim=1))


class _Level(nn.Module):
    """One pyramid level: entry conv, DCUs + 3x3 conv with a skip, x2 upsampler, reconstruction."""

    def __init__(self, entry, width, n_dcus, n_layers, growth, bottleneck, res_scale):
        super().__init__()
        self.entry = entry
        self.dcus = nn.Sequential(*[DenseCompressionUnit(width, n_layers, growth, bottleneck, res_scale)
                                    for _ in range(n_dcus)])
        self.conv = nn.Conv2d(width, width, 3, padding=1)
        self.upsample = nn.Sequential(nn.Conv2d(width, 4 * width, 3, padding=1), nn.PixelShuffle(2),
                                      nn.ReLU(inplace=True))
        self.reconstruct = nn.Conv2d(width, 1, 3, padding=1)

    def features(self, x):
        """Features at twice the input resolution (before the reconstruction conv)."""
        h = self.entry(x)
        return self.upsample(h + self.conv(self.dcus(h)))


class ProGenerator(nn.Module):
    """
    ProGanSR generator, 4x in two 2x pyramid levels, one signed channel (a LOS field).

    Parameters
    ----------
    dcus : sequence of 2 int
        Dense compression units in level 1 (at LR) and level 2 (at 2x).
    n_layers : int
        Dense layers per unit.
    growth : int
        Channels each dense layer adds.
    width : sequence of 2 int
        Feature channels of level 1 and level 2.
    bottleneck : int
        The 1x1 bottleneck of a dense layer has ``bottleneck * growth`` channels.
    res_scale : float
        Factor on every unit's residual branch (ProSR: 0.2).
    field_scale : float
        Gauss per network unit at the input and of the predicted residuals.
    noise : bool
        Noise injection (as in StyleGAN, Karras et al. 2019): one map of standard normal
        noise per pixel is added to the level-1 features at 2x and to the level-2 features
        at 4x, times a learned scale per channel (initialised to zero, so that a generator
        trained without noise loads unchanged and starts as it was). It lets an adversarial
        training shape random texture instead of deriving it from the input. In training the
        noise is drawn from torch's global generator; otherwise it is a function of the input
        and ``noise_seed`` (``sunpy_sr.models.progan.input_hashed_normal``), so that an output
        is reproducible and tiled inference stays exact.

    Notes
    -----
    All arguments are keyword-only and JSON-serialisable, so that
    `sunpy_sr.models.build_model` rebuilds the network from a dict.

    References
    ----------
    .. [1] Wang, Y. et al. 2018, CVPR Workshops, arXiv:1804.02900 (ProSR / ProGanSR).
    .. [2] Rahman, S. et al. 2020, ApJL, 897, L32, Eq. 2.
    """

    #: 2x rows per chunk of level 2 in inference (it works at 2x and 4x resolution, where
    #: a whole large tile's dense features would need several GB).
    chunk_rows = 256

    #: Seed of the injected noise outside training (``noise=True``).
    noise_seed = 0

    def __init__(self, *, dcus=(9, 3), n_layers=8, growth=40, width=(160, 160), bottleneck=4,
                 res_scale=0.2, field_scale=1000.0, noise=False):
        super().__init__()
        dcus, width = tuple(int(d) for d in dcus), tuple(int(w) for w in width)
        if len(dcus) != 2 or len(width) != 2:
            raise ValueError(f"dcus and width need one entry per level (2), got {dcus}, {width}")
        if min(dcus) < 0 or min(width) < 1 or n_layers < 1 or growth < 1 or bottleneck < 1:
            raise ValueError("dcus must be >= 0 and width, n_layers, growth, bottleneck >= 1")
        self.scale = 4
        self.dcus, self.n_layers, self.width = dcus, int(n_layers), width
        self.field_scale = float(field_scale)
        common = dict(n_layers=self.n_layers, growth=int(growth), bottleneck=int(bottleneck),
                      res_scale=res_scale)
        self.level1 = _Level(nn.Conv2d(1, width[0], 3, padding=1), width[0], dcus[0], **common)
        self.level2 = _Level(nn.Conv2d(width[0], width[1], 1, bias=False), width[1], dcus[1], **common)
        self.noise = bool(noise)
        if self.noise:
            self.noise_scale_2x = nn.Parameter(torch.zeros(1, width[0], 1, 1))
            self.noise_scale_4x = nn.Parameter(torch.zeros(1, width[1], 1, 1))

    def _noise_maps(self, x, f2):
        """(N, 1, 2H, 2W) and (N, 1, 4H, 4W) standard normal maps for the input ``x`` (N, 1, H, W)."""
        n, _, h, w = x.shape
        if self.training:
            n2 = torch.randn((n, 1, 2 * h, 2 * w), device=f2.device, dtype=f2.dtype)
            n4 = torch.randn((n, 1, 4 * h, 4 * w), device=f2.device, dtype=f2.dtype)
            return n2, n4
        return (input_hashed_normal(x, 2, seed=self.noise_seed, stream=0).to(f2.dtype),
                input_hashed_normal(x, 4, seed=self.noise_seed, stream=1).to(f2.dtype))

    def _level2_residual(self, f2, n4=None):
        """Level 2's reconstruction from its input ``f2`` (with the 4x noise map ``n4``)."""
        h = self.level2.features(f2)
        if n4 is not None:
            h = h + self.noise_scale_4x * n4
        return self.level2.reconstruct(h)

    def _features_2x(self, x):
        """Level 1's features at 2x (noise added) and the 4x noise map (None without noise)."""
        f2 = self.level1.features(x / self.field_scale)
        if not self.noise:
            return f2, None
        n2, n4 = self._noise_maps(x, f2)
        return f2 + self.noise_scale_2x * n2, n4

    def zero_residual_(self):
        """Zero both reconstruction convolutions: the output is then exactly bicubic. Returns self."""
        with torch.no_grad():
            for level in (self.level1, self.level2):
                level.reconstruct.weight.zero_()
                level.reconstruct.bias.zero_()
        return self

    @staticmethod
    def _check(level, alpha):
        if level not in (1, 2):
            raise ValueError(f"level must be 1 (2x) or 2 (4x), got {level!r}")
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")

    def _residual_4x(self, f2, n4=None):
        """Level-2 residual (network units) from the level-1 features at 2x (and the 4x noise)."""
        rows = f2.shape[-2]
        if self.training or torch.is_grad_enabled() or rows <= self.chunk_rows:
            return self._level2_residual(f2, n4)
        # inference: row chunks padded by level 2's radius in 2x pixels (exact, see _radii)
        halo = self._radii()[1]
        out = f2.new_empty((f2.shape[0], 1, 2 * rows, 2 * f2.shape[-1]))
        for r0 in range(0, rows, self.chunk_rows):
            r1 = min(r0 + self.chunk_rows, rows)
            p0, p1 = max(r0 - halo, 0), min(r1 + halo, rows)
            part = self._level2_residual(f2[..., p0:p1, :], None if n4 is None else n4[..., 2 * p0:2 * p1, :])
            out[..., 2 * r0:2 * r1, :] = part[..., 2 * (r0 - p0):2 * (r1 - p0), :]
        return out

    def forward(self, x, *, level=2, alpha=1.0):
        """
        Super-resolve ``x`` 2x (``level=1``) or 4x (``level=2``).

        Parameters
        ----------
        x : `torch.Tensor`
            (N, 1, H, W) LOS field in gauss.
        level : {1, 2}
            Pyramid level of the output.
        alpha : float
            Fade-in weight of level 2 (curriculum), in [0, 1]; only with ``level=2``.
            Below 1 the output is ``(1 - alpha) * bicubic(Y_1, 2) + alpha * Y_2``.
            Only what the output needs is computed (at ``alpha=1``, not level 1's
            reconstruction; at ``alpha=0``, not level 2).

        Returns
        -------
        `torch.Tensor`
            (N, 1, 2H, 2W) or (N, 1, 4H, 4W) field in gauss.
        """
        self._check(level, alpha)
        alpha = float(alpha)
        if level == 1 and alpha != 1.0:
            raise ValueError(f"alpha (fade-in of level 2) needs level=2, got level=1, alpha={alpha}")
        f2, n4 = self._features_2x(x)
        if level == 1 or alpha < 1.0:
            out2 = bicubic(x, 2) + self.level1.reconstruct(f2) * self.field_scale
            if level == 1:
                return out2
            base = bicubic(out2, 2)
            if alpha == 0.0:
                return base
        out4 = bicubic(x, 4) + self._residual_4x(f2, n4) * self.field_scale
        return out4 if alpha == 1.0 else (1.0 - alpha) * base + alpha * out4

    def forward_pyramid(self, x, *, alpha=1.0):
        """
        Both levels in one pass (training).

        Parameters
        ----------
        x : `torch.Tensor`
            (N, 1, H, W) LOS field in gauss.
        alpha : float
            Fade-in weight of level 2, as in :meth:`forward`.

        Returns
        -------
        out_2x, out_4x : `torch.Tensor`
            (N, 1, 2H, 2W) and (N, 1, 4H, 4W) fields in gauss; ``out_4x`` is blended
            with ``bicubic(out_2x, 2)`` when ``alpha < 1``.
        """
        self._check(2, alpha)
        alpha = float(alpha)
        f2, n4 = self._features_2x(x)
        out2 = bicubic(x, 2) + self.level1.reconstruct(f2) * self.field_scale
        out4 = bicubic(x, 4) + self._level2_residual(f2, n4) * self.field_scale
        if alpha < 1.0:
            out4 = (1.0 - alpha) * bicubic(out2, 2) + alpha * out4
        return out2, out4

    def _radii(self):
        """(LR-pixel radius of level 1's features, 2x-pixel radius of level 2 incl. reconstruction)."""
        n = self.n_layers
        # at LR: head, DCUs, 3x3 conv, upsampler conv
        k1 = 1 + self.dcus[0] * n + 1 + 1
        # at 2x: DCUs, 3x3 conv, upsampler conv (+ the 4x reconstruction conv: 1 px at 4x,
        # i.e. at most 1 px at 2x after the floor)
        k2 = self.dcus[1] * n + 1 + 1 + 1
        return k1, k2

    def receptive_radius(self, *, level=2):
        """
        Radius (LR pixels) beyond which an input pixel cannot change an output pixel.

        Output pixel ``y`` (at 2x or 4x) depends only on input pixels within this
        many LR pixels (Chebyshev distance) of its parent LR pixel
        ``floor(y / factor)``; valid for every ``alpha``. Derivation: a 3x3
        convolution at LR adds 1 pixel; ``m`` convolutions at 2x and ``n`` at 4x add
        ``ceil((2 m + n) / 4)`` LR pixels (a conv at 2x is 0.5 LR pixel, rounded up at
        the end, floor-exact for PixelShuffle); a DCU adds ``n_layers`` (its longest
        path). Bicubic 2x or 4x of the input adds 2 pixels (4-tap kernel); the fade-in
        path ``bicubic(Y_1, 2)`` reaches level 1's radius + 1, never more than the
        level-2 path. Tight for the dependency graph (random weights reach it).

        Parameters
        ----------
        level : {1, 2}
            Output level (2x or 4x).

        Returns
        -------
        int
        """
        self._check(level, 1.0)
        k1 = self._radii()[0]
        if level == 1:
            return max(2, k1 + 1)  # + the 2x reconstruction conv: ceil(1 / 2)
        m = self.dcus[1] * self.n_layers + 2  # 3x3 convs at 2x
        return max(3, k1 + -(-(2 * m + 1) // 4))
