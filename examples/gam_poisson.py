"""A Poisson GAM with an offset: daily hospital admissions per head of population.

Four districts of different sizes report their daily count of respiratory admissions for
two years. The admission rate per 100,000 people follows the season (a cyclic smooth of
the day of the year, so that 31 December meets 1 January) and the day's temperature (cold
days are worse), and differs between districts. Population enters as the offset
``log(pop / 1e5)``: the model is for the rate, and a district twice the size expects twice
the admissions.

The data are simulated with NumPy (a fixed seed) and written to ``gam_poisson.csv``, so
that this R session gives the same numbers::

    library(mgcv)
    d <- read.csv("gam_poisson.csv")
    d$district <- factor(d$district, levels = c("north", "east", "south", "west"))
    m <- gam(admissions ~ district + s(doy, bs = "cc", k = 12) + s(temp)
               + offset(log(pop / 1e5)),
             data = d, family = poisson, method = "REML",
             knots = list(doy = c(0.5, 365.5)))
    summary(m)
    png("gam_poisson.png", width = 800, height = 360)
    plot(m, pages = 1); dev.off()
    new <- data.frame(district = "north", pop = 250000,
                      doy = c(15, 105, 196, 288), temp = c(-2, 9, 21, 11))
    p <- predict(m, new, se.fit = TRUE)           # link scale, offset included
    z <- qnorm(0.975)
    cbind(new, expected = exp(p$fit), lower_95 = exp(p$fit - z * p$se.fit),
          upper_95 = exp(p$fit + z * p$se.fit))
    predict(m, new, type = "response", se.fit = TRUE)
    m_arg <- gam(admissions ~ district + s(doy, bs = "cc", k = 12) + s(temp),
                 offset = log(pop / 1e5), data = d, family = poisson, method = "REML",
                 knots = list(doy = c(0.5, 365.5)))
    predict(m_arg, new, type = "response")        # the offset is left out

The offset is written in the formula, so ``predict`` on new data reads each new row's
population. An offset passed as ``offset=`` to ``aurora.gam`` (mgcv's ``offset =``
argument) is left out of predictions for new data, in aurora as in mgcv. Aurora's
``predict`` takes an ``offset=`` for the new rows (mgcv's has no such argument).

Usage::

    python examples/gam_poisson.py [OUTPUT_DIR]

``gam_poisson.csv`` and ``gam_poisson.png`` go to ``OUTPUT_DIR``, else to
``$AURORA_EXAMPLES_OUT``, else to a new temporary directory (never the repository).
"""
from __future__ import annotations

import os
import sys
import tempfile

import numpy as np
import pandas as pd
from scipy import stats

import aurora

DISTRICTS = {"north": 180_000, "east": 420_000, "south": 95_000, "west": 260_000}


def output_dir() -> str:
    """argv[1], else $AURORA_EXAMPLES_OUT, else a fresh temporary directory."""
    if len(sys.argv) > 1:
        out = sys.argv[1]
    else:
        out = os.environ.get("AURORA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="aurora-examples-")
    os.makedirs(out, exist_ok=True)
    return out


def simulate(days: int = 730, seed: int = 7) -> pd.DataFrame:
    """Daily admissions in four districts: season, temperature, district, population."""
    rng = np.random.default_rng(seed)
    doy = np.arange(days) % 365 + 1.0
    season = np.cos(2 * np.pi * (doy - 20) / 365)                 # peaks in late January
    temp = (10 - 9 * season + rng.normal(scale=3, size=days)).round(1)
    rows = []
    for j, (name, pop) in enumerate(DISTRICTS.items()):
        log_rate = (np.log(3.0) + 0.1 * j + 0.35 * season
                    + 0.25 * np.exp(-(temp + 2) ** 2 / 40))        # cold-day excess
        mu = pop / 1e5 * np.exp(log_rate)
        rows.append(pd.DataFrame({"admissions": rng.poisson(mu), "district": name,
                                  "pop": pop, "doy": doy, "temp": temp}))
    d = pd.concat(rows, ignore_index=True)
    d["district"] = pd.Categorical(d["district"], categories=list(DISTRICTS))
    return d


def main() -> None:
    out = output_dir()
    d = simulate()
    d.to_csv(os.path.join(out, "gam_poisson.csv"), index=False)
    print(f"{len(d)} district-days, {int(d['admissions'].sum())} admissions")

    # bs = "cc" with knots at 0.5 and 365.5: day 365 and day 1 are neighbours.
    m = aurora.gam("admissions ~ district + s(doy, bs = 'cc', k = 12) + s(temp)"
                   " + offset(log(pop / 1e5))",
                   data=d, family="poisson", knots={"doy": [0.5, 365.5]})
    print(m.summary())

    path = os.path.join(out, "gam_poisson.png")
    m.plot(path=path)  # log rate ratios: the smooths are on the scale of the linear predictor
    print(f"\nSmooths saved to {path}")

    # Expected admissions for a district of 250,000 people on four days of the year, with
    # 95% intervals built on the link scale and transformed (they stay positive).
    new = pd.DataFrame({"district": pd.Categorical(["north"] * 4, categories=list(DISTRICTS)),
                        "pop": [250_000] * 4, "doy": [15.0, 105.0, 196.0, 288.0],
                        "temp": [-2.0, 9.0, 21.0, 11.0]})
    link = m.predict(new, se_fit=True)
    z = stats.norm.ppf(0.975)
    table = new.drop(columns="district").assign(
        expected=np.exp(link["fit"]),
        lower_95=np.exp(link["fit"] - z * link["se_fit"]),
        upper_95=np.exp(link["fit"] + z * link["se_fit"]))
    print("\nExpected daily admissions, population 250,000 (district north):")
    print(table.round(3).to_string(index=False))

    resp = m.predict(new, type="response", se_fit=True)
    print("\nThe same on the response scale with delta-method standard errors "
          "(predict(m, new, type = 'response', se.fit = TRUE)):")
    print(resp.round(4).to_string())

    # The same model with the offset as an argument instead of a formula term: the fit is
    # identical, but predict() on new data leaves that offset out (as mgcv's predict.gam)
    # unless it is given again.
    m_arg = aurora.gam("admissions ~ district + s(doy, bs = 'cc', k = 12) + s(temp)", data=d,
                       family="poisson", knots={"doy": [0.5, 365.5]},
                       offset=np.log(d["pop"] / 1e5))
    without = m_arg.predict(new, type="response")
    with_offset = m_arg.predict(new, type="response", offset=np.log(new["pop"] / 1e5))
    print("\noffset= given to the fit: same coefficients "
          f"({np.allclose(m_arg.coef, m.coef)}); predictions for the new rows")
    print(pd.DataFrame({"without offset": without, "offset given to predict": with_offset})
          .round(4).to_string())


if __name__ == "__main__":
    main()
