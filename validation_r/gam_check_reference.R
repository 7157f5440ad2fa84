# R reference values for plot.gam (the plotted data) and gam.check (k.check and the
# convergence report).
#
# Run from the repository root:
#     Rscript validation_r/gam_check_reference.R
#
# Simulates one data set (fixed seed), writes it to validation_r/data/gamcheck_data.csv
# (doubles with 17 significant digits, so they read back exactly), fits each case with
# mgcv's gam() on the data as read back, and records per case
#   * plot: what `pd <- plot(m, pages = 1)` returns for every smooth: the grid `x` (and `y`
#     for 2-D smooths), `fit` (NA where too.far excludes a grid point: null), `se` (already
#     multiplied by se.mult: 2 for 1-D smooths, 1 for 2-D), `se_mult`, `xlab`, `ylab`,
#     `main`, `exclude`; for bs = "re" the plotted coefficients; for fs the curves of
#     every level (fit has n * nlevels rows);
#   * k_check: mgcv:::k.check(m, n.rep = 200) with the random draws gam.check makes (the
#     table printed in check_text): k', edf, k-index, p-value (the p-value is a
#     randomisation test on R's RNG, reproducible only in distribution);
#   * outer: outer.info (conv, iter, grad, eigenvalues of hess), gcv.ubre, sig2, rank,
#     number of coefficients, method, optimizer;
#   * qq: what qq.gam(m) returns (the theoretical quantiles of the Q-Q panel; random for
#     non-gaussian families), the deviance residuals and hist()'s breaks of them;
#   * check_text: capture.output(gam.check(m)) (its k-table p-values use R's RNG).
#
# Output: validation_r/gam_check_reference.json. Every double is written with 17
# significant digits; NA becomes null. Matrices are lists of rows.

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)

SEED <- 20250312L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "gam_check_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)
pdf(NULL)  # plot() and gam.check() draw; nothing is kept

# --- data -------------------------------------------------------------------------------
n <- 400L
x0 <- runif(n); x1 <- runif(n); x2 <- runif(n); x3 <- runif(n)
fac <- factor(sample(c("a", "b", "c"), n, replace = TRUE))
g <- factor(sample(paste0("g", 1:10), n, replace = TRUE))
re_eff <- rnorm(10, sd = 0.7)
y_gauss <- 2 * sin(pi * x0) + exp(2 * x1) / 3 + sin(3 * x2) * cos(3 * x3) +
  rnorm(n, sd = 0.5)
y_by <- ifelse(fac == "a", sin(3 * x0), ifelse(fac == "b", x0, -x0^2)) +
  re_eff[as.integer(g)] + x3 * (x2 - 0.5)^2 * 4 + rnorm(n, sd = 0.5)
y_pois <- rpois(n, exp(0.5 + sin(2 * x0) * cos(2 * x1) + 0.5 * x2 * x3))
y_fs <- sin(2 * pi * x1) * (1 + re_eff[as.integer(g)] / 2) + re_eff[as.integer(g)] +
  rnorm(n, sd = 0.4)
dat <- data.frame(x0, x1, x2, x3, fac, g, y_gauss, y_by, y_pois, y_fs)

fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
csv <- file.path(data_dir, "gamcheck_data.csv")
out <- dat
for (j in seq_along(out)) if (is.numeric(out[[j]])) out[[j]] <- fmt17(out[[j]])
write.table(out, csv, sep = ",", row.names = FALSE, quote = FALSE)
dat <- read.csv(csv, stringsAsFactors = TRUE)

# --- JSON helpers: every double with 17 significant digits ------------------------------
num <- function(x) {
  x <- as.numeric(x)
  s <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
  structure(paste0("[", paste(s, collapse = ","), "]"), class = "json")
}
scalar <- function(x) {
  x <- as.numeric(x)
  structure(if (length(x) == 1 && is.finite(x)) sprintf("%.17g", x) else "null",
            class = "json")
}
str_or_null <- function(x) if (is.null(x)) NULL else as.character(x)

plot_json <- function(m, pd) {
  lapply(seq_along(m$smooth), function(i) {
    P <- pd[[i]]
    s <- m$smooth[[i]]
    out <- list(label = s$label, class = class(s)[1], dim = as.integer(s$dim),
                plot_me = isTRUE(P$plot.me))
    if (!isTRUE(P$plot.me)) return(out)
    out$fit <- num(P[["fit"]])
    if (!is.null(P[["p.resid"]])) out$p_resid <- num(P[["p.resid"]])
    out$xlab <- str_or_null(P[["xlab"]])
    out$ylab <- str_or_null(P[["ylab"]])
    out$main <- str_or_null(P[["main"]])
    if (!is.null(P[["x"]])) out$x <- num(P[["x"]])
    if (!is.null(P[["y"]])) out$y <- num(P[["y"]])
    if (is.numeric(P[["se"]])) out$se <- num(P[["se"]])
    if (!is.null(P[["se.mult"]])) out$se_mult <- scalar(P[["se.mult"]])
    if (!is.null(P[["exclude"]])) out$exclude <- I(as.logical(P[["exclude"]]))
    if (!is.null(P[["nf"]])) out$n_levels <- as.integer(P[["nf"]])
    out
  })
}

