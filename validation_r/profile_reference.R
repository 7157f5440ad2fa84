# R reference values for Aurora's profile-likelihood confidence intervals.
#
# Run from the repository root:
#     Rscript validation_r/profile_reference.R
#
# Every model is fitted on a dataset shipped in aurora/datasets/data/ (read from its
# CSV, factor levels as in its JSON), so no data are written. For each model the JSON
# holds confint(fit) and confint(fit, level = 0.9) (MASS's profile.glm +
# confint.profile.glm, which is what stats' confint.glm calls in R 4.2), the profile
# behind the 95% interval (signed root statistic and parameter values for every
# coefficient), R's Wald intervals (confint.default) and the warnings R gave.
# "spline_checks" holds R's spline() and approx() on a few profiles, for testing
# Aurora's transcription of them on its own.
#
# Numbers are written with 15 or, where needed, 17 significant digits, so they read back
# as R's doubles.

suppressPackageStartupMessages({
  library(jsonlite)
  library(MASS)
})

out_json <- file.path("validation_r", "profile_reference.json")
data_dir <- file.path("aurora", "datasets", "data")

load_dataset <- function(name) {
  meta <- fromJSON(file.path(data_dir, paste0(name, ".json")))
  df <- read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = FALSE)
  for (col in names(meta$factors)) {
    df[[col]] <- factor(as.character(df[[col]]), levels = meta$factors[[col]])
  }
  df
}

# name, dataset, formula, family (Aurora's spelling), link, weights column
cases <- list(
  list(name = "poisson_insectsprays", dataset = "InsectSprays", formula = "count ~ spray",
       family = "poisson", link = "log"),
  list(name = "poisson_dobson", dataset = "dobson", formula = "counts ~ outcome + treatment",
       family = "poisson", link = "log"),
  list(name = "poisson_offset", dataset = "mtcars", formula = "carb ~ wt + offset(log(cyl))",
       family = "poisson", link = "log"),
  list(name = "poisson_aliased", dataset = "mtcars", formula = "carb ~ wt + disp + I(2 * wt)",
       family = "poisson", link = "log"),
  list(name = "poisson_intercept_only", dataset = "InsectSprays", formula = "count ~ 1",
       family = "poisson", link = "log"),
  list(name = "binomial_mtcars", dataset = "mtcars", formula = "am ~ wt + hp",
       family = "binomial", link = "logit"),
  # complete separation: huge limits, every refit warns
  list(name = "binomial_separation", dataset = "mtcars", formula = "am ~ hp + wt + qsec",
       family = "binomial", link = "logit"),
  # the profile does not reach the cutoff on one side: NA limits
  list(name = "binomial_na_limit", dataset = "mtcars", formula = "am ~ gear",
       family = "binomial", link = "logit"),
  list(name = "binomial_cbind", dataset = "warpbreaks",
       formula = "cbind(breaks, 70 - breaks) ~ wool + tension",
       family = "binomial", link = "logit"),
  list(name = "gaussian_mtcars", dataset = "mtcars", formula = "mpg ~ wt + hp",
       family = "gaussian", link = "identity"),
  list(name = "gaussian_weights_no_intercept", dataset = "mtcars", formula = "mpg ~ 0 + wt",
       family = "gaussian", link = "identity", weights = "cyl"),
  list(name = "gamma_log", dataset = "mtcars", formula = "mpg ~ wt + qsec",
       family = "Gamma", link = "log"),
  list(name = "inverse_gaussian", dataset = "mtcars", formula = "mpg ~ wt",
       family = "inverse.gaussian", link = "1/mu^2"),
  list(name = "quasipoisson_warpbreaks", dataset = "warpbreaks", formula = "breaks ~ wool + tension",
       family = "quasipoisson", link = "log"),
  list(name = "negbin_quine", dataset = "quine", formula = "Days ~ Eth + Sex + Age + Lrn",
       family = "negative_binomial", link = "log"),
  list(name = "negbin_warpbreaks", dataset = "warpbreaks", formula = "breaks ~ wool * tension",
       family = "negative_binomial", link = "log")
)

r_family <- function(case) {
  switch(case$family,
         poisson = poisson(link = case$link),
         binomial = binomial(link = case$link),
         gaussian = gaussian(link = case$link),
         Gamma = Gamma(link = case$link),
         inverse.gaussian = inverse.gaussian(link = case$link),
         quasipoisson = quasipoisson(link = case$link))
}

