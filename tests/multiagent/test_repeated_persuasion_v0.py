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
