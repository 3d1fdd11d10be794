"""The batched engine with the published baselines (MODEL.md A4, A6)."""

import numpy as np
import pytest

from agents import make_receiver, make_sender
from agents.base import Sender
from persuasion_env import PersuasionGame, bayes, simulate, solve_commitment


@pytest.fixture(scope="module")
def climbing():
    return PersuasionGame.example("climbing")


def test_info_q_solves_climbing(climbing):
    # Bhatt & Buro's reference code: 100% of runs reach the optimal joint policy.
    res = simulate(climbing, "info_q", "q_learning", rounds=1000, runs=1000, seed=0)
    assert res.final_optimal.mean() >= 0.99
    assert res.final_sender_utility.mean() == pytest.approx(res.lp_value, abs=0.01)


def test_info_policy_mostly_solves_climbing(climbing):
    # Reference code on this machine: 93%.
    res = simulate(climbing, "info_policy", "reinforce", rounds=1000, runs=1000, seed=0)
    assert res.final_optimal.mean() >= 0.90


def test_modelr_on_climbing_matches_reference_per_state_rate(climbing):
    # The reference code's "percent optimal" for ModelR is about 33%: one state in three.
    res = simulate(climbing, "modelr", "q_learning", rounds=1000, runs=1000, seed=0)
    assert 0.25 <= res.final_first_best_rate.mean() <= 0.45


def test_same_seed_same_result_different_seed_different(climbing):
    a = simulate(climbing, "info_policy", "reinforce", rounds=300, runs=50, seed=7)
    b = simulate(climbing, "info_policy", "reinforce", rounds=300, runs=50, seed=7)
    c = simulate(climbing, "info_policy", "reinforce", rounds=300, runs=50, seed=8)
    np.testing.assert_array_equal(a.sender_utility, b.sender_utility)
    np.testing.assert_array_equal(a.sender_policy, b.sender_policy)
    np.testing.assert_array_equal(a.run_sender_utility, b.run_sender_utility)
    assert not np.array_equal(a.run_sender_utility, c.run_sender_utility)


def test_lp_sender_against_rational_receiver_realises_the_lp_value():
    game = PersuasionGame.example("prosecutor")
    res = simulate(game, "lp_optimal", "best_response", rounds=2000, runs=200, seed=1)
    np.testing.assert_allclose(res.final_sender_utility, 0.6, atol=1e-9)
    assert res.lp_value == pytest.approx(0.6)
    # Realised mean of 400k Bernoulli(0.6) rounds: standard error ~8e-4.
    assert res.run_sender_utility.mean() == pytest.approx(0.6, abs=0.005)
    assert np.nanmean(res.run_obedience) == 1.0


def test_final_utilities_equal_bayes_on_final_policies():
    game = PersuasionGame.random(4, 4, seed=3)
    res = simulate(game, "info_q", "q_learning", rounds=500, runs=20, seed=2)
    u1 = bayes.expected_utility(
        game.prior, res.sender_policy, res.receiver_policy, game.sender_utility
    )
    np.testing.assert_allclose(res.final_sender_utility, u1)
    assert res.sender_policy.shape == (20, 4, 4) and res.receiver_policy.shape == (20, 4, 4)
    np.testing.assert_allclose(res.sender_policy.sum(-1), 1.0)


def test_learning_curve_bins_average_the_realised_utility():
    game = PersuasionGame.random(3, 3, seed=0)
    res = simulate(game, "random", "hedge", rounds=1000, runs=10, seed=0, bins=10)
    assert res.sender_utility.shape == (10,)
    np.testing.assert_array_equal(res.bin_edges, np.arange(0, 1001, 100))
    # Bins are equal here, so the mean of the curve is the mean realised utility.
    assert res.sender_utility.mean() == pytest.approx(res.run_sender_utility.mean())


def _learner():
    return make_receiver(
        "q_learning", alpha=0.01, epsilon=0.1, epsilon_final=0.0, epsilon_decay_rounds=3000
    )


@pytest.mark.parametrize("margin", [0.1, 0.2])
def test_margin_makes_a_learning_receiver_obey(margin):
    game = PersuasionGame.example("prosecutor")
    sender = make_sender("lp_optimal", margin=margin)
    res = simulate(game, sender, _learner(), rounds=8000, runs=200, seed=0, bins=20)
    lp_margin = solve_commitment(game, margin=margin).sender_value
    assert res.obedience_rate[-1] >= 0.98
    assert res.sender_utility[-1] == pytest.approx(lp_margin, abs=0.02)
    # Prosecutor: the margin costs 0.6 - 0.3 / (0.5 + margin / 2).
    assert res.lp_value - lp_margin == pytest.approx(0.6 - 0.3 / (0.5 + margin / 2), abs=1e-9)


def test_without_margin_an_indifferent_learner_does_not_obey():
    game = PersuasionGame.example("prosecutor")
    res = simulate(game, "lp_optimal", _learner(), rounds=8000, runs=200, seed=0, bins=20)
    assert res.obedience_rate[-1] < 0.8
    assert res.sender_utility[-1] < 0.45  # far below the LP value 0.6


