# R reference values for summary.gam: Wood (2013) smooth p-values, reTest, the parametric
# table, R-sq.(adj), deviance explained, logLik/AIC degrees of freedom and the printed text.
#
# Run from the repository root:
#     Rscript validation_r/gam_summary_reference.R
#
# Simulates data (fixed seed), writes each data set to validation_r/data/gamsum_<data>.csv
# (doubles with 17 significant digits, so they read back exactly), fits every case with
# mgcv's gam() on the data as read back, and records
#   * the inputs aurora.inference.smooth_tests needs: the lpmatrix X, mgcv's R factor
#     (R'R = X'WX), coefficients, Vp, Ve, edf/edf1/edf2 per coefficient, the smooths
#     (label, 1-based first.para/last.para, null.space.dim, fixed, random, penalty matrices
#     S and their smoothing parameters), y, fitted values, prior and working weights,
#     sig2, scale.estimated, df.residual, deviances, aic, gcv.ubre, method, rank, nsdf and
#     the parametric assign vector;
#   * the outputs: summary(m)$p.table, $s.table, $pTerms.table, $r.sq, $dev.expl,
#     $residual.df, logLik(m) with its df, AIC(m), and capture.output(print(summary(m))).
#
# Output: validation_r/gam_summary_reference.json. Every double is written with 17
# significant digits; R's NA / NaN / Inf become null. Matrices are lists of rows.

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)

SEED <- 20250110L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "gam_summary_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

# --- data -------------------------------------------------------------------------------
n <- 300L
x0 <- runif(n); x1 <- runif(n); x2 <- runif(n); x3 <- runif(n)
fac <- factor(sample(c("A", "B", "C"), n, replace = TRUE))
g <- factor(sample(paste0("g", 1:8), n, replace = TRUE))
re_eff <- rnorm(8, sd = 0.6)
f0 <- 2 * sin(pi * x0)
f1 <- exp(2 * x1)
f2 <- 0.2 * x2^11 * (10 * (1 - x2))^6 + 10 * (10 * x2)^3 * (1 - x2)^10
fac_eff <- c(A = 0, B = 1, C = -0.7)[as.character(fac)]
by_eff <- ifelse(fac == "A", sin(2 * pi * x2), ifelse(fac == "B", 2 * x2, 0))
f <- f0 + f1 + f2
y_gauss <- f + rnorm(n, sd = 2)
y_fac <- f0 + f2 / 3 + fac_eff + rnorm(n, sd = 1)
y_re <- f0 + f2 / 3 + re_eff[as.integer(g)] + rnorm(n, sd = 1)
y_te <- f0 + 3 * sin(2 * x1) * cos(3 * x2) + rnorm(n, sd = 0.5)
y_by <- f0 + fac_eff + 2 * by_eff + rnorm(n, sd = 0.7)
y_pois <- rpois(n, exp(f / 5))
y_pois_re <- rpois(n, exp(1 + f0 / 2 + re_eff[as.integer(g)]))
y_binom <- rbinom(n, 1, plogis((f - 8) / 3))
trials <- sample(1:6, n, replace = TRUE)
p_binom <- rbinom(n, trials, plogis((f - 8) / 4)) / trials
y_gamma <- rgamma(n, shape = 4, scale = exp(f / 8) / 4)
w <- round(runif(n, 0.5, 2), 2)
dat <- data.frame(x0, x1, x2, x3, fac, g, y_gauss, y_fac, y_re, y_te, y_by, y_pois,
                  y_pois_re, y_binom, trials, p_binom, y_gamma, w)

fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
csv <- file.path(data_dir, "gamsum_data.csv")
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
  if (is.null(tab)) return(NULL)
  list(rows = I(rownames(tab)), columns = I(colnames(tab)), values = mat(tab))
}

smooth_json <- function(m) {
  sp <- if (is.null(m$full.sp)) m$sp else m$full.sp
  k <- 1
  lapply(m$smooth, function(s) {
    ns <- length(s$S)
    sps <- if (ns > 0) sp[k:(k + ns - 1)] else numeric(0)
    k <<- k + ns
    fx <- if (inherits(s, "tensor.smooth") && !is.null(s$fx)) all(s$fx) else s$fixed
    list(label = s$label, first_para = as.integer(s$first.para),
         last_para = as.integer(s$last.para), null_space_dim = as.integer(s$null.space.dim),
         fixed = isTRUE(fx), random = isTRUE(s$random), class = class(s)[1],
         S = lapply(s$S, mat), sp = num(sps))
  })
}

