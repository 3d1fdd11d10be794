"""The sender's reference values of a game (MODEL.md A2): what it gets with no information,
with full disclosure, and the unreachable ideal of choosing the action itself; the commitment
optimum (:mod:`persuasion_env.solvers.commitment`) is at least the first two, at most the
last."""

from __future__ import annotations

import numpy as np

from persuasion_env import bayes
from persuasion_env._validation import check_instance
from persuasion_env.game import PersuasionGame

__all__ = ["full_disclosure_value", "full_information_value", "no_information_value"]


def no_information_value(game: PersuasionGame) -> float:
    """Sender's value when no information is revealed: the receiver best-responds to the prior
    (ties broken in the sender's favour)."""
    check_instance(game, PersuasionGame, "game")
    action = bayes.best_response_to_belief(game.prior, game.receiver_utility, game.sender_utility)
    return float(game.prior @ game.sender_utility[:, action])


def full_disclosure_value(game: PersuasionGame) -> float:
    """Sender's value when the state is revealed: in each state the receiver plays her best
    action there (ties broken in the sender's favour)."""
    check_instance(game, PersuasionGame, "game")
    beliefs = np.eye(game.n_states)
    actions = bayes.best_response_to_belief(beliefs, game.receiver_utility, game.sender_utility)
    return float(game.prior @ game.sender_utility[np.arange(game.n_states), actions])


def full_information_value(game: PersuasionGame) -> float:
    """The upper bound ``sum_s p[s] max_a u1[s, a]``: the sender picks the action herself."""
    check_instance(game, PersuasionGame, "game")
    return float(game.prior @ game.sender_utility.max(axis=1))
