# R reference values for Aurora's GLM tests.
#
# Run from the repository root:
#     Rscript validation_r/glm_reference.R
#
# Writes the simulated data sets (and new data for predict) to validation_r/data/*.csv
# and every quantity the tests compare with to validation_r/glm_reference.json.
# See validation_r/README.md for the layout of the JSON.
#
# Every fit is made on the data *as read back from its CSV*, so that Python, reading
# the same file, sees exactly the numbers R fitted. Factor columns hold labels
# "A", "B", "C", ... so that alphabetical order is R's level order.

suppressPackageStartupMessages({
  library(jsonlite)
  library(MASS)     # glm.nb, negative.binomial (anova.negbin needs it attached)
  library(car)      # Anova, linearHypothesis
  library(statmod)  # rinvgauss
  library(splines)  # ns, bs in formulas
})

# ASCII quotes in printed summaries (the significance legend), whatever the locale.
options(useFancyQuotes = FALSE)

SEED <- 20240611L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "glm_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)
# The CSVs are overwritten, not cleared first: other scripts write their own files
# (influence_*, profile_*, printing_*) into the same folder. Delete the files of a case
# that is removed from this script by hand.

# ---------------------------------------------------------------------------
# CSV helpers

# Shortest of 15 or 17 significant digits that reads back as the same double.
fmt_num <- function(x) {
  s <- sprintf("%.15g", x)
  bad <- !is.na(x) & as.numeric(s) != x
  s[bad] <- sprintf("%.17g", x[bad])
  s[is.na(x)] <- "NA"
  s
}

# Date-times (POSIXct) are written as UTC text "2024-01-02 03:04:05" (whole seconds) and
# read back as POSIXct; `na` is how a missing label is written ("" for an empty cell).
write_data <- function(df, file, na = "NA") {
  out <- df
  is_chr <- vapply(df, function(v) is.factor(v) || is.character(v), logical(1))
  is_dt <- vapply(df, function(v) inherits(v, "POSIXct"), logical(1))
  for (j in seq_along(df)) {
    v <- df[[j]]
    out[[j]] <- if (is_dt[j]) format(v, "%Y-%m-%d %H:%M:%S", tz = "UTC")
      else if (is_chr[j]) as.character(v) else if (is.double(v)) fmt_num(v) else as.character(v)
  }
  path <- file.path(data_dir, file)
  write.table(out, path, sep = ",", row.names = FALSE, quote = which(is_chr), qmethod = "double",
              na = na)
  back <- read.csv(path, stringsAsFactors = TRUE, na.strings = unique(c("NA", na)))
  for (j in which(is_dt)) back[[j]] <- as.POSIXct(as.character(back[[j]]), tz = "UTC")
  back
}

levs <- function(k) LETTERS[seq_len(k)]
fac <- function(n, k) sample(levs(k), n, replace = TRUE)
r4 <- function(x) round(x, 4)

# New data for predict(): numeric columns uniform inside the observed 10%-90% range,
# factor columns cycling through every level.
make_new <- function(df, cols, m = 12L) {
  out <- lapply(cols, function(col) {
    v <- df[[col]]
    if (is.factor(v)) rep_len(levels(v), m)
    else {
      q <- quantile(v, c(0.1, 0.9), names = FALSE)
      r4(runif(m, q[1], q[2]))
    }
  })
  as.data.frame(setNames(out, cols), stringsAsFactors = FALSE)
}

# ---------------------------------------------------------------------------
# JSON helpers

arr <- function(x) if (is.null(x)) NULL else I(unname(as.vector(x)))
named <- function(x) as.list(x)
rows <- function(m) if (is.null(m)) NULL else unname(as.matrix(m))
scalar <- function(x) if (is.null(x) || length(x) == 0 || is.na(x[1])) NA else unname(x[1])
empty_obj <- function() setNames(list(), character(0))

# Fit with a call that prints cleanly in summary(): glm(formula = ..., family = ..., data = data, ...)
# `glm_args`: further arguments as R code, e.g. c(subset = "cyl != 6", na.action = "na.exclude").
fit_glm <- function(formula, family, data, weights = NULL, offset = NULL, glm_args = NULL) {
  args <- c(formula, paste0("family = ", family), "data = data")
  if (!is.null(weights)) args <- c(args, paste0("weights = ", weights))
  if (!is.null(offset)) args <- c(args, paste0("offset = ", offset))
  if (length(glm_args)) args <- c(args, paste0(names(glm_args), " = ", glm_args))
  eval(parse(text = paste0("glm(", paste(args, collapse = ", "), ")")))
}

fit_nb <- function(formula, data) {
  eval(parse(text = paste0("MASS::glm.nb(", formula, ", data = data)")))
}

refusals <- character(0)

capture <- function(expr) {
  w <- character(0)
  val <- withCallingHandlers(expr, warning = function(cnd) {
    w <<- c(w, conditionMessage(cnd))
    invokeRestart("muffleWarning")
  })
  list(value = val, warnings = w)
}

# ---------------------------------------------------------------------------
# One case: fit, then every quantity the Python tests compare with.

