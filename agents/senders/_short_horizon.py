"""What :class:`agents.senders.adaptive.MarginAdaptiveSender` (and TableNet's margin protocol)
do differently on a *short* horizon: a match whose learning phases hold only a few epochs
(:meth:`agents.senders._phases.Phases.short_horizon`; e.g. 3 000 rounds on a 2x2 game: 19
epochs of 100 rounds in :data:`~agents.senders._phases.LEARNING_SHARE` of the match, room for
5 test rounds instead of 16). Matches of 5 000 rounds and more on 2x2 games, 20 000 and more
on games of up to 8 actions, are not short: nothing here applies to them.

Measured on the recommendation letter against fictitious play (3 000 rounds, 4 runs, seeds
0-9), the rounds went: 2 epochs of disclosure, 2 of the silent probe, 15 of tests (5 rounds),
11 of play. Of about 200 tests, two in three failed; a third of them were *known* to fail
(the vertex of a state whose receiver was already seen to play another action, tried after
every pass because the step doubles to 1), and the point the first useful test certifies
lies at the receiver's indifference (posterior 1/2, the midpoint of the first step), a coin
flip for a learner whose empirical posterior after a few dozen receipts is noisy. A run that
certified it and then saw it disobeyed in play lost it, with no test round left to find
another, and fell back to full disclosure (0.24-0.33 instead of about 0.55). Silence kept
warm beside the scheme cost 5 % of the play rounds but could never be measured often enough
before the end for the safe floor to act on it. So, on a short horizon only:

* **known failures are not tested** (:meth:`ShortHorizon._candidates`): a candidate posterior
  inside the convex hull of the points certified for another action ``b`` lies in ``b``'s
  region (regions are convex), so the learner would not follow a recommendation of ``a``
  there; its step is halved at once, as after a failure, until the candidate leaves every
  such hull. Only for a run whose learner answered disclosure firmly (reference obedience at
  least ``1 - tolerance``): a slow learner's disclosure (Hedge after two epochs) can read a
  state's best action wrongly, and its tests are what correct it;
* **a passed point is certified with a wider safety margin**, :data:`SHORT_CERTIFY_MARGIN`
  instead of 0.05 (unless ``certify_margin`` is given): a point lost in play cannot be
  replaced before the end;
* **no certification by a failed test** (:meth:`ShortHorizon._certify_other`): the point of
  a test failed after 100 rounds, certified for the action the learner did play there, lies
  near an indifference those few counts cannot separate: a point lost in play with no test
  round left to replace it. Measured on the letter against fictitious play (3 000 rounds, 4
  runs, seeds 0-19): with it, seed 2 missed the target (0.506 against the best fixed
  scheme's 0.612); without it every seed is within 0.1. The receiver model's steps stay:
  without them the letter gains (mean gap 0.061 -> 0.042) but
  ``PersuasionGame.random(4, 4, seed=16_404)`` loses 0.04-0.05 against UCB and fictitious
  play at 3 000 rounds (seeds 0-2);
* **silence is kept warm only if the safe floor can use it** (:meth:`ShortHorizon._start_floor`):
  when the epochs left cannot give ``FLOOR_MIN_EPOCHS`` values of silence, none is paid for;
* **TableNet's margin search scores a margin by its expected value given the learner's
  answers** (:func:`value_from_counts`, used in ``tablenet/play.py``) rather than by the
  sender's realised mean: with epochs of 100 rounds a level is scored on 50 rounds whose
  states' draw alone moves the mean by about 0.07, more than one step of the margin grid
  gains (0.05 on the letter), so the search stopped by chance; and it stops at the first
  level worse than the best (``misses`` 1 instead of 3): with that score a worse level is
  seldom noise, and the two more levels past a learner's boundary (where fictitious play
  stops following "hire" at once) took the last fifth of the match.

A mixin placed before :class:`~agents.senders._certified_search.CertifiedSearch` and
:class:`~agents.senders._safe_floor.SafeFloor` in the sender's bases.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linprog

from agents.senders._safe_floor import FLOOR_MIN_EPOCHS, FLOOR_SHARE, SILENCE
from persuasion_env import bayes

__all__ = [
    "DEFAULT_CERTIFY_MARGIN",
    "SHORT_CERTIFY_MARGIN",
    "ShortHorizon",
    "in_hull",
    "value_from_counts",
]

#: How far a passed point is moved back toward its action's clear states (``certify_margin``
#: not given), on a horizon that is not short.
DEFAULT_CERTIFY_MARGIN = 0.05
#: The same on a short horizon.
SHORT_CERTIFY_MARGIN = 0.1


def in_hull(points: np.ndarray, x: np.ndarray, tol: float = 1e-9) -> bool:
    """Whether ``x`` ``(S,)`` is a convex combination of the rows of ``points`` ``(K, S)``
    (within ``tol`` per coordinate); ``False`` for no points."""
    points = np.asarray(points, dtype=float).reshape(-1, len(x))
    if len(points) == 0:
        return False
    # min sum of slacks s.t. points.T lam + s+ - s- = x, sum lam = 1, all >= 0
    k, n = len(points), len(x)
    a_eq = np.zeros((n + 1, k + 2 * n))
    a_eq[:n, :k] = points.T
    a_eq[:n, k : k + n] = np.eye(n)
    a_eq[:n, k + n :] = -np.eye(n)
    a_eq[n, :k] = 1.0
    cost = np.r_[np.zeros(k), np.ones(2 * n)]
    b_eq = np.r_[np.asarray(x, dtype=float), 1.0]
    result = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    return bool(result.status == 0 and result.fun <= tol)


def value_from_counts(
    priors: np.ndarray, schemes: np.ndarray, u1: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Per run, the sender's expected utility per round under ``schemes`` ``(B, S, M)`` given
    the receiver's action frequencies after each message (``counts`` ``(B, M, A)``):
    ``sum_m P(m) sum_a f(a | m) (mu_m . u1[:, a])``, with ``P(m) = prior . scheme[:, m]`` and
    ``mu_m`` the posterior (both known to the sender: its own scheme and the prior).

    The receiver sees only the message, so its action is independent of the state given the
    message: this is the mean of the realised utility without the noise of the states' and
    messages' draw. ``NaN`` for a run in which a message sent with positive probability was
    never counted."""
    p_message = bayes.message_probabilities(priors, schemes)
    seen = counts.sum(axis=-1)
    frequencies = counts / np.maximum(seen, 1.0)[..., None]  # the learner's response q(a | m)
    value = bayes.expected_utility(priors, schemes, frequencies, u1)
    unseen = ((p_message > 1e-12) & (seen == 0)).any(axis=-1)
    return np.where(unseen, np.nan, value)


