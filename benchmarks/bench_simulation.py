"""Speed of the batched engine: simulated rounds per second (runs x rounds / wall time).

    python benchmarks/bench_simulation.py [--rounds 2000]

Prints Info-Q vs Q-learning at 3x3 (the climbing game, 1000 runs) and at 32x32 (a random
game, 100 runs), then every receiver at both sizes, next to the published reference code of
Bhatt & Buro measured on this machine (about 1.24 M rounds/s at 3x3 x 1000 runs and 62 K
rounds/s at 32x32 x 100 runs; the project aims at >= 3x and >= 10x those).
"""

from __future__ import annotations

import argparse

from agents import make_receiver
from persuasion_env import PersuasionGame, simulate

RECEIVERS = ("best_response", "quantal", "q_learning", "reinforce", "hedge", "ucb")
REFERENCE = {"3x3": 1.24e6, "32x32": 62e3}
TARGET = {"3x3": 3.0, "32x32": 10.0}
SETTINGS = {
    "3x3": (lambda: PersuasionGame.example("climbing"), 1000),
    "32x32": (lambda: PersuasionGame.random(32, 32, seed=0), 100),
}


def rate(game, sender, receiver, runs, rounds) -> float:
    simulate(game, sender, receiver, rounds=50, runs=runs, seed=1)  # warm caches (LP, imports)
    return simulate(game, sender, receiver, rounds=rounds, runs=runs, seed=0).rounds_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()

    print("Info-Q sender vs Q-learning receiver")
    print(f"{'setting':<16}{'rounds/s':>14}{'reference':>12}{'speed-up':>10}{'aim':>6}")
    for label, (make_game, runs) in SETTINGS.items():
        r = rate(make_game(), "info_q", "q_learning", runs, args.rounds)
        print(
            f"{label + ' x ' + str(runs):<16}{r:>14,.0f}{REFERENCE[label]:>12,.0f}"
            f"{r / REFERENCE[label]:>9.1f}x{TARGET[label]:>5.0f}x",
            flush=True,
        )

    print("\nEvery receiver (sender: info_q for learners, lp_optimal for explicit receivers)")
    print(f"{'receiver':<16}" + "".join(f"{label:>16}" for label in SETTINGS))
    for name in RECEIVERS:
        sender = "lp_optimal" if make_receiver(name).needs_scheme else "info_q"
        cells = []
        for make_game, runs in SETTINGS.values():
            cells.append(rate(make_game(), sender, make_receiver(name), runs, args.rounds))
        print(f"{name:<16}" + "".join(f"{c:>16,.0f}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
