"""Stable-Baselines3 PPO on the batched VecEnv next to ``make_vec_env``, in one run.

Trains the same PPO (same hyper-parameters, seed and number of env copies) on the sender's
view ``persuasion/RepeatedPersuasion-v0`` through two routes:

1. ``stable_baselines3.common.env_util.make_vec_env``: ``n_envs`` single envs stepped one
   after the other (``DummyVecEnv`` + ``Monitor``), the route users take by default;
2. :func:`agents.sb3_vec.make_sb3_vec_env`: the library's batched env
   (``RepeatedPersuasionVectorEnv``, one NumPy call per step for all copies) as an SB3
   ``VecEnv`` (+ ``VecMonitor``).

For each route it reports the training speed: env steps per **CPU second** of the process
during ``model.learn`` (rollouts *and* gradient updates; torch on one thread), which a shared
machine does not distort the way it distorts wall-clock ``fps`` (also printed); and the
result quality at equal steps: the trained policy, played deterministically in
``--eval-episodes`` fresh episodes (the same seeds for both), earns a mean reward per
round; ``ratio`` is that over ``lp_value`` (and the same for the last 100 training episodes).

    nice -n 10 python benchmarks/bench_sb3.py                # ~2-3 min
    nice -n 10 python benchmarks/bench_sb3.py --quick        # ~20 s

The two routes draw different random streams (the batched env's copies share one
generator), so equal quality means equal within the spread over ``--seeds``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

import persuasion_env  # noqa: F401  (registers the env ids)
from agents.sb3_vec import make_sb3_vec_env
from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv

ENV_ID = "persuasion/RepeatedPersuasion-v0"


def ppo(venv, seed: int, n_steps: int, batch_size: int, n_epochs: int) -> PPO:
    """The PPO both routes train: SB3's default network, large minibatches (many copies)."""
    return PPO(
        "MlpPolicy",
        venv,
        n_steps=n_steps,
        batch_size=batch_size,
        n_epochs=n_epochs,
        gamma=0.9,
        learning_rate=1e-3,
        ent_coef=0.01,
        policy_kwargs={"net_arch": [64, 64]},
        seed=seed,
        device="cpu",
        verbose=0,
    )


def evaluate(model: PPO, env_kwargs: dict, episodes: int, seed: int) -> float:
    """Mean reward per round of the deterministic policy over ``episodes`` fresh episodes
    (played in one batched env, seeded identically for every model), over ``lp_value``."""
    env = RepeatedPersuasionVectorEnv(episodes, **env_kwargs)
    obs, info = env.reset(seed=seed)
    total = np.zeros(episodes)
    for _ in range(env.episode_length):
        actions, _ = model.predict(obs, deterministic=True)
        obs, rewards, _, _, _ = env.step(np.asarray(actions, dtype=np.int64))
        total += rewards
    return float(total.mean() / env.episode_length / info["lp_value"][0])


def run(route: str, args: argparse.Namespace, seed: int) -> dict[str, float]:
    env_kwargs = {
        "game": args.game,
        "receiver": args.receiver,
        "episode_length": args.episode_length,
        "obs_type": args.obs_type,
    }
    if route == "make_vec_env":
        venv = make_vec_env(ENV_ID, n_envs=args.envs, seed=seed, env_kwargs=env_kwargs)
    else:
        venv = make_sb3_vec_env(ENV_ID, n_envs=args.envs, seed=seed, env_kwargs=env_kwargs)
    model = ppo(venv, seed, args.n_steps, args.batch_size, args.epochs)
    start, cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=args.steps)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    ratio = evaluate(model, env_kwargs, args.eval_episodes, seed=10_000 + seed)
    steps = model.num_timesteps
    # Quality while training too: the last 100 episodes' mean reward per round (Monitor).
    recent = np.mean([e["r"] / e["l"] for e in model.ep_info_buffer])
    train_ratio = float(recent / env_kwargs_lp(env_kwargs))
    return {
        "fps": steps / cpu,
        "wall_fps": steps / seconds,
        "seconds": seconds,
        "ratio": ratio,
        "train_ratio": train_ratio,
    }


def env_kwargs_lp(env_kwargs: dict) -> float:
    """The LP value of the (fixed) benchmark game."""
    env = RepeatedPersuasionVectorEnv(1, **env_kwargs)
    return float(env.reset(seed=0)[1]["lp_value"][0])


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300_000, help="PPO env steps per run")
    parser.add_argument("--envs", type=int, default=256, help="env copies (both routes)")
    parser.add_argument("--n-steps", type=int, default=16, help="PPO rollout length per copy")
    parser.add_argument("--batch-size", type=int, default=4096, help="PPO minibatch size")
    parser.add_argument("--epochs", type=int, default=4, help="PPO epochs per rollout")
    parser.add_argument("--obs-type", default="vector", choices=["state", "vector"])
    parser.add_argument("--seeds", type=int, default=2, help="PPO seeds per route")
    parser.add_argument("--game", default="prosecutor")
    parser.add_argument("--receiver", default="q_learning")
    parser.add_argument("--episode-length", type=int, default=100)
    parser.add_argument("--eval-episodes", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--quick", action="store_true", help="40k steps, one seed")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seeds = 40_000, 1
    torch.set_num_threads(args.threads)
    print(
        f"PPO on {ENV_ID} (game {args.game}, receiver {args.receiver}, episodes of "
        f"{args.episode_length} rounds, obs_type {args.obs_type}), {args.envs} copies, "
        f"{args.steps} steps, PPO n_steps {args.n_steps} batch {args.batch_size} epochs "
        f"{args.epochs}, {args.seeds} seed(s), torch threads {args.threads}"
    )
    results: dict[str, dict[str, float]] = {}
    for route in ("make_vec_env", "make_sb3_vec_env"):
        runs = [run(route, args, seed) for seed in range(args.seeds)]
        fps = [r["fps"] for r in runs]
        wall = [r["wall_fps"] for r in runs]
        ratios = [r["ratio"] for r in runs]
        train = [r["train_ratio"] for r in runs]
        results[route] = {
            "train_ratio": float(np.mean(train)),
            "fps": float(np.mean(fps)),
            "wall_fps": float(np.mean(wall)),
            "ratio": float(np.mean(ratios)),
            "ratio_min": float(np.min(ratios)),
            "ratio_max": float(np.max(ratios)),
        }
        print(
            f"{route:>17}: {np.mean(fps):7.0f} fps per CPU second (runs: "
            f"{', '.join(f'{f:.0f}' for f in fps)}; wall clock {np.mean(wall):.0f})"
            f"   ratio to lp_value {np.mean(ratios):.3f} "
            f"(runs: {', '.join(f'{r:.3f}' for r in ratios)}); last 100 training episodes "
            f"{np.mean(train):.3f}"
        )
    speedup = results["make_sb3_vec_env"]["fps"] / results["make_vec_env"]["fps"]
    results["speedup"] = {"fps": speedup}
    print(f"speed-up of the batched VecEnv: {speedup:.2f}x")
    return results


if __name__ == "__main__":
    main()
