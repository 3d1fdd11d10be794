"""The safe floor of margin_adaptive (agents/senders/_safe_floor.py): fall back to silence or
full disclosure when the certified scheme earns measurably less, and not otherwise. Driven
epoch by epoch with realised values whose means and spreads are set by hand (a synthetic
learner whose obedience we control is, to the sender, exactly such a stream of payoffs)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.senders._safe_floor import (
    DISCLOSURE,
    FLOOR_MIN_EPOCHS,
    SCHEME,
    SILENCE,
    SafeFloor,
    measurably_below,
)
from agents.senders.adaptive import MarginAdaptiveSender
from persuasion_env import PersuasionGame, simulate


def test_measurably_below_by_hand():
    # Constant values: the spread is the floor 0.03, so each mean's standard error is
    # 0.03 / sqrt(8) = 0.0106 and that of the difference 0.015; the bar is
    # 2.5 * 0.015 + 0.02 = 0.0575.
    assert measurably_below([0.50] * 8, [0.60] * 8)  # 0.10 > 0.0575
    assert measurably_below([0.54] * 8, [0.60] * 8)  # 0.06 > 0.0575
    assert not measurably_below([0.55] * 8, [0.60] * 8)  # 0.05 < 0.0575
    assert not measurably_below([0.60] * 8, [0.50] * 8)  # the other way round
    assert not measurably_below([], [0.6])
    # A spread of its own: values 0.4 / 0.6 alternating (mean 0.5, sd sqrt(0.08 / 7) =
    # 0.1069, se 0.0378) against a constant 0.7 (sd floored at 0.03, se 0.0106): se of the
    # difference 0.0393, the bar 2.5 * 0.0393 + 0.02 = 0.118 < 0.2 (measurably below); against
    # a constant 0.6 the difference 0.1 is not.
    noisy = [0.4, 0.6] * 4
    assert measurably_below(noisy, [0.7] * 8)
    assert not measurably_below(noisy, [0.6] * 8)


class _Stub(SafeFloor):
    """The sender state SafeFloor reads: one run of a 2-state, 2-action game in which the
    sender earns 1 when the receiver plays action 1, whatever the state (so a message's
    value is the share of action 1 after it); recommendations on messages 0 and 1, the
    silent message 2."""

    def __init__(self, disclosure: float, silent: int = 2) -> None:
        self.runs, self.min_count = 1, 10
        self.priors = np.array([[0.5, 0.5]])
        self.u1 = np.array([[[0.0, 1.0], [0.0, 1.0]]])
        self._recommending = False
        self._certified = np.array([[[0.5, 0.5], [0.0, 1.0]]])
        self._silent = np.array([silent])
        self.message_of = np.array([[0, 1]])
        self.disclosure = np.array([[[1.0, 0.0], [0.0, 1.0]]])
        self._reset_floor()  # as the sender's reset() does
        for _ in range(2):  # two settled disclosure epochs
            self.value = np.array([disclosure])
            self._remember_value()
        self._recommending = True
        self._start_floor()
        self._schemes = self._floor_play()

    def _certified_play(self) -> np.ndarray:
        schemes = np.zeros((1, 2, 3))
        schemes[0][:, self.message_of[0]] = self._certified[0]
        return schemes

    def epoch(self, played: float, silence: float) -> bool:
        """An epoch in which the receiver plays action 1 after the messages in use with
        probability ``played`` (100 rounds) and after the silent message (20 rounds while
        it is sent beside the scheme) with probability ``silence``."""
        counts = np.zeros((1, 3, 2))
        arm = self.floor_arm[0]
        in_use = [2] if arm == SILENCE else [0]
        for m in in_use:
            counts[0, m] = [100 * (1 - (silence if arm == SILENCE else played)), 0]
            counts[0, m, 1] = 100 - counts[0, m, 0]
        if arm == SCHEME and self._schemes[0, :, 2].sum() > 0:
            counts[0, 2] = [20 * (1 - silence), 20 * silence]
        changed = self._floor_epoch(counts)
        if changed:
            self._schemes = self._floor_play()
        return changed


def _wobble(mean: float, n: int, seed: int = 0, sd: float = 0.03) -> np.ndarray:
    return np.clip(mean + sd * np.random.default_rng(seed).standard_normal(n), 0, 1)


def test_silence_is_kept_warm_beside_the_scheme():
    floor = _Stub(disclosure=0.3)
    # every state gives 5 % to the silent message: the scheme's posteriors do not move
    np.testing.assert_allclose(floor._schemes[0], [[0.475, 0.475, 0.05], [0.0, 0.95, 0.05]])


def test_falls_back_to_silence_when_the_scheme_earns_clearly_less():
    floor = _Stub(disclosure=0.1)
    scheme, silence = _wobble(0.35, 40), _wobble(0.6, 40, seed=1)
    switched_at = next(k for k in range(40) if floor.epoch(scheme[k], silence[k]))
    # The first epoch is not counted, then FLOOR_MIN_EPOCHS epochs of both are needed.
    assert switched_at == FLOOR_MIN_EPOCHS
    assert floor.floor_arm[0] == SILENCE
    np.testing.assert_allclose(floor._schemes[0], [[0, 0, 1], [0, 0, 1]])  # all on message 2


def test_falls_back_to_disclosure_when_it_is_the_better_alternative():
    floor = _Stub(disclosure=0.6)
    for v, w in zip(_wobble(0.35, 20), _wobble(0.2, 20, seed=1), strict=True):
        floor.epoch(v, w)
    assert floor.floor_arm[0] == DISCLOSURE
    np.testing.assert_allclose(floor._schemes[0], [[1, 0, 0], [0, 1, 0]])


def test_does_not_fire_when_the_scheme_does_better():
    # Silence earns 0.6, the scheme 0.05 to 0.15 more; epoch-to-epoch noise up to a
    # no-regret learner's (sd 0.08): over 200 epochs and 10 seeds it never falls back. (At
    # equal means it may, rarely: a switch then costs nothing in expectation.)
    for scheme_mean in (0.65, 0.7, 0.75):
        for sd in (0.03, 0.08):
            for seed in range(10):
                floor = _Stub(disclosure=0.3)
                scheme = _wobble(scheme_mean, 200, seed=seed, sd=sd)
                silence = _wobble(0.6, 200, seed=seed + 10, sd=sd)
                for v, w in zip(scheme, silence, strict=True):
                    floor.epoch(v, w)
                    assert floor.floor_arm[0] == SCHEME


def test_stops_paying_for_silence_once_the_scheme_is_clearly_better():
    floor = _Stub(disclosure=0.3)
    for v, w in zip(_wobble(0.8, 15), _wobble(0.3, 15, seed=1), strict=True):
        floor.epoch(v, w)
    assert not floor._floor_watch[0]
    assert floor._schemes[0, :, 2].sum() == 0.0  # nothing on the silent message any more
    np.testing.assert_allclose(floor._schemes[0][:, :2], floor._certified[0])


def test_silence_judged_worse_than_an_old_scheme_is_judged_again_against_a_new_one():
    # The scheme (0.8) is clearly better than silence (0.5): silence stops being kept warm.
    floor = _Stub(disclosure=0.1)
    for v in _wobble(0.8, 15):
        floor.epoch(v, 0.5)
    assert not floor._floor_watch[0]
    # A recommendation lost its point: the new certified scheme earns 0.3. Silence is kept
    # warm again at once (the epoch of the change reports a change), and the silent record
    # kept so far counts: once the new scheme has FLOOR_MIN_EPOCHS values (after the two
    # skipped epochs), 0.3 against 0.5 is measurably below and the sender falls back.
    floor._certified = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    assert floor.epoch(0.8, 0.5)
    assert floor._floor_watch[0] and floor._schemes[0, :, 2].sum() > 0
    decisions = [floor.epoch(v, 0.5) for v in _wobble(0.3, FLOOR_MIN_EPOCHS + 1, seed=3)]
    assert decisions == [False] * FLOOR_MIN_EPOCHS + [True]
    assert floor.floor_arm[0] == SILENCE


def test_a_fallback_that_earns_less_is_left_for_good():
    floor = _Stub(disclosure=0.1)
    for v, w in zip(_wobble(0.4, FLOOR_MIN_EPOCHS + 1), _wobble(0.6, 20, seed=1), strict=False):
        floor.epoch(v, w)
    assert floor.floor_arm[0] == SILENCE
    # Silence, played in full, now earns 0.2 (the learner moved): skip one epoch, two
    # counted, back to the scheme, and silence is not tried again.
    assert [floor.epoch(0.4, 0.2) for _ in range(3)] == [False, False, True]
    assert floor.floor_arm[0] == SCHEME
    assert floor._floor_blocked[0, SILENCE]
    assert floor._schemes[0, :, 2].sum() == 0.0  # silence is no longer kept warm
    for v in _wobble(0.4, 50, seed=1):
        floor.epoch(v, 0.9)
    assert floor.floor_arm[0] == SCHEME


def test_no_silent_message_no_silence_fallback():
    floor = _Stub(disclosure=0.1, silent=-1)
    for v in _wobble(0.4, 30):
        floor.epoch(v, 0.9)
    assert floor.floor_arm[0] == SCHEME


def test_a_new_certified_scheme_starts_a_new_record():
    floor = _Stub(disclosure=0.1)
    for v, w in zip(_wobble(0.35, FLOOR_MIN_EPOCHS), _wobble(0.6, 10, seed=1), strict=False):
        floor.epoch(v, w)  # one short of a decision
    floor._certified = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    # The record restarts: this epoch (played under the old scheme) and the next (the
    # learner's first under the new one) are skipped, then FLOOR_MIN_EPOCHS are needed.
    scheme = _wobble(0.35, FLOOR_MIN_EPOCHS + 2, seed=2)
    decisions = [floor.epoch(v, 0.6) for v in scheme]
    assert decisions == [False] * (FLOOR_MIN_EPOCHS + 1) + [True]


@pytest.mark.parametrize("receiver", ["q_learning", "fictitious_play"])
def test_on_a_game_it_persuades_well_the_floor_stays_quiet(receiver):
    sender = MarginAdaptiveSender()
    game = PersuasionGame.example("prosecutor")
    simulate(game, sender, receiver, rounds=30_000, runs=2, seed=0)
    assert np.all(sender.floor_arm == SCHEME)


def test_a_sender_reset_twice_forgets_the_first_match_floor_values():
    # one sender object, two matches with different batch sizes: the second reset starts
    # from nothing (it crashed with an IndexError, the first match's probe values were kept)
    game = PersuasionGame.example("prosecutor")
    sender = MarginAdaptiveSender()
    simulate(game, sender, "fictitious_play", rounds=3000, runs=2, seed=0)
    again = simulate(game, sender, "fictitious_play", rounds=3000, runs=3, seed=0)
    fresh = simulate(game, MarginAdaptiveSender(), "fictitious_play", rounds=3000, runs=3, seed=0)
    assert np.array_equal(again.run_sender_curve, fresh.run_sender_curve)
