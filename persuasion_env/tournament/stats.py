"""Uncertainty and ratings for tournament tables: bootstrap confidence intervals,
Bradley-Terry ratings and Nash averaging (agent vs task).

Everything here is a pure function of arrays; :mod:`persuasion_env.tournament.result` turns
the tournament table into those arrays.

* :func:`bootstrap_ci`: the percentile bootstrap (``scipy.stats.bootstrap``) of a mean, from
  a seeded generator, so the same table always gives the same interval.
* :func:`nash_averaging`: Balduzzi et al. (2018), "Re-evaluating evaluation", agent-vs-task
  form. ``scores[i, t]`` is agent ``i``'s score on task ``t``. An agent player picks a mix of
  agents to maximise the score, a task player a mix of tasks to minimise it (a zero-sum
  meta-game). Of all Nash equilibria, the one of maximal entropy is unique; an agent's Nash
  rating is its expected score against the equilibrium mix of tasks. The rating does not
  change when a task is copied (the copies share the mass), so a suite padded with easy
  variants of one task cannot inflate anyone. The game value and the optimal faces come from
  linear programs (HiGHS through ``scipy.optimize.linprog``); the maximal-entropy point of
  each face from a smooth convex program on the face's support.
* :func:`bradley_terry`: strengths from pairwise comparisons on shared tasks (each task is a
  "match" between every two agents: the higher score wins, equal scores draw), fitted by the
  minorise-maximise algorithm (Hunter 2004), reported on the Elo scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = [
    "NashAverage",
    "bootstrap_band",
    "bootstrap_ci",
    "bradley_terry",
    "maxent_nash",
    "nash_averaging",
    "pairwise_wins",
]

#: Elo points per factor e of the Bradley-Terry strength: ``400 / ln 10``.
ELO_SCALE = 400.0 / np.log(10.0)


def bootstrap_ci(
    values: np.ndarray,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | np.random.Generator = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the mean of ``values`` (NaNs dropped).

    Returns ``(low, high)``; ``(nan, nan)`` for fewer than two finite values (no spread to
    resample), and ``(v, v)`` when every value equals ``v``.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if int(n_resamples) < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    data = np.asarray(values, dtype=float).ravel()
    data = data[np.isfinite(data)]
    if data.size < 2:
        return float("nan"), float("nan")
    if np.all(data == data[0]):
        return float(data[0]), float(data[0])
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    res = stats.bootstrap(
        (data,),
        np.mean,
        confidence_level=confidence,
        n_resamples=int(n_resamples),
        method="percentile",
        vectorized=True,
        random_state=rng,
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def bootstrap_band(
    curves: np.ndarray,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | np.random.Generator = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise percentile-bootstrap band of the mean of ``curves`` (``(n, points)``) over
    its first axis; NaN where fewer than two curves."""
    curves = np.asarray(curves, dtype=float)
    if curves.ndim != 2:
        raise ValueError(f"curves must be a 2-d array (curves x points), got shape {curves.shape}")
    if curves.shape[0] < 2:
        nan = np.full(curves.shape[1], np.nan)
        return nan, nan.copy()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    # One index draw for all points: each resample is a resample of whole curves.
    idx = rng.integers(0, curves.shape[0], size=(int(n_resamples), curves.shape[0]))
    means = curves[idx].mean(axis=1)  # (n_resamples, points)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha], axis=0)
    return low, high


# ================================================================ Nash averaging


def _game_value(scores: np.ndarray) -> float:
    """Value of the zero-sum game where rows maximise and columns minimise ``scores``."""
    n, m = scores.shape
    # Variables (p_1..p_n, v): maximise v subject to scores^T p >= v, sum p = 1, p >= 0.
    c = np.zeros(n + 1)
    c[-1] = -1.0
    a_ub = np.hstack([-scores.T, np.ones((m, 1))])
    a_eq = np.hstack([np.ones((1, n)), np.zeros((1, 1))])
    bounds = [(0, None)] * n + [(None, None)]
    res = optimize.linprog(
        c, A_ub=a_ub, b_ub=np.zeros(m), A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs"
    )
    if res.status != 0:
        raise RuntimeError(f"the meta-game's value LP failed: {res.message}")
    return float(-res.fun)


