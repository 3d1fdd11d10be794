"""Learning receivers (implicit commitment, MODEL.md A4.3).

They never see the scheme: each round they observe the message, act, and then observe their
own payoff. The engine normalises payoffs into [-1, 1] by default (``normalize=True``), which
is what the optimistic initial values and the EXP3 gain mapping assume. Each is a batched
contextual bandit (:mod:`agents._bandits`) whose context is the message and whose arms are
the actions, except :class:`FictitiousPlayReceiver`, which also learns the state after acting
and best-responds to the posteriors it has seen.
"""

from __future__ import annotations

import numpy as np

from agents import _bandits, _kernels
from agents.base import BLACK_BOX, GameView, Receiver, uniform_over_argmax
from agents.registry import register
from persuasion_env._validation import check_positive, check_probability
from persuasion_env.compiled import CompiledStep


class BanditReceiver(Receiver):
    """A receiver that runs one tabular learner over (message, action)."""

    learns = True
    information = BLACK_BOX
    observes = ("message", "own_payoff")
    batched_games = True
    _learner: type[_bandits.TabularLearner]

    def _set_options(self, options: dict, **public: object) -> None:
        self._options = options
        for key, value in public.items():
            setattr(self, key, value)

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        self.learner = self._learner(runs, view.n_messages, view.n_actions, rng, **self._options)

    def act(self, messages: np.ndarray) -> np.ndarray:
        return self.learner.choose(messages, self.rng)  # the agent's Generator, as compiled

    def update(self, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        self.learner.learn(messages, actions, rewards, self.rng)

    def policy(self) -> np.ndarray:
        return self.learner.greedy()

    def compiled_step(self) -> CompiledStep | None:
        """The learner's kernels for the compiled round loop (``None`` without numba)."""
        learner = self.learner
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=getattr(_kernels, learner.choose_kernel),
            update=getattr(_kernels, learner.learn_kernel),
            state=learner.state,
        )


@register
class QLearningReceiver(BanditReceiver):
    """Tabular Q-learning over (message, action) with epsilon-greedy play.

    ``Q[m, a] += alpha * (r - Q[m, a])``. Starting ``Q`` above every payoff ("optimistic
    initialisation", ``initial_q = 2`` with payoffs in [-1, 1], as in the reference code of
    Bhatt & Buro) makes even a greedy learner try every action. The exploration rate moves
    linearly from ``epsilon`` to ``epsilon_final`` over ``epsilon_decay_rounds`` rounds.
    Greedy ties are broken uniformly at random.
    """

    name = "q_learning"
    description = "Q-learning on (message, action), epsilon-greedy, optimistic initial values"
    _learner = _bandits.QLearner
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
        options = _bandits.q_options(alpha, epsilon, epsilon_final, epsilon_decay_rounds, initial_q)
        self._set_options(options, **options)


@register
class ReinforceReceiver(BanditReceiver):
    """REINFORCE with a per-message critic baseline (the receiver of Info-Policy).

    Preferences ``h[m, a]``, policy ``softmax(h[m, .])``, critic ``v[m]``; with
    ``delta = r - v[m]``: ``v[m] += alpha_critic * delta`` and
    ``h[m, .] += alpha * delta * (onehot(a) - softmax(h[m, .]))``.
    """

    name = "reinforce"
    description = "REINFORCE (softmax policy per message) with a critic baseline"
    _learner = _bandits.ReinforceLearner
    _param_names = ("alpha", "alpha_critic")

    def __init__(self, alpha: float = 0.5, alpha_critic: float = 0.5) -> None:
        super().__init__()
        options = _bandits.reinforce_options(alpha, alpha_critic)
        self._set_options(options, **options)


@register
class HedgeReceiver(BanditReceiver):
    """EXP3 (Hedge with bandit feedback) run separately for each message: a no-regret learner.

    Payoffs in [-1, 1] become gains ``g = (r + 1) / 2`` in [0, 1]; the chosen action's
    log-weight grows by ``eta * g / p(a)`` (an unbiased estimate of the gain vector); play
    ``p = (1 - gamma) * softmax(logw) + gamma / A``. Any no-regret learner's empirical play
    converges to the best response, which is seed 000's assumption on learning receivers.
    """

    name = "hedge"
    description = "EXP3 / Hedge per message: a no-regret bandit learner"
    _learner = _bandits.Exp3Learner
    _param_names = ("eta", "gamma")

    def __init__(self, eta: float = 0.05, gamma: float = 0.05) -> None:
        super().__init__()
        options = _bandits.exp3_options(eta, gamma)
        self._set_options(options, **options)


