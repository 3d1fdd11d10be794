"""The margin-adaptive black-box sender (agents/senders/adaptive.py, issue 16 point 4)."""

from __future__ import annotations

import numpy as np
import pytest

from agents import make_receiver, make_sender
from agents.senders._push_search import mix_toward
from agents.senders.adaptive import MarginAdaptiveSender, fit_logit_response, model_lp_scheme
from persuasion_env import PersuasionGame, simulate
from persuasion_env.protocols import BLACK_BOX, GameView, information_class
from persuasion_env.references import best_fixed_scheme


def _quick_sender(**kwargs) -> MarginAdaptiveSender:
    # Short epochs and six test rounds (1 800 rounds): the protocol is over within a few
    # thousand rounds.
    return make_sender("margin_adaptive", epoch_rounds=100, max_tests=6, **kwargs)


def test_metadata_is_black_box_and_the_view_hides_the_receiver():
    sender = make_sender("margin_adaptive")
    assert information_class(sender) == BLACK_BOX
    assert not sender.full_information
    assert "own_payoff" not in sender.observes and "game" not in sender.observes
    game = PersuasionGame.example("prosecutor")
    view = GameView.for_agent(game, sender, sender.messages_for(game))
    assert view.games is None  # it never gets u2
    np.testing.assert_array_equal(view.utilities[0], game.sender_utility)


def test_message_count_spares_and_test_messages_unless_fixed():
    game = PersuasionGame.example("prosecutor")
    # 2 A recommendation/spare/silent messages, a junk message, A per test round; the
    # prosecutor's epochs are 250 + 125 * 2 = 500 rounds, 3 per test round, so the default
    # budget of 30 000 rounds allows 20 rounds, capped at 16.
    assert make_sender("margin_adaptive").messages_for(game) == 4 + 1 + 2 * 16
    assert make_sender("margin_adaptive", max_tests=3).messages_for(game) == 4 + 1 + 2 * 3
    assert make_sender("margin_adaptive", search="grid").messages_for(game) == 4
    assert (
        make_sender("margin_adaptive", spare_messages=False, search="grid").messages_for(game) == 2
    )
    assert make_sender("margin_adaptive", n_messages=3).messages_for(game) == 3
    with pytest.raises(ValueError, match="n_messages"):
        simulate(game, make_sender("margin_adaptive", n_messages=1), "q_learning", rounds=5)


def test_same_seed_same_play():
    game = PersuasionGame.example("recommendation_letter")
    a = simulate(game, _quick_sender(), "reinforce", rounds=1500, runs=3, seed=7)
    b = simulate(game, _quick_sender(), "reinforce", rounds=1500, runs=3, seed=7)
    np.testing.assert_array_equal(a.run_tail_sender_utility, b.run_tail_sender_utility)
    np.testing.assert_array_equal(a.sender_policy, b.sender_policy)


@pytest.mark.parametrize(
    ("game_name", "receiver"),
    [
        ("recommendation_letter", "fictitious_play"),
        ("recommendation_letter", "reinforce"),
        ("prosecutor", "ucb"),
        ("prosecutor", "q_learning"),
    ],
)
def test_two_by_two_beats_no_information_and_nears_the_best_fixed_scheme(game_name, receiver):
    # The recommendation letter (LP 2/3) and the prosecutor (LP 0.6); no information earns
    # 0 in both (the receiver's default action is the sender's worst). The yardstick is the
    # best member of the reference family (LP with margins, full disclosure, no
    # information) played against the same learner with the same seed and rounds.
    game = PersuasionGame.example(game_name)
    rounds, runs, seed = 5000, 4, 3
    result = simulate(game, _quick_sender(), receiver, rounds=rounds, runs=runs, seed=seed)
    learned = float(np.mean(result.run_tail_sender_utility))
    best = best_fixed_scheme(game, receiver, rounds=rounds, runs=runs, seed=seed)
    assert best.members["no_information"] < 0.01
    assert learned > 0.3  # full disclosure's value in both games (the prior's weight on
    # the state in which the receiver takes the sender's action)
    assert learned >= best.value - 0.1


