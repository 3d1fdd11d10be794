"""Small batched sampling helpers shared by the agents (hot paths: no validation)."""

from __future__ import annotations

import numpy as np


def sample_rows(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw from each row distribution of ``probabilities`` ``(B, K)``; returns ``(B,)``.

    The same arithmetic as the kernels' ``sample_index`` (``agents/_kernels.py``), batched.
    """
    cumulative = np.cumsum(probabilities, axis=-1)
    u = rng.random(probabilities.shape[0]) * cumulative[:, -1]
    index = (cumulative < u[:, None]).sum(axis=-1)
    return np.minimum(index, probabilities.shape[-1] - 1)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, stable for large logits."""
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)
