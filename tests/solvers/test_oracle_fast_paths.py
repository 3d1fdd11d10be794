"""The oracle environment's fast paths against the LP paths they replace (issue 17, point 3).

* :func:`small_b2_lp` / :func:`fast_interval_policy` (a compiled simplex, used only when its
  optimum is certified unique) against the HiGHS solve of :func:`interval_policy` and the
  independent acting-set LP of ``test_invariants``, and the value it reports against what its
  policy earns (computed here);
* :func:`threshold_certified` (a column found by a small simplex on the query LP) against the
  LP path (the closed-form filter and the ``linprog`` query LP, :func:`lp_realisable`), the
  answers of a :class:`SimulationOracle` to the LP's query, and the optimum of the query LP
  written here with ``linprog``; :func:`threshold_answer` and :func:`realisable_thresholds`
  against the LP path;
* the kernels compiled and as plain Python (the same bits); ``draw_cell`` against
  ``Generator.choice``;
* ``OracleQuery-v0`` and the PettingZoo ``oracle_query_v0`` rollouts (``sample()`` actions and
  masked random valid actions) with the fast paths against the same rollouts with the LP paths.

Games come from ``test_invariants.games``: random affiliated games with zero-mass and 1e-12
types and states, staircase supports, binary-threshold games.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import persuasion_env.envs.oracle_query as oracle_env
import persuasion_env.multiagent.oracle_query_v0 as oracle_pz
from persuasion_env import _jit
from persuasion_env.envs.oracle_query import OracleQueryEnv, draw_cell
from persuasion_env.oracle import OracleGame
from persuasion_env.oracle.oracles import SimulationOracle
from persuasion_env.solvers.oracle import (
    _kernels,
    interval_policy,
    policy_payoff,
    realisable_thresholds,
    threshold_certified,
    threshold_query,
    threshold_realisable,
)
from persuasion_env.solvers.oracle.small_lp import fast_interval_policy, small_b2_lp
from persuasion_env.solvers.oracle.thresholds import (
    CERTIFY_MARGIN,
    _refusal_margins,
    certified_column,
    threshold_answer,
)

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
            assert earned(og, fast.scheme, lo, hi) >= fast.value - 1e-12


def earned(og: OracleGame, scheme: np.ndarray, lo: int, hi: int) -> float:
    """P(type in lo..hi and act) under ``scheme``, by loops: type t acts on message m iff
    ``sum_w psi[w,t] u[w,t] scheme[w,m] >= 0`` (to 1e-9 of the message's mass, as ``acts``)."""
    psi, u = og.joint_prior, og.receiver_utility
    scale = max(float(np.abs(u).max()), 1e-300)
    total = 0.0
    for t in range(lo, hi + 1):
        for m in range(scheme.shape[1]):
            mass = sum(psi[w, t] * scheme[w, m] for w in range(og.n_states))
            eu = sum(psi[w, t] * u[w, t] * scheme[w, m] for w in range(og.n_states))
            if eu >= -1e-9 * scale * mass - 1e-300:
                total += mass
    return total


@pytest.mark.skipif(not _jit.available(), reason="numba is not available")
@settings(max_examples=60, **SETTINGS)
@given(games(max_w=5, max_t=5))
def test_kernels_compiled_and_plain_python_agree_to_the_bit(og):
    """The kernels run compiled (numba) or as plain Python (``PERSUASION_ENV_JIT=0``) with the
    same results: the same value and policy of every range, the same certificate and column."""
    _kernels.ready()
    psi, obedience, e, mass, _ = _kernels.game_arrays(og)
    W, T = og.n_states, og.n_types
    for lo in range(T):
        for hi in range(lo, T):
            x_c, x_p = np.empty((W, hi - lo + 1)), np.empty((W, hi - lo + 1))
            v_c = _kernels.b2_vertex(psi, obedience, lo, hi, 64, x_c)
            v_p = _kernels.b2_vertex.py_func(psi, obedience, lo, hi, 64, x_p)
            assert v_c == v_p and x_c.tobytes() == x_p.tobytes()
    for t in range(1, T):
        x_c, x_p = np.empty(W), np.empty(W)
        r_c = _kernels.certify_column(e, mass, t, 1e-3, 1e-3, x_c)
        r_p = _kernels.certify_column.py_func(e, mass, t, 1e-3, 1e-3, x_p)
        assert r_c == r_p and x_c.tobytes() == x_p.tobytes()


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
def lp_realisable(og: OracleGame, t: int) -> bool:
    """The LP path of B3, without the certificate: the closed-form margin filter, then the
    query LP (``threshold_query``, HiGHS through ``linprog``)."""
    if not _refusal_margins(og)[t - 1] > 1e-10:
        return False
    try:
        threshold_query(og, t)
    except ValueError:
        return False
    return True


def lp_answer(og: OracleGame, t: int, true_type: int) -> bool | None:
    """The LP path's answer of a receiver of type ``true_type`` (None: not realisable)."""
    if not lp_realisable(og, t):
        return None
    q = threshold_query(og, t)
    return SimulationOracle(og, true_type).query(q.scheme, q.message)


def query_lp_optimum(og: OracleGame, t: int, accept_margin: float = 1e-3) -> float:
    """The optimum of the query LP of threshold t, written here: max m over x in [0,1]^W,
    m <= 1, with e[:, t+] . x >= accept_margin m and e[:, s] . x <= -m for every s < t of
    positive mass (e = psi u / P), by ``linprog`` with tight tolerances."""
    psi, u = og.joint_prior, og.receiver_utility
    P = psi.sum(axis=0)
    e = psi * u / np.maximum(P, 1e-300)
    above = min(s for s in range(t, og.n_types) if P[s] > 0)
    rows = [np.r_[-e[:, above], accept_margin]]
    rows += [np.r_[e[:, s], 1.0] for s in range(t) if P[s] > 0]
    W = og.n_states
    res = linprog(
        np.r_[np.zeros(W), -1.0],
        A_ub=np.array(rows),
        b_ub=np.zeros(len(rows)),
        bounds=[(0, 1)] * W + [(0, 1)],
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    assert res.status == 0
    return float(-res.fun)


def column_margin(og: OracleGame, t: int, x: np.ndarray, accept_margin: float = 1e-3) -> float:
    """The query LP's margin of column ``x``, by loops over the rows (as the LP's ``m``)."""
    psi, u = og.joint_prior, og.receiver_utility
    P = psi.sum(axis=0)
    W = og.n_states

    def row(s: int) -> float:
        return sum(psi[w, s] * u[w, s] * x[w] for w in range(W)) / P[s]

    above = min(s for s in range(t, og.n_types) if P[s] > 0)
    refusals = [-row(s) for s in range(t) if P[s] > 0]
    return min([*refusals, row(above) / accept_margin, 1.0])


@settings(max_examples=200, **SETTINGS)
@given(games(max_w=5, max_t=5), st.booleans())
def test_threshold_certified_agrees_with_the_query_lp(og, check):
    """A decision (True/False) is the LP path's, and after True every type of positive mass
    answers the LP's query as its side of t says; games built with check_assumptions=False are
    never certified True (Lemma 2.6 is not assumed)."""
    for t in range(1, og.n_types):
        decided = threshold_certified(fresh(og, check=check), t)
        if decided is None:
            continue
        lp_game = fresh(og, check=check)
        assert decided == lp_realisable(lp_game, t)
        if decided:
            assert check
            q = threshold_query(lp_game, t)
            for s in np.nonzero(og.type_marginal > 0)[0]:
                assert SimulationOracle(lp_game, int(s)).query(q.scheme, q.message) == (s >= t)


@settings(max_examples=200, **SETTINGS)
@given(games(max_w=5, max_t=5))
def test_certified_column_separates_and_the_search_reaches_the_lp_optimum(og):
    """The certifying column: in [0,1]^W, margin >= CERTIFY_MARGIN max(1, max|u|) by the rows
    evaluated here, every type of positive mass acts on it iff it is >= t (a real query for
    "type >= t"), and the LP optimum (``linprog`` here) is at least that margin. Whether or
    not it certifies, the kernel's search ends at the LP's optimum (to 1e-9)."""
    P = og.type_marginal
    need = CERTIFY_MARGIN * max(1.0, float(np.abs(og.receiver_utility).max()))
    _, _, e, mass, _ = _kernels.game_arrays(og)
    for t in range(1, og.n_types):
        x = np.empty(og.n_states)
        found = _kernels.certify_column(e, mass, t, 1e-3, need, x)
        one_side_empty = not (P[:t] > 0).any() or not (P[t:] > 0).any()
        assert (found == 2) == one_side_empty
        if one_side_empty:
            assert certified_column(og, t) is None and threshold_certified(og, t) is False
            continue
        assert np.all((0 <= x) & (x <= 1))
        optimum = query_lp_optimum(og, t)
        assert column_margin(og, t, x) >= optimum - 1e-9
        column = certified_column(og, t)
        assert (found == 1) == (column is not None) == (threshold_certified(og, t) is True)
        if column is None:
            continue
        np.testing.assert_array_equal(column, x)
        assert column_margin(og, t, column) >= need and optimum >= need - 1e-12
        for s in np.nonzero(P > 0)[0]:
            assert SimulationOracle(og, int(s)).query_column(column) == (s >= t)


@settings(max_examples=150, **SETTINGS)
@given(games(max_w=5, max_t=5))
def test_realisability_and_answers_are_the_lp_paths(og):
    """realisable_thresholds, threshold_realisable and threshold_answer (for every type,
    zero-mass types included) are the LP path's, the certificate deciding or not."""
    lp_game, fast_game, table_game = fresh(og), fresh(og), fresh(og)
    T = og.n_types
    expected = [lp_realisable(lp_game, t) for t in range(1, T)]
    assert realisable_thresholds(table_game).tolist() == expected
    for t in range(1, T):
        assert threshold_realisable(fresh(og), t) == expected[t - 1]
        for s in range(T):
            assert threshold_answer(fast_game, t, s) == lp_answer(lp_game, t, s)


def test_threshold_certified_decides_most_random_thresholds():
    """On random 4 x 4 games the certificate settles nearly every threshold (the speed of the
    random-game mode rests on it); from a run of 1000 games: 34 of 3000 undecided (the
    closed-form columns of session 5 left 79)."""
    undecided = sum(
        threshold_certified(OracleGame.random(4, 4, seed=seed), t) is None
        for seed in range(200)
        for t in (1, 2, 3)
    )
    assert undecided <= 20


def test_draw_cell_is_generator_choice():
    """The env's (state, type) draw: the index of ``rng.choice(W T, p=psi.ravel())`` and the
    generator left in the same state, zero-mass cells included."""
    for seed in range(300):
        og = OracleGame.random(1 + seed % 5, 1 + seed % 4, seed=seed)
        psi = np.array(og.joint_prior)
        if seed % 3 == 0:
            psi[:, 0] = 0.0
            psi = psi / psi.sum() if psi.sum() > 0 else np.array(og.joint_prior)
            og = OracleGame(og.states, og.types, psi, og.receiver_utility)
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        for _ in range(20):
            flat = int(a.choice(psi.size, p=og.joint_prior.ravel()))
            assert draw_cell(b, og) == divmod(flat, og.n_types)
        assert a.random() == b.random()


# ============================================================================ the environment
def rollout(env: OracleQueryEnv, seed: int, steps: int, *, masked: bool = False) -> list:
    """``steps`` steps with ``action_space.sample()`` actions (``numpy.int64``), or with a random
    valid action of ``action_masks()`` (as MaskablePPO), resetting after each episode."""
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    obs, info = env.reset(seed=seed)
    out = [(obs.tolist(), info)]
    for _ in range(steps):
        if masked:
            mask = env.action_masks()
            out.append(mask.tolist())
            action = rng.choice(np.flatnonzero(mask))
        else:
            action = env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs.tolist(), reward, terminated, info))
        if terminated:
            obs, info = env.reset()
            out.append((obs.tolist(), info))
    return out


