"""The training log: a CSV of validation rows and its plot (PNG)."""
import csv

__all__ = ["write_log", "plot_log"]


def write_log(log, path):
    keys = sorted({k for row in log for k in row}, key=lambda k: (k != "iteration", k))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(log)

def plot_log(log, path):
    """Plot training loss and validation PSNR against iteration into a PNG."""
    from matplotlib.figure import Figure  # no pyplot: the caller's backend and figures are untouched
    it = [r["iteration"] for r in log]
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax = fig.subplots(1, 2)
    ax[0].plot(it, [r["loss"] for r in log])
    ax[0].set(xlabel="iteration", ylabel="training loss", yscale="log", title="training loss")
    if "val_psnr" in log[0]:
        ax[1].plot(it, [r["val_psnr"] for r in log])
        ax[1].set(xlabel="iteration", ylabel="PSNR (dB, MAX 4000 G)", title="validation")
    fig.savefig(path, dpi=100)
