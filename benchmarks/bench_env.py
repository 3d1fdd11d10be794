"""Environment speed: ``RepeatedPersuasion-v0`` next to ``CartPole-v1``, and the vector env.

Measured in the same process, one after the other, with the same loop (``gymnasium.make``
with its default wrappers; a fixed action pattern, so action sampling is not timed):

1. ``CartPole-v1``: steps per second (the reference).
2. ``persuasion/RepeatedPersuasion-v0`` with the Q-learning receiver inside, on a random
   4 x 4 game: steps per second, and the ratio to CartPole.
3. :class:`~persuasion_env.envs.vector.RepeatedPersuasionVectorEnv` for several ``num_envs``:
   environment-steps per second (``num_envs`` x vector steps / time), next to
   ``SyncVectorEnv`` of the single env.

    python benchmarks/bench_env.py            # ~30 s
    python benchmarks/bench_env.py --quick    # a few seconds

Each figure is the best of ``--repeats`` timings (the machine may be shared).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import gymnasium
import numpy as np
from gymnasium.vector import SyncVectorEnv

import persuasion_env  # noqa: F401  (registers the env ids)
from persuasion_env import PersuasionGame
from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv


def best_rate(run: Callable[[], float], repeats: int) -> float:
    """The best of ``repeats`` rates returned by ``run``."""
    return max(run() for _ in range(repeats))


def single_env_rate(env: gymnasium.Env, steps: int, n_actions: int) -> Callable[[], float]:
    def run() -> float:
        env.reset(seed=0)
        start = time.perf_counter()
        for i in range(steps):
            _, _, terminated, truncated, _ = env.step(i % n_actions)
            if terminated or truncated:
                env.reset()
        return steps / (time.perf_counter() - start)

    return run


def vector_env_rate(envs, steps: int, n_actions: int) -> Callable[[], float]:
    batch = envs.num_envs
    actions = [np.full(batch, k % n_actions, dtype=np.int64) for k in range(n_actions)]

    def run() -> float:
        envs.reset(seed=0)
        start = time.perf_counter()
        for i in range(steps):
            envs.step(actions[i % n_actions])
        return batch * steps / (time.perf_counter() - start)

    return run


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000, help="single-env steps per timing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    args = parser.parse_args(argv)
    steps = 5_000 if args.quick else args.steps
    repeats = 1 if args.quick else args.repeats

    game = PersuasionGame.random(4, 4, seed=0)
    figures: dict[str, float] = {}
    cartpole = gymnasium.make("CartPole-v1")
    figures["CartPole-v1"] = best_rate(single_env_rate(cartpole, steps, 2), repeats)
    persuasion = gymnasium.make(
        "persuasion/RepeatedPersuasion-v0", game=game, receiver="q_learning", episode_length=1000
    )
    figures["RepeatedPersuasion-v0"] = best_rate(single_env_rate(persuasion, steps, 4), repeats)
    ratio = figures["RepeatedPersuasion-v0"] / figures["CartPole-v1"]

    print(f"{'environment':48s} {'steps/s':>14s}")
    print(f"{'CartPole-v1 (gymnasium.make)':48s} {figures['CartPole-v1']:14,.0f}")
    print(
        f"{'RepeatedPersuasion-v0, q_learning, 4x4':48s} "
        f"{figures['RepeatedPersuasion-v0']:14,.0f}   ({ratio:.2f} x CartPole)"
    )
    figures["ratio_to_cartpole"] = ratio

    sync_batch = 64
    sync = SyncVectorEnv(
        [
            lambda: gymnasium.make(
                "persuasion/RepeatedPersuasion-v0", game=game, episode_length=1000
            )
            for _ in range(sync_batch)
        ]
    )
    rate = best_rate(vector_env_rate(sync, max(steps // sync_batch, 20), 4), repeats)
    figures[f"SyncVectorEnv[{sync_batch}]"] = rate
    print(f"{f'SyncVectorEnv x {sync_batch} (env-steps/s)':48s} {rate:14,.0f}")
    for batch in (1, 64, 1024, 16384):
        envs = RepeatedPersuasionVectorEnv(batch, game, episode_length=1000)
        vector_steps = max(steps // max(batch // 64, 1), 50)
        rate = best_rate(vector_env_rate(envs, vector_steps, 4), repeats)
        figures[f"RepeatedPersuasionVectorEnv[{batch}]"] = rate
        print(f"{f'RepeatedPersuasionVectorEnv x {batch} (env-steps/s)':48s} {rate:14,.0f}")
    return figures


if __name__ == "__main__":
    main()
