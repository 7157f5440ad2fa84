# R reference for the two places where mgcv's answer is decided by rounding, not by the
# data: the sign of t2's marginal eigenvectors (which moves the t2 summary F statistic)
# and the rotation of the fs null-space basis (which moves the fs fit itself).
#
# Run from the repository root, after gam_reference.R and gam_check_reference.R (it reads
# their data files):
#     Rscript validation_r/gam_rounding_reference.R
#
# Why. mgcv takes both from eigen(): t2 puts each margin in the natural parametrisation
# (nat.param type 3: eigenvectors of the margin's penalty, then of the centred null-space
# cross-product), fs puts the base smooth in nat.param type 1 (eigenvectors of
# R^-T S R^-1, whose zero eigenvalue is repeated). An eigenvector's sign, and the basis
# of a repeated eigenvalue's space, are whatever LAPACK's dsyevr returns for the matrix as
# rounded. For t2 the sign reaches summary.gam because mgcv tests a t2 smooth with object$R
# (fitting parametrisation: null-space group constrained) but coefficients and Vp mapped by
# G$P to the prediction parametrisation (all columns constrained): the two absorb their
# constraints from different columns, so a column sign does not cancel. For fs each
# null-space direction gets its own penalty, so the rotation changes the model.
#
# What is recorded, per case:
#   * mgcv's own parametrisation (t2: each margin's P, m$smooth[[i]]$P; fs: the base's P),
#     so the tests can give aurora mgcv's signs / rotation and check that everything else
#     then agrees to the usual tolerances;
#   * the same fit refitted on copies of the data whose covariates are perturbed by at
#     most one unit in the last place (x * (1 + u), u in {-4e-16, 0, 4e-16}, fixed seed):
#     mgcv's t2 F and fs REML score move although the data have not changed meaningfully.
#
# Output: validation_r/gam_rounding_reference.json (doubles with 17 significant digits).

suppressPackageStartupMessages({
  library(mgcv)
  library(jsonlite)
})
options(useFancyQuotes = FALSE, width = 80, digits = 7)

SEED <- 20250406L
N_PERTURB <- 24L
out_json <- file.path("validation_r", "gam_rounding_reference.json")
data_dir <- file.path("validation_r", "data")

# JSON helpers: every double with 17 significant digits (reads back exactly)
num <- function(x) {
  x <- as.numeric(x)
  s <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
  structure(paste0("[", paste(s, collapse = ","), "]"), class = "json")
}
scalar <- function(x) structure(sprintf("%.17g", as.numeric(x)), class = "json")
mat <- function(m) lapply(seq_len(nrow(m)), function(i) num(m[i, ]))

# one-ulp perturbation of the named columns
perturb <- function(d, cols) {
  for (v in cols) {
    d[[v]] <- d[[v]] * (1 + 4e-16 * sample(c(-1, 0, 1), nrow(d), replace = TRUE))
  }
  d
}

# --- t2: the case "t2" of gam_reference.R -------------------------------------------------
ref_dat <- read.csv(file.path(data_dir, "gam_ref.csv"), stringsAsFactors = TRUE)
t2_formula <- "y_te ~ s(x0) + t2(x1, x2)"
fit_t2 <- function(d) gam(as.formula(t2_formula), data = d, method = "REML")
m <- fit_t2(ref_dat)
t2_smooth <- m$smooth[[2]]
stopifnot(inherits(t2_smooth, "t2.smooth"))
set.seed(SEED)
t2_runs <- lapply(seq_len(N_PERTURB), function(i) {
  mi <- fit_t2(perturb(ref_dat, c("x1", "x2")))
  c(F = unname(summary(mi)$s.table[2, "F"]), reml = unname(mi$gcv.ubre))
})
t2_case <- list(
  name = "t2", data = "gam_ref.csv", formula = t2_formula, method = "REML",
  label = t2_smooth$label,
  margin_P = lapply(t2_smooth$P, mat),
  F = scalar(summary(m)$s.table[2, "F"]), reml = scalar(m$gcv.ubre),
  perturbed_F = num(vapply(t2_runs, `[[`, 0, "F")),
  perturbed_reml = num(vapply(t2_runs, `[[`, 0, "reml")))

# --- fs: the case "fs" of gam_check_reference.R -------------------------------------------
chk_dat <- read.csv(file.path(data_dir, "gamcheck_data.csv"), stringsAsFactors = TRUE)
fs_formula <- "y_fs ~ s(x1, g, bs = \"fs\", k = 5)"
fit_fs <- function(d) gam(as.formula(fs_formula), data = d, method = "REML")
m <- fit_fs(chk_dat)
fs_smooth <- m$smooth[[1]]
stopifnot(inherits(fs_smooth, "fs.interaction"))
set.seed(SEED)
fs_runs <- lapply(seq_len(N_PERTURB), function(i) {
  mi <- fit_fs(perturb(chk_dat, "x1"))
  c(reml = unname(mi$gcv.ubre), edf = sum(mi$edf))
})
fs_case <- list(
  name = "fs", data = "gamcheck_data.csv", formula = fs_formula, method = "REML",
  label = fs_smooth$label, base_P = mat(fs_smooth$P),
  reml = scalar(m$gcv.ubre), edf = scalar(sum(m$edf)), sp = num(m$sp),
  perturbed_reml = num(vapply(fs_runs, `[[`, 0, "reml")),
  perturbed_edf = num(vapply(fs_runs, `[[`, 0, "edf")))

out <- list(
  mgcv_version = as.character(packageVersion("mgcv")),
  R_version = R.version.string,
  seed = SEED, n_perturb = N_PERTURB,
  perturbation = "x * (1 + u), u drawn from {-4e-16, 0, 4e-16} per value",
  cases = list(t2_case, fs_case))
writeLines(toJSON(out, auto_unbox = TRUE, pretty = FALSE, digits = NA,
                  json_verbatim = TRUE), out_json)
cat("wrote", out_json, "\n")
t2_F <- vapply(t2_runs, `[[`, 0, "F")
fs_reml <- vapply(fs_runs, `[[`, 0, "reml")
cat("t2 F:", summary(fit_t2(ref_dat))$s.table[2, "F"], " perturbed:",
    sort(unique(round(t2_F, 4))), "\n")
cat("fs REML:", m$gcv.ubre, " perturbed:", range(fs_reml), "\n")
