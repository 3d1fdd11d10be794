import numpy as np
import pytest

from persuasion_env import OracleGame, plan_queries
from persuasion_env.oracle.variants import (
    MAX_PARTITION_TYPES,
    MultiActionOracleGame,
    play_multiaction,
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
    g = MultiActionOracleGame.random(4, 5, 3, seed=0)
    top = g.sender_utility.max()
    for querier in ("random", "greedy"):
        vals = [play_multiaction(g, t, 2, querier=querier, seed=t) for t in range(5)]
        assert all(0 <= v <= top + 1e-9 for v in vals)
    # knowing the type is at least as good as the heuristic commitment to the whole set
    with pytest.raises(ValueError, match="querier"):
        play_multiaction(g, 0, 1, querier="smart")
    with pytest.raises(ValueError, match="receiver_utility"):
        MultiActionOracleGame(np.full((2, 2), 0.25), np.zeros((2, 1)), np.zeros(1))
