# R reference values for aurora/compile/rfunctions.py: the formula functions whose output
# depends on the data (ns, bs, cut, interaction, scale, factor labels, relevel, as.numeric).
#
# Run from the repository root:
#     Rscript validation_r/rfunctions_reference.R
#
# Writes validation_r/rfunctions_reference.json. Inputs are generated with a fixed seed and
# written with 17 significant digits (as raw JSON numbers, so they round-trip exactly);
# results are written with jsonlite's digits = NA (15 significant digits). Missing values
# are written as null. Matrices are lists of rows.

suppressPackageStartupMessages({
  library(jsonlite)
  library(splines)
})

# a numeric vector as raw JSON with 17 significant digits (NA -> null)
num17 <- function(v) {
  txt <- ifelse(is.na(v), "null", sprintf("%.17g", v))
  structure(paste0("[", paste(txt, collapse = ", "), "]"), class = "json")
}
rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(as.numeric(m[i, ]))))
codes <- function(f) as.integer(f)  # NA stays NA (null in JSON)

set.seed(20240611)
x <- rnorm(40, mean = 5, sd = 2)
xt <- sample(1:10, 30, replace = TRUE)       # ties: the quantile's interpolation branch
u <- runif(25)
xna <- c(x[1:10], NA, x[11:15], NA)
newx <- c(min(x) - 1.5, min(x), sort(runif(6, min(x), max(x))), max(x), max(x) + 2.25)
newxt <- c(0, 1, 2.5, 5.5, 10, 12)
newu <- c(-0.5, 0.25, 1.5)

spline_case <- function(name, input, newdata, fun, args, call_text) {
  basis <- do.call(fun, c(list(input), args))
  pred <- suppressWarnings(predict(basis, newdata))
  list(
    name = name, fun = fun, input = deparse(substitute(input)), call = call_text,
    args = args,
    knots = num17(attr(basis, "knots")),
    boundary_knots = num17(attr(basis, "Boundary.knots")),
    basis = rows(basis),
    newx = deparse(substitute(newdata)),
    predict = rows(pred)
  )
}

splines_out <- list(
  spline_case("ns_df3", x, newx, "ns", list(df = 3), "ns(x, df = 3)"),
  spline_case("ns_df4_intercept", x, newx, "ns", list(df = 4, intercept = TRUE),
              "ns(x, df = 4, intercept = TRUE)"),
  spline_case("ns_knots_boundary", x, newx, "ns",
              list(knots = c(4, 6), Boundary.knots = c(2.5, 8)),
              "ns(x, knots = c(4, 6), Boundary.knots = c(2.5, 8))"),
  spline_case("ns_default", x, newx, "ns", list(), "ns(x)"),
  spline_case("ns_ties_df5", xt, newxt, "ns", list(df = 5), "ns(xt, df = 5)"),
  spline_case("ns_unif_df6", u, newu, "ns", list(df = 6), "ns(u, df = 6)"),
  spline_case("bs_df5", x, newx, "bs", list(df = 5), "bs(x, df = 5)"),
  spline_case("bs_deg2_knots", x, newx, "bs", list(degree = 2, knots = c(3, 5, 7)),
              "bs(x, degree = 2, knots = c(3, 5, 7))"),
  spline_case("bs_df4_intercept", x, newx, "bs", list(df = 4, intercept = TRUE),
              "bs(x, df = 4, intercept = TRUE)"),
  spline_case("bs_default", x, newx, "bs", list(), "bs(x)"),
  spline_case("bs_ties_df6", xt, newxt, "bs", list(df = 6), "bs(xt, df = 6)"),
  spline_case("bs_boundary", x, newx, "bs",
              list(knots = c(5), Boundary.knots = c(2.5, 8)),
              "bs(x, knots = 5, Boundary.knots = c(2.5, 8))")
)

ns_na <- ns(xna, df = 3)

