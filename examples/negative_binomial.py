"""Overdispersed counts: Poisson against negative binomial on ``warpbreaks``.

Mirrors this R session::

    library(MASS)
    pois <- glm(breaks ~ wool + tension, family = poisson, data = warpbreaks)
    summary(pois)
    sum(residuals(pois, type = "pearson")^2) / df.residual(pois)  # overdispersion
    nb  <- glm.nb(breaks ~ wool + tension, data = warpbreaks)      # theta estimated
    summary(nb)
    nb2 <- glm.nb(breaks ~ wool * tension, data = warpbreaks)
    AIC(pois, nb, nb2); BIC(pois, nb, nb2)
    anova(nb, nb2)                                                 # LR test, MASS layout

Aurora estimates theta as ``MASS::glm.nb`` does (alternating ``theta.ml`` and IRLS) when
the family is ``"negative_binomial"`` without a theta; ``aurora.compare`` puts the
models side by side as ``AIC(m1, m2, ...)`` and ``BIC(...)`` do.
"""
from __future__ import annotations

import numpy as np

import aurora


def main() -> None:
    warpbreaks = aurora.datasets.load("warpbreaks")

    pois = aurora.glm("breaks ~ wool + tension", data=warpbreaks, family="poisson")
    print(pois.summary())
    ratio = float(np.sum(pois.residuals("pearson") ** 2) / pois.df_residual)
    print(f"\nPearson chi-square / df = {ratio:.3f}: far above 1, the counts are overdispersed")

    nb = aurora.glm("breaks ~ wool + tension", data=warpbreaks, family="negative_binomial")
    print(nb.summary())
    print(f"\ntheta = {nb.theta:.4f} (SE {nb.estimates.theta_se:.4f}); "
          "Var(Y) = mu + mu^2 / theta")

    nb_int = aurora.glm("breaks ~ wool * tension", data=warpbreaks, family="negative_binomial")
    print("\nModel comparison (R: AIC(pois, nb, nb2) and BIC(...)):")
    table = aurora.compare(pois, nb, nb_int, names=["poisson", "negbin", "negbin + wool:tension"])
    print(table.round(3).to_string())
    best = table["AIC"].idxmin()
    print(f"lowest AIC: {best}")

    print()
    print(nb.anova(nb_int))


if __name__ == "__main__":
    main()
