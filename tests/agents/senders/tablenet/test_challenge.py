"""The challenge of TableNet's plan to the certified scheme (agents/senders/tablenet/challenge.py,
``base="certified"``): the schemes on the line from ``C`` to the plan, which levels a push past
the plan changes, which level is kept, when the challenge ends; and, in the engine, the
recommendation letter against greedy Q-learning (every run of the old default locked into
"don't hire")."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from agents import make_sender  # noqa: E402
from agents.senders.adaptive import THETAS  # noqa: E402
from agents.senders.tablenet import TableNetConfig  # noqa: E402
from agents.senders.tablenet.challenge import CHALLENGE_GAIN  # noqa: E402
from agents.senders.tablenet.play import TableNetMarginPlay  # noqa: E402
from agents.senders.tablenet.search import BEYOND  # noqa: E402
from persuasion_env import PersuasionGame, simulate  # noqa: E402
from persuasion_env.protocols import GameView  # noqa: E402

GAME = PersuasionGame.random(3, 2, seed=0)


def _challenging(runs: int, base: np.ndarray, plan: np.ndarray, **options) -> TableNetMarginPlay:
    """A margin protocol on a 3-state, 2-action game, put by hand in the challenge with the
    certified scheme ``base`` and the plan ``plan`` (both ``(S, A)``, the same for each run)."""
    play = TableNetMarginPlay(TableNetConfig(), beyond=True, **options)
    view = GameView.for_agent(GAME, play, play.messages_for(GAME), horizon=100_000)
    play.reset(view, runs=runs, rng=np.random.default_rng(0))
    play.message_of = np.tile(np.arange(2), (runs, 1))
    play._silent = np.full(runs, 3)  # (a spare message kept for silence)
    play._challenging = True
    play._base_scheme = np.broadcast_to(base, (runs, 3, 2)).copy()
    play._target = np.broadcast_to(plan, (runs, 3, 2)).copy()
    return play


C = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
L = np.array([[0.5, 0.5], [0.0, 1.0], [0.0, 1.0]])


def test_default_base_is_the_certified_scheme_and_options_are_validated():
    play = TableNetMarginPlay(TableNetConfig())
    assert play.base == "certified" and play.search == "certified" and play.challenge
    assert TableNetMarginPlay(TableNetConfig(), base="disclosure").search == "grid"
    with pytest.raises(ValueError, match="base"):
        TableNetMarginPlay(TableNetConfig(), base="plan")
    with pytest.raises(ValueError, match="challenge_gain"):
        TableNetMarginPlay(TableNetConfig(), challenge_gain=-0.1)
    # The certified tests are the plan's interior data: no query phase by default.
    game = PersuasionGame.random(4, 4, seed=1)
    assert play._default_query_rounds(4, 4) == 0
    assert TableNetMarginPlay(TableNetConfig(), base="disclosure")._default_query_rounds(4, 4) > 0
    # margin_adaptive's messages: 2 A base, a junk message and A per test round.
    assert play.messages_for(game) == 8 + 1 + 4 * play._default_test_rounds(4)


def test_level_schemes_mix_the_certified_scheme_with_the_plan():
    play = _challenging(2, C, L)
    play.theta = np.array([0.5, -0.5])
    schemes = play._level_schemes()
    # theta 0.5: the average of C and L, row by row.
    np.testing.assert_allclose(schemes[0], [[0.75, 0.25], [0.25, 0.75], [0.0, 1.0]])
    # theta -0.5 (push 1.5): 1.5 L - 0.5 C = rows (0.25, 0.75), (-0.25, 1.25) -> clipped to
    # (0, 1.25) and renormalised to (0, 1); the last row is the same in both.
    np.testing.assert_allclose(schemes[1], [[0.25, 0.75], [0.0, 1.0], [0.0, 1.0]])
    # In play: on the recommendation messages 0 and 1, nothing elsewhere.
    full = play._next_schemes()
    np.testing.assert_allclose(full[0][:, :2], schemes[0])
    np.testing.assert_allclose(full[0][:, 2:], 0.0)


def test_a_push_past_the_plan_is_searched_only_where_it_changes_the_scheme():
    play = _challenging(2, C, L)
    # Run 1's plan is C itself on rows 1 and 2 and pushes row 0 fully to action 1 (a row at
    # the simplex's edge: a push past it is clipped back to the plan).
    play._target[1] = [[0.0, 1.0], [0.5, 0.5], [0.0, 1.0]]
    last = play._search_last_levels()
    assert play._levels == THETAS + BEYOND
    assert last.tolist() == [len(THETAS) + len(BEYOND) - 1, len(THETAS) - 1]


def test_a_level_replaces_the_certified_scheme_only_when_it_clearly_beats_it():
    play = _challenging(3, C, L)
    play.epochs = 10  # far from the tail of the 100 000 rounds
    zero, one, two = 0, 1, 2
    play.level_values = [
        {zero: 0.50, one: 0.50 + CHALLENGE_GAIN + 0.01, two: 0.49},  # level 1 clearly better
        {zero: 0.50, one: 0.50 + CHALLENGE_GAIN / 2, two: 0.45},  # within the noise: C
        {zero: 0.60, one: 0.55},  # C best
    ]
    play._end_challenge()
    assert play.margin_level.tolist() == [1, 0, 0]
    assert not play._challenging and play.settled.all()
    np.testing.assert_allclose(play._certified[0], 0.85 * C + 0.15 * L)  # THETAS[1] = 0.85
    np.testing.assert_allclose(play._certified[1], C)
    np.testing.assert_allclose(play._certified[2], C)


def test_the_challenge_ends_before_the_tail_of_a_known_horizon():
    play = _challenging(1, C, L)
    epoch, hold = play._epoch, play._hold
    # 100 000 rounds: the tail is the last 20 %; a level needs ``hold`` more epochs.
    play.epochs = (80_000 - hold * epoch) // epoch
    assert not play._challenge_over()
    play.epochs += 1
    assert play._challenge_over()


def test_recommendation_letter_against_q_learning_earns_most_of_full_disclosure():
    # Greedy Q-learning locks a message into "don't hire" once it is disobeyed; the old
    # default (search from full disclosure, no spare message for a locked recommendation)
    # ended every run at 0 (1e5 rounds, 4 runs; 1e6 in the benchmark). Full disclosure earns
    # P(good) = 1/3 here: the certified scheme starts from it and a locked message moves to a
    # spare one (30 000 rounds, seed 0: 0.364 and 0.311).
    game = PersuasionGame.example("recommendation_letter")
    result = simulate(game, make_sender("tablenet"), "q_learning", rounds=30_000, runs=2, seed=0)
    assert np.all(result.run_tail_sender_utility > 0.25)  # (the old default: 0 and 0)
