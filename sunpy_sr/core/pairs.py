"""
Training pairs from HMI LOS magnetograms: level 1.5, crops, clipping, degradation.

The recipe follows Rahman et al. (2020, ApJL 897, L32): HR crops of 512x512 pixels
near disk centre (``|x|, |y| <= 500"`` by default), rotated north up, clipped to
+-2000 G; LR = :func:`sunpy_sr.core.degradation.degrade_array` of the HR crop (the same
code the package uses everywhere, so training and inference agree on where every
pixel sits). SHARP CEA cutouts are their own domain (already north up, on a CEA
grid): they are cut into crops of at most ``size`` pixels without a disk-centre rule.

Pairs are cached to one ``.npz`` per input file and recipe, so a second run
starts in seconds.
"""
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import astropy.units as u
import numpy as np
import sunpy.map
from astropy.coordinates import SkyCoord
from astropy.time import Time
from tqdm.auto import tqdm

from sunpy_sr.core.degradation import degrade_array
from sunpy_sr.core.header import is_cea
from sunpy_sr.core.units import to_gauss
from sunpy_sr.exceptions import warn_user
from sunpy_sr.io import atomic_write
from sunpy_sr.progress import show_progress

__all__ = ["PairRecipe", "to_level15", "crop_origins", "make_pairs",
           "find_magnetograms", "select_by_date", "PairSet"]


@dataclass(frozen=True)
class PairRecipe:
    """How HR/LR pairs are made (every field changes the cache key)."""
    size: int = 512                 # HR crop size (pixels)
    stride: int = 512               # HR crop stride (pixels)
    max_distance: float = 500.0     # arcsec: crops lie within |x|, |y| <= this of disk centre
    clip: float = 2000.0            # G
    factor: int = 4
    degrade_method: str = "gaussian-bilinear"
    sigma: float = 2.0
    kernel_size: int = 5
    rotation_tolerance: float = 0.1  # deg: |CROTA2 - 180| below this is an exact flip
    cover_edges: bool = True        # CEA cutouts: add crops flush with the far edges, so none is lost

    def key(self):
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def to_level15(smap, tolerance=0.1):
    """
    Rotate a map north up (HMI level 1 -> 1.5 orientation).

    A map whose roll is within ``tolerance`` degrees of 180 is flipped exactly
    (``data[::-1, ::-1]``, no interpolation; the header keeps the residual roll);
    within ``tolerance`` of 0 it is returned as is; otherwise it is rotated with
    `~sunpy.map.GenericMap.rotate` (bicubic, NaN kept).

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.core.pairs import to_level15
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> hmi = hmi_active_region()                       # level 1: CROTA2 = 180.013 deg
    >>> l15 = to_level15(hmi)
    >>> round(l15.meta["crota2"], 3), np.array_equal(l15.data, hmi.data[::-1, ::-1])
    (0.013, True)
    """
    angle = float(smap.meta.get("crota2", 0.0)) % 360
    if min(angle, 360 - angle) <= tolerance:
        return smap
    if abs(angle - 180) <= tolerance:
        meta = smap.meta.copy()
        ny, nx = smap.data.shape
        meta["crpix1"] = nx + 1 - float(meta["crpix1"])
        meta["crpix2"] = ny + 1 - float(meta["crpix2"])
        meta["crota2"] = angle - 180
        for key in ("pc1_1", "pc1_2", "pc2_1", "pc2_2"):
            meta.pop(key, None)
        return smap._new_instance(np.asarray(smap.data)[::-1, ::-1].copy(), meta,
                                  plot_settings=smap.plot_settings)
    return smap.rotate(order=3, missing=np.nan)


