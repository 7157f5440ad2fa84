"""Tables of a fitted mixed model in lme4's layout: ``VarCorr``, ``ranef``, theta names,
``anova`` and the data of ``summary``."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["make_unique", "theta_names", "vc_terms", "varcorr_frame", "ranef_frames",
           "ranef_long", "anova_table", "build_summary", "build_glmer_summary", "lme4_formula"]


def make_unique(names: Sequence[str]) -> list[str]:
    """R's ``make.unique``: later duplicates get ``.1``, ``.2``...

    Examples
    --------
    >>> make_unique(["g", "g", "h", "g"])
    ['g', 'g.1', 'h', 'g.2']
    """
    seen: dict[str, int] = {}
    out = []
    used = set(names)
    for n in names:
        if n not in seen:
            seen[n] = 0
            out.append(n)
            continue
        k = seen[n]
        while True:
            k += 1
            cand = f"{n}.{k}"
            if cand not in used:
                break
        seen[n] = k
        used.add(cand)
        out.append(cand)
    return out


def theta_names(terms: Any) -> list[str]:
    """lme4's names of ``theta``: ``g.(Intercept)``, ``g.t.(Intercept)``, ``g.t``."""
    from aurora.compile.random_terms import theta_layout

    out = []
    for t in terms.terms:
        nm = t.spec.column_names
        for i, j in zip(*theta_layout(t.k)):
            g = t.spec.group_name
            out.append(f"{g}.{nm[i]}" if i == j else f"{g}.{nm[i]}.{nm[j]}")
    return out


