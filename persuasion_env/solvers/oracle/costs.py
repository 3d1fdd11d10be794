"""Costly queries in the oracle game (MODEL.md B5): effective threshold costs, the adaptive
interval recursion with a stop option, and a tree's expected query cost."""

from __future__ import annotations

import numpy as np

from persuasion_env._validation import (
    check_int,
)
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle.plans import (
    QueryNode,
)
from persuasion_env.solvers.oracle.thresholds import (
    realisable_thresholds,
)


def _effective_costs(og: OracleGame, costs: np.ndarray | None) -> np.ndarray:
    """``(T,)`` cost per threshold index (entry 0 unused); +inf where not realisable."""
    T = og.n_types
    c = np.zeros(T)
    if costs is not None:
        c[1:] = costs
    c[0] = np.inf
    if T > 1:
        c[1:][~realisable_thresholds(og)] = np.inf
    return c


def interval_recursion(
    V: np.ndarray,
    budget: int | None,
    *,
    cost: np.ndarray | None = None,
    mass: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The adaptive interval recursion (B3 check, B5 with costs).

    ``G_k[i, j] = max(V[i, j], max_{i < t <= j} G_{k-1}[i, t-1] + G_{k-1}[t, j] - c_t P[i..j])``
    with ``G_0 = V`` (budget ``k``), or its fixed point when ``budget`` is None (costly
    queries, no budget: then costs should be positive or the recursion simply splits fully).

    Args:
        V: ``(T, T)`` interval values.
        budget: K >= 0, or None for unlimited queries.
        cost: ``(T,)`` threshold costs (index 0 unused; inf forbids).
        mass: ``(T,)`` type marginal (needed with costs).

    Returns:
        ``(G, splits)``: the value table for the whole budget, and per level k = 1..K the
        ``(T, T)`` argmax threshold with k queries left (0 = stop and commit).
    """
    T = V.shape[0]
    c = np.zeros(T) if cost is None else np.asarray(cost, dtype=np.float64)
    pm = np.zeros(T) if mass is None else np.asarray(mass, dtype=np.float64)
    cum = np.r_[0.0, np.cumsum(pm)]
    levels = (T - 1) if budget is None else min(check_int(budget, "budget", minimum=0), T - 1)
    G = np.array(V, dtype=np.float64)
    splits_by_level: list[np.ndarray] = []
    for _ in range(levels):
        G_new = G.copy()
        split_new = np.zeros((T, T), dtype=np.int64)
        for d in range(1, T):
            i = np.arange(T - d)
            j = i + d
            # t = i+1 .. j  -> offsets 1..d
            offs = np.arange(1, d + 1)
            tt = i[:, None] + offs[None, :]
            left = G[i[:, None], tt - 1]
            right = G[tt, j[:, None]]
            ct = c[tt]
            forbidden = np.isinf(ct)
            pay = left + right - np.where(forbidden, 0.0, ct) * (cum[j + 1] - cum[i])[:, None]
            pay[forbidden] = -np.inf
            k = np.argmax(pay, axis=1)
            best = pay[np.arange(T - d), k]
            better = best > V[i, j] + 1e-13
            G_new[i, j] = np.where(better, best, V[i, j])
            split_new[i, j] = np.where(better, tt[np.arange(T - d), k], 0)
        splits_by_level.append(split_new)
        converged = bool(np.array_equal(G_new, G))
        G = G_new
        if converged:
            break
    G.setflags(write=False)
    return G, splits_by_level


def _expected_cost(node: QueryNode, cost: np.ndarray, mass: np.ndarray) -> float:
    if node.is_leaf:
        return 0.0
    p = float(mass[node.lo : node.hi + 1].sum())
    return (
        cost[node.threshold] * p  # type: ignore[index]
        + _expected_cost(node.below, cost, mass)  # type: ignore[arg-type]
        + _expected_cost(node.above, cost, mass)  # type: ignore[arg-type]
    )
