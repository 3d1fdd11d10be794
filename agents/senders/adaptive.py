"""A black-box sender that learns where a learning receiver obeys, then persuades it with a
safety margin it finds itself: :class:`MarginAdaptiveSender`, registered as
``margin_adaptive`` (issue 16, MODEL.md C1).

The sender knows the prior and its own utility ``u1``; it sees the state and, after each
round, the receiver's action. It never sees ``u2``, the receiver's payoffs or the LP. It plays
**epochs**: one scheme for ``epoch_rounds`` rounds, and it reads the receiver's action
counts per message over the epoch's second half (a learner has then settled on the scheme:
seed 000's implicit-commitment protocol, MODEL.md A4.3, inside the agent).

1. **Disclosure** (the first ``disclosure_epochs`` epochs): message ``s mod M`` in state
   ``s`` (full disclosure when ``S <= M``). What the receiver does per message shows its best
   action ``b(s)`` in each state, and how consistently it plays it: the *reference
   obedience* ``o_ref`` (a learner that keeps exploring never obeys more often than that).
2. **Response model**: a multinomial logit ``q(a | mu) = softmax(mu @ W)`` of the receiver's
   action given the posterior ``mu`` of a message, fitted to the disclosure epochs'
   (posterior, action counts) pairs (:func:`fit_logit_response`). ``W`` stands for the
   receiver's utility up to scale; its argmax at each vertex is ``b(s)``.
3. **Persuasion with a margin**: the LP of MODEL.md A2 solved once on the model
   (``u2 := W``, :func:`model_lp_scheme`) gives the direction ``L`` to persuade in; the
   sender plays ``theta * F + (1 - theta) * L``, with ``F`` the recommendation form of full
   disclosure (recommend ``b(s)`` in state ``s``). Obedience constraints are linear in the
   scheme and ``F`` satisfies them with slack, so ``theta`` is a safety margin that needs no
   ``u2``. (Refitting the model on the later epochs was tried and dropped: a learner that
   lags behind a new scheme "obeys" recommendations it will later refuse, and the model
   then moves the boundary the wrong way.)
4. **Margin adaptation**: ``theta`` moves on a grid (:data:`THETAS`). After ``dwell_epochs
   + level // 3`` epochs at a level in which every message was obeyed about as often as under
   disclosure (``>= o_ref - tolerance``; ``o_ref`` is re-measured whenever ``theta = 1``)
   it moves one step down (more persuasion); after an epoch that was not, two steps up, and
   the failed level becomes a ceiling it never passes again (a learner that locks in, such
   as greedy Q-learning, is not pushed twice).
5. **Messages**: a learner ties its action to the message *label*, so the recommendation
   of ``a`` goes on a message after which the receiver already plays ``a``. By default the
   sender uses ``2 A`` messages: a message mostly disobeyed ``patience`` epochs in a row has
   lost its meaning for that learner (greedy Q-learning that met a few bad hires never hires
   again after it), and its action moves to a spare message the learner meets afresh.

Disclosure lasts until the learner has settled (plays one action after each message in at
least ``settle_share`` of the counted rounds), so a slow learner (the actor-critic) is not
read before it has learned anything.

6. **Slow learners** (``slow_learner=True``): a learner that settles only after
   ``slow_epochs`` epochs of disclosure, or not before it times out
   (``max_disclosure_epochs``), changes its play far more slowly than an epoch (Lin
   et al.'s actor-critic: Adam at 7e-4 per batch of 100 rounds). Against it the margin grid
   above ended at full disclosure (0.334 on the recommendation letter at 10^6 rounds), so
   steps 4-5 (and the silence probe) are replaced by
   :class:`agents.senders._slow_learner.SlowLearnerPush`: obedience is a stock the sender
   builds with a scheme with slack (by default full disclosure) and then spends,
   moving along the line from ``F`` through the model LP (and beyond it: the model's
   boundary is not the learner's) while the obedience it observes after each recommendation
   holds near a goal and does not fall, backing off when it does. The regime is detected
   from play (how long disclosure took to settle), never from the receiver's name. (Measured
   on the letter, the prosecutor and random 4x4 / 8x8 games: q_learning, reinforce, ucb and
   fictitious_play settle in 2-3 epochs, hedge in 2-40, the actor-critic in none of 200.)

Everything is batched over runs (and over games of one shape: each run has its own model).
"""

from __future__ import annotations

import numpy as np

