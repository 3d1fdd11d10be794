"""The payoff tables of a round, batched over runs.

Drawing each round's states and looking up payoffs; each run may play its own game (all of
one shape). The round itself is :class:`persuasion_env.match.Match`, which every path (the
engine, the Gymnasium and PettingZoo envs, TableNet's epochs) plays on these tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from persuasion_env.game import PersuasionGame, stack_games

#: Rounds of states (and noise) drawn per call to the random generator.
CHUNK = 256


class RoundTables:
    """Per-run payoff tables of a batch of games.

    Args:
        games: G games of one shape ``(S, A)``.
        run_game: ``(B,)`` the game index of each run.
        normalize: observed payoffs are divided by each game's ``max |u|`` (per side).

    Attributes:
        priors, sender_utility, receiver_utility: ``(G, S)``, ``(G, S, A)``, ``(G, S, A)``.
        scale1, scale2: ``(B,)`` the divisor of each run's observed payoffs.
        flat_u1, flat_u2, flat_r1, flat_r2: flat payoff tables, and the observed payoffs
            ``u / scale``, indexed by :meth:`cells`.
        first_best: ``(G, S, A)`` whether an action maximises the sender's utility in a state.
    """

    def __init__(
        self, games: Sequence[PersuasionGame], run_game: np.ndarray, *, normalize: bool
    ) -> None:
        n_states, n_actions = games[0].shape
        self.n_states, self.n_actions = n_states, n_actions
        self.run_game = np.asarray(run_game)
        self.priors, self.sender_utility, self.receiver_utility = stack_games(games)
        # Flat tables indexed by (game * S + state) * A + action: one gather per round.
        self.flat_u1 = self.sender_utility.ravel()
        self.flat_u2 = self.receiver_utility.ravel()
        self.offset = self.run_game * (n_states * n_actions)
        self._one_game = not self.offset.any()  # every run plays game 0: no offset to add
        # n_actions as a (1,) array: array * array is cheaper than array * Python int in NumPy 2
        self._stride = np.array([n_actions], dtype=np.int64)
        game_scale1 = self._scale(self.sender_utility, normalize)
        game_scale2 = self._scale(self.receiver_utility, normalize)
        self.scale1, self.scale2 = game_scale1[self.run_game], game_scale2[self.run_game]
        # What the agents observe, u / scale, gathered like the payoffs (the same division).
        self.flat_r1 = (self.sender_utility / game_scale1[:, None, None]).ravel()
        self.flat_r2 = (self.receiver_utility / game_scale2[:, None, None]).ravel()
        self.first_best = self.sender_utility >= self.sender_utility.max(axis=2, keepdims=True)
        self.flat_first_best = self.first_best.ravel().astype(np.float64)
        self._state_cdf = np.cumsum(self.priors, axis=1)[self.run_game]  # (B, S)
        self._state_cdf[:, -1] = np.inf  # every uniform draw lands in some state

    @staticmethod
    def _scale(utility: np.ndarray, normalize: bool) -> np.ndarray:
        """``(G,)`` each game's divisor of observed payoffs: ``max |u|`` (1 if all zero or
        without normalisation)."""
        largest = np.abs(utility).max(axis=(1, 2))
        return np.where(normalize & (largest > 0), largest, 1.0)

    def draw_states(self, rng: np.random.Generator, rounds: int) -> np.ndarray:
        """``(rounds, B)`` states, each run's from its own prior (inverse CDF)."""
        uniform = rng.random((rounds, self.run_game.size, 1))
        return (self._state_cdf < uniform).sum(axis=2)

    def cells(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Flat indices of ``(run's game, state, action)`` into the tables, ``(B,)``."""
        if self._one_game:  # one array operation fewer (a single env's step is ~ 1 us each)
            return states * self._stride + actions
        return self.offset + states * self._stride + actions
