"""
Fitting and calibrating a method's error model on residuals of the frozen method.

The recipe (`sunpy_sr.inference.errors` for what the result means):

1. Residual images: each real HR magnetogram is degraded with the training forward model
   (`sunpy_sr.degrade`), super-resolved by the frozen method exactly as `superresolve` does
   (NaN filled, tiled, the output bounded where the input leaves the training range), and
   compared with the HR data: ``error = output - HR``. The HR data are not clipped: a user's
   strong fields are not either.
2. Fit: an `~sunpy_sr.models.error.ErrorNet` is trained on random patches of the *fit*
   images with the Gaussian negative log-likelihood of the errors,
   ``mean(ln sigma + error^2 / (2 sigma^2))``.
3. Calibrate: on *other* images, never seen in the fit, a factor per band of the output's
   ``|B|``, one for out-of-range input, and one per ring of disk position (full disks), each
   set so that ``RMS(error / sigma) = 1`` there (`Calibration`).

Residuals on a method's own training data underestimate its error, so both the fit and the
calibration images must be data the method never trained on; the bundled error models use
the networks' validation sets, split between fit and calibration, and report a held-out test
(``training/error-models/error-models.json``).
"""
from dataclasses import asdict, dataclass

import numpy as np
from tqdm.auto import tqdm

from sunpy_sr.core.range_guard import bound_output, out_of_range
from sunpy_sr.inference.errors import Calibration, ErrorModel
from sunpy_sr.metrics.calibration import calibration_statistics
from sunpy_sr.progress import show_progress

__all__ = ["ErrorFitConfig", "ResidualImage", "residual_image", "fit_error_net", "calibrate",
           "error_model_metadata", "calibration_report", "BANDS", "RINGS", "EXTREME_LIMB"]

#: bands of ``|B_HR|`` (G) in which calibration is reported
BANDS = ((0.0, 200.0), (200.0, 1000.0), (1000.0, np.inf))
#: rings of r = rho / R_sun in which calibration is reported on full disks
RINGS = ((0.0, 0.7), (0.7, 0.9), (0.9, 0.95), (0.95, 0.98), (0.98, 0.99), (0.99, np.inf))
#: r = rho / R_sun beyond which a full disk's pixels are the extreme limb: HMI's isolated spikes of
#: several kG there would dominate every strong-field sample, so they are left out of the fit and of
#: the band factors (the outermost ring's own factor covers them)
EXTREME_LIMB = 0.99


@dataclass(frozen=True)
class ErrorFitConfig:
    """How an error model is fit (stored in its ``.json``)."""
    preset: str = "errornet-small"
    iterations: int = 2000
    batch_size: int = 16
    patch: int = 48                 # LR pixels
    lr: float = 2e-3
    seed: int = 0
    min_pixels: int = 400           # fewer calibration pixels in a band: see `calibrate`
    strong_fraction: float = 0.5    # share of patches centred on a pixel with |B_HR| > strong_field
    strong_field: float = 200.0     # G


@dataclass
class ResidualImage:
    """One real image with a method's output and error (LR grid arrays are ``(H, W)``)."""
    name: str
    lr: np.ndarray          # input, G, off-disk pixels filled with 0
    bad: np.ndarray         # off-disk input pixels
    sr: np.ndarray          # the method's output (before NaN restoration), G
    hr: np.ndarray          # truth, G; NaN where unknown
    use: np.ndarray         # LR pixels that belong to this image's part of the split
    r: np.ndarray = None    # LR r = rho / R_sun (full disks), else None

    @property
    def error(self):
        return self.sr - self.hr

    def hr_mask(self, lr_mask):
        """An LR mask as an HR mask (each LR pixel's children)."""
        s = self.sr.shape[0] // self.lr.shape[0]
        return np.kron(lr_mask, np.ones((s, s), bool))


