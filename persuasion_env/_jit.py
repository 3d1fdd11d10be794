"""Optional just-in-time compilation with numba, imported lazily.

Kernels (the agents' per-round rules, the compiled round loop) are written once, as plain
Python functions over NumPy arrays with explicit loops, in a subset that numba compiles.
:func:`compile_module` replaces them, in their module's namespace, by ``numba.njit(cache=True)``
versions the first time they are needed, so that

* ``import persuasion_env`` (and ``import agents``) never imports numba (about 0.4 s);
* a kernel that calls another kernel through its module's globals calls the compiled one;
* without numba (not installed, or ``PERSUASION_ENV_JIT=0``) the very same functions run as
  plain Python: identical results, only slower, and the engine keeps to its ordinary path.

The compiled code is cached on disk (numba's ``cache=True``, next to the source files or in
``NUMBA_CACHE_DIR``), so a fresh process loads it instead of compiling it again.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, MutableMapping
from typing import Any

__all__ = ["available", "compile_module", "disabled_by_environment"]

#: Set to "0" to never use numba (the kernels then run as plain Python).
ENV_SWITCH = "PERSUASION_ENV_JIT"

_numba: Any = None
_checked = False
_compiled_modules: set[str] = set()


def disabled_by_environment() -> bool:
    """Whether ``PERSUASION_ENV_JIT=0`` asks for no compilation."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() in {"0", "false", "no", "off"}


def _load_numba() -> Any:
    """The numba module, or ``None`` when it is unavailable (imported at most once)."""
    global _numba, _checked
    if not _checked:
        _checked = True
        if not disabled_by_environment():
            try:
                import numba
            except ImportError as error:  # not installed, or broken: keep to plain Python
                warnings.warn(
                    f"numba is unavailable ({error}); persuasion_env runs its round loop "
                    "in plain Python (same results, slower). Install numba>=0.60 for speed.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            else:
                _numba = numba
    return _numba


def available() -> bool:
    """Whether kernels are compiled (numba importable and not disabled)."""
    return _load_numba() is not None


def compile_module(namespace: MutableMapping[str, Any], names: Iterable[str]) -> bool:
    """Replace the functions ``names`` of a module's ``namespace`` (its ``globals()``) by
    compiled versions, once per module; returns whether they are compiled.

    Compilation itself is deferred by numba to each kernel's first call (per argument
    types), and served from the on-disk cache when the source has not changed.
    """
    numba = _load_numba()
    if numba is None:
        return False
    module = namespace["__name__"]
    if module not in _compiled_modules:
        for name in names:
            function = namespace[name]
            if not hasattr(function, "py_func"):  # not compiled yet
                namespace[name] = numba.njit(cache=True)(function)
        _compiled_modules.add(module)
    return True


#: Generator -> its kernel stream (see :func:`kernel_rng`), keyed by ``id`` and holding the
#: Generator itself so that the id cannot be reused while the entry lives; cleared when full.
_streams: dict[int, tuple[Any, Any]] = {}
_STREAMS_MAX = 256
_stream_class: Any = None


def _make_stream_class(numba: Any) -> Any:
    """A jitclass holding a ``numpy.random.Generator``, whose ``random()`` is the Generator's."""
    from numba import types
    from numba.experimental import jitclass

    @jitclass([("generator", types.NumPyRandomGeneratorType("NumPyRandomGeneratorType"))])
    class KernelStream:
        def __init__(self, generator):
            self.generator = generator

        def random(self):
            return self.generator.random()

    return KernelStream


def kernel_rng(rng: Any) -> Any:
    """What to pass to a compiled kernel for the Generator ``rng``: the same random stream.

    numba unboxes a ``numpy.random.Generator`` argument afresh at every call (three
    ``ctypes.cast`` calls, about 8 microseconds), which dominates a kernel call for one run.
    A jitclass holding the Generator is unboxed in well under a microsecond; its ``random()``
    calls the Generator's own bit generator, so draws are those of ``rng.random()``, shared
    with any use of ``rng`` from Python (same state, same order). Without numba: ``rng``.
    """
    global _stream_class
    entry = _streams.get(id(rng))
    if entry is not None and entry[0] is rng:
        return entry[1]
    numba = _load_numba()
    if numba is None:
        return rng
    if _stream_class is None:
        _stream_class = _make_stream_class(numba)
    if len(_streams) >= _STREAMS_MAX:
        _streams.clear()
    stream = _stream_class(rng)
    _streams[id(rng)] = (rng, stream)
    return stream
