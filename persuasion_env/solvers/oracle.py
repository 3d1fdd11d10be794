"""Planners for the simulation-oracle game (MODEL.md B2–B5).

The sender first learns about the receiver's type with threshold queries ("is the type >= t?"),
then commits to a messaging policy for the type range the answers leave. Everything here rests
on the **interval values** ``V[i, j]`` (B2): the probability mass of "type in i..j and the
receiver acts" under the optimal messaging policy for that range,

.. code-block:: text

    V[i, j] = max  sum_{t=i..j} sum_w Psi_j[w, t] x[w, t]
              s.t. sum_w psi[w, t] u[w, t] x[w, t] >= 0        t = i..j   (type t acts on m_t)
                   sum_t x[w, t] <= 1,  x >= 0                 every w    (rest: "nobody acts")

    with Psi_j[w, t] = sum_{t'=t..j} psi[w, t'] (the types that act on message m_t).

A **non-adaptive** plan with L thresholds partitions the types into L + 1 ranges and earns the sum
of their ``V``; a prefix DP finds the best one. An **adaptive** plan with K queries has at most
``2^K`` leaves, so (Lemma 3.5) its optimum equals the non-adaptive optimum with
``min(2^K - 1, T - 1)`` thresholds, executed by binary search. With **costs** (B5) the adaptive
optimum is the interval recursion with a stop option,
``G[i, j] = max(V[i, j], max_t G[i, t-1] + G[t, j] - c_t P[i..j])``.

Type indices are 0-based: threshold ``t`` (``1 <= t <= T-1``) asks "is the type index >= t",
and ``costs[t-1]`` is its cost.

>>> from persuasion_env.oracle import OracleGame
>>> from persuasion_env.solvers.oracle import plan_queries
>>> og = OracleGame.example("three-types")
>>> round(plan_queries(og, budget=1).value, 9)
0.5
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
from scipy.optimize import linprog

from persuasion_env._validation import (
    as_float_array,
    check_bool,
    check_choice,
    check_costs,
    check_instance,
    check_int,
    check_positive,
)
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers._highs import new_highs

__all__ = [
    "ACT_ATOL",
    "LeafPolicy",
    "QueryNode",
    "QueryPlan",
    "RoundedGame",
    "ThresholdQuery",
    "acts",
    "evaluate_plan",
    "greedy_plan",
    "interval_policy",
    "interval_recursion",
    "interval_values",
    "known_type_value",
    "lift_plan",
    "nonadaptive_dp",
    "plan_queries",
    "policy_payoff",
    "realisable_thresholds",
    "round_game",
    "threshold_query",
]

#: A receiver acts when its conditional expected utility is >= -ACT_ATOL (ties act, B1).
#: LP solutions meet binding obedience rows only to solver precision.
ACT_ATOL = 1e-9
_TOL = 1e-12
_INF = highspy.kHighsInf


# ============================================================================ receiver model
def acts(og: OracleGame, scheme: Any) -> np.ndarray:
    """Which types act on which message of ``scheme`` (B1 receiver, ties act).

    Args:
        og: the game.
        scheme: ``(W, M)`` messaging policy ``sigma[w, m]`` (or one column ``(W,)``).

    Returns:
        ``(T, M)`` bool (``(T,)`` for a column): type t acts on m iff
        ``sum_w psi[w,t] u[w,t] sigma[w,m] >= 0`` (within :data:`ACT_ATOL`, relative to the
        message's probability for that type).
    """
    sigma = np.asarray(scheme, dtype=np.float64)
    col = sigma.ndim == 1
    if col:
        sigma = sigma[:, None]
    psi, u = og.joint_prior, og.receiver_utility
    eu = (psi * u).T @ sigma  # (T, M)
    mass = psi.T @ sigma  # (T, M)
    scale = np.maximum(np.abs(u).max(), 1e-300)
    out = eu >= -ACT_ATOL * scale * mass - 1e-300
    return out[:, 0] if col else out


def policy_payoff(og: OracleGame, scheme: Any, types: Any = None) -> np.ndarray:
    """Probability mass of "type t and the receiver acts" under ``scheme``, per type.

    Args:
        og: the game.
        scheme: ``(W, M)`` messaging policy (rows sum to 1).
        types: optional type indices to report (default all).

    Returns:
        ``(T,)`` (or ``(len(types),)``) ``sum_w psi[w,t] sum_m sigma[w,m] acts[t,m]``; divide
        by the type marginal for ``P(act | type t)``.
    """
    sigma = np.asarray(scheme, dtype=np.float64)
    act = acts(og, sigma)  # (T, M)
    mass = og.joint_prior.T @ sigma  # (T, M): P(type t, message m)
    out = (mass * act).sum(axis=1)
    return out if types is None else out[np.asarray(types, dtype=int)]


# ============================================================================ B2 LP
#: HiGHS drops matrix entries below its ``small_matrix_value`` (1e-9 by default) and meets
#: rows to 1e-10 here; obedience coefficients are kept at or above this magnitude.
_SMALLEST = 1e-9


def _scaled_obedience(a: np.ndarray) -> np.ndarray:
    """Obedience rows ``psi * u`` scaled to unit maximum per type, safe for HiGHS.

    A state of tiny prior mass gives a coefficient HiGHS would drop, freeing that state's
    variable: the LP value would then exceed the true optimum (seen as 1e-6 above the
    known-type bound). Tiny negative coefficients are rounded *down* to ``-_SMALLEST`` and
    tiny positive ones to 0, which can only make obedience harder: values stay exact to
    ~1e-9 and never overshoot.
    """
    scale = np.abs(a).max(axis=0)
    scale[scale == 0] = 1.0
    a_n = a / scale
    tiny = np.abs(a_n) < _SMALLEST
    return np.where(tiny, np.where(a_n < 0, -_SMALLEST, 0.0), a_n)


def _tight(h: highspy.Highs) -> None:
    """Feasibility and optimality tolerances far below HiGHS's 1e-7 default: type masses can be
    1e-4 of the largest, and the splitting property V[i,j] <= V[i,t] + V[t+1,j] must hold to
    ~1e-12 for the planners' values to respect the known-type bound."""
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    h.setOptionValue("small_matrix_value", 1e-12)


def _support_upper(psi_sub: np.ndarray) -> np.ndarray:
    """Upper bounds ``(W, n)`` of the B2 variables: message ``m_t`` is only sent in states where
    type t has positive mass (0 elsewhere, +inf otherwise).

    Why: the LP credits every type ``>= t`` with acting on ``m_t`` from type t's obedience alone
    (Lemma 2.6). That needs the message to have positive probability for type t: on a message
    type t never sees, its obedience row reads ``0 >= 0`` while higher types may refuse (a type
    of zero mass would "persuade" everyone above it). Restricting ``m_t`` to type t's support
    loses nothing: by affiliation, the part of a message outside the support of its lowest
    acting type lies above that support, where every higher type's utility is non-negative, so
    it can be sent as the message of the next type that sees it (see MODEL.md B2). A type of
    zero mass thus gets no message of its own.
    """
    return np.where(psi_sub > 0, _INF, 0.0)


def _b2_lp(psi_sub: np.ndarray, a_sub: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
    """Solve the B2 LP for the types whose columns are given (in increasing order).

    ``psi_sub``/``a_sub``: ``(W, n)`` prior and ``psi * u`` of the n types; ``weights``:
    ``(n,)`` how much of each type's mass counts in the objective (1 normally). Returns the
    value and ``x`` of shape ``(W, n)`` (column k = message "types >= k-th act").
    """
    W, n = psi_sub.shape
    cost = np.cumsum((psi_sub * weights)[:, ::-1], axis=1)[:, ::-1]  # (W, n)
    scale_obj = max(float(cost.max()), 1e-300)
    a_n = _scaled_obedience(a_sub)
    lp = highspy.HighsLp()
    lp.num_col_ = W * n
    lp.num_row_ = W + n
    lp.col_cost_ = cost.T.ravel() / scale_obj  # column index k * W + w
    lp.col_lower_ = np.zeros(W * n)
    lp.col_upper_ = _support_upper(psi_sub).T.ravel()
    lp.row_lower_ = np.r_[np.full(W, -_INF), np.zeros(n)]
    lp.row_upper_ = np.r_[np.ones(W), np.full(n, _INF)]
    lp.sense_ = highspy.ObjSense.kMaximize
    idx = np.empty(2 * W * n, dtype=np.int32)
    val = np.empty(2 * W * n)
    idx[0::2] = np.tile(np.arange(W), n)
    idx[1::2] = W + np.repeat(np.arange(n), W)
    val[0::2] = 1.0
    val[1::2] = a_n.T.ravel()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * W * n + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = idx
    lp.a_matrix_.value_ = val
    h = new_highs()
    _tight(h)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # pragma: no cover
        status = h.modelStatusToString(h.getModelStatus())
        raise RuntimeError(f"HiGHS failed on the B2 LP: {status}")
    x = np.asarray(h.getSolution().col_value).reshape(n, W).T.copy()
    x = _polish(np.clip(x, 0.0, None), a_sub)
    return float((cost * x).sum()), x


def _polish(x: np.ndarray, a_sub: np.ndarray) -> np.ndarray:
    """Make every message's obedience row hold exactly (LP solutions meet them to ~1e-9)."""
    s = x.sum(axis=1)
    over = s > 1
    if np.any(over):
        x[over] /= s[over, None]
    for k in range(x.shape[1]):
        eu = float(a_sub[:, k] @ x[:, k])
        if eu < 0:
            bad = a_sub[:, k] < 0
            neg = float(-(a_sub[bad, k] @ x[bad, k]))
            if neg > 0:
                x[bad, k] *= max(0.0, 1.0 + eu / neg) * (1 - 1e-12)
    return x


@dataclass(frozen=True, eq=False)
class LeafPolicy:
    """The optimal messaging policy (B2) for a known type range ``lo..hi``.

    Attributes:
        lo, hi: the type range (0-based, inclusive).
        value: ``V[lo, hi]``: probability mass of "type in lo..hi and the receiver acts".
        scheme: ``(W, M)`` messaging policy ``sigma[w, m]``; rows sum to 1.
        message_thresholds: ``(M,)`` for each message the lowest type (index) that acts on it;
            the last message is "nobody acts" with threshold ``hi + 1``.
        mass: ``P(type in lo..hi)``.
    """

    lo: int
    hi: int
    value: float
    scheme: np.ndarray
    message_thresholds: tuple[int, ...]
    mass: float

    @property
    def conditional_value(self) -> float:
        """``P(act | type in lo..hi)``."""
        return self.value / self.mass if self.mass > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "lo": self.lo,
            "hi": self.hi,
            "value": self.value,
            "mass": self.mass,
            "message_thresholds": list(self.message_thresholds),
            "scheme": self.scheme.tolist(),
        }


def _leaf_from_x(lo: int, hi: int, value: float, x: np.ndarray, mass: float) -> LeafPolicy:
    used = np.nonzero(x.sum(axis=0) > _TOL)[0]
    cols = x[:, used]
    rest = np.clip(1.0 - cols.sum(axis=1, keepdims=True), 0.0, 1.0)
    scheme = np.hstack([cols, rest])
    scheme.setflags(write=False)
    thresholds = tuple(int(lo + k) for k in used) + (hi + 1,)
    return LeafPolicy(lo, hi, value, scheme, thresholds, mass)


def interval_policy(og: OracleGame, lo: int, hi: int, *, weights: Any = None) -> LeafPolicy:
    """Solve the B2 LP for the type range ``lo..hi`` (Proposition 3.1).

    Args:
        og: the game.
        lo, hi: 0-based inclusive type range.
        weights: optional ``(hi - lo + 1,)`` factors in [0, 1] on each type's mass in the
            objective (used by the robust sender of B6, whose belief covers types partially);
            the obedience rows do not change.

    Returns:
        A :class:`LeafPolicy` (cached on the game when ``weights`` is None).
    """
    T = og.n_types
    lo = check_int(lo, "lo", minimum=0)
    hi = check_int(hi, "hi", minimum=lo)
    if hi >= T:
        raise ValueError(f"hi must be < T = {T}, got {hi}")
    key = ("leaf", lo, hi)
    if weights is None:
        cached = og._cache.get(key)
        if cached is not None:
            return cached
        wts = np.ones(hi - lo + 1)
    else:
        wts = as_float_array(weights, "weights", ndim=1)
        if wts.size != hi - lo + 1 or np.any(wts < 0) or np.any(wts > 1 + 1e-12):
            raise ValueError("weights must have one entry in [0, 1] per type of the range")
    psi = og.joint_prior[:, lo : hi + 1]
    a = psi * og.receiver_utility[:, lo : hi + 1]
    value, x = _b2_lp(psi, a, wts)
    leaf = _leaf_from_x(lo, hi, value, x, float((psi * wts).sum()))
    if weights is None:
        og._cache[key] = leaf
    return leaf


def known_type_value(og: OracleGame) -> float:
    """The sender's value if she knew the type: ``sum_t V[t, t]`` (an upper bound for any plan)."""
    V = interval_values(og)
    return float(np.trace(V))


# ============================================================================ interval table
def _nested_column(psi: np.ndarray, a_n: np.ndarray, j: int) -> np.ndarray:
    """``V[:j+1, j]`` by one warm-started HiGHS model: extend the range i..j downwards.

    Going from ``i+1..j`` to ``i..j`` keeps every objective coefficient (``Psi_j`` does not
    depend on i) and adds the block of message ``m_i`` (W columns, one obedience row). The old
    optimal basis stays primal feasible, so the simplex resumes from it.
    """
    W = psi.shape[0]
    cost = np.cumsum(psi[:, : j + 1][:, ::-1], axis=1)[:, ::-1]
    scale = max(float(cost.max()), 1e-300)
    cost = cost / scale
    out = np.zeros(j + 1)
    h = new_highs()
    _tight(h)
    h.setOptionValue("presolve", "off")
    # Each step adds columns, so the last basis stays primal feasible: primal simplex resumes
    # from it (about 25% faster than HiGHS's default choice here).
    h.setOptionValue("simplex_strategy", 4)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    empty_i = np.array([], dtype=np.int32)
    h.addRows(W, np.full(W, -_INF), np.ones(W), 0, empty_i, empty_i, np.array([]))
    starts = np.arange(0, 2 * W, 2, dtype=np.int32)
    idx = np.empty(2 * W, dtype=np.int32)
    idx[0::2] = np.arange(W)
    vals = np.empty(2 * W)
    vals[0::2] = 1.0
    lower = np.zeros(W)
    upper = _support_upper(psi[:, : j + 1])
    value = 0.0
    for i in range(j, -1, -1):
        if not np.any(psi[:, i] > 0):
            # a type of zero mass sends no message of its own (see _support_upper): same LP
            out[i] = value
            continue
        r = h.getNumRow()
        h.addRow(0.0, _INF, 0, empty_i, np.array([]))
        idx[1::2] = r
        vals[1::2] = a_n[:, i]
        h.addCols(W, cost[:, i], lower, upper[:, i], 2 * W, starts, idx, vals)
        h.run()
        value = h.getInfo().objective_function_value * scale
        out[i] = value
    return out


def _nested_columns(args: tuple[np.ndarray, np.ndarray, list[int]]) -> list[np.ndarray]:
    psi, a_n, js = args
    return [_nested_column(psi, a_n, j) for j in js]


def interval_values(og: OracleGame, *, method: str = "nested", n_jobs: int = 1) -> np.ndarray:
    """The table of interval values ``V[i, j]`` (B2) for all ``0 <= i <= j < T``.

    Args:
        og: the game.
        method: ``"nested"`` (default): one warm-started HiGHS model per right end j, extended
            one type at a time to the left (exact, several times faster than from scratch);
            ``"plain"``: every range's LP solved from scratch with ``scipy.optimize.linprog``.
        n_jobs: worker processes for ``"nested"`` (columns j are split between them).

    Returns:
        ``(T, T)`` float array, ``-inf`` below the diagonal. Cached on the game (read-only).
    """
    check_instance(og, OracleGame, "og")
    check_choice(method, "method", ("nested", "plain"), listed=False)
    n_jobs = check_int(n_jobs, "n_jobs", minimum=1)
    cached = og._cache.get("V")
    if cached is not None:
        return cached
    psi = og.joint_prior
    a = psi * og.receiver_utility
    T = og.n_types
    V = np.full((T, T), -np.inf)
    if method == "plain":
        for i in range(T):
            for j in range(i, T):
                V[i, j] = _plain_lp_value(psi[:, i : j + 1], a[:, i : j + 1])
    else:
        a_n = _scaled_obedience(a)
        if n_jobs == 1 or T < 16:
            for j in range(T):
                V[: j + 1, j] = _nested_column(psi, a_n, j)
        else:
            # balance the work (about j^2 per column) over the workers
            chunks: list[list[int]] = [[] for _ in range(n_jobs)]
            load = [0.0] * n_jobs
            for j in range(T - 1, -1, -1):
                k = int(np.argmin(load))
                chunks[k].append(j)
                load[k] += (j + 1) ** 2
            with ProcessPoolExecutor(max_workers=n_jobs) as pool:
                results = pool.map(_nested_columns, [(psi, a_n, c) for c in chunks])
                for js, cols in zip(chunks, results, strict=True):
                    for j, col in zip(js, cols, strict=True):
                        V[: j + 1, j] = col
    # splitting never hurts, and values are probabilities: clean solver dust
    upper = np.triu(np.ones((T, T), dtype=bool))
    V[upper] = np.clip(V[upper], 0.0, None)
    V.setflags(write=False)
    og._cache["V"] = V
    return V


def _plain_lp_value(psi_sub: np.ndarray, a_sub: np.ndarray) -> float:
    """The B2 LP of one range from scratch with ``scipy.optimize.linprog`` (reference)."""
    W, n = psi_sub.shape
    cost = np.cumsum(psi_sub[:, ::-1], axis=1)[:, ::-1]
    scale = max(float(cost.max()), 1e-300)
    cost = cost / scale  # rows and objective scaled to O(1): tolerances are absolute
    A_ub = np.zeros((n + W, n * W))
    for k in range(n):
        A_ub[k, k * W : (k + 1) * W] = -a_sub[:, k] / max(float(np.abs(a_sub[:, k]).max()), 1e-300)
    for w in range(W):
        A_ub[n + w, w::W] = 1.0
    b_ub = np.r_[np.zeros(n), np.ones(W)]
    ub = np.where(_support_upper(psi_sub) > 0, None, 0.0).T.ravel()
    bounds = [(0.0, b) for b in ub]
    res = linprog(-cost.T.ravel(), A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status != 0:  # pragma: no cover
        raise RuntimeError(f"linprog failed on the B2 LP: {res.message}")
    return float(-res.fun) * scale


# ============================================================================ thresholds (B3)
@dataclass(frozen=True, eq=False)
class ThresholdQuery:
    """A threshold query "is the type >= t?" realised as a real simulation query (B3).

    Attributes:
        threshold: t (0-based; types ``>= t`` act, types ``< t`` refuse).
        column: ``(W,)`` the message's column ``x[w] = sigma(m | w)``.
        scheme: ``(W, 2)`` a full messaging policy: message 0 has ``column``, message 1 the rest.
        message: 0, the message the oracle is asked about.
        margin: the refusal margin ``-sum_w psi[w,s] u[w,s] x[w] / P(s)`` of ``s``, the highest
            type of positive mass below t.
    """

    threshold: int
    column: np.ndarray
    scheme: np.ndarray
    message: int
    margin: float


def _threshold_neighbours(og: OracleGame, t: int) -> tuple[int, int] | None:
    """The types that threshold t really separates: the highest type of positive mass below t
    and the lowest of positive mass at or above t (None if one side has no mass: the answer is
    then known in advance). Types of zero mass never occur, so "type >= t" means "type >= t+"."""
    pos = og.type_marginal > 0
    below = np.nonzero(pos[:t])[0]
    above = np.nonzero(pos[t:])[0]
    if below.size == 0 or above.size == 0:
        return None
    return int(below[-1]), int(t + above[0])


def _refusal_margins(og: OracleGame) -> np.ndarray:
    """For each threshold t = 1..T-1, max over x in [0,1]^W of the refusal margin of ``t-``
    (the highest type of positive mass below t) subject to ``t+`` (the lowest of positive mass
    at or above t) acting; 0 if one side has no mass (closed form: a one-row LP, solved through
    its 1-D dual)."""
    cached = og._cache.get("margins")
    if cached is not None:
        return cached
    psi, u = og.joint_prior, og.receiver_utility
    P = np.maximum(psi.sum(axis=0), 1e-300)
    e = psi * u / P  # conditional expected-utility contributions (W, T)
    T = og.n_types
    out = np.zeros(max(T - 1, 0))
    for t in range(1, T):
        pair = _threshold_neighbours(og, t)
        if pair is None:
            continue
        c = -e[:, pair[0]]  # maximise c.x
        g = e[:, pair[1]]  # subject to g.x >= 0, 0 <= x <= 1
        # dual: min_{lam >= 0} sum_w max(0, c_w + lam g_w); convex piecewise linear in lam
        with np.errstate(divide="ignore", invalid="ignore"):
            bps = np.where(g != 0, -c / g, np.nan)
        cand = np.r_[0.0, bps[np.isfinite(bps) & (bps > 0)]]
        vals = np.maximum(0.0, c[None, :] + cand[:, None] * g[None, :]).sum(axis=1)
        # t+ must be able to act on a message it sees (threshold_query keeps it strictly
        # willing): a type with no state of positive utility only ever acts vacuously, on
        # messages it never receives, and then higher types need not act (it never acts, so
        # grouping it with either side loses nothing)
        out[t - 1] = float(vals.min()) if g.max() > 0 else 0.0
    og._cache["margins"] = out
    return out


def realisable_thresholds(og: OracleGame) -> np.ndarray:
    """``(T-1,)`` bool: whether threshold t = 1..T-1 can be asked (B3).

    A threshold cannot be realised when the types of positive mass next to it on both sides
    act identically on every column (they may then be merged), or when one side has no mass
    (the answer is known in advance); planners never ask such thresholds. A threshold counts
    as realisable only if :func:`threshold_query` realises it (the closed-form margin is a
    quick filter; the query LP decides, so that every threshold a plan asks can be executed,
    also when tiny masses make the margin too small to realise robustly).
    """
    cached = og._cache.get("realisable")
    if cached is not None:
        return cached
    ok = _refusal_margins(og) > 1e-10
    for t in np.nonzero(ok)[0] + 1:
        try:
            threshold_query(og, int(t))
        except ValueError:
            ok[t - 1] = False
    ok.setflags(write=False)
    og._cache["realisable"] = ok
    return ok


def threshold_query(
    og: OracleGame, threshold: int, *, accept_margin: float = 1e-3
) -> ThresholdQuery:
    """Realise "is the type >= t?" as a (scheme, message) pair (B3).

    Solves the LP over ``x in [0,1]^W`` that maximises the refusal margin ``m`` of every type
    of positive mass below t subject to ``t+``, the lowest type of positive mass at or above t,
    accepting: ``sum_w e[w,t+] x_w >= accept_margin * m`` and ``sum_w e[w,s] x_w <= -m`` for
    each such ``s < t``, with ``e = psi u / P(type)``. The small acceptance margin keeps ``t+``
    strictly willing, so the answer is robust to floating-point rounding. Every lower type gets
    its own row because a type that never sees the message (zero mass on its states) would
    vacuously act on it; by Lemma 2.6 every type ``>= t+`` acts (those that see the message
    because ``t+`` does, the others vacuously). Types of zero mass never occur and may answer
    either way.

    Raises:
        ValueError: if ``threshold`` is not in 1..T-1, or it cannot be realised (the types of
            positive mass on its two sides act identically on every column, or one side has no
            mass).
    """
    T = og.n_types
    t = check_int(threshold, "threshold")
    if not 1 <= t <= T - 1:
        raise ValueError(f"threshold must be in 1..T-1 = 1..{T - 1}, got {t}")
    key = ("query", t, float(accept_margin))
    cached = og._cache.get(key)
    if cached is not None:
        return cached
    pair = _threshold_neighbours(og, t)
    if pair is None:
        raise ValueError(
            f"threshold {t} cannot be realised: the types on one side of it have zero mass "
            "(its answer is known in advance)"
        )
    psi, u = og.joint_prior, og.receiver_utility
    P = og.type_marginal
    e = psi * u / np.maximum(P, 1e-300)
    lower = [s for s in range(t) if P[s] > 0]
    x = _separating_column(e, pair[1], lower, accept_margin, scaled=False)
    if x is None:
        # badly scaled rows (tiny masses) can leave the LP's answer violating a row within the
        # solver's tolerance: retry with rows scaled to unit maximum and tight tolerances
        x = _separating_column(e, pair[1], lower, accept_margin, scaled=True)
    if x is None:
        raise ValueError(
            f"threshold {t} cannot be realised: types {pair[0]} and {pair[1]} act identically "
            "on every message, or too nearly so to separate in floating point (merge them)"
        )
    scheme = np.stack([x, 1.0 - x], axis=1)
    x.setflags(write=False)
    scheme.setflags(write=False)
    q = ThresholdQuery(t, x, scheme, 0, float(-e[:, pair[0]] @ x))
    og._cache[key] = q
    return q


def _separating_column(
    e: np.ndarray, above: int, lower: list[int], accept_margin: float, *, scaled: bool
) -> np.ndarray | None:
    """The query LP of :func:`threshold_query`; None unless its column really separates (type
    ``above`` strictly willing, every type of ``lower`` strictly refusing, in floating point)."""
    W = e.shape[0]
    rows = [-e[:, above]] + [e[:, s] for s in lower]
    if scaled:
        rows = [r / max(float(np.abs(r).max()), 1e-300) for r in rows]
    c = np.r_[np.zeros(W), -1.0]  # variables: x (W), m;  maximise m
    A_ub = np.vstack([np.r_[rows[0], accept_margin]] + [np.r_[r, 1.0] for r in rows[1:]])
    options = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(A_ub.shape[0]),
        bounds=[(0, 1)] * W + [(None, 1.0)],
        method="highs",
        options=options if scaled else None,
    )
    if res.status != 0 or -res.fun <= 1e-10:
        return None
    x = np.clip(res.x[:W], 0.0, 1.0)
    if not (e[:, above] @ x > 0 and all(e[:, s] @ x < 0 for s in lower)):
        return None
    return x


# ============================================================================ plans
@dataclass(frozen=True, eq=False)
class QueryNode:
    """A node of a query tree: a leaf (``threshold is None``) or a query with two children.

    Attributes:
        lo, hi: the type range known at this node.
        threshold: the threshold asked here ("type >= threshold?"), or None at a leaf.
        below: subtree for the answer "no" (range ``lo..threshold-1``).
        above: subtree for the answer "yes" (range ``threshold..hi``).
        leaf: the committed :class:`LeafPolicy` at a leaf (None when policies were skipped).
    """

    lo: int
    hi: int
    threshold: int | None = None
    below: QueryNode | None = None
    above: QueryNode | None = None
    leaf: LeafPolicy | None = None

    @property
    def is_leaf(self) -> bool:
        return self.threshold is None

    @property
    def depth(self) -> int:
        if self.is_leaf:
            return 0
        return 1 + max(self.below.depth, self.above.depth)  # type: ignore[union-attr]

    def leaves(self) -> list[QueryNode]:
        if self.is_leaf:
            return [self]
        return self.below.leaves() + self.above.leaves()  # type: ignore[union-attr]

    def to_dict(self) -> dict[str, Any]:
        if self.is_leaf:
            return {"range": [self.lo, self.hi]}
        return {
            "range": [self.lo, self.hi],
            "threshold": self.threshold,
            "below": self.below.to_dict(),  # type: ignore[union-attr]
            "above": self.above.to_dict(),  # type: ignore[union-attr]
        }


@dataclass(frozen=True, eq=False)
class QueryPlan:
    """A querying policy and the messaging policy at each of its leaves.

    Attributes:
        value: the sender's expected payoff: ``P(receiver acts)`` minus the expected query
            cost.
        thresholds: sorted threshold type indices the plan may ask (each in 1..T-1).
        tree: the query tree (for a non-adaptive plan: the binary search over ``thresholds``;
            the plan nevertheless asks every threshold).
        leaves: the leaf policies, by increasing type range.
        adaptive: whether later queries depend on earlier answers.
        budget: the query budget (None when unlimited).
        costs: ``(T-1,)`` query costs, or None.
        gross_value: ``P(receiver acts)``.
        expected_cost: expected total query cost.
        known_type_value: ``sum_t V[t, t]``, the value with a perfectly informed sender.
        no_query_value: ``V[0, T-1]``.
        method: ``"dp"``, ``"greedy"``, ``"rounded-dp"`` ...
        info: extra facts (e.g. the rounded game's value and ``eps`` for rounded plans).
    """

    value: float
    thresholds: tuple[int, ...]
    tree: QueryNode
    leaves: tuple[LeafPolicy | None, ...]
    adaptive: bool
    budget: int | None
    costs: np.ndarray | None
    gross_value: float
    expected_cost: float
    known_type_value: float
    no_query_value: float
    method: str = "dp"
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        """The largest number of queries asked on any path (all thresholds if non-adaptive)."""
        return self.tree.depth if self.adaptive else len(self.thresholds)

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        """The leaf type ranges, in increasing order."""
        return tuple((n.lo, n.hi) for n in self.tree.leaves())

    def next_query(self, lo: int, hi: int) -> int | None:
        """The next threshold to ask when the answers so far leave ``lo..hi`` (None: commit)."""
        node = self.tree
        while not node.is_leaf:
            if node.lo == lo and node.hi == hi:
                return node.threshold
            t = node.threshold
            node = node.above if lo >= t else node.below  # type: ignore[assignment,operator]
            if node is None:  # pragma: no cover
                break
        return None

    def leaf_for(self, lo: int, hi: int) -> LeafPolicy | None:
        """The leaf policy whose range contains ``lo..hi``."""
        for leaf_node in self.tree.leaves():
            if leaf_node.lo <= lo and hi <= leaf_node.hi:
                return leaf_node.leaf
        return None

    def execute(self, oracle: Any, og: OracleGame | None = None) -> LeafPolicy | None:
        """Run the plan against an oracle and return the committed leaf policy.

        Each threshold is realised as a real query (:func:`threshold_query`) and answered by
        ``oracle.query(scheme, message)``; the plan never sees the hidden type. A non-adaptive
        plan asks all its thresholds.

        Args:
            oracle: an object with ``query(scheme, message) -> bool`` (e.g.
                :class:`persuasion_env.oracle.SimulationOracle`) and a ``game`` attribute.
            og: the game (default ``oracle.game``).
        """
        game = og if og is not None else oracle.game
        lo, hi = 0, game.n_types - 1
        if self.adaptive:
            node = self.tree
            while not node.is_leaf:
                q = threshold_query(game, node.threshold)  # type: ignore[arg-type]
                yes = bool(oracle.query(q.scheme, q.message))
                node = node.above if yes else node.below  # type: ignore[assignment]
            return node.leaf
        for t in self.thresholds:
            q = threshold_query(game, t)
            if oracle.query(q.scheme, q.message):
                lo = max(lo, t)
            else:
                hi = min(hi, t - 1)
        return self.leaf_for(lo, hi)

    def to_dict(self, *, schemes: bool = False) -> dict[str, Any]:
        """JSON-ready summary (leaf schemes included with ``schemes=True``)."""
        leaves = []
        for n in self.tree.leaves():
            entry: dict[str, Any] = {"range": [n.lo, n.hi]}
            if n.leaf is not None:
                entry.update(
                    value=n.leaf.value,
                    mass=n.leaf.mass,
                    message_thresholds=list(n.leaf.message_thresholds),
                )
                if schemes:
                    entry["scheme"] = n.leaf.scheme.tolist()
            leaves.append(entry)
        return {
            "value": self.value,
            "thresholds": list(self.thresholds),
            "adaptive": self.adaptive,
            "budget": self.budget,
            "costs": None if self.costs is None else self.costs.tolist(),
            "gross_value": self.gross_value,
            "expected_cost": self.expected_cost,
            "known_type_value": self.known_type_value,
            "no_query_value": self.no_query_value,
            "depth": self.depth,
            "method": self.method,
            "tree": self.tree.to_dict(),
            "leaves": leaves,
            **{k: v for k, v in self.info.items() if isinstance(v, int | float | str)},
        }


def _effective_costs(og: OracleGame, costs: np.ndarray | None) -> np.ndarray:
    """``(T,)`` cost per threshold index (entry 0 unused); +inf where not realisable."""
    T = og.n_types
    c = np.zeros(T)
    if costs is not None:
        c[1:] = costs
    c[0] = np.inf
    if T > 1:
        c[1:][~realisable_thresholds(og)] = np.inf
    return c


def nonadaptive_dp(
    V: np.ndarray, n_thresholds: int, cost: np.ndarray | None = None
) -> tuple[float, list[int]]:
    """Best partition of ``0..T-1`` into at most ``n_thresholds + 1`` ranges (B3 prefix DP).

    ``F[l][j] = max(F[l-1][j], max_{1 <= i <= j} F[l-1][i-1] + V[i, j] - cost[i])``,
    ``F[0][j] = V[0, j]``, in ``O(L T^2)``.

    Args:
        V: ``(T, T)`` interval values.
        n_thresholds: L >= 0.
        cost: optional ``(T,)`` cost of threshold i (entry 0 ignored; inf forbids).

    Returns:
        ``(value, thresholds)`` with the sorted thresholds used (fewest among ties).
    """
    T = V.shape[0]
    L = min(check_int(n_thresholds, "n_thresholds", minimum=0), T - 1)
    c = np.zeros(T) if cost is None else np.asarray(cost, dtype=np.float64)
    F = V[0].copy()  # F[j] with <= l thresholds
    choices: list[np.ndarray] = []  # per level: start i of the last range (0: no new cut)
    Vc = np.where(np.isfinite(V), V, -np.inf)
    for _ in range(L):
        cand = F[:-1][:, None] + Vc[1:, :] - c[1:, None]  # (i-1 -> rows), columns j
        cand = np.where(np.triu(np.ones((T - 1, T), dtype=bool), k=1), cand, -np.inf)
        best_i = np.argmax(cand, axis=0)
        best = cand[best_i, np.arange(T)]
        improve = best > F + 1e-13
        choice = np.where(improve, best_i + 1, 0)
        F = np.where(improve, best, F)
        choices.append(choice)
    # reconstruct: walk back from j = T-1 through the levels
    thresholds: list[int] = []
    j = T - 1
    for level in range(len(choices) - 1, -1, -1):
        i = int(choices[level][j])
        if i > 0:
            thresholds.append(i)
            j = i - 1
    return float(F[T - 1]), sorted(thresholds)


def interval_recursion(
    V: np.ndarray,
    budget: int | None,
    *,
    cost: np.ndarray | None = None,
    mass: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The adaptive interval recursion (B3 check, B5 with costs).

    ``G_k[i, j] = max(V[i, j], max_{i < t <= j} G_{k-1}[i, t-1] + G_{k-1}[t, j] - c_t P[i..j])``
    with ``G_0 = V`` (budget ``k``), or its fixed point when ``budget`` is None (costly
    queries, no budget: then costs should be positive or the recursion simply splits fully).

    Args:
        V: ``(T, T)`` interval values.
        budget: K >= 0, or None for unlimited queries.
        cost: ``(T,)`` threshold costs (index 0 unused; inf forbids).
        mass: ``(T,)`` type marginal (needed with costs).

    Returns:
        ``(G, splits)``: the value table for the whole budget, and per level k = 1..K the
        ``(T, T)`` argmax threshold with k queries left (0 = stop and commit).
    """
    T = V.shape[0]
    c = np.zeros(T) if cost is None else np.asarray(cost, dtype=np.float64)
    pm = np.zeros(T) if mass is None else np.asarray(mass, dtype=np.float64)
    cum = np.r_[0.0, np.cumsum(pm)]
    levels = (T - 1) if budget is None else min(check_int(budget, "budget", minimum=0), T - 1)
    G = np.array(V, dtype=np.float64)
    splits_by_level: list[np.ndarray] = []
    for _ in range(levels):
        G_new = G.copy()
        split_new = np.zeros((T, T), dtype=np.int64)
        for d in range(1, T):
            i = np.arange(T - d)
            j = i + d
            # t = i+1 .. j  -> offsets 1..d
            offs = np.arange(1, d + 1)
            tt = i[:, None] + offs[None, :]
            left = G[i[:, None], tt - 1]
            right = G[tt, j[:, None]]
            ct = c[tt]
            forbidden = np.isinf(ct)
            pay = left + right - np.where(forbidden, 0.0, ct) * (cum[j + 1] - cum[i])[:, None]
            pay[forbidden] = -np.inf
            k = np.argmax(pay, axis=1)
            best = pay[np.arange(T - d), k]
            better = best > V[i, j] + 1e-13
            G_new[i, j] = np.where(better, best, V[i, j])
            split_new[i, j] = np.where(better, tt[np.arange(T - d), k], 0)
        splits_by_level.append(split_new)
        converged = bool(np.array_equal(G_new, G))
        G = G_new
        if converged:
            break
    G.setflags(write=False)
    return G, splits_by_level


def _tree_from_levels(
    og: OracleGame, splits: list[np.ndarray], lo: int, hi: int, k: int, policies: bool
) -> QueryNode:
    t = int(splits[k - 1][lo, hi]) if k > 0 else 0
    if t == 0:
        return QueryNode(lo, hi, leaf=interval_policy(og, lo, hi) if policies else None)
    return QueryNode(
        lo,
        hi,
        t,
        below=_tree_from_levels(og, splits, lo, t - 1, k - 1, policies),
        above=_tree_from_levels(og, splits, t, hi, k - 1, policies),
    )


def _binary_search_tree(
    og: OracleGame, thresholds: list[int], lo: int, hi: int, policies: bool
) -> QueryNode:
    inside = [t for t in thresholds if lo < t <= hi]
    if not inside:
        return QueryNode(lo, hi, leaf=interval_policy(og, lo, hi) if policies else None)
    # the median of the undecided thresholds: depth ceil(log2(len(inside) + 1))
    t = inside[(len(inside) - 1) // 2]
    return QueryNode(
        lo,
        hi,
        t,
        below=_binary_search_tree(og, inside, lo, t - 1, policies),
        above=_binary_search_tree(og, inside, t, hi, policies),
    )


def _expected_cost(node: QueryNode, cost: np.ndarray, mass: np.ndarray) -> float:
    if node.is_leaf:
        return 0.0
    p = float(mass[node.lo : node.hi + 1].sum())
    return (
        cost[node.threshold] * p  # type: ignore[index]
        + _expected_cost(node.below, cost, mass)  # type: ignore[arg-type]
        + _expected_cost(node.above, cost, mass)  # type: ignore[arg-type]
    )


def _tree_gross(node: QueryNode, V: np.ndarray) -> float:
    return float(sum(V[n.lo, n.hi] for n in node.leaves()))


def plan_queries(
    og: OracleGame,
    budget: int | None = None,
    *,
    adaptive: bool = True,
    costs: Any = None,
    eps: float | None = None,
    policies: bool = True,
    n_jobs: int = 1,
) -> QueryPlan:
    """The sender-optimal querying plan and the messaging policy at each leaf (B3–B5).

    Args:
        og: the game.
        budget: number of queries K (None: unlimited, which needs ``costs`` or means "ask
            everything useful").
        adaptive: True (default): adaptive plan; with a budget and no costs it is the optimal
            non-adaptive partition with ``min(2^K - 1, T - 1)`` thresholds run by binary search
            (Lemma 3.5); with costs, the interval recursion of B5. False: the ``K`` thresholds
            (all asked) of the prefix DP; with costs each used threshold is paid.
        costs: ``(T-1,)`` non-negative query costs, ``costs[t-1]`` for "type >= t" (B5).
        eps: if given, solve on the ε-rounded game (B4, :func:`round_game`), lift the plan back
            and report its exact value on ``og``: ``value`` is what the returned plan earns on
            ``og``, ``info["rounded_value"]`` the plan's value on the rounded game and
            ``info["lifted_value"]`` what the lifted plan earns on ``og``. If the latter is below
            the no-query value, the no-query plan is returned instead (``info["fallback"]``
            says so). ``known_type_value`` and ``no_query_value`` are those of ``og``.
        policies: compute the leaf messaging policies (skip for speed when only values matter).
        n_jobs: worker processes for the interval table.

    Returns:
        A :class:`QueryPlan`.

    Raises:
        TypeError: on a non-integer budget.
        ValueError: on a negative budget or costs, or costs of the wrong length.
    """
    check_instance(og, OracleGame, "og")
    T = og.n_types
    if budget is not None:
        budget = check_int(budget, "budget", minimum=0)
    adaptive = check_bool(adaptive, "adaptive")
    policies = check_bool(policies, "policies")
    c_in = None if costs is None else check_costs(costs, T)
    if eps is not None:
        return _rounded_plan(og, budget, adaptive=adaptive, costs=c_in, eps=eps, policies=policies)
    V = interval_values(og, n_jobs=n_jobs)
    mass = og.type_marginal
    cost = _effective_costs(og, c_in)
    known = float(np.trace(V))
    if adaptive and c_in is not None:
        _, levels = interval_recursion(V, budget, cost=cost, mass=mass)
        tree = _tree_from_levels(og, levels, 0, T - 1, len(levels), policies)
        method = "dp-costly"
    else:
        if budget is None:
            n_thr = T - 1
        elif adaptive:
            n_thr = min(2**budget - 1 if budget < 63 else T - 1, T - 1)
        else:
            n_thr = min(budget, T - 1)
        _, thresholds = nonadaptive_dp(V, n_thr, cost)
        tree = _binary_search_tree(og, thresholds, 0, T - 1, policies)
        method = "dp"
    leaves_nodes = tree.leaves()
    thresholds_all = sorted(
        {n.threshold for n in _internal_nodes(tree)}  # type: ignore[misc]
    )
    gross = _tree_gross(tree, V)
    if adaptive:
        exp_cost = _expected_cost(tree, cost, mass) if c_in is not None else 0.0
    else:
        exp_cost = float(sum(cost[t] for t in thresholds_all)) if c_in is not None else 0.0
    return QueryPlan(
        value=float(gross - exp_cost),
        thresholds=tuple(int(t) for t in thresholds_all),
        tree=tree,
        leaves=tuple(n.leaf for n in leaves_nodes),
        adaptive=adaptive,
        budget=budget,
        costs=c_in,
        gross_value=gross,
        expected_cost=exp_cost,
        known_type_value=known,
        no_query_value=float(V[0, T - 1]),
        method=method,
    )


def _internal_nodes(node: QueryNode) -> list[QueryNode]:
    if node.is_leaf:
        return []
    return [node] + _internal_nodes(node.below) + _internal_nodes(node.above)  # type: ignore[arg-type]


def greedy_plan(
    og: OracleGame, budget: int | None = None, *, costs: Any = None, policies: bool = True
) -> QueryPlan:
    """The myopic planner (baseline, not optimal: seed §3.2).

    At each range it asks the threshold with the largest immediate value
    ``V[lo, t-1] + V[t, hi] - c_t P[lo..hi]`` (ties: the lowest t), as long as budget is left
    and (with costs) the query pays for itself immediately.
    """
    check_instance(og, OracleGame, "og")
    T = og.n_types
    if budget is not None:
        budget = check_int(budget, "budget", minimum=0)
    policies = check_bool(policies, "policies")
    c_in = None if costs is None else check_costs(costs, T)
    V = interval_values(og)
    mass = og.type_marginal
    cost = _effective_costs(og, c_in)
    cum = np.r_[0.0, np.cumsum(mass)]

    def build(lo: int, hi: int, k: int | None) -> QueryNode:
        if hi > lo and (k is None or k > 0):
            ts = np.arange(lo + 1, hi + 1)
            ct = cost[ts]
            gain = (
                V[lo, ts - 1]
                + V[ts, hi]
                - np.where(np.isinf(ct), 0.0, ct) * (cum[hi + 1] - cum[lo])
            )
            gain[np.isinf(ct)] = -np.inf
            b = int(np.argmax(gain))
            ok = np.isfinite(gain[b]) and (
                gain[b] > V[lo, hi] + 1e-13 if c_in is not None else True
            )
            if ok:
                t = int(ts[b])
                nk = None if k is None else k - 1
                return QueryNode(lo, hi, t, below=build(lo, t - 1, nk), above=build(t, hi, nk))
        return QueryNode(lo, hi, leaf=interval_policy(og, lo, hi) if policies else None)

    tree = build(0, T - 1, budget if budget is not None else (None if c_in is not None else T - 1))
    gross = _tree_gross(tree, V)
    exp_cost = _expected_cost(tree, cost, mass) if c_in is not None else 0.0
    return QueryPlan(
        value=float(gross - exp_cost),
        thresholds=tuple(sorted({int(n.threshold) for n in _internal_nodes(tree)})),  # type: ignore[arg-type]
        tree=tree,
        leaves=tuple(n.leaf for n in tree.leaves()),
        adaptive=True,
        budget=budget,
        costs=c_in,
        gross_value=gross,
        expected_cost=exp_cost,
        known_type_value=float(np.trace(V)),
        no_query_value=float(V[0, T - 1]),
        method="greedy",
    )


# ============================================================================ rounding (B4)
@dataclass(frozen=True, eq=False)
class RoundedGame:
    """An ε-rounded game (B4) and the maps back to the original.

    Attributes:
        game: the rounded :class:`OracleGame`.
        state_bin: ``(W,)`` rounded state index of each original state.
        type_bin: ``(T,)`` rounded type index of each original type.
        eps: the quantile step.
    """

    game: OracleGame
    state_bin: np.ndarray
    type_bin: np.ndarray
    eps: float


def _quantile_bins(marginal: np.ndarray, eps: float) -> np.ndarray:
    """Bin of each point when rounding down to the nearest ε-quantile point."""
    F = np.cumsum(marginal)
    n = int(math.floor(1.0 / eps + 1e-12))
    ks = np.arange(n + 1) * eps
    # quantile point q_k = first index with F >= k eps (q_0 = 0)
    q = np.searchsorted(F, ks - 1e-12, side="left")
    q = np.unique(np.clip(q, 0, marginal.size - 1))
    q[0] = 0
    return np.searchsorted(q, np.arange(marginal.size), side="right") - 1


def round_game(og: OracleGame, eps: float) -> RoundedGame:
    """Round states and types down to the nearest ε-quantile of their marginals (B4).

    A rounded state is a block of consecutive states; the rounded game's utility of a block is
    the receiver's conditional expectation over it (exact for policies that treat the block's
    states alike). A rounded type is a block of consecutive types that keeps the block's mass
    but the belief and utility of its *lowest* type (of positive mass). This is a pessimistic
    variant of the seed's rounding (which keeps the block's pooled belief): by Lemma 2.6 every
    true type of a block acts whenever its rounded type does. At most ``1/ε + 1`` points per axis.

    Raises:
        ValueError: unless ``0 < eps <= 1``.
    """
    e = check_positive(eps, "eps")
    if e > 1:
        raise ValueError(f"eps must be in (0, 1], got {e}")
    sb = _quantile_bins(og.state_marginal, e)
    tb = _quantile_bins(og.type_marginal, e)
    nW, nT = int(sb.max()) + 1, int(tb.max()) + 1
    psi, u = og.joint_prior, og.receiver_utility
    P = og.type_marginal
    # each block's lowest type of positive mass (its first type if the block has no mass): a
    # type of zero mass has no belief to act on, so it cannot stand for the block
    lowest = np.array(
        [
            int(np.nonzero((tb == k) & (P > 0))[0][0])
            if np.any((tb == k) & (P > 0))
            else int(np.nonzero(tb == k)[0][0])
            for k in range(nT)
        ]
    )
    Sw = np.zeros((nW, og.n_states))
    Sw[sb, np.arange(og.n_states)] = 1.0
    St = np.zeros((og.n_types, nT))
    St[np.arange(og.n_types), tb] = 1.0
    P_bin = P @ St  # (nT,)
    # the rounded type K keeps its block's mass but the belief and utility of its lowest type
    belief = psi[:, lowest] / np.where(P[lowest] > 0, P[lowest], 1.0)  # (W, nT)
    fallback = (psi @ St) / np.where(P_bin > 0, P_bin, 1.0)
    belief = np.where((P[lowest] > 0)[None, :], belief, fallback)
    joint = belief * P_bin[None, :]  # (W, nT)
    psi_r = Sw @ joint
    num = Sw @ (joint * u[:, lowest])
    den = psi_r
    plain = (Sw @ u[:, lowest]) / Sw.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        u_r = np.where(den > 0, num / np.where(den > 0, den, 1.0), plain)
    states = np.array([og.states[sb == b].min() for b in range(nW)])
    types = og.types[lowest]
    game = OracleGame(
        states, types, psi_r, u_r, name=f"{og.name or 'game'}@eps={e:g}", check_assumptions=False
    )
    return RoundedGame(game, sb, tb, e)


def lift_plan(rg: RoundedGame, plan: QueryPlan, og: OracleGame, *, costs: Any = None) -> QueryPlan:
    """Map a plan of the rounded game back to ``og`` and evaluate it exactly there (B4).

    Args:
        rg: the rounded game.
        plan: a plan of ``rg.game``.
        og: the original game.
        costs: ``og``'s ``(T-1,)`` query costs; required when ``plan`` has costs (the rounded
            game's costs are indexed by rounded thresholds, the lifted plan pays ``og``'s).

    Raises:
        ValueError: if ``plan`` has costs and ``costs`` is missing or malformed.
    """
    og_costs = None
    if plan.costs is not None:
        if costs is None:
            raise ValueError("costs must be given (og's T-1 query costs) to lift a costly plan")
        og_costs = check_costs(costs, og.n_types)

    first_type = np.array([int(np.nonzero(rg.type_bin == k)[0][0]) for k in range(rg.game.n_types)])
    last_type = np.array([int(np.nonzero(rg.type_bin == k)[0][-1]) for k in range(rg.game.n_types)])

    def lift(node: QueryNode) -> QueryNode:
        lo, hi = int(first_type[node.lo]), int(last_type[node.hi])
        if node.is_leaf:
            leaf = None
            if node.leaf is not None:
                scheme = node.leaf.scheme[rg.state_bin]
                pay = float(policy_payoff(og, scheme)[lo : hi + 1].sum())
                leaf = LeafPolicy(
                    lo,
                    hi,
                    pay,
                    scheme,
                    tuple(
                        int(first_type[min(k, rg.game.n_types - 1)])
                        if k < rg.game.n_types
                        else hi + 1
                        for k in node.leaf.message_thresholds
                    ),
                    float(og.type_marginal[lo : hi + 1].sum()),
                )
            return QueryNode(lo, hi, leaf=leaf)
        return QueryNode(
            lo,
            hi,
            int(first_type[node.threshold]),  # type: ignore[index]
            below=lift(node.below),
            above=lift(node.above),
        )  # type: ignore[arg-type]

    tree = lift(plan.tree)
    return _finish_plan(
        og,
        tree,
        plan,
        og_costs,
        info={
            "rounded_value": plan.value,
            "eps": rg.eps,
            "rounded_types": rg.game.n_types,
            "rounded_states": rg.game.n_states,
        },
    )


def evaluate_plan(og: OracleGame, plan: QueryPlan) -> float:
    """The exact expected payoff of executing ``plan`` on ``og`` (true receivers decide).

    Raises:
        TypeError: ``og`` is not an :class:`OracleGame` or ``plan`` not a :class:`QueryPlan`.
        ValueError: ``plan`` was made for a game with another number of types.
    """
    check_instance(og, OracleGame, "og")
    check_instance(plan, QueryPlan, "plan")
    if (plan.tree.lo, plan.tree.hi) != (0, og.n_types - 1):
        raise ValueError(
            f"plan covers types {plan.tree.lo}..{plan.tree.hi} but og has {og.n_types} types "
            f"(0..{og.n_types - 1}): the plan was made for another game"
        )
    total = 0.0
    for n in plan.tree.leaves():
        leaf = n.leaf if n.leaf is not None else interval_policy(og, n.lo, n.hi)
        total += float(policy_payoff(og, leaf.scheme)[n.lo : n.hi + 1].sum())
    T = og.n_types
    cost = np.zeros(T) if plan.costs is None else np.r_[0.0, plan.costs]
    if plan.adaptive:
        total -= _expected_cost(plan.tree, cost, og.type_marginal)
    else:
        total -= float(sum(cost[t] for t in plan.thresholds))
    return total


def _reference_values(og: OracleGame) -> tuple[float, float]:
    """``(known_type_value, no_query_value)`` of ``og`` itself: ``sum_t V[t, t]`` and
    ``V[0, T-1]``, from the interval table when it is cached, else by T + 1 B2 LPs (not the
    whole table: rounded plans exist because the table of a large game is expensive)."""
    V = og._cache.get("V")
    T = og.n_types
    if V is not None:
        return float(np.trace(V)), float(V[0, T - 1])
    known = float(sum(interval_policy(og, t, t).value for t in range(T)))
    return known, float(interval_policy(og, 0, T - 1).value)


def _finish_plan(
    og: OracleGame,
    tree: QueryNode,
    template: QueryPlan,
    costs: np.ndarray | None,
    info: dict[str, Any],
) -> QueryPlan:
    T = og.n_types
    cost = np.zeros(T) if costs is None else np.r_[0.0, costs]
    gross = float(sum(n.leaf.value for n in tree.leaves() if n.leaf is not None))
    thresholds = tuple(sorted({int(n.threshold) for n in _internal_nodes(tree)}))  # type: ignore[arg-type]
    if template.adaptive:
        exp_cost = _expected_cost(tree, cost, og.type_marginal)
    else:
        exp_cost = float(sum(cost[t] for t in thresholds))
    known, no_query = _reference_values(og)
    return QueryPlan(
        value=float(gross - exp_cost),
        thresholds=thresholds,
        tree=tree,
        leaves=tuple(n.leaf for n in tree.leaves()),
        adaptive=template.adaptive,
        budget=template.budget,
        costs=costs,
        gross_value=gross,
        expected_cost=exp_cost,
        known_type_value=known,
        no_query_value=no_query,
        method="rounded-" + template.method,
        info=info,
    )


def _rounded_plan(
    og: OracleGame,
    budget: int | None,
    *,
    adaptive: bool,
    costs: np.ndarray | None,
    eps: float,
    policies: bool,
) -> QueryPlan:
    rg = round_game(og, eps)
    T_r = rg.game.n_types
    c_r = None
    if costs is not None:
        first = np.array([int(np.nonzero(rg.type_bin == k)[0][0]) for k in range(T_r)])
        c_r = costs[first[1:] - 1]
    plan_r = plan_queries(rg.game, budget, adaptive=adaptive, costs=c_r, policies=True)
    lifted = lift_plan(rg, plan_r, og, costs=costs)
    lifted.info["lifted_value"] = float(lifted.value)
    if lifted.value >= lifted.no_query_value:
        return lifted
    # Rounding lost more than the queries gain: not asking at all (the exact B2 policy of the
    # whole range on og) earns more, and is always available to the sender.
    leaf = interval_policy(og, 0, og.n_types - 1)
    return QueryPlan(
        value=leaf.value,
        thresholds=(),
        tree=QueryNode(0, og.n_types - 1, leaf=leaf),
        leaves=(leaf,),
        adaptive=adaptive,
        budget=budget,
        costs=costs,
        gross_value=leaf.value,
        expected_cost=0.0,
        known_type_value=lifted.known_type_value,
        no_query_value=lifted.no_query_value,
        method=lifted.method + "+no-query",
        info={
            **lifted.info,
            "fallback": "no query: the lifted rounded plan earns less than V[0, T-1] on the "
            "original game",
        },
    )
