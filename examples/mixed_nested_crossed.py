"""Nested and crossed random effects, on two simulated designs.

**Nested**: pupils in classes in schools. 15 schools with 4 classes each; the classes are
labelled ``a`` to ``d`` *within* each school, so class ``a`` of school 1 has nothing to
do with class ``a`` of school 2. ``(1 | school/class)`` is lme4's shorthand for
``(1 | school) + (1 | school:class)``: a random intercept per school and one per class
within school (60 classes). Writing ``(1 | school) + (1 | class)`` instead would treat the
four labels as four classes shared by all schools, a different (crossed) model; with
labels unique across schools (``class_id``) both spellings give the nested model.

**Crossed**: 40 subjects each respond to the same 24 items (words in a reaction-time
experiment), so every subject meets every item: ``(1 | subject) + (1 | item)``. Half the
items are ``hard``, a fixed effect of the item.

The data are simulated with NumPy (a fixed seed) and written to ``mixed_nested.csv`` and
``mixed_crossed.csv``, so that this R session gives the same numbers::

    library(lme4)
    nested <- read.csv("mixed_nested.csv", stringsAsFactors = TRUE)
    m_nest <- lmer(score ~ ses + (1 | school/class), data = nested)
    summary(m_nest)
    VarCorr(m_nest)
    # the same model, spelled out, and with class labels unique across schools
    m_same <- lmer(score ~ ses + (1 | school) + (1 | school:class), data = nested)
    m_uniq <- lmer(score ~ ses + (1 | school) + (1 | class_id), data = nested)
    # the pitfall: four classes shared by all schools
    m_wrong <- lmer(score ~ ses + (1 | school) + (1 | class), data = nested)
    ngrps(m_wrong)

    crossed <- read.csv("mixed_crossed.csv", stringsAsFactors = TRUE)
    crossed$difficulty <- factor(crossed$difficulty, levels = c("easy", "hard"))
    m_cross <- lmer(rt ~ difficulty + (1 | subject) + (1 | item), data = crossed)
    summary(m_cross)
    VarCorr(m_cross)
    head(ranef(m_cross)$subject)

Usage::

    python examples/mixed_nested_crossed.py [OUTPUT_DIR]

``mixed_nested.csv``, ``mixed_crossed.csv`` and ``mixed_nested_crossed.png`` (shrinkage:
each group's raw mean deviation against its conditional mode) go to ``OUTPUT_DIR``, else
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


def output_dir() -> str:
    """argv[1], else $AURORA_EXAMPLES_OUT, else a fresh temporary directory."""
    if len(sys.argv) > 1:
        out = sys.argv[1]
    else:
        out = os.environ.get("AURORA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="aurora-examples-")
    os.makedirs(out, exist_ok=True)
    return out


def simulate_nested(seed: int = 5) -> pd.DataFrame:
    """Test scores of 12 pupils in each of 4 classes in each of 15 schools: school SD 4,
    class-within-school SD 2.5, pupil SD 6, and 2 points per unit of ``ses``."""
    rng = np.random.default_rng(seed)
    n_school, n_class, n_pupil = 15, 4, 12
    school = np.repeat(np.arange(1, n_school + 1), n_class * n_pupil)
    klass = np.tile(np.repeat(list("abcd"), n_pupil), n_school)
    class_index = np.repeat(np.arange(n_school * n_class), n_pupil)
    ses = rng.normal(size=school.size).round(2)
    score = (50 + 2 * ses + rng.normal(0, 4, n_school)[school - 1]
             + rng.normal(0, 2.5, n_school * n_class)[class_index]
             + rng.normal(0, 6, school.size))
    return pd.DataFrame({
        "score": score.round(2),
        "ses": ses,
        "school": pd.Categorical([f"s{i:02d}" for i in school]),
        "class": pd.Categorical(klass),
        "class_id": pd.Categorical([f"s{i:02d}{c}" for i, c in zip(school, klass)]),
    })


def simulate_crossed(seed: int = 6) -> pd.DataFrame:
    """Reaction times (ms) of 40 subjects to the same 24 items, 12 of them hard: subject
    SD 50, item SD 30, residual SD 80, hard items 45 ms slower."""
    rng = np.random.default_rng(seed)
    n_subject, n_item = 40, 24
    subject = np.repeat(np.arange(n_subject), n_item)
    item = np.tile(np.arange(n_item), n_subject)
    hard = item % 2 == 1
    rt = (600 + 45 * hard + rng.normal(0, 50, n_subject)[subject]
          + rng.normal(0, 30, n_item)[item] + rng.normal(0, 80, subject.size))
    return pd.DataFrame({
        "rt": rt.round(1),
        "difficulty": pd.Categorical(np.where(hard, "hard", "easy"),
                                     categories=["easy", "hard"]),
        "subject": pd.Categorical([f"p{i + 1:02d}" for i in subject]),
        "item": pd.Categorical([f"w{i + 1:02d}" for i in item]),
    })


def raw_deviation(d: pd.DataFrame, response: str, group: str, fitted_fixed: pd.Series) -> pd.Series:
    """Each group's mean residual from the fixed effects alone (no shrinkage)."""
    return (d[response] - fitted_fixed).groupby(d[group], observed=True).mean()


