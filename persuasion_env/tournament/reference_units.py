"""The reference units of a tournament (``references=True``, MODEL.md C1): the best fixed
scheme in hindsight against one receiver on one game, over all seeds, shared by every sender.
See :mod:`persuasion_env.tournament.core` ("References")."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from persuasion_env.game import PersuasionGame
from persuasion_env.tournament.workers import limit_worker_threads

if TYPE_CHECKING:
    from persuasion_env.tournament.core import AgentEntry

__all__ = ["ReferenceUnit", "run_reference_unit"]


@dataclass(frozen=True)
class ReferenceUnit:
    """The best fixed scheme in hindsight against one receiver on one game (all seeds)."""

    receiver: AgentEntry
    game: PersuasionGame
    seeds: tuple[int, ...]
    rounds: int
    options: tuple[tuple[str, Any], ...]

    @property
    def key(self) -> str:
        return f"best_fixed|{self.receiver.label}|{self.game.name}"

    @property
    def unit_id(self) -> str:
        return "ref-" + hashlib.sha256(self.key.encode()).hexdigest()[:16]

    def matches(self) -> list[tuple[str, str, str, int]]:
        """No match of the table: the unit's output is a reference, not rows."""
        return []

    def seed(self) -> int:
        """An integer seed from the seed list and the unit's identity, nothing else."""
        entropy = [*self.seeds, *hashlib.sha256(self.key.encode()).digest()[:8]]
        return int(np.random.SeedSequence(entropy).generate_state(1, np.uint32)[0])


def run_reference_unit(unit: ReferenceUnit) -> dict[str, Any]:
    """Play the reference family; never raises (a failure leaves ``reference`` None)."""
    from persuasion_env.references import best_fixed_scheme

    start = time.perf_counter()
    options = {k: v for k, v in unit.options if k in ("normalize", "noise", "epoch")}
    try:
        limit_worker_threads()
        ref = best_fixed_scheme(
            unit.game,
            unit.receiver.build,
            rounds=unit.rounds,
            runs=len(unit.seeds),
            seed=unit.seed(),
            **options,
        )
        reference = {
            "receiver": unit.receiver.label,
            "game": unit.game.name,
            "value": ref.value,
            "name": ref.name,
            "members": ref.members,
        }
        error = ""
    except Exception as exc:  # fault isolation: the rows get NaN references
        reference = None
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return {
        "unit": unit.unit_id,
        "rows": [],
        "curve": None,
        "reference": reference,
        "error": error,
        "wall_time": time.perf_counter() - start,
    }
