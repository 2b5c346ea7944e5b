"""
Exact tiled inference: pad by the receptive field, run, crop, stitch.

A tile's core of ``tile`` x ``tile`` input pixels is padded on every side by
``pad >= receptive_radius`` pixels of real neighbouring data (clipped at the
image border, where the method then sees the same border as on the whole
image), run through the method, and only the output of the core is kept. Every
output pixel therefore sees exactly the input it would see untiled: the tiled
result equals the untiled one to float rounding. Off the solar disk (NaN input)
nothing is computed where it can be avoided: the tile plan follows the limb.

Tiles whose padded shapes are equal can run as one stack (:func:`tile_batches`): most
interior tiles of a plan share a shape, and the tiles of other shapes (at the border
and the limb) form their own, smaller batches. Tiles are never zero-padded to a common
shape, which would move the network's own zero padding off the image border and break
the exactness.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tqdm.auto import tqdm

from sunpy_sr.progress import show_progress

__all__ = ["tile_slices", "tile_batches", "run_tiled"]

#: From this many tiles on (a 2048^2 map at the default tile size: a full disk has 484) the
#: tiling is long enough for ``progress=None`` to show a bar on a terminal.
LONG_TILES = 16


def _even_edges(start, stop, tile):
    """Edges splitting ``[start, stop)`` into the fewest equal parts no longer than ``tile``."""
    n = -(-(stop - start) // tile)
    return np.linspace(start, stop, n + 1).round().astype(int)


def tile_slices(shape, tile, pad, skip=None):
    """
    Plan the tiles: yield ``(core_rows, core_cols, padded_rows, padded_cols)`` slices.

    The cores are at most ``tile`` x ``tile`` input pixels, of nearly equal size, and
    cover every pixel that is not ``skip`` exactly once (with ``skip=None``, every
    pixel). With a ``skip`` mask (off-disk pixels) the plan follows the disk: each
    band of rows is tiled only between its first and last on-disk column, and each
    core is shrunk to the rows that hold on-disk pixels, so little is computed off
    the limb. Padded slices extend the core by ``pad`` on every side, clipped at the
    image border.
    """
    ny, nx = shape
    row_edges = _even_edges(0, ny, tile)
    for r0, r1 in zip(row_edges[:-1], row_edges[1:]):
        c_lo, c_hi = 0, nx
        if skip is not None:
            cols = np.flatnonzero(~skip[r0:r1].all(axis=0))
            if not len(cols):
                continue
            c_lo, c_hi = int(cols[0]), int(cols[-1]) + 1
        col_edges = _even_edges(c_lo, c_hi, tile)
        for c0, c1 in zip(col_edges[:-1], col_edges[1:]):
            q0, q1 = r0, r1
            if skip is not None:
                rows = np.flatnonzero(~skip[r0:r1, c0:c1].all(axis=1))
                if not len(rows):
                    continue
                q0, q1 = r0 + int(rows[0]), r0 + int(rows[-1]) + 1
            yield (slice(q0, q1), slice(c0, c1),
                   slice(max(q0 - pad, 0), min(q1 + pad, ny)), slice(max(c0 - pad, 0), min(c1 + pad, nx)))


def tile_batches(plan, batch):
    """
    Group a tile plan into batches of at most ``batch`` tiles of one padded shape.

    Parameters
    ----------
    plan : list of tuple
        Tiles as :func:`tile_slices` yields them.
    batch : int
        The most tiles in a batch.

    Returns
    -------
    list of list of tuple
        Every tile once; the tiles of a batch have equal padded slices' lengths. Shapes
        come in the order of their first tile, and tiles keep their order within a shape.

    Examples
    --------
    >>> from sunpy_sr.inference.tiling import tile_batches, tile_slices
    >>> plan = list(tile_slices((100, 100), 40, 4))  # 3 x 3 tiles of 33-34 px
    >>> [len(b) for b in tile_batches(plan, 4)]
    [4, 2, 2, 1]
    """
    groups = {}
    for t in plan:
        groups.setdefault((t[2].stop - t[2].start, t[3].stop - t[3].start), []).append(t)
    return [g[i:i + batch] for g in groups.values() for i in range(0, len(g), batch)]


def run_tiled(func, data, *, scale, pad, tile=None, skip=None, out=None, progress=None, workers=1, batch=1,
              fill_skipped=True):
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
        Input pixels that need no output (off-disk). Tiles follow the disk
        (:func:`tile_slices`); output pixels outside every tile are NaN.
    out : `numpy.ndarray` or tuple of them, optional
        Preallocated float32 output (e.g. a `numpy.memmap`) of the full output shape. A
        tuple when ``func`` returns a tuple of arrays (e.g. the output and its sigma): each
        is stitched into its own.
    progress : bool or None
        Show a progress bar over tiles; None: when there are at least 16 tiles and the
        standard error is a terminal (`sunpy_sr.progress.show_progress`).
    workers : int
        Tiles computed at once, each in its own thread (``func`` must be thread-safe
        and release the GIL, as torch operators do). Several single-threaded tiles
        use a CPU better than one tile spread over several threads. With ``batch``,
        batches computed at once.
    batch : int
        Tiles of one padded shape given to ``func`` at once (:func:`tile_batches`): with
        ``batch > 1``, ``func`` takes a stack ``(N, h, w)`` and returns a stack
        ``(N, scale h, scale w)`` (or a tuple of them), as the functions of
        `sunpy_sr.inference.network_runner` do. The result does not depend on it.
    fill_skipped : bool
        With ``skip``: set the output of the pixels no tile covers (all of them ``skip``
        pixels) to NaN. False leaves them as ``out`` holds them, for a caller that sets
        the children of every ``skip`` pixel itself (`sunpy_sr.core.restore_nan`): on a
        full disk that saves a pass over the 16384^2 output.
    """
    ny, nx = data.shape
    if out is None:
        out = np.empty((ny * scale, nx * scale), dtype=np.float32)
    outs = out if isinstance(out, tuple) else (out,)
    if tile is None or tile >= max(ny, nx):
        res = func(data)
        for o, r in zip(outs, res if isinstance(out, tuple) else (res,)):
            o[...] = r
        return out
    tiles = list(tile_slices(data.shape, tile, pad, skip))
    if skip is not None and fill_skipped:
        for o in outs:
            o.fill(np.nan)

    def write(plan, res):
        """Stitch the core of one tile's output(s) ``res`` into ``out`` (in place)."""
        rs, cs, prs, pcs = plan
        r_off, c_off = (rs.start - prs.start) * scale, (cs.start - pcs.start) * scale
        for o, r in zip(outs, res if isinstance(out, tuple) else (res,)):
            o[rs.start * scale:rs.stop * scale, cs.start * scale:cs.stop * scale] = \
                r[r_off:r_off + (rs.stop - rs.start) * scale, c_off:c_off + (cs.stop - cs.start) * scale]

    def run_batch(plans):
        if batch == 1:
            (plan,) = plans
            write(plan, func(data[plan[2], plan[3]]))
            return 1
        res = func(np.stack([data[prs, pcs] for _, _, prs, pcs in plans]))
        for i, plan in enumerate(plans):
            write(plan, tuple(r[i] for r in res) if isinstance(out, tuple) else res[i])
        return len(plans)

    # each task writes its own output, so memory holds at most ``workers`` batches; one
    # worker runs in the calling thread (whose torch thread setting the caller chose)
    bar_off = not show_progress(progress, long=len(tiles) >= LONG_TILES)
    with tqdm(total=len(tiles), desc="tiles", unit="tile", disable=bar_off) as bar, \
            ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for n in (pool.map if workers > 1 else map)(run_batch, tile_batches(tiles, max(1, int(batch)))):
            bar.update(n)
    return out
