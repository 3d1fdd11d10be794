"""TableNet's plan as a challenger to margin_adaptive's certified scheme (the ``"margin"``
protocol's default ``base="certified"``, :mod:`agents.senders.tablenet.play`): a mixin of
:class:`~agents.senders.tablenet.play.TableNetMarginPlay`, whose state it reads and writes.

margin_adaptive's certified protocol (disclosure, the silent probe, tests on fresh messages)
runs first, unchanged: its tests put interior posteriors on fresh messages and record the
learner's settled play there, the data TableNet's receiver model needs (they replace the
query phase). When the tests end, TableNet's plan ``L`` is made on every epoch recorded
(disclosure and tests), and the margin search walks the line from the certified scheme
``C`` (margin_adaptive's own end point) to ``L``: ``theta C + (1 - theta) L``, ``theta``
down :data:`~agents.senders.adaptive.THETAS` and past the plan (:data:`~.search.BEYOND`),
each level scored by the sender's expected utility given the learner's action frequencies
after each message (the realised mean without the states' draw). Every recommendation
column of ``C`` is obeyed by construction and obedience constraints are linear in the
column, so the line starts where the learner is known to obey; the search moves toward
``L`` only as far as it pays, and stops at the first level worse than the best so far
(``misses`` 1: a level past the learner's boundary disturbs a learner that was obeying
``C``, and greedy Q-learning locks a message). Then each run plays its best level as its
certified scheme, if it clearly beat ``C`` (:data:`CHALLENGE_GAIN`), under margin_adaptive's
play phase (the safe floor, the watch that drops a disobeyed point, the spare message for a
locked one).

Measured (random 8x8 games vs fictitious play, 1e5 rounds): the plan made on disclosure and
four query rounds was worth 0.51-0.63 against a rational receiver where the certified
scheme was worth 0.65-0.67, and the search starting from full disclosure ended below both.

The challenge ends when every run's search has ended, or, on a known horizon, before the
tail of the match (the last :data:`~persuasion_env.engine.TAIL_FRACTION`): a run still
searching then takes its best level so far.
"""

from __future__ import annotations

import numpy as np

from agents.senders._push_search import mix_toward
from agents.senders._short_horizon import value_from_counts
from persuasion_env.engine import TAIL_FRACTION

__all__ = ["CHALLENGE_GAIN", "PlanChallenge"]

#: A level of the challenge replaces the certified scheme ``C`` only when its score beats
#: ``C``'s own by more than this (the best of many noisy scores overstates its level).
CHALLENGE_GAIN = 0.02


class PlanChallenge:
    """The challenge of TableNet's plan to the certified scheme (module docstring)."""

    def _start_floor(self) -> None:
        """margin_adaptive's tests are over: with ``base="certified"`` the challenge starts
        first (once); the play phase's floor starts when it ends."""
        if self.base == "certified" and self.challenge and not self._challenged:
            self._challenged = True
            self._start_challenge()
            return
        super()._start_floor()

    def _floor_play(self) -> np.ndarray:
        if self._challenging:
            return self._next_schemes()
        return super()._floor_play()

    def _start_challenge(self) -> None:
        """Make TableNet's plan on all the data and search the line from ``C`` to it."""
        self._challenging = True
        self._defer_plan = False
        self._base_scheme = self._certified.copy()
        self._target = np.stack([self._direction(b) for b in range(self.runs)])
        self._last_level = None
        self.margin_level[:] = 0
        self.theta = np.ones(self.runs)
        if self._challenge_over():
            self._end_challenge()

    def _challenge_over(self) -> bool:
        """Whether no run searches any more, or the next level would reach the tail."""
        if self.settled.all():
            return True
        if self._horizon is None:
            return False
        played = self.epochs * self._epoch
        return played + self._hold * self._epoch > (1.0 - TAIL_FRACTION) * self._horizon

    def _challenge_epoch(self, counts: np.ndarray) -> None:
        """One epoch of the challenge: score the level by its expected value given the
        learner's answers, step the search, and hand over to the play phase at its end. A
        message the learner has locked against moves to a spare (margin_adaptive's
        ``_judge``: a greedy learner that stopped obeying a recommendation at a level past
        its boundary does not obey it again at a safer level)."""
        self.epochs += 1
        self._judge(counts)
        expected = value_from_counts(self.priors, self._schemes, self.u1, counts)
        self.value = np.where(np.isnan(expected), self.value, expected)
        self._search()
        if self._challenge_over():
            self._end_challenge()
            return
        self._commit(self._next_schemes())

    def _end_challenge(self) -> None:
        """Each run's best-scored level becomes its certified scheme if its score beats
        ``C``'s by more than ``challenge_gain`` (else ``C`` stays; a run still searching is
        judged on the levels scored so far); margin_adaptive's play phase takes over."""
        for b in range(self.runs):
            self.settled[b] = True
            scores = self.level_values[b]
            best = max(scores, key=scores.get, default=0)
            if best == 0 or scores[best] <= scores.get(0, -np.inf) + self.challenge_gain:
                best = 0  # (no level clearly beat C)
            self.margin_level[b] = best
        self.theta = np.array([self._levels[k] for k in self.margin_level])
        self._certified = self._level_schemes()
        self._challenging = False
        super()._start_floor()
        self._commit(self._floor_play())

    def _level_schemes(self) -> np.ndarray:
        """``(B, S, A)``: each run's scheme at its margin ``theta``, in recommendation form:
        ``theta base + (1 - theta) L``, past the plan clipped at zero and renormalised."""
        out = np.empty_like(self._base_scheme)
        for b in range(self.runs):
            out[b] = mix_toward(self._base_scheme[b], self._target[b], self.theta[b])
        return out

    def _next_schemes(self) -> np.ndarray:
        """During the challenge: each run's level scheme on its recommendation messages."""
        if not self._challenging:
            return super()._next_schemes()
        levels = self._level_schemes()
        schemes = np.zeros(self._schemes.shape)
        for b in range(self.runs):
            schemes[b][:, self.message_of[b]] = levels[b]
        return schemes
