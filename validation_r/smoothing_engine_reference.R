# R reference values for the smoothing-parameter engine (aurora/engine/smoothing.py).
#
# Run from the repository root:
#     Rscript validation_r/smoothing_engine_reference.R
#
# Simulates gamSim(1)-like data (x0..x3 uniform, f0..f3 as in mgcv's gamSim(1)), writes it
# to validation_r/data/engine_data.csv (doubles with 17 significant digits, so they read back
# exactly), and fits every case with mgcv's gam() on the data as read back. For each case it
# records the pieces of `gam(..., fit = FALSE)` the engine is given (G$X, G$S, G$off, G$rank,
# G$y, G$w, G$offset) and what the fitted model reports (sp, gcv.ubre, scale, edf, edf1,
# edf2, coefficients, Vp, Ve, fitted values, deviance, outer iterations ...).
#
# Output: validation_r/smoothing_engine_reference.json. Model matrices are stored once per
# design (`designs`), and cases refer to them by name. Inputs (data, G$X, G$S, y, w,
# offset) are written with 17 significant digits, so they read back exactly; results (Vp,
# Ve, Vc, fitted values) with 15. `off` is mgcv's 1-based column offset; `L` and `lsp0` are
# mgcv's G$L (null when absent) and G$lsp0.

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})

SEED <- 20241010L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "smoothing_engine_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

# --- data: gamSim(1)'s functions, our own noise --------------------------------------
n <- 300L
x0 <- runif(n); x1 <- runif(n); x2 <- runif(n); x3 <- runif(n)
f0 <- 2 * sin(pi * x0)
f1 <- exp(2 * x1)
f2 <- 0.2 * x2^11 * (10 * (1 - x2))^6 + 10 * (10 * x2)^3 * (1 - x2)^10
f <- f0 + f1 + f2
y_gauss <- f + rnorm(n, sd = 2)
y_pois <- rpois(n, exp(f / 5))
y_binom <- rbinom(n, 1, plogis((f - 8) / 3))
trials <- sample(1:6, n, replace = TRUE)
p_binom <- rbinom(n, trials, plogis((f - 8) / 4)) / trials
y_gamma <- rgamma(n, shape = 4, scale = exp(f / 8) / 4)
w <- round(runif(n, 0.5, 2), 2)
expo <- round(runif(n, 0.5, 3), 2)
y_pois_off <- rpois(n, expo * exp(f / 6))
dat <- data.frame(x0, x1, x2, x3, y_gauss, y_pois, y_binom, trials, p_binom, y_gamma,
                  w, expo, y_pois_off)

fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
csv <- file.path(data_dir, "engine_data.csv")
out <- dat
for (j in seq_along(out)) out[[j]] <- fmt17(out[[j]])
write.table(out, csv, sep = ",", row.names = FALSE, quote = FALSE)
dat <- read.csv(csv)

# --- JSON helpers: every double with 17 significant digits ----------------------------
num <- function(x, digits = 17) {
  x <- as.numeric(x)
  s <- ifelse(is.finite(x), sprintf(paste0("%.", digits, "g"), x), "null")
  structure(paste0("[", paste(s, collapse = ","), "]"), class = "json")
}
mat <- function(m, digits = 17) {
  m <- as.matrix(m)
  rows <- vapply(seq_len(nrow(m)), function(i) unclass(num(m[i, ], digits)), character(1))
  structure(paste0("[", paste(rows, collapse = ","), "]"), class = "json")
}
scalar <- function(x) structure(if (is.finite(x)) sprintf("%.17g", x) else "null", class = "json")

designs <- list()

add_design <- function(name, G) {
  if (!is.null(designs[[name]])) {
    if (!identical(designs[[name]]$X, mat(G$X)) ||
        !identical(designs[[name]]$S, lapply(G$S, mat)))
      stop("design ", name, " is used for two different model matrices or penalties")
    return(name)
  }
  designs[[name]] <<- list(
    X = mat(G$X),
    S = lapply(G$S, mat),
    off = as.integer(G$off),
    rank = as.integer(G$rank),
    term_names = G$term.names,
    smooth_first_para = vapply(G$smooth, function(s) as.integer(s$first.para), integer(1)),
    smooth_last_para = vapply(G$smooth, function(s) as.integer(s$last.para), integer(1)),
    smooth_labels = vapply(G$smooth, function(s) s$label, character(1))
  )
  name
}

