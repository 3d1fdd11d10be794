"""``repeated_persuasion_v0.vector_parallel_env``: B copies of the parallel env in one object."""

import pickle

import numpy as np
import pytest

from persuasion_env import PersuasionGame
from persuasion_env.envs._common import ResetNeeded
from persuasion_env.multiagent import repeated_persuasion_v0 as rp

CONFIGS = [
    {"game": "prosecutor", "max_cycles": 30},
    {"size": (3, 4), "noise": 0.2, "max_cycles": 9, "obs_type": "one_hot"},
    {"game": "climbing", "n_messages": 2, "max_cycles": 5, "action_mask_in_obs": True},
]


def _compare(batched, single):
    """A batched value of B = 1 against the single env's value."""
    if isinstance(single, dict):
        assert set(batched) == set(single)
        for key in single:
            _compare(batched[key], single[key])
    elif isinstance(single, tuple):
        for b, v in zip(batched, single, strict=True):
            _compare(b, v)
    elif isinstance(single, str):
        assert batched == single
    else:
        np.testing.assert_array_equal(np.asarray(batched).reshape(np.shape(single)), single)
        assert np.asarray(batched).dtype.kind == np.asarray(single).dtype.kind


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_one_copy_is_the_parallel_env(kwargs):
    vec, par = rp.vector_parallel_env(1, **kwargs), rp.parallel_env(**kwargs)
    for seed in (0, 1):  # a second episode: the generator carries on in both
        first = 0 if seed == 0 else None
        _compare(vec.reset(seed=first), par.reset(seed=first))
        rng = np.random.default_rng(seed)
        steps = 0
        while par.agents:
            actions = {a: int(rng.integers(par.action_space(a).n)) for a in par.agents}
            got = vec.step({a: np.array([x]) for a, x in actions.items()})
            for batched, single in zip(got, par.step(actions), strict=True):
                _compare(batched, single)
            steps += 1
        assert not vec.agents and steps == 2 * kwargs["max_cycles"]


def test_copies_play_rounds_of_the_game(prosecutor):
    # Four copies, every value checked against the game's tables (no noise): the rewards at
    # the receiver's move are u1[s, a], u2[s, a] of each copy's own state and action.
    runs, rounds = 4, 50
    env = rp.vector_parallel_env(runs, game=prosecutor, max_cycles=rounds, obs_type="one_hot")
    obs, infos = env.reset(seed=0)
    assert infos["receiver"] == {"active_agent": "sender"}
    u1, u2 = prosecutor.sender_utility, prosecutor.receiver_utility
    states_seen = []
    for t in range(rounds):
        assert obs["sender"].shape == (runs, 2) and obs["receiver"].shape == (runs, 3)
        states = obs["sender"].argmax(axis=1)
        np.testing.assert_array_equal(obs["receiver"].argmax(axis=1), 2)  # none sent yet
        messages = (np.arange(runs) + t) % 2
        obs, rewards, _, trunc, infos = env.step({"sender": messages})
        np.testing.assert_array_equal(obs["receiver"].argmax(axis=1), messages)
        assert infos["sender"]["active_agent"] == "receiver"
        assert all(not r.any() for r in rewards.values())
        actions = messages  # obey the message
        obs, rewards, term, trunc, infos = env.step({"receiver": actions, "sender": None})
        np.testing.assert_array_equal(rewards["sender"], u1[states, actions])
        np.testing.assert_array_equal(rewards["receiver"], u2[states, actions])
        assert rewards["sender"].dtype == np.float64
        info = infos["receiver"]
        np.testing.assert_array_equal(info["state"], states)  # the state after acting
        np.testing.assert_array_equal(info["action"], actions)
        assert info["lp_value"] == pytest.approx(0.6)
        assert not any(t.any() for t in term.values())
        states_seen.append(states)
    assert all(trunc[a].all() for a in trunc) and env.agents == []
    states_seen = np.array(states_seen)
    # the copies draw their own states: prior (0.7, 0.3) on innocent/guilty, per copy
    assert not all((states_seen[:, 0] == states_seen[:, b]).all() for b in range(1, runs))
    assert abs(states_seen.mean() - 0.3) < 0.1  # 200 draws, sd ~0.03
    with pytest.raises(ResetNeeded, match="ended"):
        env.step({"sender": messages})


def test_masks_are_batched_and_zero_for_the_idle_agent():
    env = rp.vector_parallel_env(3, game="climbing", action_mask_in_obs=True, max_cycles=1)
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(obs["sender"]["action_mask"], np.ones((3, 3), np.int8))
    np.testing.assert_array_equal(obs["receiver"]["action_mask"], np.zeros((3, 3), np.int8))
    obs, *_ = env.step({"sender": np.zeros(3, dtype=np.int64)})
    np.testing.assert_array_equal(obs["sender"]["action_mask"], np.zeros((3, 3), np.int8))
    np.testing.assert_array_equal(obs["receiver"]["action_mask"], np.ones((3, 3), np.int8))
    obs, *_ = env.step({"receiver": np.zeros(3, dtype=np.int64)})  # the end: all zeros
    assert not obs["sender"]["action_mask"].any() and not obs["receiver"]["action_mask"].any()
    assert env.observation_space("sender").contains(obs["sender"])


def test_spaces_and_errors():
    env = rp.vector_parallel_env(2, game=PersuasionGame.example("prosecutor"))
    assert env.single_action_space("sender").n == 2
    assert env.action_space("receiver").shape == (2,)
    assert env.observation_space("sender").contains(np.array([0, 1]))
    with pytest.raises(ResetNeeded, match="reset"):
        env.step({"sender": np.zeros(2, dtype=np.int64)})
    env.reset(seed=0)
    with pytest.raises(ValueError, match="sender's turn"):
        env.step({"receiver": np.zeros(2, dtype=np.int64)})
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        env.step({"sender": 0})
    with pytest.raises(ValueError, match="Discrete"):
        env.step({"sender": np.array([0, 2])})
    with pytest.raises(ValueError, match="unknown agent"):
        env.step({"sender": np.zeros(2, dtype=np.int64), "judge": 1})
    with pytest.raises(ValueError, match="render"):
        rp.vector_parallel_env(2, render_mode="ansi")
    with pytest.raises(ValueError, match="num_envs"):
        rp.vector_parallel_env(0)
    copy = pickle.loads(pickle.dumps(env))  # EzPickle: rebuilt, unreset
    assert copy.num_envs == 2 and copy.agents == []
