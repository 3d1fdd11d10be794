"""The receiver model of margin_adaptive (agents/senders/_response_model.py): the most valuable
posterior of an action's modelled region, checked against hand-solved cases."""

from __future__ import annotations

import numpy as np

from agents.senders._response_model import model_region_point


def test_the_region_point_is_the_far_vertex_in_the_direction_of_the_gain():
    # Two states, W = [[1, 0], [0, 1]]: action 1's logit lead at (1 - q, q) is 2q - 1; with
    # margin 0.5 the region is q >= 3/4, and a gain only in state 0 pushes q down to 3/4.
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    point = model_region_point(np.array([0.5, 0.5]), w, np.array([1.0, 0.0]), 1, 0.5)
    np.testing.assert_allclose(point, [0.25, 0.75], atol=1e-9)
    # a gain only in state 1: the vertex e_1 itself
    point = model_region_point(np.array([0.5, 0.5]), w, np.array([0.0, 1.0]), 1, 0.5)
    np.testing.assert_allclose(point, [0.0, 1.0], atol=1e-9)


def test_an_empty_region_gives_none():
    # the lead 2q - 1 never reaches 1.5
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert model_region_point(np.array([0.5, 0.5]), w, np.array([1.0, 0.0]), 1, 1.5) is None


def test_three_actions_and_a_state_of_prior_zero():
    # Three states (the third of prior 0, where action 2 would be modelled best and the gain is
    # largest), three actions. Action 2's region needs the lead over 0 and over 1:
    # (p2 - p0) >= 0.2 and (p2 - p1) >= 0.2; without state 2 (prior 0) it is empty.
    w = np.eye(3)
    prior = np.array([0.5, 0.5, 0.0])
    gain = np.array([0.0, 0.0, 5.0])
    assert model_region_point(prior, w, gain, 2, 0.2) is None
    # Action 0 (lead p0 - p1 >= 0.2 and p0 - p2 >= 0.2), gain in state 1: p1 = 0.4, p0 = 0.6.
    point = model_region_point(prior, w, np.array([0.0, 1.0, 5.0]), 0, 0.2)
    np.testing.assert_allclose(point, [0.6, 0.4, 0.0], atol=1e-9)
