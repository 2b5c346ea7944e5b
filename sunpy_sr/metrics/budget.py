"""The error budget: where the squared error of a super-resolution lies, by field strength."""
import astropy.units as u
import numpy as np

from sunpy_sr.core.units import quantity_in_gauss
from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.metrics._common import _arrays

__all__ = ["error_budget"]


def error_budget(targets, outputs, *, edges=(200, 1000) * u.G):
    """
    Where the squared error lies: its share in bands of ``|target|``.

    PSNR and RMSE average the squared error over all pixels, so a few per cent of
    active-region pixels can dominate them. This splits the summed squared error
    of one or more images into bands of the target's field strength.

    Parameters
    ----------
    targets, outputs : array, `~sunpy.map.GenericMap`, or sequences of them
        Reference (HR) and super-resolved magnetograms, field in G, pairwise of the
        same shape; pixels not finite in both are ignored.
    edges : sequence of float or `~astropy.units.Quantity`
        Increasing band edges in ``|target|`` (G). The default gives three bands:
        below 200 G (quiet Sun), 200 to 1000 G (plage, penumbra, sunspot edges) and
        above 1000 G (umbrae and the strongest plage).

    Returns
    -------
    `~astropy.table.QTable`
        One row per band: ``low``, ``high`` (G), ``pixel_fraction``,
        ``error_share`` (fraction of the summed squared error; sums to 1) and
        ``rmse`` (G, over the band's pixels; NaN if the band is empty).

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.metrics import error_budget
    >>> t = np.array([[0.0, 100.0], [500.0, 1500.0]])
    >>> error_budget(t, t + np.array([[1.0, 1.0], [2.0, 0.0]]))["error_share"].round(3).tolist()
    [0.333, 0.667, 0.0]
    """
    from astropy.table import QTable

    if isinstance(targets, np.ndarray) or hasattr(targets, "meta"):
        targets, outputs = [targets], [outputs]
    targets, outputs = list(targets), list(outputs)
    if len(targets) != len(outputs):
        raise SunpySRError(f"{len(targets)} targets but {len(outputs)} outputs")
    edges = np.array([quantity_in_gauss(e, name="edge") for e in edges], dtype=float)
    if edges.ndim != 1 or np.any(np.diff(edges) <= 0) or np.any(edges <= 0):
        raise SunpySRError(f"edges must be positive and increasing, got {edges}")
    bounds = np.concatenate([[0.0], edges, [np.inf]])
    n_band = len(bounds) - 1
    count, sq = np.zeros(n_band), np.zeros(n_band)
    for target, output in zip(targets, outputs):
        t, o, v = _arrays(target, output, allow_empty=True)  # an all-NaN image adds nothing
        band = np.digitize(np.abs(t[v]), edges)   # 0 .. n_band - 1; |t| == edge goes up
        count += np.bincount(band, minlength=n_band)
        sq += np.bincount(band, weights=(t[v] - o[v]) ** 2, minlength=n_band)
    if count.sum() == 0:
        raise SunpySRError("no pixel is finite in both target and output")
    table = QTable()
    table["low"] = bounds[:-1] * u.G
    table["high"] = bounds[1:] * u.G
    table["pixel_fraction"] = count / count.sum()
    table["error_share"] = sq / sq.sum() if sq.sum() > 0 else np.zeros(n_band)
    table["rmse"] = np.where(count > 0, np.sqrt(sq / np.maximum(count, 1)), np.nan) * u.G
    return table