def sd_corr(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviations and correlations of a covariance matrix (R's ``cov2cor``; a
    zero SD gives NaN correlations, the diagonal is 1).

    >>> sd, corr = sd_corr(np.array([[4.0, 1.0], [1.0, 1.0]]))
    >>> sd.tolist(), corr[0, 1]
    ([2.0, 1.0], np.float64(0.5))
    """
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    return sd, corr


def vc_terms(terms: Any, theta: np.ndarray, sigma: float) -> list[dict]:
    """Per term: printed group name, column names, covariance, SDs and correlations."""
    blocks = terms.lambda_blocks(np.asarray(theta, dtype=float))
    groups = make_unique([t.spec.group_name for t in terms.terms])
    out = []
    for g, t, T in zip(groups, terms.terms, blocks):
        cov = sigma ** 2 * (T @ T.T)
        sd, corr = sd_corr(cov)
        out.append({"group": g, "names": list(t.spec.column_names), "cov": cov, "sd": sd,
                    "corr": corr})
    return out


def varcorr_frame(terms: Any, theta: np.ndarray, sigma: float,
                  residual: bool = True) -> pd.DataFrame:
    """R's ``as.data.frame(VarCorr(m))`` (no ``Residual`` row for a GLMM without a scale:
    ``residual=False``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": list("abab")}))
    >>> varcorr_frame(rt, np.array([2.0]), 1.0)["vcov"].tolist()
    [4.0, 1.0]
    """
    rows = []
    for t in vc_terms(terms, theta, sigma):
        nm, cov, sd, corr = t["names"], t["cov"], t["sd"], t["corr"]
        for i, n in enumerate(nm):
            rows.append((t["group"], n, np.nan, cov[i, i], sd[i]))
        for i in range(len(nm)):
            for j in range(i + 1, len(nm)):
                rows.append((t["group"], nm[i], nm[j], cov[i, j], corr[i, j]))
    if residual:
        rows.append(("Residual", np.nan, np.nan, sigma ** 2, sigma))
    return pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])


def _by_group(terms: Any) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(terms.terms):
        groups.setdefault(t.spec.group_name, []).append(i)
    return groups


def ranef_frames(terms: Any, b: np.ndarray, cond: list[np.ndarray] | None) -> dict[str, pd.DataFrame]:
    """lme4's ``ranef(m)``: one DataFrame per grouping factor (rows: levels)."""
    off = terms.b_offsets
    out = {}
    for g, idx in _by_group(terms).items():
        parts, cols, cvs = [], [], []
        for i in idx:
            t = terms.terms[i]
            parts.append(b[off[i]:off[i + 1]].reshape(t.nl, t.k))
            cols += list(t.spec.column_names)
            if cond is not None:
                cvs.append(cond[i])
        df = pd.DataFrame(np.hstack(parts), index=pd.Index(terms.terms[idx[0]].spec.levels),
                          columns=cols)
        if cond is not None:
            df.attrs["condVar"] = cvs[0] if len(cvs) == 1 else cvs
            sds = np.hstack([np.sqrt(np.diagonal(c, axis1=1, axis2=2)) for c in cvs])
            df.attrs["condsd"] = pd.DataFrame(sds, index=df.index, columns=cols)
        out[g] = df
    return out


def ranef_long(terms: Any, b: np.ndarray, cond: list[np.ndarray]) -> pd.DataFrame:
    """lme4's ``as.data.frame(ranef(m, condVar = TRUE))``."""
    frames = []
    for g, df in ranef_frames(terms, b, cond).items():
        sd = df.attrs["condsd"]
        for c in range(df.shape[1]):
            frames.append(pd.DataFrame({"grpvar": g, "term": df.columns[c],
                                        "grp": df.index.astype(str),
                                        "condval": df.iloc[:, c].to_numpy(),
                                        "condsd": sd.iloc[:, c].to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def lme4_formula(text: str, cutoff: int = 60) -> str:
    """The formula as lme4 prints it: R's deparse, with ``(x || g)`` expanded to
    ``((1 | g) + (0 + x | g))`` (lme4's ``expandDoubleVerts``).

    Examples
    --------
    >>> lme4_formula("y~x+(x||g)")
    'y ~ x + ((1 | g) + (0 + x | g))'
    """
    from aurora.report._rdeparse import deparse, parse_or_none

    node = parse_or_none(text)
    if node is None:
        return " ".join(text.split())
    return deparse(_expand_double_verts(node), cutoff)


def _expand_double_verts(node: Any) -> Any:
    from aurora.report._rdeparse import deparse, parse_or_none
    from aurora.report._rparse import Arg, Call, Sym

    if not isinstance(node, Call):
        return node
    if isinstance(node.fn, Sym) and node.fn.name == "||" and len(node.args) == 2:
        from aurora.formula import parse

        lhs, grp = deparse(node.args[0].value, 500), deparse(node.args[1].value, 500)
        f = parse(f"y ~ {lhs}")
        trms = (["1"] if f.intercept else []) + [f"0+{t.expr}" for t in f.parametric]
        new = parse_or_none("(" + ")+(".join(f"{t}|{grp}" for t in trms) + ")")
        return new if new is not None else node
    return Call(_expand_double_verts(node.fn),
                tuple(Arg(a.name, _expand_double_verts(a.value)) for a in node.args), node.kind)


def anova_table(models: list[Any], names: Sequence[str] | None, refit: bool = True):
    """lme4's ``anova(m1, m2, ...)`` for merMod fits."""
    from aurora.inference._table import AnovaTable

    if len({m.nobs for m in models}) > 1:
        raise ValueError("models were not all fitted to the same size of dataset")
    names = list(names) if names is not None else [f"MODEL{i + 1}" for i in range(len(models))]
    if len(names) != len(models):
        raise ValueError("model names vector and model list have different lengths")
    if refit:
        models = [m.refit_ml() for m in models]
    order = sorted(range(len(models)), key=lambda i: models[i].npar)
    models = [models[i] for i in order]
    names = [names[i] for i in order]
    llk = np.array([m.loglik for m in models])
    npar = np.array([m.npar for m in models], dtype=float)
    chisq = np.r_[np.nan, 2 * np.maximum(0, np.diff(llk))]
    df = np.r_[np.nan, np.diff(npar)]
    with np.errstate(invalid="ignore"):
        p = np.where(df == 0, np.nan, stats.chi2.sf(chisq, df))
    table = AnovaTable({"npar": npar, "AIC": [m.aic for m in models],
                        "BIC": [m.bic for m in models], "logLik": llk, "deviance": -2 * llk,
                        "Chisq": chisq, "Df": df, "Pr(>Chisq)": p}, index=names,
                       heading=[f"Data: {models[0].call.get('data', 'data')}", "Models:"]
                       + [f"{n}: {lme4_formula(str(m.call.get('formula', '')), 500)}"
                          for n, m in zip(names, models)])
    return table


def build_summary(m: Any):
    """The :class:`~aurora.report.mixed.MixedSummary` of a fit."""
    from aurora.report.mixed import MixedSummary

    call = m.call
    lines = [("Formula:", lme4_formula(str(call.get("formula", ""))))]
    for key, label in (("data", "   Data:"), ("weights", "Weights:"), ("offset", " Offset:"),
                       ("subset", " Subset:")):
        if call.get(key):
            lines.append((label, str(call[key])))
    aictab = {}
    if not m.REML:
        aictab = {"AIC": m.aic, "BIC": m.bic, "logLik": m.loglik,
                  "deviance": m._devcrit(False), "df.resid": float(m.df_resid)}
    se, corr = sd_corr(m._vcov)
    coefs = pd.DataFrame({"Estimate": m.fixef.to_numpy(), "Std. Error": se,
                          "t value": m.fixef.to_numpy() / se}, index=list(m.column_names))
    scaled = m.residuals("pearson", scaled=True).dropna().to_numpy()
    vc = vc_terms(m.terms, m.fit.theta, m.sigma)
    return MixedSummary(m.REML, tuple(lines), m.reml_criterion if m.REML else m._devcrit(False),
                        aictab, scaled, vc, m.sigma, m.nobs, dict(m.ngrps), coefs, corr,
                        m.varcorr(), tuple(m.fit_messages), tuple(m.fit.messages),
                        m.fit.optimizer)


def build_glmer_summary(m: Any):
    """The :class:`~aurora.report.mixed.MixedSummary` of a GLMM (lme4's
    ``summary.merMod`` of a ``glmerMod``: z values and their p-values, no residual row
    for families without a scale)."""
    from aurora.report.mixed import MixedSummary, glmm_title

    base = build_summary_lines(m)
    aictab = {"AIC": m.aic, "BIC": m.bic, "logLik": m.loglik, "deviance": -2 * m.loglik,
              "df.resid": float(m.df_resid)}
    se, corr = sd_corr(m._vcov)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = m.fixef.to_numpy() / se
    coefs = pd.DataFrame({"Estimate": m.fixef.to_numpy(), "Std. Error": se,
                          f"{'t' if m._use_scale else 'z'} value": z,
                          "Pr(>|z|)": 2 * stats.norm.sf(np.abs(z))},
                         index=list(m.column_names))
    scaled = m.residuals("pearson", scaled=True).dropna().to_numpy()
    vc = vc_terms(m.terms, m.fit.theta, m.sigma)
    opt_msgs = tuple(m.fit.messages) + tuple(m.fit.warnings)
    return MixedSummary(False, base, m.fit.deviance, aictab, scaled, vc, m.sigma, m.nobs,
                        dict(m.ngrps), coefs, corr, m.varcorr(), tuple(m.fit_messages),
                        opt_msgs, m.fit.optimizer, title=glmm_title(m.nAGQ),
                        family=(m.family, m.link), use_scale=m._use_scale,
                        optimizer_code=int(m.fit.optimizer_code),
                        optimizer_message=m.fit.optimizer_message)


def build_summary_lines(m: Any) -> tuple:
    """The call lines (``Formula:``, ``Data:``, ``Weights:``...) of a summary."""
    call = m.call
    lines = [("Formula:", lme4_formula(str(call.get("formula", ""))))]
    for key, label in (("data", "   Data:"), ("weights", "Weights:"), ("offset", " Offset:"),
                       ("subset", " Subset:")):
        if call.get(key):
            lines.append((label, str(call[key])))
    return tuple(lines)
