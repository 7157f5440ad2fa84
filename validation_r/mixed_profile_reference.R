# R reference values for aurora's likelihood profiles of linear mixed models: lme4's
# profile(m) (profile.merMod) and confint(m, method = "profile") (confint.thpr).
#
# Run from the repository root, after validation_r/mixed_reference.R:
#     Rscript validation_r/mixed_profile_reference.R
#
# Nothing is simulated or typed here: the cases are mixed_reference.json's lmer cases (its
# formula, REML flag, weights), fitted on the CSV that mixed_reference.R wrote
# (validation_r/data/mixed_<set>.csv, read back with the factor levels recorded in that
# JSON), so the fits are the ones mixed_reference.json describes; one more case
# (profile_boundary) fits a new formula on the same data: a slope SD estimated positive
# whose profile reaches 0 above the lower cutoff (its lower end is 0). For each case:
#
#   confint         confint(m, method = "profile") (level 0.95, oldNames = TRUE)
#   confint_90      confint(pr, level = 0.90) of the same profile pr <- profile(m)
#   profile         per parameter: the profiled parameter's values and .zeta, as
#                   as.data.frame(pr) holds them (sorted by the parameter), and the
#                   backward spline (attr(pr, "backward")) at the zeta values `zeta_grid`
#   subset          (some cases) confint(m, parm = <names>, method = "profile")
#   fixed_by_refit  (some cases) the fixed effects' profile intervals found directly: each
#                   coefficient's column moved into an offset, the model refitted by ML
#                   (lmer) and uniroot() on sign * sqrt(deviance - base) = qnorm(...).
#                   For lmer_weights lme4's profile.merMod is wrong for the fixed effects
#                   (its refits with prior weights start the profile at zeta ~ 5.9 one
#                   step from the estimate): these refits are the reference there.
#
# Doubles have 17 significant digits; NA / NaN / Inf are null. Tables are
# {rows, columns, values (list of rows)}.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)
invisible(Sys.setlocale("LC_COLLATE", "C"))