record_case <- function(name, description, formula, family_call, data, data_file = NULL,
                        dataset = NULL, weights = NULL, offset = NULL, fitter = "glm",
                        family_args = empty_obj(), newdata, newdata_file, glm_args = NULL) {
  notes <- character(0)
  safe <- function(expr, what) {
    tryCatch(expr, error = function(e) {
      msg <- paste0(name, ": ", what, ": ", conditionMessage(e))
      notes <<- c(notes, msg)
      refusals <<- c(refusals, msg)
      NULL
    })
  }
  fitted_call <- capture(
    if (fitter == "glm.nb") fit_nb(formula, data)
    else fit_glm(formula, family_call, data, weights, offset, glm_args)
  )
  fit <- fitted_call$value
  all_warnings <- fitted_call$warnings

  res <- capture({
    s <- summary(fit)
    cf <- coef(fit)
    nm <- names(cf)
    ct <- s$coefficients
    align <- function(j) {
      v <- setNames(rep(NA_real_, length(nm)), nm)
      v[rownames(ct)] <- ct[, j]
      named(v)
    }
    aliased <- nm[is.na(cf)]
    ll <- safe(logLik(fit), "logLik")
    bic <- safe(BIC(fit), "BIC")
    disp_known <- fit$family$family %in% c("binomial", "poisson") ||
      grepl("^Negative Binomial", fit$family$family)
    test <- if (disp_known) "Chisq" else "F"
    av <- safe(anova(fit, test = test), "anova")
    anova_seq <- if (is.null(av)) NULL else list(
      test = test,
      terms = arr(rownames(av)),
      df = arr(av$Df),
      deviance = arr(av$Deviance),
      resid_df = arr(av[["Resid. Df"]]),
      resid_dev = arr(av[["Resid. Dev"]]),
      F = if (test == "F") arr(av$F) else NULL,
      p_value = arr(av[[ncol(av)]])
    )
    if (is.null(anova_seq$F)) anova_seq$F <- NULL
    ci <- confint.default(fit)
    pl <- predict(fit, newdata, type = "link", se.fit = TRUE)
    pr <- predict(fit, newdata, type = "response", se.fit = TRUE)
    pt <- predict(fit, newdata, type = "terms")
    # its warnings repeat those of the predict() calls above
    pts <- safe(suppressWarnings(predict(fit, newdata, type = "terms", se.fit = TRUE))$se.fit,
                "predict terms se")
    vc <- s$cov.scaled

    out <- list(
      name = name,
      description = description,
      data = data_file,
      dataset = dataset,
      formula = formula,
      call = paste(deparse(fit$call, width.cutoff = 500L), collapse = " "),
      family = family(fit)$family,
      link = family(fit)$link,
      family_call = if (fitter == "glm.nb") NA else family_call,
      weights = weights,
      offset = offset,
      fitter = fitter,
      family_args = family_args,
      n = nobs(fit),
      rank = fit$rank,
      coef_names = arr(nm),
      aliased = arr(aliased),
      coefficients = named(cf),
      std_errors = align(2),
      statistic = align(3),
      statistic_type = if (grepl("^t", colnames(ct)[3])) "t" else "z",
      p_values = align(4),
      deviance = fit$deviance,
      null_deviance = fit$null.deviance,
      df_residual = fit$df.residual,
      df_null = fit$df.null,
      aic = scalar(fit$aic),
      loglik = if (is.null(ll)) NA else scalar(as.numeric(ll)),
      loglik_df = if (is.null(ll)) NA else attr(ll, "df"),
      bic = if (is.null(bic)) NA else scalar(bic),
      dispersion = s$dispersion,
      iter = fit$iter,
      converged = fit$converged,
      y = arr(fit$y),
      prior_weights = arr(fit$prior.weights),
      offset_values = arr(fit$offset),
      fitted = arr(fitted(fit)),
      linear_predictors = arr(fit$linear.predictors),
      residuals = list(
        deviance = arr(residuals(fit, type = "deviance")),
        pearson = arr(residuals(fit, type = "pearson")),
        response = arr(residuals(fit, type = "response")),
        working = arr(residuals(fit, type = "working"))
      ),
      hat = arr(safe(hatvalues(fit), "hatvalues")),
      cooks = arr(safe(cooks.distance(fit), "cooks.distance")),
      rstudent = arr(safe(rstudent(fit), "rstudent")),
      rstandard = arr(safe(rstandard(fit), "rstandard")),
      dfbetas = rows(safe(dfbetas(fit), "dfbetas")),
      dfbetas_names = arr(nm[!is.na(cf)]),
      vcov_names = arr(rownames(vc)),
      vcov = rows(vc),
      confint_wald = lapply(split(ci, seq_len(nrow(ci))), arr),
      predict = list(
        newdata = newdata_file,
        link = arr(pl$fit),
        se_link = arr(pl$se.fit),
        response = arr(pr$fit),
        se_response = arr(pr$se.fit),
        residual_scale = scalar(pl$residual.scale),
        terms = lapply(setNames(seq_len(ncol(pt)), colnames(pt)), function(j) arr(pt[, j])),
        terms_se = if (is.null(pts)) NULL else
          lapply(setNames(seq_len(ncol(pts)), colnames(pts)), function(j) arr(pts[, j])),
        # predict() without new data: on the fitted rows, padded with NA at rows that
        # na.exclude dropped (the same as linear_predictors / fitted otherwise)
        no_newdata = list(link = arr(predict(fit, type = "link")),
                          response = arr(predict(fit, type = "response")))
      ),
      anova_seq = anova_seq,
      summary_text = paste(capture.output(print(s)), collapse = "\n"),
      print_text = paste(capture.output(print(fit)), collapse = "\n"),
      anova_text = if (is.null(av)) NULL else paste(capture.output(print(av)), collapse = "\n")
    )
    names(out$confint_wald) <- rownames(ci)
    if (fitter == "glm.nb") {
      out$theta <- fit$theta
      out$se_theta <- fit$SE.theta
      out$twologlik <- fit$twologlik
    }
    out
  })
  out <- res$value
  out$warnings <- arr(c(all_warnings, res$warnings))
  out$notes <- arr(notes)
  if (length(all_warnings)) message(name, " fit warnings: ", paste(all_warnings, collapse = "; "))
  message("case ", name, ": converged=", fit$converged, " iter=", fit$iter)
  list(case = out, fit = fit)
}

cases <- list()
fits <- list()

# glm's other arguments, recorded in the case JSON in a form Python can use:
#   subset        an R expression as text ("cyl != 6"), passed to glm unevaluated
#                 (subset = cyl != 6); keep it valid pandas DataFrame.eval syntax too
#   subset_column the name of a logical column of the data (subset = keep)
#   na_action     "exclude" for na.action = na.exclude
#   control       list(epsilon = , maxit = ) for control = glm.control(...)
#   start         numeric vector for start = c(...)
#   newdata_na    extra new data with missing values (written with empty cells) for
#                 predict.newdata_na
# POSIXct columns of df are listed in datetime_columns.
add_case <- function(name, description, formula, family_call, df, response_cols,
                     weights = NULL, offset = NULL, fitter = "glm",
                     family_args = empty_obj(), newdata = NULL, dataset = NULL,
                     ordered = NULL, subset = NULL, subset_column = NULL,
                     na_action = NULL, control = NULL, start = NULL, newdata_na = NULL) {
  glm_args <- c(
    if (!is.null(subset)) c(subset = subset),
    if (!is.null(subset_column)) c(subset = subset_column),
    if (!is.null(na_action)) c(na.action = paste0("na.", na_action)),
    if (!is.null(start)) c(start = paste0("c(", paste(start, collapse = ", "), ")")),
    if (!is.null(control))
      c(control = paste0("glm.control(", paste(names(control), "=", unlist(control),
                                               collapse = ", "), ")"))
  )
  if (is.null(dataset)) {
    data_file <- paste0(name, ".csv")
    data <- write_data(df, data_file)
    # ordered factors (R's default contrasts for them are contr.poly); the CSV keeps the
    # labels, the JSON the level order
    for (col in names(ordered))
      data[[col]] <- factor(as.character(data[[col]]), levels = ordered[[col]], ordered = TRUE)
  } else {
    data_file <- NULL
    data <- df
  }
  if (is.null(newdata)) {
    newdata <- make_new(data, setdiff(names(data), c(response_cols, weights, subset_column)))
  }
  newdata_file <- paste0(name, "_new.csv")
  newdata <- write_data(newdata, newdata_file)
  # Keep the fitted factor levels even if new data lacks some (it should not).
  for (col in names(newdata)) if (is.factor(data[[col]]))
    newdata[[col]] <- factor(as.character(newdata[[col]]), levels = levels(data[[col]]))
  r <- record_case(name, description, formula, family_call, data, data_file, dataset,
                   weights, offset, fitter, family_args, newdata, newdata_file, glm_args)
  if (!is.null(ordered)) r$case$ordered <- ordered
  if (!is.null(subset)) r$case$subset <- subset
  if (!is.null(subset_column)) r$case$subset_column <- subset_column
  if (!is.null(na_action)) r$case$na_action <- na_action
  if (!is.null(control)) r$case$control <- control
  if (!is.null(start)) r$case$start <- arr(start)
  dt_cols <- names(data)[vapply(data, function(v) inherits(v, "POSIXct"), logical(1))]
  if (length(dt_cols)) r$case$datetime_columns <- arr(dt_cols)
  if (!is.null(newdata_na)) {
    na_file <- paste0(name, "_new_na.csv")
    nd <- write_data(newdata_na, na_file, na = "")
    for (col in names(nd)) if (is.factor(data[[col]]))
      nd[[col]] <- factor(as.character(nd[[col]]), levels = levels(data[[col]]))
    pl <- predict(r$fit, nd, type = "link", se.fit = TRUE)
    pr <- predict(r$fit, nd, type = "response", se.fit = TRUE)
    r$case$predict$newdata_na <- list(newdata = na_file, link = arr(pl$fit),
                                      se_link = arr(pl$se.fit), response = arr(pr$fit),
                                      se_response = arr(pr$se.fit))
  }
  cases[[length(cases) + 1L]] <<- r$case
  fits[[name]] <<- r$fit
  invisible(r$fit)
}

