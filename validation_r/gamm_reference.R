# R reference values for aurora.gamm (gamm4) and for aurora.gam with random-effect bars
# (mgcv's s(..., bs = "re")), beyond the two cases of mixed_reference.R.
#
# Run from the repository root:
#     Rscript validation_r/gamm_reference.R
#
# Simulates one data set (fixed seed), writes it to validation_r/data/gamm_ref.csv (doubles
# with 17 significant digits; factors as character labels whose sorted order is R's level
# order), fits every case on the data as read back, and writes
# validation_r/gamm_reference.json. Doubles have 17 significant digits; NA is null; tables
# are {rows, columns, values}; named vectors {names, values}.
#
# gamm4 cases record both parts: `gam` (coefficients, Vp, edf, sp, p/s tables, R-sq,
# fitted, predictions on the first rows, summary text) and `mer` (theta, REML criterion or
# deviance, fixed effects, sigma, VarCorr, ngrps, summary text). gam cases record the mgcv
# fit of the bs = "re" formula with the lme4-style formula aurora.gam accepts for it.

suppressPackageStartupMessages({
  library(lme4)
  library(nlme)
  library(MASS)
  library(mgcv)
  library(gamm4)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)
invisible(Sys.setlocale("LC_COLLATE", "C"))
set.seed(20250411L)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "gamm_reference.json")

fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
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
  structure(if (length(x) == 1 && is.finite(x)) sprintf("%.17g", x) else "null", class = "json")
}
named <- function(x) list(names = I(as.character(names(x))), values = num(x))
table_json <- function(tab) {
  if (is.null(tab) || NROW(tab) == 0) return(NULL)
  tab <- as.matrix(tab)
  list(rows = I(rownames(tab)), columns = I(colnames(tab)), values = mat(tab))
}
text_of <- function(x) paste(capture.output(print(x)), collapse = "\n")

# ---- data ---------------------------------------------------------------------------------
n <- 600
g <- sprintf("g%02d", sample(1:25, n, replace = TRUE))
h <- sprintf("h%d", sample(1:8, n, replace = TRUE))
f <- sample(c("a", "b", "c"), n, replace = TRUE)
x <- runif(n); z <- runif(n); t <- runif(n, 0, 2)
ug <- rnorm(25, sd = 0.8); names(ug) <- sprintf("g%02d", 1:25)
uh <- rnorm(8, sd = 0.4); names(uh) <- sprintf("h%d", 1:8)
sg <- rnorm(25, sd = 0.5); names(sg) <- sprintf("g%02d", 1:25)
fx <- c(a = 0, b = 0.5, c = -0.3)
w <- runif(n, 0.5, 2)
mu <- sin(2 * pi * x) + 0.6 * exp(z) + fx[f] + ug[g] + uh[h] + sg[g] * t
y <- mu + rnorm(n, sd = 0.5)
yb <- as.numeric(mu + rnorm(n, sd = 0.5 / sqrt(w)))
ybyf <- ifelse(f == "a", sin(2 * pi * x), ifelse(f == "b", 2 * x, -x^2)) + ug[g] + rnorm(n, sd = 0.4)
yt2 <- sin(3 * x) * cos(2 * z) * 2 + ug[g] + rnorm(n, sd = 0.3)
count <- rpois(n, exp(0.3 + sin(2 * pi * x) + 0.5 * ug[g]))
dat <- data.frame(y = y, yw = yb, yby = ybyf, yt2 = yt2, x = x, z = z, t = t, w = w,
                  f = f, g = g, h = h, count = count, stringsAsFactors = FALSE)
dat$hit <- as.integer(dat$count > 1)
out <- dat
for (j in seq_along(out)) if (is.double(out[[j]])) out[[j]] <- fmt17(out[[j]])
path <- file.path(data_dir, "gamm_ref.csv")
write.table(out, path, sep = ",", row.names = FALSE, quote = FALSE)
dat <- read.csv(path, stringsAsFactors = FALSE)
factors <- c("f", "g", "h")
for (v in factors) dat[[v]] <- factor(dat[[v]], levels = sort(unique(dat[[v]])))
nd <- dat[1:5, ]

# ---- gamm4 cases ----------------------------------------------------------------------------
gam_json <- function(b) {
  s <- summary(b)
  pr <- predict(b, nd, se.fit = TRUE)
  list(coef_names = I(names(coef(b))), coefficients = num(coef(b)), Vp = mat(b$Vp),
       edf = num(b$edf), sp = if (length(b$sp)) named(b$sp) else NULL,
       sig2 = scalar(b$sig2), p_table = table_json(s$p.table), s_table = table_json(s$s.table),
       r_sq = scalar(s$r.sq), fitted = num(fitted(b)),
       predict = list(fit = num(pr$fit), se_fit = num(pr$se.fit)),
       summary_text = text_of(s))
}

