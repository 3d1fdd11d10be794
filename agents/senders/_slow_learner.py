"""How ``margin_adaptive`` persuades a *slow* learner: build obedience, then spend it
(issue 16, MODEL.md C1-C2). Used through one hook of
:class:`agents.senders.adaptive.MarginAdaptiveSender`; black box like it.

A slow learner (Lin et al.'s actor-critic: a softmax actor stepped by Adam at 7e-4 per batch
of 100 rounds) changes its play far more slowly than an epoch. Its logit for "obey a
recommendation" drifts at a rate that grows with the recommendation's *obedience slack* (the
receiver's gain from obeying, in posterior expectation) and has its sign: it rises under a
persuasive scheme with slack, stays put at exact indifference, and decays below it. So the
level of obedience the sender observes is a stock it can build and then spend:

1. **Build**: play ``F + y D`` with ``y = build_share * y_L`` (``F`` the recommendation form of
   full disclosure, ``D`` the normalised direction from ``F`` to the LP on the sender's
   response model, ``y_L`` the model LP's position on it) until the observed obedience of
   every recommendation reaches ``goal`` (or stops rising, its trend below ``stall_z``
   standard errors: the goal becomes the level reached). The default ``build_share = 0``
   builds with full disclosure, the scheme with the most slack: against the actor-critic on
   the recommendation letter (seeds 0-1, two runs each) its obedience rose from 0.8 to 0.95
   in about 20 windows of 10 000 rounds (logit +0.08 per window), against about 28 at half
   the model LP (+0.06; presumably because after a message that pools states the learner's
   reward is itself random). If obedience clearly falls meanwhile (trend below
   ``-build_z_tolerance`` standard errors), ``y`` is halved.
2. **Push**: from ``push_share * y_L``, every window of ``window_rounds`` rounds ``y`` moves
   ``step`` toward more persuasion (it may pass the model LP, up to the last valid scheme on
   the line: the model's boundary is not the learner's) while every recommendation is obeyed
   at least at the goal less ``band`` (in logit) and its obedience is not clearly falling;
   it moves ``back_steps * step`` back when obedience clearly falls, or is below that level
   and not clearly rising; otherwise it holds. On the way up the step scales with how
   clearly obedience still rises (``clip(1/4 + z/3, 1/4, 1)`` of it for a trend of ``z``
   standard errors: near zero slack the trend is flat and ``y`` creeps), and the step
   shrinks after every overshoot (a move back after a move on: ``step / (1 + reversals /
   2)``, at least ``min_step``, after Kesten's rule), so ``y`` hovers where the slack is
   near 0 (the true LP) while the learner still obeys at about the goal.
3. **Silence kept warm** (:class:`SlowLearnerHandoff`, the hook in the sender): a small
   share of play goes to a silent message all along, and late in the match silence takes
   the lead where it clearly earns more than the persuasion the learner has learned.

"Obedience" is read as a logit, ``log((k + 1/2) / (n - k + 1/2))`` for ``k`` of ``n``
recommendations of an action obeyed in the window (the scale on which a softmax actor
moves), for the least obeyed recommendation; "clearly rising / falling" is a weighted
least-squares slope over the last ``trend_windows`` windows of more than ``z_tolerance``
standard errors (binomial variances). The sender sees the state and the receiver's action
only: never ``u2``, the receiver's policy, its payoffs or the LP of the true game.
"""

from __future__ import annotations

import math

import numpy as np

from agents.senders._response_model import message_worth

__all__ = [
    "SlowLearnerHandoff",
    "SlowLearnerPush",
    "obedience_logit",
    "push_direction",
]


