"""Independent learning senders: a tabular learner over (state, message).

The messages carry no built-in meaning: like the independent learners (IQL) of Bhatt & Buro,
sender and receiver must discover a language together. Each is a batched contextual bandit
(:mod:`agents._bandits`) whose context is the state and whose arms are the messages.
"""

from __future__ import annotations

import numpy as np

from agents import _bandits, _kernels
from agents.base import BLACK_BOX, GameView, Sender
from agents.registry import register
from persuasion_env._validation import check_int
from persuasion_env.compiled import CompiledStep


class BanditSender(Sender):
    """A sender that runs one tabular learner over (state, message)."""

    learns = True
    information = BLACK_BOX
    observes = ("state", "action", "own_payoff")
    batched_games = True
    _learner: type[_bandits.TabularLearner]

    def _set_options(self, options: dict, n_messages: int | None, **public: object) -> None:
        self._options = options
        self.n_messages = (
            None if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )
        for key, value in public.items():
            setattr(self, key, value)

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        self.learner = self._learner(runs, view.n_states, view.n_messages, rng, **self._options)

    def act(self, states: np.ndarray) -> np.ndarray:
        return self.learner.choose(states, self.rng)  # the agent's Generator, as compiled

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        self.learner.learn(states, messages, rewards, self.rng)

    def policy(self) -> np.ndarray:
        return self.learner.greedy()

    def compiled_step(self) -> CompiledStep | None:
        """The learner's kernels for the compiled round loop (``None`` without numba)."""
        learner = self.learner
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=getattr(_kernels, learner.choose_kernel),
            update=getattr(_kernels, learner.sender_update_kernel),
            state=learner.state,
        )


@register
class QLearningSender(BanditSender):
    """Independent Q-learning over (state, message), epsilon-greedy (the IQL baseline)."""

    name = "q_learning"
    description = "Independent Q-learning over (state, message), epsilon-greedy"
    _learner = _bandits.QLearner
    _param_names = (
        "alpha",
        "epsilon",
        "epsilon_final",
        "epsilon_decay_rounds",
        "initial_q",
        "n_messages",
    )

    def __init__(
        self,
        alpha: float = 0.1,
        epsilon: float = 0.1,
        epsilon_final: float | None = 0.0,
        epsilon_decay_rounds: int = 5000,
        initial_q: float = 0.0,
        n_messages: int | None = None,
    ) -> None:
        super().__init__()
        options = _bandits.q_options(alpha, epsilon, epsilon_final, epsilon_decay_rounds, initial_q)
        self._set_options(options, n_messages, **options)


@register
class ReinforceSender(BanditSender):
    """REINFORCE over messages per state, with a per-state critic baseline."""

    name = "reinforce"
    description = "REINFORCE: softmax message policy per state, critic baseline"
    _learner = _bandits.ReinforceLearner
    _param_names = ("alpha", "alpha_critic", "n_messages")

    def __init__(
        self, alpha: float = 0.5, alpha_critic: float = 0.5, n_messages: int | None = None
    ) -> None:
        super().__init__()
        options = _bandits.reinforce_options(alpha, alpha_critic)
        self._set_options(options, n_messages, **options)


@register
class HedgeSender(BanditSender):
    """EXP3 over messages, run separately for each state."""

    name = "hedge"
    description = "EXP3 / Hedge over messages per state: a no-regret bandit learner"
    _learner = _bandits.Exp3Learner
    _param_names = ("eta", "gamma", "n_messages")

    def __init__(
        self, eta: float = 0.05, gamma: float = 0.05, n_messages: int | None = None
    ) -> None:
        super().__init__()
        options = _bandits.exp3_options(eta, gamma)
        self._set_options(options, n_messages, **options)
