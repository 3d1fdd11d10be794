"""Planner outputs pinned to hand-computed values (tests for mutants of solvers/oracle/ that
survived `tasks.py mutate`: see docs/results.md, "Mutation testing").

The game is MODEL.md B8's three-types game: binary state, P(high) = 0.3, three equally likely
receiver types who act iff P(high | m) >= theta, theta = 0.8, 0.6, 0.4. A message that makes
types s..hi act carries at most 0.3 / theta_s of probability (all of the high state plus
enough of the low state to bring the posterior down to theta_s), so by hand

    V[t, t] = (1/3) 0.3 / theta_t = 1/8, 1/6, 1/4
    V[0, 1] = max((2/3) 3/8, (1/3) 1/2) = 1/4       (pool both at theta = 0.8)
    V[1, 2] = max((2/3) 1/2, (1/3) 3/4) = 1/3       (pool both at theta = 0.6)
    V[0, 2] = 3/8                                   (pool all three at theta = 0.8)

(splitting the high state between messages only loses: each unit of high mass buys at most
(types acting) / theta of payoff, largest for the pooled message here).
"""

import dataclasses
import json

import numpy as np
import pytest

from persuasion_env import OracleGame, plan_queries
from persuasion_env.oracle.oracles import SimulationOracle
from persuasion_env.solvers.oracle import (
    QueryNode,
    interval_policy,
    interval_values,
    known_type_value,
)
from persuasion_env.solvers.oracle.intervals import _nested_columns, _scaled_obedience

V_HAND = {(0, 0): 1 / 8, (1, 1): 1 / 6, (2, 2): 1 / 4, (0, 1): 1 / 4, (1, 2): 1 / 3, (0, 2): 3 / 8}
X_LOW = (0.3 / np.array([0.8, 0.6, 0.4]) - 0.3) / 0.7  # low-state act probability: 3/28, 2/7, 9/14


@pytest.fixture
def og():
    return OracleGame.example("three-types")


def test_known_type_value_is_the_sum_of_the_single_type_values(og):
    assert known_type_value(og) == pytest.approx(1 / 8 + 1 / 6 + 1 / 4, abs=1e-9)


def test_nested_columns_worker_returns_the_columns_it_was_given(og):
    # the worker of interval_values(n_jobs >= 2) (it runs in a child process there)
    psi = og.joint_prior
    a_n = _scaled_obedience(psi * og.receiver_utility)
    cols = _nested_columns((psi, a_n, [2, 0]))
    assert len(cols) == 2
    np.testing.assert_allclose(cols[0], [V_HAND[0, 2], V_HAND[1, 2], V_HAND[2, 2]], atol=1e-9)
    np.testing.assert_allclose(cols[1], [V_HAND[0, 0]], atol=1e-9)


def test_leaf_policy_to_dict(og):
    # types 0..1 pool on type 0's scheme: the low state says "act" w.p. 3/28
    d = interval_policy(og, 0, 1).to_dict()
    assert sorted(d) == ["hi", "lo", "mass", "message_thresholds", "scheme", "value"]
    assert (d["lo"], d["hi"], d["message_thresholds"]) == (0, 1, [0, 2])
    assert d["value"] == pytest.approx(1 / 4, abs=1e-9)
    assert d["mass"] == pytest.approx(2 / 3, abs=1e-12)
    np.testing.assert_allclose(d["scheme"], [[X_LOW[0], 1 - X_LOW[0]], [1.0, 0.0]], atol=1e-9)
    assert isinstance(d["scheme"], list)
    json.dumps(d, allow_nan=False)


def test_query_node_to_dict_of_a_hand_built_tree():
    tree = QueryNode(0, 3, 2, QueryNode(0, 1, 1, QueryNode(0, 0), QueryNode(1, 1)), QueryNode(2, 3))
    assert tree.to_dict() == {
        "range": [0, 3],
        "threshold": 2,
        "below": {
            "range": [0, 1],
            "threshold": 1,
            "below": {"range": [0, 0]},
            "above": {"range": [1, 1]},
        },
        "above": {"range": [2, 3]},
    }


