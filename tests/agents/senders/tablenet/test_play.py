"""TableNet in play (the ``"margin"`` protocol, agents/senders/tablenet/play.py; issue 16
point 4): against learners in the engine, its planner on exact data, determinism, options."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from agents import make_sender  # noqa: E402
from agents.senders.tablenet import TableNetConfig, TableNetSender  # noqa: E402
from agents.senders.tablenet.play import plan_with_tablenet  # noqa: E402
from persuasion_env import PersuasionGame, bayes, simulate, solve_commitment  # noqa: E402
from persuasion_env.protocols import BLACK_BOX, GameView, information_class  # noqa: E402
from persuasion_env.references import best_fixed_scheme  # noqa: E402

#: Short epochs and a fast ladder, so that a few thousand rounds cover the whole protocol.
QUICK = dict(epoch_rounds=100, hold_epochs=2, restarts=4, sender_steps=300)


def test_default_protocol_is_margin_black_box_with_spare_messages():
    sender = make_sender("tablenet")
    assert isinstance(sender, TableNetSender) and sender.protocol == "margin"
    assert information_class(sender) == BLACK_BOX and not sender.full_information
    game = PersuasionGame.example("prosecutor")
    # margin_adaptive's certified protocol (the default base): 2 A (spare messages), a junk
    # message and A per test round (epochs of 250 + 125 A = 500 rounds, 3 per test round:
    # 30 000 // 1 500 = 20 rounds, at most 16).
    assert sender.messages_for(game) == 4 + 1 + 2 * 16
    # From full disclosure: no query messages on a two-state game unless asked for (then A
    # per query round).
    disclosure = dict(base="disclosure")
    assert make_sender("tablenet", **disclosure).messages_for(game) == 4
    assert make_sender("tablenet", spare_messages=False, **disclosure).messages_for(game) == 2
    assert make_sender("tablenet", query_rounds=3, **disclosure).messages_for(game) == 4 + 2 * 3
    assert make_sender("tablenet", protocol="algorithm1").messages_for(game) == 2
    view = GameView.for_agent(game, sender, 4)
    assert view.games is None  # it is never given u2
    np.testing.assert_array_equal(view.utilities[0], game.sender_utility)


def test_two_by_two_beats_no_information_and_nears_the_best_fixed_scheme():
    # The recommendation letter: no information earns 0 (the receiver does not hire on the
    # prior), the LP 2/3. The yardstick is the best member of the reference family (the LP
    # scheme with margins, full disclosure, no information; it needs u2, TableNet does not)
    # played against the same learner with the same seed and rounds.
    game = PersuasionGame.example("recommendation_letter")
    rounds, runs, seed = 6000, 4, 3
    for receiver in ("fictitious_play", "reinforce"):
        result = simulate(
            game, make_sender("tablenet", **QUICK), receiver, rounds=rounds, runs=runs, seed=seed
        )
        learned = float(np.mean(result.run_tail_sender_utility))
        best = best_fixed_scheme(game, receiver, rounds=rounds, runs=runs, seed=seed)
        assert learned > best.members["no_information"] + 0.2, receiver
        assert learned >= best.value - 0.1, receiver


def test_same_seed_same_play_other_seed_other_play():
    game = PersuasionGame.random(3, 3, seed=2)

    def run(seed):
        return simulate(
            game, make_sender("tablenet", **QUICK), "hedge", rounds=2000, runs=2, seed=seed
        )

    a, b, c = run(5), run(5), run(6)
    np.testing.assert_array_equal(a.run_tail_sender_utility, b.run_tail_sender_utility)
    np.testing.assert_array_equal(a.sender_policy, b.sender_policy)
    assert not np.array_equal(a.run_tail_sender_utility, c.run_tail_sender_utility)


def test_planner_on_exact_best_responses_reaches_the_lp():
    # Settled data from a (sharp) quantal receiver at random posteriors: TableNet's receiver
    # model fitted to them and TableNet optimised through it must give a scheme worth
    # nearly the LP against the exact best response (computed here by the library's
    # best_response_matrix; the LP by the solver).
    game = PersuasionGame.random(4, 4, seed=11)
    rng = np.random.default_rng(0)
    posteriors = rng.dirichlet(np.full(4, 0.5), size=(1, 200))
    logits = 40.0 * posteriors @ game.receiver_utility
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    counts = 100.0 * probs / probs.sum(axis=-1, keepdims=True)
    config = TableNetConfig(restarts=6, sender_steps=600)
    scheme = plan_with_tablenet(
        game.prior[None], game.sender_utility[None], posteriors, counts, config, [rng]
    )
    assert scheme.shape == (1, 4, 4)
    np.testing.assert_allclose(scheme.sum(axis=-1), 1.0, atol=1e-9)
    response = bayes.best_response_matrix(
        game.prior[None], scheme, game.receiver_utility[None], game.sender_utility[None]
    )
    value = bayes.expected_utility(game.prior[None], scheme, response, game.sender_utility[None])
    lp = solve_commitment(game).sender_value
    assert value[0] >= 0.9 * lp


def test_protocol_options_are_validated():
    with pytest.raises(ValueError, match="protocol"):
        make_sender("tablenet", protocol="gan")
    with pytest.raises(ValueError, match="patience"):
        make_sender("tablenet", protocol="algorithm1", patience=2)  # a margin option
    with pytest.raises(ValueError, match="slack"):
        make_sender("tablenet", slack=-1.0)
    with pytest.raises(ValueError, match="hold_epochs"):
        make_sender("tablenet", hold_epochs=1)
    with pytest.raises(ValueError, match="patience"):
        make_sender("tablenet", patience=0)
    with pytest.raises(ValueError, match="unknown TableNet"):
        make_sender("tablenet", learning_rate=0.1)


def _settled_data(seed: int, n: int = 12):
    """A random 3 x 3 game and settled counts of a quantal receiver (lam 8) at ``n`` random
    posteriors: ``(prior, u1, posteriors, counts)``."""
    game = PersuasionGame.random(3, 3, seed=seed)
    rng = np.random.default_rng(seed)
    posteriors = rng.dirichlet(np.ones(3), size=n)
    logits = 8.0 * posteriors @ game.receiver_utility
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return game.prior, game.sender_utility, posteriors, 100.0 * probs / probs.sum(-1)[:, None]


@pytest.mark.parametrize("hidden", [(), (4,)])
def test_a_runs_plan_does_not_depend_on_the_other_runs_of_its_batch(hidden):
    """Run 0's data and generator are the same in three batches: alone, beside run 1 and
    beside another run 1. Its plan must be the same in all three (the receiver model was once
    fitted by one L-BFGS over the sum of the runs' losses, and its MLP drawn from run 0's
    generator for every run: run 0's plan moved by ~3e-4 with its partner's data)."""
    config = TableNetConfig(restarts=2, sender_steps=100, hidden=hidden)
    ours, partner, other = _settled_data(1), _settled_data(2), _settled_data(3)

    def plan(*runs):
        stacked = [np.stack(parts) for parts in zip(*runs, strict=True)]
        rngs = [np.random.default_rng(10 + i) for i in range(len(runs))]
        return plan_with_tablenet(*stacked, config, rngs)

    alone = plan(ours)[0]
    np.testing.assert_allclose(plan(ours, partner)[0], alone, rtol=0, atol=1e-12)
    np.testing.assert_allclose(plan(ours, other)[0], alone, rtol=0, atol=1e-12)
