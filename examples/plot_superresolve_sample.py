"""
==================================
Super-resolving an HMI magnetogram
==================================

`sunpy_sr.superresolve` takes an HMI line-of-sight magnetogram as a sunpy Map
and returns a new Map with 4x the pixels in each direction and an exact header.
This example super-resolves the real HMI cutout shipped with the package
(``hmi.M_720s``, 2016-07-07 01:00 TAI, plage and pores near disk centre), checks
the new header, and plots the two maps.
"""
import astropy.units as u
import matplotlib.pyplot as plt
from matplotlib.colors import Normalize

import sunpy_sr
from sunpy_sr.data import sample
from sunpy_sr.visualization import FIELD_LABEL

# %%
# The input: a 256x256 cutout of a level-1 HMI map (0.504"/pixel, in gauss,
# solar north down: ``CROTA2`` is about 180 degrees).
hmi = sample.hmi_active_region()
print(f"{type(hmi).__name__}: {hmi.data.shape} pixels of {hmi.scale[0]:.4f}, "
      f"unit {hmi.unit}, T_REC {hmi.meta['t_rec']}, CROTA2 {hmi.meta['crota2']:.3f}")

# %%
# Super-resolve it with the default method, ``"rcan"`` (the bundled network).
# The result is a map of the same class, 1024x1024 pixels of 0.126".
sr = sunpy_sr.superresolve(hmi)
print(f"{type(sr).__name__}: {sr.data.shape} pixels of {sr.scale[0]:.4f}, unit {sr.unit}")

# %%
# The header follows sunpy's own convention for a change of pixel scale (that of
# ``resample`` and ``superpixel``): ``CDELT`` is divided by 4, and ``CRPIX``
# counts pixel *edges* from the outer edge of the first pixel, so
# ``CRPIX' = 4 * CRPIX - 1.5``. The rotation is carried over unchanged, and
# provenance keys record what was done.
for key in ("cdelt1", "crpix1", "crpix2", "crota2"):
    print(f"{key.upper():8s} {hmi.meta[key]:>12.6f} -> {sr.meta[key]:>12.6f}")
print("4 * CRPIX1 - 1.5 =", 4 * hmi.meta["crpix1"] - 1.5)
print("SRMETHOD", sr.meta["srmethod"], "| SRMODEL", sr.meta["srmodel"], "| SRFACTOR", sr.meta["srfactor"])

# %%
# The outer corner of the first pixel is the same point on the Sun in both maps
# (sunpy's pixel coordinates are 0-based pixel centres, so that corner is at
# -0.5 in both):
corner_in = hmi.pixel_to_world(-0.5 * u.pix, -0.5 * u.pix)
corner_out = sr.pixel_to_world(-0.5 * u.pix, -0.5 * u.pix)
print(corner_in.Tx.to(u.arcsec), corner_in.Ty.to(u.arcsec))
print(corner_out.Tx.to(u.arcsec), corner_out.Ty.to(u.arcsec))
print("separation:", corner_in.separation(corner_out).to(u.arcsec))

# %%
# Plot the two maps on the same colour scale. An HMI map carries its own colour
# normalisation (``plot_settings["norm"]``, symmetric about 0 G), so the range is
# set with a norm rather than with ``vmin``/``vmax``. Both panels have world
# coordinates on their axes; since the map is level 1, solar north is down and
# Solar-X increases to the left.
norm = Normalize(vmin=-500, vmax=500)
fig = plt.figure(figsize=(10, 4.8), layout="constrained")
ax_in = fig.add_subplot(1, 2, 1, projection=hmi)
hmi.plot(axes=ax_in, norm=norm, title=f"HMI, {hmi.scale[0].value:.3f}\"/px")
ax_out = fig.add_subplot(1, 2, 2, projection=sr)
image = sr.plot(axes=ax_out, norm=norm, title=f"rcan, {sr.scale[0].value:.3f}\"/px")
ax_out.coords[1].set_axislabel(" ")
fig.colorbar(image, ax=[ax_in, ax_out], shrink=0.8, label=FIELD_LABEL)
plt.show()
