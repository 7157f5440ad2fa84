# Reference values for tests/distributions: links, family functions, AIC/logLik of
# fitted models, MASS::theta.ml / glm.nb and mgcv::ldTweedie.
#
# Run from the repository root:
#   Rscript tests/distributions/r/make_reference.R
# It writes tests/distributions/r/reference.json (R 4.2.2, MASS, mgcv 1.8-41).
suppressPackageStartupMessages({
  library(MASS)
  library(mgcv)
  library(jsonlite)
})

out_file <- "tests/distributions/r/reference.json"
ref <- list(
  meta = list(
    R = R.version.string,
    MASS = as.character(packageVersion("MASS")),
    mgcv = as.character(packageVersion("mgcv"))
  )
)

# ---- number formatting in family/link names ---------------------------------------
fmt_x <- c(1 + 1/3, 1e5, 123456, 0.001, 1e-4, 2, 1.5, 0.1 + 0.2, 1234567.25, 3e-7, 1/7)
ref$formats <- list(
  x = fmt_x,
  as_character = as.character(fmt_x),
  format_round4 = vapply(fmt_x, function(v) format(round(v, 4)), ""),
  power_names = vapply(c(1/3, 0.5, 2, 0.1, 1.23456, 10), function(l) power(l)$name, ""),
  power_lambda = c(1/3, 0.5, 2, 0.1, 1.23456, 10),
  nb_names = vapply(c(2, 1.23456789, 123456.789, 0.5), function(t) negative.binomial(t)$family, ""),
  nb_theta = c(2, 1.23456789, 123456.789, 0.5),
  tweedie_names = vapply(c(1.5, 1 + 1/3, 1.05, 2), function(p) Tweedie(p)$family, ""),
  tweedie_p = c(1.5, 1 + 1/3, 1.05, 2)
)

# ---- special functions -------------------------------------------------------------
# (beyond |z| = 37.5 R returns subnormals or 0; not compared)
zs <- c(-37, -20, -9, -5, -4.99, -1, 0, 0.5, 4.9, 5, 7.5, 20, 37)
ps <- c(1e-300, 1e-16, 1e-8, 0.01, 0.3, 0.5, 0.9, 1 - 1e-12)
gs <- c(1e-5, 0.01, 0.3, 1, 2.5, 7, 40, 1e5)
ref$special <- list(z = zs, dnorm = dnorm(zs), pnorm = pnorm(zs), p = ps, qnorm = qnorm(ps),
                    g = gs, lgamma = lgamma(gs), digamma = digamma(gs), trigamma = trigamma(gs))

# ---- links ----------------------------------------------------------------------
unit_mu <- c(1e-12, 1e-6, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-6)
pos_mu <- c(1e-8, 0.1, 1, 2.5, 100)
pos_eta <- c(1e-6, 0.01, 0.5, 1, 3, 50)
link_cases <- list(
  list(name = "identity", link = make.link("identity"), mu = c(-3, 0, 2.5), eta = c(-3, 0, 2.5)),
  list(name = "log", link = make.link("log"), mu = pos_mu, eta = c(-800, -40, -1, 0, 2, 700)),
  list(name = "logit", link = make.link("logit"), mu = unit_mu,
       eta = c(-50, -30.5, -30, -29.5, -10, -1, 0, 0.3, 2, 10, 29.5, 30, 30.5, 50)),
  list(name = "probit", link = make.link("probit"), mu = unit_mu,
       eta = c(-40, -8.3, -8.1, -6, -1, 0, 0.3, 2, 6, 8.1, 8.3, 40)),
  list(name = "cloglog", link = make.link("cloglog"), mu = unit_mu,
       eta = c(-50, -36, -10, -3, -1, 0, 1, 3, 3.6, 10, 800)),
  list(name = "cauchit", link = make.link("cauchit"), mu = unit_mu,
       eta = c(-1e16, -1e3, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 1e3, 1e16)),
  list(name = "inverse", link = make.link("inverse"), mu = pos_mu, eta = pos_eta),
  list(name = "1/mu^2", link = make.link("1/mu^2"), mu = pos_mu, eta = pos_eta),
  list(name = "sqrt", link = make.link("sqrt"), mu = pos_mu, eta = pos_eta),
  list(name = "power(1/3)", link = power(1/3), mu = pos_mu, eta = pos_eta),
  list(name = "power(2)", link = power(2), mu = pos_mu, eta = pos_eta),
  list(name = "power(0.5)", link = power(0.5), mu = pos_mu, eta = pos_eta)
)
ref$links <- lapply(link_cases, function(cs) {
  l <- cs$link
  list(
    spec = cs$name, name = l$name, mu = cs$mu, eta = cs$eta,
    linkfun = l$linkfun(cs$mu), linkinv = l$linkinv(cs$eta), mu_eta = l$mu.eta(cs$eta),
    valideta = l$valideta(cs$eta)
  )
})

