import numpy as np
import pytest

from persuasion_env import OracleGame, plan_queries
from persuasion_env.oracle.variants import MultiActionOracleGame, play_multiaction
from persuasion_env.solvers.oracle.partition import (
    MAX_PARTITION_TYPES,
    set_partitions,
    solve_partition_queries,
)


def test_set_partitions_bell_numbers():
    assert [len(set_partitions(range(n))) for n in range(1, 6)] == [1, 2, 5, 15, 52]


@pytest.mark.parametrize("name", ["three-types", "greedy-trap"])
def test_threshold_partitions_reproduce_dp(name):
    og = OracleGame.example(name)
    T = og.n_types
    thr = [[list(range(t)), list(range(t, T))] for t in range(1, T)]
    for K in range(3):
        assert abs(solve_partition_queries(og, K, thr).value - plan_queries(og, K).value) < 1e-9
        assert solve_partition_queries(og, K).value >= plan_queries(og, K).value - 1e-9


def test_general_partitions_can_beat_thresholds():
    og = OracleGame.example("greedy-trap")
    # one 4-block partition query identifies the type at once
    assert abs(solve_partition_queries(og, 1).value - og_known(og)) < 1e-9
    assert plan_queries(og, 1).value < og_known(og) - 1e-3


def og_known(og):
    return plan_queries(og, 0).known_type_value


def test_partition_size_limit_and_validation():
    big = OracleGame.random(2, MAX_PARTITION_TYPES + 1, seed=0)
    with pytest.raises(ValueError, match="at most"):
        solve_partition_queries(big, 1)
    og = OracleGame.example("three-types")
    with pytest.raises(ValueError, match="partition"):
        solve_partition_queries(og, 1, [[[0, 1]]])
    with pytest.raises(ValueError, match="budget"):
        solve_partition_queries(og, -1)


def test_multiaction_game_heuristics():
    # Three actions left / middle / right with u2 = (1 - mu, 0.6, mu) at mu = P(state 1):
    # left for mu <= 0.4, middle on [0.4, 0.6], right for mu >= 0.6. Two equally likely types
    # with beliefs P(state 1) = 0.3 and 0.7; the sender wants "right".
    u = np.array([[1.0, 0.6, 0.0], [0.0, 0.6, 1.0]])
    psi = 0.5 * np.array([[0.7, 0.3], [0.3, 0.7]])
    g = MultiActionOracleGame(psi, u, [0.0, 0.0, 1.0])
    # Responses by hand: no information leaves each type at its prior (left, right); the
    # column (1, 0.5) gives posteriors 0.15 / 0.85 = 0.176 (left) and 0.35 / 0.65 = 0.538
    # (middle).
    np.testing.assert_array_equal(g.responses(np.array([[1.0], [1.0]]))[:, 0], [0, 2])
    np.testing.assert_array_equal(g.responses(np.array([[1.0], [0.5]]))[:, 0], [0, 1])
    # Known type 0 (concavification at 0.3 between posteriors 0 and 0.6): "right" with
    # probability 0.3 / 0.6 = 1/2, sent always in state 1 and w.p. 2/7 in state 0. Known type
    # 1 (prior 0.7 >= 0.6): always "right".
    np.testing.assert_allclose(g.known_type_scheme(0)[:, 2], [2 / 7, 1.0], atol=1e-9)
    assert g.payoff(g.known_type_scheme(0), [0]) == pytest.approx(0.5 * 0.5, abs=1e-9)
    assert g.payoff(g.known_type_scheme(1), [1]) == pytest.approx(0.5 * 1.0, abs=1e-9)
    # Not knowing the type, the heuristic commits to type 0's scheme (type 1 then plays
    # right on its "right" message, posterior 0.7 / (0.7 + 0.3 * 2/7) > 0.6, w.p. 11/14:
    # 0.5 * 0.5 + 0.5 * 11/14 beats type 1's scheme, 0.5 * 0 + 0.5 * 1).
    for querier in ("random", "greedy"):
        no_query = [play_multiaction(g, t, 0, querier=querier, seed=0) for t in range(2)]
        np.testing.assert_allclose(no_query, [0.5, 11 / 14], atol=1e-9)
        # With queries the answers separate the two types: each gets its known-type value.
        for seed in range(3):
            asked = [play_multiaction(g, t, 3, querier=querier, seed=seed) for t in range(2)]
            np.testing.assert_allclose(asked, [0.5, 1.0], atol=1e-9)
    # A single type and the sender wanting "middle": split 0.3 into posteriors 0 and 0.4,
    # middle w.p. 0.3 / 0.4 = 3/4.
    one = MultiActionOracleGame(np.array([[0.7], [0.3]]), u, [0.0, 1.0, 0.0])
    assert one.payoff(one.known_type_scheme(0)) == pytest.approx(0.75, abs=1e-9)
    with pytest.raises(ValueError, match="querier"):
        play_multiaction(g, 0, 1, querier="smart")
    with pytest.raises(ValueError, match="receiver_utility"):
        MultiActionOracleGame(np.full((2, 2), 0.25), np.zeros((2, 1)), np.zeros(1))