def _maxent_on_face(a_ub: np.ndarray, b_ub: np.ndarray) -> np.ndarray:
    """The maximal-entropy point of ``{x in simplex: a_ub @ x <= b_ub}`` (non-empty).

    One LP finds a point of the face positive on the face's whole support (homogenised:
    ``x >= 0, a_ub x <= b_ub t, sum x = t, t >= 1`` and maximise ``sum min(x_i, 1)``; a
    coordinate that can be positive on the face can be scaled up to 1). From that point
    the entropy is maximised on the support (SLSQP; smooth there).
    """
    m, n = a_ub.shape
    # Variables (x: n, y: n, t: 1).
    c = np.concatenate([np.zeros(n), -np.ones(n), [0.0]])
    a = np.vstack(
        [
            np.hstack([a_ub, np.zeros((m, n)), -b_ub[:, None]]),
            np.hstack([-np.eye(n), np.eye(n), np.zeros((n, 1))]),
        ]
    )
    a_eq = np.concatenate([np.ones(n), np.zeros(n), [-1.0]])[None, :]
    bounds = [(0, None)] * n + [(0, 1)] * n + [(1, None)]
    res = optimize.linprog(
        c, A_ub=a, b_ub=np.zeros(m + n), A_eq=a_eq, b_eq=[0.0], bounds=bounds, method="highs"
    )
    if res.status != 0:
        raise RuntimeError(f"the meta-game's face LP failed: {res.message}")
    start = np.clip(res.x[:n], 0.0, None) / res.x[-1]
    support = start > 1e-9
    if support.sum() == 1:
        x = np.zeros(n)
        x[support] = 1.0
        return x
    a_s, x0 = a_ub[:, support], start[support] / start[support].sum()

    def negative_entropy(z: np.ndarray) -> float:
        z = np.clip(z, 1e-300, None)
        return float(np.sum(z * np.log(z)))

    def gradient(z: np.ndarray) -> np.ndarray:
        return np.log(np.clip(z, 1e-300, None)) + 1.0

    res = optimize.minimize(
        negative_entropy,
        x0,
        jac=gradient,
        method="SLSQP",
        bounds=[(1e-12, 1.0)] * len(x0),
        constraints=[
            {"type": "eq", "fun": lambda z: z.sum() - 1.0, "jac": lambda z: np.ones_like(z)},
            {"type": "ineq", "fun": lambda z: b_ub - a_s @ z, "jac": lambda z: -a_s},
        ],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    z = res.x if res.success else x0  # x0 is on the face: a safe fallback
    x = np.zeros(n)
    x[support] = np.clip(z, 0.0, None) / np.clip(z, 0.0, None).sum()
    return x


def maxent_nash(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The maximal-entropy Nash equilibrium ``(p, q, value)`` of the zero-sum game where the
    row player picks ``p`` to maximise ``p @ scores @ q`` and the column player ``q`` to
    minimise it. The equilibria form a product of two polytopes (the optimal faces), so the
    maximal-entropy one maximises each player's entropy on its own face."""
    scores = _check_scores(scores)
    value = _game_value(scores)
    tol = 1e-9 * max(1.0, float(np.abs(scores).max()))
    p = _maxent_on_face(-scores.T, np.full(scores.shape[1], -value + tol))
    q = _maxent_on_face(scores, np.full(scores.shape[0], value + tol))
    return p, q, value


@dataclass(frozen=True)
class NashAverage:
    """Result of :func:`nash_averaging`.

    Attributes:
        agent_rating: ``scores @ task_mass``: each agent's expected score against the
            maximal-entropy Nash mix of tasks (the equilibrium agents reach ``value``).
        task_difficulty: ``-(agent_mass @ scores)``: minus the equilibrium agents'
            expected score on each task (higher is harder).
        agent_mass, task_mass: the maximal-entropy Nash equilibrium.
        value: the meta-game's value.
    """

    agent_rating: np.ndarray
    task_difficulty: np.ndarray
    agent_mass: np.ndarray
    task_mass: np.ndarray
    value: float


def nash_averaging(scores: np.ndarray) -> NashAverage:
    """Nash averaging of an agent x task score matrix (Balduzzi et al. 2018, agent vs task)."""
    scores = _check_scores(scores)
    p, q, value = maxent_nash(scores)
    return NashAverage(
        agent_rating=scores @ q,
        task_difficulty=-(p @ scores),
        agent_mass=p,
        task_mass=q,
        value=value,
    )


def _check_scores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(f"scores must be a non-empty 2-d array, got shape {scores.shape}")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite (drop the agents or tasks with missing scores)")
    return scores


# ================================================================ Bradley-Terry


def pairwise_wins(scores: np.ndarray) -> np.ndarray:
    """``wins[i, j]``: tasks on which agent ``i`` scores above ``j``, plus half the ties."""
    scores = _check_scores(scores)
    above = (scores[:, None, :] > scores[None, :, :]).sum(axis=2)
    ties = (scores[:, None, :] == scores[None, :, :]).sum(axis=2)
    wins = above + 0.5 * ties
    np.fill_diagonal(wins, 0.0)
    return wins.astype(float)


def bradley_terry(
    wins: np.ndarray, *, prior: float = 0.5, max_iter: int = 10_000, tol: float = 1e-12
) -> np.ndarray:
    """Bradley-Terry ratings on the Elo scale (mean 0) from a pairwise ``wins`` matrix.

    ``P(i beats j) = pi_i / (pi_i + pi_j)``; the rating is ``400 log10 pi_i`` centred. Each
    pair also gets ``prior`` virtual wins each way (a weak prior: an agent that never wins
    keeps a finite rating); ``prior = 0`` is the plain maximum-likelihood fit.
    """
    wins = np.asarray(wins, dtype=float)
    if wins.ndim != 2 or wins.shape[0] != wins.shape[1] or wins.shape[0] == 0:
        raise ValueError(f"wins must be a square matrix, got shape {wins.shape}")
    if np.any(wins < 0) or not np.all(np.isfinite(wins)):
        raise ValueError("wins must be finite and non-negative")
    if prior < 0:
        raise ValueError(f"prior must be >= 0, got {prior!r}")
    k = wins.shape[0]
    if k == 1:
        return np.zeros(1)
    w = wins + prior * (1 - np.eye(k))
    games = w + w.T
    total = w.sum(axis=1)
    pi = np.ones(k)
    for _ in range(max_iter):
        pair = pi[:, None] + pi[None, :]
        # Two never-winning agents (prior 0) meet with pair strength 0: no information.
        ratio = np.divide(games, pair, out=np.zeros_like(games), where=pair > 0)
        denominator = ratio.sum(axis=1)
        new = np.where(total > 0, total / np.where(denominator > 0, denominator, 1.0), 0.0)
        new = new / np.exp(np.mean(np.log(np.clip(new, 1e-300, None))))
        if np.max(np.abs(new - pi)) < tol:
            pi = new
            break
        pi = new
    log_pi = np.log(np.clip(pi, 1e-300, None))
    return ELO_SCALE * (log_pi - log_pi.mean())
