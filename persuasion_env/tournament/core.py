"""All-vs-all tournaments of senders against receivers (Axelrod style).

A :class:`Tournament` plays every sender against every receiver on every game for every
seed, for a fixed number of rounds, and returns a
:class:`~persuasion_env.tournament.result.TournamentResult` with one row per
(sender, receiver, game, seed).

**Execution units.** Matches that share (sender, receiver) and the game's shape run in *one*
batched engine call: every game of that shape, every seed, one run each. Agents that cannot
play a batch of different games (``batched_games = False``, e.g. TableNet) get one unit per
game. Units are independent, so they run in any order, on local processes or on Ray, and the
result is the same: each unit's random generator is derived from the tournament's seed list
and the unit's identity only.

**Workers.** Local worker processes come from a fork server (``spawn`` where there is
none), never from a fork of a process whose torch thread pool runs (that child hangs), and a
worker that loads torch uses one thread.

**References** (``references=True``, MODEL.md C1). For every (receiver, game) the best
fixed scheme in hindsight (:func:`persuasion_env.references.best_fixed_scheme`) is played
once against a fresh copy of the receiver, with ``len(seeds)`` runs of ``rounds`` rounds and
the tournament's observation options: its own execution unit (stored, resumed and run in
parallel like the matches), shared by every sender of that receiver and game. Its seed is
derived from the seed list, the receiver's label and the game's name, so the family members
share their random draws with each other (common random numbers), not with the senders'
matches. The table then gains the columns of
:data:`~persuasion_env.tournament.result.REFERENCE_COLUMNS`. Off by default: it costs one
simulation per family member, receiver and game, and leaves the table as it was.

**Resume.** With ``out=DIR`` every finished unit is written atomically to ``DIR/units/`` as
it completes; ``resume=True`` skips the units already there. A run killed at any point and
resumed produces the table an uninterrupted run produces. The stored tournament is keyed on
content (:meth:`Tournament.fingerprint`: each agent's class, options, learned state and model
weights), a damaged unit file is reported and replayed, and failed units are replayed.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from persuasion_env._code_digest import agent_code_digest
from persuasion_env._fingerprint import agent_fingerprint
from persuasion_env._validation import (
    check_bool,
    check_choice,
    check_int,
    check_positive,
)
from persuasion_env.game import PersuasionGame
from persuasion_env.protocols import information_class
from persuasion_env.references import REFERENCE_SENDERS
from persuasion_env.registry import make_agent
from persuasion_env.tournament.entries import DEFAULT_SIZES, AgentEntry, _entries, _games
from persuasion_env.tournament.reference_units import ReferenceUnit, run_reference_unit
from persuasion_env.tournament.workers import (
    limit_worker_threads,
    play_processes,
    play_ray,
    require_ray,
)

if TYPE_CHECKING:
    from persuasion_env.tournament.result import TournamentResult

__all__ = ["AgentEntry", "Tournament", "DEFAULT_SIZES", "ReferenceUnit"]

#: Version of the on-disk layout of ``DIR``; a resume refuses another version. 3: the
#: agents' code digests (``code``) are stored and checked on resume.
STORE_VERSION = 3
#: Testing hook: with this environment variable set to N, the run kills itself (SIGKILL)
#: right after writing its N-th unit file: a crash at a known point, for the resume tests.
KILL_AFTER_ENV = "PERSUASION_TOURNAMENT_KILL_AFTER_UNITS"


@dataclass(frozen=True)
class Unit:
    """One batched engine call: a sender, a receiver, games of one shape, all seeds."""

    sender: AgentEntry
    receiver: AgentEntry
    games: tuple[PersuasionGame, ...]
    seeds: tuple[int, ...]
    rounds: int
    options: tuple[tuple[str, Any], ...]
    references: bool = False  # also report each run's tail metric (MODEL.md C1)

    @property
    def key(self) -> str:
        shape = "x".join(map(str, self.games[0].shape))
        names = ",".join(g.name for g in self.games)
        return f"{self.sender.label}|{self.receiver.label}|{shape}|{names}"

    @property
    def unit_id(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:16]

    def matches(self) -> list[tuple[str, str, str, int]]:
        """The unit's matches ``(sender, receiver, game, seed)``."""
        return [
            (self.sender.label, self.receiver.label, game.name, seed)
            for game in self.games
            for seed in self.seeds
        ]

    def entropy(self) -> list[int]:
        """Seed material: the seed list and the unit's identity, nothing else."""
        digest = int.from_bytes(hashlib.sha256(self.key.encode()).digest()[:8], "little")
        return [*self.seeds, digest]


