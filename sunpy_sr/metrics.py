"""
Image-quality and flux metrics for super-resolved magnetograms.

The image metrics are those of Rahman et al. (2020, ApJL 897, L32), Table 1:
PSNR with a peak of ``MAX = 4000`` G (the full range of fields clipped to
+-2000 G), Pearson's correlation coefficient, RMSE in gauss and SSIM (Wang et al.
2004) with ``data_range = 4000``; each computed per image and then averaged over
images (:func:`evaluate`). Two physical checks are added: the RMSE over
strong-field pixels (:func:`strong_field_rmse`), where the networks differ most,
and the re-degradation residual (:func:`redegradation_residual`), which measures
how well a super-resolved map reproduces its own input flux when degraded again.
:func:`signed_flux` and :func:`unsigned_flux` integrate a map's field over the
solar surface.

All image metrics accept Maps or arrays (field in G) and ignore pixels that are
NaN in either input.

References
----------
Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79

Wang, Z., Bovik, A. C., Sheikh, H. R. & Simoncelli, E. P. 2004, IEEE Trans. Image
Process. 13, 600, doi:10.1109/TIP.2003.819861
"""
from collections.abc import Mapping

import astropy.units as u
import numpy as np
import sunpy.map

__all__ = ["psnr", "pearson_cc", "rmse", "ssim", "strong_field_rmse", "error_budget",
           "redegradation_residual",
           "signed_flux", "unsigned_flux", "map_pixel_area", "evaluate", "MAX_FIELD",
           "EVALUATE_COLUMNS"]

#: Peak value (G) of PSNR and data range of SSIM, as in Rahman et al. (2020).
MAX_FIELD = 4000.0

#: Columns of the table returned by :func:`evaluate`, in order.
EVALUATE_COLUMNS = ("method", "n_images", "psnr", "cc", "rmse", "ssim", "rmse_strong",
                    "n_strong", "redegradation_residual")


def _data(x):
    return x.data if isinstance(x, sunpy.map.GenericMap) else x


def _arrays(target, output, allow_empty=False):
    t = np.asarray(_data(target), dtype=np.float64)
    o = np.asarray(_data(output), dtype=np.float64)
    if t.shape != o.shape:
        raise ValueError(f"shapes differ: target {t.shape}, output {o.shape}")
    valid = np.isfinite(t) & np.isfinite(o)
    if not (allow_empty or valid.any()):
        raise ValueError("no pixel is finite in both inputs")
    return t, o, valid


def _gauss(value):
    """A threshold given as a number (G) or a field Quantity, as a float in G."""
    if isinstance(value, u.Quantity):
        return float(value.to_value(u.G))
    return float(value)


def rmse(target, output):
    """Root-mean-square error (G) over pixels finite in both."""
    t, o, v = _arrays(target, output)
    return float(np.sqrt(np.mean((t[v] - o[v]) ** 2)))


def psnr(target, output, max_value=MAX_FIELD):
    """Peak signal-to-noise ratio (dB): ``10 log10(max_value**2 / MSE)``, max_value in G."""
    e = rmse(target, output)
    return float("inf") if e == 0 else float(20 * np.log10(max_value / e))


def pearson_cc(target, output):
    """Pixel-to-pixel Pearson correlation coefficient over pixels finite in both."""
    t, o, v = _arrays(target, output)
    t, o = t[v] - t[v].mean(), o[v] - o[v].mean()
    den = np.sqrt((t * t).sum() * (o * o).sum())
    return float((t * o).sum() / den) if den > 0 else float("nan")


def ssim(target, output, data_range=MAX_FIELD):
    """
    Structural similarity (Wang et al. 2004) with ``data_range`` in G.

    Uses `skimage.metrics.structural_similarity` (7x7 uniform window); NaN
    pixels are set to 0 G in both images and the SSIM map is averaged over the
    pixels valid in both, leaving out a 3-pixel border as scikit-image does
    (so that without NaN the value is exactly scikit-image's).

    References
    ----------
    Wang, Z., Bovik, A. C., Sheikh, H. R. & Simoncelli, E. P. 2004, IEEE Trans.
    Image Process. 13, 600, doi:10.1109/TIP.2003.819861
    """
    from skimage.metrics import structural_similarity
    t, o, v = _arrays(target, output)
    _, smap = structural_similarity(np.where(v, t, 0), np.where(v, o, 0), data_range=data_range,
                                    full=True)
    pad = (7 - 1) // 2                      # skimage's default win_size = 7
    inner = np.zeros_like(v)
    inner[pad:-pad, pad:-pad] = True
    use = v & inner if (v & inner).any() else v
    return float(smap[use].mean())


