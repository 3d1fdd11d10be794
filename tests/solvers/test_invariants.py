"""Invariants of every oracle planner on random games, including zero-mass and tiny types/states.

For every plan: ``no_query_value <= value <= known_type_value`` and ``value`` equals what the
plan earns, both by ``evaluate_plan`` and by a brute force written here that *executes* the plan
(each threshold realised by ``threshold_query``, answered by the receiver's obedience computed in
this file, checked to route every type of positive mass correctly, then the true receiver decides
on the committed scheme). Reference values come from an independent LP written here: the
revelation LP over *acting sets* (one message per set of types that act on it, obedience for
each type of the set), exact for any prior without Lemma 2.6.

Hypothesis examples in the default suite: 180 + 120 + 100 + 60 + 60 = 520 (each example checks
several plans). The ``slow`` marked test repeats the planner invariants with 1500 examples:
``ORACLE_LONG_TESTS=1 python -m pytest tests/solvers/test_invariants.py -m slow``.
"""

from __future__ import annotations

import itertools
import os
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from persuasion_env.oracle import OracleGame
from persuasion_env.oracle.variants import MultiActionOracleGame, play_multiaction
from persuasion_env.solvers.oracle import (
    evaluate_plan,
    greedy_plan,
    interval_policy,
    plan_queries,
    realisable_thresholds,
    threshold_query,
)
from persuasion_env.solvers.oracle.partition import set_partitions, solve_partition_queries
from persuasion_env.solvers.oracle.robust import noisy_payoff, robust_leaf

from .helpers import all_trees

TOL = 1e-9  # the invariant's tolerance (values of the library against each other)
LP_TOL = 1e-7  # against the LPs of this file (scipy/HiGHS default tolerances)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


# ============================================================================ game strategy
@st.composite
def games(draw, max_w: int = 4, max_t: int = 5) -> OracleGame:
    """A game satisfying B1 (monotone utility, affiliated prior) with zero-mass and tiny types
    and states: a random log-supermodular prior restricted to a staircase support (each type's
    states form an interval whose ends increase with the type: still affiliated), some types
    and states zeroed or scaled to 1e-12, renormalised."""
    W = draw(st.integers(1, max_w))
    T = draw(st.integers(1, max_t))
    kind = draw(st.sampled_from(["random", "binary"]))
    if kind == "binary":
        theta = draw(st.lists(st.floats(0.05, 1.0), min_size=T, max_size=T, unique=True))
        q = np.array(
            draw(st.lists(st.sampled_from([0.0, 1e-12, 0.1, 0.3, 1.0]), min_size=T, max_size=T))
        )
        assume(q.sum() > 0.05)
        p_high = draw(st.floats(0.05, 0.95))
        return OracleGame.binary_thresholds(p_high, theta, q / q.sum())
    seed = draw(st.integers(0, 2**20))
    base = OracleGame.random(W, T, seed=seed)
    psi = np.array(base.joint_prior)
    # staircase support: type t keeps states lo[t]..hi[t], both non-decreasing in t
    if draw(st.booleans()):
        lo = np.sort(draw(st.lists(st.integers(0, W - 1), min_size=T, max_size=T)))
        span = draw(st.lists(st.integers(0, W - 1), min_size=T, max_size=T))
        hi = np.maximum.accumulate(np.minimum(lo + np.array(span), W - 1))
        mask = (np.arange(W)[:, None] >= lo[None, :]) & (np.arange(W)[:, None] <= hi[None, :])
        psi = psi * mask
    type_scale = draw(
        st.lists(st.sampled_from([1.0, 1.0, 1.0, 0.0, 1e-12]), min_size=T, max_size=T)
    )
    state_scale = draw(
        st.lists(st.sampled_from([1.0, 1.0, 1.0, 0.0, 1e-12]), min_size=W, max_size=W)
    )
    psi = psi * np.array(type_scale)[None, :] * np.array(state_scale)[:, None]
    assume(psi.sum() > 1e-3)
    psi = psi / psi.sum()
    return OracleGame(base.states, base.types, psi, base.receiver_utility)


# ============================================================================ references
def acts_here(psi_t: np.ndarray, u_t: np.ndarray, column: np.ndarray) -> bool:
    """The receiver with belief weights ``psi_t`` acts on a message with this column (ties act,
    to 1e-9 of the message's probability for the type times the utility scale)."""
    eu = float(psi_t @ (u_t * column))
    mass = float(psi_t @ column)
    return eu >= -1e-9 * mass * max(float(np.abs(u_t).max()), 1e-300)


