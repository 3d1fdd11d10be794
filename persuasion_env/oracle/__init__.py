"""The simulation-oracle game (MODEL.md Part B): model, oracles, variants, CLI and experiments.

>>> from persuasion_env.oracle import OracleGame, plan_queries
>>> plan = plan_queries(OracleGame.example("three-types"), budget=2)
>>> round(plan.value, 6)
0.541667
"""

from persuasion_env.oracle.game import EXAMPLES, OracleGame, affiliation_violation

__all__ = ["EXAMPLES", "OracleGame", "affiliation_violation", "plan_queries", "QueryPlan"]


def __getattr__(name: str):  # lazy: the planners import this package's game module
    if name in ("plan_queries", "QueryPlan"):
        from persuasion_env.solvers import oracle as _planners

        return getattr(_planners, name)
    if name in ("SimulationOracle", "NoisyOracle", "noisy_payoff", "robust_leaf"):
        from persuasion_env.oracle import oracles as _oracles

        return getattr(_oracles, name)
    raise AttributeError(f"module 'persuasion_env.oracle' has no attribute {name!r}")
