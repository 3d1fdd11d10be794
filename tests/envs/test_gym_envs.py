"""Gymnasium envs: checkers, registration, seeding, info, rendering."""

import subprocess
import sys

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from persuasion_env import PersuasionGame, solve_commitment

REPEATED = "persuasion/RepeatedPersuasion-v0"
RECEIVER = "persuasion/RepeatedPersuasionReceiver-v0"
SCHEME = "persuasion/SchemeCommitment-v0"

CONFIGS = [
    (REPEATED, {}),
    (REPEATED, {"size": (3, 4), "receiver": "hedge", "noise": 0.1}),
    (REPEATED, {"game": "climbing", "receiver": "best_response", "obs_type": "vector"}),
    (
        REPEATED,
        {
            "size": 3,
            "receiver": "quantal",
            "receiver_kwargs": {"lam": 5.0},
            "n_messages": 2,
            "epoch": 5,
            "render_mode": "ansi",
        },
    ),
    (RECEIVER, {}),
    (RECEIVER, {"size": (4, 3), "sender": "info_q", "noise": 0.2, "render_mode": "rgb_array"}),
    (RECEIVER, {"game": "recommendation_letter", "obs_type": "vector"}),
    (SCHEME, {}),
    (SCHEME, {"game": "prosecutor", "receiver": "quantal", "action_mapping": "normalize"}),
    (
        SCHEME,
        {
            "size": (3, 3),
            "receiver": "q_learning",
            "epoch_rounds": 50,
            "observe_receiver_utility": False,
            "reward_scale": "lp",
        },
    ),
]


@pytest.mark.parametrize(("env_id", "kwargs"), CONFIGS)
def test_gymnasium_and_sb3_checkers_pass(env_id, kwargs):
    env = gymnasium.make(env_id, **kwargs)
    check_env(env.unwrapped, skip_render_check=False)
    sb3_check_env(env.unwrapped, warn=False)
    env.close()


def test_ids_are_registered_and_listed(capsys):
    for env_id in (REPEATED, RECEIVER, SCHEME):
        assert env_id in gymnasium.registry
    gymnasium.pprint_registry()
    out = capsys.readouterr().out
    assert "RepeatedPersuasion-v0" in out and "SchemeCommitment-v0" in out


def test_make_with_the_documented_keywords(prosecutor):
    env = gymnasium.make(REPEATED, game=prosecutor, receiver="q_learning")
    assert env.unwrapped.game is None  # set at reset
    obs, info = env.reset(seed=0)
    assert env.unwrapped.game is prosecutor
    assert info["lp_value"] == pytest.approx(0.6)
    assert gymnasium.make(REPEATED, game="prosecutor").observation_space.n == 2
    env = gymnasium.make(REPEATED, size=(4, 4))
    assert env.observation_space.n == 4 and env.action_space.n == 4


def test_make_vec_sync_works_for_every_id():
    for env_id in (REPEATED, RECEIVER, SCHEME):
        envs = gymnasium.make_vec(env_id, num_envs=2, vectorization_mode="sync")
        envs.reset(seed=0)
        obs, rewards, terminated, truncated, _ = envs.step(envs.action_space.sample())
        assert rewards.shape == (2,)
        envs.close()


def _trajectory(env, seed, steps=60):
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        out.append((obs, reward, info.get("receiver_action", info.get("state"))))
        if terminated or truncated:
            out.append(env.reset()[0])
    return out


@pytest.mark.parametrize("env_id", [REPEATED, RECEIVER])
def test_reset_seed_makes_episodes_reproducible(env_id):
    kwargs = {"size": (3, 3), "noise": 0.1, "episode_length": 25}
    if env_id == REPEATED:
        kwargs["receiver"] = "reinforce"
    else:
        kwargs["sender"] = "info_q"
    a = _trajectory(gymnasium.make(env_id, **kwargs), seed=5)
    b = _trajectory(gymnasium.make(env_id, **kwargs), seed=5)
    c = _trajectory(gymnasium.make(env_id, **kwargs), seed=6)
    assert repr(a) == repr(b)
    assert repr(a) != repr(c)


def test_random_game_drawn_per_reset_and_reset_option_game(game44):
    env = gymnasium.make(REPEATED, size=(4, 4))
    env.reset(seed=0)
    first = env.unwrapped.game
    env.reset()
    assert env.unwrapped.game != first
    env.reset(seed=0)
    assert env.unwrapped.game == first
    env.reset(options={"game": game44})
    assert env.unwrapped.game is game44


def test_sender_env_info_and_truncation(prosecutor):
    env = gymnasium.make(REPEATED, game=prosecutor, episode_length=3)
    obs, info = env.reset(seed=1)
    for t in range(3):
        obs, reward, terminated, truncated, info = env.step(1)
        assert set(info) >= {
            "state",
            "message",
            "receiver_action",
            "receiver_payoff",
            "sender_utility",
            "lp_value",
        }
        assert info["message"] == 1
        s, a = info["state"], info["receiver_action"]
        assert reward == prosecutor.sender_utility[s, a]
        assert info["receiver_payoff"] == prosecutor.receiver_utility[s, a]
        assert info["lp_value"] == pytest.approx(0.6)
        assert not terminated and truncated == (t == 2)


def test_receiver_learns_inside_the_sender_env(prosecutor):
    # Always sending m1 in the guilty state and m0 otherwise: the Q-learner learns to convict
    # on m1, and the sender gets P(guilty) = 0.3 per round on average.
    env = gymnasium.make(REPEATED, game=prosecutor, episode_length=2000)
    obs, _ = env.reset(seed=0)
    rewards = []
    for _ in range(2000):
        obs, reward, _, _, _ = env.step(int(obs))
        rewards.append(reward)
    assert np.mean(rewards[-500:]) == pytest.approx(0.3, abs=0.07)
    q = env.unwrapped.receiver.policy()[0]
    np.testing.assert_array_equal(q.argmax(axis=1), [0, 1])


