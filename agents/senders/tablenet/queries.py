"""TableNet's query phase in play (the ``"margin"`` protocol, :mod:`agents.senders.tablenet.play`):
interior posteriors for its receiver model.

Disclosure shows the learner only at the vertices of the belief simplex (posteriors that are
point masses). A receiver model fitted to those alone knows which action is best at each
vertex but not how the other actions rank, so it cannot place the obedience boundaries
inside the simplex, where the scheme worth having puts its posteriors (on random 8x8 games
the plan capped near 0.83 of the LP; with some 80 interior posteriors of settled play it
reached nearly all of it). The query phase shows the learner interior posteriors on **fresh
messages** (a learner ties its play to a message label, so a fresh one carries no memory)
and records what it settles on.

A query round mixes a query scheme into full disclosure with a share ``share`` that is the
same in every state: the disclosure messages keep their posteriors (each is a vertex, or a
fixed mixture of the states recommending one action, scaled by the same ``1 - share`` in each
of its states), so the learner's settled play there, and the sender's payoff from it, stay as
they were. Each state sends a query message ``j`` with probability ``share * w[s, j]``,
``w[s]`` drawn from a Dirichlet distribution: with a small concentration each message mixes
a few states, i.e. lies on a low-dimensional face of the simplex, where the LP's posteriors
lie.

Pure functions; the phase itself lives in :class:`~agents.senders.tablenet.play.TableNetMarginPlay`.
"""

from __future__ import annotations

import numpy as np

from persuasion_env.engine import TAIL_FRACTION

__all__ = [
    "QUERY_BUDGET",
    "QUERY_HORIZON_SHARE",
    "QUERY_LEFT_SHARE",
    "mix_queries",
    "queries_left",
    "query_rounds",
    "query_weights",
]

#: About how many rounds the query phase takes by default (matches of 10^5 rounds and more).
QUERY_BUDGET = 15_000

#: At most this share of a known horizon goes to the query phase.
QUERY_HORIZON_SHARE = 0.15


#: At most this share of the rounds left before the tail (the last ``TAIL_FRACTION`` of a
#: known horizon) goes to the query phase when it starts.
QUERY_LEFT_SHARE = 1 / 3


def queries_left(horizon: int, played: int, epoch: int, query_epochs: int) -> int:
    """Query rounds of ``query_epochs`` epochs of ``epoch`` rounds that fit in
    :data:`QUERY_LEFT_SHARE` of the rounds between ``played`` and the tail of a match of
    ``horizon`` rounds (0 when none does)."""
    left = int((1.0 - TAIL_FRACTION) * horizon) - played
    return max(0, int(QUERY_LEFT_SHARE * left) // (epoch * query_epochs))


def query_rounds(epoch: int, query_epochs: int, horizon: int | None) -> int:
    """How many query rounds of ``query_epochs`` epochs of ``epoch`` rounds fit in
    :data:`QUERY_BUDGET` rounds, and in :data:`QUERY_HORIZON_SHARE` of ``horizon`` when it is
    known (0: no query phase)."""
    budget = QUERY_BUDGET
    if horizon is not None:
        budget = min(budget, int(QUERY_HORIZON_SHARE * horizon))
    return max(0, budget // (epoch * query_epochs))


def query_weights(
    n_states: int, n_queries: int, concentration: float, rng: np.random.Generator
) -> np.ndarray:
    """``(S, K)``: per state, how its query mass is split over the ``K`` query messages (each
    row a Dirichlet(``concentration``) draw, so each row sums to 1)."""
    return rng.dirichlet(np.full(n_queries, concentration), size=n_states)


def mix_queries(
    scheme: np.ndarray, weights: np.ndarray, messages: np.ndarray, share: float
) -> np.ndarray:
    """The scheme ``(S, M)`` with the queries mixed in: ``(1 - share) * scheme`` plus
    ``share * weights[:, j]`` on message ``messages[j]`` (messages the scheme does not use).

    The share is the same in every state, so every message of ``scheme`` keeps its posterior.
    """
    if np.any(scheme[:, messages] > 0):
        raise ValueError("query messages must be messages the scheme does not use")
    mixed = (1.0 - share) * np.asarray(scheme, dtype=np.float64)
    mixed[:, messages] += share * weights
    return mixed
