"""Lin et al.'s receiver: a softmax actor per message with a TD critic (MODEL.md C2).

The receiver (HR) of Lin, Li, Zha & Wang, *Information Design in Multi-Agent Reinforcement
Learning* (NeurIPS 2023), public code ``YueLin301/InformationDesignMARL``:

* ``exp_recommendation/agent_class.py`` (``hr_class``): the actor is
  ``softmax(Linear(M -> A, bias=False)(onehot(m)))``, i.e. a logits table ``W[m, a]``; the
  critic is ``Linear(M + A -> 2, bias=False) -> tanh -> Linear(2 -> 1, bias=False)`` on
  ``onehot(m) ++ onehot(a)``; ``update_ac`` takes, over a batch of rounds,
  ``critic_loss = mean((r - Q(m, a))^2)`` and ``actor_obj = mean(delta * log pi(a | m))``
  with the TD error ``delta = r - V(m)``, ``V(m) = sum_a pi(a | m) Q(m, a)`` (``pi``
  detached; a one-step game, no bootstrap); every gradient is clamped to [-1, 1]
  (``grad.data.clamp_(-1, 1)``) before an Adam step (``torch.optim.Adam`` defaults:
  betas 0.9 / 0.999, eps 1e-8); the actor steps first, both from the same batch.
* ``exp_recommendation/configs/formal_config.py``: ``lr_actor = lr_critic = 7e-4``,
  ``entropy_coe = 0``, ``GAE_term = 'TD-error'``, no initialisation override.
* ``exp_recommendation/configs/env_config.py``: ``sample_n_students = 100`` rounds per
  batch (one update per batch).

Here both are tables, batched over runs, in NumPy with a small Adam. The critic table is
*initialised* with the values of a randomly initialised copy of their tanh net (PyTorch's
default ``Linear`` initialisation, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``), so the starting
``Q`` has their scale; from then on the table learns each ``Q(m, a)`` independently, which
for one-hot inputs is the function class the net approximates (``critic_init="zero"``
starts at 0 instead). The actor's logits start at ``U(-1/sqrt(M), 1/sqrt(M))``, as theirs.

Differences, on purpose: in their training loop the receiver updates on every *other* batch
when the sender learns (``exp_recommendation/train.py`` uses the second batch for the
sender's update only); here the receiver updates on every batch of ``batch_size`` rounds it
plays. The greedy policy reported is the argmax of the logits (ties uniform).
"""

from __future__ import annotations

import numpy as np

from agents import _kernels
from agents.base import BLACK_BOX, GameView, Receiver, uniform_over_argmax
from agents.registry import register
from persuasion_env._validation import check_choice, check_int, check_positive, check_probability
from persuasion_env.compiled import CompiledStep

__all__ = ["ActorCriticReceiver", "BatchedAdam"]