# ---------------------------------------------------------------------------
# Simulated cases. Each block fixes its own seed so cases do not depend on order.

## 1. gaussian identity, numeric x1, x2, 3-level factor f and x1:f
set.seed(SEED + 1L)
n <- 150
d <- data.frame(x1 = r4(rnorm(n)), x2 = r4(runif(n, -1, 1)), f = fac(n, 3))
eff <- c(A = 0, B = 1, C = -0.5)[d$f]
slope <- c(A = 1.5, B = 0.5, C = 2.5)[d$f]
d$y <- r4(1 + slope * d$x1 - 0.8 * d$x2 + eff + rnorm(n, sd = 0.7))
add_case("gaussian_identity_interaction",
         "Gaussian identity link with numeric x1, x2, factor f and the x1:f interaction.",
         "y ~ x1 + x2 + f + x1:f", "gaussian()", d, "y")

## 1b. gaussian identity, prior weights
set.seed(SEED + 101L)
n <- 120
d <- data.frame(x1 = r4(runif(n, 0, 10)), x2 = r4(rnorm(n)), w = r4(runif(n, 0.5, 3)))
d$y <- r4(2 + 0.4 * d$x1 + 1.2 * d$x2 + rnorm(n, sd = 1 / sqrt(d$w)))
add_case("gaussian_weighted",
         "Gaussian identity link with positive non-integer prior weights.",
         "y ~ x1 + x2", "gaussian()", d, "y", weights = "w")

## 1c. gaussian without intercept
set.seed(SEED + 102L)
n <- 120
d <- data.frame(f = fac(n, 3), x1 = r4(rnorm(n)))
d$y <- r4(c(A = 1, B = 2, C = 3)[d$f] + 0.7 * d$x1 + rnorm(n, sd = 0.5))
add_case("gaussian_no_intercept",
         "Gaussian identity link without an intercept: one coefficient per level of f.",
         "y ~ 0 + f + x1", "gaussian()", d, "y")

## 2. gaussian log link, positive y
set.seed(SEED + 2L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), x2 = r4(runif(n)))
mu <- exp(1 + 0.8 * d$x1 - 0.5 * d$x2)
d$y <- r4(pmax(mu + rnorm(n, sd = 0.3), 0.05))
add_case("gaussian_log", "Gaussian with log link on a positive response.",
         "y ~ x1 + x2", "gaussian(link = \"log\")", d, "y")

## 3. binomial logit, 0/1 response
set.seed(SEED + 3L)
n <- 300
d <- data.frame(x1 = r4(rnorm(n)), x2 = r4(rnorm(n)), f = fac(n, 3))
eta <- -0.3 + 0.9 * d$x1 - 0.6 * d$x2 + c(A = 0, B = 0.5, C = -0.7)[d$f]
d$y <- rbinom(n, 1, plogis(eta))
add_case("binomial_logit", "Binomial logit on a 0/1 response.",
         "y ~ x1 + x2 + f", "binomial()", d, "y")

## 4. binomial probit, proportions with trials as prior weights
set.seed(SEED + 4L)
n <- 150
d <- data.frame(x1 = r4(rnorm(n)), x2 = r4(runif(n)), trials = sample(5:20, n, replace = TRUE))
succ <- rbinom(n, d$trials, pnorm(-0.2 + 0.6 * d$x1 + 0.5 * d$x2))
d$prop <- succ / d$trials
add_case("binomial_probit_weights",
         "Binomial probit on proportions with the number of trials as prior weights.",
         "prop ~ x1 + x2", "binomial(link = \"probit\")", d, "prop", weights = "trials")

## 5. binomial cloglog, cbind(successes, failures)
set.seed(SEED + 5L)
n <- 150
d <- data.frame(x1 = r4(runif(n, -1, 1)), f = fac(n, 3))
m <- sample(3:15, n, replace = TRUE)
d$succ <- rbinom(n, m, 1 - exp(-exp(-0.5 + 0.8 * d$x1 + c(A = 0, B = 0.4, C = -0.4)[d$f])))
d$fail <- m - d$succ
add_case("binomial_cloglog_cbind", "Binomial cloglog with a cbind(successes, failures) response.",
         "cbind(succ, fail) ~ x1 + f", "binomial(link = \"cloglog\")", d, c("succ", "fail"))

## 6. binomial cauchit, 0/1
set.seed(SEED + 6L)
n <- 300
d <- data.frame(x1 = r4(rnorm(n)), x2 = r4(rnorm(n)))
d$y <- rbinom(n, 1, pcauchy(0.2 + 0.8 * d$x1 - 0.5 * d$x2))
add_case("binomial_cauchit", "Binomial cauchit link on a 0/1 response.",
         "y ~ x1 + x2", "binomial(link = \"cauchit\")", d, "y")

## 7. poisson log with a formula offset
set.seed(SEED + 7L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), f = fac(n, 3), expo = r4(runif(n, 0.5, 5)))
d$y <- rpois(n, d$expo * exp(0.3 + 0.7 * d$x1 + c(A = 0, B = 0.3, C = -0.4)[d$f]))
poisson_offset_data <- add_case("poisson_offset_formula",
  "Poisson log link with a formula offset(log(expo)).",
  "y ~ x1 + f + offset(log(expo))", "poisson()", d, "y")

## 7b. Gamma log link where some rows have prior weight 0 (R leaves them out of the
## degrees of freedom, the deviance and the summary's residual quantiles)
set.seed(SEED + 107L)
n <- 120
d <- data.frame(x1 = r4(runif(n)), w = rep(c(1, 2, 0, 1, 3, 0), length.out = n))
d$y <- r4(rgamma(n, shape = 3, rate = 3 / exp(0.5 + 0.8 * d$x1)))
add_case("gamma_zero_weights", "Gamma log link with prior weights, some of them zero.",
         "y ~ x1", "Gamma(link = \"log\")", d, "y", weights = "w")

## 7c. binomial with a factor response ("no" < "yes": the first level is failure) and
## missing values in a covariate (R's default na.omit drops and counts those rows)
set.seed(SEED + 108L)
n <- 160
d <- data.frame(x1 = r4(rnorm(n)), g = fac(n, 2))
p <- plogis(-0.2 + 0.9 * d$x1 + 0.6 * (d$g == "B"))
d$resp <- ifelse(runif(n) < p, "yes", "no")
d$x1[c(5, 17, 60)] <- NA
add_case("binomial_factor_response_na",
         "Binomial logit with a two-level factor response and three rows with a missing covariate.",
         "resp ~ x1 + g", "binomial()", d, "resp",
         newdata = data.frame(x1 = r4(seq(-1.5, 1.5, length.out = 6)), g = rep(c("A", "B"), 3)))

## 8. poisson log with non-integer prior weights and glm's offset= argument
set.seed(SEED + 8L)
n <- 150
d <- data.frame(x1 = r4(rnorm(n)), x2 = r4(runif(n)), w = r4(runif(n, 0.5, 2.5)),
                logexpo = r4(log(runif(n, 1, 4))))
d$y <- rpois(n, exp(d$logexpo + 0.5 + 0.4 * d$x1 - 0.6 * d$x2))
add_case("poisson_weights_offset_arg",
         "Poisson log link with positive non-integer prior weights and the offset= argument.",
         "y ~ x1 + x2", "poisson()", d, "y", weights = "w", offset = "logexpo")

