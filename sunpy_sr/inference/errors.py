"""
A method's calibrated error model at inference: ``(input, output) -> sigma`` per output pixel.

An error model is a small `~sunpy_sr.models.error.ErrorNet`, fit to the residuals
``output - truth`` of one frozen method on data that method never trained on, and a
calibration measured on other such data (`sunpy_sr.training.error_fit`):

* a factor per band of the output's ``|B|`` (< 200 G, 200-1000 G, > 1000 G), so that
  ``RMS(error / sigma) = 1`` in each band on the calibration data (a per-band conformal
  scaling), and a cap per band: the largest sigma (99.9th percentile) the calibration data
  of that band had, so that sigma cannot run away in fields the fit never saw;
* a factor for the pixels whose input leaves the training range
  (`sunpy_sr.core.range_guard.out_of_range`: the limb and fields beyond 2000 G), measured
  on those pixels of the calibration full disk;
* a factor per ring of disk position ``r = rho / R_sun`` toward the limb, applied by
  `superresolve` to maps in helioprojective coordinates (the rings are measured on the
  calibration full disk; ring 0, the inner disk, has factor 1).

``sigma`` is an estimate of the standard deviation of ``output - truth`` at each pixel, where
truth is what HMI would record at 4x the resolution under the training degradation
(`sunpy_sr.degrade`). Errors of the degradation model itself (a real PSF unlike the
training Gaussian) are outside it.
"""
from dataclasses import asdict, dataclass, field

import numpy as np

from sunpy_sr.core.range_guard import guard_radius, out_of_range

__all__ = ["Calibration", "ErrorModel", "SIGMA_FLOOR"]

#: Smallest sigma returned (G): far below HMI's noise, so that ``|B| / sigma`` stays finite.
SIGMA_FLOOR = 0.01


@dataclass
class Calibration:
    """
    The calibration of an error model (see module docstring), stored in its ``.json``.

    Attributes
    ----------
    band_edges : list of float
        Edges (G) of the bands of the output's ``|B|``; ``len(band_factors) == len(band_edges) + 1``.
    band_factors : list of float
        Multiplier of the network's sigma in each band.
    ood_factor : float
        Multiplier of the network's sigma where the input leaves the training range (instead
        of the band and ring factors).
    ring_edges : list of float
        Edges of the rings of ``r = rho / R_sun``; ``len(ring_factors) == len(ring_edges) + 1``.
    ring_factors : list of float
        Multiplier in each ring (the first, the inner disk, is 1).
    sigma_max : list of float
        The cap (G) of sigma in each band, for in-range pixels (None: no cap).
    band_sources : list of str
        Where each band factor was measured ("calibration", "calibration+fit" where the
        calibration images hold too few pixels of the band, "previous band").
    """
    band_edges: list = field(default_factory=lambda: [200.0, 1000.0])
    band_factors: list = field(default_factory=lambda: [1.0, 1.0, 1.0])
    ood_factor: float = 1.0
    ring_edges: list = field(default_factory=lambda: [0.7, 0.9, 0.95, 0.98, 0.99])
    ring_factors: list = field(default_factory=lambda: [1.0] * 6)
    band_sources: list = field(default_factory=lambda: ["calibration"] * 3)
    sigma_max: list = None

    def __post_init__(self):
        if len(self.band_factors) != len(self.band_edges) + 1 or \
                len(self.ring_factors) != len(self.ring_edges) + 1:
            raise ValueError("a calibration needs one factor more than edges, for bands and for rings")

    def to_dict(self):
        return asdict(self)

    def band_value(self, sr, values):
        """Per-pixel ``values[band]`` for the bands of the output ``sr`` (G)."""
        idx = np.searchsorted(np.asarray(self.band_edges, dtype=np.float32), np.abs(sr), side="right")
        return np.asarray(values, dtype=np.float32)[idx]

    def band_factor(self, sr):
        """Per-pixel band factor for the output ``sr`` (G)."""
        return self.band_value(sr, self.band_factors)

    def ring_factor(self, r):
        """
        Per-pixel ring factor for disk positions ``r = rho / R_sun`` (NaN: the inner disk's).

        Examples
        --------
        >>> import numpy as np
        >>> from sunpy_sr.inference.errors import Calibration
        >>> cal = Calibration(ring_factors=[1.0, 1.1, 1.2, 1.3, 1.4, 3.0])
        >>> cal.ring_factor(np.array([0.0, 0.8, 0.985, 1.2, np.nan])).astype(float).round(2).tolist()
        [1.0, 1.1, 1.4, 3.0, 1.0]
        """
        r = np.asarray(r, dtype=np.float32)
        idx = np.searchsorted(np.asarray(self.ring_edges, dtype=np.float32), np.nan_to_num(r, nan=0.0),
                              side="right")
        return np.asarray(self.ring_factors, dtype=np.float32)[idx]


