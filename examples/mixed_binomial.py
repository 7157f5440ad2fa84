"""A binomial GLMM: recovery of patients treated in 30 clinics (lme4's ``glmer``).

Each patient recovers or not (0/1), after a drug or a placebo, at some age; patients of
the same clinic share unmeasured conditions, so the model has a random intercept per
clinic on the logit scale. ``glmer`` maximises the likelihood with the random effects
integrated out, by the Laplace approximation (``nAGQ = 1``, lme4's default) or, for a
single scalar random effect like this one, by adaptive Gauss-Hermite quadrature
(``nAGQ = 10``: more accurate, slower). ``method="PQL"`` is MASS's ``glmmPQL``, an older
approximation shown for comparison.

The fixed effects are *conditional* on the clinic: ``exp(treatmentdrug)`` is the odds ratio
of the drug for two patients of the same clinic. Population-averaged (marginal)
probabilities are closer to 0.5 than the conditional ones at a zero random effect.

The data are simulated with NumPy (a fixed seed) and written to ``mixed_binomial.csv``, so
that this R session gives the same numbers::

    library(lme4)
    d <- read.csv("mixed_binomial.csv", stringsAsFactors = TRUE)
    d$treatment <- factor(d$treatment, levels = c("placebo", "drug"))
    m <- glmer(recovered ~ treatment + age + (1 | clinic), data = d, family = binomial)
    summary(m)
    m10 <- update(m, nAGQ = 10)
    c(logLik(m), logLik(m10)); fixef(m10); VarCorr(m10)
    pql <- MASS::glmmPQL(recovered ~ treatment + age, random = ~ 1 | clinic,
                         family = binomial, data = d)
    fixef(pql); VarCorr(pql)
    exp(confint(m, method = "Wald"))[-1, ]        # odds ratios
    # the same model on counts per clinic and treatment: cbind(successes, failures)
    agg <- aggregate(cbind(succ = recovered, n = 1) ~ clinic + treatment, data = d, sum)
    m_agg <- glmer(cbind(succ, n - succ) ~ treatment + (1 | clinic), data = agg,
                   family = binomial)
    m_01 <- glmer(recovered ~ treatment + (1 | clinic), data = d, family = binomial)
    rbind(fixef(m_agg), fixef(m_01))
    anova(m_01, m)                                # is age needed?
    new <- data.frame(treatment = c("placebo", "drug"), age = 50, clinic = "c01")
    predict(m, new, type = "response")            # in clinic c01
    predict(m, new, type = "response", re.form = NA)  # at a zero clinic effect
    library(lattice); dotplot(ranef(m, condVar = TRUE))

Usage::

    python examples/mixed_binomial.py [OUTPUT_DIR]

``mixed_binomial.csv``, ``mixed_binomial.png`` (predicted probability of recovery by
age: at a zero clinic effect, averaged over clinics, and per clinic) and
``mixed_binomial_caterpillar.png`` (the clinics' conditional modes with 95% intervals) go
to ``OUTPUT_DIR``, else to ``$AURORA_EXAMPLES_OUT``, else to a new temporary directory
(never the repository).
"""
from __future__ import annotations

import os
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import aurora  # noqa: E402
from aurora.plot.mixed import plot_ranef  # noqa: E402

TREATMENTS = ["placebo", "drug"]


