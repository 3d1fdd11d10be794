"""Episode statistics and their TensorBoard logging (agents/callbacks.py and the SB3
callback in agents/sb3.py), read back from the event files."""

import gymnasium
import numpy as np
import pytest
import torch

from agents.callbacks import TAGS, EpisodeStats, TensorBoardHook
from persuasion_env import PersuasionGame, solve_commitment

torch.set_num_threads(1)
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def scalars(log_dir) -> dict[str, list[float]]:
    ea = event_accumulator.EventAccumulator(str(log_dir))
    ea.Reload()
    return {tag: [e.value for e in ea.Scalars(tag)] for tag in ea.Tags()["scalars"]}


def test_episode_stats_by_hand():
    stats = EpisodeStats(n_envs=2)
    # Copy 0: utilities 0.2, 0.4 (episode ends at step 2), LP 0.5, best fixed 0.4.
    # Copy 1: no sender_utility in its infos (the reward counts), no LP, ends at step 3.
    info0 = [{"sender_utility": 0.2, "lp_value": 0.5, "best_fixed_value": 0.4}, {}]
    assert stats.update([1.0, 0.3], [False, False], info0) == []
    info1 = [{"sender_utility": 0.4, "lp_value": 0.5, "best_fixed_value": 0.4}, {}]
    (first,) = stats.update([2.0, 0.6], [True, False], info1)
    assert first == pytest.approx({"return": 3.0, "length": 2.0, "sender_utility": 0.3,
                                   "ratio_to_lp": 0.6, "ratio_to_best_fixed": 0.75})  # fmt: skip
    (second,) = stats.update([0.5, 0.9], [False, True], [{"lp_value": 1.0}, {}])
    assert second == pytest.approx({"return": 1.8, "length": 3.0, "sender_utility": 0.6})
    # Copy 0's new episode started afresh: one step of reward 0.5 (no utility), LP 1.
    (third,) = stats.update([0.0, 0.0], [True, False], None)
    assert third == pytest.approx({"return": 0.5, "length": 2.0, "sender_utility": 0.25,
                                   "ratio_to_lp": 0.25})  # fmt: skip
    with pytest.raises(ValueError, match="n_envs"):
        stats.update([1.0], [True])


def test_plain_hook_accepts_gymnasium_dict_infos(tmp_path):
    hook = TensorBoardHook(tmp_path, n_envs=2)
    infos = {"sender_utility": np.array([0.3, 0.1]), "_sender_utility": np.array([True, True]),
             "lp_value": np.array([0.6, 0.0]), "_lp_value": np.array([True, False])}  # fmt: skip
    finished = hook.step(np.array([1.0, 1.0]), np.array([True, True]), infos, global_step=2)
    hook.close()
    assert [f.get("ratio_to_lp") for f in finished] == [pytest.approx(0.5), None]
    logged = scalars(tmp_path)
    assert logged[TAGS["ratio_to_lp"]] == [pytest.approx(0.5)]
    assert logged[TAGS["return"]] == [1.0, 1.0]


class BestFixed(gymnasium.Wrapper):
    """Reports a best fixed scheme's value, as the env will once another change lands."""

    VALUE = 0.5

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, {**info, "best_fixed_value": self.VALUE}


@pytest.mark.parametrize("best_fixed", [False, True])
def test_tiny_ppo_run_writes_the_charts(tmp_path, best_fixed):
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    from agents.sb3 import RatioToOptimumCallback

    game = PersuasionGame.random(3, 3, seed=1)
    venv = make_vec_env(
        "persuasion/SchemeCommitment-v0",
        n_envs=2,
        seed=0,
        env_kwargs={"game": game, "episode_length": 8},
        wrapper_class=BestFixed if best_fixed else None,
    )
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu")
    callback = RatioToOptimumCallback(tmp_path)
    model.learn(total_timesteps=256, callback=callback)
    logged = scalars(tmp_path)
    expected = {"charts/episodic_return", "charts/episodic_length", "charts/sender_utility",
                "charts/ratio_to_lp"}  # fmt: skip
    if best_fixed:
        expected.add("charts/ratio_to_best_fixed")
    assert set(logged) == expected
    assert callback.episodes == len(logged["charts/ratio_to_lp"]) == 256 // 8
    assert logged["charts/episodic_length"] == [8.0] * 32
    # The ratio is the mean sender utility over the LP optimum, solved independently here.
    lp = solve_commitment(game).sender_value
    np.testing.assert_allclose(
        logged["charts/ratio_to_lp"], np.array(logged["charts/sender_utility"]) / lp, rtol=1e-5
    )
    if best_fixed:
        np.testing.assert_allclose(
            logged["charts/ratio_to_best_fixed"],
            np.array(logged["charts/sender_utility"]) / BestFixed.VALUE,
            rtol=1e-5,
        )


def test_without_a_directory_the_means_go_to_the_models_tensorboard(tmp_path):
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    from agents.sb3 import RatioToOptimumCallback

    game = PersuasionGame.random(3, 3, seed=1)
    venv = make_vec_env("persuasion/SchemeCommitment-v0", n_envs=2, seed=0,
                        env_kwargs={"game": game, "episode_length": 8})  # fmt: skip
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=32, n_epochs=1, seed=0,
                device="cpu", tensorboard_log=str(tmp_path))  # fmt: skip
    model.learn(total_timesteps=128, callback=RatioToOptimumCallback())
    (run,) = tmp_path.iterdir()
    logged = scalars(run)
    assert "charts/ratio_to_lp" in logged and "rollout/ep_rew_mean" in logged
    assert len(logged["charts/ratio_to_lp"]) == 2  # one mean per PPO iteration (2 x 64 steps)