def run_unit(unit: Unit | ReferenceUnit) -> dict[str, Any]:
    """Play one unit and return its rows (and learning curve). Never raises: an agent's
    exception becomes rows with ``status = "failed"`` and the message."""
    from persuasion_env.engine import simulate

    if isinstance(unit, ReferenceUnit):
        return run_reference_unit(unit)

    start = time.perf_counter()
    options = dict(unit.options)
    try:
        sender, receiver = unit.sender.build(), unit.receiver.build()
        limit_worker_threads()
        seed = np.random.default_rng(np.random.SeedSequence(unit.entropy()))
        res = simulate(
            list(unit.games),
            sender,
            receiver,
            rounds=unit.rounds,
            runs=len(unit.seeds),
            seed=seed,
            **options,
        )
    except Exception as exc:  # fault isolation: record and go on
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        rows = [
            _row(unit, game, seed, status="failed", error=message)
            for game in unit.games
            for seed in unit.seeds
        ]
        return {
            "unit": unit.unit_id,
            "rows": rows,
            "curve": None,
            "wall_time": time.perf_counter() - start,
            "traceback": traceback.format_exc(limit=5),
        }
    wall = time.perf_counter() - start
    rows = []
    per_run_time = wall / res.runs
    for i in range(res.runs):
        game = unit.games[res.run_game[i]]
        seed = unit.seeds[i % len(unit.seeds)]
        rows.append(
            _row(
                unit,
                game,
                seed,
                sender_utility=float(res.final_sender_utility[i]),
                receiver_utility=float(res.final_receiver_utility[i]),
                realised_sender_utility=float(res.run_sender_utility[i]),
                realised_receiver_utility=float(res.run_receiver_utility[i]),
                lp_value=float(res.run_lp_value[i]),
                obedience=float(res.run_obedience[i]),
                first_best_rate=float(res.final_first_best_rate[i]),
                wall_time=per_run_time,
            )
        )
        if unit.references:
            rows[-1]["tail_sender_utility"] = float(res.run_tail_sender_utility[i])
    curve = {
        "rounds": res.bin_edges[1:].tolist(),
        "sender_utility": res.sender_utility.tolist(),
        "lp_value": res.lp_value,
    }
    return {"unit": unit.unit_id, "rows": rows, "curve": curve, "wall_time": wall}


def _row(unit: Unit, game: PersuasionGame, seed: int, **values: Any) -> dict[str, Any]:
    lp = values.get("lp_value", float("nan"))
    utility = values.get("sender_utility", float("nan"))
    row = {
        "sender": unit.sender.label,
        "receiver": unit.receiver.label,
        "game": game.name,
        "size": f"{game.n_states}x{game.n_actions}",
        "seed": seed,
        "sender_utility": utility,
        "receiver_utility": values.get("receiver_utility", float("nan")),
        "lp_value": lp,
        "ratio": utility / lp if lp and np.isfinite(lp) else float("nan"),
        "realised_sender_utility": values.get("realised_sender_utility", float("nan")),
        "realised_receiver_utility": values.get("realised_receiver_utility", float("nan")),
        "obedience": values.get("obedience", float("nan")),
        "first_best_rate": values.get("first_best_rate", float("nan")),
        "rounds": unit.rounds,
        "wall_time": values.get("wall_time", float("nan")),
        "status": values.get("status", "ok"),
        "error": values.get("error", ""),
    }
    return row


