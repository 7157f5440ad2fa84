# R reference values for aurora/smooths: mgcv's smooth bases (cr, cs, cc, ps, cp, bs, re)
# as smoothCon builds them for gam(): penalties scaled, the identifiability constraint
# absorbed (absorb.cons = TRUE, scale.penalty = TRUE), plus the unconstrained basis out
# of smooth.construct and PredictMat on new covariate values (outside the range too).
#
# Run from the repository root:
#     Rscript validation_r/smooths_reference.R
#
# Writes validation_r/data/smooths_*.csv (the data, doubles with 17 significant digits, so
# they read back exactly; R uses the data as read back) and
# validation_r/smooths_reference.json (results with jsonlite's digits = NA, 15 significant
# digits; matrices as lists of rows). Tests: tests/smooths/test_bases_r.py.

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})

rows <- function(m) {
  m <- as.matrix(m)
  lapply(seq_len(nrow(m)), function(i) I(unname(as.numeric(m[i, ]))))
}
num17 <- function(v) {
  txt <- ifelse(is.na(v), "null", sprintf("%.17g", v))
  structure(paste0("[", paste(txt, collapse = ", "), "]"), class = "json")
}
write17 <- function(frame, file) {
  out <- frame
  for (col in names(out)) {
    if (is.numeric(out[[col]])) out[[col]] <- sprintf("%.17g", out[[col]])
    else out[[col]] <- as.character(out[[col]])
  }
  write.csv(out, file, row.names = FALSE, quote = TRUE)
}
datadir <- "validation_r/data"

set.seed(20261201)
n <- 200
uniform <- data.frame(
  x = runif(n),
  z = rnorm(n, 3, 2),
  g = factor(sample(c("a", "b", "c", "d", "e", "f"), n, replace = TRUE)),
  h = factor(sample(c("p", "q", "r"), n, replace = TRUE))
)
ties <- data.frame(x = round(runif(n) * 20) / 20 * 3 - 1)   # 21 unique values in [-1, 2]
uniform_new <- data.frame(
  x = c(-0.4, -0.05, 0, min(uniform$x), 0.123, 0.5, 0.777, max(uniform$x), 1, 1.07, 1.9),
  z = c(-5, 0, 1, 2, 3, 3.5, 4, 6, 9, 10, 12),
  g = factor(c("a", "b", "c", "d", "e", "f", "a", "b", "c", "d", "e"),
             levels = levels(uniform$g)),
  h = factor(c("p", "q", "r", "p", "q", "r", "p", "q", "r", "p", "q"),
             levels = levels(uniform$h))
)
ties_new <- data.frame(x = c(-1.6, -1, -0.55, 0, 0.3, 1.15, 2, 2.4, 3.3))

write17(uniform, file.path(datadir, "smooths_uniform.csv"))
write17(ties, file.path(datadir, "smooths_ties.csv"))
write17(uniform_new, file.path(datadir, "smooths_uniform_new.csv"))
write17(ties_new, file.path(datadir, "smooths_ties_new.csv"))

read_back <- function(name) {
  read.csv(file.path(datadir, paste0(name, ".csv")), stringsAsFactors = TRUE)
}
datasets <- list(uniform = read_back("smooths_uniform"), ties = read_back("smooths_ties"))
newsets <- list(uniform = read_back("smooths_uniform_new"), ties = read_back("smooths_ties_new"))
newsets$uniform$g <- factor(newsets$uniform$g, levels = levels(datasets$uniform$g))
newsets$uniform$h <- factor(newsets$uniform$h, levels = levels(datasets$uniform$h))

# One case: the s() call as text (vars, bs, k, m, fx), the data set, optional knots.
case <- function(name, data, vars, bs, k = NULL, m = NULL, fx = FALSE, knots = NULL) {
  args <- c(vars, sprintf("bs = \"%s\"", bs))
  if (!is.null(k)) args <- c(args, sprintf("k = %d", k))
  if (!is.null(m)) args <- c(args, if (length(m) == 1) sprintf("m = %s", m)
                                   else sprintf("m = c(%s)", paste(m, collapse = ", ")))
  if (fx) args <- c(args, "fx = TRUE")
  call_text <- paste0("s(", paste(args, collapse = ", "), ")")
  list(name = name, data = data, vars = vars, bs = bs, k = k, m = m, fx = fx,
       knots = knots, call = call_text)
}

