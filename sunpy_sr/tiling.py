"""
Exact tiled inference: pad by the receptive field, run, crop, stitch.

A tile's core of ``tile`` x ``tile`` input pixels is padded on every side by
``pad >= receptive_radius`` pixels of real neighbouring data (clipped at the
image border, where the method then sees the same border as on the whole
image), run through the method, and only the output of the core is kept. Every
output pixel therefore sees exactly the input it would see untiled: the tiled
result equals the untiled one to float rounding. Tiles whose core input is all
NaN (off the solar disk) are skipped and stay NaN.
"""
import numpy as np
from tqdm.auto import tqdm

__all__ = ["tile_slices", "run_tiled"]


def tile_slices(shape, tile, pad):
    """Yield ``(core_rows, core_cols, padded_rows, padded_cols)`` slices covering ``shape``."""
    ny, nx = shape
    for r0 in range(0, ny, tile):
        for c0 in range(0, nx, tile):
            r1, c1 = min(r0 + tile, ny), min(c0 + tile, nx)
            yield (slice(r0, r1), slice(c0, c1),
                   slice(max(r0 - pad, 0), min(r1 + pad, ny)), slice(max(c0 - pad, 0), min(c1 + pad, nx)))


def run_tiled(func, data, *, scale, pad, tile=None, skip=None, out=None, progress=False):
    """
    Apply ``func`` (array -> ``scale`` x array) to ``data`` tile by tile.

    Parameters
    ----------
    func : callable
        The method (no NaN in its input).
    data : `numpy.ndarray`
        2D float32 input without NaN.
    scale : int
        Zoom factor of ``func``.
    pad : int
        Padding (input pixels), at least the method's receptive radius.
    tile : int, optional
        Core tile size (input pixels); None runs the whole array at once.
    skip : `numpy.ndarray` of bool, optional
        Input pixels that need no output (off-disk); a tile whose core is all
        ``skip`` is not computed and its output is NaN.
    out : `numpy.ndarray`, optional
        Preallocated float32 output (e.g. a `numpy.memmap`) of the full output shape.
    progress : bool
        Show a progress bar over tiles.
    """
    ny, nx = data.shape
    if out is None:
        out = np.empty((ny * scale, nx * scale), dtype=np.float32)
    if tile is None or tile >= max(ny, nx):
        out[...] = func(data)
        return out
    tiles = list(tile_slices(data.shape, tile, pad))
    for rs, cs, prs, pcs in tqdm(tiles, desc="tiles", unit="tile", disable=not progress):
        o_rs = slice(rs.start * scale, rs.stop * scale)
        o_cs = slice(cs.start * scale, cs.stop * scale)
        if skip is not None and skip[rs, cs].all():
            out[o_rs, o_cs] = np.nan
            continue
        res = func(data[prs, pcs])
        r_off, c_off = (rs.start - prs.start) * scale, (cs.start - pcs.start) * scale
        out[o_rs, o_cs] = res[r_off:r_off + (rs.stop - rs.start) * scale,
                              c_off:c_off + (cs.stop - cs.start) * scale]
    return out
