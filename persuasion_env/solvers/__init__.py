"""Exact solvers: the commitment LP, the restricted-message MILP, and (in
:mod:`persuasion_env.solvers.oracle`) the planners of the simulation-oracle game."""

from persuasion_env.solvers.cheap_talk import CheapTalkEquilibrium, solve_cheap_talk
from persuasion_env.solvers.commitment import (
    CommitmentSolution,
    SolverTimeLimitWarning,
    full_disclosure_value,
    full_information_value,
    no_information_value,
    solve_commitment,
)

__all__ = [
    "CheapTalkEquilibrium",
    "CommitmentSolution",
    "SolverTimeLimitWarning",
    "full_disclosure_value",
    "full_information_value",
    "no_information_value",
    "solve_cheap_talk",
    "solve_commitment",
]
