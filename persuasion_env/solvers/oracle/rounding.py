"""Rounding of the oracle game (MODEL.md B4): merge types into ε-quantile bins, plan on the
rounded game, lift the plan back and evaluate it exactly on the original game."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from persuasion_env._validation import (
    check_costs,
    check_instance,
    check_positive,
)
from persuasion_env.oracle.game import OracleGame
from persuasion_env.oracle.model import policy_payoff
from persuasion_env.solvers.oracle.costs import (
    _expected_cost,
)
from persuasion_env.solvers.oracle.intervals import (
    LeafPolicy,
    interval_policy,
)
from persuasion_env.solvers.oracle.plans import (
    QueryNode,
    QueryPlan,
    _internal_nodes,
)


@dataclass(frozen=True, eq=False)
class RoundedGame:
    """An ε-rounded game (B4) and the maps back to the original.

    Attributes:
        game: the rounded :class:`OracleGame`.
        state_bin: ``(W,)`` rounded state index of each original state.
        type_bin: ``(T,)`` rounded type index of each original type.
        eps: the quantile step.
    """

    game: OracleGame
    state_bin: np.ndarray
    type_bin: np.ndarray
    eps: float


def _quantile_bins(marginal: np.ndarray, eps: float) -> np.ndarray:
    """Bin of each point when rounding down to the nearest ε-quantile point."""
    F = np.cumsum(marginal)
    n = int(math.floor(1.0 / eps + 1e-12))
    ks = np.arange(n + 1) * eps
    # quantile point q_k = first index with F >= k eps (q_0 = 0)
    q = np.searchsorted(F, ks - 1e-12, side="left")
    q = np.unique(np.clip(q, 0, marginal.size - 1))
    q[0] = 0
    return np.searchsorted(q, np.arange(marginal.size), side="right") - 1


def round_game(og: OracleGame, eps: float) -> RoundedGame:
    """Round states and types down to the nearest ε-quantile of their marginals (B4).

    A rounded state is a block of consecutive states; the rounded game's utility of a block is
    the receiver's conditional expectation over it (exact for policies that treat the block's
    states alike). A rounded type is a block of consecutive types that keeps the block's mass
    but the belief and utility of its *lowest* type (of positive mass). This is a pessimistic
    variant of the seed's rounding (which keeps the block's pooled belief): by Lemma 2.6 every
    true type of a block acts whenever its rounded type does. At most ``1/ε + 1`` points per axis.

    Raises:
        ValueError: unless ``0 < eps <= 1``.
    """
    e = check_positive(eps, "eps")
    if e > 1:
        raise ValueError(f"eps must be in (0, 1], got {e}")
    sb = _quantile_bins(og.state_marginal, e)
    tb = _quantile_bins(og.type_marginal, e)
    nW, nT = int(sb.max()) + 1, int(tb.max()) + 1
    psi, u = og.joint_prior, og.receiver_utility
    P = og.type_marginal
    # each block's lowest type of positive mass (its first type if the block has no mass): a
    # type of zero mass has no belief to act on, so it cannot stand for the block
    lowest = np.array(
        [
            int(np.nonzero((tb == k) & (P > 0))[0][0])
            if np.any((tb == k) & (P > 0))
            else int(np.nonzero(tb == k)[0][0])
            for k in range(nT)
        ]
    )
    Sw = np.zeros((nW, og.n_states))
    Sw[sb, np.arange(og.n_states)] = 1.0
    St = np.zeros((og.n_types, nT))
    St[np.arange(og.n_types), tb] = 1.0
    P_bin = P @ St  # (nT,)
    # the rounded type K keeps its block's mass but the belief and utility of its lowest type
    belief = psi[:, lowest] / np.where(P[lowest] > 0, P[lowest], 1.0)  # (W, nT)
    fallback = (psi @ St) / np.where(P_bin > 0, P_bin, 1.0)
    belief = np.where((P[lowest] > 0)[None, :], belief, fallback)
    joint = belief * P_bin[None, :]  # (W, nT)
    psi_r = Sw @ joint
    num = Sw @ (joint * u[:, lowest])
    den = psi_r
    plain = (Sw @ u[:, lowest]) / Sw.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        u_r = np.where(den > 0, num / np.where(den > 0, den, 1.0), plain)
    states = np.array([og.states[sb == b].min() for b in range(nW)])
    types = og.types[lowest]
    game = OracleGame(
        states, types, psi_r, u_r, name=f"{og.name or 'game'}@eps={e:g}", check_assumptions=False
    )
    return RoundedGame(game, sb, tb, e)


def lift_plan(rg: RoundedGame, plan: QueryPlan, og: OracleGame, *, costs: Any = None) -> QueryPlan:
    """Map a plan of the rounded game back to ``og`` and evaluate it exactly there (B4).

    Args:
        rg: the rounded game.
        plan: a plan of ``rg.game``.
        og: the original game.
        costs: ``og``'s ``(T-1,)`` query costs; required when ``plan`` has costs (the rounded
            game's costs are indexed by rounded thresholds, the lifted plan pays ``og``'s).

    Raises:
        ValueError: if ``plan`` has costs and ``costs`` is missing or malformed.
    """
    og_costs = None
    if plan.costs is not None:
        if costs is None:
            raise ValueError("costs must be given (og's T-1 query costs) to lift a costly plan")
        og_costs = check_costs(costs, og.n_types)

    first_type = np.array([int(np.nonzero(rg.type_bin == k)[0][0]) for k in range(rg.game.n_types)])
    last_type = np.array([int(np.nonzero(rg.type_bin == k)[0][-1]) for k in range(rg.game.n_types)])

    def lift(node: QueryNode) -> QueryNode:
        lo, hi = int(first_type[node.lo]), int(last_type[node.hi])
        if node.is_leaf:
            leaf = None
            if node.leaf is not None:
                scheme = node.leaf.scheme[rg.state_bin]
                pay = float(policy_payoff(og, scheme)[lo : hi + 1].sum())
                leaf = LeafPolicy(
                    lo,
                    hi,
                    pay,
                    scheme,
                    tuple(
                        int(first_type[min(k, rg.game.n_types - 1)])
                        if k < rg.game.n_types
                        else hi + 1
                        for k in node.leaf.message_thresholds
                    ),
                    float(og.type_marginal[lo : hi + 1].sum()),
                )
            return QueryNode(lo, hi, leaf=leaf)
        return QueryNode(
            lo,
            hi,
            int(first_type[node.threshold]),  # type: ignore[index]
            below=lift(node.below),
            above=lift(node.above),
        )  # type: ignore[arg-type]

    tree = lift(plan.tree)
    return _finish_plan(
        og,
        tree,
        plan,
        og_costs,
        info={
            "rounded_value": plan.value,
            "eps": rg.eps,
            "rounded_types": rg.game.n_types,
            "rounded_states": rg.game.n_states,
        },
    )


def evaluate_plan(og: OracleGame, plan: QueryPlan) -> float:
    """The exact expected payoff of executing ``plan`` on ``og`` (true receivers decide).

    Raises:
        TypeError: ``og`` is not an :class:`OracleGame` or ``plan`` not a :class:`QueryPlan`.
        ValueError: ``plan`` was made for a game with another number of types.
    """
    check_instance(og, OracleGame, "og")
    check_instance(plan, QueryPlan, "plan")
    if (plan.tree.lo, plan.tree.hi) != (0, og.n_types - 1):
        raise ValueError(
            f"plan covers types {plan.tree.lo}..{plan.tree.hi} but og has {og.n_types} types "
            f"(0..{og.n_types - 1}): the plan was made for another game"
        )
    total = 0.0
    for n in plan.tree.leaves():
        leaf = n.leaf if n.leaf is not None else interval_policy(og, n.lo, n.hi)
        total += float(policy_payoff(og, leaf.scheme)[n.lo : n.hi + 1].sum())
    T = og.n_types
    cost = np.zeros(T) if plan.costs is None else np.r_[0.0, plan.costs]
    if plan.adaptive:
        total -= _expected_cost(plan.tree, cost, og.type_marginal)
    else:
        total -= float(sum(cost[t] for t in plan.thresholds))
    return total


def _reference_values(og: OracleGame) -> tuple[float, float]:
    """``(known_type_value, no_query_value)`` of ``og`` itself: ``sum_t V[t, t]`` and
    ``V[0, T-1]``, from the interval table when it is cached, else by T + 1 B2 LPs (not the
    whole table: rounded plans exist because the table of a large game is expensive)."""
    V = og._cache.get("V")
    T = og.n_types
    if V is not None:
        return float(np.trace(V)), float(V[0, T - 1])
    known = float(sum(interval_policy(og, t, t).value for t in range(T)))
    return known, float(interval_policy(og, 0, T - 1).value)


def _finish_plan(
    og: OracleGame,
    tree: QueryNode,
    template: QueryPlan,
    costs: np.ndarray | None,
    info: dict[str, Any],
) -> QueryPlan:
    T = og.n_types
    cost = np.zeros(T) if costs is None else np.r_[0.0, costs]
    gross = float(sum(n.leaf.value for n in tree.leaves() if n.leaf is not None))
    thresholds = tuple(sorted({int(n.threshold) for n in _internal_nodes(tree)}))  # type: ignore[arg-type]
    if template.adaptive:
        exp_cost = _expected_cost(tree, cost, og.type_marginal)
    else:
        exp_cost = float(sum(cost[t] for t in thresholds))
    known, no_query = _reference_values(og)
    return QueryPlan(
        value=float(gross - exp_cost),
        thresholds=thresholds,
        tree=tree,
        leaves=tuple(n.leaf for n in tree.leaves()),
        adaptive=template.adaptive,
        budget=template.budget,
        costs=costs,
        gross_value=gross,
        expected_cost=exp_cost,
        known_type_value=known,
        no_query_value=no_query,
        method="rounded-" + template.method,
        info=info,
    )
