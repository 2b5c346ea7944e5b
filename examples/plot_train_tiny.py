"""
===============================
Training a tiny network quickly
===============================

`sunpy_sr.training.train` trains a network on pairs of high-resolution (HR)
maps and their degraded low-resolution (LR) versions, and writes a checkpoint,
a log and a plot of the log. This example trains the smallest preset,
``rcan-tiny`` (4,255 parameters, the architecture of ``method="rcan-fast"``),
from scratch for 400 iterations on pairs made from the two HMI cutouts shipped
with the package, and plots its log. That is a tenth of the 4000 iterations
that trained the bundled ``rcan-tiny`` in about 7 minutes on two CPU cores.

It is a demonstration of the API, not a recipe: the bundled ``rcan-tiny`` was
trained for 4000 iterations on full-disk maps and active-region cutouts of
other years (``training/rcan-tiny/rcan-tiny.json`` in the repository; ``sunpy-sr train``
does the same from a folder of FITS files). Here both cutouts come from one
disk (2016-07-07): a real validation set would be observed on other dates.
"""
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from astropy.table import Table

import sunpy_sr
from sunpy_sr.core.degradation import degrade_array
from sunpy_sr.core.pairs import PairSet, to_level15
from sunpy_sr.data import sample
from sunpy_sr.metrics import psnr
from sunpy_sr.training import TrainConfig, train

# %%
# Pairs
# -----
# As the package's own pipeline (`sunpy_sr.core.pairs.make_pairs`) does: turn
# the map north up by an exact flip of the array (HMI level 1 -> 1.5), clip the
# HR field to +-2000 G and degrade it with `~sunpy_sr.core.degradation.degrade_array`.
# The training pair is the 256x256 cutout of plage and pores; the validation
# pair is the on-disk part of the limb cutout (its first 208 columns: the rest
# is off the limb, NaN).


def make_pair(smap, columns=slice(None)):
    hr = np.clip(to_level15(smap).data[:, columns], -2000, 2000).astype(np.float32)
    return hr, degrade_array(hr)


train_hr, train_lr = make_pair(sample.hmi_active_region())
val_hr, val_lr = make_pair(sample.hmi_limb(), slice(0, 208))
print("validation pixels all finite:", bool(np.isfinite(val_hr).all()))
train_pairs = PairSet(hr=[train_hr], lr=[train_lr], source=["hmi_active_region"], origin=[(0, 0)],
                      date=["2016-07-07"])
val_pairs = PairSet(hr=[val_hr], lr=[val_lr], source=["hmi_limb"], origin=[(0, 0)], date=["2016-07-07"])
print(f"train: HR {train_hr.shape} / LR {train_lr.shape}; validation: HR {val_hr.shape} / LR {val_lr.shape}")

# %%
# Train
# -----
# Batches of 8 patches of 48x48 LR pixels drawn at random (with the 8
# symmetries of the square and polarity reversal), a mean-squared-error loss,
# Adam at a learning rate of 1e-3 halved every 200 iterations, and a
# validation every 50 iterations. The run can be continued with
# ``resume=True`` from the checkpoint it leaves in ``out_dir``.
config = TrainConfig(preset="rcan-tiny", iterations=400, batch_size=8, patch=48, lr=1e-3, lr_halving=200,
                     loss="mse", sign_flip=True, validate_every=50, checkpoint_every=400, seed=0, threads=1)
out_dir = Path(tempfile.mkdtemp(prefix="sunpy_sr_train_"))
t0 = time.perf_counter()
model = train(config, train_pairs, out_dir, val_pairs=val_pairs, progress=False)
print(f"{config.iterations} iterations in {time.perf_counter() - t0:.0f} s; "
      f"{sum(p.numel() for p in model.parameters()):,} parameters")
print(sorted(p.name for p in out_dir.iterdir()))

# %%
# The log
# -------
# ``log.csv`` has one row per validation: the mean training loss since the
# previous row (G^2 for the MSE loss) and the validation PSNR (peak 4000 G),
# CC and RMSE. For reference, the horizontal lines are the PSNR of bicubic
# interpolation and of the bundled ``rcan-fast`` on the same validation pair.
log = Table.read(out_dir / "log.csv", format="ascii.csv")
bicubic_psnr = psnr(val_hr, sunpy_sr.superresolve(val_lr, method="bicubic"))
bundled_psnr = psnr(val_hr, sunpy_sr.superresolve(val_lr, method="rcan-fast"))

fig, (ax_loss, ax_psnr) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax_loss.plot(log["iteration"], log["loss"], marker="o")
ax_loss.set(xlabel="iteration", ylabel="training loss (MSE) [G$^2$]", yscale="log", title="training loss")
ax_psnr.plot(log["iteration"], log["val_psnr"], marker="o", label="rcan-tiny, this run")
ax_psnr.axhline(bicubic_psnr, color="0.4", ls="--", label="bicubic")
ax_psnr.axhline(bundled_psnr, color="tab:green", ls=":", label="bundled rcan-fast")
ax_psnr.set(xlabel="iteration", ylabel="PSNR [dB] (peak 4000 G)", title="validation (limb cutout)")
ax_psnr.legend()
plt.show()

# %%
# Use the network
# ---------------
# A checkpoint (or a weight file written from it with ``sunpy-sr
# export-weights``) is used with ``weights=``; the architecture is read from it.
sr = sunpy_sr.superresolve(val_lr, method="rcan", weights=out_dir / "checkpoint.pt")
print(f"PSNR on the validation pair: this run {psnr(val_hr, sr):.2f} dB, "
      f"bicubic {bicubic_psnr:.2f} dB, bundled rcan-fast {bundled_psnr:.2f} dB")

# %%
# Near the limb, every method is close to every other (bicubic interpolation
# and the bundled ``rcan-fast`` differ by less than 0.1 dB on this cutout), so
# a short run is judged by the trend of its log: the loss falls and the
# validation PSNR rises to about the level of bicubic interpolation. A
# network worth using needs far more data and iterations: see the training
# page of the user guide and the run files in ``training/``.
