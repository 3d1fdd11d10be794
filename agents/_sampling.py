"""Small batched sampling helpers shared by the agents (hot paths: no validation)."""

from __future__ import annotations

import numpy as np


def sample_rows(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw from each row distribution of ``probabilities`` ``(B, K)``; returns ``(B,)``."""
    cumulative = np.cumsum(probabilities, axis=-1)
    u = rng.random(probabilities.shape[0]) * cumulative[:, -1]
    index = (cumulative < u[:, None]).sum(axis=-1)
    return np.minimum(index, probabilities.shape[-1] - 1)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, stable for large logits."""
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def linear_schedule(start: float, end: float, rounds: int, t: int) -> float:
    """``start`` moving linearly to ``end`` over ``rounds`` rounds, then ``end``."""
    if rounds <= 0 or t >= rounds:
        return end
    return start + (end - start) * t / rounds
