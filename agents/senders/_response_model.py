"""The receiver model of :class:`agents.senders.adaptive.MarginAdaptiveSender` (and of its
grid and push searches): a multinomial logit of the receiver's action given a message's
posterior, fitted to observed action counts, and the commitment LP solved on that model."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from agents._sampling import softmax
from persuasion_env import bayes
from persuasion_env.game import PersuasionGame
from persuasion_env.solvers.commitment import solve_commitment

__all__ = ["fit_logit_response", "message_worth", "model_lp_scheme", "model_region_point"]


def message_worth(
    priors: np.ndarray, schemes: np.ndarray, utilities: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """``(..., M)`` the sender's total utility over the counted rounds after each message,
    from the counts of the receiver's actions after it (``counts`` ``(..., M, A)``,
    ``schemes`` ``(..., S, M)``, ``utilities`` ``u1`` ``(..., S, A)``); divided by the counts,
    the message's value per round.

    The receiver sees only the message, so its action is independent of the state given the
    message: action ``a`` after ``m`` is worth ``mu_m . u1[:, a]`` at the message's posterior
    ``mu_m`` (exact in the state, less noisy than the realised payoffs)."""
    payoffs = bayes.expected_payoffs(bayes.posteriors(priors, schemes), utilities)
    return (counts * payoffs).sum(axis=-1)


def fit_logit_response(
    posteriors: np.ndarray,
    counts: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    start: np.ndarray | None = None,
    regularization: float = 1e-3,
    steps: int = 100,
    lr: float = 2.0,
) -> np.ndarray:
    """Fit ``q(a | mu) = softmax(mu @ W)`` to observed action counts, batched over runs.

    Minimises ``-sum_i w_i sum_a c[i, a] log q(a | mu_i) / sum_i w_i n_i + reg * |W|^2`` by
    gradient descent (the loss is convex; with ``sum_s mu_s = 1`` its curvature is at most
    1/2 + 2 reg, so ``lr = 2`` is a safe step at small ``reg``).

    Args:
        posteriors: ``(B, N, S)`` the posterior of each observed message.
        counts: ``(B, N, A)`` the receiver's action counts after each.
        weights: ``(B, N)`` per-observation weights (default 1).
        start: ``(B, S, A)`` initial ``W`` (warm start; default 0).
        regularization, steps, lr: the L2 weight, gradient steps and step size.

    Returns:
        ``W``, shape ``(B, S, A)``.
    """
    b, _, n_states = posteriors.shape
    n_actions = counts.shape[-1]
    w = np.zeros((b, n_states, n_actions)) if start is None else np.array(start, dtype=float)
    weighted = counts if weights is None else counts * weights[..., None]
    totals = weighted.sum(axis=-1)  # (B, N)
    norm = np.maximum(totals.sum(axis=-1), 1e-12)[:, None, None]  # (B, 1, 1)
    for _ in range(steps):
        q = softmax(posteriors @ w)  # (B, N, A)
        residual = q * totals[..., None] - weighted  # d loss / d logits, unnormalised
        grad = np.einsum("bns,bna->bsa", posteriors, residual) / norm + 2 * regularization * w
        w -= lr * grad
    return w


def model_lp_scheme(prior: np.ndarray, u1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The commitment LP (MODEL.md A2) with the model ``W`` in place of the receiver's
    utility, in recommendation form: ``(S, A)``, column ``a`` = "play a"."""
    game = PersuasionGame(prior=prior, sender_utility=u1, receiver_utility=w, name="model")
    solution = solve_commitment(game)
    n_actions = u1.shape[1]
    scheme = np.zeros((u1.shape[0], n_actions))
    for m, action in enumerate(solution.recommended_action):
        scheme[:, action] += solution.scheme[:, m]
    return scheme


def model_region_point(
    prior: np.ndarray, w: np.ndarray, gain: np.ndarray, action: int, margin: float
) -> np.ndarray | None:
    """The posterior the model ``W`` ``(S, A)`` says is the most valuable for ``action``: the
    ``p`` maximising ``p . gain`` over the simplex (no mass on a state of prior 0) where the
    model's logit of ``action`` beats every other action's by at least ``margin``
    (``p @ (W[:, action] - W[:, b]) >= margin``: ``action`` at least ``e^margin`` times as
    likely as each other). The logit's regions are the polytopes of a receiver with utility
    ``W``, so this is the far vertex of ``action``'s modelled region in the direction of
    ``gain``; ``None`` when that region is empty.
    """
    n_states, n_actions = w.shape
    others = [b for b in range(n_actions) if b != action]
    if not others:
        return None
    a_ub = -(w[:, [action]] - w[:, others]).T  # (A - 1, S): -(W_a - W_b) . p <= -margin
    result = linprog(
        -np.asarray(gain, dtype=float),
        A_ub=a_ub,
        b_ub=np.full(len(others), -margin),
        A_eq=np.ones((1, n_states)),
        b_eq=[1.0],
        bounds=[(0.0, 1.0 if prior[s] > 0 else 0.0) for s in range(n_states)],
        method="highs",
    )
    if result.status != 0:
        return None
    return np.clip(result.x, 0.0, None) / np.clip(result.x, 0.0, None).sum()
