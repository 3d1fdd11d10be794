"""The code an agent runs, as a digest: what a stored result was computed *with*.

An agent's content fingerprint (:mod:`persuasion_env._fingerprint`) says *what* was played
(class, options, learned state); it cannot see an edited update rule. :func:`code_digest`
can: a SHA-256 over the source of the agent's class, of its base classes, and of every class
or function (numba kernels included) that this source names, followed transitively, plus
the module-level numbers and strings it names. Only code in the given top-level packages is
followed (by default ``agents``): the engine (``persuasion_env``) is held byte-identical by
``benchmarks/regression_checksums.py`` instead.

Stored results keyed on it: the cells of ``benchmarks/persuade_learners.py`` and the
tournament directories (``tournament.json``'s ``code``), whose resume refuses a changed
agent.

What it does not see: code reached only through ``getattr`` with a computed name, and
module-level data that is not a number, string or tuple of numbers.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
import sys
import types
from collections.abc import Sequence
from typing import Any

__all__ = ["DEFAULT_PACKAGES", "agent_code_digest", "code_digest", "reached_sources"]

#: Top-level packages whose code enters a digest unless others are given.
DEFAULT_PACKAGES = ("agents",)
_NAME = re.compile(r"\b([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")
_STRING = re.compile(r"""["']([A-Za-z_]\w*)["']""")
_CONSTANT_TYPES = (bool, int, float, str, bytes, type(None))


def _in(obj: Any, packages: Sequence[str]) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in packages


def _is_constant(value: Any) -> bool:
    """A number or string, or a tuple of numbers (not a tuple of names: a list of kernels
    to compile is bookkeeping, and a new entry in it changes no agent's play)."""
    if isinstance(value, tuple):
        return all(isinstance(v, bool | int | float) for v in value)
    return isinstance(value, _CONSTANT_TYPES)


def _named(source: str, namespace: dict, packages: Sequence[str]) -> tuple[list[Any], list[str]]:
    """Code objects of ``packages`` and ``name=value`` constants that ``source`` names in
    ``namespace`` (a module's globals): ``name``, ``module.name`` and string literals that
    name a function of a package module the namespace imports (``"q_choose"`` read with
    ``getattr(_kernels, ...)``)."""
    code, constants = [], []
    modules = [
        m
        for m in namespace.values()
        if isinstance(m, types.ModuleType) and m.__name__.split(".")[0] in packages
    ]
    for first, second in _NAME.findall(source):
        target = namespace.get(first)
        if isinstance(target, types.ModuleType) and second:
            target = getattr(target, second, None)
        target = getattr(target, "py_func", target)  # a numba dispatcher: its function
        if isinstance(target, type | types.FunctionType) and _in(target, packages):
            code.append(target)
        elif first in namespace and _is_constant(target) and not first.startswith("__"):
            constants.append(f"{first}={target!r}")
    for name in _STRING.findall(source):
        for module in modules:
            target = getattr(module, name, None)
            target = getattr(target, "py_func", target)
            if isinstance(target, types.FunctionType) and _in(target, packages):
                code.append(target)
    return code, constants


def code_digest(cls: type, packages: Sequence[str] = DEFAULT_PACKAGES) -> str:
    """SHA-256 of the source of ``cls`` and of the code of ``packages`` it reaches.

    Equal source gives equal digests in every process; an edit anywhere in the reached code
    (a method, a base class, a kernel, a module constant it names) changes the digest. A
    class built at run time (no source on disk) contributes a fixed placeholder.
    """
    h = hashlib.sha256()
    for key, source in sorted(reached_sources(cls, packages).items()):
        h.update(f"{key}\0{source}\0".encode())
    return h.hexdigest()


def reached_sources(cls: type, packages: Sequence[str] = DEFAULT_PACKAGES) -> dict[str, str]:
    """``{"module.qualname": source + named constants}`` of every class and function of
    ``packages`` that ``cls`` reaches (what :func:`code_digest` hashes); ``"<no source>"``
    for one with nothing on disk to read."""
    packages = tuple(packages)
    sources: dict[str, str] = {}
    todo: list[Any] = [c for c in cls.__mro__ if _in(c, packages)]
    while todo:
        obj = todo.pop()
        key = f"{obj.__module__}.{obj.__qualname__}"
        if key in sources:
            continue
        found = _source(obj)
        if found is None:  # built at run time: nothing on disk to read
            sources[key] = "<no source>"
            continue
        source, namespace = found
        code, constants = _named(source, namespace, packages)
        sources[key] = source + "\n".join(sorted(constants))
        todo.extend(code)
    return sources


def _source(obj: Any) -> tuple[str, dict] | None:
    """The source of a class or function and the globals its names resolve in, or None.

    A class whose ``__module__`` was set to the package that re-exports it (a public import
    path kept stable for pickles, as ``agents.senders.tablenet`` does) is not found by
    :func:`inspect.getsource`, which searches the named module's file: it is then read from
    the submodule of that package that defines it, and its names resolve there."""
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        return _reexported_class_source(obj) if isinstance(obj, type) else None
    if isinstance(obj, types.FunctionType):
        return source, obj.__globals__
    module = sys.modules.get(obj.__module__)
    return source, vars(module) if module else {}


def _reexported_class_source(cls: type) -> tuple[str, dict] | None:
    """The source of ``cls`` in the submodule of ``cls.__module__`` that defines it (its
    decorators included), with that submodule's globals; None if no loaded one does."""
    prefix = cls.__module__ + "."
    for name, module in sorted(sys.modules.items()):
        if not name.startswith(prefix) or vars(module).get(cls.__name__) is not cls:
            continue
        try:
            text = inspect.getsource(module)
        except (OSError, TypeError):
            continue
        for node in ast.parse(text).body:
            if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines = text.splitlines(keepends=True)[first - 1 : node.end_lineno]
                return "".join(lines), vars(module)
    return None


def agent_code_digest(agent: Any) -> str:
    """:func:`code_digest` of an agent's class, following ``agents`` and the class's own
    top-level package (a user's agent in ``mylab.senders`` follows ``mylab``), never the
    engine."""
    own = (type(agent).__module__ or "").split(".")[0]
    extra = () if own in ("persuasion_env", "builtins") else (own,)
    return code_digest(type(agent), tuple(dict.fromkeys(DEFAULT_PACKAGES + extra)))
