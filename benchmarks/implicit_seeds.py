"""How much of seed 000's Table 2 comparison is luck: the implicit setting over learner seeds.

    python benchmarks/implicit_seeds.py [--size 4] [--seeds 8] [--receivers fictitious_play]
        [--options '{"discount": 0.998}'] [--epoch 8000]

``persuasion reproduce implicit`` runs one seed. This script keeps the 25 games of that run
(``make_game(size, g, 0)``) and reruns TableNet's Algorithm 1, and the fresh-learner scoring
of its scheme, with ``--seeds`` other seeds for the learner's and the receiver's draws. It
prints, per receiver, the mean, standard deviation and range of the *actual* utility, and how
many seeds reach the seed's published number. ``--options`` overrides the receivers' options
and ``--epoch`` the rounds per epoch (the sensitivity runs quoted in the docs).

It then shows how much the games themselves move the target: the mean LP optimum of 1000
other random games of the size, and the range of that mean over draws of ``--games`` games.
The seed's Table 2 compares with numbers measured on games we do not have.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from agents import make_receiver
from agents.reproduce.seed000 import (  # the experiment's own protocol, reused
    EVALUATION_EPOCHS,
    IMPLICIT_RECEIVERS,
    SEED_TABLE1,
    SEED_TABLE2,
    _actual_values,
    _config,
    _implicit_epoch,
    _learn_implicit,
    _learner_seeds,
    _lp_values,
    make_game,
)


def actual_values(games, label: str, seed: int, options: dict, epoch: int) -> np.ndarray:
    """TableNet's actual utility per game against receiver ``label`` (its options updated by
    ``options``), learner seed ``seed``, ``epoch`` rounds per epoch."""
    size = games[0].n_states
    name, defaults = IMPLICIT_RECEIVERS[label]
    options = {**defaults, **options}
    result = _learn_implicit(
        games,
        make_receiver(name, **options),
        epoch,
        _config("implicit", size, quick=False),
        oracle_entropy=[seed, size, 1],
        learner_seeds=_learner_seeds(seed, size, range(len(games)), salt=2),
    )
    receiver = make_receiver(name, **options)
    return _actual_values(
        games, result.schemes, receiver, EVALUATION_EPOCHS * epoch, [seed, size, 3]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4)
    parser.add_argument("--games", type=int, default=25)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--receivers", default="fictitious_play,ucb_discounted")
    parser.add_argument("--options", type=json.loads, default={}, help="JSON receiver options")
    parser.add_argument("--epoch", type=int, default=None, help="rounds per epoch")
    args = parser.parse_args()
    if args.seeds < 2:
        parser.error("--seeds must be at least 2 (a standard deviation is reported)")
    size = args.size
    epoch = args.epoch or _implicit_epoch(size, quick=False)
    games = [make_game(size, g, 0) for g in range(args.games)]
    lp = _lp_values(games).mean()
    published = SEED_TABLE2[size][0]
    print(
        f"{size}x{size}, {args.games} games (seed 0): LP {lp:.4f}; seed 000 actual {published}; "
        f"epoch {epoch} rounds; receiver options {args.options or 'as in the experiment'}"
    )
    for label in args.receivers.split(","):
        start = time.perf_counter()
        values = np.array(
            [
                actual_values(games, label, 1000 + k, args.options, epoch).mean()
                for k in range(args.seeds)
            ]
        )
        print(
            f"  {label:16s} actual over {args.seeds} seeds: mean {values.mean():.4f} "
            f"sd {values.std(ddof=1):.4f} min {values.min():.4f} max {values.max():.4f} "
            f"({100 * values.mean() / lp:.1f}% of LP); >= {published}: "
            f"{(values >= published).sum()}/{args.seeds}  ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    draws = 1000 // args.games
    population = _lp_values([make_game(size, g, 1) for g in range(draws * args.games)])
    blocks = population.reshape(draws, args.games).mean(axis=1)
    print(
        f"  LP of {population.size} other random {size}x{size} games: mean "
        f"{population.mean():.4f}; mean of {args.games}: {blocks.min():.4f} to "
        f"{blocks.max():.4f} over {draws} draws. Seed 000's "
        f"25 games: LP {SEED_TABLE1[size][1]:.4f}, actual {published} = "
        f"{100 * published / population.mean():.1f}% of the population's mean LP."
    )


if __name__ == "__main__":
    main()
