"""Query plans of the oracle game (MODEL.md B3): the query tree (:class:`QueryNode`) and the
plan a planner returns (:class:`QueryPlan`), which runs against any simulation oracle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle.intervals import (
    LeafPolicy,
)
from persuasion_env.solvers.oracle.thresholds import (
    threshold_query,
)


@dataclass(frozen=True, eq=False)
class QueryNode:
    """A node of a query tree: a leaf (``threshold is None``) or a query with two children.

    Attributes:
        lo, hi: the type range known at this node.
        threshold: the threshold asked here ("type >= threshold?"), or None at a leaf.
        below: subtree for the answer "no" (range ``lo..threshold-1``).
        above: subtree for the answer "yes" (range ``threshold..hi``).
        leaf: the committed :class:`LeafPolicy` at a leaf (None when policies were skipped).
    """

    lo: int
    hi: int
    threshold: int | None = None
    below: QueryNode | None = None
    above: QueryNode | None = None
    leaf: LeafPolicy | None = None

    @property
    def is_leaf(self) -> bool:
        return self.threshold is None

    @property
    def depth(self) -> int:
        if self.is_leaf:
            return 0
        return 1 + max(self.below.depth, self.above.depth)  # type: ignore[union-attr]

    def leaves(self) -> list[QueryNode]:
        if self.is_leaf:
            return [self]
        return self.below.leaves() + self.above.leaves()  # type: ignore[union-attr]

    def to_dict(self) -> dict[str, Any]:
        if self.is_leaf:
            return {"range": [self.lo, self.hi]}
        return {
            "range": [self.lo, self.hi],
            "threshold": self.threshold,
            "below": self.below.to_dict(),  # type: ignore[union-attr]
            "above": self.above.to_dict(),  # type: ignore[union-attr]
        }


@dataclass(frozen=True, eq=False)
class QueryPlan:
    """A querying policy and the messaging policy at each of its leaves.

    Attributes:
        value: the sender's expected payoff: ``P(receiver acts)`` minus the expected query
            cost.
        thresholds: sorted threshold type indices the plan may ask (each in 1..T-1).
        tree: the query tree (for a non-adaptive plan: the binary search over ``thresholds``;
            the plan nevertheless asks every threshold).
        leaves: the leaf policies, by increasing type range.
        adaptive: whether later queries depend on earlier answers.
        budget: the query budget (None when unlimited).
        costs: ``(T-1,)`` query costs, or None.
        gross_value: ``P(receiver acts)``.
        expected_cost: expected total query cost.
        known_type_value: ``sum_t V[t, t]``, the value with a perfectly informed sender.
        no_query_value: ``V[0, T-1]``.
        method: ``"dp"``, ``"greedy"``, ``"rounded-dp"`` ...
        info: extra facts (e.g. the rounded game's value and ``eps`` for rounded plans).
    """

    value: float
    thresholds: tuple[int, ...]
    tree: QueryNode
    leaves: tuple[LeafPolicy | None, ...]
    adaptive: bool
    budget: int | None
    costs: np.ndarray | None
    gross_value: float
    expected_cost: float
    known_type_value: float
    no_query_value: float
    method: str = "dp"
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        """The largest number of queries asked on any path (all thresholds if non-adaptive)."""
        return self.tree.depth if self.adaptive else len(self.thresholds)

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        """The leaf type ranges, in increasing order."""
        return tuple((n.lo, n.hi) for n in self.tree.leaves())

    def next_query(self, lo: int, hi: int) -> int | None:
        """The next threshold to ask when the answers so far leave ``lo..hi`` (None: commit)."""
        node = self.tree
        while not node.is_leaf:
            if node.lo == lo and node.hi == hi:
                return node.threshold
            t = node.threshold
            node = node.above if lo >= t else node.below  # type: ignore[assignment,operator]
            if node is None:  # pragma: no cover
                break
        return None

    def leaf_for(self, lo: int, hi: int) -> LeafPolicy | None:
        """The leaf policy whose range contains ``lo..hi``."""
        for leaf_node in self.tree.leaves():
            if leaf_node.lo <= lo and hi <= leaf_node.hi:
                return leaf_node.leaf
        return None

    def execute(self, oracle: Any, og: OracleGame | None = None) -> LeafPolicy | None:
        """Run the plan against an oracle and return the committed leaf policy.

        Each threshold is realised as a real query (:func:`threshold_query`) and answered by
        ``oracle.query(scheme, message)``; the plan never sees the hidden type. A non-adaptive
        plan asks all its thresholds.

        Args:
            oracle: an object with ``query(scheme, message) -> bool`` (e.g.
                :class:`persuasion_env.oracle.SimulationOracle`) and a ``game`` attribute.
            og: the game (default ``oracle.game``).
        """
        game = og if og is not None else oracle.game
        lo, hi = 0, game.n_types - 1
        if self.adaptive:
            node = self.tree
            while not node.is_leaf:
                q = threshold_query(game, node.threshold)  # type: ignore[arg-type]
                yes = bool(oracle.query(q.scheme, q.message))
                node = node.above if yes else node.below  # type: ignore[assignment]
            return node.leaf
        for t in self.thresholds:
            q = threshold_query(game, t)
            if oracle.query(q.scheme, q.message):
                lo = max(lo, t)
            else:
                hi = min(hi, t - 1)
        return self.leaf_for(lo, hi)

    def to_dict(self, *, schemes: bool = False) -> dict[str, Any]:
        """JSON-ready summary (leaf schemes included with ``schemes=True``)."""
        leaves = []
        for n in self.tree.leaves():
            entry: dict[str, Any] = {"range": [n.lo, n.hi]}
            if n.leaf is not None:
                entry.update(
                    value=n.leaf.value,
                    mass=n.leaf.mass,
                    message_thresholds=list(n.leaf.message_thresholds),
                )
                if schemes:
                    entry["scheme"] = n.leaf.scheme.tolist()
            leaves.append(entry)
        return {
            "value": self.value,
            "thresholds": list(self.thresholds),
            "adaptive": self.adaptive,
            "budget": self.budget,
            "costs": None if self.costs is None else self.costs.tolist(),
            "gross_value": self.gross_value,
            "expected_cost": self.expected_cost,
            "known_type_value": self.known_type_value,
            "no_query_value": self.no_query_value,
            "depth": self.depth,
            "method": self.method,
            "tree": self.tree.to_dict(),
            "leaves": leaves,
            **{k: v for k, v in self.info.items() if isinstance(v, int | float | str)},
        }


def _tree_gross(node: QueryNode, V: np.ndarray) -> float:
    return float(sum(V[n.lo, n.hi] for n in node.leaves()))


def _internal_nodes(node: QueryNode) -> list[QueryNode]:
    if node.is_leaf:
        return []
    return [node] + _internal_nodes(node.below) + _internal_nodes(node.above)  # type: ignore[arg-type]
