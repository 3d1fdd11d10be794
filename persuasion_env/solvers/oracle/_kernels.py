"""Compiled kernels of the oracle environment's fast paths (issue 17, point 3).

Two small LPs, solved by a dense tableau simplex written as plain loops (the subset of Python
that numba compiles; :func:`ready` compiles them once, cached on disk; without numba, or with
``PERSUASION_ENV_JIT=0``, the very same functions run as plain Python, with the same results):

* :func:`b2_vertex`: the B2 LP of one type range (MODEL.md B2), for
  :mod:`~persuasion_env.solvers.oracle.small_lp`. Its vertex is reported only when it is
  certified to be the LP's unique optimum (dual non-degenerate), so any exact solver, HiGHS
  included, returns the same point; the caller falls back to HiGHS otherwise.
* :func:`certify_column`: a column for the query LP of a threshold (MODEL.md B3), for
  :func:`~persuasion_env.solvers.oracle.threshold_certified`. The simplex only *searches*
  for a good column; the decision rests on that column's rows evaluated afresh (a margin of
  at least ``need`` proves the LP succeeds), so an inexact search can cost a fallback to
  HiGHS, never a wrong decision.

Kernels here call no NumPy function but ``np.zeros`` / ``np.empty``: the arithmetic is the
loops', in a fixed order, compiled or not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from persuasion_env._jit import compile_module

__all__ = ["KERNELS", "b2_vertex", "certify_column", "game_arrays", "ready"]

#: Pivot and ratio-test tolerance (tableau numbers are O(1): rows and objective are scaled).
EPS = 1e-11
#: A non-basic reduced cost counts as strictly negative (unique optimum) below ``-UNIQUE``.
UNIQUE = 1e-9
#: The final basic solution must be non-negative to this (absolute, O(1) numbers).
FEAS = 1e-12
#: HiGHS drops matrix entries below 1e-9: obedience coefficients are kept at this magnitude
#: (as :func:`~persuasion_env.solvers.oracle.intervals._scaled_obedience` does).
SMALLEST = 1e-9
#: Pivots before :func:`b2_vertex` gives up (cycling on a degenerate vertex: HiGHS decides).
B2_MAX_PIVOTS = 60
#: Pivots of the query LP's search (Bland's rule cannot cycle; this only bounds the time).
QUERY_MAX_PIVOTS = 200


def _pivot(tab, rows, cols, i, j):
    """Pivot ``tab`` (``rows + 1`` rows incl. the reduced costs, ``cols + 1`` columns incl. the
    right-hand side) on entry ``(i, j)`` in place."""
    piv = tab[i, j]
    for c in range(cols + 1):
        tab[i, c] = tab[i, c] / piv
    for r in range(rows + 1):
        if r != i:
            f = tab[r, j]
            if f != 0.0:
                for c in range(cols + 1):
                    tab[r, c] -= f * tab[i, c]


def _ratio_row(tab, rows, cols, j, basis, bland):
    """The leaving row for entering column ``j``: the smallest ``rhs / col`` over the rows with
    ``col > EPS`` (ties: the first row, or with ``bland`` the smallest basic index); -1 if
    the column has no such row."""
    best = np.inf
    pick = -1
    for r in range(rows):
        a = tab[r, j]
        if a > EPS:
            v = tab[r, cols] / a
            if v < best or (bland and v == best and basis[r] < basis[pick]):
                best = v
                pick = r
    return pick


def b2_vertex(psi, obedience, lo, hi, max_vars, x):
    """The B2 LP of the type range ``lo..hi`` (MODEL.md B2) by a dense simplex.

    ``psi``: the ``(W, T)`` joint prior; ``obedience``: ``psi * u`` (``(W, T)``).

    Same LP as :func:`~persuasion_env.solvers.oracle.intervals.b2_lp` gives HiGHS (unit
    weights): variables ``x[w, k]`` only where ``psi[w, lo + k] > 0``; state rows
    ``sum_k x[w, k] <= 1``; obedience rows ``psi u`` scaled to unit maximum per type (tiny
    coefficients rounded as HiGHS needs them); objective ``Psi_j[w, k]`` (the mass of the types
    ``>= lo + k`` of the range in state w) scaled to maximum 1. Dantzig's rule, the first row
    among ratio-test ties, from the slack basis.

    Writes the polished optimum into ``x`` (``(W, n)``, zeroed first) and returns its value
    (``sum Psi_j x``, >= 0) when the final vertex is primal feasible and **dual
    non-degenerate** (every non-basic reduced cost ``< -UNIQUE``), i.e. the LP's unique
    optimum; returns -1.0 otherwise (more than ``max_vars`` variables, too many pivots, a tie
    between optima): the caller then asks HiGHS. Polishing (as ``_polish``) makes every row
    hold exactly in floating point, so the value is earned by the policy ``x``.
    """
    W = psi.shape[0]
    n = hi - lo + 1
    a = np.empty((W, n))
    cost = np.empty((W, n))
    nv = 0
    for k in range(n):
        for w in range(W):
            a[w, k] = obedience[w, lo + k]
            if psi[w, lo + k] > 0.0:
                nv += 1
    for w in range(W):
        for k in range(n):
            x[w, k] = 0.0
    if nv > max_vars:
        return -1.0
    cmax = 1e-300
    for w in range(W):
        acc = 0.0
        for k in range(n - 1, -1, -1):
            acc += psi[w, lo + k]
            cost[w, k] = acc
            if acc > cmax:
                cmax = acc
    m = W + n
    N = nv + m
    tab = np.zeros((m + 1, N + 1))
    var_w = np.empty(nv, dtype=np.int64)
    var_k = np.empty(nv, dtype=np.int64)
    v = 0
    for k in range(n):
        scale = 0.0
        for w in range(W):
            if abs(a[w, k]) > scale:
                scale = abs(a[w, k])
        if scale == 0.0:
            scale = 1.0
        for w in range(W):
            if psi[w, lo + k] > 0.0:
                coef = a[w, k] / scale
                if abs(coef) < SMALLEST:
                    coef = -SMALLEST if coef < 0.0 else 0.0
                tab[w, v] = 1.0
                tab[W + k, v] = -coef
                tab[m, v] = cost[w, k] / cmax
                var_w[v] = w
                var_k[v] = k
                v += 1
    basis = np.empty(m, dtype=np.int64)
    for r in range(m):
        tab[r, nv + r] = 1.0
        basis[r] = nv + r
    for w in range(W):
        tab[w, N] = 1.0
    optimal = False
    for _ in range(B2_MAX_PIVOTS):
        j = 0
        for c in range(1, N):
            if tab[m, c] > tab[m, j]:
                j = c
        if tab[m, j] <= EPS:
            optimal = True
            break
        i = _ratio_row(tab, m, N, j, basis, False)
        if i < 0:  # unbounded: impossible for B2 (every x <= 1)
            return -1.0
        _pivot(tab, m, N, i, j)
        basis[i] = j
    if not optimal:
        return -1.0
    # unique optimum: every non-basic reduced cost strictly negative, the vertex feasible
    is_basic = np.zeros(N, dtype=np.bool_)
    for r in range(m):
        is_basic[basis[r]] = True
        if tab[r, N] < -FEAS:
            return -1.0
    for c in range(N):
        if not is_basic[c] and tab[m, c] >= -UNIQUE:
            return -1.0
    for r in range(m):
        if basis[r] < nv:
            x[var_w[basis[r]], var_k[basis[r]]] = max(tab[r, N], 0.0)
    # polish: rows sum to at most 1, every obedience row holds exactly
    for w in range(W):
        s = 0.0
        for k in range(n):
            s += x[w, k]
        if s > 1.0:
            for k in range(n):
                x[w, k] = x[w, k] / s
    for k in range(n):
        eu = 0.0
        neg = 0.0
        for w in range(W):
            eu += a[w, k] * x[w, k]
            if a[w, k] < 0.0:
                neg -= a[w, k] * x[w, k]
        if eu < 0.0 and neg > 0.0:
            f = max(0.0, 1.0 + eu / neg) * (1 - 1e-12)
            for w in range(W):
                if a[w, k] < 0.0:
                    x[w, k] *= f
    value = 0.0
    for w in range(W):
        for k in range(n):
            value += cost[w, k] * x[w, k]
    return value


def certify_column(e, mass, t, accept_margin, need, x):
    """Search a column certifying that threshold ``t`` can be realised (MODEL.md B3).

    ``e = psi u / P(type)`` (``(W, T)``), ``mass`` the type marginal. The query LP of
    :func:`~persuasion_env.solvers.oracle.threshold_query` is: maximise ``m`` over
    ``x in [0, 1]^W`` subject to ``e[:, t+] . x >= accept_margin * m`` (``t+``: the lowest
    type of positive mass at or above t) and ``e[:, s] . x <= -m`` for every type ``s < t``
    of positive mass, and ``m <= 1``. It is solved here by a simplex with Bland's rule (each
    row scaled to unit maximum; that changes no feasible set).

    The column found is written into ``x`` (``(W,)``, clipped to [0, 1]) and its margin is
    evaluated afresh from ``e``: ``min(min_s -e[:, s] . x, e[:, t+] . x / accept_margin, 1)``.

    Returns:
        2 if one side of t has no mass (nothing to realise); 1 if the column's margin is at
        least ``need``; 0 otherwise (the search found no such column: ask HiGHS).
    """
    W, T = e.shape
    above = -1
    for s in range(T - 1, t - 1, -1):
        if mass[s] > 0.0:
            above = s
    n_low = 0
    for s in range(t):
        if mass[s] > 0.0:
            n_low += 1
    for w in range(W):
        x[w] = 0.0
    if above < 0 or n_low == 0:
        return 2
    rows = 1 + n_low + W + 1
    cols = W + 1 + rows
    tab = np.zeros((rows + 1, cols + 1))
    # row 0: -e[:, t+] . x + accept_margin m <= 0; rows 1..n_low: e[:, s] . x + m <= 0
    r = 0
    for s in range(-1, t):
        if s >= 0 and not mass[s] > 0.0:
            continue
        scale = 0.0
        for w in range(W):
            coef = e[w, above] if s < 0 else e[w, s]
            if abs(coef) > scale:
                scale = abs(coef)
        if scale == 0.0:
            scale = 1.0
        for w in range(W):
            tab[r, w] = (-e[w, above] if s < 0 else e[w, s]) / scale
        tab[r, W] = (accept_margin if s < 0 else 1.0) / scale
        r += 1
    for w in range(W):  # x_w <= 1
        tab[r, w] = 1.0
        tab[r, cols] = 1.0
        r += 1
    tab[r, W] = 1.0  # m <= 1
    tab[r, cols] = 1.0
    basis = np.empty(rows, dtype=np.int64)
    for r in range(rows):
        tab[r, W + 1 + r] = 1.0
        basis[r] = W + 1 + r
    tab[rows, W] = 1.0  # maximise m
    for _ in range(QUERY_MAX_PIVOTS):
        j = -1
        for c in range(cols):
            if tab[rows, c] > EPS:
                j = c
                break
        if j < 0:
            break
        i = _ratio_row(tab, rows, cols, j, basis, True)
        if i < 0:  # unbounded: impossible (x and m are bounded)
            break
        _pivot(tab, rows, cols, i, j)
        basis[i] = j
    for r in range(rows):
        if basis[r] < W:
            x[basis[r]] = min(max(tab[r, cols], 0.0), 1.0)
    # the margin of the column itself, from the unscaled rows
    margin = 1.0
    accept = 0.0
    for w in range(W):
        accept += e[w, above] * x[w]
    accept = accept / accept_margin
    if accept < margin:
        margin = accept
    for s in range(t):
        if mass[s] > 0.0:
            refuse = 0.0
            for w in range(W):
                refuse -= e[w, s] * x[w]
            if refuse < margin:
                margin = refuse
    return 1 if margin >= need else 0


def game_arrays(og: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """``(psi, psi * u, e, mass, max_abs_u)`` of the oracle game ``og`` as the kernels take
    them, computed once per game (cached): the joint prior, the obedience coefficients,
    ``e = psi u / P`` exactly as the closed-form filter of
    :mod:`~persuasion_env.solvers.oracle.thresholds` computes it, the type marginal ``P`` and
    ``max |u|``; arrays C-contiguous, writable float64 (one compiled specialisation per
    kernel)."""
    cached = og._cache.get("kernel_arrays")
    if cached is None:
        psi = np.array(og.joint_prior, dtype=np.float64, order="C")
        mass = psi.sum(axis=0)
        u = og.receiver_utility
        obedience = psi * u
        e = obedience / np.maximum(mass, 1e-300)
        cached = (psi, obedience, e, mass, float(np.abs(u).max()) if u.size else 0.0)
        og._cache["kernel_arrays"] = cached
    return cached


KERNELS = ("_pivot", "_ratio_row", "b2_vertex", "certify_column")


def ready() -> bool:
    """Compile the kernels (once per process; numba's disk cache makes later processes fast).
    Returns whether they are compiled; if not, they run as plain Python."""
    return compile_module(globals(), KERNELS)
