# R reference values for aurora.glmer beyond mixed_reference.R's Poisson / binary / cbind /
# nAGQ = 10 / glmer.nb cases: lme4 glmer with Gamma(link = "log"), binomial proportions with
# prior weights (trials), a Poisson offset (in the formula and as the offset = argument), a
# probit link, crossed random intercepts, a correlated random slope, nAGQ = 0, a singular
# fit and an observation-level random effect (as many levels as rows, which glmer allows).
#
# Run from the repository root:
#     Rscript validation_r/mixed_glmm_extra_reference.R
#
# The conventions are those of validation_r/mixed_reference.R: data simulated with a fixed
# seed (each data set from its own SEED + k), written to validation_r/data/
# mixed_glmm_extra_<set>.csv with new data for predict() in mixed_glmm_extra_<set>_new.csv
# (doubles with 17 significant digits, so they read back exactly; grouping factors as
# character labels such as "g01", so the sorted labels are R's level order); every case is
# fitted on the data *as read back from the CSV* by a call built as a user would type it,
# `glmer(formula, data = dat, ...)`, and the results go to
# validation_r/mixed_glmm_extra_reference.json (every double with 17 significant digits;
# NA / NaN / Inf are null; tables are {rows, columns, values (list of rows)}; named vectors
# {names, values}). Each case records what mixed_reference.R records for a glmer case, plus
#   family_arg  the text of the family argument as given (`Gamma(link = "log")`, `poisson`)
#   offset_arg  the name of the column given as `offset = <column>` (null when none)
#   predict_warnings  warnings of the predict() calls (lme4's predict() with new data
#               ignores an offset given by the offset = argument: lme4 issue #447)

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)
invisible(Sys.setlocale("LC_COLLATE", "C"))

SEED <- 20250611L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "mixed_glmm_extra_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

# ---- CSV and JSON helpers (as in mixed_reference.R) -----------------------------------------
fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

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
chr <- function(x) I(as.character(x))

quietly <- function(expr) {
  warns <- character(0); msgs <- character(0)
  value <- withCallingHandlers(expr,
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = value, warnings = I(warns), messages = I(msgs))
}

# ---- data sets -----------------------------------------------------------------------------
datasets <- list()

add_dataset <- function(name, data, newdata, factors, description) {
  file <- paste0("mixed_glmm_extra_", name, ".csv")
  newfile <- paste0("mixed_glmm_extra_", name, "_new.csv")
  d <- write_back(data, file, factors)
  nd <- write_back(newdata, newfile, character(0))
  datasets[[name]] <<- list(data = d, newdata = nd, file = file, newfile = newfile,
                            factors = factors, description = description)
}

labels <- function(prefix, k, width = 2L) sprintf(paste0(prefix, "%0", width, "d"), seq_len(k))