def acting_set_optimum(psi: np.ndarray, u: np.ndarray, types: tuple[int, ...]) -> float:
    """max P(type in ``types`` and act) over all messaging policies (revelation over acting sets):

    variables x[w, S] for every non-empty S subset of ``types``, obedience of each t in S on
    message S, sum_S x[w, S] <= 1. Exact for any prior (types outside S may act too, which only
    adds payoff, so the optimum is the same)."""
    types = tuple(t for t in types if psi[:, t].sum() > 0)
    if not types:
        return 0.0
    W = psi.shape[0]
    subsets = [S for r in range(1, len(types) + 1) for S in itertools.combinations(types, r)]
    n = len(subsets)
    c = np.zeros(W * n)  # x[w, k] at k * W + w
    rows = []
    for k, S in enumerate(subsets):
        c[k * W : (k + 1) * W] = -psi[:, list(S)].sum(axis=1)
        for t in S:
            a = psi[:, t] * u[:, t]
            r = np.zeros(W * n)
            r[k * W : (k + 1) * W] = -a / max(float(np.abs(a).max()), 1e-300)
            rows.append(r)
    for w in range(W):
        r = np.zeros(W * n)
        r[w::W] = 1.0
        rows.append(r)
    b = np.r_[np.zeros(len(rows) - W), np.ones(W)]
    scale = max(float(-c.min()), 1e-300)
    res = linprog(c / scale, A_ub=np.array(rows), b_ub=b, bounds=(0, 1), method="highs")
    assert res.status == 0
    return float(-res.fun) * scale


def refs(og: OracleGame):
    psi, u = og.joint_prior, og.receiver_utility

    @cache
    def opt(types: tuple[int, ...]) -> float:
        return acting_set_optimum(psi, u, types)

    T = og.n_types
    known = sum(opt((t,)) for t in range(T))
    return opt, known, opt(tuple(range(T)))


def executed_value(og: OracleGame, plan, *, simulated=None) -> float:
    """Run ``plan`` for every true type of positive mass; each threshold is realised with
    ``threshold_query`` and answered here. Returns P(act) minus the query costs paid.

    ``simulated``: optional ``(T, T)`` law of the type whose answers the oracle gives, per true
    type (noisy oracle); with it the leaf policy is the robust one of ``simulated[1]`` (delta).
    """
    psi, u, P = og.joint_prior, og.receiver_utility, og.type_marginal
    T = og.n_types
    costs = np.zeros(T) if plan.costs is None else np.r_[0.0, plan.costs]
    law = np.eye(T) if simulated is None else simulated[0]
    total = 0.0
    for true in range(T):
        if P[true] == 0:
            continue
        for sim in range(T):
            if law[true, sim] == 0:
                continue
            assert P[sim] > 0, "a type of zero mass was simulated"
            answers, paid = {}, 0.0
            node = plan.tree
            while not node.is_leaf:
                t = node.threshold
                yes = acts_here(psi[:, sim], u[:, sim], threshold_query(og, t).column)
                assert yes == (sim >= t), f"threshold {t} routes type {sim} wrongly"
                answers[t] = yes
                paid += costs[t]
                node = node.above if yes else node.below
            if not plan.adaptive:  # every threshold is asked
                for t in plan.thresholds:
                    col = threshold_query(og, t).column
                    assert acts_here(psi[:, sim], u[:, sim], col) == (sim >= t)
                paid = float(costs[list(plan.thresholds)].sum())
            assert node.lo <= sim <= node.hi
            if simulated is not None:
                scheme = robust_leaf(og, node.lo, node.hi, simulated[1]).scheme
            else:
                leaf = node.leaf if node.leaf is not None else interval_policy(og, node.lo, node.hi)
                scheme = leaf.scheme
            pay = sum(
                float(psi[:, true] @ scheme[:, m])
                for m in range(scheme.shape[1])
                if acts_here(psi[:, true], u[:, true], scheme[:, m])
            )
            total += law[true, sim] * (pay - P[true] * paid)
    return total


def check_plan(og: OracleGame, plan, known: float, no_query: float) -> None:
    assert abs(plan.known_type_value - known) < LP_TOL
    assert abs(plan.no_query_value - no_query) < LP_TOL
    assert plan.no_query_value - TOL <= plan.value <= plan.known_type_value + TOL, plan.method
    assert abs(plan.value - evaluate_plan(og, plan)) < TOL, plan.method
    assert abs(plan.value - executed_value(og, plan)) < TOL, plan.method
    assert np.isfinite([plan.value, plan.known_type_value, plan.no_query_value]).all()


