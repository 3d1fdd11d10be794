import numpy as np

from persuasion_env import OracleGame, plan_queries
from persuasion_env.multiagent import oracle_query_v0


def test_pettingzoo_api_tests():
    from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

    api_test(oracle_query_v0.env(), num_cycles=100)
    api_test(
        oracle_query_v0.env(game=None, n_types=5, budget=None, costs=np.full(4, 0.01)),
        num_cycles=100,
    )
    parallel_api_test(oracle_query_v0.parallel_env(), num_cycles=100)
    seed_test(oracle_query_v0.env, num_cycles=30)
    parallel_seed_test(oracle_query_v0.parallel_env)


def test_pettingzoo_truthful_receiver_gets_plan_value():
    og = OracleGame.example("three-types")
    env = oracle_query_v0.parallel_env(game=og, budget=2)
    plan = plan_queries(og, 2)
    wins, n = 0.0, 600
    for ep in range(n):
        obs, _ = env.reset(seed=ep)
        while env.agents:
            s_obs, r_obs = obs["sender"], obs["receiver"]
            mask = np.nonzero(s_obs[:3] > 0.5)[0]
            t = plan.next_query(int(mask[0]), int(mask[-1]))
            acts = {"sender": t or 0, "receiver": int(r_obs[3] >= -1e-9)}
            obs, rew, term, trunc, info = env.step(acts)
            wins += rew["sender"]
    # Bernoulli with mean 13/24: standard error <= 0.5/sqrt(n) ~ 0.02; allow 4 sigma
    assert abs(wins / n - 13 / 24) < 4 * 0.5 / np.sqrt(n)
