"""The agent registry: build senders and receivers by name.

Agents register themselves with the :func:`register` class decorator; the registry imports
the agent modules lazily the first time a name is looked up, so ``import agents`` stays cheap
and torch is imported only when a torch agent is actually built.

>>> from agents import make_receiver, list_agents
>>> make_receiver("quantal", lam=20.0)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

#: Modules that define registered agents. Imported on first look-up.
_AGENT_MODULES: tuple[str, ...] = (
    "agents.receivers",
    "agents.senders",
    "agents.queriers",
)

#: Agents whose module imports a heavy library (torch, SB3): imported only when built by name.
_LAZY_AGENTS: dict[tuple[str, str], str] = {
    ("sender", "tablenet"): "agents.senders.tablenet",
    ("sender", "sb3"): "agents.sb3",
    ("receiver", "sb3"): "agents.sb3",
}

_REGISTRY: dict[str, dict[str, type]] = {"sender": {}, "receiver": {}}
_LOADED = False


def register(cls: type) -> type:
    """Class decorator: add ``cls`` to the registry under ``cls.name`` and ``cls.side``."""
    side = getattr(cls, "side", None)
    name = getattr(cls, "name", None)
    if side not in _REGISTRY:
        raise TypeError(f"{cls.__name__}.side must be 'sender' or 'receiver', got {side!r}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__}.name must be a non-empty string")
    existing = _REGISTRY[side].get(name)
    if existing is not None and existing is not cls:
        raise ValueError(f"a {side} named {name!r} is already registered ({existing.__name__})")
    _REGISTRY[side][name] = cls
    return cls


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    for module in _AGENT_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # A module not written yet is fine; a missing dependency *inside* it is not.
            if exc.name != module:
                raise
    _LOADED = True


def _names(side: str) -> list[str]:
    lazy = [name for (lazy_side, name) in _LAZY_AGENTS if lazy_side == side]
    return sorted(set(_REGISTRY[side]) | set(lazy))


def _lookup(side: str, name: str) -> type:
    if not isinstance(name, str):
        raise TypeError(f"{side} name must be a string, got {type(name).__name__}")
    _load()
    if name not in _REGISTRY[side] and (side, name) in _LAZY_AGENTS:
        importlib.import_module(_LAZY_AGENTS[(side, name)])
    try:
        return _REGISTRY[side][name]
    except KeyError:
        known = ", ".join(_names(side))
        raise ValueError(f"unknown {side} {name!r}; known {side}s: {known}") from None


def _make(side: str, name: str, kwargs: dict[str, Any]) -> Any:
    cls = _lookup(side, name)
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


def make_sender(name: str, **kwargs: Any) -> Any:
    """Build the sender registered as ``name``; keyword arguments go to its constructor."""
    return _make("sender", name, kwargs)


def make_receiver(name: str, **kwargs: Any) -> Any:
    """Build the receiver registered as ``name``; keyword arguments go to its constructor."""
    return _make("receiver", name, kwargs)


def agent_class(side: str, name: str) -> type:
    """The registered class of ``side`` ("sender" or "receiver") called ``name``."""
    if side not in _REGISTRY:
        raise ValueError(f"side must be 'sender' or 'receiver', got {side!r}")
    return _lookup(side, name)


def list_agents(side: str | None = None) -> dict[str, list[str]] | list[str]:
    """Registered agent names.

    Args:
        side: ``"sender"`` or ``"receiver"`` for one list, ``None`` for both as a dict
            ``{"senders": [...], "receivers": [...]}``.
    """
    _load()
    if side is None:
        return {"senders": _names("sender"), "receivers": _names("receiver")}
    if side not in _REGISTRY:
        raise ValueError(f"side must be 'sender', 'receiver' or None, got {side!r}")
    return _names(side)


def describe_agents() -> list[dict[str, Any]]:
    """One dict of metadata per registered agent (name, side, description, flags).

    Imports the lazily loaded agent modules (and so torch) to read their metadata.
    """
    _load()
    rows = []
    for side in ("sender", "receiver"):
        for name in _names(side):
            try:
                cls = _lookup(side, name)
            except ImportError as exc:  # an optional dependency is missing
                rows.append({"name": name, "side": side, "description": f"(unavailable: {exc})"})
                continue
            rows.append(
                {
                    "name": name,
                    "side": side,
                    "game": getattr(cls, "game", "repeated"),
                    "level": getattr(cls, "level", ""),
                    "learns": bool(getattr(cls, "learns", False)),
                    "needs_scheme": bool(getattr(cls, "needs_scheme", False)),
                    "observes_state": bool(getattr(cls, "observes_state", False)),
                    "description": getattr(cls, "description", "") or "",
                }
            )
    return rows
