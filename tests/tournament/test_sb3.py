"""Trained SB3 agents in tournaments: worker processes that do not hang, resumes keyed on the
model's weights, and policies that are the distributions the agents play."""

import os
import subprocess
import sys

import gymnasium
import numpy as np
import pandas as pd
import pytest
import torch
from stable_baselines3 import DQN, PPO

from agents import make_receiver, make_sender
from agents.base import GameView
from persuasion_env import PersuasionGame, simulate
from persuasion_env.cli import main
from persuasion_env.envs.core import sender_vector_observation
from persuasion_env.tournament import Tournament

torch.set_num_threads(1)
GAME = PersuasionGame.random(4, 4, seed=0)
CLI = [sys.executable, "-m", "persuasion_env.cli", "tournament", "--quiet"]


def _ppo(seed, obs_type="state", side="sender", steps=0):
    env_id = {
        "sender": "persuasion/RepeatedPersuasion-v0",
        "receiver": "persuasion/RepeatedPersuasionReceiver-v0",
    }[side]
    obs = {"obs_type": obs_type} if obs_type != "state" else {}
    env = gymnasium.make(env_id, game=GAME, **obs)
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=32, seed=seed, device="cpu")
    return model.learn(steps) if steps else model


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    """Two tiny PPO senders (different seeds, so different weights), saved as .zip."""
    root = tmp_path_factory.mktemp("models")
    paths = []
    for seed in (0, 1):
        path = root / f"ppo{seed}.zip"
        _ppo(seed, steps=64).save(path)
        paths.append(path)
    return paths


def _cli_args(model, out, jobs):
    model_option = f"sb3:model={model}:algorithm=PPO"
    return [
        *CLI,
        "--senders",
        f"{model_option},{model_option}:deterministic=false,lp_optimal",
        "--receivers",
        "best_response,q_learning",
        "--sizes",
        "4",
        "--games",
        "1",
        "--seeds",
        "2",
        "--rounds",
        "60",
        "--jobs",
        str(jobs),
        "--out",
        str(out),
    ]


def _table(out):
    return pd.read_csv(out / "results.csv").drop(columns="wall_time").to_csv(index=False)


