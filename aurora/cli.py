"""The ``aurora`` command: ``aurora demo`` and ``aurora fit FORMULA --data FILE.csv``.

``aurora demo`` fits GLMs, GAMs, a linear mixed model and an additive mixed model to the
datasets the package ships and prints each summary as R prints it.

Errors in what the user gave (a data file that cannot be read, an unknown column,
family or link, a formula that does not parse, and any other
:class:`~aurora.errors.AuroraError`) print one line, ``aurora: error: ...``, to stderr and
exit with status 2, as argparse does for bad arguments; no traceback.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Sequence, TextIO

import pandas as pd

from aurora.errors import AuroraError, DataError, FormulaSyntaxError

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
    ("Additive model (mgcv::gam, REML): ozone by solar radiation, wind and temperature",
     "Ozone ~ s(Solar.R) + s(Wind) + s(Temp)", "airquality", "Gamma(link = \"log\")", {}),
    ("Additive model with a tensor product: tree volume by girth and height (trees)",
     "Volume ~ te(Girth, Height, k = 4)", "trees", "gaussian", {}),
    ("Linear mixed model (lme4::lmer, REML): growth of 50 chicks on four diets (ChickWeight)",
     "weight ~ Time + Diet + (1 + Time | Chick)", "ChickWeight", "gaussian", {}),
    ("Additive mixed model (gamm4::gamm4): a smooth growth curve and a random intercept\n"
     "per chick (ChickWeight): summary(m$gam), then summary(m$mer)",
     "weight ~ Diet + s(Time) + (1 | Chick)", "ChickWeight", "gaussian", {}),
)
_EXIT_USAGE = 2  # argparse's status for bad arguments; ours for bad input
_SNIFF_BYTES = 8192


def demo(out: TextIO | None = None) -> None:
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
            ast = aurora.parse(formula)
            if ast.random_effects and ast.smooths:
                from aurora.api import gamm

                m = gamm(formula, data, family=family, **kw)
            elif ast.random_effects:  # Gaussian: lme4 prints Data: <name>
                m = aurora.lmer(formula, data, data_name=dataset, **kw)
            else:
                fit = aurora.gam if ast.smooths else aurora.glm
                m = fit(formula, data, family=family, **kw)
        print("=" * 78, file=out)
        print(title, file=out)
        print("=" * 78, file=out)
        print(m.summary(), file=out)
        print(file=out)


def _read_data(path: str) -> pd.DataFrame:
    """Read the ``--data`` CSV file, turning every way it can fail into a :class:`DataError`.

    Parameters
    ----------
    path : str
        A CSV file with a header line.

    Returns
    -------
    DataFrame
        As :func:`aurora.io.read_csv` (text columns as factors with sorted levels).

    Raises
    ------
    DataError
        When the file does not exist, is a directory, cannot be opened (permissions),
        holds binary data or text that is not UTF-8, is empty, or is not valid CSV.

    Examples
    --------
    >>> try:
    ...     _read_data("no/such/file.csv")
    ... except DataError as exc:
    ...     print(exc.message)
    cannot read the data file 'no/such/file.csv': no such file
    """
    from aurora.io import read_csv

    def bad(why: str, fix: str | None = None) -> DataError:
        return DataError(f"cannot read the data file {path!r}: {why}", fix)

    file = Path(path)
    if not file.exists():
        raise bad("no such file")
    if file.is_dir():
        raise bad("it is a directory", "give the path of a CSV file")
    try:
        with open(file, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise bad(exc.strerror or str(exc)) from exc
    if b"\0" in head:
        raise bad("it holds binary data, not CSV text", "give a CSV file (comma-separated text)")
    try:
        return read_csv(file)
    except UnicodeDecodeError as exc:
        raise bad(f"it is not UTF-8 text ({exc.reason} at byte {exc.start})",
                  "save the file as UTF-8 CSV") from exc
    except pd.errors.EmptyDataError as exc:
        raise bad("it is empty (no header line)") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise bad(f"it is not valid CSV ({_first_line(str(exc))})") from exc
    except OSError as exc:
        raise bad(exc.strerror or str(exc)) from exc


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _error_line(exc: AuroraError) -> str:
    """The one-line form of an error, as the command prints it (after ``aurora: error:``).

    Multi-line messages (a formula with a caret under the problem, a ``Fix:`` hint) are
    folded into a single line.

    Examples
    --------
    >>> from aurora.errors import UnknownNameError
    >>> _error_line(UnknownNameError("family", "poison", ["gaussian", "poisson"]))
    "unknown family 'poison'; fix: use one of: gaussian, poisson"
    """
    if isinstance(exc, FormulaSyntaxError):
        text = f"{_first_line(exc.message)} (at character {exc.position + 1} of {exc.formula!r})"
    else:
        text = " ".join(line.strip() for line in exc.message.splitlines() if line.strip())
    if exc.fix:
        text += "; fix: " + " ".join(exc.fix.split())
    return text


def _fit(args: argparse.Namespace) -> int:
    import aurora

    data = _read_data(args.data)
    if aurora.parse(args.formula).smooths:
        m = aurora.gam(args.formula, data, family=args.family, link=args.link,
                       method=args.method or "REML", weights=args.weights, offset=args.offset,
                       engine=args.engine)
    else:
        m = aurora.glm(args.formula, data, family=args.family, link=args.link,
                       weights=args.weights, offset=args.offset, engine=args.engine)
    print(m.summary())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aurora", description="R-style GLMs from the shell")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="fit the shipped examples and print their summaries")
    fit = sub.add_parser("fit", help="fit a model to a CSV file and print its summary")
    fit.add_argument("formula")
    fit.add_argument("--data", required=True, help="CSV file")
    fit.add_argument("--family", default="gaussian")
    fit.add_argument("--link", default=None)
    fit.add_argument("--method", default=None,
                     help="smoothing-parameter method of a GAM: REML (default), ML, GCV.Cp")
    fit.add_argument("--weights", default=None, help="column of prior weights")
    fit.add_argument("--offset", default=None, help="column of offsets")
    fit.add_argument("--engine", default="numpy", choices=["numpy", "jax", "torch", "pytorch"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aurora`` console script; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 for bad input, after printing ``aurora: error: ...`` (one line)
        to stderr.

    Examples
    --------
    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     main(["fit", "y ~ x", "--data", "no/such/file.csv"])
    2
    >>> err.getvalue()
    "aurora: error: cannot read the data file 'no/such/file.csv': no such file\\n"
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            demo()
            return 0
        return _fit(args)
    except AuroraError as exc:
        print(f"aurora: error: {_error_line(exc)}", file=sys.stderr)
        return _EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