## 9. poisson sqrt link
set.seed(SEED + 9L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), x2 = r4(runif(n)))
d$y <- rpois(n, (1.5 + 1.2 * d$x1 + 0.8 * d$x2)^2)
add_case("poisson_sqrt", "Poisson with square-root link.",
         "y ~ x1 + x2", "poisson(link = \"sqrt\")", d, "y")

## 10. poisson identity link (mu between 4 and 9, converges without start values)
set.seed(SEED + 10L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), x2 = r4(runif(n)))
d$y <- rpois(n, 4 + 3 * d$x1 + 2 * d$x2)
add_case("poisson_identity", "Poisson with identity link; data keep mu well above zero.",
         "y ~ x1 + x2", "poisson(link = \"identity\")", d, "y")

## 11. Gamma inverse link
set.seed(SEED + 11L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), x2 = r4(runif(n)))
mu <- 1 / (0.5 + 0.4 * d$x1 + 0.2 * d$x2)
d$y <- r4(rgamma(n, shape = 4, rate = 4 / mu))
add_case("gamma_inverse", "Gamma with the canonical inverse link.",
         "y ~ x1 + x2", "Gamma()", d, "y")

## 12. Gamma log link
set.seed(SEED + 12L)
n <- 150
d <- data.frame(x1 = r4(rnorm(n)), f = fac(n, 3))
mu <- exp(1 + 0.5 * d$x1 + c(A = 0, B = 0.3, C = -0.2)[d$f])
d$y <- r4(rgamma(n, shape = 2.5, rate = 2.5 / mu))
add_case("gamma_log", "Gamma with log link and a factor.",
         "y ~ x1 + f", "Gamma(link = \"log\")", d, "y")

## 13. inverse Gaussian, 1/mu^2 link
set.seed(SEED + 13L)
n <- 150
d <- data.frame(x1 = r4(runif(n)))
mu <- 1 / sqrt(0.3 + 0.6 * d$x1)
d$y <- r4(statmod::rinvgauss(n, mean = mu, dispersion = 0.2))
add_case("inverse_gaussian_1mu2", "Inverse Gaussian with its canonical 1/mu^2 link.",
         "y ~ x1", "inverse.gaussian()", d, "y")

## 14. inverse Gaussian, log link
set.seed(SEED + 14L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), x2 = r4(rnorm(n)))
mu <- exp(0.5 + 0.6 * d$x1 - 0.3 * d$x2)
d$y <- r4(statmod::rinvgauss(n, mean = mu, dispersion = 0.1))
add_case("inverse_gaussian_log", "Inverse Gaussian with log link.",
         "y ~ x1 + x2", "inverse.gaussian(link = \"log\")", d, "y")

## 15. quasipoisson on over-dispersed counts
set.seed(SEED + 15L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), f = fac(n, 3))
d$y <- rnbinom(n, size = 2, mu = exp(1 + 0.9 * d$x1 + c(A = 0, B = 0.4, C = -0.3)[d$f]))
add_case("quasipoisson", "Quasi-Poisson on over-dispersed counts (dispersion estimated).",
         "y ~ x1 + f", "quasipoisson()", d, "y")

## 16. quasibinomial, proportions with weights
set.seed(SEED + 16L)
n <- 150
d <- data.frame(x1 = r4(rnorm(n)), x2 = r4(runif(n)), trials = sample(5:25, n, replace = TRUE))
p <- rbeta(n, 4 * plogis(-0.2 + 0.7 * d$x1 + 0.5 * d$x2) * 3, 4 * (1 - plogis(-0.2 + 0.7 * d$x1 + 0.5 * d$x2)) * 3)
d$prop <- rbinom(n, d$trials, p) / d$trials
add_case("quasibinomial_weights",
         "Quasi-binomial on over-dispersed proportions with trials as prior weights.",
         "prop ~ x1 + x2", "quasibinomial()", d, "prop", weights = "trials")

## 17. negative binomial, theta estimated
set.seed(SEED + 17L)
n <- 200
d <- data.frame(x1 = r4(runif(n)), f = fac(n, 3))
d$y <- rnbinom(n, size = 3, mu = exp(1.2 + 0.8 * d$x1 + c(A = 0, B = 0.5, C = -0.3)[d$f]))
add_case("negbin_theta_estimated", "Negative binomial with theta estimated by MASS::glm.nb.",
         "y ~ x1 + f", NA, d, "y", fitter = "glm.nb")

## 18. negative binomial, theta fixed at 2
set.seed(SEED + 18L)
n <- 200
d <- data.frame(x1 = r4(rnorm(n)), f = fac(n, 3))
d$y <- rnbinom(n, size = 2, mu = exp(1 + 0.5 * d$x1 + c(A = 0, B = -0.4, C = 0.3)[d$f]))
add_case("negbin_theta_fixed", "Negative binomial with theta fixed at 2 (MASS::negative.binomial).",
         "y ~ x1 + f", "MASS::negative.binomial(2)", d, "y", family_args = list(theta = 2))

## 19. Tweedie p = 1.5, log link
set.seed(SEED + 19L)
n <- 200
d <- data.frame(x1 = r4(runif(n)), x2 = r4(rnorm(n)))
d$y <- r4(mgcv::rTweedie(exp(0.5 + 0.7 * d$x1 - 0.3 * d$x2), p = 1.5, phi = 1.2))
add_case("tweedie_p15_log", "Tweedie with power 1.5 and log link (mgcv::Tweedie in glm).",
         "y ~ x1 + x2", "mgcv::Tweedie(p = 1.5, link = \"log\")", d, "y",
         family_args = list(p = 1.5))

## 20. rank-deficient gaussian design: x3 = x1 + 2*x2 exactly
set.seed(SEED + 20L)
n <- 120
d <- data.frame(x1 = r4(rnorm(n)), x2 = r4(rnorm(n)))
d$x3 <- d$x1 + 2 * d$x2
d$y <- r4(1 + d$x1 - d$x2 + rnorm(n, sd = 0.5))
nd <- data.frame(x1 = r4(runif(12, -1.5, 1.5)), x2 = r4(runif(12, -1.5, 1.5)))
nd$x3 <- nd$x1 + 2 * nd$x2
add_case("gaussian_rank_deficient",
         "Gaussian with an exactly collinear column x3 = x1 + 2*x2; R reports NA for x3.",
         "y ~ x1 + x2 + x3", "gaussian()", d, "y", newdata = nd)

## 21. gaussian with poly(), I(), log() and C() terms
set.seed(SEED + 21L)
n <- 150
d <- data.frame(x1 = r4(runif(n, -2, 2)), x2 = r4(rnorm(n)), x3pos = r4(runif(n, 0.5, 5)),
                f = fac(n, 3))
d$y <- r4(1 + d$x1 - 0.5 * d$x1^2 + 0.3 * d$x1^3 + 0.4 * d$x2^2 + 0.8 * log(d$x3pos) +
           c(A = 0, B = 0.5, C = 1)[d$f] + rnorm(n, sd = 0.6))
add_case("gaussian_poly_terms", "Gaussian with poly(x1, 3), I(x2^2), log(x3pos) and C(f) terms.",
         "y ~ poly(x1, 3) + I(x2^2) + log(x3pos) + C(f)", "gaussian()", d, "y")

## 22. gaussian with power(1/3) link
set.seed(SEED + 22L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), x2 = r4(runif(n)))
mu <- (1 + 0.5 * d$x1 + 0.3 * d$x2)^3
d$y <- r4(pmax(mu + rnorm(n, sd = 0.3), 0.05))
add_case("gaussian_power_third", "Gaussian with the power(1/3) link on a positive response.",
         "y ~ x1 + x2", "gaussian(link = power(1/3))", d, "y",
         family_args = list(link_power = 1 / 3))