class Tournament:
    """Every sender against every receiver, on every game, for every seed.

    Args:
        senders: agent names (``"info_q"``), ``(name, kwargs)`` pairs, agent objects, or a
            mapping ``{label: any of those}``.
        receivers: likewise.
        games: games (``PersuasionGame``) or example names; optional if ``sizes`` is given.
        seeds: the seeds; each (sender, receiver, game) is played once per seed.
        rounds: rounds per match.
        sizes: add ``n_games`` random ``size x size`` games per size (seed 000's protocol:
            ``u1, u2 ~ U[0, 1]``, uniform prior). Without games and sizes: ``(4,)``.
        n_games: random games per size.
        game_seed: seed of the random games.
        normalize: scale observed payoffs by ``max |u|`` (see :func:`persuasion_env.simulate`).
        noise: Gaussian noise on observed payoffs.
        epoch: how often an explicit receiver sees a per-round sender's policy.
        bins: points of the learning curves.
        references: also play the best fixed scheme in hindsight against every (receiver,
            game) and add the columns ``tail_sender_utility``, ``best_fixed_value``,
            ``best_fixed_scheme``, ``regret``, ``ratio_best_fixed``,
            ``sender_information`` and ``receiver_information`` (see the module docstring).

    >>> t = Tournament(["info_q", "lp_optimal"], ["q_learning"], sizes=[3], n_games=2,
    ...                seeds=[0, 1], rounds=500)
    >>> result = t.play(jobs=1, progress=False)  # doctest: +SKIP
    """

    def __init__(
        self,
        senders: Any,
        receivers: Any,
        games: Sequence[Any] | None = None,
        seeds: Sequence[int] = (0,),
        rounds: int = 20_000,
        *,
        sizes: Sequence[int] | None = None,
        n_games: int = 5,
        game_seed: int = 0,
        normalize: bool = True,
        noise: float = 0.0,
        epoch: int = 100,
        bins: int = 50,
        references: bool = False,
    ) -> None:
        self.references = check_bool(references, "references")
        self.senders = _entries(senders, "sender")
        self.receivers = _entries(receivers, "receiver")
        self.n_games = check_int(n_games, "n_games", minimum=1)
        self.games = _games(
            games, sizes, self.n_games, check_int(game_seed, "game_seed", minimum=0)
        )
        if isinstance(seeds, int):
            raise TypeError("seeds must be a list of integers, e.g. [0, 1, 2]")
        self.seeds = tuple(check_int(s, f"seeds[{i}]", minimum=0) for i, s in enumerate(seeds))
        if not self.seeds:
            raise ValueError("seeds must not be empty")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {list(self.seeds)}")
        self.rounds = check_int(rounds, "rounds", minimum=1)
        self.options = (
            ("bins", check_int(bins, "bins", minimum=1)),
            ("epoch", check_int(epoch, "epoch", minimum=1)),
            ("noise", check_positive(noise, "noise", allow_zero=True)),
            ("normalize", check_bool(normalize, "normalize")),
        )
        self._check_compatible()

    # ------------------------------------------------------------------ planning
    def _check_compatible(self) -> None:
        """Build every agent once and try it on every game: errors before anything runs."""
        self._batched: dict[tuple[str, str], bool] = {}
        self._fingerprints: dict[tuple[str, str], str] = {}
        self._code: dict[tuple[str, str], str] = {}
        self.information: dict[tuple[str, str], str] = {}
        for entry in self.senders + self.receivers:
            agent = entry.build()
            self.information[(entry.side, entry.label)] = information_class(agent)
            # Before reset: the state every unit starts from (options, weights, learning).
            self._fingerprints[(entry.side, entry.label)] = agent_fingerprint(agent)
            self._code[(entry.side, entry.label)] = agent_code_digest(agent)
            kind = getattr(agent, "game", "repeated")
            if kind != "repeated":
                raise ValueError(
                    f"{entry.side} {entry.label!r} plays the {kind} game and cannot join a "
                    "repeated-persuasion tournament"
                )
            if entry.side == "sender":
                for game in self.games:
                    agent.messages_for(game)  # raises for a game of the wrong size
            self._batched[(entry.side, entry.label)] = bool(getattr(agent, "batched_games", False))
        if self.references:  # the best-fixed family's senders play the reference units
            for name in REFERENCE_SENDERS:
                self._code[("reference", name)] = agent_code_digest(make_agent("sender", name))

    def units(self) -> list[Unit]:
        """The execution units, in a fixed order."""
        by_shape: dict[tuple[int, int], list[PersuasionGame]] = {}
        for game in self.games:
            by_shape.setdefault(game.shape, []).append(game)
        units = []
        for sender in self.senders:
            for receiver in self.receivers:
                batchable = (
                    self._batched[("sender", sender.label)]
                    and self._batched[("receiver", receiver.label)]
                )
                for shape in sorted(by_shape):
                    groups = [by_shape[shape]] if batchable else [[g] for g in by_shape[shape]]
                    for group in groups:
                        units.append(
                            Unit(
                                sender,
                                receiver,
                                tuple(group),
                                self.seeds,
                                self.rounds,
                                self.options,
                                self.references,
                            )
                        )
        return units

    def reference_units(self) -> list[ReferenceUnit]:
        """The reference units (one per receiver and game), empty without references."""
        if not self.references:
            return []
        return [
            ReferenceUnit(receiver, game, self.seeds, self.rounds, self.options)
            for receiver in self.receivers
            for game in self.games
        ]

    @property
    def n_matches(self) -> int:
        return len(self.senders) * len(self.receivers) * len(self.games) * len(self.seeds)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description; its hash identifies the tournament on disk."""
        from persuasion_env import __version__

        return {
            "version": STORE_VERSION,
            "package_version": __version__,
            "senders": [e.describe(self._fingerprints[("sender", e.label)]) for e in self.senders],
            "receivers": [
                e.describe(self._fingerprints[("receiver", e.label)]) for e in self.receivers
            ],
            "games": [g.to_dict() for g in self.games],
            "seeds": list(self.seeds),
            "rounds": self.rounds,
            "options": dict(self.options),
            **({"references": True} if self.references else {}),
        }

    def code_versions(self) -> dict[str, str]:
        """``{"sender:label": digest}`` of the code each agent runs
        (:func:`~persuasion_env._code_digest.agent_code_digest`): a resume refuses stored
        units computed by other code. Kept out of :meth:`fingerprint`, which says *what* is
        played, so a refactor of an agent leaves the description's hash alone."""
        return {f"{side}:{label}": digest for (side, label), digest in self._code.items()}

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`describe`: equal only for tournaments that play the same
        matches with agents of the same class, options, weights and learned state."""
        text = json.dumps(self.describe(), sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()

    # ------------------------------------------------------------------ playing
    def play(
        self,
        jobs: int = 1,
        backend: str = "local",
        out: str | Path | None = None,
        resume: bool = False,
        progress: bool = True,
    ) -> TournamentResult:
        """Play the tournament.

        Args:
            jobs: worker processes (local backend) or concurrent Ray tasks; 1 runs in-process.
            backend: ``"local"`` (processes on this machine) or ``"ray"`` (a Ray cluster, or
                a local Ray instance when none is running; ``pip install persuasion-env[ray]``).
            out: a directory that keeps every finished unit (written atomically) and, at the
                end, ``results.csv`` and the plots.
            resume: continue the tournament stored in ``out``: skips its finished units,
                replays failed ones and damaged unit files (with a ``UnitFileWarning``).
                Refused (``ValueError``) if ``out`` holds another tournament, e.g. an agent
                whose options, learned state or model weights differ.
            progress: show a progress bar of matches with rate and ETA.

        Returns:
            A :class:`~persuasion_env.tournament.result.TournamentResult`.
        """
        from persuasion_env.tournament.result import TournamentResult
        from persuasion_env.tournament.store import UnitStore

        jobs = check_int(jobs, "jobs", minimum=1)
        check_choice(backend, "backend", ("local", "ray"), listed=False)
        if out is not None and not isinstance(out, str | os.PathLike):
            raise TypeError(f"out must be a directory path (str or Path), got {type(out).__name__}")
        if check_bool(resume, "resume") and out is None:
            raise ValueError("resume=True needs out, the directory of the tournament to continue")
        progress = check_bool(progress, "progress")
        if backend == "ray":
            require_ray()
        store = UnitStore(out, self, resume=resume) if out is not None else None
        units = self.units()
        references = self.reference_units()
        done: dict[str, dict[str, Any]] = {}
        if store is not None:
            done = store.finished({u.unit_id: u.matches() for u in units + references})
            for unit in references:  # a failed reference is replayed, like a failed match
                if unit.unit_id in done and not isinstance(
                    done[unit.unit_id].get("reference"), dict
                ):
                    del done[unit.unit_id]
        todo = [u for u in references + units if u.unit_id not in done]
        kill_after = _kill_after() if store is not None else None

        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.n_matches, unit="match", desc="tournament", smoothing=0.05)
            bar.update(sum(len(u.games) * len(u.seeds) for u in units if u.unit_id in done))

        written = 0

        def finished(output: dict[str, Any]) -> None:
            nonlocal written
            done[output["unit"]] = output
            if store is not None:
                store.write(output)
                written += 1
                if kill_after is not None and written >= kill_after:
                    os.kill(os.getpid(), signal.SIGKILL)  # the testing hook: crash here
            if bar is not None:
                bar.update(len(output["rows"]))

        try:
            if backend == "ray":
                play_ray(todo, jobs, finished)
            elif jobs == 1 or len(todo) <= 1:
                for unit in todo:
                    finished(run_unit(unit))
            else:
                play_processes(todo, jobs, finished)
        finally:
            if bar is not None:
                bar.close()
        outputs = [done[u.unit_id] for u in units]
        refs = {
            (out["reference"]["receiver"], out["reference"]["game"]): out["reference"]
            for out in (done[u.unit_id] for u in references)
            if isinstance(out.get("reference"), dict)
        }
        result = TournamentResult.from_outputs(
            outputs, self, references=refs if self.references else None
        )
        if store is not None:
            store.finish(result)
        return result


def _kill_after() -> int | None:
    text = os.environ.get(KILL_AFTER_ENV)
    if not text:
        return None
    try:
        return check_int(int(text), KILL_AFTER_ENV, minimum=1)
    except ValueError:
        raise ValueError(f"{KILL_AFTER_ENV} must be a positive integer, got {text!r}") from None