class BatchedAdam:
    """Adam (Kingma & Ba; ``torch.optim.Adam``'s update with bias correction) on one array.

    Every run's parameters get their own moments; all runs step together, so the step count
    is shared. ``step(grad)`` returns the *change* to add for gradient **descent**.
    """

    def __init__(
        self,
        shape: tuple[int, ...],
        lr: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = np.zeros(shape)
        self.v = np.zeros(shape)
        self.t = 0

    def step(self, grad: np.ndarray) -> np.ndarray:
        self.t += 1
        self.m *= self.beta1
        self.m += (1 - self.beta1) * grad
        self.v *= self.beta2
        self.v += (1 - self.beta2) * grad * grad
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return -self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


@register
class ActorCriticReceiver(Receiver):
    """Lin et al.'s receiver: softmax actor per message, TD critic ``Q(m, a)``, Adam.

    Every ``batch_size`` rounds (per run), with ``n`` the batch size and ``delta_j =
    r_j - V(m_j)``, ``V(m) = sum_a pi(a | m) Q(m, a)``:

    * actor (ascent): ``grad W[m, .] = (1/n) sum_{j: m_j = m} delta_j (onehot(a_j) - pi(.|m))``
    * critic (descent on the mean squared TD error):
      ``grad Q[m, a] = -(2/n) sum_{j: (m_j, a_j) = (m, a)} (r_j - Q[m, a])``

    each clamped to ``[-grad_clip, grad_clip]`` and applied with Adam. No entropy bonus.
    The engine's normalised payoffs (``normalize=True``) are what it learns from; Lin et al.'s
    recommendation letter already has payoffs in [-1, 1].
    """

    name = "actor_critic"
    description = "Lin et al. 2023's receiver: softmax actor per message, TD critic, Adam 7e-4"
    learns = True
    information = BLACK_BOX
    observes = ("message", "own_payoff")
    batched_games = True
    _param_names = ("lr_actor", "lr_critic", "batch_size", "grad_clip", "critic_init")

    def __init__(
        self,
        lr_actor: float = 7e-4,
        lr_critic: float = 7e-4,
        batch_size: int = 100,
        grad_clip: float = 1.0,
        critic_init: str = "net",
    ) -> None:
        super().__init__()
        self.lr_actor = check_probability(check_positive(lr_actor, "lr_actor"), "lr_actor")
        self.lr_critic = check_probability(check_positive(lr_critic, "lr_critic"), "lr_critic")
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.grad_clip = check_positive(grad_clip, "grad_clip")
        self.critic_init = check_choice(critic_init, "critic_init", ("net", "zero"), listed=False)

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        n_messages, n_actions = view.n_messages, view.n_actions
        shape = (runs, n_messages, n_actions)
        # torch.nn.Linear(M, A, bias=False): weights U(-1/sqrt(M), 1/sqrt(M)).
        bound = 1.0 / np.sqrt(n_messages)
        self.logits = rng.uniform(-bound, bound, size=shape)
        self.q = self._initial_q(rng, runs, n_messages, n_actions)
        self.actor_adam = BatchedAdam(shape, self.lr_actor)
        self.critic_adam = BatchedAdam(shape, self.lr_critic)
        # Per-batch sufficient statistics: visits and reward sums of each (m, a).
        _kernels.ready()
        self.counts = np.zeros(shape)
        self.reward_sums = np.zeros(shape)
        self._in_batch = np.zeros(1, dtype=np.int64)
        self.rows = np.arange(runs)
        self._refresh_policy()

    @property
    def in_batch(self) -> int:
        """Rounds played in the current batch."""
        return int(self._in_batch[0])

    def _initial_q(self, rng, runs: int, n_messages: int, n_actions: int) -> np.ndarray:
        """``Q`` of a fresh copy of Lin et al.'s critic net (hidden width 2), per run."""
        if self.critic_init == "zero":
            return np.zeros((runs, n_messages, n_actions))
        width = n_messages + n_actions
        hidden = rng.uniform(-1 / np.sqrt(width), 1 / np.sqrt(width), size=(runs, 2, width))
        out = rng.uniform(-1 / np.sqrt(2), 1 / np.sqrt(2), size=(runs, 2))
        # pre[b, h, m, a] = hidden[b, h, m] + hidden[b, h, M + a]
        pre = hidden[:, :, :n_messages, None] + hidden[:, :, None, n_messages:]
        return np.einsum("bh,bhma->bma", out, np.tanh(pre))

    def _refresh_policy(self) -> None:
        """Cache ``pi`` and its cumulative sums; the actor only changes between batches."""
        z = np.exp(self.logits - self.logits.max(axis=-1, keepdims=True))
        self.pi = z / z.sum(axis=-1, keepdims=True)
        self._cumulative = np.cumsum(self.pi, axis=-1)
        self._cumulative[..., -1] = 1.0  # every draw lands on an action

    def _state(self) -> tuple:
        return (self._cumulative, self.counts, self.reward_sums, self._in_batch)

    def act(self, messages: np.ndarray) -> np.ndarray:
        # One uniform per run against the cumulative policy (the scheme senders' draw).
        return _kernels.choose(_kernels.scheme_act, self._state(), messages, self.rng)

    def update(self, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        _kernels.batch_statistics_update(
            self._state(),
            _kernels.as_index(messages),
            _kernels.as_index(actions),
            np.asarray(rewards, dtype=np.float64),
            _kernels.kernel_rng(self.rng),
        )
        self.end_compiled_segment()

    def end_compiled_segment(self) -> None:
        """At the end of a batch, the Adam steps of actor and critic (NumPy)."""
        if self.in_batch == self.batch_size:
            self._learn()

    def compiled_step(self) -> CompiledStep | None:
        """Its kernels for the compiled round loop (``None`` without numba): within a batch
        it samples from its fixed policy and collects statistics; the batch's learning step
        runs in :meth:`end_compiled_segment`."""
        if not _kernels.ready():
            return None
        return CompiledStep(
            act=_kernels.scheme_act,
            update=_kernels.batch_statistics_update,
            state=self._state(),
            horizon=self.batch_size - self.in_batch,
        )

    # Batched drivers (Lin et al.'s loop in agents.reproduce.signaling) play k rounds of a
    # batch at once; these give exactly what k calls of act / update give.

    def act_rounds(self, messages: np.ndarray) -> np.ndarray:
        """Actions ``(B, k)`` for ``k`` rounds of messages ``(B, k)`` with the current policy
        (the same draws as ``k`` calls of :meth:`act`)."""
        cumulative = self._cumulative[self.rows[:, None], messages]  # (B, k, A)
        u = self.rng.random((messages.shape[1], self.runs)).T
        return (cumulative < u[..., None]).sum(axis=-1)

    def update_rounds(self, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Feedback of ``k`` rounds ``(B, k)`` that fit in the current batch (the same as
        ``k`` calls of :meth:`update`)."""
        k = messages.shape[1]
        if self.in_batch + k > self.batch_size:
            raise ValueError(f"{k} rounds do not fit in the batch ({self.in_batch} filled)")
        rows = np.broadcast_to(self.rows[:, None], messages.shape)
        np.add.at(self.counts, (rows, messages, actions), 1.0)
        np.add.at(self.reward_sums, (rows, messages, actions), rewards)
        self._in_batch[0] += k
        if self.in_batch == self.batch_size:
            self._learn()

    def _learn(self) -> None:
        n = self.in_batch
        counts, sums = self.counts, self.reward_sums
        values = (self.pi * self.q).sum(axis=-1, keepdims=True)  # V(m), (B, M, 1)
        # sum of delta_j over the rounds of each (m, a), and over each m
        delta_sums = sums - counts * values
        delta_per_message = delta_sums.sum(axis=-1, keepdims=True)
        actor_grad = (delta_sums - self.pi * delta_per_message) / n  # ascent direction
        critic_grad = -2.0 * (sums - counts * self.q) / n  # descent direction
        clip = self.grad_clip
        self.logits += self.actor_adam.step(-np.clip(actor_grad, -clip, clip))
        self.q += self.critic_adam.step(np.clip(critic_grad, -clip, clip))
        counts.fill(0.0)
        sums.fill(0.0)
        self._in_batch[0] = 0
        self._refresh_policy()

    def policy(self) -> np.ndarray:
        return uniform_over_argmax(self.logits)

    def action_probabilities(self) -> np.ndarray:
        """The current stochastic policy ``pi[b, m, a]`` (what ``act`` samples from)."""
        return self.pi.copy()
