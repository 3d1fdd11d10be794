"""Confidence intervals, ratings, labels and plots of tournament results, checked against
hand computations on constructed tables (no tournament is played here)."""

import itertools

import matplotlib
import numpy as np
import pandas as pd
import pytest

from agents.senders import ModelRSender, QLearningSender
from persuasion_env.tournament import COLUMNS, TournamentResult
from persuasion_env.tournament.core import _entries
from persuasion_env.tournament.plots import colour_limits
from persuasion_env.tournament.stats import (
    bootstrap_band,
    bootstrap_ci,
    bradley_terry,
    nash_averaging,
    pairwise_wins,
)

matplotlib.use("Agg")

# ----------------------------------------------------------------- bootstrap


def test_bootstrap_ci_contains_the_mean_and_matches_the_normal_width():
    rng = np.random.default_rng(7)
    values = rng.normal(2.0, 1.0, size=400)
    low, high = bootstrap_ci(values, seed=3)
    assert low < values.mean() < high
    # For a mean of 400 normal draws the 95 % interval is about +-1.96 s / sqrt(n).
    half = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert (high - low) / 2 == pytest.approx(half, rel=0.15)


def test_bootstrap_ci_is_seeded_and_handles_degenerate_data():
    values = np.array([0.1, 0.5, 0.9, 0.3, 0.7])
    assert bootstrap_ci(values, seed=1) == bootstrap_ci(values, seed=1)
    assert bootstrap_ci(np.full(5, 0.8)) == (0.8, 0.8)
    assert all(np.isnan(bootstrap_ci(np.array([0.4]))))
    low, high = bootstrap_ci(np.array([0.0, 1.0, np.nan, 1.0]))  # NaN dropped
    assert 0.0 <= low <= 2 / 3 <= high <= 1.0
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(values, confidence=95)


def test_bootstrap_band_brackets_the_mean_curve():
    curves = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 4.0], [2.0, 1.0, 3.0]])
    low, high = bootstrap_band(curves, seed=0)
    mean = curves.mean(axis=0)
    assert np.all(low <= mean) and np.all(mean <= high)
    assert low[1] == high[1] == 1.0  # no spread, no band
    assert np.all(low >= curves.min(axis=0)) and np.all(high <= curves.max(axis=0))


# ----------------------------------------------------------------- Nash averaging


def test_nash_averaging_of_a_cyclic_table_is_uniform():
    # Rock-paper-scissors between agents and tasks: each agent wins one task, draws one,
    # loses one. The unique equilibrium is uniform on both sides, value 1/2.
    scores = np.array([[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]])
    nash = nash_averaging(scores)
    np.testing.assert_allclose(nash.agent_mass, 1 / 3, atol=1e-6)
    np.testing.assert_allclose(nash.task_mass, 1 / 3, atol=1e-6)
    np.testing.assert_allclose(nash.agent_rating, 0.5, atol=1e-6)
    assert nash.value == pytest.approx(0.5)


def test_nash_averaging_is_not_fooled_by_copies_of_a_task():
    # Agent 0 is good at task A, agent 1 at task B; then B is copied twice.
    # By hand: value 1/2, the task player puts 1/2 on A and 1/2 on {B, B', B''}, which the
    # maximal-entropy equilibrium spreads evenly (1/6 each); both agents rate 1/2.
    base = np.array([[1.0, 0.0], [0.0, 1.0]])
    padded = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0]])
    one, three = nash_averaging(base), nash_averaging(padded)
    np.testing.assert_allclose(three.task_mass, [1 / 2, 1 / 6, 1 / 6, 1 / 6], atol=1e-6)
    np.testing.assert_allclose(three.agent_rating, one.agent_rating, atol=1e-6)
    np.testing.assert_allclose(three.agent_rating, [0.5, 0.5], atol=1e-6)
    # The plain mean over tasks would favour agent 1 (3/4 against 1/4).
    np.testing.assert_allclose(padded.mean(axis=1), [0.25, 0.75])


