"""
========================================================
An error map with every super-resolved map, and its test
========================================================

``superresolve(..., uncertainty=True)`` attaches to the output a calibrated
1-sigma error map: at each pixel, an estimate of the standard deviation of
``output - truth``, where truth is what HMI would record at 4x the resolution
(under the degradation the networks were trained with). Dividing the field by
it gives a significance map: where ``|B| / sigma`` is small, a feature of the
super-resolved map is not established by the observation.

First, as a user would: the shipped real HMI cutout (plage and pores of
2016-07-07), super-resolved with ``rcan`` and its error map. Then the test
that a user cannot make on their own map: NOAA 11158 (SHARP 377, the held-out
test set that no network or error model was fit or calibrated on) degraded 4x,
super-resolved back and compared with the real HR map, pixel by pixel.

The second part reads the SHARP file from ``../shared/data`` beside the
repository (or the folder named by the environment variable ``SUNPY_SR_DATA``).
"""
import os
from pathlib import Path

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
import sunpy.map

import sunpy_sr
from sunpy_sr.data import sample
from sunpy_sr.metrics import calibration_statistics
from sunpy_sr.metrics.calibration import COVERAGE_LEVELS, GAUSSIAN_COVERAGE, LAPLACE_COVERAGE
from sunpy_sr.visualization import FIELD_LABEL

# %%
# A map and its error map
# -----------------------
hmi = sample.hmi_active_region()
sr = sunpy_sr.superresolve(hmi, method="rcan", uncertainty=True)
sigma = sr.uncertainty.array
print(f"{sr.data.shape} pixels of {sr.scale.axis1:.4f}; error model {sr.meta['srerrmod']}")
print(f"sigma: median {np.median(sigma):.1f} G, 99th percentile {np.percentile(sigma, 99):.0f} G")

# %%
# The field, its error and the significance ``|B| / sigma``: the small
# elements of the quiet network are at 1-3 sigma, the plage well above.
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), layout="constrained")
kw = dict(origin="lower", interpolation="nearest")
im = axes[0].imshow(sr.data, cmap="gray", vmin=-300, vmax=300, **kw)
fig.colorbar(im, ax=axes[0], shrink=0.8, label=FIELD_LABEL)
axes[0].set_title("rcan, 0.126\"/px")
im = axes[1].imshow(sigma, cmap="magma", vmin=0, vmax=np.percentile(sigma, 99), **kw)
fig.colorbar(im, ax=axes[1], shrink=0.8, label="sigma [G]")
axes[1].set_title("error map (1 sigma)")
im = axes[2].imshow(np.abs(sr.data) / sigma, cmap="viridis", vmin=0, vmax=10, **kw)
fig.colorbar(im, ax=axes[2], shrink=0.8, label="|B| / sigma")
axes[2].set_title("significance")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %%
# The test: a held-out active region with its truth
# -------------------------------------------------
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # run interactively
    HERE = Path.cwd()
DATA = Path(os.environ.get("SUNPY_SR_DATA", HERE.parents[1] / "shared" / "data"))
SHARP = DATA / "hmi" / "sharp" / "hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"
if not SHARP.is_file():
    raise FileNotFoundError(f"This example needs the HMI SHARP 377 magnetogram ({SHARP.name}); "
                            f"it was not found in {SHARP.parent}. Set SUNPY_SR_DATA to the folder "
                            "that holds hmi/sharp/.")
sharp = sunpy.map.Map(SHARP)
hr = sharp.submap([244, 60] * u.pix, top_right=[499, 315] * u.pix)   # 256^2 around the spots
lr = sunpy_sr.degrade(hr)
out = sunpy_sr.superresolve(lr, method="rcan", uncertainty=True)
error = out.data - hr.data
s = out.uncertainty.array
stats = calibration_statistics(error, s)
print(f"RMS(error / sigma) {stats['rms_z']:.2f}; within 1 sigma {stats['coverage_1'] * 100:.0f} %, "
      f"within 2 sigma {stats['coverage_2'] * 100:.0f} %")
print(f"Gaussian NLL {stats['nll']:.2f} nats/pixel against {stats['nll_constant']:.2f} for one constant "
      "sigma equal to the crop's own RMS error")

# %%
# The true error beside the stated one, and the reliability diagram: the share
# of pixels whose error is within k sigma, against a calibrated Gaussian and a
# Laplace error of the same RMS.
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), layout="constrained")
vmax = np.percentile(s, 99)
im = axes[0].imshow(np.abs(error), cmap="magma", vmin=0, vmax=vmax, **kw)
fig.colorbar(im, ax=axes[0], shrink=0.8, label="|error| [G]")
axes[0].set_title("|rcan - HR| (the truth)")
im = axes[1].imshow(s, cmap="magma", vmin=0, vmax=vmax, **kw)
fig.colorbar(im, ax=axes[1], shrink=0.8, label="sigma [G]")
axes[1].set_title("error map")
for ax in axes[:2]:
    ax.set_xticks([])
    ax.set_yticks([])
axes[2].plot(COVERAGE_LEVELS, np.array(stats["coverage"]) * 100, "o-", label="rcan error map")
axes[2].plot(COVERAGE_LEVELS, np.array(GAUSSIAN_COVERAGE) * 100, "k--", label="Gaussian")
axes[2].plot(COVERAGE_LEVELS, np.array(LAPLACE_COVERAGE) * 100, "k:", label="Laplace")
axes[2].set_xlabel("k (multiples of sigma)")
axes[2].set_ylabel("pixels with |error| <= k sigma (%)")
axes[2].set_title("reliability, SHARP 377 crop")
axes[2].legend()
plt.show()
