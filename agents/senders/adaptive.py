"""A black-box sender that learns where a learning receiver obeys and persuades it only
as far as it has seen it obey: :class:`MarginAdaptiveSender`, registered as
``margin_adaptive`` (issue 16, MODEL.md C1).

The sender knows the prior and its own utility ``u1``; it sees the state and, after each
round, the receiver's action. It never sees ``u2``, the receiver's payoffs, its policy or the
LP of the true game. It plays **epochs**: one scheme for ``epoch_rounds`` rounds, and it
reads the receiver's action counts per message over the epoch's second half (seed 000's
implicit-commitment protocol, MODEL.md A4.3, inside the agent).

1. **Disclosure**: message ``s mod M`` in state ``s`` until the learner has settled (plays
   one action after each message in at least ``settle_share`` of the counted rounds, after
   at least ``disclosure_epochs``): it shows the receiver's best action ``b(s)`` in each
   state, the *reference obedience* ``o_ref`` (how consistently it plays it) and the
   learner's *learning curve* (that consistency epoch by epoch from a fresh start). A
   multinomial logit ``q(a | mu) = softmax(mu @ W)`` is fitted to the (posterior, action
   counts) pairs (:func:`fit_logit_response`).
2. **Silent probe** (``probe_epochs``): every state on one spare message, i.e. no
   information; the action the learner settles on there is its best response to the prior.
3. **Certified protocol** (``search="certified"``, the default). The region of posteriors in
   which the receiver prefers ``a`` is convex, so a column whose posterior mixes points at
   which ``a`` was seen obeyed is obeyed too, whatever ``u2`` is. Certified from the start:
   each vertex ``e_s`` for ``b(s)`` and the prior for the probe's action. The sender plays
   the best scheme built from certified points (an LP over their weights,
   :func:`agents.senders._certified.certified_scheme`; its value is at least that of full
   disclosure and of no information). **Tests** extend the certified set: in each test round
   (``test_epochs`` epochs; as many rounds as fit in about
   :data:`~agents.senders._phases.TEST_BUDGET` rounds, or ``max_tests``) one candidate per
   action is put on a *fresh* message (a learner ties its action to a message label, so a
   fresh message carries no memory of earlier schemes) and mixed into play with weight
   ``test_share``, in a way that leaves the posteriors of the messages in use unchanged
   (:func:`agents.senders._certified.probe_columns`). The candidate for ``a`` moves from the
   certified column's posterior a step ``tau`` toward the vertex of the state whose mass
   would add most value to that column at the certified LP's shadow prices (column
   generation; model-free). A test passes when the recommendation is the most played action
   over the round's last two epochs and is obeyed about as often as the disclosure messages
   were at the same age in visits (a slow learner such as Hedge is judged fairly); its point is
   then certified, moved back toward the action's clear states by ``certify_margin`` (a
   safety margin: a learner near indifference drifts), and ``tau`` doubles (at most 1); a
   failed test halves ``tau``. After the tests the certified scheme is played for good. A
   recommendation disobeyed two epochs in a row in play loses its latest certified point (a
   fresh learner can pass a test by chance), and a message a learner has locked against
   (greedy Q-learning) moves to a spare message (the unused test messages become spares).
   Every other test steps toward the prior-weighted mixture of all the states that would add
   value, or (``model_steps``) toward the most valuable point of the action's region in the
   logit model refitted to every count so far; a failed test certifies its point for the
   action the learner obeyed there instead (``_certified_search``); a test whose
   recommendation is already the most played action but not yet obeyed enough is watched
   up to ``test_extensions`` more rounds, and one whose recommendation clearly beats the
   runner-up passes with a wider margin (``sign_test``; :mod:`agents.senders._test_verdict`).
   In play a **safe floor** (:mod:`agents.senders._safe_floor`) keeps silence warm and
   falls back to silence or disclosure where the scheme earns measurably less.

Two older searches remain as options: ``search="grid"`` mixes full disclosure ``F`` with the
LP on the logit model ``L`` as ``theta F + (1 - theta) L`` and moves ``theta`` down a grid
(:data:`THETAS`) while messages stay obeyed, up (with a ceiling) when they do not, falling
back to no information when that earned more; ``search="bisect"`` searches the push ``t`` of
``F + t (L - F)`` past ``L`` by bisection. Their direction comes only from the logit model,
which caps them near 0.82-0.89 of the LP on random 8x8 games.

4. **Slow learners** (``slow_learner=True``): a learner that settles only after
   ``slow_epochs`` epochs of disclosure, or not before it times out
   (``max_disclosure_epochs``), changes its play far more slowly than an epoch (Lin
   et al.'s actor-critic: Adam at 7e-4 per batch of 100 rounds). Against it the margin grid
   above ended at full disclosure (0.334 on the recommendation letter at 10^6 rounds), so
   the search (step 3, or the older searches above) and the silent probe are replaced by
   :class:`agents.senders._slow_learner.SlowLearnerPush`: obedience is a stock the sender
   builds with a scheme with slack (by default full disclosure) and then spends,
   moving along the line from ``F`` through the model LP (and beyond it: the model's
   boundary is not the learner's) while the obedience it observes after each recommendation
   holds near a goal and does not fall, backing off when it does. The regime is detected
   from play (how long disclosure took to settle), never from the receiver's name. (Measured
   on the letter, the prosecutor and random 4x4 / 8x8 games: q_learning, reinforce, ucb and
   fictitious_play settle in 2-3 epochs, hedge in 2-40, the actor-critic in none of 200.)
   Beside it, silence is kept warm on a small share of play and takes the lead late in the
   match where it clearly earns more (:class:`agents.senders._slow_learner.SlowLearnerHandoff`).


Phase lengths (:class:`agents.senders._phases.Phases`): the defaults are sized for matches of
10^5 rounds and more; when the engine says the horizon is shorter (``GameView.horizon``) the
epoch and the number of test rounds shrink to fit it. Disclosure ends at the latest after a
tenth of the match's epochs (never later than ``max_disclosure_epochs``; an unknown horizon
keeps it), and a learner that the horizon's cut leaves unsettled is slow only if its
consistency did not clearly rise during disclosure (:mod:`agents.senders._disclosure`). On a
horizon so short that only a few test rounds fit (3 000 rounds on a 2x2 game), tests known
to fail are skipped, passed points get a wider margin and silence is not kept warm when the
safe floor could not use it (:mod:`agents.senders._short_horizon`).

Messages: ``2 A`` for recommendations, spares and the silent probe, then (certified
protocol) a junk message for the tests' leftover mass and ``A`` per test round.
Everything is batched over runs (and over games of one shape: each run has its own model and
certified set).
"""

