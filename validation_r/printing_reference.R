# R's printed output for Aurora's printing tests (tests/models/test_printing.py).
#
# Run from the repository root:
#     Rscript validation_r/printing_reference.R
#
# For each case: the fit as an R user would type it (the data frame is always called
# `data`), the arguments an Aurora user passes for the same fit (`aurora`), and R's
# printed text: print(fit), print(summary(fit)), print(anova(fit, test = )) and, for
# comparisons, print(anova(fit, fit2, test = )). Simulated data are written to
# validation_r/data/printing_*.csv (doubles with 17 significant digits) and every fit
# is made on the data as read back from its CSV.

suppressPackageStartupMessages({
  library(jsonlite)
  library(MASS)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)

set.seed(20240917L)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "printing_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

write_data <- function(df, name) {
  out <- df
  for (j in seq_along(df)) {
    v <- df[[j]]
    out[[j]] <- if (is.double(v)) sprintf("%.17g", v) else as.character(v)
  }
  chr <- which(vapply(df, function(v) is.factor(v) || is.character(v), logical(1)))
  path <- file.path(data_dir, paste0("printing_", name, ".csv"))
  write.table(out, path, sep = ",", row.names = FALSE, quote = chr, qmethod = "double")
  read.csv(path, stringsAsFactors = TRUE)
}

# ---------------------------------------------------------------------------
# data

sim <- list()
n <- 60
sim$poisson <- local({
  x <- round(runif(n, 0, 2), 3)
  f <- sample(c("A", "B", "C"), n, replace = TRUE)
  logexpo <- round(log(runif(n, 0.5, 3)), 4)
  w <- sample(1:3, n, replace = TRUE)
  y <- rpois(n, exp(0.3 + 0.5 * x + (f == "B") * 0.4 + logexpo))
  data.frame(y = y, x = x, f = f, w = w, logexpo = logexpo)
})
sim$bigcounts <- local({
  x <- round(runif(200, 0, 1), 3)
  y <- round(exp(16 + 0.8 * x + rnorm(200, 0, 0.5)))
  data.frame(y = y, x = x)
})
sim$hugecounts <- local({
  x <- round(runif(200, 0, 1), 3)
  y <- round(exp(19 + 0.8 * x + rnorm(200, 0, 0.5)))
  data.frame(y = y, x = x)
})
sim$saturated <- data.frame(y = c(1, 2, 4), x = c(1, 2, 3), z = c(0, 1, 5))
sim$wide <- local({
  m <- 200
  data.frame(
    y = rpois(m, 3),
    a_very_long_factor_name = rep(paste0("level_number_", sprintf("%02d", 1:10)), each = 20),
    x_with_long_name = round(rnorm(m), 4),
    f2 = rep(c("alpha", "beta", "delta", "gamma"), length.out = m))
})
sim$binom <- local({
  x <- round(seq(-2, 2, length.out = 25), 3)
  size <- sample(5:20, 25, replace = TRUE)
  s <- rbinom(25, size, pnorm(0.2 + 0.8 * x))
  data.frame(s = s, f = size - s, x = x)
})
sim$quine_w <- local({
  q <- MASS::quine
  q$w <- rep(1:2, length.out = nrow(q))
  q
})
for (nm in names(sim)) sim[[nm]] <- write_data(sim[[nm]], nm)

builtin <- list(mtcars = datasets::mtcars, InsectSprays = datasets::InsectSprays,
                warpbreaks = datasets::warpbreaks, quine = MASS::quine)

# ---------------------------------------------------------------------------
# cases: R code (evaluated with `data` bound) and Aurora's arguments

cases <- list(
  list(name = "quine_nb_interaction", dataset = "quine",
       r = "glm.nb(Days ~ Eth*Lrn, data = data)",
       aurora = list(formula = "Days ~ Eth*Lrn", family = "negative_binomial")),
  list(name = "quine_nb_weights", data = "quine_w",
       r = "glm.nb(Days ~ Eth + Age, data = data, weights = w)",
       aurora = list(formula = "Days ~ Eth + Age", family = "negative_binomial", weights = "w")),
  list(name = "warpbreaks_nb_sqrt", dataset = "warpbreaks",
       r = "glm.nb(breaks ~ wool + tension, data = data, link = sqrt)",
       aurora = list(formula = "breaks ~ wool + tension", family = "negative_binomial",
                     link = "sqrt")),
  list(name = "sprays_poisson_sqrt_string", dataset = "InsectSprays",
       r = "glm(count ~ spray, family = poisson(link = \"sqrt\"), data = data)",
       aurora = list(formula = "count~spray", family = "poisson(link='sqrt')"),
       anova_test = "Chisq"),
  list(name = "sprays_poisson_sqrt_link", dataset = "InsectSprays",
       r = "glm(count ~ spray, family = poisson(link = \"sqrt\"), data = data)",
       aurora = list(formula = "count ~ spray", family = "poisson", link = "sqrt")),
  list(name = "sprays_quasipoisson", dataset = "InsectSprays",
       r = "glm(count ~ spray, family = quasipoisson, data = data)",
       aurora = list(formula = "count ~ spray", family = "quasipoisson"),
       anova_test = "F"),
  list(name = "sprays_control", dataset = "InsectSprays",
       r = "glm(count ~ spray, family = poisson, data = data, control = glm.control(epsilon = 1e-10, maxit = 50))",
       aurora = list(formula = "count ~ spray", family = "poisson",
                     control = list(epsilon = 1e-10, maxit = 50))),
  list(name = "mtcars_no_family", dataset = "mtcars",
       r = "glm(mpg~wt+I(wt^2), data = data)",
       aurora = list(formula = "mpg~wt+I(wt^2)"),
       anova_test = "F"),
  list(name = "mtcars_binomial_bare", dataset = "mtcars",
       r = "glm(am ~ wt + hp, family = binomial, data = data)",
       aurora = list(formula = "am ~ wt + hp", family = "binomial"),
       anova_test = "Chisq"),
  list(name = "mtcars_log_response", dataset = "mtcars",
       r = "glm(log(mpg)~log(hp)+wt, family = gaussian, data = data)",
       aurora = list(formula = "log(mpg)~log(hp)+wt", family = "gaussian"),
       anova_test = "F"),
  list(name = "mtcars_aliased", dataset = "mtcars",
       r = "glm(mpg ~ wt + hp + I(wt + hp), data = data)",
       aurora = list(formula = "mpg ~ wt + hp + I(wt + hp)"),
       anova_test = "F"),
  list(name = "mtcars_long_formula", dataset = "mtcars",
       r = "glm(mpg ~ cyl+disp+hp+drat+wt+qsec+vs+am+gear+carb+I(hp^2)+log(wt), family = gaussian(link = \"log\"), data = data)",
       aurora = list(formula = "mpg ~ cyl+disp+hp+drat+wt+qsec+vs+am+gear+carb+I(hp^2)+log(wt)",
                     family = "gaussian", link = "log"),
       anova_test = "F"),
  list(name = "mtcars_spacing_functions", dataset = "mtcars",
       r = "glm(mpg~poly(hp,2)+log(wt)+I(disp/100)+sqrt(qsec)-1, family = Gamma(link = \"log\"), data = data)",
       aurora = list(formula = "mpg~poly(hp,2)+log(wt)+I(disp/100)+sqrt(qsec)-1",
                     family = "gamma(link='log')")),
  list(name = "mtcars_subset_na_exclude", dataset = "mtcars",
       r = "glm(mpg ~ wt, data = data, subset = cyl != 6, na.action = na.exclude)",
       aurora = list(formula = "mpg ~ wt", subset = "cyl != 6", na_action = "exclude")),
  list(name = "warpbreaks_family_object", dataset = "warpbreaks",
       r = "glm(breaks ~ wool*tension, family = poisson(), data = data)",
       aurora = list(formula = "breaks ~ wool*tension", family = "poisson",
                     family_object = TRUE),
       anova_test = "Chisq"),
  list(name = "mtcars_family_object_link", dataset = "mtcars",
       r = "glm(am ~ wt, family = binomial(link = \"probit\"), data = data)",
       aurora = list(formula = "am ~ wt", family = "binomial", link = "probit",
                     family_object = TRUE)),
  list(name = "poisson_weights_offset_start", data = "poisson",
       r = "glm(y ~ x + f, family = poisson, data = data, weights = w, start = c(0.5, 0.1, 0, 0), offset = logexpo)",
       aurora = list(formula = "y ~ x + f", family = "poisson", weights = "w",
                     offset = "logexpo", start = c(0.5, 0.1, 0, 0)),
       anova_test = "Chisq"),
  list(name = "poisson_big_deviance", data = "bigcounts",
       r = "glm(y ~ x, family = poisson, data = data)",
       aurora = list(formula = "y ~ x", family = "poisson")),
  list(name = "poisson_huge_deviance", data = "hugecounts",
       r = "glm(y ~ x, family = poisson, data = data)",
       aurora = list(formula = "y ~ x", family = "poisson")),
  list(name = "gaussian_saturated", data = "saturated",
       r = "glm(y ~ x + z, data = data)",
       aurora = list(formula = "y ~ x + z")),
  list(name = "wide_factor_interaction", data = "wide",
       r = "glm(y ~ a_very_long_factor_name*x_with_long_name + f2, family = poisson, data = data)",
       aurora = list(formula = "y ~ a_very_long_factor_name*x_with_long_name + f2",
                     family = "poisson"),
       anova_test = "Chisq"),
  list(name = "binomial_cbind_probit_name", data = "binom",
       r = "glm(cbind(s,f) ~ x, family = binomial(link = probit), data = data)",
       aurora = list(formula = "cbind(s,f) ~ x", family = "binomial(link = probit)"),
       anova_test = "Chisq"),
  list(name = "mtcars_compare_long", dataset = "mtcars",
       r = "glm(mpg~wt, data = data)",
       aurora = list(formula = "mpg~wt"),
       compare = list(r = "glm(mpg ~ wt + cyl + disp + hp + drat + qsec + vs + am + gear + carb + I(hp^2)+log(wt), data = data)",
                      aurora = list(formula = "mpg ~ wt + cyl + disp + hp + drat + qsec + vs + am + gear + carb + I(hp^2)+log(wt)"),
                      test = "F")),
  list(name = "mtcars_compare_log", dataset = "mtcars",
       r = "glm(log(mpg)~wt, data = data)",
       aurora = list(formula = "log(mpg)~wt"),
       compare = list(r = "glm(log(mpg)~wt+hp, data = data)",
                      aurora = list(formula = "log(mpg)~wt+hp"), test = "F"))
)

text <- function(x) paste(capture.output(print(x)), collapse = "\n")

fit_case <- function(case) {
  data <- if (!is.null(case$dataset)) builtin[[case$dataset]] else sim[[case$data]]
  fit <- suppressWarnings(eval(parse(text = case$r)))
  out <- list(
    name = case$name,
    dataset = case$dataset,
    data = if (is.null(case$data)) NULL else paste0("printing_", case$data, ".csv"),
    r = case$r,
    aurora = case$aurora,
    call = paste(deparse(fit$call), collapse = "\n"),
    print_text = text(fit),
    summary_text = text(summary(fit)),
    anova_test = case$anova_test,
    anova_text = NULL,
    compare = NULL
  )
  if (!is.null(case$anova_test)) {
    out$anova_text <- text(suppressWarnings(anova(fit, test = case$anova_test)))
  }
  if (!is.null(case$compare)) {
    fit2 <- suppressWarnings(eval(parse(text = case$compare$r)))
    out$compare <- list(r = case$compare$r, aurora = case$compare$aurora,
                        test = case$compare$test,
                        text = text(anova(fit, fit2, test = case$compare$test)))
  }
  out
}

result <- list(
  generated_by = "validation_r/printing_reference.R",
  r_version = R.version.string,
  mass_version = as.character(packageVersion("MASS")),
  cases = lapply(cases, fit_case)
)
write_json(result, out_json, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
           pretty = TRUE)
message("wrote ", out_json, " with ", length(cases), " cases")
