"""How margin_adaptive, TableNet's margin protocol and signaling_gradient size their phases
by ``GameView.horizon`` (issue 16's fast tests): shorter for a short match, exactly the
defaults when the horizon is unknown or long. Expected numbers are worked out by hand from
the documented rules (module constants quoted in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from persuasion_env import PersuasionGame, simulate
from persuasion_env.protocols import GameView
from persuasion_env.registry import make_agent


@pytest.fixture(scope="module")
def letter():
    return PersuasionGame.example("recommendation_letter")


@pytest.mark.parametrize(
    "n_actions, horizon, expected",
    [
        # defaults: epoch 250 + 125 A, tests min(16, 30 000 // (3 epochs))
        (2, None, (500, 16)),
        (4, None, (750, 13)),
        (8, None, (1250, 8)),
        # the benchmark's horizons keep them exactly
        (2, 100_000, (500, 16)),
        (4, 100_000, (750, 13)),
        (8, 100_000, (1250, 8)),
        (8, 1_000_000, (1250, 8)),
        # short: epoch max(50 A, horizon // 60); tests (0.65 h // epoch - 2 - 2) // 3
        (2, 3000, (100, 5)),  # 1950 // 100 = 19 epochs: 4 + 15
        (2, 6000, (100, 11)),  # 3900 // 100 = 39: 4 + 35 -> 11
        (2, 12_000, (200, 11)),  # 7800 // 200 = 39
        (4, 3000, (200, 1)),  # 1950 // 200 = 9: 4 + 5 -> 1
        (2, 30_000, (500, 11)),  # epoch back at its default; 19 500 // 500 - 4 = 35 -> 11
    ],
)
def test_margin_adaptive_phases_follow_a_short_horizon_only(n_actions, horizon, expected):
    sender = make_agent("sender", "margin_adaptive")
    assert sender.phases(n_actions, horizon) == expected


def test_margin_adaptive_keeps_explicit_options_whatever_the_horizon():
    sender = make_agent("sender", "margin_adaptive", epoch_rounds=300, max_tests=2)
    assert sender.phases(2, 3000) == (300, 2)
    sender = make_agent("sender", "margin_adaptive", max_tests=7)
    assert sender.phases(2, 3000) == (100, 7)


def _policies(sender, game, horizon, rounds):
    """Drive ``sender`` (reset with ``horizon``) against an obedient receiver that plays
    the sender's recommendation index mod A; the policy after each round."""
    n_messages = sender.messages_for(game)
    view = GameView.for_agent(game, sender, n_messages, horizon=horizon)
    sender.reset(view, runs=1, rng=np.random.default_rng(5))
    states_rng = np.random.default_rng(6)
    out = []
    for _ in range(rounds):
        states = states_rng.choice(game.n_states, size=1, p=game.prior)
        messages = sender.act(states)
        actions = messages % game.n_actions
        rewards = game.sender_utility[states, actions]
        sender.update(states, messages, actions, rewards)
        out.append(sender.policy())
    return np.array(out)


def _first_change(policies):
    """Rounds played when the policy first changed (``policies[j]``: after ``j + 1``)."""
    changed = np.nonzero(np.any(policies[1:] != policies[:-1], axis=(1, 2, 3)))[0]
    return int(changed[0]) + 2 if len(changed) else None


def test_margin_adaptive_without_a_horizon_plays_as_before(letter):
    unknown = _policies(make_agent("sender", "margin_adaptive"), letter, None, 1500)
    long = _policies(make_agent("sender", "margin_adaptive"), letter, 1_000_000, 1500)
    short = _policies(make_agent("sender", "margin_adaptive"), letter, 3000, 1500)
    np.testing.assert_array_equal(unknown, long)
    # disclosure lasts at least two epochs: 2 x 500 rounds by default, 2 x 100 when short
    assert _first_change(unknown) == 1000
    assert _first_change(short) == 200


def test_simulate_gives_margin_adaptive_the_match_length(letter):
    sender = make_agent("sender", "margin_adaptive")
    simulate(letter, sender, "fictitious_play", rounds=3000, runs=1, seed=0, bins=1)
    assert (sender._epoch, sender._n_test_rounds) == (100, 5)
    simulate(letter, sender, "fictitious_play", rounds=60_000, runs=1, seed=0, bins=1)
    assert (sender._epoch, sender._n_test_rounds) == (500, 16)
    # the messages are fixed before the reset, from the defaults: 2 A + 1 + A x 16
    assert sender.messages_for(letter) == 4 + 1 + 2 * 16


@pytest.mark.parametrize(
    "horizon, hold, epoch", [(None, 3, 500), (100_000, 3, 500), (3000, 2, 100)]
)
def test_tablenet_margin_search_holds_fewer_epochs_in_a_short_match(letter, horizon, hold, epoch):
    pytest.importorskip("torch")
    sender = make_agent("sender", "tablenet")
    view = GameView.for_agent(letter, sender, sender.messages_for(letter), horizon=horizon)
    sender.reset(view, runs=1, rng=np.random.default_rng(0))
    assert (sender.play._hold, sender.play._epoch) == (hold, epoch)
    given = make_agent("sender", "tablenet", hold_epochs=4)
    given.reset(view, runs=1, rng=np.random.default_rng(0))
    assert given.play._hold == 4


@pytest.mark.parametrize(
    "horizon, rates",
    [
        (None, (1e-2, 1e-2)),
        (30_000, (1e-2, 1e-2)),
        (1_000_000, (1e-2, 1e-2)),
        (15_000, (2e-2, 2e-2)),  # 30 000 / 15 000 = 2
        (6000, (5e-2, 5e-2)),
        (3000, (1e-1, 1e-1)),
        (1000, (1e-1, 1e-1)),  # at most 10 x
    ],
)
def test_signaling_gradient_rates_follow_a_short_horizon_only(horizon, rates):
    sender = make_agent("sender", "signaling_gradient")
    assert sender.rates(horizon) == pytest.approx(rates, rel=1e-12)
    assert (sender.lr_signal, sender.lr_critic) == (None, None)  # its options unchanged


def test_a_signaling_gradient_rebuilt_from_its_params_plays_the_same_rates():
    # default rates are shown as None, so params() tells them from an explicit 1e-2
    default = make_agent("sender", "signaling_gradient")
    explicit = make_agent("sender", "signaling_gradient", lr_signal=1e-2)
    assert default.params() != explicit.params()
    rebuilt = make_agent("sender", "signaling_gradient", **default.params())
    assert rebuilt.rates(3000) == pytest.approx((1e-1, 1e-1))
    assert explicit.rates(3000) == pytest.approx((1e-2, 1e-1))


def test_signaling_gradient_keeps_rates_given_explicitly(letter):
    sender = make_agent("sender", "signaling_gradient", lr_signal=1e-3)
    assert sender.rates(3000) == pytest.approx((1e-3, 1e-1))
    sender.reset(
        GameView.for_agent(letter, sender, 2, horizon=3000), runs=1, rng=np.random.default_rng(0)
    )
    assert sender.signal_adam.lr == pytest.approx(1e-3)
    assert sender.critic_adam.lr == pytest.approx(1e-1)


def test_a_given_epoch_is_kept_and_the_tests_still_fit_a_short_horizon():
    # epoch 100 given; 65 % of 3000 rounds = 19 epochs, minus 2 disclosure and 2 probe
    # epochs = 15, i.e. 5 test rounds of 3 epochs (not the default 16, 4 800 rounds)
    sender = make_agent("sender", "margin_adaptive", epoch_rounds=100)
    assert sender.phases(2, 3000) == (100, 5)
    assert sender.phases(2, None) == (100, 16)