# ---- family functions on fixed y, mu, w ---------------------------------------------
run_initialize <- function(fam, y, w) {
  env <- new.env()
  env$y <- y; env$weights <- w; env$nobs <- length(y)
  env$etastart <- NULL; env$start <- NULL; env$mustart <- NULL; env$family <- fam
  eval(fam$initialize, env)
  env$mustart
}

yc <- c(0, 1, 3, 7, 2)
muc <- c(0.5, 1.2, 2.8, 6, 2.5)
wc <- c(1, 2, 1, 0.5, 1)
yp <- c(0.5, 1.2, 3.3, 2.0, 0.7)
mup <- c(0.8, 1, 3, 2.5, 0.5)
wp <- c(1, 2, 0.5, 1, 3)
yt <- c(0, 0.3, 1.5, 4, 0, 2.2)
mut <- c(0.4, 0.5, 1.2, 3.5, 0.1, 2)
wt_t <- c(1, 2, 1, 0.5, 1, 1.5)

fam_cases <- list(
  list(key = "gaussian", fam = gaussian(), y = c(1.2, -0.5, 3.3, 2.0, 0.7), mu = c(1.0, 0.1, 3.0, 2.5, 0.5), w = wp),
  list(key = "gaussian_log", fam = gaussian("log"), y = yp, mu = mup, w = wp),
  list(key = "poisson", fam = poisson(), y = yc, mu = muc, w = wc),
  list(key = "poisson_sqrt", fam = poisson("sqrt"), y = yc, mu = muc, w = rep(1, 5)),
  list(key = "quasipoisson", fam = quasipoisson(), y = yc, mu = muc, w = wc),
  list(key = "binomial", fam = binomial(), y = c(0, 0.25, 0.5, 1, 0.75), mu = c(0.2, 0.3, 0.45, 0.8, 0.6),
       w = c(1, 4, 2, 3, 4)),
  list(key = "binomial_01", fam = binomial("probit"), y = c(0, 1, 1, 0, 1, 0), mu = c(0.1, 0.7, 0.95, 0.4, 0.5, 0.02),
       w = rep(1, 6)),
  list(key = "binomial_cbind", fam = binomial("cloglog"), y = c(0, 0.25, 0.5, 1, 0.75), mu = c(0.2, 0.3, 0.45, 0.8, 0.6),
       w = c(4, 4, 2, 3, 4) * c(1, 0.5, 2, 1, 1), n = c(4, 4, 2, 3, 4)),
  list(key = "quasibinomial", fam = quasibinomial(), y = c(0, 0.25, 0.5, 1, 0.75), mu = c(0.2, 0.3, 0.45, 0.8, 0.6),
       w = c(1, 4, 2, 3, 4)),
  list(key = "Gamma", fam = Gamma(), y = yp, mu = mup, w = wp),
  list(key = "Gamma_log", fam = Gamma("log"), y = yp, mu = mup, w = rep(1, 5)),
  list(key = "inverse_gaussian", fam = inverse.gaussian(), y = yp, mu = mup, w = wp),
  list(key = "negative_binomial", fam = negative.binomial(2.5), y = yc, mu = muc, w = wc),
  list(key = "tweedie_1.5", fam = Tweedie(1.5), y = yt, mu = mut, w = wt_t),
  list(key = "tweedie_1.2", fam = Tweedie(1.2), y = yt, mu = mut, w = rep(1, 6)),
  list(key = "tweedie_1.85", fam = Tweedie(1.85, link = "identity"), y = yt, mu = mut, w = wt_t)
)
ref$families <- lapply(fam_cases, function(cs) {
  f <- cs$fam
  n <- if (is.null(cs$n)) rep(1, length(cs$y)) else cs$n
  dr <- f$dev.resids(cs$y, cs$mu, cs$w)
  dev <- sum(dr)
  init_y <- if (is.null(cs$n)) cs$y else cbind(cs$y * cs$n, (1 - cs$y) * cs$n)
  init_w <- if (is.null(cs$n)) cs$w else cs$w / cs$n
  list(
    key = cs$key, family = f$family, link = f$link, y = cs$y, mu = cs$mu, weights = cs$w,
    n_trials = if (is.null(cs$n)) NULL else cs$n,
    variance = f$variance(cs$mu), dev_resids = dr, deviance = dev,
    aic = f$aic(cs$y, n, cs$mu, cs$w, dev), validmu = f$validmu(cs$mu),
    mustart = run_initialize(f, init_y, init_w)
  )
})