def test_query_plan_to_dict_one_query(og):
    # one query: ask "type >= 2" and earn V[0, 1] + V[2, 2] = 1/2 (V[0, 0] + V[1, 2] = 11/24)
    plan = plan_queries(og, budget=1)
    d = plan.to_dict(schemes=True)
    json.dumps(d, allow_nan=False)
    assert sorted(d) == sorted(
        ["value", "thresholds", "adaptive", "budget", "costs", "gross_value", "expected_cost"]
        + ["known_type_value", "no_query_value", "depth", "method", "tree", "leaves"]
    )
    assert d["value"] == pytest.approx(1 / 2, abs=1e-9)
    assert d["gross_value"] == pytest.approx(1 / 2, abs=1e-9)
    assert d["expected_cost"] == 0.0
    assert d["known_type_value"] == pytest.approx(13 / 24, abs=1e-9)
    assert d["no_query_value"] == pytest.approx(3 / 8, abs=1e-9)
    assert (d["thresholds"], d["adaptive"], d["budget"], d["costs"]) == ([2], True, 1, None)
    assert (d["depth"], d["method"]) == (1, "dp")
    assert d["tree"] == {
        "range": [0, 2],
        "threshold": 2,
        "below": {"range": [0, 1]},
        "above": {"range": [2, 2]},
    }
    low, high = d["leaves"]
    assert sorted(low) == ["mass", "message_thresholds", "range", "scheme", "value"]
    assert (low["range"], low["message_thresholds"]) == ([0, 1], [0, 2])
    assert (high["range"], high["message_thresholds"]) == ([2, 2], [2, 3])
    assert low["value"] == pytest.approx(1 / 4, abs=1e-9)
    assert high["value"] == pytest.approx(1 / 4, abs=1e-9)
    assert low["mass"] == pytest.approx(2 / 3, abs=1e-12)
    assert high["mass"] == pytest.approx(1 / 3, abs=1e-12)
    np.testing.assert_allclose(low["scheme"], [[X_LOW[0], 1 - X_LOW[0]], [1.0, 0.0]], atol=1e-9)
    np.testing.assert_allclose(high["scheme"], [[X_LOW[2], 1 - X_LOW[2]], [1.0, 0.0]], atol=1e-9)
    # without schemes: the same leaves minus the scheme
    assert plan.to_dict()["leaves"] == [
        {k: v for k, v in leaf.items() if k != "scheme"} for leaf in d["leaves"]
    ]


def test_query_plan_to_dict_costs_skipped_policies_and_info(og):
    plan = plan_queries(og, budget=None, costs=[0.01, 0.02], policies=False)
    d = plan.to_dict()
    assert d["costs"] == [0.01, 0.02]
    assert d["budget"] is None
    # leaves without a policy carry their range only
    assert all(sorted(leaf) == ["range"] for leaf in d["leaves"])
    # scalar facts of info are copied to the top level; anything else is left out
    info = {"eps": 0.3, "rounded_types": 3, "fallback": "why", "bins": [0, 1], "none": None}
    d = dataclasses.replace(plan, info=info).to_dict()
    assert (d["eps"], d["rounded_types"], d["fallback"]) == (0.3, 3, "why")
    assert "bins" not in d and "none" not in d


@pytest.mark.parametrize("method", ["plain", "nested"])
def test_interval_table_with_a_type_of_zero_mass(method):
    # type masses (1/2, 0, 1/2): the middle type is never met. A message made for it would
    # satisfy its obedience row vacuously and "persuade" type 2 for free (the issue's
    # reproducer); it gets no message, so every V counts types 0 and 2 only:
    # V[0, 0] = (1/2) 3/8, V[2, 2] = (1/2) 3/4, and V[0, 2] = 3/8 (pooling at theta = 0.8 and
    # separating type 2 both buy 5/4 of payoff per unit of high-state mass, which is 0.3).
    og = OracleGame.binary_thresholds(0.3, [0.8, 0.6, 0.4], [0.5, 0.0, 0.5])
    V = interval_values(og, method=method)
    hand = np.array([[3 / 16, 3 / 16, 3 / 8], [0.0, 0.0, 3 / 8], [0.0, 0.0, 3 / 8]])
    upper = np.triu(np.ones((3, 3), dtype=bool))
    np.testing.assert_allclose(V[upper], hand[upper], atol=1e-9)
    assert np.all(np.isneginf(V[~upper]))


class _QueryOnly:
    """An oracle that answers queries and exposes nothing else (no ``game``)."""

    def __init__(self, oracle):
        self.query = oracle.query


@pytest.mark.parametrize(
    ("budget", "ranges"),
    [(1, [(0, 1), (0, 1), (2, 2)]), (2, [(0, 0), (1, 1), (2, 2)])],
)
def test_non_adaptive_plan_executes_to_the_leaf_of_the_true_type(og, budget, ranges):
    # budget 1: ask "type >= 2" (V[0, 1] + V[2, 2] = 1/2 beats V[0, 0] + V[1, 2] = 11/24);
    # budget 2: ask both thresholds and learn the type
    plan = plan_queries(og, budget, adaptive=False)
    assert plan.thresholds == ((2,) if budget == 1 else (1, 2))
    for t, expected in enumerate(ranges):
        leaf = plan.execute(SimulationOracle(og, t))
        assert (leaf.lo, leaf.hi) == expected
        # the game can be given instead of read from the oracle
        leaf = plan.execute(_QueryOnly(SimulationOracle(og, t)), og)
        assert (leaf.lo, leaf.hi) == expected


