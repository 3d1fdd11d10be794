"""Response oracles for Algorithm 1 (``schemes (G, S, M) -> counts (G, M, A)``): a
rational and a quantal receiver who see the scheme (explicit commitment), a learning
receiver who does not (implicit), and :func:`learner_response`, the response a
learner settles on."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from agents._sampling import sample_rows
from agents.base import GameView
from persuasion_env import bayes
from persuasion_env._validation import (
    check_int,
    check_positive,
    check_probability,
    make_rng,
)
from persuasion_env.game import PersuasionGame, stack_games
from persuasion_env.match import Match
from persuasion_env.rounds import RoundTables


class BestResponseOracle:
    """Explicit commitment: a rational receiver who sees each scheme and best-responds (A1's
    tie rule). Returns the expected action counts of one round, ``(G, M, A)``:
    ``P(m) * q(a | m)`` with the exact response ``q``."""

    def __init__(self, games: Sequence[PersuasionGame]) -> None:
        self.prior, self.u1, self.u2 = stack_games(games)

    def response(self, schemes: np.ndarray) -> np.ndarray:
        """The exact response table ``(G, M, A)``."""
        return bayes.best_response_matrix(self.prior, schemes, self.u2, self.u1)

    def __call__(self, schemes: np.ndarray) -> np.ndarray:
        mass = bayes.message_probabilities(self.prior, schemes)
        return self.response(schemes) * mass[..., None]


class QuantalOracle(BestResponseOracle):
    """A quantal receiver (lambda ``lam``) who sees each scheme; expected counts of a round."""

    def __init__(self, games: Sequence[PersuasionGame], lam: float) -> None:
        super().__init__(games)
        self.lam = check_positive(lam, "lam")

    def response(self, schemes: np.ndarray) -> np.ndarray:
        return bayes.quantal_response(self.prior, schemes, self.u2, self.lam)


class _PriorStates:
    """The oracle's states: one draw per round from each game's prior with the oracle's
    generator (a :class:`~persuasion_env.match.StateStream` without noise)."""

    def __init__(self, prior: np.ndarray, rng: np.random.Generator) -> None:
        self.prior, self.rng = prior, rng

    def next(self) -> tuple[np.ndarray, None]:
        return sample_rows(self.prior, self.rng), None


class _SchemeSampler:
    """The sender of an epoch: each message drawn from the committed scheme of the run's game
    with the oracle's generator; it learns nothing."""

    side = "sender"
    name = "scheme sampler"
    level = "scheme"
    policy_version = 0
    recommends = False

    def __init__(self, schemes: np.ndarray, rng: np.random.Generator) -> None:
        self.schemes, self.rng = schemes, rng
        self.rows = np.arange(schemes.shape[0])

    def act(self, states: np.ndarray) -> np.ndarray:
        return sample_rows(self.schemes[self.rows, states], self.rng)

    def update(self, *args: Any) -> None:
        pass

    def policy(self) -> np.ndarray:
        return self.schemes


class LearningReceiverOracle:
    """Implicit commitment: a learning receiver (one batched receiver, one run per game) that
    never sees the scheme. Each call plays the schemes for an epoch of ``epoch_rounds``
    rounds of :class:`persuasion_env.match.Match` (states from the prior, messages from the
    scheme, the receiver acts and learns from its payoff ``u2[s, a]`` divided by ``max |u2|``
    when ``normalize``, and from the state if it ``observes_state``) and returns the action
    counts per message over the last ``observe_fraction`` of the epoch. The receiver keeps
    learning across calls.

    Args:
        games: games of one size.
        receiver: a learning receiver agent (e.g. ``make_receiver("q_learning")``); it is
            reset with ``runs = len(games)``, run ``g`` playing game ``g``.
        epoch_rounds: rounds per epoch.
        observe_fraction: final part of the epoch whose actions are counted.
        seed: seed or Generator for states, messages and the receiver (one generator for
            all three).
    """

    def __init__(
        self,
        games: Sequence[PersuasionGame],
        receiver: Any,
        *,
        epoch_rounds: int = 2000,
        observe_fraction: float = 0.5,
        n_messages: int | None = None,
        seed: int | np.random.Generator | None = 0,
        normalize: bool = True,
    ) -> None:
        self.prior, self.u1, self.u2 = stack_games(games)
        self.epoch_rounds = check_int(epoch_rounds, "epoch_rounds", minimum=1)
        self.observe_fraction = check_probability(observe_fraction, "observe_fraction")
        if self.observe_fraction == 0:
            raise ValueError("observe_fraction must be > 0")
        g, n_states, n_actions = self.u1.shape
        self.n_messages = n_actions if n_messages is None else n_messages
        self.rng = make_rng(seed)
        self.tables = RoundTables(games, np.arange(g), normalize=normalize)
        self._states = _PriorStates(self.prior, self.rng)
        self.receiver = receiver
        view = GameView(
            n_states=n_states,
            n_actions=n_actions,
            n_messages=self.n_messages,
            priors=self.prior,
            utilities=self.u2,
            games=None,
        )
        receiver.reset(view, runs=g, rng=self.rng)
        self.rows = np.arange(g)
        self.rounds_played = 0

    def __call__(self, schemes: np.ndarray, rounds: int | None = None) -> np.ndarray:
        rounds = self.epoch_rounds if rounds is None else rounds
        g, n_states, n_messages = schemes.shape
        n_actions = self.u1.shape[-1]
        counts = np.zeros((g, n_messages, n_actions))
        start = rounds - max(1, int(round(self.observe_fraction * rounds)))
        rows = self.rows
        match = Match(
            self.tables,
            _SchemeSampler(schemes, self.rng),
            self.receiver,
            n_messages=n_messages,
            states=self._states,
            show_schemes=False,  # implicit commitment: the receiver only sees messages
            check="first",
        )

        def count(played: Match) -> None:
            if played.t > start:  # the round just played is number t - 1 >= start
                counts[rows, played.messages, played.actions] += 1

        match.play(rounds, count)
        self.rounds_played += rounds
        return counts

    def frequencies(self, counts: np.ndarray) -> np.ndarray:
        """Counts ``(G, M, A)`` -> the response ``(G, M, A)`` they show: action frequencies per
        message, and the receiver's current greedy rule for a message never observed."""
        seen = counts.sum(axis=-1, keepdims=True)
        return np.where(seen > 0, counts / np.maximum(seen, 1e-12), self.receiver.policy())


def learner_response(
    games: Sequence[PersuasionGame],
    schemes: np.ndarray,
    receiver: Any,
    *,
    rounds: int,
    observe_fraction: float = 0.2,
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """The response a learning receiver settles on when the schemes never change.

    A fresh copy of ``receiver`` (its history does not carry over) plays ``schemes``
    ``(G, S, M)`` for ``rounds`` rounds; the result ``(G, M, A)`` is its action frequencies
    per message over the last ``observe_fraction`` of them (exploration included: it is what
    the sender earns), the greedy rule for a message never sent. This is the "converged
    response" against which a learned scheme's *actual* utility is measured (MODEL.md A4.3,
    A5), the same for every method so that their schemes compare like for like.
    """
    oracle = LearningReceiverOracle(
        games,
        copy.deepcopy(receiver),
        epoch_rounds=rounds,
        observe_fraction=observe_fraction,
        n_messages=np.shape(schemes)[-1],
        seed=seed,
    )
    return oracle.frequencies(oracle(np.asarray(schemes, dtype=float)))
