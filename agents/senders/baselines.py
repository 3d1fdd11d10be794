"""Per-round learning senders of Bhatt & Buro (AAAI 2021), seed 000's baselines (MODEL.md A6).

They never see the receiver's utility nor a scheme: each round they see the state, send a
message, and then see the receiver's action and their own reward.

* **Info-Q / Info-Policy** keep ``Q_S[s, m]`` and infer what each message *means* to a
  receiver who assumes the sender plays its greedy messages ``e(s) = argmax_m Q_S[s, m]``:
  ``P(s | m) = 1{e(s) = m} f(s) / sum_s' 1{e(s') = m} f(s')`` (1 when no state maps to m), and
  send ``argmax_m P(s_true | m)`` - a deterministic, inference-based message. Info-Q weights
  states by their empirical frequency ``f``; Info-Policy (as in the reference code) counts
  states, and updates its table with a step ten times smaller.
* **ModelR** learns its own payoff ``Q_S[s, a]`` of each action and a model of the receiver
  (the action most often seen after each message) and sends the message whose predicted
  action pays it most, exploring with probability epsilon.

Ties are broken uniformly at random, as in the reference code. The greedy messages ``e(s)``
are cached and recomputed (with fresh random tie-breaks) for the one row each run updates per
round, instead of for every row every round: the same rule, at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np

from agents import _kernels
from agents.base import BLACK_BOX, GameView, Sender, uniform_over_argmax
from agents.registry import register
from persuasion_env._validation import (
    check_bool,
    check_int,
    check_positive,
    check_probability,
    check_real,
)
from persuasion_env.compiled import CompiledStep


def _optional_messages(n_messages: int | None) -> int | None:
    return None if n_messages is None else check_int(n_messages, "n_messages", minimum=1)


@register
class InfoQSender(Sender):
    """Inference-based deterministic messaging with a Q-table ``Q_S[s, m]`` (Info-Q)."""

    name = "info_q"
    learns = True
    information = BLACK_BOX
    observes = ("state", "action", "own_payoff")
    batched_games = True
    description = "Info-Q (Bhatt & Buro): inference-based deterministic messages, Q-table"
    _param_names = ("alpha", "initial_q", "weight_by_frequency", "n_messages")

    def __init__(
        self,
        alpha: float = 0.1,
        initial_q: float = -2.0,
        weight_by_frequency: bool = True,
        n_messages: int | None = None,
    ) -> None:
        super().__init__()
        self.alpha = check_probability(check_positive(alpha, "alpha"), "alpha")
        self.initial_q = check_real(initial_q, "initial_q")
        self.weight_by_frequency = check_bool(weight_by_frequency, "weight_by_frequency")
        self.n_messages = _optional_messages(n_messages)

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        _kernels.ready()
        n_states, n_messages = view.n_states, view.n_messages
        self._rows = np.arange(runs)
        self.q = np.full((runs, n_states, n_messages), self.initial_q)
        self.expected = np.empty((runs, n_states), dtype=np.int64)  # e(s)
        _kernels.argmax_rows(
            self.q.reshape(runs * n_states, n_messages), self.expected.ravel(), rng
        )
        # weight[b, s]: the state's weight in P(s | m): its visit count (Info-Q) or 1.
        self.weight = (
            np.zeros((runs, n_states)) if self.weight_by_frequency else np.ones((runs, n_states))
        )
        # mass[b, m] = sum of weight[b, s] over the states with e(s) = m.
        self.mass = np.zeros((runs, n_messages))
        np.add.at(
            self.mass, (np.repeat(self._rows, n_states), self.expected.ravel()), self.weight.ravel()
        )
        self._state = (
            self.q,
            self.expected,
            self.weight,
            self.mass,
            np.zeros(n_messages),  # scratch: P(s | m) of one run
            np.array([self.alpha, float(self.weight_by_frequency)]),
        )

    def act(self, states: np.ndarray) -> np.ndarray:
        return _kernels.choose(_kernels.info_q_act, self._state, states, self.rng)

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        _kernels.info_q_update(
            self._state,
            _kernels.as_index(states),
            _kernels.as_index(messages),
            _kernels.as_index(actions),
            np.asarray(rewards, dtype=np.float64),
            self.rng,
        )

    def compiled_step(self) -> CompiledStep | None:
        """Its kernels for the compiled round loop (``None`` without numba)."""
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=_kernels.info_q_act, update=_kernels.info_q_update, state=self._state
        )

    def policy(self) -> np.ndarray:
        view = self._require_reset()
        states = np.arange(view.n_states)
        own = self.expected  # (B, S)
        scores = np.broadcast_to((self.mass == 0)[:, None, :], own.shape + (view.n_messages,))
        scores = scores.astype(np.float64)
        b, s = np.meshgrid(self._rows, states, indexing="ij")
        mass = self.mass[b, own]
        # As in act(): a message no weighted state maps to has P(s | m) = 1.
        scores[b, s, own] = np.divide(self.weight, mass, out=np.ones_like(mass), where=mass > 0)
        return uniform_over_argmax(scores)


@register
class InfoPolicySender(InfoQSender):
    """The Info-Policy sender: Info-Q's rule with states counted, not weighted, and a step
    ten times smaller (the reference code's ``alpha / 10`` with ``alpha = 0.5``)."""

    name = "info_policy"
    description = "Info-Policy (Bhatt & Buro): Info-Q's inference rule, for a REINFORCE receiver"

    def __init__(
        self,
        alpha: float = 0.05,
        initial_q: float = -2.0,
        weight_by_frequency: bool = False,
        n_messages: int | None = None,
    ) -> None:
        super().__init__(
            alpha=alpha,
            initial_q=initial_q,
            weight_by_frequency=weight_by_frequency,
            n_messages=n_messages,
        )


@register
class ModelRSender(Sender):
    """ModelR: learn ``Q_S[s, a]`` and a model of the receiver, send the best message for it.

    The receiver model is an exponential moving average (step ``model_alpha``) of the actions
    seen after each message; its prediction is the most frequent one. With probability
    epsilon (decaying linearly by ``epsilon_decay`` per round) the message is random.
    """

    name = "modelr"
    learns = True
    information = BLACK_BOX
    observes = ("state", "action", "own_payoff")
    batched_games = True
    description = "ModelR: models the receiver's action per message, best-responds to it"
    _param_names = ("alpha", "epsilon", "epsilon_decay", "model_alpha", "n_messages")

    def __init__(
        self,
        alpha: float = 0.05,
        epsilon: float = 1.0,
        epsilon_decay: float = 0.00125,
        model_alpha: float | None = None,
        n_messages: int | None = None,
    ) -> None:
        super().__init__()
        self.alpha = check_probability(check_positive(alpha, "alpha"), "alpha")
        self.epsilon = check_probability(epsilon, "epsilon")
        self.epsilon_decay = check_positive(epsilon_decay, "epsilon_decay", allow_zero=True)
        self.model_alpha = (
            self.alpha
            if model_alpha is None
            else check_probability(check_positive(model_alpha, "model_alpha"), "model_alpha")
        )
        self.n_messages = _optional_messages(n_messages)

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        _kernels.ready()
        self._rows = np.arange(runs)
        self.q = np.zeros((runs, view.n_states, view.n_actions))
        self.model = np.zeros((runs, view.n_messages, view.n_actions))
        self.predicted = rng.integers(view.n_actions, size=(runs, view.n_messages)).astype(np.int64)
        self._t = np.zeros(1, dtype=np.int64)
        self._state = (
            self.q,
            self.model,
            self.predicted,
            np.zeros(view.n_messages),  # scratch: the value of each message
            np.array([self.alpha, self.epsilon, self.epsilon_decay, self.model_alpha]),
            self._t,
        )

    @property
    def t(self) -> int:
        """Rounds learned so far (the exploration rate decays with them)."""
        return int(self._t[0])

    def current_epsilon(self) -> float:
        return max(0.0, self.epsilon - self.epsilon_decay * self.t)

    def act(self, states: np.ndarray) -> np.ndarray:
        return _kernels.choose(_kernels.modelr_act, self._state, states, self.rng)

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        _kernels.modelr_update(
            self._state,
            _kernels.as_index(states),
            _kernels.as_index(messages),
            _kernels.as_index(actions),
            np.asarray(rewards, dtype=np.float64),
            self.rng,
        )

    def compiled_step(self) -> CompiledStep | None:
        """Its kernels for the compiled round loop (``None`` without numba)."""
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=_kernels.modelr_act, update=_kernels.modelr_update, state=self._state
        )

    def policy(self) -> np.ndarray:
        view = self._require_reset()
        b = self._rows[:, None, None]
        s = np.arange(view.n_states)[None, :, None]
        values = self.q[b, s, self.predicted[:, None, :]]  # (B, S, M)
        return uniform_over_argmax(values)
