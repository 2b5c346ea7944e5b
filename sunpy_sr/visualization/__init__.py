"""Figures: the paper's comparison panels and scatter figures, comparison and training plots.

Every function draws on its own `matplotlib.figure.Figure`; none touches pyplot's global state
or the backend."""
from sunpy_sr.visualization.figures import FIELD_LABEL, plot_comparison_panel, plot_scatter_figure

__all__ = ["plot_comparison_panel", "plot_scatter_figure", "FIELD_LABEL"]
