"""``GameView.horizon`` (issue 16): the rounds a reset's runs will play, given to both sides
by whoever knows it (``simulate``, the round-level envs), ``None`` by default."""

from __future__ import annotations

import gymnasium
import pytest

import persuasion_env  # noqa: F401  (registers the envs)
from agents.receivers.learning import FictitiousPlayReceiver
from agents.senders.schemes import FullDisclosureSender
from persuasion_env import PersuasionGame, simulate
from persuasion_env.protocols import GameView


class _RecordingReceiver(FictitiousPlayReceiver):
    """Fictitious play that keeps every view it is reset with."""

    def reset(self, view, *, runs, rng):
        self.views = [*getattr(self, "views", []), view]
        super().reset(view, runs=runs, rng=rng)


class _RecordingSender(FullDisclosureSender):
    def reset(self, view, *, runs, rng):
        self.views = [*getattr(self, "views", []), view]
        super().reset(view, runs=runs, rng=rng)


@pytest.fixture(scope="module")
def letter():
    return PersuasionGame.example("recommendation_letter")


def test_a_view_has_no_horizon_unless_one_is_given(letter):
    receiver = FictitiousPlayReceiver()
    assert GameView.for_agent(letter, receiver, 2).horizon is None
    assert GameView.for_agent(letter, receiver, 2, horizon=7).horizon == 7
    # third-party code that builds a view by its fields keeps working
    view = GameView.for_agent(letter, receiver, 2)
    assert GameView(view.n_states, view.n_actions, 2, view.priors, view.utilities).horizon is None


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_a_horizon_must_be_a_positive_integer(letter, bad, error):
    with pytest.raises(error, match="horizon"):
        GameView.for_agent(letter, FictitiousPlayReceiver(), 2, horizon=bad)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError)])
def test_a_view_built_by_its_fields_checks_the_horizon_too(letter, bad, error):
    view = GameView.for_agent(letter, FictitiousPlayReceiver(), 2)
    with pytest.raises(error, match="horizon"):
        GameView(view.n_states, view.n_actions, 2, view.priors, view.utilities, horizon=bad)


def test_simulate_tells_both_sides_the_rounds(letter):
    sender, receiver = _RecordingSender(), _RecordingReceiver()
    simulate(letter, sender, receiver, rounds=123, runs=2, seed=0)
    assert [v.horizon for v in sender.views] == [123]
    assert [v.horizon for v in receiver.views] == [123]


def test_the_envs_embedded_agent_is_told_the_episode_length(letter):
    env = gymnasium.make(
        "persuasion/RepeatedPersuasion-v0",
        game=letter,
        receiver=_RecordingReceiver(),
        episode_length=37,
        best_fixed_runs=0,
    )
    env.reset(seed=0)
    env.reset(seed=1)  # reset at every episode, told the episode's length each time
    agent = env.unwrapped.options.agent
    assert [v.horizon for v in agent.views] == [37, 37]
    env.close()
