# R reference values for aurora.gamm with a residual correlation structure: mgcv's gamm()
# (smooths as random effects, the whole model fitted by nlme's lme with corAR1 /
# corCompSymm), as opposed to gamm4 (which has no correlation argument).
#
# Run from the repository root:
#     Rscript validation_r/gamm_corr_reference.R
#
# Simulates one longitudinal data set (fixed seed: subjects in sites, integer times, AR(1)
# errors within subject), writes it to validation_r/data/gamm_corr_ref.csv (doubles with 17
# significant digits; factors as character labels whose sorted order is R's level order),
# fits every case on the data as read back, and writes validation_r/gamm_corr_reference.json.
# Doubles have 17 significant digits; NA is null; tables are {rows, columns, values}; named
# vectors {names, values}.
#
# Each case records both parts of mgcv's value: `gam` (coefficients, Vp, edf, sp, p and s
# tables, R-sq, summary text) and `lme` (fixed effects and their standard errors, sigma,
# each random level's standard deviations and relative standard deviations (sd / sigma,
# lme4's theta), the correlation parameter (natural and nlme's unconstrained), logLik, AIC,
# BIC, the random effects of the user's grouping, fitted values, summary and print text).
# mgcv calls lme with optim's L-BFGS-B (its default control), which stops close to, not at,
# the optimum: `rel_sd` and `corr_unconstrained` are nlme's parameters at that stop, so the
# tests can evaluate the model there (and compare every printed digit) as well as at the
# optimum.

suppressPackageStartupMessages({
  library(nlme)
  library(mgcv)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)
invisible(Sys.setlocale("LC_COLLATE", "C"))
set.seed(20250611L)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "gamm_corr_reference.json")

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
n_site <- 8; per_site <- 5; n_time <- 8
n_subj <- n_site * per_site
subj_i <- rep(seq_len(n_subj), each = n_time)
site_i <- (subj_i - 1) %/% per_site + 1
n <- length(subj_i)
time <- rep(seq_len(n_time), n_subj)
x <- runif(n); z <- runif(n)
f <- sample(c("a", "b", "c"), n, replace = TRUE)
u_subj <- rnorm(n_subj, sd = 0.7)
u_site <- rnorm(n_site, sd = 0.5)
ar <- function(phi, sd) {
  e <- numeric(n)
  for (s in seq_len(n_subj)) {
    rows <- which(subj_i == s)
    e[rows] <- arima.sim(list(ar = phi), n_time, sd = sd)
  }
  e
}
fx <- sin(2 * pi * x)
y <- fx + 0.4 * (f == "b") - 0.3 * (f == "c") + u_subj[subj_i] + ar(0.5, 0.5)
ycs <- fx + u_subj[subj_i] + rnorm(n, sd = 0.6)
y2 <- fx + exp(z) + u_site[site_i] + 0.5 * u_subj[subj_i] + rnorm(n, sd = 0.5)
dat <- data.frame(y = y, ycs = ycs, y2 = y2, x = x, z = z, f = f,
                  subj = sprintf("s%02d", subj_i), site = sprintf("site%d", site_i),
                  time = time, stringsAsFactors = FALSE)
out <- dat
for (j in seq_along(out)) if (is.double(out[[j]])) out[[j]] <- fmt17(out[[j]])
path <- file.path(data_dir, "gamm_corr_ref.csv")
write.table(out, path, sep = ",", row.names = FALSE, quote = FALSE)
dat <- read.csv(path, stringsAsFactors = FALSE)
factors <- c("f", "subj", "site")
for (k in factors) dat[[k]] <- factor(dat[[k]])

# ---- one case -----------------------------------------------------------------------------
rel_sd <- function(lme) {
  # sd / sigma of each random level's effects (lme4's theta for i.i.d. effects)
  rs <- lme$modelStruct$reStruct
  lapply(rev(as.list(rs)), function(pd) sqrt(diag(as.matrix(pd))))
}

