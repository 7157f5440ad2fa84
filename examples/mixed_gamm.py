"""An additive mixed model (gamm4's ``gamm4``): a smooth growth curve per diet and a random
intercept per chick, on ChickWeight.

Chicks do not grow linearly, and the diets change the shape of growth, not only its
level; chicks also differ in size. A GAMM puts both in one model: ``s(Time, by = Diet)``
fits one smooth curve per diet, ``(1 | Chick)`` a random intercept per chick. As gamm4
does, every smooth is re-parametrised as a mixed-model term (its unpenalised part as fixed
effects, its penalised part as an i.i.d. random effect whose variance plays the role of
the smoothing parameter), and everything is estimated by lme4's REML in one fit. The
result has two views, as gamm4's: ``m.gam`` (mgcv's: smooths, edf, ``summary(m$gam)``,
population predictions) and ``m.mer`` (lme4's: variance components, ``summary(m$mer)``,
the chicks' conditional modes).

This is the R session it mirrors::

    library(gamm4)
    d <- ChickWeight   # aurora ships Chick as an unordered factor with R's level order
    m <- gamm4(weight ~ Diet + s(Time, by = Diet, k = 5), random = ~ (1 | Chick), data = d)
    summary(m$gam)
    summary(m$mer)
    VarCorr(m$mer)
    # one common curve shape against a curve per diet, compared by ML
    m0 <- gamm4(weight ~ Diet + s(Time, k = 5), random = ~ (1 | Chick), data = d,
                REML = FALSE)
    m1 <- gamm4(weight ~ Diet + s(Time, by = Diet, k = 5), random = ~ (1 | Chick),
                data = d, REML = FALSE)
    anova(m0$mer, m1$mer)
    new <- data.frame(Time = 0:21, Diet = factor(3, levels = 1:4))
    predict(m$gam, new, se.fit = TRUE)           # population curve of diet 3
    plot(m$gam, pages = 1)
    lattice::dotplot(ranef(m$mer, condVar = TRUE))$Chick

Usage::

    python examples/mixed_gamm.py [OUTPUT_DIR]

``mixed_gamm.png`` (the diets' population growth curves with 95% bands over the data),
``mixed_gamm_smooths.png`` (mgcv's plot of the four smooths) and
``mixed_gamm_caterpillar.png`` (the chicks' conditional modes) go to ``OUTPUT_DIR``, else
to ``$AURORA_EXAMPLES_OUT``, else to a new temporary directory (never the repository).
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
from aurora.api import gamm  # noqa: E402  (aurora.gamm)
from aurora.plot.mixed import plot_ranef  # noqa: E402

FORMULA = "weight ~ Diet + s(Time, by = Diet, k = 5) + (1 | Chick)"


def output_dir() -> str:
    """argv[1], else $AURORA_EXAMPLES_OUT, else a fresh temporary directory."""
    if len(sys.argv) > 1:
        out = sys.argv[1]
    else:
        out = os.environ.get("AURORA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="aurora-examples-")
    os.makedirs(out, exist_ok=True)
    return out


def growth_curves(d: pd.DataFrame, m, path: str) -> pd.DataFrame:
    """Each diet's population curve (no chick effect) with a 95% band, over its data;
    returns the predictions."""
    diets = d["Diet"].cat.categories
    grid = np.linspace(0, 21, 85)
    fig, axes = plt.subplots(1, len(diets), figsize=(14, 4), sharey=True)
    rows = []
    for ax, diet in zip(axes, diets):
        new = pd.DataFrame({"Time": grid,
                            "Diet": pd.Categorical([diet] * len(grid), categories=diets)})
        p = m.gam.predict(new, se_fit=True)
        sub = d[d["Diet"] == diet]
        ax.plot(sub["Time"], sub["weight"], "o", color="0.7", ms=2.5)
        ax.fill_between(grid, p["fit"] - 1.96 * p["se_fit"], p["fit"] + 1.96 * p["se_fit"],
                        color=f"C{int(diet) - 1}", alpha=0.3)
        ax.plot(grid, p["fit"], color=f"C{int(diet) - 1}", lw=2)
        ax.set_title(f"Diet {diet}")
        ax.set_xlabel("Time (days)")
        rows.append(new.assign(fit=p["fit"].to_numpy(), se_fit=p["se_fit"].to_numpy()))
    axes[0].set_ylabel("weight (g)")
    fig.suptitle(f"{FORMULA}: population curves (m.gam.predict), 95% bands")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    out = output_dir()
    d = aurora.datasets.load("ChickWeight")

    m = gamm(FORMULA, d)
    print(m.gam.summary())   # mgcv's summary(m$gam): lmer.REML is the mixed model's criterion
    print()
    print(m.mer.summary())   # lme4's summary(m$mer): the smooths appear as Xr terms

    vc = m.mer.varcorr()
    print("\nVariance components (VarCorr(m$mer)):")
    print(vc.to_string(index=False))
    print("\nedf of the smooths (summary(m$gam)$edf):",
          m.gam.edf.round(3).to_dict())

    # One common curve shape (shifted per diet) against a curve per diet: compare the
    # mixed models by maximum likelihood, as gamm4 users do with anova(m0$mer, m1$mer).
    m0 = gamm("weight ~ Diet + s(Time, k = 5) + (1 | Chick)", d, REML=False)
    m1 = gamm(FORMULA, d, REML=False)
    print()
    print(m0.mer.anova(m1.mer, model_names=["m0", "m1"]))

    path = os.path.join(out, "mixed_gamm.png")
    pred = growth_curves(d, m, path)
    day21 = pred[pred["Time"] == 21.0].set_index("Diet")[["fit", "se_fit"]]
    print("\nPopulation weight on day 21 by diet (m.gam.predict, no chick effect):")
    print(day21.round(2).to_string())

    smooth_path = os.path.join(out, "mixed_gamm_smooths.png")
    m.gam.plot(data=d, path=smooth_path)   # the fit keeps no model frame: give the data
    cat_path = os.path.join(out, "mixed_gamm_caterpillar.png")
    plot_ranef(m.mer, term="Chick", path=cat_path)
    print(f"\nPlots saved to {path}, {smooth_path} and {cat_path}")


if __name__ == "__main__":
    main()
