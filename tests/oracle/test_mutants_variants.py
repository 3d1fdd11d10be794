"""The B7 variants (partition queries, several actions) against hand-computed values (tests for
mutants of persuasion_env/oracle/variants.py that survived `tasks.py mutate`: see
docs/results.md, "Mutation testing").

Binary-threshold games: P(high) = 0.3, equally likely types acting iff P(high | m) >= theta.
A message that makes the types with theta <= theta_s act carries at most 0.3 / theta_s of
probability, so a unit of high-state mass spent on it buys P(those types) / theta_s.
"""

import numpy as np
import pytest

from persuasion_env import OracleGame
from persuasion_env.oracle.variants import MultiActionOracleGame, play_multiaction
from persuasion_env.solvers.oracle.partition import solve_partition_queries, subset_value


def test_subset_value_by_hand():
    og = OracleGame.example("three-types")  # theta = 0.8, 0.6, 0.4
    assert subset_value(og, []) == 0.0
    # types {0, 2}: pooling at 0.8 gives (2/3) 3/8 = 1/4, type 2 alone (1/3) 3/4 = 1/4
    assert subset_value(og, [2, 0, 2]) == pytest.approx(1 / 4, abs=1e-9)
    assert subset_value(og, np.array([1])) == pytest.approx(1 / 6, abs=1e-9)


def test_partition_queries_two_types_ask_the_only_query():
    # theta = (0.8, 0.4): no query V = max(3/8, (1/2) 3/4) = 3/8; knowing the type:
    # (1/2) 3/8 + (1/2) 3/4 = 9/16. The one non-trivial partition {0}, {1} is asked.
    og = OracleGame.binary_thresholds(0.3, [0.8, 0.4])
    plan = solve_partition_queries(og, 1)
    assert plan.value == pytest.approx(9 / 16, abs=1e-9)
    assert plan.first_query == ((0,), (1,))
    assert plan.n_queries_space == 1
    plan = solve_partition_queries(og, 0)
    assert plan.value == pytest.approx(3 / 8, abs=1e-9)
    assert plan.first_query is None


def test_partition_queries_accept_the_largest_type_set():
    # T = MAX_PARTITION_TYPES = 7, theta = 0.9 .. 0.3: a unit of high mass buys
    # (7 - s) / 7 / theta_s, largest for s = 0 (1/0.9): no-query value 0.3 / 0.9 = 1/3.
    # The allowed queries are the Bell(7) - 1 = 876 non-trivial partitions.
    og = OracleGame.binary_thresholds(0.3, [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    plan = solve_partition_queries(og, 0)
    assert plan.value == pytest.approx(1 / 3, abs=1e-9)
    assert plan.n_queries_space == 876
    with pytest.raises(ValueError, match="^budget must be >= 0"):
        solve_partition_queries(og, -1)


def test_partition_query_errors_name_the_query():
    og = OracleGame.example("three-types")
    with pytest.raises(TypeError, match=r"^queries\[0\] must be a list of lists of type indices"):
        solve_partition_queries(og, 1, queries=[[1, 2]])
    with pytest.raises(ValueError, match=r"^queries\[1\] must partition the types 0\.\.2 into"):
        solve_partition_queries(og, 1, queries=[[[0], [1, 2]], [[0], [1]]])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 2, 2), "^n_states must be >= 1"),
        ((2, 0, 2), "^n_types must be >= 1"),
        ((2, 2, 1), "^n_actions must be >= 2"),
    ],
)
def test_random_multiaction_game_errors_name_the_argument(args, message):
    with pytest.raises(ValueError, match=message):
        MultiActionOracleGame.random(*args, seed=0)


def test_random_multiaction_game_is_beliefs_times_type_weights():
    # documented construction, drawn in this order from default_rng(seed): a Dirichlet belief
    # over the W states for each of the T types, Dirichlet type weights, then utilities
    rng = np.random.default_rng(3)
    beliefs = rng.dirichlet(np.ones(4), size=3)  # (T, W)
    weights = rng.dirichlet(np.ones(3))
    u = rng.uniform(size=(4, 2))
    g = MultiActionOracleGame.random(4, 3, 2, seed=3)
    np.testing.assert_allclose(g.joint_prior.sum(axis=0), weights, atol=1e-12)
    np.testing.assert_allclose(g.joint_prior / g.joint_prior.sum(axis=0), beliefs.T, atol=1e-12)
    np.testing.assert_allclose(g.receiver_utility[:, 0, :], u, atol=0)


