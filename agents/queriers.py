"""Senders for the simulation-oracle game (MODEL.md Part B): they choose threshold queries.

A querier is reset with the game (common knowledge) and its query budget and/or costs; it then
either drives the Gymnasium environment ``persuasion/OracleQuery-v0`` (``act(observation)``
returns the env action: 0 = commit, t = ask "type >= t") or runs against an oracle directly
(``run(oracle)`` returns the committed :class:`~persuasion_env.solvers.oracle.LeafPolicy`).
Queriers learn the type only through the oracle's answers; they never read the hidden type.

========================  ====================================================================
name                      behaviour
========================  ====================================================================
``dp_querier``            the optimal plan (B3 DP / Lemma 3.5 binary search; B5 with costs)
``greedy_querier``        the myopic planner (largest immediate gain; a baseline)
``random_querier``        random informative thresholds until the budget is spent
``no_query``              commits at once (the value ``V[0, T-1]``)
========================  ====================================================================

>>> import gymnasium, persuasion_env
>>> from agents import make_sender
>>> env = gymnasium.make("persuasion/OracleQuery-v0", game="three-types", budget=2)
>>> obs, info = env.reset(seed=0)
>>> q = make_sender("dp_querier"); q.reset(env.unwrapped.game, budget=2)
>>> obs, r, done, trunc, info = env.step(q.act(obs))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.base import Querier
from agents.registry import register
from persuasion_env._validation import check_costs, check_instance, check_int, make_rng
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle import (
    LeafPolicy,
    QueryPlan,
    greedy_plan,
    interval_policy,
    plan_queries,
    realisable_thresholds,
    threshold_query,
)

__all__ = ["DPQuerier", "GreedyQuerier", "NoQuery", "RandomQuerier"]


class _Querier(Querier):
    # Metadata (side "sender", game "oracle", level "query", full information: it is given
    # the game) from persuasion_env.protocols.Querier.

    def __init__(
        self,
        *,
        budget: int | None = None,
        costs: Any = None,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.budget = None if budget is None else check_int(budget, "budget", minimum=0)
        # The length T - 1 is checked against the game at reset; the values here, at once.
        self.costs = None if costs is None else check_costs(costs, None)
        self._rng = make_rng(seed)
        self.og: OracleGame | None = None
        self._left = 0

    # -------------------------------------------------------------- lifecycle
    def reset(
        self,
        game: OracleGame,
        *,
        budget: int | None = None,
        costs: Any = None,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        """Prepare for one episode of ``game`` (budget/costs override the constructor's)."""
        check_instance(game, OracleGame, "game")
        if budget is not None:
            budget = check_int(budget, "budget", minimum=0)
        costs = self.costs if costs is None else costs
        if costs is not None:
            costs = check_costs(costs, game.n_types)
        rng = None if seed is None else make_rng(seed)
        self.og = game
        self.budget = self.budget if budget is None else budget
        self.costs = costs
        if rng is not None:
            self._rng = rng
        self._left = self.budget if self.budget is not None else max(game.n_types - 1, 0)
        self._prepare()

    def _prepare(self) -> None:
        """Per-episode planning (subclasses)."""

    def _choose(self, lo: int, hi: int) -> int | None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -------------------------------------------------------------- driving
    def act(self, observation: Any) -> int:
        """The env action for an ``OracleQuery-v0`` observation (0 = commit)."""
        if self.og is None:
            raise RuntimeError("call reset(game, ...) first")
        T = self.og.n_types
        mask = np.asarray(observation)[:T] > 0.5
        idx = np.nonzero(mask)[0]
        lo, hi = (int(idx[0]), int(idx[-1])) if idx.size else (0, T - 1)
        if self._left <= 0:
            return 0
        t = self._choose(lo, hi)
        if t is None:
            return 0
        self._left -= 1
        return int(t)

    def run(self, oracle: Any) -> LeafPolicy:
        """Query ``oracle`` (answers only) and return the committed leaf policy."""
        if self.og is None:
            raise RuntimeError("call reset(game, ...) first")
        lo, hi = 0, self.og.n_types - 1
        while self._left > 0:
            t = self._choose(lo, hi)
            if t is None:
                break
            self._left -= 1
            q = threshold_query(self.og, t)
            if oracle.query(q.scheme, q.message):
                lo = max(lo, t)
            else:
                hi = min(hi, t - 1)
        return self._commit(lo, hi)

    def _commit(self, lo: int, hi: int) -> LeafPolicy:
        assert self.og is not None
        return interval_policy(self.og, lo, hi)


class _PlanQuerier(_Querier):
    plan: QueryPlan | None = None

    def _make_plan(self) -> QueryPlan:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare(self) -> None:
        self.plan = self._make_plan()

    def _choose(self, lo: int, hi: int) -> int | None:
        assert self.plan is not None
        return self.plan.next_query(lo, hi)


@register
class DPQuerier(_PlanQuerier):
    """The optimal querier: the DP plan run by binary search (Lemma 3.5; B5 with costs)."""

    name = "dp_querier"
    description = "oracle game: optimal threshold queries (interval DP, binary search)"

    def _make_plan(self) -> QueryPlan:
        assert self.og is not None
        return plan_queries(self.og, self.budget, costs=self.costs)


@register
class GreedyQuerier(_PlanQuerier):
    """The myopic querier: the threshold with the largest immediate gain (not optimal)."""

    name = "greedy_querier"
    description = "oracle game: myopic threshold queries (largest immediate gain)"

    def _make_plan(self) -> QueryPlan:
        assert self.og is not None
        return greedy_plan(self.og, self.budget, costs=self.costs)


@register
class RandomQuerier(_Querier):
    """Asks uniformly random realisable thresholds inside the known range."""

    name = "random_querier"
    description = "oracle game: random informative threshold queries"

    def _choose(self, lo: int, hi: int) -> int | None:
        assert self.og is not None
        if hi <= lo:
            return None
        ok = realisable_thresholds(self.og)
        ts = [t for t in range(lo + 1, hi + 1) if ok[t - 1]]
        if not ts:
            return None
        return int(self._rng.choice(ts))


@register
class NoQuery(_Querier):
    """Never queries: commits to the policy for the whole type range."""

    name = "no_query"
    description = "oracle game: no queries, commit at once"

    def _choose(self, lo: int, hi: int) -> int | None:
        return None
