"""OracleQuery-v0 as RL libraries drive it: SB3 vector envs, action masks, the DP value in
``info``, the game-describing observation; and the PettingZoo version's masks.

The masks and the DP value are checked against brute force written here: the useful actions
are found by asking each threshold in copies of the env for every hidden type, the optimal
value by enumerating every adaptive querying policy (expectimax over the env's own
dynamics), and realisability by a grid search over query columns.
"""

import itertools

import gymnasium
import numpy as np
import pytest

import persuasion_env  # noqa: F401  (registers the ids)
from persuasion_env.envs.oracle_query import OracleQueryEnv
from persuasion_env.multiagent import oracle_query_v0
from persuasion_env.oracle import OracleGame

ENV_ID = "persuasion/OracleQuery-v0"

#: types 1 and 2 have the same utility (acceptance threshold 0.6) and prior: they act
#: identically on every message, so threshold 2 cannot be realised
_THETA = np.array([0.8, 0.6, 0.6, 0.4])
TWIN_TYPES = OracleGame(
    [0.0, 1.0],
    [1.0, 2.0, 3.0, 4.0],
    np.outer([0.7, 0.3], [0.25, 0.25, 0.25, 0.25]),
    np.vstack([-_THETA, 1 - _THETA]),
    name="twins",
)


# ----------------------------------------------------------------------------- brute force


def _replay(env, seed, t, actions):
    """Observation history, return, done and last info of ``actions`` for hidden type t."""
    obs, info = env.reset(seed=seed, options={"true_type": t})
    history, ret, done = [obs.tobytes()], 0.0, False
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        history.append(obs.tobytes())
        ret += reward
        done = terminated or truncated
    return tuple(history), ret, done, info


def _types(env):
    return [t for t, p in enumerate(env.game.type_marginal) if p > 0]


def brute_force_value(env, seed=0):
    """max over adaptive policies of E[return]: expectimax over the env's dynamics, the types
    an observation history cannot tell apart grouped together (reward_mode='probability'
    makes each type's return deterministic)."""
    env.reset(seed=seed)
    p = env.game.type_marginal
    T = env.n_types

    def best(prefix, types):
        values = []
        for a in range(T):
            groups = {}
            for t in types:
                hist, ret, done, _ = _replay(env, seed, t, prefix + [a])
                groups.setdefault((hist, done), []).append((t, ret))
            total = 0.0
            for (_, done), members in groups.items():
                if done:
                    total += sum(p[t] * ret for t, ret in members)
                else:
                    total += best(prefix + [a], [t for t, _ in members])
            values.append(total)
        return max(values)

    return best([], _types(env))


def brute_force_useful(env, seed, prefix, types):
    """Actions that can change the belief: commit, and every threshold whose answer changes
    the known range for at least one hidden type consistent with ``prefix``."""
    useful = np.zeros(env.n_types, dtype=bool)
    useful[0] = True
    for a in range(1, env.n_types):
        for t in types:
            before = _replay(env, seed, t, prefix)[3]["known_range"]
            info = _replay(env, seed, t, prefix + [a])[3]
            if info["known_range"] != before:
                useful[a] = True
    return useful


def grid_realisable(game, t, steps=41):
    """Whether a column on a grid over [0,1]^W makes the lowest type of positive mass >= t act
    strictly and every type of positive mass below t refuse (B3), for small W."""
    P = game.type_marginal
    e = game.joint_prior * game.receiver_utility
    above = t + int(np.nonzero(P[t:] > 0)[0][0])
    lower = [s for s in range(t) if P[s] > 0]
    grid = np.linspace(0.0, 1.0, steps)
    for x in itertools.product(grid, repeat=game.n_states):
        x = np.asarray(x)
        if e[:, above] @ x > 1e-12 and all(e[:, s] @ x < -1e-12 for s in lower):
            return True
    return False


# ------------------------------------------------------------------------------- masks


