# R reference values for aurora/smooths/tensor.py, fs.py and by.py: mgcv's tensor product
# smooths (te, ti, t2), factor-smooth interactions (bs = "fs"), `by` variables (numeric,
# constant, factor, ordered factor), point constraints (pc) and the id/sp recorded on a
# smooth, as smoothCon(..., absorb.cons = TRUE, scale.penalty = TRUE) builds them for gam().
#
# Run from the repository root:
#     Rscript validation_r/tensor_reference.R
#
# Writes validation_r/data/tensor_data.csv and tensor_new.csv (doubles with 17 significant
# digits, read back before use, so R uses exactly what Python reads) and
# validation_r/tensor_reference.json (15 significant digits, matrices as lists of rows).
# Tests: tests/smooths/test_tensor_r.py (te, ti, t2, fs) and tests/smooths/test_by_r.py.
#
# Per case: `spec` (the smooth as R text; `py_spec` where aurora's parser needs another
# spelling, `d` for te's d argument), the unconstrained smooth.construct() (X, S; cases
# without by or pc) and, per
# smooth smoothCon() returns (one per level of a factor `by`): label, X, S, S.scale, rank,
# null.space.dim, id, sp, by.level and PredictMat() on new data (some outside the range).
# For some cases also the fitted values of a Gaussian gam() at fixed sp, a check that does
# not depend on how a basis is parametrised.

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})

datadir <- "validation_r/data"
fmt17 <- function(v) ifelse(is.na(v), "NA", sprintf("%.17g", v))
write17 <- function(frame, file) {
  out <- frame
  for (col in names(out)) {
    if (is.numeric(out[[col]])) out[[col]] <- fmt17(out[[col]])
    else out[[col]] <- as.character(out[[col]])
  }
  write.csv(out, file.path(datadir, file), row.names = FALSE, quote = TRUE)
}
rows <- function(m) {
  m <- as.matrix(m)
  lapply(seq_len(nrow(m)), function(i) I(unname(as.numeric(m[i, ]))))
}

ORD_LEVELS <- c("lo", "mid", "hi")
set.seed(20261202)
n <- 100
d0 <- data.frame(
  x = runif(n),
  z = rnorm(n, 3, 2),
  w = runif(n, -1, 2),
  v = rnorm(n, 1, 0.5),
  c2 = rep(2, n),
  f = factor(sample(c("A", "B", "C"), n, replace = TRUE)),
  o = sample(ORD_LEVELS, n, replace = TRUE),
  g = factor(sample(c("a", "b", "c", "d"), n, replace = TRUE))
)
d0$y <- sin(2 * pi * d0$x) + 0.3 * d0$z + d0$w^2 + as.numeric(d0$g) * d0$x +
  rnorm(n, sd = 0.3)
new0 <- data.frame(
  x = c(-0.2, 0, 0.05, 0.3, 0.5, 0.62, 0.8, 0.99, 1, 1.1, 0.4),
  z = c(3, -4, 0, 1, 2.5, 3, 4, 6, 9, 11, 2),
  w = c(0.5, -1.2, -1, 0, 0.3, 1, 1.5, 2, 2.2, 0.1, -0.5),
  v = c(1, 0.5, -0.3, 2, 1.2, 0, 0.8, 1.5, 1, 0.7, 2.5),
  c2 = rep(2, 11),
  f = c("A", "B", "C", "A", "B", "C", "A", "B", "C", "A", "B"),
  o = c("lo", "mid", "hi", "hi", "mid", "lo", "lo", "mid", "hi", "hi", "mid"),
  g = c("a", "b", "c", "d", "a", "b", "c", "d", "a", "b", "c")
)
write17(d0, "tensor_data.csv")
write17(new0, "tensor_new.csv")

read_back <- function(file) {
  df <- read.csv(file.path(datadir, file), stringsAsFactors = FALSE)
  df$f <- factor(df$f, levels = c("A", "B", "C"))
  df$g <- factor(df$g, levels = c("a", "b", "c", "d"))
  df$o <- factor(df$o, levels = ORD_LEVELS, ordered = TRUE)
  df
}
dat <- read_back("tensor_data.csv")
newd <- read_back("tensor_new.csv")

# A case: the smooth as R text, optional knots, optional gam() at fixed sp.
case <- function(name, spec, knots = NULL, py_spec = NULL, d = NULL, gam_sp = NULL) {
  list(name = name, spec = spec, knots = knots, py_spec = py_spec, d = d, gam_sp = gam_sp)
}

