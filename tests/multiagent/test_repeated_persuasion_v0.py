"""PettingZoo: the AEC and parallel envs pass PettingZoo's own test suite."""

import warnings

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

from persuasion_env.multiagent import repeated_persuasion_v0 as rp

CONFIGS = [
    {},
    {"size": (3, 4), "noise": 0.1, "max_cycles": 20},
    {"game": "climbing", "n_messages": 2, "render_mode": "ansi"},
]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_api_test(kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(rp.env(**kwargs), num_cycles=100)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parallel_api_test(kwargs):
    parallel_api_test(rp.parallel_env(**kwargs), num_cycles=100)


def test_seed_tests():
    seed_test(lambda: rp.env(size=3, noise=0.2), num_cycles=100)
    parallel_seed_test(lambda: rp.parallel_env(size=3, noise=0.2), num_cycles=100)


def test_a_round_pays_both_agents(prosecutor):
    env = rp.env(game=prosecutor, max_cycles=2)
    env.reset(seed=0)
    assert env.agent_selection == "sender"
    assert int(env.observe("receiver")) == 2  # no message yet
    state = int(env.observe("sender"))
    env.step(1)
    assert env.agent_selection == "receiver" and int(env.observe("receiver")) == 1
    env.step(1)  # convict
    info = env.infos["sender"]
    assert info["state"] == state and info["message"] == 1 and info["action"] == 1
    assert env.rewards["sender"] == 1.0
    assert env.rewards["receiver"] == prosecutor.receiver_utility[state, 1]
    assert info["lp_value"] == pytest.approx(0.6)


def test_parallel_env_is_turn_based():
    env = rp.parallel_env(game="prosecutor", max_cycles=2)
    obs, _ = env.reset(seed=0)
    assert set(obs) == {"sender", "receiver"}
    obs, rewards, _, _, infos = env.step({"sender": 0, "receiver": 1})  # receiver's ignored
    assert infos["sender"]["active_agent"] == "receiver"
    assert int(obs["receiver"]) == 0
    obs, rewards, _, truncated, infos = env.step({"sender": 1, "receiver": 0})
    assert infos["receiver"]["action"] == 0 and infos["receiver"]["message"] == 0
    for _ in range(2):
        obs, rewards, _, truncated, infos = env.step({"sender": 0, "receiver": 0})
    assert all(truncated.values()) and not env.agents


def test_render():
    env = rp.env(render_mode="rgb_array")
    env.reset(seed=0)
    env.step(0)
    env.step(1)
    assert env.render().dtype == np.uint8


# ------------------------------------------------------- no-commitment references (MODEL.md C3)


def _one_round_info(env):
    env.step(0)  # sender
    env.step(0)  # receiver
    return env.infos["sender"]


def test_cheap_talk_references_in_info_by_hand():
    # Climbing game (u1 = u2): full revelation is an equilibrium worth (11 + 7 + 5) / 90;
    # babbling: the prior best response (action 2) is worth (0 + 6 + 5) / 90.
    env = rp.env(game="climbing")
    env.reset(seed=0)
    info = _one_round_info(env)
    assert info["cheap_talk_value"] == pytest.approx(23 / 90)
    assert info["babbling_value"] == pytest.approx(11 / 90)
    assert info["lp_value"] >= info["cheap_talk_value"]
    # The prosecutor's sender wants "convict" in every state: only babbling (acquit, 0).
    env = rp.env(game="prosecutor")
    env.reset(seed=0)
    info = _one_round_info(env)
    assert (info["cheap_talk_value"], info["babbling_value"]) == (0.0, 0.0)
    assert info["lp_value"] == pytest.approx(0.6)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cheap_talk_info_matches_brute_force(seed):
    from tests.solvers.test_cheap_talk import brute_force_cheap_talk

    env = rp.env(size=(3, 3))
    env.reset(seed=seed)
    game = env.game
    info = _one_round_info(env)
    # The brute force enumerates every pure receiver strategy and the sender's mixtures.
    assert info["cheap_talk_value"] == pytest.approx(brute_force_cheap_talk(game, 4), abs=1e-9)
    babbling = max(
        (game.prior @ game.sender_utility)[a]
        for a in range(game.n_actions)
        if np.isclose(
            (game.prior @ game.receiver_utility)[a], (game.prior @ game.receiver_utility).max()
        )
    )
    assert info["babbling_value"] == pytest.approx(babbling)
    assert env.cheap_talk_value == info["cheap_talk_value"]


def test_cheap_talk_with_too_few_messages_is_nan_or_within_reach():
    # Climbing with 2 messages: the fully revealing equilibrium needs 3, so the value is NaN
    # (not claimed); babbling needs none.
    env = rp.env(game="climbing", n_messages=2)
    env.reset(seed=0)
    info = _one_round_info(env)
    assert np.isnan(info["cheap_talk_value"])
    assert info["babbling_value"] == pytest.approx(11 / 90)
