"""Batched tabular learners over (context, arm) tables.

A learning receiver is a contextual bandit whose context is the message and whose arms are
actions; an independent learning sender is one whose context is the state and whose arms are
messages. Both sides use these learners, each table of shape ``(B, contexts, arms)``.
"""

from __future__ import annotations

import numpy as np

from agents import _kernels
from agents.base import uniform_over_argmax
from persuasion_env._validation import check_int, check_positive, check_probability, check_real


class _Param:
    """An option a learner's kernels read from ``_params[index]``: setting the attribute also
    writes it there, so that a change takes effect on every path (the compiled rounds keep
    the arrays of ``state`` rather than asking for it every round). Reads give the value as
    set."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> object:
        if obj is None:
            return self
        return obj.__dict__[self.name]

    def __set__(self, obj: object, value: object) -> None:
        obj._params[self.index] = value
        obj.__dict__[self.name] = value


class TabularLearner:
    """Interface: ``choose(contexts, rng) -> arms``, ``learn(contexts, arms, rewards, rng)``
    (``rng``: the owning agent's current Generator), ``greedy() -> (B, contexts, arms)``
    distribution of the greedy choice.

    The rules themselves are the kernels of :mod:`agents._kernels` (``choose_kernel``,
    ``learn_kernel``) over the arrays of ``state``: :meth:`choose` and :meth:`learn` call
    them, and so does the compiled round loop.
    """

    choose_kernel: str
    learn_kernel: str
    sender_update_kernel: str

    def __init__(self, runs: int, contexts: int, arms: int, rng: np.random.Generator) -> None:
        _kernels.ready()
        self.runs, self.contexts, self.arms, self.rng = runs, contexts, arms, rng
        self.rows = np.arange(runs)
        self._t = np.zeros(1, dtype=np.int64)

    @property
    def t(self) -> int:
        """Rounds learned so far (Q-learning and UCB count them)."""
        return int(self._t[0])

    @t.setter
    def t(self, value: int) -> None:
        self._t[0] = value

    @property
    def state(self) -> tuple:
        """The arrays the kernels change in place."""
        raise NotImplementedError

    def choose(self, contexts: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """The arms for ``contexts``, drawn from ``rng`` (default: the Generator of the
        learner's construction). An agent passes its current ``rng``: the compiled loops draw
        from ``agent.rng``, so a Generator given to the agent after reset must drive both."""
        return _kernels.choose(
            getattr(_kernels, self.choose_kernel),
            self.state,
            contexts,
            self.rng if rng is None else rng,
        )

    def learn(
        self,
        contexts: np.ndarray,
        arms: np.ndarray,
        rewards: np.ndarray,
        rng: np.random.Generator | None = None,
    ) -> None:
        """Learn from one round; ``rng`` as in :meth:`choose`."""
        kernel = getattr(_kernels, self.learn_kernel)
        kernel(
            self.state,
            _kernels.as_index(contexts),
            _kernels.as_index(arms),
            np.asarray(rewards, dtype=np.float64),
            _kernels.kernel_rng(self.rng if rng is None else rng),
        )

    def greedy(self) -> np.ndarray:
        raise NotImplementedError


class QLearner(TabularLearner):
    """``Q[c, k] += alpha (r - Q[c, k])``; epsilon-greedy with a linear epsilon schedule;
    greedy ties broken uniformly at random."""

    choose_kernel, learn_kernel, sender_update_kernel = "q_choose", "q_learn", "q_sender_update"

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
        self._params = np.zeros(4)
        self.alpha, self.epsilon, self.epsilon_final = alpha, epsilon, epsilon_final
        self.decay_rounds = epsilon_decay_rounds
        self.q = np.full((runs, contexts, arms), float(initial_q))

    alpha, epsilon, epsilon_final, decay_rounds = _Param(0), _Param(1), _Param(2), _Param(3)

    @property
    def state(self) -> tuple:
        return (self.q, self._params, self._t)

    def current_epsilon(self) -> float:
        return _kernels.linear_schedule(self.epsilon, self.epsilon_final, self.decay_rounds, self.t)

    def greedy(self) -> np.ndarray:
        return uniform_over_argmax(self.q)


class ReinforceLearner(TabularLearner):
    """Softmax policy over preferences ``h[c, .]`` with a per-context critic ``v[c]``:
    ``delta = r - v[c]``, ``v[c] += alpha_critic delta``,
    ``h[c, .] += alpha delta (onehot(k) - softmax(h[c, .]))``."""

    choose_kernel, learn_kernel = "reinforce_choose", "reinforce_learn"
    sender_update_kernel = "reinforce_sender_update"

    def __init__(self, runs, contexts, arms, rng, *, alpha, alpha_critic):
        super().__init__(runs, contexts, arms, rng)
        self._params = np.zeros(2)
        self.alpha, self.alpha_critic = alpha, alpha_critic
        self.h = np.zeros((runs, contexts, arms))
        self.v = np.zeros((runs, contexts))
        self._probs = np.zeros((runs, arms))  # the probabilities played, for the update

    alpha, alpha_critic = _Param(0), _Param(1)

    @property
    def state(self) -> tuple:
        return (self.h, self.v, self._probs, self._params)

    def greedy(self) -> np.ndarray:
        return uniform_over_argmax(self.h)


class Exp3Learner(TabularLearner):
    """EXP3: play ``(1 - gamma) softmax(logw[c]) + gamma / K``; rewards become gains
    ``clip((r + 1) / 2, 0, 1)`` (rewards in [-1, 1] map onto [0, 1]; noisy ones outside are
    clipped); the chosen arm's log-weight grows by ``eta * gain / p(arm)``."""

    choose_kernel, learn_kernel, sender_update_kernel = (
        "exp3_choose",
        "exp3_learn",
        "exp3_sender_update",
    )

    def __init__(self, runs, contexts, arms, rng, *, eta, gamma):
        super().__init__(runs, contexts, arms, rng)
        self._params = np.zeros(2)
        self.eta, self.gamma = eta, gamma
        self.log_weights = np.zeros((runs, contexts, arms))
        self._probs = np.zeros((runs, arms))

    eta, gamma = _Param(0), _Param(1)

    @property
    def state(self) -> tuple:
        return (self.log_weights, self._probs, self._params)

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

    choose_kernel, learn_kernel, sender_update_kernel = (
        "ucb_choose",
        "ucb_learn",
        "ucb_sender_update",
    )

    def __init__(self, runs, contexts, arms, rng, *, c_explore, discount):
        super().__init__(runs, contexts, arms, rng)
        self._params = np.zeros(2)
        self.c_explore, self.discount = c_explore, discount
        self.counts = np.zeros((runs, contexts, arms))
        self.sums = np.zeros((runs, contexts, arms))
        self._index = np.zeros(arms)  # scratch: the UCB index of one context

    c_explore, discount = _Param(0), _Param(1)

    @property
    def state(self) -> tuple:
        return (self.counts, self.sums, self._index, self._params, self._t)

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