@pytest.mark.parametrize(
    ("game", "budget"),
    [("three-types", 2), ("greedy-trap", 2), ("greedy-trap", None), (TWIN_TYPES, 3)],
)
def test_action_masks_equal_the_brute_force_useful_actions_in_every_reachable_state(game, budget):
    env = OracleQueryEnv(game=game, budget=budget)
    env.reset(seed=0)
    all_types = _types(env)

    def visit(prefix, types):
        masks = []
        for t in types:
            _replay(env, 0, t, prefix)
            masks.append(env.action_masks())
        # the mask is a function of what the sender knows, never of the hidden type
        assert all(np.array_equal(m, masks[0]) for m in masks)
        assert masks[0].dtype == bool and masks[0].shape == (env.n_types,)
        expected = brute_force_useful(env, 0, prefix, types)
        np.testing.assert_array_equal(masks[0], expected, err_msg=f"after {prefix}")
        for a in np.nonzero(masks[0])[0][1:]:
            groups = {}
            for t in types:
                hist, _, done, _ = _replay(env, 0, t, prefix + [int(a)])
                if not done:
                    groups.setdefault(hist, []).append(t)
            for members in groups.values():
                visit(prefix + [int(a)], members)

    visit([], all_types)


@pytest.mark.parametrize("game", ["three-types", "greedy-trap", TWIN_TYPES])
def test_initial_mask_matches_a_grid_search_for_realisable_thresholds(game):
    env = OracleQueryEnv(game=game, budget=2)
    env.reset(seed=0)
    mask = env.action_masks()
    expected = [grid_realisable(env.game, t) for t in range(1, env.n_types)]
    assert mask[0] and list(mask[1:]) == expected
    if game is TWIN_TYPES:
        assert expected == [True, False, True]


def test_masks_before_reset_and_after_the_end_allow_commit_only():
    env = OracleQueryEnv(game="three-types", budget=1)
    assert env.action_masks().tolist() == [True, False, False]
    env.reset(seed=0)
    env.step(0)
    assert env.action_masks().tolist() == [True, False, False]


def test_budget_zero_masks_every_query():
    env = OracleQueryEnv(game="greedy-trap", budget=0)
    env.reset(seed=0)
    assert env.action_masks().tolist() == [True, False, False, False]


# ---------------------------------------------------------------------------- DP value


@pytest.mark.parametrize(
    ("budget", "value"), [(0, 0.375), (1, 0.5), (2, 13 / 24), (3, 13 / 24), (None, 13 / 24)]
)
def test_dp_value_in_info_is_the_model_b8_value(budget, value):
    env = gymnasium.make(ENV_ID, game="three-types", budget=budget)
    _, info = env.reset(seed=0)
    assert info["dp_value"] == pytest.approx(value, abs=1e-9)
    _, _, _, _, info = env.step(1)
    assert info["dp_value"] == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"game": "greedy-trap", "budget": 1},
        {"game": "greedy-trap", "budget": 2},
        {"game": "greedy-trap", "budget": None, "costs": [0.02, 0.01, 0.03]},
        {"game": "greedy-trap", "budget": 2, "costs": [0.05, 0.0, 0.05]},
        {"game": TWIN_TYPES, "budget": 2},
        {"game": None, "n_states": 2, "n_types": 4, "budget": 2, "dp_value": True},
    ],
)
def test_dp_value_in_info_equals_brute_force_over_all_adaptive_policies(kwargs):
    env = OracleQueryEnv(**{"game": "greedy-trap", **kwargs})
    _, info = env.reset(seed=3)
    assert info["dp_value"] == pytest.approx(brute_force_value(env, seed=3), abs=1e-9)


def test_random_games_carry_dp_value_only_on_request():
    env = OracleQueryEnv(game=None, n_states=3, n_types=3)
    _, info = env.reset(seed=0)
    assert "dp_value" not in info
    _, _, _, _, info = env.step(0)
    assert "dp_value" not in info
    with pytest.raises(TypeError, match="dp_value"):
        OracleQueryEnv(dp_value="yes")


# ------------------------------------------------------------------------- observation


def test_game_observation_describes_the_game():
    env = OracleQueryEnv(game=None, n_states=3, n_types=4, obs_type="game")
    assert env.observation_space.shape == (2 * 4 + 1 + 2 * 3 * 4,)
    obs, _ = env.reset(seed=1)
    assert env.observation_space.contains(obs)
    game = env.game
    np.testing.assert_allclose(obs[9:21], game.joint_prior.ravel(), rtol=1e-6)
    u = game.receiver_utility
    np.testing.assert_allclose(obs[21:], (u / np.abs(u).max()).ravel(), rtol=1e-6, atol=1e-7)
    assert np.abs(obs[21:]).max() == pytest.approx(1.0)
    obs2, _ = env.reset(seed=2)  # a new random game: a new description
    assert not np.allclose(obs[9:], obs2[9:])
    with pytest.raises(ValueError, match="obs_type"):
        OracleQueryEnv(obs_type="pixels")


