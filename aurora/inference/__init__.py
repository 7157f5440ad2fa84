"""Inference for fitted GLMs: analysis of deviance, Wald and likelihood-ratio tests,
profile-likelihood confidence intervals.

R counterparts: ``anova.glm`` (sequential and model comparison), ``car::Anova`` (types
II and III), ``car::linearHypothesis``, ``anova(m0, m1, test = "LRT")`` and
``profile``/``confint`` on a glm (MASS's ``profile.glm``).

>>> import aurora
>>> from aurora.inference import anova_type, wald_test
>>> m = aurora.glm("count ~ spray", aurora.datasets.load("InsectSprays"), family="poisson")
>>> float(wald_test(m, "sprayB = 0")["Df"].iloc[1])
1.0
"""
from aurora.inference._table import AnovaTable
from aurora.inference.anova import anova_glm, stat_anova
from aurora.inference.car import anova_type
from aurora.inference.profile import ParameterProfile, confint_profile, profile_glm
from aurora.inference.tests import lr_test, make_hypothesis, wald_test

__all__ = ["AnovaTable", "anova_glm", "stat_anova", "anova_type", "wald_test", "lr_test",
           "make_hypothesis", "profile_glm", "confint_profile", "ParameterProfile"]