def best_tree_value(og: OracleGame, opt, depth: int) -> float:
    """Best adaptive plan with at most ``depth`` queries, by enumerating trees of realisable
    thresholds and grouping types by their answers."""
    T = og.n_types
    allowed = {t for t in range(1, T) if realisable_thresholds(og)[t - 1]}

    def ok(tree):
        return tree is None or (tree[0] in allowed and ok(tree[1]) and ok(tree[2]))

    best = -np.inf
    for tree in all_trees(T, depth):
        if not ok(tree):
            continue
        groups: dict[tuple, list[int]] = {}
        for typ in range(T):
            node, path = tree, []
            while node is not None:
                path.append(typ >= node[0])
                node = node[2] if typ >= node[0] else node[1]
            groups.setdefault(tuple(path), []).append(typ)
        best = max(best, sum(opt(tuple(g)) for g in groups.values()))
    return best


# ============================================================================ tests
def _planner_invariants(og: OracleGame, costs_frac: float) -> None:
    opt, known, no_query = refs(og)
    T = og.n_types
    costs = np.full(max(T - 1, 0), costs_frac) * np.linspace(0.5, 1.5, max(T - 1, 0))
    for K in (0, 1, 2):
        for adaptive in (True, False):
            plan = plan_queries(og, K, adaptive=adaptive)
            check_plan(og, plan, known, no_query)
            if adaptive:  # optimal among adaptive plans of depth K (Lemma 3.5)
                assert abs(plan.value - best_tree_value(og, opt, K)) < LP_TOL
            check_plan(og, plan_queries(og, K, adaptive=adaptive, policies=False), known, no_query)
        check_plan(og, greedy_plan(og, K), known, no_query)
    check_plan(og, plan_queries(og), known, no_query)
    if T > 1:
        for adaptive in (True, False):
            check_plan(og, plan_queries(og, costs=costs, adaptive=adaptive), known, no_query)
            check_plan(og, plan_queries(og, 1, costs=costs, adaptive=adaptive), known, no_query)
        check_plan(og, greedy_plan(og, costs=costs), known, no_query)
        check_plan(og, greedy_plan(og, 1, costs=costs), known, no_query)
    # a plan whose every query is answered gets at most the known-type value; with
    # ceil(log2 T) queries (and all thresholds realisable) it reaches it
    assert plan_queries(og, T).value <= known + LP_TOL


@settings(max_examples=180, **SETTINGS)
@given(games(), st.sampled_from([0.0, 0.001, 0.02, 0.2]))
def test_planners_earn_their_value(og, costs_frac):
    _planner_invariants(og, costs_frac)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("ORACLE_LONG_TESTS"), reason="set ORACLE_LONG_TESTS=1 (about 40 s)"
)
@settings(max_examples=1500, **SETTINGS)
@given(games(), st.sampled_from([0.0, 0.001, 0.02, 0.2]))
def test_planners_earn_their_value_long(og, costs_frac):
    _planner_invariants(og, costs_frac)


@settings(max_examples=120, **SETTINGS)
@given(
    games(),
    st.sampled_from([0.05, 0.2, 0.34, 0.5, 1.0]),
    st.integers(0, 3),
    st.booleans(),
    st.booleans(),
)
def test_rounded_plans_earn_their_value(og, eps, K, adaptive, with_costs):
    _, known, no_query = refs(og)
    T = og.n_types
    costs = np.linspace(0.001, 0.01, T - 1) if with_costs and T > 1 else None
    plan = plan_queries(og, K if not with_costs else None, adaptive=adaptive, costs=costs, eps=eps)
    check_plan(og, plan, known, no_query)
    assert plan.info["eps"] == eps
    # the value is the best of the lifted plan and of not asking, each earned on og
    if "fallback" in plan.info:
        assert plan.info["lifted_value"] < plan.no_query_value == plan.value
    else:
        assert plan.value == plan.info["lifted_value"] >= plan.no_query_value


def noisy_law(og: OracleGame, delta: float, eta: float) -> np.ndarray:
    """Law of the simulated type per true type (B6), written here: uniform over the types of
    positive mass within delta in quantile w.p. 1 - eta, uniform over all of them w.p. eta."""
    P = og.type_marginal
    F = np.cumsum(P)
    pos = P > 0
    T = og.n_types
    law = np.zeros((T, T))
    for t in range(T):
        if not pos[t]:
            continue
        near = pos & (np.abs(F - F[t]) <= delta + 1e-12)
        law[t] = (1 - eta) * near / near.sum() + eta * pos / pos.sum()
    return law


