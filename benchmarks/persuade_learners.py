"""Persuading learners (issue 16, MODEL.md Part C): learned senders against learning receivers.

    python benchmarks/persuade_learners.py [--quick] [--rounds R] [--letter-rounds R]
        [--runs N] [--games N] [--senders a,b] [--receivers c,d] [--out DIR] [--docs] [--jobs N]
        [--recompute stale|references|sender,...]

For every learned sender (by default every registered sender that learns in the repeated
game, so new ones appear automatically), every learning receiver (q_learning, reinforce,
hedge, ucb, fictitious_play, actor_critic) and every game (the recommendation letter, the
prosecutor, ``--games`` random 4x4 and ``--games`` random 8x8 games), the sender is played
for ``--runs`` runs and the metric is MODEL.md C1's: the sender's realised utility over the
last 20 % of rounds, mean over runs with a 95 % Student-t confidence interval. Beside it:

* ``lp_value``: the commitment LP (an upper bound against a learner);
* ``best_fixed_value``: the best fixed scheme in hindsight against that receiver
  (:func:`persuasion_env.best_fixed_scheme`: the LP scheme with margins 0-0.2, full disclosure,
  no information), same seed, runs and rounds (common random numbers with the sender);
* ``no_information_value``: the exact value of saying nothing, and
  ``no_information_realised``: the no-information scheme's realised utility against the same
  learner (a member of the reference family).

Outputs in ``--out`` (default ``results/persuade_learners``): ``cells/*.json`` (one per
(sender, receiver, game) and one per reference (receiver, game), each written atomically as
it finishes with the versions of the agents that played it: an interrupted run resumes where
it stopped when started again with the same options; other options go to another directory;
a cell of another agent version stops the run until recomputed with ``--recompute``, see
``persuade_learners_cache.py``), ``results.csv`` (one row per cell), ``must_show.json`` and
``table.md`` (issue 16's must-show checks, ``persuade_learners_report.py``, then per suite,
sender x receiver: mean ratio to the LP, and to the best fixed scheme), ``heatmap.png``
(sender x receiver, tail utility / best fixed, mean over games) and
``curves.png`` (learning curves per suite: realised utility / LP, mean over games and
receivers, with a 95 % band across the (game, receiver) curves, beside the best-fixed and LP
lines). ``--docs`` also copies the table and plots into ``docs/`` (persuade_learners page).

Rounds default to 100 000 per match and 1 000 000 for the recommendation letter (the issue's
sizes; the time goes to the agents that have no compiled round, see the docs page).
``--jobs N`` computes the cells in N worker processes; every match has its own seed
(``--seed``), so the results do not depend on N.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # its helper modules, also when imported

from persuade_learners_cache import (  # noqa: E402
    cell_versions,
    is_stale,
    load_cell,
    reference_versions,
)
from persuade_learners_report import (  # noqa: E402
    SUITES,
    markdown_table,
    must_show,
    must_show_markdown,
    plot_curves,
    plot_heatmap,
)

from persuasion_env import PersuasionGame, best_fixed_scheme, simulate  # noqa: E402
from persuasion_env._io import atomic_write_json, atomic_write_text  # noqa: E402
from persuasion_env.protocols import information_class  # noqa: E402
from persuasion_env.references import mean_ci  # noqa: E402
from persuasion_env.registry import make_agent, specs  # noqa: E402
from persuasion_env.solvers.commitment import (  # noqa: E402
    cached_solve_commitment,
    no_information_value,
)

RECEIVERS = ("q_learning", "reinforce", "hedge", "ucb", "fictitious_play", "actor_critic")
BINS = 50
#: The markers between which ``--docs`` writes the table into docs/persuade_learners.md.
TABLE_START, TABLE_END = "<!-- table:start -->", "<!-- table:end -->"


def learned_senders() -> list[str]:
    """Every registered sender that learns in the repeated game (new ones appear here)."""
    return [
        s.name
        for s in specs("sender")
        if s.learns and s.game == "repeated" and s.level in ("round", "scheme")
    ]


def benchmark_games(n_random: int) -> list[tuple[str, PersuasionGame]]:
    """``(suite, game)`` pairs: the two examples and ``n_random`` random 4x4 and 8x8 games."""
    games = [
        ("recommendation letter", PersuasionGame.example("recommendation_letter")),
        ("prosecutor", PersuasionGame.example("prosecutor")),
    ]
    for size in (4, 8):
        for i in range(n_random):
            name = f"random-{size}x{size}-{i}"
            game = PersuasionGame.random(size, size, seed=16_000 + 100 * size + i, name=name)
            games.append((f"random {size}x{size}", game))
    return games


def _cell_path(out: Path, *parts: str) -> Path:
    key = "|".join(parts)
    return out / "cells" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"


def play_cell(game, sender, receiver, rounds, runs, seed) -> dict:
    """One learned sender against one receiver: tail metric, CI and the learning curve."""
    start = time.perf_counter()
    res = simulate(
        game, sender, receiver, rounds=rounds, runs=runs, seed=seed, bins=min(BINS, rounds)
    )
    mean, (low, high) = mean_ci(res.run_tail_sender_utility)
    return {
        "value": mean,
        "ci_low": low,
        "ci_high": high,
        "run_values": res.run_tail_sender_utility.tolist(),
        "curve_rounds": res.bin_edges[1:].tolist(),
        "curve": res.sender_utility.tolist(),
        "curve_var": (
            res.run_sender_curve.var(axis=0, ddof=1) / runs
            if runs > 1
            else np.zeros(len(res.sender_utility))
        ).tolist(),  # squared standard error of the curve across runs
        "final_sender_utility": float(res.final_sender_utility.mean()),
        "information": information_class(make_agent("sender", sender)),
        "wall_time": time.perf_counter() - start,
    }


def play_reference(game, receiver, rounds, runs, seed) -> dict:
    """The best fixed scheme against ``receiver``: its value, and every member's (the
    no-information member's realised utility is the must-show checks' second floor)."""
    start = time.perf_counter()
    ref = best_fixed_scheme(game, receiver, rounds=rounds, runs=runs, seed=seed)
    return {
        "value": ref.value,
        "name": ref.name,
        "ci_low": ref.ci[0],
        "ci_high": ref.ci[1],
        "members": ref.members,
        "member_ci": {k: list(v) for k, v in ref.member_ci.items()},
        "wall_time": time.perf_counter() - start,
    }


@dataclass(frozen=True)
class Job:
    """One cell to compute: ``compute()`` plays it; ``versions`` are the agent versions it
    is computed with (stored in the cell); ``owner`` is the sender, or ``"references"``;
    ``size`` its rounds x runs (the longest are computed first)."""

    compute: functools.partial
    versions: dict
    owner: str
    size: int

    def describe(self) -> str:
        if self.compute.func is play_reference:
            game, receiver = self.compute.args[:2]
            return f"best fixed vs {receiver} on {game.name}"
        game, sender, receiver = self.compute.args[:3]
        return f"{sender} vs {receiver} on {game.name}"


def one_thread() -> None:
    """One torch thread per process: the benchmark's parallelism is ``--jobs``. torch's
    default (a thread per core) on a shared machine made TableNet ~20x slower in wall time
    (30 000 rounds on a 4x4 game, load ~20 on 2 cores: 342 s with 2 threads, 17 s with 1;
    same result), and one thread count for every worker keeps the cells alike for any
    ``--jobs``."""
    try:
        import torch
    except ImportError:  # the agents that need torch are then unavailable anyway
        return
    torch.set_num_threads(1)


def _compute_one(path: Path, compute: functools.partial, versions: dict) -> dict:
    value = compute()
    value["versions"] = versions
    atomic_write_json(path, value)
    return value


def _stale_reasons(cell: dict, versions: dict) -> list[str]:
    """Which agents' versions differ between a stored cell and now ("no versions" for a
    cell written before versions were stored)."""
    stored = cell.get("versions")
    if not isinstance(stored, dict):
        return ["cells without versions (an older benchmark)"]
    reasons = []
    for role, now in versions.items():
        then = stored.get(role)
        if then == now:
            continue
        if role == "family":
            reasons.append("the best-fixed reference family")
        elif isinstance(now, dict) and isinstance(then, dict):
            parts = [k for k in ("config", "code") if then.get(k) != now.get(k)]
            reasons.append(f"{role} {now['name']} ({' and '.join(parts) or 'name'})")
        else:
            reasons.append(f"{role} {role!r} settings")
    return reasons


def plan(jobs: dict[Path, Job], recompute: set[str]) -> tuple[dict, list[Path]]:
    """``(finished, todo)``: the stored cells that stand, and the cells to compute.

    A cell is computed when it is missing, when its owner is named in ``recompute``, or when
    it is stale (other agent versions) and ``"stale"`` is in ``recompute``. A stale cell
    otherwise stops the run: results of different versions of an agent are never mixed.
    """
    finished, todo, stale = {}, [], {}
    for path, job in jobs.items():
        cell = load_cell(path)
        if cell is None or job.owner in recompute:
            todo.append(path)
        elif is_stale(cell, job.versions):
            if "stale" in recompute:
                todo.append(path)
            else:
                for reason in _stale_reasons(cell, job.versions):
                    stale[reason] = stale.get(reason, 0) + 1
        else:
            finished[path] = cell
    if stale:
        text = "; ".join(f"{reason}: {n} cells" for reason, n in sorted(stale.items()))
        raise SystemExit(
            f"stale cells, computed by another version of an agent ({text}); pass "
            "--recompute stale to recompute them (or --recompute with the senders' names)"
        )
    return finished, todo


def _compute_all(jobs: dict[Path, Job], n_jobs: int, quiet: bool, recompute: set[str]) -> dict:
    """Every job's result by its cell path: finished cells are read back, the others computed
    (in ``n_jobs`` worker processes if > 1) and written atomically as each finishes, the
    longest first (rounds x runs), so that the workers do not end on one long cell."""
    from tqdm.auto import tqdm

    results, todo = plan(jobs, recompute)
    todo.sort(key=lambda path: -jobs[path].size)
    bar = tqdm(total=len(todo), unit="cell", desc="persuade_learners", disable=quiet)
    if n_jobs <= 1:
        for path in todo:
            job = jobs[path]
            bar.set_postfix_str(job.describe())
            results[path] = _compute_one(path, job.compute, job.versions)
            bar.update()
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: no fork of a process that may hold numba / torch threads
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=n_jobs, mp_context=context, initializer=one_thread
        ) as pool:
            futures = {
                pool.submit(_compute_one, path, jobs[path].compute, jobs[path].versions): path
                for path in todo
            }
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.set_postfix_str(jobs[futures[future]].describe())
                bar.update()
    bar.close()
    return results


def run(args: argparse.Namespace) -> pd.DataFrame:
    out = Path(args.out)
    config = {
        "rounds": args.rounds,
        "letter_rounds": args.letter_rounds,
        "runs": args.runs,
        "games": args.games,
        "seed": args.seed,
    }
    stored = out / "config.json"
    if stored.is_file() and json.loads(stored.read_text()) != config:
        raise SystemExit(
            f"{out} holds a benchmark with other options ({stored.read_text().strip()}); "
            "choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(stored, config)
    games = [(s, g) for s, g in benchmark_games(args.games) if s in args.suites]
    cells = [
        (suite, game, receiver, sender)
        for suite, game in games
        for receiver in args.receivers
        for sender in args.senders
    ]
    rounds_of = {
        suite: args.letter_rounds if suite == "recommendation letter" else args.rounds
        for suite in SUITES
    }
    # Every job is a pure function of its arguments (each match has its own seed, --seed), so
    # the results do not depend on the order or the process they are computed in: --jobs 1
    # and --jobs 2 give identical cells. One reference per (receiver, game).
    jobs: dict[Path, Job] = {}
    for suite, game, receiver, _sender in cells:
        common = (game, receiver, rounds_of[suite], args.runs, args.seed)
        path = _cell_path(out, "reference", receiver, game.name)
        if path not in jobs:
            compute = functools.partial(play_reference, *common)
            size = rounds_of[suite] * args.runs
            jobs[path] = Job(compute, reference_versions(receiver), "references", size)
    for suite, game, receiver, sender in cells:
        compute = functools.partial(
            play_cell, game, sender, receiver, rounds_of[suite], args.runs, args.seed
        )
        versions = cell_versions(sender, receiver)
        size = rounds_of[suite] * args.runs
        jobs[_cell_path(out, sender, receiver, game.name)] = Job(compute, versions, sender, size)
    results = _compute_all(jobs, args.jobs, args.quiet, args.recompute)

    rows = []
    for suite, game, receiver, sender in cells:
        rounds = rounds_of[suite]
        ref = results[_cell_path(out, "reference", receiver, game.name)]
        cell = results[_cell_path(out, sender, receiver, game.name)]
        lp = cached_solve_commitment(game).sender_value
        no_information = no_information_value(game)
        rows.append(
            {
                "suite": suite,
                "game": game.name,
                "receiver": receiver,
                "sender": sender,
                "information": cell["information"],
                "rounds": rounds,
                "runs": args.runs,
                "value": cell["value"],
                "ci_low": cell["ci_low"],
                "ci_high": cell["ci_high"],
                "lp_value": lp,
                "best_fixed_value": ref["value"],
                "best_fixed_scheme": ref["name"],
                "no_information_value": no_information,
                # the no-information scheme's realised tail utility against the same learner
                "no_information_realised": ref["members"]["no_information"],
                "ratio_lp": cell["value"] / lp if lp else np.nan,
                "ratio_best_fixed": cell["value"] / ref["value"] if ref["value"] else np.nan,
                "best_fixed_ratio_lp": ref["value"] / lp if lp else np.nan,
                "beats_no_information": cell["value"] >= no_information - 1e-9,
                "curve_rounds": cell["curve_rounds"],
                "curve": cell["curve"],
                "curve_var": cell["curve_var"],
                "wall_time": cell["wall_time"],
                "reference_wall_time": ref["wall_time"],
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100_000, help="rounds per match")
    parser.add_argument(
        "--letter-rounds", type=int, default=1_000_000, help="rounds on the recommendation letter"
    )
    parser.add_argument("--runs", type=int, default=4, help="runs per match (default 4)")
    parser.add_argument("--games", type=int, default=10, help="random games per size (10)")
    parser.add_argument("--senders", default=None, help="comma-separated (default: all learned)")
    parser.add_argument("--receivers", default=",".join(RECEIVERS), help="comma-separated")
    parser.add_argument(
        "--suites", default=",".join(SUITES), help=f"comma-separated of: {', '.join(SUITES)}"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every match (default 0)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small run: 3000 rounds (letter too), 2 runs, 2 random games per size",
    )
    parser.add_argument("--out", default=None, help="output directory")
    parser.add_argument("--docs", action="store_true", help="copy table and plots into docs/")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes (default 1; same results for any)"
    )
    parser.add_argument(
        "--recompute",
        default="",
        help="comma-separated: sender names (recompute their stored cells), 'references' "
        "(the best-fixed references), 'stale' (every cell computed by another version of "
        "an agent)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.letter_rounds, args.runs, args.games = 3000, 3000, 2, 2
    args.senders = args.senders.split(",") if args.senders else learned_senders()
    args.receivers = args.receivers.split(",")
    args.suites = [s.strip() for s in args.suites.split(",")]
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    for side, names in (("sender", args.senders), ("receiver", args.receivers)):
        for name in names:
            try:
                make_agent(side, name)
            except Exception as exc:  # one line, no traceback
                parser.error(f"--{side}s: {exc}")
    args.recompute = {name.strip() for name in args.recompute.split(",") if name.strip()}
    unknown = sorted(args.recompute - set(args.senders) - {"references", "stale"})
    if unknown:
        parser.error(
            f"--recompute: {', '.join(unknown)} is not a sender of this run, 'references' "
            "or 'stale'"
        )
    if min(args.rounds, args.letter_rounds, args.runs, args.games, args.jobs) < 1:
        parser.error("--rounds, --letter-rounds, --runs, --games and --jobs must be >= 1")
    args.out = args.out or str(
        ROOT / "results" / "persuade_learners" / ("quick" if args.quick else "full")
    )
    start = time.perf_counter()
    one_thread()
    frame = run(args)
    out = Path(args.out)
    flat = frame.drop(columns=["curve", "curve_rounds", "curve_var"])
    atomic_write_text(out / "results.csv", flat.to_csv(index=False))
    checks = must_show(frame)
    atomic_write_json(out / "must_show.json", checks)
    table = must_show_markdown(checks) + "\n" + markdown_table(frame)
    atomic_write_text(out / "table.md", table)
    plot_heatmap(frame, out / "heatmap.png")
    plot_curves(frame, out / "curves.png")
    print(table)
    print(f"{len(frame)} cells in {time.perf_counter() - start:.0f} s; outputs in {out}")
    if args.docs:
        img = ROOT / "docs" / "img"
        img.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / "heatmap.png", img / "persuade_learners_heatmap.png")
        shutil.copyfile(out / "curves.png", img / "persuade_learners_curves.png")
        page = ROOT / "docs" / "persuade_learners.md"
        text = page.read_text(encoding="utf-8")
        head, rest = text.split(TABLE_START, 1)
        tail = rest.split(TABLE_END, 1)[1]
        atomic_write_text(page, f"{head}{TABLE_START}\n{table}\n{TABLE_END}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