def use_lp_paths(monkeypatch) -> None:
    """Every fast path of both oracle envs replaced by its LP path (HiGHS leaves; the filter
    and the query LP for realisability, answers on the LP's column)."""
    monkeypatch.setattr(oracle_env, "threshold_answer", lp_answer)
    monkeypatch.setattr(oracle_env, "fast_interval_policy", interval_policy)
    monkeypatch.setattr(
        oracle_env,
        "realisable_thresholds",
        lambda og: np.array([lp_realisable(og, t) for t in range(1, og.n_types)], dtype=bool),
    )
    monkeypatch.setattr(oracle_pz, "threshold_realisable", lp_realisable)
    monkeypatch.setattr(oracle_pz, "certified_column", lambda og, t: None)
    monkeypatch.setattr(oracle_pz, "fast_interval_policy", interval_policy)


def assert_same_rollouts(fast: list, slow: list) -> None:
    """Same observations, masks, terminations and infos; rewards to 1e-12."""
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        if isinstance(a, list):  # an action mask
            assert a == b
            continue
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


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("reward_mode", ["probability", "sample"])
@pytest.mark.parametrize("size", [(4, 4), (3, 5), (6, 3)])
def test_env_fast_paths_give_the_lp_paths_rollout(monkeypatch, reward_mode, size, masked):
    """Random-game mode: the same rollout with the fast paths and with the LP paths."""
    W, T = size
    kwargs = dict(game=None, n_states=W, n_types=T, reward_mode=reward_mode, budget=2)
    seed = W * 10 + T + 100 * masked
    fast = rollout(OracleQueryEnv(**kwargs), seed=seed, steps=400, masked=masked)
    use_lp_paths(monkeypatch)
    slow = rollout(OracleQueryEnv(**kwargs), seed=seed, steps=400, masked=masked)
    assert_same_rollouts(fast, slow)


