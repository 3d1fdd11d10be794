"""Validation helpers shared by every public entry point.

Each helper names the offending argument in its error message so that a user sees
``ValueError: prior must sum to 1 (got 0.9)`` instead of a NumPy broadcast error or a
solver crash deep inside the library. The conventions (docs/errors.md):

* ``TypeError`` when the *kind* of value is wrong (a string, a bool or a complex number where
  a real number is expected, ``None`` where an array is expected);
* ``ValueError`` when the kind is right but the value is not (NaN, out of range, wrong shape,
  unknown option name, a size beyond the limits below).
"""

from __future__ import annotations

import json
import numbers
import os
import re
import warnings
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Absolute tolerance when checking that probabilities sum to one.
PROBABILITY_ATOL = 1e-6
#: Largest game (cells S x A, or W x T for oracle games) any constructor builds: a float64
#: table of this size takes 80 MB; larger requests are refused up front rather than failing
#: with a MemoryError (or running for hours) later.
MAX_CELLS = 10_000_000
#: Largest batch of per-run tables (runs x S x A cells) the engine and vector env allocate.
MAX_BATCH_CELLS = 100_000_000


# ------------------------------------------------------------------------ arrays


def _bad_element(value: Any) -> str | None:
    """The kind of the first bool / complex / string element of a nested list, if any.

    ``np.array([True, 0.5], dtype=float)`` silently reads ``True`` as 1 and
    ``np.array(["0.5"], dtype=float)`` parses the string, so lists are scanned first.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, bool | np.bool_):
            return "bool"
        elif isinstance(item, complex | np.complexfloating):
            return "complex"
        elif isinstance(item, str | bytes):
            return "str"
        elif isinstance(item, np.ndarray) and item.dtype.kind in "bcUSO":
            return _dtype_kind(item.dtype)
    return None


def _dtype_kind(dtype: np.dtype) -> str:
    return {"b": "bool", "c": "complex", "U": "str", "S": "bytes", "O": "object"}.get(
        dtype.kind, str(dtype)
    )


def as_float_array(value: Any, name: str, *, ndim: int | None = None) -> np.ndarray:
    """Convert ``value`` to a finite real float64 array, raising errors that name ``name``.

    Raises:
        TypeError: if ``value`` is not an array of real numbers (strings, bools, complex
            numbers, objects, ``None``).
        ValueError: on a ragged nesting, a wrong number of dimensions, an empty array, NaN
            or inf.
    """
    if value is None or isinstance(value, str | bytes | Mapping | set):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    if isinstance(value, list | tuple) or (
        isinstance(value, np.ndarray) and value.dtype.kind == "O"
    ):
        bad = _bad_element(value.tolist() if isinstance(value, np.ndarray) else value)
        if bad is not None:
            raise TypeError(f"{name} must contain real numbers, got a {bad} entry")
    if isinstance(value, np.ndarray) and value.dtype.kind in "bcUSVMm":
        raise TypeError(
            f"{name} must be an array of real numbers, got dtype {_dtype_kind(value.dtype)}"
        )
    if isinstance(value, bool | np.bool_ | complex | np.complexfloating):
        raise TypeError(f"{name} must be real numbers, got {type(value).__name__} {value!r}")
    try:
        array = np.array(value, dtype=np.float64)
    except ValueError as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise ValueError(
                f"{name} must be a rectangular array (rows of equal length): {exc}"
            ) from None
        raise TypeError(f"{name} must be an array of numbers ({exc})") from None
    except TypeError as exc:
        raise TypeError(f"{name} must be an array of numbers ({exc})") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array


def check_probability_vector(
    value: Any, name: str, *, atol: float = PROBABILITY_ATOL
) -> np.ndarray:
    """Return ``value`` as a probability vector (non-negative, summing to 1 within ``atol``).

    The result is renormalised exactly so that downstream sums are exact to rounding.
    """
    p = as_float_array(value, name, ndim=1)
    if np.any(p < 0):
        raise ValueError(f"{name} has negative entries (min {p.min():.3g})")
    total = float(p.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1, got {total:.9g}")
    return p / total


def check_stochastic_rows(
    value: Any, name: str, *, shape: tuple[int, int] | None = None, atol: float = PROBABILITY_ATOL
) -> np.ndarray:
    """Return ``value`` as a row-stochastic matrix (rows are probability vectors).

    Accepts a leading batch axis too: any array whose last axis is a distribution.
    """
    table = as_float_array(value, name)
    if table.ndim < 2:
        raise ValueError(f"{name} must be at least 2-dimensional, got shape {table.shape}")
    if shape is not None and table.shape[-2:] != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {table.shape[-2:]}")
    if np.any(table < 0):
        raise ValueError(f"{name} has negative entries (min {table.min():.3g})")
    sums = table.sum(axis=-1)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > atol:
        raise ValueError(f"{name} rows must sum to 1 (worst row sums to {1.0 + worst:.9g})")
    return table / sums[..., None]


def check_costs(costs: Any, n_types: int | None, name: str = "costs") -> np.ndarray:
    """Query costs of an oracle game with ``n_types`` types: ``T - 1`` finite numbers >= 0,
    ``costs[t-1]`` the cost of asking "is the type >= t" (MODEL.md B5).

    ``n_types=None`` checks the values only (an agent built before it sees its game); the
    length is checked once the game is known. Every entry point with costs calls this.
    """
    if np.ndim(costs) == 0 and isinstance(costs, numbers.Real) and not isinstance(costs, bool):
        raise ValueError(f"{name} must be a sequence of T-1 numbers, got the scalar {costs}")
    if n_types == 1 and np.ndim(costs) == 1 and np.size(costs) == 0:
        return np.zeros(0)  # one type: no threshold, nothing to pay (also a rounded game's case)
    c = as_float_array(costs, name, ndim=1)
    if n_types is not None and c.size != n_types - 1:
        raise ValueError(
            f"{name} must have length T-1 = {n_types - 1} (costs[t-1] = cost of asking "
            f"'type >= t'), got {c.size}"
        )
    if np.any(c < 0):
        k = int(np.argmin(c))
        raise ValueError(f"{name} must be non-negative, got {name}[{k}] = {c[k]}")
    return c


# ------------------------------------------------------------------------ scalars


def check_int(
    value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an ``int``, rejecting bools, floats and values out of range."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:,}, got {value:,}")
    return value


def check_real(value: Any, name: str) -> float:
    """Return ``value`` as a finite float (any sign); bools, strings and complex are refused."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float that is > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_probability(value: Any, name: str) -> float:
    """Return ``value`` as a float in [0, 1]."""
    value = check_positive(value, name, allow_zero=True)
    if value > 1:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
    return value


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` as a ``bool``; only ``True``/``False`` (and NumPy bools) are accepted,
    so that ``normalize="no"`` is not read as true."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_choice(value: Any, name: str, choices: Sequence[str], *, listed: bool = True) -> str:
    """Return ``value`` if it is one of the strings ``choices``.

    The message reads "must be one of ['a', 'b']" (``listed``) or "must be 'a' or 'b'"."""
    allowed = str(list(choices)) if listed else " or ".join(repr(c) for c in choices)
    expected = f"one of {allowed}" if listed else allowed
    if not isinstance(value, str):
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return value


def check_string(value: Any, name: str, *, optional: bool = False) -> str | None:
    """Return ``value`` if it is a string (or ``None`` with ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    return value


def check_instance(value: Any, cls: type | tuple[type, ...], name: str) -> Any:
    """Return ``value`` if it is an instance of ``cls``; otherwise a ``TypeError`` such as
    "og must be an OracleGame, got str" (so a wrong object never fails later with an
    ``AttributeError`` deep inside a solver)."""
    if not isinstance(value, cls):
        kinds = cls if isinstance(cls, tuple) else (cls,)
        wanted = " or ".join(
            ("an " if k.__name__[0] in "AEIOU" else "a ") + k.__name__ for k in kinds
        )
        raise TypeError(f"{name} must be {wanted}, got {type(value).__name__}")
    return value


def check_names(names: Any, count: int, label: str, default: str) -> tuple[str, ...]:
    """``count`` distinct display names (strings), or ``default0, default1, ...`` for None."""
    if names is None:
        return tuple(f"{default}{i}" for i in range(count))
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray):
        raise TypeError(
            f"{label} must be a sequence of {count} strings, got {type(names).__name__} {names!r}"
        )
    names = tuple(names)
    for i, n in enumerate(names):
        if not isinstance(n, str):
            raise TypeError(f"{label}[{i}] must be a string, got {type(n).__name__} {n!r}")
    if len(names) != count:
        raise ValueError(f"{label} must have {count} entries, got {len(names)}")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"{label} must be distinct, {duplicated} appear(s) more than once")
    return names


def check_options(
    options: Any, accepted: Collection[str], name: str = "options", *, strict: bool = True
) -> dict:
    """``reset(options=...)``: ``None`` or a mapping whose keys are all in ``accepted``.

    A misspelt key raises a ``ValueError`` (``strict``), or a ``UserWarning`` naming it
    (``strict=False``: PettingZoo's API test resets with an arbitrary option, which its
    environments must accept)."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"{name} must be a dict or None, got {type(options).__name__}")
    unknown = sorted(str(k) for k in set(options) - set(accepted))
    if unknown:
        message = f"unknown reset option(s) {unknown} in {name}; accepted: {sorted(accepted)}"
        if strict:
            raise ValueError(message)
        warnings.warn(message + " (ignored)", UserWarning, stacklevel=3)
    return dict(options)


def check_sorted(values: np.ndarray, name: str) -> None:
    """A ``ValueError`` naming ``name`` unless ``values`` is strictly increasing."""
    diffs = np.diff(values)
    if diffs.size == 0 or diffs.min() > 0:  # the common case, one pass
        return
    if np.any(diffs == 0):
        k = int(np.nonzero(diffs == 0)[0][0])
        raise ValueError(
            f"{name} must be strictly increasing: duplicate value {values[k]!r} "
            f"at positions {k} and {k + 1}"
        )
    if np.any(diffs < 0):
        k = int(np.nonzero(diffs < 0)[0][0])
        raise ValueError(
            f"{name} must be sorted increasingly: {values[k]!r} at position {k} "
            f"comes before {values[k + 1]!r}"
        )


def check_game_size(n_rows: int, n_cols: int, what: str, unit: str = "states x actions") -> None:
    """Refuse games whose ``n_rows x n_cols`` tables exceed :data:`MAX_CELLS`."""
    if n_rows * n_cols > MAX_CELLS:
        raise ValueError(
            f"{what}: a {n_rows}x{n_cols} game is too large; at most {MAX_CELLS:,} cells "
            f"({unit}), e.g. 1000x10000"
        )


def check_batch_size(runs: int, cells: int, what: str) -> None:
    """Refuse batches whose per-run tables (``runs x cells``) exceed :data:`MAX_BATCH_CELLS`."""
    if runs * cells > MAX_BATCH_CELLS:
        raise ValueError(
            f"{what} = {runs:,} is too large for this game: at most {MAX_BATCH_CELLS:,} "
            f"table cells in all (runs x {cells} cells per run)"
        )


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Build a ``numpy.random.Generator`` from a seed (or pass a Generator through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (
        isinstance(seed, bool | np.bool_) or not isinstance(seed, numbers.Integral)
    ):
        raise TypeError(f"seed must be an integer or numpy Generator, got {type(seed).__name__}")
    if seed is not None and seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------ actions


#: Exact types of the integer actions that take :func:`check_action`'s fast path: Python's
#: ``int`` and NumPy's integer scalars (``Discrete.sample()`` returns ``np.int64``; RL libraries
#: pass NumPy integers). ``bool`` is deliberately absent (a subclass of ``int``, refused).
_INT_ACTION_TYPES = frozenset(
    {int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64}
    | {np.intc, np.uintc, np.intp, np.uintp, np.longlong, np.ulonglong}
)


def check_action(action: Any, n: int, *, label: str = "action", what: str = "") -> int:
    """A discrete action in ``[0, n)`` as an ``int``.

    Accepts Python ints, NumPy integers (what ``space.sample()`` returns) and integer arrays
    of one element; refuses bools, floats (``1.5``), strings and ``None`` with a
    ``ValueError`` naming the space, as Gymnasium environments do.

    The common kinds (an ``int``, a NumPy integer scalar, a 0-d integer array) in range take
    a fast path of one type lookup and one comparison: this runs on every environment step.
    """
    kind = type(action)
    if kind in _INT_ACTION_TYPES or (
        kind is np.ndarray and action.ndim == 0 and action.dtype.kind in "iu"
    ):
        value = int(action)
        if 0 <= value < n:
            return value
    return _check_action_slow(action, n, label, what)


def _check_action_slow(action: Any, n: int, label: str, what: str) -> int:
    """:func:`check_action` for every other kind (size-1 arrays, ``int`` subclasses) and for
    the errors."""
    value = action
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iu":
        value = value.reshape(())[()]
    kind = f" {what}" if what else ""
    space = f"(the action space Discrete({n}))"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{label} must be an integer{kind} in [0, {n}) {space}, got {action!r}")
    value = int(value)
    if not 0 <= value < n:
        raise ValueError(f"{label} must be a{kind or 'n integer'} in [0, {n}) {space}, got {value}")
    return value


def check_turn_keys(
    actions: Any, agents: Sequence[str], mover: str, value: str, expected: str
) -> None:
    """The keys of a turn-based PettingZoo ``{agent: value}`` actions dict: a mapping, only
    agents of ``agents``, and an entry (not ``None``) for the ``mover``, whose missing entry
    is described as ``expected`` (``"an action"``, ``"8 actions"``)."""
    if not isinstance(actions, Mapping):
        raise TypeError(f"actions must be a dict {{agent: {value}}}, got {type(actions).__name__}")
    unknown = sorted(map(str, set(actions) - set(agents)))
    if unknown:
        raise ValueError(f"actions has unknown agent(s) {unknown}; agents: {list(agents)}")
    if actions.get(mover) is None:
        raise ValueError(
            f"it is the {mover}'s turn: actions must hold {expected} for {mover!r}, got "
            f"keys {sorted(map(str, actions))}"
        )


def check_turn_actions(
    actions: Any, agents: Sequence[str], mover: str, n_actions: Mapping[str, int]
) -> dict[str, int]:
    """The ``actions`` dict of a turn-based PettingZoo parallel ``step``, checked.

    ``actions`` must be a mapping from agent names (``agents``) to actions; the agent whose
    turn it is (``mover``) must have one; every action given (also the waiting agent's, or
    ``None`` for none) must be an integer in ``[0, n_actions[agent])`` (:func:`check_action`).

    Returns:
        ``{agent: int action}`` for the actions given (``None`` entries dropped).
    """
    check_turn_keys(actions, agents, mover, "action", "an action")
    return {
        agent: check_action(action, n_actions[agent], label=f"{agent}'s action")
        for agent, action in actions.items()
        if action is not None
    }


# ------------------------------------------------------------------------ files


def load_json_object(path: Any, what: str, from_dict: Any) -> Any:
    """``from_dict`` of the JSON in ``path`` (a game's ``load``); every failure, the file's
    own or the content's, names the file."""
    data = read_json_file(path, what)
    try:
        return from_dict(data)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{what} {str(path)!r}: {exc}") from None


def read_json_file(path: Any, what: str = "file") -> Any:
    """The parsed JSON content of ``path``; every failure names the file.

    Raises:
        TypeError: ``path`` is not a string or path.
        ValueError: the file is missing, a directory, unreadable, not UTF-8 or not JSON.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{what} path must be a string or Path, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise ValueError(f"{what} {str(p)!r} does not exist")
    if not p.is_file():
        raise ValueError(f"{what} {str(p)!r} is not a file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ValueError(f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{what} {str(p)!r} is not UTF-8 text (byte {raw[exc.start]:#04x} at offset "
            f"{exc.start})"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        kind = what.removesuffix("file").strip()
        raise ValueError(f"{what} {str(p)!r}: malformed {kind} JSON: {exc}") from None


# ------------------------------------------------------------------------ command line

_SIZE = re.compile(r"\s*(\d+)\s*(?:[xX×]\s*(\d+))?\s*")


def parse_size(text: str, option: str = "--random", *, square: bool = False) -> tuple[int, int]:
    """Parse ``"8x8"`` (or ``"8"`` for a square game) into ``(rows, cols)``, both >= 1 and
    within :data:`MAX_CELLS`; ``square=True`` refuses ``"4x8"``. The one size parser of the
    command line: every error names ``option``."""
    match = _SIZE.fullmatch(str(text))
    if not match:
        raise ValueError(f"{option} expects a size like 8x8 (or 8 for 8x8), got {text!r}")
    rows = int(match.group(1))
    cols = int(match.group(2)) if match.group(2) is not None else rows
    if rows < 1 or cols < 1:
        raise ValueError(f"{option} sizes must be at least 1x1, got {text!r}")
    if square and rows != cols:
        raise ValueError(
            f"{option} {text.strip()}: only square sizes n or nxn are supported here, got "
            f"{rows}x{cols}"
        )
    check_game_size(rows, cols, f"{option} {text.strip()}")
    return rows, cols


def parse_size_list(text: str, option: str, *, square: bool = False) -> list[tuple[int, int]]:
    """Parse ``"4,8x8,4x6"`` into sizes with :func:`parse_size`; an empty list is an error."""
    parts = [part for part in str(text).split(",") if part.strip()]
    sizes = [parse_size(part, option, square=square) for part in parts]
    if not sizes:
        raise ValueError(f"{option} expects a comma-separated list of sizes, got {text!r}")
    return sizes
