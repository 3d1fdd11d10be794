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

from agents.base import BLACK_BOX, GameView, Sender, rand_argmax, uniform_over_argmax
from agents.registry import register
from persuasion_env._validation import (
    check_bool,
    check_int,
    check_positive,
    check_probability,
    check_real,
)


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
        n_states, n_messages = view.n_states, view.n_messages
        self._rows = np.arange(runs)
        self.q = np.full((runs, n_states, n_messages), self.initial_q)
        self.expected = rand_argmax(self.q, rng)  # e(s), (B, S)
        # weight[b, s]: the state's weight in P(s | m): its visit count (Info-Q) or 1.
        self.weight = (
            np.zeros((runs, n_states)) if self.weight_by_frequency else np.ones((runs, n_states))
        )
        # mass[b, m] = sum of weight[b, s] over the states with e(s) = m.
        self.mass = np.zeros((runs, n_messages))
        np.add.at(
            self.mass, (np.repeat(self._rows, n_states), self.expected.ravel()), self.weight.ravel()
        )

    def _scores(self, states: np.ndarray) -> np.ndarray:
        """``P(s_true | m)`` for every message, ``(B, M)``."""
        rows = self._rows
        own = self.expected[rows, states]
        scores = (self.mass == 0).astype(np.float64)
        scores[rows, own] = self.weight[rows, states] / self.mass[rows, own]
        return scores

    def act(self, states: np.ndarray) -> np.ndarray:
        if self.weight_by_frequency:  # the current state counts toward f before inference
            rows = self._rows
            self.weight[rows, states] += 1.0
            self.mass[rows, self.expected[rows, states]] += 1.0
        return rand_argmax(self._scores(states), self.rng)

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        rows = self._rows
        q = self.q[rows, states, messages]
        self.q[rows, states, messages] = q + self.alpha * (rewards - q)
        new = rand_argmax(self.q[rows, states], self.rng)
        old = self.expected[rows, states]
        moved = new != old
        if moved.any():
            r, s = rows[moved], states[moved]
            w = self.weight[r, s]
            self.mass[r, old[moved]] -= w
            self.mass[r, new[moved]] += w
            self.expected[r, s] = new[moved]

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
        self._rows = np.arange(runs)
        self.q = np.zeros((runs, view.n_states, view.n_actions))
        self.model = np.zeros((runs, view.n_messages, view.n_actions))
        self.predicted = rng.integers(view.n_actions, size=(runs, view.n_messages))
        self.t = 0

    def current_epsilon(self) -> float:
        return max(0.0, self.epsilon - self.epsilon_decay * self.t)

    def act(self, states: np.ndarray) -> np.ndarray:
        rows = self._rows
        values = self.q[rows[:, None], states[:, None], self.predicted]  # (B, M)
        messages = rand_argmax(values, self.rng)
        eps = self.current_epsilon()
        if eps > 0:
            explore = self.rng.random(self.runs) < eps
            random_messages = self.rng.integers(self.view.n_messages, size=self.runs)
            messages = np.where(explore, random_messages, messages)
        return messages

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        rows = self._rows
        q = self.q[rows, states, actions]
        self.q[rows, states, actions] = q + self.alpha * (rewards - q)
        seen = self.model[rows, messages]  # (B, A)
        seen *= 1.0 - self.model_alpha
        seen[rows, actions] += self.model_alpha
        self.model[rows, messages] = seen
        self.predicted[rows, messages] = rand_argmax(seen, self.rng)
        self.t += 1

    def policy(self) -> np.ndarray:
        view = self._require_reset()
        b = self._rows[:, None, None]
        s = np.arange(view.n_states)[None, :, None]
        values = self.q[b, s, self.predicted[:, None, :]]  # (B, S, M)
        return uniform_over_argmax(values)
