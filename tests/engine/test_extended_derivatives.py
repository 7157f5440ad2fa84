"""Exact derivatives in the extended families' parameters against central differences.

mgcv's ``gam.fit4``/``gdi2`` differentiate the REML/ML criterion in the family parameters
(negative binomial theta, Tweedie p, beta precision, scaled-t df and scale, each on mgcv's
working scale ``x``) exactly; so does :func:`aurora.engine.reml.add_derivatives`. Checked here,
per family and for links other than the default: the deviance derivatives in ``x`` (mgcv's
``Dth``, ``Dmuth``, ... of ``Dd(level = 2)``), their ``eta`` versions (``dDeta``), the
saturated log-likelihood's (``lsth1``, ``lsth2`` and, for tw, the cross derivative with the
log scale), the Tweedie series' derivatives in p, and the criterion's gradient and Hessian
in all outer parameters (log sp, ``x``, log scale) together with ``d beta / dx``.
"""
from __future__ import annotations

import numpy as np
import pytest

from aurora.distributions import get_family
from aurora.distributions._tweedie import ld_tweedie_saturated_derivs
from aurora.engine.design import DenseDesign
from aurora.engine.extended import ExtendedCalculus
from aurora.engine.outer import _Outer
from aurora.engine.reml import Problem
from aurora.engine.reparam import setup_penalties

# (family, working parameters x at which to check)
FAMILIES = [
    ("nb", [np.log(2.5)]),
    ('nb(link="sqrt")', [np.log(0.7)]),
    ("tw", [0.3]),
    ("tw", [-1.2]),
    ('tw(link="sqrt")', [0.8]),
    ("betar", [np.log(6.0)]),
    ('betar(link="probit")', [np.log(3.0)]),
    ('betar(link="cloglog")', [np.log(10.0)]),
    ("scat", [np.log(2.0), np.log(0.8)]),
    ('scat(link="log")', [np.log(7.0), np.log(1.3)]),
]
H = 1e-5  # central-difference step in x


