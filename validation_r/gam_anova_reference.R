# R reference values for mgcv's anova.gam (one model and nested models) and concurvity.
#
# Run from the repository root:
#     Rscript validation_r/gam_anova_reference.R
#
# Simulates one data set (fixed seed), writes it to validation_r/data/gamanova_data.csv
# (doubles with 17 significant digits, so they read back exactly), fits every model with
# mgcv's gam() on the data as read back, and records
#   * single: per model, anova(m) and anova(m, freq = TRUE): the parametric Wald table
#     (pTerms.table: df, F or Chi.sq, p-value), the smooth table (s.table: edf, Ref.df,
#     F or Chi.sq, p-value) and capture.output(print(anova(m)));
#     concurvity(m, full = TRUE) (rows worst, observed, estimate; a column per smooth and
#     "para") and concurvity(m, full = FALSE) (three square matrices);
#   * compare: anova(m0, m1, ..., test = NULL | "F" | "Chisq"): the table (Resid. Df,
#     Resid. Dev, Df, Deviance and the test's columns), its printed text and any warning;
#     the per-model residual df mgcv uses (n - sum(edf1) - (sum(edf2) - sum(edf))).
#
# Output: validation_r/gam_anova_reference.json. Every double is written with 17
# significant digits; NA becomes null. Matrices are lists of rows.

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)

SEED <- 20250601L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "gam_anova_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

# --- data -------------------------------------------------------------------------------
n <- 300L
x0 <- runif(n); x1 <- runif(n); x2 <- runif(n); x3 <- runif(n)
f <- factor(sample(c("a", "b", "c"), n, replace = TRUE))
fe <- c(a = 0, b = 0.6, c = -0.4)[as.character(f)]
y <- fe + 2 * sin(pi * x0) + exp(2 * x1) / 4 + 0.3 * x2 + x1 * x2 + 0.5 * x3 +
  rnorm(n, sd = 0.6)
yp <- rpois(n, exp(0.3 + fe / 2 + sin(2 * x0) + 0.4 * x1^2 + 0.3 * x3))
yb <- rbinom(n, 1, binomial()$linkinv(-0.3 + fe + 1.5 * sin(3 * x0) + x2 - 0.5))
dat <- data.frame(x0, x1, x2, x3, f, y, yp, yb)

fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
csv <- file.path(data_dir, "gamanova_data.csv")
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
mat <- function(M) lapply(seq_len(nrow(M)), function(i) num(M[i, ]))
table_json <- function(tab) {
  if (is.null(tab) || length(tab) == 0) return(NULL)
  tab <- as.matrix(tab)
  list(rows = I(rownames(tab)), columns = I(colnames(tab)), values = mat(tab))
}
text_of <- function(x) paste(capture.output(print(x)), collapse = "\n")

fit <- function(formula, family = gaussian(), method = "REML") {
  gam(as.formula(formula, env = globalenv()), family = family, data = dat, method = method)
}

fam_arg <- function(family) family$family

single <- function(name, description, formula, family = gaussian(), method = "REML") {
  m <- fit(formula, family, method)
  a <- anova(m)
  af <- anova(m, freq = TRUE)
  cf <- concurvity(m, full = TRUE)
  cp <- concurvity(m, full = FALSE)
  list(
    name = name, description = description, formula = formula,
    family = fam_arg(family), method = method, n = nrow(m$model),
    edf = num(m$edf), gcv_ubre = num(m$gcv.ubre),
    anova = list(pterms = table_json(a$pTerms.table), s_table = table_json(a$s.table),
                 text = text_of(a)),
    anova_freq = list(pterms = table_json(af$pTerms.table), s_table = table_json(af$s.table),
                      text = text_of(af)),
    concurvity_full = list(rows = I(rownames(cf)), columns = I(colnames(cf)), values = mat(cf)),
    concurvity_pairwise = lapply(names(cp), function(k)
      list(measure = k, labels = I(rownames(cp[[k]])), values = mat(cp[[k]])))
  )
}

compare <- function(name, description, formulas, tests, family = gaussian(),
                    method = "REML") {
  ms <- lapply(formulas, fit, family = family, method = method)
  resdf <- sapply(ms, function(m) {
    dfc <- if (is.null(m$edf2)) 0 else sum(m$edf2) - sum(m$edf)
    length(m$y) - sum(m$edf1) - dfc
  })
  runs <- lapply(tests, function(test) {
    warn <- character(0)
    a <- withCallingHandlers(
      do.call(anova, c(ms, list(test = if (test == "none") NULL else test))),
      warning = function(w) {
        warn <<- c(warn, conditionMessage(w))
        invokeRestart("muffleWarning")
      })
    list(test = test, table = table_json(a), heading = I(attr(a, "heading")),
         text = text_of(a), warnings = I(warn))
  })
  list(name = name, description = description, formulas = I(formulas),
       family = fam_arg(family), method = method,
       df_residual = num(resdf), deviance = num(sapply(ms, deviance)),
       has_edf2 = I(sapply(ms, function(m) !is.null(m$edf2))), runs = runs)
}

singles <- list(
  single("gauss_factor", "gaussian: a parametric factor and three tp smooths, REML",
         "y ~ f + s(x0) + s(x1) + s(x2)"),
  single("gauss_gcv", "gaussian GCV: a numeric term, tp and cr smooths",
         "y ~ x3 + s(x0) + s(x1, bs = \"cr\")", method = "GCV.Cp"),
  single("gauss_te", "gaussian: a te() interaction beside a 1-D smooth and a linear term",
         "y ~ x3 + te(x1, x2) + s(x0)"),
  single("pois", "poisson: factor, linear term and two smooths (Chi.sq tables)",
         "yp ~ f + x3 + s(x0) + s(x1, bs = \"cr\")", family = poisson()),
  single("binom", "binomial: two smooths and a factor",
         "yb ~ s(x0) + s(x2) + f", family = binomial()),
  single("gauss_ml", "gaussian ML, smooths only (the para column is the intercept)",
         "y ~ s(x0, bs = \"cr\") + s(x1) + s(x3, k = 5)", method = "ML")
)

comparisons <- list(
  compare("gauss_pair", "gaussian REML: is s(x2) needed",
          c("y ~ f + s(x0) + s(x1)", "y ~ f + s(x0) + s(x1) + s(x2)"),
          c("none", "F", "Chisq")),
  compare("gauss_gcv_pair", "gaussian GCV (no edf2: residual df n - sum(edf1))",
          c("y ~ s(x0) + s(x1)", "y ~ x3 + s(x0) + s(x1) + s(x2)"),
          c("F", "Chisq"), method = "GCV.Cp"),
  compare("pois_pair", "poisson: adding a factor and a smooth (F warns)",
          c("yp ~ x3 + s(x0)", "yp ~ f + x3 + s(x0) + s(x1, bs = \"cr\")"),
          c("Chisq", "F"), family = poisson()),
  compare("binom_triple", "binomial: three nested models",
          c("yb ~ s(x0)", "yb ~ s(x0) + s(x2)", "yb ~ s(x0) + s(x2) + f"),
          c("none", "Chisq"), family = binomial())
)

res <- list(
  generated_by = "validation_r/gam_anova_reference.R",
  r_version = R.version.string,
  mgcv_version = as.character(packageVersion("mgcv")),
  seed = SEED,
  data = "gamanova_data.csv",
  single = singles,
  compare = comparisons
)
writeLines(toJSON(res, auto_unbox = TRUE, pretty = FALSE, null = "null", na = "null",
                  digits = NA, json_verbatim = TRUE), out_json)
cat("wrote", out_json, "\n")
