"""Threshold queries of the oracle game (MODEL.md B3): the query column that separates the
types below a threshold from those at or above it, and which thresholds can be realised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from persuasion_env._validation import (
    check_int,
)
from persuasion_env.oracle.game import OracleGame
from persuasion_env.oracle.model import acts
from persuasion_env.solvers.oracle import _kernels


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


def _refusal_margin(og: OracleGame, e: np.ndarray, t: int) -> float:
    """Entry ``t - 1`` of :func:`_refusal_margins` (``e = psi u / P``), computed alone."""
    pair = _threshold_neighbours(og, t)
    if pair is None:
        return 0.0
    c, g = -e[:, pair[0]], e[:, pair[1]]
    return _pair_margin(c, g, _breakpoints(c, g))


def _breakpoints(c: np.ndarray, g: np.ndarray) -> np.ndarray:
    """0 and the positive breakpoints ``-c_w / g_w`` of the dual of max c.x s.t. g.x >= 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        bps = np.where(g != 0, -c / g, np.nan)
    return np.concatenate(([0.0], bps[np.isfinite(bps) & (bps > 0)]))


def _pair_margin(c: np.ndarray, g: np.ndarray, cand: np.ndarray) -> float:
    """max c.x s.t. g.x >= 0, x in [0,1]^W (c: minus t-'s row, g: t+'s row), through the
    1-D dual ``min_{lam >= 0} sum_w max(0, c_w + lam g_w)`` (convex piecewise linear in lam,
    so its minimum is at one of the breakpoints ``cand``)."""
    vals = np.maximum(0.0, c[None, :] + cand[:, None] * g[None, :]).sum(axis=1)
    # t+ must be able to act on a message it sees (threshold_query keeps it strictly
    # willing): a type with no state of positive utility only ever acts vacuously, on
    # messages it never receives, and then higher types need not act (it never acts, so
    # grouping it with either side loses nothing)
    return float(vals.min()) if g.max() > 0 else 0.0


def _refusal_margins(og: OracleGame) -> np.ndarray:
    """For each threshold t = 1..T-1, max over x in [0,1]^W of the refusal margin of ``t-``
    (the highest type of positive mass below t) subject to ``t+`` (the lowest of positive mass
    at or above t) acting; 0 if one side has no mass (closed form: a one-row LP, solved through
    its 1-D dual)."""
    cached = og._cache.get("margins")
    if cached is not None:
        return cached
    e = _kernels.game_arrays(og)[2]  # psi u / P: conditional expected-utility contributions
    T = og.n_types
    out = np.zeros(max(T - 1, 0))
    for t in range(1, T):
        out[t - 1] = _refusal_margin(og, e, t)
    og._cache["margins"] = out
    return out


def realisable_thresholds(og: OracleGame) -> np.ndarray:
    """``(T-1,)`` bool: whether threshold t = 1..T-1 can be asked (B3).

    A threshold cannot be realised when the types of positive mass next to it on both sides
    act identically on every column (they may then be merged), or when one side has no mass
    (the answer is known in advance); planners never ask such thresholds. A threshold counts
    as realisable only if :func:`threshold_query` realises it: each entry is
    :func:`threshold_realisable` (a certificate or the closed-form margin filter where they
    decide, else the query LP), so that every threshold a plan asks can be executed, also when
    tiny masses make the margin too small to realise robustly.
    """
    cached = og._cache.get("realisable")
    if cached is not None:
        return cached
    ok = np.array([_decide(og, t) for t in range(1, og.n_types)], dtype=bool)
    ok.setflags(write=False)
    og._cache["realisable"] = ok
    return ok


def threshold_realisable(og: OracleGame, threshold: int) -> bool:
    """Whether threshold ``t`` (1..T-1) can be asked: entry ``t - 1`` of
    :func:`realisable_thresholds`, decided for ``t`` alone (:func:`threshold_certified`, and
    where that leaves it open the query LP of ``t`` only), so a caller that asks one threshold
    does not solve the LPs of all the others. Uses the whole table when it is cached already."""
    t = _check_threshold(og, threshold)
    cached = og._cache.get("realisable")
    if cached is not None:
        return bool(cached[t - 1])
    return _decide(og, t)


def _decide(og: OracleGame, t: int) -> bool:
    """Whether ``t`` can be realised: the certificate's decision, else the query LP's."""
    decided = _certified(og, t, 1e-3)
    if decided is not None:
        return decided
    try:
        threshold_query(og, t)
    except ValueError:
        return False
    return True


def _check_threshold(og: OracleGame, threshold: int) -> int:
    T = og.n_types
    t = check_int(threshold, "threshold")
    if not 1 <= t <= T - 1:
        raise ValueError(f"threshold must be in 1..T-1 = 1..{T - 1}, got {t}")
    return t


