"""Predictions of a linear mixed model for new data (lme4's ``predict.merMod``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import FactorLevelError, ModelSpecError, UnknownVariableError

__all__ = ["predict_mixed", "select_terms"]


def select_terms(terms: Any, re_form: Any) -> list[int]:
    """Indices of the terms that ``re_form`` keeps: all (None), none (``"~0"``, ``"NA"``,
    ``0``), or the terms whose bars appear in a formula such as ``"~ (1 | g)"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> rt = build_random_terms(parse("y ~ (1 | g) + (1 | h)").random_effects,
    ...                         pd.DataFrame({"g": list("aabb"), "h": list("abab")}))
    >>> select_terms(rt, "~0"), select_terms(rt, "~(1 | h)")
    ([], [1])
    """
    if re_form is None:
        return list(range(len(terms.terms)))
    text = str(re_form).strip()
    if text in ("NA", "~0", "~ 0", "0", "~-1") or (not isinstance(re_form, str) and
                                                    not re_form):
        return []
    from aurora.formula import parse

    body = text[1:] if text.startswith("~") else text
    bars = parse(f"y ~ {body}").random_effects
    wanted = {(r.group, r.intercept, tuple(p.expr for p in r.terms)) for r in bars}
    keep = []
    for i, t in enumerate(terms.terms):
        bar = t.spec.bar
        if (bar.group, bar.intercept, tuple(p.expr for p in bar.terms)) in wanted:
            keep.append(i)
    if len(wanted) and not keep:
        raise ModelSpecError(f"re_form {re_form!r} names no random-effect term of the model",
                             "use None, '~0' or bars that appear in the model's formula")
    return keep


def predict_mixed(m: Any, newdata: Any, re_form: Any, allow_new_levels: bool,
                  offset: Any = None) -> pd.Series:
    """See :meth:`aurora.models.mixed_result.MixedResult.predict`; ``offset`` (one value
    per row of ``newdata``) replaces the ``offset=`` argument of the fit for new data (it
    is required when that was an array)."""
    keep = select_terms(m.terms, re_form)
    beta = m.fixef.to_numpy(dtype=float)
    if newdata is None:
        if len(keep) == len(m.terms.terms):
            eta = getattr(m, "_eta", None)  # a GLMM's linear predictor
            return m.fitted.rename("predict") if eta is None else m._rows(eta, "predict")
        eta = m.problem.X @ beta + m.plan.offset + _z_part(m.terms, keep, m._b(), None, None)
        return m._rows(eta, "predict")
    from aurora.compile.frame import as_frame

    data = as_frame(newdata)
    spec = m.plan.spec
    X = spec.model_matrix(data)
    cols = [list(spec.column_names).index(c) for c in m.column_names]
    eta = X[:, cols] @ beta + spec.offset(data, offset)
    if keep:
        eta = eta + _z_part(m.terms, keep, m._b(), data, allow_new_levels)
    return pd.Series(eta, index=data.index, name="predict")


def _z_part(terms: Any, keep: list[int], b: np.ndarray, data: pd.DataFrame | None,
            allow_new: bool | None) -> np.ndarray:
    off = terms.b_offsets
    n = terms.terms[0].codes.shape[0] if data is None else len(data)
    out = np.zeros(n)
    for i in keep:
        t = terms.terms[i]
        bt = b[off[i]:off[i + 1]].reshape(t.nl, t.k)
        if data is None:
            codes, X = t.codes, t.X
        else:
            needed = list(t.spec.group_variables) + [v for p in t.spec.bar.terms
                                                      for v in p.variables]
            missing = [v for v in dict.fromkeys(needed) if v not in data.columns]
            if missing:
                raise UnknownVariableError(missing[0], [str(c) for c in data.columns])
            codes = t.spec.codes(data)
            new = codes < 0
            if new.any() and not allow_new:
                from aurora.compile.random_terms import factor_labels

                labels, _ = factor_labels(data, t.spec.group_variables)
                unseen = sorted({str(v) for v in labels[new]})
                raise FactorLevelError(
                    f"new levels detected in newdata for grouping factor {t.spec.group_name!r}: "
                    f"{unseen[:10]}",
                    "pass allow_new_levels=True to predict the population value for them")
            X = t.spec.model_matrix(data)
        ok = codes >= 0
        out[ok] += np.einsum("nk,nk->n", X[ok], bt[codes[ok]])
    return out
