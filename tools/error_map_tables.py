"""
The error-map tables and reliability diagram of docs/guide/error_maps.rst, from the fit's results.

When to run: after ``tools/fit_error_models.py`` has written
``training/error-models/error-models-results.json``. Usage (repository root)::

    python tools/error_map_tables.py [--results training/error-models/error-models-results.json]

Writes reStructuredText tables to ``docs/guide/error_maps_tables.inc`` (included by the guide
page; per part of the split and method: pooled, by band of the output's |B|, by band of |B_HR|,
by disk ring, out-of-range pixels) and
``docs/images/error_maps_reliability.png`` (coverage at k sigma on the two test parts, every
method, against a Gaussian and a Laplace error).
"""
import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = {"calibration": "calibration (2016 NW quadrant, HARP 1446 2nd/4th)",
         "test_disk": "test: 2016 disk, SW quadrant", "test_sharp_377": "test: SHARP 377"}


def _cell(s):
    if not s or not s.get("n"):
        return "--"
    return (f"{s['rms_z']:.2f} / {s['coverage_1'] * 100:.0f} / {s['coverage_2'] * 100:.0f} / "
            f"{s['nll'] - s['nll_constant']:+.2f}")


def _table(title, header, rows):
    # a bare | would start a reST substitution
    title, header = title.replace("|", "\\|"), [str(h).replace("|", "\\|") for h in header]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = "  ".join("=" * w for w in widths)
    out = [f"**{title}**", "", line, "  ".join(str(h).ljust(w) for h, w in zip(header, widths)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out + [line, ""])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--results", type=Path,
                    default=ROOT / "training" / "error-models" / "error-models-results.json")
    ap.add_argument("--tables", type=Path, default=ROOT / "docs" / "guide" / "error_maps_tables.inc")
    ap.add_argument("--figure", type=Path, default=ROOT / "docs" / "images" / "error_maps_reliability.png")
    a = ap.parse_args()
    res = json.loads(a.results.read_text())
    methods = list(res)
    lines = []

    def emit(*args):
        lines.append(" ".join(str(x) for x in args))
    for part, label in PARTS.items():
        rep0 = res[methods[0]]["report"][part]
        bands = list(rep0["bands"])
        header = ["method", "all", *[f"|B| {b}" for b in bands], "out of range"]
        rows = []
        for m in methods:
            r = res[m]["report"][part]
            rows.append([m, _cell(r["all"]), *[_cell(r["bands"][b]) for b in bands],
                         _cell(r["out_of_range"])])
        emit(_table(f"{label}: by band of the output's |B|", header, rows))
        header = ["method", *[f"|B_HR| {b}" for b in bands]]
        rows = [[m, *[_cell(res[m]["report"][part]["bands_truth"][b]) for b in bands]] for m in methods]
        emit(_table(f"{label}: by band of the true |B_HR|", header, rows))
        if rep0["rings"]:
            rings = list(rep0["rings"])
            header = ["method", *[f"r {x}" for x in rings]]
            rows = [[m, *[_cell(res[m]["report"][part]["rings"][x]) for x in rings]] for m in methods]
            emit(_table(f"{label}: by ring of r = rho / R_sun", header, rows))
        counts = [str(rep0["all"]["n"]), *[str(rep0["bands"][b]["n"]) for b in bands],
                  str(rep0["out_of_range"]["n"])]
        emit(f"Pixels per column ({methods[0]}; the other methods within a few per cent): "
              f"{', '.join(counts)}.\n")
    emit("Sharpness, the Spearman rank correlation of sigma with \\|error\\| on the two test parts:\n")
    for m in methods:
        emit(f"- {m}: " + ", ".join(f"{PARTS[p]} {res[m]['report'][p]['all']['spearman']:.2f}"
                                     for p in ("test_disk", "test_sharp_377")))
    emit("")

    a.tables.write_text("\n".join(lines) + "\n")
    print(f"wrote {a.tables}")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sunpy_sr.metrics.calibration import COVERAGE_LEVELS, GAUSSIAN_COVERAGE, LAPLACE_COVERAGE
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained", sharey=True)
    for ax, part in zip(axes, ("test_disk", "test_sharp_377")):
        for m in methods:
            ax.plot(COVERAGE_LEVELS, [c * 100 for c in res[m]["report"][part]["all"]["coverage"]], "o-",
                    ms=3, label=m)
        ax.plot(COVERAGE_LEVELS, [c * 100 for c in GAUSSIAN_COVERAGE], "k--", label="Gaussian")
        ax.plot(COVERAGE_LEVELS, [c * 100 for c in LAPLACE_COVERAGE], "k:", label="Laplace")
        ax.set_title(PARTS[part])
        ax.set_xlabel("k (multiples of sigma)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("pixels with |error| <= k sigma (%)")
    axes[1].legend(fontsize=8)
    fig.savefig(a.figure, dpi=110)
    print(f"wrote {a.figure}")


if __name__ == "__main__":
    main()
