""":class:`TableNetSender`, registered as ``tablenet``: Algorithm 1 run online in the
engine, one scheme per epoch."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from agents import _kernels
from agents.base import BLACK_BOX, GameView, Sender
from agents.registry import register
from agents.senders.tablenet.algorithm import Algorithm1Result, algorithm1
from agents.senders.tablenet.config import TableNetConfig
from persuasion_env._validation import (
    check_int,
    check_probability,
)
from persuasion_env.compiled import CompiledStep


@register
class TableNetSender(Sender):
    """Seed 000's learning sender (TableNet + learned receiver model, Algorithm 1) for the
    engine: a scheme-level sender that runs Algorithm 1 online, one scheme per epoch.

    Each epoch of ``epoch_rounds`` rounds it plays one scheme (first ``n_queries`` random
    query schemes, then schemes optimised through the receiver model) and counts the
    receiver's actions per message over the last ``observe_fraction`` of the epoch. When
    Algorithm 1 stops for a run it commits to its final scheme for good. ``runs = B``
    independent TableNets are trained as one batch.

    Args:
        n_messages: M (default A); any M >= 1 (restricted messages when M < A).
        epoch_rounds: rounds per epoch (how long each scheme is kept).
        observe_fraction: final part of each epoch whose actions are counted.
        **hyperparameters: any field of :class:`TableNetConfig` (e.g. ``n_queries=50``,
            ``restarts=10``, ``tolerance=0.005``, ``hidden=(32,)``).
    """

    name = "tablenet"
    side = "sender"
    level = "scheme"
    learns = True
    needs_scheme = False
    full_information = False
    information = BLACK_BOX
    observes = ("state", "action")  # it counts the receiver's actions per message
    batched_games = True
    description = (
        "TableNet (seed 000): learns a receiver model from epochs of play, optimises the "
        "scheme through it (Algorithm 1); torch"
    )
    _param_names = ("n_messages", "epoch_rounds", "observe_fraction", "config")

    def __init__(
        self,
        n_messages: int | None = None,
        *,
        epoch_rounds: int = 200,
        observe_fraction: float = 0.5,
        **hyperparameters: Any,
    ) -> None:
        super().__init__()
        self.n_messages = (
            None if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )
        self.epoch_rounds = check_int(epoch_rounds, "epoch_rounds", minimum=1)
        self.observe_fraction = check_probability(observe_fraction, "observe_fraction")
        if self.observe_fraction == 0:
            raise ValueError("observe_fraction must be > 0")
        unknown = sorted(set(hyperparameters) - set(TableNetConfig.names()))
        if unknown:
            raise ValueError(
                f"unknown TableNet hyperparameter(s) {', '.join(unknown)}; accepted: "
                f"{', '.join(TableNetConfig.names())}"
            )
        self.config = replace(TableNetConfig(), **hyperparameters)
        self.result: Algorithm1Result | None = None

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        if self.n_messages is not None and view.n_messages != self.n_messages:
            raise ValueError(
                f"the game view has {view.n_messages} messages but this sender was built with "
                f"n_messages={self.n_messages}"
            )
        prior = np.broadcast_to(view.priors, (runs, view.n_states))
        u1 = np.broadcast_to(view.utilities, (runs, view.n_states, view.n_actions))
        seeds = [int(s) for s in rng.integers(0, 2**63 - 1, size=runs)]
        self._algorithm = algorithm1(
            prior, u1, n_messages=view.n_messages, config=self.config, seeds=seeds
        )
        self.result = None
        _kernels.ready()
        self._t = np.zeros(1, dtype=np.int64)  # rounds played in the current epoch
        observe_from = self.epoch_rounds - max(
            1, int(round(self.observe_fraction * self.epoch_rounds))
        )
        # [first observed round of an epoch, epoch length, 1 once Algorithm 1 has finished]
        self._params = np.array([observe_from, self.epoch_rounds, 0.0])
        self._counts = np.zeros((runs, view.n_messages, view.n_actions))
        self._commit(next(self._algorithm))

    def _commit(self, schemes: np.ndarray) -> None:
        self._schemes = np.array(schemes, dtype=np.float64)
        self._rows = np.arange(self.runs)
        self.policy_version += 1

    @property
    def t(self) -> int:
        """Rounds played in the current epoch."""
        return int(self._t[0])

    @property
    def done(self) -> bool:
        """Whether Algorithm 1 has finished (the committed scheme is final)."""
        return self.result is not None

    def _state(self) -> tuple:
        return (self._schemes, self._counts, self._params, self._t)

    def act(self, states: np.ndarray) -> np.ndarray:
        self._require_reset()
        return _kernels.choose(_kernels.scheme_sample_act, self._state(), states, self.rng)

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        _kernels.epoch_count_update(
            self._state(),
            _kernels.as_index(states),
            _kernels.as_index(messages),
            _kernels.as_index(actions),
            np.asarray(rewards, dtype=np.float64),
            self.rng,
        )
        self.end_compiled_segment()

    def end_compiled_segment(self) -> None:
        """At the end of an epoch, one step of Algorithm 1 (in Python, with torch) on the
        action counts of the epoch: commit to the next scheme, or to the final one."""
        if self.done or self.t < self.epoch_rounds:
            return
        counts, self._counts = self._counts, np.zeros_like(self._counts)
        self._t[0] = 0
        try:
            self._commit(self._algorithm.send(counts))
        except StopIteration as stop:
            self.result = stop.value
            self._params[2] = 1.0
            self._commit(self.result.schemes)

    def compiled_step(self) -> CompiledStep | None:
        """Its kernels for the compiled round loop (``None`` without numba): between epochs
        it plays its committed scheme and counts the receiver's actions."""
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=_kernels.scheme_sample_act,
            update=_kernels.epoch_count_update,
            state=self._state(),
            horizon=0 if self.done else self.epoch_rounds - self.t,
        )

    def policy(self) -> np.ndarray:
        self._require_reset()
        return self._schemes.copy()