# extended families with fixed parameters (mgcv)
bf <- betar(theta = 5)
yb <- c(0.1, 0.35, 0.5, 0.8, 0.95)
mub <- c(0.2, 0.3, 0.55, 0.7, 0.9)
wb <- c(1, 2, 1, 0.5, 1)
sat <- bf$saturated.ll(yb, wb, 5)
ref$beta <- list(
  theta = 5, family = "Beta regression(5)", link = bf$link, y = yb, mu = mub, weights = wb,
  variance = bf$variance(mub), raw_dev_resids = bf$dev.resids(yb, mub, wb),
  saturated_term = sat$term, saturated_mu = sat$mu,
  dev_resids = 2 * sat$term * wb + bf$dev.resids(yb, mub, wb),
  aic = bf$aic(yb, mub, NULL, wb, 0), mustart = run_initialize(bf, yb, wb)
)
sf <- scat(theta = c(4, 1.5))
ys <- c(-1.2, 0, 0.4, 2.5, 7)
mus <- c(-1, 0.3, 0.4, 1.5, 2)
ref$scat <- list(
  df = 4, scale = 1.5, link = sf$link, y = ys, mu = mus, weights = wb,
  variance = sf$variance(mus), dev_resids = sf$dev.resids(ys, mus, wb),
  aic = sf$aic(ys, mus, NULL, wb, 0), mustart = run_initialize(sf, ys, wb)
)

# ---- fitted models: AIC and logLik as R reports them ---------------------------------
set.seed(20240611)
nobs <- 40
x <- seq(-1, 1, length.out = nobs)
w_fit <- rep(c(1, 2, 0.5, 1.5), length.out = nobs)
trials <- rep(c(3, 5, 8, 10), length.out = nobs)
succ <- rbinom(nobs, trials, plogis(0.3 + x))
dat <- data.frame(
  x = x, w = w_fit, n = trials, s = succ,
  yg = 1 + 2 * x + rnorm(nobs, sd = 0.5),
  yp = rpois(nobs, exp(1 + x)),
  yG = rgamma(nobs, shape = 3, rate = 3 / exp(0.5 + x)),
  yi = statmod::rinvgauss(nobs, mean = exp(0.2 + 0.3 * x), shape = 4),
  ynb = rnegbin(nobs, mu = exp(1.2 + 0.8 * x), theta = 2),
  ytw = rTweedie(exp(0.5 + x), p = 1.5, phi = 1.2),
  yb = plogis(qlogis(0.4) + x + rnorm(nobs, sd = 0.3)),
  yt = 1 + x + 0.8 * rt(nobs, df = 4)
)
fit_record <- function(key, fit, family_obj, n_trials = NULL) {
  ll <- logLik(fit)
  list(
    key = key, family = fit$family$family, link = fit$family$link,
    y = as.numeric(fit$y), fitted = as.numeric(fitted(fit)), prior_weights = as.numeric(fit$prior.weights),
    n_trials = n_trials, deviance = fit$deviance, aic_object = fit$aic, AIC = AIC(fit),
    logLik = as.numeric(ll), df = attr(ll, "df"), rank = if (is.null(fit$rank)) NA else fit$rank,
    edf = if (inherits(fit, "gam")) sum(fit$edf) else NA,
    sig2 = if (inherits(fit, "gam")) fit$sig2 else NA
  )
}
fits <- list(
  fit_record("gaussian", glm(yg ~ x, gaussian, dat, weights = w)),
  fit_record("poisson", glm(yp ~ x, poisson, dat, weights = w)),
  fit_record("binomial_cbind", glm(cbind(s, n - s) ~ x, binomial, dat), n_trials = dat$n),
  fit_record("binomial_prop", glm(s / n ~ x, binomial, dat, weights = n)),
  fit_record("Gamma", glm(yG ~ x, Gamma("log"), dat, weights = w)),
  fit_record("inverse_gaussian", glm(yi ~ x, inverse.gaussian("log"), dat, weights = w)),
  fit_record("negative_binomial_fixed", glm(ynb ~ x, negative.binomial(2), dat, weights = w)),
  fit_record("tweedie_glm", glm(ytw ~ x, Tweedie(1.5), dat, weights = w)),
  fit_record("tweedie_gam", gam(ytw ~ x, family = Tweedie(1.5), data = dat, weights = w)),
  fit_record("beta_gam", gam(yb ~ x, family = betar(theta = 5), data = dat, weights = w)),
  fit_record("scat_gam", gam(yt ~ x, family = scat(theta = c(4, 1.5)), data = dat, weights = w))
)
names(fits) <- NULL
ref$fits <- fits

