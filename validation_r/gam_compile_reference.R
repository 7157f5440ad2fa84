# mgcv's model matrix and penalties for a few GAM formulas (gam(..., fit = FALSE)), which
# aurora's compile stage must reproduce: G$X (parametric columns, then each smooth's
# constrained columns), G$S (scaled penalties) and G$off (their first columns, 1-based).
#
# Run from the repository root:  Rscript validation_r/gam_compile_reference.R
suppressPackageStartupMessages({ library(mgcv); library(jsonlite) })
set.seed(20241201L)
n <- 150
d <- data.frame(x = round(runif(n), 4), z = round(runif(n), 4), w = round(rnorm(n), 4),
                f = sample(c("a", "b", "c"), n, replace = TRUE), stringsAsFactors = TRUE)
d$y <- round(sin(6 * d$x) + d$z^2 + 0.3 * d$w + c(a = 0, b = 0.5, c = -0.2)[d$f] +
             rnorm(n, sd = 0.3), 4)
file <- file.path("validation_r", "data", "gam_compile.csv")
write.csv(d, file, row.names = FALSE)
d <- read.csv(file, stringsAsFactors = TRUE)
formulas <- c("y ~ f + s(x) + s(z, bs = \"cr\", k = 6)",
              "y ~ w + s(x, bs = \"ps\") + s(z, bs = \"cc\", k = 8)",
              "y ~ s(x, bs = \"cs\", k = 5) + s(w, bs = \"bs\") + s(z, k = 7)",
              "y ~ f + w + s(x, z, k = 12)",
              # nested smooths: gam.side deletes te's columns that s(x) already spans
              "y ~ f + w + s(x) + te(x, z, k = 4)",
              "y ~ s(x, bs = \"cr\") + s(z, bs = \"cr\") + te(x, z, k = 3) + s(w)")
cases <- lapply(formulas, function(fm) {
  G <- gam(as.formula(fm), data = d, fit = FALSE)
  list(formula = fm, X = unname(G$X), off = G$off, S = lapply(G$S, unname),
       term_names = G$term.names)
})
write_json(list(generated_by = "validation_r/gam_compile_reference.R",
                mgcv = as.character(packageVersion("mgcv")), data = "gam_compile.csv",
                cases = cases),
           file.path("validation_r", "gam_compile_reference.json"), digits = NA,
           auto_unbox = TRUE, pretty = FALSE)
