"""The obedience margin of ``lp_optimal``: value lost against a learning receiver's obedience.

    python benchmarks/margin_study.py [--rounds 10000] [--runs 200]

The exact LP scheme leaves the receiver indifferent on its binding obedience constraints, so
a learner need not follow it. With margin eps every recommendation is better for the receiver
by eps (in posterior expectation); the LP value drops by O(eps). For each eps this prints the
exact LP value with the margin, the value lost, and what a Q-learning receiver (and Hedge)
actually yields: obedience and realised sender utility over the last 5% of rounds.
"""

from __future__ import annotations

import argparse

from agents import make_receiver, make_sender
from persuasion_env import PersuasionGame, simulate, solve_commitment

RECEIVERS = {
    "q_learning": dict(alpha=0.01, epsilon=0.1, epsilon_final=0.0, epsilon_decay_rounds=3000),
    "hedge": dict(eta=0.01, gamma=0.01),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    games = [
        PersuasionGame.example("prosecutor"),
        PersuasionGame.example("recommendation_letter"),
        PersuasionGame.random(4, 4, seed=0),
        PersuasionGame.random(8, 8, seed=0),
    ]
    header = f"{'game':<22}{'margin':>7}{'LP(margin)':>11}{'lost':>8}"
    for name in RECEIVERS:
        header += f"{name + ' obey':>17}{name + ' utility':>19}"
    print(header)
    for game in games:
        lp = solve_commitment(game).sender_value
        for margin in (0.0, 0.02, 0.05, 0.1, 0.2):
            try:
                value = solve_commitment(game, margin=margin).sender_value
            except ValueError:
                print(f"{game.name:<22}{margin:>7.2f}   (no scheme is obedient with this margin)")
                continue
            line = f"{game.name:<22}{margin:>7.2f}{value:>11.4f}{lp - value:>8.4f}"
            for name, kwargs in RECEIVERS.items():
                res = simulate(
                    game,
                    make_sender("lp_optimal", margin=margin),
                    make_receiver(name, **kwargs),
                    rounds=args.rounds,
                    runs=args.runs,
                    seed=0,
                    bins=20,
                )
                line += f"{res.obedience_rate[-1]:>17.3f}{res.sender_utility[-1]:>19.4f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
