"""Beyond the main model (seed Section 4, MODEL.md B7): the oracle game with several actions.

**Partition queries** (the other variant) are a planning problem; their exact brute force,
:func:`~persuasion_env.solvers.oracle.partition.solve_partition_queries`, is in
:mod:`persuasion_env.solvers.oracle.partition`.

**More than two actions.** With A > 2 actions a simulation answer is an action, i.e. which cell
of a polytope subdivision of posterior space the simulated receiver's posterior falls into;
thresholds no longer suffice and one query may separate more than two types. The B3 dynamic
program does not apply. :class:`MultiActionOracleGame` is the game itself, with
:func:`play_multiaction` and two simple queriers, ``"random"`` and ``"greedy"``. **Both are
heuristics** (no optimality claim), as is the commitment rule (the best of the known-type optimal
schemes of the types still possible, judged on the current belief).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy.optimize import linprog

from persuasion_env._validation import (
    as_float_array,
    check_choice,
    check_instance,
    check_int,
    check_sorted,
    make_rng,
)

__all__ = ["MultiActionOracleGame", "play_multiaction"]


# ============================================================================ several actions
class MultiActionOracleGame:
    """The oracle game with A >= 2 actions (seed §4.2): types differ in their beliefs.

    Args:
        joint_prior: ``(W, T)`` joint prior of (state, type), summing to 1.
        receiver_utility: ``(W, A)`` (shared) or ``(W, T, A)`` receiver utility.
        sender_utility: ``(A,)`` or ``(W, A)`` sender utility.
        states: optional ``(W,)`` increasing labels.

    A receiver of type t, shown message m of scheme ``sigma``, takes
    ``argmax_a sum_w psi[w, t] sigma[w, m] u[w, t, a]`` (ties: the sender's preferred action,
    then the lowest index).
    """

    def __init__(
        self,
        joint_prior: Any,
        receiver_utility: Any,
        sender_utility: Any,
        *,
        states: Any = None,
    ) -> None:
        psi = as_float_array(joint_prior, "joint_prior", ndim=2)
        if np.any(psi < 0) or abs(psi.sum() - 1) > 1e-6:
            raise ValueError("joint_prior must be non-negative and sum to 1")
        W, T = psi.shape
        u = as_float_array(receiver_utility, "receiver_utility")
        if u.ndim == 2 and u.shape[0] == W:
            u = np.broadcast_to(u[:, None, :], (W, T, u.shape[1])).copy()
        if u.ndim != 3 or u.shape[:2] != (W, T) or u.shape[2] < 2:
            raise ValueError("receiver_utility must have shape (W, A) or (W, T, A) with A >= 2")
        A = u.shape[2]
        v = as_float_array(sender_utility, "sender_utility")
        if v.shape == (A,):
            v = np.broadcast_to(v[None, :], (W, A)).copy()
        if v.shape != (W, A):
            raise ValueError(f"sender_utility must have shape (A,) or (W, A) = ({W}, {A})")
        if states is not None:
            st = as_float_array(states, "states", ndim=1)
            if st.size != W:
                raise ValueError("states must have length W")
            check_sorted(st, "states")
        self.joint_prior = psi / psi.sum()
        self.receiver_utility = u
        self.sender_utility = v
        self.n_states, self.n_types, self.n_actions = W, T, A

    @classmethod
    def random(
        cls, n_states: int, n_types: int, n_actions: int, *, seed: Any = None
    ) -> MultiActionOracleGame:
        """Random instance: Dirichlet beliefs per type, uniform utilities in [0, 1]."""
        W = check_int(n_states, "n_states", minimum=1)
        T = check_int(n_types, "n_types", minimum=1)
        A = check_int(n_actions, "n_actions", minimum=2)
        rng = make_rng(seed)
        psi = rng.dirichlet(np.ones(W), size=T).T * rng.dirichlet(np.ones(T))[None, :]
        return cls(psi / psi.sum(), rng.uniform(size=(W, A)), rng.uniform(size=A))

    def responses(self, scheme: np.ndarray) -> np.ndarray:
        """``(T, M)`` the action each type takes on each message."""
        sigma = np.asarray(scheme, dtype=np.float64)
        # eu[t, m, a] = sum_w psi[w,t] sigma[w,m] u[w,t,a]
        eu = np.einsum("wt,wm,wta->tma", self.joint_prior, sigma, self.receiver_utility)
        best = eu.max(axis=2, keepdims=True)
        # ties up to 1e-9 of the message's probability for the type (times the utility scale):
        # relative, so that a type of tiny mass is judged on its own belief, and wide enough
        # for LP solutions whose binding obedience rows hold to solver precision
        mass = np.einsum("wt,wm->tm", self.joint_prior, sigma)[:, :, None]
        scale = max(float(np.abs(self.receiver_utility).max()), 1e-300)
        tied = eu >= best - 1e-9 * scale * mass
        pref = np.einsum(
            "wm,wa->ma", self.joint_prior.sum(axis=1)[:, None] * sigma, self.sender_utility
        )  # sender's value of each action per message
        score = np.where(
            tied, pref[None] + 1e-9 * (self.n_actions - np.arange(self.n_actions)), -np.inf
        )
        return np.argmax(score, axis=2)

    def payoff(self, scheme: np.ndarray, types: Iterable[int] | None = None) -> float:
        """Sender's expected utility of ``scheme`` restricted to ``types`` (mass-weighted)."""
        sigma = np.asarray(scheme, dtype=np.float64)
        act = self.responses(sigma)
        ts = range(self.n_types) if types is None else list(types)
        total = 0.0
        for t in ts:
            # sum_w psi[w,t] sum_m sigma[w,m] v[w, act[t,m]]
            total += float(
                np.einsum(
                    "w,wm,wm->", self.joint_prior[:, t], sigma, self.sender_utility[:, act[t]]
                )
            )
        return total

    def known_type_scheme(self, t: int) -> np.ndarray:
        """The optimal scheme (revelation: one message per action) when the type is known."""
        W, A = self.n_states, self.n_actions
        p = self.joint_prior[:, t]
        # the type's belief (the LP is scale-free in p): rows of O(1) even for a tiny mass
        p = p / p.sum() if p.sum() > 0 else p
        u = self.receiver_utility[:, t, :]
        v = self.sender_utility
        c = -(p[:, None] * v).ravel()  # x[w, a] at w * A + a
        rows = []
        for a in range(A):
            for b in range(A):
                if a != b:
                    row = np.zeros((W, A))
                    row[:, a] = -p * (u[:, a] - u[:, b])
                    rows.append(row.ravel())
        A_eq = np.kron(np.eye(W), np.ones(A))
        res = linprog(
            c,
            A_ub=np.array(rows) if rows else None,
            b_ub=np.zeros(len(rows)) if rows else None,
            A_eq=A_eq,
            b_eq=np.ones(W),
            bounds=(0, None),
            method="highs",
        )
        x = (
            np.clip(res.x.reshape(W, A), 0, None)
            if res.status == 0
            else np.eye(A)[np.zeros(W, dtype=int)]
        )
        return x / x.sum(axis=1, keepdims=True)

    def commit(self, possible: Iterable[int]) -> np.ndarray:
        """Heuristic commitment: the best known-type scheme among the possible types."""
        ts = sorted(possible)
        best, arg = -np.inf, None
        for t in ts:
            s = self.known_type_scheme(t)
            val = self.payoff(s, ts)
            if val > best:
                best, arg = val, s
        return arg  # type: ignore[return-value]


