"""margin_adaptive's disclosure end and slow-learner switch relative to the horizon
(agents/senders/_disclosure.py, used by agents/senders/adaptive.py; issue 16).

The sender is driven round by round against scripted learners whose consistency is known
epoch by epoch, so the epoch at which disclosure ends is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from agents import make_sender
from agents.senders._disclosure import consistency_rise, disclosure_cap, slow_window_rounds
from persuasion_env import PersuasionGame
from persuasion_env.protocols import GameView

LETTER = PersuasionGame.example("recommendation_letter")
EPOCH = 100


@pytest.mark.parametrize(
    ("horizon", "epoch", "expected"),
    [
        (None, 500, 200),  # unknown horizon: the option as given
        (1_000_000, 500, 200),  # the letter's benchmark: 2000 epochs, 2000 // 10
        (10_000_000, 500, 200),  # longer: capped by the option
        (100_000, 750, 13),  # 4x4 at 10^5: 133 epochs -> 133 // 10
        (100_000, 1250, 8),  # 8x8 at 10^5: 80 epochs
        (4_000, 100, 4),  # 40 epochs: 40 // 10, the shortest cut
        (3_900, 100, 200),  # 39 epochs: a cut of 3 would be too short to judge; none
    ],
)
def test_disclosure_cap_by_hand(horizon, epoch, expected):
    got = disclosure_cap(horizon, epoch, disclosure_epochs=2, max_disclosure_epochs=200)
    assert got == expected


def test_slow_window_by_hand():
    assert slow_window_rounds(None, 500) == 10_000
    assert slow_window_rounds(1_000_000, 500) == 10_000
    assert slow_window_rounds(100_000, 750) == 1_000
    assert slow_window_rounds(20_000, 333) == 333  # never shorter than an epoch


def test_consistency_rise_by_hand():
    curve = [np.array([0.4, 0.5]), np.array([0.5, 0.5]), np.array([0.6, 0.6]), np.array([0.7])]
    # last three epochs' means (0.5, 0.6, 0.7) -> 0.6; first two (0.45, 0.5) -> 0.475
    assert consistency_rise(curve) == pytest.approx(0.6 - 0.475)
    assert consistency_rise(curve[:3]) == 0.0  # too few epochs to tell


def _drive(sender, horizon, obey, *, runs=2, seed=0, limit=250):
    """Play the letter's sender against a scripted receiver until disclosure ends (or
    ``limit`` epochs): in epoch ``e`` (from 0) the receiver plays the message's label (the
    state's best action under disclosure, message ``s`` in state ``s``) in a share
    ``obey(e)`` of the rounds (every 20 rounds, a fixed pattern: no sampling noise in how
    often it obeys), the other action otherwise. Returns the epochs disclosure took."""
    rng = np.random.default_rng(seed)
    view = GameView.for_agent(LETTER, sender, sender.messages_for(LETTER), horizon=horizon)
    sender.reset(view, runs=runs, rng=np.random.default_rng(seed + 1))
    for t in range(limit * EPOCH):
        states = (rng.random(runs) >= LETTER.prior[0]).astype(int)
        messages = sender.act(states)
        follow = np.full(runs, ((t % 20) + 0.5) / 20 < obey(t // EPOCH))
        actions = np.where(follow, messages % 2, 1 - messages % 2)
        sender.update(states, messages, actions, np.zeros(runs))
        if sender._recommending:
            return sender.epochs
    return None


def test_disclosure_ends_when_a_scripted_learner_settles():
    # Random until epoch 5 (0-based), then always the label: epoch 6 (1-based) is the first
    # whose counted half is consistent, with or without a horizon.
    def obey(e):
        return 0.5 if e < 5 else 1.0

    for horizon in (None, 40_000):
        sender = make_sender("margin_adaptive", epoch_rounds=EPOCH)
        assert _drive(sender, horizon, obey) == 6
        assert sender.slow is None


def test_a_learner_that_never_learns_times_out_at_a_tenth_of_the_horizon():
    # 40 000 rounds = 400 epochs of 100: disclosure ends after 40 epochs (not 200), and the
    # flat learner goes to the slow-learner controller with windows of 400 rounds.
    sender = make_sender("margin_adaptive", epoch_rounds=EPOCH)
    assert _drive(sender, 40_000, lambda e: 0.5) == 40
    assert sender.slow is not None
    assert sender.slow.window_epochs == 4
    # Without a horizon: today's 200 epochs, windows of 10 000 rounds.
    sender = make_sender("margin_adaptive", epoch_rounds=EPOCH)
    assert _drive(sender, None, lambda e: 0.5) == 200
    assert sender.slow is not None
    assert sender.slow.window_epochs == 100


def test_a_learner_still_learning_at_the_cut_goes_to_the_certified_search():
    # Obedience rises 0.5 -> 0.78 over the first 28 epochs (never the 0.8 that settles): at
    # the horizon's cut it is clearly learning, so it is not handed to the slow controller.
    def obey(e):
        return min(0.5 + 0.01 * e, 0.78)

    sender = make_sender("margin_adaptive", epoch_rounds=EPOCH)
    assert _drive(sender, 40_000, obey) == 40
    assert sender.slow is None
    # Without a horizon, the same learner is cut at 200 epochs and counts as slow (today).
    sender = make_sender("margin_adaptive", epoch_rounds=EPOCH)
    assert _drive(sender, None, obey) == 200
    assert sender.slow is not None


def test_a_learner_that_settles_before_the_cut_is_not_slow():
    # Settles at epoch 31 (1-based), before the horizon's cut (40): fast enough for the match
    # (slow_epochs 100 not reached). With slow_epochs 30 it is slow, horizon or not.
    def obey(e):
        return 0.5 if e < 30 else 1.0

    sender = make_sender("margin_adaptive", epoch_rounds=EPOCH)
    assert _drive(sender, 40_000, obey) == 31
    assert sender.slow is None
    for horizon in (40_000, None):
        sender = make_sender("margin_adaptive", epoch_rounds=EPOCH, slow_epochs=30)
        assert _drive(sender, horizon, obey) == 31
        assert sender.slow is not None
