"""The points a thin plate basis is built on: mgcv's unique rows (``Xd_strip``) and, for
more than ``max.knots`` of them, R's ``set.seed(1); sample(...)`` subset of
``uniquecombs(x, ordered = TRUE)``, replayed exactly (Mersenne-Twister seeding, R >= 3.6
rejection sampling) without touching any random state.

References: mgcv 1.8-41 ``smooth.construct.tp.smooth.spec``, ``uniquecombs``,
``src/tprs.c`` (``Xd_strip``); R 4.2 ``src/main/RNG.c``, ``R_unif_index``.
"""
from __future__ import annotations

import math

import numpy as np


def _strip(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique rows of x in lexicographic order (mgcv's ``Xd_strip``) and, for each row of
    x, the index of its unique row."""
    order = np.lexsort(x.T[::-1])
    xs = x[order]
    new = np.ones(len(xs), dtype=bool)
    new[1:] = np.any(xs[1:] != xs[:-1], axis=1)
    group = np.cumsum(new) - 1
    index = np.empty(len(x), dtype=int)
    index[order] = group
    return xs[new], index


def _r_sample(n: int, size: int, seed: int) -> np.ndarray:
    """R's ``set.seed(seed); sample(n, size)`` (Mersenne-Twister, rejection sampling):
    0-based indices. R's seeding scrambles the seed with an LCG; the 32-bit draws then
    equal numpy's MT19937 given that state."""
    s = seed & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    key = np.empty(625, dtype=np.uint32)
    for j in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        key[j] = s
    bg = np.random.MT19937(0)
    bg.state = {"bit_generator": "MT19937", "state": {"key": key[1:], "pos": 624}}
    pool = np.arange(n)
    out = np.empty(size, dtype=int)
    left = n
    for i in range(size):
        bits = math.ceil(math.log2(left)) if left > 1 else 0
        while True:  # R_unif_index: 16 bits of each draw until below `left`
            v = 0
            for _ in range(0, bits + 1, 16):
                v = 65536 * v + (int(bg.random_raw()) >> 16)
            v &= (1 << bits) - 1
            if v < left:
                break
        out[i] = pool[v]
        pool[v] = pool[left - 1]
        left -= 1
    return out


def _unique_ordered(x: np.ndarray) -> np.ndarray:
    """mgcv's ``uniquecombs(x, ordered = TRUE)``: sorted unique values in 1-D; in more
    dimensions rows unique and ordered by R's text of them (15 significant digits)."""
    if x.shape[1] == 1:
        return np.unique(x[:, 0])[:, None]
    from aurora.compile.rfunctions import r_character

    keys = ["*".join(r_character(float(v)) for v in row) for row in x]
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return x[[first[key] for key in sorted(first)]]