def test_scheme_env_rewards_are_bayes_values(prosecutor):
    env = gymnasium.make(SCHEME, game=prosecutor, action_mapping="normalize")
    env.reset(seed=0)
    optimum = solve_commitment(prosecutor)
    _, reward, _, _, info = env.step(optimum.scheme.astype(np.float32))
    assert reward == pytest.approx(0.6, abs=1e-6)
    assert info["ratio"] == pytest.approx(1.0, abs=1e-6)
    assert info["best_response_utility"] == pytest.approx(0.6, abs=1e-6)
    _, reward, _, _, info = env.step(np.ones((2, 2), dtype=np.float32))  # no information
    assert reward == 0.0
    assert info["response"].shape == (2, 2) and info["scheme"].shape == (2, 2)


def test_scheme_env_quantal_and_learning_receivers(prosecutor):
    full = np.eye(2, dtype=np.float32)  # full disclosure: convict exactly the guilty
    env = gymnasium.make(
        SCHEME,
        game=prosecutor,
        action_mapping="normalize",
        receiver="quantal",
        receiver_kwargs={"lam": 50.0},
    )
    env.reset(seed=0)
    assert env.step(full)[1] == pytest.approx(0.3, abs=1e-6)
    env = gymnasium.make(
        SCHEME, game=prosecutor, action_mapping="normalize", receiver="q_learning", epoch_rounds=300
    )
    env.reset(seed=0)
    _, reward, _, _, info = env.step(full)
    assert reward == pytest.approx(0.3, abs=1e-6)  # the learner converged to obedience
    np.testing.assert_array_equal(info["response"], np.eye(2))


def test_softmax_mapping():
    from persuasion_env.envs.scheme_commitment import action_to_scheme

    scheme = action_to_scheme(np.array([[1.0, -1.0], [0.0, 0.0]]), "softmax", 5.0)
    np.testing.assert_allclose(scheme.sum(axis=1), 1.0)
    assert scheme[0, 0] == pytest.approx(1 / (1 + np.exp(-10)))
    np.testing.assert_allclose(scheme[1], [0.5, 0.5])
    np.testing.assert_allclose(action_to_scheme(np.zeros((2, 3)), "normalize"), 1 / 3)


@pytest.mark.parametrize("env_id", [REPEATED, RECEIVER, SCHEME])
def test_render_modes(env_id):
    env = gymnasium.make(env_id, render_mode="ansi")
    env.reset(seed=0)
    env.step(env.action_space.sample())
    text = env.render()
    assert "scheme" in text and "posteriors" in text and "response" in text
    env = gymnasium.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    env.step(env.action_space.sample())
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert first.shape == image.shape


def test_env_modules_do_not_import_agents_at_load_time():
    code = (
        "import sys, persuasion_env.envs.repeated, persuasion_env.envs.scheme_commitment, "
        "persuasion_env.envs.vector, persuasion_env.multiagent.repeated_persuasion_v0; "
        "assert 'agents' not in sys.modules, 'agents imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_same_game_object_any_shape():
    game = PersuasionGame.random(2, 5, seed=1)
    env = gymnasium.make(REPEATED, game=game, n_messages=3)
    assert env.action_space.n == 3 and env.observation_space.n == 2
    _, info = env.reset(seed=0)
    assert info["lp_value"] == pytest.approx(solve_commitment(game, n_messages=3).sender_value)


def test_a_fictitious_play_receiver_learns_from_the_states_the_env_shows_it(prosecutor):
    # The sender plays the prosecutor scheme "message 1 always when guilty, with probability
    # 1/7 when innocent": P(guilty | 1) = 3/4, P(guilty | 0) = 0. The receiver, who sees each
    # round's state after acting, must learn to convict on message 1 and acquit on message 0.
    env = gymnasium.make(REPEATED, game=prosecutor, receiver="fictitious_play", episode_length=400)
    state, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = []
    for _ in range(400):
        message = 1 if state == 1 or rng.random() < 1 / 7 else 0
        state, reward, _, truncated, info = env.step(message)
        actions.append((message, info["receiver_action"]))
    late = actions[50:]
    assert all(action == message for message, action in late)
    np.testing.assert_array_equal(env.unwrapped.receiver.policy()[0], np.eye(2))


def test_env_signatures_list_every_option():
    """``**options`` envs still show their options (help(), IDEs); every listed name is
    accepted and an unlisted one is refused, naming the environment."""
    import inspect

    from persuasion_env.envs.repeated import RepeatedPersuasionEnv
    from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv

    for cls, first in ((RepeatedPersuasionEnv, "game"), (RepeatedPersuasionVectorEnv, "num_envs")):
        parameters = inspect.signature(cls).parameters
        assert next(iter(parameters)) == first
        assert parameters["episode_length"].default == 3000
        assert parameters["receiver"].default is None
        assert {"size", "noise", "normalize", "epoch", "obs_type", "best_fixed_runs"} <= set(
            parameters
        )
    env = RepeatedPersuasionEnv(
        game="prosecutor", episode_length=5, noise=0.0, epoch=2, best_fixed_runs=0
    )
    assert env.episode_length == 5
    with pytest.raises(TypeError, match="RepeatedPersuasionEnv got unexpected"):
        RepeatedPersuasionEnv(episode_lenght=5)
