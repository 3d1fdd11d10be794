"""Interval values and leaf policies of the oracle game (MODEL.md B2).

``V[i, j]`` is the probability mass of "type in i..j and the receiver acts" under the optimal
messaging policy for the type range ``i..j`` (the LP in :mod:`persuasion_env.solvers.oracle`);
:func:`interval_policy` solves one range and returns its :class:`LeafPolicy`,
:func:`interval_values` fills the whole table (nested LPs, warm-started column by column).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
from scipy.optimize import linprog

from persuasion_env._validation import (
    as_float_array,
    check_choice,
    check_instance,
    check_int,
)
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers._highs import new_highs

_TOL = 1e-12


_INF = highspy.kHighsInf


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


def b2_lp(psi_sub: np.ndarray, a_sub: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
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
    """The leaf of the B2 solution ``x``: its used messages, then "nobody acts" (the rest of
    each row, clipped to [0, 1]). Written with ufuncs and one preallocated array (the oracle
    env builds a leaf per episode); the same numbers as ``hstack`` / ``np.clip``."""
    used = np.flatnonzero(x.sum(axis=0) > _TOL)
    cols = x[:, used]
    k = used.size
    scheme = np.empty((x.shape[0], k + 1))
    scheme[:, :k] = cols
    np.minimum(np.maximum(1.0 - cols.sum(axis=1), 0.0), 1.0, out=scheme[:, k])
    scheme.setflags(write=False)
    thresholds = tuple((used + lo).tolist()) + (hi + 1,)
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
    value, x = b2_lp(psi, a, wts)
    leaf = _leaf_from_x(lo, hi, value, x, float((psi * wts).sum()))
    if weights is None:
        og._cache[key] = leaf
    return leaf


def known_type_value(og: OracleGame) -> float:
    """The sender's value if she knew the type: ``sum_t V[t, t]`` (an upper bound for any plan)."""
    V = interval_values(og)
    return float(np.trace(V))


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