# grp: 40 groups x 16 rows (n = 640), one response per family / case
set.seed(SEED + 1L)
local({
  ng <- 40L; per <- 16L; n <- ng * per
  g <- rep(labels("g", ng), each = per)
  gi <- rep(seq_len(ng), each = per)
  x <- rnorm(n)
  e <- round(runif(n, 0.5, 4), 3)            # exposure
  trials <- sample(1:20, n, replace = TRUE)
  u_gamma <- rnorm(ng, sd = 0.5)
  u_prop <- rnorm(ng, sd = 0.7)
  u_probit <- rnorm(ng, sd = 0.8)
  u_off <- rnorm(ng, sd = 0.6)
  u_bin <- rnorm(ng, sd = 1)
  # correlated intercept and slope: sd 0.8 and 0.5, correlation 0.5
  L <- t(chol(matrix(c(0.64, 0.5 * 0.8 * 0.5, 0.5 * 0.8 * 0.5, 0.25), 2)))
  b <- t(L %*% matrix(rnorm(2 * ng), 2))
  slope_trials <- sample(5:15, n, replace = TRUE)
  s_succ <- rbinom(n, slope_trials, plogis(0.2 + 0.6 * x + b[gi, 1] + b[gi, 2] * x))
  succ <- rbinom(n, trials, plogis(-0.4 + 0.5 * x + u_prop[gi]))
  # singular: every group has exactly 8 ones in its 16 rows, so the groups differ less
  # than binomial noise would make them and the group variance is estimated as 0
  ys <- as.vector(sapply(seq_len(ng), function(i) sample(rep(0:1, per / 2))))
  d <- data.frame(
    g, x, e, loge = log(e), trials,
    y_gamma = rgamma(n, shape = 4, rate = 4 / exp(1 + 0.4 * x + u_gamma[gi])),
    prop = succ / trials,
    yp = rbinom(n, 1, pnorm(-0.2 + 0.7 * x + u_probit[gi])),
    count = rpois(n, e * exp(-0.3 + 0.5 * x + u_off[gi])),
    s_succ = s_succ, s_fail = slope_trials - s_succ,
    yb = rbinom(n, 1, plogis(-0.5 + x + u_bin[gi])),
    ys = ys,
    stringsAsFactors = FALSE)
  nd <- data.frame(g = c("g01", "g12", "g27", "g40", "g99", "g99"),
                   x = c(-1, 0, 0.5, 1.5, 0, 1),
                   e = c(1, 2.5, 0.75, 3, 1.5, 2),
                   stringsAsFactors = FALSE)
  nd$loge <- log(nd$e)
  add_dataset("grp", d, nd, "g",
              "40 groups (g01..g40) x 16 rows; x normal; exposure e (loge = log(e)); Gamma y_gamma (log link, shape 4); proportion prop of trials (1..20); probit binary yp; Poisson count with exposure e; s_succ of s_succ + s_fail trials (5..15) with a correlated random slope; binary yb; binary ys with 8 ones in every group")
})

# crossed: a with 25 levels, b with 20, unbalanced, n = 500
set.seed(SEED + 2L)
local({
  na <- 25L; nb <- 20L; n <- 500L
  ai <- c(seq_len(na), sample(na, n - na, replace = TRUE))
  bi <- c(rep_len(seq_len(nb), na), sample(nb, n - na, replace = TRUE))
  x <- rnorm(n)
  u <- rnorm(na, sd = 0.5); v <- rnorm(nb, sd = 0.7)
  d <- data.frame(a = labels("p", na)[ai], b = labels("q", nb)[bi], x,
                  count = rpois(n, exp(0.5 + 0.3 * x + u[ai] + v[bi])), stringsAsFactors = FALSE)
  nd <- data.frame(a = c("p01", "p13", "p99", "p25", "p99"),
                   b = c("q01", "q20", "q05", "q99", "q99"),
                   x = c(0, 1, -1, 0.5, 0.2), stringsAsFactors = FALSE)
  add_dataset("crossed", d, nd, c("a", "b"),
              "crossed a (p01..p25) and b (q01..q20), 500 rows, pairs drawn at random; Poisson count")
})

# obs: 25 groups x 8 rows (n = 200), one level of obs per row
set.seed(SEED + 3L)
local({
  ng <- 25L; per <- 8L; n <- ng * per
  gi <- rep(seq_len(ng), each = per)
  x <- rnorm(n)
  u <- rnorm(ng, sd = 0.5)
  d <- data.frame(g = labels("g", ng)[gi], obs = labels("o", n, 3L), x,
                  count = rpois(n, exp(0.8 + 0.4 * x + u[gi] + rnorm(n, sd = 0.6))),
                  stringsAsFactors = FALSE)
  nd <- data.frame(g = c("g01", "g10", "g25", "g99"), obs = c("o001", "o075", "o999", "o200"),
                   x = c(-0.5, 0, 1, 0.3), stringsAsFactors = FALSE)
  add_dataset("obs", d, nd, c("g", "obs"),
              "25 groups (g01..g25) x 8 rows; obs (o001..o200) one level per row; overdispersed Poisson count")
})