from agents._sampling import sample_rows, softmax
from agents.base import BLACK_BOX, GameView, Sender
from agents.registry import register
from agents.senders._slow_learner import SlowLearnerPush
from persuasion_env import bayes
from persuasion_env._validation import check_bool, check_int, check_positive, check_probability
from persuasion_env.game import PersuasionGame
from persuasion_env.solvers.commitment import solve_commitment

__all__ = ["THETAS", "MarginAdaptiveSender", "fit_logit_response", "model_lp_scheme"]

#: The grid of safety margins: the weight of full disclosure in the scheme played.
THETAS: tuple[float, ...] = (
    1.0,
    0.85,
    0.7,
    0.55,
    0.45,
    0.35,
    0.25,
    0.18,
    0.12,
    0.08,
    0.05,
    0.03,
    0.015,
    0.0,
)


def fit_logit_response(
    posteriors: np.ndarray,
    counts: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    start: np.ndarray | None = None,
    regularization: float = 1e-3,
    steps: int = 100,
    lr: float = 2.0,
) -> np.ndarray:
    """Fit ``q(a | mu) = softmax(mu @ W)`` to observed action counts, batched over runs.

    Minimises ``-sum_i w_i sum_a c[i, a] log q(a | mu_i) / sum_i w_i n_i + reg * |W|^2`` by
    gradient descent (the loss is convex; with ``sum_s mu_s = 1`` its curvature is at most
    1/2 + 2 reg, so ``lr = 2`` is a safe step at small ``reg``).

    Args:
        posteriors: ``(B, N, S)`` the posterior of each observed message.
        counts: ``(B, N, A)`` the receiver's action counts after each.
        weights: ``(B, N)`` per-observation weights (default 1).
        start: ``(B, S, A)`` initial ``W`` (warm start; default 0).
        regularization, steps, lr: the L2 weight, gradient steps and step size.

    Returns:
        ``W``, shape ``(B, S, A)``.
    """
    b, _, n_states = posteriors.shape
    n_actions = counts.shape[-1]
    w = np.zeros((b, n_states, n_actions)) if start is None else np.array(start, dtype=float)
    weighted = counts if weights is None else counts * weights[..., None]
    totals = weighted.sum(axis=-1)  # (B, N)
    norm = np.maximum(totals.sum(axis=-1), 1e-12)[:, None, None]  # (B, 1, 1)
    for _ in range(steps):
        q = softmax(posteriors @ w)  # (B, N, A)
        residual = q * totals[..., None] - weighted  # d loss / d logits, unnormalised
        grad = np.einsum("bns,bna->bsa", posteriors, residual) / norm + 2 * regularization * w
        w -= lr * grad
    return w


