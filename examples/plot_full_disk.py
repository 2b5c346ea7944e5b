"""
===================================
A full disk, and how long it takes
===================================

A full-disk HMI magnetogram has 4096x4096 pixels; super-resolved 4x it has
16384x16384, 1.07 GB in float32. `sunpy_sr.superresolve` runs the network on
tiles of 768x768 input pixels padded by its receptive field (so the result
does not depend on the tiling), and only across the disk: tiles off the limb
are not computed, and the output is NaN there, like the input.

This example super-resolves the 2016-07-07 01:00 TAI disk with
``method="rcan-fast"``, the small bundled network, times it, and zooms into
the strongest-field region of the disk. The default ``method="rcan"`` gives a
better map: on the two CPU cores of the performance page of this documentation
it took 25.2 s at its default precision (bfloat16, which that CPU runs
natively) and 51.5 s in float32 in the same run, next to a 182 GFLOP/s float32
matmul; ``rcan-fast`` took 16.6 s in float32 in an earlier run.

It reads the disk from ``../shared/data`` beside the repository (or the folder
named by the environment variable ``SUNPY_SR_DATA``).
"""
import os
import time
from pathlib import Path

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
import sunpy.map
import torch
from astropy.coordinates import SkyCoord
from matplotlib.colors import Normalize

import sunpy_sr
from sunpy_sr.visualization import FIELD_LABEL

# %%
# The data
# --------
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # run interactively
    HERE = Path.cwd()
DATA = Path(os.environ.get("SUNPY_SR_DATA", HERE.parents[1] / "shared" / "data"))
DISK = DATA / "hmi" / "fulldisk" / "hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
if not DISK.is_file():
    raise FileNotFoundError(f"This example needs the HMI full-disk magnetogram {DISK.name}; it was not "
                            f"found in {DISK.parent}. Set SUNPY_SR_DATA to the folder that holds "
                            "hmi/fulldisk/.")
hmi = sunpy.map.Map(DISK)
print(f"{hmi.data.shape} pixels of {hmi.scale[0]:.4f}, {hmi.date.isot}, CROTA2 {hmi.meta['crota2']:.2f}")

# %%
# Super-resolve, and time it
# --------------------------
# ``progress=True`` would show a progress bar over the tiles.
t0 = time.perf_counter()
sr = sunpy_sr.superresolve(hmi, method="rcan-fast")
seconds = time.perf_counter() - t0
print(f"rcan-fast: {hmi.data.shape} -> {sr.data.shape} in {seconds:.1f} s "
      f"on {torch.get_num_threads()} torch threads")
print(f"output: {sr.data.nbytes / 1e9:.2f} GB of {sr.data.dtype}, {sr.scale[0]:.4f}")

# %%
# This time was measured while these pages were built, on whatever machine
# built them; on a machine shared with other work it is longer than the
# 16.6 s of the performance page.
#
# Zoom into the strongest-field region
# ------------------------------------
# The whole disk is shown from a copy of the input averaged over 4x4 pixels
# (plotting 16 million pixels at this size would show nothing more); the zoom shows the
# plage and pores near (+450", -310") at full resolution, from the input and
# from the super-resolved map.
bottom_left = SkyCoord(405 * u.arcsec, -355 * u.arcsec, frame=hmi.coordinate_frame)
top_right = SkyCoord(495 * u.arcsec, -265 * u.arcsec, frame=hmi.coordinate_frame)
zoom_in = hmi.submap(bottom_left, top_right=top_right)
zoom_sr = sr.submap(bottom_left, top_right=top_right)
print(f"zoom: input {zoom_in.data.shape}, super-resolved {zoom_sr.data.shape}")

overview = hmi.superpixel([4, 4] * u.pix, func=np.mean)
norm = Normalize(vmin=-500, vmax=500)
fig = plt.figure(figsize=(15, 5.4), layout="constrained")
ax = fig.add_subplot(1, 3, 1, projection=overview)
overview.plot(axes=ax, norm=norm, title="HMI 2016-07-07 01:00 TAI (4x4 mean)")
overview.draw_quadrangle(bottom_left, top_right=top_right, axes=ax, edgecolor="tab:red", lw=1.5)
for i, (zoom, name) in enumerate(((zoom_in, "HMI input"), (zoom_sr, "rcan-fast"))):
    ax = fig.add_subplot(1, 3, i + 2, projection=zoom)
    image = zoom.plot(axes=ax, norm=norm, title=f"{name}, {zoom.scale[0].value:.3f}\"/px")
    for coord in ax.coords:
        coord.set_ticks(spacing=20 * u.arcsec)
        coord.set_major_formatter("s")
fig.colorbar(image, ax=fig.axes, shrink=0.8, label=FIELD_LABEL)
plt.show()

# %%
# Memory
# ------
# The output array is 1.07 GB; building the output ``HMIMap`` makes a
# temporary copy of the same size, and the network's tiles add a few hundred
# MB. For a machine with little memory, ``out=`` takes a preallocated array,
# for example a `numpy.memmap` on disk (the command line's
# ``sunpy-sr superresolve --memmap`` does this).
del sr