record <- function(name, description, design, formula, family, method = "REML",
                   sp = NULL, gamma = 1, weights = NULL, select = FALSE, scale = 0) {
  fml <- as.formula(formula)
  args <- list(formula = fml, family = family, data = dat, method = method, gamma = gamma,
               select = select, scale = scale)
  if (!is.null(sp)) args$sp <- sp
  if (!is.null(weights)) args$weights <- dat[[weights]]
  G <- do.call(gam, c(args, list(fit = FALSE)))
  m <- do.call(gam, args)
  add_design(design, G)
  oi <- m$outer.info
  list(
    name = name,
    description = description,
    design = design,
    formula = formula,
    family = m$family$family,
    link = m$family$link,
    method = method,
    sp_arg = if (is.null(sp)) NULL else num(sp),
    gamma = gamma,
    scale_arg = scale,
    select = select,
    weights = weights,
    y = num(G$y),
    w = num(G$w),
    offset = num(G$offset),
    n_sp = length(G$S),
    L = if (is.null(G$L)) NULL else mat(G$L),
    lsp0 = num(G$lsp0),
    sp = num(m$sp),
    gcv_ubre = scalar(m$gcv.ubre),
    gcv_ubre_name = names(m$gcv.ubre),
    scale = scalar(m$scale),
    sig2 = scalar(m$sig2),
    reml_scale = scalar(if (is.null(m$reml.scale)) NA else m$reml.scale),
    scale_estimated = m$scale.estimated,
    edf = num(m$edf),
    edf1 = num(m$edf1),
    edf2 = if (is.null(m$edf2)) NULL else num(m$edf2),
    coefficients = num(m$coefficients),
    Vp = mat(m$Vp, 15),
    Ve = mat(m$Ve, 15),
    Vc = if (is.null(m$Vc)) NULL else mat(m$Vc, 15),
    fitted = num(m$fitted.values, 15),
    deviance = scalar(m$deviance),
    null_deviance = scalar(m$null.deviance),
    aic = scalar(m$aic),
    outer_iter = if (is.null(oi$iter)) NULL else as.integer(oi$iter),
    outer_conv = if (is.null(oi$conv)) NULL else oi$conv,
    outer_grad = if (is.null(oi$grad)) NULL else num(oi$grad),
    outer_hess = if (is.null(oi$hess)) NULL else mat(oi$hess),
    score_hist = if (is.null(oi$score.hist)) NULL else num(oi$score.hist),
    inner_iter = as.integer(m$iter),
    mgcv_converged = m$converged
  )
}