# cut: labels (levels) and codes
cut_case <- function(name, input, args, call_text) {
  f <- do.call(cut, c(list(input), args))
  out <- list(name = name, call = call_text, x = num17(input), args = args)
  if (is.factor(f)) {
    out$levels <- levels(f)
    out$codes <- codes(f)
  } else {
    out$codes <- f
  }
  out
}
v <- c(-0.0123, 0.02, 0.3, 0.5, 0.75, 1)
big <- c(1000, 25000, 250000, 999999)
cuts <- list(
  cut_case("breaks3", x, list(breaks = 3), "cut(x, 3)"),
  cut_case("breaks7", u, list(breaks = 7), "cut(u, 7)"),
  cut_case("breaks_vec", x, list(breaks = c(0, 2.5, 5, 7.5, 10)), "cut(x, c(0, 2.5, 5, 7.5, 10))"),
  cut_case("breaks_vec_left", x, list(breaks = c(0, 2.5, 5, 7.5, 10), right = FALSE),
           "cut(x, c(0, 2.5, 5, 7.5, 10), right = FALSE)"),
  cut_case("include_lowest", xt, list(breaks = c(1, 4, 7, 10), include.lowest = TRUE),
           "cut(xt, c(1, 4, 7, 10), include.lowest = TRUE)"),
  cut_case("include_lowest_left", xt,
           list(breaks = c(1, 4, 7, 10), include.lowest = TRUE, right = FALSE),
           "cut(xt, c(1, 4, 7, 10), include.lowest = TRUE, right = FALSE)"),
  cut_case("exact_breaks", xt, list(breaks = c(1, 4, 7, 10)), "cut(xt, c(1, 4, 7, 10))"),
  cut_case("dig_lab2", x, list(breaks = c(0, 3.14159, 6.28318, 12), dig.lab = 2),
           "cut(x, c(0, 3.14159, 6.28318, 12), dig.lab = 2)"),
  cut_case("digits_increase", c(0.5, 1.0015, 1.5, 2), list(breaks = c(0, 1.001, 1.002, 2)),
           "cut(c(0.5, 1.0015, 1.5, 2), c(0, 1.001, 1.002, 2))"),
  cut_case("negative_small", v, list(breaks = c(-0.0123, 0.5, 1)), "cut(v, c(-0.0123, 0.5, 1))"),
  cut_case("big_numbers", big, list(breaks = c(0, 1e4, 1e5, 1e6)), "cut(big, c(0, 1e4, 1e5, 1e6))"),
  cut_case("constant_x", rep(2, 5), list(breaks = 2), "cut(rep(2, 5), 2)"),
  cut_case("codes_only", x, list(breaks = 4, labels = FALSE), "cut(x, 4, labels = FALSE)")
)
# the training breaks reused on new values (what a stateful cut does at predict time)
cut3_breaks <- local({
  rx <- range(x); dx <- diff(rx); b <- seq.int(rx[1], rx[2], length.out = 4)
  b[c(1, 4)] <- c(rx[1] - dx / 1000, rx[2] + dx / 1000); b
})
cut_predict <- list(breaks = num17(cut3_breaks),
                    codes = codes(cut(newx, cut3_breaks, dig.lab = 3)))

# interaction
a <- c("x", "y", "x", "z", "y", "x")
b <- factor(c("q", "p", "p", "q", "q", "p"), levels = c("q", "p", "r"))
n3 <- c(2, 1, 1, 2, 10, 1)
inter_case <- function(name, f, call_text) list(name = name, call = call_text,
                                                levels = levels(f), codes = codes(f))
inters <- list(
  inter_case("ab", interaction(a, b), "interaction(a, b)"),
  inter_case("ab_lex", interaction(a, b, lex.order = TRUE), "interaction(a, b, lex.order = TRUE)"),
  inter_case("ab_drop", interaction(a, b, drop = TRUE), "interaction(a, b, drop = TRUE)"),
  inter_case("abn_sep", interaction(a, b, n3, sep = ":"), "interaction(a, b, n3, sep = \":\")"),
  inter_case("abn_lex_drop", interaction(a, b, n3, lex.order = TRUE, drop = TRUE),
             "interaction(a, b, n3, lex.order = TRUE, drop = TRUE)"),
  inter_case("duplicate_labels", interaction(c("a", "a.b", "a"), c("b.c", "c", "c")),
             "interaction(c(\"a\", \"a.b\", \"a\"), c(\"b.c\", \"c\", \"c\"))")
)

