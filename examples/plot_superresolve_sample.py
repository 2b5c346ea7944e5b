"""
=====================================================
Super-resolving an HMI magnetogram and checking it
=====================================================

This example super-resolves the real HMI cutout shipped with the package
(``hmi.M_720s``, 2016-07-07 01:00 TAI, near disk centre) with the three
registered methods, checks the header, and measures what each method recovers
on a version of the same cutout degraded by the package's own forward model.
"""
# %%
import os
import tempfile
from pathlib import Path

import astropy.units as u
import matplotlib.pyplot as plt

import sunpy_sr
from sunpy_sr.data import sample
from sunpy_sr.metrics import pearson_cc, psnr, rmse

out_dir = Path(os.environ.get("SUNPY_SR_EXAMPLE_OUTPUT", tempfile.gettempdir()))
hmi = sample.hmi_active_region()
print(hmi.data.shape, hmi.scale[0], hmi.meta["t_rec"])

# %%
# Super-resolve: a new HMIMap with 4x the pixels and an exact header.
sr = sunpy_sr.superresolve(hmi, method="rcan")
print(type(sr).__name__, sr.data.shape, sr.scale[0])
print("CRPIX1:", hmi.meta["crpix1"], "->", sr.meta["crpix1"], "= 4*CRPIX1 - 1.5")
# the same sky position under the same pixel edge:
print(hmi.pixel_to_world(-0.5 * u.pix, -0.5 * u.pix))
print(sr.pixel_to_world(-0.5 * u.pix, -0.5 * u.pix))

# %%
# What is recovered: degrade the cutout (5x5 Gaussian, sigma 2 px, 4x bilinear),
# super-resolve the result with each method and compare with the original.
# The 2016 disk was never used to train the bundled network.
lr = sunpy_sr.degrade(hmi)
fig, axes = plt.subplots(1, 5, figsize=(17, 3.8), subplot_kw={"projection": hmi})
hmi.plot(axes=axes[0], vmin=-500, vmax=500, title="HMI (target)")
lr.plot(axes=axes[1], vmin=-500, vmax=500, title="degraded 4x (input)")
for ax, method in zip(axes[2:], sunpy_sr.available_methods()):
    out = sunpy_sr.superresolve(lr, method=method)
    score = f"{psnr(hmi, out):.2f} dB, CC {pearson_cc(hmi, out):.3f}, RMSE {rmse(hmi, out):.1f} G"
    print(f"{method:8s} {score}")
    out.plot(axes=ax, vmin=-500, vmax=500, title=f"{method}\n{score}")
for ax in axes:
    ax.coords[0].set_ticklabel_visible(False)
    ax.coords[1].set_ticklabel_visible(False)
fig.savefig(out_dir / "superresolve_sample.png", dpi=90)
plt.show()
