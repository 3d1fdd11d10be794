"""Environment speed: ``RepeatedPersuasion-v0`` next to ``CartPole-v1``, and the vector env.

Measured in one process with the same loop (``gymnasium.make`` with its default wrappers):

1. ``CartPole-v1`` and the repeated game's single envs, with their **default settings**:
   ``persuasion/RepeatedPersuasion-v0`` (the sender's view: the prosecutor game, the
   ``fictitious_play`` receiver inside, 3000-round episodes), and
   ``persuasion/RepeatedPersuasionReceiver-v0`` (the receiver's view: the ``lp_optimal``
   sender inside, 100-round episodes, so a reset every 100 steps); beside them the sender's
   view as measured before issue 16 changed its defaults (``q_learning`` receiver, a random
   4 x 4 game, 1000-round episodes). Each is stepped with each **kind of action** an RL user
   passes:

   * ``sample()``: what ``env.action_space.sample()`` returns (``numpy.int64``), drawn from a
     seeded space **before** the timing (so sampling itself is not timed);
   * ``int``: the same actions as Python ints;
   * ``np.int64``: the same actions as NumPy integer scalars (what SB3's ``predict`` and most
     RL libraries pass, element by element);
   * ``0-d array``: the same actions as 0-d integer arrays (``np.array(a)``).

   The repeats are **interleaved** (one timing of every (env, kind) pair per repeat, in turn)
   and each figure is the **median** over the repeats, so that the load of a shared machine
   hits all figures alike; the ratio to CartPole is taken per kind of action. Single-env
   rates are per CPU second of the process (``time.process_time``), resets included (each
   env is reset when its episode ends, CartPole's after some 20 random steps).
2. ``persuasion/OracleQuery-v0`` with ``sample()`` actions, a fixed game and the random-game
   mode (steps per CPU second, median of at most 5 repeats).
3. :class:`~persuasion_env.envs.vector.RepeatedPersuasionVectorEnv` for several ``num_envs``:
   environment-steps per second (``num_envs`` x vector steps / time), next to
   ``SyncVectorEnv`` of the single env (medians of ``--repeats`` timings).

    python benchmarks/bench_env.py            # ~1 min
    python benchmarks/bench_env.py --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import SyncVectorEnv

import persuasion_env  # noqa: F401  (registers the env ids)
from persuasion_env import PersuasionGame
from persuasion_env.envs.vector import RepeatedPersuasionVectorEnv

#: OracleQuery-v0 configurations timed: a fixed game (solved once) and the random-game mode
#: (a fresh 4 x 4 game, hence fresh LPs, at every reset).
ORACLE_CONFIGS = {
    "fixed game (three-types, budget 2)": {"game": "three-types", "budget": 2},
    "random 4x4 game per reset (budget 2)": {"game": None, "n_states": 4, "n_types": 4},
}

#: The single envs timed beside CartPole-v1: label -> (id, keyword arguments).
SINGLES: dict[str, tuple[str, dict[str, Any]]] = {
    "RepeatedPersuasion-v0": ("persuasion/RepeatedPersuasion-v0", {}),
    "RepeatedPersuasionReceiver-v0": ("persuasion/RepeatedPersuasionReceiver-v0", {}),
    "RepeatedPersuasion-v0 (q, 4x4)": (
        "persuasion/RepeatedPersuasion-v0",
        {
            "game": PersuasionGame.random(4, 4, seed=0),
            "receiver": "q_learning",
            "episode_length": 1000,
        },
    ),
}
COLUMN = 31

#: The kinds of action timed, in the order printed.
ACTION_KINDS = ("sample()", "int", "np.int64", "0-d array")


def action_lists(env: gymnasium.Env, steps: int, seed: int = 0) -> dict[str, list[Any]]:
    """``steps`` actions from ``env.action_space.sample()`` (seeded), as each kind of action.

    Every kind holds the same action values, so the kinds differ only in their Python type."""
    env.action_space.seed(seed)
    sampled = [env.action_space.sample() for _ in range(steps)]
    return {
        "sample()": sampled,
        "int": [int(a) for a in sampled],
        "np.int64": [np.int64(a) for a in sampled],
        "0-d array": [np.array(a) for a in sampled],
    }


def single_env_rate(env: gymnasium.Env, actions: Sequence[Any]) -> float:
    """Steps per CPU second of ``env`` over ``actions`` (resetting at the end of an episode).

    CPU time of this process (``time.process_time``), not wall-clock time: on a shared
    machine the time the process waits for a core is then not counted."""
    env.reset(seed=0)
    step, reset = env.step, env.reset
    start = time.process_time()
    for action in actions:
        _, _, terminated, truncated, _ = step(action)
        if terminated or truncated:
            reset()
    return len(actions) / (time.process_time() - start)


def interleaved_medians(
    envs: dict[str, gymnasium.Env], steps: int, repeats: int
) -> dict[tuple[str, str], float]:
    """Median steps/s of every (env name, action kind), the repeats interleaved."""
    actions = {name: action_lists(env, steps) for name, env in envs.items()}
    rates: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats):
        for name, env in envs.items():
            for kind in ACTION_KINDS:
                rates.setdefault((name, kind), []).append(single_env_rate(env, actions[name][kind]))
    return {key: statistics.median(values) for key, values in rates.items()}


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


def median_rate(run: Callable[[], float], repeats: int) -> float:
    """The median of ``repeats`` rates returned by ``run``."""
    return statistics.median(run() for _ in range(repeats))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5_000, help="single-env steps per timing")
    parser.add_argument("--repeats", type=int, default=21, help="interleaved repeats (median)")
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    parser.add_argument("--no-vector", action="store_true", help="skip the vector-env part")
    args = parser.parse_args(argv)
    steps = 1_000 if args.quick else args.steps
    repeats = 3 if args.quick else args.repeats

    game = PersuasionGame.random(4, 4, seed=0)
    singles = {
        "CartPole-v1": gymnasium.make("CartPole-v1"),
        **{label: gymnasium.make(env_id, **kwargs) for label, (env_id, kwargs) in SINGLES.items()},
    }
    medians = interleaved_medians(singles, steps, repeats)
    figures: dict[str, float] = {}
    print(
        f"single envs, steps per CPU second (resets included): median of {repeats} interleaved "
        f"repeats of {steps:,} steps;\nactions pre-sampled with action_space.sample() (seeded), "
        "then converted to each kind; default env settings unless stated"
    )
    header = f"{'action kind':12s} {'CartPole-v1':>12s}"
    for label in SINGLES:
        header += f" {label:>{COLUMN}s}"
    print(header)
    for kind in ACTION_KINDS:
        cart = medians[("CartPole-v1", kind)]
        figures[f"CartPole-v1[{kind}]"] = cart
        line = f"{kind:12s} {cart:12,.0f}"
        for label in SINGLES:
            rate = medians[(label, kind)]
            figures[f"{label}[{kind}]"] = rate
            figures[f"ratio_to_cartpole[{label}][{kind}]"] = rate / cart
            line += f" {f'{rate:,.0f} ({rate / cart:.2f}x)':>{COLUMN}s}"
        print(line)
    for label, (env_id, kwargs) in SINGLES.items():
        print(f"  {label}: {env_id}, {kwargs or 'default settings'}")

    oracle_repeats = min(repeats, 5)
    title = f"OracleQuery-v0, sample() actions (median of {oracle_repeats})"
    print(f"\n{title:48s} {'steps/CPU s':>14s}")
    oracle_steps = max(steps // 10, 100)
    for label, kwargs in ORACLE_CONFIGS.items():
        env = gymnasium.make("persuasion/OracleQuery-v0", **kwargs)
        actions = action_lists(env, oracle_steps)["sample()"]
        single_env_rate(env, actions[:20])  # warm-up: imports and the fixed game's LPs
        rate = statistics.median(single_env_rate(env, actions) for _ in range(oracle_repeats))
        figures[f"OracleQuery-v0[{label}]"] = rate
        print(f"{label:48s} {rate:14,.0f}")
    if args.no_vector:
        return figures

    print(f"\n{'vector envs (median of ' + str(repeats) + ')':48s} {'env-steps/s':>14s}")
    sync_batch = 64
    sync = SyncVectorEnv(
        [
            lambda: gymnasium.make(
                "persuasion/RepeatedPersuasion-v0", game=game, episode_length=1000
            )
            for _ in range(sync_batch)
        ]
    )
    rate = median_rate(vector_env_rate(sync, max(steps // sync_batch, 20), 4), repeats)
    figures[f"SyncVectorEnv[{sync_batch}]"] = rate
    print(f"{f'SyncVectorEnv x {sync_batch}':48s} {rate:14,.0f}")
    for batch in (1, 64, 1024, 16384):
        envs = RepeatedPersuasionVectorEnv(batch, game, episode_length=1000)
        vector_steps = max(steps // max(batch // 64, 1), 50)
        rate = median_rate(vector_env_rate(envs, vector_steps, 4), repeats)
        figures[f"RepeatedPersuasionVectorEnv[{batch}]"] = rate
        print(f"{f'RepeatedPersuasionVectorEnv x {batch}':48s} {rate:14,.0f}")
    return figures


if __name__ == "__main__":
    main()
