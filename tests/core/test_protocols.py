"""The agent protocols live in persuasion_env.protocols; agents.base re-exports them."""

import pytest

import agents.base
from agents import agent_class
from persuasion_env import protocols
from persuasion_env.protocols import (
    BLACK_BOX,
    FULL_INFORMATION,
    INFORMATION_CLASSES,
    OBSERVABLES,
    WHITE_BOX,
    information_class,
)


def test_agents_base_reexports_the_same_objects():
    for name in ("Agent", "GameView", "Querier", "Receiver", "Sender", "information_class"):
        assert getattr(agents.base, name) is getattr(protocols, name)


# The classes issue 16 (point 3) asks for: full information = given the game; white box =
# reads the other side's policy; black box = own payoff, state, the other side's moves.
EXPECTED = {
    ("sender", "lp_optimal"): FULL_INFORMATION,
    ("sender", "full_disclosure"): BLACK_BOX,
    ("sender", "no_information"): BLACK_BOX,
    ("sender", "fixed_scheme"): BLACK_BOX,
    ("sender", "random"): BLACK_BOX,
    ("sender", "info_q"): BLACK_BOX,
    ("sender", "info_policy"): BLACK_BOX,
    ("sender", "modelr"): BLACK_BOX,
    ("sender", "q_learning"): BLACK_BOX,
    ("sender", "reinforce"): BLACK_BOX,
    ("sender", "hedge"): BLACK_BOX,
    ("sender", "tablenet"): BLACK_BOX,
    ("sender", "signaling_gradient"): WHITE_BOX,  # reads the receiver's policy and payoff
    ("sender", "dp_querier"): FULL_INFORMATION,
    ("sender", "greedy_querier"): FULL_INFORMATION,
    ("sender", "random_querier"): FULL_INFORMATION,
    ("sender", "no_query"): FULL_INFORMATION,
    ("receiver", "best_response"): FULL_INFORMATION,
    ("receiver", "quantal"): WHITE_BOX,
    ("receiver", "q_learning"): BLACK_BOX,
    ("receiver", "reinforce"): BLACK_BOX,
    ("receiver", "hedge"): BLACK_BOX,
    ("receiver", "ucb"): BLACK_BOX,
    ("receiver", "fictitious_play"): BLACK_BOX,
    ("receiver", "actor_critic"): BLACK_BOX,
}


@pytest.mark.parametrize(("side", "name"), sorted(EXPECTED))
def test_every_builtin_agent_declares_its_information_class(side, name):
    cls = agent_class(side, name)
    assert cls.information in INFORMATION_CLASSES
    assert information_class(cls) == EXPECTED[(side, name)]
    assert cls.observes and set(cls.observes) <= set(OBSERVABLES)
    # Only a full-information agent is handed the game.
    assert cls.full_information == (cls.information == FULL_INFORMATION) or cls.game == "oracle"


def test_what_receivers_observe():
    assert "state_after" in agent_class("receiver", "fictitious_play").observes
    assert "scheme" in agent_class("receiver", "quantal").observes
    assert "scheme" not in agent_class("receiver", "q_learning").observes


def test_information_class_of_objects_that_see_more_than_their_class():
    class Seer:
        information = BLACK_BOX
        full_information = True

    class SchemeReader:
        information = BLACK_BOX
        needs_scheme = True

    assert information_class(Seer()) == FULL_INFORMATION
    assert information_class(SchemeReader()) == WHITE_BOX