@register
class UCBReceiver(BanditReceiver):
    """UCB1 per message: optimism in the face of uncertainty, sample-mean estimates.

    ``discount < 1`` gives discounted UCB (Garivier and Moulines, 2011): the estimates of a
    message forget old payoffs at rate ``discount`` per visit of that message, so the learner
    follows a sender that changes its scheme (the implicit-commitment experiment of seed
    000 switches schemes every epoch). ``discount = 1`` is UCB1 with plain sample means.
    """

    name = "ucb"
    description = "UCB1 per message (discount < 1: discounted UCB, follows a changing scheme)"
    _learner = _bandits.UCBLearner
    _param_names = ("c_explore", "discount")

    def __init__(self, c_explore: float = 0.5, discount: float = 1.0) -> None:
        super().__init__()
        options = _bandits.ucb_options(c_explore, discount)
        self._set_options(options, **options)


@register
class FictitiousPlayReceiver(Receiver):
    """Discounted fictitious play: best response to the posteriors seen after each message.

    The receiver never sees the scheme, but learns the state after acting (ex-post state
    observation). Per message it keeps discounted state counts ``n[m, s]``: each time ``m``
    is received they are multiplied by ``discount`` and the realised state's count grows by
    one. It plays the best response, under its own utility ``u2``, to the empirical
    posterior ``n[m, .] / sum_s n[m, s]``, ties broken at random. This is seed 000's
    learning receiver taken literally: once the empirical frequency of (state, message)
    settles on a scheme, the receiver has learned the correct response to it.

    The counts start at ``prior_weight * prior``: a message never received is answered as if
    it carried no information (the rational answer to an unsent message, MODEL.md A1).
    ``discount < 1`` forgets a previous scheme over about ``1 / (1 - discount)`` receipts of a
    message; ``discount = 1`` is classical fictitious play (the whole history counts).
    """

    name = "fictitious_play"
    description = "Fictitious play: sees the state after acting, best-responds to the posteriors"
    learns = True
    observes_state = True
    information = BLACK_BOX
    observes = ("message", "state_after")  # it learns beliefs, not payoffs
    batched_games = True
    _param_names = ("discount", "prior_weight")

    def __init__(self, discount: float = 0.995, prior_weight: float = 1.0) -> None:
        super().__init__()
        self.discount = check_probability(check_positive(discount, "discount"), "discount")
        self.prior_weight = check_positive(prior_weight, "prior_weight")

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        _kernels.ready()
        priors = np.broadcast_to(view.priors, (runs, view.n_states))
        self.utilities = np.ascontiguousarray(view.utilities, dtype=np.float64)  # (1 or B, S, A)
        self.state_counts = np.repeat(self.prior_weight * priors[:, None, :], view.n_messages, 1)
        self._state = (
            self.state_counts,
            self.utilities,
            np.zeros(view.n_actions),  # scratch: one message's action values
            np.array([self.discount], dtype=float),
        )

    def act(self, messages: np.ndarray) -> np.ndarray:
        return _kernels.choose(_kernels.fp_act, self._state, messages, self.rng)

    def observe_states(self, messages: np.ndarray, states: np.ndarray) -> None:
        _kernels.fp_observe(self._state, _kernels.as_index(messages), _kernels.as_index(states))

    def policy(self) -> np.ndarray:
        values = np.empty(self.state_counts.shape[:2] + (self.view.n_actions,))
        _kernels.fp_all_values(self._state, values)
        return uniform_over_argmax(values)

    def compiled_step(self) -> CompiledStep | None:
        """Its kernels for the compiled round loop (``None`` without numba)."""
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=_kernels.fp_act,
            update=_kernels.no_update,
            state=self._state,
            observe=_kernels.fp_observe,
        )