# ---- building and evaluating calls --------------------------------------------------------
fit_call <- function(fun, formula, dataset, args = list()) {
  cl <- as.call(c(list(as.name(fun), str2lang(formula), data = as.name("dat")), args))
  env <- new.env(parent = globalenv())
  assign("dat", datasets[[dataset]]$data, envir = env)
  res <- quietly(eval(cl, env))
  res$call_text <- paste(deparse(cl, width.cutoff = 500L), collapse = " ")
  res$env <- env
  res
}

newdata_for <- function(dataset) datasets[[dataset]]$newdata

new_level_rows <- function(dataset, groups) {
  ds <- datasets[[dataset]]
  unseen <- rep(FALSE, nrow(ds$newdata))
  for (gname in groups) {
    parts <- strsplit(gname, ":", fixed = TRUE)[[1]]
    lab_new <- do.call(paste, c(lapply(parts, function(p) as.character(ds$newdata[[p]])), sep = ":"))
    lab_old <- do.call(paste, c(lapply(parts, function(p) as.character(ds$data[[p]])), sep = ":"))
    unseen <- unseen | !(lab_new %in% lab_old)
  }
  which(unseen)
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

# ---- glmer cases (record_mer of mixed_reference.R for glmer, with the family given as
# text, an offset = argument and the predict() warnings) -----------------------------------
record_glmer <- function(name, description, formula, dataset, family, nAGQ = NULL,
                         weights = NULL, offset = NULL) {
  args <- list(family = str2lang(family))
  if (!is.null(nAGQ)) args$nAGQ <- nAGQ
  if (!is.null(weights)) args$weights <- as.name(weights)
  if (!is.null(offset)) args$offset <- as.name(offset)
  fit <- fit_call("glmer", formula, dataset, args)
  m <- fit$value
  stopifnot(isGLMM(m))
  ll <- logLik(m)
  s <- summary(m)
  nd <- newdata_for(dataset)
  groups <- names(ngrps(m))
  pred_warnings <- character(0)
  pred <- function(re_form, type) {
    p <- quietly(
      if (is.null(re_form)) predict(m, newdata = nd, re.form = NULL, allow.new.levels = TRUE, type = type)
      else predict(m, newdata = nd, re.form = NA, type = type))
    pred_warnings <<- unique(c(pred_warnings, p$warnings))
    p$value
  }
  predict_json <- list(newdata = datasets[[dataset]]$newfile,
                       new_level_rows = I(as.integer(new_level_rows(dataset, groups))),
                       re_form_null = num(pred(NULL, "link")),
                       re_form_na = num(pred(NA, "link")),
                       re_form_null_response = num(pred(NULL, "response")),
                       re_form_na_response = num(pred(NA, "response")))
  dev <- quietly(deviance(m))
  resid <- list(response = num(residuals(m, type = "response")),
                pearson = num(residuals(m, type = "pearson")),
                deviance = num(residuals(m, type = "deviance")),
                working = num(residuals(m, type = "working")))
  fam <- family(m)
  cmp <- getME(m, "devcomp")$cmp
  dims <- getME(m, "devcomp")$dims
  conv <- m@optinfo$conv$lme4
  out <- list(
    name = name,
    description = description,
    `function` = "glmer",
    formula = formula,
    formula_deparsed = paste(deparse(formula(m), width.cutoff = 500L), collapse = " "),
    call = fit$call_text,
    data = datasets[[dataset]]$file,
    newdata = datasets[[dataset]]$newfile,
    data_name = "dat",
    factors = factor_levels(dataset),
    fixed_factors = I(character(0)),
    is_reml = isREML(m),
    family = fam$family,
    link = fam$link,
    family_arg = family,
    nAGQ = if (is.null(nAGQ)) NULL else nAGQ,
    weights = weights,
    offset_arg = offset,
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
    deviance = scalar(dev$value),
    deviance_warnings = dev$warnings,
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
    converged = identical(as.integer(m@optinfo$conv$opt), 0L) &&
      !any(grepl("converge|Hessian|gradient", unlist(conv$messages))) &&
      length(m@optinfo$warnings) == 0,
    optimizer_code = as.integer(m@optinfo$conv$opt),
    conv_messages = I(as.character(unlist(conv$messages))),
    fitted = num(fitted(m)),
    linear_predictor = num(predict(m, type = "link")),
    residuals = resid,
    predict = predict_json,
    predict_warnings = I(pred_warnings),
    warnings = fit$warnings,
    messages = fit$messages,
    summary_text = text_of(s),
    print_text = text_of(m),
    laplace_deviance = scalar(-2 * as.numeric(ll)),
    conditional_modes_u = num(getME(m, "u")),
    b = num(getME(m, "b"))
  )
  out
}

# ---- cases ---------------------------------------------------------------------------------
cases <- list(
  record_glmer("glmer_gamma_log", "Gamma GLMM with a log link and a random intercept, Laplace",
               "y_gamma ~ x + (1 | g)", "grp", family = "Gamma(link = \"log\")"),
  record_glmer("glmer_binomial_weights", "binomial proportions with prior weights = trials, random intercept",
               "prop ~ x + (1 | g)", "grp", family = "binomial", weights = "trials"),
  record_glmer("glmer_poisson_offset_formula", "Poisson GLMM with offset(log(e)) in the formula",
               "count ~ x + offset(log(e)) + (1 | g)", "grp", family = "poisson"),
  record_glmer("glmer_poisson_offset_arg", "Poisson GLMM with the offset given as the offset = argument (column loge = log(e))",
               "count ~ x + (1 | g)", "grp", family = "poisson", offset = "loge"),
  record_glmer("glmer_probit", "binary GLMM with a probit link, random intercept",
               "yp ~ x + (1 | g)", "grp", family = "binomial(link = \"probit\")"),
  record_glmer("glmer_poisson_crossed", "Poisson GLMM with crossed random intercepts",
               "count ~ x + (1 | a) + (1 | b)", "crossed", family = "poisson"),
  record_glmer("glmer_binomial_slope", "binomial GLMM on cbind(successes, failures) with a correlated random intercept and slope",
               "cbind(s_succ, s_fail) ~ x + (1 + x | g)", "grp", family = "binomial"),
  record_glmer("glmer_nagq0", "binary logistic GLMM with nAGQ = 0 (the first stage only: fixed effects inside the PIRLS)",
               "yb ~ x + (1 | g)", "grp", family = "binomial", nAGQ = 0L),
  record_glmer("glmer_singular", "singular binary GLMM: every group has 8 ones in 16 rows, the group variance is estimated as 0",
               "ys ~ x + (1 | g)", "grp", family = "binomial"),
  record_glmer("glmer_obs_level", "overdispersed Poisson with an observation-level random effect (1 | obs) (as many levels as rows) and a group intercept",
               "count ~ x + (1 | obs) + (1 | g)", "obs", family = "poisson")
)

# ---- write ---------------------------------------------------------------------------------
names(cases) <- NULL
stopifnot(!anyDuplicated(vapply(cases, function(x) x$name, character(1))))

dataset_json <- lapply(names(datasets), function(nm) {
  ds <- datasets[[nm]]
  list(name = nm, file = ds$file, newdata = ds$newfile, description = ds$description,
       n = nrow(ds$data), columns = I(names(ds$data)), factors = factor_levels(nm))
})

result <- list(
  generated_by = "validation_r/mixed_glmm_extra_reference.R",
  r_version = R.version.string,
  package_versions = lapply(c(lme4 = "lme4", Matrix = "Matrix", jsonlite = "jsonlite"),
                            function(p) as.character(packageVersion(p))),
  seed = SEED,
  options = list(width = 80L, digits = 7L),
  datasets = dataset_json,
  case_names = I(vapply(cases, function(x) x$name, character(1))),
  cases = cases
)
writeLines(toJSON(result, auto_unbox = TRUE, null = "null", na = "null",
                  json_verbatim = TRUE, pretty = FALSE), out_json)
cat("wrote", out_json, "with", length(cases), "cases\n")