def strong_field_rmse(target, output, threshold=200):
    """
    RMSE (G) over the strong-field pixels, ``|target| > threshold``.

    Parameters
    ----------
    target, output : `~sunpy.map.GenericMap` or `numpy.ndarray`
        Reference (HR) and super-resolved magnetograms, field in G, same shape.
    threshold : float or `~astropy.units.Quantity`
        Field strength (G, default 200 G: plage and active regions) above which a
        target pixel counts as strong.

    Returns
    -------
    float
        The RMSE in G, or NaN when no pixel finite in both inputs exceeds the
        threshold (e.g. a quiet-Sun crop).
    """
    t, o, v = _arrays(target, output)
    with np.errstate(invalid="ignore"):
        strong = v & (np.abs(t) > _gauss(threshold))
    if not strong.any():
        return float("nan")
    return float(np.sqrt(np.mean((t[strong] - o[strong]) ** 2)))


def redegradation_residual(sr, lr, *, factor=4, method="gaussian-bilinear", sigma=2.0, kernel_size=5):
    """
    RMS (G) of ``degrade(sr) - lr``: how well a super-resolved map keeps its input flux.

    A super-resolution consistent with the forward model (the degradation that
    made ``lr`` from the true HR map) reproduces ``lr`` when degraded again; the
    residual is then 0 G. It needs no HR reference, so it also applies to real
    full-resolution inputs.

    Parameters
    ----------
    sr : `~sunpy.map.GenericMap` or `numpy.ndarray`
        Super-resolved magnetogram (G), ``factor`` times the shape of ``lr``.
    lr : `~sunpy.map.GenericMap` or `numpy.ndarray`
        The low-resolution input (G).
    factor : int
        Zoom factor (default 4).
    method : {"gaussian-bilinear", "bin"}
        Degradation recipe, see `sunpy_sr.degrade`.
    sigma, kernel_size
        Gaussian width and size (HR pixels) of the ``"gaussian-bilinear"`` recipe.

    Returns
    -------
    float
        RMS residual in G over pixels finite in both ``degrade(sr)`` and ``lr``.

    Raises
    ------
    ValueError
        If ``sr`` is not ``factor`` times the shape of ``lr``.
    """
    from sunpy_sr.degrade import degrade_array
    s = np.asarray(_data(sr), dtype=np.float32)
    low = np.asarray(_data(lr), dtype=np.float64)
    if s.ndim != 2 or low.ndim != 2 or s.shape != (low.shape[0] * factor, low.shape[1] * factor):
        raise ValueError(f"sr shape {s.shape} is not {factor} x lr shape {low.shape}")
    return rmse(low, degrade_array(s, factor=factor, method=method, sigma=sigma,
                                   kernel_size=kernel_size))


# --------------------------------------------------------------------------------------------
# Magnetic flux


def _is_cea(smap):
    return "CEA" in str(smap.meta.get("ctype1", "")).upper()


def _is_helioprojective(smap):
    from sunpy.coordinates import Helioprojective
    return isinstance(smap.coordinate_frame, Helioprojective)


def _mu_helioprojective(smap):
    """
    mu and observer-to-surface distance for each pixel of a helioprojective map.

    For a spherical Sun of radius R seen from distance D, a point at angular
    distance rho from disk centre has ``mu = sqrt(1 - (D sin(rho) / R)**2)`` and
    lies at ``d = D cos(rho) - R mu`` from the observer (NaN off the disk).
    """
    from sunpy.map.maputils import all_coordinates_from_map
    c = all_coordinates_from_map(smap)
    cos_rho = np.cos(c.Tx.to_value(u.rad)) * np.cos(c.Ty.to_value(u.rad))
    sin_rho = np.sqrt(np.clip(1 - cos_rho**2, 0, None))
    D = smap.dsun.to_value(u.cm)
    R = smap.rsun_meters.to_value(u.cm)
    with np.errstate(invalid="ignore"):
        mu = np.sqrt(1 - (D * sin_rho / R) ** 2)        # NaN off the disk
    d = D * cos_rho - R * mu
    return mu, d


