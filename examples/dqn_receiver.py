"""DQN learns to be persuaded on ``persuasion/RepeatedPersuasionReceiver-v0``.

The RL agent is the **receiver**: each round it sees the message of a sender inside the
environment (here the exact optimal scheme with an obedience margin, ``lp_optimal``, so every
recommendation is strictly the receiver's best action) and acts. The trained policy is then
wrapped as a registry agent (``make_receiver("sb3", model=...)``) and played in the batched
engine against the same sender, next to the Bayesian best response.

    python examples/dqn_receiver.py                 # short run (~20 s)
    python examples/dqn_receiver.py --steps 30000   # longer

It prints the DQN receiver's expected utility against the scheme, the best response's, and
how often the DQN receiver obeys the recommendation.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from stable_baselines3 import DQN

import persuasion_env  # noqa: F401  (registers the env ids)
from agents import make_receiver, make_sender
from persuasion_env import PersuasionGame, simulate

ENV_ID = "persuasion/RepeatedPersuasionReceiver-v0"


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000, help="DQN environment steps")
    parser.add_argument("--size", type=int, default=4, help="S = A of the random game")
    parser.add_argument("--game-seed", type=int, default=0)
    parser.add_argument("--margin", type=float, default=0.05, help="sender's obedience margin")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    import gymnasium

    game = PersuasionGame.random(args.size, args.size, seed=args.game_seed)
    sender_kwargs = {"margin": args.margin}
    env = gymnasium.make(
        ENV_ID, game=game, sender="lp_optimal", sender_kwargs=sender_kwargs, episode_length=100
    )
    model = DQN(
        "MlpPolicy",
        env,
        gamma=0.0,  # each round's payoff depends on that round's action only
        learning_rate=1e-3,
        buffer_size=10_000,
        learning_starts=500,
        batch_size=64,
        train_freq=4,
        target_update_interval=250,
        exploration_fraction=0.3,
        exploration_final_eps=0.02,
        policy_kwargs={"net_arch": [32]},
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    start = time.perf_counter()
    model.learn(total_timesteps=args.steps)
    elapsed = time.perf_counter() - start

    sender = make_sender("lp_optimal", **sender_kwargs)
    learned = simulate(
        game, sender, make_receiver("sb3", model=model), rounds=200, runs=100, seed=1
    )
    rational = simulate(game, sender, "best_response", rounds=200, runs=100, seed=1)
    result = {
        "receiver_utility": float(learned.final_receiver_utility.mean()),
        "best_response_utility": float(rational.final_receiver_utility.mean()),
        "obedience": float(np.nanmean(learned.run_obedience)),
        "sender_utility": float(learned.final_sender_utility.mean()),
        "lp_value": learned.lp_value,
        "steps": float(args.steps),
        "seconds": elapsed,
    }
    result["ratio"] = result["receiver_utility"] / result["best_response_utility"]
    print(
        f"game {game.name}, sender lp_optimal(margin={args.margin}): DQN receiver's expected "
        f"utility {result['receiver_utility']:.4f} vs best response "
        f"{result['best_response_utility']:.4f} (ratio {result['ratio']:.3f}); obeys "
        f"{result['obedience']:.1%} of recommendations; sender gets "
        f"{result['sender_utility']:.4f} (LP optimum {result['lp_value']:.4f}); "
        f"{args.steps} steps in {elapsed:.1f} s"
    )
    return result


if __name__ == "__main__":
    main()
