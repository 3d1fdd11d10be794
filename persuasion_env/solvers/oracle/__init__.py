"""Planners for the simulation-oracle game (MODEL.md B2–B7).

The sender first learns about the receiver's type with threshold queries ("is the type >= t?"),
then commits to a messaging policy for the type range the answers leave. Everything here rests
on the **interval values** ``V[i, j]`` (B2): the probability mass of "type in i..j and the
receiver acts" under the optimal messaging policy for that range,

.. code-block:: text

    V[i, j] = max  sum_{t=i..j} sum_w Psi_j[w, t] x[w, t]
              s.t. sum_w psi[w, t] u[w, t] x[w, t] >= 0        t = i..j   (type t acts on m_t)
                   sum_t x[w, t] <= 1,  x >= 0                 every w    (rest: "nobody acts")

    with Psi_j[w, t] = sum_{t'=t..j} psi[w, t'] (the types that act on message m_t).

A **non-adaptive** plan with L thresholds partitions the types into L + 1 ranges and earns the sum
of their ``V``; a prefix DP finds the best one. An **adaptive** plan with K queries has at most
``2^K`` leaves, so (Lemma 3.5) its optimum equals the non-adaptive optimum with
``min(2^K - 1, T - 1)`` thresholds, executed by binary search. With **costs** (B5) the adaptive
optimum is the interval recursion with a stop option,
``G[i, j] = max(V[i, j], max_t G[i, t-1] + G[t, j] - c_t P[i..j])``.

Type indices are 0-based: threshold ``t`` (``1 <= t <= T-1``) asks "is the type index >= t",
and ``costs[t-1]`` is its cost.

One module per MODEL.md section: :mod:`~persuasion_env.solvers.oracle.intervals` (B2 interval
LPs, leaf policies), :mod:`~persuasion_env.solvers.oracle.thresholds` (B3 threshold queries),
:mod:`~persuasion_env.solvers.oracle.plans` (query trees and plans),
:mod:`~persuasion_env.solvers.oracle.planning` (B3 planners: DP, binary search, greedy),
:mod:`~persuasion_env.solvers.oracle.costs` (B5), :mod:`~persuasion_env.solvers.oracle.rounding`
(B4), :mod:`~persuasion_env.solvers.oracle.robust` (B6 robust sender) and
:mod:`~persuasion_env.solvers.oracle.partition` (B7 partition queries). The receiver model
(``acts``, ``policy_payoff``) is the game's, in :mod:`persuasion_env.oracle.model`; it is
re-exported here.

>>> from persuasion_env.oracle import OracleGame
>>> from persuasion_env.solvers.oracle import plan_queries
>>> og = OracleGame.example("three-types")
>>> round(plan_queries(og, budget=1).value, 9)
0.5
"""

from persuasion_env.oracle.model import ACT_ATOL, acts, policy_payoff
from persuasion_env.solvers.oracle.costs import interval_recursion
from persuasion_env.solvers.oracle.intervals import (
    LeafPolicy,
    interval_policy,
    interval_values,
    known_type_value,
)
from persuasion_env.solvers.oracle.partition import (
    MAX_PARTITION_TYPES,
    PartitionPlan,
    set_partitions,
    solve_partition_queries,
    subset_value,
)
from persuasion_env.solvers.oracle.planning import greedy_plan, nonadaptive_dp, plan_queries
from persuasion_env.solvers.oracle.plans import QueryNode, QueryPlan
from persuasion_env.solvers.oracle.robust import noisy_payoff, robust_leaf
from persuasion_env.solvers.oracle.rounding import (
    RoundedGame,
    evaluate_plan,
    lift_plan,
    round_game,
)
from persuasion_env.solvers.oracle.thresholds import (
    ThresholdQuery,
    certified_column,
    realisable_thresholds,
    threshold_answer,
    threshold_certified,
    threshold_query,
    threshold_realisable,
)

__all__ = [
    "ACT_ATOL",
    "LeafPolicy",
    "MAX_PARTITION_TYPES",
    "PartitionPlan",
    "QueryNode",
    "QueryPlan",
    "RoundedGame",
    "ThresholdQuery",
    "acts",
    "certified_column",
    "evaluate_plan",
    "greedy_plan",
    "interval_policy",
    "interval_recursion",
    "interval_values",
    "known_type_value",
    "lift_plan",
    "noisy_payoff",
    "nonadaptive_dp",
    "plan_queries",
    "policy_payoff",
    "realisable_thresholds",
    "robust_leaf",
    "round_game",
    "set_partitions",
    "solve_partition_queries",
    "subset_value",
    "threshold_answer",
    "threshold_certified",
    "threshold_query",
    "threshold_realisable",
]