def _mu_heliographic(smap):
    """mu for each pixel of a heliographic (e.g. CEA) map, from the observer's position."""
    from sunpy.map.maputils import all_coordinates_from_map
    c = all_coordinates_from_map(smap)
    obs = smap.observer_coordinate.transform_to(c.frame)
    lon, lat = c.lon.to_value(u.rad), c.lat.to_value(u.rad)
    lon0, lat0 = obs.lon.to_value(u.rad), obs.lat.to_value(u.rad)
    cos_psi = np.sin(lat) * np.sin(lat0) + np.cos(lat) * np.cos(lat0) * np.cos(lon - lon0)
    D = obs.radius.to_value(u.cm)
    R = smap.rsun_meters.to_value(u.cm)
    d = np.sqrt(D**2 + R**2 - 2 * D * R * cos_psi)
    return (D * cos_psi - R) / d


def map_pixel_area(smap, *, surface=False, mu_min=0.1):
    """
    Area of each pixel of a map on the Sun, in cm^2.

    Parameters
    ----------
    smap : `~sunpy.map.GenericMap`
        A helioprojective map (e.g. full-disk HMI) or a heliographic CEA map
        (e.g. a SHARP cutout).
    surface : bool
        Helioprojective maps only. If False (default), the disk-centre
        approximation: every pixel has the area ``Omega * (D - R)**2`` that its
        solid angle ``Omega = CDELT1 * CDELT2`` (rad^2) subtends at the
        sub-observer point, where ``D`` is the observer distance (``DSUN_OBS``)
        and ``R`` the solar radius (``RSUN_REF``); foreshortening is ignored, so
        this is the pixel's footprint perpendicular to the line of sight. If True,
        the area on the spherical solar surface, ``Omega * d**2 / mu``, with ``d``
        the distance from the observer to the surface point and ``mu`` the cosine
        of the angle between the local vertical and the line of sight; pixels off
        the disk or with ``mu < mu_min`` are NaN. (The small variation of the
        pixel solid angle across a TAN projection, a fraction 1e-5 over the
        disk, is neglected.)
    mu_min : float
        Smallest ``mu`` kept when ``surface=True`` (the area diverges at the limb).

    Returns
    -------
    `~astropy.units.Quantity`
        A scalar (cm^2) when every pixel has the same area, otherwise an array of
        the map's shape.

    Notes
    -----
    A CEA map (``CTYPEi = CRLN-CEA, CRLT-CEA``, as for SHARPs) is an equal-area
    projection: each pixel covers ``lambda * CDELT1 * CDELT2 * R**2`` on the
    sphere (CDELTs in rad, ``lambda = PV2_1``, default 1) wherever it lies, so
    ``surface`` does not change it.

    Raises
    ------
    ValueError
        Any other projection: pass ``pixel_area`` to the flux functions instead.
    """
    R = smap.rsun_meters.to(u.cm)
    sx, sy = (abs(s.to_value(u.rad / u.pix, equivalencies=u.dimensionless_angles())) * u.rad
              for s in smap.scale)
    if _is_cea(smap):
        lam = float(smap.meta.get("pv2_1", 1.0))
        return (lam * (sx * sy).to_value(u.sr) * R**2).to(u.cm**2)
    if _is_helioprojective(smap):
        omega = (sx * sy).to_value(u.sr)
        if not surface:
            return (omega * (smap.dsun - R) ** 2).to(u.cm**2)
        mu, d = _mu_helioprojective(smap)
        with np.errstate(invalid="ignore", divide="ignore"):
            area = np.where(mu >= mu_min, omega * d**2 / mu, np.nan)
        return area * u.cm**2
    raise ValueError(f"cannot compute the pixel area of a {smap.meta.get('ctype1')}/"
                     f"{smap.meta.get('ctype2')} map: pass pixel_area (a Quantity in cm^2)")