s3 <- "s(x0, bs = 'cr') + s(x1, bs = 'cr') + s(x2, bs = 'cr')"
cases <- list(
  record("gauss_reml", "gaussian, three cr smooths, REML", "cr3",
         paste("y_gauss ~", s3), gaussian()),
  record("gauss_ml", "gaussian, three cr smooths, ML", "cr3",
         paste("y_gauss ~", s3), gaussian(), method = "ML"),
  record("gauss_gcv", "gaussian, three cr smooths, GCV", "cr3",
         paste("y_gauss ~", s3), gaussian(), method = "GCV.Cp"),
  record("gauss_gcv_gamma", "gaussian, three cr smooths, GCV with gamma = 1.4", "cr3",
         paste("y_gauss ~", s3), gaussian(), method = "GCV.Cp", gamma = 1.4),
  record("gauss_reml_gamma", "gaussian, three cr smooths, REML with gamma = 1.4", "cr3",
         paste("y_gauss ~", s3), gaussian(), gamma = 1.4),
  record("poisson_reml", "poisson, three cr smooths, REML", "cr3",
         paste("y_pois ~", s3), poisson()),
  record("poisson_ubre", "poisson, three cr smooths, GCV.Cp (UBRE)", "cr3",
         paste("y_pois ~", s3), poisson(), method = "GCV.Cp"),
  record("binomial_reml", "binomial (0/1), three cr smooths, REML", "cr3",
         paste("y_binom ~", s3), binomial()),
  record("binomial_ml_trials", "binomial proportions with trials as weights, ML", "cr3",
         paste("p_binom ~", s3), binomial(), method = "ML", weights = "trials"),
  record("binomial_probit_reml", "binomial proportions, probit link (full Newton PIRLS), REML",
         "cr3", paste("p_binom ~", s3), binomial(link = "probit"), weights = "trials"),
  record("poisson_sqrt_ubre", "poisson, sqrt link (not canonical), GCV.Cp (UBRE)", "cr3",
         paste("y_pois ~", s3), poisson(link = "sqrt"), method = "GCV.Cp"),
  record("gamma_log_reml", "Gamma(log) (not canonical: full Newton PIRLS), REML", "cr3",
         paste("y_gamma ~", s3), Gamma(link = "log")),
  record("gamma_log_gcv", "Gamma(log), GCV (Fisher weights for tr(A))", "cr3",
         paste("y_gamma ~", s3), Gamma(link = "log"), method = "GCV.Cp"),
  record("te_reml", "gaussian, s(x0) + te(x1, x2): a block with two penalties, REML", "te",
         "y_gauss ~ s(x0, bs = 'cr') + te(x1, x2, k = 5)", gaussian()),
  record("te_poisson_reml", "poisson, s(x0) + te(x1, x2), REML", "te",
         "y_pois ~ s(x0, bs = 'cr') + te(x1, x2, k = 5)", poisson()),
  record("tp4_reml", "gaussian, four tp smooths, s(x3) has no effect (sp at its bound)", "tp4",
         "y_gauss ~ s(x0) + s(x1) + s(x2) + s(x3)", gaussian()),
  record("select_reml", "gaussian, select = TRUE: two penalties per smooth, REML", "tp4sel",
         "y_gauss ~ s(x0) + s(x1) + s(x2) + s(x3)", gaussian(), select = TRUE),
  record("fixed_sp_reml", "gaussian REML with all sp fixed (scale still estimated)", "cr3",
         paste("y_gauss ~", s3), gaussian(), sp = c(2, 30, 0.05)),
  record("fixed_sp_poisson", "poisson REML with all sp fixed: nothing to optimise", "cr3",
         paste("y_pois ~", s3), poisson(), sp = c(50, 300, 2)),
  record("gauss_ubre", "gaussian with known scale 4, GCV.Cp (UBRE, mgcv's magic)", "cr3",
         paste("y_gauss ~", s3), gaussian(), method = "GCV.Cp", scale = 4),
  record("gauss_gcv_weights", "gaussian with prior weights, GCV (magic: unweighted start)",
         "cr3", paste("y_gauss ~", s3), gaussian(), method = "GCV.Cp", weights = "w"),
  record("partial_sp_reml", "poisson REML with the second sp fixed, the others estimated",
         "cr3", paste("y_pois ~", s3), poisson(), sp = c(-1, 30, -1)),
  record("id_reml", "gaussian REML, s(x1) and s(x2) share one sp (id = 1: mgcv's G$L)",
         "cr3id12", "y_gauss ~ s(x0, bs = 'cr') + s(x1, bs = 'cr', id = 1) + s(x2, bs = 'cr', id = 1)",
         gaussian()),
  record("id_poisson_gcv", "poisson UBRE with s(x0) and s(x1) sharing one sp", "cr3id01",
         "y_pois ~ s(x0, bs = 'cr', id = 1) + s(x1, bs = 'cr', id = 1) + s(x2, bs = 'cr')",
         poisson(), method = "GCV.Cp"),
  record("weights_gauss_reml", "gaussian with prior weights, REML", "cr3",
         paste("y_gauss ~", s3), gaussian(), weights = "w"),
  record("offset_poisson_reml", "poisson with offset(log(expo)) and prior weights, REML",
         "cr3", paste("y_pois_off ~", s3, "+ offset(log(expo))"), poisson(),
         weights = "w")
)

result <- list(
  generated_by = "validation_r/smoothing_engine_reference.R",
  r_version = R.version.string,
  package_versions = list(mgcv = as.character(packageVersion("mgcv")),
                          jsonlite = as.character(packageVersion("jsonlite"))),
  seed = SEED,
  data = "engine_data.csv",
  case_names = I(vapply(cases, `[[`, character(1), "name")),
  designs = designs,
  cases = cases
)
writeLines(toJSON(result, auto_unbox = TRUE, null = "null", json_verbatim = TRUE,
                  pretty = FALSE), out_json)
cat("wrote", out_json, "\n")
