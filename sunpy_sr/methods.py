"""
The registry of super-resolution methods behind ``superresolve(..., method=...)``.

Each method maps a float32 2D array of LR field values in gauss (no NaN; the
caller fills and restores them) to an array ``scale`` times larger on the grid
where output pixel ``j`` is centred on input coordinate ``(j + 0.5) / scale - 0.5``
(CRPIX' = scale * (CRPIX - 0.5) + 0.5; see `sunpy_sr.header`). A method declares:

``scale``
    the zoom factor (4 for every bundled method);
``min_size``
    the smallest input (pixels per axis) it accepts;
``receptive_radius``
    LR pixels beyond which input cannot change an output pixel, used by
    `sunpy_sr.tiling` to pad tiles so that tiling is exact.

Register a new one with :func:`register_method` (sunkit-image's pattern).
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Method", "register_method", "get_method", "available_methods", "METHODS"]

#: name -> `Method`
METHODS = {}


@dataclass
class Method:
    """A registered super-resolution method (see module docstring)."""
    name: str
    scale: int
    min_size: int
    description: str
    # (options) -> (array -> array, receptive_radius); options are method-specific keywords
    build: Callable = field(repr=False)
    is_network: bool = False


def register_method(name, *, scale, min_size, description, is_network=False):
    """Decorator registering ``build(**options) -> (function, receptive_radius)`` as ``name``."""
    def deco(build):
        METHODS[name] = Method(name, scale, min_size, description, build, is_network)
        return build
    return deco


def available_methods():
    """Names of the registered methods."""
    return sorted(METHODS)


def get_method(name):
    """The `Method` registered as ``name`` (ValueError listing the registered ones otherwise)."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; registered methods: {', '.join(available_methods())}")
    return METHODS[name]


@register_method("bicubic", scale=4, min_size=2,
                 description="cubic convolution (Keys 1981, a = -0.75), edges clamped")
def _build_bicubic(**options):
    if options:
        raise TypeError(f"bicubic takes no options, got {sorted(options)}")
    import torch
    import torch.nn.functional as F

    def run(a):
        with torch.inference_mode():
            t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None]
            return F.interpolate(t, scale_factor=4, mode="bicubic", align_corners=False)[0, 0].numpy()
    return run, 2


@register_method("linear", scale=4, min_size=7,
                 description="least-squares optimal linear filter, one per output phase, fitted on "
                             "the training pairs (a strong classical baseline)")
def _build_linear(*, weights=None, **options):
    if options:
        raise TypeError(f"linear takes only 'weights', got {sorted(options)}")
    from sunpy_sr.linear_filter import load_linear_filter
    filt = load_linear_filter(weights)
    return filt.apply, filt.radius


@register_method("rcan", scale=4, min_size=8, is_network=True,
                 description="residual channel attention network (Zhang et al. 2018; Rahman et al. "
                             "2020) trained on real HMI; bundled weights: rcan-small")
def _build_rcan(*, weights=None, device="cpu", dtype="float32", ensemble=False, _default="rcan", **options):
    if options:
        raise TypeError(f"{_default} takes 'weights', 'device', 'dtype', 'ensemble'; got {sorted(options)}")
    from sunpy_sr.inference import network_runner
    from sunpy_sr.weights import load_network
    model, _ = load_network(weights, default=_default)
    return network_runner(model, device=device, dtype=dtype, ensemble=ensemble), model.receptive_radius()


@register_method("rcan-fast", scale=4, min_size=8, is_network=True,
                 description="a 4,255-parameter RCAN (preset rcan-tiny) trained on real HMI: about 20x "
                             "faster than rcan, between linear and rcan in quality")
def _build_rcan_fast(**options):
    return _build_rcan(_default="rcan-fast", **options)