def test_nash_averaging_gives_a_dominated_agent_no_mass():
    scores = np.array([[1.0, 0.9], [0.8, 0.6]])  # agent 0 better on every task
    nash = nash_averaging(scores)
    np.testing.assert_allclose(nash.agent_mass, [1.0, 0.0], atol=1e-7)
    # Agent 0's minimising task player picks task 1 (0.9 < 1.0): ratings are column 1.
    np.testing.assert_allclose(nash.task_mass, [0.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(nash.agent_rating, [0.9, 0.6], atol=1e-7)


# ----------------------------------------------------------------- Bradley-Terry


def test_bradley_terry_two_agents_is_the_win_share_in_elo():
    wins = np.array([[0.0, 3.0], [1.0, 0.0]])
    elo = bradley_terry(wins, prior=0.0)
    # P(0 beats 1) = 3/4 = 1 / (1 + 10 ** (-(r0 - r1) / 400)).
    assert elo[0] - elo[1] == pytest.approx(400 * np.log10(3))
    assert elo.sum() == pytest.approx(0.0, abs=1e-9)
    with_prior = bradley_terry(wins, prior=0.5)  # 3.5 wins of 5
    assert with_prior[0] - with_prior[1] == pytest.approx(400 * np.log10(3.5 / 1.5))


def test_bradley_terry_solves_the_likelihood_equations():
    wins = np.array([[0.0, 4.0, 2.0], [1.0, 0.0, 3.0], [3.0, 2.0, 0.0]])
    pi = 10 ** (bradley_terry(wins, prior=0.0) / 400)
    games = wins + wins.T
    expected = (games * pi[:, None] / (pi[:, None] + pi[None, :])).sum(axis=1)
    np.testing.assert_allclose(expected, wins.sum(axis=1), rtol=1e-8)


def test_pairwise_wins_counts_ties_as_halves():
    scores = np.array([[1.0, 0.5, 0.2], [0.9, 0.5, 0.3]])
    np.testing.assert_allclose(pairwise_wins(scores), [[0.0, 1.5], [1.5, 0.0]])


# ----------------------------------------------------------------- the result object


def constructed(ratios: dict[tuple[str, str, str], list[float]]) -> TournamentResult:
    """A tournament table with the given ratios per (sender, receiver, game), one per seed;
    lp_value 2 everywhere, so sender_utility = 2 * ratio."""
    rows = []
    for (sender, receiver, game), values in ratios.items():
        for seed, ratio in enumerate(values):
            row = dict.fromkeys(COLUMNS, np.nan)
            row.update(sender=sender, receiver=receiver, game=game, seed=seed,
                       size="3x3" if game.startswith("g") else "4x4",
                       sender_utility=2 * ratio, receiver_utility=1 - ratio, lp_value=2.0,
                       ratio=ratio, rounds=10, wall_time=0.0, status="ok", error="")  # fmt: skip
            rows.append(row)
    return TournamentResult(pd.DataFrame(rows, columns=COLUMNS))


TABLE = {
    # sender a: 1.0 on r1, 0.5 on r2; sender b: 0.6 on both; sender c: 0.4 on r1, 0.7 on r2.
    ("a", "r1", "g1"): [1.0, 1.0],
    ("a", "r2", "g1"): [0.4, 0.6],
    ("b", "r1", "g1"): [0.6, 0.6],
    ("b", "r2", "g1"): [0.5, 0.7],
    ("c", "r1", "g1"): [0.3, 0.5],
    ("c", "r2", "g1"): [0.7, 0.7],
}


def test_ranking_of_a_constructed_table_matches_the_hand_computation():
    ranking = constructed(TABLE).ranking()
    # Means by hand: a (1+1+.4+.6)/4 = 0.75, b 0.6, c 0.55.
    assert list(ranking.index) == ["a", "b", "c"]
    np.testing.assert_allclose(ranking["mean_ratio"], [0.75, 0.6, 0.55])
    np.testing.assert_allclose(ranking["sender_utility"], [1.5, 1.2, 1.1])
    assert list(ranking["matches"]) == [4, 4, 4]
    for figure in ("mean_ratio", "sender_utility", "receiver_utility"):
        assert np.all(ranking[f"{figure}_low"] <= ranking[figure])
        assert np.all(ranking[figure] <= ranking[f"{figure}_high"])
    # b's ratios are {0.6, 0.6, 0.5, 0.7}: a mean of resamples lies in [0.5, 0.7].
    assert 0.5 <= ranking.loc["b", "mean_ratio_low"] < 0.6 < ranking.loc["b", "mean_ratio_high"]
    assert ranking.loc["b", "mean_ratio_high"] <= 0.7
    pd.testing.assert_frame_equal(ranking, constructed(TABLE).ranking())  # seeded


def test_ratings_of_a_constructed_table_match_the_hand_computation():
    ratings = constructed(TABLE).ratings(n_resamples=50)
    # Scores (seed means) on tasks (r1, g1), (r2, g1): a (1.0, 0.5), b (0.6, 0.6), c (0.4, 0.7).
    # By hand: the agent player mixes a and c, p = (x, 0, 1 - x): task r1 pays
    # 0.4 + 0.6 x, task r2 pays 0.7 - 0.2 x; equal at x = 3/8, value 0.625 > 0.6 (b is
    # beaten by that mix). The task player: q on r1 with 1.0 q + 0.5 (1 - q) = 0.4 q +
    # 0.7 (1 - q), q = 1/4. Ratings S q: a 0.625, b 0.6, c 0.625.
    np.testing.assert_allclose(ratings.loc[["a", "b", "c"], "nash_rating"], [0.625, 0.6, 0.625])
    np.testing.assert_allclose(ratings.loc[["a", "b", "c"], "nash_mass"], [3 / 8, 0, 5 / 8],
                               atol=1e-6)  # fmt: skip
    assert ratings["tasks"].iloc[0] == 2
    # Bradley-Terry, prior 1/2 per pair: a beats b on r1, loses on r2 (1 : 1); a and c split
    # likewise; c beats b on r2, loses on r1. All pairs 1 : 1 -> equal ratings.
    np.testing.assert_allclose(ratings["bt_elo"], 0.0, atol=1e-6)
    assert np.all(ratings["nash_rating_low"] <= ratings["nash_rating_high"])
    assert ratings.loc["b", "rank"] == 3


def test_ratings_leave_out_tasks_with_a_failed_match():
    table = dict(TABLE)
    table[("a", "r3", "g1")] = [0.9, 0.9]
    table[("b", "r3", "g1")] = [0.1, 0.1]
    table[("c", "r3", "g1")] = [0.2, 0.2]
    result = constructed(table)
    frame = result.to_frame()
    frame.loc[(frame["receiver"] == "r3") & (frame["sender"] == "c"), "status"] = "failed"
    ratings = TournamentResult(frame).ratings(n_resamples=10)
    assert ratings["tasks"].iloc[0] == 2
    np.testing.assert_allclose(ratings.loc["b", "nash_rating"], 0.6)


# ----------------------------------------------------------------- labels


def test_configured_objects_of_one_class_get_distinct_labels():
    labels = [
        e.label
        for e in _entries(
            [QLearningSender(alpha=0.5), QLearningSender(), ModelRSender(), ModelRSender()],
            "sender",
        )
    ]
    assert labels == ["q_learning(alpha=0.5)", "q_learning", "modelr", "modelr#2"]
    by_name = [e.label for e in _entries(["q_learning", ("q_learning", {"alpha": 0.5})], "sender")]
    assert by_name == ["q_learning", "q_learning(alpha=0.5)"]
    with pytest.raises(ValueError, match="unique"):
        _entries(["q_learning", "q_learning"], "sender")


# ----------------------------------------------------------------- plots


def test_colour_scale_follows_the_data():
    assert colour_limits(np.array([0.7, 0.9, 1.03, np.nan])) == (0.7, 1.03)
    assert colour_limits(np.array([0.2, 0.5])) == (0.2, 1.0)  # the optimum stays on scale


def test_heatmap_has_one_panel_per_size_and_plots_name_their_utility(tmp_path):
    table = dict(TABLE)
    for sender, receiver in itertools.product("abc", ("r1", "r2")):
        table[(sender, receiver, "h1")] = [1.06, 1.0]  # cell mean 1.03
    result = constructed(table)
    ax = result.plot_heatmap()
    images = [a for a in ax.figure.axes if a.images]
    assert [a.get_title() for a in images] == [
        "3x3 games: mean over games and seeds",
        "4x4 games: mean over games and seeds",
    ]
    norm = images[0].images[0].norm
    # Cell means by hand: 3x3 from 0.4 (c vs r1) to 1.0, 4x4 all 1.03.
    assert (norm.vmin, norm.vmax) == pytest.approx((0.4, 1.03))
    assert "Final-policy" in ax.figure._suptitle.get_text()
    assert "final-policy" in result.plot_distributions().get_ylabel()
    curves = TournamentResult(result.to_frame(), curves=[
        {"sender": s, "receiver": r, "size": "3x3", "rounds": [1, 2], "lp_value": 2.0,
         "sender_utility": [1.0 + i / 10, 1.5]}
        for s in "ab" for i, r in enumerate(("r1", "r2"))
    ])  # fmt: skip
    lc = curves.plot_learning_curves()
    assert "realised" in lc.get_ylabel() and "realised" in lc.get_title()
    assert len(lc.collections) == 2  # one band per sender
    paths = curves.plot(tmp_path)
    assert [p.name for p in paths] == [
        "heatmap.png",
        "distributions.png",
        "learning_curves.png",
        "ranking.png",
    ]
    assert all(p.stat().st_size > 1000 for p in paths)