PSI = [[0.25, 0.25], [0.25, 0.25]]  # 2 states x 2 types
U = [[1.0, 0.0], [0.0, 1.0]]  # 2 states x 2 actions
V = [0.0, 1.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(joint_prior="x"), TypeError, "^joint_prior must be an array of numbers"),
        (dict(joint_prior=[0.5, 0.5]), ValueError, "^joint_prior must be 2-dimensional"),
        # negative entries although the sum is 1; a sum of 1.5 without negative entries
        (dict(joint_prior=[[1.5, -0.5]]), ValueError, "^joint_prior must be non-negative and su"),
        (dict(joint_prior=[[0.75, 0.75]]), ValueError, "^joint_prior must be non-negative and su"),
        (dict(receiver_utility="x"), TypeError, "^receiver_utility must be an array of numbers"),
        (
            dict(receiver_utility=np.zeros((2, 3, 2))),  # 3 types where the prior has 2
            ValueError,
            r"^receiver_utility must have shape \(W, A\) or \(W, T, A\) with A >= 2",
        ),
        (dict(receiver_utility=[[1.0], [0.0]]), ValueError, "^receiver_utility must have shape"),
        (dict(sender_utility="x"), TypeError, "^sender_utility must be an array of numbers"),
        (
            dict(sender_utility=[0.0, 1.0, 2.0]),
            ValueError,
            r"^sender_utility must have shape \(A,\) or \(W, A\) = \(2, 2\)",
        ),
        (dict(states="x"), TypeError, "^states must be an array of numbers"),
        (dict(states=[[0.0, 1.0]]), ValueError, "^states must be 1-dimensional"),
        (dict(states=[0.0, 1.0, 2.0]), ValueError, "^states must have length W"),
        (dict(states=[1.0, 0.0]), ValueError, "^states must be sorted increasingly"),
    ],
)
def test_multiaction_game_errors_name_the_argument(kwargs, error, message):
    args = dict(joint_prior=PSI, receiver_utility=U, sender_utility=V) | kwargs
    states = args.pop("states", None)
    with pytest.raises(error, match=message):
        MultiActionOracleGame(**args, states=states)


def test_multiaction_game_accepts_states_and_shared_utilities():
    g = MultiActionOracleGame(PSI, U, V, states=[0.0, 1.0])
    assert (g.n_states, g.n_types, g.n_actions) == (2, 2, 2)
    np.testing.assert_array_equal(g.receiver_utility[:, 1, :], U)  # shared by both types
    np.testing.assert_array_equal(g.sender_utility, [V, V])


def test_multiaction_game_normalises_a_prior_within_the_tolerance():
    g = MultiActionOracleGame(np.array(PSI) * (1 + 5e-7), U, V)  # sums to 1 + 5e-7: accepted
    assert g.joint_prior.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(g.joint_prior, PSI, atol=1e-15)


@pytest.mark.parametrize("scale", [1.0, 1e-12])
def test_multiaction_responses_do_not_depend_on_the_utility_scale(scale):
    # one type, belief (0.6, 0.4), action a pays in state a: with no information it takes
    # action 0 (0.6 > 0.4), although the sender prefers action 1, at any utility scale
    g = MultiActionOracleGame([[0.6], [0.4]], np.eye(2) * scale, [0.0, 1.0])
    assert g.responses(np.ones((2, 1))).tolist() == [[0]]
    # full disclosure: message m reveals state m, the receiver matches it
    assert g.responses(np.eye(2)).tolist() == [[0, 1]]