def test_checkers_pass_with_the_game_observation_and_rgb_rendering():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = OracleQueryEnv(game=None, obs_type="game", render_mode="rgb_array")
    check_env(env, skip_render_check=False)
    sb3_check_env(OracleQueryEnv(game="greedy-trap", obs_type="game"))


def test_rgb_array_rendering():
    env = gymnasium.make(ENV_ID, game="greedy-trap", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    env.step(0)
    after = env.render()  # the committed policy is drawn too
    assert after.shape[1] > frame.shape[1]
    blank = OracleQueryEnv(game=None, render_mode="rgb_array").render()
    assert blank.dtype == np.uint8


# ---------------------------------------------------------------------- SB3 vector envs


def test_make_vec_env_and_masks_through_the_vec_env():
    from sb3_contrib.common.maskable.utils import get_action_masks
    from stable_baselines3.common.env_util import make_vec_env

    envs = make_vec_env(ENV_ID, n_envs=3, seed=0, env_kwargs={"game": "greedy-trap"})
    obs = envs.reset()
    assert obs.shape == (3, 2 * 4 + 1)
    masks = get_action_masks(envs)
    assert masks.shape == (3, 4) and masks.all()  # every threshold is useful at the start
    obs, rewards, dones, infos = envs.step(np.array([2, 2, 0]))
    assert dones[2] and infos[2]["dp_value"] == pytest.approx(infos[0]["dp_value"])
    masks = get_action_masks(envs)
    lo, hi = infos[0]["known_range"]
    assert masks[0].tolist() == [True] + [lo < t <= hi for t in range(1, 4)]
    envs.close()


def test_subproc_vec_env():
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import SubprocVecEnv

    # The worker processes do not import this module: "persuasion_env:" makes Gymnasium
    # import the package (which registers the ids) in each worker before making the env.
    envs = make_vec_env(
        "persuasion_env:" + ENV_ID,
        n_envs=2,
        seed=0,
        vec_env_cls=SubprocVecEnv,
        env_kwargs={"game": None, "n_types": 3, "obs_type": "game"},
    )
    obs = envs.reset()
    assert obs.shape == (2, 2 * 3 + 1 + 2 * 4 * 3)
    masks = np.stack(envs.env_method("action_masks"))
    assert masks.shape == (2, 3) and masks[:, 0].all()
    _, _, dones, infos = envs.step(np.array([0, 0]))
    assert dones.all() and all("value" in info for info in infos)
    envs.close()


# ------------------------------------------------------------------------------ PettingZoo


def test_pettingzoo_masks_zero_for_the_idle_agent_and_equal_the_gym_mask():
    env = oracle_query_v0.parallel_env(game="greedy-trap", budget=2)
    gym_env = OracleQueryEnv(game="greedy-trap", budget=2)
    _, infos = env.reset(seed=0)
    assert infos["receiver"]["action_mask"].tolist() == [0, 0]
    gym_env.reset(seed=0)
    assert infos["sender"]["action_mask"].tolist() == gym_env.action_masks().astype(int).tolist()
    _, _, _, _, infos = env.step({"sender": 2})  # ask "type >= 2": the receiver's turn
    assert infos["sender"]["action_mask"].tolist() == [0, 0, 0, 0]
    assert infos["receiver"]["action_mask"].tolist() == [1, 1]
    _, _, _, _, infos = env.step({"receiver": 1})  # "yes": types 2..3 remain
    assert infos["sender"]["action_mask"].tolist() == [1, 0, 0, 1]
    assert infos["receiver"]["action_mask"].tolist() == [0, 0]


def test_pettingzoo_masks_in_observations_pass_the_api_tests():
    from pettingzoo.test import api_test, parallel_api_test

    api_test(oracle_query_v0.env(action_mask_in_obs=True), num_cycles=60)
    parallel_api_test(oracle_query_v0.parallel_env(action_mask_in_obs=True), num_cycles=60)
    env = oracle_query_v0.env(game="three-types", action_mask_in_obs=True)
    env.reset(seed=0)
    obs = env.observe("sender")
    assert set(obs) == {"observation", "action_mask"}
    assert obs["action_mask"].dtype == np.int8 and obs["action_mask"].tolist() == [1, 1, 1]
    assert env.observe("receiver")["action_mask"].tolist() == [0, 0]
    assert env.observation_space("sender").contains(obs)
