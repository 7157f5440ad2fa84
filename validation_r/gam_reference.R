# R reference values for aurora.gam end to end: mgcv::gam fits on gamSim-like data.
#
# Run from the repository root:
#     Rscript validation_r/gam_reference.R
#
# Simulates one data set (fixed seed; x0..x3 uniform with mgcv's gamSim(1) functions
# f0..f3, plus a factor `fac`, a grouping factor `g`, a numeric `by` covariate `z`, an
# exposure `e`, prior weights `w` and a response per family), writes it to
# validation_r/data/gam_ref.csv and new data for predict() to validation_r/data/gam_ref_new.csv
# (doubles with 17 significant digits, so they read back exactly), fits every case with
# mgcv's gam() on the data *as read back from the CSV*, and records what
# tests/models/test_gam_reference.py compares:
#   coefficient names and values, fitted values, m$edf, the edf of each smooth (sum of
#   m$edf over first.para:last.para) with its label, m$sp (and m$full.sp), m$gcv.ubre,
#   m$scale, m$sig2, deviances, AIC/BIC, logLik with its df, summary(m)$s.table,
#   $p.table, $r.sq, $dev.expl, predict(m, newd, se.fit = TRUE) and
#   capture.output(print(summary(m))).
#
# Output: validation_r/gam_reference.json. Every double is written with 17 significant
# digits; NA / NaN / Inf become null. Tables are {rows, columns, values (list of rows)}.
#
# Each case's `formula` is the exact text given to R; the Python side passes the same
# string. Extra arguments: `method`, `sp` (vector; negative = estimate), `gamma`,
# `knots` (named lists of knot vectors), `weights` and `offset` (column names of the data,
# passed to gam as vectors: as mgcv documents, predict() ignores an `offset=` argument
# but keeps `offset()` terms of the formula).

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)

SEED <- 20250214L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "gam_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

# --- data: gamSim(1)-like ---------------------------------------------------------------
n <- 400L
x0 <- runif(n); x1 <- runif(n); x2 <- runif(n); x3 <- runif(n)
f0 <- 2 * sin(pi * x0)
f1 <- exp(2 * x1)
f2 <- 0.2 * x2^11 * (10 * (1 - x2))^6 + 10 * (10 * x2)^3 * (1 - x2)^10
f3 <- 0 * x3
f <- f0 + f1 + f2 + f3
fac <- sample(c("A", "B", "C"), n, replace = TRUE)
g <- sample(paste0("g", 1:6), n, replace = TRUE)
gi <- as.integer(factor(g))
re_eff <- rnorm(6, sd = 0.8)
phase <- runif(6, 0, 2 * pi)
fac_eff <- c(A = 0, B = 1, C = -0.7)[fac]
by_eff <- ifelse(fac == "A", sin(2 * pi * x2), ifelse(fac == "B", 2 * x2, 0))
z <- runif(n, -1, 2)
e <- round(runif(n, 0.5, 3), 3)
w <- round(runif(n, 0.5, 2), 2)
trials <- sample(1:8, n, replace = TRUE)
succ <- rbinom(n, trials, plogis((f - 8) / 4))

dat <- data.frame(
  x0, x1, x2, x3, fac, g, z, e, loge = log(e), w,
  y = f + rnorm(n, sd = 2),
  y_fac = f0 + f2 / 3 + fac_eff + rnorm(n, sd = 1),
  y_by = f0 + fac_eff + 2 * by_eff + rnorm(n, sd = 0.7),
  y_vc = f0 + z * 1.5 * sin(pi * x1) + rnorm(n, sd = 0.6),
  y_te = f0 + 3 * sin(2 * x1) * cos(3 * x2) + rnorm(n, sd = 0.5),
  y_cyc = 1.5 * sin(2 * pi * x3) + cos(2 * pi * x3) + f1 / 2 + rnorm(n, sd = 0.8),
  y_re = f0 + f2 / 3 + re_eff[gi] + rnorm(n, sd = 1),
  y_fs = f1 / 2 + sin(2 * pi * x0 + phase[gi]) + rnorm(n, sd = 0.4),
  count = rpois(n, exp(f / 5)),
  count_e = rpois(n, e * exp(f0 / 2 + f1 / 4)),
  yb = rbinom(n, 1, plogis((f - 8) / 3)),
  succ = succ, fail = trials - succ,
  y_gamma = rgamma(n, shape = 4, scale = exp(f / 8) / 4),
  stringsAsFactors = FALSE
)

fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
write_csv <- function(df, file) {
  out <- df
  for (j in seq_along(out)) if (is.double(out[[j]])) out[[j]] <- fmt17(out[[j]])
  path <- file.path(data_dir, file)
  write.table(out, path, sep = ",", row.names = FALSE, quote = FALSE)
  read.csv(path, stringsAsFactors = TRUE)
}
dat <- write_csv(dat, "gam_ref.csv")

# New data for predict(): numeric columns uniform inside the 10%-90% range of the data,
# factors cycling through their levels (12 rows: every level of fac and of g).
m_new <- 12L
newd <- data.frame(
  x0 = runif(m_new, 0.1, 0.9), x1 = runif(m_new, 0.1, 0.9), x2 = runif(m_new, 0.1, 0.9),
  x3 = runif(m_new, 0.1, 0.9),
  fac = rep_len(c("A", "B", "C"), m_new), g = rep_len(paste0("g", 1:6), m_new),
  z = runif(m_new, -0.5, 1.5), e = round(runif(m_new, 0.8, 2.5), 3),
  w = round(runif(m_new, 0.6, 1.8), 2), stringsAsFactors = FALSE)
newd$loge <- log(newd$e)
newd <- write_csv(newd, "gam_ref_new.csv")
# the factors carry the data's levels (all present in newd anyway)
newd$fac <- factor(as.character(newd$fac), levels = levels(dat$fac))
newd$g <- factor(as.character(newd$g), levels = levels(dat$g))

# --- JSON helpers: every double with 17 significant digits ------------------------------
num <- function(x) {
  x <- as.numeric(x)
  s <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
  structure(paste0("[", paste(s, collapse = ","), "]"), class = "json")
}
mat <- function(m) {
  m <- as.matrix(m)
  rows <- vapply(seq_len(nrow(m)), function(i) unclass(num(m[i, ])), character(1))
  structure(paste0("[", paste(rows, collapse = ","), "]"), class = "json")
}
scalar <- function(x) {
  x <- as.numeric(x)
  structure(if (length(x) == 1 && is.finite(x)) sprintf("%.17g", x) else "null",
            class = "json")
}
table_json <- function(tab) {
  if (is.null(tab) || nrow(tab) == 0) return(NULL)
  list(rows = I(rownames(tab)), columns = I(colnames(tab)), values = mat(tab))
}

# --- one case ---------------------------------------------------------------------------
family_calls <- list(gaussian = "gaussian()", poisson = "poisson()",
                     binomial = "binomial()", gamma_log = "Gamma(link = \"log\")")

record <- function(name, description, formula, family = "gaussian", method = "REML",
                   sp = NULL, gamma = NULL, knots = NULL, weights = NULL, offset = NULL) {
  fml <- as.formula(formula, env = globalenv())  # printed without an <environment> line
  fam <- eval(parse(text = family_calls[[family]]))
  args <- list(formula = fml, family = fam, data = dat, method = method)
  if (!is.null(sp)) args$sp <- sp
  if (!is.null(gamma)) args$gamma <- gamma
  if (!is.null(knots)) args$knots <- knots
  if (!is.null(weights)) args$weights <- dat[[weights]]
  if (!is.null(offset)) args$offset <- dat[[offset]]
  m <- do.call(gam, args)
  s <- summary(m)
  ll <- logLik(m)
  pr <- predict(m, newd, se.fit = TRUE)
  smooths <- lapply(m$smooth, function(sm) {
    list(label = sm$label, first_para = as.integer(sm$first.para),
         last_para = as.integer(sm$last.para), n_penalties = length(sm$S),
         edf = scalar(sum(m$edf[sm$first.para:sm$last.para])))
  })
  list(
    name = name,
    description = description,
    formula = formula,
    family_arg = family,
    family_call = family_calls[[family]],
    family = m$family$family,
    link = m$family$link,
    method_arg = method,
    method = m$method,
    sp_arg = if (is.null(sp)) NULL else num(sp),
    gamma = if (is.null(gamma)) NULL else scalar(gamma),
    knots = if (is.null(knots)) NULL else lapply(knots, num),
    weights = weights,
    offset = offset,
    n = nrow(m$model),
    n_coef = length(coef(m)),
    coef_names = I(names(coef(m))),
    coefficients = num(coef(m)),
    fitted = num(m$fitted.values),
    edf = num(m$edf),
    smooths = smooths,
    smooth_labels = I(vapply(m$smooth, function(sm) sm$label, character(1))),
    smooth_edf = num(vapply(smooths, function(sm) as.numeric(unclass(sm$edf)), numeric(1))),
    sp = num(m$sp),
    sp_names = I(names(m$sp)),
    full_sp = if (is.null(m$full.sp)) NULL else num(m$full.sp),
    full_sp_names = if (is.null(m$full.sp)) NULL else I(names(m$full.sp)),
    gcv_ubre = scalar(m$gcv.ubre),
    scale = scalar(m$scale),
    sig2 = scalar(m$sig2),
    scale_estimated = isTRUE(m$scale.estimated),
    deviance = scalar(m$deviance),
    null_deviance = scalar(m$null.deviance),
    aic = scalar(AIC(m)),
    bic = scalar(BIC(m)),
    loglik = scalar(ll),
    loglik_df = scalar(attr(ll, "df")),
    converged = isTRUE(m$converged),
    p_table = table_json(s$p.table),
    s_table = table_json(s$s.table),
    r_sq = scalar(if (is.null(s$r.sq)) NA else s$r.sq),
    dev_expl = scalar(s$dev.expl),
    predict = list(newdata = "gam_ref_new.csv", fit = num(pr$fit), se_fit = num(pr$se.fit)),
    summary_text = paste(capture.output(print(s)), collapse = "\n")
  )
}