@settings(max_examples=100, **SETTINGS)
@given(
    games(),
    st.sampled_from([0.0, 0.05, 0.2]),
    st.sampled_from([0.0, 0.1, 0.5]),
    st.integers(0, 2),
    st.booleans(),
)
def test_noisy_payoff_is_what_the_plan_earns(og, delta, eta, K, robust):
    _, known, _ = refs(og)
    plan = plan_queries(og, K)
    value = noisy_payoff(og, plan, delta, eta, robust=robust)
    law = noisy_law(og, delta, eta)
    expected = executed_value(og, plan, simulated=(law, delta if robust else 0.0))
    assert abs(value - expected) < TOL
    assert -TOL <= value <= known + LP_TOL
    if delta == 0 and eta == 0:
        assert abs(value - plan.value) < TOL


@settings(max_examples=60, **SETTINGS)
@given(games(max_w=3, max_t=4), st.integers(0, 2))
def test_partition_queries_brute_force(og, K):
    opt, known, no_query = refs(og)
    T = og.n_types
    parts = [p for p in set_partitions(range(T)) if len(p) > 1]

    @cache
    def value(S: frozenset, k: int) -> float:
        best = opt(tuple(sorted(S)))
        if k == 0:
            return best
        for q in parts:
            pieces = [S & frozenset(b) for b in q]
            if sum(1 for p in pieces if p) > 1:
                best = max(best, sum(value(p, k - 1) for p in pieces if p))
        return best

    v = solve_partition_queries(og, K).value
    assert abs(v - value(frozenset(range(T)), K)) < LP_TOL
    assert no_query - LP_TOL <= v <= known + LP_TOL
    assert v >= plan_queries(og, K).value - LP_TOL  # thresholds are partitions


def multi_known(game: MultiActionOracleGame, t: int) -> float:
    """Known-type optimum of type t, P(t)-weighted (revelation LP written here)."""
    p = game.joint_prior[:, t]
    if p.sum() == 0:
        return 0.0
    q = p / p.sum()
    u, v = game.receiver_utility[:, t, :], game.sender_utility
    W, A = u.shape
    rows = []
    for a, b in itertools.permutations(range(A), 2):
        r = np.zeros((W, A))
        r[:, a] = -q * (u[:, a] - u[:, b])
        rows.append(r.ravel())
    res = linprog(
        -(q[:, None] * v).ravel(),
        A_ub=np.array(rows),
        b_ub=np.zeros(len(rows)),
        A_eq=np.kron(np.eye(W), np.ones(A)),
        b_eq=np.ones(W),
        bounds=(0, None),
        method="highs",
    )
    assert res.status == 0
    return float(-res.fun) * p.sum()


@settings(max_examples=60, **SETTINGS)
@given(
    st.integers(0, 2**20),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(2, 3),
    st.lists(st.sampled_from([1.0, 0.0, 1e-12]), min_size=4, max_size=4),
    st.integers(0, 2),
    st.sampled_from(["random", "greedy"]),
)
def test_multiaction_payoff_bounded_by_known_type(seed, W, T, A, scales, K, querier):
    g = MultiActionOracleGame.random(W, T, A, seed=seed)
    psi = g.joint_prior * np.array(scales[:T])[None, :]
    assume(psi.sum() > 1e-3)
    g = MultiActionOracleGame(psi / psi.sum(), g.receiver_utility, g.sender_utility)
    P = g.joint_prior.sum(axis=0)
    for t in range(T):
        got = play_multiaction(g, t, K, querier=querier, seed=seed)
        if P[t] == 0:
            assert got == 0.0
            continue
        # conditional payoff of type t: at least 0 (utilities >= 0), at most its known-type value
        assert -TOL <= got <= multi_known(g, t) / P[t] + 1e-7
        # the known-type scheme itself is obeyed: its payoff is the LP optimum
        s = g.known_type_scheme(t)
        assert abs(g.payoff(s, [t]) - multi_known(g, t)) < 1e-7 * max(P[t], 1e-300) + 1e-15