record <- function(name, description, formula, family = gaussian(), method = "REML") {
  fml <- as.formula(formula, env = globalenv())
  m <- gam(fml, family = family, data = dat, method = method)
  pd <- plot(m, pages = 1, residuals = TRUE)
  set.seed(3L)
  text <- capture.output(gam.check(m))
  # the same draws as gam.check: qq.gam first, then k.check with k.rep = 200
  set.seed(3L)
  dq <- qq.gam(m)
  kc <- mgcv:::k.check(m, subsample = 5000, n.rep = 200)
  oi <- m$outer.info
  hb <- hist(residuals(m), plot = FALSE)$breaks
  list(
    name = name,
    description = description,
    formula = formula,
    family = m$family$family,
    link = m$family$link,
    n = nrow(m$model),
    coefficients = num(coef(m)),
    edf = num(m$edf),
    plot = plot_json(m, pd),
    k_check = list(rows = I(rownames(kc)), kprime = num(kc[, 1]), edf = num(kc[, 2]),
                   k_index = num(kc[, 3]), p_value = num(kc[, 4])),
    mgcv_conv = if (is.null(m$mgcv.conv)) NULL else
      list(iter = as.integer(m$mgcv.conv$iter), rms_grad = scalar(m$mgcv.conv$rms.grad),
           hess_pos_def = isTRUE(m$mgcv.conv$hess.pos.def),
           fully_converged = isTRUE(m$mgcv.conv$fully.converged)),
    outer = if (is.null(oi)) list(gcv_ubre = scalar(m$gcv.ubre), sig2 = scalar(m$sig2),
                                  rank = as.integer(m$rank), n_coef = length(coef(m)),
                                  method = m$method, optimizer = I(m$optimizer)) else
            list(conv = oi$conv, iter = as.integer(oi$iter), grad = num(oi$grad),
                 hess_eigen = num(eigen(oi$hess)$values), gcv_ubre = scalar(m$gcv.ubre),
                 sig2 = scalar(m$sig2), rank = as.integer(m$rank),
                 n_coef = length(coef(m)), method = m$method,
                 optimizer = I(m$optimizer)),
    qq = list(theoretical = num(dq), deviance_residuals = num(residuals(m)),
              hist_breaks = num(hb)),
    check_text = paste(text, collapse = "\n")
  )
}

cases <- list(
  record("gauss", "gaussian: tp, cr and a te() contour, REML",
         "y_gauss ~ s(x0) + s(x1, bs = \"cr\") + te(x2, x3)"),
  record("by_re", "factor-by smooths (one panel per level), a numeric by and an re Q-Q",
         "y_by ~ fac + s(x0, by = fac) + s(g, bs = \"re\") + s(x2, by = x3)"),
  record("pois_2d", "poisson: isotropic s(x0, x1) (nearest neighbours unscaled), t2",
         "y_pois ~ s(x0, x1, k = 20) + t2(x2, x3)", family = poisson()),
  record("fs", "factor-smooth interaction (one curve per level; k.check on x1 only)",
         "y_fs ~ s(x1, g, bs = \"fs\", k = 5)"),
  record("gauss_gcv", "gaussian GCV: mgcv's magic optimizer (a different report)",
         "y_gauss ~ s(x0) + s(x1)", method = "GCV.Cp"),
  record("fixed_df", "an unpenalized smooth: REML still estimates the scale",
         "y_gauss ~ s(x0, k = 5, fx = TRUE)"),
  record("pois_ubre", "poisson UBRE (GCV.Cp with a known scale), outer newton",
         "y_pois ~ s(x0)", family = poisson(), method = "GCV.Cp")
)

res <- list(
  generated_by = "validation_r/gam_check_reference.R",
  r_version = R.version.string,
  mgcv_version = as.character(packageVersion("mgcv")),
  seed = SEED,
  data = "gamcheck_data.csv",
  cases = cases
)
writeLines(toJSON(res, auto_unbox = TRUE, pretty = FALSE, null = "null", na = "null",
                  digits = NA, json_verbatim = TRUE), out_json)
cat("wrote", out_json, "\n")
