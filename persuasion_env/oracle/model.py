"""The receiver of the oracle game (MODEL.md B1): which types act on which message of a
scheme, and the mass of "type t and the receiver acts" a scheme earns per type.

This is the game's model (layer 2); the planners in :mod:`persuasion_env.solvers.oracle`
build on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from persuasion_env.oracle.game import OracleGame

__all__ = ["ACT_ATOL", "acts", "policy_payoff"]

#: A receiver acts when its conditional expected utility is >= -ACT_ATOL (ties act, B1).
#: LP solutions meet binding obedience rows only to solver precision.
ACT_ATOL = 1e-9


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
