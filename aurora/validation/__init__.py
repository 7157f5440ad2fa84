"""Model validation: predictive metrics and K-fold cross-validation.

Examples
--------
>>> from aurora.validation import mean_absolute_error
>>> mean_absolute_error([1, 2], [2, 2])
0.5
"""
from aurora.validation.cross_val import KFold, StratifiedKFold, cross_val_score
from aurora.validation.metrics import (
    accuracy_score,
    brier_score,
    concordance_index,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    pseudo_r2,
    root_mean_squared_error,
)

__all__ = [
    "mean_squared_error",
    "mean_absolute_error",
    "root_mean_squared_error",
    "pseudo_r2",
    "accuracy_score",
    "log_loss",
    "brier_score",
    "concordance_index",
    "KFold",
    "StratifiedKFold",
    "cross_val_score",
]
