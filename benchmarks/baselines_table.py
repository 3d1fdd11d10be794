"""Seed 000's Table 2 baseline columns on random games: ModelR, Info-Q, Info-Policy.

    python benchmarks/baselines_table.py [--sizes 4,8,...,32] [--games 5] [--runs 10]

Random games ``u1, u2 ~ U[0, 1]`` with a uniform prior (seed 000's protocol), each baseline
paired with its receiver (Q-learning for ModelR and Info-Q, REINFORCE for Info-Policy).
Prints the expected sender utility of the final greedy policies (mean over games and runs),
the exact LP optimum of the same games and the seed's published baseline numbers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from agents.reproduce.seed000 import SEED_TABLE2
from persuasion_env import PersuasionGame, simulate, solve_commitment

PAIRS = {"modelr": "q_learning", "info_q": "q_learning", "info_policy": "reinforce"}
# Seed 000, Table 2: ModelR, Info-Q, Info-Policy.
PUBLISHED = {size: row[2:] for size, row in SEED_TABLE2.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4,8,12,16,20,24,28,32")
    parser.add_argument("--games", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=25_000)
    args = parser.parse_args()
    print(
        f"{'size':>6}{'LP':>8}"
        + "".join(f"{n:>13}" for n in PAIRS)
        + "   published (ModelR, Info-Q, Info-Policy)"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        start = time.perf_counter()
        games = [PersuasionGame.random(n, n, seed=1000 * n + g) for g in range(args.games)]
        lps = [solve_commitment(game).sender_value for game in games]
        values = {}
        for sender, receiver in PAIRS.items():
            # All games of this size in one batch, ``runs`` runs each.
            res = simulate(games, sender, receiver, rounds=args.rounds, runs=args.runs, seed=n)
            values[sender] = res.final_sender_utility
        cells = "".join(f"{np.mean(v):>13.4f}" for v in values.values())
        published = ", ".join(f"{x:.4f}" for x in PUBLISHED.get(n, ()))
        print(
            f"{n:>3}x{n:<2}{np.mean(lps):>8.4f}{cells}   {published}   "
            f"({time.perf_counter() - start:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