def crop_origins(smap, recipe):
    """
    HR crop origins ``(row, col)`` for a map (level 1.5), following ``recipe``, and the crop size.

    Returns ``(origins, size)``. On a full disk ``size`` is ``recipe.size`` (no crop
    if the disk-centre box is smaller). On a CEA cutout smaller than ``recipe.size``
    the crops shrink to the largest multiple of ``recipe.factor`` that fits (training
    uses every cutout): ``size`` can then be smaller than asked, and a caller that
    states a crop size (``sunpy-sr evaluate``) must check it. With ``cover_edges``,
    crops flush with the far edges are added where the stride leaves pixels out,
    however close they are to the last one (two crops one pixel apart on 377 rows
    with 376-pixel crops).

    Examples
    --------
    >>> from sunpy_sr.core.pairs import PairRecipe, crop_origins, to_level15
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> l15 = to_level15(hmi_active_region())           # 256x256 px near (+435", -301")
    >>> crop_origins(l15, PairRecipe(size=64, stride=64))[0][:3]   # (row, col) of the first crops
    [(20, 33), (20, 97), (20, 161)]
    >>> crop_origins(l15, PairRecipe(size=128, stride=128))   # one crop fits within 500" of disk centre
    ([(20, 97)], 128)
    """
    ny, nx = smap.data.shape
    size = recipe.size
    if is_cea(smap):
        size = min(size, ny, nx) // recipe.factor * recipe.factor
        rows = list(range(0, ny - size + 1, min(recipe.stride, size))) or [0]
        cols = list(range(0, nx - size + 1, min(recipe.stride, size))) or [0]
        if recipe.cover_edges:
            rows += [ny - size] if rows[-1] < ny - size else []
            cols += [nx - size] if cols[-1] < nx - size else []
        return [(r, c) for r in rows for c in cols], size
    centre = smap.wcs.world_to_pixel(SkyCoord(0 * u.arcsec, 0 * u.arcsec, frame=smap.coordinate_frame))
    cx, cy = float(centre[0]), float(centre[1])
    half = recipe.max_distance / abs(smap.scale[0].to_value(u.arcsec / u.pix))
    lo_x, hi_x = int(np.ceil(cx - half)), int(np.floor(cx + half))
    lo_y, hi_y = int(np.ceil(cy - half)), int(np.floor(cy + half))
    span_x, span_y = hi_x - lo_x + 1, hi_y - lo_y + 1
    if span_x < size or span_y < size:
        return [], size
    nx_c = (span_x - size) // recipe.stride + 1
    ny_c = (span_y - size) // recipe.stride + 1
    # centre the grid of crops on the disk centre
    off_x = lo_x + (span_x - size - (nx_c - 1) * recipe.stride) // 2
    off_y = lo_y + (span_y - size - (ny_c - 1) * recipe.stride) // 2
    out = []
    for j in range(ny_c):
        for i in range(nx_c):
            r, c = off_y + j * recipe.stride, off_x + i * recipe.stride
            if r >= 0 and c >= 0 and r + size <= ny and c + size <= nx:
                out.append((r, c))
    return out, size


@dataclass
class PairSet:
    """HR and LR crops (float32, G) with where they came from."""
    hr: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    source: list = field(default_factory=list)   # file name per pair
    origin: list = field(default_factory=list)   # (row, col) of the HR crop in the level-1.5 map
    date: list = field(default_factory=list)     # ISO date of the observation

    def __len__(self):
        return len(self.hr)

    def extend(self, other):
        for name in ("hr", "lr", "source", "origin", "date"):
            getattr(self, name).extend(getattr(other, name))
        return self


def _pairs_from_map(smap, recipe, name):
    smap = to_level15(smap, recipe.rotation_tolerance)
    data = to_gauss(smap)  # SHARPs are in Mx/cm^2 (= G); anything else is converted
    origins, size = crop_origins(smap, recipe)
    out = PairSet()
    for r, c in origins:
        hr = data[r:r + size, c:c + size]
        if not np.isfinite(hr).all():
            continue
        hr = np.clip(hr, -recipe.clip, recipe.clip)
        lr = degrade_array(hr, factor=recipe.factor, method=recipe.degrade_method,
                           sigma=recipe.sigma, kernel_size=recipe.kernel_size)
        out.hr.append(hr)
        out.lr.append(lr)
        out.source.append(name)
        out.origin.append((r, c))
        out.date.append(smap.date.isot)
    return out