def model_lp_scheme(prior: np.ndarray, u1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The commitment LP (MODEL.md A2) with the model ``W`` in place of the receiver's
    utility, in recommendation form: ``(S, A)``, column ``a`` = "play a"."""
    game = PersuasionGame(prior=prior, sender_utility=u1, receiver_utility=w, name="model")
    solution = solve_commitment(game)
    n_actions = u1.shape[1]
    scheme = np.zeros((u1.shape[0], n_actions))
    for m, action in enumerate(solution.recommended_action):
        scheme[:, action] += solution.scheme[:, m]
    return scheme


@register
class MarginAdaptiveSender(Sender):
    """A black-box learned sender: response model from epochs of play, LP on the model,
    a safety margin (the weight of full disclosure) adapted to the obedience it observes.

    See the module docstring for the algorithm. ``runs = B`` independent senders.

    Args:
        n_messages: M (default A); must be >= A (recommendations need one message per action).
        epoch_rounds: rounds per epoch (default ``250 + 125 * A``).
        disclosure_epochs: epochs of full disclosure at the start.
        tolerance: how much less often than under disclosure a message may be obeyed before
            the margin is raised.
        memory: epochs of data the response model is fitted to.
        regularization: L2 weight of the response model's fit.
        fit_steps: gradient steps per refit (warm-started).
        min_count: a message counted fewer times in an epoch is not judged.
        slow_learner: hand a learner that settles only after ``slow_epochs`` epochs of
            disclosure, or never, to the slow-learner controller (module docstring, point
            6); ``False`` keeps the margin grid for it.
        slow_epochs: disclosure epochs after which a learner counts as slow.
    """

    name = "margin_adaptive"
    side = "sender"
    level = "scheme"
    learns = True
    needs_scheme = False
    full_information = False
    information = BLACK_BOX
    observes = ("state", "action")  # it counts the receiver's actions per message
    batched_games = True
    description = (
        "Black box: logit model of the receiver from epochs of play, LP on the model, "
        "safety margin adapted to observed obedience"
    )
    _param_names = (
        "n_messages",
        "epoch_rounds",
        "disclosure_epochs",
        "tolerance",
        "memory",
        "regularization",
        "fit_steps",
        "min_count",
        "dwell_epochs",
        "spare_messages",
        "patience",
        "settle_share",
        "max_disclosure_epochs",
        "refit",
        "refit_retries",
        "probe_epochs",
        "slow_learner",
        "slow_epochs",
    )

    def __init__(
        self,
        n_messages: int | None = None,
        *,
        epoch_rounds: int | None = None,
        disclosure_epochs: int = 2,
        tolerance: float = 0.05,
        memory: int = 40,
        regularization: float = 1e-3,
        fit_steps: int = 100,
        min_count: int = 10,
        dwell_epochs: int = 3,
        spare_messages: bool = True,
        patience: int = 3,
        settle_share: float = 0.8,
        max_disclosure_epochs: int = 200,
        refit: bool = False,
        refit_retries: int = 2,
        probe_epochs: int = 2,
        slow_learner: bool = True,
        slow_epochs: int = 100,
    ) -> None:
        super().__init__()
        self.n_messages = (
            None if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )
        self.epoch_rounds = (
            None if epoch_rounds is None else check_int(epoch_rounds, "epoch_rounds", minimum=2)
        )
        self.disclosure_epochs = check_int(disclosure_epochs, "disclosure_epochs", minimum=1)
        self.tolerance = check_probability(tolerance, "tolerance")
        self.memory = check_int(memory, "memory", minimum=disclosure_epochs)
        self.regularization = check_positive(regularization, "regularization")
        self.fit_steps = check_int(fit_steps, "fit_steps", minimum=1)
        self.min_count = check_int(min_count, "min_count", minimum=1)
        self.dwell_epochs = check_int(dwell_epochs, "dwell_epochs", minimum=1)
        self.spare_messages = check_bool(spare_messages, "spare_messages")
        self.patience = check_int(patience, "patience", minimum=1)
        self.refit = check_bool(refit, "refit")
        self.refit_retries = check_int(refit_retries, "refit_retries", minimum=0)
        self.probe_epochs = check_int(probe_epochs, "probe_epochs", minimum=0)
        self.slow_learner = check_bool(slow_learner, "slow_learner")
        self.slow_epochs = check_int(slow_epochs, "slow_epochs", minimum=1)
        self.settle_share = check_probability(settle_share, "settle_share")
        self.max_disclosure_epochs = check_int(
            max_disclosure_epochs, "max_disclosure_epochs", minimum=self.disclosure_epochs
        )

    # ------------------------------------------------------------------ engine protocol
    def messages_for(self, game: PersuasionGame) -> int:
        """M: ``n_messages`` if given, else ``A`` (``2 A`` with spare messages)."""
        if self.n_messages is not None:
            return self.n_messages
        return game.n_actions * (2 if self.spare_messages else 1)

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        n_states, n_actions, n_messages = view.n_states, view.n_actions, view.n_messages
        if n_messages < n_actions:
            raise ValueError(
                f"margin_adaptive needs at least one message per action (n_messages >= "
                f"{n_actions}), got {n_messages}"
            )
        self.priors = np.array(np.broadcast_to(view.priors, (runs, n_states)))
        self.u1 = np.array(np.broadcast_to(view.utilities, (runs, n_states, n_actions)))
        self._epoch = self.epoch_rounds or 250 + 125 * n_actions
        self._observe_from = self._epoch // 2
        self._rows = np.arange(runs)
        self.t = 0
        self.epochs = 0
        self._counts = np.zeros((runs, n_messages, n_actions))
        capacity = self.memory * n_messages
        self._data_mu = np.zeros((runs, capacity, n_states))
        self._data_counts = np.zeros((runs, capacity, n_actions))
        self._data_weights = np.zeros((runs, capacity))
        self._data_next = 0
        self.model = np.zeros((runs, n_states, n_actions))
        self.reference_obedience = np.ones(runs)
        self.disclosure = np.zeros((runs, n_states, n_actions))  # F, recommendation form
        self.margin_level = np.zeros(runs, dtype=int)
        self._ceiling = np.full(runs, len(THETAS) - 1)
        self._dwell = np.zeros(runs, dtype=int)
        self._releases = np.zeros(runs, dtype=int)
        self.theta = np.ones(runs)
        disclose = np.zeros((n_states, n_messages))
        disclose[np.arange(n_states), np.arange(n_states) % n_messages] = 1.0
        self._commit(np.broadcast_to(disclose, (runs, n_states, n_messages)))
        self._recommending = False
        self._target = None
        self._probing = 0
        self._value_sum = np.zeros(runs)
        self.value = np.zeros(runs)
        self._value_avg = np.full(runs, np.nan)
        self.no_information_value = np.full(runs, -np.inf)
        self.silent = np.zeros(runs, dtype=bool)
        self._silent_epochs = np.zeros(runs, dtype=int)
        self._silence_blocked = np.zeros(runs, dtype=bool)
        self._persuasion_value = np.full(runs, np.nan)
        self.slow: SlowLearnerPush | None = None  # the controller, once a slow learner is met

    def _commit(self, schemes: np.ndarray) -> None:
        self._schemes = np.array(schemes, dtype=np.float64)
        self.policy_version += 1

    def act(self, states: np.ndarray) -> np.ndarray:
        self._require_reset()
        return sample_rows(self._schemes[self._rows, states], self.rng)

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        if self.t >= self._observe_from:
            np.add.at(self._counts, (self._rows, messages, actions), 1.0)
            self._value_sum += self.u1[self._rows, states, actions]  # its own payoff
        self.t += 1
        if self.t < self._epoch:
            return
        counts, self._counts = self._counts, np.zeros_like(self._counts)
        self.value = self._value_sum / (self._epoch - self._observe_from)
        self._value_sum = np.zeros(self.runs)
        self.t = 0
        self._end_epoch(counts)

    def policy(self) -> np.ndarray:
        self._require_reset()
        return self._schemes.copy()

    # ------------------------------------------------------------------ learning
    def _record(self, counts: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add the epoch's (posterior, counts) pairs to the ring buffer of data (``weights``
        ``(B,)``: how much each run's pairs count) and refit the model."""
        m = counts.shape[1]
        slots = (self._data_next + np.arange(m)) % self._data_mu.shape[1]
        self._data_mu[:, slots] = bayes.posteriors(self.priors, self._schemes)
        self._data_counts[:, slots] = counts
        self._data_weights[:, slots] = 1.0 if weights is None else weights[:, None]
        self._data_next = (self._data_next + m) % self._data_mu.shape[1]
        self.model = fit_logit_response(
            self._data_mu,
            self._data_counts,
            self._data_weights,
            start=self.model,
            regularization=self.regularization,
            steps=self.fit_steps,
        )

    def _end_epoch(self, counts: np.ndarray) -> None:
        self.epochs += 1
        if self.slow is not None:
            self._slow_epoch(counts)
            return
        if not self._recommending:
            self._record(counts)  # the model only needs the disclosure epochs (see below)
        if not self._recommending:
            if not self._settled(counts):
                return  # keep disclosing until the learner has settled
            # A learner that took ``slow_epochs`` to settle, or never did, is slow: it is
            # persuaded by its own controller.
            slow = self.slow_learner and (
                self.epochs >= self.slow_epochs or not self._consistent(counts)
            )
            self._start_recommending(counts)
            if slow:
                self._start_slow()
                return
            if self._probing > 0:
                self._commit(self._no_information_schemes())
                return
        elif self._probing > 0:
            self._probing -= 1
            if self._probing > 0:
                return
            self.no_information_value = self.value.copy()
        else:
            self._adapt_margin(counts)
            self._consider_no_information()
        self._commit(self._next_schemes())

    def _no_information_schemes(self) -> np.ndarray:
        schemes = np.zeros_like(self._schemes)
        schemes[self._rows, :, self._silent] = 1.0
        return schemes

    def _consider_no_information(self) -> None:
        """Fall back to saying nothing (measured in the probe epochs) in a run whose margin
        cannot move down any more and whose scheme earns less than that; go back (for good)
        if silence then earns less than persuasion did."""
        self._value_avg = np.where(
            np.isnan(self._value_avg), self.value, 0.7 * self._value_avg + 0.3 * self.value
        )
        self._silent_epochs = np.where(self.silent, self._silent_epochs + 1, 0)
        # Silence is itself on trial: a learner met on a fresh message (the probe) may not
        # have settled, so if saying nothing earns less than persuasion did, persuade again
        # and stay with it.
        back = self.silent & (self._silent_epochs >= 3)
        back &= self._value_avg < self._persuasion_value - 0.005
        self.silent &= ~back
        self._silence_blocked |= back
        stuck = (self.margin_level >= self._ceiling) & (self._dwell >= self.dwell_epochs)
        worse = self._value_avg < self.no_information_value - 0.005
        start = ~self.silent & stuck & worse & (self._silent >= 0) & ~self._silence_blocked
        self._persuasion_value = np.where(start, self._value_avg, self._persuasion_value)
        self._value_avg = np.where(start | back, np.nan, self._value_avg)
        self.silent |= start

    def _settled(self, counts: np.ndarray) -> bool:
        """Whether disclosure may end: after ``disclosure_epochs`` epochs, once every run's
        receiver plays one action after each message in at least ``settle_share`` of the
        counted rounds (a slow learner, such as the actor-critic, takes many epochs), and
        at the latest after ``max_disclosure_epochs``."""
        if self.epochs < self.disclosure_epochs:
            return False
        if self.epochs >= self.max_disclosure_epochs:
            return True
        return self._consistent(counts)

    def _consistent(self, counts: np.ndarray) -> bool:
        """Whether every run's receiver played one action after each message in at least
        ``settle_share`` of the epoch's counted rounds."""
        seen = counts.sum(axis=-1).sum(axis=-1)
        consistent = counts.max(axis=-1).sum(axis=-1) / np.maximum(seen, 1.0)
        return bool(np.all((seen == 0) | (consistent >= self.settle_share)))

    # ------------------------------------------------------------------ slow learners
    def _start_slow(self) -> None:
        """Hand the batch to :class:`SlowLearnerPush` (agents/senders/_slow_learner.py):
        build obedience with slack, then spend it (no margin grid, probe or silence)."""
        self._probing = 0
        self.slow = SlowLearnerPush(self.disclosure, self._target, epoch_rounds=self._epoch)
        self._commit(self._slow_schemes())

    def _slow_epoch(self, counts: np.ndarray) -> None:
        by_action = counts[self._rows[:, None], self.message_of]  # (B, A, A): row a = "play a"
        if self.slow.end_epoch(by_action):
            self._commit(self._slow_schemes())

    def _slow_schemes(self) -> np.ndarray:
        """The controller's recommendation-form schemes on the recommendation messages."""
        schemes = np.zeros_like(self._schemes)
        recommendations = self.slow.schemes()
        for b in range(self.runs):
            schemes[b][:, self.message_of[b]] = recommendations[b]
        return schemes

    def _start_recommending(self, counts: np.ndarray) -> None:
        """After disclosure: the receiver's best action per state, and how consistently it
        plays the action it prefers after a message (the reference obedience)."""
        n_states, n_actions = self.u1.shape[1:]
        n_messages = counts.shape[1]
        best = self.model.argmax(axis=-1)  # (B, S): b(s), from the fitted model's vertices
        self.disclosure = np.zeros((self.runs, n_states, n_actions))
        self.disclosure[self._rows[:, None], np.arange(n_states)[None, :], best] = 1.0
        # Which message recommends which action. A learner ties its action to the message
        # label, so the recommendation of ``a`` goes on a message after which the receiver
        # already plays ``a`` (the message of a state with ``b(s) = a``); other actions get
        # the remaining messages.
        self.message_of = np.zeros((self.runs, n_actions), dtype=int)
        self._free: list[list[int]] = []  # per run: messages never used for a recommendation
        self._silent = np.full(self.runs, -1)
        habit = counts.argmax(axis=-1)  # (B, M): what the receiver plays after each message
        for b in range(self.runs):
            free = list(range(n_messages))
            unassigned = []
            for a in range(n_actions):
                candidates = [m for m in free if habit[b, m] == a and counts[b, m].sum() > 0]
                if candidates:
                    self.message_of[b, a] = candidates[0]
                    free.remove(candidates[0])
                else:
                    unassigned.append(a)
            for a in unassigned:
                self.message_of[b, a] = free.pop(0)
            # The last spare message is kept for the no-information probe (and fallback).
            self._silent[b] = free.pop() if free else -1
            self._free.append(free)
        self._streak = np.zeros((self.runs, n_actions), dtype=int)
        self._probing = self.probe_epochs if np.all(self._silent >= 0) else 0
        seen = counts.sum(axis=-1)
        consistent = counts.max(axis=-1).sum(axis=-1) / np.maximum(seen.sum(axis=-1), 1.0)
        self.reference_obedience = np.where(seen.sum(axis=-1) > 0, consistent, 1.0)
        self._recommending = True
        # The direction to persuade in: the LP on the model fitted to disclosure only.
        self._target = np.stack([self._direction(b) for b in range(self.runs)])

    def _direction(self, b: int) -> np.ndarray:
        """The LP on run ``b``'s model, in recommendation form, to mix with disclosure."""
        return model_lp_scheme(self.priors[b], self.u1[b], self.model[b])

    def _adapt_margin(self, counts: np.ndarray) -> None:
        """One step of the margin: down after an obeyed epoch, up after a disobeyed one."""
        by_action = counts[self._rows[:, None], self.message_of]  # (B, A, A): row a = "play a"
        seen = by_action.sum(axis=-1)  # (B, A)
        obeyed = np.einsum("baa->ba", by_action)
        rate = obeyed / np.maximum(seen, 1.0)
        judged = seen >= self.min_count
        threshold = (self.reference_obedience - self.tolerance)[:, None]
        failed = judged & (rate < threshold)  # (B, A)
        good = ~failed.any(axis=-1)
        self._retire_dead_messages(judged & (rate < 0.5 * threshold))
        # At full disclosure the learner shows how often it obeys a clear recommendation; a
        # slow learner (actor-critic) gets better at it over time.
        overall = obeyed.sum(axis=-1) / np.maximum(seen.sum(axis=-1), 1.0)
        at_disclosure = (self.margin_level == 0) & (seen.sum(axis=-1) >= self.min_count)
        self.reference_obedience = np.where(
            at_disclosure,
            0.7 * self.reference_obedience + 0.3 * overall,
            self.reference_obedience,
        )
        before = self.margin_level.copy()
        for b in range(self.runs):
            if self.silent[b]:
                continue  # nothing is recommended: the margin waits
            level = self.margin_level[b]
            if good[b]:
                self._dwell[b] += 1
                if level < self._ceiling[b] and self._dwell[b] >= self.dwell_epochs + level // 3:
                    self.margin_level[b] = level + 1
                    self._dwell[b] = 0
            else:
                # A learner that stopped obeying at this margin may lock in: step back, and
                # never go this far again.
                if self.refit and self._releases[b] < self.refit_retries:
                    # The failure teaches the model, whose new direction may go further.
                    self._releases[b] += 1
                else:
                    self._ceiling[b] = max(min(self._ceiling[b], level - 1), 0)
                self.margin_level[b] = max(level - 2, 0)
                self._dwell[b] = 0
        self.theta = np.array([THETAS[k] for k in self.margin_level])
        if self.refit:
            # Only settled epochs teach the model: the last one of a dwell (obeyed) and a
            # failure; the direction to persuade in is then re-solved on the new model.
            moved = self.margin_level != before
            self._record(counts, moved.astype(float))
            for b in np.nonzero(moved)[0]:
                self._target[b] = self._direction(b)

    def _retire_dead_messages(self, failed: np.ndarray) -> None:
        """A message mostly disobeyed ``patience`` epochs in a row (the margin is raised after
        each) has lost its meaning for the learner (greedy Q-learning locks in): its action is
        recommended on a spare message from now on, which the learner meets afresh."""
        self._streak = np.where(failed, self._streak + 1, 0)
        for b, a in zip(*np.nonzero(self._streak >= self.patience), strict=True):
            if self._free[b]:
                self.message_of[b, a] = self._free[b].pop(0)
            self._streak[b, a] = 0

    def _next_schemes(self) -> np.ndarray:
        n_messages = self._schemes.shape[2]
        n_states, n_actions = self.u1.shape[1:]
        schemes = np.zeros((self.runs, n_states, n_messages))
        for b in range(self.runs):
            theta = self.theta[b]
            target = self.disclosure[b]
            if theta < 1.0:
                target = theta * target + (1.0 - theta) * self._target[b]
            if self.silent[b]:
                schemes[b, :, self._silent[b]] = 1.0
            else:
                schemes[b][:, self.message_of[b]] = target
        return schemes
