# mgcv's thin plate regression splines (bs = "tp" and "ts") as reference values for
# aurora/smooths/tp.py (tests: tests/smooths/test_tp_r.py).
#
# Run from the repository root:  Rscript validation_r/tp_reference.R
# Writes validation_r/data/tp_<case>.csv (the data, 17 significant digits, read back
# before use) and validation_r/tp_reference.json.
#
# Per case: the raw basis of smooth.construct() (X, S, null.space.dim, rank, shift, the
# unique knots Xu and UZ), smoothCon(absorb.cons = TRUE, scale.penalty = TRUE) (X, S,
# S.scale), PredictMat() on new data (some of it outside the covariate range) for both,
# and for some cases the fitted values of a Gaussian gam() at a fixed sp (sign-invariant).
# Model matrices with more than 6000 entries are recorded at every few rows (`rows`,
# 1-based) and the knots Xu at every 10th knot (`xu_rows`); UZ is recorded only
# where it is small. Numbers in the JSON have 15 significant digits (jsonlite's maximum).
suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})

SEED <- 20240917L
set.seed(SEED)
data_dir <- file.path("validation_r", "data")
out_json <- file.path("validation_r", "tp_reference.json")
dir.create(data_dir, recursive = TRUE, showWarnings = FALSE)

fmt17 <- function(x) sprintf("%.17g", x)

# Doubles written with 17 significant digits, then read back: R uses what Python reads.
write_data <- function(df, name) {
  out <- df
  for (j in seq_along(df)) out[[j]] <- fmt17(df[[j]])
  file <- paste0("tp_", name, ".csv")
  write.table(out, file.path(data_dir, file), sep = ",", row.names = FALSE, quote = FALSE)
  list(file = file, data = read.csv(file.path(data_dir, file)))
}

rows_of <- function(M, rows) if (is.null(rows)) M else M[rows, , drop = FALSE]

# One case: `spec` is the text of an s() call, `newdata` a data frame of new points,
# `gam_formula`/`gam_sp` an optional Gaussian fit at fixed sp.
run_case <- function(name, df, spec, newdata, knots = NULL, gam_formula = NULL,
                     gam_sp = NULL) {
  wd <- write_data(df, name)
  d <- wd$data
  obj <- eval(parse(text = spec))
  kn <- if (is.null(knots)) NULL else as.data.frame(knots)
  raw <- smooth.construct(obj, d, kn)
  sc <- smoothCon(obj, d, knots = kn, absorb.cons = TRUE, scale.penalty = TRUE)[[1]]
  n <- nrow(d)
  step <- ceiling(length(raw$X) / 6000)
  rows <- if (step > 1) seq(1, n, by = step) else NULL
  xu_rows <- if (nrow(raw$Xu) >= 1000) seq(1, nrow(raw$Xu), by = 10) else NULL
  out <- list(
    name = name, data = wd$file, n = n, spec = spec,
    variables = obj$term, knots = knots,
    rows = rows, xu_rows = xu_rows, n_knots = nrow(raw$Xu),
    raw = list(
      X = rows_of(raw$X, rows), S = raw$S, null_space_dim = raw$null.space.dim,
      rank = raw$rank, bs_dim = raw$bs.dim, p_order = raw$p.order, shift = raw$shift,
      Xu = rows_of(raw$Xu, xu_rows), UZ = if (length(raw$UZ) <= 6000) raw$UZ,
      col_norms = sqrt(colSums(raw$X^2)),
      predict = PredictMat(raw, newdata)
    ),
    absorbed = list(
      X = rows_of(sc$X, rows), S = sc$S, S_scale = sc$S.scale, rank = sc$rank,
      null_space_dim = sc$null.space.dim, col_norms = sqrt(colSums(sc$X^2)),
      predict = PredictMat(sc, newdata)
    ),
    newdata = as.list(newdata)
  )
  if (!is.null(gam_formula)) {
    fit <- gam(as.formula(gam_formula), data = d, sp = gam_sp, method = "REML")
    out$gam <- list(formula = gam_formula, sp = gam_sp, fitted = as.numeric(fitted(fit)),
                    coef_len = length(coef(fit)))
  }
  out
}

cases <- list()
add <- function(x) cases[[length(cases) + 1]] <<- x

# 1-D with ties (x on a 0.01 grid), default k = 10.
n <- 200
x <- round(runif(n), 2)
y <- sin(2 * pi * x) + rnorm(n, sd = 0.3)
d1 <- data.frame(x = x, y = y)
new1 <- data.frame(x = c(-0.3, -0.01, 0, 0.013, 0.25, 0.5, 0.777, 1, 1.05, 1.6))
add(run_case("tp1", d1, 's(x, bs = "tp")', new1,
             gam_formula = 'y ~ s(x, bs = "tp", k = 8)', gam_sp = 0.1))
