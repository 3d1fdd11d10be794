"""Oracle-game behaviour pinned to hand-computed values (each test kills a seeded mutant that the
rest of the suite let through: see docs/results.md, "Mutation testing").

Most use the three-types game of MODEL.md B8: binary state with P(high) = 0.3 and three equally
likely receiver types who act iff P(high | m) >= theta, theta = 0.8, 0.6, 0.4 (type 0 is the
least eager). The known-type scheme of type s sends "act" always in the high state and with
probability x_s in the low state, where 0.3 / (0.3 + 0.7 x_s) = theta_s; a type t acts on it iff
theta_t <= theta_s, i.e. t >= s, and then with probability 0.3 / theta_s.
"""

import numpy as np
import pytest

from persuasion_env import OracleGame, greedy_plan, plan_queries
from persuasion_env.oracle.variants import MultiActionOracleGame, play_multiaction
from persuasion_env.solvers.oracle.robust import noisy_payoff, robust_leaf

THETA = np.array([0.8, 0.6, 0.4])
ACT = 0.3 / THETA  # P(act) on type s's own scheme: 3/8, 1/2, 3/4
X_LOW = (0.3 / THETA - 0.3) / 0.7  # 3/28, 2/7, 9/14


def hand_noisy_value(commit_to, sim_law):
    """Expected P(act) when the sender commits to type ``commit_to[s]``'s scheme after the
    oracle simulated type s (law ``sim_law[t, s]`` for true type t); types equally likely."""
    total = 0.0
    for t in range(3):
        for s in range(3):
            r = commit_to[s]
            total += sim_law[t, s] * (ACT[r] if t >= r else 0.0) / 3
    return total


# ----------------------------------------------------------------------- B6 robust sender
def test_robust_leaf_shifts_the_belief_down_by_delta_and_weights_partial_types():
    # delta = 0.2, quantiles F = 0, 1/3, 2/3, 1. Answers naming type 2 ([2/3, 1]) are read as
    # [2/3 - 0.2, 1 - 0.2] = [0.4667, 0.8]: 0.6 of type 1's mass and 0.4 of type 2's. The
    # weighted B2 LP on types 1..2 pays (1/3)(0.6 + 0.4) * 1/2 for pooling at theta = 0.6 and
    # (1/3)(0.4) * 3/4 for separating type 2 alone: pooling, value 1/6, mass 1/3.
    og = OracleGame.example("three-types")
    leaf = robust_leaf(og, 2, 2, 0.2)
    assert (leaf.lo, leaf.hi) == (1, 2)
    assert leaf.value == pytest.approx(1 / 6, abs=1e-9)
    assert leaf.mass == pytest.approx(1 / 3, abs=1e-12)
    act_col = [k for k, thr in enumerate(leaf.message_thresholds) if thr <= 2]
    np.testing.assert_allclose(leaf.scheme[:, act_col[0]], [X_LOW[1], 1.0], atol=1e-9)
    # Answers naming type 1 ([1/3, 2/3]) -> [0.1333, 0.4667]: 0.6 of type 0, 0.4 of type 1.
    leaf = robust_leaf(og, 1, 1, 0.2)
    assert (leaf.lo, leaf.hi) == (0, 1)
    assert leaf.value == pytest.approx((0.6 + 0.4) / 3 * ACT[0], abs=1e-9)
    # Answers naming type 0 ([0, 1/3]) -> [0, 0.1333]: 0.4 of type 0.
    leaf = robust_leaf(og, 0, 0, 0.2)
    assert (leaf.lo, leaf.hi) == (0, 0)
    assert leaf.value == pytest.approx(0.4 / 3 * ACT[0], abs=1e-9)
    assert leaf.mass == pytest.approx(0.4 / 3, abs=1e-12)