def shrinkage_panel(ax, raw: pd.Series, mode: pd.Series, title: str) -> None:
    mode = mode.reindex(raw.index)
    lim = 1.1 * float(np.max(np.abs(np.r_[raw.to_numpy(), mode.to_numpy()])))
    ax.plot([-lim, lim], [-lim, lim], color="0.6", lw=1, ls="--", label="no shrinkage")
    ax.scatter(raw, mode, s=18)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("raw mean deviation")
    ax.set_ylabel("conditional mode (ranef)")
    ax.set_title(title)
    ax.legend(loc="upper left", frameon=False)


def main() -> None:
    out = output_dir()

    # ------------------------------------------------------------ nested
    nested = simulate_nested()
    nested.to_csv(os.path.join(out, "mixed_nested.csv"), index=False)
    m_nest = aurora.lmer("score ~ ses + (1 | school/class)", nested, data_name="nested")
    print(m_nest.summary())
    print("\nVarCorr(m_nest):")
    print(m_nest.varcorr().to_string(index=False))

    m_same = aurora.lmer("score ~ ses + (1 | school) + (1 | school:class)", nested)
    m_uniq = aurora.lmer("score ~ ses + (1 | school) + (1 | class_id)", nested)
    m_wrong = aurora.lmer("score ~ ses + (1 | school) + (1 | class)", nested)
    print("\nREML criterion of the three spellings of the nested model:")
    for label, fit in [("(1 | school/class)", m_nest),
                       ("(1 | school) + (1 | school:class)", m_same),
                       ("(1 | school) + (1 | class_id)", m_uniq)]:
        print(f"  {label:36s} {fit.reml_criterion:.6f}  groups {fit.ngrps}")
    print(f"  {'(1 | school) + (1 | class)':36s} {m_wrong.reml_criterion:.6f}  groups "
          f"{m_wrong.ngrps}  <- not nested: 4 classes shared by all schools")

    # ------------------------------------------------------------ crossed
    crossed = simulate_crossed()
    crossed.to_csv(os.path.join(out, "mixed_crossed.csv"), index=False)
    m_cross = aurora.lmer("rt ~ difficulty + (1 | subject) + (1 | item)", crossed,
                          data_name="crossed")
    print()
    print(m_cross.summary())
    print("\nVarCorr(m_cross):")
    print(m_cross.varcorr().to_string(index=False))
    vc = m_cross.varcorr().set_index("grp")["vcov"]
    total = vc.sum()
    print("\nShare of the variance: " + ", ".join(
        f"{g} {100 * v / total:.1f}%" for g, v in vc.items()))

    # ------------------------------------------------------------ shrinkage plot
    # A group's conditional mode is its raw mean deviation pulled towards 0, the more so
    # the fewer its rows and the smaller its variance component relative to the residual.
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
    fixed = m_nest.predict(re_form="~0")
    shrinkage_panel(axes[0], raw_deviation(nested, "score", "school", fixed),
                    m_nest.ranef()["school"]["(Intercept)"], "schools (1 | school/class)")
    fixed = m_cross.predict(re_form="~0")
    shrinkage_panel(axes[1], raw_deviation(crossed, "rt", "subject", fixed),
                    m_cross.ranef()["subject"]["(Intercept)"], "subjects (1 | subject)")
    shrinkage_panel(axes[2], raw_deviation(crossed, "rt", "item", fixed),
                    m_cross.ranef()["item"]["(Intercept)"], "items (1 | item)")
    fig.tight_layout()
    path = os.path.join(out, "mixed_nested_crossed.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"\nShrinkage plot saved to {path}")


if __name__ == "__main__":
    main()
