"""The agent protocols, re-exported from :mod:`persuasion_env.protocols`, and small helpers
shared by the agents.

:class:`Sender`, :class:`Receiver`, :class:`Querier`, :class:`GameView` and the agent metadata
(information classes included) are defined in :mod:`persuasion_env.protocols`, the core
package that drives agents; they are the same objects here, so agents and user code that
import them from ``agents.base`` keep working.
"""

from __future__ import annotations

import numpy as np

from persuasion_env import protocols
from persuasion_env.protocols import *  # noqa: F403  (the names of protocols.__all__)

__all__ = [*protocols.__all__, "max_last", "rand_argmax", "uniform_over_argmax"]


# ------------------------------------------------------------------ shared helpers


def max_last(values: np.ndarray) -> np.ndarray:
    """``values.max(axis=-1)``, fast for a short last axis.

    NumPy reduces a short last axis row by row (about 65 us for 1000 x 3 here); a loop of
    elementwise maxima over the few columns is an order of magnitude faster.
    """
    width = values.shape[-1]
    if width > 8:
        return values.max(axis=-1)
    result = values[..., 0].copy()
    for j in range(1, width):
        np.maximum(result, values[..., j], out=result)
    return result


def rand_argmax(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Argmax over the last axis with ties broken uniformly at random (as in the published
    reference code of Bhatt & Buro)."""
    if values.shape[0] == 1 and values.ndim == 2 and values.shape[1] <= 32:
        # One run (a single Gymnasium env): plain Python on a short row is several times
        # faster than NumPy's per-call overhead.
        row = values[0].tolist()
        best = max(row)
        ties = [i for i, v in enumerate(row) if v == best]
        pick = ties[0] if len(ties) == 1 else ties[int(rng.integers(len(ties)))]
        return np.array([pick])
    is_max = values == max_last(values)[..., None]
    return np.argmax(rng.random(values.shape) * is_max, axis=-1)


def uniform_over_argmax(values: np.ndarray) -> np.ndarray:
    """The distribution a random-tie-break argmax induces: uniform over the maxima of the
    last axis. Used to report greedy policies exactly, without sampling."""
    is_max = (values == max_last(values)[..., None]).astype(np.float64)
    return is_max / is_max.sum(axis=-1, keepdims=True)