data_dir <- file.path("validation_r", "data")
ref <- fromJSON(file.path("validation_r", "mixed_reference.json"), simplifyVector = FALSE)
out_json <- file.path("validation_r", "mixed_profile_reference.json")

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
table_json <- function(tab) {
  tab <- as.matrix(tab)
  list(rows = I(rownames(tab)), columns = I(colnames(tab)), values = mat(tab))
}
quietly <- function(expr) {
  warns <- character(0); msgs <- character(0)
  value <- withCallingHandlers(expr,
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, sub("\n$", "", conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = value, warnings = I(warns), messages = I(msgs))
}

find_case <- function(name) {
  for (c in ref$cases) if (identical(c$name, name)) return(c)
  stop("no case ", name, " in mixed_reference.json")
}

# the data set as mixed_reference.R fitted it: the CSV read back, factors with the levels
# recorded in mixed_reference.json
read_dataset <- function(file) {
  ds <- NULL
  for (d in ref$datasets) if (identical(d$file, file)) ds <- d
  dat <- read.csv(file.path(data_dir, file), stringsAsFactors = FALSE)
  for (f in names(ds$factors)) dat[[f]] <- factor(dat[[f]], levels = unlist(ds$factors[[f]]))
  dat
}

zeta_grid <- sort(c(-3, -2.5, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2.5, 3,
                    qnorm(c(0.025, 0.975))))
profile_points <- function(pr) {
  df <- as.data.frame(pr)
  bak <- attr(pr, "backward")
  lapply(levels(df$.par), function(p) {
    rows <- df[df$.par == p, ]
    back <- if (inherits(bak[[p]], "error")) rep(NA_real_, length(zeta_grid))
            else predict(bak[[p]], zeta_grid)$y
    list(name = p, par = num(rows[[p]]), zeta = num(rows$.zeta), backward = num(back))
  })
}

record <- function(name, subset = NULL, c = find_case(name), description = c$description) {
  env <- new.env(parent = globalenv())
  assign("dat", read_dataset(c$data), envir = env)
  args <- list(as.name("lmer"), str2lang(c$formula), data = as.name("dat"))
  if (!isTRUE(c$is_reml)) args$REML <- FALSE
  if (!is.null(c$weights)) args$weights <- as.name(c$weights)
  m <- eval(as.call(args), env)
  if (!is.null(c$theta))  # a case of mixed_reference.json: the same fit
    stopifnot(isTRUE(all.equal(unname(getME(m, "theta")), as.numeric(unlist(c$theta)),
                               tolerance = 1e-12)))
  ci <- quietly(confint(m, method = "profile"))
  pr <- quietly(profile(m))
  ci90 <- quietly(confint(pr$value, level = 0.90))$value
  # the profile confint() computes is profile(m): the same intervals
  stopifnot(isTRUE(all.equal(ci$value, quietly(confint(pr$value))$value, tolerance = 0)))
  out <- list(name = name, description = description, formula = c$formula, data = c$data,
              is_reml = c$is_reml, weights = c$weights, level = 0.95,
              confint = table_json(ci$value), confint_90 = table_json(ci90),
              profile = profile_points(pr$value),
              warnings = I(unique(ci$warnings)), messages = I(unique(ci$messages)))
  if (!is.null(subset)) {
    sub <- quietly(confint(m, parm = subset, method = "profile"))
    out$subset <- list(parm = I(subset), confint = table_json(sub$value),
                       warnings = sub$warnings)
  }
  out
}

# the fixed effects' profile intervals by direct ML refits with an offset and uniroot
fixed_by_refit <- function(m, level = 0.95) {
  mML <- refitML(m)
  base <- deviance(mML)
  X <- getME(mML, "X")
  est <- fixef(mML)
  se <- sqrt(diag(as.matrix(vcov(mML))))
  mf <- model.frame(m)
  d0 <- data.frame(.y = model.response(mf), .w = if (is.null(weights(m))) 1 else weights(m))
  for (v in all.vars(subbars(formula(m))[[3]])) if (v %in% names(mf)) d0[[v]] <- mf[[v]]
  bars <- paste(vapply(findbars(formula(m)), function(b) paste0("(", deparse(b), ")"),
                       character(1)), collapse = " + ")
  zq <- qnorm(c((1 - level) / 2, (1 + level) / 2))
  ci <- t(vapply(seq_along(est), function(j) {
    zeta <- function(val) {
      d <- d0
      d$.Xd <- X[, -j, drop = FALSE]
      d$.off <- val * X[, j]
      f <- as.formula(paste(".y ~ 0 + .Xd + offset(.off) +", bars))
      m2 <- lmer(f, data = d, weights = .w, REML = FALSE)
      sign(val - est[j]) * sqrt(max(0, deviance(m2) - base))
    }
    c(uniroot(function(v) zeta(v) - zq[1], est[j] - c(10, 1e-3) * se[j], tol = 1e-10)$root,
      uniroot(function(v) zeta(v) - zq[2], est[j] + c(1e-3, 10) * se[j], tol = 1e-10)$root)
  }, numeric(2)))
  dimnames(ci) <- list(names(est), colnames(confint(m, method = "Wald")))
  table_json(ci)
}

cases <- list(
  local({
    out <- record("lmer_intercept_reml", subset = c(".sigma", "x"))
    c <- find_case("lmer_intercept_reml")
    env <- new.env(parent = globalenv())
    assign("dat", read_dataset(c$data), envir = env)
    out$fixed_by_refit <- fixed_by_refit(eval(str2lang(sprintf("lmer(%s, data = dat)", c$formula)), env))
    out
  }),
  record("lmer_slope_corr"),
  record("lmer_crossed"),
  record("lmer_singular", subset = ".sig01"),
  local({
    out <- record("lmer_weights")
    c <- find_case("lmer_weights")
    env <- new.env(parent = globalenv())
    assign("dat", read_dataset(c$data), envir = env)
    m <- eval(str2lang(sprintf("lmer(%s, data = dat, weights = %s)", c$formula, c$weights)), env)
    out$fixed_by_refit <- fixed_by_refit(m)
    out
  }),
  record("profile_boundary",
         c = list(formula = "y ~ x + (1 | g) + (0 + t | g)", data = "mixed_long.csv",
                  is_reml = TRUE, weights = NULL),
         description = "independent intercept and slope: the slope SD (.sig02) is positive, its profile reaches 0")
)

result <- list(
  generated_by = "validation_r/mixed_profile_reference.R",
  r_version = R.version.string,
  package_versions = lapply(c(lme4 = "lme4", Matrix = "Matrix", nloptr = "nloptr",
                              jsonlite = "jsonlite"),
                            function(p) as.character(packageVersion(p))),
  source = "validation_r/mixed_reference.json",
  zeta_grid = num(zeta_grid),
  cases = cases
)
writeLines(toJSON(result, auto_unbox = TRUE, null = "null", na = "null",
                  json_verbatim = TRUE, pretty = FALSE), out_json)
cat("wrote", out_json, "with", length(cases), "cases\n")
