"""with_references (MODEL.md C1) on simulate results: best_fixed_value, regret, regret curve.

Checked against values known independently: a fixed scheme that is a member of the family has
regret exactly 0 to itself (same seed, same draws); in the prosecutor (hand-computed: the
judge acquits without information, so the no-information sender earns exactly 0 every round)
the regret equals the best fixed value and the cumulative regret to the LP is 0.6 T; the
binned regret curve equals cumulative sums of a per-round curve computed in the test.
"""

import itertools

import numpy as np
import pytest

from agents import make_receiver, make_sender
from persuasion_env import PersuasionGame, simulate, with_references


@pytest.fixture(scope="module")
def prosecutor():
    return PersuasionGame.example("prosecutor")


def test_member_of_the_family_has_zero_regret(prosecutor):
    # The learned sender *is* a member (lp_optimal with margin 0.1): the reference replays
    # it with the same seed, so its realised tail is identical and the regret is exactly 0.
    sender = make_sender("lp_optimal", margin=0.1)
    res = simulate(prosecutor, sender, "hedge", rounds=2000, runs=3, seed=5)
    res = with_references(
        res, prosecutor, "hedge", margins=(0.1,), full_disclosure=False, no_information=False
    )
    assert res.best_fixed.name == "lp_optimal:margin=0.1"
    assert res.best_fixed_value == res.tail_sender_utility
    assert res.regret == 0.0
    assert res.ratio_best_fixed == 1.0


def test_no_information_in_the_prosecutor_by_hand(prosecutor):
    # Without information the judge (prior guilty 0.3) acquits: u1 = 0 in every round, so
    # the regret is the best fixed value itself, and R(T) against the LP (0.6) is 0.6 T.
    res = simulate(prosecutor, "no_information", "best_response", rounds=1000, runs=4, seed=0)
    assert res.tail_sender_utility == 0.0
    res = with_references(res, prosecutor, "best_response")
    assert res.regret == res.best_fixed_value
    # The best response obeys at indifference, so margin 0 wins (value 0.6 in expectation;
    # 4 runs x 200 tail rounds of a Bernoulli(0.6): standard error ~0.017).
    assert res.best_fixed.name == "lp_optimal:margin=0"
    assert res.best_fixed_value == pytest.approx(0.6, abs=0.07)
    rounds, regret = res.regret_curve("lp")
    np.testing.assert_allclose(regret, 0.6 * rounds, rtol=0, atol=1e-9)
    rounds, regret = res.regret_curve()
    np.testing.assert_allclose(regret, res.best_fixed_value * rounds, rtol=0, atol=1e-9)
    summary = res.summary()
    assert summary["regret"] == res.regret
    assert summary["best_fixed_scheme"] == "lp_optimal:margin=0"


def test_binned_regret_curve_is_cumulative_sum_of_rounds(prosecutor):
    # The same run with one bin per round gives the per-round mean utility; the binned
    # curve's cumulative regret must equal its cumulative sums at the bin ends.
    per_round = simulate(prosecutor, "info_q", "q_learning", rounds=600, runs=3, seed=2, bins=600)
    binned = simulate(prosecutor, "info_q", "q_learning", rounds=600, runs=3, seed=2, bins=7)
    v = 0.45
    expected = np.cumsum(v - per_round.sender_utility)[binned.bin_edges[1:] - 1]
    rounds, regret = binned.regret_curve(v)
    np.testing.assert_array_equal(rounds, binned.bin_edges[1:])
    np.testing.assert_allclose(regret, expected, atol=1e-9)


def test_reference_replays_the_options(prosecutor):
    res = simulate(prosecutor, "info_q", "hedge", rounds=300, runs=2, seed=1, noise=0.3)
    assert res.options == {"normalize": True, "noise": 0.3, "epoch": 100}
    res = with_references(res, prosecutor, ("hedge", {}), margins=(0.1,))
    ref = res.best_fixed
    assert (ref.rounds, ref.runs, ref.seed) == (300, 2, 1)
    direct = simulate(
        prosecutor,
        make_sender("lp_optimal", margin=0.1),
        make_receiver("hedge"),
        rounds=300,
        runs=2,
        seed=1,
        noise=0.3,
    )
    np.testing.assert_array_equal(
        ref.run_values["lp_optimal:margin=0.1"], direct.run_tail_sender_utility
    )


def test_errors(prosecutor):
    res = simulate(prosecutor, "info_q", "hedge", rounds=100, runs=2, seed=0)
    with pytest.raises(ValueError, match="no reference"):
        res.regret  # noqa: B018
    with pytest.raises(ValueError, match="reference must be"):
        res.regret_curve("optimal")
    with pytest.raises(TypeError, match="reference must be"):
        res.regret_curve([1.0])
    assert res.regret_curve("lp")[1].shape == (100,)
    with pytest.raises(TypeError, match="result"):
        with_references("result", prosecutor, "hedge")
    with pytest.raises(ValueError, match="not the game"):
        with_references(res, PersuasionGame.example("recommendation_letter"), "hedge")
    with pytest.raises(ValueError, match="not the receiver"):
        with_references(res, prosecutor, "reinforce", margins=(), full_disclosure=False)
    unseeded = simulate(
        prosecutor, "info_q", "hedge", rounds=100, runs=2, seed=np.random.default_rng(0)
    )
    with pytest.raises(ValueError, match="seed="):
        with_references(unseeded, prosecutor, "hedge")
    batch = simulate(
        [PersuasionGame.random(2, 2, seed=0), PersuasionGame.random(2, 2, seed=1)],
        "info_q",
        "hedge",
        rounds=100,
        runs=2,
        seed=0,
    )
    with pytest.raises(ValueError, match="several games"):
        with_references(batch, PersuasionGame.random(2, 2, seed=0), "hedge")


def test_run_curves_average_to_the_curve(prosecutor):
    per_round = simulate(prosecutor, "info_q", "hedge", rounds=300, runs=3, seed=4, bins=300)
    binned = simulate(prosecutor, "info_q", "hedge", rounds=300, runs=3, seed=4, bins=7)
    assert binned.run_sender_curve.shape == (3, 7)
    np.testing.assert_allclose(binned.run_sender_curve.mean(axis=0), binned.sender_utility)
    # Each run's bin means are the means of its own rounds (from the one-bin-per-round run).
    edges = binned.bin_edges
    expected = np.stack(
        [per_round.run_sender_curve[:, a:b].mean(axis=1) for a, b in itertools.pairwise(edges)],
        axis=1,
    )
    np.testing.assert_allclose(binned.run_sender_curve, expected, atol=1e-12)
    # The tail metric is the mean of the last fifth of the rounds.
    np.testing.assert_allclose(
        per_round.run_sender_curve[:, 240:].mean(axis=1), binned.run_tail_sender_utility
    )
