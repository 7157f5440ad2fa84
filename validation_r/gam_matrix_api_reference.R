# R reference values for the matrix-level GAM API (aurora.models.gam, SPEC §2).
#
# Run from the repository root:
#     Rscript validation_r/gam_matrix_api_reference.R
#
# fit_gam(x, y, n_basis, basis_type, knot_method, method, lambda_, weights) is a thin
# adapter over aurora.gam; this script fits what it promises to be, with mgcv:
#   basis_type "bspline" -> s(x, k = n_basis, bs = "bs")   (cubic B-splines, integrated
#                            squared second-derivative penalty, Wood 2017b)
#   basis_type "cubic"   -> s(x, k = n_basis, bs = "cr")
#   knot_method "uniform":  bs: mgcv's own knots (evenly spaced over the range + 0.1%);
#                           cr: knots = seq(min(x), max(x), length = k)
#   knot_method "quantile": bs: interior knots (k - 2 of them) at the quantiles (type 7)
#                           of the unique x values, three outer knots each side spaced by
#                           the mean interior spacing; cr: mgcv's own knots (place.knots:
#                           the same quantiles of the unique x values)
#   method "GCV" -> "GCV.Cp", "REML" -> "REML"; lambda_ -> s(..., sp = lambda_)
# and two fit_additive_gam models (Gaussian REML, Poisson GCV.Cp = UBRE).
#
# Data: validation_r/data/gammat_1d.csv (x skewed towards 0, so quantile and uniform
# knots differ; y, weights w) and validation_r/data/gammat_additive.csv, doubles with 17
# significant digits (they read back exactly); every fit uses the data as read back.
# Output: validation_r/gam_matrix_api_reference.json, doubles with 17 significant digits.

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})

SEED <- 20250301L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "gam_matrix_api_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
write_csv <- function(df, file) {
  out <- df
  for (j in seq_along(out)) if (is.double(out[[j]])) out[[j]] <- fmt17(out[[j]])
  path <- file.path(data_dir, file)
  write.table(out, path, sep = ",", row.names = FALSE, quote = FALSE)
  read.csv(path, stringsAsFactors = TRUE)
}
num <- function(x) {
  x <- as.numeric(x)
  s <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
  structure(paste0("[", paste(s, collapse = ","), "]"), class = "json")
}
scalar <- function(x) structure(sprintf("%.17g", as.numeric(x)), class = "json")

# --- data -------------------------------------------------------------------------------
n <- 240L
x <- runif(n)^2
one <- data.frame(x = x, y = sin(2 * pi * sqrt(x)) + 0.5 * x + rnorm(n, sd = 0.4),
                  w = round(runif(n, 0.5, 2), 2))
one <- write_csv(one, "gammat_1d.csv")

m <- 300L
add <- data.frame(x1 = runif(m), x2 = runif(m), x3 = runif(m),
                  f = sample(c("a", "b", "c"), m, replace = TRUE), stringsAsFactors = FALSE)
feff <- c(a = 0, b = 0.4, c = -0.3)[add$f]
add$y <- sin(2 * pi * add$x1) + 2 * add$x2 * add$x3 + feff + rnorm(m, sd = 0.4)
add$count <- rpois(m, exp(0.3 + 0.8 * sin(2 * pi * add$x1) + add$x2 * add$x3 + feff))
add <- write_csv(add, "gammat_additive.csv")

# --- knots as fit_gam places them --------------------------------------------------------
bs_quantile_knots <- function(x, k, m1 = 3L) {
  u <- sort(unique(x))
  nk <- k - m1 + 1L
  inner <- quantile(u, seq(0, 1, length = nk), names = FALSE, type = 7)
  dx <- (inner[nk] - inner[1]) / (nk - 1)
  c(inner[1] - dx * (m1:1), inner, inner[nk] + dx * (1:m1))
}
cr_uniform_knots <- function(x, k) seq(min(x), max(x), length = k)

