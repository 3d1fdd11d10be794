"""The batch of independent problems: stacking games, one Generator per problem,
TableNet's initial logits and its budget of restarts / internal messages."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from agents.senders.tablenet.config import TableNetConfig
from persuasion_env._validation import (
    check_int,
    make_rng,
)


def _init_logits(
    rngs: Sequence[np.random.Generator], shape: tuple[int, ...], scale: float, dtype: torch.dtype
) -> torch.Tensor:
    """Initial TableNet logits, one independent normal draw per problem's own Generator (so a
    problem's result does not depend on which others share its batch)."""
    return torch.tensor(np.stack([scale * rng.normal(size=shape) for rng in rngs]), dtype=dtype)


def _restricted_factors(n_messages: int, n_actions: int) -> tuple[int, int]:
    """Budget factors ``(restarts, queries)`` for restricted messages (``M < A``; both 1 when
    ``M >= A``). With ``M < A`` messages no longer map to actions and the landscape has many
    more local optima: ``ceil(A / M)`` times the restarts (cheap: ``restarts * M`` internal
    columns stays below the ``M = A`` budget). Each random query yields only ``M`` columns
    for the receiver model: ``ceil(sqrt(A / M))`` times the queries (a compromise between
    keeping the number of observed columns, which costs ``A / M`` times the queries, and
    the number of queries)."""
    if n_messages >= n_actions:
        return 1, 1
    ratio = n_actions / n_messages
    return math.ceil(ratio), math.ceil(math.sqrt(ratio))


def _messages_internal(n_messages: int, n_actions: int, config: TableNetConfig) -> int:
    return config.overparam * n_messages if n_messages >= n_actions else n_messages


def _rngs(seeds: Sequence[int | np.random.Generator] | int, count: int) -> list:
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        base = check_int(seeds, "seed", minimum=0)
        return [np.random.default_rng([base, i]) for i in range(count)]
    seeds = list(seeds)
    if len(seeds) != count:
        raise ValueError(f"seeds must have one entry per problem ({count}), got {len(seeds)}")
    return [make_rng(s) for s in seeds]
