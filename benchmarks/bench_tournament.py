"""Tournament throughput: the issue's reference workload on this machine.

    python benchmarks/bench_tournament.py [--jobs 2] [--rounds 20000] [--tablenet]

10 senders x 6 receivers x 25 random games (5 each of sizes 4, 7, 10, 13, 16) x 5 seeds x
20 000 rounds = 7 500 matches. Prints the wall time, matches per second and rounds per second,
and the ranking. ``--tablenet`` also times TableNet (torch) apart on a small slice.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from persuasion_env.tournament import Tournament

SENDERS = [
    "info_q",
    "info_policy",
    "modelr",
    "q_learning",
    "reinforce",
    "hedge",
    "lp_optimal",
    "full_disclosure",
    "no_information",
    "random",
]
RECEIVERS = ["best_response", "quantal", "q_learning", "reinforce", "hedge", "ucb"]
SIZES = [4, 7, 10, 13, 16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--games", type=int, default=5, help="games per size")
    parser.add_argument("--tablenet", action="store_true", help="also time TableNet apart")
    args = parser.parse_args()

    tournament = Tournament(
        SENDERS,
        RECEIVERS,
        sizes=SIZES,
        n_games=args.games,
        seeds=list(range(args.seeds)),
        rounds=args.rounds,
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = tournament.play(jobs=args.jobs, out=out, progress=True)
        wall = time.perf_counter() - start
    matches = tournament.n_matches
    print(
        f"\n{len(SENDERS)} senders x {len(RECEIVERS)} receivers x {len(tournament.games)} games x "
        f"{args.seeds} seeds x {args.rounds} rounds = {matches} matches, {args.jobs} jobs"
    )
    print(
        f"wall time {wall:.1f} s, {matches / wall:.1f} matches/s, "
        f"{matches * args.rounds / wall:,.0f} rounds/s"
    )
    print(
        result.ranking()[["rank", "mean_ratio", "sender_utility", "matches", "failed"]].to_string()
    )

    if args.tablenet:
        small = Tournament(
            ["tablenet"],
            ["best_response", "q_learning"],
            sizes=[4],
            n_games=2,
            seeds=[0],
            rounds=args.rounds,
        )
        start = time.perf_counter()
        small.play(jobs=1, progress=False)
        wall = time.perf_counter() - start
        print(
            f"\nTableNet apart: {small.n_matches} matches of {args.rounds} rounds in {wall:.1f} s"
        )


if __name__ == "__main__":
    main()
