"""Speed of the commitment LP: ``solve_commitment`` (lazy rows, warm-started HiGHS) next to a
plain one-shot HiGHS solve of the full LP, in the same run, on the same games.

    python benchmarks/bench_lp.py [--sizes 8,16,32,64,128] [--games 3] [--plain-max 128]

Prints the median time per size for both, their ratio, and the largest value difference
(the two must agree: they solve the same LP).
"""

from __future__ import annotations

import argparse
import statistics
import time

from persuasion_env import PersuasionGame, solve_commitment


def timed(game: PersuasionGame, method: str) -> tuple[float, float, int]:
    start = time.perf_counter()
    solution = solve_commitment(game, method=method)
    return time.perf_counter() - start, solution.sender_value, solution.iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,16,32,64,128")
    parser.add_argument("--games", type=int, default=3, help="random games per size")
    parser.add_argument(
        "--plain-max", type=int, default=128, help="largest size for the plain full-LP solve"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'size':>7} {'lazy (s)':>10} {'rounds':>7} {'plain (s)':>10} "
        f"{'speed-up':>9} {'max |dv|':>9}"
    )
    for n in sizes:
        lazy_times, plain_times, rounds, diffs = [], [], [], []
        for seed in range(args.games):
            game = PersuasionGame.random(n, n, seed=seed)
            t_lazy, v_lazy, r = timed(game, "lazy")
            lazy_times.append(t_lazy)
            rounds.append(r)
            if n <= args.plain_max:
                t_plain, v_plain, _ = timed(game, "full")
                plain_times.append(t_plain)
                diffs.append(abs(v_lazy - v_plain))
        lazy = statistics.median(lazy_times)
        if plain_times:
            plain = statistics.median(plain_times)
            print(
                f"{n:>3}x{n:<3} {lazy:>10.4f} {statistics.median(rounds):>7.0f} {plain:>10.4f} "
                f"{plain / lazy:>8.1f}x {max(diffs):>9.1e}",
                flush=True,
            )
        else:
            print(
                f"{n:>3}x{n:<3} {lazy:>10.4f} {statistics.median(rounds):>7.0f} {'-':>10}",
                flush=True,
            )


if __name__ == "__main__":
    main()