# ---- MASS: theta.ml and glm.nb --------------------------------------------------
nbfit <- glm.nb(ynb ~ x, dat)
nbfit_w <- glm.nb(ynb ~ x, dat, weights = w)
th_mu <- fitted(nbfit)
th1 <- theta.ml(dat$ynb, th_mu, limit = 25)
th_w <- theta.ml(dat$ynb, fitted(nbfit_w), sum(dat$w), dat$w, limit = 25)
th_lim <- suppressWarnings(theta.ml(dat$ynb, th_mu, limit = 3))
ref$negbin <- list(
  y = dat$ynb, weights = dat$w,
  theta_ml = list(mu = as.numeric(th_mu), theta = as.numeric(th1), se = attr(th1, "SE")),
  theta_ml_weighted = list(mu = as.numeric(fitted(nbfit_w)), theta = as.numeric(th_w), se = attr(th_w, "SE")),
  theta_ml_limit3 = list(mu = as.numeric(th_mu), theta = as.numeric(th_lim), se = attr(th_lim, "SE"),
                         warn = attr(th_lim, "warn")),
  glm_nb = list(mu = as.numeric(fitted(nbfit)), theta = nbfit$theta, SE_theta = nbfit$SE.theta,
                twologlik = nbfit$twologlik, aic = nbfit$aic, rank = nbfit$rank, family = nbfit$family$family,
                logLik = as.numeric(logLik(nbfit)), df = attr(logLik(nbfit), "df"),
                family_aic = nbfit$family$aic(dat$ynb, 1, fitted(nbfit), rep(1, nobs), nbfit$deviance))
)

# ---- mgcv::ldTweedie ----------------------------------------------------------------
grid <- expand.grid(y = c(0, 1e-3, 0.05, 0.3, 1, 2.5, 10, 50), mu = c(0.1, 1, 5),
                    p = c(1.05, 1.2, 1.5, 1.8, 1.95), phi = c(0.05, 0.5, 1, 10))
grid$ld <- mapply(function(y, mu, p, phi) ldTweedie(y, mu, p = p, phi = phi)[1, 1],
                  grid$y, grid$mu, grid$p, grid$phi)
g2 <- expand.grid(y = c(0.2, 1, 4), mu = c(0.5, 3), phi = c(0.3, 2))
g2$ld <- mapply(function(y, mu, phi) ldTweedie(y, mu, p = 2, phi = phi)[1, 1], g2$y, g2$mu, g2$phi)
g1 <- expand.grid(y = c(0, 0.5, 1, 3), mu = c(0.5, 3), phi = 0.5)
g1$ld <- mapply(function(y, mu, phi) ldTweedie(y, mu, p = 1, phi = phi)[1, 1], g1$y, g1$mu, g1$phi)
ref$ldtweedie <- list(series = as.list(grid), gamma = as.list(g2), poisson = as.list(g1))

# jsonlite prints at most 15 significant digits; write every double with 17 so that
# Python reads back exactly the doubles R computed.
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    items <- vapply(x, to_json, "")
    if (!is.null(names(x))) {
      keys <- vapply(names(x), function(k) as.character(toJSON(k, auto_unbox = TRUE)), "")
      return(paste0("{", paste0(keys, ":", items, collapse = ","), "}"))
    }
    return(paste0("[", paste(items, collapse = ","), "]"))
  }
  one <- function(v) {
    if (is.character(v)) return(as.character(toJSON(v, auto_unbox = TRUE)))
    if (is.na(v) && !is.nan(v)) return('"NA"')
    if (is.logical(v)) return(if (v) "true" else "false")
    if (is.nan(v)) return('"NaN"')
    if (is.infinite(v)) return(if (v > 0) '"Inf"' else '"-Inf"')
    sprintf("%.17g", v)
  }
  vals <- vapply(as.list(x), one, "")
  if (length(x) == 1 && is.null(attr(x, "array"))) vals else paste0("[", paste(vals, collapse = ","), "]")
}
writeLines(to_json(ref), out_file)
cat("wrote", out_file, "\n")