class ShortHorizon:
    """The short-horizon choices of
    :class:`~agents.senders.adaptive.MarginAdaptiveSender` (module docstring). It reads
    ``_short`` and ``_horizon_epochs`` (set by :meth:`Phases._set_phases`)."""

    def _certify_margin(self) -> float:
        """``certify_margin`` if given, else :data:`SHORT_CERTIFY_MARGIN` on a short horizon
        and :data:`DEFAULT_CERTIFY_MARGIN` otherwise."""
        if self.certify_margin is not None:
            return self.certify_margin
        return SHORT_CERTIFY_MARGIN if self._short else DEFAULT_CERTIFY_MARGIN

    def _candidates(self, b: int) -> list[tuple[int, int, np.ndarray]]:
        """The certified search's candidates (:meth:`CertifiedSearch._candidates`); on a short
        horizon, for a run whose learner answered disclosure firmly, none inside the hull of
        the points certified for another action: its step is halved first (as after a
        failed test) until it leaves them, or is spent."""
        candidates = super()._candidates(b)
        if not self._short or self.reference_obedience[b] < 1.0 - self.tolerance:
            return candidates
        points = np.array(self._points[b])
        actions = np.array(self._point_actions[b])
        for _ in range(64):  # each pass halves a step; below min_step it is not proposed
            known = [(a, s) for a, s, x in candidates if in_hull(points[actions != a], x)]
            if not known:
                break
            for a, s in known:
                self._scale_step(b, a, s, 0.5)
            candidates = super()._candidates(b)
        return candidates

    def _certify_other(
        self, b: int, a: int, x: np.ndarray, seen: np.ndarray, threshold: float
    ) -> None:
        """A failed test's point certified for the action the learner obeyed
        (:meth:`CertifiedSearch._certify_other`); nothing on a short horizon."""
        if not self._short:
            super()._certify_other(b, a, x, seen, threshold)

    def _silence_measurable(self) -> bool:
        """Whether the epochs left can give the safe floor ``FLOOR_MIN_EPOCHS`` values of
        silence (one value per ``min_count`` silent rounds; share ``FLOOR_SHARE`` of each
        epoch's counted rounds). Always on a horizon that is not short."""
        if not self._short:
            return True
        per_epoch = FLOOR_SHARE * (self._epoch - self._observe_from)
        needed = FLOOR_MIN_EPOCHS * math.ceil(self.min_count / per_epoch)
        return self._horizon_epochs - self.epochs >= needed

    def _start_floor(self) -> None:
        """The safe floor's play phase (:meth:`SafeFloor._start_floor`), without keeping
        silence warm when it could not be measured often enough before the end."""
        super()._start_floor()
        if not self._silence_measurable():
            self._floor_watch[:] = False
            self._floor_blocked[:, SILENCE] = True  # never measured: never a fallback
