"""What margin_adaptive and TableNet's margin protocol do differently on a short horizon
(agents/senders/_short_horizon.py): when it is short, the hull test that skips known
failures, the value of a scheme from the receiver's answers, the wider certify margin,
silence not kept warm, no certification by a failed test. Expected values are worked out
by hand in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from agents.senders._short_horizon import in_hull, value_from_counts
from persuasion_env import PersuasionGame
from persuasion_env.protocols import GameView
from persuasion_env.registry import make_agent

from .helpers import prosecutor_after_probe


@pytest.fixture(scope="module")
def letter():
    return PersuasionGame.example("recommendation_letter")


@pytest.mark.parametrize(
    "n_actions, horizon, short",
    [
        (2, None, False),
        (2, 100_000, False),
        # epoch max(50 A, h // 60) (at most 250 + 125 A); short iff 0.65 h // epoch < 28
        (2, 3000, True),  # 1950 // 100 = 19
        (2, 4300, True),  # 2795 // 100 = 27
        (2, 4400, False),  # 2860 // 100 = 28
        (2, 5000, False),  # 3250 // 100 = 32
        (2, 20_000, False),  # epoch 333: 13 000 // 333 = 39
        (3, 3000, True),  # epoch 150: 1950 // 150 = 13
        (3, 20_000, False),  # epoch 333: 39
        (8, 10_000, True),  # epoch 400: 6500 // 400 = 16
        (8, 20_000, False),  # epoch 400: 13 000 // 400 = 32
    ],
)
def test_which_horizons_are_short(n_actions, horizon, short):
    sender = make_agent("sender", "margin_adaptive")
    assert sender.short_horizon(n_actions, horizon) is short


def test_in_hull_on_hand_made_segments_and_triangles():
    # the letter's "pass" points after disclosure and the probe: e_weak and the prior
    segment = np.array([[0.0, 1.0], [1 / 3, 2 / 3]])
    assert in_hull(segment, np.array([0.0, 1.0]))  # a vertex
    assert in_hull(segment, np.array([0.262, 0.738]))  # P(good) <= 1/3
    assert not in_hull(segment, np.array([0.394, 0.606]))  # beyond the prior
    assert not in_hull(segment[:1], np.array([0.2, 0.8]))  # one point: itself only
    assert not in_hull(np.zeros((0, 2)), np.array([0.5, 0.5]))
    triangle = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    assert in_hull(triangle, np.array([0.5, 0.25, 0.25]))  # = (e0 + e1 + 2 p) / 4
    assert not in_hull(triangle, np.array([0.2, 0.2, 0.6]))  # mass on e2 beyond p's half


def test_value_from_counts_is_the_expected_utility_given_the_answers():
    # letter-like: u1 = "hire", prior (1/3, 2/3); the LP scheme sends "hire" always when
    # good and half the time when weak: P(hire message) = 1/3 + 1/3 = 2/3
    prior = np.array([[1 / 3, 2 / 3]])
    u1 = np.array([[[0.0, 1.0], [0.0, 1.0]]])
    scheme = np.array([[[0.0, 1.0], [0.5, 0.5]]])  # (B, S, M): m0 = "pass", m1 = "hire"
    obeyed = np.array([[[7.0, 0.0], [0.0, 9.0]]])  # counts (B, M, A): always obeyed
    assert value_from_counts(prior, scheme, u1, obeyed)[0] == pytest.approx(2 / 3)
    half = np.array([[[7.0, 0.0], [5.0, 5.0]]])  # "hire" followed half the time
    assert value_from_counts(prior, scheme, u1, half)[0] == pytest.approx(1 / 3)
    # state-dependent u1: prior (1/2, 1/2), full disclosure, action 1 worth 2 in state 1
    # and followed 60 % of the time there: 1/2 * 1 + 1/2 * (0.6 * 2) = 1.1
    prior = np.array([[0.5, 0.5]])
    u1 = np.array([[[1.0, 0.0], [0.0, 2.0]]])
    disclosure = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    counts = np.array([[[3.0, 0.0], [4.0, 6.0]]])
    assert value_from_counts(prior, disclosure, u1, counts)[0] == pytest.approx(1.1)
    # a message sent but never counted: no value
    assert np.isnan(value_from_counts(prior, disclosure, u1, counts * [[[1], [0]]])[0])


def _reset(sender, game, horizon):
    view = GameView.for_agent(game, sender, sender.messages_for(game), horizon=horizon)
    sender.reset(view, runs=1, rng=np.random.default_rng(0))
    return sender


@pytest.mark.parametrize(
    "options, horizon, margin",
    [
        ({}, None, 0.05),
        ({}, 100_000, 0.05),
        ({}, 20_000, 0.05),
        ({}, 3000, 0.1),
        ({"certify_margin": 0.07}, 3000, 0.07),  # given: kept
        ({"certify_margin": 0.07}, None, 0.07),
    ],
)
def test_certify_margin_is_wider_on_a_short_horizon_unless_given(letter, options, horizon, margin):
    sender = _reset(make_agent("sender", "margin_adaptive", **options), letter, horizon)
    assert sender._certify_margin() == margin
    assert sender.params()["certify_margin"] == options.get("certify_margin")


def _play_rational(sender, game, horizon, rounds):
    """Drive ``sender`` against a receiver that knows the scheme and plays the best response
    to each message's true posterior on the letter (hire iff P(good | m) > 1/2). Returns
    every test candidate posterior seen and the policies at each epoch's end."""
    _reset(sender, game, horizon)
    rng = np.random.default_rng(1)
    tested, policies = [], []
    for _ in range(rounds):
        scheme = sender.policy()[0]  # (S, M)
        joint = game.prior[:, None] * scheme
        good = joint[0] / np.maximum(joint.sum(axis=0), 1e-300)
        states = rng.choice(2, size=1, p=game.prior)
        messages = sender.act(states)
        actions = (good[messages] > 0.5 + 1e-9).astype(int)
        sender.update(states, messages, actions, game.sender_utility[states, actions])
        if sender.t == 0:
            policies.append(sender.policy()[0])
            for _, _, x, _ in getattr(sender, "_tests", [[]])[0]:
                tested.append(tuple(np.round(x, 6)))
    return sorted(set(tested)), policies


