"""``margin_adaptive`` against the learning receivers, judged by issue 16's main target.

    python benchmarks/margin_adaptive_check.py [--rounds 100000] [--letter-rounds 1000000]
        [--runs 4] [--seed 0] [--receivers q_learning,reinforce,hedge,ucb,fictitious_play]
        [--games recommendation_letter,prosecutor,4:0,4:1,8:0,8:1] [--kw '{"search": "grid"}']
        [--cache DIR] [--out results.json]

Games: the two examples by name, ``n:i`` for the benchmark's random game
``PersuasionGame.random(n, n, seed=16_000 + 100 n + i)`` (benchmarks/persuade_learners.py).
Per (game, receiver) it prints the sender's realised utility over the last 20 % of rounds
(``tail_sender_utility``), the best fixed scheme in hindsight
(:func:`persuasion_env.references.best_fixed_scheme`, same learner, seed and rounds: cached
in ``--cache``, it does not depend on the sender), the realised value of its no-information
member and the exact no-information value, the ratio tail / best fixed, and flags ``<R`` /
``<X`` when the tail is below the realised / exact no-information value by more than 0.002.
The last line: mean and minimum ratio, pairs below 0.85, pairs below no information.
Targets (issue 16): mean >= 0.95, every pair >= 0.85, never below no information.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from agents import make_sender
from persuasion_env import PersuasionGame, simulate
from persuasion_env.references import best_fixed_scheme
from persuasion_env.solvers.commitment import no_information_value

RECEIVERS = "q_learning,reinforce,hedge,ucb,fictitious_play"
GAMES = "recommendation_letter,prosecutor,4:0,4:1,8:0,8:1"


def make_game(spec: str) -> PersuasionGame:
    """An example game by name, or ``n:i``: the benchmark's i-th random n x n game."""
    if ":" not in spec:
        return PersuasionGame.example(spec)
    n, i = (int(x) for x in spec.split(":"))
    return PersuasionGame.random(n, n, seed=16_000 + 100 * n + i, name=f"random-{n}x{n}-{i}")


def reference(game, spec, receiver, rounds, runs, seed, cache: Path) -> dict:
    """The best fixed scheme against ``receiver`` (cached: it does not depend on the sender)."""
    path = cache / f"{spec}_{receiver}_{rounds}_{runs}_{seed}.json".replace(":", "-")
    if path.exists():
        return json.loads(path.read_text())
    ref = best_fixed_scheme(game, receiver, rounds=rounds, runs=runs, seed=seed)
    found = {"value": ref.value, "name": ref.name, "members": ref.members}
    path.write_text(json.dumps(found, allow_nan=False))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--letter-rounds", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--receivers", default=RECEIVERS)
    parser.add_argument("--games", default=GAMES)
    parser.add_argument("--kw", default="{}", help="JSON keyword arguments of the sender")
    parser.add_argument("--cache", default="benchmarks/results/margin_adaptive_refs")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    kwargs = json.loads(args.kw)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    rows = []
    print(
        f"{'game':<22}{'receiver':<16}{'tail':>7}{'best':>7} {'(member)':<23}"
        f"{'noinfo R':>9}{'noinfo X':>9}{'/best':>7}{'s':>6}",
        flush=True,
    )
    for spec in args.games.split(","):
        game = make_game(spec)
        rounds = args.letter_rounds if spec == "recommendation_letter" else args.rounds
        exact = float(no_information_value(game))
        for receiver in args.receivers.split(","):
            start = time.perf_counter()
            sender = make_sender("margin_adaptive", **kwargs)
            res = simulate(game, sender, receiver, rounds=rounds, runs=args.runs, seed=args.seed)
            seconds = time.perf_counter() - start
            tail = float(res.tail_sender_utility)
            ref = reference(game, spec, receiver, rounds, args.runs, args.seed, cache)
            realised = ref["members"]["no_information"]
            ratio = tail / ref["value"] if ref["value"] else float("nan")
            rows.append(
                {
                    "game": game.name,
                    "receiver": receiver,
                    "rounds": rounds,
                    "tail": tail,
                    "run_tails": res.run_tail_sender_utility.tolist(),
                    "best_fixed": ref["value"],
                    "best_member": ref["name"],
                    "no_information_realised": realised,
                    "no_information_exact": exact,
                    "ratio": ratio,
                }
            )
            flags = ("<R" if tail < realised - 0.002 else "") + (
                "<X" if tail < exact - 0.002 else ""
            )
            print(
                f"{game.name:<22}{receiver:<16}{tail:7.3f}{ref['value']:7.3f} {ref['name']:<23}"
                f"{realised:9.3f}{exact:9.3f}{ratio:7.3f}{seconds:6.0f} {flags}",
                flush=True,
            )
    ratios = np.array([r["ratio"] for r in rows])
    below_r = sum(r["tail"] < r["no_information_realised"] - 0.002 for r in rows)
    below_x = sum(r["tail"] < r["no_information_exact"] - 0.002 for r in rows)
    print(
        f"mean {ratios.mean():.3f}  min {ratios.min():.3f}  pairs < 0.85: {(ratios < 0.85).sum()}"
        f"  below no information: realised {below_r}, exact {below_x} (of {len(rows)})"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1, allow_nan=False))


if __name__ == "__main__":
    main()
