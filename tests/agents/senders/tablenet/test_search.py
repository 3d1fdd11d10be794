"""TableNet's margin search after the plan (agents/senders/tablenet/search.py): the levels past
the plan (``beyond``) and silence on trial (``silence_trial``), on hand-made states of the
protocol with hand-computed expectations."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from agents.senders.adaptive import THETAS  # noqa: E402
from agents.senders.tablenet import TableNetConfig  # noqa: E402
from agents.senders.tablenet.play import TableNetMarginPlay
from agents.senders.tablenet.search import BEYOND  # noqa: E402
from persuasion_env import PersuasionGame  # noqa: E402
from persuasion_env.protocols import GameView  # noqa: E402

GAME = PersuasionGame(
    prior=np.array([0.5, 0.5]),
    sender_utility=np.array([[0.0, 1.0], [0.0, 1.0]]),
    receiver_utility=np.array([[1.0, 0.0], [0.0, 1.0]]),
)


def _play(runs: int = 1, **options) -> TableNetMarginPlay:
    """A margin protocol reset on GAME (4 messages: two recommendations, a spare, silence),
    with full disclosure ``F`` (state s -> "play s") as its disclosure form."""
    play = TableNetMarginPlay(TableNetConfig(), **options)
    view = GameView.for_agent(GAME, play, 4, horizon=100_000)
    play.reset(view, runs=runs, rng=np.random.default_rng(0))
    play.disclosure = np.broadcast_to(np.eye(2), (runs, 2, 2)).copy()
    play.message_of = np.tile(np.arange(2), (runs, 1))
    play._silent = np.full(runs, 3)
    return play


def test_levels_past_the_plan_only_where_a_row_can_move_further():
    # Run 0's plan keeps half of state 0 on "play 0" and sends half to "play 1": a push past
    # it moves that row further. Run 1's plan sends state 0 entirely to "play 1": no push
    # changes it (the row stays the plan's after clipping), so its search ends at the plan.
    play = _play(runs=2, beyond=True)
    play._target = np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    last = play._search_last_levels()
    assert play._levels == THETAS + BEYOND
    assert last.tolist() == [len(THETAS) + len(BEYOND) - 1, len(THETAS) - 1]
    assert THETAS[last[1]] == 0.0


def test_a_push_past_the_plan_moves_the_row_along_the_line():
    # theta = -0.5 (push 1.5): row 0 = 1.5 * (0.5, 0.5) - 0.5 * (1, 0) = (0.25, 0.75), a valid
    # row that needs no clipping; row 1 is the plan's (0, 1) for every theta.
    play = _play()
    play._target = np.array([[[0.5, 0.5], [0.0, 1.0]]])
    play.theta = np.array([-0.5])
    schemes = play._next_schemes()
    np.testing.assert_allclose(schemes[0][:, :2], [[0.25, 0.75], [0.0, 1.0]])
    np.testing.assert_allclose(schemes[0][:, 2:], 0.0)
    # Push 3 leaves the simplex: 3 * (0.5, 0.5) - 2 * (1, 0) = (-0.5, 1.5), clipped to
    # (0, 1.5) and renormalised to (0, 1).
    play.theta = np.array([-2.0])
    np.testing.assert_allclose(play._next_schemes()[0][:, :2], [[0.0, 1.0], [0.0, 1.0]])


def test_short_horizon_option_off_and_two_states_search_only_the_grid():
    play = _play(beyond=False)
    assert play._levels == THETAS
    # by default no push past the plan on two states (GAME), one on three
    assert _play()._levels == THETAS
    three = PersuasionGame.random(3, 3, seed=0)
    play = TableNetMarginPlay(TableNetConfig())
    play.reset(
        GameView.for_agent(three, play, play.messages_for(three), horizon=100_000),
        runs=1,
        rng=np.random.default_rng(0),
    )
    assert play._levels == THETAS + BEYOND
    short = TableNetMarginPlay(TableNetConfig())
    short.reset(
        GameView.for_agent(GAME, short, 4, horizon=3000), runs=1, rng=np.random.default_rng(0)
    )
    assert short._short and short._levels == THETAS


def _settle(play: TableNetMarginPlay, no_information: float) -> None:
    play.settled[:] = True
    play.margin_level[:] = 5
    play.no_information_value[:] = no_information


def _epochs(play: TableNetMarginPlay, values) -> list[bool]:
    """Feed the settled run one epoch's realised utility after another; whether it is
    silent after each."""
    silent = []
    for v in values:
        play.value = np.array([v])
        play._watch_settled(0)
        silent.append(bool(play.silent[0]))
    return silent


def test_silence_on_trial_goes_back_when_silence_earns_less_than_persuasion():
    # The probe said silence earns 0.8; persuasion earns 0.7, so the run falls silent at
    # once (its average, 0.7, is below 0.8 - slack). Silence then earns 0.6: after
    # hold + 2 = 5 silent epochs its average (0.6) is below persuasion's 0.7 - slack, so the
    # run persuades again, and stays persuading though its average stays below 0.8.
    play = _play(back_off=False)
    assert play._hold == 3
    _settle(play, 0.8)
    silent = _epochs(play, [0.7] + [0.6] * 5 + [0.7] * 6)
    assert silent == [True] * 5 + [False] * 7
    # Without the trial, silence is for good.
    play = _play(back_off=False, silence_trial=False)
    _settle(play, 0.8)
    assert _epochs(play, [0.7] + [0.6] * 11) == [True] * 12


def test_silence_that_earns_more_than_persuasion_stays():
    play = _play(back_off=False)
    _settle(play, 0.8)
    assert _epochs(play, [0.7] + [0.85] * 10) == [True] * 11
