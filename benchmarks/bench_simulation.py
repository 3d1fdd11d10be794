"""Speed of the engine: simulated rounds per second (runs x rounds / wall time).

    python benchmarks/bench_simulation.py [--reference DIR] [--repeats 5] [--tablenet]

Prints

1. the first-call cost of the compiled path in a fresh process (empty numba caches: the
   kernels and the round loop are compiled) and again in a second fresh process (loaded
   from the disk cache);
2. Info-Q vs Q-learning on a 4x4 game, one run (aim: >= 1 M rounds/s);
3. Info-Q vs Q-learning next to the published reference code of Bhatt & Buro
   (``--reference``: the ``signaling-games`` folder of github.com/vbhatt-cs/
   inference-based-messaging; not part of this project) on the 3x3 climbing game x 1000 runs
   and a 32x32 game x 100 runs, as medians of interleaved repeats (ours, theirs, ours, ...)
   in this one process (aims: >= 10x and >= 30x). Without ``--reference`` the reference
   figures are left out;
4. every receiver at runs = 1, 64 and 1000 on a 4x4 game (sender: Info-Q for learning
   receivers, the exact LP sender for receivers that see the scheme), median of repeats,
   and which path it took (compiled or the ordinary Python loop);
5. with ``--tablenet``: a TableNet match of 100 000 rounds x 8 runs on a 4x4 game against a
   Q-learning receiver (aim: <= 10 s), its wall time split into the compiled rounds and
   Algorithm 1's training between epochs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents import make_receiver, make_sender  # noqa: E402
from persuasion_env import PersuasionGame, compiled, simulate  # noqa: E402

RECEIVERS = (
    "best_response",
    "quantal",
    "q_learning",
    "reinforce",
    "hedge",
    "ucb",
    "fictitious_play",
    "actor_critic",
)
RUNS = (1, 64, 1000)
#: rounds per measurement at each runs setting (about a million rounds in total)
ROUNDS = {1: 200_000, 64: 10_000, 1000: 1_000}
AIMS = {"3x3": 10.0, "32x32": 30.0}

_FIRST_CALL = """
import json, time
t0 = time.perf_counter()
from persuasion_env import PersuasionGame, simulate
t1 = time.perf_counter()
c1 = time.process_time()
game = PersuasionGame.random(4, 4, seed=0)
res = simulate(game, "info_q", "q_learning", rounds=100, runs=1, seed=0)
t2 = time.perf_counter()
c2 = time.process_time()
res = simulate(game, "info_q", "q_learning", rounds=100, runs=1, seed=0)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "first_cpu": c2 - c1, "second": t3 - t2}))
"""


def first_call_times() -> list[dict]:
    """Two fresh processes sharing empty caches: the first compiles, the second loads."""
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "NUMBA_CACHE_DIR": os.path.join(cache, "numba"),
            "PERSUASION_ENV_CACHE": os.path.join(cache, "loops"),
            "PYTHONPATH": str(ROOT),
        }
        times = []
        for _ in range(2):
            out = subprocess.run(
                [sys.executable, "-c", _FIRST_CALL],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            times.append(json.loads(out.stdout.strip().splitlines()[-1]))
        return times


# ------------------------------------------------------------------ the reference code


def load_reference(folder: Path):
    """The reference code's ``train`` module (written for NumPy < 1.24: ``np.float`` and
    ``np.int`` are restored as the builtins they aliased)."""
    for alias, builtin in (("float", float), ("int", int)):
        if not hasattr(np, alias):
            setattr(np, alias, builtin)
    package = types.ModuleType("bhatt_buro_reference")
    package.__path__ = [str(folder)]
    sys.modules["bhatt_buro_reference"] = package
    # train.py does "import algs" and algs uses "from ... import utils": make both resolve.
    sys.modules["algs"] = importlib.import_module("bhatt_buro_reference.algs")
    return importlib.import_module("bhatt_buro_reference.train")


def reference_rate(train, game: PersuasionGame, runs: int, rounds: int) -> float:
    """Rounds per second of the reference Info-Q (sender and Q-learning receiver) on
    ``game``'s sender utility, with the settings of their Info-Q experiments."""
    folder = Path(train.__file__).parent
    config = json.loads((folder / "default_config.json").read_text())
    n_states, n_actions = game.shape
    config.update(
        algorithm="InfoQ",
        episodes=rounds,
        runs=runs,
        states=n_states,
        actions=n_actions,
        messages=n_actions,
        payoff=game.sender_utility.ravel().tolist(),
        payoff_sigma=0.0,
        alpha0=0.1,
        eps0=0.0,
        eps0_decay=0.0,
        q_mod=True,
        log_interval=1,
        log_summary=False,
        seed=0,
    )
    start = time.perf_counter()
    train.run(config)
    return runs * rounds / (time.perf_counter() - start)


# ------------------------------------------------------------------ ours


def our_rate(game, sender, receiver, runs: int, rounds: int) -> float:
    return simulate(game, sender, receiver, rounds=rounds, runs=runs, seed=0).rounds_per_second