def _candidate_columns(
    game: MultiActionOracleGame, rng: np.random.Generator, n: int
) -> list[np.ndarray]:
    cols = [rng.uniform(size=game.n_states) for _ in range(n)]
    for t in range(game.n_types):
        s = game.known_type_scheme(t)
        cols.extend(s[:, m] for m in range(s.shape[1]))
    return cols


def play_multiaction(
    game: MultiActionOracleGame,
    true_type: int,
    budget: int,
    *,
    querier: str = "greedy",
    seed: Any = None,
    n_candidates: int = 16,
) -> float:
    """One run of the several-action oracle game; returns ``P``-weighted sender payoff
    conditional on the true type (expected over states and messages).

    Queries are single columns ``x in [0,1]^W``; the oracle answers the simulated receiver's
    action, and the sender keeps the types whose answer agrees.

    Args:
        querier: ``"random"`` (a uniform random column) or ``"greedy"`` (among random and
            known-type columns, the one whose answer splits the possible types into the most
            even groups by mass; a heuristic).
    """
    check_instance(game, MultiActionOracleGame, "game")
    check_choice(querier, "querier", ("random", "greedy"), listed=False)
    n_candidates = check_int(n_candidates, "n_candidates", minimum=1)
    t_true = check_int(true_type, "true_type", minimum=0)
    if t_true >= game.n_types:
        raise ValueError(f"true_type must be < T = {game.n_types}")
    K = check_int(budget, "budget", minimum=0)
    rng = make_rng(seed)
    possible = set(range(game.n_types))
    mass = game.joint_prior.sum(axis=0)
    for _ in range(K):
        if len(possible) <= 1:
            break
        if querier == "random":
            col = rng.uniform(size=game.n_states)
        else:
            best, col = -1.0, None
            for c in _candidate_columns(game, rng, n_candidates):
                answers = game.responses(c[:, None])[:, 0]
                groups: dict[int, float] = {}
                for t in possible:
                    groups[int(answers[t])] = groups.get(int(answers[t]), 0.0) + mass[t]
                total = sum(groups.values())
                score = 1.0 - sum((g / total) ** 2 for g in groups.values())
                if score > best:
                    best, col = score, c
        answers = game.responses(col[:, None])[:, 0]  # type: ignore[index]
        answer = answers[t_true]
        possible = {t for t in possible if answers[t] == answer}
    scheme = game.commit(possible)
    pt = float(mass[t_true])
    return game.payoff(scheme, [t_true]) / pt if pt > 0 else 0.0
