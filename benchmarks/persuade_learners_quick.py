"""Learned black-box senders against learning receivers, judged by what is achievable.

    python benchmarks/persuade_learners_quick.py [--rounds 100000] [--letter-rounds 1000000]
        [--runs 8] [--senders margin_adaptive,tablenet] [--receivers q_learning,...]
        [--games recommendation_letter,prosecutor,random4:0,random8:0] [--seed 0]

For every (game, receiver) pair it prints, per sender, the sender's realised utility over the
last 20 % of rounds (``SimulationResult.run_tail_sender_utility``, mean over runs, with the
half-width of its 95 % confidence interval), beside the best fixed scheme in hindsight
(:func:`persuasion_env.references.best_fixed_scheme`: the LP scheme with obedience margins,
full disclosure, no information, played against the same learner with the same seed and
rounds), the LP value and the no-information value, and the ratios to the best fixed scheme
and to the LP. A summary per sender follows (mean and minimum ratio to the best fixed scheme,
pairs below no information). The references are computed for evaluation only; no sender
reads them. Issue 16's targets: >= 0.95 x best fixed on average, >= 0.85 x on every pair,
never below no information; 100 000 rounds per match (1 000 000 on the recommendation letter).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from agents import make_sender
from persuasion_env import PersuasionGame, simulate
from persuasion_env.references import best_fixed_scheme, mean_ci
from persuasion_env.solvers.commitment import cached_solve_commitment, no_information_value

RECEIVERS = ("q_learning", "reinforce", "hedge", "ucb", "fictitious_play", "actor_critic")
GAMES = ("recommendation_letter", "prosecutor", "random4:0", "random4:1", "random8:0")


def make_game(spec: str) -> PersuasionGame:
    """``name`` of an example game, or ``random<S>:<seed>`` (an S x S random game)."""
    if spec.startswith("random"):
        size, _, seed = spec[len("random") :].partition(":")
        return PersuasionGame.random(int(size), int(size), seed=int(seed or 0), name=spec)
    return PersuasionGame.example(spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--letter-rounds", type=int, default=None, help="default: --rounds")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--senders", default="margin_adaptive")
    parser.add_argument("--receivers", default=",".join(RECEIVERS))
    parser.add_argument("--games", default=",".join(GAMES))
    args = parser.parse_args()
    senders = args.senders.split(",")
    ratios: dict[str, list[float]] = {s: [] for s in senders}
    below: dict[str, int] = {s: 0 for s in senders}
    print(
        f"{'game':<22}{'receiver':<16}{'sender':<17}{'tail':>7}{'+-':>6}{'best':>7}"
        f"{'(member)':<24}{'LP':>7}{'noinfo':>7}{'/best':>7}{'/LP':>6}{'s':>6}"
    )
    for game_spec in args.games.split(","):
        game = make_game(game_spec)
        rounds = args.rounds
        if game.name == "recommendation_letter" and args.letter_rounds:
            rounds = args.letter_rounds
        lp = cached_solve_commitment(game).sender_value
        no_info = no_information_value(game)
        for receiver in args.receivers.split(","):
            best = best_fixed_scheme(game, receiver, rounds=rounds, runs=args.runs, seed=args.seed)
            for sender in senders:
                start = time.perf_counter()
                result = simulate(
                    game,
                    make_sender(sender),
                    receiver,
                    rounds=rounds,
                    runs=args.runs,
                    seed=args.seed,
                    bins=1,
                )
                value, (low, high) = mean_ci(np.asarray(result.run_tail_sender_utility))
                ratio = value / best.value if best.value > 0 else float("nan")
                ratios[sender].append(ratio)
                below[sender] += value < no_info - 1e-9
                half = (high - low) / 2 if np.isfinite(high) else float("nan")
                print(
                    f"{game.name:<22}{receiver:<16}{sender:<17}{value:>7.3f}{half:>6.3f}"
                    f"{best.value:>7.3f} {best.name:<23}{lp:>7.3f}{no_info:>7.3f}"
                    f"{ratio:>7.3f}{value / lp:>6.3f}{time.perf_counter() - start:>6.0f}",
                    flush=True,
                )
    print()
    for sender in senders:
        r = np.array(ratios[sender])
        print(
            f"{sender}: mean ratio to best fixed {np.nanmean(r):.3f}, min {np.nanmin(r):.3f}, "
            f"pairs >= 0.85: {(r >= 0.85).sum()}/{len(r)}, below no information: {below[sender]}"
        )


if __name__ == "__main__":
    main()
