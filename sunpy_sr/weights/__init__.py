"""
Bundled network weights and error models: the catalogue (method -> file) and the safe,
hash-checked loaders.

See `sunpy_sr.weights.catalogue` and `sunpy_sr.weights.loading`.
"""
from sunpy_sr.weights.catalogue import CATALOGUE, ERROR_MODELS, WEIGHTS_DIR, error_model_path, weights_path
from sunpy_sr.weights.loading import (
    export_error_model,
    export_weights,
    load_error_model,
    load_network,
    safe_torch_load,
    sha256,
)

__all__ = ["WEIGHTS_DIR", "CATALOGUE", "ERROR_MODELS", "load_network", "load_error_model", "export_weights",
           "export_error_model", "safe_torch_load", "sha256", "weights_path", "error_model_path"]
