"""R's ``abbreviate()`` (``method = "left.kept"``, ``use.classes = TRUE``), as lme4 uses it
to label the correlation of fixed effects.

The C routine (``stripchars`` in R's ``character.c``) removes characters from the right
until the string is ``minlength`` long: first lower-case vowels ending a word, then
lower-case vowels not starting a word, then lower-case letters ending a word, then
lower-case letters not starting a word, then anything not starting a word; spaces count
as word boundaries and are removed at the end. The R function repeats with a larger
``minlength`` for abbreviations that collide.
"""
from __future__ import annotations

from typing import Sequence

__all__ = ["abbreviate"]

_VOWELS = set("aeiou")


def _strip(s: str, minlen: int, use_classes: bool = True) -> str:
    b = list(s.lstrip())
    if len(b) < minlen:
        return "".join(b)
    nspace = 0
    trailing = True
    done = False
    for i in range(len(b) - 1, 0, -1):  # trailing blanks go, inner ones are counted
        if b[i].isspace():
            if trailing:
                del b[i:]
            else:
                nspace += 1
        else:
            trailing = False
        if len(b) - nspace <= minlen:
            done = True
            break

    def first(i: int) -> bool:
        return b[i - 1].isspace()

    def last(i: int) -> bool:
        return not b[i - 1].isspace() and (i + 1 >= len(b) or b[i + 1].isspace())

    rules = []
    if use_classes:
        rules = [lambda i: b[i] in _VOWELS and last(i),
                 lambda i: b[i] in _VOWELS and not first(i),
                 lambda i: b[i].islower() and last(i),
                 lambda i: b[i].islower() and not first(i)]
    rules.append(lambda i: not first(i) and not b[i].isspace())
    if not done:
        for rule in rules:
            for i in range(len(b) - 1, 0, -1):
                if i < len(b) and rule(i):
                    del b[i]
                if len(b) - nspace <= minlen:
                    done = True
                    break
            if done:
                break
    if len(b) > minlen:
        b = [b[0]] + [c for c in b[1:] if not c.isspace()]
    return "".join(b)


def abbreviate(names: Sequence[str], minlength: int = 4, strict: bool = False) -> list[str]:
    """R's ``abbreviate(names, minlength)``.

    Examples
    --------
    >>> abbreviate(["(Intercept)", "Days", "serviceB"], 6)
    ['(Intr)', 'Days', 'servcB']
    >>> abbreviate(["(Intercept)", "Days"], 11)
    ['(Intercept)', 'Days']
    """
    names = [str(n).strip(" ") for n in names]
    uniq = list(dict.fromkeys(names))
    if strict:
        x = [_strip(n, minlength) for n in uniq]
    else:
        x = list(uniq)
        todo = [True] * len(uniq)
        ml = minlength
        while True:
            for i, flag in enumerate(todo):
                if flag:
                    x[i] = _strip(uniq[i], ml)
            seen: set[str] = set()
            dup = []
            for v in x:
                dup.append(v in seen)
                seen.add(v)
            if not any(dup):
                break
            ml += 1
            dup_vals = {v for v, d in zip(x, dup) if d}
            todo = [d or (v in dup_vals) for v, d in zip(x, dup)]
    lookup = dict(zip(uniq, x))
    return [lookup[n] for n in names]
