"""
=============================================
Where the error lies: bands of field strength
=============================================

PSNR and RMSE average the squared error over all pixels, so in an active
region a few per cent of strong-field pixels can decide them.
`sunpy_sr.metrics.error_budget` splits the summed squared error of a method
into bands of the target's field strength: below 200 G (quiet Sun), 200 to
1000 G (plage, penumbrae, sunspot edges) and above 1000 G (umbrae).

This example computes the budget on the active region NOAA 11158, the SHARP
377 cutout of 2011-02-15 that the bundled networks never trained on (the
held-out test set), in the crops of the results page of this documentation:
HR crops of 256x256 pixels with a stride of 128 that cover the cutout to its
edges, degraded 4x and super-resolved back.

It reads the SHARP file from ``../shared/data`` beside the repository (or the
folder named by the environment variable ``SUNPY_SR_DATA``).
"""
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sunpy_sr.core.pairs import PairRecipe, make_pairs
from sunpy_sr.evaluation import evaluate
from sunpy_sr.metrics import error_budget

# %%
# The data
# --------
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

# %%
# HR/LR pairs as for training and evaluation: HR crops clipped to +-2000 G,
# LR made by `sunpy_sr.degrade`'s default recipe.
pairs = make_pairs([SHARP], PairRecipe(size=256, stride=128), progress=False)
print(f"{len(pairs.hr)} crops of {pairs.hr[0].shape} HR pixels, LR {pairs.lr[0].shape}")

# %%
# Super-resolve every crop with three methods, and score them.
methods = ("bicubic", "linear", "rcan")
table, outputs = evaluate(pairs, methods=methods, return_outputs=True, progress=False)
for column in ("psnr", "rmse"):
    table[column].info.format = ".2f"
table[["method", "n_images", "psnr", "rmse"]].pprint()

# %%
# The budget of each method over all crops.
budgets = {m: error_budget(pairs.hr, outputs[m]) for m in methods}
budgets["rcan"].pprint()

# %%
# Plot
# ----
# Left: each band's share of the pixels and of each method's squared error.
# Right: the RMSE within each band.
bands = [f"{low.value:.0f}-{high.value:.0f} G" if np.isfinite(high) else f"> {low.value:.0f} G"
         for low, high in zip(budgets["rcan"]["low"], budgets["rcan"]["high"])]
bands[0] = f"< {budgets['rcan']['high'][0].value:.0f} G"
x = np.arange(len(bands))
width = 0.2
fig, (ax_share, ax_rmse) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
ax_share.bar(x - 1.5 * width, budgets["rcan"]["pixel_fraction"], width, color="0.7", label="pixels")
for i, m in enumerate(methods):
    ax_share.bar(x + (i - 0.5) * width, budgets[m]["error_share"], width, label=f"squared error, {m}")
    ax_rmse.bar(x + (i - 1) * width, budgets[m]["rmse"].to_value("G"), width, label=m)
ax_share.set(xticks=x, xticklabels=bands, xlabel="|B| of the target (band)",
             ylabel="share of all pixels / of the squared error", ylim=(0, 1))
ax_share.legend(fontsize=8)
ax_rmse.set(xticks=x, xticklabels=bands, xlabel="|B| of the target (band)", ylabel="RMSE in the band [G]")
ax_rmse.legend(fontsize=8)
fig.suptitle("SHARP 377 (NOAA 11158, 2011-02-15, held out): error budget by |B|")
plt.show()

# %%
# About 11 % of the pixels, those between 200 and 1000 G, carry 60-67 % of
# every method's squared error; the pixels above 1000 G have large errors per
# pixel but are too few (under 2 %) to weigh much. Against the linear filter,
# the network gains most on the quiet pixels and little in the 200-1000 G
# band. These are the numbers of the results page, which discusses what
# limits the gain in that band.