def make_pairs(files, recipe=PairRecipe(), cache_dir=None, progress=None):
    """
    Build (and cache) HR/LR pairs from magnetogram files.

    Parameters
    ----------
    files : list of path-like
        FITS files readable by `sunpy.map.Map` (full-disk HMI or SHARP CEA).
    recipe : `PairRecipe`
    cache_dir : path-like, optional
        Where ``<file>.<recipe-key>.npz`` caches are kept.
    progress : bool or None
        Show a progress bar over files; None (default): from 2 files on, when the standard
        error is a terminal (`sunpy_sr.progress.show_progress`).

    Returns
    -------
    `PairSet`

    Examples
    --------
    >>> from sunpy_sr.core.pairs import PairRecipe, make_pairs
    >>> from sunpy_sr.data.sample import HMI_ACTIVE_REGION
    >>> pairs = make_pairs([HMI_ACTIVE_REGION], PairRecipe(size=128, stride=128), progress=False)
    >>> len(pairs), pairs.hr[0].shape, pairs.lr[0].shape, pairs.origin[0]
    (1, (128, 128), (32, 32), (20, 97))
    >>> pairs.source[0], pairs.date[0]
    ('hmi_active_region.fits.gz', '2016-07-07T00:58:47.300')
    """
    pairs = PairSet()
    cache_dir = Path(cache_dir) if cache_dir is not None else None
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    files = list(files)
    for f in tqdm(files, desc="pairs", disable=not show_progress(progress, long=len(files) > 1), unit="file"):
        f = Path(f)
        cache = cache_dir / f"{f.name}.{recipe.key()}.npz" if cache_dir else None
        if cache is not None and cache.exists():
            z = np.load(cache, allow_pickle=False)
            part = PairSet(list(z["hr"]), list(z["lr"]), [f.name] * len(z["hr"]),
                           [tuple(o) for o in z["origin"]], [str(z["date"])] * len(z["hr"]))
        else:
            part = _pairs_from_map(sunpy.map.Map(f), recipe, f.name)
            if not len(part):
                warn_user(f"{f.name}: no crop satisfies the recipe")
            if cache is not None and len(part):
                # written whole, then renamed: a reader (another rank of a torchrun job) never
                # sees a half-written cache
                with atomic_write(cache, prefix=f".{cache.name}.", suffix=".tmp") as tmp, \
                        open(tmp, "wb") as fh:
                    np.savez(fh, hr=np.stack(part.hr), lr=np.stack(part.lr),
                             origin=np.array(part.origin), date=part.date[0])
        pairs.extend(part)
    return pairs


def find_magnetograms(folder):
    """
    LOS magnetogram FITS files in ``folder`` (recursively): ``*magnetogram*.fits``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sunpy_sr.core.pairs import find_magnetograms
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (Path(tmp) / "2014").mkdir()
    ...     for name in ("2014/hmi.m_720s.20140501_000000_TAI.magnetogram.fits", "notes.txt"):
    ...         (Path(tmp) / name).touch()
    ...     print([f.relative_to(tmp).as_posix() for f in find_magnetograms(tmp)])
    ['2014/hmi.m_720s.20140501_000000_TAI.magnetogram.fits']
    """
    return sorted(Path(folder).rglob("*magnetogram*.fits"))


def _file_date(path):
    """Observation date from a JSOC-style file name (``..._YYYYMMDD_HHMMSS_TAI...``) or the header."""
    import re
    m = re.search(r"(\d{8})_(\d{6})", Path(path).name)
    if m:
        d, t = m.groups()
        return Time(f"{d[:4]}-{d[4:6]}-{d[6:]}T{t[:2]}:{t[2:4]}:{t[4:]}")
    return sunpy.map.Map(path).date


def select_by_date(files, ranges):
    """
    Keep the files observed within any of ``ranges`` (list of ``(start, end)``, ISO strings).

    Splitting by date, never by pixels of one crop, keeps training and validation
    independent (Rahman et al. 2020 train on 2014 May-Aug and test on 2015).

    The date is read from a JSOC-style file name (``..._YYYYMMDD_HHMMSS_TAI...``), else
    from the header.

    Examples
    --------
    >>> from sunpy_sr.core.pairs import select_by_date
    >>> files = ["hmi.m_720s.20140510_000000_TAI.magnetogram.fits",
    ...          "hmi.m_720s.20150301_000000_TAI.magnetogram.fits"]
    >>> select_by_date(files, [("2014-05-01", "2014-08-31")])
    ['hmi.m_720s.20140510_000000_TAI.magnetogram.fits']
    """
    ranges = [(Time(a), Time(b)) for a, b in ranges]
    return [f for f in files if any(a <= _file_date(f) <= b for a, b in ranges)]
