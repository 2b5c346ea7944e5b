"""
The architecture registry: named presets rebuilt from a small config dict.

A weight file stores a state_dict and, beside it, the preset name and the exact
keyword arguments, so that :func:`build_model` can rebuild the network without
pickled code (deepCR's pattern).
"""
from sunpy_sr.models.error import ErrorNet
from sunpy_sr.models.progan import ProGenerator
from sunpy_sr.models.rcan import RCAN

__all__ = ["ARCHITECTURES", "PRESETS", "build_model", "get_preset"]

ARCHITECTURES = {"rcan": RCAN, "progan": ProGenerator, "errornet": ErrorNet}

#: Named configurations. ``rcan-paper`` is Rahman et al. (2020) / Zhang et al. (2018):
#: 10 groups x 20 blocks x 64 features, reduction 16; meant for a GPU. Parameter counts, FLOPs
#: and timings of every preset: docs/performance.rst ("Presets") and docs/guide/models.rst.
PRESETS = {
    "rcan-paper": {"arch": "rcan", "n_groups": 10, "n_blocks": 20, "n_feats": 64, "reduction": 16,
                   "ca_window": 15, "up_feats": 64},
    "rcan-medium": {"arch": "rcan", "n_groups": 4, "n_blocks": 6, "n_feats": 48, "reduction": 8,
                    "ca_window": 5, "up_feats": 32},
    "rcan-deep": {"arch": "rcan", "n_groups": 5, "n_blocks": 5, "n_feats": 32, "reduction": 8,
                  "ca_window": 5, "up_feats": 16},
    "rcan-small": {"arch": "rcan", "n_groups": 3, "n_blocks": 5, "n_feats": 32, "reduction": 8,
                   "ca_window": 5, "up_feats": 16},
    # rcan-lite: the CPU default's architecture: 2 groups x 4 blocks x 32 features, re-parameterisable
    #   3x3 convolutions (trained as 3x3 + 1x1 branches, fused for inference), one channel attention
    #   per group, a direct 4x PixelShuffle upsampler.
    "rcan-lite": {"arch": "rcan", "n_groups": 2, "n_blocks": 4, "n_feats": 32, "reduction": 8,
                  "ca_window": 5, "rep": True, "attention": "group", "upsampler": "direct"},
    # rcan-lite-fold: rcan-lite trained with the progressive upsampler (2x, 2x; 16 channels; no
    #   activation), folded for inference into one 5x5 LR convolution to 16 phases (fuse_upsampler).
    "rcan-lite-fold": {"arch": "rcan", "n_groups": 2, "n_blocks": 4, "n_feats": 32, "reduction": 8,
                       "ca_window": 5, "rep": True, "attention": "group", "upsampler": "progressive",
                       "up_feats": 16, "fuse_upsampler": True},
    "rcan-tiny": {"arch": "rcan", "n_groups": 1, "n_blocks": 1, "n_feats": 8, "reduction": 4,
                  "ca_window": 3, "up_feats": 4},
    # ProGanSR generators (Wang et al. 2018; Rahman et al. 2020), `ProGenerator`.
    # progan-paper: ProSR's 4x generator: 9 + 3 DCUs of 8 layers, growth 40, 160 channels,
    #   bottleneck 4; a GPU's.
    # progan-small: the CPU size (the bundled progan, progan-gan3, progan-gan and progan-small-l1gan weights).
    # progan-tiny: for tests.
    "progan-paper": {"arch": "progan", "dcus": [9, 3], "n_layers": 8, "growth": 40, "width": [160, 160],
                     "bottleneck": 4},
    "progan-small": {"arch": "progan", "dcus": [5, 1], "n_layers": 4, "growth": 16, "width": [32, 16],
                     "bottleneck": 2},
    "progan-tiny": {"arch": "progan", "dcus": [1, 1], "n_layers": 2, "growth": 4, "width": [8, 8],
                    "bottleneck": 2},
    # Error models (`ErrorNet`, on the LR grid): errornet-small for the networks, errornet-tiny for
    # the classical methods (whose own pass is cheap) and for tests.
    "errornet-small": {"arch": "errornet", "channels": 24, "layers": 3},
    "errornet-tiny": {"arch": "errornet", "channels": 8, "layers": 2},
}


def get_preset(name):
    """
    Return a copy of the config of preset ``name``.

    Parameters
    ----------
    name : str
        A key of `PRESETS`, e.g. ``"rcan-small"`` or ``"rcan-paper"`` (Rahman et al. 2020).

    Returns
    -------
    dict
        The architecture (``"arch"``) and its keyword arguments; changing it does not
        change the preset.

    Raises
    ------
    ValueError
        If ``name`` is not a preset (the message lists them).

    Examples
    --------
    >>> from sunpy_sr.models import get_preset
    >>> cfg = get_preset("rcan-paper")
    >>> cfg["arch"], cfg["n_groups"], cfg["n_blocks"], cfg["n_feats"]
    ('rcan', 10, 20, 64)
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known presets: {sorted(PRESETS)}")
    return dict(PRESETS[name])


def build_model(config):
    """
    Build a network from a config dict with an ``"arch"`` key, or from a preset name.

    Parameters
    ----------
    config : dict or str
        ``{"arch": "rcan" | "progan", **keyword arguments}`` (as stored beside every
        weight file), or a key of `PRESETS`.

    Returns
    -------
    torch.nn.Module
        A new, randomly initialised network (4x; input and output in gauss).

    Examples
    --------
    >>> import torch
    >>> from sunpy_sr.models import build_model
    >>> net = build_model("rcan-tiny").eval()
    >>> sum(p.numel() for p in net.parameters()), net.receptive_radius()
    (4255, 9)
    >>> with torch.inference_mode():
    ...     net(torch.zeros(1, 1, 16, 24)).shape
    torch.Size([1, 1, 64, 96])
    """
    if isinstance(config, str):
        config = get_preset(config)
    config = dict(config)
    arch = config.pop("arch", "rcan")
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; known: {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[arch](**config)