def _flux_terms(x, pixel_area, radial, mu_min, mask):
    """Field (G) and area (cm^2) arrays and the pixels to sum."""
    if isinstance(x, sunpy.map.GenericMap):
        unit = x.unit if x.unit is not None else u.G
        if not unit.is_equivalent(u.G):
            raise u.UnitsError(f"map unit {unit} is not a magnetic flux density (G or Mx/cm^2)")
        b = np.asarray(x.data, dtype=np.float64) * unit.to(u.G)
        if pixel_area is None:
            if radial:
                if _is_helioprojective(x):
                    mu = _mu_helioprojective(x)[0]
                    area = map_pixel_area(x, surface=True, mu_min=mu_min).to_value(u.cm**2)
                else:
                    mu = _mu_heliographic(x)
                    area = map_pixel_area(x).to_value(u.cm**2)
                with np.errstate(invalid="ignore", divide="ignore"):
                    b = np.where(mu >= mu_min, b / mu, np.nan)
            else:
                area = map_pixel_area(x).to_value(u.cm**2)
        elif radial:
            raise ValueError("radial=True needs the map's coordinates: do not pass pixel_area")
    else:
        if pixel_area is None:
            raise ValueError("an array has no coordinates: pass pixel_area (a Quantity in cm^2 or km^2)")
        if radial:
            raise ValueError("radial=True needs a Map (an array has no coordinates)")
        b = np.asarray(x, dtype=np.float64)
        if b.ndim != 2:
            raise ValueError(f"expected a 2D array, got shape {b.shape}")
    if pixel_area is not None:
        if not isinstance(pixel_area, u.Quantity):
            raise TypeError("pixel_area must be an astropy Quantity of area (e.g. cm^2 or km^2)")
        area = pixel_area.to_value(u.cm**2)
    area = np.broadcast_to(area, b.shape)
    valid = np.isfinite(b) & np.isfinite(area)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != b.shape:
            raise ValueError(f"mask shape {mask.shape} differs from the data shape {b.shape}")
        valid &= mask
    return b, area, valid


def signed_flux(smap_or_array, pixel_area=None, *, radial=False, mu_min=0.1, mask=None):
    """
    Net (signed) magnetic flux, ``sum(B * A)`` over the finite pixels, in Mx.

    Parameters
    ----------
    smap_or_array : `~sunpy.map.GenericMap` or `numpy.ndarray`
        A LOS magnetogram (G or Mx/cm^2; an array is taken to be in G).
    pixel_area : `~astropy.units.Quantity`, optional
        Area of a pixel on the Sun (cm^2, km^2...; scalar or an array of the data's
        shape). Required for an array. For a Map it defaults to
        :func:`map_pixel_area`: for a helioprojective map the disk-centre
        approximation ``(CDELT1 * CDELT2 in rad^2) * (DSUN_OBS - RSUN_REF)**2``,
        which ignores foreshortening (so the sum is the flux of the LOS component
        through the pixels' footprints perpendicular to the line of sight, and is
        exact only near disk centre); for a CEA map (SHARP) the exact equal-area
        ``(CDELT in rad)**2 * RSUN_REF**2``.
    radial : bool
        Maps only: assume the field is radial, so ``B_r = B_LOS / mu``, and sum
        ``B_r`` times the pixel area on the solar surface (``Omega d**2 / mu`` for
        a helioprojective map, the CEA area for a CEA map). Pixels with
        ``mu < mu_min`` (and off-disk pixels) are left out.
    mu_min : float
        Limb cut-off for ``radial=True`` (default 0.1).
    mask : array of bool, optional
        Only pixels where ``mask`` is True are summed (e.g. a HARP region).

    Returns
    -------
    `~astropy.units.Quantity`
        Flux in Mx (1 G cm^2 = 1 Mx).

    References
    ----------
    Hoeksema, J. T. et al. 2014, Sol. Phys. 289, 3483 (SHARP flux from CEA pixels,
    ``USFLUX``); Bobra, M. G. et al. 2014, Sol. Phys. 289, 3549.
    """
    b, area, valid = _flux_terms(smap_or_array, pixel_area, radial, mu_min, mask)
    return (float(np.sum(b[valid] * area[valid])) * u.G * u.cm**2).to(u.Mx)


def unsigned_flux(smap_or_array, pixel_area=None, *, radial=False, mu_min=0.1, mask=None):
    """
    Total unsigned magnetic flux, ``sum(|B| * A)`` over the finite pixels, in Mx.

    Parameters and conventions as in :func:`signed_flux`. Note that the unsigned
    flux of a noisy magnetogram includes the noise (about 10 G per pixel for HMI
    LOS); restrict it with ``mask`` (e.g. ``np.abs(data) > threshold``) to compare
    maps of different resolution or noise.

    Returns
    -------
    `~astropy.units.Quantity`
        Flux in Mx.
    """
    b, area, valid = _flux_terms(smap_or_array, pixel_area, radial, mu_min, mask)
    return (float(np.sum(np.abs(b[valid]) * area[valid])) * u.G * u.cm**2).to(u.Mx)


