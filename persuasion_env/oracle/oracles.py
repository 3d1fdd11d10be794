"""Simulation oracles (B1, B6).

A :class:`SimulationOracle` hides the receiver's type and answers a query ``(scheme, message)``
with the action the receiver of that type would take on that message: it computes the
receiver's posterior from the column ``scheme[:, message]`` and the joint prior and acts iff the
expected utility is ``>= 0``. A :class:`NoisyOracle` simulates a receiver of a *nearby* type
(B6): with probability ``1 - eta`` one whose quantile is within ``delta`` of the true type's,
otherwise any type. The robust sender against a noisy oracle is a solver:
:mod:`persuasion_env.solvers.oracle.robust`.

>>> from persuasion_env.oracle import OracleGame
>>> from persuasion_env.oracle.oracles import SimulationOracle
>>> from persuasion_env.solvers.oracle import plan_queries
>>> og = OracleGame.example("three-types")
>>> leaf = plan_queries(og, budget=2).execute(SimulationOracle(og, true_type=1))
>>> (leaf.lo, leaf.hi)
(1, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from persuasion_env._validation import (
    as_float_array,
    check_instance,
    check_int,
    check_probability,
    make_rng,
)
from persuasion_env.oracle.game import OracleGame
from persuasion_env.oracle.model import acts

__all__ = [
    "NoisyOracle",
    "SimulationOracle",
    "simulated_type_distribution",
]


class SimulationOracle:
    """Answers simulation queries for a hidden receiver type (Definition 2.3).

    Args:
        og: the game.
        true_type: the hidden type index (kept private: planners only see answers).

    Attributes:
        game: the game.
        n_queries: queries answered so far.
        history: list of ``(column, answer)`` pairs.
    """

    def __init__(self, og: OracleGame, true_type: int) -> None:
        check_instance(og, OracleGame, "og")
        t = check_int(true_type, "true_type", minimum=0)
        if t >= og.n_types:
            raise ValueError(f"true_type must be < T = {og.n_types}, got {t}")
        self.game = og
        self._type = t
        self._simulated = t
        self.n_queries = 0
        self.history: list[tuple[np.ndarray, bool]] = []

    def query(self, scheme: Any, message: int) -> bool:
        """Whether the simulated receiver acts on ``message`` under ``scheme``.

        Args:
            scheme: ``(W, M)`` messaging policy (rows sum to 1) or a single column ``(W,)``
                (then ``message`` must be 0).
            message: the message index.
        """
        sigma = as_float_array(scheme, "scheme")
        if sigma.ndim == 1:
            sigma = sigma[:, None]
        if sigma.ndim != 2 or sigma.shape[0] != self.game.n_states:
            raise ValueError(f"scheme must have shape (W, M) with W = {self.game.n_states}")
        if np.any(sigma < 0) or np.any(sigma > 1 + 1e-9):
            raise ValueError("scheme entries must be probabilities in [0, 1]")
        m = check_int(message, "message", minimum=0)
        if m >= sigma.shape[1]:
            raise ValueError(f"message must be < M = {sigma.shape[1]}, got {m}")
        column = sigma[:, m]
        answer = bool(acts(self.game, column)[self._simulated])
        self.n_queries += 1
        self.history.append((column.copy(), answer))
        return answer

    def query_column(self, column: Any) -> bool:
        """Same as ``query(column, 0)`` for a single message column."""
        return self.query(np.asarray(column, dtype=np.float64)[:, None], 0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.game!r}, n_queries={self.n_queries})"


def simulated_type_distribution(
    og: OracleGame, true_type: int, delta: float, eta: float
) -> np.ndarray:
    """The law of the type a noisy oracle simulates, given the true type (B6).

    With probability ``1 - eta`` a type drawn uniformly among those whose quantile
    ``F(s) = P(type <= s)`` is within ``delta`` of ``F(true_type)``; with probability ``eta`` a
    type drawn uniformly among all types. Only types of positive mass are simulated: a type of
    zero mass has no receiver to simulate (and no belief to act on). For a true type of zero
    mass with no such type within ``delta``, the nearest ones in quantile stand in.

    Returns:
        ``(T,)`` probabilities (zero on types of zero mass).
    """
    T = og.n_types
    t = check_int(true_type, "true_type", minimum=0)
    if t >= T:
        raise ValueError(f"true_type must be < T = {T}, got {t}")
    d = check_probability(delta, "delta")
    e = check_probability(eta, "eta")
    P = og.type_marginal
    pos = P > 0
    F = np.cumsum(P)
    dist = np.abs(F - F[t])
    near = (dist <= d + 1e-12) & pos
    if not near.any():
        near = pos & (dist <= dist[pos].min() + 1e-12)
    return (1 - e) * near / near.sum() + e * pos / pos.sum()


class NoisyOracle(SimulationOracle):
    """An approximate oracle (B6): simulates a type near the true one.

    The simulated type is drawn once, at construction, from
    :func:`simulated_type_distribution` with the given ``seed``; all answers are that type's.

    Args:
        og: the game.
        true_type: the hidden type.
        delta: quantile distance of the simulated type (with probability ``1 - eta``).
        eta: probability that the simulated type is arbitrary.
        seed: seed or Generator.
    """

    def __init__(
        self,
        og: OracleGame,
        true_type: int,
        *,
        delta: float,
        eta: float,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(og, true_type)
        self.delta = check_probability(delta, "delta")
        self.eta = check_probability(eta, "eta")
        probs = simulated_type_distribution(og, true_type, self.delta, self.eta)
        self._simulated = int(make_rng(seed).choice(og.n_types, p=probs))
