"""Rounding, reference values, refusal margins and planner plumbing pinned to hand-computed
values (tests for mutants of solvers/oracle/ that survived `tasks.py mutate`).

The three-types game is MODEL.md B8's (see test_mutants_planners.py for its hand-computed
interval values V[0,0], V[1,1], V[2,2] = 1/8, 1/6, 1/4; V[0,1] = 1/4, V[1,2] = 1/3, V[0,2] = 3/8).
"""

import warnings

import numpy as np
import pytest

from persuasion_env import OracleGame, plan_queries
from persuasion_env.solvers.oracle import (
    greedy_plan,
    interval_policy,
    interval_recursion,
    interval_values,
    lift_plan,
    nonadaptive_dp,
    realisable_thresholds,
    round_game,
    threshold_query,
)
from persuasion_env.solvers.oracle.intervals import _polish, _scaled_obedience
from persuasion_env.solvers.oracle.rounding import _reference_values
from persuasion_env.solvers.oracle.thresholds import _refusal_margins

from .helpers import b2_value


@pytest.fixture
def og():
    return OracleGame.example("three-types")


def test_round_game_block_utility_is_the_prior_weighted_mean():
    # one type; eps = 1 merges states 0, 1 (F = .2, .5 < 1) and keeps state 2 alone
    g = OracleGame([0.0, 1.0, 2.0], [0.0], [[0.2], [0.3], [0.5]], [[-1.0], [1.0], [2.0]])
    rg = round_game(g, 1.0)
    np.testing.assert_allclose(rg.game.joint_prior, [[0.5], [0.5]], atol=1e-12)
    # block {0, 1}: (0.2 * -1 + 0.3 * 1) / 0.5 = 0.2 (not the plain mean 0)
    np.testing.assert_allclose(rg.game.receiver_utility, [[0.2], [2.0]], atol=1e-12)
    np.testing.assert_array_equal(rg.game.states, [0.0, 2.0])
    assert rg.game.name == "game@eps=1"


def _zero_mass_game(P):
    psi = np.outer([0.4, 0.6], P)
    u = np.array([[-1.0, -0.5, 0.0], [1.0, 1.0, 1.0]])
    return OracleGame([0.0, 1.0], [10.0, 20.0, 30.0], psi, u, check_assumptions=False)


def test_round_game_block_stands_for_its_lowest_type_of_positive_mass():
    # type masses 0, .5, .5; eps = 1 gives type blocks {0, 1}, {2}: block 0 is type 1
    rg = round_game(_zero_mass_game([0.0, 0.5, 0.5]), 1.0)
    np.testing.assert_array_equal(rg.type_bin, [0, 0, 1])
    np.testing.assert_array_equal(rg.game.types, [20.0, 30.0])


def test_round_game_block_without_mass_stands_for_its_first_type_and_does_not_warn():
    # type masses 0, 0, 1: block {0, 1} has no mass, its first type (10) stands for it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rg = round_game(_zero_mass_game([0.0, 0.0, 1.0]), 1.0)
    np.testing.assert_array_equal(rg.type_bin, [0, 0, 1])
    np.testing.assert_array_equal(rg.game.types, [10.0, 30.0])
    # a single zero-mass type forms its own block
    rg = round_game(_zero_mass_game([0.0, 0.5, 0.5]), 0.5)
    np.testing.assert_array_equal(rg.type_bin, [0, 1, 2])
    np.testing.assert_array_equal(rg.game.types, [10.0, 20.0, 30.0])


def test_reference_values_read_the_cached_table(og):
    og._cache["V"] = np.array([[1.0, 2.0, 7.0], [0.0, 2.0, 5.0], [0.0, 0.0, 3.0]])
    assert _reference_values(og) == (6.0, 7.0)


def test_reference_values_of_three_types(og):
    for _ in range(2):  # by LPs, then (after plan_queries fills the cache) from the table
        known, no_query = _reference_values(og)
        assert known == pytest.approx(1 / 8 + 1 / 6 + 1 / 4, abs=1e-9)
        assert no_query == pytest.approx(3 / 8, abs=1e-9)
        plan_queries(og, 1, policies=False)


