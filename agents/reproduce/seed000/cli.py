"""``persuasion reproduce``: the subcommand's parser and handler."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agents.reproduce.seed000.experiment import run_experiment
from agents.reproduce.seed000.settings import (
    DEFAULT_IMPLICIT_RECEIVERS,
    EXPERIMENTS,
    IMPLICIT_RECEIVERS,
)


def _parse_sizes(text: str) -> list[int]:
    from persuasion_env._validation import parse_size_list  # the CLI's one size parser

    return [rows for rows, _ in parse_size_list(text, "--sizes", square=True)]


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from persuasion_env._validation import check_int

    check_int(args.games, "--games", minimum=1)  # named as the user typed them
    check_int(args.seed, "--seed", minimum=0)
    sizes = None if args.sizes is None else _parse_sizes(args.sizes)
    receivers = None if args.receivers is None else args.receivers.split(",")
    frame = run_experiment(
        args.experiment,
        sizes=sizes,
        games=args.games,
        seed=args.seed,
        out_dir=args.out,
        quick=args.quick,
        progress=not args.no_progress,
        receivers=receivers,
        **({"rounds": args.rounds} if args.rounds is not None else {}),
        **({"runs": args.runs} if args.runs is not None else {}),
    )
    if args.experiment != "oracle":
        print((Path(args.out) / f"{args.experiment}.md").read_text())
    else:
        print(f"{len(frame)} rows written to {args.out}")
    return 0


def add_reproduce_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``persuasion reproduce {warmup,explicit,implicit,messages,oracle,signaling}``."""
    p = subparsers.add_parser(
        "reproduce",
        help="reproduce the seed papers' tables and figures",
        description="Run one experiment of seed 000 (warmup, explicit, implicit, messages), "
        "seed 004 (oracle) or Lin et al. 2023 (signaling: the signaling-gradient sender on "
        "the recommendation letter); writes DIR/<experiment>.csv, a Markdown table and "
        "plots. Rerunning with the same --out resumes.",
    )
    p.add_argument("experiment", choices=EXPERIMENTS)
    p.add_argument("--sizes", default=None, help="game sizes, e.g. 4,8,16 (default 4..32)")
    p.add_argument("--games", type=int, default=25, help="random games per size (default 25)")
    p.add_argument("--seed", type=int, default=0, help="seed of games and learners (default 0)")
    p.add_argument("--out", default="reproduce-seed000", help="output directory")
    p.add_argument("--quick", action="store_true", help="tiny settings (smoke test)")
    p.add_argument(
        "--receivers",
        default=None,
        help=f"implicit: comma-separated, among {', '.join(IMPLICIT_RECEIVERS)} "
        f"(default {','.join(DEFAULT_IMPLICIT_RECEIVERS)})",
    )
    p.add_argument(
        "--rounds", type=int, default=None, help="signaling: rounds per run (default 3000000)"
    )
    p.add_argument(
        "--runs", type=int, default=None, help="signaling: runs per grid cell (default 4)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_reproduce)
    return p