def pettingzoo_rollout(seed: int, episodes: int, W: int, T: int) -> list:
    """Parallel ``oracle_query_v0`` episodes: the sender picks a random valid action of its
    mask, a truthful receiver acts iff its expected utility on the column is >= 0 (to the
    tolerance of ``acts``: a binding message is met only to rounding). Records the sender's
    observations and masks, the rewards and the receiver's actions."""
    env = oracle_pz.parallel_env(game=None, n_states=W, n_types=T, budget=2)
    rng = np.random.default_rng(seed)
    out = []
    for episode in range(episodes):
        obs, infos = env.reset(seed=seed + episode)
        while env.agents:
            mask = infos["sender"]["action_mask"]
            sender = int(rng.choice(np.flatnonzero(mask))) if mask.any() else 0
            receiver = int(obs["receiver"][T] >= -1e-9)
            obs, rewards, _, _, infos = env.step({"sender": sender, "receiver": receiver})
            out.append((obs["sender"].tolist(), mask.tolist(), receiver, rewards))
    return out


@pytest.mark.parametrize("size", [(4, 4), (3, 5)])
def test_pettingzoo_fast_paths_give_the_lp_paths_episodes(monkeypatch, size):
    """The PettingZoo oracle env: the same sender observations, masks, truthful answers and
    rewards with the fast paths (certified columns, the small simplex) and the LP paths."""
    fast = pettingzoo_rollout(7, 150, *size)
    use_lp_paths(monkeypatch)
    slow = pettingzoo_rollout(7, 150, *size)
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert a[:3] == b[:3]
        assert a[3] == pytest.approx(b[3], abs=1e-12)
