# mgcv fits for gam()'s options that aurora's front door maps onto the engine: select,
# id (shared smoothing parameters of a factor-by smooth, and of smooths of different
# covariates, whose basis mgcv builds from their pooled values), sp fixed in s() and by the
# sp argument, gamma. Data: validation_r/data/gam_compile.csv (gam_compile_reference.R).
#
# Run from the repository root:  Rscript validation_r/gam_options_reference.R
suppressPackageStartupMessages({ library(mgcv); library(jsonlite) })
d <- read.csv(file.path("validation_r", "data", "gam_compile.csv"), stringsAsFactors = TRUE)
cases <- list(
  list(formula = "y ~ s(x) + s(z)", select = FALSE),
  list(formula = "y ~ s(x) + s(z)", select = TRUE),
  list(formula = "y ~ f + s(x, by = f, id = 1)", select = FALSE),
  list(formula = "y ~ f + s(x, by = f, id = 1)", select = TRUE),
  list(formula = "y ~ f + s(x, sp = 0.5) + s(z, bs = \"cr\")", select = FALSE),
  list(formula = "y ~ s(x) + s(w, bs = \"cr\")", select = FALSE, sp_arg = c(-1, 10)),
  list(formula = "y ~ s(x) + s(z)", select = FALSE, gamma = 1.4, method = "GCV.Cp"),
  list(formula = "y ~ f + w + s(x) + te(x, z, k = 4)", select = FALSE),
  list(formula = "y ~ s(x, bs = \"cr\") + s(z, bs = \"cr\") + te(x, z, k = 3)", select = TRUE),
  # id across different covariates: one basis from the pooled values of x and z
  list(formula = "y ~ s(x, id = 1) + s(z, id = 1)", select = FALSE),
  list(formula = "y ~ f + s(x, bs = \"cr\", k = 8, id = \"a\") + s(w, id = \"a\") + s(z)",
       select = FALSE)
)
out <- lapply(cases, function(cs) {
  args <- list(formula = as.formula(cs$formula), data = d, select = cs$select,
               method = if (is.null(cs$method)) "REML" else cs$method)
  if (!is.null(cs$sp_arg)) args$sp <- cs$sp_arg
  if (!is.null(cs$gamma)) args$gamma <- cs$gamma
  m <- do.call(gam, args)
  edf <- sapply(m$smooth, function(s) sum(m$edf[s$first.para:s$last.para]))
  c(cs, list(method = args$method, gcv_ubre = unname(m$gcv.ubre), est_sp = unname(m$sp),
             full_sp = unname(if (is.null(m$full.sp)) m$sp else m$full.sp), labels = sapply(m$smooth, `[[`, "label"),
             edf = unname(edf), fitted = unname(m$fitted.values), scale = m$sig2))
})
write_json(list(generated_by = "validation_r/gam_options_reference.R",
                mgcv = as.character(packageVersion("mgcv")), data = "gam_compile.csv",
                cases = out),
           file.path("validation_r", "gam_options_reference.json"), digits = NA,
           auto_unbox = TRUE, pretty = FALSE)
