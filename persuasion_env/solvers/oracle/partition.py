"""Partition queries (seed Section 4.1, MODEL.md B7).

The oracle returns which block of a given partition of the types holds the true type. Choosing
the optimal querying policy is NP-complete (reduction from Set Cover), so
:func:`solve_partition_queries` is an exact brute force for tiny type sets only
(``T <= MAX_PARTITION_TYPES``); it raises a ValueError beyond.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from persuasion_env._validation import check_instance, check_int
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle.intervals import b2_lp

__all__ = [
    "MAX_PARTITION_TYPES",
    "PartitionPlan",
    "set_partitions",
    "solve_partition_queries",
    "subset_value",
]

#: Largest type set for the partition-query brute force.
MAX_PARTITION_TYPES = 7


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
    value, _ = b2_lp(psi, psi * og.receiver_utility[:, idx], np.ones(idx.size))
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
