"""A fast path for small B2 LPs (MODEL.md B2): a dense simplex in NumPy whose answer is used only
when it is certified to be *the* optimum, so it agrees with the HiGHS solve of
:func:`~persuasion_env.solvers.oracle.interval_policy` (to rounding, ~1e-12).

Why: HiGHS spends several hundred microseconds on set-up for an LP of a few dozen variables;
the oracle environment's random-game mode solves one such LP per episode. The simplex here
pivots on a tableau of ``(W + n) x (W n + W + n)`` numbers (all O(1): rows and objective are
scaled); its final vertex is accepted only if it is primal feasible, optimal, and **dual
non-degenerate** (every non-basic reduced cost strictly negative), which
makes it the unique optimum: any exact solver, HiGHS included, returns the same point. In every
other case (ties between optimal solutions, ill-conditioned bases, too many pivots) the caller
falls back to HiGHS.
"""

from __future__ import annotations

import numpy as np

from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle.intervals import (
    LeafPolicy,
    _leaf_from_x,
    _scaled_obedience,
    interval_policy,
)

__all__ = ["MAX_SMALL_LP_VARIABLES", "fast_interval_policy", "small_b2_lp"]

#: Ranges whose B2 LP has more variables than this go to HiGHS directly.
MAX_SMALL_LP_VARIABLES = 64

_MAX_PIVOTS = 60
#: Pivot and ratio-test tolerance of the tableau (its numbers are O(1): rows are scaled).
_EPS = 1e-11
#: A reduced cost counts as strictly negative (unique optimum) below ``-_UNIQUE`` (the
#: objective is scaled to maximum 1).
_UNIQUE = 1e-9
#: The recomputed vertex must be primal feasible to this (absolute, O(1) numbers).
_FEAS = 1e-12


def small_b2_lp(psi_sub: np.ndarray, a_sub: np.ndarray) -> tuple[float, np.ndarray] | None:
    """The B2 LP of :func:`~persuasion_env.solvers.oracle.intervals._b2_lp` (unit weights) by a
    dense simplex, or None when its optimum is not certified unique (then use HiGHS).

    Same LP as HiGHS gets: the obedience rows scaled by ``_scaled_obedience``, message ``m_t``
    only in the states where type t has mass, the objective ``Psi_j``. Returns
    ``(value, x)`` with ``x`` of shape ``(W, n)``, clipped and polished like the HiGHS path.
    """
    W, n = psi_sub.shape
    cost = np.cumsum(psi_sub[:, ::-1], axis=1)[:, ::-1]  # (W, n)
    a_n = _scaled_obedience(a_sub)
    support = (psi_sub > 0).T.ravel()  # variable k * W + w exists iff psi[w, k] > 0
    cols = np.nonzero(support)[0]
    nv = cols.size
    if nv > MAX_SMALL_LP_VARIABLES:
        return None
    m = W + n
    w_of, k_of = cols % W, cols // W
    # tableau of the slack basis: W state rows  sum_k x[w,k] + s_w = 1, n obedience rows
    # -a.x + r_k = 0, objective row = the reduced costs (slack costs are 0)
    N = nv + m
    tab = np.zeros((m + 1, N + 1))
    idx = np.arange(nv)
    tab[w_of, idx] = 1.0
    tab[W + k_of, idx] = -a_n.T.ravel()[cols]
    tab[np.arange(m), nv + np.arange(m)] = 1.0
    tab[:W, N] = 1.0
    tab[m, :nv] = cost.T.ravel()[cols] / max(float(cost.max()), 1e-300)
    basis = _simplex(tab, m, N)
    if basis is None:
        return None
    rc = tab[m, :N].copy()
    rc[basis] = -np.inf
    xb = tab[:m, N]
    # unique optimum: every non-basic reduced cost strictly negative (dual non-degenerate)
    if xb.min() < -_FEAS or rc.max() >= -_UNIQUE:
        return None
    full = np.zeros(N)
    full[basis] = xb
    x = np.zeros(W * n)
    x[cols] = full[:nv]
    x = x.reshape(n, W).T.copy()
    x = _polish_vectorised(np.clip(x, 0.0, None), a_sub)
    return float((cost * x).sum()), x


def _polish_vectorised(x: np.ndarray, a_sub: np.ndarray) -> np.ndarray:
    """:func:`~persuasion_env.solvers.oracle.intervals._polish` with the obedience of every
    message computed at once (a message's row may round differently in the last bit, so a
    row at exactly 0 may be polished here and not there: a 1e-12 relative difference)."""
    s = x.sum(axis=1)
    over = s > 1
    if over.any():
        x[over] /= s[over, None]
    eu = (a_sub * x).sum(axis=0)
    for k in np.nonzero(eu < 0)[0]:
        bad = a_sub[:, k] < 0
        neg = float(-(a_sub[bad, k] @ x[bad, k]))
        if neg > 0:
            x[bad, k] *= max(0.0, 1.0 + float(eu[k]) / neg) * (1 - 1e-12)
    return x


def _simplex(tab: np.ndarray, m: int, N: int) -> np.ndarray | None:
    """Pivot the tableau ``tab`` (``m`` rows, ``N`` columns, right-hand side last, reduced
    costs in the last row; the slack basis feasible) to optimality in place: Dantzig's rule,
    the first row among ratio-test ties. Returns the basis, or None after too many pivots
    (cycling on a degenerate vertex is then cut short and HiGHS decides)."""
    basis = np.arange(N - m, N)
    rhs = tab[:m, N]
    for _ in range(_MAX_PIVOTS):
        rc = tab[m, :N]
        j = int(rc.argmax())
        if rc[j] <= _EPS:
            return basis
        col = tab[:m, j]
        # ratio test: rhs / col over the rows with col > _EPS (inf elsewhere; rhs >= 0)
        i = int((np.where(col > _EPS, rhs, np.inf) / np.maximum(col, _EPS)).argmin())
        if not col[i] > _EPS:  # pragma: no cover - B2 is bounded (every x <= 1)
            return None
        row = tab[i] / tab[i, j]
        tab -= tab[:, j, None] * row
        tab[i] = row
        basis[i] = j
    return None


def fast_interval_policy(og: OracleGame, lo: int, hi: int) -> LeafPolicy:
    """:func:`~persuasion_env.solvers.oracle.interval_policy` for ``lo..hi`` through
    :func:`small_b2_lp` when that certifies its optimum, else the HiGHS solve itself.

    Cached on the game under its own key (the planners keep reading the HiGHS leaves).
    """
    key = ("fast_leaf", lo, hi)
    cached = og._cache.get(key)
    if cached is not None:
        return cached
    leaf = og._cache.get(("leaf", lo, hi))
    if leaf is None:
        psi = og.joint_prior[:, lo : hi + 1]
        solved = small_b2_lp(psi, psi * og.receiver_utility[:, lo : hi + 1])
        if solved is None:
            leaf = interval_policy(og, lo, hi)
        else:
            value, x = solved
            leaf = _leaf_from_x(lo, hi, value, x, float(psi.sum()))
    og._cache[key] = leaf
    return leaf