def test_two_jobs_with_an_sb3_agent_finish_and_equal_one_job(tmp_path, model_files):
    # The bug: workers forked after torch started its thread pool hang for ever. The two-job
    # run is a fresh process with torch's default threads, as a user's; a hang becomes a
    # failure here (the timeout is a guard, not a measurement).
    model = tmp_path / "M.zip"
    model.write_bytes(model_files[0].read_bytes())
    run = subprocess.run(
        _cli_args(model, tmp_path / "jobs2", 2), capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert main(_cli_args(model, tmp_path / "jobs1", 1)[3:]) == 0
    assert _table(tmp_path / "jobs1") == _table(tmp_path / "jobs2")
    frame = pd.read_csv(tmp_path / "jobs1" / "results.csv")
    assert len(frame) == 3 * 2 * 1 * 2 and (frame["status"] == "ok").all()


def test_resume_with_another_model_is_refused(tmp_path, model_files, capsys):
    model, out = tmp_path / "M.zip", tmp_path / "run"
    model.write_bytes(model_files[0].read_bytes())
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # a small network: threads only contend
    first = subprocess.run(_cli_args(model, out, 1), capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    # The same model in another process (this one): same fingerprint, the resume goes through.
    resume = ["tournament", "--quiet", "--out", str(out), "--resume"]
    assert main(resume) == 0
    capsys.readouterr()
    # Another model under the same file name: refused, one line, nothing overwritten.
    model.write_bytes(model_files[1].read_bytes())
    before = (out / "results.csv").read_bytes()
    assert main(resume) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "holds the results of a different tournament" in err
    assert "sb3(algorithm=PPO" in err and "model or learned state" in err
    assert (out / "results.csv").read_bytes() == before
    # The Python API says the same with an exception.
    tournament = Tournament(
        {"sb3": ("sb3", {"model": str(model), "algorithm": "PPO"})},
        ["best_response"],
        sizes=[4],
        n_games=1,
        seeds=[0],
        rounds=20,
    )
    tournament.play(out=tmp_path / "api", progress=False)
    model.write_bytes(model_files[0].read_bytes())
    again = Tournament(
        {"sb3": ("sb3", {"model": str(model), "algorithm": "PPO"})},
        ["best_response"],
        sizes=[4],
        n_games=1,
        seeds=[0],
        rounds=20,
    )
    with pytest.raises(ValueError, match="sender 'sb3' differs"):
        again.play(out=tmp_path / "api", resume=True, progress=False)


# ---------------------------------------------------------------- the policy that is played


def _mlp_logits(model, features):
    """The policy network's action logits computed by hand from its weights (SB3's default
    MlpPolicy: two tanh layers of 64, then the linear action head)."""
    w = {k: v.detach().numpy().astype(np.float64) for k, v in model.policy.state_dict().items()}
    h = np.tanh(
        features @ w["mlp_extractor.policy_net.0.weight"].T + w["mlp_extractor.policy_net.0.bias"]
    )
    h = np.tanh(h @ w["mlp_extractor.policy_net.2.weight"].T + w["mlp_extractor.policy_net.2.bias"])
    return h @ w["action_net.weight"].T + w["action_net.bias"]


def _softmax(logits):
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def _best_response_value(game, scheme):
    """U1 of ``scheme`` against a best-responding receiver, by enumeration."""
    value = 0.0
    for m in range(scheme.shape[1]):
        joint = game.prior * scheme[:, m]
        if joint.sum() <= 0:
            continue
        action = int(np.argmax(joint @ game.receiver_utility))
        value += float(joint @ game.sender_utility[:, action])
    return value


def test_stochastic_round_sender_policy_is_its_action_distribution():
    model = _ppo(3)
    sender = make_sender("sb3", model=model, deterministic=False)
    sender.reset(GameView.for_agent(GAME, sender, 4), runs=3, rng=np.random.default_rng(0))
    expected = _softmax(_mlp_logits(model, np.eye(4)))  # state s observed as one_hot(s)
    assert (expected.max(axis=1) < 0.9).all()  # far from the argmax scheme
    policy = sender.policy()
    assert policy.shape == (3, 4, 4)
    np.testing.assert_allclose(policy, np.broadcast_to(expected, (3, 4, 4)), atol=1e-6)
    np.testing.assert_allclose(policy.sum(axis=2), 1.0, atol=1e-12)
    # What act() samples has those frequencies (20000 draws per state: 5 sigma < 0.018).
    runs = 20_000
    sender.reset(GameView.for_agent(GAME, sender, 4), runs=runs, rng=np.random.default_rng(1))
    for state in range(4):
        messages = sender.act(np.full(runs, state))
        np.testing.assert_allclose(np.bincount(messages, minlength=4) / runs, expected[state],
                                   atol=0.018)  # fmt: skip
    # The engine scores the scheme the agent plays: against a best response, its value.
    res = simulate(GAME, make_sender("sb3", model=model, deterministic=False),
                   "best_response", rounds=5, runs=2, seed=0)  # fmt: skip
    np.testing.assert_allclose(res.final_sender_utility, _best_response_value(GAME, expected),
                               atol=1e-6)  # fmt: skip
    deterministic = make_sender("sb3", model=model)
    deterministic.reset(GameView.for_agent(GAME, deterministic, 4), runs=1,
                        rng=np.random.default_rng(0))  # fmt: skip
    np.testing.assert_array_equal(deterministic.policy()[0], np.eye(4)[expected.argmax(axis=1)])


def test_stochastic_vector_sender_policy_is_per_run():
    model = _ppo(4, obs_type="vector")
    sender = make_sender("sb3", model=model, deterministic=False)
    sender.reset(GameView.for_agent(GAME, sender, 4), runs=2, rng=np.random.default_rng(0))
    sender.update(np.array([0, 1]), np.array([2, 3]), np.array([1, 0]), np.zeros(2))
    policy = sender.policy()
    for run, (message, action) in enumerate(((2, 1), (3, 0))):
        obs = sender_vector_observation(GAME.prior, GAME.sender_utility, 4, np.arange(4),
                                        np.full(4, message), np.full(4, action))  # fmt: skip
        np.testing.assert_allclose(policy[run], _softmax(_mlp_logits(model, obs)), atol=1e-6)
    assert not np.allclose(policy[0], policy[1])


def test_stochastic_receiver_policy_is_its_action_distribution():
    model = _ppo(5, side="receiver")
    receiver = make_receiver("sb3", model=model, deterministic=False)
    receiver.reset(GameView.for_agent(GAME, receiver, 4), runs=2, rng=np.random.default_rng(0))
    expected = _softmax(_mlp_logits(model, np.eye(4)))  # message m observed as one_hot(m)
    np.testing.assert_allclose(receiver.policy(), np.broadcast_to(expected, (2, 4, 4)), atol=1e-6)


def test_stochastic_dqn_sender_is_epsilon_greedy_and_seeded():
    env = gymnasium.make("persuasion/RepeatedPersuasion-v0", game=GAME)
    model = DQN("MlpPolicy", env, seed=0, device="cpu", learning_starts=0)
    model.exploration_rate = 0.3
    w = {k: v.detach().numpy().astype(np.float64) for k, v in model.policy.state_dict().items()}
    h = np.maximum(np.eye(4) @ w["q_net.q_net.0.weight"].T + w["q_net.q_net.0.bias"], 0)
    h = np.maximum(h @ w["q_net.q_net.2.weight"].T + w["q_net.q_net.2.bias"], 0)
    greedy = (h @ w["q_net.q_net.4.weight"].T + w["q_net.q_net.4.bias"]).argmax(axis=1)
    expected = 0.3 / 4 + 0.7 * np.eye(4)[greedy]
    sender = make_sender("sb3", model=model, deterministic=False)

    def messages(seed):
        sender.reset(GameView.for_agent(GAME, sender, 4), runs=50, rng=np.random.default_rng(seed))
        return sender.act(np.zeros(50, dtype=np.int64))

    np.testing.assert_array_equal(messages(7), messages(7))  # the agent's own Generator
    np.testing.assert_allclose(sender.policy()[0], expected, atol=1e-12)