## 23. 2x3 factorial Poisson (also used for car::Anova); y_gauss for the lm version
set.seed(SEED + 23L)
d <- expand.grid(rep = 1:20, b = levs(3), a = levs(2), stringsAsFactors = FALSE)[, c("a", "b")]
cell <- with(d, 1.5 + 0.3 * (a == "B") + c(A = 0, B = 0.4, C = -0.2)[b] +
               0.35 * (a == "B") * (b == "C") - 0.25 * (a == "B") * (b == "B"))
d$y <- rpois(nrow(d), exp(cell))
d$y_gauss <- r4(cell * 3 + rnorm(nrow(d), sd = 0.8))
add_case("poisson_factorial_2x3", "Poisson log link on a 2x3 factorial a*b (20 replicates per cell).",
         "y ~ a * b", "poisson()", d, c("y", "y_gauss"),
         newdata = expand.grid(b = levs(3), a = levs(2), stringsAsFactors = FALSE)[, c("a", "b")])
factorial_data <- read.csv(file.path(data_dir, "poisson_factorial_2x3.csv"), stringsAsFactors = TRUE)

## 23b. an ordered factor (contr.poly contrasts, names t.L, t.Q, t.C) and its interaction
## with a numeric variable written after it (R orders the term's factors: t:x)
set.seed(SEED + 123L)
n <- 160
lv <- c("low", "mid", "high", "top")
d <- data.frame(x = r4(runif(n)), t = sample(lv, n, replace = TRUE), stringsAsFactors = FALSE)
d$y <- r4(1 + c(low = 0, mid = 0.5, high = 0.8, top = 1.5)[d$t] +
            (1 + (d$t == "top")) * d$x + rnorm(n, sd = 0.5))
add_case("gaussian_ordered_factor",
         "Gaussian with an ordered factor (polynomial contrasts) and its interaction with x.",
         "y ~ t + x:t", "gaussian()", d, "y", ordered = list(t = lv))

# ---------------------------------------------------------------------------
# Real datasets (Python loads them with aurora.datasets.load).

dobson <- data.frame(
  counts = c(18, 17, 15, 20, 10, 20, 25, 13, 12),
  outcome = gl(3, 1, 9),
  treatment = gl(3, 3)
)

add_case("insectsprays_poisson", "InsectSprays: Poisson counts by spray.",
         "count ~ spray", "poisson()", InsectSprays, "count", dataset = "InsectSprays",
         newdata = data.frame(spray = rep(levels(InsectSprays$spray), 2)))
add_case("mtcars_binomial", "mtcars: logistic regression of transmission type on weight and horsepower.",
         "am ~ wt + hp", "binomial()", mtcars, "am", dataset = "mtcars",
         newdata = data.frame(wt = c(1.6, 2.0, 2.4, 2.8, 3.0, 3.2, 3.4, 3.6, 4.0, 4.5, 5.0, 5.3),
                              hp = c(60, 90, 110, 95, 150, 120, 175, 200, 180, 230, 250, 320)))
add_case("warpbreaks_negbin", "warpbreaks: negative binomial (theta estimated) on wool * tension.",
         "breaks ~ wool * tension", NA, warpbreaks, "breaks", fitter = "glm.nb",
         dataset = "warpbreaks",
         newdata = expand.grid(wool = c("A", "B"), tension = c("L", "M", "H"),
                               stringsAsFactors = FALSE))
add_case("dobson_poisson", "Dobson (1990) counts from ?glm: Poisson on outcome + treatment.",
         "counts ~ outcome + treatment", "poisson()", dobson, "counts", dataset = "dobson",
         newdata = expand.grid(outcome = c("1", "2", "3"), treatment = c("1", "2", "3"),
                               stringsAsFactors = FALSE))
add_case("quine_negbin", "quine (MASS): negative binomial (theta estimated) for days absent.",
         "Days ~ Eth + Sex + Age + Lrn", NA, MASS::quine, "Days", fitter = "glm.nb",
         dataset = "quine",
         newdata = data.frame(Eth = rep(c("A", "N"), 4), Sex = rep(c("F", "F", "M", "M"), 2),
                              Age = c("F0", "F1", "F2", "F3", "F3", "F2", "F1", "F0"),
                              Lrn = rep(c("AL", "SL"), each = 4)))

# ---------------------------------------------------------------------------
# R's formula functions and glm's other arguments (issue 9). Each block fixes its own
# seed; the term labels in the formulas are written as R deparses them, so that the
# formula text is also the start of R's coefficient names.

## 24. `.`: every other column (x1, x2, f) of a simulated frame
set.seed(SEED + 201L)
n <- 120
d <- data.frame(x1 = r4(rnorm(n)), x2 = r4(runif(n)), f = fac(n, 3))
d$y <- r4(0.5 + 0.8 * d$x1 - 1.2 * d$x2 + c(A = 0, B = 0.6, C = -0.4)[d$f] + rnorm(n, sd = 0.6))
add_case("gaussian_dot_all", "Gaussian with y ~ . (all other columns: x1, x2 and the factor f).",
         "y ~ .", "gaussian()", d, "y")

## 25. `.` on four mtcars columns (written as a data file)
set.seed(SEED + 202L)
add_case("mtcars_dot", "mtcars columns mpg, cyl, disp, hp, wt: gaussian mpg ~ . (data file).",
         "mpg ~ .", "gaussian()", mtcars[, c("mpg", "cyl", "disp", "hp", "wt")], "mpg")

## 26. factor(), as.factor() on numeric codes and as.numeric() on a logical column
set.seed(SEED + 203L)
n <- 160
d <- data.frame(x = r4(rnorm(n)), k = sample(1:4, n, replace = TRUE),
                m = sample(c(2, 4, 8), n, replace = TRUE), flag = runif(n) < 0.4)
d$y <- r4(1 + 0.5 * d$x + c(0, 0.4, -0.3, 0.8)[d$k] + 0.1 * d$m + 0.7 * d$flag +
            rnorm(n, sd = 0.5))
add_case("gaussian_factor_conversions",
         "Gaussian with factor(k) and as.factor(m) on numeric codes and as.numeric() of a logical.",
         "y ~ factor(k) + as.factor(m) + as.numeric(flag) + x", "gaussian()", d, "y",
         newdata = data.frame(x = r4(seq(-1, 1, length.out = 8)), k = c(1:4, 4:1),
                              m = c(2, 4, 8, 2, 4, 8, 2, 4), flag = rep(c(TRUE, FALSE), 4)))

## 27. natural and B-splines given df (new data reuse the knots chosen on the data)
set.seed(SEED + 204L)
n <- 200
d <- data.frame(x = r4(runif(n, 0, 10)), z = r4(runif(n, -2, 2)))
d$y <- r4(sin(d$x / 2) + 0.5 * d$z^2 - 0.2 * d$z^3 + rnorm(n, sd = 0.3))
add_case("gaussian_splines_df", "Gaussian with ns(x, df = 3) and bs(z, df = 5).",
         "y ~ ns(x, df = 3) + bs(z, df = 5)", "gaussian()", d, "y")

## 28. B-spline and natural spline bases with given interior knots
set.seed(SEED + 205L)
n <- 240
d <- data.frame(x = r4(runif(n, 0, 10)), z = r4(runif(n, -2, 2)))
d$y <- rpois(n, exp(0.5 + 0.6 * cos(d$x / 2) + 0.3 * d$z - 0.15 * d$z^2))
add_case("poisson_splines_knots",
         "Poisson with bs(x, knots = c(2.5, 5, 7.5)) and ns(z, knots = c(-1, 0, 1)).",
         "y ~ bs(x, knots = c(2.5, 5, 7.5)) + ns(z, knots = c(-1, 0, 1))", "poisson()", d, "y")