from __future__ import annotations

import numpy as np

from agents._sampling import sample_rows
from agents.base import BLACK_BOX, GameView, Sender
from agents.registry import register
from agents.senders._certified_search import CertifiedSearch
from agents.senders._disclosure import (
    FAST_RISE,
    consistency_rise,
    disclosure_cap,
    slow_window_rounds,
)
from agents.senders._grid_search import THETAS, GridSearch
from agents.senders._phases import Phases
from agents.senders._push_search import PushSearch, mix_toward
from agents.senders._response_model import fit_logit_response, model_lp_scheme
from agents.senders._safe_floor import SafeFloor
from agents.senders._short_horizon import ShortHorizon
from agents.senders._slow_learner import SlowLearnerHandoff
from persuasion_env import bayes
from persuasion_env._validation import (
    check_bool,
    check_choice,
    check_int,
    check_positive,
    check_probability,
)
from persuasion_env.game import PersuasionGame

__all__ = ["THETAS", "MarginAdaptiveSender", "fit_logit_response", "model_lp_scheme"]


def _consistency(counts: np.ndarray) -> np.ndarray:
    """``(B,)`` the share of counted rounds in which the receiver played its most frequent
    action after the message (``counts`` ``(B, M, A)``); 1 where nothing was counted."""
    seen = counts.sum(axis=(-1, -2))
    return np.where(seen > 0, counts.max(axis=-1).sum(axis=-1) / np.maximum(seen, 1.0), 1.0)