# --------------------------------------------------------------------------------------------
# Evaluation over a test set


def error_budget(targets, outputs, edges=(200, 1000)):
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
        raise ValueError(f"{len(targets)} targets but {len(outputs)} outputs")
    edges = np.array([_gauss(e) for e in edges], dtype=float)
    if edges.ndim != 1 or np.any(np.diff(edges) <= 0) or np.any(edges <= 0):
        raise ValueError(f"edges must be positive and increasing, got {edges}")
    bounds = np.concatenate([[0.0], edges, [np.inf]])
    n_band = len(bounds) - 1
    count, sq = np.zeros(n_band), np.zeros(n_band)
    for target, output in zip(targets, outputs):
        t, o, v = _arrays(target, output, allow_empty=True)  # an all-NaN image adds nothing
        band = np.digitize(np.abs(t[v]), edges)   # 0 .. n_band - 1; |t| == edge goes up
        count += np.bincount(band, minlength=n_band)
        sq += np.bincount(band, weights=(t[v] - o[v]) ** 2, minlength=n_band)
    if count.sum() == 0:
        raise ValueError("no pixel is finite in both target and output")
    table = QTable()
    table["low"] = bounds[:-1] * u.G
    table["high"] = bounds[1:] * u.G
    table["pixel_fraction"] = count / count.sum()
    table["error_share"] = sq / sq.sum() if sq.sum() > 0 else np.zeros(n_band)
    table["rmse"] = np.where(count > 0, np.sqrt(sq / np.maximum(count, 1)), np.nan) * u.G
    return table


def _pairs(pairs_or_lists):
    if hasattr(pairs_or_lists, "hr") and hasattr(pairs_or_lists, "lr"):
        hr, lr = list(pairs_or_lists.hr), list(pairs_or_lists.lr)
    else:
        try:
            hr, lr = pairs_or_lists
        except (TypeError, ValueError):
            raise TypeError("expected a sunpy_sr.pairs.PairSet or a pair (hr_list, lr_list)") from None
        hr, lr = list(hr), list(lr)
    if len(hr) != len(lr):
        raise ValueError(f"{len(hr)} HR images but {len(lr)} LR images")
    if not hr:
        raise ValueError("no image to evaluate")
    hr = [np.asarray(_data(h), dtype=np.float32) for h in hr]
    lr = [np.asarray(_data(x), dtype=np.float32) for x in lr]
    return hr, lr


