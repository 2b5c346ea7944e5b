"""
=====================================
Input, bicubic and RCAN side by side
=====================================

The same field of view in the HMI input, in bicubic interpolation (the
baseline of Rahman et al. 2020) and in the output of the bundled network,
plotted with world coordinates on every axis. The three maps are ordinary sunpy
maps, so they can be cut out and plotted like any other.
"""
import astropy.units as u
import matplotlib.pyplot as plt
from matplotlib.colors import Normalize

import sunpy_sr
from sunpy_sr.data import sample
from sunpy_sr.visualization import FIELD_LABEL

# %%
# Super-resolve the whole shipped cutout with both methods. (Super-resolving
# only a small submap would work too, but the network would then see less of
# the neighbourhood of the pixels near its edges.)
hmi = sample.hmi_active_region()
maps = {"HMI input": hmi,
        "bicubic": sunpy_sr.superresolve(hmi, method="bicubic"),
        "rcan": sunpy_sr.superresolve(hmi, method="rcan")}

# %%
# Cut out a 32" x 32" field around the strongest pores. Input pixel ``i``
# covers output pixels ``4i`` to ``4i + 3`` (the grid of sunpy's
# ``superpixel``), so the same field in the 4x maps is 4x the pixel range.
x0, y0, n = 80, 140, 64   # input pixels (0-based): columns 80-143, rows 140-203
cutouts = {}
for name, smap in maps.items():
    f = smap.data.shape[0] // hmi.data.shape[0]
    cutouts[name] = smap.submap([f * x0, f * y0] * u.pix,
                                top_right=[f * (x0 + n) - 1, f * (y0 + n) - 1] * u.pix)
    print(f"{name:10s} {cutouts[name].data.shape} pixels of {cutouts[name].scale[0]:.3f}")
# The bottom-left corners agree to a small fraction of an arcsecond:
corners = [c.pixel_to_world(-0.5 * u.pix, -0.5 * u.pix) for c in cutouts.values()]
print("corner offsets:", [f"{corners[0].separation(c).to(u.arcsec):.1e}" for c in corners[1:]])

# %%
# Plot. The map is level 1 (solar north down), so Solar-Y increases downwards
# and Solar-X to the left; the axes say so. Ticks every 10".
norm = Normalize(vmin=-800, vmax=800)
fig = plt.figure(figsize=(13, 4.9), layout="constrained")
for i, (name, cut) in enumerate(cutouts.items()):
    ax = fig.add_subplot(1, 3, i + 1, projection=cut)
    image = cut.plot(axes=ax, norm=norm, title=f"{name} ({cut.scale[0].value:.3f}\"/px)")
    for coord in ax.coords:
        coord.set_ticks(spacing=10 * u.arcsec)
        coord.set_major_formatter("s")
        coord.set_ticklabel(size=9)
    ax.coords[0].set_axislabel("Solar-X [arcsec]")
    if i == 0:
        ax.coords[1].set_axislabel("Solar-Y [arcsec]")
    else:  # the three panels share their field of view
        ax.coords[1].set_axislabel(" ")
        ax.coords[1].set_ticklabel_visible(False)
fig.colorbar(image, ax=fig.axes, shrink=0.85, label=FIELD_LABEL)
plt.show()

# %%
# Bicubic interpolation only smooths the input pixels; the network sharpens the
# edges of the pores and the plage, as it learned to from pairs of HMI maps and
# their degraded versions. What it adds is an estimate of HMI-like structure
# at 0.126"/pixel, not an observation: see the next examples for how close that
# estimate comes when the true map is known.