record <- function(name, b, call_text, method, correlation_group) {
  lme <- b$lme
  gm <- b$gam
  s <- summary(gm)
  sl <- summary(lme)
  cs <- lme$modelStruct$corStruct
  rs <- rel_sd(lme)
  re_user <- ranef(lme, level = length(lme$groups))
  list(name = name, call = call_text, method = method,
       correlation_group = correlation_group,
       gam = list(
         coefficients = named(coef(gm)), Vp = mat(gm$Vp), Ve = mat(gm$Ve),
         edf = named(gm$edf), sp = named(gm$sp), sig2 = scalar(gm$sig2),
         p_table = table_json(s$p.table), s_table = table_json(s$s.table),
         r_sq = scalar(s$r.sq), residual_df = scalar(gm$df.residual),
         fitted = num(fitted(gm)), summary_text = text_of(s)),
       lme = list(
         fixef = named(fixef(lme)), se = named(sl$tTable[, "Std.Error"]),
         t_table = table_json(sl$tTable),
         sigma = scalar(lme$sigma), loglik = scalar(logLik(lme)),
         aic = scalar(AIC(lme)), bic = scalar(BIC(lme)),
         df = scalar(attr(logLik(lme), "df")),
         level_names = I(names(lme$groups)),
         rel_sd = lapply(rs, num),
         sd = lapply(rs, function(v) num(v * lme$sigma)),
         corr_natural = if (is.null(cs)) NULL else named(coef(cs, unconstrained = FALSE)),
         corr_unconstrained = if (is.null(cs)) NULL else scalar(coef(cs, unconstrained = TRUE)),
         ranef_user = if (ncol(lme$groups) > length(gm$smooth))
           list(levels = I(rownames(re_user)), values = num(re_user[, 1])) else NULL,
         fitted = num(fitted(lme)),
         summary_text = text_of(sl),
         print_text = text_of(lme)))
}

cases <- list()

b <- gamm(y ~ s(x), random = list(subj = ~1), correlation = corAR1(form = ~ time | subj),
          data = dat, method = "REML")
cases[[length(cases) + 1]] <- record("ar1_re", b,
  "gamm(y ~ s(x), random = list(subj = ~1), correlation = corAR1(form = ~time | subj), method = \"REML\")",
  "REML", "subj")

b <- gamm(ycs ~ s(x), correlation = corCompSymm(form = ~ 1 | subj), data = dat,
          method = "REML")
cases[[length(cases) + 1]] <- record("cs", b,
  "gamm(ycs ~ s(x), correlation = corCompSymm(form = ~1 | subj), method = \"REML\")",
  "REML", "subj")

b <- gamm(y ~ s(x), correlation = corAR1(form = ~ time | subj), data = dat, method = "REML")
cases[[length(cases) + 1]] <- record("ar1_only", b,
  "gamm(y ~ s(x), correlation = corAR1(form = ~time | subj), method = \"REML\")",
  "REML", "subj")

b <- gamm(y ~ f + s(x), random = list(subj = ~1), correlation = corAR1(form = ~ time | subj),
          data = dat, method = "ML")
cases[[length(cases) + 1]] <- record("ar1_re_ml", b,
  "gamm(y ~ f + s(x), random = list(subj = ~1), correlation = corAR1(form = ~time | subj), method = \"ML\")",
  "ML", "subj")

b <- gamm(y2 ~ s(x) + s(z), random = list(site = ~1),
          correlation = corCompSymm(form = ~ 1 | site/subj), data = dat, method = "REML")
cases[[length(cases) + 1]] <- record("cs_site_two_smooths", b,
  "gamm(y2 ~ s(x) + s(z), random = list(site = ~1), correlation = corCompSymm(form = ~1 | site/subj), method = \"REML\")",
  "REML", "site/subj")

ref <- list(
  description = "mgcv::gamm with nlme correlation structures (validation_r/gamm_corr_reference.R)",
  r_version = R.version.string,
  mgcv_version = as.character(packageVersion("mgcv")),
  nlme_version = as.character(packageVersion("nlme")),
  data = "gamm_corr_ref.csv",
  factors = lapply(setNames(factors, factors), function(k) I(levels(dat[[k]]))),
  cases = cases)
writeLines(toJSON(ref, auto_unbox = TRUE, pretty = TRUE, digits = NA, json_verbatim = TRUE),
           out_json)
cat("wrote", out_json, "\n")
