import numpy as np
import pytest

from persuasion_env import PersuasionGame, bayes


def test_posteriors_prosecutor_closed_form():
    prior = np.array([0.7, 0.3])
    scheme = np.array([[4 / 7, 3 / 7], [0.0, 1.0]])
    post = bayes.posteriors(prior, scheme)
    np.testing.assert_allclose(post, [[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(bayes.message_probabilities(prior, scheme), [0.4, 0.6])


def test_never_sent_message_gets_the_prior():
    prior = np.array([0.25, 0.75])
    scheme = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    post = bayes.posteriors(prior, scheme)
    np.testing.assert_allclose(post[2], prior)
    np.testing.assert_allclose(post[:2], np.eye(2))


def test_posteriors_are_batched_and_match_loop():
    rng = np.random.default_rng(0)
    prior = rng.dirichlet(np.ones(4), size=6)
    scheme = rng.dirichlet(np.ones(3), size=(6, 4))
    batched = bayes.posteriors(prior, scheme)
    for b in range(6):
        joint = prior[b][:, None] * scheme[b]
        np.testing.assert_allclose(batched[b], (joint / joint.sum(0)).T)


def test_best_response_tie_goes_to_sender_then_lowest_index():
    prior = np.array([0.5, 0.5])
    scheme = np.eye(2)[:, :1].repeat(1, axis=1)  # one message, always sent
    scheme = np.ones((2, 1))
    u2 = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])  # all three actions tie
    u1 = np.array([[0.0, 2.0, 2.0], [0.0, 0.0, 0.0]])  # actions 1 and 2 tie for the sender too
    assert bayes.best_response(prior, scheme, u2, u1)[0] == 1
    assert bayes.best_response(prior, scheme, u2)[0] == 0
    # A strict receiver preference beats the sender's wish.
    u2_strict = u2 + np.array([[0.0, 0.0, 1e-3], [0.0, 0.0, 0.0]])
    assert bayes.best_response(prior, scheme, u2_strict, u1)[0] == 2


def test_quantal_approaches_best_response():
    game = PersuasionGame.random(4, 5, seed=2)
    scheme = np.random.default_rng(1).dirichlet(np.ones(3), size=4)
    q = bayes.quantal_response(game.prior, scheme, game.receiver_utility, lam=1e6)
    br = bayes.best_response(game.prior, scheme, game.receiver_utility, game.sender_utility)
    np.testing.assert_allclose(q, bayes.one_hot(br, 5), atol=1e-9)
    uniform = bayes.quantal_response(game.prior, scheme, game.receiver_utility, lam=0.0)
    np.testing.assert_allclose(uniform, 0.2)


def test_expected_utility_matches_explicit_sum():
    rng = np.random.default_rng(5)
    game = PersuasionGame.random(3, 4, seed=5, prior="dirichlet")
    scheme = rng.dirichlet(np.ones(2), size=3)
    response = rng.dirichlet(np.ones(4), size=2)
    total = sum(
        game.prior[s] * scheme[s, m] * response[m, a] * game.sender_utility[s, a]
        for s in range(3)
        for m in range(2)
        for a in range(4)
    )
    assert bayes.expected_utility(
        game.prior, scheme, response, game.sender_utility
    ) == pytest.approx(total)
