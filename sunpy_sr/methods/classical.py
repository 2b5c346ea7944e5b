"""Classical methods: bicubic interpolation and the least-squares optimal linear filter."""
import numpy as np

from sunpy_sr.exceptions import SunpySRTypeError
from sunpy_sr.methods.registry import register_method

__all__ = []


@register_method("bicubic", scale=4, min_size=2,
                 description="cubic convolution (Keys 1981, a = -0.75), edges clamped")
def _build_bicubic(**options):
    if options:
        raise SunpySRTypeError(f"bicubic takes no options, got {sorted(options)}")
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
        raise SunpySRTypeError(f"linear takes only 'weights', got {sorted(options)}")
    from sunpy_sr.methods.linear import load_linear_filter
    filt = load_linear_filter(weights)
    return filt.apply, filt.radius
