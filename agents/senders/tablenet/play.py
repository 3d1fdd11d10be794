"""TableNet in play against a learning receiver (issue 16 point 4): the ``"margin"`` protocol
of :class:`~agents.senders.tablenet.TableNetSender`.

Seed 000's implicit-commitment setting assumes that a learner's play after a message settles
when the sender keeps one scheme long enough, and that the sender can read it. Run online
against the library's learners, Algorithm 1 as written falls short: a random query scheme
changes every epoch, and a learner with a long memory (Hedge, UCB, fictitious play) has not
settled on it by the end of the epoch, so the receiver model is fitted to lagging data; and the
scheme Algorithm 1 commits to lies exactly on the model's decision boundaries, where a learner
disobeys part of the time (a learner disobeys at exact indifference).

This protocol keeps TableNet's two networks and their losses (seed eqs. 7-8) and reuses,
by subclassing :class:`agents.senders.adaptive.MarginAdaptiveSender` (not by copying), its
epoch machinery: epochs of one scheme, the receiver's action counts per message over each
epoch's second half, a disclosure phase that lasts until the learner has settled, a spare
message for a no-information probe.

**Default (``base="certified"``)**: margin_adaptive's certified protocol runs unchanged
(disclosure, the silent probe, tests on fresh messages, the certified scheme ``C``); its
tests are TableNet's interior data (no query phase). When they end, TableNet's plan ``L``
(points 1-2 below, on every epoch recorded) challenges ``C``: the margin search of point 3
walks the line from ``C`` (not ``F``) to ``L`` and past it, each level scored by its expected
value given the learner's answers; a level replaces ``C`` only when it beats ``C``'s score
by :data:`~agents.senders.tablenet.challenge.CHALLENGE_GAIN`, and margin_adaptive's play
phase (safe floor, disobeyed points dropped, locked messages moved to spares) follows
(:mod:`agents.senders.tablenet.challenge`). Why: measured on random 8x8 games, the plan
made from disclosure and four query rounds was worth less than ``C`` (vs fictitious play on
random-8x8-3: 0.51-0.63 against a rational receiver, ``C`` 0.65-0.67), and the search from
``F`` ended below both; and on the recommendation letter greedy Q-learning locked the
recommendation message into "don't hire" when the search went past its boundary, so the
search's way back to its best level earned 0 (every run, 1e5 and 1e6 rounds), where
margin_adaptive moves a locked recommendation to a spare message.

``base="disclosure"`` (the protocol before session 10) is kept as an option:

1. **TableNet's receiver model** (:class:`~agents.senders.tablenet.ReceiverModel`, seed
   eq. 7, L-BFGS) is fitted to the settled data: the (posterior, action counts) pairs of the
   disclosure epochs. Actions the receiver was never seen to choose are removed from the
   model: a recommendation of such an action would have no disclosure mass to mix with, so
   no safety margin (on random 8x8 games this mattered: without it the first step of
   persuasion already lost utility against every learner).
   **Query phase** (:mod:`agents.senders.tablenet.queries`; after the probe, before the
   plan): the disclosure data are point-mass posteriors only, which do not show how the
   actions the receiver does not choose at a vertex rank inside the simplex (on random 8x8
   games the plan capped near 0.83 of the LP). ``query_rounds`` rounds of ``query_epochs``
   epochs mix ``A`` fresh messages with random interior posteriors into disclosure (share
   ``query_share``, the same in every state, so the disclosure messages keep their
   posteriors); the last ``targeted_queries`` rounds put an interim plan's own posteriors on
   the fresh messages. The learner's play in each round's last epoch is recorded with the
   disclosure data. The phase takes about :data:`~agents.senders.tablenet.queries.QUERY_BUDGET`
   rounds, at most a share of a known horizon and a third of the rounds left before the
   tail when it starts (a learner slow to settle under disclosure, such as Hedge on 8x8
   games, leaves none), and none with epochs too short to count a query message
   ``2 min_count`` times; a slow learner (the actor-critic) skips it, and by default so
   do two-state games.
2. **TableNet** is optimised against the model (seed eq. 8, gradients through the model,
   the annealed sharpness and hard snapshot selection of Algorithm 1) and the best
   snapshot's messages are merged by the action the model predicts: the scheme ``L`` in
   recommendation form (column ``a`` = "play a").
3. **The margin search**: the sender plays ``theta * F + (1 - theta) * L``, ``F`` the
   recommendation form of full disclosure (obedience constraints are linear in the scheme
   and ``F`` satisfies them with slack, so ``theta`` is a safety margin that needs no
   ``u2``). ``theta`` walks down :data:`~agents.senders.adaptive.THETAS`, each level held
   ``hold_epochs`` epochs and scored by the sender's own mean realised utility (the first,
   transition epoch left out); after ``misses`` levels in a row worse than the best so far
   by more than ``slack`` (or at the end of the grid) it goes back to the best level for
   good. After ``theta = 0`` (the plan itself) the search goes on past the plan
   (:data:`BEYOND`, ``theta < 0``, each state's row clipped at zero): the plan sits on the
   model's boundaries, and a learner whose own boundary lies further out still obeys there
   (with the two rules below, on random 4x4 games 2, 4, 7 and 8x8 games 0, 5, seeds 0-1,
   the five fast learners: 0.866 -> 0.902 of the LP at 4x4, 0.819 -> 0.825 at 8x8).
   A settled run whose utility then falls below the no-information value measured in
   the probe says nothing (margin_adaptive's spare "silent" message); silence is on trial
   and is left again if it earns less than persuasion did (the probe's few epochs
   overstate silence against an unsettled Hedge);
   a settled push past the plan whose utility falls well below its score steps back. On a
   short horizon (agents/senders/_short_horizon.py) a level is scored by its expected
   utility given the receiver's action frequencies after each message, not by the realised
   mean: an epoch then counts a few dozen rounds, and the states' draw alone would decide
   the search; and one worse level ends the search (``misses`` 1), with no level past the
   plan.

A learner disobeys at exact indifference and lags behind a changing scheme: the margin the
search settles on is the one this learner needs, found from the sender's own payoff.
With ``base="disclosure"``, margin_adaptive's obedience ladder and message retirement are
not used.

The sender reads only the prior, its own ``u1``, the states and the receiver's actions: never
``u2``, the LP or the receiver's policy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.base import GameView
from agents.senders._short_horizon import value_from_counts
from agents.senders.adaptive import THETAS, MarginAdaptiveSender
from agents.senders.tablenet.challenge import CHALLENGE_GAIN, PlanChallenge
from agents.senders.tablenet.config import TableNetConfig
from agents.senders.tablenet.models import ReceiverModel, TableNet
from agents.senders.tablenet.optimisation import (
    fit_receiver_model,
    merge_by_action,
    optimise_scheme,
)
from agents.senders.tablenet.problems import _init_logits, _messages_internal
from agents.senders.tablenet.queries import (
    mix_queries,
    queries_left,
    query_rounds,
    query_weights,
)
from agents.senders.tablenet.search import BEYOND, MarginLevelSearch
from agents.senders.tablenet.torch_math import one_thread
from persuasion_env import bayes
from persuasion_env._validation import (
    check_bool,
    check_choice,
    check_int,
    check_positive,
    check_probability,
)
from persuasion_env.game import PersuasionGame

__all__ = ["MARGIN_OPTIONS", "TableNetMarginPlay", "plan_with_tablenet"]

#: The options of the margin protocol (keyword arguments of :class:`TableNetSender` that go
#: to it): :class:`MarginAdaptiveSender`'s options for the disclosure phase, the data memory,
#: the spare messages and the no-information probe, and the margin search's own.
MARGIN_OPTIONS: tuple[str, ...] = (
    "disclosure_epochs",
    "memory",
    "spare_messages",
    "settle_share",
    "max_disclosure_epochs",
    "probe_epochs",
    "hold_epochs",
    "slack",
    "misses",
    "query_rounds",
    "query_epochs",
    "query_share",
    "targeted_queries",
    "beyond",
    "silence_trial",
    "back_off",
    "base",
    "challenge",
    "challenge_gain",
)

#: Where the margin search starts (``base=``): margin_adaptive's certified scheme after its
#: tests (:mod:`agents.senders.tablenet.challenge`), or full disclosure after the query phase.
BASES: tuple[str, ...] = ("certified", "disclosure")


def plan_with_tablenet(
    prior: np.ndarray,
    u1: np.ndarray,
    posteriors: np.ndarray,
    counts: np.ndarray,
    config: TableNetConfig,
    rngs: list[np.random.Generator],
) -> np.ndarray:
    """TableNet's scheme against a receiver model fitted to observed play, batched over runs.

    Args:
        prior: ``(B, S)``; ``u1``: ``(B, S, A)`` the sender's own utility.
        posteriors: ``(B, N, S)`` the posterior after each observed message.
        counts: ``(B, N, A)`` the receiver's (weighted) action counts after it; a row of
            zeros carries no data.
        config: TableNet's hyperparameters (model fit, restarts, sharpness, steps).
        rngs: one Generator per run (the run's model's MLP weights, then its TableNet's
            initial logits).

    Returns:
        ``(B, S, A)``: the scheme in recommendation form (column ``a`` is the message after
        which the fitted model plays ``a``; columns it never uses are zero).
    """
    b, n_states, n_actions = u1.shape
    dtype = config.torch_dtype
    prior_t = torch.tensor(prior, dtype=dtype)
    # A posterior is its scheme column up to scale (column = posterior / prior): the model
    # turns columns back into posteriors with the same prior.
    columns = posteriors / np.maximum(prior[:, None, :], 1e-300)
    columns /= np.maximum(columns.max(axis=-1, keepdims=True), 1e-300)
    model = _fit_per_run(
        prior_t, torch.tensor(columns, dtype=dtype), torch.tensor(counts, dtype=dtype), config, rngs
    )
    # The model only knows the actions the receiver was seen to choose (the most frequent
    # action after some observed message). An action never chosen is one the data say
    # nothing about: a recommendation of it would have no disclosure mass to mix with and so
    # no safety margin. It is removed from the model (its logit pushed down).
    seen = counts.sum(axis=-1) > 0  # (B, N)
    chosen = np.zeros((b, n_actions), dtype=bool)
    for run in range(b):
        chosen[run, counts[run][seen[run]].argmax(axis=-1)] = True
    with torch.no_grad():
        model.bias.sub_(torch.tensor(np.where(chosen, 0.0, 1e4)[:, None, :], dtype=dtype))
    m_int = _messages_internal(n_actions, n_actions, config)
    tablenet = TableNet(
        _init_logits(rngs, (config.restarts, n_states, m_int), config.init_scale, dtype)
    )
    spread = model.logit_spread(prior_t).clamp_min(1e-6)[:, None, None]
    best = optimise_scheme(
        tablenet,
        model,
        prior_t,
        torch.tensor(u1, dtype=dtype),
        steps=config.sender_steps,
        lr=config.sender_lr,
        lr_final=config.sender_lr_final,
        temperature_start=config.sharpness_start / spread,
        temperature_end=config.sharpness_end / spread,
        eval_every=config.eval_every,
        hard=True,
    )
    schemes = best.top(0)[0]
    # Message a = "play a": merge the messages by the action the model predicts after each.
    actions = model.hard_response(prior, schemes[:, None])[:, 0].argmax(axis=-1)
    return merge_by_action(schemes, actions, n_actions, n_actions)


def _fit_per_run(
    prior: torch.Tensor,
    columns: torch.Tensor,
    counts: torch.Tensor,
    config: TableNetConfig,
    rngs: list[np.random.Generator],
) -> ReceiverModel:
    """TableNet's receiver model of each run, fitted to that run's data alone, stacked into
    one model of ``B`` problems. (One L-BFGS over the sum of the runs' losses would share its
    line search, curvature pairs and stopping test across runs: a run's data would move the
    other runs' fits, and a run's plan would depend on the batch it is played in.)"""
    n_runs, n_states = prior.shape
    n_actions = counts.shape[-1]
    fitted = []
    for run in range(n_runs):
        single = ReceiverModel(
            1, n_states, n_actions, config.hidden, rng=rngs[run], dtype=config.torch_dtype
        )
        part = slice(run, run + 1)
        fit_receiver_model(
            single,
            prior[part],
            columns[part],
            counts[part],
            steps=config.model_steps,
            lr=config.model_lr,
            weight_decay=config.weight_decay,
            optimizer=config.model_optimizer,
        )
        fitted.append(dict(single.named_parameters()))
    # The stack's own initial weights are all overwritten: any generator will do.
    model = ReceiverModel(
        n_runs,
        n_states,
        n_actions,
        config.hidden,
        rng=np.random.default_rng(0),
        dtype=config.torch_dtype,
    )
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.copy_(torch.cat([params[name] for params in fitted]))
    return model


class TableNetMarginPlay(PlanChallenge, MarginLevelSearch, MarginAdaptiveSender):
    """The margin protocol with TableNet as its planner and a margin chosen by the sender's
    own realised utility (module docstring). Not registered:
    :class:`~agents.senders.tablenet.TableNetSender` builds one and delegates to it.

    Args:
        config: TableNet's hyperparameters.
        hold_epochs: epochs each margin is held during the search; the first epoch after a
            change is the learner's transition and is not scored. Default 3, or 2 when a
            short horizon shortened the epochs (:meth:`MarginAdaptiveSender.phases`), so
            that the search down the grid fits in the match.
        slack: a level whose mean utility is within ``slack`` of the best so far counts
            as no worse (the search goes on).
        misses: consecutive worse levels after which the search stops and the sender goes
            back to the best level, for good. Default 3 (1 in the challenge of the
            certified scheme, ``base="certified"``), or 1 on a short horizon
            (agents/senders/_short_horizon.py), where a level's score is its expected value
            given the learner's answers (little noise to wait out) and a level past the
            learner's boundary costs rounds the match does not have.
        query_rounds: rounds of the query phase (:mod:`agents.senders.tablenet.queries`),
            each on ``A`` fresh messages; default as many as fit in about
            :data:`~agents.senders.tablenet.queries.QUERY_BUDGET` rounds (and a share of a
            known horizon). 0: no query phase (the plan sees only disclosure).
        query_epochs: epochs each query scheme is held; the learner's play in the last one
            is recorded.
        query_share: the weight of the query messages in play during a query round.
        targeted_queries: the last query rounds that query the posteriors of an interim
            plan (made on the data so far) instead of random ones.
        beyond: after the plan itself (``theta = 0``) search the levels :data:`BEYOND`
            past it too (never on a short horizon, whose search has no epochs to spare).
            Default: on games of more than two states only. On two states the plan is the
            end of the margin line, and a push past it left reinforce and hedge babbling
            (prosecutor, 1e5 rounds, 4 runs: 0.66 / 0.78 of the best fixed scheme without
            the push, 0.16 / 0.28 with it).
        silence_trial: silence after the search is on trial and may be left again
            (:meth:`_watch_settled`).
        back_off: a settled run whose utility drops well below its level's score steps
            one level safer (:meth:`_watch_settled`).
        base: ``"certified"`` (default): margin_adaptive's certified protocol, then the
            challenge of its scheme by TableNet's plan; ``"disclosure"``: the query phase,
            then the search from full disclosure (module docstring).
        challenge: with ``base="certified"``, let the plan challenge the certified scheme
            (``False``: margin_adaptive's certified protocol alone).
        challenge_gain: how much a level's score must beat the certified scheme's to
            replace it (:data:`~agents.senders.tablenet.challenge.CHALLENGE_GAIN`).
        **options: :class:`MarginAdaptiveSender`'s options (disclosure, messages, probes).
    """

    name = "tablenet_margin_play"

    def __init__(
        self,
        config: TableNetConfig,
        *,
        hold_epochs: int | None = None,
        slack: float = 0.01,
        misses: int | None = None,
        query_rounds: int | None = None,
        query_epochs: int = 3,
        query_share: float = 0.5,
        targeted_queries: int = 1,
        beyond: bool | None = None,
        silence_trial: bool = True,
        back_off: bool = True,
        base: str = "certified",
        challenge: bool = True,
        challenge_gain: float = CHALLENGE_GAIN,
        **options: Any,
    ) -> None:
        self.base = check_choice(base, "base", BASES)
        self.challenge = check_bool(challenge, "challenge")
        self.challenge_gain = check_positive(challenge_gain, "challenge_gain", allow_zero=True)
        # ``base="certified"``: margin_adaptive's certified protocol, then the challenge of
        # TableNet's plan (challenge.py). ``base="disclosure"``: TableNet's plan replaces the
        # logit model's direction and the margin is searched by realised utility from full
        # disclosure: the parent's grid bookkeeping, not its certified search.
        super().__init__(search="certified" if self.base == "certified" else "grid", **options)
        self.config = config
        self.hold_epochs = (
            None if hold_epochs is None else check_int(hold_epochs, "hold_epochs", minimum=2)
        )
        self.slack = check_positive(slack, "slack", allow_zero=True)
        self.misses = None if misses is None else check_int(misses, "misses", minimum=1)
        self.query_rounds = (
            None if query_rounds is None else check_int(query_rounds, "query_rounds", minimum=0)
        )
        self.query_epochs = check_int(query_epochs, "query_epochs", minimum=1)
        self.targeted_queries = check_int(targeted_queries, "targeted_queries", minimum=0)
        self.query_share = check_probability(query_share, "query_share")
        self.beyond = None if beyond is None else check_bool(beyond, "beyond")
        self.silence_trial = check_bool(silence_trial, "silence_trial")
        self.back_off = check_bool(back_off, "back_off")
        if not 0.0 < self.query_share < 1.0:
            raise ValueError(f"query_share must be in (0, 1), got {query_share!r}")

    def _default_query_rounds(self, n_states: int, n_actions: int) -> int:
        """Query rounds with the default epoch and no horizon (the messages are sized
        for them: the engine fixes M before the reset tells the horizon). None by default
        on two-state games: their posteriors form a segment, which the margin search's line
        from ``F`` through ``L`` already walks by realised utility; measured on the letter
        and the prosecutor, interior data only made the plan's boundary noisier there."""
        if self.query_rounds is not None:
            return self.query_rounds
        if n_states <= 2 or self.base == "certified":  # (the certified tests are its queries)
            return 0
        return query_rounds(self.epoch_rounds or 250 + 125 * n_actions, self.query_epochs, None)

    def messages_for(self, game: PersuasionGame) -> int:
        """M: margin_adaptive's (``2 A`` with spare messages), plus ``A`` fresh messages per
        query round."""
        if self.n_messages is not None:
            return self.n_messages
        return super().messages_for(game) + game.n_actions * self._default_query_rounds(
            game.n_states, game.n_actions
        )

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        short = self._epoch < self.phases(view.n_actions, None)[0]  # a short horizon
        self._hold = self.hold_epochs or (2 if short else 3)
        # (the challenge of the certified scheme stops at its first worse level: each level
        # past the learner's boundary disturbs a learner that was obeying C, and greedy
        # Q-learning locks; random-8x8-7 vs q_learning, 1e5 rounds: 0.785 of the best fixed
        # scheme with 3, 0.860 with 1, as without the challenge)
        self._misses = self.misses or (1 if self._short or self.base == "certified" else 3)
        # The margin levels searched: THETAS, then pushes past the plan (each run stops at the
        # last level that is still a scheme, ``_last_level``, set when the plan is made).
        beyond = view.n_states > 2 if self.beyond is None else self.beyond
        self._levels = THETAS + (BEYOND if beyond and not self._short else ())
        self._last_level: np.ndarray | None = None
        self._since = np.zeros(runs, dtype=int)  # settled epochs since the last change
        # TableNet's own generators (initial logits), drawn once so that a run's plan does
        # not depend on when it is made.
        self._plan_rngs = [np.random.default_rng(s) for s in rng.integers(0, 2**63 - 1, size=runs)]
        self._planned: np.ndarray | None = None
        self.planned_schemes: np.ndarray | None = None
        # The search over margins (per run): the level held, epochs at it, the sum of its
        # scored utilities, the best level and its mean, worse levels in a row, and whether
        # the search is over.
        self._held = np.zeros(runs, dtype=int)
        self._score_sum = np.zeros(runs)
        self.best_level = np.zeros(runs, dtype=int)
        self.best_value = np.full(runs, -np.inf)
        self._worse = np.zeros(runs, dtype=int)
        self.settled = np.zeros(runs, dtype=bool)
        self.level_values: list[dict[int, float]] = [{} for _ in range(runs)]
        # The query phase: its rounds (fewer on a short horizon, and no more than the
        # messages beyond the base ones allow), the round and epoch in it, the messages
        # already used, and its own generator (the query schemes).
        n_actions = view.n_actions
        free = max(0, view.n_messages - self._base_messages(n_actions))
        rounds = (
            self.query_rounds
            if self.query_rounds is not None
            else min(
                self._default_query_rounds(view.n_states, n_actions),
                query_rounds(self._epoch, self.query_epochs, view.horizon),
            )
        )
        self._query_total = min(rounds, free // n_actions)
        # A query message is seen about ``share / A`` of the counted rounds: with fewer than
        # ``2 min_count`` of them per epoch (short epochs) its counts would mislead the
        # model more than they inform it.
        counted = (self._epoch - self._epoch // 2) * self.query_share / n_actions
        if counted < 2 * self.min_count:
            self._query_total = 0
        self._horizon = view.horizon
        self._query_round = -1  # -1: not started; == total: done
        self._query_epoch = 0
        # (drawn only for a query phase: without one, play is exactly as before it existed)
        self._query_rng = (
            np.random.default_rng(rng.integers(0, 2**63 - 1)) if self._query_total else None
        )
        self._defer_plan = False
        # The challenge of the certified scheme (``base="certified"``, challenge.py).
        self._challenged = False
        self._challenging = False
        self._base_scheme: np.ndarray | None = None
        self.query_posteriors: list[np.ndarray] = []  # per round, (B, A, S)

    def _start_recommending(self, counts: np.ndarray) -> None:
        # With a query phase to come, the plan waits for its data: until then the direction
        # is full disclosure itself (the search starts only after the queries).
        self._defer_plan = self._query_total > 0 or self.base == "certified"
        super()._start_recommending(counts)

    def _start_slow(self) -> None:
        # A slow learner never settles on a fresh message within a query round: no query
        # phase, the plan from disclosure as before.
        if self._defer_plan:
            self._end_query_phase()
        super()._start_slow()

    def _direction(self, b: int) -> np.ndarray:
        """TableNet's plan for run ``b`` (made for all runs at once, at the first call);
        full disclosure while the plan waits for the query phase."""
        if self._defer_plan:
            return self.disclosure[b]
        if self._planned is None:
            self._planned = self._plan()
            self.planned_schemes = self._planned.copy()
        return self._planned[b]

    def _plan(self) -> np.ndarray:
        """TableNet's plan ``(B, S, A)`` on all the data recorded so far."""
        with one_thread():
            return plan_with_tablenet(
                self.priors,
                self.u1,
                self._data_mu,
                self._data_counts * self._data_weights[..., None],
                self.config,
                self._plan_rngs,
            )

    def _end_epoch(self, counts: np.ndarray) -> None:
        """Disclosure, TableNet's plan and the no-information probe as in margin_adaptive;
        then the search over margins by realised utility (:meth:`_search`)."""
        if self._challenging:
            self._challenge_epoch(counts)
            return
        if self.base == "certified" or (
            not self._recommending or self._probing > 0 or self.slow is not None
        ):
            super()._end_epoch(counts)  # (a slow learner is margin_adaptive's controller's)
            if self._query_ready():
                self._next_query_round()
            return
        if 0 <= self._query_round < self._query_total:  # in the query phase
            self.epochs += 1
            self._query_end_epoch(counts)
            return
        self.epochs += 1
        if self._short:
            # A short horizon's epochs score a level on a few dozen rounds: score it by its
            # expected value given the learner's answers, without the states' draw
            # (agents/senders/_short_horizon.py).
            expected = value_from_counts(self.priors, self._schemes, self.u1, counts)
            self.value = np.where(np.isnan(expected), self.value, expected)
        self._search()
        self._commit(self._next_schemes())

    # ------------------------------------------------------------------ query phase
    def _query_ready(self) -> bool:
        """Whether the query phase should start now: recommending, the probe over, not a
        slow learner, and queries planned but not started."""
        return (
            self._recommending
            and self._probing == 0
            and self.slow is None
            and self._query_round < 0
            and self._query_total > 0
        )

    def _fit_queries_to_horizon(self) -> None:
        """As the query phase starts, on a known horizon: keep at most the rounds that fit
        in :data:`~agents.senders.tablenet.queries.QUERY_LEFT_SHARE` of the rounds left
        before the tail (a learner that took long to settle under disclosure leaves little
        room, and the margin search needs the rest)."""
        if self._horizon is None:
            return
        played = self.epochs * self._epoch
        self._query_total = min(
            self._query_total,
            queries_left(self._horizon, played, self._epoch, self.query_epochs),
        )

    def _next_query_round(self) -> None:
        """Commit the next query round's scheme: disclosure (the recommendation messages at
        margin 1) with ``A`` fresh query messages mixed in (:func:`mix_queries`)."""
        if self._query_round < 0:
            self._fit_queries_to_horizon()
            if self._query_total == 0:  # no room left: plan on disclosure alone
                self._end_query_phase()
                self._commit(self._next_schemes())
                return
        self._query_round += 1
        self._query_epoch = 0
        n_states, n_actions = self.u1.shape[1:]
        first = self._base_messages(n_actions) + self._query_round * n_actions
        messages = np.arange(first, first + n_actions)
        concentrations = self.config.query_concentrations
        concentration = concentrations[self._query_round % len(concentrations)]
        if self._query_round >= self._query_total - self.targeted_queries:
            # A targeted round: the interim plan's own posteriors (its recommendation
            # columns are a split of each state's mass over A messages), where the final
            # plan will put its messages and the learner's play matters most.
            plan = self._plan()
            weights = [plan[b] for b in range(self.runs)]
        else:
            weights = [
                query_weights(n_states, n_actions, concentration, self._query_rng)
                for _ in range(self.runs)
            ]
        base = self._next_schemes()
        schemes = np.stack(
            [mix_queries(base[b], weights[b], messages, self.query_share) for b in range(self.runs)]
        )
        self._commit(schemes)
        self.query_posteriors.append(bayes.posteriors(self.priors, schemes)[:, messages])

    def _query_end_epoch(self, counts: np.ndarray) -> None:
        """An epoch of a query round: after its last, record the (posterior, counts) pairs
        of the round's scheme; after the last round, make TableNet's plan on all the data
        and start the margin search at full disclosure."""
        self._query_epoch += 1
        if self._query_epoch < self.query_epochs:
            return
        self._record(counts)
        if self._query_round + 1 < self._query_total:
            self._next_query_round()
            return
        self._end_query_phase()
        self._commit(self._next_schemes())

    def _end_query_phase(self) -> None:
        """The query phase is over (or skipped): TableNet's plan on the data recorded so
        far becomes the direction of the margin search."""
        self._query_round = self._query_total
        self._defer_plan = False
        self._target = np.stack([self._direction(b) for b in range(self.runs)])
