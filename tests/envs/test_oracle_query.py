import gymnasium
import numpy as np
import pytest

import persuasion_env  # noqa: F401  (registers the ids)
from persuasion_env import OracleGame, plan_queries
from persuasion_env.envs.oracle_query import OracleQueryEnv

ENV_KW = [
    dict(),
    dict(game=None, n_states=4, n_types=5, budget=3),
    dict(game="greedy-trap", budget=None, costs=np.full(3, 0.01), reward_mode="sample"),
]


@pytest.mark.parametrize("kw", ENV_KW)
def test_gymnasium_and_sb3_checkers(kw):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gymnasium.make("persuasion/OracleQuery-v0", render_mode="ansi", **kw)
    check_env(env.unwrapped, skip_render_check=False)
    sb3_check_env(OracleQueryEnv(**kw))
    env.reset(seed=0)
    assert "OracleQuery" in env.unwrapped.render()


@pytest.mark.parametrize(
    "name,budget", [("three-types", 2), ("greedy-trap", 2), ("greedy-trap", 1)]
)
def test_dp_querier_expected_return_equals_plan_value(name, budget):
    from agents import make_sender

    og = OracleGame.example(name)
    env = OracleQueryEnv(game=og, budget=budget)
    total = 0.0
    for t in range(og.n_types):
        obs, _ = env.reset(seed=t, options={"true_type": t})
        q = make_sender("dp_querier")
        q.reset(og, budget=budget)
        done, ret = False, 0.0
        while not done:
            obs, r, done, trunc, info = env.step(q.act(obs))
            ret += r
        assert info["true_type"] == t
        total += og.type_marginal[t] * ret
    assert abs(total - plan_queries(og, budget).value) < 1e-9


def test_all_queriers_registered():
    from agents import list_agents, make_sender

    names = list_agents("sender")
    for n in ("dp_querier", "greedy_querier", "random_querier", "no_query"):
        assert n in names
        q = make_sender(n)
        assert q.game == "oracle" and q.side == "sender" and q.level == "query"


def test_costs_reduce_reward_and_budget_forces_commit():
    env = OracleQueryEnv(game="three-types", budget=1, costs=[0.1, 0.2])
    env.reset(seed=0, options={"true_type": 2})
    obs, r, done, _, info = env.step(2)  # ask "type >= 2": forced commit afterwards
    assert done and info["known_range"] == (2, 2)
    assert abs(r - (0.75 - 0.2)) < 1e-9


def test_env_bad_arguments():
    with pytest.raises(ValueError, match="costs"):
        OracleQueryEnv(game="three-types", costs=[0.1])
    with pytest.raises(ValueError, match="budget"):
        OracleQueryEnv(budget=-1)
    with pytest.raises(TypeError, match="game"):
        OracleQueryEnv(game=3)
    with pytest.raises(ValueError, match="reward_mode"):
        OracleQueryEnv(reward_mode="x")
    env = OracleQueryEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(7)