# Run expr, collecting the text of its warnings (unique, in order) instead of printing.
collect_warnings <- function(expr) {
  msgs <- character(0)
  value <- withCallingHandlers(
    suppressMessages(expr),
    warning = function(w) {
      msgs <<- c(msgs, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  list(value = value, warnings = unique(msgs))
}

# Shortest of 15 or 17 significant digits that reads back as the same double, inserted
# verbatim (jsonlite itself stops at 15); NA and NaN become null.
fmt_num <- function(x) {
  s <- sprintf("%.15g", x)
  bad <- !is.na(x)
  bad[bad] <- as.numeric(s[bad]) != x[bad]
  s[bad] <- sprintf("%.17g", x[bad])
  s[is.na(x)] <- "null"
  s
}
num <- function(x) structure(paste0("[", paste(fmt_num(as.numeric(x)), collapse = ","), "]"),
                             class = "json")
num1 <- function(x) structure(fmt_num(as.numeric(x)), class = "json")

# confint's value: a matrix, or a named vector of 2 for a single coefficient
ci_table <- function(ci) {
  if (!is.matrix(ci)) ci <- matrix(ci, nrow = 1L, dimnames = list(NULL, names(ci)))
  list(columns = colnames(ci), values = lapply(seq_len(nrow(ci)), function(i) num(ci[i, ])))
}

fit_case <- function(case) {
  df <- load_dataset(case$dataset)
  f <- as.formula(case$formula)
  suppressWarnings(  # the separated binomial fits warn; the tests check their profiles' warnings
    if (case$family == "negative_binomial") {
      glm.nb(f, data = df)
    } else if (!is.null(case$weights)) {
      df$.w <- df[[case$weights]]
      glm(f, family = r_family(case), data = df, weights = .w)
    } else {
      glm(f, family = r_family(case), data = df)
    })
}

run_case <- function(case) {
  fit <- fit_case(case)
  prof <- collect_warnings(profile(fit, alpha = (1 - 0.95) / 4))
  ci95 <- collect_warnings(confint(fit))
  ci90 <- collect_warnings(confint(fit, level = 0.9))
  profile_out <- lapply(names(prof$value), function(pn) {
    pr <- prof$value[[pn]]
    if (is.null(pr)) return(NULL)  # aliased: not profiled
    pv <- as.matrix(pr$par.vals)
    list(stat = names(pr)[1], z = num(pr[[1]]),
         par_vals = lapply(seq_len(nrow(pv)), function(i) num(pv[i, ])))
  })
  names(profile_out) <- names(prof$value)
  prof_95[[case$name]] <<- prof$value
  list(
    name = case$name,
    dataset = case$dataset,
    formula = case$formula,
    family = case$family,
    link = case$link,
    weights = if (is.null(case$weights)) NULL else case$weights,
    fitter = if (inherits(fit, "negbin")) "glm.nb" else "glm",
    r_family = family(fit)$family,
    theta = if (inherits(fit, "negbin")) num1(fit$theta) else NULL,
    coef_names = I(names(coef(fit))),
    coefficients = num(coef(fit)),
    deviance = num1(deviance(fit)),
    dispersion = num1(summary(fit)$dispersion),
    confint_95 = ci_table(ci95$value),
    confint_90 = ci_table(ci90$value),
    confint_default_95 = ci_table(confint.default(fit)),
    confint_default_90 = ci_table(confint.default(fit, level = 0.9)),
    warnings_95 = I(ci95$warnings),
    warnings_90 = I(ci90$warnings),
    profile_95 = profile_out
  )
}

prof_95 <- list()
results <- lapply(cases, run_case)

# spline() and approx() as confint.profile.glm calls them, on a few of the profiles above
spline_checks <- list()
for (res in results[c(1, 6, 8, 13)]) {
  for (pn in names(res$profile_95)[1:2]) {
    pr <- res$profile_95[[pn]]
    pv <- as.matrix(prof_95[[res$name]][[pn]]$par.vals)
    x <- unname(pv[, match(pn, res$coef_names)])
    y <- prof_95[[res$name]][[pn]][[1]]
    sp <- spline(x = x, y = y)
    cutoff <- qnorm(c(0.025, 0.975, 0.05, 0.95))
    spline_checks[[length(spline_checks) + 1]] <- list(
      case = res$name, parameter = pn, x = num(x), y = num(y),
      spline_x = num(sp$x), spline_y = num(sp$y), cutoff = num(cutoff),
      approx = num(approx(sp$y, sp$x, xout = cutoff)$y))
  }
}
# unsorted x with a tie, and seq.int's grid, on their own
set.seed(1)
x <- c(sort(runif(12)), 0.5, 0.5)[sample(14)]
y <- sin(3 * x) + x
sp <- suppressWarnings(spline(x = x, y = y))
spline_checks[[length(spline_checks) + 1]] <- list(
  case = "synthetic_ties", parameter = "", x = num(x), y = num(y),
  spline_x = num(sp$x), spline_y = num(sp$y), cutoff = num(c(0.3, 1.1, -5)),
  approx = num(approx(sp$y, sp$x, xout = c(0.3, 1.1, -5))$y))

out <- list(
  generated_by = "validation_r/profile_reference.R",
  r_version = R.version.string,
  package_versions = list(stats = as.character(packageVersion("stats")),
                          MASS = as.character(packageVersion("MASS")),
                          jsonlite = as.character(packageVersion("jsonlite"))),
  case_names = vapply(results, function(r) r$name, character(1)),
  cases = results,
  spline_checks = spline_checks
)

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                  json_verbatim = TRUE, pretty = TRUE), out_json)
cat("wrote", out_json, "\n")