def _data(kind: str, n: int = 250, seed: int = 1):
    """Covariates and a response of the family's kind, with a mean ``mu`` inside its range."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.uniform(size=n), rng.uniform(size=n)
    f = np.sin(2 * np.pi * x1) / 2 + (x2 - 0.5)
    if kind == "nb":
        mu = np.exp(1 + f)
        y = rng.negative_binomial(3, 3 / (3 + mu)).astype(float)
    elif kind == "tw":
        mu = np.exp(0.5 + f)
        counts = rng.poisson(mu ** 0.4 / 0.6)
        y = np.array([rng.gamma(0.9 * c, 0.6 * m ** 0.6) if c else 0.0 for c, m in zip(counts, mu)])
    elif kind == "betar":
        mu = 1 / (1 + np.exp(-f))
        y = np.clip(rng.beta(6 * mu, 6 * (1 - mu)), 1e-4, 1 - 1e-4)
        mu = np.clip(mu * 0.9 + 0.05, 0.05, 0.95)
    else:
        mu = 8 + f
        y = mu + 0.8 * rng.standard_t(4, size=n)
    return x1, x2, y, mu


def _calc(spec: str, x) -> ExtendedCalculus:
    return ExtendedCalculus(get_family(spec), x=np.array(x, dtype=float))


def _kind(spec: str) -> str:
    return spec.split("(")[0]


@pytest.mark.parametrize("spec,x", FAMILIES)
def test_deviance_derivatives_in_theta(spec, x):
    """``Dd(level = 2)``: derivatives in x of the deviance and of its mu derivatives."""
    fc = _calc(spec, x)
    _, _, y, mu = _data(_kind(spec))
    w = np.linspace(0.5, 1.5, y.size)
    d = fc.dd_theta(y, mu, w)
    nf = len(x)

    def at(xx):
        f = fc.at(np.array(xx))
        return (f.dev_resids(y, mu, w),) + f.dd(y, mu, w)[:3]

    names1 = ("Dth", "Dmuth", "Dmu2th", "Dmu3th")
    names2 = ("Dth2", "Dmuth2", "Dmu2th2")
    for j in range(nf):
        e = np.zeros(nf)
        e[j] = H
        up, dn = at(np.array(x) + e), at(np.array(x) - e)
        for k, key in enumerate(names1):
            fd = (up[k] - dn[k]) / (2 * H)
            np.testing.assert_allclose(d[key][:, j], fd, rtol=1e-6,
                                       atol=1e-7 * np.max(np.abs(fd)), err_msg=key)
        # second derivatives: differences of the exact first derivatives
        dup, ddn = fc.at(np.array(x) + e).dd_theta(y, mu, w), fc.at(np.array(x) - e).dd_theta(y, mu, w)
        for key in names2:
            fd = (dup[key[:-1]] - ddn[key[:-1]]) / (2 * H)  # d/dx_j of the first derivatives
            for c, (a, b) in enumerate(fc.pairs()):
                if j in (a, b):
                    other = b if a == j else a
                    np.testing.assert_allclose(d[key][:, c], fd[:, other], rtol=1e-6,
                                               atol=1e-7 * np.max(np.abs(fd[:, other])) + 1e-12,
                                               err_msg=f"{key} {a}{b}")


@pytest.mark.parametrize("spec,x", FAMILIES)
def test_eta_derivatives_in_theta(spec, x):
    """``dDeta``: the x derivatives of ``Deta``, ``Deta2``, ``Deta3`` (through the link)."""
    fc = _calc(spec, x)
    _, _, y, mu = _data(_kind(spec))
    w = np.ones_like(y)
    eta = fc.linkfun(mu)
    d = fc.deta_theta(y, mu, eta, w)
    nf = len(x)
    for j in range(nf):
        e = np.zeros(nf)
        e[j] = H
        up = fc.at(np.array(x) + e).deta(y, mu, eta, w)
        dn = fc.at(np.array(x) - e).deta(y, mu, eta, w)
        for k, key in enumerate(("Detath", "Deta2th", "Deta3th")):
            fd = (up[k] - dn[k]) / (2 * H)
            np.testing.assert_allclose(d[key][:, j], fd, rtol=1e-6,
                                       atol=1e-7 * np.max(np.abs(fd)), err_msg=key)
        dup = fc.at(np.array(x) + e).deta_theta(y, mu, eta, w)
        ddn = fc.at(np.array(x) - e).deta_theta(y, mu, eta, w)
        for key, first in (("Detath2", "Detath"), ("Deta2th2", "Deta2th")):
            fd = (dup[first] - ddn[first]) / (2 * H)
            for c, (a, b) in enumerate(fc.pairs()):
                if j in (a, b):
                    other = b if a == j else a
                    np.testing.assert_allclose(d[key][:, c], fd[:, other], rtol=1e-6,
                                               atol=1e-7 * np.max(np.abs(fd[:, other])) + 1e-12,
                                               err_msg=key)


@pytest.mark.parametrize("spec,x", FAMILIES)
def test_saturated_loglik_derivatives_in_theta(spec, x):
    """``ls``: ``lsth1``, ``lsth2`` and (tw) the cross derivative with log scale."""
    fc = _calc(spec, x)
    _, _, y, _ = _data(_kind(spec))
    w = np.linspace(0.5, 1.5, y.size)
    scale = 1.3
    l1, l2, lc = fc.ls_theta(y, w, scale)
    nf = len(x)
    for j in range(nf):
        e = np.zeros(nf)
        e[j] = H
        fp, fm = fc.at(np.array(x) + e), fc.at(np.array(x) - e)
        fd1 = (fp.ls(y, w, scale)[0] - fm.ls(y, w, scale)[0]) / (2 * H)
        assert fd1 == pytest.approx(l1[j], rel=1e-7, abs=1e-8)
        fd2 = (fp.ls_theta(y, w, scale)[0] - fm.ls_theta(y, w, scale)[0]) / (2 * H)
        np.testing.assert_allclose(l2[j], fd2, rtol=1e-6, atol=1e-7)
    # d2 ls / dx dlog(scale)
    hs = 1e-5
    up = fc.ls_theta(y, w, scale * np.exp(hs))[0]
    dn = fc.ls_theta(y, w, scale * np.exp(-hs))[0]
    np.testing.assert_allclose(lc, (up - dn) / (2 * hs), rtol=1e-6, atol=1e-7)


def test_tweedie_series_derivatives_in_p():
    """The saturated Tweedie log density's p derivatives (term by term in the series), against
    fourth-order differences (for y up to 25: beyond, the density is a small difference of
    large terms and differences lose too many digits)."""
    y = np.array([0.0, 1e-3, 0.05, 0.7, 1.0, 3.2, 25.0])
    h = 1e-4

    def d4(f, col_f, col_d):
        """Five-point derivative of column ``col_f`` of ``f(t)`` at 0; exact ``col_d``."""
        v = {t: f(t) for t in (-2, -1, 1, 2)}
        fd = (8 * (v[1][col_f] - v[-1][col_f]) - (v[2][col_f] - v[-2][col_f])) / (12 * h)
        np.testing.assert_allclose(f(0)[col_d], fd, rtol=1e-6, atol=1e-8)

    for p, phi in ((1.2, 0.3), (1.5, 1.2), (1.93, 4.0), (1.3, 0.2)):
        in_p = lambda t: ld_tweedie_saturated_derivs(y, p + t * h, phi)  # noqa: E731
        in_rho = lambda t: ld_tweedie_saturated_derivs(y, p, phi * np.exp(t * h))  # noqa: E731
        d4(in_p, 0, 3)  # d/dp
        d4(in_p, 3, 4)  # d2/dp2
        d4(in_p, 1, 5)  # d2/dp drho, both ways
        d4(in_rho, 3, 5)
        d4(in_rho, 0, 1)  # d/drho, d2/drho2
        d4(in_rho, 1, 2)
        out = ld_tweedie_saturated_derivs(y, p, phi)
        assert all(v[0] == 0 for v in out)  # y = 0: the saturated density is 1


def test_tweedie_series_derivatives_near_p_1():
    """Near p = 1 (the density's p derivatives grow like powers of 1/(p-1)), for large y and
    for small scales differences lose too many digits: the series is summed in 30-digit
    arithmetic instead. (In double precision the second derivatives keep about 6 digits
    there: the series' terms are large and cancel, in mgcv's ``tweedious`` too.)"""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30

    def ld(y, p, rho):
        y, a = mp.mpf(y), (2 - p) / (p - 1)
        logz = a * mp.log(y) - a * mp.log(p - 1) - rho / (p - 1) - mp.log(2 - p)
        jmax = max(1, int(mp.nint(y ** (2 - p) / (mp.e ** rho * (2 - p)))))
        lw = lambda j: j * logz - mp.loggamma(j + 1) - mp.loggamma(a * j)  # noqa: E731
        total = mp.mpf(0)
        for step in (1, -1):
            j = jmax if step == 1 else jmax - 1
            while j >= 1:
                t = lw(j) - lw(jmax)
                total += mp.e ** t
                if t < -75:
                    break
                j += step
        return (y ** (2 - p) / ((1 - p) * (2 - p) * mp.e ** rho) - mp.log(y) + lw(jmax)
                + mp.log(total))

    for y, p, phi in ((25.0, 1.05, 0.3), (0.7, 1.02, 0.5), (400.0, 1.2, 0.3), (25.0, 1.3, 0.02)):
        P, R = mp.mpf(p), mp.log(mp.mpf(phi))
        exact = [mp.diff(lambda q: ld(y, q, R), P, 1), mp.diff(lambda q: ld(y, q, R), P, 2),
                 mp.diff(lambda q, r: ld(y, q, r), (P, R), (1, 1))]
        out = ld_tweedie_saturated_derivs(np.array([y]), p, phi)
        np.testing.assert_allclose([out[3][0], out[4][0], out[5][0]],
                                   [float(v) for v in exact], rtol=1e-5)


def _outer(spec: str, x, criterion: str = "REML") -> tuple[_Outer, np.ndarray]:
    """A two-smooth problem (cosine bases in two covariates, second-difference penalties)
    and the outer parameter vector (log sp, x, log scale for tw) at which to check."""
    kind = _kind(spec)
    x1, x2, y, _ = _data(kind)
    n, k = y.size, 7
    cols = [np.ones(n)]
    for v in (x1, x2):
        B = np.column_stack([np.cos(np.pi * j * v) for j in range(1, k + 1)])
        cols.append(B - B.mean(axis=0))
    X = np.column_stack(cols)
    D = np.diff(np.eye(k), 2, axis=0)
    S = D.T @ D + 1e-3 * np.eye(k)
    pen = setup_penalties([(S, 1), (S, 1 + k)], X.shape[1])
    fam = _calc(spec, x)
    scale = 0.0 if kind == "tw" else 1.0
    w = np.ones(n)
    c0 = float(fam.linkfun(np.array(np.mean(y))))
    null = np.linalg.lstsq(X, np.full(n, c0), rcond=None)[0]
    prob = Problem(design=DenseDesign(X), y=y, w=w, offset=np.zeros(n), fam=fam, pen=pen,
                   criterion=criterion, scale=scale, gamma=1.2, null_coef=null, epsilon=1e-13)
    theta = np.r_[np.log([3.0, 0.5]), x]
    if prob.scale_as_param:
        theta = np.append(theta, np.log(1.1))
    return _Outer(prob, np.eye(2), np.zeros(2), len(x)), theta


@pytest.mark.parametrize("spec,x,criterion", [(s, x, "REML") for s, x in FAMILIES]
                         + [("nb", [np.log(2.5)], "ML"), ("tw", [0.3], "ML"),
                            ("scat", [np.log(2.0), np.log(0.8)], "ML")])
def test_criterion_derivatives_in_all_outer_parameters(spec, x, criterion):
    """Gradient and Hessian of REML/ML in (log sp, x, log scale) and ``d beta / dx``,
    against central differences of the score, the exact gradient and the coefficients."""
    outer, theta = _outer(spec, x, criterion)
    fit = outer(theta, None, 2)
    g, hs = fit.g, fit.h
    nf, k = outer.nf, outer.L.shape[1]
    for j in range(theta.size):
        e = np.zeros(theta.size)
        e[j] = H
        up, dn = outer(theta + e, fit.beta, 2), outer(theta - e, fit.beta, 2)
        fd = (up.score - dn.score) / (2 * H)
        assert abs(fd - g[j]) < 1e-8 * (1 + abs(fit.score)), (j, fd, g[j])
        fdh = (up.g - dn.g) / (2 * H)
        assert np.max(np.abs(fdh - hs[j])) < 1e-8 * (1 + np.max(np.abs(hs))), (j, fdh, hs[j])
        if k <= j < k + nf:
            fdb = (up.beta - dn.beta) / (2 * H)
            np.testing.assert_allclose(fit.db_dx[:, j - k], fdb, rtol=1e-5,
                                       atol=1e-6 * np.max(np.abs(fdb)))
