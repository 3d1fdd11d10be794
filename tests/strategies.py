"""Hypothesis strategies for games."""

import numpy as np
from hypothesis import strategies as st

from persuasion_env import PersuasionGame


@st.composite
def games(draw, max_states: int = 5, max_actions: int = 5, min_actions: int = 1):
    """Random games with a random (possibly sparse) prior and utilities on a coarse grid.

    A coarse grid makes exact ties between actions common, which exercises the tie rule.
    """
    n_states = draw(st.integers(1, max_states))
    n_actions = draw(st.integers(min_actions, max_actions))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    weights = rng.random(n_states) * (rng.random(n_states) < 0.85)
    if weights.sum() == 0:
        weights[0] = 1.0
    prior = weights / weights.sum()
    grid = draw(st.sampled_from([None, 4]))
    u1 = rng.random((n_states, n_actions))
    u2 = rng.random((n_states, n_actions))
    if grid:
        u1, u2 = np.round(u1 * grid) / grid, np.round(u2 * grid) / grid
    return PersuasionGame(prior, u1, u2, name=f"hyp-{seed}")