# ------------------------------------------------------------------ second round of survivors
def test_quantile_bins_by_hand():
    from persuasion_env.solvers.oracle.rounding import _quantile_bins

    # ten types of mass 0.1, eps = 1/4: quantile points are the first types with
    # F >= 0, 1/4, 1/2, 3/4, 1: types 0, 2, 4 (F = 0.5 exactly), 7, 9
    np.testing.assert_array_equal(
        _quantile_bins(np.full(10, 0.1), 0.25), [0, 0, 1, 1, 2, 2, 2, 3, 3, 4]
    )
    # a last type of zero mass rounds down to the point before it (no bin of its own)
    np.testing.assert_array_equal(_quantile_bins(np.array([0.5, 0.5, 0.0]), 0.5), [0, 1, 1])
    np.testing.assert_array_equal(_quantile_bins(np.array([0.5, 0.5]), 0.5), [0, 1])


def test_interval_table_with_two_workers_matches_the_closed_form():
    # 16 binary-threshold types (the parallel branch needs T >= 16), equal masses, theta
    # from 0.9 down to 0.35 >= P(high) = 0.3: a unit of high-state mass spent on the message
    # for type s buys P(types s..j) / theta_s, and all of it fits one message, so
    # V[i, j] = 0.3 max_{s in i..j} (j - s + 1) / (16 theta_s).
    theta = np.linspace(0.9, 0.35, 16)
    og = OracleGame.binary_thresholds(0.3, theta)
    V = interval_values(og, n_jobs=2)
    for i in range(16):
        for j in range(16):
            if j < i:
                assert V[i, j] == -np.inf
            else:
                s = np.arange(i, j + 1)
                hand = 0.3 * np.max((j - s + 1) / (16 * theta[s]))
                assert V[i, j] == pytest.approx(hand, abs=1e-9)
    assert not V.flags.writeable  # cached on the game: read-only


def test_acts_tolerance_is_relative_to_the_utility_scale():
    from persuasion_env.solvers.oracle import acts

    # no information: posterior 0.3 is below every threshold, nobody acts, at any scale
    og = OracleGame.example("three-types")
    for scale in (1.0, 1e-12):
        small = OracleGame(og.states, og.types, og.joint_prior, og.receiver_utility * scale)
        assert acts(small, np.ones(2)).tolist() == [False, False, False]
        assert acts(small, np.eye(2)).tolist() == [[False, True]] * 3  # full disclosure


def test_policy_payoff_of_chosen_types(og):
    from persuasion_env.solvers.oracle import policy_payoff

    # pooling at theta = 0.8: every type acts w.p. 3/8, mass 1/3 each
    leaf = interval_policy(og, 0, 2)
    np.testing.assert_allclose(policy_payoff(og, leaf.scheme, types=[0, 2]), [1 / 8, 1 / 8])


def test_costly_and_greedy_plans_carry_leaf_policies(og):
    from persuasion_env import greedy_plan

    plan = plan_queries(og, costs=[0.01, 0.02])  # cheap queries: learn the type
    assert plan.method == "dp-costly" and plan.ranges == ((0, 0), (1, 1), (2, 2))
    np.testing.assert_allclose([leaf.value for leaf in plan.leaves], [1 / 8, 1 / 6, 1 / 4])
    g = greedy_plan(og, budget=1)
    assert g.method == "greedy" and g.ranges == ((0, 1), (2, 2))
    np.testing.assert_allclose([leaf.value for leaf in g.leaves], [1 / 4, 1 / 4])
    assert greedy_plan(og, budget=1, policies=False).leaves == (None, None)


def test_planner_errors_name_the_argument(og):
    from persuasion_env import greedy_plan
    from persuasion_env.solvers.oracle import interval_recursion, lift_plan, round_game

    with pytest.raises(ValueError, match="^lo must be >= 0"):
        interval_policy(og, -1, 1)
    with pytest.raises(ValueError, match="^budget must be >= 0"):
        interval_recursion(interval_values(og), -1)
    with pytest.raises(ValueError, match="^budget must be >= 0"):
        greedy_plan(og, -1)
    with pytest.raises(TypeError, match="^og must be an OracleGame, got int"):
        greedy_plan(5)
    rg = round_game(og, 0.3)
    costly = plan_queries(rg.game, costs=np.full(rg.game.n_types - 1, 0.01))
    with pytest.raises(ValueError, match=r"^costs must be given \(og's T-1 query costs\) to"):
        lift_plan(rg, costly, og)
