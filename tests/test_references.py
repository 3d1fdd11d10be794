"""best_fixed_scheme (MODEL.md C1) against closed forms, and the engine's tail metric."""

import math

import numpy as np
import pytest

from agents import make_receiver
from persuasion_env import (
    PersuasionGame,
    best_fixed_scheme,
    no_information_value,
    simulate,
)
from persuasion_env.engine import tail_rounds

MARGINS = (0.0, 0.02, 0.05, 0.1, 0.2)


def prosecutor_margin_value(eps: float) -> float:
    """The prosecutor's LP value with obedience margin eps, by hand.

    Guilty (prior 0.3) always gets "convict"; innocent (0.7) gets it with probability x.
    Obedience of "convict" with margin eps: 0.3 - 0.7 x >= eps (0.3 + 0.7 x), so
    x = 3 (1 - eps) / (7 (1 + eps)) and the value is 0.3 + 0.7 x = 0.6 / (1 + eps).
    ("acquit" is sent only when innocent: its gap is 1 >= eps.)
    """
    return 0.6 / (1 + eps)


@pytest.fixture(scope="module")
def prosecutor_vs_rational():
    game = PersuasionGame.example("prosecutor")
    return best_fixed_scheme(game, "best_response", rounds=5000, runs=4, seed=0)


def test_prosecutor_exact_member_values(prosecutor_vs_rational):
    ref = prosecutor_vs_rational
    for eps in MARGINS:
        name = f"lp_optimal:margin={eps:g}"
        assert ref.exact[name] == pytest.approx(prosecutor_margin_value(eps), abs=1e-9)
        assert ref.margins[name] == eps
    assert ref.exact["full_disclosure"] == pytest.approx(0.3)
    assert ref.exact["no_information"] == 0.0


def test_prosecutor_realised_values_near_closed_form(prosecutor_vs_rational):
    ref = prosecutor_vs_rational
    # 4 runs x 1000 tail rounds of a Bernoulli(~0.6) payoff: standard error ~0.008.
    for eps in MARGINS:
        realised = ref.members[f"lp_optimal:margin={eps:g}"]
        assert realised == pytest.approx(prosecutor_margin_value(eps), abs=0.04)
    assert ref.members["full_disclosure"] == pytest.approx(0.3, abs=0.04)
    assert ref.members["no_information"] == 0.0  # the judge always acquits


def test_prosecutor_best_is_exact_lp(prosecutor_vs_rational):
    # The rational receiver obeys at indifference (ties go to the sender), so margin 0 is
    # best. With common random numbers this holds path by path: the innocent state's
    # "convict" draws of a larger margin are a subset of those of a smaller one.
    ref = prosecutor_vs_rational
    assert ref.name == "lp_optimal:margin=0"
    assert ref.value == ref.members["lp_optimal:margin=0"]
    values = [ref.members[f"lp_optimal:margin={eps:g}"] for eps in MARGINS]
    assert values == sorted(values, reverse=True)
    assert ref.ci[0] < ref.value < ref.ci[1]
    assert ref.value == pytest.approx(0.6, abs=0.04)
    frame = ref.to_frame()
    assert list(frame["member"]) == [f"lp_optimal:margin={eps:g}" for eps in MARGINS] + [
        "full_disclosure",
        "no_information",
    ]
    assert frame["best"].sum() == 1


def test_ci_is_student_t_over_runs(prosecutor_vs_rational):
    ref = prosecutor_vs_rational
    runs = ref.run_values["lp_optimal:margin=0.1"]
    assert runs.shape == (4,)
    half = 3.182446305284263 * runs.std(ddof=1) / 2  # t(0.975, 3) * s / sqrt(4)
    low, high = ref.member_ci["lp_optimal:margin=0.1"]
    assert low == pytest.approx(runs.mean() - half)
    assert high == pytest.approx(runs.mean() + half)


def test_against_learners_at_least_no_information():
    game = PersuasionGame.example("recommendation_letter")
    ref = best_fixed_scheme(game, "reinforce", rounds=10_000, runs=4, seed=1)
    assert ref.value >= no_information_value(game)
    # Realised play can't beat the LP (2/3) by more than the noise of 4 x 2000 tail rounds.
    assert ref.value <= 2 / 3 + 0.03
    game4 = PersuasionGame.random(4, 4, seed=3)
    ref4 = best_fixed_scheme(game4, "hedge", rounds=5000, runs=3, seed=0)
    assert ref4.value >= no_information_value(game4) - 0.02
    assert ref4.value == max(ref4.members.values())


