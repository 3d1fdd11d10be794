"""Query planning in the oracle game (MODEL.md B3, B5): the non-adaptive prefix DP, adaptive
plans by binary search over its thresholds (or by the cost recursion), the greedy planner, and
:func:`plan_queries`, which picks among them (and plans on a rounded game when asked, B4)."""

from __future__ import annotations

from typing import Any

import numpy as np

from persuasion_env._validation import (
    check_bool,
    check_costs,
    check_instance,
    check_int,
)
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle.costs import (
    _effective_costs,
    _expected_cost,
    interval_recursion,
)
from persuasion_env.solvers.oracle.intervals import (
    interval_policy,
    interval_values,
)
from persuasion_env.solvers.oracle.plans import (
    QueryNode,
    QueryPlan,
    _internal_nodes,
    _tree_gross,
)
from persuasion_env.solvers.oracle.rounding import (
    lift_plan,
    round_game,
)


def nonadaptive_dp(
    V: np.ndarray, n_thresholds: int, cost: np.ndarray | None = None
) -> tuple[float, list[int]]:
    """Best partition of ``0..T-1`` into at most ``n_thresholds + 1`` ranges (B3 prefix DP).

    ``F[l][j] = max(F[l-1][j], max_{1 <= i <= j} F[l-1][i-1] + V[i, j] - cost[i])``,
    ``F[0][j] = V[0, j]``, in ``O(L T^2)``.

    Args:
        V: ``(T, T)`` interval values.
        n_thresholds: L >= 0.
        cost: optional ``(T,)`` cost of threshold i (entry 0 ignored; inf forbids).

    Returns:
        ``(value, thresholds)`` with the sorted thresholds used (fewest among ties).
    """
    T = V.shape[0]
    L = min(check_int(n_thresholds, "n_thresholds", minimum=0), T - 1)
    c = np.zeros(T) if cost is None else np.asarray(cost, dtype=np.float64)
    F = V[0].copy()  # F[j] with <= l thresholds
    choices: list[np.ndarray] = []  # per level: start i of the last range (0: no new cut)
    Vc = np.where(np.isfinite(V), V, -np.inf)
    for _ in range(L):
        cand = F[:-1][:, None] + Vc[1:, :] - c[1:, None]  # (i-1 -> rows), columns j
        cand = np.where(np.triu(np.ones((T - 1, T), dtype=bool), k=1), cand, -np.inf)
        best_i = np.argmax(cand, axis=0)
        best = cand[best_i, np.arange(T)]
        improve = best > F + 1e-13
        choice = np.where(improve, best_i + 1, 0)
        F = np.where(improve, best, F)
        choices.append(choice)
    # reconstruct: walk back from j = T-1 through the levels
    thresholds: list[int] = []
    j = T - 1
    for level in range(len(choices) - 1, -1, -1):
        i = int(choices[level][j])
        if i > 0:
            thresholds.append(i)
            j = i - 1
    return float(F[T - 1]), sorted(thresholds)


def _tree_from_levels(
    og: OracleGame, splits: list[np.ndarray], lo: int, hi: int, k: int, policies: bool
) -> QueryNode:
    t = int(splits[k - 1][lo, hi]) if k > 0 else 0
    if t == 0:
        return QueryNode(lo, hi, leaf=interval_policy(og, lo, hi) if policies else None)
    return QueryNode(
        lo,
        hi,
        t,
        below=_tree_from_levels(og, splits, lo, t - 1, k - 1, policies),
        above=_tree_from_levels(og, splits, t, hi, k - 1, policies),
    )