def test_known_failures_are_not_tested_on_a_short_horizon(letter):
    # After disclosure and the silent probe, "pass" is certified at e_weak and at the prior
    # (P(good) = 1/3): a recommendation of "hire" at P(good) <= 1/3 is known to fail.
    short, _ = _play_rational(make_agent("sender", "margin_adaptive"), letter, 3000, 1900)
    assert short and all(x[0] > 1 / 3 + 1e-9 for x in short)
    # the long horizon keeps testing them: its first candidate is e_weak itself (step 1
    # from e_good); only its first test rounds are played here
    long, _ = _play_rational(make_agent("sender", "margin_adaptive"), letter, None, 3500)
    assert (0.0, 1.0) in long


def _silent_shares(sender, policies):
    """The least share any state gives the silent message, per epoch end."""
    return [round(float(p[:, sender._silent[0]].min()), 12) for p in policies]


def test_silence_is_not_kept_warm_when_the_floor_could_not_use_it(letter):
    # 3000 rounds, epochs of 100 with 50 counted: the silent message would get 5 % of them,
    # 2.5 rounds an epoch, so ceil(10 / 2.5) = 4 epochs per value and 40 epochs for the
    # floor's 10 values, more than the 30 of the match: no share for silence in play.
    sender = make_agent("sender", "margin_adaptive")
    _, policies = _play_rational(sender, letter, 3000, 3000)
    shares = _silent_shares(sender, policies)
    assert 1.0 in shares  # the silent probe
    assert 0.05 not in shares
    assert not sender._floor_watch.any()
    # 4 400 rounds are not short: the play phase starts with silence warm (share 0.05)
    # (this receiver then shows silence clearly worse and the share stops)
    sender = make_agent("sender", "margin_adaptive")
    _, policies = _play_rational(sender, letter, 4400, 4400)
    assert 0.05 in _silent_shares(sender, policies)


@pytest.mark.parametrize("horizon, short", [(3000, True), (4300, True), (4400, False)])
def test_a_failed_test_certifies_nothing_on_a_short_horizon(horizon, short):
    # 2x2: short iff 0.65 h // 100 < 28 (test_which_horizons_are_short): 3000 and 4300 are,
    # 4400 is not. A test of convict at (0.6, 0.4) after which the learner acquitted 40 of 40
    # times: on a long horizon the point is certified for acquit 5 % of the way toward
    # acquit's clear state (innocent): (0.6, 0.4) + 0.05 ((1, 0) - (0.6, 0.4)) = (0.62, 0.38);
    # on a short one nothing is certified.
    sender, _ = prosecutor_after_probe(runs=1, horizon=horizon)
    assert sender._short is short
    before = len(sender._points[0])
    sender._certify_other(0, 1, np.array([0.6, 0.4]), np.array([40.0, 0.0]), 0.9)
    if short:
        assert len(sender._points[0]) == before
    else:
        assert len(sender._points[0]) == before + 1
        assert sender._point_actions[0][-1] == 0
        np.testing.assert_allclose(sender._points[0][-1], [0.62, 0.38])