def test_multiaction_ties_go_to_the_sender_then_to_the_lowest_action():
    # type 1 has no mass: every action ties for it, and the sender's preferred action 1 is
    # taken (type 0, who believes state 0 w.p. 0.6, takes action 0)
    g = MultiActionOracleGame([[0.6, 0.0], [0.4, 0.0]], np.eye(2), [0.0, 1.0])
    assert g.responses(np.ones((2, 1))).tolist() == [[0], [1]]
    # receiver and sender indifferent between 3 actions: the lowest index
    g = MultiActionOracleGame([[0.5], [0.5]], np.zeros((2, 3)), np.zeros(3))
    assert g.responses(np.eye(2)).tolist() == [[0, 0]]


# ------------------------------------------------------------ play_multiaction, by hand
THETA = np.array([0.8, 0.6, 0.4])


def _three_types(masses):
    """The three-types game (P(high) = 0.3) as a MultiActionOracleGame: 0 = refuse, 1 = act."""
    psi = np.outer([0.7, 0.3], masses)
    u = np.zeros((2, 3, 2))
    u[0, :, 1] = -THETA
    u[1, :, 1] = 1 - THETA
    return MultiActionOracleGame(psi, u, [0.0, 1.0])


def _split(col):
    """The types' answers on a one-message query column (low, high): those with
    theta <= P(high | m) act. Returns the partition of the types it induces."""
    q = 0.3 * col[1] / (0.3 * col[1] + 0.7 * col[0])
    if 0.6 <= q < 0.8:
        return "0|12"
    if 0.4 <= q < 0.6:
        return "01|2"
    return None  # everybody answers alike


# P(act | t) after one query, equal masses: the sender commits to the best known-type scheme
# of the types left ({0,1,2} and {0,1}: type 0's, 3/8 for all; {1,2}: type 1's, 1/2)
AFTER_SPLIT = {None: [3 / 8] * 3, "0|12": [3 / 8, 1 / 2, 1 / 2], "01|2": [3 / 8, 3 / 8, 3 / 4]}


def test_random_querier_asks_a_seeded_uniform_column():
    g = _three_types(np.ones(3) / 3)
    for seed in range(8):
        expected = AFTER_SPLIT[_split(np.random.default_rng(seed).uniform(size=2))]
        got = [play_multiaction(g, t, 1, querier="random", seed=seed) for t in range(3)]
        np.testing.assert_allclose(got, expected, atol=1e-9)


def test_greedy_querier_asks_the_first_most_even_split():
    # equal masses: both splits are equally even (Gini 4/9); the first candidate that splits
    # wins. Candidates: 16 seeded uniform columns, then the known-type schemes' columns (type
    # 0's do not split, type 1's "act" column gives 0|12).
    g = _three_types(np.ones(3) / 3)
    for seed in range(8):
        rng = np.random.default_rng(seed)
        splits = [_split(rng.uniform(size=2)) for _ in range(16)]
        first = next((s for s in splits if s is not None), "0|12")
        got = [play_multiaction(g, t, 1, seed=seed) for t in range(3)]  # greedy by default
        np.testing.assert_allclose(got, AFTER_SPLIT[first], atol=1e-9)


def test_greedy_querier_weights_types_by_mass_and_commits_on_the_types_left():
    # masses (0.2, 0.2, 0.6): 01|2 (Gini 1 - 0.4^2 - 0.6^2 = 0.48) beats 0|12 (0.32), and type
    # 2's own column offers it. Left with {0, 1}: type 0's scheme earns 0.4 * 3/8 = 0.15 on them,
    # type 1's 0.2 * 1/2 = 0.1 (on all three types it would be 0.375 against 0.4).
    g = _three_types([0.2, 0.2, 0.6])
    for seed in range(3):
        got = [play_multiaction(g, t, 1, seed=seed) for t in range(3)]
        np.testing.assert_allclose(got, [3 / 8, 3 / 8, 3 / 4], atol=1e-9)


def test_play_multiaction_errors_name_the_argument():
    g = _three_types(np.ones(3) / 3)
    for kwargs, message in [
        (dict(true_type=-1, budget=1), "^true_type must be >= 0"),
        (dict(true_type=3, budget=1), r"^true_type must be < T = 3"),
        (dict(true_type=0, budget=-1), "^budget must be >= 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            play_multiaction(g, **kwargs)
