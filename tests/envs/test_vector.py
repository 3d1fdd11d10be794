"""The batched vector env: equivalence with the single env, autoreset, make_vec."""

import gymnasium
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv

from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv

REPEATED = "persuasion/RepeatedPersuasion-v0"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"noise": 0.1},
        {"receiver": "hedge", "obs_type": "vector"},
        {"size": (3, 3), "receiver": "best_response", "epoch": 4},
    ],
)
def test_one_copy_equals_the_single_env_under_sync_vector_env(game44, kwargs):
    kwargs = {"game": game44, **kwargs} if "size" not in kwargs else kwargs
    kwargs["episode_length"] = 7
    native = RepeatedPersuasionVectorEnv(1, **kwargs)
    sync = SyncVectorEnv([lambda: gymnasium.make(REPEATED, **kwargs)])
    np.testing.assert_array_equal(native.reset(seed=3)[0], sync.reset(seed=3)[0])
    rng = np.random.default_rng(0)
    for _ in range(30):  # four episodes: across NEXT_STEP autoresets
        actions = rng.integers(native.n_messages, size=1)
        for x, y in zip(native.step(actions)[:4], sync.step(actions)[:4], strict=True):
            np.testing.assert_array_equal(x, y)


def test_batched_copies_are_independent_and_reproducible(game44):
    env = RepeatedPersuasionVectorEnv(64, game44, episode_length=50, noise=0.2)
    assert isinstance(env, VectorEnv)
    assert env.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    obs, info = env.reset(seed=0)
    assert env.observation_space.shape == (64,) and obs.shape == (64,)
    assert env.action_space.shape == (64,)
    assert len(np.unique(obs)) > 1
    obs2, rewards, terminated, truncated, info = env.step(np.zeros(64, dtype=np.int64))
    assert rewards.shape == (64,) and rewards.dtype == np.float64
    assert info["_receiver_action"].all() and info["lp_value"].shape == (64,)
    again = RepeatedPersuasionVectorEnv(64, game44, episode_length=50, noise=0.2)
    again.reset(seed=0)
    np.testing.assert_array_equal(again.step(np.zeros(64, dtype=np.int64))[1], rewards)


def test_autoreset_next_step(prosecutor):
    env = RepeatedPersuasionVectorEnv(4, size=(3, 3), episode_length=2)
    env.reset(seed=0)
    game = env.game
    env.step(np.zeros(4, dtype=np.int64))
    *_, truncated, _ = env.step(np.zeros(4, dtype=np.int64))
    assert truncated.all()
    obs, rewards, terminated, truncated, info = env.step(np.zeros(4, dtype=np.int64))
    assert not truncated.any() and not terminated.any() and not rewards.any()
    assert env.game != game  # a new random game for the new episodes
    assert env.core.t == 0


def test_vector_observations_and_render(game44):
    env = RepeatedPersuasionVectorEnv(3, game44, obs_type="vector", render_mode="ansi")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (3, 2 * 4 + 16 + 4 + 4) and obs.dtype == np.float32
    assert env.observation_space.contains(obs)
    env.step(np.array([0, 1, 2]))
    frames = env.render()
    assert len(frames) == 3 and all("scheme" in f for f in frames)
    env = RepeatedPersuasionVectorEnv(2, game44, render_mode="rgb_array")
    env.reset(seed=0)
    assert env.render()[0].dtype == np.uint8


def test_make_vec_vector_entry_point(game44):
    spec = gymnasium.spec(REPEATED)
    assert spec.vector_entry_point == "persuasion_env.envs.vector:RepeatedPersuasionVectorEnv"
    envs = gymnasium.make_vec(
        REPEATED,
        num_envs=8,
        vectorization_mode="vector_entry_point",
        game=game44,
        receiver="q_learning",
    )
    assert isinstance(envs.unwrapped, RepeatedPersuasionVectorEnv)
    assert envs.num_envs == 8
    envs.reset(seed=0)
    assert envs.step(envs.action_space.sample())[1].shape == (8,)
