"""
The catalogue of bundled networks: method name -> weight file (and its metadata beside it).

Each entry is two files in this folder: ``STEM.pt``, an fp16 state_dict (tensors only), and
``STEM.json`` with the architecture config that rebuilds the network, the SHA-256 of the
``.pt`` file, the training data, iterations and measured metrics.
"""
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WEIGHTS_DIR", "CATALOGUE", "CatalogueEntry", "ERROR_MODELS", "weights_path", "error_model_path"]

WEIGHTS_DIR = Path(__file__).parent


@dataclass(frozen=True)
class CatalogueEntry:
    """A bundled network: the stem of its ``.pt``/``.json`` files in `WEIGHTS_DIR`."""
    stem: str

    @property
    def path(self):
        return WEIGHTS_DIR / f"{self.stem}.pt"

    @property
    def metadata_path(self):
        return WEIGHTS_DIR / f"{self.stem}.json"


#: method name -> bundled weights
CATALOGUE = {
    "rcan": CatalogueEntry("rcan-lite"),
    "rcan-small": CatalogueEntry("rcan-small"),
    "rcan-fast": CatalogueEntry("rcan-tiny"),
    "progan": CatalogueEntry("progan-sharp3"),
    "progan-gan3": CatalogueEntry("progan-gan3"),
    "progan-gan": CatalogueEntry("progan-gan"),
    "progan-small-l1gan": CatalogueEntry("progan-small"),
}

#: method name -> bundled error model (``STEM.pt`` + ``STEM.json``; `sunpy_sr.inference.errors`),
#: fit and calibrated on residuals of that method's bundled weights (training/error-models/error-models.json)
ERROR_MODELS = {
    "rcan": CatalogueEntry("rcan-lite-errors"),
    "rcan-small": CatalogueEntry("rcan-small-errors"),
    "rcan-fast": CatalogueEntry("rcan-tiny-errors"),
    "progan": CatalogueEntry("progan-sharp3-errors"),
    "progan-gan3": CatalogueEntry("progan-gan3-errors"),
    "progan-gan": CatalogueEntry("progan-gan-errors"),
    "progan-small-l1gan": CatalogueEntry("progan-small-errors"),
    "linear": CatalogueEntry("linear-errors"),
    "bicubic": CatalogueEntry("bicubic-errors"),
}

#: suffix of the stem of the error model that belongs to a user's weight file ``STEM.pt``
ERROR_SUFFIX = "-errors"


def weights_path(name):
    """
    Path of the bundled ``.pt`` file for method ``name`` (its ``.json`` lies beside it).

    Raises
    ------
    WeightsError
        If no weights are bundled for ``name`` (the message lists those that are).

    Examples
    --------
    >>> from sunpy_sr.weights import weights_path
    >>> weights_path("rcan-fast").name
    'rcan-tiny.pt'
    """
    from sunpy_sr.exceptions import WeightsError
    if name not in CATALOGUE:
        raise WeightsError(f"no bundled weights for {name!r}; bundled: {', '.join(sorted(CATALOGUE))}")
    return CATALOGUE[name].path


def error_model_path(method=None, *, weights=None):
    """
    Path of the error model of a bundled method, or of the one beside a user's weight file.

    Parameters
    ----------
    method : str, optional
        A method with a bundled error model (`ERROR_MODELS`).
    weights : path-like, optional
        A user's weight file ``STEM.pt``: its error model is ``STEM-errors.pt`` beside it (as
        ``sunpy-sr fit-errors`` writes it).

    Raises
    ------
    WeightsError
        No error model is bundled for ``method``, or none lies beside ``weights``.

    Examples
    --------
    >>> from sunpy_sr.weights import error_model_path
    >>> error_model_path("rcan").name
    'rcan-lite-errors.pt'
    """
    from sunpy_sr.exceptions import WeightsError
    if weights is not None:
        weights = Path(weights)
        path = weights.with_name(weights.stem + ERROR_SUFFIX + ".pt")
        if not path.exists():
            raise WeightsError(f"no error model for the weights {weights.name}: expected {path.name} beside "
                               f"them (fit one with `sunpy-sr fit-errors METHOD --weights {weights.name}`)")
        return path
    if method not in ERROR_MODELS:
        raise WeightsError(f"no error model is bundled for {method!r}; "
                           f"bundled: {', '.join(sorted(ERROR_MODELS))}")
    return ERROR_MODELS[method].path
