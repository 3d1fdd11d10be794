"""The mathematics of the one-shot game, written once (MODEL.md A1, A4).

Every function works on a batch: arrays may carry any number of leading axes (typically one,
the "runs" axis B), and the trailing axes are the game's. A single game is simply B = 1 or
no leading axis at all. Shapes used throughout:

=================  ==================  ==============================================
name               shape               meaning
=================  ==================  ==============================================
``prior``          ``(..., S)``        common prior ``p[s]``
``scheme``         ``(..., S, M)``     ``pi[s, m] = pi(m | s)``, rows sum to 1
``utility``        ``(..., S, A)``     ``u[s, a]`` (sender ``u1`` or receiver ``u2``)
``posterior``      ``(..., M, S)``     ``p(s | m)``
``response``       ``(..., M, A)``     ``q[m, a] = q(a | m)``, rows sum to 1
=================  ==================  ==============================================

Leading axes broadcast against each other, so one game's utilities can be used with a batch
of B schemes. These functions do not validate their input (they sit on hot paths); the public
entry points (games, envs, agents) validate at the boundary.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "TIE_ATOL",
    "message_probabilities",
    "joint_state_message",
    "posteriors",
    "expected_payoffs",
    "best_response",
    "best_response_matrix",
    "quantal_response",
    "expected_utility",
    "expected_utilities",
    "best_response_to_belief",
    "one_hot",
]

#: Receiver payoffs (in posterior expectation) within this of the maximum count as tied.
#: Exact LP schemes make the receiver indifferent on binding obedience constraints, and
#: solvers satisfy them only to ~1e-9, so exact equality would break the A1 tie rule.
TIE_ATOL = 1e-7


def message_probabilities(prior: np.ndarray, scheme: np.ndarray) -> np.ndarray:
    """``P(m) = sum_s p[s] pi[s, m]``, shape ``(..., M)``."""
    return np.einsum("...s,...sm->...m", prior, scheme)


def joint_state_message(prior: np.ndarray, scheme: np.ndarray) -> np.ndarray:
    """``P(s, m) = p[s] pi[s, m]``, shape ``(..., S, M)``."""
    return prior[..., :, None] * scheme


def posteriors(prior: np.ndarray, scheme: np.ndarray) -> np.ndarray:
    """Posterior beliefs ``p(s | m) = pi[s, m] p[s] / sum_s' pi[s', m] p[s']``.

    Returns shape ``(..., M, S)``; each row is a distribution over states. A message that is
    never sent (``P(m) = 0``) has no Bayesian posterior; it gets the **prior**, the belief of a
    receiver who learns nothing from an unexpected message.
    """
    prior, scheme = np.broadcast_arrays(prior[..., None], scheme)
    joint = prior * scheme  # (..., S, M)
    mass = joint.sum(axis=-2, keepdims=True)  # (..., 1, M)
    sent = mass > 0
    post = np.where(sent, joint / np.where(sent, mass, 1.0), prior)
    return np.swapaxes(post, -1, -2)


def expected_payoffs(posterior: np.ndarray, utility: np.ndarray) -> np.ndarray:
    """``r[m, a] = sum_s p(s | m) u[s, a]``, shape ``(..., M, A)``."""
    return posterior @ utility


def _tie_break(receiver_payoff: np.ndarray, sender_payoff: np.ndarray, atol: float) -> np.ndarray:
    """Argmax of ``receiver_payoff`` over the last axis; among near-ties, the highest
    ``sender_payoff``, then the lowest index (A1's tie rule)."""
    best = receiver_payoff.max(axis=-1, keepdims=True)
    tied = receiver_payoff >= best - atol
    # argmax returns the first maximum, i.e. the lowest index among equal sender payoffs.
    return np.argmax(np.where(tied, sender_payoff, -np.inf), axis=-1)


def best_response(
    prior: np.ndarray,
    scheme: np.ndarray,
    receiver_utility: np.ndarray,
    sender_utility: np.ndarray | None = None,
    *,
    atol: float = TIE_ATOL,
) -> np.ndarray:
    """A rational receiver's action per message, shape ``(..., M)`` (integers).

    ``a*(m) in argmax_a sum_s p(s|m) u2[s, a]``; ties (within ``atol``) go to the action with
    the highest sender payoff ``sum_s p(s|m) u1[s, a]``, then to the lowest index (MODEL.md
    A1). Without ``sender_utility`` ties go to the lowest index.
    """
    post = posteriors(prior, scheme)
    r2 = expected_payoffs(post, receiver_utility)
    r1 = np.zeros_like(r2) if sender_utility is None else expected_payoffs(post, sender_utility)
    return _tie_break(r2, r1, atol)


def best_response_to_belief(
    belief: np.ndarray,
    receiver_utility: np.ndarray,
    sender_utility: np.ndarray | None = None,
    *,
    atol: float = TIE_ATOL,
) -> np.ndarray:
    """The receiver's action for beliefs ``belief`` of shape ``(..., S)``; shape ``(...)``.

    Same tie rule as :func:`best_response`.
    """
    r2 = belief @ receiver_utility
    r1 = np.zeros_like(r2) if sender_utility is None else belief @ sender_utility
    return _tie_break(r2, r1, atol)


def one_hot(indices: np.ndarray, n: int) -> np.ndarray:
    """One-hot encoding of integer ``indices`` along a new last axis of length ``n``."""
    return (np.asarray(indices)[..., None] == np.arange(n)).astype(np.float64)


def best_response_matrix(
    prior: np.ndarray,
    scheme: np.ndarray,
    receiver_utility: np.ndarray,
    sender_utility: np.ndarray | None = None,
    *,
    atol: float = TIE_ATOL,
) -> np.ndarray:
    """:func:`best_response` as a deterministic response table ``q[m, a]``, ``(..., M, A)``."""
    actions = best_response(prior, scheme, receiver_utility, sender_utility, atol=atol)
    return one_hot(actions, receiver_utility.shape[-1])


def quantal_response(
    prior: np.ndarray, scheme: np.ndarray, receiver_utility: np.ndarray, lam: float
) -> np.ndarray:
    """Logit quantal response ``q(. | m) = softmax(lam * sum_s p(s|m) u2[s, .])``.

    Shape ``(..., M, A)``. ``lam -> inf`` approaches the best response (MODEL.md A4.2).
    """
    logits = lam * expected_payoffs(posteriors(prior, scheme), receiver_utility)
    logits = logits - logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def expected_utility(
    prior: np.ndarray, scheme: np.ndarray, response: np.ndarray, utility: np.ndarray
) -> np.ndarray:
    """``U(pi, q) = sum_{s,m,a} p[s] pi[s, m] q[m, a] u[s, a]``, shape ``(...)``."""
    joint = joint_state_message(prior, scheme)  # (..., S, M)
    return np.einsum("...sm,...ma,...sa->...", joint, response, utility)


def expected_utilities(
    prior: np.ndarray,
    scheme: np.ndarray,
    response: np.ndarray,
    sender_utility: np.ndarray,
    receiver_utility: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The sender's and the receiver's expected utilities ``(U1, U2)`` of ``scheme``
    against ``response``."""
    return (
        expected_utility(prior, scheme, response, sender_utility),
        expected_utility(prior, scheme, response, receiver_utility),
    )
