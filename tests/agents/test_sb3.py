"""The Stable-Baselines3 adapter and the training examples (short versions)."""

import importlib.util
from pathlib import Path

import gymnasium
import numpy as np
import pytest
import torch
from stable_baselines3 import DQN, PPO

from agents import list_agents, make_receiver, make_sender
from agents.base import GameView
from persuasion_env import simulate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
torch.set_num_threads(1)


def _example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sb3_is_listed_on_both_sides():
    agents = list_agents()
    assert "sb3" in agents["senders"] and "sb3" in agents["receivers"]


@pytest.fixture(scope="module")
def round_sender_model(game44):
    env = gymnasium.make("persuasion/RepeatedPersuasion-v0", game=game44)
    return PPO("MlpPolicy", env, n_steps=32, batch_size=32, seed=0, device="cpu").learn(64)


def test_round_level_sender_predicts_the_batch_at_once(game44, round_sender_model):
    sender = make_sender("sb3", model=round_sender_model)
    assert sender.level == "round"
    view = GameView.for_agent(game44, sender, 4)
    sender.reset(view, runs=5, rng=np.random.default_rng(0))
    states = np.array([0, 1, 2, 3, 0])
    messages = sender.act(states)
    assert messages.shape == (5,) and messages.dtype == np.int64
    expected, _ = round_sender_model.predict(states, deterministic=True)
    np.testing.assert_array_equal(messages, expected)
    policy = sender.policy()
    assert policy.shape == (5, 4, 4)
    np.testing.assert_array_equal(
        policy[0].argmax(axis=1), round_sender_model.predict(np.arange(4), deterministic=True)[0]
    )
    res = simulate(game44, sender, "q_learning", rounds=50, runs=8, seed=0)
    assert res.final_sender_utility.shape == (8,)


def test_stochastic_predictions_are_reproducible(game44, round_sender_model):
    def messages(seed):
        sender = make_sender("sb3", model=round_sender_model, deterministic=False)
        sender.reset(
            GameView.for_agent(game44, sender, 4), runs=200, rng=np.random.default_rng(seed)
        )
        return sender.act(np.zeros(200, dtype=np.int64))

    np.testing.assert_array_equal(messages(1), messages(1))
    assert len(np.unique(messages(1))) > 1


def test_vector_observation_sender(game44):
    env = gymnasium.make("persuasion/RepeatedPersuasion-v0", game=game44, obs_type="vector")
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=32, seed=0, device="cpu")
    res = simulate(game44, make_sender("sb3", model=model), "q_learning", rounds=20, runs=3, seed=0)
    assert res.sender_policy.shape == (3, 4, 4)


def test_receivers_message_and_vector(game44):
    for obs_type, level in (("message", "learning"), ("vector", "explicit")):
        env = gymnasium.make(
            "persuasion/RepeatedPersuasionReceiver-v0", game=game44, obs_type=obs_type
        )
        model = DQN("MlpPolicy", env, learning_starts=10, seed=0, device="cpu").learn(40)
        receiver = make_receiver("sb3", model=model)
        assert receiver.level == level and receiver.needs_scheme == (obs_type == "vector")
        res = simulate(game44, "lp_optimal", receiver, rounds=20, runs=6, seed=0)
        assert res.receiver_policy.shape == (6, 4, 4)
        np.testing.assert_allclose(res.receiver_policy.sum(axis=-1), 1.0)


def test_scheme_level_sender_commits_the_predicted_scheme(game44):
    env = gymnasium.make("persuasion/SchemeCommitment-v0", game=game44)
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=32, seed=0, device="cpu")
    sender = make_sender("sb3", model=model)
    assert sender.level == "scheme" and sender.full_information
    res = simulate(game44, sender, "best_response", rounds=10, runs=4, seed=0)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    _, reward, _, _, info = env.step(action)
    np.testing.assert_allclose(res.sender_policy[0], info["scheme"])
    np.testing.assert_allclose(res.final_sender_utility, info["best_response_utility"])


def test_model_from_a_file(tmp_path, game44, round_sender_model):
    path = tmp_path / "sender.zip"
    round_sender_model.save(path)
    sender = make_sender("sb3", model=str(path), algorithm="PPO")
    assert sender.n_messages == 4
    with pytest.raises(ValueError, match="algorithm .* is required"):
        make_sender("sb3", model=str(path))
    with pytest.raises(TypeError, match="trained Stable-Baselines3 model"):
        make_receiver("sb3", model=42)


def test_ppo_example_learns_short_run():
    # The full budget (20k steps, ~10-25 s) reaches >= 0.95 of the LP optimum on this game.
    result = _example("train_ppo_sender").main(["--steps", "6000"])
    assert result["ratio"] >= 0.8
    assert result["engine_sender_utility"] == pytest.approx(result["best_response_value"])


def test_dqn_example_short_run():
    result = _example("dqn_receiver").main(["--steps", "3000"])
    assert result["ratio"] >= 0.9
    # The receiver's value is bounded by the best response's against this scheme.
    assert result["receiver_utility"] <= result["best_response_utility"] + 1e-9
