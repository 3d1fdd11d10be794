"""Issue 15 changed the agents' random streams: show the baseline figures are unchanged in law.

    python benchmarks/stream_change.py --dump new.json          # in this checkout
    PYTHONPATH=<old checkout> python benchmarks/stream_change.py --dump old.json
    python benchmarks/stream_change.py --compare old.json new.json

The kernels of ``agents/_kernels.py`` draw one uniform per tie-break *only when there is a
tie* and per run in order (the NumPy code drew a whole matrix of uniforms per call), so the
learners' trajectories differ from the old ones on the same seed while the rules are the
same. ``--dump`` records, on the same seeds as the published tables,

* the climbing game (1000 runs x 1000 rounds, seed 0; ``tests/test_engine.py``): per run,
  whether the final joint policy is optimal and the per-state optimal rate, for Info-Q +
  Q-learning, Info-Policy + REINFORCE and ModelR + Q-learning;
* seed 000's Table 2 baselines (``benchmarks/baselines_table.py``'s protocol: random games,
  ``--games`` per size, ``--runs`` runs, ``--rounds`` rounds, seed = size): per run, the final
  sender utility;

and ``--compare`` prints old and new means with a two-sided z test (climbing: the
difference of two proportions over runs; Table 2: paired by game, the mean over its runs).
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from persuasion_env import PersuasionGame, simulate

CLIMBING = {"info_q": "q_learning", "info_policy": "reinforce", "modelr": "q_learning"}
TABLE2 = {"modelr": "q_learning", "info_q": "q_learning", "info_policy": "reinforce"}


def dump(path: str, sizes: list[int], games: int, runs: int, rounds: int) -> None:
    out: dict = {"climbing": {}, "table2": {}, "games": games, "runs": runs}
    climbing = PersuasionGame.example("climbing")
    for sender, receiver in CLIMBING.items():
        res = simulate(climbing, sender, receiver, rounds=1000, runs=1000, seed=0)
        out["climbing"][sender] = {
            "optimal": res.final_optimal.astype(float).tolist(),
            "per_state": res.final_first_best_rate.tolist(),
        }
        print(sender, float(res.final_optimal.mean()), float(res.final_first_best_rate.mean()))
    for n in sizes:
        batch = [PersuasionGame.random(n, n, seed=1000 * n + g) for g in range(games)]
        for sender, receiver in TABLE2.items():
            res = simulate(batch, sender, receiver, rounds=rounds, runs=runs, seed=n)
            out["table2"][f"{n}:{sender}"] = res.final_sender_utility.tolist()
            print(n, sender, float(res.final_sender_utility.mean()), flush=True)
    with open(path, "w") as handle:
        json.dump(out, handle, allow_nan=False)


def _z(diff: float, se: float) -> str:
    if se == 0:
        return "identical" if diff == 0 else "inf"
    z = diff / se
    p = math.erfc(abs(z) / math.sqrt(2))
    return f"z = {z:+.2f}, p = {p:.2f}"


def compare(old_path: str, new_path: str) -> None:
    with open(old_path) as handle:
        old = json.load(handle)
    with open(new_path) as handle:
        new = json.load(handle)
    print("climbing game, 1000 runs x 1000 rounds, seed 0: old -> new")
    for sender in CLIMBING:
        for key in ("optimal", "per_state"):
            a, b = np.array(old["climbing"][sender][key]), np.array(new["climbing"][sender][key])
            se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
            print(
                f"  {sender:<12}{key:<10}{a.mean():8.4f} -> {b.mean():8.4f}   "
                f"{_z(b.mean() - a.mean(), se)}"
            )
    print(f"Table 2 baselines ({new['games']} games x {new['runs']} runs): old -> new, paired")
    runs = new["runs"]
    for key in new["table2"]:
        a = np.array(old["table2"][key]).reshape(-1, runs).mean(axis=1)
        b = np.array(new["table2"][key]).reshape(-1, runs).mean(axis=1)
        d = b - a
        se = d.std(ddof=1) / math.sqrt(d.size)
        print(f"  {key:<16}{a.mean():8.4f} -> {b.mean():8.4f}   {_z(d.mean(), se)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump")
    parser.add_argument("--compare", nargs=2)
    parser.add_argument("--sizes", default="4,8,16,32")
    parser.add_argument("--games", type=int, default=25)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=25_000)
    args = parser.parse_args()
    if args.dump:
        sizes = [int(s) for s in args.sizes.split(",")]
        dump(args.dump, sizes, args.games, args.runs, args.rounds)
    if args.compare:
        compare(*args.compare)


if __name__ == "__main__":
    main()
