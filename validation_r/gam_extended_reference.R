# R reference values for aurora.gam with mgcv's extended families: nb() (theta estimated
# or fixed), tw() (Tweedie p estimated), betar() and scat(), each by REML (and ML for nb).
#
# Run from the repository root (after validation_r/gam_reference.R, whose data it reuses):
#     Rscript validation_r/gam_extended_reference.R
#
# Reads validation_r/data/gam_ref.csv (the gamSim-like data of gam_reference.R), adds one
# simulated response per family (own seed) and writes validation_r/data/gam_ext.csv
# (17 significant digits); fits every case on the data as read back and records the same
# fields as gam_reference.R (so tests/gam_reference.py serves both), plus the family
# parameter mgcv estimated (`family_theta`: theta for nb, p for tw, phi for betar,
# c(nu, sigma) for scat; on mgcv's scale, getTheta(TRUE)) and mgcv's family label.
# Output: validation_r/gam_extended_reference.json.

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)

SEED <- 20261201L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "gam_extended_reference.json")

base <- read.csv(file.path(data_dir, "gam_ref.csv"), stringsAsFactors = FALSE)
n <- nrow(base)
with(base, {
  f0 <<- 2 * sin(pi * x0)
  f1 <<- exp(2 * x1)
  f2 <<- 0.2 * x2^11 * (10 * (1 - x2))^6 + 10 * (10 * x2)^3 * (1 - x2)^10
})
f <- f0 + f1 + f2
mu_b <- plogis((f - 8) / 4)
dat <- data.frame(
  x0 = base$x0, x1 = base$x1, x2 = base$x2, x3 = base$x3, e = base$e,
  y_nb = rnbinom(n, mu = exp(f / 5), size = 3),
  y_nb_e = rnbinom(n, mu = base$e * exp(f0 / 2 + f1 / 4), size = 5),
  y_tw = rTweedie(exp(f / 6), p = 1.6, phi = 1.3),
  y_beta = rbeta(n, mu_b * 8, (1 - mu_b) * 8),
  y_t = f + 1.5 * rt(n, df = 4)
)
fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
write_csv <- function(df, file) {
  out <- df
  for (j in seq_along(out)) if (is.double(out[[j]])) out[[j]] <- fmt17(out[[j]])
  path <- file.path(data_dir, file)
  write.table(out, path, sep = ",", row.names = FALSE, quote = FALSE)
  read.csv(path, stringsAsFactors = TRUE)
}
dat <- write_csv(dat, "gam_ext.csv")
newd <- read.csv(file.path(data_dir, "gam_ref_new.csv"), stringsAsFactors = TRUE)

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

record <- function(name, description, formula, family_call, method = "REML") {
  fml <- as.formula(formula, env = globalenv())
  fam <- eval(parse(text = family_call))
  m <- gam(fml, family = fam, data = dat, method = method)
  s <- summary(m)
  ll <- logLik(m)
  pr <- predict(m, newd, se.fit = TRUE)
  smooths <- lapply(m$smooth, function(sm) {
    list(label = sm$label, first_para = as.integer(sm$first.para),
         last_para = as.integer(sm$last.para), n_penalties = length(sm$S),
         edf = scalar(sum(m$edf[sm$first.para:sm$last.para])))
  })
  list(
    name = name, description = description, formula = formula,
    data = "gam_ext.csv", family_arg = family_call, family_call = family_call,
    family = m$family$family, link = m$family$link,
    family_theta = num(m$family$getTheta(TRUE)),
    method_arg = method, method = m$method,
    n = nrow(m$model), n_coef = length(coef(m)),
    coef_names = I(names(coef(m))), coefficients = num(coef(m)),
    fitted = num(m$fitted.values), edf = num(m$edf), smooths = smooths,
    smooth_labels = I(vapply(m$smooth, function(sm) sm$label, character(1))),
    smooth_edf = num(vapply(smooths, function(sm) as.numeric(unclass(sm$edf)), numeric(1))),
    sp = num(m$sp), sp_names = I(names(m$sp)),
    full_sp = if (is.null(m$full.sp)) NULL else num(m$full.sp),
    full_sp_names = if (is.null(m$full.sp)) NULL else I(names(m$full.sp)),
    gcv_ubre = scalar(m$gcv.ubre), scale = scalar(m$scale), sig2 = scalar(m$sig2),
    scale_estimated = isTRUE(m$scale.estimated),
    deviance = scalar(m$deviance), null_deviance = scalar(m$null.deviance),
    aic = scalar(AIC(m)), bic = scalar(BIC(m)),
    loglik = scalar(ll), loglik_df = scalar(attr(ll, "df")),
    converged = isTRUE(m$converged),
    p_table = table_json(s$p.table), s_table = table_json(s$s.table),
    r_sq = scalar(if (is.null(s$r.sq)) NA else s$r.sq),
    dev_expl = scalar(s$dev.expl),
    residuals_deviance = num(residuals(m, type = "deviance")),
    residuals_pearson = num(residuals(m, type = "pearson")),
    predict = list(newdata = "gam_ref_new.csv", fit = num(pr$fit), se_fit = num(pr$se.fit)),
    summary_text = paste(capture.output(print(s)), collapse = "\n")
  )
}

cases <- list(
  record("nb", "negative binomial, theta estimated, REML",
         "y_nb ~ s(x0) + s(x1) + s(x2) + s(x3)", "nb()"),
  record("nb_ml", "negative binomial, theta estimated, ML",
         "y_nb ~ s(x0) + s(x1) + s(x2)", "nb()", method = "ML"),
  record("nb_fixed", "negative binomial with theta fixed at 3",
         "y_nb ~ s(x0) + s(x1) + s(x2)", "nb(theta = 3)"),
  record("nb_offset", "negative binomial with an exposure offset(log(e))",
         "y_nb_e ~ s(x0) + s(x1, bs = \"cr\") + offset(log(e))", "nb()"),
  record("tw", "Tweedie, p estimated, REML",
         "y_tw ~ s(x0) + s(x1) + s(x2)", "tw()"),
  record("tw_fixed", "Tweedie with p fixed at 1.5 (tw(theta = 1.5))",
         "y_tw ~ s(x0) + s(x1) + s(x2)", "tw(theta = 1.5)"),
  record("betar", "beta regression, phi estimated, logit link",
         "y_beta ~ s(x0) + s(x1) + s(x2)", "betar()"),
  record("scat", "scaled t, nu and sigma estimated",
         "y_t ~ s(x0) + s(x1) + s(x2)", "scat()")
)
names(cases) <- NULL
result <- list(
  generated_by = "validation_r/gam_extended_reference.R",
  r_version = R.version.string,
  package_versions = list(mgcv = as.character(packageVersion("mgcv")),
                          jsonlite = as.character(packageVersion("jsonlite"))),
  seed = SEED, data = "gam_ext.csv", newdata = "gam_ref_new.csv",
  case_names = I(vapply(cases, function(x) x$name, character(1))),
  cases = cases
)
writeLines(toJSON(result, auto_unbox = TRUE, null = "null", json_verbatim = TRUE,
                  pretty = FALSE), out_json)
cat("wrote", out_json, "with", length(cases), "cases\n")