def test_without_room_for_tests_it_plays_certified_full_disclosure():
    # Two messages: no spare, no silent probe, no test message, so only the vertices are
    # certified: full disclosure, which convicts exactly the guilty (prior 0.3).
    game = PersuasionGame.example("prosecutor")
    sender = make_sender("margin_adaptive", n_messages=2, epoch_rounds=100)
    result = simulate(game, sender, "fictitious_play", rounds=3000, runs=2, seed=1)
    assert abs(float(np.mean(result.run_tail_sender_utility)) - 0.3) < 0.05
    np.testing.assert_allclose(sender.policy()[0], np.eye(2))


def test_a_locked_in_learner_gets_a_fresh_message():
    # Greedy Q-learning (epsilon 0) stops hiring for good after a few bad hires on a message;
    # the sender then recommends on a spare message, which the learner tries afresh, and ends
    # near full disclosure (1/3) instead of 0 (what it earns without spares: every message
    # locked).
    game = PersuasionGame.example("recommendation_letter")
    result = simulate(
        game, _quick_sender(), make_receiver("q_learning"), rounds=8000, runs=4, seed=0
    )
    assert np.mean(result.run_tail_sender_utility) >= 0.3


def test_logit_fit_recovers_a_known_response():
    rng = np.random.default_rng(0)
    true_w = np.array([[2.0, -1.0, 0.0], [-1.0, 3.0, 0.5]])  # (S=2, A=3)
    mu = rng.dirichlet([1.0, 1.0], size=60)  # posteriors
    logits = mu @ true_w
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    counts = 1000.0 * probs  # expected counts: the MLE is the truth up to the gauge
    w = fit_logit_response(mu[None], counts[None], regularization=1e-6, steps=4000, lr=2.0)[0]
    fitted = mu @ w
    fitted = np.exp(fitted - fitted.max(axis=1, keepdims=True))
    fitted /= fitted.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fitted, probs, atol=0.02)


def test_model_lp_on_the_true_utility_is_the_known_optimum():
    # Recommendation letter: recommend always when excellent, half the time when weak.
    game = PersuasionGame.example("recommendation_letter")
    scheme = model_lp_scheme(game.prior, game.sender_utility, game.receiver_utility)
    np.testing.assert_allclose(scheme[:, 1], [1.0, 0.5], atol=1e-7)
    np.testing.assert_allclose(scheme.sum(axis=1), 1.0)


def test_metadata_survives_reset_and_plays_explicit_receivers():
    """Its margin steps must not overwrite the ``level`` metadata the round reads (a bug
    once made every match against a scheme-reading receiver fail)."""
    from persuasion_env import PersuasionGame, simulate

    sender = make_sender("margin_adaptive")
    result = simulate(
        PersuasionGame.example("prosecutor"), sender, "best_response", rounds=2000, seed=0
    )
    assert sender.level == "scheme"
    # Against an exact best response a scheme never earns more than the LP (0.6).
    assert 0.0 <= result.run_tail_sender_utility.max() <= 0.6 + 1e-12


def test_mix_toward_by_hand():
    """Disclosure F = I on two states, target L = [[1, 0], [0.5, 0.5]]: halfway
    [[1, 0], [0.25, 0.75]]; past L at theta = -2 the bad state's row is -2 (0, 1) + 3 (0.5,
    0.5) = (1.5, -0.5), clipped to (1.5, 0) and renormalised to (1, 0); F itself at 1."""
    disclosure = np.eye(2)
    target = np.array([[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(mix_toward(disclosure, target, 0.5), [[1, 0], [0.25, 0.75]])
    np.testing.assert_allclose(mix_toward(disclosure, target, -2.0), [[1, 0], [1, 0]])
    assert mix_toward(disclosure, target, 1.0) is disclosure