def obedience_logit(obeyed: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The logit of the obedience rate and its (delta-method) variance, elementwise.

    ``log((k + 1/2) / (n - k + 1/2))`` (the half-counts keep it finite at 0 and ``n``);
    variance ``1 / (k + 1/2) + 1 / (n - k + 1/2)``.
    """
    k = np.asarray(obeyed, dtype=float) + 0.5
    rest = np.asarray(seen, dtype=float) - np.asarray(obeyed, dtype=float) + 0.5
    return np.log(k / rest), 1.0 / k + 1.0 / rest


def push_direction(disclosure: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The line ``F + y D`` through disclosure ``F`` and the model LP ``L`` (both ``(S, A)``,
    recommendation form), with ``D = (L - F) / max|L - F|`` so that ``y`` is the largest
    probability moved in any state.

    Returns:
        ``(D, y_L, y_max)``: the direction, the model LP's position on the line and the last
        ``y`` at which ``F + y D`` is still a scheme (no negative entry). ``D = 0`` and
        ``y_L = y_max = 0`` when ``L = F``.
    """
    diff = np.asarray(target, dtype=float) - np.asarray(disclosure, dtype=float)
    scale = float(np.abs(diff).max())
    if scale < 1e-12:
        return np.zeros_like(diff), 0.0, 0.0
    direction = diff / scale
    falling = direction < -1e-12
    y_max = float(np.min(disclosure[falling] / -direction[falling]))
    return direction, scale, y_max


class SlowLearnerPush:
    """The build-then-push controller of one batch of runs (see the module docstring).

    Args:
        disclosure: ``(B, S, A)`` ``F`` per run.
        target: ``(B, S, A)`` the model LP ``L`` per run.
        epoch_rounds: rounds per epoch of the sender (the counts arrive per epoch).
        window_rounds: rounds per window (epochs are pooled into windows).
        goal: the obedience rate to build and keep.
        build_share: ``y`` while building, as a share of the model LP's ``y_L``.
        step: how far ``y`` moves per window toward persuasion (before any overshoot).
        back_steps: how many steps it moves back after a window that failed.
        z_tolerance: standard errors of a trend that count as "clearly" rising / falling.
        band: how far (in logit) obedience may sit below the goal while pushing.
        build_z_tolerance: standard errors of a fall that halve the build's ``y``.
        min_step: the smallest step.
        trend_windows: windows the trend is fitted to.
        stall_z: a build whose trend is at most this many standard errors has stalled.
        push_share: where the push starts, as a share of ``y_L``.
        min_count: an action recommended fewer times in a window is not judged.
    """

    def __init__(
        self,
        disclosure: np.ndarray,
        target: np.ndarray,
        *,
        epoch_rounds: int,
        window_rounds: int = 10_000,
        goal: float = 0.985,
        build_share: float = 0.0,
        step: float = 0.025,
        back_steps: float = 2.0,
        z_tolerance: float = 1.5,
        band: float = 0.4,
        build_z_tolerance: float = 3.0,
        min_step: float = 0.005,
        trend_windows: int = 6,
        stall_z: float = 0.5,
        push_share: float = 0.5,
        min_count: int = 30,
    ) -> None:
        runs = disclosure.shape[0]
        self.disclosure = np.asarray(disclosure, dtype=float)
        lines = [push_direction(disclosure[b], target[b]) for b in range(runs)]
        self.direction = np.stack([line[0] for line in lines])
        self.y_model = np.array([line[1] for line in lines])
        self.y_max = np.array([line[2] for line in lines])
        self.y = np.minimum(build_share * self.y_model, self.y_max)
        self.window_epochs = max(1, math.ceil(window_rounds / epoch_rounds))
        self.goal_logit = np.full(runs, math.log(goal / (1.0 - goal)))
        self.step, self.back_steps = step, back_steps
        self.z_tolerance, self.min_count = z_tolerance, min_count
        self.build_z_tolerance, self.min_step = build_z_tolerance, min_step
        self.reversals = np.zeros(runs)
        self._last_move = np.zeros(runs)  # +1 up, -1 back, 0 not yet
        self.trend_windows, self.band = trend_windows, band
        self.stall_z, self.push_share = stall_z, push_share
        self.building = np.ones(runs, dtype=bool)
        self._counts: np.ndarray | None = None
        self._epochs = 0
        self._history: list[tuple[np.ndarray, np.ndarray]] = []  # binding logit, variance
        self.windows = 0

    def schemes(self) -> np.ndarray:
        """``(B, S, A)`` the recommendation-form scheme to play: ``F + y D``."""
        return self.disclosure + self.y[:, None, None] * self.direction

    def end_epoch(self, by_action: np.ndarray) -> bool:
        """Take one epoch's counts ``(B, A, A)`` (row ``a``: the receiver's actions after the
        recommendation of ``a``); at the end of a window, move ``y``. Returns whether ``y``
        moved (then the sender commits the new :meth:`schemes`)."""
        self._counts = by_action.copy() if self._counts is None else self._counts + by_action
        self._epochs += 1
        if self._epochs < self.window_epochs:
            return False
        counts, self._counts, self._epochs = self._counts, None, 0
        self._end_window(counts)
        return True

    def _end_window(self, counts: np.ndarray) -> None:
        self.windows += 1
        seen = counts.sum(axis=-1)  # (B, A)
        obeyed = np.einsum("baa->ba", counts)
        logit, variance = obedience_logit(obeyed, seen)
        judged = seen >= self.min_count
        # The binding recommendation: the least obeyed one that was judged.
        binding = np.where(judged, logit, np.inf).argmin(axis=-1)
        rows = np.arange(len(binding))
        level, level_var = logit[rows, binding], variance[rows, binding]
        no_data = ~judged.any(axis=-1)
        self._history.append((np.where(no_data, np.nan, level), level_var))
        del self._history[: -self.trend_windows]
        z = self._trend_z()
        rising, falling = z > self.z_tolerance, z < -self.z_tolerance
        full = len(self._history) >= self.trend_windows
        # Build: keep the persuasive scheme; halve it if obedience clearly falls; end at the
        # goal, or when obedience stopped rising (the goal becomes the level reached).
        at_goal = level >= self.goal_logit
        stalled = self.building & ~at_goal & full & (z <= self.stall_z) & ~no_data
        self.goal_logit = np.where(stalled, np.minimum(level, self.goal_logit), self.goal_logit)
        halve = self.building & ~at_goal & full & (z < -self.build_z_tolerance) & ~no_data
        self.y = np.where(halve, 0.5 * self.y, self.y)
        pushing = ~self.building & ~no_data
        done = self.building & (at_goal | stalled) & ~no_data  # a window with no data: wait
        # The push starts part of the way to the model LP (surely still with slack).
        start = np.minimum(self.push_share * self.y_model, self.y_max)
        self.y = np.where(done, np.maximum(self.y, start), self.y)
        self.building &= ~done
        # Push: spend obedience while it holds near the goal (within ``band``) and does not
        # clearly fall; give some back when it falls, or is below the band and not
        # recovering; otherwise hold. The step shrinks after every overshoot (a move back
        # after a move on: Kesten's rule), so y settles where obedience neither rises nor
        # falls.
        held = level >= self.goal_logit - self.band
        up = held & ~falling
        down = falling | (~held & ~rising)
        move = np.where(up, 1.0, np.where(down, -1.0, 0.0))
        overshoot = pushing & down & (self._last_move > 0)
        self.reversals += overshoot
        self._last_move = np.where(pushing & (move != 0), move, self._last_move)
        step = np.maximum(self.step / (1.0 + 0.5 * self.reversals), self.min_step)
        # On the way up the step scales with how clearly obedience still rises (a flat
        # trend means the slack is near 0: creep), so the push slows before it overshoots.
        up_step = step * np.clip(0.25 + z / 3.0, 0.25, 1.0)
        moved = self.y + np.where(up, up_step, np.where(down, -self.back_steps * step, 0.0))
        self.y = np.where(pushing, np.clip(moved, 0.0, self.y_max), self.y)

    def _trend_z(self) -> np.ndarray:
        """The weighted least-squares slope of the binding logit over the last
        ``trend_windows`` windows, in standard errors (0 while fewer windows are known)."""
        recent = self._history[-self.trend_windows :]
        if len(recent) < self.trend_windows:
            return np.zeros(len(recent[-1][0]))
        levels = np.stack([h[0] for h in recent], axis=-1)  # (B, n)
        weights = 1.0 / np.stack([h[1] for h in recent], axis=-1)
        weights = np.where(np.isnan(levels), 0.0, weights)
        levels = np.nan_to_num(levels)
        x = np.arange(len(recent), dtype=float)
        total = np.maximum(weights.sum(axis=-1), 1e-12)
        x_mean = (weights * x).sum(axis=-1) / total
        y_mean = (weights * levels).sum(axis=-1) / total
        sxx = (weights * (x - x_mean[:, None]) ** 2).sum(axis=-1)
        sxy = (weights * (x - x_mean[:, None]) * (levels - y_mean[:, None])).sum(axis=-1)
        slope = sxy / np.maximum(sxx, 1e-12)
        return np.where(sxx > 0, slope * np.sqrt(sxx), 0.0)


#: Silence kept warm beside the persuasion of a slow learner (:class:`SlowLearnerHandoff`):
#: the share of play on the silent message (on persuasion once silence leads). A learner
#: stepped by Adam, like the actor-critic, moves each message's policy by about its step
#: size per batch whatever the message's share, so a small share learns almost as fast as
#: silence from the start (random 8x8 game 8, 10^5 rounds: the silent message's value
#: 0.536 at a share of 0.1, 0.559 alone).
WARM_SHARE = 0.1
#: Windows of the value gap compared (the most recent ones played under the same leader).
COMPARE_WINDOWS = 20
#: At least this many windows before the leader may change.
MIN_COMPARE_WINDOWS = 8
#: Standard errors (of the mean gap over the windows, from their spread) by which the other
#: side must earn more per round to take the lead: a window's gap is noisy (about 0.03 on
#: random 8x8 games: some 60 silent rounds counted per window).
SWITCH_Z = 2.0
#: ... and by at least this much per round (windows are autocorrelated, so their spread
#: understates the error; and a gap this small is not worth a switch).
MIN_GAP = 0.005
#: Once persuasion leads by this much (late in the match), silence is no longer kept warm.
DROP_GAP = 0.1
#: The share of the horizon after which the leader may change or silence be dropped:
#: earlier, both are still learning (a learner met fresh plays near uniformly after every
#: message). It is before the tail that the benchmark measures (the last 20 %). With the
#: horizon unknown, the leader may change from the start.
SWITCH_FROM = 0.5


class SlowLearnerHandoff:
    """The hook of :class:`~agents.senders.adaptive.MarginAdaptiveSender` that hands a batch
    whose learner is slow to :class:`SlowLearnerPush` and plays its schemes on the
    recommendation messages (``message_of``), with silence kept warm beside them.

    Against a slow learner the sender cannot probe silence (a probe of a few epochs shows a
    fresh message's near-uniform play), yet within the match silence may earn more than any
    persuasion the learner has learned to follow. So a share :data:`WARM_SHARE` of play
    goes to the silent message all along (mixed in without changing the other messages'
    posteriors), and every window the sender compares what it earned per round after the
    silent message and after the recommendations
    (:func:`~agents.senders._response_model.message_worth`; a side counted fewer than
    ``min_count`` times in a window is not compared). After :data:`SWITCH_FROM` of the
    horizon, silence takes the lead (and persuasion keeps the warm share) when it earned more
    by :data:`SWITCH_Z` standard errors and at least :data:`MIN_GAP` on average over the last
    :data:`COMPARE_WINDOWS` windows (at least :data:`MIN_COMPARE_WINDOWS` of them, played
    under the current leader), and gives it back likewise; silence stops being kept warm
    once persuasion leads by :data:`DROP_GAP`. Measured against the actor-critic (21 pairs,
    10^5 rounds, 4 runs): the sender's tail utility rises by 0.002 on average (seeds 0 and
    1); it falls below the no-information scheme's on 8 pairs instead of 12 (seed 0); on
    the letter at 10^6 rounds 0.671 (0.668 without).
    """

    def _start_slow(self) -> None:
        """Hand the batch to :class:`SlowLearnerPush` (agents/senders/_slow_learner.py):
        build obedience with slack, then spend it (no margin grid or probe; silence warm)."""
        self._probing = 0
        self.slow = SlowLearnerPush(
            self.disclosure, self._target, epoch_rounds=self._epoch, window_rounds=self._window
        )
        self.warm_share = np.where(self._silent >= 0, WARM_SHARE, 0.0)
        self._commit(self._slow_schemes())

    def _reset_slow(self) -> None:
        """At ``reset``: no controller yet, silence neither warm nor leading."""
        self.slow: SlowLearnerPush | None = None
        self.warm_share = np.zeros(self.runs)
        self.silence_leads = np.zeros(self.runs, dtype=bool)
        self._gaps: list[np.ndarray] = []
        self._window_counts = np.zeros_like(self._counts)

    def _slow_epoch(self, counts: np.ndarray) -> None:
        """One epoch under the controller: its counts, and at a window's end the comparison
        of silence and persuasion and the new scheme."""
        self._window_counts += counts
        by_action = counts[self._rows[:, None], self.message_of]  # (B, A, A): row a = "play a"
        if self.slow.end_epoch(by_action):
            self._compare_silence(self._window_counts)
            self._window_counts = np.zeros_like(self._window_counts)
            self._commit(self._slow_schemes())

    def _compare_silence(self, counts: np.ndarray) -> None:
        """At the end of a window: the gap silence minus persuasion per round, and the
        leader (see the class docstring)."""
        worth = message_worth(self.priors, self._schemes, self.u1, counts)  # (B, M)
        seen = counts.sum(axis=-1)
        on_recommendations = seen[self._rows[:, None], self.message_of].sum(axis=-1)
        persuasion = worth[self._rows[:, None], self.message_of].sum(axis=-1)
        persuasion /= np.maximum(on_recommendations, 1.0)
        has_silent = self._silent >= 0
        quiet = np.where(has_silent, self._silent, 0)  # a run without one is not watched
        on_silent = np.where(has_silent, seen[self._rows, quiet], 0.0)
        silence = worth[self._rows, quiet] / np.maximum(on_silent, 1.0)
        watched = (self.warm_share > 0) & (on_silent >= self.min_count)
        watched &= on_recommendations >= self.min_count
        self._gaps.append(np.where(watched, silence - persuasion, np.nan))
        del self._gaps[:-COMPARE_WINDOWS]
        stacked = np.stack(self._gaps)
        valid = ~np.isnan(stacked)
        n = valid.sum(axis=0)
        judged = n >= MIN_COMPARE_WINDOWS
        known = np.where(valid, stacked, 0.0)
        gap = known.sum(axis=0) / np.maximum(n, 1)
        variance = (valid * (known - gap) ** 2).sum(axis=0) / np.maximum(n - 1, 1)
        error = np.where(judged, np.sqrt(variance / np.maximum(n, 1)), np.inf)
        late = self._horizon_epochs is None or self.epochs >= SWITCH_FROM * self._horizon_epochs
        clear = np.maximum(SWITCH_Z * error, MIN_GAP)
        to_silence = judged & late & ~self.silence_leads & (gap > clear)
        back = judged & late & self.silence_leads & (gap < -clear)
        drop = judged & late & ~self.silence_leads & (gap < -DROP_GAP)
        self.warm_share = np.where(drop, 0.0, self.warm_share)
        changed = to_silence | back
        self.silence_leads ^= changed
        if np.any(changed):
            # A new leader is judged on windows played under it.
            self._gaps = [np.where(changed, np.nan, g) for g in self._gaps]

    def _slow_schemes(self) -> np.ndarray:
        """The controller's recommendation-form schemes on the recommendation messages and
        the silent message's share (the warm share, or all but it once silence leads)."""
        schemes = np.zeros_like(self._schemes)
        recommendations = self.slow.schemes()
        quiet = np.where(self.silence_leads, 1.0 - self.warm_share, self.warm_share)
        for b in range(self.runs):
            schemes[b][:, self.message_of[b]] = (1.0 - quiet[b]) * recommendations[b]
            if quiet[b] > 0:
                schemes[b][:, self._silent[b]] += quiet[b]
        return schemes
