"""The shared helpers of agents/_kernels.py against hand-computed draws.

Each test reads the uniforms the generator is about to give from a copy of its state, so the
expected choice is computed here, independently of the kernels.
"""

import math

import numpy as np
import pytest

from agents import _kernels

_kernels.ready()


def _next_uniforms(rng, n):
    copy = np.random.Generator(type(rng.bit_generator)())
    copy.bit_generator.state = rng.bit_generator.state
    return copy.random(n)


def test_argmax_random_without_a_tie_draws_nothing():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    assert _kernels.argmax_random(np.array([0.1, 0.7, -2.0]), rng) == 1
    assert rng.bit_generator.state == before


@pytest.mark.parametrize("seed", range(5))
def test_argmax_random_picks_the_floor_u_ties_th_maximum(seed):
    values = np.array([1.0, 3.0, 0.0, 3.0, 3.0])  # maxima at 1, 3, 4
    rng = np.random.default_rng(seed)
    (u,) = _next_uniforms(rng, 1)
    assert _kernels.argmax_random(values, rng) == [1, 3, 4][math.floor(3 * u)]


def test_argmax_random_is_uniform_over_ties_and_handles_infinities():
    rng = np.random.default_rng(1)
    values = np.array([np.inf, 0.0, np.inf])
    picks = [_kernels.argmax_random(values, rng) for _ in range(20_000)]
    counts = np.bincount(picks, minlength=3) / 20_000
    np.testing.assert_allclose(counts, [0.5, 0.0, 0.5], atol=0.015)


@pytest.mark.parametrize("seed", range(5))
def test_sample_index_is_the_inverse_cdf_of_one_uniform(seed):
    p = np.array([0.2, 0.5, 0.3])
    rng = np.random.default_rng(seed)
    (u,) = _next_uniforms(rng, 1)
    want = 0 if u <= 0.2 else (1 if u <= 0.7 else 2)
    assert _kernels.sample_index(p, rng) == want


def test_softmax_into_matches_the_closed_form():
    logits = np.array([1000.0, 999.0, 998.0])  # large: the shift by the maximum matters
    out = np.empty(3)
    _kernels.softmax_into(logits, out)
    e = np.exp([0.0, -1.0, -2.0])
    np.testing.assert_allclose(out, e / e.sum(), rtol=1e-15)


def test_scheme_act_draws_each_run_from_its_row():
    # Two runs, two states, three messages; cumulative rows with the last forced to 1.
    cumulative = np.array(
        [[[0.5, 0.5, 1.0], [0.0, 0.0, 1.0]], [[1.0, 1.0, 1.0], [0.25, 0.75, 1.0]]]
    )
    rng = np.random.default_rng(3)
    u = _next_uniforms(rng, 2)
    out = np.empty(2, dtype=np.int64)
    _kernels.scheme_act((cumulative,), np.array([0, 1]), out, rng)
    assert out[0] == (0 if u[0] <= 0.5 else 2)
    assert out[1] == (0 if u[1] <= 0.25 else (1 if u[1] <= 0.75 else 2))