record <- function(name, description, formula, family = gaussian(), method = "REML",
                   weights = NULL) {
  fml <- as.formula(formula, env = globalenv())  # printed without an <environment> line
  args <- list(formula = fml, family = family, data = dat, method = method)
  if (!is.null(weights)) args$weights <- dat[[weights]]
  m <- do.call(gam, args)
  s <- summary(m)
  ll <- logLik(m)
  list(
    name = name,
    description = description,
    formula = formula,
    family = m$family$family,
    link = m$family$link,
    method_arg = method,
    method = m$method,
    weights = weights,
    n = nrow(m$model),
    coef_names = I(names(coef(m))),
    coefficients = num(coef(m)),
    X = mat(predict(m, type = "lpmatrix")),
    R = mat(m$R),
    Vp = mat(m$Vp),
    Ve = mat(m$Ve),
    edf = num(m$edf),
    edf1 = num(m$edf1),
    edf2 = num(m$edf2),
    smooths = smooth_json(m),
    nsdf = as.integer(m$nsdf),
    assign = I(as.integer(m$assign)),
    term_labels = I(as.character(attr(m$pterms, "term.labels"))),
    y = num(m$y),
    fitted = num(m$fitted.values),
    prior_weights = num(m$prior.weights),
    working_weights = num(m$weights),
    sig2 = scalar(m$sig2),
    scale = scalar(m$scale),
    scale_estimated = isTRUE(m$scale.estimated),
    df_residual = scalar(m$df.residual),
    deviance = scalar(m$deviance),
    null_deviance = scalar(m$null.deviance),
    aic_object = scalar(m$aic),
    gcv_ubre = scalar(m$gcv.ubre),
    rank = as.integer(m$rank),
    n_coef = length(coef(m)),
    # ---- outputs ----
    p_table = table_json(s$p.table),
    s_table = table_json(s$s.table),
    pterms_table = table_json(s$pTerms.table),
    r_sq = scalar(if (is.null(s$r.sq)) NA else s$r.sq),
    dev_expl = scalar(s$dev.expl),
    residual_df = scalar(s$residual.df),
    summary_scale = scalar(s$scale),
    loglik = scalar(ll),
    loglik_df = scalar(attr(ll, "df")),
    aic = scalar(AIC(m)),
    bic = scalar(BIC(m)),
    summary_text = paste(capture.output(print(s)), collapse = "\n")
  )
}

cases <- list(
  record("gauss_cr_tp", "gaussian, cr and tp smooths, REML",
         "y_gauss ~ s(x0,bs='cr') + s(x1) + s(x2, bs = \"tp\") + s(x3)"),
  record("gauss_gcv", "gaussian, GCV.Cp, a parametric slope",
         "y_gauss ~ s(x0) + s(x1) + s(x2) + x3", method = "GCV.Cp"),
  record("gauss_ml_weights", "gaussian, ML, prior weights",
         "y_gauss ~ s(x0) + s(x1, k = 5) + s(x2)", method = "ML", weights = "w"),
  record("poisson_reml", "poisson, REML, Chi.sq column",
         "y_pois ~ s(x0) + s(x1) + s(x2) + s(x3)", family = poisson()),
  record("poisson_ubre", "poisson, UBRE (GCV.Cp with known scale)",
         "y_pois ~ s(x0) + s(x1) + s(x2)", family = poisson(), method = "GCV.Cp"),
  record("binomial_reml", "binary logistic, REML",
         "y_binom ~ s(x0) + s(x1) + s(x2) + s(x3)", family = binomial()),
  record("binomial_trials", "binomial proportions with trials as prior weights",
         "p_binom ~ s(x0) + s(x1) + s(x2)", family = binomial(), weights = "trials"),
  record("gamma_log", "Gamma with log link, REML",
         "y_gamma ~ s(x0) + s(x1) + s(x2) + s(x3, bs = 'cr')", family = Gamma(link = "log")),
  record("gauss_factor", "gaussian with a parametric factor",
         "y_fac ~ fac + s(x0) + s(x2) + x3"),
  record("gauss_re", "gaussian with a bs='re' random effect (reTest, F) and a cs smooth",
         "y_re ~ s(x0) + s(x2) + s(g, bs = \"re\") + s(x3, bs = \"cs\")"),
  record("poisson_re", "poisson with a bs='re' random effect (reTest, Chi.sq) and ts",
         "y_pois_re ~ s(x0) + s(g, bs = \"re\") + s(x3, bs = \"ts\")", family = poisson()),
  record("gauss_te", "tensor product te(x1, x2) and an unpenalized (fx = TRUE) smooth",
         "y_te ~ te(x1, x2) + s(x0, k = 5, fx = TRUE)"),
  record("gauss_factor_by", "factor-by smooth with the factor as main effect",
         "y_by ~ fac + s(x2, by = fac) + s(x0)"),
  record("long_formula", "a long formula (printed over two lines), ML, ti/te and re",
         "y_te ~ s(x0, bs = \"cr\", k = 12) + s(x1, bs = \"tp\") + ti(x1, x2, k = c(5, 5)) + s(g, bs = \"re\") + fac",
         method = "ML"),
  record("rank_deficient", "x0 both parametric and in s(x0): rank 19/20, NaN in the table",
         "y_gauss ~ x0 + s(x0) + s(x1)"),
  record("no_parametric", "no parametric coefficients, no p-value below 0.1 (no legend)",
         "y_binom ~ s(x3) - 1", family = binomial()),
  record("all_fixed", "only unpenalized (fx = TRUE) smooths: integer edf",
         "y_gauss ~ s(x0, bs = \"cr\", fx = TRUE, k = 4) + s(x1, k = 4, fx = TRUE)")
)
names(cases) <- NULL

