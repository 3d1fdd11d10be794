"""Beyond the main model (seed Section 4, MODEL.md B7).

**Partition queries.** The oracle returns which block of a given partition of the types holds
the true type. Choosing the optimal querying policy is NP-complete (reduction from Set Cover),
so :func:`solve_partition_queries` is an exact brute force for tiny type sets only
(``T <= MAX_PARTITION_TYPES``); it raises a ValueError beyond.

**More than two actions.** With A > 2 actions a simulation answer is an action, i.e. which cell
of a polytope subdivision of posterior space the simulated receiver's posterior falls into;
thresholds no longer suffice and one query may separate more than two types. The B3 dynamic
program does not apply. :class:`MultiActionOracleGame` is the game itself, with
:func:`play_multiaction` and two simple queriers, ``"random"`` and ``"greedy"``. **Both are
heuristics** (no optimality claim), as is the commitment rule (the best of the known-type optimal
schemes of the types still possible, judged on the current belief).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from scipy.optimize import linprog

from persuasion_env._validation import (
    as_float_array,
    check_choice,
    check_instance,
    check_int,
    make_rng,
)
from persuasion_env.oracle.game import OracleGame, _check_sorted
from persuasion_env.solvers.oracle import _b2_lp

__all__ = [
    "MAX_PARTITION_TYPES",
    "MultiActionOracleGame",
    "PartitionPlan",
    "play_multiaction",
    "set_partitions",
    "solve_partition_queries",
    "subset_value",
]

#: Largest type set for the partition-query brute force.
MAX_PARTITION_TYPES = 7


# ============================================================================ partition queries
def subset_value(og: OracleGame, types: Iterable[int]) -> float:
    """The B2 optimum when the sender knows the type lies in ``types`` (any subset).

    The LP of Proposition 3.1 with one message per type of the subset ("types >= t of the
    subset act"); by Lemma 2.6 its value is the optimum for a belief on any type set.
    """
    check_instance(og, OracleGame, "og")
    idx = np.array(sorted({check_int(t, "types entry", minimum=0) for t in types}), dtype=int)
    if idx.size and idx[-1] >= og.n_types:
        raise ValueError(f"types must be type indices in [0, {og.n_types}), got {idx[-1]}")
    if idx.size == 0:
        return 0.0
    psi = og.joint_prior[:, idx]
    value, _ = _b2_lp(psi, psi * og.receiver_utility[:, idx], np.ones(idx.size))
    return value


def set_partitions(items: Sequence[int]) -> list[tuple[tuple[int, ...], ...]]:
    """All set partitions of ``items`` (Bell-number many), blocks sorted."""
    items = list(items)
    if not items:
        return [()]
    first, rest = items[0], items[1:]
    out = []
    for part in set_partitions(rest):
        out.append(((first,),) + part)
        for k in range(len(part)):
            out.append(part[:k] + ((first,) + part[k],) + part[k + 1 :])
    return [tuple(sorted(p)) for p in out]


@dataclass(frozen=True)
class PartitionPlan:
    """The exact optimum of the partition-query game (brute force).

    Attributes:
        value: optimal expected payoff with ``budget`` adaptive partition queries.
        first_query: the first partition asked (None if asking does not help).
        n_queries_space: number of allowed partitions.
    """

    value: float
    first_query: tuple[tuple[int, ...], ...] | None
    n_queries_space: int


def _validate_partition(q: Any, T: int, k: int) -> tuple[tuple[int, ...], ...]:
    try:
        blocks = [tuple(sorted(int(t) for t in block)) for block in q]
    except (TypeError, ValueError):
        raise TypeError(f"queries[{k}] must be a list of lists of type indices") from None
    flat = sorted(t for b in blocks for t in b)
    if flat != list(range(T)) or any(len(b) == 0 for b in blocks):
        raise ValueError(f"queries[{k}] must partition the types 0..{T - 1} into non-empty blocks")
    return tuple(sorted(blocks))


def solve_partition_queries(
    og: OracleGame, budget: int, queries: Sequence[Any] | None = None
) -> PartitionPlan:
    """Exact optimal adaptive querying with partition queries (brute force, seed §4.1).

    ``value(S, k) = max(V_S, max_q sum_{block b of q} value(S ∩ b, k - 1))`` over the allowed
    partitions q, where ``V_S`` is :func:`subset_value`.

    Args:
        og: the game (``T <= MAX_PARTITION_TYPES``).
        budget: number of queries.
        queries: the allowed partitions, each a list of blocks of type indices (default: every
            set partition of the types).

    Raises:
        ValueError: if ``T > MAX_PARTITION_TYPES`` (the problem is NP-complete; no brute force
            beyond), or a query is not a partition.
    """
    check_instance(og, OracleGame, "og")
    T = og.n_types
    if T > MAX_PARTITION_TYPES:
        raise ValueError(
            f"og has {T} types: the partition-query brute force supports at most "
            f"{MAX_PARTITION_TYPES} types (the problem is NP-complete)"
        )
    K = check_int(budget, "budget", minimum=0)
    if queries is None:
        qs = [p for p in set_partitions(range(T)) if len(p) > 1]
    else:
        qs = sorted({_validate_partition(q, T, k) for k, q in enumerate(queries)})
    masks = [tuple(frozenset(b) for b in q) for q in qs]

    @cache
    def vs(S: frozenset[int]) -> float:
        return subset_value(og, S)

    @cache
    def value(S: frozenset[int], k: int) -> tuple[float, int]:
        best, arg = vs(S), -1
        if k == 0 or len(S) <= 1:
            return best, arg
        for qi, q in enumerate(masks):
            parts = [S & b for b in q]
            if sum(1 for p in parts if p) <= 1:
                continue  # uninformative on S
            v = sum(value(frozenset(p), k - 1)[0] for p in parts if p)
            if v > best + 1e-12:
                best, arg = v, qi
        return best, arg

    v, arg = value(frozenset(range(T)), K)
    return PartitionPlan(float(v), qs[arg] if arg >= 0 else None, len(qs))


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
            _check_sorted(st, "states")
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
