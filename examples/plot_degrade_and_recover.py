"""
==============================================
Degrading a map and recovering it: the metrics
==============================================

A super-resolved map can only be scored where the true map at 4x finer pixels
is known. As in Rahman et al. (2020), make such a case from HMI itself: degrade
an HMI map 4x with the forward model (`sunpy_sr.degrade`: 5x5 Gaussian of
sigma 2 pixels, then 4x bilinear down-sampling), super-resolve the result back
to the original grid with several methods, and compare with the original. This
example does it on the shipped HMI cutout, prints the paper's metrics (Table
1), plots the maps, and draws the paper's Figure 3.

The cutout comes from the 2016-07-07 disk, which the bundled networks never
trained on; it is one 256x256 image of plage and pores, so its numbers are an
illustration, not a measurement of the methods (for those, see the results
page of this documentation).
"""
import astropy.units as u
import matplotlib.pyplot as plt
from matplotlib.colors import Normalize

import sunpy_sr
from sunpy_sr.data import sample
from sunpy_sr.evaluation import evaluate
from sunpy_sr.metrics import pearson_cc, psnr
from sunpy_sr.visualization import FIELD_LABEL, joint_figure_size, plot_scatter_figure

# %%
# Degrade: 256x256 pixels of 0.504" become 64x64 pixels of 2.017". The
# header is rescaled by the same rule as for super-resolution, so the two
# maps overlap exactly.
hmi = sample.hmi_active_region()
lr = sunpy_sr.degrade(hmi)
print(f"HR {hmi.data.shape} at {hmi.scale[0]:.3f} -> LR {lr.data.shape} at {lr.scale[0]:.3f}")
print("SRDEGRAD:", lr.meta["srdegrad"])

# %%
# Super-resolve the degraded map with the two classical methods and the two
# RCAN networks (the example of the progressive GAN compares ``"progan"`` with
# them), and score each result against the original: PSNR (peak 4000 G),
# Pearson's correlation coefficient, RMSE, SSIM (data range 4000 G), the RMSE
# over the pixels above 200 G, and the re-degradation residual (RMS of ``degrade(SR) - LR``: how well the
# output keeps the observed flux). `~sunpy_sr.evaluation.evaluate` runs them all.
methods = ("bicubic", "linear", "rcan-fast", "rcan")
table, outputs = evaluate(([hmi], [lr]), methods=methods, return_outputs=True, progress=False)
table["psnr"].info.format = ".2f"
for column in ("cc", "ssim"):
    table[column].info.format = ".4f"
for column in ("rmse", "rmse_strong", "redegradation_residual"):
    table[column].info.format = ".2f"
table[["method", "psnr", "cc", "rmse", "ssim", "rmse_strong", "redegradation_residual"]].pprint()

# %%
# The maps, in the manner of Figure 2 of the paper: the degraded input, the
# target and each method's output on one gray scale (+-500 G), each output
# titled with its PSNR and CC against the target. The outputs are arrays on the
# grid of the target, so they are plotted with its world coordinates (this
# level-1 map has solar north down). `~sunpy_sr.visualization.plot_comparison_panel`
# draws the paper's own layout, without axes.
norm = Normalize(vmin=-500, vmax=500)
panels = {"degraded input (LR)": (lr, lr.data), "target (HR)": (hmi, hmi.data)}
for method, out in outputs.items():
    score = f"PSNR {psnr(hmi, out[0]):.2f} dB, CC {pearson_cc(hmi, out[0]):.3f}"
    panels[f"{method}\n{score}"] = (hmi, out[0])
fig = plt.figure(figsize=(3.0 * len(panels), 3.9), layout="constrained")
for i, (title, (grid, data)) in enumerate(panels.items()):
    ax = fig.add_subplot(1, len(panels), i + 1, projection=grid)
    image = ax.imshow(data, origin="lower", cmap="gray", norm=norm)
    ax.set_title(title, fontsize=9)
    for coord in ax.coords:
        coord.set_ticks(spacing=40 * u.arcsec)
        coord.set_major_formatter("s")
        coord.set_ticklabel(size=7)
    ax.coords[0].set_axislabel("Solar-X [arcsec]", fontsize=8)
    ax.coords[1].set_axislabel("Solar-Y [arcsec]" if i == 0 else " ", fontsize=8)
    if i:
        ax.coords[1].set_ticklabel_visible(False)
fig.colorbar(image, ax=fig.axes, shrink=0.8, label=FIELD_LABEL)
plt.show()

# %%
# Figure 3 of the paper: for each method, the 2D histogram of (target, output)
# pixel pairs, the mean output in bins of the target with one standard
# deviation as error bars, and a scatter plot of a random subset of pixels,
# each with the line y = x. A perfect method puts every pixel on that line.
# The field in this cutout stays within +-1000 G, which sets the axis range.
fig = plt.figure(figsize=joint_figure_size(len(methods), 3), layout="constrained")
plot_scatter_figure([hmi], outputs, field_range=1000, errorbar_bin=50, fig=fig)
plt.show()

# %%
# On this cutout, as on the validation disk it was cut from, rcan has the
# highest PSNR and CC and the lowest RMSE, and its output re-degrades closest
# to the input. The methods differ in the few pixels of strong field: the
# quiet pixels (most of the image) sit on the line y = x for every method,
# while bicubic interpolation falls short of the strongest fields (middle
# row, first column), which the other methods follow more closely.
