"""An additive model on simulated data: four smooths, one of them pure noise.

The data follow mgcv's ``gamSim(1)``: four uniform covariates, ``y = f0(x0) + f1(x1) +
f2(x2) + noise`` with ``f0 = 2 sin(pi x)``, ``f1 = exp(2x)``, ``f2`` a bump-and-dip curve,
Gaussian noise of standard deviation 2, and no effect of ``x3``. They are simulated with
NumPy (a fixed seed), so the rows differ from ``gamSim``'s; the script writes them to
``gam_additive.csv`` so that this R session gives the same numbers::

    library(mgcv)
    d <- read.csv("gam_additive.csv")
    m <- gam(y ~ s(x0) + s(x1) + s(x2) + s(x3), data = d, method = "REML")
    summary(m)
    png("gam_additive.png", width = 800, height = 720)
    plot(m, pages = 1, residuals = TRUE); dev.off()
    png("gam_additive_check.png", width = 900, height = 800)
    gam.check(m); dev.off()
    m0 <- gam(y ~ s(x0) + s(x1) + s(x2), data = d, method = "REML")
    anova(m0, m, test = "F")
    AIC(m0, m)
    concurvity(m, full = TRUE)

The k-index p-values of ``gam.check`` come from random reshuffles of the residuals:
aurora draws them with NumPy's generator, R with its own, so those four numbers differ
slightly from R's. The rest matches R's printout digit for digit, except perhaps the last
digit of the gradient range (numbers of order 1e-4 left over by the Newton iteration).

Usage::

    python examples/gam_additive.py [OUTPUT_DIR]

``gam_additive.csv``, ``gam_additive.png`` (the smooths with partial residuals) and
``gam_additive_check.png`` (the four ``gam.check`` panels) go to ``OUTPUT_DIR``, else to
``$AURORA_EXAMPLES_OUT``, else to a new temporary directory (never the repository).
"""
from __future__ import annotations

import os
import sys
import tempfile

import numpy as np
import pandas as pd

import aurora


def output_dir() -> str:
    """argv[1], else $AURORA_EXAMPLES_OUT, else a fresh temporary directory."""
    if len(sys.argv) > 1:
        out = sys.argv[1]
    else:
        out = os.environ.get("AURORA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="aurora-examples-")
    os.makedirs(out, exist_ok=True)
    return out


def simulate(n: int = 400, seed: int = 2) -> pd.DataFrame:
    """mgcv's gamSim(1) test functions on NumPy random numbers."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 4))
    f0 = 2 * np.sin(np.pi * x[:, 0])
    f1 = np.exp(2 * x[:, 1])
    f2 = 0.2 * x[:, 2] ** 11 * (10 * (1 - x[:, 2])) ** 6 \
        + 10 * (10 * x[:, 2]) ** 3 * (1 - x[:, 2]) ** 10
    d = pd.DataFrame(x, columns=["x0", "x1", "x2", "x3"])
    d["y"] = f0 + f1 + f2 + rng.normal(scale=2.0, size=n)
    return d


def main() -> None:
    out = output_dir()
    d = simulate()
    d.to_csv(os.path.join(out, "gam_additive.csv"), index=False)

    # Thin plate regression splines (k = 10, the default basis), smoothing parameters by REML.
    m = aurora.gam("y ~ s(x0) + s(x1) + s(x2) + s(x3)", data=d)
    print(m.summary())
    # s(x3) gets edf 1 (a straight line the penalty could not shrink further) and a large
    # p-value; s(x2) needs about 8 of its 9 degrees of freedom.

    print("\nSmoothing parameters (mgcv's m$sp):")
    print(m.sp.to_string(float_format=lambda v: f"{v:.6g}"))

    path = os.path.join(out, "gam_additive.png")
    m.plot(residuals=True, path=path)  # plot(m, pages = 1, residuals = TRUE)
    print(f"\nSmooths with partial residuals saved to {path}")

    # gam.check: did the Newton iteration converge, and is k large enough for each term?
    chk = m.check()
    print(chk)
    check_path = os.path.join(out, "gam_additive_check.png")
    chk.plot(check_path)
    print(f"\nResidual checks saved to {check_path}")

    # Does x3 matter? An F test between nested fits, and AIC (mgcv's logLik.gam df).
    m0 = aurora.gam("y ~ s(x0) + s(x1) + s(x2)", data=d)
    print()
    print(m0.anova(m, test="F"))
    print(f"\nAIC without x3: {m0.aic:.3f}   with x3: {m.aic:.3f}")

    # Concurvity: how much of each smooth the other smooths could reproduce (0 = none).
    print("\nConcurvity (mgcv's concurvity(m, full = TRUE)):")
    print(m.concurvity().round(4).to_string())


if __name__ == "__main__":
    main()