cr_knots <- c(0, 0.08, 0.2, 0.35, 0.5, 0.62, 0.8, 1)

cases <- list(
  # ---- each basis
  record("tp_default", "gamSim(1): four default tp smooths, REML",
         "y ~ s(x0) + s(x1) + s(x2) + s(x3)"),
  record("cr", "cubic regression splines",
         "y ~ s(x0, bs = \"cr\") + s(x1, bs = \"cr\") + s(x2, bs = \"cr\")"),
  record("cs", "shrinkage cubic regression splines, one null effect (x3)",
         "y ~ s(x0, bs = \"cs\") + s(x1, bs = \"cs\") + s(x2, bs = \"cs\") + s(x3, bs = \"cs\")"),
  record("cc", "cyclic cubic spline (knots from the data) and a tp smooth",
         "y_cyc ~ s(x3, bs = \"cc\") + s(x1)"),
  record("ps", "P-splines, one with k = 12",
         "y ~ s(x0, bs = \"ps\") + s(x1, bs = \"ps\") + s(x2, bs = \"ps\", k = 12)"),
  record("cp", "cyclic P-spline and a P-spline",
         "y_cyc ~ s(x3, bs = \"cp\") + s(x1, bs = \"ps\")"),
  record("bs", "B-splines (derivative penalty), one with k = 12",
         "y ~ s(x0, bs = \"bs\") + s(x1, bs = \"bs\") + s(x2, bs = \"bs\", k = 12)"),
  record("ts", "shrinkage thin plate splines, one null effect (x3)",
         "y ~ s(x0, bs = \"ts\") + s(x1, bs = \"ts\") + s(x2, bs = \"ts\") + s(x3, bs = \"ts\")"),
  # ---- tensor products
  record("te_default", "te(x1, x2) with default tp margins, plus s(x0)",
         "y_te ~ s(x0) + te(x1, x2)"),
  record("te_tp_cr", "te with tp and cr margins, k = c(5, 6)",
         "y_te ~ s(x0) + te(x1, x2, bs = c(\"tp\", \"cr\"), k = c(5, 6))"),
  record("ti_main", "ti interaction with its main effects",
         "y_te ~ s(x0) + s(x1) + s(x2) + ti(x1, x2)"),
  record("t2", "t2 tensor product",
         "y_te ~ s(x0) + t2(x1, x2)"),
  # ---- by, fs, re
  record("by_numeric", "varying coefficient: s(x1, by = z)",
         "y_vc ~ s(x0) + s(x1, by = z)"),
  record("by_factor", "one smooth of x2 per level of fac, fac as main effect",
         "y_by ~ fac + s(x2, by = fac) + s(x0)"),
  record("fs", "factor-smooth interaction s(x0, g, bs = \"fs\", k = 5)",
         "y_fs ~ s(x1) + s(x0, g, bs = \"fs\", k = 5)"),
  record("re", "random intercepts s(g, bs = \"re\")",
         "y_re ~ s(x0) + s(x2) + s(g, bs = \"re\")"),
  # ---- families
  record("poisson", "poisson, REML",
         "count ~ s(x0) + s(x1) + s(x2) + s(x3)", family = "poisson"),
  record("binomial", "binary logistic, REML",
         "yb ~ s(x0) + s(x1) + s(x2)", family = "binomial"),
  record("binomial_cbind", "binomial with cbind(successes, failures), REML",
         "cbind(succ, fail) ~ s(x0) + s(x1) + s(x2)", family = "binomial"),
  record("gamma_log", "Gamma with log link, REML",
         "y_gamma ~ s(x0) + s(x1) + s(x2)", family = "gamma_log"),
  # ---- methods
  record("ml", "gaussian, ML",
         "y ~ s(x0) + s(x1) + s(x2)", method = "ML"),
  record("gcv", "gaussian, GCV.Cp (GCV) with a parametric slope",
         "y ~ s(x0) + s(x1) + s(x2) + x3", method = "GCV.Cp"),
  record("ubre_poisson", "poisson, GCV.Cp (UBRE)",
         "count ~ s(x0) + s(x1) + s(x2)", family = "poisson", method = "GCV.Cp"),
  record("poisson_ml", "poisson, ML",
         "count ~ s(x0) + s(x1, bs = \"cr\") + s(x2)", family = "poisson", method = "ML"),
  # ---- smoothing parameters and gamma
  record("sp_fixed", "all smoothing parameters fixed: sp = c(0.5, 5, 0.001)",
         "y ~ s(x0) + s(x1) + s(x2)", sp = c(0.5, 5, 0.001)),
  record("sp_partial", "sp = c(-1, 2, -1): the first and last estimated",
         "y ~ s(x0) + s(x1) + s(x2)", sp = c(-1, 2, -1)),
  record("sp_formula", "s(x0, sp = 0.1) fixed in the formula, the others estimated",
         "y ~ s(x0, sp = 0.1) + s(x1) + s(x2)"),
  record("gamma_reml", "gamma = 1.4 with REML",
         "y ~ s(x0) + s(x1) + s(x2)", gamma = 1.4),
  record("gamma_gcv", "gamma = 1.4 with GCV.Cp",
         "y ~ s(x0) + s(x1) + s(x2)", method = "GCV.Cp", gamma = 1.4),
  # ---- weights and offsets
  record("weights", "gaussian with prior weights",
         "y ~ s(x0) + s(x1) + s(x2)", weights = "w"),
  record("offset_formula", "poisson with offset(log(e)) in the formula",
         "count_e ~ s(x0) + s(x1) + offset(log(e))", family = "poisson"),
  record("offset_arg", "poisson with offset = log(e) as an argument (ignored by predict)",
         "count_e ~ s(x0) + s(x1)", family = "poisson", offset = "loge"),
  # ---- knots
  record("knots_cr", "cr with its 8 knots given",
         "y ~ s(x0, bs = \"cr\", k = 8) + s(x1)", knots = list(x0 = cr_knots)),
  record("knots_cc", "cc with the ends of the period given: knots = list(x3 = c(0, 1))",
         "y_cyc ~ s(x3, bs = \"cc\", k = 8) + s(x1)", knots = list(x3 = c(0, 1))),
  # ---- parametric terms
  record("parametric_factor", "a parametric factor and slope plus smooths",
         "y_fac ~ fac + x3 + s(x0) + s(x2)")
)
names(cases) <- NULL

result <- list(
  generated_by = "validation_r/gam_reference.R",
  r_version = R.version.string,
  package_versions = list(mgcv = as.character(packageVersion("mgcv")),
                          jsonlite = as.character(packageVersion("jsonlite"))),
  seed = SEED,
  data = "gam_ref.csv",
  newdata = "gam_ref_new.csv",
  case_names = I(vapply(cases, function(x) x$name, character(1))),
  cases = cases
)
writeLines(toJSON(result, auto_unbox = TRUE, null = "null", json_verbatim = TRUE,
                  pretty = FALSE), out_json)
cat("wrote", out_json, "with", length(cases), "cases\n")
