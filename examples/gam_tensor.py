"""A tensor product interaction on ``airquality``: ozone by temperature and wind together.

Ozone concentration (New York, May to September 1973) rises with temperature and falls
with wind, and the two act jointly: hot, still days are far worse than either alone
suggests. A tensor product smooth ``te(Temp, Wind)`` builds one surface from a cubic
regression spline in each covariate, with one smoothing parameter per direction, so the
surface is unaffected by the two covariates' different units. Ozone is positive and its
spread grows with its mean: a Gamma family with a log link.

Mirrors this R session::

    library(mgcv)
    m <- gam(Ozone ~ s(Solar.R) + te(Temp, Wind), data = airquality,
             family = Gamma(link = "log"), method = "REML")
    summary(m)
    png("gam_tensor.png", width = 600, height = 540)
    plot(m, select = 2); dev.off()                 # contours, +/- 1 se dashed/dotted
    png("gam_tensor_heatmap.png", width = 600, height = 540)
    plot(m, select = 2, scheme = 2); dev.off()     # heat map
    # is the interaction needed? main effects plus a pure-interaction ti() term
    m2 <- gam(Ozone ~ s(Solar.R) + ti(Temp) + ti(Wind) + ti(Temp, Wind),
              data = airquality, family = Gamma(link = "log"), method = "REML")
    anova(m2)
    new <- data.frame(Solar.R = 200, Temp = c(65, 80, 90), Wind = c(15, 10, 5))
    predict(m, new, type = "response", se.fit = TRUE)

Rows with a missing ``Ozone`` or ``Solar.R`` are left out (111 of 153 days remain), as
R's default ``na.action = na.omit`` does.

Usage::

    python examples/gam_tensor.py [OUTPUT_DIR]

``gam_tensor.png`` (contour plot) and ``gam_tensor_heatmap.png`` go to ``OUTPUT_DIR``,
else to ``$AURORA_EXAMPLES_OUT``, else to a new temporary directory (never the repository).
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
    out = output_dir()
    air = aurora.datasets.load("airquality")

    # te() margins default to bs = "cr" with k = 5 each: a 25-coefficient surface.
    m = aurora.gam("Ozone ~ s(Solar.R) + te(Temp, Wind)", data=air, family="Gamma",
                   link="log")
    print(m.summary())
    print(f"\n{len(air) - m.nobs} days with a missing value left out.")
    print("\nSmoothing parameters, one per margin of the tensor product (mgcv's m$sp):")
    print(m.sp.to_string(float_format=lambda v: f"{v:.6g}"))

    # The surface alone (select counts smooths from 1, as mgcv): contours of the fit in
    # black, fit - 1 se red dashed, fit + 1 se green dotted; grid points far from any
    # observed day are left blank.
    contour = os.path.join(out, "gam_tensor.png")
    m.plot(select=2, path=contour, figsize=(6.0, 5.4))
    heat = os.path.join(out, "gam_tensor_heatmap.png")
    m.plot(select="te(Temp,Wind)", scheme=1, path=heat, figsize=(6.0, 5.4))
    print(f"\nContour plot saved to {contour}\nHeat map saved to {heat}")

    # ti() splits the surface into main effects and a pure interaction, so the
    # interaction gets its own test.
    m2 = aurora.gam("Ozone ~ s(Solar.R) + ti(Temp) + ti(Wind) + ti(Temp, Wind)", data=air,
                    family="Gamma", link="log")
    print()
    print(m2.anova())

    # Expected ozone (ppb) on three kinds of day, with standard errors on the response
    # scale (delta method, as predict.gam's se.fit with type = "response").
    new = pd.DataFrame({"Solar.R": [200.0] * 3, "Temp": [65.0, 80.0, 90.0],
                        "Wind": [15.0, 10.0, 5.0]})
    pred = m.predict(new, type="response", se_fit=True)
    print("\nExpected ozone (ppb) for a cool windy, a warm, and a hot still day:")
    print(new.join(pred).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
