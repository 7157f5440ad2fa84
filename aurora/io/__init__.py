"""Reading data and saving results.

- :func:`read_csv`: CSV with text columns as factors (sorted levels, as R).
- :func:`save_result` / :func:`load`: a versioned, pickle-free result file, checked on
  load against the SHA-256 of every member (also ``result.save(path)`` and
  ``aurora.load(path)``).
- :func:`export_coefficients`: the coefficient table as CSV or JSON.

>>> from aurora.io import FORMAT_VERSION
>>> FORMAT_VERSION
2
"""
from aurora.io.store import FORMAT, FORMAT_VERSION, StoreError, load, save_result
from aurora.io.tabular import coefficient_table, export_coefficients, read_csv

__all__ = ["read_csv", "save_result", "load", "export_coefficients", "coefficient_table",
           "StoreError", "FORMAT", "FORMAT_VERSION"]