# --- the distribution pieces on their own ---------------------------------------------
psum_case <- function(q, lb, df = rep(1, length(lb))) {
  p <- suppressWarnings(mgcv:::psum.chisq(q, lb, df = df))
  list(q = scalar(q), lb = num(lb), df = num(df), p = scalar(p))
}
set.seed(SEED + 1L)
lb_fstat <- function(val, d, k0) c(val, -d / k0)
psum_cases <- list(
  psum_case(0.5, c(1, 0.8, 0.3)), psum_case(3, c(1, 0.8, 0.3)),
  psum_case(10, c(1, 0.8, 0.3)), psum_case(30, c(1, 0.8, 0.3)),
  psum_case(80, c(1, 1, 1.2, 0.8)), psum_case(2.2, c(1.9, 0.1)),
  psum_case(7, c(rep(1, 8), 1.81, 0.19)), psum_case(25, c(rep(1, 19), 1.5, 0.5)),
  psum_case(0, lb_fstat(c(1, 1.7, 0.3), 9, 280), df = c(1, 1, 1, 280)),
  psum_case(0, lb_fstat(c(1, 1.7, 0.3), 2, 17), df = c(1, 1, 1, 17)),
  psum_case(0, lb_fstat(c(1.2, 0.8), 40, 95), df = c(1, 1, 95)),
  psum_case(4, c(2.5, 0.7, 0.2), df = c(1, 2, 3)),
  psum_case(1e-3, c(1, 0.5)), psum_case(150, c(1, 1, 1))
)
liu_case <- function(x, lb, h = rep(1, length(lb))) {
  list(x = scalar(x), lb = num(lb), h = num(h), p = scalar(mgcv:::liu2(x, lb, h)))
}
liu_cases <- list(liu_case(3, c(1, 0.8, 0.3)), liu_case(12, c(2, 1, 1, 0.2)),
                  liu_case(1, c(1, 0.5), c(2, 3)), liu_case(40, c(1, 1, 1, 1)))
teststat_case <- function(q, m, rank, res_df) {
  X <- matrix(rnorm(m * q), m, q)
  A <- matrix(rnorm(q * q), q, q)
  V <- crossprod(A) / (10 * q)
  b <- rnorm(q) * 0.3
  r <- mgcv:::testStat(b, X, V, rank, type = 0, res.df = res_df)
  list(coef = num(b), X = mat(X), V = mat(V), rank_in = scalar(rank), res_df = scalar(res_df),
       stat = scalar(r$stat), p = scalar(r$pval), rank = scalar(r$rank))
}
teststat_cases <- list(
  teststat_case(5, 30, 0.4, -1), teststat_case(5, 30, 1.0, -1), teststat_case(6, 40, 2.3, -1),
  teststat_case(9, 60, 5.7, -1), teststat_case(9, 60, 5.7, 48.6), teststat_case(4, 25, 1.6, 20),
  teststat_case(8, 50, 8, -1), teststat_case(8, 50, 3, 41.2), teststat_case(3, 20, 0.8, 12.5)
)

result <- list(
  generated_by = "validation_r/gam_summary_reference.R",
  r_version = R.version.string,
  package_versions = list(mgcv = as.character(packageVersion("mgcv")),
                          jsonlite = as.character(packageVersion("jsonlite"))),
  seed = SEED,
  data = "gamsum_data.csv",
  case_names = vapply(cases, function(x) x$name, character(1)),
  cases = cases,
  psum_chisq = psum_cases,
  liu2 = liu_cases,
  test_stat = teststat_cases
)
writeLines(toJSON(result, auto_unbox = TRUE, null = "null", json_verbatim = TRUE,
                  pretty = FALSE), out_json)
cat("wrote", out_json, "with", length(cases), "cases\n")