## 29. sqrt, exp, log(x, base = 10), log1p
set.seed(SEED + 206L)
n <- 150
d <- data.frame(u = r4(runif(n, 0.5, 4)), v = r4(runif(n, -1, 1)), w = r4(runif(n, 0.2, 5)))
d$y <- r4(1 + 0.8 * sqrt(d$u) - 0.5 * exp(d$v) + 1.1 * log10(d$w) + 0.3 * log1p(d$u) +
            rnorm(n, sd = 0.3))
add_case("gaussian_math_functions", "Gaussian with sqrt(u), exp(v), log(w, base = 10) and log1p(u).",
         "y ~ sqrt(u) + exp(v) + log(w, base = 10) + log1p(u)", "gaussian()", d, "y")

## 30. expm1, abs, sin, cos
set.seed(SEED + 207L)
n <- 150
d <- data.frame(u = r4(runif(n, 0, 6)), v = r4(runif(n, -1.5, 1.5)))
d$y <- r4(exp(0.3 + 0.2 * expm1(d$v) + 0.3 * abs(d$v) + 0.4 * sin(d$u) - 0.2 * cos(d$u)) *
            rgamma(n, shape = 5, rate = 5))
add_case("gamma_math_functions2", "Gamma log link with expm1(v), abs(v), sin(u) and cos(u).",
         "y ~ expm1(v) + abs(v) + sin(u) + cos(u)", "Gamma(link = \"log\")", d, "y")

## 31. pmin, pmax and a numeric ifelse
set.seed(SEED + 208L)
n <- 150
d <- data.frame(u = r4(runif(n, 0.5, 4)), v = r4(runif(n, -1, 1)), w = r4(runif(n, 0.2, 2)))
d$y <- r4(1 + 0.7 * pmin(d$u, 2) + 1.3 * pmax(d$v, 0) + 0.4 * ifelse(d$w > 1, d$u, 0) +
            rnorm(n, sd = 0.4))
add_case("gaussian_pmin_pmax_ifelse",
         "Gaussian with pmin(u, 2), pmax(v, 0) and ifelse(w > 1, u, 0).",
         "y ~ pmin(u, 2) + pmax(v, 0) + ifelse(w > 1, u, 0)", "gaussian()", d, "y")

## 32. cut with a number of breaks and with a vector of breaks. R recomputes
## cut(x, breaks = 3) on new data, so the new data include the data's min and max of x:
## then the breaks (and R's predictions) are those of the fit.
set.seed(SEED + 209L)
n <- 300
d <- data.frame(x = r4(runif(n, 0, 9)), z = r4(runif(n, 0.01, 9.99)))
d$y <- rbinom(n, 1, plogis(-0.5 + 0.4 * (d$x > 3) + 0.5 * (d$x > 6) - 0.08 * d$z))
add_case("binomial_cut_breaks",
         "Binomial logit with cut(x, breaks = 3) and cut(z, breaks = c(0, 2, 5, 10)).",
         "y ~ cut(x, breaks = 3) + cut(z, breaks = c(0, 2, 5, 10))", "binomial()", d, "y",
         newdata = data.frame(x = c(min(d$x), 1.5, 3.2, 4.5, 6.1, 7.7, 8.8, max(d$x)),
                              z = c(1, 1.5, 2.5, 4.9, 5.1, 7, 9.5, 0.3)))

## 33. interaction(a, b) and a character-valued ifelse (a factor in the model matrix)
set.seed(SEED + 210L)
n <- 180
d <- data.frame(a = fac(n, 2), b = fac(n, 3), x = r4(rnorm(n)))
d$y <- r4(1 + 0.5 * (d$a == "B") + c(A = 0, B = 0.7, C = -0.3)[d$b] +
            0.6 * (d$a == "B") * (d$b == "C") + 0.4 * d$x + 0.5 * (d$x > 0) + rnorm(n, sd = 0.5))
add_case("gaussian_interaction_ifelse",
         "Gaussian with interaction(a, b), x and ifelse(x > 0, \"pos\", \"neg\") (a character factor).",
         "y ~ interaction(a, b) + x + ifelse(x > 0, \"pos\", \"neg\")", "gaussian()", d, "y")

## 34. scale(): centred and scaled, and only centred; new data use the data's centre and scale
set.seed(SEED + 211L)
n <- 150
d <- data.frame(x1 = r4(rnorm(n, 50, 10)), x2 = r4(runif(n, 100, 200)))
d$y <- rpois(n, exp(1 + 0.3 * (d$x1 - 50) / 10 + 0.004 * (d$x2 - 150)))
add_case("poisson_scale", "Poisson with scale(x1) and scale(x2, scale = FALSE).",
         "y ~ scale(x1) + scale(x2, scale = FALSE)", "poisson()", d, "y")

## 35. R arithmetic inside calls
set.seed(SEED + 212L)
n <- 150
d <- data.frame(u = r4(runif(n, 0, 5)), v = r4(runif(n, -1, 1)))
d$y <- r4(1 + 0.9 * log(d$u + 1) + 0.5 * (2 * d$v - 1) - 0.8 * d$v^2 + rnorm(n, sd = 0.3))
add_case("gaussian_arithmetic_in_calls", "Gaussian with log(u + 1), I(2 * v - 1) and I(v^2).",
         "y ~ log(u + 1) + I(2 * v - 1) + I(v^2)", "gaussian()", d, "y")

## 36. a transformed response
set.seed(SEED + 213L)
n <- 150
d <- data.frame(x = r4(runif(n)), f = fac(n, 3))
d$y <- rpois(n, (2 + 2 * d$x + c(A = 0, B = 0.5, C = 1)[d$f])^2)
add_case("gaussian_sqrt_response", "Gaussian with a transformed response: sqrt(y) ~ x + f.",
         "sqrt(y) ~ x + f", "gaussian()", d, "y")

## 37-41. real datasets with formula functions
add_case("trees_loglog", "trees: log(Volume) ~ log(Girth) + log(Height) (gaussian).",
         "log(Volume) ~ log(Girth) + log(Height)", "gaussian()", trees, "Volume",
         dataset = "trees",
         newdata = data.frame(Girth = c(8.5, 10, 11.5, 13, 14.5, 16, 17.5, 19),
                              Height = c(64, 85, 70, 75, 80, 66, 78, 83)))
add_case("trees_poly_raw", "trees: Volume ~ poly(Height, 2, raw = TRUE) + Girth (gaussian).",
         "Volume ~ poly(Height, 2, raw = TRUE) + Girth", "gaussian()", trees, "Volume",
         dataset = "trees",
         newdata = data.frame(Girth = c(8.5, 10, 11.5, 13, 14.5, 16, 17.5, 19),
                              Height = c(64, 85, 70, 75, 80, 66, 78, 83)))
add_case("birthwt_binomial",
         "birthwt (MASS): low birth weight on age, lwt, factor(race), smoke, I(ptl > 0), ht, ui.",
         "low ~ age + lwt + factor(race) + smoke + I(ptl > 0) + ht + ui", "binomial()",
         MASS::birthwt, "low", dataset = "birthwt",
         newdata = data.frame(age = c(18, 22, 25, 30, 35, 20, 28, 33),
                              lwt = c(100, 120, 130, 150, 180, 110, 140, 160),
                              race = c(1L, 2L, 3L, 1L, 2L, 3L, 1L, 2L),
                              smoke = c(0L, 1L, 0L, 1L, 0L, 1L, 0L, 1L),
                              ptl = c(0L, 0L, 1L, 0L, 2L, 0L, 0L, 1L),
                              ht = c(0L, 0L, 0L, 1L, 0L, 0L, 1L, 0L),
                              ui = c(0L, 1L, 0L, 0L, 0L, 1L, 0L, 0L)))
