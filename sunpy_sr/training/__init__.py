"""
Training networks on HR/LR pairs made by `sunpy_sr.degrade`: sampling, losses, the loops,
checkpoints with exact resume, run files, and the linear-filter fit.

Imported by the command line and by users who train; never by inference.
"""
from sunpy_sr.training.checkpoints import load_checkpoint
from sunpy_sr.training.config import TrainConfig
from sunpy_sr.training.linear_fit import fit_linear_filter
from sunpy_sr.training.log import plot_log
from sunpy_sr.training.loop import train
from sunpy_sr.training.run_files import load_run_file, pairs_for_training, train_from_folder
from sunpy_sr.training.sampling import PatchSampler
from sunpy_sr.training.validation import validate

__all__ = ["TrainConfig", "PatchSampler", "train", "validate", "load_checkpoint", "load_run_file",
           "train_from_folder", "pairs_for_training", "fit_linear_filter", "plot_log"]
