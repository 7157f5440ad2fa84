"""Longitudinal data: a random intercept and a random slope per subject, on ChickWeight.

R's ``ChickWeight`` (shipped with aurora) follows 50 chicks from birth to day 21, each on
one of four diets, weighed every other day. Chicks differ in birth weight and, above all,
in how fast they grow, so the model gives every chick its own intercept and slope in
``Time``, drawn from a joint normal distribution (lme4's ``(1 + Time | Chick)``), around
fixed effects for time and diet. This is the R session it mirrors::

    library(lme4)
    m <- lmer(weight ~ Time + Diet + (1 + Time | Chick), data = ChickWeight)
    summary(m)
    VarCorr(m)                       # as.data.frame(VarCorr(m)) for the table
    head(ranef(m)$Chick)             # conditional modes of each chick's deviations
    head(as.data.frame(ranef(m, condVar = TRUE)))
    head(coef(m)$Chick)              # fixed effects + each chick's deviations
    # does the growth rate depend on diet? (anova refits both models by ML)
    m2 <- lmer(weight ~ Time * Diet + (1 + Time | Chick), data = ChickWeight)
    anova(m, m2)
    # predictions: a chick not in the data (the population curve) and chick 1
    new <- data.frame(Time = c(0, 10, 21), Diet = factor(1, levels = 1:4), Chick = "new")
    predict(m, new, allow.new.levels = TRUE)
    predict(m, new, re.form = NA)      # the same: the population curve
    predict(m, transform(new, Chick = "1"))
    library(lattice); dotplot(ranef(m, condVar = TRUE))   # caterpillar plot

The random intercept and slope are strongly negatively correlated (about -0.98): chicks
that start heavy tend to grow more slowly. lme4's default optimiser stops on this flat
criterion slightly before the optimum, so its fixed effects differ from aurora's in the
fourth decimal; lme4 with a tighter tolerance (``lmerControl(optCtrl = list(xtol_rel =
1e-12, ftol_rel = 1e-14))``) gives aurora's numbers to every printed digit.

Usage::

    python examples/mixed_longitudinal.py [OUTPUT_DIR]

``mixed_longitudinal.png`` (observed growth per chick with each chick's fitted line and
the population line of its diet) and ``mixed_longitudinal_caterpillar.png`` (each chick's
conditional modes with 95% intervals) go to ``OUTPUT_DIR``, else to
``$AURORA_EXAMPLES_OUT``, else to a new temporary directory (never the repository).
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
from aurora.errors import FactorLevelError  # noqa: E402
from aurora.plot.mixed import plot_ranef  # noqa: E402


def output_dir() -> str:
    """argv[1], else $AURORA_EXAMPLES_OUT, else a fresh temporary directory."""
    if len(sys.argv) > 1:
        out = sys.argv[1]
    else:
        out = os.environ.get("AURORA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="aurora-examples-")
    os.makedirs(out, exist_ok=True)
    return out


def spaghetti(d: pd.DataFrame, m, path: str) -> None:
    """One panel per diet: each chick's weights (grey), its fitted line (colour: the
    fixed effects plus its conditional modes) and the diet's population line (black)."""
    d = d.assign(fitted=m.fitted)
    grid = np.linspace(0, 21, 50)
    fig, axes = plt.subplots(2, 2, figsize=(10, 8), sharex=True, sharey=True)
    for ax, diet in zip(axes.flat, d["Diet"].cat.categories):
        sub = d[d["Diet"] == diet]
        chicks = sub["Chick"].cat.remove_unused_categories().cat.categories
        colours = plt.cm.viridis(np.linspace(0, 0.9, len(chicks)))
        for chick, colour in zip(chicks, colours):
            one = sub[sub["Chick"] == chick]
            ax.plot(one["Time"], one["weight"], "o-", color="0.75", ms=2.5, lw=0.8)
            ax.plot(one["Time"], one["fitted"], "-", color=colour, lw=1.2)
        new = pd.DataFrame({"Time": grid,
                            "Diet": pd.Categorical([diet] * len(grid),
                                                   categories=d["Diet"].cat.categories)})
        ax.plot(grid, m.predict(new, re_form="~0"), "k-", lw=2.5, label="population")
        ax.set_title(f"Diet {diet} ({len(chicks)} chicks)")
        ax.legend(loc="upper left", frameon=False)
    for ax in axes[1]:
        ax.set_xlabel("Time (days)")
    for ax in axes[:, 0]:
        ax.set_ylabel("weight (g)")
    fig.suptitle("weight ~ Time + Diet + (1 + Time | Chick): observed (grey), "
                 "per-chick fit (colour)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    out = output_dir()
    d = aurora.datasets.load("ChickWeight")

    m = aurora.lmer("weight ~ Time + Diet + (1 + Time | Chick)", d, data_name="ChickWeight")
    print(m.summary())

    print("\nVariance components (as.data.frame(VarCorr(m))):")
    print(m.varcorr().to_string(index=False))

    # Conditional modes: each chick's deviation from the fixed intercept and slope, with
    # its conditional standard deviation (the uncertainty of that prediction).
    re = m.ranef(cond_var=True)["Chick"]
    condsd = re.attrs["condsd"]
    print("\nConditional modes, first six chicks (ranef(m)$Chick) and their conditional SDs:")
    print(re.join(condsd.add_suffix(" sd")).head(6).round(3).to_string())
    # coef(m)$Chick: each chick's intercept (at diet 1) and slope
    per_chick = re + m.fixef[["(Intercept)", "Time"]].to_numpy()
    fastest = per_chick["Time"].idxmax()
    print(f"\nFastest-growing chick: {fastest} ({per_chick.loc[fastest, 'Time']:.2f} g/day; "
          f"the mean slope is {m.fixef['Time']:.2f})")

    # Does the growth rate depend on the diet? anova refits both models by ML first.
    m2 = aurora.lmer("weight ~ Time * Diet + (1 + Time | Chick)", d, data_name="ChickWeight")
    print()
    print(m.anova(m2, model_names=["m", "m2"]))

    # Prediction. A chick not seen in the fit gets the population curve of its diet
    # (lme4's allow.new.levels = TRUE); re_form="~0" asks for that curve directly.
    diet = pd.Categorical(["1"] * 3, categories=d["Diet"].cat.categories)
    new = pd.DataFrame({"Time": [0.0, 10.0, 21.0], "Diet": diet, "Chick": ["new"] * 3})
    pred = pd.DataFrame({
        "Time": new["Time"],
        "new chick": m.predict(new),
        "population (re_form='~0')": m.predict(new, re_form="~0"),
        "chick 1": m.predict(new.assign(Chick="1")),
    })
    print("\nPredicted weight (g) on diet 1:")
    print(pred.round(2).to_string(index=False))
    try:
        m.predict(new, allow_new_levels=False)
    except FactorLevelError as err:
        print(f"\nWith allow_new_levels=False a new chick is refused: {err.message}")

    path = os.path.join(out, "mixed_longitudinal.png")
    spaghetti(d, m, path)
    # Caterpillar plot: each chick's conditional modes with mode +- 1.96 conditional SD,
    # chicks sorted by their intercept (lattice's dotplot(ranef(m, condVar = TRUE))).
    cat_path = os.path.join(out, "mixed_longitudinal_caterpillar.png")
    plot_ranef(m, kind="caterpillar", path=cat_path)
    print(f"\nGrowth curves saved to {path}, conditional modes to {cat_path}")


if __name__ == "__main__":
    main()
