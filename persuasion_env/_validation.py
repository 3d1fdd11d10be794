"""Validation helpers shared by every public entry point.

Each helper names the offending argument in its error message so that a user sees
``ValueError: prior must sum to 1 (got 0.9)`` instead of a NumPy broadcast error or a
solver crash deep inside the library.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

#: Absolute tolerance when checking that probabilities sum to one.
PROBABILITY_ATOL = 1e-6


def as_float_array(value: Any, name: str, *, ndim: int | None = None) -> np.ndarray:
    """Convert ``value`` to a finite float64 array, raising errors that name ``name``.

    Raises:
        TypeError: if ``value`` is not numeric (strings, objects, ``None``).
        ValueError: on a wrong number of dimensions, an empty array, NaN or inf.
    """
    if value is None or isinstance(value, str | bytes | dict):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
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


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int``, rejecting bools, floats and values below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float that is > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
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


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Build a ``numpy.random.Generator`` from a seed (or pass a Generator through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed must be an integer or numpy Generator, got {type(seed).__name__}")
    if seed is not None and seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.default_rng(seed)