#: :func:`threshold_certified` decides a threshold without its query LP only when it finds a
#: column that gives the query LP a margin ``m`` at least this large (times
#: ``max(1, max |u|)``): the acceptance row then holds with ``1e-6``, ten times HiGHS's
#: feasibility tolerance (and the refusal rows with 1e4 times), so the
#: LP's own column then separates strictly as well and every type answers as its side says.
CERTIFY_MARGIN = 1e-3


def threshold_certified(
    og: OracleGame, threshold: int, *, accept_margin: float = 1e-3
) -> bool | None:
    """:func:`threshold_realisable` decided without the query LP where that is certain, for
    callers (the oracle environments) that need only the decision and the answers.

    Returns:
        * ``True`` when a column ``x`` (found by a small simplex on the query LP of
          :func:`threshold_query`, :func:`~persuasion_env.solvers.oracle._kernels.certify_column`)
          is feasible for that LP with margin ``m >= CERTIFY_MARGIN * max(1, max|u|)``,
          evaluated afresh from its rows. The LP's optimum is then at least that large, so the
          LP succeeds and its column strictly separates: every type of positive mass below
          ``t`` refuses it (its row ``<= -m``), ``t+`` accepts it (row
          ``>= accept_margin * m``), and by affiliation (B1, Lemma 2.6) so does every type
          above ``t+``: the oracle answers "type >= t" exactly, on ``x`` as on the LP's column
          (:func:`certified_column` returns ``x``);
        * ``False`` when the closed-form margin filter rejects ``t`` (exactly the first test
          of the LP path, which then returns False as well);
        * ``None`` otherwise (near-degenerate margins, or a game built with
          ``check_assumptions=False``, where Lemma 2.6 may fail): solve the LP.
    """
    return _certified(og, _check_threshold(og, threshold), float(accept_margin))


def certified_column(og: OracleGame, threshold: int) -> np.ndarray | None:
    """The column that certified threshold ``t`` (read-only ``(W,)``; see
    :func:`threshold_certified`), or None when ``t`` is not certified. A receiver of positive
    mass acts on it iff its type is ``>= t``, with a margin: a real query for "type >= t"."""
    t = _check_threshold(og, threshold)
    if _certified(og, t, 1e-3) is not True:
        return None
    return og._cache[("certified_column", t, 1e-3)]


def threshold_answer(og: OracleGame, threshold: int, true_type: int) -> bool | None:
    """The simulation oracle's answer for a receiver of type ``true_type`` to the query of
    threshold ``t`` (B3), or None when ``t`` cannot be realised (:func:`threshold_realisable`).

    A certified threshold is answered by its side (``true_type >= t``; what the LP's column and
    the certified column both give a type of positive mass), other realisable thresholds by
    the receiver's action on :func:`threshold_query`'s column."""
    t = _check_threshold(og, threshold)
    true_type = check_int(true_type, "true_type", minimum=0, maximum=og.n_types - 1)
    decided = _certified(og, t, 1e-3)
    if decided is True and og.type_marginal[true_type] > 0:
        return true_type >= t
    if not (decided if decided is not None else _decide(og, t)):
        return None
    column = og._cache[("certified_column", t, 1e-3)] if decided else threshold_query(og, t).column
    return bool(acts(og, column)[true_type])


def _certified(og: OracleGame, t: int, accept_margin: float) -> bool | None:
    """:func:`threshold_certified` for a checked ``t`` (cached per game)."""
    key = ("certified", t, accept_margin)
    if key not in og._cache:
        og._cache[key] = _certify(og, t, accept_margin)
    return og._cache[key]


def _certify(og: OracleGame, t: int, accept_margin: float) -> bool | None:
    """The decision of :func:`threshold_certified` (not cached; the column is)."""
    _, _, e, mass, max_abs_u = _kernels.game_arrays(og)
    if og.check_assumptions:
        need = CERTIFY_MARGIN * max(1.0, max_abs_u)
        _kernels.ready()
        x = np.empty(og.n_states)
        found = _kernels.certify_column(e, mass, t, accept_margin, need, x)
        if found == 2:
            return False  # one side has no mass: the filter's margin is 0
        if found == 1:
            # a certified column has c.x >= m > 0 and g.x >= 0: the filter's margin (the max
            # of c.x subject to g.x >= 0) is then at least m, so the filter passes as well
            x.setflags(write=False)
            og._cache[("certified_column", t, accept_margin)] = x
            return True
    margins = og._cache.get("margins")
    margin = margins[t - 1] if margins is not None else _refusal_margin(og, e, t)
    if not margin > 1e-10:
        return False
    return None


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
