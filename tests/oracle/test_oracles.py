import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persuasion_env import NoisyOracle, OracleGame, SimulationOracle, plan_queries
from persuasion_env.oracle.oracles import noisy_payoff, robust_leaf, simulated_type_distribution
from persuasion_env.solvers.oracle import interval_policy, realisable_thresholds, threshold_query


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


def test_robust_leaf_without_noise_is_plain_policy():
    og = OracleGame.random(5, 5, seed=2)
    a, b = robust_leaf(og, 1, 3, 0.0), interval_policy(og, 1, 3)
    assert a.value == b.value


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6), st.integers(2, 7), st.integers(1, 3),
       st.sampled_from([0.0, 0.05, 0.1, 0.25]), st.sampled_from([0.0, 0.05, 0.2]))
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
