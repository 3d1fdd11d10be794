"""Batched tabular learners over (context, arm) tables.

A learning receiver is a contextual bandit whose context is the message and whose arms are
actions; an independent learning sender is one whose context is the state and whose arms are
messages. Both sides use these learners, each table of shape ``(B, contexts, arms)``.
"""

from __future__ import annotations

import numpy as np

from agents._sampling import linear_schedule, sample_rows, softmax
from agents.base import rand_argmax, uniform_over_argmax
from persuasion_env._validation import check_int, check_positive, check_probability, check_real


class TabularLearner:
    """Interface: ``choose(contexts) -> arms``, ``learn(contexts, arms, rewards)``,
    ``greedy() -> (B, contexts, arms)`` distribution of the greedy choice."""

    def __init__(self, runs: int, contexts: int, arms: int, rng: np.random.Generator) -> None:
        self.runs, self.contexts, self.arms, self.rng = runs, contexts, arms, rng
        self.rows = np.arange(runs)
        self.t = 0

    def choose(self, contexts: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def learn(self, contexts: np.ndarray, arms: np.ndarray, rewards: np.ndarray) -> None:
        raise NotImplementedError

    def greedy(self) -> np.ndarray:
        raise NotImplementedError


class QLearner(TabularLearner):
    """``Q[c, k] += alpha (r - Q[c, k])``; epsilon-greedy with a linear epsilon schedule;
    greedy ties broken uniformly at random."""

    def __init__(
        self,
        runs,
        contexts,
        arms,
        rng,
        *,
        alpha,
        epsilon,
        epsilon_final,
        epsilon_decay_rounds,
        initial_q,
    ):
        super().__init__(runs, contexts, arms, rng)
        self.alpha, self.epsilon, self.epsilon_final = alpha, epsilon, epsilon_final
        self.decay_rounds = epsilon_decay_rounds
        self.q = np.full((runs, contexts, arms), float(initial_q))

    def current_epsilon(self) -> float:
        return linear_schedule(self.epsilon, self.epsilon_final, self.decay_rounds, self.t)

    def choose(self, contexts: np.ndarray) -> np.ndarray:
        arms = rand_argmax(self.q[self.rows, contexts], self.rng)
        eps = self.current_epsilon()
        if eps > 0:
            explore = self.rng.random(self.runs) < eps
            arms = np.where(explore, self.rng.integers(self.arms, size=self.runs), arms)
        return arms

    def learn(self, contexts, arms, rewards) -> None:
        if self.runs == 1:  # scalar indexing: the single-env hot path
            c, k = contexts[0], arms[0]
            self.q[0, c, k] += self.alpha * (rewards[0] - self.q[0, c, k])
        else:
            q = self.q[self.rows, contexts, arms]
            self.q[self.rows, contexts, arms] = q + self.alpha * (rewards - q)
        self.t += 1

    def greedy(self) -> np.ndarray:
        return uniform_over_argmax(self.q)


class ReinforceLearner(TabularLearner):
    """Softmax policy over preferences ``h[c, .]`` with a per-context critic ``v[c]``:
    ``delta = r - v[c]``, ``v[c] += alpha_critic delta``,
    ``h[c, .] += alpha delta (onehot(k) - softmax(h[c, .]))``."""

    def __init__(self, runs, contexts, arms, rng, *, alpha, alpha_critic):
        super().__init__(runs, contexts, arms, rng)
        self.alpha, self.alpha_critic = alpha, alpha_critic
        self.h = np.zeros((runs, contexts, arms))
        self.v = np.zeros((runs, contexts))
        self._probs: np.ndarray | None = None

    def choose(self, contexts: np.ndarray) -> np.ndarray:
        self._probs = softmax(self.h[self.rows, contexts])
        return sample_rows(self._probs, self.rng)

    def learn(self, contexts, arms, rewards) -> None:
        rows = self.rows
        delta = rewards - self.v[rows, contexts]
        self.v[rows, contexts] += self.alpha_critic * delta
        grad = -self._probs
        grad[rows, arms] += 1.0
        self.h[rows, contexts] += self.alpha * delta[:, None] * grad

    def greedy(self) -> np.ndarray:
        return uniform_over_argmax(self.h)


class Exp3Learner(TabularLearner):
    """EXP3: play ``(1 - gamma) softmax(logw[c]) + gamma / K``; rewards in [-1, 1] become gains
    ``(r + 1) / 2``; the chosen arm's log-weight grows by ``eta * gain / p(arm)``."""

    def __init__(self, runs, contexts, arms, rng, *, eta, gamma):
        super().__init__(runs, contexts, arms, rng)
        self.eta, self.gamma = eta, gamma
        self.log_weights = np.zeros((runs, contexts, arms))
        self._probs: np.ndarray | None = None

    def choose(self, contexts: np.ndarray) -> np.ndarray:
        weights = softmax(self.log_weights[self.rows, contexts])
        self._probs = (1 - self.gamma) * weights + self.gamma / self.arms
        return sample_rows(self._probs, self.rng)

    def learn(self, contexts, arms, rewards) -> None:
        gains = np.clip((rewards + 1.0) / 2.0, 0.0, 1.0)
        chosen = self._probs[self.rows, arms]
        self.log_weights[self.rows, contexts, arms] += self.eta * gains / chosen

    def greedy(self) -> np.ndarray:
        return uniform_over_argmax(self.log_weights)


class UCBLearner(TabularLearner):
    """UCB1 per context: play ``argmax_k mean[c, k] + c_explore sqrt(2 ln n[c] / n[c, k])``,
    untried arms first (ties at random).

    With ``discount < 1`` this is discounted UCB (Garivier and Moulines, 2011): each time
    context ``c`` is seen, its counts and reward sums are multiplied by ``discount`` before
    the new reward is added, so the estimates follow a payoff that changes (a sender that
    switches schemes) over about ``1 / (1 - discount)`` visits. ``discount = 1`` keeps plain
    sample means (UCB1).
    """

    def __init__(self, runs, contexts, arms, rng, *, c_explore, discount):
        super().__init__(runs, contexts, arms, rng)
        self.c_explore, self.discount = c_explore, discount
        self.counts = np.zeros((runs, contexts, arms))
        self.sums = np.zeros((runs, contexts, arms))

    def choose(self, contexts: np.ndarray) -> np.ndarray:
        counts = self.counts[self.rows, contexts]  # (B, K)
        total = counts.sum(axis=1, keepdims=True)
        tried = counts > 0
        safe = np.where(tried, counts, 1.0)
        bonus = self.c_explore * np.sqrt(2.0 * np.log(np.maximum(total, 1.0)) / safe)
        index = np.where(tried, self.sums[self.rows, contexts] / safe + bonus, np.inf)
        return rand_argmax(index, self.rng)

    def learn(self, contexts, arms, rewards) -> None:
        rows = self.rows
        if self.discount < 1.0:
            self.counts[rows, contexts] *= self.discount
            self.sums[rows, contexts] *= self.discount
        self.counts[rows, contexts, arms] += 1.0
        self.sums[rows, contexts, arms] += rewards
        self.t += 1

    def greedy(self) -> np.ndarray:
        # Untried arms have no estimate; the greedy choice is among the tried ones.
        tried = self.counts > 0
        means = self.sums / np.where(tried, self.counts, 1.0)
        return uniform_over_argmax(np.where(tried, means, -np.inf))


# ------------------------------------------------------------------ option parsing


def q_options(alpha, epsilon, epsilon_final, epsilon_decay_rounds, initial_q) -> dict:
    """Validated Q-learning options (shared by the Q-learning sender and receiver)."""
    epsilon = check_probability(epsilon, "epsilon")
    return dict(
        alpha=check_probability(check_positive(alpha, "alpha"), "alpha"),
        epsilon=epsilon,
        epsilon_final=epsilon
        if epsilon_final is None
        else check_probability(epsilon_final, "epsilon_final"),
        epsilon_decay_rounds=check_int(epsilon_decay_rounds, "epsilon_decay_rounds", minimum=0),
        initial_q=check_real(initial_q, "initial_q"),
    )


def reinforce_options(alpha, alpha_critic) -> dict:
    return dict(
        alpha=check_positive(alpha, "alpha"),
        alpha_critic=check_probability(
            check_positive(alpha_critic, "alpha_critic"), "alpha_critic"
        ),
    )


def exp3_options(eta, gamma) -> dict:
    return dict(eta=check_positive(eta, "eta"), gamma=check_probability(gamma, "gamma"))


def ucb_options(c_explore, discount) -> dict:
    return dict(
        c_explore=check_positive(c_explore, "c_explore", allow_zero=True),
        discount=check_probability(check_positive(discount, "discount"), "discount"),
    )