add_case("toothgrowth_factor_dose", "ToothGrowth: len ~ supp * factor(dose) (gaussian).",
         "len ~ supp * factor(dose)", "gaussian()", ToothGrowth, "len",
         dataset = "ToothGrowth",
         newdata = expand.grid(supp = c("OJ", "VC"), dose = c(0.5, 1, 2),
                               stringsAsFactors = FALSE))
add_case("plantgrowth_relevel", "PlantGrowth: weight ~ relevel(group, ref = \"trt1\") (gaussian).",
         "weight ~ relevel(group, ref = \"trt1\")", "gaussian()", PlantGrowth, "weight",
         dataset = "PlantGrowth", newdata = data.frame(group = c("ctrl", "trt1", "trt2")))

## 42. subset = an expression (real data)
add_case("mtcars_subset_expr", "mtcars: gaussian mpg ~ wt + hp on the cars with cyl != 6.",
         "mpg ~ wt + hp", "gaussian()", mtcars, "mpg", dataset = "mtcars",
         subset = "cyl != 6",
         newdata = data.frame(wt = c(1.6, 2.0, 2.4, 2.8, 3.2, 3.6, 4.0, 5.0),
                              hp = c(60, 90, 110, 150, 120, 175, 200, 250)))

## 43. subset = a compound expression that leaves a factor level unused (R drops it)
set.seed(SEED + 221L)
n <- 240
d <- data.frame(x1 = r4(rnorm(n)), g = fac(n, 3))
d$y <- rbinom(n, 1, plogis(0.2 + 0.8 * d$x1 + c(A = 0, B = -0.6, C = 0.5)[d$g]))
add_case("binomial_subset_compound",
         "Binomial logit y ~ x1 + g on the rows with (x1 > -1) & (g != \"C\"): level C unused.",
         "y ~ x1 + g", "binomial()", d, "y", subset = "(x1 > -1) & (g != \"C\")",
         newdata = data.frame(x1 = r4(seq(-0.8, 1.6, length.out = 8)), g = rep(c("A", "B"), 4)))

## 44. subset = a logical column of the data
set.seed(SEED + 222L)
n <- 150
d <- data.frame(x = r4(runif(n)), f = fac(n, 3), keep = runif(n) < 0.7)
d$y <- r4(2 + 1.5 * d$x + c(A = 0, B = 0.4, C = -0.6)[d$f] + rnorm(n, sd = 0.5))
add_case("gaussian_subset_column", "Gaussian y ~ x + f with subset = keep, a logical column.",
         "y ~ x + f", "gaussian()", d, "y", subset_column = "keep")

## 45. na.action = na.exclude (real data with NAs in the response and a covariate):
## fitted, residuals, influence and predict() without new data are padded with NA
## (hat values and dfbetas with 0: R's lm.influence) at the 42 dropped rows
add_case("airquality_na_exclude",
         "airquality: Gamma log Ozone ~ Solar.R + Wind + Temp with na.action = na.exclude.",
         "Ozone ~ Solar.R + Wind + Temp", "Gamma(link = \"log\")", airquality, "Ozone",
         dataset = "airquality", na_action = "exclude",
         newdata = data.frame(Solar.R = c(20, 80, 150, 200, 250, 300, 120, 230),
                              Wind = c(4, 6, 8, 10, 12, 14, 16, 9.7),
                              Temp = c(60, 65, 70, 75, 80, 85, 90, 77)))

## 46. control = glm.control(epsilon = 1e-10, maxit = 50)
set.seed(SEED + 224L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), x2 = r4(runif(n)))
d$y <- r4(rgamma(n, shape = 3, rate = 3 * (0.5 + 0.4 * d$x1 + 0.3 * d$x2)))
add_case("gamma_control", "Gamma inverse link with control = glm.control(epsilon = 1e-10, maxit = 50).",
         "y ~ x1 + x2", "Gamma()", d, "y", control = list(epsilon = 1e-10, maxit = 50))

## 47. start = c(...)
set.seed(SEED + 225L)
n <- 150
d <- data.frame(x1 = r4(runif(n)), x2 = r4(rnorm(n)))
d$y <- rpois(n, exp(1 + 0.6 * d$x1 - 0.3 * d$x2))
add_case("poisson_start", "Poisson log link with start = c(0.5, 0, 0).",
         "y ~ x1 + x2", "poisson()", d, "y", start = c(0.5, 0, 0))

## 48. binomial with some zero prior weights, including rows with y = 1 (R's
## binomial()$initialize sets y to 0 where the weight is 0: fit$y and the response and
## working residuals show it)
set.seed(SEED + 226L)
n <- 150
d <- data.frame(x1 = r4(rnorm(n)), w = rep(c(1, 2, 0, 1, 3, 0, 1, 1), length.out = n))
d$y <- rbinom(n, 1, plogis(0.3 + 0.9 * d$x1))
add_case("binomial_zero_weights", "Binomial logit on 0/1 y with prior weights, some of them zero.",
         "y ~ x1", "binomial()", d, "y", weights = "w")

## 49. a date-time covariate: R's POSIXct enters the model as seconds since the epoch
set.seed(SEED + 227L)
n <- 150
t0 <- as.POSIXct("2024-01-01 00:00:00", tz = "UTC")
d <- data.frame(t = t0 + round(runif(n, 0, 365 * 86400)), x = r4(rnorm(n)))
d$y <- r4(2 + 1.5 * as.numeric(d$t - t0, units = "days") / 365 + 0.5 * d$x + rnorm(n, sd = 0.4))
add_case("gaussian_datetime",
         "Gaussian y ~ t + x with t a UTC date-time (POSIXct: seconds since the epoch).",
         "y ~ t + x", "gaussian()", d, "y",
         newdata = data.frame(t = t0 + c(0, 30, 90, 120, 180, 250, 300, 364) * 86400 + 3723,
                              x = r4(seq(-1, 1, length.out = 8))))

## 50. predict() on new data with a missing factor value: R predicts NA at that row
set.seed(SEED + 228L)
n <- 150
d <- data.frame(x = r4(runif(n)), f = fac(n, 3))
d$y <- rpois(n, exp(0.8 + 0.9 * d$x + c(A = 0, B = 0.4, C = -0.5)[d$f]))
add_case("poisson_factor_newdata_na",
         "Poisson y ~ x + f; extra new data with an empty (missing) factor cell.",
         "y ~ x + f", "poisson()", d, "y",
         newdata_na = data.frame(x = c(0.2, 0.5, 0.8, 0.4), f = c("A", NA, "C", "B"),
                                 stringsAsFactors = FALSE))

## 51. R's model.frame evaluates ns(), poly(), scale() and cut(x, 3) on every row of the
## data, before subset and na.action drop rows: knots, poly coefficients, centre/scale and
## breaks come from all rows (here 12 rows with y missing and a subset), factor levels
## from the rows kept
set.seed(SEED + 251L)
n <- 220
d <- data.frame(x = r4(runif(n)), z = r4(rnorm(n)), w = r4(rexp(n)), v = r4(runif(n, 0, 9)),
                k = fac(n, 3))