def output_dir() -> str:
    """argv[1], else $AURORA_EXAMPLES_OUT, else a fresh temporary directory."""
    if len(sys.argv) > 1:
        out = sys.argv[1]
    else:
        out = os.environ.get("AURORA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="aurora-examples-")
    os.makedirs(out, exist_ok=True)
    return out


def simulate(seed: int = 12) -> pd.DataFrame:
    """15 to 44 patients in each of 30 clinics; logit of recovery -0.3 + 0.9 drug
    - 0.03 (age - 50) + clinic effect (SD 0.8)."""
    rng = np.random.default_rng(seed)
    n_clinic = 30
    clinic = np.repeat(np.arange(n_clinic), rng.integers(15, 45, n_clinic))
    n = clinic.size
    drug = rng.integers(0, 2, n)
    age = rng.uniform(20, 80, n).round(0)
    eta = -0.3 + 0.9 * drug - 0.03 * (age - 50) + rng.normal(0, 0.8, n_clinic)[clinic]
    recovered = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({
        "recovered": recovered,
        "treatment": pd.Categorical(np.array(TREATMENTS)[drug], categories=TREATMENTS),
        "age": age,
        "clinic": pd.Categorical([f"c{i + 1:02d}" for i in clinic]),
    })


def curves(d: pd.DataFrame, m, path: str) -> None:
    """Probability of recovery by age, per treatment: at a zero clinic effect (the
    conditional curve, solid), averaged over the fitted clinics (dashed), and each
    clinic's own curve (thin)."""
    ages = np.linspace(20, 80, 61)
    clinics = d["clinic"].cat.categories
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, treatment in zip(axes, TREATMENTS):
        grid = pd.DataFrame({
            "treatment": pd.Categorical([treatment] * len(ages), categories=TREATMENTS),
            "age": ages})
        per_clinic = np.column_stack([
            m.predict(grid.assign(clinic=c), type="response") for c in clinics])
        ax.plot(ages, per_clinic, color="0.8", lw=0.7)
        ax.plot(ages, per_clinic.mean(axis=1), "k--", lw=2, label="average over clinics")
        ax.plot(ages, m.predict(grid, type="response", re_form="~0"), "C3", lw=2.5,
                label="clinic effect 0 (re_form='~0')")
        ax.set_title(treatment)
        ax.set_xlabel("age")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("P(recovered)")
    axes[1].legend(loc="lower left", frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    out = output_dir()
    d = simulate()
    d.to_csv(os.path.join(out, "mixed_binomial.csv"), index=False)

    m = aurora.glmer("recovered ~ treatment + age + (1 | clinic)", d, family="binomial",
                     data_name="d")
    print(m.summary())

    # Adaptive Gauss-Hermite quadrature: allowed because (1 | clinic) is the only
    # random effect and it is scalar; the Laplace approximation is already close here.
    m10 = aurora.glmer("recovered ~ treatment + age + (1 | clinic)", d, family="binomial",
                       nAGQ=10, data_name="d")
    # Penalised quasi-likelihood (MASS::glmmPQL): iterated linear mixed models on working
    # responses. Not a likelihood method (no logLik); with binary data its variance
    # estimate and fixed effects are shrunk towards zero.
    pql = aurora.glmer("recovered ~ treatment + age + (1 | clinic)", d, family="binomial",
                       method="PQL")
    fits = {"Laplace": m, "nAGQ = 10": m10, "PQL": pql}
    table = pd.DataFrame({name: fit.fixef for name, fit in fits.items()})
    table.loc["clinic SD"] = [fit.varcorr()["sdcor"].iloc[0] for fit in fits.values()]
    table.loc["logLik"] = [fit.loglik for fit in fits.values()]
    print("\nLaplace, adaptive Gauss-Hermite quadrature and PQL:")
    print(table.to_string(float_format=lambda v: f"{v:.6f}"))

    # Odds ratios with Wald intervals (the variance parameter's row is NaN, as in lme4).
    ci = m.conf_int(method="Wald").dropna().drop(index="(Intercept)")
    print("\nOdds ratios, 95% Wald intervals:")
    print(np.exp(ci.assign(OR=m.fixef.drop("(Intercept)"))[["OR", "2.5 %", "97.5 %"]])
          .round(3).to_string())

    # Counts per clinic and treatment, as cbind(successes, failures): the same fixed
    # effects and variance as the 0/1 fit of the same model (the deviances differ by a
    # constant, the binomial coefficients).
    agg = (d.groupby(["clinic", "treatment"], observed=True)["recovered"]
           .agg(succ="sum", n="count").reset_index())
    agg["fail"] = agg["n"] - agg["succ"]
    m_agg = aurora.glmer("cbind(succ, fail) ~ treatment + (1 | clinic)", agg,
                         family="binomial")
    m_01 = aurora.glmer("recovered ~ treatment + (1 | clinic)", d, family="binomial",
                        data_name="d")
    print("\ncbind(succ, fail) on", len(agg), "rows against 0/1 on", len(d), "rows:")
    print(pd.DataFrame({"cbind": m_agg.fixef, "0/1": m_01.fixef}).round(6).to_string())

    # Is age needed? A likelihood-ratio test of the nested GLMMs.
    print()
    print(m_01.anova(m, model_names=["m_01", "m"]))

    # Predictions on the probability scale: in clinic c01, and at a zero clinic effect.
    new = pd.DataFrame({"treatment": pd.Categorical(TREATMENTS, categories=TREATMENTS),
                        "age": [50.0, 50.0], "clinic": ["c01", "c01"]})
    pred = pd.DataFrame({
        "treatment": TREATMENTS,
        "clinic c01": m.predict(new, type="response").to_numpy(),
        "clinic effect 0": m.predict(new, type="response", re_form="~0").to_numpy(),
    })
    print("\nP(recovered) at age 50:")
    print(pred.round(4).to_string(index=False))

    path = os.path.join(out, "mixed_binomial.png")
    curves(d, m, path)
    cat_path = os.path.join(out, "mixed_binomial_caterpillar.png")
    plot_ranef(m, kind="caterpillar", path=cat_path)
    print(f"\nPlots saved to {path} and {cat_path}")


if __name__ == "__main__":
    main()