cases <- list(
  case("cr_k5", "uniform", "x", "cr", k = 5),
  case("cr_k10", "uniform", "x", "cr"),
  case("cr_k20", "uniform", "x", "cr", k = 20),
  case("cr_ties_k10", "ties", "x", "cr", k = 10),
  case("cr_knots", "uniform", "x", "cr", k = 6,
       knots = list(x = c(0, 0.1, 0.3, 0.6, 0.8, 1))),
  case("cr_fx", "uniform", "x", "cr", k = 8, fx = TRUE),
  case("cr_z_k12", "uniform", "z", "cr", k = 12),
  case("cs_k10", "uniform", "x", "cs"),
  case("cs_k5", "uniform", "x", "cs", k = 5),
  case("cs_ties_k15", "ties", "x", "cs", k = 15),
  case("cc_k10", "uniform", "x", "cc"),
  case("cc_k5", "uniform", "x", "cc", k = 5),
  case("cc_k20", "uniform", "x", "cc", k = 20),
  case("cc_ties", "ties", "x", "cc", k = 8),
  case("cc_knots_ends", "uniform", "x", "cc", k = 7, knots = list(x = c(-0.1, 1.1))),
  case("cc_knots", "uniform", "x", "cc", k = 6,
       knots = list(x = c(0, 0.15, 0.4, 0.55, 0.9, 1))),
  case("ps_k10", "uniform", "x", "ps"),
  case("ps_k5", "uniform", "x", "ps", k = 5),
  case("ps_k20", "uniform", "x", "ps", k = 20),
  case("ps_m3", "uniform", "x", "ps", k = 12, m = 3),
  case("ps_m21", "uniform", "x", "ps", m = c(2, 1)),
  case("ps_m10", "uniform", "x", "ps", k = 8, m = c(1, 0)),
  case("ps_ties", "ties", "x", "ps", k = 12),
  case("ps_knots_ends", "uniform", "x", "ps", k = 9, knots = list(x = c(-0.2, 1.2))),
  case("ps_knots", "uniform", "x", "ps", k = 6,
       knots = list(x = c(-0.9, -0.6, -0.3, 0, 0.25, 0.5, 1, 1.3, 1.6, 1.9))),
  case("ps_knots_wide", "uniform", "x", "ps", k = 10,
       knots = list(x = seq(-1.6, 2.6, length = 14))),
  case("cp_k10", "uniform", "x", "cp"),
  case("cp_k5", "uniform", "x", "cp", k = 5),
  case("cp_m3", "uniform", "x", "cp", k = 12, m = 3),
  case("cp_m21", "uniform", "x", "cp", k = 8, m = c(2, 1)),
  case("cp_ties", "ties", "x", "cp", k = 9),
  case("cp_knots_ends", "uniform", "x", "cp", k = 8, knots = list(x = c(-0.1, 1.05))),
  case("cp_knots", "uniform", "x", "cp", k = 5,
       knots = list(x = c(0, 0.2, 0.3, 0.6, 0.85, 1))),
  case("bs_k10", "uniform", "x", "bs"),
  case("bs_k5", "uniform", "x", "bs", k = 5),
  case("bs_k20", "uniform", "x", "bs", k = 20),
  case("bs_m31", "uniform", "x", "bs", k = 12, m = c(3, 1)),
  case("bs_m2", "uniform", "x", "bs", k = 9, m = 2),
  case("bs_m33", "uniform", "x", "bs", k = 8, m = c(3, 3)),
  case("bs_m4", "uniform", "x", "bs", k = 11, m = 4),
  case("bs_m321", "uniform", "x", "bs", k = 10, m = c(3, 2, 1)),
  case("bs_m30", "uniform", "x", "bs", k = 7, m = c(3, 0)),
  case("bs_ties", "ties", "x", "bs", k = 14),
  case("bs_knots_ends", "uniform", "x", "bs", k = 9, knots = list(x = c(-0.25, 1.1))),
  case("bs_knots4", "uniform", "x", "bs", k = 10, knots = list(x = c(-0.5, 0, 1, 1.5))),
  case("bs_knots", "uniform", "x", "bs", k = 6,
       knots = list(x = c(-0.9, -0.6, -0.3, 0, 0.2, 0.5, 1, 1.3, 1.6, 1.9))),
  case("re_g", "uniform", "g", "re"),
  case("re_xg", "uniform", c("x", "g"), "re"),
  case("re_gh", "uniform", c("g", "h"), "re"),
  case("re_z", "uniform", "z", "re")
)

mat_list <- function(S) lapply(S, rows)

results <- lapply(cases, function(cs) {
  d <- datasets[[cs$data]]
  nd <- newsets[[cs$data]]
  obj <- eval(parse(text = cs$call))
  warns <- character(0)
  keep <- function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  }
  sm <- withCallingHandlers(
    smoothCon(obj, data = d, knots = cs$knots, absorb.cons = TRUE, scale.penalty = TRUE)[[1]],
    warning = keep)
  raw <- suppressWarnings(smooth.construct(obj, d[cs$vars], cs$knots))
  pm <- PredictMat(sm, nd)
  knots_used <- if (!is.null(sm$xp)) sm$xp else sm$knots
  list(
    name = cs$name, call = cs$call, data = paste0("smooths_", cs$data, ".csv"),
    newdata = paste0("smooths_", cs$data, "_new.csv"),
    vars = I(cs$vars), bs = cs$bs, k = cs$k, m = if (is.null(cs$m)) NULL else I(cs$m),
    fx = cs$fx,
    knots = if (is.null(cs$knots)) NULL else lapply(cs$knots, num17),
    label = sm$label,
    knots_used = if (is.null(knots_used)) NULL else num17(knots_used),
    bs_dim = sm$bs.dim, df = sm$df,
    null_space_dim = sm$null.space.dim, rank = I(sm$rank),
    S_scale = I(sm$S.scale),
    X = rows(sm$X), S = mat_list(sm$S),
    predict = rows(pm),
    raw_X = rows(raw$X), raw_S = mat_list(raw$S),
    raw_null_space_dim = raw$null.space.dim, raw_rank = I(raw$rank),
    warnings = I(unique(warns))
  )
})

errors <- list(
  cr = tryCatch(smoothCon(s(x, bs = "cr", k = 25), data = datasets$ties),
                error = conditionMessage),
  cc = tryCatch(smoothCon(s(x, bs = "cc", k = 25), data = datasets$ties),
                error = conditionMessage),
  ps_warning = tryCatch(smoothCon(s(x, bs = "ps", k = 25), data = datasets$ties),
                        warning = conditionMessage)
)

out <- list(
  generated_by = "validation_r/smooths_reference.R",
  r_version = R.version.string,
  package_versions = list(mgcv = as.character(packageVersion("mgcv")),
                          jsonlite = as.character(packageVersion("jsonlite"))),
  case_names = vapply(results, function(r) r$name, ""),
  cases = results,
  errors = errors
)
write_json(out, "validation_r/smooths_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = FALSE, json_verbatim = TRUE, na = "null", null = "null")
