import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persuasion_env import NoisyOracle, OracleGame, SimulationOracle, plan_queries
from persuasion_env.oracle.oracles import simulated_type_distribution
from persuasion_env.solvers.oracle import realisable_thresholds, threshold_query
from persuasion_env.solvers.oracle.robust import noisy_payoff, robust_leaf


class AnswersOnly:
    """Wraps an oracle so that only ``query`` and ``game`` are reachable."""

    def __init__(self, oracle):
        self._query = oracle.query
        self.game = oracle.game
        self.calls = 0

    def query(self, scheme, message):
        self.calls += 1
        return self._query(scheme, message)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6), st.integers(2, 6))
def test_threshold_queries_split_types_exactly(seed, W, T):
    og = OracleGame.random(W, T, seed=seed)
    ok = realisable_thresholds(og)
    for t in range(1, T):
        if not ok[t - 1]:
            with pytest.raises(ValueError, match="cannot be realised"):
                threshold_query(og, t)
            continue
        q = threshold_query(og, t)
        assert q.margin > 0
        answers = [SimulationOracle(og, typ).query(q.scheme, q.message) for typ in range(T)]
        assert answers == [typ >= t for typ in range(T)]


def test_threshold_out_of_range():
    og = OracleGame.example("three-types")
    for bad in (0, 3, -1):
        with pytest.raises(ValueError, match="threshold"):
            threshold_query(og, bad)
    with pytest.raises(TypeError, match="threshold"):
        threshold_query(og, 1.0)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 5), st.integers(2, 7), st.integers(0, 3))
def test_plan_execution_through_answers_only(seed, W, T, K):
    og = OracleGame.random(W, T, seed=seed)
    for adaptive in (True, False):
        plan = plan_queries(og, budget=K, adaptive=adaptive)
        total = 0.0
        for typ in range(T):
            oracle = AnswersOnly(SimulationOracle(og, typ))
            leaf = plan.execute(oracle)
            assert leaf.lo <= typ <= leaf.hi
            assert oracle.calls <= (K if adaptive else len(plan.thresholds))
            from persuasion_env.solvers.oracle import policy_payoff

            total += policy_payoff(og, leaf.scheme)[typ]
        assert abs(total - plan.value) < 1e-8


def test_dp_querier_runs_on_answers_only():
    from agents import make_sender

    og = OracleGame.example("greedy-trap")
    q = make_sender("dp_querier")
    for typ in range(4):
        q.reset(og, budget=2)
        leaf = q.run(AnswersOnly(SimulationOracle(og, typ)))
        assert (leaf.lo, leaf.hi) == (typ, typ)


def test_oracle_input_validation():
    og = OracleGame.example("three-types")
    with pytest.raises(ValueError, match="true_type"):
        SimulationOracle(og, 3)
    o = SimulationOracle(og, 0)
    with pytest.raises(ValueError, match="scheme"):
        o.query(np.ones((3, 1)), 0)
    with pytest.raises(ValueError, match="message"):
        o.query(np.ones((2, 1)), 1)
    with pytest.raises(ValueError, match="delta"):
        NoisyOracle(og, 0, delta=1.5, eta=0.0)
    with pytest.raises(ValueError, match="eta"):
        NoisyOracle(og, 0, delta=0.1, eta=-0.1)


def test_simulated_type_distribution():
    og = OracleGame.example("greedy-trap")  # F = 0.2, 0.5, 0.9, 1.0
    p = simulated_type_distribution(og, 1, 0.3, 0.0)
    np.testing.assert_allclose(p, [0.5, 0.5, 0, 0])
    p = simulated_type_distribution(og, 1, 0.0, 0.2)
    np.testing.assert_allclose(p, [0.05, 0.85, 0.05, 0.05])


# Three-types game (MODEL.md B8): P(high) = 0.3, types theta = 0.8, 0.6, 0.4 with mass 1/3 each.
# The known-type scheme of type theta sends "act" always in the high state and with probability
# x in the low state, x chosen so that P(high | act) = theta: x = (0.3 / theta - 0.3) / 0.7.
# It is acted on by every type with threshold <= theta, with probability 0.3 / theta.
THREE_X = {0: 3 / 28, 1: 2 / 7, 2: 9 / 14}  # theta = 0.8, 0.6, 0.4
THREE_ACT = {0: 3 / 8, 1: 1 / 2, 2: 3 / 4}


def _acting_column(leaf):
    """The (low, high) sending probabilities of the leaf's one message that some type acts on."""
    cols = [k for k, thr in enumerate(leaf.message_thresholds) if thr <= leaf.hi]
    assert len(cols) == 1
    return leaf.scheme[:, cols[0]]


@pytest.mark.parametrize(
    ("lo", "hi", "value", "target"),
    [(2, 2, 1 / 4, 2), (1, 1, 1 / 6, 1), (0, 0, 1 / 8, 0), (0, 2, 3 / 8, 0), (1, 2, 1 / 3, 1)],
)
def test_robust_leaf_without_noise_is_the_hand_computed_policy(lo, hi, value, target):
    # delta = 0: no shift. Alone, type t is persuaded with probability 0.3 / theta_t; on a
    # range, pooling at the lowest profitable threshold is optimal (the LP of B2 by hand:
    # on 1..2 the value is (1/3) max(2 * 1/2, 3/4) = 1/3; on 0..2, (1/3) * 3 * 3/8 = 3/8).
    og = OracleGame.example("three-types")
    leaf = robust_leaf(og, lo, hi, 0.0)
    assert (leaf.lo, leaf.hi) == (lo, hi)
    assert leaf.value == pytest.approx(value, abs=1e-9)
    np.testing.assert_allclose(_acting_column(leaf), [THREE_X[target], 1.0], atol=1e-9)


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(1, 6),
    st.integers(2, 7),
    st.integers(1, 3),
    st.sampled_from([0.0, 0.05, 0.1, 0.25]),
    st.sampled_from([0.0, 0.05, 0.2]),
)
def test_noisy_robust_payoff_within_bound(seed, W, T, K, delta, eta):
    og = OracleGame.random(W, T, seed=seed)
    plan = plan_queries(og, budget=K)
    exact = noisy_payoff(og, plan, 0.0, 0.0)
    assert abs(exact - plan.value) < 1e-8
    robust = noisy_payoff(og, plan, delta, eta)
    assert plan.value - robust <= 2 * delta + eta + 1e-8


def test_noisy_oracle_monte_carlo_matches_exact_expectation():
    og = OracleGame.example("greedy-trap")
    plan = plan_queries(og, budget=2)
    delta, eta = 0.3, 0.2
    exact = noisy_payoff(og, plan, delta, eta, robust=False)
    rng = np.random.default_rng(12345)
    n = 4000
    from persuasion_env.solvers.oracle import policy_payoff

    P = og.type_marginal
    draws = []
    for _ in range(n):
        typ = int(rng.choice(4, p=P))
        leaf = plan.execute(NoisyOracle(og, typ, delta=delta, eta=eta, seed=rng))
        draws.append(policy_payoff(og, leaf.scheme)[typ] / P[typ])  # P(act | type)
    # values lie in [0, 1]: standard error <= 0.5 / sqrt(n) ~ 0.008; allow 4.5 sigma
    assert abs(np.mean(draws) - exact) < 4.5 * 0.5 / np.sqrt(n)
