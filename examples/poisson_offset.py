"""Poisson rate model with an exposure offset: insurance claims per policy-year.

Mirrors this R session (run it on the ``claims.csv`` this script writes when given an
output directory, to compare the numbers line by line)::

    claims <- read.csv("claims.csv", stringsAsFactors = TRUE)
    claims$region <- factor(claims$region, levels = c("north", "south", "east"))
    fit <- glm(n_claims ~ region + age + offset(log(exposure)),
               family = poisson, data = claims)
    summary(fit)
    new <- data.frame(region = c("north", "south", "east"), age = c(30, 45, 60),
                      exposure = c(1, 1, 0.5))
    p <- predict(fit, new, type = "response", se.fit = TRUE)
    eta <- predict(fit, new, se.fit = TRUE)
    exp(eta$fit + outer(eta$se.fit, qnorm(c(0.025, 0.975))))   # 95% CI, response scale
    anova(fit, test = "Chisq")

The data are simulated (a fixed seed) so that the script runs anywhere in a second:
each policy has an exposure in years, a region and the driver's age, and its number of
claims is Poisson with mean ``exposure * rate(region, age)``. The offset
``log(exposure)`` makes the coefficients log rate ratios per policy-year.

Usage::

    python examples/poisson_offset.py [OUTPUT_DIR]

``OUTPUT_DIR`` (or the environment variable ``AURORA_EXAMPLES_OUT``) is optional; when
given, the simulated data are written there as ``claims.csv``.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd

import aurora


def simulate_claims(n: int = 2000, seed: int = 20240501) -> pd.DataFrame:
    """Policies with exposure (years), region, driver age and a Poisson claim count."""
    rng = np.random.default_rng(seed)
    region = pd.Categorical(rng.choice(["north", "south", "east"], size=n, p=[0.4, 0.35, 0.25]),
                            categories=["north", "south", "east"])
    age = rng.integers(18, 80, size=n).astype(float)
    exposure = np.round(rng.uniform(0.1, 1.0, size=n), 3)
    log_rate = -1.2 + np.select([region == "south", region == "east"], [0.35, -0.25], 0.0) \
        - 0.012 * (age - 45)
    n_claims = rng.poisson(exposure * np.exp(log_rate)).astype(float)
    return pd.DataFrame({"n_claims": n_claims, "region": region, "age": age,
                         "exposure": exposure})


def output_dir() -> str | None:
    """Where to write files: argv[1], else $AURORA_EXAMPLES_OUT, else nowhere."""
    if len(sys.argv) > 1:
        return sys.argv[1]
    return os.environ.get("AURORA_EXAMPLES_OUT") or None


def main() -> None:
    claims = simulate_claims()
    out = output_dir()
    if out:
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, "claims.csv")
        claims.to_csv(path, index=False)
        print(f"simulated data written to {path}")

    print(f"{len(claims)} policies, {claims['exposure'].sum():.1f} policy-years, "
          f"{int(claims['n_claims'].sum())} claims")

    fit = aurora.glm("n_claims ~ region + age + offset(log(exposure))", data=claims,
                     family="poisson")
    print(fit.summary())

    # Rate ratios with Wald limits (R: exp(cbind(coef(fit), confint.default(fit))))
    ratios = np.exp(pd.concat([fit.params.rename("rate ratio"), fit.conf_int(method="Wald")], axis=1))
    print("\nRate ratios per policy-year (Wald 95% limits):")
    print(ratios.round(4).to_string())

    # Predictions for new policies: the offset term reads their own exposure.
    new = pd.DataFrame({"region": pd.Categorical(["north", "south", "east"],
                                                 categories=["north", "south", "east"]),
                        "age": [30.0, 45.0, 60.0],
                        "exposure": [1.0, 1.0, 0.5]})
    pred = fit.predict(new, type="response", se_fit=True)
    lower, upper = fit.predict(new, type="response", interval="confidence")
    table = new.assign(expected_claims=pred["fit"].to_numpy(), se=pred["se_fit"].to_numpy(),
                       lower_95=lower, upper_95=upper)
    print("\nExpected claims for new policies (response scale, 95% CI from the link scale):")
    print(table.round(5).to_string(index=False))

    print()
    print(fit.anova(test="Chisq"))


if __name__ == "__main__":
    main()
