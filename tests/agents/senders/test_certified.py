"""The certified protocol's pure helpers (agents/senders/_certified.py), checked against
hand-computed values on the prosecutor game (prior: innocent 0.7, guilty 0.3)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.senders._certified import certified_scheme, probe_columns

PRIOR = np.array([0.7, 0.3])
U1 = np.array([[0.0, 1.0], [0.0, 1.0]])  # the prosecutor wants "convict" (action 1) always


def test_vertices_alone_give_full_disclosure():
    scheme, prices = certified_scheme(PRIOR, U1, np.eye(2), np.array([0, 1]))
    np.testing.assert_allclose(scheme, [[1.0, 0.0], [0.0, 1.0]], atol=1e-9)
    assert prices @ PRIOR == pytest.approx(0.3)  # strong duality: the value 0.3


def test_a_certified_boundary_point_gives_the_known_optimum():
    # The posterior (0.5, 0.5) certified for "convict": the best mixture sends all guilty
    # and 3/7 of the innocent to "convict" (Kamenica-Gentzkow's 0.6); by hand: convict
    # column = l1 e_g + l2 (1/2, 1/2), acquit = l0 e_i, l0 + l2/2 = 0.7, l1 + l2/2 = 0.3,
    # value l1 + l2 is largest at l2 = 0.6.
    points = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    scheme, prices = certified_scheme(PRIOR, U1, points, np.array([0, 1, 1]))
    np.testing.assert_allclose(scheme[:, 1], [3 / 7, 1.0], atol=1e-9)
    np.testing.assert_allclose(scheme.sum(axis=1), 1.0)
    # The dual by hand (acquit column basic: y_i = 0; the mixed point: (y_i + y_g) / 2 = 1):
    # y = (0, 2), so more innocent mass in "convict" is where value lies (gain 1 - 0 > 0).
    np.testing.assert_allclose(prices, [0.0, 2.0], atol=1e-9)


def test_points_that_cannot_mix_to_the_prior_are_refused():
    with pytest.raises(ValueError, match="span the prior"):
        certified_scheme(PRIOR, U1, np.array([[0.0, 1.0]]), np.array([1]))


def test_probe_columns_carry_the_candidates_posteriors():
    # Candidate (1/2, 1/2): ratios to the prior (5/7, 5/3), so the common weight is 3/5 and
    # the column is (3/7, 1); the rest (4/7, 0) goes to the last column.
    columns = probe_columns(PRIOR, np.array([[0.5, 0.5]]))
    np.testing.assert_allclose(columns, [[3 / 7, 4 / 7], [1.0, 0.0]], atol=1e-12)
    joint = PRIOR * columns[:, 0]
    np.testing.assert_allclose(joint / joint.sum(), [0.5, 0.5])
