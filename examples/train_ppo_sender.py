"""PPO learns a signalling scheme on ``persuasion/SchemeCommitment-v0`` (explicit commitment).

The sender commits to a whole scheme per step (a ``Box(-1, 1, (S, M))`` action mapped to rows
by a softmax); the receiver sees the scheme and responds. A best-responding receiver makes the
reward a step function of the scheme (the optimum sits exactly where the receiver is
indifferent), which gives a policy gradient nothing to follow, so PPO is trained against a
**quantal** receiver with a large ``lam`` (a smooth stand-in for the best response, MODEL.md
A4.2, the seed's own device) and the final deterministic scheme is then evaluated honestly
against the **exact best response** and compared with the LP optimum.

Every step is an independent commitment (``gamma = 0``: a bandit over schemes).

    python examples/train_ppo_sender.py                 # 20k steps, 4-25 s: ratio 0.975
    python examples/train_ppo_sender.py --steps 6000    # ~3 s: ratio 0.87 (the test's run)

The >= 90% claim is for the default budget of 20k steps on the default game (seed 0). Over 13
random 4 x 4 games (``--game-seed 0..12``) the mean ratio at 20k steps is 0.968; 12 of 13
reach >= 0.9, one (seed 7) stays near 0.8 (a local optimum). Use ``--threads 1`` (the default):
more torch threads only contend on a small network.

The script prints the ratio of the learned scheme's value (against the exact best response)
to the LP optimum.
"""

from __future__ import annotations

import argparse
import time

import gymnasium
import numpy as np
import torch
from stable_baselines3 import PPO

import persuasion_env  # noqa: F401  (registers the env ids)
from agents import make_sender
from agents.sb3 import RatioToOptimumCallback
from agents.sb3_vec import make_sb3_vec_env
from persuasion_env import PersuasionGame, bayes, simulate, solve_commitment
from persuasion_env.envs.scheme_commitment import action_to_scheme

ENV_ID = "persuasion/SchemeCommitment-v0"


def evaluate(model: PPO, game: PersuasionGame, logit_scale: float) -> dict[str, float]:
    """The deterministic policy's scheme, valued against the exact best response."""
    env = gymnasium.make(ENV_ID, game=game, logit_scale=logit_scale)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    scheme = action_to_scheme(action, "softmax", logit_scale)
    best = bayes.best_response_matrix(
        game.prior, scheme, game.receiver_utility, game.sender_utility
    )
    value = float(bayes.expected_utility(game.prior, scheme, best, game.sender_utility))
    lp = solve_commitment(game).sender_value
    return {"best_response_value": value, "lp_value": lp, "ratio": value / lp}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="PPO environment steps")
    parser.add_argument("--size", type=int, default=4, help="S = A of the random game")
    parser.add_argument("--game-seed", type=int, default=0, help="seed of the random game")
    parser.add_argument(
        "--receiver",
        default="quantal",
        choices=["quantal", "best_response"],
        help="the receiver PPO trains against",
    )
    parser.add_argument("--lam", type=float, default=100.0, help="quantal receiver's lambda")
    parser.add_argument("--logit-scale", type=float, default=5.0)
    parser.add_argument(
        "--log-std",
        type=float,
        default=-1.0,
        help="initial log standard deviation of PPO's Gaussian policy",
    )
    parser.add_argument("--envs", type=int, default=8, help="parallel env copies")
    parser.add_argument("--seed", type=int, default=0, help="PPO seed")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1 is fastest "
        "for this small network; more threads contend on a shared machine)",
    )
    parser.add_argument(
        "--tensorboard", metavar="DIR", help="log charts/ratio_to_lp etc. to TensorBoard in DIR"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    game = PersuasionGame.random(args.size, args.size, seed=args.game_seed)
    env_kwargs = {
        "game": game,
        "receiver": args.receiver,
        "receiver_kwargs": {"lam": args.lam} if args.receiver == "quantal" else None,
        "logit_scale": args.logit_scale,
        "episode_length": 16,
    }
    # The batched env (all copies answered in one NumPy call) as an SB3 VecEnv: a drop-in for
    # make_vec_env(ENV_ID, n_envs=..., seed=..., env_kwargs=...); copy i is seeded seed + i as
    # there, so the copies play exactly what make_vec_env's single envs would.
    venv = make_sb3_vec_env(ENV_ID, n_envs=args.envs, seed=args.seed, env_kwargs=env_kwargs)
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=64,
        batch_size=128,
        n_epochs=10,
        gamma=0.0,
        gae_lambda=0.0,
        learning_rate=3e-3,
        ent_coef=0.0,
        clip_range=0.2,
        policy_kwargs={"net_arch": [32], "log_std_init": args.log_std},
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    start = time.perf_counter()
    # Each episode's ratio to the LP optimum (charts/ratio_to_lp), to TensorBoard with DIR.
    model.learn(total_timesteps=args.steps, callback=RatioToOptimumCallback(args.tensorboard))
    elapsed = time.perf_counter() - start
    result = evaluate(model, game, args.logit_scale)
    result.update(steps=float(args.steps), seconds=elapsed)
    # The trained policy as a registry agent, played in the batched engine (100 runs at once).
    sender = make_sender("sb3", model=model, logit_scale=args.logit_scale)
    played = simulate(game, sender, "best_response", rounds=200, runs=100, seed=0)
    result["engine_sender_utility"] = float(played.final_sender_utility.mean())
    print(
        f"game {game.name}: LP optimum {result['lp_value']:.4f}; PPO's deterministic scheme "
        f"against the exact best response {result['best_response_value']:.4f}; "
        f"ratio {result['ratio']:.3f} after {args.steps} steps in {elapsed:.1f} s"
    )
    print(
        f"as make_sender('sb3') in the engine against best_response: expected utility "
        f"{result['engine_sender_utility']:.4f}, "
        f"realised mean {played.run_sender_utility.mean():.4f}"
    )
    return result


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    main()