class ErrorModel:
    """
    A calibrated error model, ready to run (made by `sunpy_sr.weights.load_error_model`).

    Parameters
    ----------
    net : `~sunpy_sr.models.error.ErrorNet`
        The fitted network (eval mode).
    calibration : `Calibration`
        Its calibration.
    name : str
        The error model's file stem (recorded as ``SRERRMOD``).
    device : str
        Torch device of the network.

    Examples
    --------
    >>> import numpy as np
    >>> from sunpy_sr.models.error import ErrorNet
    >>> from sunpy_sr.inference.errors import Calibration, ErrorModel
    >>> em = ErrorModel(ErrorNet(channels=4, layers=1), Calibration(band_factors=[2.0, 2.0, 2.0]))
    >>> lr = np.zeros((4, 4), np.float32)
    >>> sigma = em(lr, np.zeros((16, 16), np.float32), np.zeros((4, 4), bool))
    >>> sigma.shape, round(float(sigma[0, 0]), 2)      # exp(2.3) G, times the band factor 2
    ((16, 16), 19.95)
    """

    def __init__(self, net, calibration, *, name="", device="cpu"):
        import torch
        self.device = torch.device(device)
        self.net = net.to(self.device).to(memory_format=torch.channels_last).eval()
        self.calibration = calibration
        self.name = name
        self.scale = int(net.scale)

    @property
    def receptive_radius(self):
        """LR pixels of input beyond which sigma cannot change (network and range check)."""
        return max(self.net.receptive_radius(), guard_radius())

    def _log_sigma(self, lr, sr):
        import torch
        x = torch.from_numpy(np.ascontiguousarray(lr, dtype=np.float32))[None, None].to(self.device)
        y = torch.from_numpy(np.ascontiguousarray(sr, dtype=np.float32))[None, None].to(self.device)
        return self.net(x, y)[0, 0].clamp_(-8.0, 12.0), y[0, 0]

    def raw(self, lr, sr):
        """The network's uncalibrated sigma (G) for ``lr`` (``(H, W)``, G, no NaN) and ``sr``."""
        import torch
        with torch.inference_mode():
            return self._log_sigma(lr, sr)[0].exp_().float().cpu().numpy()

    def __call__(self, lr, sr, bad, *, ood=None):
        """
        Calibrated sigma (G) of the output ``sr`` of the input ``lr`` (the ring factor aside).

        Parameters
        ----------
        lr : `numpy.ndarray`
            ``(H, W)`` input, G, with ``bad`` (off-disk) pixels filled.
        sr : `numpy.ndarray`
            ``(scale H, scale W)`` the method's output for it, G.
        bad : `numpy.ndarray` of bool
            Off-disk input pixels.
        ood : `numpy.ndarray` of bool, optional
            `sunpy_sr.core.range_guard.out_of_range` of the input, if already computed.

        Returns
        -------
        `numpy.ndarray`
            float32 sigma, G, of ``sr``'s shape.
        """
        import torch
        cal = self.calibration
        if ood is None:
            ood = out_of_range(lr, bad)
        with torch.inference_mode():
            log_sigma, y = self._log_sigma(lr, sr)
            raw = log_sigma.exp_()
            band = torch.bucketize(y.abs(), torch.tensor(cal.band_edges, dtype=y.dtype, device=y.device),
                                   right=True)
            sigma = raw * torch.tensor(cal.band_factors, dtype=raw.dtype, device=raw.device)[band]
            if cal.sigma_max is not None:
                sigma = torch.minimum(sigma, torch.tensor(cal.sigma_max, dtype=raw.dtype,
                                                          device=raw.device)[band])
            if ood.any():  # out of range: the raw sigma times its own factor, no band factor or cap
                s = self.scale
                o = torch.from_numpy(ood).to(raw.device)
                o = o.repeat_interleave(s, 0).repeat_interleave(s, 1)
                sigma = torch.where(o, raw * float(cal.ood_factor), sigma)
            sigma = sigma.clamp_(min=SIGMA_FLOOR).float().cpu().numpy()
        return sigma
