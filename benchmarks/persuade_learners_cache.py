"""The cell cache of ``persuade_learners.py``: which code and options computed a cell.

A cell (one sender against one receiver on one game, or the best-fixed reference of a
(receiver, game) pair) is stored with the *versions* of the agents that played it. A version
is the pair

* ``config``: :func:`persuasion_env._fingerprint.agent_fingerprint` of a freshly built agent
  (class, constructor options and defaults), and
* ``code``: :func:`code_digest` of its class: the source of the class, of its project base
  classes, and of every project class or function (numba kernels included) that this source
  names, followed transitively (plus the module-level numbers and strings it names).

When a stored cell's versions differ from the current ones the cell is *stale*: it was
computed by another version of an agent (a changed default, an edited update rule or
kernel). The benchmark never mixes it with fresh cells: it refuses to report until the stale
cells are recomputed (``--recompute stale``, or the changed senders by name).

What ``code`` does not see: the engine (``persuasion_env``: the round loop, ``simulate``),
whose changes are refactors held byte-identical by ``regression_checksums.py``; code reached
only through ``getattr`` with a computed name; and module-level data that is not a number,
string or tuple of numbers.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

from persuasion_env._fingerprint import agent_fingerprint
from persuasion_env.references import DEFAULT_MARGINS
from persuasion_env.registry import make_agent

#: Top-level packages whose code enters an agent's ``code`` digest.
PROJECT_PACKAGES = ("agents",)
#: The senders of the best-fixed reference family (persuasion_env.references).
REFERENCE_FAMILY = ("lp_optimal", "full_disclosure", "no_information")
_NAME = re.compile(r"\b([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")
_STRING = re.compile(r"""["']([A-Za-z_]\w*)["']""")
_CONSTANT_TYPES = (bool, int, float, str, bytes, type(None))


def _in_project(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in PROJECT_PACKAGES


def _is_code(obj: Any) -> bool:
    return isinstance(obj, type | types.FunctionType) and _in_project(obj)


def _is_constant(value: Any) -> bool:
    """A number or string, or a tuple of numbers (not a tuple of names: a list of kernels
    to compile is bookkeeping, and a new entry in it changes no agent's play)."""
    if isinstance(value, tuple):
        return all(isinstance(v, bool | int | float) for v in value)
    return isinstance(value, _CONSTANT_TYPES)


def _named(source: str, namespace: dict) -> tuple[list[Any], list[str]]:
    """Project code objects and ``name=value`` constants that ``source`` names in
    ``namespace`` (a module's globals): ``name``, ``module.name`` and string literals that
    name a function of a project module the namespace imports (``"q_choose"`` read with
    ``getattr(_kernels, ...)``)."""
    code, constants = [], []
    modules = [
        m
        for m in namespace.values()
        if isinstance(m, types.ModuleType) and m.__name__.split(".")[0] in PROJECT_PACKAGES
    ]
    for first, second in _NAME.findall(source):
        target = namespace.get(first)
        if isinstance(target, types.ModuleType) and second:
            target = getattr(target, second, None)
        target = getattr(target, "py_func", target)  # a numba dispatcher: its function
        if _is_code(target):
            code.append(target)
        elif first in namespace and _is_constant(target) and not first.startswith("__"):
            constants.append(f"{first}={target!r}")
    for name in _STRING.findall(source):
        for module in modules:
            target = getattr(module, name, None)
            target = getattr(target, "py_func", target)
            if isinstance(target, types.FunctionType) and _in_project(target):
                code.append(target)
    return code, constants


def code_digest(cls: type) -> str:
    """SHA-256 of the source of ``cls`` and of the project code it reaches (module docstring).

    Equal source gives equal digests in every process; an edit anywhere in the reached code
    (a method, a base class, a kernel, a module constant it names) changes the digest.
    """
    sources: dict[str, str] = {}
    todo: list[Any] = [c for c in cls.__mro__ if _in_project(c)]
    while todo:
        obj = todo.pop()
        key = f"{obj.__module__}.{obj.__qualname__}"
        if key in sources:
            continue
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError):  # built at run time: nothing on disk to read
            sources[key] = "<no source>"
            continue
        module = sys.modules.get(obj.__module__)
        code, constants = _named(source, vars(module) if module else {})
        sources[key] = source + "\n".join(sorted(constants))
        todo.extend(code)
    h = hashlib.sha256()
    for key in sorted(sources):
        h.update(f"{key}\0{sources[key]}\0".encode())
    return h.hexdigest()


@functools.cache
def agent_version(side: str, name: str) -> tuple[tuple[str, str], ...]:
    """``(("name", ...), ("config", ...), ("code", ...))`` of the registry agent ``name``."""
    agent = make_agent(side, name)
    return (
        ("name", name),
        ("config", agent_fingerprint(agent)),
        ("code", code_digest(type(agent))),
    )


def cell_versions(sender: str, receiver: str) -> dict:
    """The versions a (sender, receiver) cell is computed with (JSON-ready)."""
    return {
        "sender": dict(agent_version("sender", sender)),
        "receiver": dict(agent_version("receiver", receiver)),
    }


def reference_versions(receiver: str) -> dict:
    """The versions a best-fixed reference against ``receiver`` is computed with."""
    return {
        "receiver": dict(agent_version("receiver", receiver)),
        "family": {name: dict(agent_version("sender", name)) for name in REFERENCE_FAMILY},
        "margins": list(DEFAULT_MARGINS),
    }


def load_cell(path: Path) -> dict | None:
    """A finished cell, or ``None`` (missing, or damaged by hand: writes are atomic)."""
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    return None


def is_stale(cell: dict, versions: dict) -> bool:
    """Whether ``cell`` was computed by other agent versions than ``versions`` (a cell of
    the format before versions were stored counts as stale)."""
    return cell.get("versions") != versions
