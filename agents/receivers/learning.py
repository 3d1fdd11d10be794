"""Learning receivers (implicit commitment, MODEL.md A4.3).

They never see the scheme: each round they observe the message, act, and then observe their
own payoff. The engine normalises payoffs into [-1, 1] by default (``normalize=True``), which
is what the optimistic initial values and Hedge's gain mapping assume.

All tables carry a leading runs axis ``B``; one call updates every run at once.
"""

from __future__ import annotations

import numpy as np

from agents._sampling import linear_schedule, sample_rows, softmax
from agents.base import GameView, Receiver, rand_argmax, uniform_over_argmax
from agents.registry import register
from persuasion_env._validation import check_positive, check_probability


@register
class QLearningReceiver(Receiver):
    """Tabular Q-learning over (message, action) with epsilon-greedy play.

    ``Q[m, a] += alpha * (r - Q[m, a])``. Starting ``Q`` above every payoff ("optimistic
    initialisation", ``initial_q = 2`` with payoffs in [-1, 1], as in the reference code of
    Bhatt & Buro) makes even a greedy learner try every action. The exploration rate moves
    linearly from ``epsilon`` to ``epsilon_final`` over ``epsilon_decay_rounds`` rounds.
    Greedy ties are broken uniformly at random.
    """

    name = "q_learning"
    learns = True
    description = "Q-learning on (message, action), epsilon-greedy, optimistic initial values"
    _param_names = ("alpha", "epsilon", "epsilon_final", "epsilon_decay_rounds", "initial_q")

    def __init__(
        self,
        alpha: float = 0.1,
        epsilon: float = 0.0,
        epsilon_final: float | None = None,
        epsilon_decay_rounds: int = 0,
        initial_q: float = 2.0,
    ) -> None:
        super().__init__()
        self.alpha = check_probability(check_positive(alpha, "alpha"), "alpha")
        self.epsilon = check_probability(epsilon, "epsilon")
        self.epsilon_final = (
            self.epsilon
            if epsilon_final is None
            else check_probability(epsilon_final, "epsilon_final")
        )
        if int(epsilon_decay_rounds) != epsilon_decay_rounds or epsilon_decay_rounds < 0:
            raise ValueError(
                f"epsilon_decay_rounds must be an integer >= 0, got {epsilon_decay_rounds}"
            )
        self.epsilon_decay_rounds = int(epsilon_decay_rounds)
        self.initial_q = float(initial_q)

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        self.q = np.full((runs, view.n_messages, view.n_actions), self.initial_q)
        self._rows = np.arange(runs)
        self.t = 0

    def current_epsilon(self) -> float:
        return linear_schedule(self.epsilon, self.epsilon_final, self.epsilon_decay_rounds, self.t)

    def act(self, messages: np.ndarray) -> np.ndarray:
        actions = rand_argmax(self.q[self._rows, messages], self.rng)
        eps = self.current_epsilon()
        if eps > 0:
            explore = self.rng.random(self.runs) < eps
            actions = np.where(
                explore, self.rng.integers(self.view.n_actions, size=self.runs), actions
            )
        return actions

    def update(self, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        q = self.q[self._rows, messages, actions]
        self.q[self._rows, messages, actions] = q + self.alpha * (rewards - q)
        self.t += 1

    def policy(self) -> np.ndarray:
        return uniform_over_argmax(self.q)


@register
class ReinforceReceiver(Receiver):
    """REINFORCE with a per-message critic baseline (the receiver of Info-Policy).

    Preferences ``h[m, a]``, policy ``softmax(h[m, .])``, critic ``v[m]``; with
    ``delta = r - v[m]``: ``v[m] += alpha_critic * delta`` and
    ``h[m, .] += alpha * delta * (onehot(a) - softmax(h[m, .]))``.
    """

    name = "reinforce"
    learns = True
    description = "REINFORCE (softmax policy per message) with a critic baseline"
    _param_names = ("alpha", "alpha_critic")

    def __init__(self, alpha: float = 0.5, alpha_critic: float = 0.5) -> None:
        super().__init__()
        self.alpha = check_positive(alpha, "alpha")
        self.alpha_critic = check_probability(
            check_positive(alpha_critic, "alpha_critic"), "alpha_critic"
        )

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        self.h = np.zeros((runs, view.n_messages, view.n_actions))
        self.v = np.zeros((runs, view.n_messages))
        self._rows = np.arange(runs)
        self._probs: np.ndarray | None = None

    def act(self, messages: np.ndarray) -> np.ndarray:
        self._probs = softmax(self.h[self._rows, messages])
        return sample_rows(self._probs, self.rng)

    def update(self, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        rows = self._rows
        delta = rewards - self.v[rows, messages]
        self.v[rows, messages] += self.alpha_critic * delta
        grad = -self._probs
        grad[rows, actions] += 1.0
        self.h[rows, messages] += self.alpha * delta[:, None] * grad

    def policy(self) -> np.ndarray:
        return uniform_over_argmax(self.h)


@register
class HedgeReceiver(Receiver):
    """EXP3 (Hedge with bandit feedback) run separately for each message: a no-regret learner.

    Payoffs in [-1, 1] become gains ``g = (r + 1) / 2`` in [0, 1]; the chosen action's
    log-weight grows by ``eta * g / p(a)`` (an unbiased estimate of the gain vector); play
    ``p = (1 - gamma) * softmax(logw) + gamma / A``. Any no-regret learner's empirical play
    converges to the best response, which is seed 000's assumption on learning receivers.
    """

    name = "hedge"
    learns = True
    description = "EXP3 / Hedge per message: a no-regret bandit learner"
    _param_names = ("eta", "gamma")

    def __init__(self, eta: float = 0.05, gamma: float = 0.05) -> None:
        super().__init__()
        self.eta = check_positive(eta, "eta")
        self.gamma = check_probability(gamma, "gamma")

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        self.log_weights = np.zeros((runs, view.n_messages, view.n_actions))
        self._rows = np.arange(runs)
        self._probs: np.ndarray | None = None

    def act(self, messages: np.ndarray) -> np.ndarray:
        n_actions = self.view.n_actions
        self._probs = (1 - self.gamma) * softmax(self.log_weights[self._rows, messages]) + (
            self.gamma / n_actions
        )
        return sample_rows(self._probs, self.rng)

    def update(self, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        rows = self._rows
        gains = np.clip((rewards + 1.0) / 2.0, 0.0, 1.0)
        chosen = self._probs[rows, actions]
        self.log_weights[rows, messages, actions] += self.eta * gains / chosen

    def policy(self) -> np.ndarray:
        return uniform_over_argmax(self.log_weights)
