"""How much of seed 000's Table 2 comparison is luck: the implicit setting over learner seeds.

    python benchmarks/implicit_seeds.py [--size 4] [--seeds 8] [--receivers fictitious_play]

``persuasion reproduce implicit`` runs one seed. This script keeps the 25 games of that run
(``make_game(size, g, 0)``) and reruns TableNet's Algorithm 1, and the fresh-learner scoring
of its scheme, with ``--seeds`` other seeds for the learner's and the receiver's draws. It
prints, per receiver, the mean, standard deviation and range of the *actual* utility, and how
many seeds reach the seed's published number.

It then shows how much the games themselves move the target: the mean LP optimum of 1000
random games of the size, and the range of that mean over 40 draws of 25 games. The seed's
Table 2 compares with numbers measured on games we do not have.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from agents import make_receiver
from agents.senders.tablenet import LearningReceiverOracle, learner_response, run_algorithm1
from persuasion_env import bayes
from persuasion_env.reproduce.seed000 import (
    EVALUATION_EPOCHS,
    IMPLICIT_RECEIVERS,
    SEED_TABLE1,
    SEED_TABLE2,
    _config,
    _implicit_epoch,
    _learner_seeds,
    _lp_values,
    _stack,
    make_game,
)


def actual_values(games, label: str, seed: int) -> np.ndarray:
    """TableNet's actual utility per game against receiver ``label``, learner seed ``seed``."""
    size = games[0].n_states
    name, options = IMPLICIT_RECEIVERS[label]
    prior, u1, _ = _stack(games)
    epoch = _implicit_epoch(size, quick=False)
    oracle = LearningReceiverOracle(
        games,
        make_receiver(name, **options),
        epoch_rounds=epoch,
        observe_fraction=0.5,
        seed=np.random.default_rng([seed, size, 1]),
    )
    result = run_algorithm1(
        oracle,
        prior,
        u1,
        config=_config("implicit", size, quick=False),
        seeds=_learner_seeds(seed, size, range(len(games)), salt=2),
    )
    response = learner_response(
        games,
        result.schemes,
        make_receiver(name, **options),
        rounds=EVALUATION_EPOCHS * epoch,
        seed=np.random.default_rng([seed, size, 3]),
    )
    return bayes.expected_utility(prior, result.schemes, response, u1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4)
    parser.add_argument("--games", type=int, default=25)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--receivers", default="fictitious_play,ucb_discounted")
    args = parser.parse_args()
    size = args.size
    games = [make_game(size, g, 0) for g in range(args.games)]
    lp = _lp_values(games).mean()
    published = SEED_TABLE2[size][0]
    print(f"{size}x{size}, {args.games} games (seed 0): LP {lp:.4f}; seed 000 actual {published}")
    for label in args.receivers.split(","):
        start = time.perf_counter()
        values = np.array([actual_values(games, label, 1000 + k).mean() for k in range(args.seeds)])
        print(
            f"  {label:16s} actual over {args.seeds} seeds: mean {values.mean():.4f} "
            f"sd {values.std(ddof=1):.4f} min {values.min():.4f} max {values.max():.4f} "
            f"({100 * values.mean() / lp:.1f}% of LP); >= {published}: "
            f"{(values >= published).sum()}/{args.seeds}  ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    population = _lp_values([make_game(size, g, 1) for g in range(1000)])
    blocks = population.reshape(-1, 25).mean(axis=1)
    print(
        f"  LP of 1000 other random {size}x{size} games: mean {population.mean():.4f}; "
        f"mean of 25: {blocks.min():.4f} to {blocks.max():.4f} over 40 draws. Seed 000's "
        f"25 games: LP {SEED_TABLE1[size][1]:.4f}, actual {published} = "
        f"{100 * published / population.mean():.1f}% of the population's mean LP."
    )


if __name__ == "__main__":
    main()
