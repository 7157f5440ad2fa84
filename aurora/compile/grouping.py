"""Grouping factors of random-effect terms: level codes and labels as R's ``factor()`` and
lme4's ``%i%`` make them (grouping variables are factors whatever their dtype)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["factor_labels", "group_codes"]


def factor_labels(frame: pd.DataFrame, group: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Level label of each row of the grouping factor ``g`` or ``a:b``, and the levels.

    The levels are those of R's ``factor()`` (sorted values; categorical columns keep their
    category order) and, for an interaction, lme4's ``%i%``: the combinations present,
    ordered by the first factor's level, then the second's.
    Missing values give ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [2, 1, 2, 10], "b": list("xyyx")})
    >>> factor_labels(df, ("a",))[1]
    ('1', '2', '10')
    >>> factor_labels(df, ("a", "b"))[1]
    ('1:y', '2:x', '2:y', '10:x')
    """
    codes, levels = group_codes(frame, group)
    lv = np.asarray(levels + (None,), dtype=object)
    return lv[codes], levels


def group_codes(frame: pd.DataFrame, group: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Level codes (``-1`` for missing) and levels of the grouping factor ``g`` or ``a:b``
    (see :func:`factor_labels`).

    Examples
    --------
    >>> import pandas as pd
    >>> group_codes(pd.DataFrame({"a": ["u", "v", "u"]}), ("a",))[0].tolist()
    [0, 1, 0]
    """
    codes, levels = _factor_codes(frame[group[0]])
    for name in group[1:]:
        c2, l2 = _factor_codes(frame[name])
        joint = np.where((codes >= 0) & (c2 >= 0), codes.astype(np.int64) * len(l2) + c2, -1)
        present = np.unique(joint[joint >= 0])
        new = np.full(joint.shape, -1, dtype=np.intp)
        ok = joint >= 0
        new[ok] = np.searchsorted(present, joint[ok])
        levels = tuple(f"{levels[int(v) // len(l2)]}:{l2[int(v) % len(l2)]}" for v in present)
        codes = new
    return codes, levels


def _factor_codes(col: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes (``-1`` for missing) and level labels of a column as R's ``factor()``."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        labels = tuple(_level_text(v) for v in cats)
        return col.cat.codes.to_numpy().astype(np.intp), labels
    if pd.api.types.is_bool_dtype(col.dtype):
        vals = col.to_numpy()
        missing = pd.isna(vals)
        b = np.where(missing, False, vals).astype(bool)
        present = sorted(set(b[~missing].tolist()))
        labels = tuple("TRUE" if v else "FALSE" for v in present)
        codes = np.where(missing, -1, np.searchsorted(np.array(present, dtype=bool), b))
        return codes.astype(np.intp), labels
    if pd.api.types.is_numeric_dtype(col.dtype):
        vals = col.to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(vals)
        uniq, inv = np.unique(vals[ok], return_inverse=True)
        codes = np.full(len(vals), -1, dtype=np.intp)
        codes[ok] = inv
        return codes, tuple(_level_text(v) for v in uniq)
    cat = pd.Categorical(col)
    try:
        cats = sorted(cat.categories)
    except TypeError:
        cats = sorted(cat.categories, key=str)
    cat = pd.Categorical(col, categories=cats)
    return cat.codes.astype(np.intp), tuple(_level_text(v) for v in cats)


def _level_text(v: Any) -> str:
    """A level as R's ``as.character`` writes it (numbers with 15 significant digits)."""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        from aurora.distributions._rformat import r_format

        return r_format(float(v))
    return str(v)
