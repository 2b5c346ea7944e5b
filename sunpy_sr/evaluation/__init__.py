"""Evaluation: the Table 1 comparison of methods over HR/LR pairs, the error budget report,
and the ``sunpy-sr evaluate`` run (figures, tables) behind it."""
from sunpy_sr.evaluation.run import run_evaluation
from sunpy_sr.evaluation.table import EVALUATE_COLUMNS, UNCERTAINTY_COLUMNS, evaluate

__all__ = ["evaluate", "run_evaluation", "EVALUATE_COLUMNS", "UNCERTAINTY_COLUMNS"]