@pytest.mark.parametrize(
    ("delta", "eta", "robust", "expected"),
    [
        # delta = 0.2 < 1/3: the oracle names the true type (exact) unless eta strikes.
        (0.2, 0.0, False, 13 / 24),  # the plan's exact value (MODEL.md B8)
        (0.2, 0.0, True, 5 / 12),  # robust leaves commit to types 0, 0, 1
        (0.2, 0.3, False, 0.475),
        (0.2, 0.3, True, 0.4),
        # delta = 0.35 > 1/3: neighbours in quantile are simulated as well
        (0.35, 0.0, False, 53 / 144),
        (0.35, 0.0, True, 59 / 144),
    ],
)
def test_noisy_payoff_against_hand_computed_values(delta, eta, robust, expected):
    og = OracleGame.example("three-types")
    plan = plan_queries(og, budget=2)  # identifies the type with an exact oracle
    assert plan.ranges == ((0, 0), (1, 1), (2, 2))
    # Law of the simulated type: uniform over the types whose quantile F(s) = (s + 1) / 3 is
    # within delta of the true type's, with probability 1 - eta; uniform over all with eta.
    near = np.abs(np.subtract.outer(np.arange(3), np.arange(3))) / 3 <= delta + 1e-12
    law = (1 - eta) * near / near.sum(axis=1, keepdims=True) + eta / 3
    if robust:
        # Each leaf's quantile interval shifted down by delta (worked out in the test above
        # for delta = 0.2). For 0.35: leaf 0 -> [0, 0] (the lowest type), leaf 1 ->
        # [0, 0.3167] (0.95 of type 0), leaf 2 -> [0.3167, 0.65] (0.05 of type 0, 0.95 of
        # type 1), where separating type 1 pays (1/3)(0.95)(1/2) > pooling's (1/3)(1)(3/8).
        commit = (0, 0, 1)
    else:
        commit = (0, 1, 2)
    assert hand_noisy_value(commit, law) == pytest.approx(expected, abs=1e-12)
    assert noisy_payoff(og, plan, delta, eta, robust=robust) == pytest.approx(expected, abs=1e-9)


# ----------------------------------------------------------------------- B5 costly queries
def test_costly_plan_weights_each_cost_by_the_probability_of_asking_it():
    # V (B2 by hand): V[t,t] = (1/3) * 0.3 / theta_t = 1/8, 1/6, 1/4; V[0,1] = 1/4; V[1,2] = 1/3;
    # V[0,2] = 3/8. Costs c_1 = 0.05, c_2 = 0.1. After "type >= 1" says yes (probability 2/3),
    # asking "type >= 2" gains 1/6 + 1/4 - 1/3 = 1/12 > 0.1 * 2/3, so it is worth asking there
    # (charged without the weight 2/3 it would not be: 1/12 < 0.1). Top level:
    # ask 1 first: 1/8 + (5/12 - 1/15) - 0.05 = 17/40; ask 2 first: 1/4 + 1/4 - 0.1 = 2/5;
    # no query: 3/8.
    og = OracleGame.example("three-types")
    costs = np.array([0.05, 0.1])
    for plan in (plan_queries(og, costs=costs), greedy_plan(og, costs=costs)):
        assert plan.value == pytest.approx(17 / 40, abs=1e-9)
        assert plan.tree.threshold == 1
        assert plan.tree.below.is_leaf
        assert plan.tree.above.threshold == 2
        assert plan.expected_cost == pytest.approx(0.05 + 0.1 * 2 / 3, abs=1e-12)
        assert plan.gross_value == pytest.approx(13 / 24, abs=1e-9)


def test_costly_plan_stops_when_the_weighted_cost_exceeds_the_gain():
    # c_2 = 0.13: after "yes" the second query gains 1/12 < 0.13 * 2/3 = 0.0867: stop there.
    # Top: ask 1 first: 1/8 + 1/3 - 0.05 = 49/120; ask 2 first: 1/2 - 0.13 = 0.37; none: 3/8.
    og = OracleGame.example("three-types")
    plan = plan_queries(og, costs=[0.05, 0.13])
    assert plan.value == pytest.approx(49 / 120, abs=1e-9)
    assert plan.thresholds == (1,)


# ----------------------------------------------------------------------- several actions
def _three_types_multiaction():
    """The three-types game as a MultiActionOracleGame (actions 0 = refuse, 1 = act)."""
    psi = np.outer([0.7, 0.3], np.ones(3) / 3)
    u = np.zeros((2, 3, 2))
    u[0, :, 1] = -THETA
    u[1, :, 1] = 1 - THETA
    return MultiActionOracleGame(psi, u, [0.0, 1.0])


@pytest.mark.parametrize(("querier", "budget"), [("greedy", 2), ("greedy", 5), ("random", 40)])
def test_multiaction_queriers_learn_the_type_from_the_answers(querier, budget):
    # Enough answers separate the three types; the sender then commits to the true type's
    # own scheme and earns P(act | type t) = 0.3 / theta_t.
    g = _three_types_multiaction()
    for t in range(3):
        for seed in range(3):
            value = play_multiaction(g, t, budget, querier=querier, seed=seed)
            assert value == pytest.approx(ACT[t], abs=1e-9)


def test_multiaction_without_queries_commits_to_the_pooled_optimum():
    # No answer: the best known-type scheme judged on all types is type 0's (3 * 3/8 against
    # 2 * 1/2 and 3/4), which every type acts on with probability 3/8.
    g = _three_types_multiaction()
    for querier in ("greedy", "random"):
        for t in range(3):
            assert play_multiaction(g, t, 0, querier=querier, seed=0) == pytest.approx(3 / 8)
