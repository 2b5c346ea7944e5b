"""
VGG16 feature extractor for a perceptual loss on magnetograms (weights from a local file only).

The convolutional part of VGG16 (Simonyan & Zisserman 2015, configuration D): 13
3x3 convolutions with ReLU in five blocks of 64, 64 | 128, 128 | 256 x 3 | 512 x 3 |
512 x 3 channels, each block closed by a 2x2 max-pool. :class:`VGG16Features`
returns the activations entering the 2nd and 4th pooling layers (``relu2_2`` and
``relu4_3``), the layers of the ProGanSR perceptual loss (Wang et al. 2018).

Nothing is ever downloaded: :func:`load_vgg16_weights` reads a torchvision-style
state_dict file (keys ``features.0.weight`` ... ``features.28.bias``, e.g.
``torchvision.models.vgg16(weights=...).state_dict()`` saved with ``torch.save``)
through ``torch.load(weights_only=True)``, so a file cannot run code.

References
----------
.. [1] Simonyan, K., & Zisserman, A. 2015, "Very Deep Convolutional Networks for
   Large-Scale Image Recognition", ICLR, arXiv:1409.1556.
.. [2] Wang, Y. et al. 2018, "A Fully Progressive Approach to Single-Image
   Super-Resolution", CVPR Workshops, arXiv:1804.02900.
"""
from pathlib import Path

import torch
from torch import nn

from sunpy_sr.exceptions import WeightsError

__all__ = ["VGG16Features", "load_vgg16_weights", "vgg16_state_shapes", "VGG16_CONV_INDICES"]

#: VGG16 configuration D: channels per conv, "M" = 2x2 max-pool.
_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")

#: Indices of the 13 convolutions in torchvision's ``vgg16().features`` (ReLU after each,
#: pools at 4, 9, 16, 23, 30).
VGG16_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)

#: ImageNet per-channel mean and standard deviation of torchvision's VGG weights (RGB in [0, 1]).
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def vgg16_state_shapes():
    """
    Keys and shapes of the VGG16 state_dict `load_vgg16_weights` expects.

    Returns
    -------
    dict
        ``"features.{i}.weight"`` -> (out, in, 3, 3) and ``"features.{i}.bias"`` -> (out,)
        for the 13 convolutions, ``i`` in `VGG16_CONV_INDICES`.
    """
    shapes, c_in = {}, 3
    for i, c_out in zip(VGG16_CONV_INDICES, (v for v in _CFG if v != "M")):
        shapes[f"features.{i}.weight"] = (c_out, c_in, 3, 3)
        shapes[f"features.{i}.bias"] = (c_out,)
        c_in = c_out
    return shapes


class VGG16Features(nn.Module):
    """
    VGG16 convolutions returning the ``relu2_2`` and ``relu4_3`` features of a magnetogram.

    The field ``B`` (gauss) is mapped linearly to a grey image
    ``g = 0.5 + 0.5 * B / field_range`` (0 G -> 0.5, +-``field_range`` -> 1 and 0;
    stronger fields go beyond [0, 1], unclipped, so that gradients do not vanish in
    sunspots), replicated to 3 channels and normalised by the ImageNet mean and
    standard deviation the torchvision weights expect.

    Layer indices follow torchvision's ``vgg16().features``, so its state_dict loads
    strictly; the 5th block is kept for that reason but never run.

    Parameters
    ----------
    field_range : float
        Gauss mapped to grey level 1 (and ``-field_range`` to 0).

    References
    ----------
    .. [1] Simonyan, K., & Zisserman, A. 2015, ICLR, arXiv:1409.1556.
    """

    def __init__(self, *, field_range=1000.0):
        super().__init__()
        layers, c_in = [], 3
        for v in _CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c_in, v, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = v
        self.features = nn.Sequential(*layers)
        self.field_range = float(field_range)
        self._set_constants()

    def _set_constants(self):
        # (again after ``to_empty``, which leaves buffers uninitialised)
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    #: ``features`` indices of relu2_2 and relu4_3 (the inputs of pools 2 and 4, at 9 and 23).
    taps = (8, 22)

    def to_input(self, x):
        """(N, 1, H, W) field in gauss -> (N, 3, H, W) normalised VGG input."""
        g = 0.5 + 0.5 * x / self.field_range
        return (g.expand(-1, 3, -1, -1) - self.mean) / self.std

    def forward(self, x):
        """
        Features of a magnetogram.

        Parameters
        ----------
        x : `torch.Tensor`
            (N, 1, H, W) field in gauss.

        Returns
        -------
        relu2_2, relu4_3 : `torch.Tensor`
            (N, 128, H/2, W/2) and (N, 512, H/8, W/8) (floor division).
        """
        h = self.to_input(x)
        out = []
        for i, layer in enumerate(self.features[:self.taps[-1] + 1]):
            h = layer(h)
            if i in self.taps:
                out.append(h)
        return tuple(out)


def load_vgg16_weights(path, *, field_range=1000.0):
    """
    Build a `VGG16Features` from a local torchvision-style VGG16 state_dict file.

    Parameters
    ----------
    path : path-like
        A file written by ``torch.save(state_dict)`` whose keys include
        ``features.{i}.weight`` and ``features.{i}.bias`` for the 13 convolutions
        (``classifier.*`` keys, as in a full torchvision VGG16, are ignored). Read
        with ``torch.load(map_location="cpu", weights_only=True)`` only.
    field_range : float
        Passed to `VGG16Features`.

    Returns
    -------
    `VGG16Features`
        In eval mode, float32, parameters frozen (``requires_grad=False``).

    Raises
    ------
    WeightsError
        Missing or unreadable file, a file that is not a plain state_dict of tensors
        (including any pickle that would build other objects or run code), missing,
        unexpected or misshapen keys, non-finite values.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"VGG16 weight file {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # UnpicklingError for forbidden objects; zip/EOF errors for bad files
        raise WeightsError(f"cannot read VGG16 weight file {path} as a state_dict of tensors "
                           f"(torch.load weights_only=True): {str(e).splitlines()[0] if str(e) else e!r}"
                           ) from None
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise WeightsError(f"{path.name}: expected a dict of tensors (a VGG16 state_dict), "
                           f"got {type(state).__name__}")
    own = vgg16_state_shapes()
    given = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    missing, unexpected = sorted(set(own) - set(given)), sorted(set(given) - set(own))
    if missing or unexpected:
        raise WeightsError(f"{path.name} is not a torchvision VGG16 state_dict: missing keys "
                           f"{missing[:4]}{' ...' if len(missing) > 4 else ''}, unexpected keys "
                           f"{unexpected[:4]}{' ...' if len(unexpected) > 4 else ''}")
    for k, v in given.items():
        if not isinstance(v, torch.Tensor) or not v.is_floating_point():
            raise WeightsError(f"{path.name}: {k} is not a floating-point tensor")
        if tuple(v.shape) != own[k]:
            raise WeightsError(f"{path.name}: {k} has shape {tuple(v.shape)}, VGG16 expects {own[k]}")
        if not torch.isfinite(v).all():
            raise WeightsError(f"{path.name}: {k} has non-finite values")
    with torch.device("meta"):  # no random initialisation of 14.7 M parameters to overwrite
        model = VGG16Features(field_range=field_range)
    model = model.to_empty(device="cpu")
    model._set_constants()
    model.load_state_dict({k: v.float() for k, v in given.items()}, strict=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model
