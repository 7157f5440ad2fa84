"""Logistic regression with diagnostics on ``mtcars``: transmission type from weight and power.

Mirrors this R session::

    fit <- glm(am ~ wt + hp, family = binomial, data = mtcars)
    summary(fit)
    infl <- data.frame(hat = hatvalues(fit), cooks_d = cooks.distance(fit),
                       rstandard = rstandard(fit), rstudent = rstudent(fit),
                       dfbetas(fit))
    head(infl[order(-infl$cooks_d), ], 5)
    png("logistic_diagnostics.png", width = 900, height = 900)
    par(mfrow = c(2, 2)); plot(fit, which = c(1, 2, 3, 5)); dev.off()
    new <- data.frame(wt = c(2.2, 3.0, 3.6), hp = c(110, 150, 200))
    eta <- predict(fit, new, se.fit = TRUE)
    cbind(fit = plogis(eta$fit),
          plogis(eta$fit + outer(eta$se.fit, qnorm(c(0.025, 0.975)))))

Usage::

    python examples/logistic_diagnostics.py [OUTPUT_DIR]

The diagnostic plot is saved as ``logistic_diagnostics.png`` in ``OUTPUT_DIR``, else in
``$AURORA_EXAMPLES_OUT``, else in a new temporary directory (never inside the repository).
"""
from __future__ import annotations

import os
import sys
import tempfile

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


def main() -> None:
    # Index the rows by car name: R labels influence tables and plots by row name.
    mtcars = aurora.datasets.load("mtcars").set_index("model")
    fit = aurora.glm("am ~ wt + hp", data=mtcars, family="binomial")
    print(fit.summary())

    # Hat values, Cook's distance, standardized/studentized residuals and DFBETAS, one row
    # per car (R: hatvalues, cooks.distance, rstandard, rstudent, dfbetas).
    infl = fit.influence()
    top = infl.sort_values("cooks_d", ascending=False).head(5)
    print("\nMost influential cars (largest Cook's distance):")
    print(top.rename_axis(None).round(4).to_string())

    path = os.path.join(output_dir(), "logistic_diagnostics.png")
    fit.plot_diagnostics(path)  # R's plot(fit): four panels, returned as a Figure
    print(f"\nDiagnostic plots saved to {path}")

    new = pd.DataFrame({"wt": [2.2, 3.0, 3.6], "hp": [110.0, 150.0, 200.0]})
    prob = fit.predict(new, type="response")
    lower, upper = fit.predict(new, type="response", interval="confidence")
    print("\nP(manual transmission) for new cars, 95% confidence limits:")
    print(new.assign(fit=prob, lower=lower, upper=upper).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
