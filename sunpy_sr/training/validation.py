"""Validation during training: metrics of the network's 4x output on validation pairs."""
import numpy as np
import torch

from sunpy_sr.metrics import METRICS, magnetic_elements

__all__ = ["validate"]

#: Metrics of `sunpy_sr.metrics.METRICS` that `validate` reports by default (``val_<name>`` in ``log.csv``).
VALIDATION_METRICS = ("psnr", "cc", "rmse")


def validate(model, pairs, *, metrics=VALIDATION_METRICS, element_threshold=None):
    """
    Mean metrics of ``model`` over validation pairs (per image, then averaged).

    Parameters
    ----------
    model : `torch.nn.Module`
        Maps a ``(1, 1, ny, nx)`` LR tensor (G) to its 4x.
    pairs : `sunpy_sr.core.pairs.PairSet`
        The validation pairs.
    metrics : sequence of str
        Names in `sunpy_sr.metrics.METRICS`, each computed per image and averaged.
    element_threshold : float, optional
        G. If given, also the magnetic-element statistics pooled over the images
        (`sunpy_sr.metrics.magnetic_elements` above this ``|B|``): ``element_count_ratio``
        (output count over target count) and ``element_area_ratio`` (median areas).

    Returns
    -------
    dict
        Metric name -> value, in the unit of its `sunpy_sr.metrics.METRICS` entry.

    Examples
    --------
    Any module mapping a ``(1, 1, ny, nx)`` LR tensor to its 4x will do; here bicubic
    interpolation, on the nine 64x64 crops of the shipped cutout of the validation disk:

    >>> import torch
    >>> from sunpy_sr.core.pairs import PairRecipe, make_pairs
    >>> from sunpy_sr.data.sample import HMI_ACTIVE_REGION
    >>> from sunpy_sr.training import validate
    >>> pairs = make_pairs([HMI_ACTIVE_REGION], PairRecipe(size=64, stride=64), progress=False)
    >>> bicubic = torch.nn.Upsample(scale_factor=4, mode="bicubic")
    >>> scores = validate(bicubic, pairs)
    >>> len(pairs), round(scores["psnr"], 1), round(scores["cc"], 3), round(scores["rmse"], 1)  # dB, -, G
    (9, 50.8, 0.862, 17.5)

    With the magnetic elements above 50 G, as the adversarial strategy validates:

    >>> scores = validate(bicubic, pairs, metrics=("psnr",), element_threshold=50.0)
    >>> sorted(scores)
    ['element_area_ratio', 'element_count_ratio', 'psnr']
    """
    model.eval()
    scores = {k: [] for k in metrics}
    n_t = n_o = 0
    areas_t, areas_o = [], []
    with torch.inference_mode():
        for lr, hr in zip(pairs.lr, pairs.hr):
            sr = model(torch.from_numpy(lr)[None, None])[0, 0].numpy()
            for k in metrics:
                scores[k].append(METRICS[k].function(hr, sr))
            if element_threshold is not None:
                et, eo = magnetic_elements(hr, element_threshold), magnetic_elements(sr, element_threshold)
                n_t, n_o = n_t + et.count, n_o + eo.count
                areas_t.append(et.area)
                areas_o.append(eo.area)
    model.train()
    out = {k: float(np.mean(v)) for k, v in scores.items()}
    if element_threshold is not None:
        a_t, a_o = np.concatenate(areas_t), np.concatenate(areas_o)
        out["element_count_ratio"] = n_o / n_t if n_t else float("nan")
        out["element_area_ratio"] = (float(np.median(a_o) / np.median(a_t)) if a_t.size and a_o.size
                                     else float("nan"))
    return out
