"""MaskablePPO (sb3-contrib) learns whom to ask on ``persuasion/OracleQuery-v0``.

The sender asks threshold queries ("is the type >= t?") to a simulation oracle of the hidden
receiver type, then commits (MODEL.md Part B). The env's :meth:`action_masks` hides the
queries that would be wasted (answer already known, or not realisable), which is what
MaskablePPO reads; ``info["dp_value"]`` is the exact value of the optimal querying plan (the
DP of MODEL.md B3), the number to reach.

For each example game the script trains through SB3's ``make_vec_env`` (``--subproc`` runs
the copies in ``SubprocVecEnv`` processes), then evaluates the deterministic policy
**exactly**: the reward is ``P(act | type)`` (``reward_mode="probability"``), so the policy's
value is the type-weighted mean of one episode per type (``reset(options={"true_type": t})``).

    python examples/train_maskable_ppo_oracle.py              # two games, about a minute
    python examples/train_maskable_ppo_oracle.py --subproc    # the same in 2 processes

It prints, per game, the learned value, the DP optimum, their ratio (the aim is >= 0.98), the
greedy planner's value (a myopic baseline that is not optimal on "greedy-trap") and the
training time.
"""

from __future__ import annotations

import argparse
import time

import gymnasium
import numpy as np
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

import persuasion_env  # noqa: F401  (registers the env ids)
from persuasion_env.oracle import OracleGame
from persuasion_env.solvers.oracle import greedy_plan

ENV_ID = "persuasion/OracleQuery-v0"


def exact_value(model: MaskablePPO, game: str, budget: int) -> tuple[float, float]:
    """(the deterministic policy's expected return, the env's ``dp_value``): one episode per
    hidden type, weighted by the type marginal (the rewards are conditional probabilities)."""
    env = gymnasium.make(ENV_ID, game=game, budget=budget)
    marginal = OracleGame.example(game).type_marginal
    value, dp = 0.0, float("nan")
    for t, p_t in enumerate(marginal):
        if p_t <= 0:
            continue
        obs, info = env.reset(seed=t, options={"true_type": t})
        dp = info["dp_value"]
        done, ret = False, 0.0
        while not done:
            masks = env.unwrapped.action_masks()
            action, _ = model.predict(obs, action_masks=masks, deterministic=True)
            obs, reward, terminated, truncated, info = env.step(action)
            ret += reward
            done = terminated or truncated
        value += p_t * ret
    return value, dp


def train(game: str, budget: int, steps: int, n_envs: int, subproc: bool, seed: int) -> dict:
    vec_cls = SubprocVecEnv if subproc else DummyVecEnv
    # "persuasion_env:" makes Gymnasium import the package (which registers the ids) first,
    # also in SubprocVecEnv's worker processes, which do not run this script's imports
    envs = make_vec_env(
        "persuasion_env:" + ENV_ID,
        n_envs=n_envs,
        seed=seed,
        vec_env_cls=vec_cls,
        env_kwargs={"game": game, "budget": budget},
    )
    model = MaskablePPO(
        "MlpPolicy",
        envs,
        n_steps=64,
        batch_size=64,
        n_epochs=10,
        gamma=1.0,  # episodic, at most budget + 1 steps: no discounting
        learning_rate=3e-3,
        ent_coef=0.01,
        policy_kwargs={"net_arch": [32, 32]},
        seed=seed,
        verbose=0,
    )
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    seconds = time.perf_counter() - start
    envs.close()
    value, dp = exact_value(model, game, budget)
    greedy = greedy_plan(OracleGame.example(game), budget).value
    return {"value": value, "dp": dp, "ratio": value / dp, "greedy": greedy, "seconds": seconds}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="three-types,greedy-trap")
    parser.add_argument("--budget", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6_000, help="training steps per game")
    parser.add_argument("--n-envs", type=int, default=4)
    parser.add_argument("--subproc", action="store_true", help="SubprocVecEnv (processes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    np.set_printoptions(precision=4)
    vec = "SubprocVecEnv" if args.subproc else "DummyVecEnv"
    print(
        f"MaskablePPO on {ENV_ID}, budget {args.budget}, {args.steps:,} steps, "
        f"{args.n_envs} envs ({vec} via make_vec_env), seed {args.seed}"
    )
    header = ("game", "learned", "DP optimum", "ratio", "greedy", "time")
    print("{:14s} {:>9s} {:>11s} {:>7s} {:>8s} {:>7s}".format(*header))
    rows = []
    for game in args.games.split(","):
        row = train(game, args.budget, args.steps, args.n_envs, args.subproc, args.seed)
        row["game"] = game
        rows.append(row)
        print(
            f"{game:14s} {row['value']:9.4f} {row['dp']:11.4f} {row['ratio']:7.3f} "
            f"{row['greedy']:8.4f} {row['seconds']:6.1f}s"
        )
    return rows


if __name__ == "__main__":
    main()
