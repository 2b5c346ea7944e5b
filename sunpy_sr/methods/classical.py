"""Classical methods: bicubic interpolation and the least-squares optimal linear filter."""
import numpy as np

from sunpy_sr.exceptions import SunpySRTypeError
from sunpy_sr.methods.registry import register_method

__all__ = []


def _bundled_error_model(method):
    def load(*, weights=None, **options):
        from sunpy_sr.weights import load_error_model
        return load_error_model(method, weights=weights)
    return load


@register_method("bicubic", scale=4, min_size=2,
                 description="cubic convolution (Keys 1981, a = -0.75), edges clamped",
                 error_model=_bundled_error_model("bicubic"))
def _build_bicubic(*, consistent=False, **options):
    if options:
        raise SunpySRTypeError(f"bicubic takes no options other than 'consistent', got {sorted(options)}")
    import torch
    import torch.nn.functional as F

    from sunpy_sr.inference.consistency import consistent_method

    def run(a):
        with torch.inference_mode():
            t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None]
            return F.interpolate(t, scale_factor=4, mode="bicubic", align_corners=False)[0, 0].numpy()
    return consistent_method(run, 2, consistent)


@register_method("linear", scale=4, min_size=7,
                 description="least-squares optimal linear filter, one per output phase, fitted on "
                             "the training pairs (a strong classical baseline)",
                 error_model=_bundled_error_model("linear"))
def _build_linear(*, weights=None, consistent=False, **options):
    if options:
        raise SunpySRTypeError(f"linear takes only 'weights' and 'consistent', got {sorted(options)}")
    from sunpy_sr.inference.consistency import consistency_recipe, consistent_method
    from sunpy_sr.weights.linear import load_linear_filter
    consistency_recipe(consistent)
    filt = load_linear_filter(weights)
    return consistent_method(filt.apply, filt.radius, consistent)
