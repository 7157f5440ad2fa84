# Export the small real R datasets that Aurora ships in aurora/datasets/data/.
#
# Run from the repository root:
#     Rscript validation_r/export_datasets.R
#
# For each dataset this writes <name>.csv (factor columns as their labels, no row
# names; mtcars' row names become the column `model`) and <name>.json with the
# metadata that aurora.datasets.load() uses to rebuild factors in R's level order.
# Missing values are written as NA (airquality); their integer columns load as float64.
# ChickWeight is a plain data.frame here: nlme's groupedData attributes are dropped and
# its grouping factor Chick, an ordered factor in R, becomes an unordered factor that
# keeps R's level order (ordered by final weight within diet), so that lmer's ranef()
# rows come out in R's order and Chick is never given polynomial contrasts.

suppressPackageStartupMessages({
  library(jsonlite)
  library(MASS)
})

out_dir <- file.path("aurora", "datasets", "data")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

dobson <- data.frame(
  counts = c(18, 17, 15, 20, 10, 20, 25, 13, 12),
  outcome = gl(3, 1, 9),
  treatment = gl(3, 3)
)

mtcars_df <- cbind(model = rownames(mtcars), mtcars, stringsAsFactors = FALSE)
rownames(mtcars_df) <- NULL

birthwt_df <- MASS::birthwt
rownames(birthwt_df) <- NULL

chick_df <- data.frame(
  weight = ChickWeight$weight,
  Time = ChickWeight$Time,
  Chick = factor(as.character(ChickWeight$Chick), levels = levels(ChickWeight$Chick)),
  Diet = ChickWeight$Diet
)

datasets <- list(
  mtcars = list(
    data = mtcars_df,
    title = "Motor Trend Car Road Tests",
    source = "R package datasets, dataset mtcars",
    description = paste(
      "Fuel consumption and ten design and performance measures for 32 cars",
      "tested by Motor Trend magazine in 1973-74. The car name is kept in the",
      "column `model`; `am` (0 = automatic, 1 = manual) and `vs` are 0/1 numbers."
    )
  ),
  InsectSprays = list(
    data = InsectSprays,
    title = "Effectiveness of Insect Sprays",
    source = "R package datasets, dataset InsectSprays",
    description = paste(
      "Counts of insects found on agricultural experimental units treated with",
      "one of six insecticides (A to F), twelve units per spray."
    )
  ),
  warpbreaks = list(
    data = warpbreaks,
    title = "The Number of Breaks in Yarn during Weaving",
    source = "R package datasets, dataset warpbreaks",
    description = paste(
      "Number of warp breaks per loom for two types of wool and three levels of",
      "tension (low, medium, high), nine looms per combination."
    )
  ),
  quine = list(
    data = MASS::quine,
    title = "Absenteeism from School in Rural New South Wales",
    source = "R package MASS, dataset quine",
    description = paste(
      "Days absent from school in one year for 146 children, classified by",
      "ethnic background, sex, age group and learner status; a classic",
      "over-dispersed count example."
    )
  ),
  dobson = list(
    data = dobson,
    title = "Dobson's Randomized Controlled Trial Counts",
    source = "R package stats, example in ?glm (Dobson 1990, p. 93)",
    description = paste(
      "Nine counts cross-classified by a three-level outcome and a three-level",
      "treatment, the Poisson regression example from R's glm help page."
    )
  ),
  birthwt = list(
    data = birthwt_df,
    title = "Risk Factors Associated with Low Infant Birth Weight",
    source = "R package MASS, dataset birthwt",
    description = paste(
      "189 births at Baystate Medical Center, Springfield, Mass. (1986): low birth",
      "weight indicator `low`, mother's age, weight `lwt`, race (1 = white,",
      "2 = black, 3 = other, an integer code as in R), smoking, previous premature",
      "labours `ptl`, hypertension `ht`, uterine irritability `ui`, physician visits",
      "`ftv` and birth weight `bwt` in grams. R's row names (study ids) are dropped."
    )
  ),
  trees = list(
    data = trees,
    title = "Diameter, Height and Volume for Black Cherry Trees",
    source = "R package datasets, dataset trees",
    description = paste(
      "Girth (diameter in inches at 4 ft 6 in), height (ft) and volume of timber",
      "(cubic ft) of 31 felled black cherry trees."
    )
  ),
  ToothGrowth = list(
    data = ToothGrowth,
    title = "The Effect of Vitamin C on Tooth Growth in Guinea Pigs",
    source = "R package datasets, dataset ToothGrowth",
    description = paste(
      "Length of odontoblasts in 60 guinea pigs given vitamin C at three doses",
      "(0.5, 1 and 2 mg/day, the number `dose`) by one of two delivery methods",
      "`supp` (OJ = orange juice, VC = ascorbic acid)."
    )
  ),
  PlantGrowth = list(
    data = PlantGrowth,
    title = "Results from an Experiment on Plant Growth",
    source = "R package datasets, dataset PlantGrowth",
    description = paste(
      "Dried weight of 30 plants under a control and two treatment conditions",
      "(`group`: ctrl, trt1, trt2)."
    )
  ),
  airquality = list(
    data = airquality,
    title = "New York Air Quality Measurements",
    source = "R package datasets, dataset airquality",
    description = paste(
      "Daily ozone (ppb), solar radiation `Solar.R`, wind (mph) and temperature (F)",
      "in New York, May to September 1973. `Ozone` and `Solar.R` have missing",
      "values (NA in R; NaN here, so those integer columns load as float64)."
    )
  ),
  ChickWeight = list(
    data = chick_df,
    title = "Weight versus Age of Chicks on Different Diets",
    source = "R package datasets, dataset ChickWeight (Crowder and Hand 1990)",
    description = paste(
      "Body weight (g) of 50 chicks measured every other day from birth (`Time`,",
      "days 0 to 20, and day 21), on one of four protein diets; 578 rows, five",
      "chicks with fewer than 12 measurements. `Chick` is an ordered factor in R",
      "(levels ordered by final weight within diet); here an unordered factor with",
      "R's level order, ready as a grouping factor: lmer(weight ~ Time + Diet +",
      "(1 + Time | Chick))."
    )
  )
)

column_type <- function(x) {
  if (is.factor(x)) "factor"
  else if (is.integer(x)) "integer"
  else if (is.double(x)) "double"
  else if (is.logical(x)) "logical"
  else "character"
}

for (name in names(datasets)) {
  d <- datasets[[name]]
  df <- d$data
  is_fac <- vapply(df, is.factor, logical(1))
  is_ord <- vapply(df, is.ordered, logical(1))
  factors <- setNames(
    lapply(names(df)[is_fac], function(col) I(levels(df[[col]]))),
    names(df)[is_fac]
  )
  if (length(factors) == 0) factors <- setNames(list(), character(0))
  meta <- list(
    name = name,
    title = d$title,
    source = d$source,
    description = d$description,
    n_rows = nrow(df),
    n_cols = ncol(df),
    columns = I(names(df)),
    types = as.list(vapply(df, column_type, character(1))),
    factors = factors,
    ordered = I(names(df)[is_ord])
  )
  csv_df <- df
  csv_df[is_fac] <- lapply(csv_df[is_fac], as.character)
  write.csv(csv_df, file.path(out_dir, paste0(name, ".csv")), row.names = FALSE)
  write_json(meta, file.path(out_dir, paste0(name, ".json")),
             auto_unbox = TRUE, pretty = TRUE, digits = NA)
  cat("wrote", name, "\n")
}
