"""Network architectures and their registry (architecture name -> builder + presets)."""
from sunpy_sr.models.rcan import RCAN
from sunpy_sr.models.registry import PRESETS, build_model, get_preset

__all__ = ["RCAN", "PRESETS", "build_model", "get_preset"]
