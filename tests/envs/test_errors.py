"""Bad input: clear errors, in Gymnasium's manner, naming what was wrong and what was expected."""

import gymnasium
import numpy as np
import pytest
from gymnasium.error import ResetNeeded

from agents import make_sender
from persuasion_env.envs.repeated import RepeatedPersuasionEnv
from persuasion_env.envs.scheme_commitment import SchemeCommitmentEnv
from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv
from persuasion_env.multiagent import repeated_persuasion_v0

REPEATED = "persuasion/RepeatedPersuasion-v0"
RECEIVER = "persuasion/RepeatedPersuasionReceiver-v0"
SCHEME = "persuasion/SchemeCommitment-v0"


@pytest.mark.parametrize("action", [2, -1, 7])
def test_message_outside_the_space(action):
    env = RepeatedPersuasionEnv("prosecutor")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"message in \[0, 2\).*Discrete\(2\).*got"):
        env.step(action)


@pytest.mark.parametrize("action", [1.5, "1", None, True, np.array([0, 1])])
def test_non_integer_actions(action):
    env = RepeatedPersuasionEnv("prosecutor")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="must be an integer message"):
        env.step(action)


def test_numpy_integer_actions_are_accepted():
    env = RepeatedPersuasionEnv("prosecutor")
    env.reset(seed=0)
    env.step(np.int64(1))
    env.step(np.array(0))
    env.step(np.array([1]))


def test_receiver_view_action_outside_the_space():
    env = gymnasium.make(RECEIVER, game="prosecutor")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"receiver action in \[0, 2\)"):
        env.step(3)


def test_unknown_embedded_agent_names():
    with pytest.raises(ValueError, match="unknown receiver 'nope'; known receivers: .*q_learning"):
        gymnasium.make(REPEATED, receiver="nope")
    with pytest.raises(ValueError, match="unknown sender 'nope'; known senders: .*lp_optimal"):
        gymnasium.make(RECEIVER, sender="nope")
    with pytest.raises(ValueError, match="unknown receiver"):
        gymnasium.make(SCHEME, receiver="nope")
    with pytest.raises(ValueError, match="unknown keyword.*alpha_typo.*accepted: alpha"):
        gymnasium.make(REPEATED, receiver="q_learning", receiver_kwargs={"alpha_typo": 0.1})


def test_agent_of_the_wrong_side():
    with pytest.raises(TypeError, match="receiver must be a receiver agent"):
        gymnasium.make(REPEATED, receiver=make_sender("info_q"))


def test_mismatched_game_sizes(game44):
    with pytest.raises(ValueError, match=r"size \(3, 3\) does not match the game's shape \(4, 4\)"):
        gymnasium.make(REPEATED, game=game44, size=3)
    env = gymnasium.make(REPEATED, size=(2, 2))
    with pytest.raises(ValueError, match=r"options\['game'\] has shape \(4, 4\).*\(2, 2\)"):
        env.reset(options={"game": game44})
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"gmae": game44})
    with pytest.raises(TypeError, match="size must be an int n"):
        gymnasium.make(SCHEME, size="4x4")
    with pytest.raises(ValueError, match="unknown example 'nope'"):
        gymnasium.make(SCHEME, game="nope")


def test_bad_keywords():
    with pytest.raises(ValueError, match="obs_type must be one of"):
        gymnasium.make(REPEATED, obs_type="pixels")
    with pytest.raises(ValueError, match="render_mode must be one of"):
        gymnasium.make(REPEATED, render_mode="pixels")
    with pytest.raises(ValueError, match="episode_length must be >= 1"):
        gymnasium.make(REPEATED, episode_length=0)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        gymnasium.make(REPEATED, noise=-1.0)
    with pytest.raises(ValueError, match="action_mapping must be one of"):
        gymnasium.make(SCHEME, action_mapping="sigmoid")
    with pytest.raises(
        TypeError, match="receiver_kwargs can only be used with a receiver given by registry name"
    ):
        from agents import make_receiver

        gymnasium.make(REPEATED, receiver=make_receiver("hedge"), receiver_kwargs={"eta": 1.0})


