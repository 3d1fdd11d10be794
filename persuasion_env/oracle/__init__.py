"""The simulation-oracle game (MODEL.md Part B): the model — the game, the receiver's
response, the oracles and the several-action variant (layer 2 of DESIGN.md).

The planners are solvers, one layer up, in :mod:`persuasion_env.solvers.oracle` (also exported
by the top-level package); the ``persuasion oracle`` command is :mod:`persuasion_env.cli_oracle`
and ``persuasion reproduce oracle`` is :mod:`persuasion_env.reproduce.oracle`.

>>> from persuasion_env import OracleGame, plan_queries
>>> plan = plan_queries(OracleGame.example("three-types"), budget=2)
>>> round(plan.value, 6)
0.541667
"""

from persuasion_env.oracle.game import EXAMPLES, OracleGame, affiliation_violation
from persuasion_env.oracle.model import ACT_ATOL, acts, policy_payoff
from persuasion_env.oracle.oracles import (
    NoisyOracle,
    SimulationOracle,
    simulated_type_distribution,
)

__all__ = [
    "ACT_ATOL",
    "EXAMPLES",
    "NoisyOracle",
    "OracleGame",
    "SimulationOracle",
    "acts",
    "affiliation_violation",
    "policy_payoff",
    "simulated_type_distribution",
]