def test_refusal_margins_by_hand(og):
    # t- pools with t+ on the low state up to t+'s indifference (x_low = 2/7, resp. 9/14, with
    # x_high = 1); t-'s margin: 0.7 theta x_low - 0.3 (1 - theta) = 0.16 - 0.06, 0.27 - 0.12
    m = _refusal_margins(og)
    np.testing.assert_allclose(m, [0.10, 0.15], atol=1e-12)
    assert _refusal_margins(og) is m  # cached


def test_refusal_margins_zero_when_the_upper_type_never_gains_and_empty_for_one_type():
    u = np.array([[-1.0, -1.0], [-0.5, -0.5]])
    g = OracleGame([0.0, 1.0], [0.0, 1.0], [[0.3, 0.2], [0.2, 0.3]], u, check_assumptions=False)
    np.testing.assert_array_equal(_refusal_margins(g), [0.0])
    g1 = OracleGame([0.0, 1.0], [0.0], [[0.5], [0.5]], [[-1.0], [1.0]])
    assert _refusal_margins(g1).shape == (0,)


def test_refusal_margins_do_not_warn_on_zero_entries():
    # state 1 has no mass for type 1 (g = 0, c != 0) nor for either type at state 2 (0 / 0)
    psi = [[0.3, 0.2], [0.2, 0.0], [0.0, 0.0], [0.1, 0.2]]
    u = [[-1.0, -0.5], [-0.5, -0.2], [0.0, 0.0], [1.0, 1.0]]
    g = OracleGame([0.0, 1.0, 2.0, 3.0], [0.0, 1.0], psi, u, check_assumptions=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _refusal_margins(g)


def test_plan_queries_type_error_names_the_given_type():
    with pytest.raises(TypeError, match="got int"):
        plan_queries(5)


def test_plan_queries_costly_adaptive_respects_the_budget(og):
    # free queries, one allowed: best split {0,1}|{2} = 1/4 + 1/4 (vs 1/8 + 1/3); all: 13/24
    plan = plan_queries(og, 1, costs=[0.0, 0.0])
    assert plan.value == pytest.approx(1 / 2, abs=1e-9)
    assert plan.thresholds == (2,)


def test_nonadaptive_dp_validates_n_thresholds():
    V = np.eye(2)
    with pytest.raises(ValueError, match="n_thresholds"):
        nonadaptive_dp(V, -1)


def test_rounded_plan_uses_each_thresholds_own_cost(og):
    # eps = 0.01 keeps every type and state; threshold 2 costs 1, so the one query is t = 1:
    # 1/8 + 1/3 = 11/24 (> the no-query 3/8)
    plan = plan_queries(og, 1, adaptive=False, costs=[0.0, 1.0], eps=0.01)
    assert plan.thresholds == (1,)
    assert plan.value == pytest.approx(11 / 24, abs=1e-9)
    assert plan.adaptive is False
    np.testing.assert_array_equal(plan.costs, [0.0, 1.0])


def test_rounded_plan_keeps_the_costs(og):
    plan = plan_queries(og, None, costs=[0.05, 0.05], eps=0.01)
    np.testing.assert_array_equal(plan.costs, [0.05, 0.05])
    # all types known: 13/24 less 0.05 per query asked (t = 2 by everyone, t = 1 by 2/3 of them)
    assert plan.value == pytest.approx(13 / 24 - 0.05 - 0.05 * 2 / 3, abs=1e-9)


def test_lift_plan_maps_leaves_and_reports_the_rounding(og):
    # eps = 1: type blocks {0, 1}, {2}; the rounded plan asks its one threshold (og's t = 2)
    rg = round_game(og, 1.0)
    np.testing.assert_array_equal(rg.type_bin, [0, 0, 1])
    plan_r = plan_queries(rg.game, 1, policies=False)
    lifted = lift_plan(rg, plan_r, og)
    assert lifted.leaves == (None, None)
    assert lifted.info["rounded_types"] == 2
    plan_r = plan_queries(rg.game, 1)
    lifted = lift_plan(rg, plan_r, og)
    assert [(leaf.lo, leaf.hi) for leaf in lifted.leaves] == [(0, 1), (2, 2)]
    assert lifted.thresholds == (2,)
    # message k acted on by og types >= first type of rounded type k; "none" is hi + 1
    assert [leaf.message_thresholds for leaf in lifted.leaves] == [(0, 2), (2, 3)]
    # types 0, 1 pool on type 0's scheme (2/3 of 3/8), type 2 alone: 1/4
    assert lifted.value == pytest.approx(1 / 2, abs=1e-9)
    lifted = lift_plan(rg, plan_queries(rg.game, 0), og)
    assert [leaf.message_thresholds for leaf in lifted.leaves] == [(0, 3)]


def test_lift_plan_checks_the_costs_length(og):
    rg = round_game(og, 1.0)
    plan_r = plan_queries(rg.game, 1, costs=[0.0])
    with pytest.raises(ValueError):
        lift_plan(rg, plan_r, og, costs=[0.0])
    lifted = lift_plan(rg, plan_r, og, costs=[0.0, 0.1])
    np.testing.assert_array_equal(lifted.costs, [0.0, 0.1])


def _threshold_game(p_state, states, thetas, p_type):
    """Independent state and type, u = state - theta (a type acts iff E[state | m] >= theta)."""
    th = np.asarray(thetas, dtype=float)
    u = np.asarray(states, dtype=float)[:, None] - th[None, :]
    labels = np.arange(th.size, dtype=float)  # type labels only order the types
    return OracleGame(states, labels, np.outer(p_state, p_type), u)


def test_rounded_plan_falls_back_to_no_query():
    # eps = 1 merges states 1, 2 (and types 0, 1); the lifted plan earns less than not asking.
    # No query, by hand: types theta <= 2 act on states {2, 3} plus 2/7 of state 1 (mean 2):
    # 0.8 * 6/7; the rest of state 1 only persuades theta = 1: 0.4 * 1/7; total 26/35
    og = _threshold_game([3 / 7, 2 / 7, 2 / 7], [1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [0.2, 0.4, 0.4])
    no_query = b2_value(og.joint_prior, og.receiver_utility, [0, 1, 2])
    assert no_query == pytest.approx(26 / 35, abs=1e-9)
    plan = plan_queries(og, 1, eps=1.0)
    assert "fallback" in plan.info
    assert plan.info["lifted_value"] < 26 / 35
    assert plan.value == pytest.approx(26 / 35, abs=1e-9)
    assert plan.gross_value == pytest.approx(26 / 35, abs=1e-9)
    assert plan.thresholds == () and plan.expected_cost == 0.0
    assert (plan.tree.lo, plan.tree.hi) == (0, 2)
    assert plan.tree.leaf is plan.leaves[0] and plan.leaves[0] is not None
    assert plan.method.endswith("+no-query")


def test_greedy_never_asks_a_threshold_between_identical_types():
    # thetas 0.8, 0.8, 0.4: types 0 and 1 act alike, threshold 1 cannot be asked; t = 2 splits
    # {0, 1} (pooled at 0.8: 2/3 of 3/8) from {2} (1/3 of 3/4)
    og = _threshold_game([0.7, 0.3], [0.0, 1.0], [0.8, 0.8, 0.4], [1 / 3, 1 / 3, 1 / 3])
    plan = greedy_plan(og)
    assert plan.thresholds == (2,)
    assert plan.value == pytest.approx(1 / 2, abs=1e-9)


def test_greedy_without_costs_asks_even_a_query_that_gains_nothing():
    # type 0 (theta 1.5) never acts: V[0,0] + V[1,1] = 0 + 1/2 * 0.3/0.6 = V[0,1]; without
    # costs the greedy planner still asks (the query is free and realisable)
    og = _threshold_game([0.7, 0.3], [0.0, 1.0], [1.5, 0.6], [0.5, 0.5])
    plan = greedy_plan(og)
    assert plan.thresholds == (1,)
    assert plan.value == pytest.approx(1 / 4, abs=1e-9)


def test_interval_recursion_splits_only_on_a_gain_above_the_tolerance():
    # splitting [0, 1] gains exactly 1e-13 (V[0,0] + V[1,1] = V[0,1] + 1e-13): not a split
    V = np.array([[0.0, 0.0], [-np.inf, 1e-13]])
    G, splits = interval_recursion(V, 1)
    assert G[0, 1] == 0.0
    assert splits[0][0, 1] == 0


def test_interval_recursion_stops_at_the_fixed_point():
    # no split ever gains (V additive): the first level changes nothing, so it stops there
    V = np.array([[1.0, 2.0, 3.0], [-np.inf, 1.0, 2.0], [-np.inf, -np.inf, 1.0]])
    G, splits = interval_recursion(V, None)
    assert len(splits) == 1
    np.testing.assert_array_equal(G, V)


def test_interval_recursion_forbidden_threshold_on_a_massless_range_does_not_warn():
    V = np.array([[0.0, 1.0], [-np.inf, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G, splits = interval_recursion(V, 1, cost=np.array([np.inf, np.inf]), mass=np.zeros(2))
    assert G[0, 1] == 1.0 and splits[0][0, 1] == 0


def test_interval_policy_validates_its_range_and_weights(og):

    with pytest.raises(ValueError, match=r"^hi must be >= 2, got 1"):
        interval_policy(og, 2, 1)
    with pytest.raises(ValueError, match="weights"):
        interval_policy(og, 0, 1, weights=[1.5, 1.0])


def test_interval_policy_weighted_leaf_messages_name_types_from_lo(og):

    # types 1..2 weighted 0.1, 1: a unit of high-state mass earns (1/3) 1.1 / 0.6 pooled at
    # theta 0.6 but (1/3) 1 / 0.4 on a message only type 2 takes, so the one message used is
    # type 2's (value (1/3) 0.75 = 1/4), then the "nobody" message hi + 1 = 3
    leaf = interval_policy(og, 1, 2, weights=[0.1, 1.0])
    assert leaf.message_thresholds == (2, 3)
    assert leaf.value == pytest.approx(1 / 4, abs=1e-9)


def test_interval_values_validates_n_jobs_and_caches(og):

    with pytest.raises(ValueError, match="n_jobs"):
        interval_values(og, n_jobs=0)
    assert interval_values(og) is interval_values(og)


def test_threshold_query_and_realisable_thresholds_are_cached_and_read_only(og):

    ok = realisable_thresholds(og)
    assert realisable_thresholds(og) is ok
    assert not ok.flags.writeable
    q = threshold_query(og, 1)
    assert not q.column.flags.writeable
    with pytest.raises(ValueError, match=r"1\.\.2, got 3"):
        threshold_query(og, 3)


def test_scaled_obedience_rounds_tiny_coefficients_safely():

    a = np.array([[2.0], [2e-12], [-2e-12], [-1.0]])
    # scaled by 2: 1, 1e-12 -> 0 (tiny positive dropped), -1e-12 -> -1e-9 (rounded down), -0.5
    np.testing.assert_array_equal(_scaled_obedience(a), [[1.0], [0.0], [-1e-9], [-0.5]])


def test_polish_caps_rows_and_restores_obedience_by_hand():

    # a row summing to 1.5 over two messages is scaled back to 1
    np.testing.assert_allclose(
        _polish(np.array([[0.75, 0.75]]), np.array([[1.0, 1.0]])), [[0.5, 0.5]]
    )
    # eu = 0.5 - 0.8 = -0.3 < 0: the negative-coefficient state is scaled by 1 - 0.3/0.8 = 5/8
    # (just under, 1 - 1e-12), the state of zero coefficient is left alone
    a = np.array([[1.0], [-1.0], [0.0]])
    x = _polish(np.array([[0.5], [0.8], [1.0]]), a)
    np.testing.assert_allclose(x, [[0.5], [0.5], [1.0]], rtol=0, atol=1e-11)
    assert float(a[:, 0] @ x[:, 0]) > 0