def test_stepping_after_the_episode_ended_without_reset():
    env = RepeatedPersuasionEnv("prosecutor", episode_length=2)
    with pytest.raises(ResetNeeded, match="call reset"):
        env.step(0)
    env.reset(seed=0)
    env.step(0)
    assert env.step(0)[3] is True
    with pytest.raises(ResetNeeded, match=r"episode ended \(truncated after 2 rounds\).*reset"):
        env.step(0)
    env.reset()
    env.step(0)  # fine again
    scheme_env = SchemeCommitmentEnv("prosecutor", episode_length=1)
    scheme_env.reset(seed=0)
    scheme_env.step(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ResetNeeded, match="episode ended"):
        scheme_env.step(np.zeros((2, 2), dtype=np.float32))


def _scheme_env(mapping="softmax"):
    env = SchemeCommitmentEnv("prosecutor", action_mapping=mapping)
    env.reset(seed=0)
    return env


def test_scheme_with_nan():
    with pytest.raises(ValueError, match="action contains NaN or inf"):
        _scheme_env().step(np.array([[np.nan, 0.0], [0.0, 0.0]]))


def test_scheme_with_negative_entries():
    with pytest.raises(ValueError, match=r"negative entries \(min -0.5\).*non-negative weights"):
        _scheme_env("normalize").step(np.array([[-0.5, 1.0], [0.0, 1.0]]))


def test_scheme_outside_the_box():
    with pytest.raises(ValueError, match=r"outside the action space Box\(-1, 1, \(2, 2\)\)"):
        _scheme_env().step(np.array([[2.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"outside the action space Box\(0, 1"):
        _scheme_env("normalize").step(np.array([[3.0, 0.0], [0.0, 1.0]]))


def test_scheme_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"action must have shape \(2, 2\).*got shape \(4,\)"):
        _scheme_env().step(np.zeros(4))
    with pytest.raises(TypeError, match="action must be an array of numbers"):
        _scheme_env().step("uniform")


def test_vector_env_bad_actions_and_seeds():
    env = RepeatedPersuasionVectorEnv(3, "prosecutor")
    with pytest.raises(ResetNeeded):
        env.step(np.zeros(3, dtype=np.int64))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"3 integer messages, shape \(3,\).*got shape \(2,\)"):
        env.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match=r"messages in \[0, 2\), got values in \[0, 5\]"):
        env.step(np.array([0, 5, 1]))
    with pytest.raises(ValueError, match="integer messages"):
        env.step(np.zeros(3))
    with pytest.raises(TypeError, match="seed must be an int"):
        env.reset(seed=[1, 2, 3])


def test_pettingzoo_bad_actions():
    raw = repeated_persuasion_v0.raw_env(game="prosecutor")
    raw.reset(seed=0)
    with pytest.raises(ValueError, match=r"sender's action must be an integer in \[0, 2\)"):
        raw.step(5)
    with pytest.raises(ValueError, match="sender's action"):
        raw.step(0.5)
    wrapped = repeated_persuasion_v0.env(game="prosecutor")
    with pytest.raises(Exception, match="reset"):
        wrapped.step(0)


def test_mismatched_game_for_the_sb3_adapter(game44):
    pytest.importorskip("stable_baselines3")
    from stable_baselines3 import PPO

    env = gymnasium.make(SCHEME, size=(2, 2))
    model = PPO("MlpPolicy", env, n_steps=16, batch_size=16, device="cpu")
    sender = make_sender("sb3", model=model)
    from persuasion_env import simulate

    with pytest.raises(ValueError, match=r"needs Box.*trained on a game of another size"):
        simulate(game44, sender, "best_response", rounds=2)
