"""The contestants and games of a tournament, read from the user's arguments.

:func:`_entries` turns the user's senders or receivers (registry names, ``(name, options)``
pairs, agent objects, or a mapping label -> any of those) into :class:`AgentEntry` objects
with unique labels; :func:`_games` turns ``games`` and ``sizes`` into the list of games
(example names, game objects, and a random suite per size). Both validate at the boundary
and name the argument at fault.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from persuasion_env._validation import check_game_size, check_int
from persuasion_env.game import PersuasionGame
from persuasion_env.registry import make_agent

__all__ = ["DEFAULT_SIZES", "AgentEntry"]

#: The random suite used when neither games nor sizes are given.
DEFAULT_SIZES = (4,)


@dataclass(frozen=True)
class AgentEntry:
    """One contestant: a label and how to build a fresh copy of it."""

    label: str
    side: str
    name: str
    kwargs: tuple[tuple[str, Any], ...] = ()
    prototype: Any = None  # an agent object given by the user (deep-copied per unit)

    def build(self) -> Any:
        if self.prototype is not None:
            return copy.deepcopy(self.prototype)
        return make_agent(self.side, self.name, **dict(self.kwargs))

    def describe(self, fingerprint: str) -> dict[str, Any]:
        """JSON-ready identity (for the fingerprint of a stored tournament); ``fingerprint``
        is the built agent's content fingerprint (class, options, weights, learned state)."""
        if self.prototype is not None:
            identity = {"label": self.label, "object": repr(self.prototype)}
        else:
            identity = {
                "label": self.label,
                "name": self.name,
                "kwargs": _jsonable(dict(self.kwargs)),
            }
        return {**identity, "fingerprint": fingerprint}


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return repr(value)


def _label(name: str, kwargs: Mapping[str, Any]) -> str:
    if not kwargs:
        return name
    inside = ",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    return f"{name}({inside})"


def _object_label(agent: Any) -> str:
    """``name(option=value, ...)`` with the options that differ from a default-built agent
    of the same class, so two configured instances of one class get distinct labels
    (``q_learning(alpha=0.5)`` beside ``q_learning``)."""
    params = agent.params() if callable(getattr(agent, "params", None)) else {}
    try:
        defaults = type(agent)().params()  # options resolved as the class resolves them
    except Exception:  # a class without a default construction: show every option
        defaults = {}
    changed = {}
    for key, value in params.items():
        if key not in defaults:
            changed[key] = value
            continue
        default = defaults[key]
        try:
            same = type(value) is type(default) and bool(np.all(value == default))
        except (TypeError, ValueError):
            same = False
        if not same:
            changed[key] = value
    return _label(agent.name, changed)


def _entries(agents: Any, side: str) -> list[AgentEntry]:
    """Normalise the user's list of agents: names, (name, kwargs) pairs, objects, or a
    mapping label -> any of those."""
    if agents is None or isinstance(agents, str) or not isinstance(agents, Iterable | Mapping):
        raise TypeError(f"{side}s must be a list of agent names or objects, got {agents!r}")
    items = list(agents.items()) if isinstance(agents, Mapping) else [(None, a) for a in agents]
    if not items:
        raise ValueError(f"{side}s must not be empty")
    entries = []
    for label, agent in items:
        if isinstance(agent, str):
            entry = AgentEntry(label or agent, side, agent)
        elif isinstance(agent, tuple) and len(agent) == 2 and isinstance(agent[0], str):
            if not isinstance(agent[1], Mapping):
                raise TypeError(
                    f"{side} {agent!r}: a (name, options) pair needs a dict of options, got "
                    f"{type(agent[1]).__name__}"
                )
            name, kwargs = agent[0], dict(agent[1])
            entry = AgentEntry(
                label or _label(name, kwargs), side, name, tuple(sorted(kwargs.items()))
            )
        elif getattr(agent, "side", None) == side:
            entry = AgentEntry(label or _object_label(agent), side, agent.name, prototype=agent)
        else:
            raise TypeError(f"{side} {agent!r} is neither a registry name nor a {side} agent")
        entries.append(entry)
    entries = _number_objects(entries, [label is None for label, _ in items])
    labels = [e.label for e in entries]
    duplicated = sorted({x for x in labels if labels.count(x) > 1})
    if duplicated:
        raise ValueError(
            f"{side} labels must be unique, {', '.join(duplicated)} appear twice; "
            "pass a mapping {label: agent} to name them"
        )
    return entries


def _number_objects(entries: list[AgentEntry], unnamed: list[bool]) -> list[AgentEntry]:
    """Agent objects given without a label whose configurations print alike (e.g. two
    trained copies of one class) are numbered in order: ``modelr``, ``modelr#2``, ...;
    names and explicit labels are never changed (a clash among those is an error)."""
    taken = {e.label for e, auto in zip(entries, unnamed, strict=True) if not auto}
    taken |= {e.label for e in entries if e.prototype is None}
    seen: dict[str, int] = {}
    result = []
    for entry, auto in zip(entries, unnamed, strict=True):
        if auto and entry.prototype is not None:
            count = seen.get(entry.label, 0) + 1
            seen[entry.label] = count
            if count > 1 or entry.label in taken:
                label = f"{entry.label}#{count + (entry.label in taken)}"
                entry = AgentEntry(label, entry.side, entry.name, entry.kwargs, entry.prototype)
        result.append(entry)
    return result


def _games(
    games: Sequence[Any] | None, sizes: Sequence[int] | None, n_games: int, game_seed: int
) -> list[PersuasionGame]:
    for value, label in ((games, "games"), (sizes, "sizes")):
        if value is not None and (
            isinstance(value, str) or not isinstance(value, Sequence | np.ndarray)
        ):
            raise TypeError(f"{label} must be a list or None, got {type(value).__name__} {value!r}")
    games = None if games is None else list(games)
    sizes = None if sizes is None else list(sizes)
    if games is not None and len(games) == 0 and (sizes is None or len(sizes) == 0):
        raise ValueError(
            "games is empty and no sizes are given: the tournament would play no match "
            "(pass games, sizes, or neither for the default random suite)"
        )
    if sizes is not None and len(sizes) == 0 and (games is None or len(games) == 0):
        raise ValueError(
            "sizes is empty and no games are given: the tournament would play no match"
        )
    result: list[PersuasionGame] = []
    for game in games or ():
        if isinstance(game, str):
            game = PersuasionGame.example(game)
        if not isinstance(game, PersuasionGame):
            raise TypeError(f"games must be PersuasionGame objects or example names, got {game!r}")
        result.append(game)
    if sizes is None and not result:
        sizes = DEFAULT_SIZES
    for size in sizes or ():
        size = check_int(size, "sizes entry", minimum=1)
        check_game_size(size, size, f"sizes entry {size}")
        for i in range(n_games):
            result.append(
                PersuasionGame.random(
                    size,
                    size,
                    seed=game_seed * 1_000_003 + size * 1_000 + i,
                    name=f"random-{size}x{size}-{i}",
                )
            )
    names = [g.name for g in result]
    duplicated = sorted({x for x in names if names.count(x) > 1})
    if duplicated:
        raise ValueError(f"game names must be unique, {', '.join(duplicated)} appear twice")
    return result