class _Alternating(Sender):
    """Per-round sender that discloses the state in rounds t with (t // 10) even and sends
    message 1 whatever the state otherwise; ``policy()`` is always the current rule."""

    name = "alternating"

    def reset(self, view, *, runs, rng):
        super().reset(view, runs=runs, rng=rng)
        self.t = 0
        self.log = []  # (round, states, messages, actions)

    def _discloses(self):
        return (self.t // 10) % 2 == 0

    def act(self, states):
        return states.copy() if self._discloses() else np.ones(self.runs, dtype=int)

    def update(self, states, messages, actions, rewards):
        self.log.append((self.t, states.copy(), messages.copy(), actions.copy()))
        self.t += 1

    def policy(self):
        one = np.eye(2) if self._discloses() else np.array([[0.0, 1.0], [0.0, 1.0]])
        return np.broadcast_to(one, (self.runs, 2, 2)).copy()


@pytest.mark.parametrize("epoch", [10, 7, 1])
def test_explicit_receiver_sees_per_round_sender_policy_every_epoch(epoch):
    # Prosecutor (innocent 0.7, guilty 0.3; the receiver convicts iff P(guilty | m) >= 1/2).
    # Under disclosure the best response is "convict iff m = 1"; under the pooling rule
    # (always message 1) every message leaves the prior: acquit. The receiver is shown the
    # sender's rule at rounds 0, epoch, 2 epoch, ... and plays against the last one shown.
    game = PersuasionGame.example("prosecutor")
    sender = _Alternating()
    shown = []
    receiver = make_receiver("best_response")
    real_observe = receiver.observe_scheme

    def observe(schemes):
        shown.append((sender.t if hasattr(sender, "t") else None, np.array(schemes)))
        real_observe(schemes)

    receiver.observe_scheme = observe
    rounds, runs = 60, 4
    simulate(game, sender, receiver, rounds=rounds, runs=runs, seed=3, epoch=epoch)
    # reset (uninformative), every epoch start, and the final policy after the last round
    shown_at = [t for t, _ in shown[1:]]
    assert shown_at == list(range(0, rounds, epoch)) + [rounds]
    for t, schemes in shown[1:]:
        disclosing = (t // 10) % 2 == 0
        want = np.eye(2) if disclosing else np.array([[0.0, 1.0], [0.0, 1.0]])
        np.testing.assert_array_equal(schemes, np.broadcast_to(want, (runs, 2, 2)))
    assert len(sender.log) == rounds
    for t, states, messages, actions in sender.log:
        start = (t // epoch) * epoch  # the round whose scheme the receiver holds
        np.testing.assert_array_equal(messages, states if (t // 10) % 2 == 0 else 1)
        if (start // 10) % 2 == 0:
            np.testing.assert_array_equal(actions, messages)  # convict iff m = 1
        else:
            np.testing.assert_array_equal(actions, 0)  # acquit


class _OutOfRange(Sender):
    name = "broken"

    def act(self, states):
        return np.full(self.runs, 99)

    def policy(self):
        return np.ones((self.runs, self.view.n_states, self.view.n_messages)) / self.view.n_messages


def test_bad_agents_and_arguments():
    game = PersuasionGame.example("prosecutor")
    with pytest.raises(ValueError, match=r"broken returned messages outside \[0, 2\)"):
        simulate(game, _OutOfRange(), "q_learning", rounds=5)
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        simulate(game, "info_q", "q_learning", rounds=0)
    with pytest.raises(ValueError, match="runs must be >= 1"):
        simulate(game, "info_q", "q_learning", rounds=5, runs=0)
    with pytest.raises(
        ValueError, match="unknown receiver 'nope'; known receivers: actor_critic, best_response"
    ):
        simulate(game, "info_q", "nope", rounds=5)
    with pytest.raises(TypeError, match="receiver must be a receiver agent"):
        simulate(game, "info_q", make_sender("info_q"), rounds=5)
    with pytest.raises(ValueError, match="scheme has 3 rows but the game has 2 states"):
        simulate(
            game, make_sender("fixed_scheme", scheme=np.ones((3, 2)) / 2), "q_learning", rounds=5
        )
    with pytest.raises(TypeError, match="game must be a PersuasionGame"):
        simulate("prosecutor", "info_q", "q_learning", rounds=5)


def test_a_batch_of_games_gives_each_run_its_own_game():
    games = [PersuasionGame.random(4, 3, seed=i) for i in range(4)]
    res = simulate(games, "lp_optimal", "best_response", rounds=50, runs=3, seed=0)
    assert res.runs == 12
    np.testing.assert_array_equal(res.run_game, np.repeat(np.arange(4), 3))
    lps = np.array([solve_commitment(g).sender_value for g in games])
    np.testing.assert_allclose(res.run_lp_value, np.repeat(lps, 3))
    np.testing.assert_allclose(res.final_sender_utility, res.run_lp_value, atol=1e-9)
    assert res.lp_value == pytest.approx(lps.mean())
    # Each run learns its own game's best responses.
    learned = simulate(games, "full_disclosure", "q_learning", rounds=3000, runs=2, seed=0)
    for i, game in enumerate(games):
        best = game.receiver_utility.argmax(axis=1)
        greedy = learned.receiver_policy[learned.run_game == i].argmax(axis=-1)
        assert (greedy == best).mean() >= 0.75


def test_a_batch_of_games_is_validated():
    with pytest.raises(ValueError, match="share their shape"):
        simulate(
            [PersuasionGame.random(3, 3), PersuasionGame.random(4, 3)],
            "info_q",
            "q_learning",
            rounds=5,
        )
    with pytest.raises(TypeError, match="non-empty sequence"):
        simulate([], "info_q", "q_learning", rounds=5)
