"""
==============================================================
A day of NOAA 11429: super-resolving a MapSequence (HARP 1449)
==============================================================

`sunpy_sr.superresolve` takes a `~sunpy.map.MapSequence` as it takes one map: every
map of the sequence is super-resolved 4x, with an exact header each, and the network
is loaded once for the whole series.

The series here is real: five SHARP CEA cutouts of HARP 1449 (NOAA 11429, the complex
delta-spot region that produced the X5.4 flare of 2012-03-07 00:24 UT), 6 hours apart,
from 2012-03-06 14:24 to 2012-03-07 14:24 TAI. They are read from the project's
``../shared/data`` folder beside the repository (or the folder named by the environment
variable ``SUNPY_SR_DATA``); without it, the example prints why and does nothing.
The fast network ``rcan-fast`` keeps the run short; ``method="rcan"`` gives the
bundled full-size network.
"""
# sphinx_gallery_thumbnail_number = 1
import os
import time
from pathlib import Path

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
import sunpy.map
from astropy.coordinates import SkyCoord

import sunpy_sr
from sunpy_sr.visualization import FIELD_LABEL

try:
    HERE = Path(__file__).resolve().parent
except NameError:  # run interactively
    HERE = Path.cwd()
DATA = Path(os.environ.get("SUNPY_SR_DATA", HERE.parents[1] / "shared" / "data"))
FILES = sorted((DATA / "hmi" / "sharp-2012").glob("hmi.sharp_cea_720s.1449.*.magnetogram.fits"))
if len(FILES) != 5:
    print(f"Skipping this example: the five 2012 SHARPs of HARP 1449 are not in "
          f"{DATA / 'hmi' / 'sharp-2012'} (set SUNPY_SR_DATA to the project's shared data folder to run it).")

# %%
# The series
# ----------
# Each cutout is on a cylindrical equal-area Carrington grid of 0.03 deg pixels (about
# 0.5" at disk centre), in Mx/cm^2 (the LOS flux density: gauss). The delta spot drifts
# slowly in Carrington longitude, so the same 0.03-deg box of 128 x 96 pixels is cut from
# every snapshot at the same Carrington coordinates: the corner is converted to pixels in
# each map.
seq = None
if FILES:
    maps = sunpy.map.Map([str(f) for f in FILES])
    corner = SkyCoord(299.8 * u.deg, 15.3 * u.deg, frame=maps[0].coordinate_frame)
    cut = []
    for m in maps:
        px = m.world_to_pixel(SkyCoord(corner.lon, corner.lat, frame=m.coordinate_frame))
        x0, y0 = int(round(px.x.value)), int(round(px.y.value))
        cut.append(m.submap([x0, y0] * u.pix, top_right=[x0 + 127, y0 + 95] * u.pix))
    seq = sunpy.map.MapSequence(cut)
    for m in seq.maps:
        print(f"{m.date.isot[:16]}  {m.data.shape[1]}x{m.data.shape[0]} px  "
              f"max |B| {np.nanmax(np.abs(m.data)):6.0f} {m.unit}")

# %%
# Super-resolve the whole sequence
# --------------------------------
# One call: the result is a MapSequence of five 512 x 384 maps with pixels of 0.0075 deg,
# ``CRPIX' = 4 * CRPIX - 1.5`` and ``CDELT / 4`` in each header, and the provenance keys
# (``SRMETHOD``, ``SRMODEL``...). The network is built once, for the first map.
if seq is not None:
    t0 = time.perf_counter()
    sr_seq = sunpy_sr.superresolve(seq, method="rcan-fast")
    print(f"{len(sr_seq.maps)} maps super-resolved in {time.perf_counter() - t0:.1f} s")
    m0, s0 = seq.maps[0], sr_seq.maps[0]
    print(f"CDELT1 {m0.meta['cdelt1']} -> {s0.meta['cdelt1']} deg; "
          f"CRPIX1 {m0.meta['crpix1']} -> {s0.meta['crpix1']}; "
          f"SRMETHOD {s0.meta['srmethod']}, SRMODEL {s0.meta['srmodel']}")

# %%
# The frames, before and after
# ----------------------------
# Top row: the HMI cutouts; bottom row: the super-resolved maps, on the same colour scale
# (+-1500 G), each on its own WCS axes in Carrington longitude and latitude: the SR
# frame covers the same patch of the Sun with 16 times as many pixels. The flare of
# 2012-03-07 00:24 UT falls between the second and third frame.
if seq is not None:
    from sunpy_sr.visualization.comparison import label_wcs_axes

    fig = plt.figure(figsize=(14, 5.6), layout="constrained")
    for k, (lr, sr) in enumerate(zip(seq.maps, sr_seq.maps)):
        for row, m in enumerate((lr, sr)):
            ax = fig.add_subplot(2, 5, 1 + k + 5 * row, projection=m)
            im = m.plot(axes=ax, cmap="gray", norm=None, vmin=-1500, vmax=1500, title=False)
            label_wcs_axes(ax, m, fontsize=7, ticksize=6)
            lon, lat = ax.coords
            lon.set_ticks(number=3)
            lat.set_ticks(number=3)
            if k:
                lat.set_axislabel("")
            if row == 0:
                lon.set_axislabel("")
        ax_top = fig.axes[-2]
        ax_top.set_title(lr.date.isot[5:16].replace("T", " "), fontsize=9)
    fig.axes[0].set_title(f"HMI, {seq.maps[0].meta['cdelt1']} deg px\n" + fig.axes[0].get_title(), fontsize=9)
    fig.axes[1].set_title(f"rcan-fast 4x, {sr_seq.maps[0].meta['cdelt1']} deg px", fontsize=9)
    fig.colorbar(im, ax=fig.axes, shrink=0.8, label=FIELD_LABEL)
    fig.suptitle("HARP 1449 (NOAA 11429), 2012-03-06/07, every 6 h")
    plt.show()

# %%
# Flux through the series
# -----------------------
# The super-resolved maps keep the flux of the maps they come from: a 4 x 4 block of SR
# pixels averages to (nearly) its LR pixel, so the unsigned flux of each frame agrees to
# a fraction of a percent, while the frames themselves follow the region's evolution.
if seq is not None:
    area = (0.03 * u.deg).to_value(u.rad) ** 2 * (696.0 * u.Mm).to(u.cm) ** 2  # CEA pixel area at R_sun
    lr_flux = [(np.nansum(np.abs(m.data)) * m.unit * area).to(u.Mx) for m in seq.maps]
    sr_flux = [(np.nansum(np.abs(m.data)) * m.unit * area / 16).to(u.Mx) for m in sr_seq.maps]
    hours = [(m.date - seq.maps[0].date).to_value(u.h) for m in seq.maps]
    fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    ax.plot(hours, [f.to_value(u.Mx) / 1e21 for f in lr_flux], "o-", label="HMI")
    ax.plot(hours, [f.to_value(u.Mx) / 1e21 for f in sr_flux], "s--", label="rcan-fast 4x")
    ax.set_xlabel("hours since 2012-03-06 14:24 TAI")
    ax.set_ylabel("unsigned flux [1e21 Mx]")
    ax.legend()
    plt.show()
    for h, a, b in zip(hours, lr_flux, sr_flux):
        print(f"{h:4.0f} h: HMI {a:.3e}, SR {b:.3e} ({100 * (b / a - 1).value:+.2f} %)")