def evaluate(pairs_or_lists, methods=("bicubic",), *, strong_threshold=200,
             degrade_method="gaussian-bilinear", progress=True, return_outputs=False, **method_options):
    """
    Evaluate super-resolution methods on HR/LR pairs, as in Rahman et al. (2020), Table 1.

    Each LR image is super-resolved with every method
    (``sunpy_sr.superresolve(lr, method=m)``), each metric is computed per image
    against the HR image and then averaged over the images.

    Parameters
    ----------
    pairs_or_lists : `sunpy_sr.pairs.PairSet` or tuple ``(hr_list, lr_list)``
        HR images (G, e.g. clipped to +-2000 G as in `sunpy_sr.pairs`) and their
        degraded LR versions (``factor`` = 4 times smaller), as arrays or Maps.
    methods : sequence of str, or mapping
        Registered method names (default: bicubic only). A mapping ``name ->
        list of SR arrays`` evaluates outputs computed elsewhere instead.
    strong_threshold : float or `~astropy.units.Quantity`
        ``|target|`` above which a pixel counts in ``rmse_strong`` (G, default 200).
    degrade_method : str
        Degradation recipe behind the LR images, used by the re-degradation residual.
    progress : bool
        Show a `tqdm` progress bar over images.
    return_outputs : bool
        Also return the super-resolved arrays.
    **method_options : dict
        Per-method options, keyed by method name, e.g.
        ``evaluate(pairs, methods=("bicubic", "rcan"), rcan={"weights": path})``.

    Returns
    -------
    table : `~astropy.table.QTable`
        One row per method with the columns :data:`EVALUATE_COLUMNS`:
        ``method``; ``n_images``; ``psnr`` (dB, peak 4000 G); ``cc``; ``rmse`` (G);
        ``ssim`` (data range 4000 G); ``rmse_strong`` (G, over the pixels with
        ``|target|`` > ``strong_threshold``, averaged over the ``n_strong`` images
        that have any, NaN if none); ``redegradation_residual`` (G, RMS of
        ``degrade(SR) - LR``). ``table.meta`` holds the threshold, the peak and
        the per-image values (``table.meta["per_image"][method][column]``).
    outputs : dict
        Only with ``return_outputs=True``: method -> list of SR arrays (float32),
        for plotting (`sunpy_sr.plotting`).

    References
    ----------
    Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79

    Examples
    --------
    >>> from sunpy_sr.metrics import evaluate
    >>> from sunpy_sr.pairs import make_pairs, PairRecipe
    >>> pairs = make_pairs(files, PairRecipe(size=256, stride=256))            # doctest: +SKIP
    >>> table, outputs = evaluate(pairs, methods=("bicubic", "rcan"),
    ...                           return_outputs=True)                          # doctest: +SKIP
    >>> from sunpy_sr.plotting import plot_scatter_figure
    >>> plot_scatter_figure(pairs.hr, outputs, path="figure3.png")              # doctest: +SKIP
    """
    from astropy.table import QTable
    from tqdm.auto import tqdm

    hr, lr = _pairs(pairs_or_lists)
    if isinstance(methods, str):
        methods = (methods,)
    given = dict(methods) if isinstance(methods, Mapping) else None
    names = list(given) if given is not None else list(methods)
    unknown = sorted(set(method_options) - set(names))
    if unknown:
        raise TypeError(f"options given for {unknown}, which are not among the methods {names}")
    if given is not None:
        for name, outs in given.items():
            if len(outs) != len(hr):
                raise ValueError(f"{name}: {len(outs)} outputs for {len(hr)} images")
    else:
        from sunpy_sr.superresolve import superresolve

    keys = ("psnr", "cc", "rmse", "ssim", "rmse_strong", "redegradation_residual")
    per_image = {m: {k: np.empty(len(hr)) for k in keys} for m in names}
    outputs = {m: [] for m in names}
    total = len(hr) * len(names)
    with tqdm(total=total, desc="evaluate", unit="image", disable=not progress) as bar:
        for name in names:
            for i, (h, x) in enumerate(zip(hr, lr)):
                if given is not None:
                    sr = np.asarray(_data(given[name][i]), dtype=np.float32)
                else:
                    sr = superresolve(x, method=name, **method_options.get(name, {}))
                factor = sr.shape[0] // x.shape[0]
                vals = per_image[name]
                vals["psnr"][i] = psnr(h, sr)
                vals["cc"][i] = pearson_cc(h, sr)
                vals["rmse"][i] = rmse(h, sr)
                vals["ssim"][i] = ssim(h, sr)
                vals["rmse_strong"][i] = strong_field_rmse(h, sr, strong_threshold)
                vals["redegradation_residual"][i] = redegradation_residual(
                    sr, x, factor=factor, method=degrade_method)
                if return_outputs:
                    outputs[name].append(sr)
                bar.update(1)

    rows = {k: [] for k in EVALUATE_COLUMNS}
    for name in names:
        vals = per_image[name]
        strong = vals["rmse_strong"][np.isfinite(vals["rmse_strong"])]
        rows["method"].append(name)
        rows["n_images"].append(len(hr))
        rows["n_strong"].append(len(strong))
        rows["rmse_strong"].append(strong.mean() if len(strong) else np.nan)
        for k in ("psnr", "cc", "rmse", "ssim", "redegradation_residual"):
            rows[k].append(vals[k].mean())
    table = QTable()
    units = {"psnr": u.dB, "rmse": u.G, "rmse_strong": u.G, "redegradation_residual": u.G}
    for k in EVALUATE_COLUMNS:
        table[k] = u.Quantity(rows[k], units[k]) if k in units else rows[k]
    table.meta.update({"max_field": MAX_FIELD * u.G, "strong_threshold": _gauss(strong_threshold) * u.G,
                       "degrade_method": degrade_method, "per_image": per_image})
    return (table, outputs) if return_outputs else table
