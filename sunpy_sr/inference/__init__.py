"""Running networks: device and dtype, the runner (with self-ensemble), exact tiling, torch state."""
from sunpy_sr.inference.precision import BFloat16Support, native_bfloat16, resolve_dtype
from sunpy_sr.inference.runner import network_runner, resolve_device
from sunpy_sr.inference.state import denormals_flushed, flush_denormal, torch_threads
from sunpy_sr.inference.tiling import run_tiled, tile_slices

__all__ = ["network_runner", "resolve_device", "run_tiled", "tile_slices", "torch_threads", "flush_denormal",
           "denormals_flushed", "native_bfloat16", "resolve_dtype", "BFloat16Support"]