def _largest_push(disclosure: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per run, the largest ``t`` with ``F + t (L - F) >= 0`` (``(B, S, A)`` schemes):
    how far past the model's LP the ray stays a scheme."""
    step = target - disclosure
    with np.errstate(divide="ignore", invalid="ignore"):
        limits = np.where(step < -1e-12, disclosure / -step, np.inf)
    return limits.reshape(len(limits), -1).min(axis=-1)


@register
class MarginAdaptiveSender(
    Phases,
    ShortHorizon,
    SafeFloor,
    CertifiedSearch,
    PushSearch,
    GridSearch,
    SlowLearnerHandoff,
    Sender,
):
    """A black-box learned sender: it certifies the posteriors a learning receiver obeys
    (disclosure, a silent probe, tests on fresh messages) and plays the best scheme built
    from them (the default ``search="certified"``); or, as options, the older margin searches.

    See the module docstring for the algorithm. ``runs = B`` independent senders.

    Args:
        n_messages: M (default ``messages_for``); must be >= A. Too few for test messages:
            the certified protocol runs no tests.
        epoch_rounds: rounds per epoch (default ``250 + 125 * A``).
        disclosure_epochs: epochs of full disclosure at least.
        tolerance: how much less often than under disclosure a message may be obeyed and
            still count as obeyed.
        memory: epochs of data the response model is fitted to.
        regularization: L2 weight of the response model's fit.
        fit_steps: gradient steps per refit (warm-started).
        min_count: a message counted fewer times in an epoch is not judged.
        dwell_epochs, refit, refit_retries: the grid / bisect searches' dwell and refits.
        spare_messages: ``2 A`` base messages (spares and the silent probe) instead of ``A``.
        patience: epochs a message may be mostly disobeyed before it is replaced.
        settle_share, max_disclosure_epochs: when disclosure ends (at the latest after
            ``max_disclosure_epochs``, or a tenth of the horizon's epochs if fewer:
            :func:`~agents.senders._disclosure.disclosure_cap`).
        probe_epochs: epochs of the silent (no-information) probe.
        search: ``"certified"`` (default), ``"grid"`` or ``"bisect"``.
        step, resolution, max_push, fresh_on_failure: the bisect search's parameters.
        max_tests: test rounds of the certified protocol (default: as many as fit in about
            :data:`~agents.senders._phases.TEST_BUDGET` rounds, at most 16).
        test_epochs: epochs per test round.
        test_share: the weight of the tests in play during a test round.
        certify_margin: how far a passed point is moved back toward the action's clear
            states before it is certified (default 0.05; 0.1 on a short horizon,
            agents/senders/_short_horizon.py).
        min_step: a direction whose step fell below this is not tested again.
        slow_learner: hand a learner that settles only after ``slow_epochs`` epochs of
            disclosure, or never, to the slow-learner controller (module docstring, point
            4); ``False`` keeps the margin grid for it.
        slow_epochs: disclosure epochs after which a learner counts as slow (one that the
            horizon's cut leaves unsettled: only if it did not clearly learn,
            :data:`~agents.senders._disclosure.FAST_RISE`).
        sign_test: a test also passes when its recommendation clearly beats the runner-up.
        test_extensions: how many more test rounds a test whose recommendation is the
            learner's most played action, but not yet obeyed enough, is watched before it
            fails (``agents.senders._test_verdict``).
        model_steps: in every other test round, step toward where the receiver model puts
            the most valuable posterior for the action (``agents.senders._certified_search``).
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
        "Black box: certifies the posteriors a learner obeys (disclosure, silent probe, tests "
        "on fresh messages) and plays the best scheme built from them"
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
        "search",
        "step",
        "resolution",
        "max_push",
        "fresh_on_failure",
        "max_tests",
        "test_epochs",
        "test_share",
        "certify_margin",
        "min_step",
        "slow_learner",
        "slow_epochs",
        "sign_test",
        "test_extensions",
        "model_steps",
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
        search: str = "certified",
        step: float = 0.25,
        resolution: float = 0.1,
        max_push: float = 4.0,
        fresh_on_failure: bool = True,
        max_tests: int | None = None,
        test_epochs: int = 3,
        test_share: float = 0.5,
        certify_margin: float | None = None,
        min_step: float = 0.01,
        slow_learner: bool = True,
        slow_epochs: int = 100,
        sign_test: bool = True,
        test_extensions: int = 2,
        model_steps: bool = True,
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
        self.sign_test = check_bool(sign_test, "sign_test")
        self.test_extensions = check_int(test_extensions, "test_extensions", minimum=0)
        self.model_steps = check_bool(model_steps, "model_steps")
        self.settle_share = check_probability(settle_share, "settle_share")
        self.search = check_choice(search, "search", ("certified", "bisect", "grid"))
        self.step = check_positive(step, "step")
        self.resolution = check_positive(resolution, "resolution")
        self.max_push = check_positive(max_push, "max_push")
        self.fresh_on_failure = check_bool(fresh_on_failure, "fresh_on_failure")
        self.max_tests = None if max_tests is None else check_int(max_tests, "max_tests", minimum=0)
        self.test_epochs = check_int(test_epochs, "test_epochs", minimum=1)
        self.test_share = check_probability(test_share, "test_share")
        self.certify_margin = (
            None if certify_margin is None else check_probability(certify_margin, "certify_margin")
        )
        self.min_step = check_probability(min_step, "min_step")
        self.max_disclosure_epochs = check_int(
            max_disclosure_epochs, "max_disclosure_epochs", minimum=self.disclosure_epochs
        )

    # ------------------------------------------------------------------ engine protocol
    def messages_for(self, game: PersuasionGame) -> int:
        """M: ``n_messages`` if given, else ``A`` (``2 A`` with spare messages)."""
        if self.n_messages is not None:
            return self.n_messages
        return self._base_messages(game.n_actions) + self._test_messages(game.n_actions)

    def _base_messages(self, n_actions: int) -> int:
        """Messages for recommendations, spares and the silent one: ``A`` or ``2 A``."""
        return n_actions * (2 if self.spare_messages else 1)

    def _test_messages(self, n_actions: int) -> int:
        """Fresh messages for the certified protocol's tests: a junk message, then ``A``
        per test round."""
        if self.search != "certified":
            return 0
        return 1 + n_actions * self._default_test_rounds(n_actions)

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
        self._set_phases(n_actions, view.horizon)
        self._max_disclosure = disclosure_cap(
            view.horizon,
            self._epoch,
            disclosure_epochs=self.disclosure_epochs,
            max_disclosure_epochs=self.max_disclosure_epochs,
        )
        self._window = slow_window_rounds(view.horizon, self._epoch)
        self._reset_floor()
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
        # The bisecting search on the push ``t`` (scheme ``F + t (L - F)``, theta = 1 - t).
        self.push = np.zeros(runs)
        self._push_good = np.zeros(runs)  # the largest push obeyed for a whole dwell
        self._push_bad = np.full(runs, np.inf)  # the smallest push that was disobeyed
        self._push_max = np.zeros(runs)  # beyond it the scheme leaves the simplex
        self._step = np.full(runs, self.step)
        self._grace = np.zeros(runs, dtype=int)
        self._done = np.zeros(runs, dtype=bool)
        self._last_worst = np.ones(runs)
        self._recovering = np.zeros(runs, dtype=bool)
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
        self._learning_curve: list[np.ndarray] = []  # per disclosure epoch, (B,)
        self._reset_slow()  # no controller until a slow learner is met

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
        self._remember_value()
        if self.slow is not None:
            self._slow_epoch(counts)
            return
        if not self._recommending:
            self._record(counts)  # the model only needs the disclosure epochs (see below)
            self._learning_curve.append(_consistency(counts))
        if not self._recommending:
            if not self._settled(counts):
                return  # keep disclosing until the learner has settled
            # A learner that took ``slow_epochs`` to settle, or never did, is slow: it is
            # persuaded by its own controller.
            slow = self.slow_learner and (
                self.epochs >= self.slow_epochs or not self._consistent(counts)
            )
            if slow and self._max_disclosure < self.max_disclosure_epochs:
                # The horizon cut disclosure short: a learner that was clearly learning
                # (its consistency rose: Hedge) is not slow, only a flat one.
                slow = self.epochs >= self.slow_epochs or (
                    consistency_rise(self._learning_curve) < FAST_RISE
                )
            self._start_recommending(counts)
            if slow:
                self._start_slow()
                return
            if self._probing > 0:
                self._commit(self._no_information_schemes())
                return
            if self.search == "certified":
                self._start_certified(None)
                return
        elif self._probing > 0:
            self._probing -= 1
            if self._probing > 0:
                return
            self.no_information_value = self.value.copy()
            if self.search == "certified":
                self._start_certified(counts)
                return
        elif self.search == "certified":
            self._certified_epoch(counts)
            return
        elif self.search == "bisect":
            self._search_push(counts)
            self._consider_no_information()
        else:
            self._adapt_margin(counts)
            self._consider_no_information()
        self._commit(self._next_schemes())

    def _no_information_schemes(self) -> np.ndarray:
        schemes = np.zeros_like(self._schemes)
        schemes[self._rows, :, self._silent] = 1.0
        return schemes

    def _settled(self, counts: np.ndarray) -> bool:
        """Whether disclosure may end: after ``disclosure_epochs`` epochs, once every run's
        receiver plays one action after each message in at least ``settle_share`` of the
        counted rounds (a slow learner, such as the actor-critic, takes many epochs), and
        at the latest after ``max_disclosure_epochs``."""
        if self.epochs < self.disclosure_epochs:
            return False
        if self.epochs >= self._max_disclosure:
            return True
        return self._consistent(counts)

    def _consistent(self, counts: np.ndarray) -> bool:
        """Whether every run's receiver played one action after each message in at least
        ``settle_share`` of the epoch's counted rounds."""
        seen = counts.sum(axis=-1).sum(axis=-1)
        consistent = counts.max(axis=-1).sum(axis=-1) / np.maximum(seen, 1.0)
        return bool(np.all((seen == 0) | (consistent >= self.settle_share)))

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
        base = min(n_messages, self._base_messages(n_actions))
        for b in range(self.runs):
            free = list(range(base))
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
        self._push_max = np.minimum(_largest_push(self.disclosure, self._target), self.max_push)
        if self.search == "bisect":  # disclosure (push 0) has just been watched: step at once
            self.push = np.minimum(self._step, self._push_max)
            self.theta = 1.0 - self.push

    def _direction(self, b: int) -> np.ndarray:
        """The LP on run ``b``'s model, in recommendation form, to mix with disclosure."""
        return model_lp_scheme(self.priors[b], self.u1[b], self.model[b])

    def _next_schemes(self) -> np.ndarray:
        n_messages = self._schemes.shape[2]
        n_states, n_actions = self.u1.shape[1:]
        schemes = np.zeros((self.runs, n_states, n_messages))
        for b in range(self.runs):
            # (the clip at zero: rounding at the push's upper end)
            target = mix_toward(self.disclosure[b], self._target[b], self.theta[b])
            if self.silent[b]:
                schemes[b, :, self._silent[b]] = 1.0
            else:
                schemes[b][:, self.message_of[b]] = target
        return schemes
