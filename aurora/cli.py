"""The ``aurora`` command: ``aurora demo`` and ``aurora fit FORMULA --data FILE.csv``."""
from __future__ import annotations

import argparse
import sys
import warnings
from typing import Sequence

__all__ = ["main", "demo"]

_DEMOS = (
    ("Poisson regression: insect counts by spray (R: glm(count ~ spray, poisson, InsectSprays))",
     "count ~ spray", "InsectSprays", "poisson", {}),
    ("Logistic regression: transmission type by weight and horsepower (mtcars)",
     "am ~ wt + hp", "mtcars", "binomial", {}),
    ("Negative binomial regression, theta estimated as MASS::glm.nb (warpbreaks)",
     "breaks ~ wool * tension", "warpbreaks", "negative_binomial", {}),
    ("Poisson log-linear model of Dobson's 3x3 table (R's ?glm example)",
     "counts ~ outcome + treatment", "dobson", "poisson", {}),
)


def demo(out=None) -> None:
    """Fit the shipped example models and print their R-style summaries.

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> demo(buf)
    >>> "Number of Fisher Scoring iterations" in buf.getvalue()
    True
    """
    import aurora

    out = sys.stdout if out is None else out
    for title, formula, dataset, family, kw in _DEMOS:
        data = aurora.datasets.load(dataset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = aurora.glm(formula, data, family=family, **kw)
        print("=" * 78, file=out)
        print(title, file=out)
        print("=" * 78, file=out)
        print(m.summary(), file=out)
        print(file=out)


def _fit(args: argparse.Namespace) -> int:
    import aurora
    from aurora.io import read_csv

    data = read_csv(args.data)
    m = aurora.glm(args.formula, data, family=args.family, link=args.link,
                   weights=args.weights, offset=args.offset, engine=args.engine)
    print(m.summary())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aurora`` console script."""
    parser = argparse.ArgumentParser(prog="aurora", description="R-style GLMs from the shell")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="fit the shipped examples and print their summaries")
    fit = sub.add_parser("fit", help="fit a model to a CSV file and print its summary")
    fit.add_argument("formula")
    fit.add_argument("--data", required=True, help="CSV file")
    fit.add_argument("--family", default="gaussian")
    fit.add_argument("--link", default=None)
    fit.add_argument("--method", default=None, help="smoothing-parameter method (GAMs; unused for GLMs)")
    fit.add_argument("--weights", default=None, help="column of prior weights")
    fit.add_argument("--offset", default=None, help="column of offsets")
    fit.add_argument("--engine", default="numpy", choices=["numpy", "jax", "torch", "pytorch"])
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo()
        return 0
    from aurora.errors import AuroraError

    try:
        return _fit(args)
    except AuroraError as exc:
        print(f"aurora: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
