"""
Bundled network weights: the catalogue (method -> file) and the safe, hash-checked loader.

See `sunpy_sr.weights.catalogue` and `sunpy_sr.weights.loading`.
"""
from sunpy_sr.weights.catalogue import CATALOGUE, WEIGHTS_DIR, weights_path
from sunpy_sr.weights.loading import export_weights, load_network, safe_torch_load, sha256

__all__ = ["WEIGHTS_DIR", "CATALOGUE", "load_network", "export_weights", "safe_torch_load",
           "sha256", "weights_path"]
