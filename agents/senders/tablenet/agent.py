""":class:`TableNetSender`, registered as ``tablenet``: TableNet in the engine, with one of two
protocols: ``"margin"`` (the default; :mod:`agents.senders.tablenet.play`) or
``"algorithm1"`` (seed 000's Algorithm 1 run online, one scheme per epoch)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from agents import _kernels
from agents.base import BLACK_BOX, GameView, Sender
from agents.registry import register
from agents.senders.tablenet.algorithm import Algorithm1Result, algorithm1
from agents.senders.tablenet.config import TableNetConfig
from agents.senders.tablenet.play import MARGIN_OPTIONS, TableNetMarginPlay
from agents.senders.tablenet.torch_math import one_thread
from persuasion_env._validation import (
    check_int,
    check_probability,
)
from persuasion_env.compiled import CompiledStep
from persuasion_env.game import PersuasionGame

#: The protocols of :class:`TableNetSender`.
PROTOCOLS: tuple[str, ...] = ("margin", "algorithm1")


@register
class TableNetSender(Sender):
    """Seed 000's learning sender (TableNet + learned receiver model) in the engine: a
    black-box, scheme-level sender that plays epochs of one scheme and reads the receiver's
    action counts per message. ``runs = B`` independent senders, trained as one batch.

    Two protocols (``protocol=``):

    * ``"margin"`` (default; :mod:`agents.senders.tablenet.play`). By default
      (``base="certified"``) margin_adaptive's certified protocol (disclosure, silent probe,
      tests on fresh messages, the certified scheme ``C``), then TableNet's plan, fitted to
      all those epochs, challenges ``C`` along the line from ``C`` to the plan, scored by
      the sender's expected value given the learner's answers
      (:mod:`agents.senders.tablenet.challenge`), and margin_adaptive's play phase follows.
      With ``base="disclosure"`` (the protocol before session 10): full disclosure until the
      learner has settled, then a query phase of interior posteriors on fresh messages
      (:mod:`agents.senders.tablenet.queries`); TableNet's receiver model fitted (eq. 7) to
      those settled epochs (actions never seen chosen removed); TableNet optimised against it
      (eq. 8) gives the scheme ``L`` to persuade with; after a no-information probe the sender
      plays ``theta * F + (1 - theta) * L`` (``F``: full disclosure as recommendations), walking
      the safety margin ``theta`` down while its own realised utility does not fall, then
      keeping the best level (or no information, if that earned more). Epoch machinery of
      ``margin_adaptive``, reused by subclassing. Python per round (no compiled kernels); cost
      linear in the rounds (TableNet's torch work runs twice per match: an interim plan for
      the targeted queries, then the final plan).
    * ``"algorithm1"``: seed 000's Algorithm 1 run online as written (random query
      schemes, model fit, optimise-play-refit until ``|R - R_hat| <= E``, then the final
      scheme for good); each epoch of ``epoch_rounds`` rounds plays one scheme and counts the
      receiver's actions over its last ``observe_fraction``. Compiled kernels between epochs.
      Against the library's learners it reaches well below the LP (docs/agents.md).

    Args:
        n_messages: M (default: ``2 A`` for ``"margin"`` with spare messages, else A).
        protocol: ``"margin"`` or ``"algorithm1"``.
        epoch_rounds: rounds per epoch (default ``250 + 125 A`` for ``"margin"``, 200 for
            ``"algorithm1"``).
        observe_fraction: ``"algorithm1"`` only: final part of each epoch whose actions are
            counted (``"margin"`` counts the second half).
        **options: any field of :class:`TableNetConfig` (e.g. ``n_queries=50``,
            ``restarts=10``, ``hidden=(32,)``; the Algorithm 1 fields only matter for
            ``"algorithm1"``) and, for ``"margin"``, the margin protocol's options
            (:data:`~agents.senders.tablenet.play.MARGIN_OPTIONS`, e.g. ``tolerance=0.05``,
            ``spare_messages=False``; see :class:`agents.senders.adaptive.MarginAdaptiveSender`).
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
        "TableNet (seed 000): learns a receiver model from settled epochs of "
        "play, optimises the scheme through it, adapts its margin; torch"
    )
    _param_names = (
        "n_messages",
        "protocol",
        "epoch_rounds",
        "observe_fraction",
        "config",
        "margin_options",
    )

    def __init__(
        self,
        n_messages: int | None = None,
        *,
        protocol: str = "margin",
        epoch_rounds: int | None = None,
        observe_fraction: float = 0.5,
        **options: Any,
    ) -> None:
        super().__init__()
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}; got {protocol!r}")
        self.protocol = protocol
        self.n_messages = (
            None if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )
        if epoch_rounds is None:
            epoch_rounds = 200 if protocol == "algorithm1" else None
        self.epoch_rounds = (
            None if epoch_rounds is None else check_int(epoch_rounds, "epoch_rounds", minimum=1)
        )
        self.observe_fraction = check_probability(observe_fraction, "observe_fraction")
        if self.observe_fraction == 0:
            raise ValueError("observe_fraction must be > 0")
        accepted = TableNetConfig.names() + (MARGIN_OPTIONS if protocol == "margin" else ())
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise ValueError(
                f"unknown TableNet hyperparameter(s) or option(s) {', '.join(unknown)} for "
                f"protocol {protocol!r}; accepted: {', '.join(accepted)}"
            )
        self.config = replace(
            TableNetConfig(), **{k: v for k, v in options.items() if k in TableNetConfig.names()}
        )
        self.margin_options = {k: v for k, v in options.items() if k in MARGIN_OPTIONS}
        if protocol == "margin":  # validated now, not at the first reset
            self._new_play()
        self._play: TableNetMarginPlay | None = None
        self.result: Algorithm1Result | None = None

    def _new_play(self) -> TableNetMarginPlay:
        return TableNetMarginPlay(
            self.config,
            n_messages=self.n_messages,
            epoch_rounds=self.epoch_rounds,
            **self.margin_options,
        )

    def messages_for(self, game: PersuasionGame) -> int:
        """M: ``n_messages`` if given; else ``2 A`` for ``"margin"`` with spare messages
        (the default), A otherwise."""
        if self.protocol == "margin":
            return self._new_play().messages_for(game)
        return super().messages_for(game)

    @property
    def play(self) -> TableNetMarginPlay | None:
        """The ``"margin"`` protocol's state (margin ``theta``, TableNet's planned schemes,
        ...) after a reset; ``None`` for ``"algorithm1"``."""
        return self._play

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        self.result = None
        if self.protocol == "margin":
            self._play = self._new_play()
            self._play.reset(view, runs=runs, rng=rng)
            self._play_version = self._play.policy_version
            self.policy_version += 1
            return
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
        with one_thread():
            self._commit(next(self._algorithm))

    def _commit(self, schemes: np.ndarray) -> None:
        self._schemes = np.array(schemes, dtype=np.float64)
        self._rows = np.arange(self.runs)
        self.policy_version += 1

    @property
    def t(self) -> int:
        """Rounds played in the current epoch."""
        return self._play.t if self._play is not None else int(self._t[0])

    @property
    def done(self) -> bool:
        """Whether Algorithm 1 has finished (the committed scheme is final)."""
        return self.result is not None

    def _state(self) -> tuple:
        return (self._schemes, self._counts, self._params, self._t)

    def act(self, states: np.ndarray) -> np.ndarray:
        self._require_reset()
        if self._play is not None:
            return self._play.act(states)
        return _kernels.choose(_kernels.scheme_sample_act, self._state(), states, self.rng)

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        if self._play is not None:
            self._play.update(states, messages, actions, rewards)
            if self._play.policy_version != self._play_version:
                self._play_version = self._play.policy_version
                self.policy_version += 1
            return
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
        if self._play is not None or self.done or self.t < self.epoch_rounds:
            return
        counts, self._counts = self._counts, np.zeros_like(self._counts)
        self._t[0] = 0
        try:
            with one_thread():
                schemes = self._algorithm.send(counts)
            self._commit(schemes)
        except StopIteration as stop:
            self.result = stop.value
            self._params[2] = 1.0
            self._commit(self.result.schemes)

    def compiled_step(self) -> CompiledStep | None:
        """Its kernels for the compiled round loop (``None`` without numba): between epochs
        it plays its committed scheme and counts the receiver's actions. ``"margin"`` plays
        in Python (``None``)."""
        if self._play is not None or not _kernels.ready():
            return None
        return CompiledStep(
            act=_kernels.scheme_sample_act,
            update=_kernels.epoch_count_update,
            state=self._state(),
            horizon=0 if self.done else self.epoch_rounds - self.t,
        )

    def policy(self) -> np.ndarray:
        self._require_reset()
        if self._play is not None:
            return self._play.policy()
        return self._schemes.copy()
