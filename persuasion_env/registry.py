"""The agent registry: names -> ``"module:Class"`` entry points, with the metadata needed to
list agents without importing them (Gymnasium's convention for environments).

Where the entries come from, in this order:

1. the built-in table of the ``agents`` package, found by the module-name *string*
   :data:`BUILTIN_TABLE` through :mod:`importlib` (``persuasion_env`` never imports
   ``agents`` with an import statement; if ``agents`` is not installed there are simply no
   built-ins);
2. third-party packages, through the entry-point group :data:`ENTRY_POINT_GROUP`
   (``persuasion_env.agents``) of their distribution's metadata: each entry point names an
   agent class, an :class:`AgentSpec`, a mapping of spec fields, an iterable of those, or a
   function returning one of them;
3. :func:`register` at run time (a class, or a spec naming its entry point).

A class is imported only when it is built (:func:`make_agent`) or looked up
(:func:`agent_class`); :func:`specs` and :func:`describe_agents` read the declared metadata
only, so listing never imports torch.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from persuasion_env.protocols import BLACK_BOX, INFORMATION_CLASSES, OBSERVABLES

__all__ = [
    "BUILTIN_TABLE",
    "ENTRY_POINT_GROUP",
    "AgentSpec",
    "agent_class",
    "describe_agents",
    "list_agents",
    "load_entry_point",
    "make_agent",
    "register",
    "specs",
]

#: The built-in agents' table: ``"module:attribute"`` of an iterable of spec dicts.
BUILTIN_TABLE = "agents._entries:ENTRIES"
#: The entry-point group through which other distributions add agents.
ENTRY_POINT_GROUP = "persuasion_env.agents"
SIDES: tuple[str, ...] = ("sender", "receiver")


@dataclass(frozen=True)
class AgentSpec:
    """One registered agent, described without importing it.

    Attributes:
        name: the registry name (unique per side).
        side: ``"sender"`` or ``"receiver"``.
        entry_point: ``"module:Class"`` (``Class`` may be dotted: ``"module:Outer.Inner"``).
        description: one line for ``persuasion agents``.
        information: the information class (``persuasion_env.protocols.INFORMATION_CLASSES``).
        observes: what the agent reads while it plays (keys of ``OBSERVABLES``).
        game: ``"repeated"`` or ``"oracle"``.
        level: ``"round"``, ``"scheme"``, ``"query"``, ``"explicit"`` or ``"learning"``.
        learns, needs_scheme, observes_state: as the class attributes of the same names.
        heavy: the heavy libraries importing the class pulls in (e.g. ``("torch",)``).
        source: where the entry came from (``"builtin"``, a distribution name, ``"register"``).
    """

    name: str
    side: str
    entry_point: str
    description: str = ""
    information: str = BLACK_BOX
    observes: tuple[str, ...] = ()
    game: str = "repeated"
    level: str = ""
    learns: bool = False
    needs_scheme: bool = False
    observes_state: bool = False
    heavy: tuple[str, ...] = ()
    source: str = field(default="register", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"agent name must be a non-empty string, got {self.name!r}")
        if self.side not in SIDES:
            raise ValueError(f"side must be 'sender' or 'receiver', got {self.side!r}")
        module, _, attribute = str(self.entry_point).partition(":")
        if not module or not attribute:
            raise ValueError(f"entry_point must be 'module:Class', got {self.entry_point!r}")
        if self.information not in INFORMATION_CLASSES:
            raise ValueError(
                f"information must be one of {', '.join(INFORMATION_CLASSES)}, "
                f"got {self.information!r}"
            )
        unknown = sorted(set(self.observes) - set(OBSERVABLES))
        if unknown:
            raise ValueError(f"observes has unknown entries {unknown}; known: {list(OBSERVABLES)}")
        object.__setattr__(self, "observes", tuple(self.observes))
        object.__setattr__(self, "heavy", tuple(self.heavy))

    @classmethod
    def from_class(cls, agent: type, *, source: str = "register") -> AgentSpec:
        """The spec of an agent class, read from its class-level metadata."""
        return cls(
            name=getattr(agent, "name", None),  # type: ignore[arg-type]
            side=getattr(agent, "side", None),  # type: ignore[arg-type]
            entry_point=f"{agent.__module__}:{agent.__qualname__}",
            description=getattr(agent, "description", "") or "",
            information=getattr(agent, "information", BLACK_BOX),
            observes=tuple(getattr(agent, "observes", ())),
            game=getattr(agent, "game", "repeated"),
            level=getattr(agent, "level", ""),
            learns=bool(getattr(agent, "learns", False)),
            needs_scheme=bool(getattr(agent, "needs_scheme", False)),
            observes_state=bool(getattr(agent, "observes_state", False)),
            source=source,
        )

    def row(self) -> dict[str, Any]:
        """JSON-ready metadata (``persuasion agents --json``)."""
        row = asdict(self)
        row["observes"] = list(self.observes)
        row["heavy"] = list(self.heavy)
        return row


_SPECS: dict[tuple[str, str], AgentSpec] = {}
_CLASSES: dict[tuple[str, str], type] = {}
_LOADED = False


def load_entry_point(entry_point: str) -> Any:
    """The object named by ``"module:attribute"`` (``attribute`` may be dotted)."""
    module, _, attribute = entry_point.partition(":")
    value: Any = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


def _add(spec: AgentSpec, cls: type | None = None) -> None:
    key = (spec.side, spec.name)
    existing = _SPECS.get(key)
    if existing is not None and existing.entry_point != spec.entry_point:
        raise ValueError(
            f"a {spec.side} named {spec.name!r} is already registered ({existing.entry_point})"
        )
    if existing is None:
        _SPECS[key] = spec
    if cls is not None:
        _CLASSES[key] = cls


def _specs_of(value: Any, source: str) -> list[tuple[AgentSpec, type | None]]:
    """The specs an entry point's object declares (see the module docstring)."""
    if isinstance(value, AgentSpec):
        return [(value, None)]
    if isinstance(value, type):
        return [(AgentSpec.from_class(value, source=source), value)]
    if isinstance(value, Mapping):
        return [(AgentSpec(**{"source": source, **value}), None)]
    if callable(value):
        return _specs_of(value(), source)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [pair for item in value for pair in _specs_of(item, source)]
    raise TypeError(f"cannot read agent entries from a {type(value).__name__}")


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def _load() -> None:
    """Read the built-in table and the installed entry points (once)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    try:
        table = load_entry_point(BUILTIN_TABLE)
    except ModuleNotFoundError as exc:
        if exc.name is None or not BUILTIN_TABLE.startswith(exc.name):
            raise  # a dependency is missing inside the table's module: a real error
        table = ()
    for spec, cls in _specs_of(table, "builtin"):
        _add(spec, cls)
    for entry in _entry_points():
        if entry.value == BUILTIN_TABLE:
            continue  # the built-ins, declared again by the agents distribution itself
        source = entry.dist.name if entry.dist is not None else entry.name
        try:
            for spec, cls in _specs_of(entry.load(), source):
                _add(spec, cls)
        except Exception as exc:  # a broken plug-in must not hide the others
            warnings.warn(
                f"agent entry point {entry.name!r} ({entry.value}) of {source} skipped: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )


def register(agent: type | AgentSpec | Mapping[str, Any]) -> Any:
    """Register an agent class (usable as a class decorator), a spec or a mapping of spec
    fields; returns its argument. A name already taken by another entry point is refused."""
    _load()
    if isinstance(agent, type):
        side = getattr(agent, "side", None)
        name = getattr(agent, "name", None)
        if side not in SIDES:
            raise TypeError(f"{agent.__name__}.side must be 'sender' or 'receiver', got {side!r}")
        if not isinstance(name, str) or not name:
            raise TypeError(f"{agent.__name__}.name must be a non-empty string")
        _add(AgentSpec.from_class(agent), agent)
        return agent
    for spec, cls in _specs_of(agent, "register"):
        _add(spec, cls)
    return agent


def specs(side: str | None = None) -> list[AgentSpec]:
    """The registered specs (sorted by side, then name), without importing any agent."""
    _load()
    if side is not None and side not in SIDES:
        raise ValueError(f"side must be 'sender', 'receiver' or None, got {side!r}")
    chosen = [s for s in _SPECS.values() if side is None or s.side == side]
    return sorted(chosen, key=lambda s: (SIDES.index(s.side), s.name))


def _names(side: str) -> list[str]:
    return [s.name for s in specs(side)]


def agent_class(side: str, name: str) -> type:
    """The class registered as ``name`` on ``side`` (imports its module)."""
    if side not in SIDES:
        raise ValueError(f"side must be 'sender' or 'receiver', got {side!r}")
    if not isinstance(name, str):
        raise TypeError(f"{side} name must be a string, got {type(name).__name__}")
    _load()
    key = (side, name)
    if key not in _SPECS:
        known = ", ".join(_names(side))
        raise ValueError(f"unknown {side} {name!r}; known {side}s: {known}")
    if key not in _CLASSES:
        _CLASSES[key] = load_entry_point(_SPECS[key].entry_point)
    return _CLASSES[key]


def make_agent(side: str, name: str, /, **kwargs: Any) -> Any:
    """Build the agent registered as ``name`` on ``side``; keywords go to its constructor.

    Raises:
        ValueError: an unknown name, or keywords the constructor does not accept.
        TypeError: a required keyword is missing.
    """
    cls = agent_class(side, name)
    signature = inspect.signature(cls)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    if not accepts_any:
        unknown = sorted(set(kwargs) - set(signature.parameters))
        if unknown:
            allowed = ", ".join(p for p in signature.parameters) or "none"
            raise ValueError(
                f"unknown keyword(s) {', '.join(unknown)} for {side} {name!r}; accepted: {allowed}"
            )
    required = [
        p.name
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    missing = [p for p in required if p not in kwargs]
    if missing:
        raise TypeError(f"{side} {name!r} needs the keyword(s) {', '.join(missing)}")
    return cls(**kwargs)


def list_agents(side: str | None = None) -> dict[str, list[str]] | list[str]:
    """Registered agent names: one side's sorted list, or ``{"senders": [...], "receivers":
    [...]}`` for ``side=None``."""
    if side is None:
        return {"senders": _names("sender"), "receivers": _names("receiver")}
    if side not in SIDES:
        raise ValueError(f"side must be 'sender', 'receiver' or None, got {side!r}")
    return _names(side)


def describe_agents() -> list[dict[str, Any]]:
    """One dict of metadata per registered agent, from the declared specs (no import)."""
    return [s.row() for s in specs()]


#: The spec fields, for tables that declare agents (checked by the tests).
SPEC_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AgentSpec))