cases <- list(
  # te: one penalty per margin, mgcv's marginal reparametrisation (np = TRUE)
  case("te_default", "te(x, z)", gam_sp = c(0.5, 2)),
  case("te_tp_cr", 'te(x, z, bs = c("tp", "cr"), k = c(5, 6))', gam_sp = c(0.1, 1)),
  case("te_ps", 'te(x, w, bs = "ps", k = 6)'),
  case("te_tp", 'te(x, z, bs = "tp", k = 4)'),
  case("te_bs", 'te(x, w, bs = "bs", k = 5)'),
  case("te_cc_cr", 'te(w, x, bs = c("cc", "cr"), k = c(6, 5))'),
  case("te_three", "te(x, z, w, k = c(4, 3, 3))"),
  case("te_d21", "te(x, z, w, d = c(2, 1), k = c(8, 4))",
       py_spec = "te(x, z, w, k = c(8, 4))", d = c(2, 1), gam_sp = c(0.05, 3)),
  case("te_fx", "te(x, z, k = 4, fx = TRUE)"),
  case("te_knots", "te(x, z, k = c(5, 4))", knots = list(x = c(0, 0.2, 0.45, 0.7, 1))),
  case("te_m", 'te(x, w, bs = "tp", k = 6, m = 3)'),
  # ti: marginal constraints absorbed first, no further constraint
  case("ti_default", "ti(x, z)", gam_sp = c(0.3, 0.3)),
  case("ti_tp_cr", 'ti(x, z, bs = c("tp", "cr"), k = c(5, 6))'),
  case("ti_ps", 'ti(x, w, bs = "ps", k = 6)'),
  case("ti_three", "ti(x, z, w, k = c(4, 3, 3))"),
  case("ti_one", "ti(x, k = 6)"),
  # t2: its own penalty structure (full = FALSE)
  case("t2_default", "t2(x, z)", gam_sp = c(1, 0.1, 3)),
  case("t2_tp", 't2(x, z, bs = "tp", k = 5)', gam_sp = c(0.2, 0.4, 0.6)),
  case("t2_k4", "t2(x, z, k = 4)"),
  case("t2_three", "t2(x, z, w, k = c(4, 3, 3))"),
  case("t2_ts", 't2(x, z, bs = c("cr", "ts"), k = 5)', gam_sp = c(0.3, 3)),
  case("t2_nsd1", 't2(x, w, bs = "ps", m = 1, k = 6)'),
  # by = numeric: no sum-to-zero constraint, unless by is constant
  case("by_num", "s(x, by = v)", gam_sp = 0.01),
  case("by_num_cr", 's(x, bs = "cr", k = 6, by = v)'),
  case("by_const", 's(x, bs = "cr", k = 6, by = c2)'),
  case("by_num_te", "te(x, z, k = 4, by = v)"),
  case("by_num_t2", "t2(x, z, k = 4, by = v)"),
  case("by_num_pc", 's(x, bs = "cr", k = 6, by = v, pc = 0.5)'),
  # by = factor: one smooth per level; ordered factors skip the first level
  case("by_fac", "s(x, by = f)", gam_sp = c(0.1, 0.2, 0.3)),
  case("by_fac_cr", 's(x, bs = "cr", k = 6, by = f)'),
  case("by_ord", 's(x, bs = "cr", k = 5, by = o)'),
  case("by_fac_te", "te(x, z, k = 4, by = f)"),
  case("by_fac_ti", "ti(x, z, k = 4, by = f)"),
  case("by_fac_t2", "t2(x, z, k = 4, by = f)"),
  case("by_fac_id", 's(x, bs = "cr", k = 5, by = f, id = 2)'),
  # fs: factor-smooth interaction
  case("fs_default", 's(x, g, bs = "fs")', gam_sp = c(0.5, 10, 10)),
  case("fs_cr", 's(x, g, bs = "fs", xt = "cr", k = 6)', gam_sp = c(0.5, 10, 10)),
  case("fs_cr_list", 's(x, g, bs = "fs", xt = list(bs = "cr"), k = 5)'),
  case("fs_first", 's(g, x, bs = "fs", k = 5)', gam_sp = c(2, 0.1, 0.1)),
  case("fs_ps", 's(x, g, bs = "fs", xt = "ps", k = 7)', gam_sp = c(1, 5, 5)),
  # id, sp and point constraints recorded on / applied to the smooth
  case("id_sp", 's(x, bs = "cr", k = 6, id = 1, sp = 0.5)'),
  case("te_id_sp", 'te(x, z, k = 4, sp = c(0.1, 2), id = "a")'),
  case("pc_cr", 's(x, bs = "cr", k = 6, pc = 0.5)'),
  case("pc_tp2", "s(x, z, k = 12, pc = c(0.5, 3))")
)

smooth_out <- function(sm) {
  list(
    label = sm$label, X = rows(sm$X), S = lapply(unname(sm$S), rows), S_scale = I(sm$S.scale),
    rank = I(sm$rank), null_space_dim = sm$null.space.dim,
    id = sm$id, sp = if (is.null(sm$sp)) NULL else I(unname(sm$sp)),
    by_level = sm$by.level, n_cons = attr(sm, "nCons"),
    predict = rows(PredictMat(sm, newd))
  )
}

results <- lapply(cases, function(cs) {
  obj <- eval(parse(text = cs$spec))
  sml <- smoothCon(obj, data = dat, knots = cs$knots, absorb.cons = TRUE,
                   scale.penalty = TRUE)
  raw <- smooth.construct(obj, dat, cs$knots)
  out <- list(
    name = cs$name, spec = cs$spec, py_spec = cs$py_spec,
    d = if (is.null(cs$d)) NULL else I(cs$d),
    knots = cs$knots,
    raw = if (obj$by == "NA" && is.null(obj$point.con))
      list(X = rows(raw$X), S = lapply(unname(raw$S), rows), rank = I(raw$rank),
           null_space_dim = raw$null.space.dim),
    smooths = lapply(sml, smooth_out)
  )
  if (!is.null(cs$gam_sp)) {
    fit <- gam(as.formula(paste("y ~", cs$spec)), data = dat, sp = cs$gam_sp,
               knots = cs$knots)
    out$gam <- list(sp = I(cs$gam_sp), fitted = as.numeric(fitted(fit)),
                    n_coef = length(coef(fit)))
  }
  out
})

out <- list(
  generated_by = "validation_r/tensor_reference.R",
  r_version = R.version.string,
  package_versions = list(mgcv = as.character(packageVersion("mgcv")),
                          jsonlite = as.character(packageVersion("jsonlite"))),
  data = "tensor_data.csv", newdata = "tensor_new.csv",
  factors = list(f = c("A", "B", "C"), g = c("a", "b", "c", "d")),
  ordered = list(o = ORD_LEVELS),
  case_names = vapply(results, function(r) r$name, ""),
  cases = results
)
write_json(out, "validation_r/tensor_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = FALSE, na = "null", null = "null")
