"""Content fingerprints of agents: what a stored tournament is keyed on.

A stored result may be reused only for the agent that produced it. ``repr(agent)`` is not
enough (two SB3 agents with different weights print alike), so an agent's fingerprint is a
SHA-256 over a canonical encoding of

* its class (module and qualified name), and
* its whole state (``vars(agent)``: the constructor options *and* any learned state, e.g.
  tables or arrays of an agent trained before the tournament), recursively.

An agent whose state holds something this encoding cannot see into (a model object, a file
handle) defines ``fingerprint() -> str`` itself and hashes what changes its play (the SB3
adapter hashes the policy's weights). :func:`agent_fingerprint` uses that method when it
exists and the default otherwise.
"""

from __future__ import annotations

import hashlib
import re
import sys
import types
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["agent_fingerprint", "default_fingerprint", "digest"]

#: Memory addresses in a repr (``<object at 0x7f...>``) differ between runs; dropped.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_MAX_DEPTH = 12
_FUNCTIONS = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.BuiltinMethodType,
)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _feed(h: Any, value: Any, depth: int, seen: set[int]) -> None:
    """Feed a canonical, type-tagged encoding of ``value`` to the hash ``h``."""

    def put(tag: str, payload: bytes | str = b"") -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        h.update(f"{tag}:{len(data)}:".encode())
        h.update(data)

    if depth > _MAX_DEPTH:
        put("deep", _qualified(type(value)))
        return
    if value is None or isinstance(value, bool | int | float | complex | str):
        put(type(value).__name__, repr(value))
        return
    if isinstance(value, bytes | bytearray):
        put("bytes", bytes(value))
        return
    if isinstance(value, np.generic):
        put(f"np.{value.dtype.str}", value.tobytes())
        return
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            put("objarray", repr(value.shape))
            for item in value.ravel():
                _feed(h, item, depth + 1, seen)
            return
        put("ndarray", f"{value.dtype.str}{value.shape}")
        put("data", np.ascontiguousarray(value).tobytes())
        return
    if isinstance(value, np.random.Generator):
        _feed(h, value.bit_generator.state, depth + 1, seen)
        return
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(value, torch.Tensor):
            put("tensor")
            _feed(h, value.detach().cpu().numpy(), depth + 1, seen)
            return
        if isinstance(value, torch.nn.Module):
            put("module", _qualified(type(value)))
            _feed(h, dict(value.state_dict()), depth + 1, seen)
            return
    if isinstance(value, type):
        put("type", _qualified(value))
        return
    if isinstance(value, _FUNCTIONS):
        put("function", f"{getattr(value, '__module__', '')}.{value.__qualname__}")
        return
    key = id(value)
    if key in seen:  # a cycle: the first visit already encodes the object
        put("cycle", _qualified(type(value)))
        return
    seen.add(key)
    try:
        if isinstance(value, Mapping):
            put("map", str(len(value)))
            for k in sorted(value, key=repr):
                _feed(h, k, depth + 1, seen)
                _feed(h, value[k], depth + 1, seen)
        elif isinstance(value, list | tuple):
            put(type(value).__name__, str(len(value)))
            for item in value:
                _feed(h, item, depth + 1, seen)
        elif isinstance(value, set | frozenset):
            put("set", "".join(sorted(digest(v) for v in value)))
        elif hasattr(value, "__dict__"):
            put("object", _qualified(type(value)))
            _feed(h, vars(value), depth + 1, seen)
        else:
            put("repr", _qualified(type(value)) + _ADDRESS.sub("", repr(value)))
    finally:
        seen.discard(key)


def digest(value: Any) -> str:
    """SHA-256 (hex) of a canonical encoding of ``value``: numbers, strings, arrays (dtype,
    shape and bytes), mappings (in key order), sequences, torch tensors and modules (their
    weights), random generators (their state) and plain objects (class and ``vars``).

    Equal content gives equal digests in every process; memory addresses never enter.
    """
    h = hashlib.sha256()
    _feed(h, value, 0, set())
    return h.hexdigest()


def default_fingerprint(agent: Any) -> str:
    """The fingerprint of an agent without its own ``fingerprint()``: class and whole state."""
    return digest({"class": _qualified(type(agent)), "state": dict(vars(agent))})


def agent_fingerprint(agent: Any) -> str:
    """``agent.fingerprint()`` when the agent defines it, else :func:`default_fingerprint`.

    Raises:
        TypeError: if the agent's ``fingerprint()`` does not return a string.
    """
    method = getattr(agent, "fingerprint", None)
    if callable(method):
        value = method()
        if not isinstance(value, str) or not value:
            raise TypeError(
                f"{type(agent).__name__}.fingerprint() must return a non-empty string, "
                f"got {value!r}"
            )
        return value
    return default_fingerprint(agent)
