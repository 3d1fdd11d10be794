"""TableNet's query phase (agents/senders/tablenet/queries.py and its use in play.py): interior
posteriors on fresh messages for the receiver model, checked against hand-computed posteriors,
phase lengths and the LP."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from agents import make_sender  # noqa: E402
from agents.senders.tablenet import TableNetConfig  # noqa: E402
from agents.senders.tablenet.play import plan_with_tablenet  # noqa: E402
from agents.senders.tablenet.queries import (  # noqa: E402
    mix_queries,
    queries_left,
    query_rounds,
    query_weights,
)
from persuasion_env import PersuasionGame, bayes, simulate, solve_commitment  # noqa: E402
from persuasion_env.protocols import GameView  # noqa: E402

RNG = np.random.default_rng


def test_mixed_queries_have_the_hand_computed_posteriors_and_leave_disclosure_alone():
    # Prior (0.5, 0.3, 0.2), full disclosure on messages 0-2, queries on 3 and 4 with share
    # 1/2: state 0 sends all its query mass to 3, state 1 half to each, state 2 all to 4.
    # P(3 | s) = (1/2, 1/4, 0): joint (0.25, 0.075, 0) -> posterior (10/13, 3/13, 0).
    # P(4 | s) = (0, 1/4, 1/2): joint (0, 0.075, 0.1) -> posterior (0, 3/7, 4/7).
    prior = np.array([0.5, 0.3, 0.2])
    disclosure = np.zeros((3, 5))
    disclosure[:, :3] = np.eye(3)
    weights = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    scheme = mix_queries(disclosure, weights, np.array([3, 4]), 0.5)
    np.testing.assert_allclose(scheme.sum(axis=1), 1.0)
    np.testing.assert_allclose(scheme[:, :3], 0.5 * np.eye(3))
    posteriors = bayes.posteriors(prior, scheme)
    np.testing.assert_allclose(posteriors[:3], np.eye(3))  # disclosure keeps its vertices
    np.testing.assert_allclose(posteriors[3], [10 / 13, 3 / 13, 0.0])
    np.testing.assert_allclose(posteriors[4], [0.0, 3 / 7, 4 / 7])
    with pytest.raises(ValueError, match="query messages"):
        mix_queries(disclosure, weights, np.array([2, 3]), 0.5)  # message 2 is in use


def test_query_weights_are_distributions_over_the_query_messages():
    w = query_weights(4, 3, 0.3, np.random.default_rng(0))
    assert w.shape == (4, 3) and np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)


def test_query_phase_lengths():
    # 15 000 rounds of budget: 8x8 epochs of 1250 rounds held 3 epochs -> 4 rounds; 4x4
    # epochs of 750 -> 6; a horizon of 20 000 leaves 15 % = 3000 rounds: none.
    assert query_rounds(1250, 3, None) == 4
    assert query_rounds(750, 3, None) == 6
    assert query_rounds(750, 3, 20_000) == 1
    assert query_rounds(1250, 3, 20_000) == 0
    # 10^5 rounds, tail from 80 000: after 5 epochs (6250 rounds) a third of 73 750 =
    # 24 583 rounds -> 6 rounds of 3750; after 62 epochs (77 500) a third of 2500 -> none.
    assert queries_left(100_000, 6250, 1250, 3) == 6
    assert queries_left(100_000, 77_500, 1250, 3) == 0
    assert queries_left(100_000, 90_000, 1250, 3) == 0  # already in the tail


def test_interior_queries_let_the_plan_reach_the_lp_where_vertices_alone_do_not():
    # Random 4x4 game 2: a rational receiver's best actions at the vertices say nothing about
    # how its other actions rank, and the plan fitted to them earns well under the LP;
    # with the best responses at 20 query posteriors (5 rounds of 4 messages mixed into
    # disclosure, the phase's own construction) it earns nearly the LP. Best responses are
    # argmax mu @ u2, written here; values against the exact best response; LP by the solver.
    game = PersuasionGame.random(4, 4, seed=2)
    n = 4
    rng = np.random.default_rng(0)
    posteriors = [np.eye(n)]
    for k in range(5):
        base = np.zeros((n, 2 * n))
        base[:, :n] = np.eye(n)
        weights = query_weights(n, n, (0.3, 1.0)[k % 2], rng)
        scheme = mix_queries(base, weights, np.arange(n, 2 * n), 0.5)
        posteriors.append(bayes.posteriors(game.prior, scheme)[n:])
    config = TableNetConfig(restarts=4, sender_steps=400)
    lp = solve_commitment(game).sender_value

    def plan_value(data):
        best = np.argmax(data @ game.receiver_utility, axis=-1)
        counts = 100.0 * np.eye(n)[best]
        scheme = plan_with_tablenet(
            game.prior[None],
            game.sender_utility[None],
            data[None],
            counts[None],
            config,
            [np.random.default_rng(1)],
        )
        response = bayes.best_response_matrix(
            game.prior[None], scheme, game.receiver_utility[None], game.sender_utility[None]
        )
        return bayes.expected_utility(
            game.prior[None], scheme, response, game.sender_utility[None]
        )[0]

    assert plan_value(posteriors[0]) < 0.6 * lp
    assert plan_value(np.concatenate(posteriors)) >= 0.95 * lp


def test_query_phase_in_play_records_its_posteriors_and_needs_enough_rounds_per_message():
    # (the query phase belongs to base="disclosure"; the certified base's tests replace it)
    game = PersuasionGame.random(3, 3, seed=4)
    # Epochs of 300 rounds: a query message is counted about 150 * 0.5 / 3 = 25 times per
    # epoch (>= 2 min_count = 20); 16 default rounds (15 000 // (300 * 3)) size the messages.
    sender = make_sender(
        "tablenet", base="disclosure", epoch_rounds=300, restarts=2, sender_steps=100
    )
    assert sender.messages_for(game) == 6 + 3 * 16
    # Epochs of 100 rounds: about 8 counts per query message per epoch: no query phase.
    short = make_sender("tablenet", base="disclosure", epoch_rounds=100)
    short.reset(GameView.for_agent(game, short, short.messages_for(game)), runs=1, rng=RNG())
    assert short.play._query_total == 0
    simulate(game, sender, "fictitious_play", rounds=18_000, runs=2, seed=0)
    play = sender.play
    # 15 % of 18 000 rounds = 2700 -> 3 rounds of 3 epochs of 300 (a third of the rounds
    # left before the tail, after disclosure and the probe, would allow 4).
    assert play._query_total == 3 and len(play.query_posteriors) == 3
    for posteriors in play.query_posteriors:
        assert posteriors.shape == (2, 3, 3)  # (runs, A query messages, S)
        # (the last, targeted round may leave a message unused: its "posterior" is the prior)
        np.testing.assert_allclose(posteriors.sum(axis=-1), 1.0)
        # The receiver model's data hold every query posterior (recorded after the round).
        for b in range(2):
            for p in posteriors[b]:
                assert np.any(np.all(np.isclose(play._data_mu[b], p), axis=-1))
    assert play.planned_schemes is not None  # planned after the queries


def test_query_options_are_validated():
    with pytest.raises(ValueError, match="query_share"):
        make_sender("tablenet", query_share=1.0)
    with pytest.raises(ValueError, match="query_epochs"):
        make_sender("tablenet", query_epochs=0)
    with pytest.raises(ValueError, match="query_rounds"):
        make_sender("tablenet", query_rounds=-1)
    game = PersuasionGame.example("prosecutor")
    assert make_sender("tablenet", base="disclosure", query_rounds=0).messages_for(game) == 4
