"""Independent references for the oracle-game tests (written from MODEL.md B2, not the library)."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog


def b2_value(psi: np.ndarray, u: np.ndarray, types: list[int]) -> float:
    """B2 LP for a set of types, from scratch: variables x[w, k] for message k ("types >= k-th
    act") written in the y-form ``y[w,k] = sum_{s<=k} x[w,s]`` (monotone in k, <= 1)."""
    W = psi.shape[0]
    n = len(types)
    if n == 0:
        return 0.0
    # variables y[w, k] at w * n + k
    c = np.zeros(W * n)
    for k, t in enumerate(types):
        c[np.arange(W) * n + k] = -psi[:, t]
    rows, b = [], []
    for w in range(W):
        for k in range(n - 1):  # y[w,k] - y[w,k+1] <= 0
            r = np.zeros(W * n)
            r[w * n + k], r[w * n + k + 1] = 1.0, -1.0
            rows.append(r)
            b.append(0.0)
    for k, t in enumerate(types):  # sum_w a[w,t] (y[w,k] - y[w,k-1]) >= 0
        a = psi[:, t] * u[:, t]
        a = a / max(np.abs(a).max(), 1e-300)
        r = np.zeros(W * n)
        r[np.arange(W) * n + k] = -a
        if k > 0:
            r[np.arange(W) * n + k - 1] = a
        rows.append(r)
        b.append(0.0)
    res = linprog(c, A_ub=np.array(rows), b_ub=np.array(b), bounds=(0, 1), method="highs")
    assert res.status == 0
    return float(-res.fun)


def all_trees(T: int, depth: int):
    """Every query tree with at most ``depth`` queries on a path: None (leaf) or (t, no, yes)."""
    yield None
    if depth == 0:
        return
    subs = list(all_trees(T, depth - 1))
    for t in range(1, T):
        for below, above in itertools.product(subs, subs):
            yield (t, below, above)


def tree_value(tree, T: int, value_of_set) -> float:
    """Value of a tree: run it for every type, group types by the answers, sum set values."""
    groups: dict[tuple, list[int]] = {}
    for typ in range(T):
        node, path = tree, []
        while node is not None:
            t, below, above = node
            yes = typ >= t
            path.append(yes)
            node = above if yes else below
        groups.setdefault(tuple(path), []).append(typ)
    return sum(value_of_set(tuple(g)) for g in groups.values())
