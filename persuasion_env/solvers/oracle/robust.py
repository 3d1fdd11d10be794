"""The robust sender against a noisy simulation oracle (MODEL.md B6).

The oracle (:class:`persuasion_env.oracle.oracles.NoisyOracle`) answers as a receiver of a
nearby type; :func:`robust_leaf` shifts the believed type range down by δ before solving the B2
LP, and :func:`noisy_payoff` is the exact expected payoff of a plan run against that oracle.
"""

from __future__ import annotations

import numpy as np

from persuasion_env._validation import check_int, check_probability
from persuasion_env.oracle.game import OracleGame
from persuasion_env.oracle.model import policy_payoff
from persuasion_env.oracle.oracles import simulated_type_distribution
from persuasion_env.solvers.oracle.intervals import LeafPolicy, interval_policy
from persuasion_env.solvers.oracle.plans import QueryPlan

__all__ = ["noisy_payoff", "robust_leaf"]


def robust_leaf(og: OracleGame, lo: int, hi: int, delta: float) -> LeafPolicy:
    """The robust sender's policy for answers naming ``lo..hi`` from a δ-noisy oracle (B6).

    The believed type range, as the quantile interval ``[F(lo-1), F(hi)]``, is shifted down by
    ``delta`` (clipped at 0); each type is weighted by the share of its quantile interval that
    the shifted interval covers, and the B2 LP is solved for these weights.
    """
    d = check_probability(delta, "delta")
    T = og.n_types
    lo = check_int(lo, "lo", minimum=0)
    hi = check_int(hi, "hi", minimum=lo)
    if hi >= T:
        raise ValueError(f"hi must be < T = {T}, got {hi}")
    if d == 0:
        return interval_policy(og, lo, hi)
    P = og.type_marginal
    F = np.r_[0.0, np.cumsum(P)]  # F[t] = P(type < t)
    a = max(F[lo] - d, 0.0)
    b = max(F[hi + 1] - d, 0.0)
    if b <= a + 1e-15:  # shifted below quantile 0: believe the lowest type of positive mass
        b = a + min(1e-9, float(P[P > 0][0]))
    overlap = np.clip(np.minimum(F[1:], b) - np.maximum(F[:-1], a), 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(P > 0, overlap / np.where(P > 0, P, 1.0), 0.0)
    inside = np.nonzero(overlap > 0)[0]
    if inside.size == 0:
        inside = np.array([0])
        w[0] = 1.0
    lo2, hi2 = int(inside[0]), int(inside[-1])
    return interval_policy(og, lo2, hi2, weights=np.clip(w[lo2 : hi2 + 1], 0.0, 1.0))


def noisy_payoff(
    og: OracleGame,
    plan: QueryPlan,
    delta: float,
    eta: float,
    *,
    robust: bool = True,
) -> float:
    """Exact expected payoff (``P(act)``) of a plan run against the noisy oracle of B6.

    The oracle's answers are those of the simulated type s (law
    :func:`simulated_type_distribution`), so the plan ends in the leaf containing s; the sender
    then commits to that leaf's policy (``robust=True``: :func:`robust_leaf`, shifted down by
    ``delta``) and the *true* type decides. Query costs, if any, are not subtracted.
    """
    d = check_probability(delta, "delta")
    e = check_probability(eta, "eta")
    T = og.n_types
    leaves = plan.tree.leaves()
    leaf_of = np.empty(T, dtype=int)
    for k, node in enumerate(leaves):
        leaf_of[node.lo : node.hi + 1] = k
    pay_by_leaf = np.empty((len(leaves), T))
    for k, node in enumerate(leaves):
        if robust:
            pol = robust_leaf(og, node.lo, node.hi, d)
        else:
            pol = node.leaf if node.leaf is not None else interval_policy(og, node.lo, node.hi)
        pay_by_leaf[k] = policy_payoff(og, pol.scheme)  # mass of (true type t, act)
    total = 0.0
    for t in range(T):
        probs = simulated_type_distribution(og, t, d, e)
        total += float(probs @ pay_by_leaf[leaf_of, t])
    return total
