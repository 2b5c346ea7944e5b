"""The training log: a CSV of validation rows and its plot (PNG)."""
import csv
import math

__all__ = ["write_log", "plot_log"]


def write_log(log, path):
    """Write the log rows (dicts) as CSV; columns are the union of the rows' keys."""
    keys = sorted({k for row in log for k in row}, key=lambda k: (k != "iteration", k))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(log)


def plot_log(log, path, *, loss_unit=None):
    """
    Plot the training losses and the validation PSNR (and spectral error, if logged) into a PNG.

    Draws on its own `matplotlib.figure.Figure`: pyplot, the backend and the caller's
    figures are untouched.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from matplotlib.image import imread
    >>> from sunpy_sr.training import plot_log
    >>> log = [{"iteration": 500, "loss": 40.2, "val_psnr": 41.3},
    ...        {"iteration": 1000, "loss": 31.5, "val_psnr": 42.0, "val_spectral_error": 0.12}]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     plot_log(log[:1], Path(tmp) / "psnr.png", loss_unit="G")
    ...     plot_log(log, Path(tmp) / "spectral.png", loss_unit="G")
    ...     shapes = [imread(Path(tmp) / name).shape for name in ("psnr.png", "spectral.png")]
    >>> shapes  # RGBA at 100 dpi: 9 x 3.5 inches; 13 x 3.5 with the spectral error's panel
    [(350, 900, 4), (350, 1300, 4)]
    """
    from matplotlib.figure import Figure
    it = [r["iteration"] for r in log]

    def col(key):
        return [r.get(key, math.nan) for r in log]

    has_spec = any("val_spectral_error" in r for r in log)
    fig = Figure(figsize=(13 if has_spec else 9, 3.5), layout="constrained")
    ax = fig.subplots(1, 3 if has_spec else 2)
    ax[0].plot(it, col("loss"), label="pixel" + (f" ({loss_unit})" if loss_unit else ""))
    for key in sorted({k for r in log for k in r if k.startswith("loss_")}):
        ax[0].plot(it, [abs(v) for v in col(key)], label=key[5:])
    ax[0].set(xlabel="iteration", ylabel="training loss", yscale="log", title="training losses")
    if len(ax[0].get_lines()) > 1:
        ax[0].legend(fontsize="small")
    if any("val_psnr" in r for r in log):
        ax[1].plot(it, col("val_psnr"), marker=".")
        ax[1].set(xlabel="iteration", ylabel="PSNR (dB, MAX 4000 G)", title="validation PSNR")
    if has_spec:
        ax[2].plot(it, col("val_spectral_error"), marker=".")
        ax[2].set(xlabel="iteration", ylabel=r"mean $|\log_{10} P_\mathrm{out}/P_\mathrm{target}|$",
                  title="validation spectral error (k = 1/8 to 0.4 / px)")
    fig.savefig(path, dpi=100)