vc_json <- function(m) {
  vc <- as.data.frame(VarCorr(m))
  list(grp = I(vc$grp), var1 = I(vc$var1), var2 = I(vc$var2), vcov = num(vc$vcov),
       sdcor = num(vc$sdcor))
}

gamm4_case <- function(name, description, formula, random = NULL, REML = TRUE, weights = NULL) {
  args <- list(formula = as.formula(formula), data = quote(dat), REML = REML)
  if (!is.null(random)) args$random <- as.formula(random)
  if (!is.null(weights)) args$weights <- as.name(weights)
  b <- do.call(gamm4, args)
  environment(b$gam$formula) <- globalenv()
  m <- b$mer
  list(name = name, description = description, formula = formula, random = random,
       REML = REML, weights = weights, n = nobs(m),
       gam = gam_json(b$gam),
       mer = list(fixef_names = I(names(fixef(m))), fixef = num(fixef(m)),
                  fixef_se = num(sqrt(diag(as.matrix(vcov(m))))),
                  theta_names = I(names(getME(m, "theta"))), theta = num(getME(m, "theta")),
                  sigma = scalar(sigma(m)), varcorr = vc_json(m),
                  ngrps = list(names = I(names(ngrps(m))), values = I(as.integer(ngrps(m)))),
                  reml_criterion = scalar(REMLcrit(m)),
                  deviance = scalar(if (REML) NA else deviance(m)),
                  summary_text = text_of(summary(m))))
}

gamm4_glmm_case <- function(name, description, formula, random, family) {
  b <- gamm4(as.formula(formula), random = as.formula(random), family = family, data = dat)
  environment(b$gam$formula) <- globalenv()
  m <- b$mer
  list(name = name, description = description, formula = formula, random = random,
       family = family, n = nobs(m),
       gam = gam_json(b$gam),
       mer = list(fixef_names = I(names(fixef(m))), fixef = num(fixef(m)),
                  fixef_se = num(sqrt(diag(as.matrix(vcov(m))))),
                  theta_names = I(names(getME(m, "theta"))), theta = num(getME(m, "theta")),
                  varcorr = vc_json(m),
                  ngrps = list(names = I(names(ngrps(m))), values = I(as.integer(ngrps(m)))),
                  deviance = scalar(deviance(m)), minus2loglik = scalar(-2 * logLik(m)),
                  summary_text = text_of(summary(m))))
}

gam_case <- function(name, description, formula, aurora_formula) {
  b <- gam(as.formula(formula), data = dat, method = "REML")
  list(name = name, description = description, formula = formula,
       aurora_formula = aurora_formula, reml_score = scalar(b$gcv.ubre),
       coef_names = I(names(coef(b))), coefficients = num(coef(b)), edf = num(b$edf),
       sp = named(b$sp), s_table = table_json(summary(b)$s.table),
       summary_text = text_of(summary(b)))
}

cases <- list(
  gamm4_case("two_smooths", "tp and cr smooths, a factor, random intercept",
             "y ~ f + s(x) + s(z, bs = \"cr\")", "~ (1 | g)"),
  gamm4_case("smooth_only", "a smooth and no other random effect",
             "y ~ s(x, k = 8)"),
  gamm4_case("t2", "t2 tensor product (three penalties) and a random intercept",
             "yt2 ~ t2(x, z)", "~ (1 | g)"),
  gamm4_case("by_factor", "a smooth per level of f (by = f)",
             "yby ~ f + s(x, by = f)", "~ (1 | g)"),
  gamm4_case("ml", "maximum likelihood", "y ~ s(x)", "~ (1 | g)", REML = FALSE),
  gamm4_case("weights", "prior weights", "yw ~ s(x) + s(z)", "~ (1 | g)", weights = "w"),
  gamm4_case("slope", "correlated random intercept and slope beside a smooth",
             "y ~ s(x) + z", "~ (1 + t | g)"),
  gamm4_case("crossed", "crossed random intercepts and a fixed (fx = TRUE) smooth",
             "y ~ s(x) + s(z, k = 5, fx = TRUE)", "~ (1 | g) + (1 | h)")
)

glmm_cases <- list(
  gamm4_glmm_case("poisson", "Poisson GAMM (glmer's Laplace fit)", "count ~ s(x)",
                  "~ (1 | g)", "poisson"),
  gamm4_glmm_case("binomial", "binary GAMM (glmer's Laplace fit), a cr smooth and a factor",
                  "hit ~ f + s(z, bs = \"cr\")", "~ (1 | g)", "binomial")
)

