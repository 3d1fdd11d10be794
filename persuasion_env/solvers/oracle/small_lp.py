"""A fast path for small B2 LPs (MODEL.md B2): a dense simplex whose answer is used only
when it is certified to be *the* optimum, so it agrees with the HiGHS solve of
:func:`~persuasion_env.solvers.oracle.interval_policy` (to rounding, ~1e-12).

Why: HiGHS spends several hundred microseconds on set-up for an LP of a few dozen variables;
the oracle environment's random-game mode solves one such LP per episode. The simplex
(:func:`~persuasion_env.solvers.oracle._kernels.b2_vertex`, compiled with numba when
available) pivots on a tableau of ``(W + n) x (W n + W + n)`` numbers (all O(1): rows and
objective are scaled); its final vertex is accepted only if it is primal feasible, optimal,
and **dual non-degenerate** (every non-basic reduced cost strictly negative), which makes it
the unique optimum: any exact solver, HiGHS included, returns the same point. In every other
case (ties between optimal solutions, ill-conditioned bases, too many pivots) the caller
falls back to HiGHS.
"""

from __future__ import annotations

import numpy as np

from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle import _kernels
from persuasion_env.solvers.oracle.intervals import (
    LeafPolicy,
    _leaf_from_x,
    interval_policy,
)

__all__ = ["MAX_SMALL_LP_VARIABLES", "fast_interval_policy", "small_b2_lp"]

#: Ranges whose B2 LP has more variables than this go to HiGHS directly.
MAX_SMALL_LP_VARIABLES = 64


def small_b2_lp(psi_sub: np.ndarray, a_sub: np.ndarray) -> tuple[float, np.ndarray] | None:
    """The B2 LP of :func:`~persuasion_env.solvers.oracle.intervals.b2_lp` (unit weights) by a
    dense simplex, or None when its optimum is not certified unique (then use HiGHS).

    Same LP as HiGHS gets: the obedience rows ``a_sub = psi_sub * u`` scaled as
    ``_scaled_obedience`` scales them, message ``m_t`` only in the states where type t has
    mass, the objective ``Psi_j``. Returns ``(value, x)`` with ``x`` of shape ``(W, n)``,
    clipped and polished like the HiGHS path (every obedience row holds in floating point).
    """
    psi_sub = np.array(psi_sub, dtype=np.float64, order="C")  # writable: one specialisation
    a_sub = np.array(a_sub, dtype=np.float64, order="C")
    W, n = psi_sub.shape
    _kernels.ready()
    x = np.empty((W, n))
    value = _kernels.b2_vertex(psi_sub, a_sub, 0, n - 1, MAX_SMALL_LP_VARIABLES, x)
    if value < 0:
        return None
    return float(value), x


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
        psi, obedience = _kernels.game_arrays(og)[:2]
        _kernels.ready()
        x = np.empty((og.n_states, hi - lo + 1))
        value = _kernels.b2_vertex(psi, obedience, lo, hi, MAX_SMALL_LP_VARIABLES, x)
        if value < 0:
            leaf = interval_policy(og, lo, hi)
        else:
            leaf = _leaf_from_x(lo, hi, float(value), x, float(psi[:, lo : hi + 1].sum()))
    og._cache[key] = leaf
    return leaf