def _binary_search_tree(
    og: OracleGame, thresholds: list[int], lo: int, hi: int, policies: bool
) -> QueryNode:
    inside = [t for t in thresholds if lo < t <= hi]
    if not inside:
        return QueryNode(lo, hi, leaf=interval_policy(og, lo, hi) if policies else None)
    # the median of the undecided thresholds: depth ceil(log2(len(inside) + 1))
    t = inside[(len(inside) - 1) // 2]
    return QueryNode(
        lo,
        hi,
        t,
        below=_binary_search_tree(og, inside, lo, t - 1, policies),
        above=_binary_search_tree(og, inside, t, hi, policies),
    )


def plan_queries(
    og: OracleGame,
    budget: int | None = None,
    *,
    adaptive: bool = True,
    costs: Any = None,
    eps: float | None = None,
    policies: bool = True,
    n_jobs: int = 1,
) -> QueryPlan:
    """The sender-optimal querying plan and the messaging policy at each leaf (B3–B5).

    Args:
        og: the game.
        budget: number of queries K (None: unlimited, which needs ``costs`` or means "ask
            everything useful").
        adaptive: True (default): adaptive plan; with a budget and no costs it is the optimal
            non-adaptive partition with ``min(2^K - 1, T - 1)`` thresholds run by binary search
            (Lemma 3.5); with costs, the interval recursion of B5. False: the ``K`` thresholds
            (all asked) of the prefix DP; with costs each used threshold is paid.
        costs: ``(T-1,)`` non-negative query costs, ``costs[t-1]`` for "type >= t" (B5).
        eps: if given, solve on the ε-rounded game (B4, :func:`round_game`), lift the plan back
            and report its exact value on ``og``: ``value`` is what the returned plan earns on
            ``og``, ``info["rounded_value"]`` the plan's value on the rounded game and
            ``info["lifted_value"]`` what the lifted plan earns on ``og``. If the latter is below
            the no-query value, the no-query plan is returned instead (``info["fallback"]``
            says so). ``known_type_value`` and ``no_query_value`` are those of ``og``.
        policies: compute the leaf messaging policies (skip for speed when only values matter).
        n_jobs: worker processes for the interval table.

    Returns:
        A :class:`QueryPlan`.

    Raises:
        TypeError: on a non-integer budget.
        ValueError: on a negative budget or costs, or costs of the wrong length.
    """
    check_instance(og, OracleGame, "og")
    T = og.n_types
    if budget is not None:
        budget = check_int(budget, "budget", minimum=0)
    adaptive = check_bool(adaptive, "adaptive")
    policies = check_bool(policies, "policies")
    c_in = None if costs is None else check_costs(costs, T)
    if eps is not None:
        return _rounded_plan(og, budget, adaptive=adaptive, costs=c_in, eps=eps, policies=policies)
    V = interval_values(og, n_jobs=n_jobs)
    mass = og.type_marginal
    cost = _effective_costs(og, c_in)
    known = float(np.trace(V))
    if adaptive and c_in is not None:
        _, levels = interval_recursion(V, budget, cost=cost, mass=mass)
        tree = _tree_from_levels(og, levels, 0, T - 1, len(levels), policies)
        method = "dp-costly"
    else:
        if budget is None:
            n_thr = T - 1
        elif adaptive:
            n_thr = min(2**budget - 1 if budget < 63 else T - 1, T - 1)
        else:
            n_thr = min(budget, T - 1)
        _, thresholds = nonadaptive_dp(V, n_thr, cost)
        tree = _binary_search_tree(og, thresholds, 0, T - 1, policies)
        method = "dp"
    leaves_nodes = tree.leaves()
    thresholds_all = sorted(
        {n.threshold for n in _internal_nodes(tree)}  # type: ignore[misc]
    )
    gross = _tree_gross(tree, V)
    if adaptive:
        exp_cost = _expected_cost(tree, cost, mass) if c_in is not None else 0.0
    else:
        exp_cost = float(sum(cost[t] for t in thresholds_all)) if c_in is not None else 0.0
    return QueryPlan(
        value=float(gross - exp_cost),
        thresholds=tuple(int(t) for t in thresholds_all),
        tree=tree,
        leaves=tuple(n.leaf for n in leaves_nodes),
        adaptive=adaptive,
        budget=budget,
        costs=c_in,
        gross_value=gross,
        expected_cost=exp_cost,
        known_type_value=known,
        no_query_value=float(V[0, T - 1]),
        method=method,
    )


def greedy_plan(
    og: OracleGame, budget: int | None = None, *, costs: Any = None, policies: bool = True
) -> QueryPlan:
    """The myopic planner (baseline, not optimal: seed §3.2).

    At each range it asks the threshold with the largest immediate value
    ``V[lo, t-1] + V[t, hi] - c_t P[lo..hi]`` (ties: the lowest t), as long as budget is left
    and (with costs) the query pays for itself immediately.
    """
    check_instance(og, OracleGame, "og")
    T = og.n_types
    if budget is not None:
        budget = check_int(budget, "budget", minimum=0)
    policies = check_bool(policies, "policies")
    c_in = None if costs is None else check_costs(costs, T)
    V = interval_values(og)
    mass = og.type_marginal
    cost = _effective_costs(og, c_in)
    cum = np.r_[0.0, np.cumsum(mass)]

    def build(lo: int, hi: int, k: int | None) -> QueryNode:
        if hi > lo and (k is None or k > 0):
            ts = np.arange(lo + 1, hi + 1)
            ct = cost[ts]
            gain = (
                V[lo, ts - 1]
                + V[ts, hi]
                - np.where(np.isinf(ct), 0.0, ct) * (cum[hi + 1] - cum[lo])
            )
            gain[np.isinf(ct)] = -np.inf
            b = int(np.argmax(gain))
            ok = np.isfinite(gain[b]) and (
                gain[b] > V[lo, hi] + 1e-13 if c_in is not None else True
            )
            if ok:
                t = int(ts[b])
                nk = None if k is None else k - 1
                return QueryNode(lo, hi, t, below=build(lo, t - 1, nk), above=build(t, hi, nk))
        return QueryNode(lo, hi, leaf=interval_policy(og, lo, hi) if policies else None)

    tree = build(0, T - 1, budget if budget is not None else (None if c_in is not None else T - 1))
    gross = _tree_gross(tree, V)
    exp_cost = _expected_cost(tree, cost, mass) if c_in is not None else 0.0
    return QueryPlan(
        value=float(gross - exp_cost),
        thresholds=tuple(sorted({int(n.threshold) for n in _internal_nodes(tree)})),  # type: ignore[arg-type]
        tree=tree,
        leaves=tuple(n.leaf for n in tree.leaves()),
        adaptive=True,
        budget=budget,
        costs=c_in,
        gross_value=gross,
        expected_cost=exp_cost,
        known_type_value=float(np.trace(V)),
        no_query_value=float(V[0, T - 1]),
        method="greedy",
    )


def _rounded_plan(
    og: OracleGame,
    budget: int | None,
    *,
    adaptive: bool,
    costs: np.ndarray | None,
    eps: float,
    policies: bool,
) -> QueryPlan:
    rg = round_game(og, eps)
    T_r = rg.game.n_types
    c_r = None
    if costs is not None:
        first = np.array([int(np.nonzero(rg.type_bin == k)[0][0]) for k in range(T_r)])
        c_r = costs[first[1:] - 1]
    plan_r = plan_queries(rg.game, budget, adaptive=adaptive, costs=c_r, policies=True)
    lifted = lift_plan(rg, plan_r, og, costs=costs)
    lifted.info["lifted_value"] = float(lifted.value)
    if lifted.value >= lifted.no_query_value:
        return lifted
    # Rounding lost more than the queries gain: not asking at all (the exact B2 policy of the
    # whole range on og) earns more, and is always available to the sender.
    leaf = interval_policy(og, 0, og.n_types - 1)
    return QueryPlan(
        value=leaf.value,
        thresholds=(),
        tree=QueryNode(0, og.n_types - 1, leaf=leaf),
        leaves=(leaf,),
        adaptive=adaptive,
        budget=budget,
        costs=costs,
        gross_value=leaf.value,
        expected_cost=0.0,
        known_type_value=lifted.known_type_value,
        no_query_value=lifted.no_query_value,
        method=lifted.method + "+no-query",
        info={
            **lifted.info,
            "fallback": "no query: the lifted rounded plan earns less than V[0, T-1] on the "
            "original game",
        },
    )
