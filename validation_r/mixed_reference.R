# R reference values for aurora's mixed models: lme4 (lmer, glmer, glmer.nb), glmmTMB,
# MASS::glmmPQL, gamm4, mgcv (s(g, bs = "re")) and nlme::lme, on simulated data.
#
# Run from the repository root:
#     Rscript validation_r/mixed_reference.R
#
# Simulates a few data sets (fixed seed), writes each to validation_r/data/mixed_<set>.csv
# with new data for predict() in validation_r/data/mixed_<set>_new.csv (doubles with 17
# significant digits, so they read back exactly; grouping factors and other factors as
# character labels such as "s01", so the sorted labels are R's level order), fits every case
# on the data *as read back from the CSV*, and writes validation_r/mixed_reference.json.
# Every double there has 17 significant digits; NA / NaN / Inf are null. Tables are
# {rows, columns, values (list of rows)}; named vectors are {names, values}.
#
# Each case has `function` (lmer, glmer, glmer.nb, glmmPQL, gamm4, gam, lme), `formula` (the
# exact text R was given; for glmmPQL and lme the fixed part, with `random` and
# `correlation` as the text of those arguments), and the other arguments (`REML`, `family`,
# `link`, `nAGQ`, `weights` = a column name passed as `weights = <column>`). Every model
# is fitted by a call built as a user would type it, `fun(formula, data = dat, ...)`, so
# the printed summaries say "Data: dat". The layout is described in validation_r/README.md.