def warm(game, sender, receiver, runs: int) -> None:
    """Compile (or load) the pair's loop and solve the LP before timing."""
    simulate(game, sender, receiver, rounds=20, runs=runs, seed=1)


def side_by_side(train, repeats: int) -> None:
    settings = {
        "3x3": (PersuasionGame.example("climbing"), 1000, 1000),
        "32x32": (PersuasionGame.random(32, 32, seed=0), 100, 1000),
    }
    print("\nInfo-Q vs Q-learning next to the reference code (medians of interleaved repeats)")
    header = f"{'setting':<16}{'ours':>14}{'reference':>14}{'speed-up':>10}{'aim':>6}"
    print(header)
    for label, (game, runs, rounds) in settings.items():
        warm(game, "info_q", "q_learning", runs)
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(our_rate(game, "info_q", "q_learning", runs, rounds))
            if train is not None:
                theirs.append(reference_rate(train, game, runs, rounds // 4))
        mine = statistics.median(ours)
        ref = statistics.median(theirs) if theirs else float("nan")
        print(
            f"{label + ' x ' + str(runs):<16}{mine:>14,.0f}{ref:>14,.0f}"
            f"{mine / ref:>9.1f}x{AIMS[label]:>5.0f}x",
            flush=True,
        )


def every_receiver(repeats: int) -> None:
    game = PersuasionGame.random(4, 4, seed=0)
    print("\nEvery receiver on a 4x4 game, rounds/s (median of repeats)")
    print(f"{'receiver':<18}{'path':<10}" + "".join(f"{'runs=' + str(r):>14}" for r in RUNS))
    for name in RECEIVERS:
        sender_name = "lp_optimal" if make_receiver(name).needs_scheme else "info_q"
        cells = []
        path = "?"
        for runs in RUNS:
            rounds = ROUNDS[runs] if name != "actor_critic" else ROUNDS[runs] // 20
            warm(game, sender_name, make_receiver(name), runs)
            sender, receiver = make_sender(sender_name), make_receiver(name)
            rates = []
            for _ in range(repeats):
                sender, receiver = make_sender(sender_name), make_receiver(name)
                rates.append(our_rate(game, sender, receiver, runs, rounds))
            path = "compiled" if compiled.steps_for(sender, receiver) else "python"
            cells.append(statistics.median(rates))
        print(f"{name:<18}{path:<10}" + "".join(f"{c:>14,.0f}" for c in cells), flush=True)


def tablenet_match() -> None:
    game = PersuasionGame.random(4, 4, seed=0)
    sender = make_sender("tablenet", protocol="algorithm1")  # its compiled epochs
    hook = type(sender).end_compiled_segment
    spent = [0.0]

    def timed_hook(self):
        start = time.perf_counter()
        hook(self)
        spent[0] += time.perf_counter() - start

    type(sender).end_compiled_segment = timed_hook
    try:
        res = simulate(game, sender, "q_learning", rounds=100_000, runs=8, seed=0)
    finally:
        type(sender).end_compiled_segment = hook
    print(
        f"\nTableNet vs q_learning, 4x4, 100 000 rounds x 8 runs: {res.wall_time:.1f} s "
        f"(Algorithm 1 between epochs {spent[0]:.1f} s, the rounds {res.wall_time - spent[0]:.1f}"
        f" s; aim <= 10 s); final sender utility {res.final_sender_utility.mean():.3f}, "
        f"LP {res.lp_value:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, help="the reference code's signaling-games/")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tablenet", action="store_true", help="also time a TableNet match")
    parser.add_argument("--skip-compile", action="store_true", help="skip the first-call timing")
    parser.add_argument("--only-compile", action="store_true", help="only the first-call timing")
    args = parser.parse_args()

    if not args.skip_compile:
        cold, cached = first_call_times()
        print(
            "First call in a fresh process, Info-Q vs Q-learning (s): import, first simulate "
            "(wall, CPU), second simulate"
        )
        for label, t in (("empty caches", cold), ("disk cache", cached)):
            print(
                f"  {label:<14}{t['import']:>8.2f}{t['first']:>8.2f}{t['first_cpu']:>8.2f}"
                f"{t['second']:>8.3f}"
            )
        if args.only_compile:
            return

    game = PersuasionGame.random(4, 4, seed=0)
    warm(game, "info_q", "q_learning", 1)
    rates = [our_rate(game, "info_q", "q_learning", 1, 1_000_000) for _ in range(args.repeats)]
    print(
        f"\nInfo-Q vs Q-learning, 4x4, runs = 1, 1 M rounds: {statistics.median(rates):,.0f} "
        "rounds/s (median; aim >= 1,000,000)"
    )
    train = load_reference(args.reference) if args.reference else None
    side_by_side(train, args.repeats)
    every_receiver(max(1, args.repeats // 2))
    if args.tablenet:
        tablenet_match()


if __name__ == "__main__":
    main()