# scale
s1 <- scale(x)
s2 <- scale(x, center = FALSE)
s3 <- scale(x, scale = FALSE)
s4 <- scale(x, center = 2, scale = 3)
scale_case <- function(name, s, call_text) list(
  name = name, call = call_text, values = as.numeric(s),
  center = if (is.null(attr(s, "scaled:center"))) NULL else attr(s, "scaled:center"),
  scale = if (is.null(attr(s, "scaled:scale"))) NULL else attr(s, "scaled:scale"))
scales <- list(scale_case("default", s1, "scale(x)"),
               scale_case("no_center", s2, "scale(x, center = FALSE)"),
               scale_case("no_scale", s3, "scale(x, scale = FALSE)"),
               scale_case("numeric", s4, "scale(x, center = 2, scale = 3)"))
scale_predict <- as.numeric((newx - attr(s1, "scaled:center")) / attr(s1, "scaled:scale"))

# factor labels of numbers, and as.character of doubles (15 significant digits)
chars <- c(0.5, 1, 2, 1e-4, 1e5, 123456, 0.1 + 0.2, 1 / 3, 1e15, 1e-15, 100, 2^60, 100000.5,
           1e5 + 0.1, -1.5, -1e-4, 0.00012, 1e21, 3e-7, 1234567.1, 0.1234567890123456,
           123456789.123456789, 0.001, 1e-300, 2 / 3 * 1e-5, 99999.99999999999, 4, 6, 8,
           -0.0, 1e100, 12345678901234567)
factor_levels <- list(
  list(x = num17(c(2, 0.5, 1, 0.5)), levels = levels(factor(c(2, 0.5, 1, 0.5)))),
  list(x = num17(c(1e5, 1e-4, 1e5)), levels = levels(factor(c(1e5, 1e-4, 1e5)))),
  list(x = num17(c(8, 4, 6, 6, 4)), levels = levels(factor(c(8, 4, 6, 6, 4)))),
  list(x = num17(c(0.3, 0.1 + 0.2, 1 / 3)), levels = levels(factor(c(0.3, 0.1 + 0.2, 1 / 3))),
       codes = codes(factor(c(0.3, 0.1 + 0.2, 1 / 3))))
)
fr <- factor(c("b", "a", "c", "a"))
others <- list(
  relevel_levels = levels(relevel(fr, ref = "c")),
  relevel_codes = codes(relevel(fr, ref = "c")),
  as_numeric_factor = as.numeric(fr),
  as_numeric_numeric_factor = as.numeric(factor(c(10, 5, 10, 7.5))),
  factor_given_levels = codes(factor(c(4, 6, 8, 6), levels = c(8, 6)))
)

out <- list(
  r_version = R.version.string,
  inputs = list(x = num17(x), xt = num17(xt), u = num17(u), xna = num17(xna),
                newx = num17(newx), newxt = num17(newxt), newu = num17(newu), v = num17(v), big = num17(big),
                a = a, b = as.character(b), b_levels = levels(b), n3 = num17(n3)),
  splines = splines_out,
  ns_na = list(call = "ns(xna, df = 3)", basis = rows(ns_na),
               knots = num17(attr(ns_na, "knots"))),
  cut = cuts,
  cut_predict = cut_predict,
  interaction = inters,
  scale = scales,
  scale_predict = scale_predict,
  as_character = list(x = num17(chars), text = as.character(chars)),
  factor_levels = factor_levels,
  others = others
)
write_json(out, "validation_r/rfunctions_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, json_verbatim = TRUE, na = "null")
