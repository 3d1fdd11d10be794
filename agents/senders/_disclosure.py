"""How long :class:`agents.senders.adaptive.MarginAdaptiveSender` discloses, and when a
learner counts as slow, relative to the horizon (``GameView.horizon``; issue 16).

The sender's options ``max_disclosure_epochs`` (200) and ``slow_epochs`` (100) were sized for
the recommendation letter at 10^6 rounds (2000 epochs of 500 rounds). At 10^5 rounds a match
has only 80-133 epochs, so against the actor-critic (which barely moves in 10^5 rounds: its
consistency after a message went 0.30 -> 0.42 on a 4x4 game over the whole match) the sender
never left disclosure, and against Hedge on 8x8 games (consistency 0.4 -> 0.7 in 16 epochs,
0.8 rarely) it spent most of the match there. Here both are a share of the match's epochs,
never more than the options; with the horizon unknown, or long enough, the options as given.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DISCLOSURE_PARTS",
    "FAST_RISE",
    "MIN_CUT_EPOCHS",
    "SLOW_WINDOWS",
    "consistency_rise",
    "disclosure_cap",
    "slow_window_rounds",
]

#: Disclosure by horizon (:func:`disclosure_cap`): it ends at the latest after one
#: ``DISCLOSURE_PARTS``-th of the match's epochs (never later than ``max_disclosure_epochs``:
#: on the recommendation letter at 10^6 rounds, 2000 epochs of 500 rounds, exactly 200).
DISCLOSURE_PARTS = 10
#: A cut that would leave fewer epochs than this is not made: too few to tell a learner's
#: pace (:func:`consistency_rise` needs 4); such short matches keep the option (their phases
#: are :class:`agents.senders._phases.Phases`' short-horizon branch).
MIN_CUT_EPOCHS = 4
#: The slow controller's window is one ``SLOW_WINDOWS``-th of the horizon, at most its
#: default 10 000 rounds (:func:`slow_window_rounds`).
SLOW_WINDOWS = 100
#: When the horizon cut disclosure short and the learner had not settled by then, it is slow
#: only if its consistency rose by less than this during disclosure
#: (:func:`consistency_rise`): Hedge on 8x8 games (0.45 -> 0.6 in 8 epochs) is learning at
#: the match's pace and goes to the certified search; the actor-critic at 10^5 rounds (flat)
#: to the slow-learner controller. A learner that settled before the cut learns at the
#: match's pace too (UCB on 8x8 games: 4 epochs).
FAST_RISE = 0.1


def disclosure_cap(
    horizon: int | None, epoch: int, *, disclosure_epochs: int, max_disclosure_epochs: int
) -> int:
    """The most epochs of disclosure in a match of ``horizon`` rounds played in epochs of
    ``epoch`` rounds: ``max_disclosure_epochs`` when the horizon is unknown (``None``),
    otherwise at most ``n // DISCLOSURE_PARTS`` for ``n = horizon // epoch`` epochs in the
    match, and at least ``disclosure_epochs``; when that is fewer than
    :data:`MIN_CUT_EPOCHS`, ``max_disclosure_epochs`` (no cut)."""
    cut = None if horizon is None else (horizon // epoch) // DISCLOSURE_PARTS
    if cut is None or cut < MIN_CUT_EPOCHS:
        return max_disclosure_epochs
    return min(max_disclosure_epochs, max(disclosure_epochs, cut))


def slow_window_rounds(horizon: int | None, epoch: int, default: int = 10_000) -> int:
    """Rounds per window of the slow-learner controller: ``default`` when the horizon is
    unknown, else ``horizon // SLOW_WINDOWS`` between one epoch and ``default`` (10^6 rounds:
    10 000 as before; 10^5 rounds: 1 000, so the build and the push get ~100 windows)."""
    if horizon is None:
        return default
    return min(default, max(epoch, horizon // SLOW_WINDOWS))


def consistency_rise(curve: list[np.ndarray]) -> float:
    """How far the batch's mean consistency rose during disclosure: the mean of its last
    three epochs less that of its first two (0 with fewer than four epochs: too few to tell).
    Means over epochs, not a maximum, so that a flat learner's noise does not read as a
    rise."""
    if len(curve) < 4:
        return 0.0
    means = [float(np.mean(c)) for c in curve]
    return float(np.mean(means[-3:]) - np.mean(means[:2]))