d$y <- r4(1 + sin(3 * d$x) + 0.5 * d$z - 0.2 * d$z^2 + 0.3 * d$w + 0.1 * d$v +
          c(A = 0, B = 0.5, C = -0.4)[d$k] + rnorm(n, sd = 0.4))
d$y[sample(n, 12)] <- NA
add_case("gaussian_transforms_learn_all_rows",
         "Gaussian with ns, poly, scale, cut(breaks = 3), factor; y has NAs and a subset: transforms learn on all rows as R's model.frame.",
         "y ~ ns(x, df = 3) + poly(z, 2) + scale(w) + cut(v, breaks = 3) + factor(k)",
         "gaussian()", d, "y", subset = "z > -1.5",
         newdata = data.frame(x = c(0.1, 0.3, 0.5, 0.7, 0.9, 0.2), z = c(-1, -0.5, 0, 0.5, 1, 1.2),
                              w = c(0.2, 0.5, 1, 1.5, 2, 0.8),
                              # R's predict recomputes cut(v, 3) from the new data: give it
                              # the data's range so its breaks are the fit's
                              v = c(min(d$v), 2, 4, 6, max(d$v), 3.3),
                              k = c("A", "B", "C", "A", "B", "C"), stringsAsFactors = FALSE))

## 52. rows where a function of the formula gives NA are dropped by model.frame as missing
## data are: log() of negative values (R warns "NaNs produced") and cut() outside its
## breaks; ns() still learns its knots on every row
set.seed(SEED + 252L)
n <- 160
d <- data.frame(x = r4(runif(n, -0.5, 4)), z = r4(runif(n, 0, 12)), u = r4(runif(n)))
d$y <- r4(2 + 0.5 * log(pmax(d$x, 0.05)) + 0.2 * (d$z > 5) + sin(2 * d$u) + rnorm(n, sd = 0.3))
add_case("gaussian_functions_give_na",
         "Gaussian y ~ log(x) + cut(z, breaks = c(0, 2, 5, 10)) + ns(u, df = 3): rows with x <= 0 or z > 10 dropped as missing.",
         "y ~ log(x) + cut(z, breaks = c(0, 2, 5, 10)) + ns(u, df = 3)", "gaussian()", d, "y",
         newdata = data.frame(x = c(0.5, 1, 2, 3, 3.5, 1.5), z = c(1, 3, 6, 8, 9.5, 4.5),
                              u = c(0.1, 0.3, 0.5, 0.7, 0.9, 0.6)))

# ---------------------------------------------------------------------------
# Extras: nested-model tests, car::Anova, Wald tests.

anova_pair <- function(m0, m1, test, data_file, family, f0, f1) {
  a <- anova(m0, m1, test = test)
  out <- list(
    data = data_file, family = family, formula0 = f0, formula1 = f1, test = test,
    resid_df = arr(a[["Resid. Df"]]), resid_dev = arr(a[["Resid. Dev"]]),
    df = arr(a$Df), deviance = arr(a$Deviance)
  )
  if (test == "F") out$F <- arr(a$F)
  out$p_value <- arr(a[[ncol(a)]])
  out
}

d7 <- read.csv(file.path(data_dir, "poisson_offset_formula.csv"), stringsAsFactors = TRUE)
p0 <- glm(y ~ x1 + offset(log(expo)), family = poisson(), data = d7)
p1 <- glm(y ~ x1 + f + offset(log(expo)), family = poisson(), data = d7)
d1 <- read.csv(file.path(data_dir, "gaussian_identity_interaction.csv"), stringsAsFactors = TRUE)
g0 <- glm(y ~ x1 + x2 + f, family = gaussian(), data = d1)
g1 <- glm(y ~ x1 + x2 + f + x1:f, family = gaussian(), data = d1)

lrt <- list(
  poisson_chisq = anova_pair(p0, p1, "Chisq", "poisson_offset_formula.csv", "poisson",
                             "y ~ x1 + offset(log(expo))", "y ~ x1 + f + offset(log(expo))"),
  gaussian_F = anova_pair(g0, g1, "F", "gaussian_identity_interaction.csv", "gaussian",
                          "y ~ x1 + x2 + f", "y ~ x1 + x2 + f + x1:f")
)

car_glm_wald <- function(a) {
  list(terms = arr(rownames(a)), chisq = arr(a$Chisq), df = arr(a$Df),
       p_value = arr(a[[ncol(a)]]))
}
car_glm_lr <- function(a) {
  list(terms = arr(rownames(a)), lr_chisq = arr(a[["LR Chisq"]]), df = arr(a$Df),
       p_value = arr(a[[ncol(a)]]))
}
car_lm <- function(a) {
  list(terms = arr(rownames(a)), sum_sq = arr(a[["Sum Sq"]]), df = arr(a$Df),
       F = arr(a[["F value"]]), p_value = arr(a[["Pr(>F)"]]))
}
fact_fit <- fits[["poisson_factorial_2x3"]]
lm_fact <- lm(y_gauss ~ a * b, data = factorial_data)
car_anova <- list(
  case = "poisson_factorial_2x3",
  data = "poisson_factorial_2x3.csv",
  contrasts = "contr.treatment (R default; type 3 results depend on it)",
  glm_type2 = car_glm_lr(car::Anova(fact_fit, type = 2)),
  glm_type3 = car_glm_lr(car::Anova(fact_fit, type = 3)),
  glm_type2_wald = car_glm_wald(car::Anova(fact_fit, type = 2, test.statistic = "Wald")),
  lm_formula = "y_gauss ~ a * b",
  lm_type2 = car_lm(car::Anova(lm_fact, type = 2)),
  lm_type3 = car_lm(car::Anova(lm_fact, type = 3))
)

wald_one <- function(fit, case, hyp, test = "Chisq") {
  lh <- car::linearHypothesis(fit, hyp, test = test)
  L <- car::makeHypothesis(names(coef(fit)), hyp)
  if (is.null(dim(L))) L <- matrix(L, nrow = 1L, dimnames = list(NULL, names(L)))
  out <- list(case = case, hypothesis = arr(hyp), test = test,
              L = rows(L[, -ncol(L), drop = FALSE]), rhs = arr(L[, ncol(L)]),
              res_df = arr(lh$Res.Df), df = lh$Df[2])
  if (test == "Chisq") out$chisq <- lh$Chisq[2] else out$F <- lh$F[2]
  out$p_value <- lh[[ncol(lh)]][2]
  out
}
bin_fit <- fits[["binomial_logit"]]
gau_fit <- fits[["gaussian_identity_interaction"]]
wald <- list(
  binomial_two = wald_one(bin_fit, "binomial_logit", c("x1 = 0", "x2 = 0")),
  binomial_one = wald_one(bin_fit, "binomial_logit", "x1 + x2 = 0.5"),
  gaussian_two_F = wald_one(gau_fit, "gaussian_identity_interaction", c("x1 = 0", "x2 = 0"),
                            test = "F")
)

# ---------------------------------------------------------------------------

pkgs <- c("stats", "MASS", "mgcv", "car", "statmod", "jsonlite")
result <- list(
  generated_by = "validation_r/glm_reference.R",
  r_version = R.version.string,
  package_versions = setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs),
  seed = SEED,
  case_names = arr(vapply(cases, `[[`, character(1), "name")),
  cases = cases,
  extras = list(lrt = lrt, car_anova = car_anova, wald = wald),
  refusals = arr(refusals)
)
write_json(result, out_json, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
           pretty = TRUE)
message("wrote ", out_json, " with ", length(cases), " cases")
if (length(refusals)) message("R refused:\n  ", paste(refusals, collapse = "\n  "))
