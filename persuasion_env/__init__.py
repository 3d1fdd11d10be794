"""persuasion_env: Bayesian persuasion with learning agents.

Environments (Gymnasium and PettingZoo), exact solvers (LP, MILP, DP) and tournaments for the
repeated sender-receiver game with learning receivers and for the query-budget
simulation-oracle game.
"""

from persuasion_env.engine import SimulationResult, simulate
from persuasion_env.game import PersuasionGame
from persuasion_env.references import BestFixedScheme, best_fixed_scheme, with_references
from persuasion_env.registration import register_envs
from persuasion_env.solvers import (
    CheapTalkEquilibrium,
    CommitmentSolution,
    full_disclosure_value,
    full_information_value,
    no_information_value,
    solve_cheap_talk,
    solve_commitment,
)

# --- oracle game exports (issue 7) ---
# isort: split
from persuasion_env.oracle.game import OracleGame
from persuasion_env.oracle.oracles import NoisyOracle, SimulationOracle
from persuasion_env.solvers.oracle import (
    LeafPolicy,
    QueryPlan,
    greedy_plan,
    interval_values,
    plan_queries,
)

# --- end oracle game exports ---

register_envs()

__version__ = "0.1.0"

__all__ = [
    "BestFixedScheme",
    "best_fixed_scheme",
    "with_references",
    "CheapTalkEquilibrium",
    "CommitmentSolution",
    "PersuasionGame",
    "SimulationResult",
    "simulate",
    "full_disclosure_value",
    "full_information_value",
    "no_information_value",
    "solve_cheap_talk",
    "solve_commitment",
    "register_envs",
    "LeafPolicy",
    "NoisyOracle",
    "OracleGame",
    "QueryPlan",
    "SimulationOracle",
    "greedy_plan",
    "interval_values",
    "plan_queries",
]
