"""Network architectures and their registry (architecture name -> builder + presets)."""
from sunpy_sr.models.progan import ProGenerator
from sunpy_sr.models.rcan import RCAN
from sunpy_sr.models.registry import PRESETS, build_model, get_preset

__all__ = ["RCAN", "ProGenerator", "PRESETS", "build_model", "get_preset"]
