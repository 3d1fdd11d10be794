"""margin_adaptive against a slow learner (agents/senders/_slow_learner.py, issue 16 "Must
show" bullet 1): the build-then-push controller and the hook that hands it the batch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents import make_sender
from agents.senders._response_model import message_worth
from agents.senders._slow_learner import (
    MIN_COMPARE_WINDOWS,
    WARM_SHARE,
    SlowLearnerPush,
    obedience_logit,
    push_direction,
)
from persuasion_env import PersuasionGame, bayes, simulate

# The recommendation letter in recommendation form: states (good, bad), actions (hire, no).
LETTER_F = np.array([[1.0, 0.0], [0.0, 1.0]])


def test_obedience_logit_by_hand():
    logit, variance = obedience_logit(np.array([3.0, 0.0]), np.array([4.0, 2.0]))
    np.testing.assert_allclose(logit, [math.log(3.5 / 1.5), math.log(0.5 / 2.5)])
    np.testing.assert_allclose(variance, [1 / 3.5 + 1 / 1.5, 1 / 0.5 + 1 / 2.5])


def test_push_direction_on_the_letter_by_hand():
    # A model LP that recommends "hire" in the bad state with probability 0.3.
    target = np.array([[1.0, 0.0], [0.3, 0.7]])
    direction, y_model, y_max = push_direction(LETTER_F, target)
    np.testing.assert_allclose(direction, [[0.0, 0.0], [1.0, -1.0]])
    assert y_model == pytest.approx(0.3)
    assert y_max == pytest.approx(1.0)  # then "hire" is recommended in both states
    assert push_direction(LETTER_F, LETTER_F)[1:] == (0.0, 0.0)


def _letter_slack(p: float) -> float:
    """The receiver's gain from obeying "hire" when it is recommended in the bad state with
    probability p: the posterior of good is (1/3) / (1/3 + 2p/3) = 1 / (1 + 2p) and hiring
    pays +1 / -1 in good / bad, so 2 / (1 + 2p) - 1 (zero at p = 1/2, the LP)."""
    return 2.0 / (1.0 + 2.0 * p) - 1.0


def test_controller_finds_the_letters_lp_against_a_drifting_softmax_learner():
    """A hand-made slow learner: its logit of obeying "hire" moves by ``rate * slack`` per
    window (a softmax actor's drift has the sign of the slack), "don't hire" is always obeyed
    (its posterior is 0). Fed the expected counts, the controller must build obedience, push
    past its model LP (at p = 0.3, a wrong model) and settle near p = 1/2, where the slack is
    0, with the learner still obeying at the goal."""
    window = 10_000
    controller = SlowLearnerPush(
        LETTER_F[None], np.array([[[1.0, 0.0], [0.3, 0.7]]]), epoch_rounds=window
    )
    assert controller.y[0] == 0.0  # build with full disclosure
    logit, rate = 1.0, 0.4
    ys, obeyed_rates = [], []
    for _ in range(300):
        p = controller.y[0]
        hire_rounds = window * (1 / 3 + 2 * p / 3)
        obey = 1.0 / (1.0 + math.exp(-logit))
        counts = np.array(
            [[[hire_rounds * obey, hire_rounds * (1 - obey)], [0.0, window - hire_rounds]]]
        )
        controller.end_epoch(counts)
        logit += rate * _letter_slack(p)
        ys.append(p)
        obeyed_rates.append(obey)
    assert not controller.building[0]
    assert abs(np.mean(ys[-100:]) - 0.5) < 0.05
    assert min(obeyed_rates[-100:]) > 0.96
    # The sender's utility there (hire rate) is within 3 % of the LP's 2/3.
    hires = (1 / 3 + 2 * np.array(ys[-100:]) / 3) * np.array(obeyed_rates[-100:])
    utility = float(hires.mean())
    assert utility > 0.97 * 2 / 3


def test_a_learner_that_settles_never_meets_the_slow_path():
    game = PersuasionGame.example("recommendation_letter")
    sender = make_sender("margin_adaptive", epoch_rounds=100, max_disclosure_epochs=5)
    simulate(game, sender, "q_learning", rounds=3000, seed=0)
    assert sender.slow is None


def test_disclosure_that_times_out_hands_the_batch_to_the_slow_path():
    game = PersuasionGame.example("recommendation_letter")
    sender = make_sender("margin_adaptive", epoch_rounds=100, max_disclosure_epochs=5)
    simulate(game, sender, "actor_critic", rounds=3000, runs=2, seed=0)
    assert sender.slow is not None
    # It plays the controller's scheme on the recommendation messages, F + y D per run, with
    # silence kept warm: 0.9 of every state's mass there, 0.1 on the silent message.
    expected = sender.slow.schemes()
    for b in range(2):
        np.testing.assert_allclose(
            sender.policy()[b][:, sender.message_of[b]], (1.0 - WARM_SHARE) * expected[b]
        )
        np.testing.assert_allclose(sender.policy()[b][:, sender._silent[b]], WARM_SHARE)
    # A learner that settles, but only after ``slow_epochs`` epochs, counts as slow too.
    late = make_sender("margin_adaptive", epoch_rounds=100, slow_epochs=2)
    simulate(game, late, "q_learning", rounds=1000, seed=0)
    assert late.slow is not None
    off = make_sender(
        "margin_adaptive", epoch_rounds=100, max_disclosure_epochs=5, slow_learner=False
    )
    simulate(game, off, "actor_critic", rounds=3000, runs=2, seed=0)
    assert off.slow is None


@pytest.mark.slow
def test_letter_vs_actor_critic_reaches_lin_et_als_white_box_value():
    """Issue 16, "Must show" bullet 1: the black-box margin_adaptive against Lin et al.'s
    actor-critic on the recommendation letter, 4 runs x 10^6 rounds (minutes): the tail
    utility is at least their white-box signaling-gradient result, 0.643 (LP 2/3)."""
    game = PersuasionGame.example("recommendation_letter")
    result = simulate(game, "margin_adaptive", "actor_critic", rounds=1_000_000, runs=4, seed=0)
    assert result.tail_sender_utility >= 0.643


def test_a_window_without_data_never_ends_the_build():
    """A window in which no recommendation was seen ``min_count`` times is not judged. Its
    logit is still computed (``log(0.5 / 0.5) = 0`` for nothing seen; ``log(99.5 / 1.5) =
    4.19`` for 99 of 100 obeyed), and once reached the goal (``logit(0.5) = 0``; the default
    ``logit(0.985) = 4.18``) and ended the build on no evidence."""
    target = np.array([[[1.0, 0.0], [0.3, 0.7]]])  # the model LP: y_L = 0.3
    nothing = np.zeros((1, 2, 2))
    low_goal = SlowLearnerPush(
        LETTER_F[None], target, epoch_rounds=100, window_rounds=100, goal=0.5
    )
    assert low_goal.end_epoch(nothing)
    assert low_goal.building[0] and low_goal.y[0] == 0.0
    strict = SlowLearnerPush(
        LETTER_F[None], target, epoch_rounds=100, window_rounds=100, min_count=1000
    )
    assert strict.end_epoch(np.array([[[99.0, 1.0], [0.0, 0.0]]]))
    assert strict.building[0] and strict.y[0] == 0.0
    # The same window, judged (min_count 30), is at the default goal: the push starts at
    # push_share * y_L = 0.5 * 0.3.
    judged = SlowLearnerPush(LETTER_F[None], target, epoch_rounds=100, window_rounds=100)
    judged.end_epoch(np.array([[[99.0, 1.0], [0.0, 0.0]]]))
    assert not judged.building[0]
    assert judged.y[0] == pytest.approx(0.15)


def test_message_worth_by_hand():
    """Prior (1/4, 3/4); state 0 always sends m0, state 1 sends m0 or m1 half the time, m2
    never: posteriors m0 (0.25, 0.375) / 0.625 = (0.4, 0.6), m1 (0, 1). u1 = diag(1, 2).
    After m0 the receiver played (3, 1): 3 * 0.4 * 1 + 1 * 0.6 * 2 = 2.4; after m1 (0, 5):
    5 * 2 = 10; m2 never counted: 0."""
    prior = np.array([[0.25, 0.75]])
    scheme = np.array([[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]])
    u1 = np.array([[[1.0, 0.0], [0.0, 2.0]]])
    counts = np.array([[[3.0, 1.0], [0.0, 5.0], [0.0, 0.0]]])
    np.testing.assert_allclose(message_worth(prior, scheme, u1, counts), [[2.4, 10.0, 0.0]])
    # one run without the batch axis, as the safe floor calls it
    np.testing.assert_allclose(message_worth(prior[0], scheme[0], u1[0], counts[0]), [2.4, 10, 0])


def _slow_letter_sender(late=True):
    """margin_adaptive handed to the slow controller on the letter (two runs), with its
    comparison of silence and persuasion cleared; ``late``: past half the horizon."""
    game = PersuasionGame.example("recommendation_letter")
    sender = make_sender("margin_adaptive", epoch_rounds=100, max_disclosure_epochs=5)
    simulate(game, sender, "actor_critic", rounds=3000, runs=2, seed=0)
    assert sender.slow is not None and np.all(sender._silent >= 0)
    assert len(sender._gaps) > 0  # the real path compared silence and persuasion
    sender._gaps = []
    sender.silence_leads[:] = False
    sender.warm_share[:] = WARM_SHARE
    sender._schemes = sender._slow_schemes()
    sender.epochs = sender._horizon_epochs if late else 0
    return sender


def _window(sender, silent_hires, recommended_hires, n=100.0):
    """Counts of one window: after the silent message the receiver hired a share
    ``silent_hires`` of ``n`` times, after each recommendation ``recommended_hires`` (per
    run if sequences). The letter's sender earns 1 for a hire in either state, so these
    shares are the values per round."""
    silent = np.broadcast_to(silent_hires, (sender.runs,))
    recommended = np.broadcast_to(recommended_hires, (sender.runs,))
    counts = np.zeros_like(sender._counts)
    for b in range(sender.runs):
        counts[b, sender.message_of[b]] = [n * (1 - recommended[b]), n * recommended[b]]
        counts[b, sender._silent[b]] = [n * (1 - silent[b]), n * silent[b]]
    return counts


def test_silence_takes_the_lead_late_and_only_when_it_clearly_earns_more():
    sender = _slow_letter_sender()
    # Silence earns 0.6 per round, persuasion 0.5: no change before enough windows.
    for _ in range(MIN_COMPARE_WINDOWS - 1):
        sender._compare_silence(_window(sender, 0.6, 0.5))
    assert not sender.silence_leads.any()
    sender._compare_silence(_window(sender, 0.6, 0.5))
    assert sender.silence_leads.all()
    # Silence now gets all but the warm share; the recommendations keep their posteriors.
    schemes = sender._slow_schemes()
    for b in range(sender.runs):
        np.testing.assert_allclose(schemes[b][:, sender._silent[b]], 1.0 - WARM_SHARE)
        recommended = schemes[b][:, sender.message_of[b]]
        np.testing.assert_allclose(recommended, WARM_SHARE * sender.slow.schemes()[b])
    np.testing.assert_allclose(
        bayes.posteriors(sender.priors, schemes)[0, sender.message_of[0]],
        bayes.posteriors(sender.priors[0], sender.slow.schemes()[0]),
    )
    # It gives the lead back on evidence gathered under the new leader only: persuasion now
    # earns more, and after MIN_COMPARE_WINDOWS new windows (not before) it leads again.
    for _ in range(MIN_COMPARE_WINDOWS - 1):
        sender._compare_silence(_window(sender, 0.4, 0.5))
    assert sender.silence_leads.all()
    sender._compare_silence(_window(sender, 0.4, 0.5))
    assert not sender.silence_leads.any()
    # Early in the match the same evidence changes nothing: both sides are still learning.
    early = _slow_letter_sender(late=False)
    for _ in range(2 * MIN_COMPARE_WINDOWS):
        early._compare_silence(_window(early, 0.6, 0.5))
    assert not early.silence_leads.any()


def test_the_lead_changes_on_a_noisy_but_clear_gap_and_per_run():
    sender = _slow_letter_sender()
    # Run 0: gaps alternating 0.15 and 0.05 (mean 0.1, standard error 0.05 / sqrt(8) =
    # 0.019: clear); run 1: no gap.
    for k in range(MIN_COMPARE_WINDOWS):
        sender._compare_silence(_window(sender, [0.65 if k % 2 else 0.55, 0.5], 0.5))
    np.testing.assert_array_equal(sender.silence_leads, [True, False])


def test_a_gap_within_its_noise_or_too_small_changes_nothing():
    sender = _slow_letter_sender()
    # Run 0: gaps alternating +0.5 and -0.4 (mean 0.05, standard error 0.45 / sqrt(n) >
    # 0.1); run 1: a steady gap of 0.003, below MIN_GAP.
    for k in range(3 * MIN_COMPARE_WINDOWS):
        silent = [0.9 if k % 2 == 0 else 0.1, 0.503]
        recommended = [0.4 if k % 2 == 0 else 0.5, 0.5]
        sender._compare_silence(_window(sender, silent, recommended, n=1000.0))
    assert not sender.silence_leads.any()
    np.testing.assert_array_equal(sender.warm_share, WARM_SHARE)


def test_windows_with_too_few_silent_rounds_are_not_compared():
    sender = _slow_letter_sender()
    # 5 silent rounds a window (below min_count = 10): however large the gap, never judged.
    for _ in range(2 * MIN_COMPARE_WINDOWS):
        counts = _window(sender, 1.0, 0.0)
        for b in range(sender.runs):
            counts[b, sender._silent[b]] = [0.0, 5.0]
        sender._compare_silence(counts)
    assert not sender.silence_leads.any()
    assert all(np.isnan(gap).all() for gap in sender._gaps)


def test_silence_stops_being_warm_once_persuasion_clearly_leads_late():
    early = _slow_letter_sender(late=False)
    for _ in range(MIN_COMPARE_WINDOWS):
        early._compare_silence(_window(early, 0.1, 0.6))
    np.testing.assert_array_equal(early.warm_share, WARM_SHARE)  # not before half the match
    sender = _slow_letter_sender()
    for _ in range(MIN_COMPARE_WINDOWS):
        # run 0 leads by 0.5, run 1 by 0.05 (below DROP_GAP): only run 0 drops silence
        sender._compare_silence(_window(sender, [0.1, 0.55], 0.6))
    np.testing.assert_array_equal(sender.warm_share, [0.0, WARM_SHARE])
    schemes = sender._slow_schemes()
    assert np.all(schemes[0][:, sender._silent[0]] == 0.0)
    np.testing.assert_allclose(schemes[0][:, sender.message_of[0]], sender.slow.schemes()[0])


def test_without_a_spare_message_nothing_is_kept_warm():
    game = PersuasionGame.example("recommendation_letter")
    sender = make_sender(
        "margin_adaptive", epoch_rounds=100, max_disclosure_epochs=5, spare_messages=False
    )
    simulate(game, sender, "actor_critic", rounds=3000, runs=2, seed=0)
    assert sender.slow is not None
    np.testing.assert_array_equal(sender._silent, -1)
    np.testing.assert_array_equal(sender.warm_share, 0.0)
    np.testing.assert_allclose(sender.policy().sum(axis=-1), 1.0)
    for b in range(2):
        np.testing.assert_allclose(
            sender.policy()[b][:, sender.message_of[b]], sender.slow.schemes()[b]
        )