def test_q_learning_locks_into_no_hire():
    # The default optimistic Q-learner settles on "pass" after any persuasive scheme's
    # "hire" message (MODEL.md C1 / issue 16); full disclosure then earns P(good) = 1/3.
    game = PersuasionGame.example("recommendation_letter")
    ref = best_fixed_scheme(game, "q_learning", rounds=5000, runs=4, seed=0)
    assert ref.name == "full_disclosure"
    assert ref.value == pytest.approx(1 / 3, abs=0.03)


def test_deterministic_with_seed_and_receiver_forms():
    game = PersuasionGame.random(3, 3, seed=5)
    kwargs = dict(rounds=2000, runs=2, seed=7, margins=(0.0, 0.1))
    by_name = best_fixed_scheme(game, "hedge", **kwargs).to_dict()
    assert best_fixed_scheme(game, "hedge", **kwargs).to_dict() == by_name
    assert best_fixed_scheme(game, ("hedge", {}), **kwargs).to_dict() == by_name
    assert best_fixed_scheme(game, lambda: make_receiver("hedge"), **kwargs).to_dict() == by_name
    prototype = make_receiver("hedge")
    assert best_fixed_scheme(game, prototype, **kwargs).to_dict() == by_name
    assert prototype.view is None  # copied, not trained
    other = best_fixed_scheme(game, "hedge", **{**kwargs, "seed": 8}).to_dict()
    assert other["members"] != by_name["members"]


def test_options_reach_simulate():
    game = PersuasionGame.example("prosecutor")
    plain = best_fixed_scheme(game, "q_learning", rounds=500, runs=2, seed=0, margins=(0.1,))
    noisy = best_fixed_scheme(
        game, "q_learning", rounds=500, runs=2, seed=0, margins=(0.1,), noise=0.5
    )
    assert plain.members != noisy.members


def test_single_run_has_nan_ci():
    game = PersuasionGame.example("prosecutor")
    ref = best_fixed_scheme(game, "best_response", rounds=100, runs=1, seed=0, margins=())
    assert set(ref.members) == {"full_disclosure", "no_information"}
    assert all(math.isnan(x) for x in ref.ci)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(margins=(), full_disclosure=False, no_information=False), ValueError, "empty"),
        (dict(margins=(0.1, -0.1)), ValueError, r"margins\[1\] must be >= 0"),
        (dict(margins="0.1"), TypeError, "margins must be a sequence"),
        (dict(bins=3), ValueError, "unknown option"),
        (dict(seed=np.random.default_rng(0)), TypeError, "seed must be an integer"),
        (dict(rounds=0), ValueError, "rounds must be >= 1"),
    ],
)
def test_errors(kwargs, error, match):
    game = PersuasionGame.example("prosecutor")
    options = {"rounds": 10, **kwargs}
    with pytest.raises(error, match=match):
        best_fixed_scheme(game, "q_learning", **options)


def test_bad_receiver():
    game = PersuasionGame.example("prosecutor")
    with pytest.raises(TypeError, match="receiver must be"):
        best_fixed_scheme(game, 3, rounds=10)
    with pytest.raises(ValueError, match="unknown receiver"):
        best_fixed_scheme(game, ("no_such", {}), rounds=10)
    with pytest.raises(TypeError, match="game must be"):
        best_fixed_scheme("prosecutor", "q_learning", rounds=10)


# ------------------------------------------------------------------ the engine's tail metric


def test_tail_rounds():
    assert [tail_rounds(r) for r in (1, 4, 5, 6, 100, 101)] == [1, 1, 1, 2, 20, 21]


def test_tail_matches_last_fifth_bin():
    # With 5 bins over 1000 rounds the last bin is exactly the last 200 rounds, and the
    # learning curve averages it over runs: an independent path to the same number.
    game = PersuasionGame.random(3, 3, seed=2)
    result = simulate(game, "lp_optimal", "hedge", rounds=1000, runs=3, seed=4, bins=5)
    assert result.run_tail_sender_utility.shape == (3,)
    assert result.run_tail_sender_utility.mean() == pytest.approx(result.sender_utility[-1])
    assert result.run_tail_receiver_utility.mean() == pytest.approx(result.receiver_utility[-1])
    assert result.tail_rounds == 200


def test_tail_of_single_round():
    # One round: the tail is the whole run, so it equals the run's realised mean.
    result = simulate(
        PersuasionGame.example("prosecutor"),
        "lp_optimal",
        "best_response",
        rounds=1,
        runs=5,
        seed=0,
    )
    np.testing.assert_array_equal(result.run_tail_sender_utility, result.run_sender_utility)
