"""Approximate significance of GAM smooths and the rest of mgcv's ``summary.gam``.

Reimplements, from the algorithms, mgcv (1.8-41):

* ``testStat`` (type 0): Wood (2013a), "On p-values for smooth components of an extended
  generalized additive model", Biometrika 100(1), 221-228. The statistic uses a rank-``r``
  pseudo-inverse of the smooth's Bayesian covariance, ``r`` the smooth's ``edf1``; a
  fractional ``r`` blends the last two eigen-directions, and the null distribution is a
  weighted sum of chi-squares evaluated by Davies' (1980) algorithm.
* ``reTest``: Wood (2013b), "A simple test for random effects in regression models",
  Biometrika 100(4), 1005-1010, used for penalised smooths without a null space (``re``,
  ``cs``, ``ts``).
* ``psum.chisq`` / Davies (1980), Algorithm AS 155, J. R. Statist. Soc. C 29, 323-333, and
  the ``liu2`` fallback (Liu, Tang & Zhang 2009).
* ``summary.gam``'s parametric table (Bayesian ``Vp``), parametric Wald terms, R-sq.(adj),
  deviance explained, and ``logLik.gam``'s degrees of freedom (``edf2`` based).

Everything works on plain arrays gathered in :class:`SmoothFitSummaryInput`, so any fitted
GAM can fill it. This module is the public face; the code lives in
:mod:`aurora.inference._smooth_input` (the inputs), :mod:`aurora.inference._smooth_stat`
(``testStat``, ``reTest``), :mod:`aurora.inference._gam_summary` (``summary.gam``,
``logLik.gam``) and :mod:`aurora.inference._davies`.
"""
from __future__ import annotations

from aurora.inference._davies import davies, liu2, psum_chisq
from aurora.inference._gam_summary import (GAMSummaryStats, LogLik, aic_gam, bic_gam,
                                           loglik_gam, summary_gam)
from aurora.inference._smooth_input import (SmoothFitSummaryInput, SmoothInfo,
                                            SmoothTestResult)
from aurora.inference._smooth_stat import re_test, smooth_test

__all__ = ["SmoothInfo", "SmoothFitSummaryInput", "SmoothTestResult", "GAMSummaryStats",
           "LogLik", "smooth_test", "re_test", "psum_chisq", "liu2", "davies",
           "summary_gam", "loglik_gam", "aic_gam", "bic_gam"]
