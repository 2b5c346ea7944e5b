"""Figures: the paper's comparison panels and joint-distribution figures, comparison and training plots.

Every function draws on its own `matplotlib.figure.Figure`; none touches pyplot's global state
or the backend. Every colour bar of a magnetic field is labelled `FIELD_LABEL`."""
from sunpy_sr.visualization.figures import (
    DIFFERENCE_LABEL,
    FIELD_LABEL,
    HISTOGRAM_RANGE,
    JOINT_ROWS,
    joint_figure_size,
    plot_comparison_panel,
    plot_scatter_figure,
)

__all__ = ["plot_comparison_panel", "plot_scatter_figure", "joint_figure_size", "FIELD_LABEL",
           "DIFFERENCE_LABEL", "HISTOGRAM_RANGE", "JOINT_ROWS"]
