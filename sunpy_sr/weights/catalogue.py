"""
The catalogue of bundled networks: method name -> weight file (and its metadata beside it).

Each entry is two files in this folder: ``STEM.pt``, an fp16 state_dict (tensors only), and
``STEM.json`` with the architecture config that rebuilds the network, the SHA-256 of the
``.pt`` file, the training data, iterations and measured metrics.
"""
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WEIGHTS_DIR", "CATALOGUE", "CatalogueEntry", "weights_path"]

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
    "progan": CatalogueEntry("progan-gan"),
    "progan-small-l1gan": CatalogueEntry("progan-small"),
}


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