suppressPackageStartupMessages({
  library(lme4)
  library(nlme)
  library(MASS)
  library(mgcv)
  library(gamm4)
  library(glmmTMB)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)
invisible(Sys.setlocale("LC_COLLATE", "C"))

SEED <- 20250301L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "mixed_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

# ---- CSV and JSON helpers ----------------------------------------------------------------
fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

# Write a data frame (doubles at 17 significant digits), read it back; `factors` become
# factors with their sorted labels as levels (C collation), everything else as read.
write_back <- function(df, file, factors) {
  out <- df
  for (j in seq_along(out)) if (is.double(out[[j]])) out[[j]] <- fmt17(out[[j]])
  path <- file.path(data_dir, file)
  write.table(out, path, sep = ",", row.names = FALSE, quote = FALSE)
  back <- read.csv(path, stringsAsFactors = FALSE)
  for (f in factors) back[[f]] <- factor(back[[f]], levels = sort(unique(back[[f]])))
  back
}

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
named <- function(x) list(names = I(as.character(names(x))), values = num(x))
table_json <- function(tab) {
  if (is.null(tab) || NROW(tab) == 0) return(NULL)
  tab <- as.matrix(tab)
  list(rows = I(if (is.null(rownames(tab))) as.character(seq_len(nrow(tab))) else rownames(tab)),
       columns = I(colnames(tab)), values = mat(tab))
}
text_of <- function(x) paste(capture.output(print(x)), collapse = "\n")
chr <- function(x) I(as.character(x))  # NA stays NA -> null (toJSON(na = "null"))

# Evaluate a model call, collecting (and muffling) its warnings and messages.
quietly <- function(expr) {
  warns <- character(0); msgs <- character(0)
  value <- withCallingHandlers(expr,
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = value, warnings = I(warns), messages = I(msgs))
}

# ---- data sets -----------------------------------------------------------------------------
datasets <- list()   # name -> list(data, newdata, file, newfile, factors, description)

add_dataset <- function(name, data, newdata, factors, description) {
  file <- paste0("mixed_", name, ".csv"); newfile <- paste0("mixed_", name, "_new.csv")
  d <- write_back(data, file, factors)
  nd <- write_back(newdata, newfile, character(0))
  # new data: non-grouping factors get the data's levels; grouping columns stay character
  # (they hold labels the data does not have)
  datasets[[name]] <<- list(data = d, newdata = nd, file = file, newfile = newfile,
                            factors = factors, description = description)
}

labels <- function(prefix, k) sprintf(paste0(prefix, "%02d"), seq_len(k))

# Each data set draws from its own seed (SEED + k), so adding or changing one leaves the
# others as they were.
# long: 40 subjects x 12 occasions (n = 480)
set.seed(SEED + 1L)
local({
  nsub <- 40L; nocc <- 12L; n <- nsub * nocc
  g <- rep(labels("s", nsub), each = nocc)
  gi <- rep(seq_len(nsub), each = nocc)
  t <- rep(0:(nocc - 1), nsub) / 4
  x <- rnorm(n)
  f <- sample(c("A", "B", "C"), n, replace = TRUE)
  w <- round(runif(n, 0.5, 2), 2)
  # intercept and slope: sd 1 and 0.4, correlation 0.4
  L <- t(chol(matrix(c(1, 0.4 * 0.4, 0.4 * 0.4, 0.16), 2)))
  b <- t(L %*% matrix(rnorm(2 * nsub), 2))
  bx <- rnorm(nsub, sd = 0.5)
  fe <- c(A = 0, B = 0.8, C = -0.5)[f]
  # factor slopes: a 3 x 3 covariance per subject
  Sf <- matrix(c(1, 0.5, 0.3, 0.5, 0.8, 0.4, 0.3, 0.4, 0.6), 3)
  bf <- t(t(chol(Sf)) %*% matrix(rnorm(3 * nsub), 3))
  fi <- match(f, c("A", "B", "C"))
  e <- rnorm(n)
  gm <- ave(e, gi)
  d <- data.frame(
    g, t, x, f, w,
    y = 2 + b[gi, 1] + 0.3 * t + 0.5 * x + fe + rnorm(n),
    y_slope = 2 + b[gi, 1] + (0.5 + b[gi, 2]) * t + rnorm(n, sd = 0.8),
    y_multi = 2 + b[gi, 1] + (0.5 + b[gi, 2]) * t + (0.8 + bx[gi]) * x + rnorm(n, sd = 0.8),
    y_f = 1 + fe + bf[cbind(gi, fi)] + rnorm(n, sd = 0.7),
    y_w = 2 + b[gi, 1] + 0.5 * x + rnorm(n) / sqrt(w),
    # negative intra-class correlation: the group variance is estimated as 0
    y_sing = 1 + 0.5 * x + e - 0.6 * gm,
    stringsAsFactors = FALSE)
  nd <- data.frame(
    g = c("s01", "s02", "s17", "s40", "s99", "s99", "s03", "new"),
    t = c(0, 1.25, 2.5, 0.5, 1, 2, 2.75, 0.25),
    x = c(-1, 0, 1.5, 0.3, -0.4, 0.8, 0.2, 1.1),
    f = c("A", "B", "C", "A", "B", "C", "C", "A"),
    w = c(1, 1.5, 0.8, 1.2, 1, 0.6, 1.9, 1.1), stringsAsFactors = FALSE)
  add_dataset("long", d, nd, c("g", "f"),
              "40 subjects (g, s01..s40) x 12 occasions (t = 0, 0.25, ..., 2.75); x normal; f in A, B, C; prior weights w")
})

set.seed(SEED + 2L)
# nested: 12 a-levels x 5 b-levels within each (labels b1..b5 repeat across a) x 8
local({
  na <- 12L; nb <- 5L; rep_n <- 8L; n <- na * nb * rep_n
  a <- rep(labels("a", na), each = nb * rep_n)
  b <- rep(rep(paste0("b", seq_len(nb)), each = rep_n), na)
  ai <- rep(seq_len(na), each = nb * rep_n)
  abi <- rep(seq_len(na * nb), each = rep_n)
  x <- rnorm(n)
  u <- rnorm(na, sd = 1); v <- rnorm(na * nb, sd = 0.6)
  d <- data.frame(a, b, x, y = 5 + 0.5 * x + u[ai] + v[abi] + rnorm(n, sd = 0.8),
                  stringsAsFactors = FALSE)
  nd <- data.frame(a = c("a01", "a05", "a12", "a03", "a99", "a07"),
                   b = c("b1", "b3", "b5", "b9", "b2", "b4"),
                   x = c(-0.5, 0, 0.7, 1.2, 0.1, -1.3), stringsAsFactors = FALSE)
  add_dataset("nested", d, nd, c("a", "b"),
              "12 levels of a (a01..a12), 5 of b within each (b1..b5: the same labels in every a, so b alone is not the nested factor), 8 rows per cell")
})

set.seed(SEED + 3L)
# crossed: a with 30 levels, b with 24, unbalanced (every pair drawn at random), n = 720
local({
  na <- 30L; nb <- 24L; n <- 720L
  ai <- c(seq_len(na), sample(na, n - na, replace = TRUE))
  bi <- c(rep_len(seq_len(nb), na), sample(nb, n - na, replace = TRUE))
  x <- rnorm(n)
  u <- rnorm(na, sd = 0.8); v <- rnorm(nb, sd = 1.2)
  d <- data.frame(a = labels("p", na)[ai], b = labels("q", nb)[bi], x,
                  y = 1 + 0.7 * x + u[ai] + v[bi] + rnorm(n), stringsAsFactors = FALSE)
  nd <- data.frame(a = c("p01", "p15", "p99", "p30", "p99"),
                   b = c("q01", "q24", "q03", "q99", "q99"),
                   x = c(0, 1, -1, 0.5, 0.2), stringsAsFactors = FALSE)
  add_dataset("crossed", d, nd, c("a", "b"),
              "crossed a (p01..p30) and b (q01..q24), 720 rows, pairs drawn at random")
})

datasets_glmm <- function() {
  set.seed(SEED + 4L)
  # glmm: 50 groups x 16 rows (n = 800): Poisson, binary, binomial and negative binomial
  ng <- 50L; per <- 16L; n <- ng * per
  g <- rep(labels("g", ng), each = per)
  gi <- rep(seq_len(ng), each = per)
  x <- rnorm(n)
  L <- t(chol(matrix(c(0.36, 0.3 * 0.6 * 0.3, 0.3 * 0.6 * 0.3, 0.09), 2)))
  b <- t(L %*% matrix(rnorm(2 * ng), 2))
  u <- rnorm(ng, sd = 1)
  trials <- sample(1:10, n, replace = TRUE)
  succ <- rbinom(n, trials, plogis(-0.5 + 0.6 * x + u[gi]))
  v <- rnorm(ng, sd = 0.5)
  d <- data.frame(
    g, x,
    count = rpois(n, exp(0.5 + 0.4 * x + b[gi, 1] + b[gi, 2] * x)),
    yb = rbinom(n, 1, plogis(-0.3 + 0.8 * x + u[gi])),
    succ = succ, fail = trials - succ,
    nb = rnbinom(n, size = 2, mu = exp(1 + 0.5 * x + v[gi])),
    stringsAsFactors = FALSE)
  nd <- data.frame(g = c("g01", "g10", "g25", "g50", "g99", "g99"),
                   x = c(-1, 0, 0.5, 1.5, 0, 1),
                   succ = c(1, 2, 3, 4, 5, 6), fail = c(3, 3, 2, 1, 0, 1),
                   stringsAsFactors = FALSE)
  add_dataset("glmm", d, nd, "g",
              "50 groups (g01..g50) x 16 rows; x normal; Poisson count (random intercept and slope), binary yb, succ of succ + fail trials (1..10), negative binomial nb (size 2)")
}

datasets_gamm <- function() {
  set.seed(SEED + 5L)
  ng <- 20L; n <- 400L
  gi <- c(seq_len(ng), sample(ng, n - ng, replace = TRUE))
  x <- runif(n)
  b <- rnorm(ng, sd = 1)
  d <- data.frame(g = labels("g", ng)[gi], x,
                  y = 2 * sin(2 * pi * x) + b[gi] + rnorm(n, sd = 0.5), stringsAsFactors = FALSE)
  nd <- data.frame(g = c("g01", "g05", "g20", "g99"), x = c(0.1, 0.35, 0.6, 0.9),
                   stringsAsFactors = FALSE)
  add_dataset("gamm", d, nd, "g", "20 groups (g01..g20), 400 rows; y = 2 sin(2 pi x) + group effect + noise")
}

datasets_lme <- function() {
  set.seed(SEED + 6L)
  # ar1: 40 subjects x 10 occasions (time 1..10), AR(1) errors with rho = 0.6
  nsub <- 40L; nocc <- 10L; n <- nsub * nocc
  gi <- rep(seq_len(nsub), each = nocc)
  time <- rep(seq_len(nocc), nsub)
  b <- rnorm(nsub, sd = 1)
  e <- as.vector(sapply(seq_len(nsub), function(i)
    as.numeric(arima.sim(list(ar = 0.6), nocc, sd = sqrt(1 - 0.36)))))
  d <- data.frame(g = labels("s", nsub)[gi], time, y = 1 + 0.3 * time + b[gi] + e,
                  stringsAsFactors = FALSE)
  nd <- data.frame(g = c("s01", "s20", "s40"), time = c(1, 5, 10), stringsAsFactors = FALSE)
  add_dataset("ar1", d, nd, "g", "40 subjects (g, s01..s40) x 10 occasions (time 1..10), random intercept and AR(1) errors (rho 0.6)")
  set.seed(SEED + 7L)
  # cs: 10 sites x 5 subjects x 8 occasions; subject labels unique across sites
  nsite <- 10L; per <- 5L; nocc <- 8L; n <- nsite * per * nocc
  si <- rep(seq_len(nsite), each = per * nocc)
  gi <- rep(seq_len(nsite * per), each = nocc)
  time <- rep(seq_len(nocc), nsite * per)
  u <- rnorm(nsite, sd = 0.7); v <- rnorm(nsite * per, sd = 0.8)
  d <- data.frame(site = labels("c", nsite)[si], g = sprintf("s%03d", gi), time,
                  y = 2 + 0.2 * time + u[si] + v[gi] + rnorm(n, sd = 0.6), stringsAsFactors = FALSE)
  nd <- data.frame(site = c("c01", "c05", "c10"), g = c("s001", "s021", "s050"),
                   time = c(1, 4, 8), stringsAsFactors = FALSE)
  add_dataset("cs", d, nd, c("site", "g"), "10 sites (c01..c10) x 5 subjects (g, s001..s050, unique labels) x 8 occasions (time 1..8)")
}

datasets_glmm()
datasets_gamm()
datasets_lme()

# ---- building and evaluating calls --------------------------------------------------------
# fun(<formula>, data = dat, <args>) evaluated where `dat` is the data set as read back
fit_call <- function(fun, formula, dataset, args = list()) {
  cl <- as.call(c(list(as.name(fun), str2lang(formula), data = as.name("dat")), args))
  env <- new.env(parent = globalenv())
  assign("dat", datasets[[dataset]]$data, envir = env)
  res <- quietly(eval(cl, env))
  res$call_text <- paste(deparse(cl, width.cutoff = 500L), collapse = " ")
  res$env <- env
  res
}

# new data for predict(): fixed-effect factors take the data's levels; grouping columns
# stay character (they hold labels the data does not have)
newdata_for <- function(dataset, fixed_factors = character(0)) {
  ds <- datasets[[dataset]]
  nd <- ds$newdata
  for (f in fixed_factors) nd[[f]] <- factor(nd[[f]], levels = levels(ds$data[[f]]))
  nd
}

new_level_rows <- function(dataset, groups) {
  ds <- datasets[[dataset]]
  unseen <- rep(FALSE, nrow(ds$newdata))
  for (gname in groups) {
    parts <- strsplit(gname, ":", fixed = TRUE)[[1]]
    lab_new <- do.call(paste, c(lapply(parts, function(p) as.character(ds$newdata[[p]])), sep = ":"))
    lab_old <- do.call(paste, c(lapply(parts, function(p) as.character(ds$data[[p]])), sep = ":"))
    unseen <- unseen | !(lab_new %in% lab_old)
  }
  which(unseen)  # 1-based
}

factor_levels <- function(dataset) {
  ds <- datasets[[dataset]]
  out <- lapply(ds$factors, function(f) I(levels(ds$data[[f]])))
  names(out) <- ds$factors
  out
}

varcorr_json <- function(vc) {
  v <- as.data.frame(vc)
  list(grp = chr(v$grp), var1 = chr(v$var1), var2 = chr(v$var2),
       vcov = num(v$vcov), sdcor = num(v$sdcor))
}

ranef_json <- function(m) {
  re <- ranef(m, condVar = TRUE)
  cnms <- getME(m, "cnms")
  per_factor <- lapply(names(re), function(nm) {
    df <- re[[nm]]
    pv <- attr(df, "postVar")
    if (!is.list(pv)) pv <- list(pv)
    terms <- cnms[names(cnms) == nm]
    stopifnot(length(terms) == length(pv))
    blocks <- lapply(seq_along(pv), function(k) {
      arr <- pv[[k]]
      stopifnot(dim(arr)[1] == length(terms[[k]]))
      list(terms = I(terms[[k]]),
           condvar = lapply(seq_len(dim(arr)[3]),
                            function(l) mat(matrix(arr[, , l], dim(arr)[1], dim(arr)[2]))))
    })
    list(group = nm, levels = I(rownames(df)), terms = I(colnames(df)),
         values = mat(as.matrix(df)), blocks = blocks)
  })
  flat <- as.data.frame(re)
  list(factors = per_factor,
       table = list(grpvar = chr(flat$grpvar), term = chr(flat$term), grp = chr(flat$grp),
                    condval = num(flat$condval), condsd = num(flat$condsd)))
}

models <- new.env()  # case name -> fitted model (for the extras)

# ---- lmer / glmer / glmer.nb ---------------------------------------------------------------
record_mer <- function(name, description, fun, formula, dataset, REML = NULL, family = NULL,
                       nAGQ = NULL, weights = NULL, fixed_factors = character(0)) {
  args <- list()
  if (!is.null(REML)) args$REML <- REML
  if (!is.null(family)) args$family <- as.name(family)
  if (!is.null(nAGQ)) args$nAGQ <- nAGQ
  if (!is.null(weights)) args$weights <- as.name(weights)
  fit <- fit_call(fun, formula, dataset, args)
  m <- fit$value
  env <- fit$env
  assign("m", m, envir = env)
  glmm <- isGLMM(m)
  reml <- isREML(m)
  ll <- logLik(m)
  s <- summary(m)
  nd <- newdata_for(dataset, fixed_factors)
  groups <- names(ngrps(m))
  pred <- function(re_form, type) {
    if (is.null(re_form)) predict(m, newdata = nd, re.form = NULL, allow.new.levels = TRUE, type = type)
    else predict(m, newdata = nd, re.form = NA, type = type)
  }
  predict_json <- list(newdata = datasets[[dataset]]$newfile,
                       new_level_rows = I(as.integer(new_level_rows(dataset, groups))),
                       re_form_null = num(pred(NULL, "link")),
                       re_form_na = num(pred(NA, "link")))
  if (glmm) {
    predict_json$re_form_null_response <- num(pred(NULL, "response"))
    predict_json$re_form_na_response <- num(pred(NA, "response"))
  }
  dev <- quietly(deviance(m))
  resid <- list(response = num(residuals(m, type = "response")),
                pearson = num(residuals(m, type = "pearson")))
  if (glmm) {
    resid$deviance <- num(residuals(m, type = "deviance"))
    resid$working <- num(residuals(m, type = "working"))
  }
  fam <- family(m)
  cmp <- getME(m, "devcomp")$cmp
  dims <- getME(m, "devcomp")$dims
  conv <- m@optinfo$conv$lme4
  out <- list(
    name = name,
    description = description,
    `function` = fun,
    formula = formula,
    formula_deparsed = paste(deparse(formula(m), width.cutoff = 500L), collapse = " "),
    call = fit$call_text,
    data = datasets[[dataset]]$file,
    newdata = datasets[[dataset]]$newfile,
    data_name = "dat",
    factors = factor_levels(dataset),
    fixed_factors = I(fixed_factors),
    REML = if (is.null(REML)) NULL else REML,
    is_reml = reml,
    family = fam$family,
    link = fam$link,
    nAGQ = if (is.null(nAGQ)) NULL else nAGQ,
    weights = weights,
    n = nobs(m),
    nobs = nobs(m),
    ngrps = list(names = I(names(ngrps(m))), values = I(as.integer(ngrps(m)))),
    fixef_names = I(names(fixef(m))),
    fixef = num(fixef(m)),
    vcov = mat(as.matrix(vcov(m))),
    se = num(sqrt(diag(as.matrix(vcov(m))))),
    coef_table = table_json(coef(s)),
    theta_names = I(names(getME(m, "theta"))),
    theta = num(getME(m, "theta")),
    theta_lower = num(getME(m, "lower")),
    cnms = lapply(seq_along(getME(m, "cnms")), function(k)
      list(group = names(getME(m, "cnms"))[k], terms = I(getME(m, "cnms")[[k]]))),
    sigma = scalar(sigma(m)),
    varcorr = varcorr_json(VarCorr(m)),
    ranef = ranef_json(m),
    reml_criterion = if (reml) scalar(REMLcrit(m)) else NULL,
    deviance = scalar(dev$value),
    deviance_warnings = dev$warnings,
    deviance_ml = if (!glmm) scalar(deviance(m, REML = FALSE)) else NULL,
    minus_two_loglik = scalar(-2 * as.numeric(ll)),
    loglik = scalar(ll),
    loglik_df = scalar(attr(ll, "df")),
    aic = scalar(AIC(m)),
    bic = scalar(BIC(m)),
    df_residual = scalar(df.residual(m)),
    singular = isSingular(m),
    devcomp_cmp = named(cmp),
    devcomp_dims = list(names = I(names(dims)), values = I(as.integer(dims))),
    optimizer = as.character(m@optinfo$optimizer)[1],
    feval = as.integer(m@optinfo$feval),
    # converged: the optimizer's code is 0 and lme4's checks gave no convergence warning
    # (a "boundary (singular) fit" message is not one)
    converged = identical(as.integer(m@optinfo$conv$opt), 0L) &&
      !any(grepl("converge|Hessian|gradient", unlist(conv$messages))) &&
      length(m@optinfo$warnings) == 0,
    optimizer_code = as.integer(m@optinfo$conv$opt),
    conv_messages = I(as.character(unlist(conv$messages))),
    fitted = num(fitted(m)),
    linear_predictor = if (glmm) num(predict(m, type = "link")) else NULL,
    residuals = resid,
    predict = predict_json,
    warnings = fit$warnings,
    messages = fit$messages,
    summary_text = text_of(s),
    print_text = text_of(m)
  )
  if (glmm) {
    out$laplace_deviance <- scalar(-2 * as.numeric(ll))
    out$conditional_modes_u <- num(getME(m, "u"))
    out$b <- num(getME(m, "b"))
  }
  if (fun == "glmer.nb") out$nb_theta <- scalar(getME(m, "glmer.nb.theta"))
  models[[name]] <- m
  out
}

# ---- glmmTMB (comparison values inside the glmer.nb case) -----------------------------------
record_glmmtmb <- function(formula, dataset, family) {
  fit <- fit_call("glmmTMB", formula, dataset, list(family = as.name(family)))
  m <- fit$value
  ll <- logLik(m)
  vc <- VarCorr(m)$cond
  re <- ranef(m, condVar = TRUE)$cond
  list(
    call = fit$call_text,
    family = family(m)$family, link = family(m)$link,
    fixef_names = I(names(fixef(m)$cond)),
    fixef = num(fixef(m)$cond),
    vcov = mat(vcov(m)$cond),
    se = num(sqrt(diag(vcov(m)$cond))),
    sigma = scalar(sigma(m)),   # nbinom2: the size (theta) of the negative binomial
    varcorr_sd = lapply(names(vc), function(g)
      list(group = g, terms = I(colnames(vc[[g]])), sd = num(attr(vc[[g]], "stddev")),
           cov = mat(vc[[g]]))),
    ranef = lapply(names(re), function(g)
      list(group = g, levels = I(rownames(re[[g]])), terms = I(colnames(re[[g]])),
           values = mat(as.matrix(re[[g]])),
           condsd = mat(matrix(sqrt(apply(attr(re[[g]], "condVar"), 3, diag)),
                               nrow = nrow(re[[g]]), byrow = TRUE)))),
    loglik = scalar(ll), loglik_df = scalar(attr(ll, "df")),
    aic = scalar(AIC(m)), bic = scalar(BIC(m)),
    df_residual = scalar(df.residual(m)),
    converged = identical(as.integer(m$fit$convergence), 0L) && isTRUE(m$sdr$pdHess),
    warnings = fit$warnings, messages = fit$messages,
    summary_text = text_of(summary(m)))
}

# ---- MASS::glmmPQL and nlme::lme (both lme objects) --------------------------------------
# VarCorr(m) of an lme prints its numbers rounded (it is a character matrix); the values
# here come from the fitted pdMat blocks times sigma^2 instead, in VarCorr's row order
lme_varcorr <- function(m) {
  re <- m$modelStruct$reStruct
  rows <- character(0); grp <- character(0); variance <- numeric(0)
  for (k in rev(seq_along(re))) {   # VarCorr lists the outermost level first
    cv <- as.matrix(re[[k]]) * m$sigma^2
    rows <- c(rows, rownames(cv)); grp <- c(grp, rep(names(re)[k], nrow(cv)))
    variance <- c(variance, diag(cv))
  }
  rows <- c(rows, "Residual"); grp <- c(grp, "Residual"); variance <- c(variance, m$sigma^2)
  list(rows = I(rows), group = I(grp), variance = num(variance), stddev = num(sqrt(variance)),
       text = text_of(VarCorr(m)))
}

lme_ranef <- function(m) {
  re <- ranef(m)
  if (is.data.frame(re)) re <- structure(list(re), names = attr(re, "grpNames"))
  lapply(names(re), function(g)
    list(group = g, levels = I(rownames(re[[g]])), terms = I(colnames(re[[g]])),
         values = mat(as.matrix(re[[g]]))))
}

record_lme <- function(name, description, fun, formula, dataset, random, correlation = NULL,
                       family = NULL, method = NULL) {
  args <- list(random = str2lang(random))
  if (!is.null(correlation)) args$correlation <- str2lang(correlation)
  if (!is.null(family)) args$family <- as.name(family)
  if (!is.null(method)) args$method <- method
  fit <- fit_call(fun, formula, dataset, args)
  m <- fit$value
  s <- summary(m)
  nd <- newdata_for(dataset)
  pql <- fun == "glmmPQL"
  ll <- if (pql) NA else logLik(m)
  cs <- m$modelStruct$corStruct
  out <- list(
    name = name,
    description = description,
    `function` = fun,
    formula = formula,
    random = random,
    correlation = correlation,
    call = fit$call_text,
    data = datasets[[dataset]]$file,
    newdata = datasets[[dataset]]$newfile,
    data_name = "dat",
    factors = factor_levels(dataset),
    method = m$method,
    family = if (pql) family else "gaussian",
    link = if (pql) m$family$link else "identity",
    n = nobs(m),
    ngrps = list(names = I(names(m$dims$ngrps[seq_len(m$dims$Q)])),
                 values = I(as.integer(m$dims$ngrps[seq_len(m$dims$Q)]))),
    fixef_names = I(names(fixef(m))),
    fixef = num(fixef(m)),
    vcov = mat(m$varFix),
    # summary.lme's standard errors: sqrt(diag(varFix)), times sqrt(N / (N - p)) for ML
    # fits (adjustSigma = TRUE), which glmmPQL's are
    se = num(s$tTable[, "Std.Error"]),
    t_table = table_json(s$tTable),
    sigma = scalar(m$sigma),
    varcorr = lme_varcorr(m),
    random_struct = lapply(names(m$modelStruct$reStruct), function(g) {
      pd <- m$modelStruct$reStruct[[g]]
      list(group = g, class = class(pd)[1], terms = I(rownames(as.matrix(pd))),
           cov = mat(as.matrix(pd) * m$sigma^2))
    }),
    cor_struct = if (is.null(cs)) NULL else list(
      class = class(cs)[1],
      formula = paste(deparse(formula(cs)), collapse = " "),
      constrained = named(coef(cs, unconstrained = FALSE)),
      unconstrained = num(coef(cs, unconstrained = TRUE))),
    ranef = lme_ranef(m),
    loglik = scalar(ll),
    loglik_df = if (pql) NULL else scalar(attr(ll, "df")),
    aic = if (pql) NULL else scalar(AIC(m)),
    bic = if (pql) NULL else scalar(BIC(m)),
    reml_criterion = if (!pql && m$method == "REML") scalar(-2 * as.numeric(ll)) else NULL,
    num_iter = if (is.null(m$numIter)) NULL else as.integer(m$numIter),
    fitted = list(level0 = num(fitted(m, level = 0)), level1 = num(fitted(m))),
    residuals = list(response = num(residuals(m, type = "response")),
                     pearson = num(residuals(m, type = "pearson"))),
    predict = list(newdata = datasets[[dataset]]$newfile,
                   level0 = num(predict(m, nd, level = 0)),
                   level1 = num(predict(m, nd))),
    warnings = fit$warnings,
    messages = fit$messages,
    summary_text = text_of(s),
    print_text = text_of(m)
  )
  if (pql) {
    out$pql_iterations <- sum(grepl("^iteration", fit$messages))
    out$fitted_response <- num(predict(m, type = "response"))
    out$predict$level0_response <- num(predict(m, nd, level = 0, type = "response"))
    out$predict$level1_response <- num(predict(m, nd, type = "response"))
    out$working_response_note <- "fitted and residuals are those of the last lme fit (working response, link scale)"
  }
  models[[name]] <- m
  out
}

# ---- gamm4 and mgcv gam with s(g, bs = "re") ---------------------------------------------
gam_part <- function(g, nd, seen_rows) {
  s <- summary(g)
  smooths <- lapply(g$smooth, function(sm)
    list(label = sm$label, first_para = as.integer(sm$first.para),
         last_para = as.integer(sm$last.para),
         edf = scalar(sum(g$edf[sm$first.para:sm$last.para]))))
  pr <- predict(g, nd, se.fit = TRUE)
  list(
    coef_names = I(names(coef(g))),
    coefficients = num(coef(g)),
    Vp = mat(g$Vp),
    edf = num(g$edf),
    smooths = smooths,
    smooth_edf = num(vapply(smooths, function(x) as.numeric(unclass(x$edf)), numeric(1))),
    sp = if (is.null(g$sp)) NULL else named(g$sp),
    scale = scalar(g$scale), sig2 = scalar(g$sig2),
    p_table = table_json(s$p.table),
    s_table = table_json(s$s.table),
    r_sq = scalar(if (is.null(s$r.sq)) NA else s$r.sq),
    dev_expl = scalar(if (is.null(s$dev.expl)) NA else s$dev.expl),
    fitted = num(fitted(g)),
    predict = list(rows = I(as.integer(seen_rows)), fit = num(pr$fit), se_fit = num(pr$se.fit)),
    summary_text = text_of(s))
}

record_gamm4 <- function(name, description, formula, dataset, random) {
  fit <- fit_call("gamm4", formula, dataset, list(random = str2lang(random)))
  b <- fit$value
  m <- b$mer
  # gamm4 gives the gam part a formula whose environment is its own frame, and
  # summary() would print "<environment: 0x...>" (a different address every run)
  environment(b$gam$formula) <- globalenv()
  nd <- newdata_for(dataset)
  out <- list(
    name = name, description = description, `function` = "gamm4",
    formula = formula, random = random, REML = TRUE,
    call = fit$call_text,
    data = datasets[[dataset]]$file, newdata = datasets[[dataset]]$newfile,
    data_name = "dat", factors = factor_levels(dataset),
    family = "gaussian", link = "identity",
    n = nobs(m),
    gam = gam_part(b$gam, nd, seq_len(nrow(nd))),
    mer = list(
      fixef_names = I(names(fixef(m))), fixef = num(fixef(m)),
      theta_names = I(names(getME(m, "theta"))), theta = num(getME(m, "theta")),
      sigma = scalar(sigma(m)),
      varcorr = varcorr_json(VarCorr(m)),
      ngrps = list(names = I(names(ngrps(m))), values = I(as.integer(ngrps(m)))),
      reml_criterion = scalar(REMLcrit(m)),
      loglik = scalar(logLik(m)), loglik_df = scalar(attr(logLik(m), "df")),
      aic = scalar(AIC(m)), bic = scalar(BIC(m)),
      ranef_g = num(ranef(m)[["g"]][, 1]),
      ranef_g_levels = I(rownames(ranef(m)[["g"]])),
      summary_text = text_of(summary(m))),
    warnings = fit$warnings, messages = fit$messages,
    summary_text = text_of(summary(b$gam)))
  models[[name]] <- b
  out
}

record_gam_re <- function(name, description, formula, dataset, group) {
  fit <- fit_call("gam", formula, dataset, list(method = "REML"))
  g <- fit$value
  nd <- newdata_for(dataset)
  seen <- which(nd[[group]] %in% levels(datasets[[dataset]]$data[[group]]))
  nds <- nd[seen, , drop = FALSE]
  nds[[group]] <- factor(nds[[group]], levels = levels(datasets[[dataset]]$data[[group]]))
  part <- gam_part(g, nds, seen)
  vc <- NULL
  vc_text <- capture.output(vc <- gam.vcomp(g))  # gam.vcomp prints as it computes
  excl <- predict(g, nds, exclude = sprintf("s(%s)", group), se.fit = TRUE)
  ll <- logLik(g)
  out <- c(list(
    name = name, description = description, `function` = "gam",
    formula = formula, method = "REML",
    call = fit$call_text,
    data = datasets[[dataset]]$file, newdata = datasets[[dataset]]$newfile,
    data_name = "dat", factors = factor_levels(dataset),
    family = "gaussian", link = "identity", n = nrow(g$model),
    reml_score = scalar(g$gcv.ubre),
    loglik = scalar(ll), loglik_df = scalar(attr(ll, "df")),
    aic = scalar(AIC(g)),
    vcomp = table_json(vc),
    vcomp_text = paste(vc_text, collapse = "\n"),
    predict_exclude_re = list(rows = I(as.integer(seen)), exclude = sprintf("s(%s)", group),
                              fit = num(excl$fit), se_fit = num(excl$se.fit)),
    warnings = fit$warnings, messages = fit$messages), part)
  models[[name]] <- g
  out
}

# ---- cases ---------------------------------------------------------------------------------
lmer_cases <- list(
  record_mer("lmer_intercept_reml", "random intercept, REML", "lmer",
             "y ~ x + (1 | g)", "long"),
  record_mer("lmer_intercept_ml", "random intercept, ML", "lmer",
             "y ~ x + (1 | g)", "long", REML = FALSE),
  record_mer("lmer_slope_corr", "correlated random intercept and slope", "lmer",
             "y_slope ~ t + (1 + t | g)", "long"),
  record_mer("lmer_slope_uncorr", "uncorrelated intercept and slope with ||", "lmer",
             "y_slope ~ t + (t || g)", "long"),
  record_mer("lmer_nested", "nested random intercepts (1 | a/b) = (1 | a) + (1 | a:b)", "lmer",
             "y ~ x + (1 | a/b)", "nested"),
  record_mer("lmer_crossed", "crossed random intercepts", "lmer",
             "y ~ x + (1 | a) + (1 | b)", "crossed"),
  record_mer("lmer_factor_slopes", "factor slopes (0 + f | g): unstructured 3 x 3", "lmer",
             "y_f ~ f + (0 + f | g)", "long", fixed_factors = "f"),
  record_mer("lmer_weights", "random intercept with prior weights", "lmer",
             "y_w ~ x + (1 | g)", "long", weights = "w"),
  record_mer("lmer_multi_term", "several terms on one factor: a correlated block and an independent slope", "lmer",
             "y_multi ~ t + x + (1 + t | g) + (0 + x | g)", "long"),
  record_mer("lmer_singular", "singular fit: the group variance is estimated as 0", "lmer",
             "y_sing ~ x + (1 | g)", "long"),
  record_mer("lmer_fixed_factor", "numeric covariates and a factor among the fixed effects", "lmer",
             "y ~ x + f + t + (1 | g)", "long", fixed_factors = "f")
)

glmm_cases <- list(
  record_mer("glmer_poisson", "Poisson GLMM, correlated random intercept and slope, Laplace", "glmer",
             "count ~ x + (1 + x | g)", "glmm", family = "poisson"),
  record_mer("glmer_binary", "binary (0/1) logistic GLMM, random intercept, Laplace", "glmer",
             "yb ~ x + (1 | g)", "glmm", family = "binomial"),
  record_mer("glmer_cbind", "binomial GLMM on cbind(successes, failures), Laplace", "glmer",
             "cbind(succ, fail) ~ x + (1 | g)", "glmm", family = "binomial"),
  record_mer("glmer_agq10", "binary logistic GLMM by adaptive Gauss-Hermite quadrature, nAGQ = 10", "glmer",
             "yb ~ x + (1 | g)", "glmm", family = "binomial", nAGQ = 10),
  local({
    case <- record_mer("glmer_nb", "negative binomial GLMM with theta estimated (glmer.nb); glmmTMB nbinom2 for comparison",
                       "glmer.nb", "nb ~ x + (1 | g)", "glmm")
    case$glmmtmb <- record_glmmtmb("nb ~ x + (1 | g)", "glmm", "nbinom2")
    case
  }),
  record_lme("glmmpql_binary", "MASS::glmmPQL, binary logistic, random intercept", "glmmPQL",
             "yb ~ x", "glmm", random = "~ 1 | g", family = "binomial")
)

gamm_cases <- list(
  record_gamm4("gamm4_re", "gamm4: s(x) with a random intercept per g, REML",
               "y ~ s(x)", "gamm", random = "~ (1 | g)"),
  record_gam_re("gam_re", "mgcv gam: s(x) + s(g, bs = \"re\") by REML (the model of gamm4_re)",
                "y ~ s(x) + s(g, bs = \"re\")", "gamm", group = "g")
)

lme_cases <- list(
  record_lme("lme_ar1", "nlme::lme, random intercept and AR(1) errors within subject, REML", "lme",
             "y ~ time", "ar1", random = "~ 1 | g",
             correlation = "corAR1(form = ~ time | g)"),
  record_lme("lme_cs", "nlme::lme, random intercept per site and compound symmetry within subject (g nested in site), REML", "lme",
             "y ~ time", "cs", random = "~ 1 | site",
             correlation = "corCompSymm(form = ~ 1 | site/g)")
)

# ---- extras: anova of two nested REML fits, confint -----------------------------------------
extras <- list()
local({
  env <- new.env(parent = globalenv())
  assign("dat", datasets[["long"]]$data, envir = env)
  f0 <- "y ~ x + (1 | g)"; f1 <- "y ~ x + f + t + (1 | g)"
  fits <- quietly(eval(str2lang(sprintf(
    "{ m1 <- lmer(%s, data = dat); m2 <- lmer(%s, data = dat); list(m1 = m1, m2 = m2) }", f0, f1)), env))
  an <- quietly(eval(quote(anova(m1, m2)), list2env(fits$value, parent = env)))
  tab <- an$value
  extras$anova_lmer <<- list(
    description = "anova(m1, m2) of two nested REML lmer fits on data long: lme4 refits both by ML",
    data = datasets[["long"]]$file, data_name = "dat",
    formula0 = f0, formula1 = f1, REML = TRUE, call = "anova(m1, m2)",
    cases = I(c("lmer_intercept_reml", "lmer_fixed_factor")),
    table = table_json(as.matrix(as.data.frame(tab))),
    text = text_of(tab),
    heading = I(attr(tab, "heading")),
    warnings = an$warnings, messages = an$messages)
})
local({
  m <- models[["lmer_intercept_reml"]]
  wald <- confint(m, method = "Wald")
  prof <- quietly(confint(m, method = "profile"))
  extras$confint <<- list(
    description = "confint(m, method = \"Wald\") and confint(m, method = \"profile\") (level 0.95, oldNames = TRUE: rows .sig01, .sigma) of case lmer_intercept_reml",
    case = "lmer_intercept_reml", level = scalar(0.95),
    wald = table_json(wald), profile = table_json(prof$value),
    profile_warnings = prof$warnings, profile_messages = prof$messages)
})

# ---- write ---------------------------------------------------------------------------------
cases <- c(lmer_cases, glmm_cases, gamm_cases, lme_cases)
names(cases) <- NULL
stopifnot(!anyDuplicated(vapply(cases, function(x) x$name, character(1))))

dataset_json <- lapply(names(datasets), function(nm) {
  ds <- datasets[[nm]]
  list(name = nm, file = ds$file, newdata = ds$newfile, description = ds$description,
       n = nrow(ds$data), columns = I(names(ds$data)), factors = factor_levels(nm))
})

result <- list(
  generated_by = "validation_r/mixed_reference.R",
  r_version = R.version.string,
  package_versions = lapply(c(lme4 = "lme4", Matrix = "Matrix", nlme = "nlme", MASS = "MASS",
                              mgcv = "mgcv", gamm4 = "gamm4", glmmTMB = "glmmTMB",
                              TMB = "TMB", jsonlite = "jsonlite"),
                            function(p) as.character(packageVersion(p))),
  seed = SEED,
  options = list(width = 80L, digits = 7L),
  datasets = dataset_json,
  case_names = I(vapply(cases, function(x) x$name, character(1))),
  cases = cases,
  extras = extras
)
writeLines(toJSON(result, auto_unbox = TRUE, null = "null", na = "null",
                  json_verbatim = TRUE, pretty = FALSE), out_json)
cat("wrote", out_json, "with", length(cases), "cases\n")