# ============================================================================ reproducers
def test_zero_mass_type_reproducer():
    og = OracleGame.binary_thresholds(0.3, [0.8, 0.6, 0.4], [0.5, 0.0, 0.5])
    plan = plan_queries(og, budget=0)
    # no query: with h0 (h2) of the high state's mass on a message that both types (only the
    # theta = 0.4 type) obey, posteriors 0.8 and 0.4 give 1.25 (h0 + h2) = 0.375; the zero-mass
    # theta = 0.6 type's vacuous obedience must not let the theta = 0.4 type "act" at posterior 0.3
    assert abs(plan.value - 0.375) < 1e-9
    assert abs(plan.known_type_value - (0.5 * 0.3 / 0.8 + 0.5 * 0.3 / 0.4)) < 1e-9
    assert abs(evaluate_plan(og, plan) - plan.value) < 1e-12
    assert abs(plan_queries(og, budget=1).value - 0.5625) < 1e-9


def test_eps_reproducer_reference_values_of_original_game():
    from fractions import Fraction

    og = OracleGame.example("greedy-trap")
    plan = plan_queries(og, budget=2, eps=0.5)
    # known-type value: sum_t P(t) min(1, 0.15 / theta_t) with theta = 0.7, 0.45, 0.35, 0.1
    known = sum(
        Fraction(p) * min(Fraction(1), Fraction(15, 100) / Fraction(th))
        for p, th in [("0.2", "0.7"), ("0.3", "0.45"), ("0.4", "0.35"), ("0.1", "0.1")]
    )
    assert abs(plan.known_type_value - float(known)) < 1e-9  # 29/70
    assert abs(plan.no_query_value - refs(og)[2]) < 1e-7
    assert abs(plan.value - evaluate_plan(og, plan)) < 1e-12
    assert plan.value <= plan.known_type_value


def test_zero_mass_state_in_a_type_gives_no_vacuous_obedience():
    # type 0 lives on state 0 only; a message sent in state 1 has probability 0 for it, so its
    # obedience row reads 0 >= 0 while type 1 (u < 0 everywhere) refuses: nobody ever acts
    og = OracleGame([0.0, 1.0], [0.0, 1.0], [[0.4, 0.3], [0.0, 0.3]], [[-1, -0.8], [-0.5, -0.2]])
    for K in (0, 1):
        plan = plan_queries(og, K)
        assert plan.value == pytest.approx(0.0, abs=1e-12)  # was 0.3 with K = 0
        assert evaluate_plan(og, plan) == pytest.approx(0.0, abs=1e-12)


def test_threshold_separates_lower_types_that_do_not_see_the_message():
    # staircase supports: type 0 on state 0, type 1 on states 0-1, type 2 on states 1-2; only
    # type 2 can be persuaded. A query "type >= 2" sent in states 1-2 is never seen by type 0,
    # which would vacuously answer "yes" (the old query only made type 1 refuse)
    psi = np.array([[0.2, 0.15, 0.0], [0.0, 0.15, 0.2], [0.0, 0.0, 0.3]])
    u = np.array([[-1, -0.9, -0.8], [-0.5, -0.4, -0.3], [0.1, 0.2, 0.5]])
    og = OracleGame([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], psi, u)
    _, known, no_query = refs(og)
    assert known == pytest.approx(0.5, abs=1e-9)  # type 2 acts on everything: 0.3*0.5 >= 0.2*0.3
    for K in (0, 1, 2):
        check_plan(og, plan_queries(og, K), known, no_query)  # K = 2 was 0.65


def test_tiny_mass_thresholds_are_only_planned_when_realisable():
    # found by the long run: type 1's only state of positive utility has mass 6e-13, too little
    # to realise "type >= 1" robustly; the plan must not ask it (it raised at execution)
    og = OracleGame.from_json(
        '{"states": [1.26, 2.65, 3.79, 4.54], "types": [1.11, 2.46, 3.52], "joint_prior": '
        "[[0.0, 0.0, 0.0], [0.4218357933794571, 0.0, 0.0], [0.28429610971053454, "
        "0.29386809690900056, 0.0], [3.926100693469873e-13, 6.151224589040637e-13, "
        '1.4158474100189252e-24]], "receiver_utility": [[-0.5474743005554257, '
        "-0.42966844232454265, -0.12683800615911156], [-0.3917828961158688, "
        "-0.2662199032970922, 0.036905834702962825], [-0.2575602795903792, "
        "-0.07822737151480152, 0.2255700419376001], [-0.052233267510374326, "
        "0.14293885533517137, 0.4525256994445743]]}"
    )
    _, known, no_query = refs(og)
    for K in (0, 1, 2):
        check_plan(og, plan_queries(og, K), known, no_query)