gam_cases <- list(
  gam_case("gam_bars", "(1 | g) + (0 + t | g) + (1 | h) as bs = \"re\" smooths",
           "y ~ s(x) + s(g, bs = \"re\") + s(t, g, bs = \"re\") + s(h, bs = \"re\")",
           "y ~ s(x) + (1 | g) + (0 + t | g) + (1 | h)"),
  gam_case("gam_double_bar", "(t || g) = (1 | g) + (0 + t | g)",
           "y ~ s(x) + s(g, bs = \"re\") + s(t, g, bs = \"re\")",
           "y ~ s(x) + (t || g)")
)

# ---- matrix-level API (aurora.models.fit_gamm / fit_pql_smooth) ------------------------
fixed_json <- function(b, se) list(coef = num(b), se = num(se))
api <- list(
  identity = local({
    m <- lme(y ~ t, random = list(g = pdIdent(~ t)), data = dat, method = "REML")
    list(description = "RandomEffect('g', variables=('t',), covariance='identity') = nlme pdIdent(~ t)",
         fixef = num(fixef(m)), se = num(sqrt(diag(vcov(m)))), sigma = scalar(m$sigma),
         psi = mat(as.matrix(getVarCov(m))), loglik = scalar(logLik(m)))
  }),
  diagonal = local({
    m <- lmer(y ~ t + (t || g), data = dat, REML = TRUE)
    list(description = "covariance='diagonal' = lme4 (t || g)", fixef = num(fixef(m)),
         se = num(sqrt(diag(as.matrix(vcov(m))))), sigma = scalar(sigma(m)),
         sd = num(as.data.frame(VarCorr(m))$sdcor), reml_criterion = scalar(REMLcrit(m)))
  }),
  unstructured = local({
    m <- lmer(y ~ t + (1 + t | g), data = dat, REML = FALSE)
    list(description = "covariance='unstructured', method='ML' = lme4 (1 + t | g), REML = FALSE",
         fixef = num(fixef(m)), se = num(sqrt(diag(as.matrix(vcov(m))))),
         sigma = scalar(sigma(m)), psi = mat(VarCorr(m)$g), deviance = scalar(deviance(m)),
         aic = scalar(AIC(m)), bic = scalar(BIC(m)))
  }),
  pql = local({
    m <- quietly_pql <- suppressMessages(glmmPQL(count ~ x, random = ~ 1 | g, family = poisson,
                                                 data = dat, verbose = FALSE))
    list(description = "fit_pql_smooth without smooths = MASS::glmmPQL(count ~ x, ~ 1 | g, poisson)",
         fixef = num(fixef(m)), sigma = scalar(m$sigma),
         psi = scalar(as.numeric(getVarCov(m))), fitted = num(fitted(m)[1:10]))
  }),
  pql_smooth = local({
    b <- suppressMessages(gamm(count ~ s(x, bs = "cr", k = 8), random = list(g = ~ 1),
                               family = poisson, data = dat, verbose = FALSE))
    list(description = "fit_pql_smooth with a cr smooth = mgcv::gamm(count ~ s(x, bs = 'cr', k = 8), random = list(g = ~1), poisson)",
         coefficients = num(coef(b$gam)), edf = num(sum(b$gam$edf[-1])),
         sigma = scalar(b$lme$sigma), fitted = num(fitted(b$gam)[1:10]))
  }),
  ar1 = local({
    m <- gls(y ~ t, correlation = corAR1(form = ~ 1 | g), data = dat, method = "REML")
    phi <- coef(m$modelStruct$corStruct, unconstrained = FALSE)
    list(description = "RandomEffect('g', covariance='ar1') = nlme::gls(y ~ t, corAR1(form = ~ 1 | g))",
         fixef = num(coef(m)), se = num(sqrt(diag(vcov(m)))), sigma = scalar(m$sigma),
         phi = scalar(phi), loglik = scalar(logLik(m)))
  })
)

ref <- list(
  generated_by = "validation_r/gamm_reference.R",
  r_version = R.version.string,
  versions = list(mgcv = as.character(packageVersion("mgcv")),
                  lme4 = as.character(packageVersion("lme4")),
                  gamm4 = as.character(packageVersion("gamm4"))),
  data = "gamm_ref.csv", factors = lapply(setNames(factors, factors), function(v) I(levels(dat[[v]]))),
  newdata_rows = I(1:5),
  gamm4 = cases, gamm4_glmm = glmm_cases, gam = gam_cases, matrix_api = api)
writeLines(toJSON(ref, auto_unbox = TRUE, null = "null", na = "null", json_verbatim = TRUE,
                  pretty = TRUE, digits = NA), out_json)
cat("wrote", out_json, "\n")