def residual_image(hr_map, func, radius, *, name, use=None, tile=768, scale=4):
    """
    Degrade a real HR map, super-resolve it with ``func`` as `superresolve` does, keep the error.

    Parameters
    ----------
    hr_map : `~sunpy.map.GenericMap`
        A real HR magnetogram (trailing rows and columns that fill no 4x4 block are dropped).
    func, radius
        The method function (filled LR array, G -> output, G) and its receptive radius (LR
        pixels), as ``get_method(name).build(**options)`` returns them.
    name : str
        A label.
    use : callable, optional
        ``(lr_map, r) -> bool LR mask`` of the pixels in this image's part of the split
        (default: all).
    tile : int
        Tile size (the result does not depend on it).

    Returns
    -------
    `ResidualImage`

    Examples
    --------
    The shipped real cutout, degraded and super-resolved by bicubic:

    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.methods import get_method
    >>> from sunpy_sr.training.error_fit import residual_image
    >>> img = residual_image(hmi_active_region(), *get_method("bicubic").build(), name="sample")
    >>> img.lr.shape, img.sr.shape, round(float(abs(img.error).mean()), 1)   # mean |error|, G
    ((64, 64), (256, 256), 7.9)
    """
    import warnings

    import astropy.units as u
    import sunpy.map

    from sunpy_sr.core.degradation import degrade
    from sunpy_sr.core.header import is_cea
    from sunpy_sr.core.units import to_gauss
    from sunpy_sr.inference.tiling import run_tiled

    ny, nx = (np.array(hr_map.data.shape) // scale) * scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hr_map = hr_map.submap([0, 0] * u.pix, top_right=[nx - 1, ny - 1] * u.pix) \
            if (ny, nx) != hr_map.data.shape else hr_map
        lr_map = degrade(hr_map)
    hr = np.asarray(to_gauss(hr_map), dtype=np.float32)
    lr = np.asarray(to_gauss(lr_map), dtype=np.float32).copy()
    bad = ~np.isfinite(lr)
    lr[bad] = 0.0
    sr = run_tiled(func, lr, scale=scale, pad=int(radius), tile=tile, skip=bad if bad.any() else None)
    sr = np.nan_to_num(sr, nan=0.0)
    bound_output(sr, lr, bad, scale=scale)
    r = None
    if not is_cea(lr_map) and isinstance(lr_map, sunpy.map.GenericMap):
        c = sunpy.map.all_coordinates_from_map(lr_map)
        r = (np.hypot(c.Tx, c.Ty) / lr_map.rsun_obs).decompose().value.astype(np.float32)
    mask = np.ones(lr.shape, bool) if use is None else np.asarray(use(lr_map, r), bool)
    return ResidualImage(name=name, lr=lr, bad=bad, sr=sr.astype(np.float32), hr=hr, use=mask & ~bad, r=r)


def _valid(img):
    """HR pixels with a known error in the image's part of the split."""
    return img.hr_mask(img.use) & np.isfinite(img.hr)


def _on_disk(img):
    """`_valid` pixels short of the extreme limb (`EXTREME_LIMB`; all pixels of an image without ``r``)."""
    v = _valid(img)
    return v if img.r is None else v & img.hr_mask(img.r < EXTREME_LIMB)


def fit_error_net(images, config=ErrorFitConfig(), *, progress=None, log=None):
    """
    Fit an `~sunpy_sr.models.error.ErrorNet` to the errors of ``images`` (Gaussian NLL).

    A share ``config.strong_fraction`` of the patches is centred on a random valid pixel with
    ``|B_HR| > config.strong_field`` (strong fields are rare: under 1 % of a full disk), the
    rest drawn with probability proportional to each image's valid pixels; the loss covers
    only valid pixels (``use``, finite truth, short of the extreme limb of a full disk:
    `EXTREME_LIMB`). Drawing more strong-field patches changes
    which inputs the network sees most, not the conditional spread it estimates for each.

    Parameters
    ----------
    images : list of `ResidualImage`
        The fit part of the split.
    config : `ErrorFitConfig`
    progress : bool or None
        A progress bar over iterations; None (default): when the standard error is a
        terminal (`sunpy_sr.progress.show_progress`).
    log : list, optional
        Receives ``(iteration, mean NLL of the last 50 batches)`` rows.

    Returns
    -------
    `~sunpy_sr.models.error.ErrorNet`
        In eval mode, float32.

    Examples
    --------
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.methods import get_method
    >>> from sunpy_sr.training.error_fit import ErrorFitConfig, fit_error_net, residual_image
    >>> img = residual_image(hmi_active_region(), *get_method("bicubic").build(), name="sample")
    >>> config = ErrorFitConfig(preset="errornet-tiny", iterations=20, patch=32, batch_size=2)
    >>> net = fit_error_net([img], config, progress=False)
    >>> net.training, net.receptive_radius()
    (False, 2)
    """
    import torch

    from sunpy_sr.models.registry import build_model
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    net = build_model(config.preset)
    s, p = net.scale, int(config.patch)
    imgs = [i for i in images if min(i.lr.shape) >= p]
    if not imgs:
        raise ValueError(f"no fit image is at least {p} LR pixels on a side")
    valid = [_on_disk(i) for i in imgs]
    weights = np.array([v.sum() for v in valid], dtype=np.float64)
    weights /= weights.sum()
    strong = [np.argwhere(v & (np.abs(np.nan_to_num(i.hr)) > config.strong_field))
              for i, v in zip(imgs, valid)]
    strong_w = np.array([len(x) for x in strong], dtype=np.float64)
    strong_w = strong_w / strong_w.sum() if strong_w.sum() else None
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.iterations)
    recent = []
    net.train()
    quiet = not show_progress(progress, long=True)
    for it in tqdm(range(config.iterations), desc="error model", disable=quiet):
        xs, ys, es, ms = [], [], [], []
        while len(xs) < config.batch_size:
            if strong_w is not None and rng.random() < config.strong_fraction:
                k = rng.choice(len(imgs), p=strong_w)
                ci, cj = strong[k][rng.integers(len(strong[k]))] // s
                img, v = imgs[k], valid[k]
                i0 = int(np.clip(ci - p // 2, 0, img.lr.shape[0] - p))
                j0 = int(np.clip(cj - p // 2, 0, img.lr.shape[1] - p))
            else:
                k = rng.choice(len(imgs), p=weights)
                img, v = imgs[k], valid[k]
                i0 = int(rng.integers(0, img.lr.shape[0] - p + 1))
                j0 = int(rng.integers(0, img.lr.shape[1] - p + 1))
            m = v[i0 * s:(i0 + p) * s, j0 * s:(j0 + p) * s]
            if m.mean() < 0.25:
                continue
            xs.append(img.lr[i0:i0 + p, j0:j0 + p])
            ys.append(img.sr[i0 * s:(i0 + p) * s, j0 * s:(j0 + p) * s])
            es.append(np.nan_to_num(img.sr[i0 * s:(i0 + p) * s, j0 * s:(j0 + p) * s]
                                    - img.hr[i0 * s:(i0 + p) * s, j0 * s:(j0 + p) * s]))
            ms.append(m)
        x = torch.from_numpy(np.stack(xs)[:, None])
        y = torch.from_numpy(np.stack(ys)[:, None])
        e = torch.from_numpy(np.stack(es)[:, None].astype(np.float32))
        m = torch.from_numpy(np.stack(ms)[:, None].astype(np.float32))
        log_sigma = net(x, y).clamp(-8.0, 12.0)
        nll = (log_sigma + 0.5 * e * e * torch.exp(-2.0 * log_sigma)) * m
        loss = nll.sum() / m.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        recent.append(loss.item())
        if log is not None and (it + 1) % 50 == 0:
            log.append((it + 1, float(np.mean(recent[-50:]))))
    net.eval()
    for q in net.parameters():
        q.requires_grad_(False)
    return net


def _ring_index(r, edges):
    return np.searchsorted(np.asarray(edges, dtype=np.float32), np.nan_to_num(r, nan=0.0), side="right")


def _raw_sigmas(net, images):
    em = ErrorModel(net, Calibration())
    return [em.raw(i.lr, i.sr) for i in images]


def _per_image(net, images, cal):
    """
    For each image, once: its raw sigma, the band of each output pixel, its out-of-range
    pixels (HR mask), its in-range pixels short of the extreme limb (which set the caps) and
    those of them on the inner disk (which set the band factors).
    """
    edges = np.asarray(cal.band_edges, np.float32)
    out = []
    for img, raw in zip(images, _raw_sigmas(net, images)):
        ood = img.hr_mask(out_of_range(img.lr, img.bad))
        in_range = _on_disk(img) & ~ood
        inner = in_range & img.hr_mask(img.r < cal.ring_edges[0]) if img.r is not None else in_range
        out.append((img, raw, np.searchsorted(edges, np.abs(img.sr), side="right"), ood,
                    {"in_range": in_range, "inner": inner}))
    return out


def _by_band(parts, n_bands, values, mask):
    """Per band: ``values(img, raw)`` over the band's pixels of ``mask`` ("inner" or "in_range")."""
    per = [[] for _ in range(n_bands)]
    for img, raw, band, _, masks in parts:
        v = values(img, raw)
        for b in range(n_bands):
            per[b].append(v[masks[mask] & (band == b)])
    return [np.concatenate(x) if x else np.empty(0, np.float32) for x in per]


def _pooled(main, extra, b, min_pixels):
    """Band ``b`` of ``main``, with ``extra``'s added when ``main`` has too few pixels."""
    if main[b].size < min_pixels and extra is not None:
        return np.concatenate([main[b], extra[b]]), "calibration+fit"
    return main[b], "calibration"


def calibrate(net, images, config=ErrorFitConfig(), *, fallback_images=()):
    """
    The `Calibration` of ``net`` on ``images`` (the calibration part of the split).

    Band factors are set on in-range pixels of the inner disk (``r`` below the first ring
    edge) and of images without a disk position; ring factors on in-range pixels of full
    disks, after the band factors; the out-of-range factor on the out-of-range pixels,
    after the ring factors (which apply to every pixel of a disk). Each is
    ``RMS(error / sigma)`` over its pixels. A band with fewer than ``config.min_pixels``
    pixels is set on ``images`` and ``fallback_images`` (the fit part) together, and with
    fewer still there takes the previous band's factor; a ring with too few pixels takes
    the previous ring's. `Calibration.band_sources` records which. Each band's cap of
    sigma (`Calibration.sigma_max`) is the 99.9th percentile of its calibrated sigma over
    the same pixels (too few: the previous band's), so that sigma cannot run away in
    fields the fit data did not hold.

    Examples
    --------
    Calibrated on the image it was fit on (for the example only: the bundled error models
    are calibrated on other data), RMS(error / sigma) is 1 in the quiet-Sun band:

    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.inference.errors import ErrorModel
    >>> from sunpy_sr.methods import get_method
    >>> from sunpy_sr.training.error_fit import (ErrorFitConfig, calibrate, calibration_report,
    ...                                          fit_error_net, residual_image)
    >>> img = residual_image(hmi_active_region(), *get_method("bicubic").build(), name="sample")
    >>> config = ErrorFitConfig(preset="errornet-tiny", iterations=20, patch=32, batch_size=2)
    >>> net = fit_error_net([img], config, progress=False)
    >>> cal = calibrate(net, [img], config)
    >>> report = calibration_report(ErrorModel(net, cal), [img])
    >>> round(report["bands"]["0-200 G"]["rms_z"], 3)
    1.0
    """
    cal = Calibration()
    n = len(cal.band_factors)
    parts = _per_image(net, images, cal)
    fallback = _per_image(net, fallback_images, cal) if fallback_images else None
    def z(img, raw):
        return img.error / raw
    z_main = _by_band(parts, n, z, "inner")
    z_extra = _by_band(fallback, n, z, "inner") if fallback else None
    factors, sources = [], []
    for b in range(n):
        zz, source = _pooled(z_main, z_extra, b, config.min_pixels)
        if zz.size >= config.min_pixels or (not factors and zz.size):
            factors.append(float(np.sqrt(np.mean(zz * zz))))
        else:
            factors.append(factors[-1])
            source = "previous band"
        sources.append(source)
    cal.band_factors = factors
    cal.band_sources = sources
    # the cap of each band: the 99.9th percentile of its calibrated sigma over its in-range pixels
    def sigma(img, raw):
        return raw * cal.band_factor(img.sr)
    s_main = _by_band(parts, n, sigma, "in_range")
    s_extra = _by_band(fallback, n, sigma, "in_range") if fallback else None
    caps = []
    for b in range(n):
        x, _ = _pooled(s_main, s_extra, b, config.min_pixels)
        caps.append(float(np.percentile(x, 99.9)) if x.size >= config.min_pixels or not caps else caps[-1])
    cal.sigma_max = caps
    z_ring = [[] for _ in cal.ring_factors]
    for img, raw, _, ood, _ in parts:
        if img.r is None:
            continue
        v = _valid(img) & ~ood
        ring = np.kron(_ring_index(img.r, cal.ring_edges), np.ones((4, 4), np.int64))
        z = img.error / (raw * cal.band_factor(img.sr))
        for k in range(1, len(cal.ring_factors)):
            z_ring[k].append(z[v & (ring == k)])
    rf = [1.0]
    for k in range(1, len(cal.ring_factors)):
        zz = np.concatenate(z_ring[k]) if z_ring[k] else np.empty(0)
        rf.append(float(np.sqrt(np.mean(zz * zz))) if zz.size >= config.min_pixels else rf[-1])
    cal.ring_factors = rf
    # out of range: the ring factor applies there too (superresolve multiplies every pixel of a
    # disk map by its ring's), so the factor is set on error / (raw sigma x ring factor)
    z_ood = []
    for img, raw, _, ood, _ in parts:
        v = _valid(img) & ood
        ring = np.kron(cal.ring_factor(img.r), np.ones((4, 4), np.float32)) if img.r is not None else 1.0
        z_ood.append((img.error / (raw * ring))[v])
    zz = np.concatenate(z_ood)
    cal.ood_factor = float(np.sqrt(np.mean(zz * zz))) if zz.size >= config.min_pixels else max(factors)
    return cal


def calibration_report(error_model, images):
    """
    Calibration statistics of ``error_model`` on ``images``, pooled, by band and by ring.

    ``bands`` are bands of the output's ``|B|``, the selection a user can make (and the one
    the calibration guarantees); ``bands_truth`` are bands of the true ``|B_HR|``, a selection
    by what the method may have failed to reproduce (a small element the output smoothed
    away is in a strong ``|B_HR|`` band with a weak output), so no error map calibrated on
    its input can be calibrated in them. Both leave out the out-of-range pixels, which have
    their own entry, and the extreme limb of a full disk (`EXTREME_LIMB`), which is the last
    ring.

    Returns
    -------
    dict
        ``{"all": stats, "bands": {label: stats}, "bands_truth": {label: stats},
        "rings": {label: stats}, "out_of_range": stats}`` with the statistics of
        `sunpy_sr.metrics.calibration_statistics` (rings only over full disks).

    Examples
    --------
    The bundled bicubic error model on the shipped real cutout (the test quadrant of its split):

    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> from sunpy_sr.methods import get_method
    >>> from sunpy_sr.training.error_fit import calibration_report, residual_image
    >>> from sunpy_sr.weights import load_error_model
    >>> img = residual_image(hmi_active_region(), *get_method("bicubic").build(), name="sample")
    >>> report = calibration_report(load_error_model("bicubic"), [img])
    >>> sorted(report), report["all"]["n"]
    (['all', 'bands', 'bands_truth', 'out_of_range', 'rings'], 65536)
    >>> 0.8 < report["all"]["rms_z"] < 1.25
    True
    """
    errs, sigmas, hrs, rings, oods, limbs = [], [], [], [], [], []
    cal = error_model.calibration
    for img in images:
        v = _valid(img)
        ood_lr = out_of_range(img.lr, img.bad)
        sigma = error_model(img.lr, img.sr, img.bad, ood=ood_lr)
        if img.r is not None:
            sigma = sigma * np.kron(cal.ring_factor(img.r), np.ones((4, 4), np.float32))
        ring = (np.kron(img.r, np.ones((4, 4), np.float32)) if img.r is not None
                else np.full(img.sr.shape, np.nan, np.float32))
        errs.append(img.error[v])
        sigmas.append(sigma[v])
        hrs.append(img.hr[v])
        rings.append(ring[v])
        oods.append(img.hr_mask(ood_lr)[v])
        limbs.append(~_on_disk(img)[v])
    e, s, h, r, o, lb = (np.concatenate(a) for a in (errs, sigmas, hrs, rings, oods, limbs))
    y = e + h  # the output
    out = {"all": calibration_statistics(e, s), "bands": {}, "bands_truth": {}, "rings": {},
           "out_of_range": calibration_statistics(e[o], s[o])}
    for lo, hi in BANDS:
        label = f"{lo:.0f}-{hi:.0f} G" if np.isfinite(hi) else f">{lo:.0f} G"
        k = (np.abs(y) >= lo) & (np.abs(y) < hi) & ~o & ~lb
        out["bands"][label] = calibration_statistics(e[k], s[k])
        k = (np.abs(h) >= lo) & (np.abs(h) < hi) & ~o & ~lb
        out["bands_truth"][label] = calibration_statistics(e[k], s[k])
    if np.isfinite(r).any():
        for lo, hi in RINGS:
            k = (r >= lo) & (r < hi)
            label = f"{lo:.2f}-{hi:.2f}" if np.isfinite(hi) else f">{lo:.2f}"
            out["rings"][label] = calibration_statistics(e[k], s[k])
    return out


def error_model_metadata(config, calibration, **extra):
    """
    The ``.json`` content of an error model (without its SHA-256).

    Examples
    --------
    >>> from sunpy_sr.inference.errors import Calibration
    >>> from sunpy_sr.training.error_fit import ErrorFitConfig, error_model_metadata
    >>> meta = error_model_metadata(ErrorFitConfig(preset="errornet-tiny"), Calibration(), method="mine")
    >>> meta["kind"], meta["model_config"]["arch"], meta["method"]
    ('error-model', 'errornet', 'mine')
    """
    from sunpy_sr.models.registry import get_preset
    return {"kind": "error-model", "model_config": get_preset(config.preset), "fit_config": asdict(config),
            "calibration": calibration.to_dict(), **extra}
