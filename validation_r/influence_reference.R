# R reference values for influence measures at leverage 1.
#
# Run from the repository root:
#     Rscript validation_r/influence_reference.R
#
# Simulates small data sets in which one observation has leverage 1 (a factor level seen
# in a single row, or a row with a dummy column of its own), fits them with glm, and
# writes what R's influence functions give: hatvalues, cooks.distance, rstandard,
# rstudent, dfbetas and influence(fit)$sigma. R's conventions at h = 1 are what is
# tested: hat forced to 1, DFBETA 0, sigma = sqrt(sum(e^2) / (n - p - 1)), and Inf turned
# into NaN by rstandard/rstudent/cooks.distance.
#
# Output: validation_r/data/influence_<case>.csv (the data, doubles written with 17
# significant digits so they read back exactly, a `row` column with the row names) and
# validation_r/influence_reference.json. Every fit is made on the data as read back from
# its CSV, with the `row` column as row names.
#
# JSON: numbers with jsonlite's digits = NA; R's NA, NaN and Inf are null, and for each
# vector `<name>_nonfinite` lists, per element, null (finite) or "NA", "NaN", "Inf",
# "-Inf", so the two can be told apart.

suppressPackageStartupMessages(library(jsonlite))

SEED <- 20240917L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "influence_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

fmt17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

write_data <- function(df, name) {
  out <- df
  chr <- vapply(df, function(v) is.factor(v) || is.character(v), logical(1))
  for (j in seq_along(df)) {
    v <- df[[j]]
    out[[j]] <- if (chr[j]) as.character(v) else if (is.double(v)) fmt17(v) else as.character(v)
  }
  path <- file.path(data_dir, paste0("influence_", name, ".csv"))
  write.table(out, path, sep = ",", row.names = FALSE, quote = which(chr), qmethod = "double")
  back <- read.csv(path, stringsAsFactors = TRUE)
  rownames(back) <- as.character(back$row)
  back
}

nonfinite <- function(x) {
  lapply(unname(as.vector(x)), function(v) {
    if (is.nan(v)) "NaN" else if (is.na(v)) "NA"
    else if (is.infinite(v)) (if (v > 0) "Inf" else "-Inf") else NULL
  })
}

vec <- function(x) I(unname(as.vector(x)))

record <- function(name, description, formula, family, data, weights = NULL) {
  d <- write_data(data, name)
  fit <- if (is.null(weights)) {
    glm(as.formula(formula), family = family, data = d)
  } else {
    glm(as.formula(formula), family = family, data = d, weights = d[[weights]])
  }
  infl <- influence(fit)
  quantities <- list(
    hat = hatvalues(fit),
    cooks = cooks.distance(fit),
    rstandard = rstandard(fit),
    rstudent = rstudent(fit),
    sigma = infl$sigma
  )
  dfb <- dfbetas(fit)
  out <- list(
    name = name,
    description = description,
    data = paste0("influence_", name, ".csv"),
    formula = formula,
    family = family(fit)$family,
    link = family(fit)$link,
    weights = weights,
    coef_names = vec(names(coef(fit))[!is.na(coef(fit))]),
    row_names = vec(names(hatvalues(fit))),
    rank = fit$rank,
    dispersion = summary(fit)$dispersion,
    leverage_one = vec(names(which(hatvalues(fit) == 1)))
  )
  for (q in names(quantities)) {
    out[[q]] <- vec(quantities[[q]])
    out[[paste0(q, "_nonfinite")]] <- nonfinite(quantities[[q]])
  }
  out$dfbetas <- unname(dfb)
  out$dfbetas_nonfinite <- lapply(seq_len(nrow(dfb)), function(i) nonfinite(dfb[i, ]))
  out
}

# --- gaussian: factor level "E" in a single row; one row with a missing x (omitted)
n <- 30L
f <- sample(c("A", "B", "C", "D"), n, replace = TRUE)
f[17] <- "E"
x <- round(rnorm(n), 3)
y <- 1 + 0.5 * x + c(A = 0, B = 0.4, C = -0.3, D = 0.8, E = 1.5)[f] + rnorm(n, sd = 0.6)
x[5] <- NA
gauss <- data.frame(row = sprintf("g%02d", seq_len(n)), y = y, x = x, f = f)

# --- poisson: a row with a dummy column of its own; one row with zero prior weight
n <- 25L
x <- round(runif(n, -1, 1), 3)
own <- as.double(seq_len(n) == 9L)
count <- rpois(n, exp(1.2 + 0.6 * x))
count[9] <- count[9] + 3L
w <- rep(1, n)
w[21] <- 0
pois <- data.frame(row = sprintf("p%02d", seq_len(n)), count = count, x = x, own = own, w = w)

# --- binomial (cbind): factor level "D" in a single row, successes strictly inside (0, m)
n <- 28L
m <- sample(8:15, n, replace = TRUE)
g <- sample(c("A", "B", "C"), n, replace = TRUE)
g[3] <- "D"
z <- round(rnorm(n), 3)
p <- plogis(-0.2 + 0.7 * z + c(A = 0, B = 0.5, C = -0.6, D = 0.3)[g])
s <- rbinom(n, m, p)
s[3] <- 4L
binom <- data.frame(row = sprintf("b%02d", seq_len(n)), s = s, fail = m - s, z = z, g = g)

cases <- list(
  record("gaussian_level_once", "gaussian, factor level E seen once, one NA row omitted",
         "y ~ x + f", "gaussian", gauss),
  record("poisson_own_dummy", "poisson, a row with its own dummy column, one zero weight",
         "count ~ x + own", "poisson", pois, weights = "w"),
  record("binomial_level_once", "binomial cbind, factor level D seen once",
         "cbind(s, fail) ~ z + g", "binomial", binom)
)

result <- list(
  generated_by = "validation_r/influence_reference.R",
  r_version = R.version.string,
  seed = SEED,
  case_names = vec(vapply(cases, `[[`, character(1), "name")),
  cases = cases
)
write_json(result, out_json, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
           pretty = TRUE)
message("wrote ", out_json, " with ", length(cases), " cases")
