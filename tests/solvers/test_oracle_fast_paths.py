"""The oracle environment's fast paths against the LP paths they replace (issue 17, point 3).

* :func:`small_b2_lp` / :func:`fast_interval_policy` (a NumPy simplex, used only when its
  optimum is certified unique) against the HiGHS solve of :func:`interval_policy` and the
  independent acting-set LP of ``test_invariants``;
* :func:`threshold_certified` against :func:`threshold_realisable` (the ``linprog`` query LP)
  and the answers of a :class:`SimulationOracle` to the LP's query;
* ``OracleQuery-v0`` rollouts with the fast paths against the same rollouts with the LP paths.

Games come from ``test_invariants.games``: random affiliated games with zero-mass and 1e-12
types and states, staircase supports, binary-threshold games.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import persuasion_env.envs.oracle_query as oracle_env
from persuasion_env.envs.oracle_query import OracleQueryEnv
from persuasion_env.oracle import OracleGame
from persuasion_env.oracle.oracles import SimulationOracle
from persuasion_env.solvers.oracle import (
    interval_policy,
    policy_payoff,
    threshold_certified,
    threshold_query,
    threshold_realisable,
)
from persuasion_env.solvers.oracle.small_lp import fast_interval_policy, small_b2_lp

from .test_invariants import LP_TOL, SETTINGS, acting_set_optimum, games


def fresh(og: OracleGame, *, check: bool = True) -> OracleGame:
    """The same game without any cached solution (each path solves from scratch)."""
    return OracleGame(
        og.states, og.types, og.joint_prior, og.receiver_utility, check_assumptions=check
    )


# ============================================================================ B2 fast path
def test_small_b2_lp_on_the_three_types_example():
    """MODEL.md B8 (P(high) = 0.3, thresholds 0.8, 0.6, 0.4, uniform): a known type t earns
    ``P_t min(1, 0.3 / theta_t)``; the whole range (no query) earns 0.375."""
    og = OracleGame.example("three-types")
    psi, u = og.joint_prior, og.receiver_utility
    for t, theta in enumerate([0.8, 0.6, 0.4]):
        solved = small_b2_lp(psi[:, t : t + 1], psi[:, t : t + 1] * u[:, t : t + 1])
        assert solved is not None
        assert solved[0] == pytest.approx(min(1.0, 0.3 / theta) / 3, abs=1e-12)
    solved = small_b2_lp(psi, psi * u)
    assert solved is not None and solved[0] == pytest.approx(0.375, abs=1e-12)


@settings(max_examples=150, **SETTINGS)
@given(games())
def test_fast_interval_policy_matches_highs(og):
    """Every range: the same value (1e-12), scheme (2e-12) and per-type payoff (1e-12) as the
    HiGHS leaf, and the value of the independent acting-set LP (LP tolerance)."""
    fast_game, ref_game = fresh(og), fresh(og)
    psi, u = og.joint_prior, og.receiver_utility
    for lo in range(og.n_types):
        for hi in range(lo, og.n_types):
            fast = fast_interval_policy(fast_game, lo, hi)
            ref = interval_policy(ref_game, lo, hi)
            assert fast.value == pytest.approx(ref.value, abs=1e-12)
            assert fast.message_thresholds == ref.message_thresholds
            np.testing.assert_allclose(fast.scheme, ref.scheme, rtol=0, atol=2e-12)
            np.testing.assert_allclose(
                policy_payoff(og, fast.scheme), policy_payoff(og, ref.scheme), rtol=0, atol=1e-12
            )
            exact = acting_set_optimum(psi, u, tuple(range(lo, hi + 1)))
            assert fast.value == pytest.approx(exact, abs=LP_TOL)


def test_interchangeable_states_fall_back_to_highs():
    """Two states with the same prior row and utility row, both disliked: how a binding message
    splits between them is not unique, so the simplex's vertex is not certified and the HiGHS
    leaf is used (``fast_interval_policy`` then returns exactly ``interval_policy``'s leaf)."""
    psi = np.array([[0.15, 0.15], [0.15, 0.15], [0.2, 0.2]])
    u = np.array([[-0.8, -0.6], [-0.8, -0.6], [0.2, 0.4]])
    og = OracleGame([0.0, 1.0, 2.0], [0.0, 1.0], psi, u)
    assert small_b2_lp(psi, psi * u) is None
    fast = fast_interval_policy(fresh(og), 0, 1)
    ref = interval_policy(fresh(og), 0, 1)
    assert fast.value == ref.value
    np.testing.assert_array_equal(fast.scheme, ref.scheme)


# ============================================================================ B3 certificate
@settings(max_examples=200, **SETTINGS)
@given(games(max_w=5, max_t=5), st.booleans())
def test_threshold_certified_agrees_with_the_query_lp(og, check):
    """A decision (True/False) is threshold_realisable's, and after True every type of positive
    mass answers the LP's query as its side of t says; games built with
    check_assumptions=False are never certified True (Lemma 2.6 is not assumed)."""
    for t in range(1, og.n_types):
        decided = threshold_certified(fresh(og, check=check), t)
        if decided is None:
            continue
        lp_game = fresh(og, check=check)
        assert decided == threshold_realisable(lp_game, t)
        if decided:
            assert check
            q = threshold_query(lp_game, t)
            for s in np.nonzero(og.type_marginal > 0)[0]:
                assert SimulationOracle(lp_game, int(s)).query(q.scheme, q.message) == (s >= t)


def test_threshold_certified_decides_most_random_thresholds():
    """On random 4 x 4 games the certificate settles nearly every threshold (the speed of the
    random-game mode rests on it); values from a run of 1000 games: 79 of 3000 undecided."""
    undecided = sum(
        threshold_certified(OracleGame.random(4, 4, seed=seed), t) is None
        for seed in range(200)
        for t in (1, 2, 3)
    )
    assert undecided <= 60


# ============================================================================ the environment
def rollout(env: OracleQueryEnv, seed: int, steps: int) -> list:
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    out = [(obs.tolist(), info)]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(int(rng.integers(env.n_types)))
        out.append((obs.tolist(), reward, terminated, info))
        if terminated:
            obs, info = env.reset()
            out.append((obs.tolist(), info))
    return out


@pytest.mark.parametrize("reward_mode", ["probability", "sample"])
@pytest.mark.parametrize("size", [(4, 4), (3, 5), (6, 3)])
def test_env_fast_paths_give_the_lp_paths_rollout(monkeypatch, reward_mode, size):
    """Random-game mode: same observations, terminations and infos, rewards to 1e-12, with the
    fast paths and with the LP paths (certificate off, every leaf from HiGHS)."""
    W, T = size
    kwargs = dict(game=None, n_states=W, n_types=T, reward_mode=reward_mode, budget=2)
    fast = rollout(OracleQueryEnv(**kwargs), seed=W * 10 + T, steps=400)
    monkeypatch.setattr(oracle_env, "threshold_certified", lambda og, t: None)
    monkeypatch.setattr(oracle_env, "fast_interval_policy", interval_policy)
    slow = rollout(OracleQueryEnv(**kwargs), seed=W * 10 + T, steps=400)
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert a[0] == b[0]
        if len(a) == 4:
            assert a[1] == pytest.approx(b[1], abs=1e-12)
            assert a[2] == b[2]
            info_a, info_b = a[3], b[3]
        else:
            info_a, info_b = a[1], b[1]
        assert info_a.keys() == info_b.keys()
        for key in info_a:
            assert info_a[key] == pytest.approx(info_b[key], abs=1e-12)