# --- cases ------------------------------------------------------------------------------
record <- function(name, dat, formula, args, family = "gaussian", method = "REML",
                   knots = NULL, weights = NULL) {
  fam <- if (family == "poisson") poisson() else gaussian()
  call <- list(formula = as.formula(formula, env = globalenv()), family = fam, data = dat,
               method = method)
  if (!is.null(knots)) call$knots <- knots
  if (!is.null(weights)) call$weights <- dat[[weights]]
  fit <- do.call(gam, call)
  list(name = name, api = args$api, args = args, formula = formula, method = fit$method,
       family = family,
       knots = if (is.null(knots)) NULL else lapply(knots, num),
       coef_names = I(names(coef(fit))), coefficients = num(coef(fit)),
       fitted = num(fit$fitted.values), sp = num(fit$sp),
       edf = num(vapply(fit$smooth, function(s) sum(fit$edf[s$first.para:s$last.para]),
                        numeric(1))),
       gcv_ubre = scalar(fit$gcv.ubre), scale = scalar(fit$sig2))
}

cases <- list()
k <- 10L
for (basis in c("bspline", "cubic")) for (kn in c("quantile", "uniform"))
  for (meth in c("GCV", "REML")) {
    bs <- if (basis == "bspline") "bs" else "cr"
    knots <- NULL
    if (basis == "bspline" && kn == "quantile") knots <- list(x = bs_quantile_knots(one$x, k))
    if (basis == "cubic" && kn == "uniform") knots <- list(x = cr_uniform_knots(one$x, k))
    cases[[length(cases) + 1]] <- record(
      paste("fit_gam", basis, kn, meth, sep = "_"), one,
      sprintf("y ~ s(x, k = %d, bs = \"%s\")", k, bs),
      list(api = "fit_gam", n_basis = k, basis_type = basis, knot_method = kn,
           method = meth),
      method = if (meth == "GCV") "GCV.Cp" else "REML", knots = knots)
  }
cases[[length(cases) + 1]] <- record(
  "fit_gam_cubic_fixed_lambda", one, "y ~ s(x, k = 8, bs = \"cr\", sp = 0.05)",
  list(api = "fit_gam", n_basis = 8L, basis_type = "cubic", knot_method = "quantile",
       method = "REML", lambda_ = 0.05))
cases[[length(cases) + 1]] <- record(
  "fit_gam_bspline_weights", one, "y ~ s(x, k = 12, bs = \"bs\")",
  list(api = "fit_gam", n_basis = 12L, basis_type = "bspline", knot_method = "quantile",
       method = "REML", weights = "w"),
  knots = list(x = bs_quantile_knots(one$x, 12L)), weights = "w")
cases[[length(cases) + 1]] <- record(
  "additive_gaussian_reml", add,
  "y ~ s(x1, k = 8, bs = \"cr\") + te(x2, x3, k = c(4, 4), bs = c(\"cr\", \"cr\")) + f",
  list(api = "fit_additive_gam", method = "REML"))
cases[[length(cases) + 1]] <- record(
  "additive_poisson_gcv", add,
  "count ~ s(x1, k = 8, bs = \"cr\") + s(x2, k = 6, bs = \"bs\") + x3 + f",
  list(api = "fit_additive_gam", method = "GCV"), family = "poisson", method = "GCV.Cp",
  knots = list(x2 = bs_quantile_knots(add$x2, 6L)))

result <- list(
  r_version = R.version.string,
  mgcv = as.character(packageVersion("mgcv")),
  seed = SEED,
  data = list(one = "gammat_1d.csv", additive = "gammat_additive.csv"),
  cases = cases
)
writeLines(toJSON(result, auto_unbox = TRUE, null = "null", json_verbatim = TRUE,
                  pretty = FALSE), out_json)
cat("wrote", out_json, "with", length(cases), "cases\n")
