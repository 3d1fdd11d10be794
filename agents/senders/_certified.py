"""Pure helpers of ``margin_adaptive``'s certified protocol (agents/senders/adaptive.py).

A posterior at which a learning receiver was seen to obey the recommendation of ``a`` is
*certified* for ``a``. The receiver's best-response region of ``a`` is convex (a polytope of
the simplex), so every mixture of points certified for ``a`` lies in it too: a scheme whose
column ``a`` has such a mixture as its posterior is obeyed, whatever ``u2`` is. The best such
scheme is a small LP over the certified points (:func:`certified_scheme`); new points are
tested on fresh messages, mixed into play with a small weight so that the posteriors of the
messages in use do not move (:func:`probe_columns`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

__all__ = ["certified_scheme", "probe_columns"]


def certified_scheme(
    prior: np.ndarray, u1: np.ndarray, points: np.ndarray, actions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The sender's best scheme whose every column's posterior is a mixture of points
    certified for its action, in recommendation form ``(S, A)``.

    Solves ``max sum_k lam_k p_k . u1[:, a_k]`` over ``lam >= 0`` with ``sum_k lam_k p_k =
    prior`` (the columns' state masses add up to the prior); column ``a`` then carries the
    state masses ``sum_{k: a_k = a} lam_k p_k``, i.e. ``phi(s, a) = mass_a(s) / prior(s)``.

    Args:
        prior: ``(S,)`` the prior.
        u1: ``(S, A)`` the sender's utility.
        points: ``(K, S)`` certified posteriors.
        actions: ``(K,)`` the action each point is certified for.

    Returns:
        ``(S, A)`` a scheme (rows sum to 1), and ``(S,)`` the LP's shadow price of each
        state's prior mass: a point ``p`` for ``a`` would raise the value iff ``p . (u1[:,
        a] - prices) > 0``, so the prices say in which direction to look for new points.

    Raises:
        ValueError: if no mixture of the points gives the prior (the points must include
            every vertex ``e_s`` of a state with positive prior, or the prior itself).
    """
    points = np.asarray(points, dtype=float)
    actions = np.asarray(actions, dtype=int)
    gains = np.einsum("ks,sk->k", points, u1[:, actions])
    result = linprog(-gains, A_eq=points.T, b_eq=prior, bounds=(0, None), method="highs")
    if result.status != 0:
        raise ValueError(f"the certified points do not span the prior: {result.message}")
    masses = np.zeros((len(prior), u1.shape[1]))  # (S, A) state mass of each column
    np.add.at(masses.T, actions, result.x[:, None] * points)
    masses = np.maximum(masses, 0.0)
    scheme = np.zeros_like(masses)
    positive = prior > 0
    scheme[positive] = masses[positive] / masses[positive].sum(axis=1, keepdims=True)
    scheme[~positive] = 1.0 / masses.shape[1]  # a state that never occurs: any row
    prices = -np.asarray(result.eqlin.marginals, dtype=float)  # linprog minimises -value
    return scheme, prices


def probe_columns(prior: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """A scheme (rows sum to 1) whose first ``T`` columns have the posteriors
    ``candidates`` ``(T, S)``, each with the same probability, as large as the prior
    allows; the last column takes the rest (its posterior is whatever remains).

    Played with weight ``eps`` beside ``(1 - eps)`` times the scheme in use, it leaves the
    posteriors of the messages in use unchanged (every state gives up the same share).

    Returns:
        ``(S, T + 1)``.
    """
    candidates = np.asarray(candidates, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(prior > 0, candidates / prior, np.where(candidates > 0, np.inf, 0.0))
    load = ratios.sum(axis=0).max()  # the state that constrains the common weight most
    weight = 1.0 / load if load > 0 else 0.0
    columns = np.zeros((len(prior), len(candidates) + 1))
    columns[:, :-1] = weight * ratios.T
    columns[:, -1] = np.maximum(1.0 - columns[:, :-1].sum(axis=1), 0.0)
    return columns