add(run_case("tp1_k5_m3", d1, 's(x, bs = "tp", k = 5, m = 3)', new1,
             gam_formula = 'y ~ s(x, bs = "tp", k = 5, m = 3)', gam_sp = 0.01))
add(run_case("ts1", d1, 's(x, bs = "ts", k = 12)', new1,
             gam_formula = 'y ~ s(x, bs = "ts", k = 12)', gam_sp = 0.5))
add(run_case("tp1_fx", d1, 's(x, bs = "tp", k = 6, fx = TRUE)', new1))
add(run_case("tp1_dropnull", d1, 's(x, bs = "tp", k = 10, m = c(2, 0))', new1))
add(run_case("tp1_knots", d1, 's(x, bs = "tp", k = 8)', new1,
             knots = list(x = round(seq(-0.05, 1.05, length.out = 25), 4))))

# 1-D with exactly k unique values: no eigen step (mgcv's "pure knot" basis).
xp <- rep(seq(0, 1, length.out = 12), length.out = 120)
dp <- data.frame(x = xp + 0.5, y = cos(3 * xp) + rnorm(120, sd = 0.2))
add(run_case("tp1_pure", dp, 's(x, bs = "tp", k = 12)', data.frame(x = c(0.2, 0.5, 0.93, 1.5, 2))))

# 2-D, 20 duplicated rows, default k = 30.
n <- 200
x <- runif(n); z <- runif(n)
dup <- sample(n, 20); x[dup[1:10]] <- x[dup[11:20]]; z[dup[1:10]] <- z[dup[11:20]]
y <- sin(3 * x) * cos(4 * z) + rnorm(n, sd = 0.2)
d2 <- data.frame(x = x, z = z, y = y)
new2 <- data.frame(x = c(-0.2, 0, 0.3, 0.5, 0.9, 1.2, 0.5), z = c(0.5, 0, 0.8, 0.5, 0.1, 1.3, -0.4))
add(run_case("tp2", d2, "s(x, z)", new2, gam_formula = "y ~ s(x, z)", gam_sp = 0.01))
add(run_case("ts2", d2, 's(x, z, bs = "ts", k = 15)', new2,
             gam_formula = 'y ~ s(x, z, bs = "ts", k = 15)', gam_sp = 0.05))
add(run_case("tp2_m3", d2, 's(x, z, k = 12, m = 3)', new2))

# 3-D: default m (3: mgcv requires 2m > d + 1) and k = 110; and k = 20.
n <- 200
d3 <- data.frame(x = runif(n), z = runif(n), w = runif(n))
d3$y <- d3$x * d3$z - d3$w^2 + rnorm(n, sd = 0.1)
new3 <- data.frame(x = c(0.1, 0.5, 1.3, -0.2), z = c(0.2, 0.5, 0.4, 0.9), w = c(0.9, 0.5, 0.1, 1.1))
add(run_case("tp3", d3, "s(x, z, w)", new3))
add(run_case("tp3_k20", d3, "s(x, z, w, k = 20)", new3,
             gam_formula = "y ~ s(x, z, w, k = 20)", gam_sp = 0.001))

# Larger n: 1500 rows (every unique point a knot), then 2500 unique points (mgcv forms
# the basis from a random subset of 2000 of them, drawn with seed 1).
n <- 1500
db <- data.frame(x = runif(n), z = runif(n))
db$y <- sin(3 * db$x) + db$z^2 + rnorm(n, sd = 0.2)
add(run_case("tp2_n1500", db, "s(x, z, k = 20)", new2))
n <- 2500
dl <- data.frame(x = runif(n))
dl$y <- sin(2 * pi * dl$x) + rnorm(n, sd = 0.3)
add(run_case("tp1_n2500", dl, 's(x, bs = "tp")', new1))
dl2 <- data.frame(x = round(runif(n), 3), z = runif(n))
dl2$y <- sin(3 * dl2$x) + dl2$z^2 + rnorm(n, sd = 0.2)
add(run_case("tp2_n2500", dl2, "s(x, z, k = 20)", new2))

result <- list(
  generated_by = "validation_r/tp_reference.R",
  r_version = R.version.string,
  package_versions = list(mgcv = as.character(packageVersion("mgcv")),
                          jsonlite = as.character(packageVersion("jsonlite"))),
  seed = SEED,
  case_names = vapply(cases, `[[`, character(1), "name"),
  cases = cases
)
write_json(result, out_json, digits = NA, auto_unbox = TRUE, null = "null", na = "null",
           matrix = "rowmajor")
message("wrote ", out_json, " with ", length(cases), " cases")
