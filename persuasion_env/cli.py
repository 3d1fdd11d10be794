"""The ``persuasion`` command line.

Every subcommand validates its input through the library; a user's mistake (an unknown game,
a malformed size, a missing file) is reported as one line on stderr with exit status 2, never
as a Python traceback. ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

EXIT_USAGE = 2


class UserError(Exception):
    """A problem with the command line itself; printed as one line, exit status 2."""


# ------------------------------------------------------------------------- helpers


def parse_size(text: str, option: str = "--random") -> tuple[int, int]:
    """Parse ``"8x8"`` (or ``"8"`` for a square game) into ``(S, A)`` with both >= 1."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX×]\s*(\d+))?\s*", text)
    if not match:
        raise UserError(f"{option} expects a size like 8x8 (states x actions), got {text!r}")
    rows = int(match.group(1))
    cols = int(match.group(2)) if match.group(2) is not None else rows
    if rows < 1 or cols < 1:
        raise UserError(f"{option} sizes must be at least 1x1, got {text!r}")
    return rows, cols


def parse_int_list(text: str, option: str) -> list[int]:
    """Parse ``"4,8,12"`` into integers (sizes like ``8x8`` allowed: the first number)."""
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        values.append(parse_size(part, option)[0])
    if not values:
        raise UserError(f"{option} expects a comma-separated list, got {text!r}")
    return values


def _fmt(value: float, width: int = 8, digits: int = 4) -> str:
    return f"{value:{width}.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    lines = [
        "  ".join(
            str(h).rjust(w) if i else str(h).ljust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(
                str(c).rjust(w) if i else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- solve


def _load_game(args: argparse.Namespace):
    from persuasion_env.game import PersuasionGame

    chosen = [opt for opt in ("game", "random", "file") if getattr(args, opt) is not None]
    if len(chosen) != 1:
        raise UserError("choose exactly one of --game NAME, --random SxA or --file game.json")
    if args.game is not None:
        return PersuasionGame.example(args.game)
    if args.random is not None:
        n_states, n_actions = parse_size(args.random)
        return PersuasionGame.random(n_states, n_actions, seed=args.seed)
    return PersuasionGame.load(args.file)


def _solution_report(game, solution) -> str:
    from persuasion_env.solvers import (
        full_disclosure_value,
        full_information_value,
        no_information_value,
    )

    names = game.action_names
    probs = solution.message_probabilities
    sent = np.flatnonzero(probs > 0)
    limit = 12
    shown = sent[:limit]
    out = [
        f"Game: {game.name} ({game.n_states} states x {game.n_actions} actions)",
        "",
    ]
    message_label = [
        f"m{m}->{names[solution.recommended_action[m]]}" for m in range(solution.n_messages)
    ]
    header = ["state", "p(s)"] + [message_label[m] for m in shown]
    state_rows = game.state_names
    rows = [
        [state_rows[s], _fmt(game.prior[s], 6, 3)]
        + [_fmt(solution.scheme[s, m], 7, 4) for m in shown]
        for s in range(min(game.n_states, 40))
    ]
    out.append(f"Optimal scheme pi(m | s) (messages sent: {len(sent)} of {solution.n_messages})")
    out.append(_table(header, rows))
    if len(sent) > limit or game.n_states > 40:
        out.append("(table truncated; use --json for the whole scheme)")
    out.append("")
    post = solution.posteriors
    header = ["message", "P(m)", "induces"] + [
        f"p({state_rows[s]}|m)" for s in range(min(game.n_states, 8))
    ]
    rows = [
        [message_label[m], _fmt(probs[m], 6, 4), names[solution.recommended_action[m]]]
        + [_fmt(post[m, s], 6, 4) for s in range(min(game.n_states, 8))]
        for m in shown
    ]
    out.append("Posteriors and induced actions")
    out.append(_table(header, rows))
    out.append("")
    upper = full_information_value(game)
    ratio = solution.sender_value / upper if upper > 0 else float("nan")
    summary = [
        ("sender value", solution.sender_value),
        ("receiver value", solution.receiver_value),
        ("no information", no_information_value(game)),
        ("full disclosure", full_disclosure_value(game)),
        ("full information (upper bound)", upper),
        ("ratio to full information", ratio),
    ]
    for label, value in summary:
        out.append(f"{label:<32}{value:.6f}")
    detail = f"{solution.method}, {solution.status}, {solution.solve_time * 1000:.1f} ms"
    if solution.method == "milp":
        detail += f", gap {solution.mip_gap:.2g}"
    out.append(f"{'solver':<32}{detail}")
    return "\n".join(out)


def cmd_solve(args: argparse.Namespace) -> int:
    from persuasion_env.solvers import (
        full_disclosure_value,
        full_information_value,
        no_information_value,
        solve_commitment,
    )

    game = _load_game(args)
    solution = solve_commitment(
        game, n_messages=args.messages, margin=args.margin, time_limit=args.time_limit
    )
    if args.json:
        payload = {"game": game.name, "n_states": game.n_states, "n_actions": game.n_actions}
        payload.update(solution.to_dict())
        payload["posteriors"] = solution.posteriors.tolist()
        payload["no_information_value"] = no_information_value(game)
        payload["full_disclosure_value"] = full_disclosure_value(game)
        payload["full_information_value"] = full_information_value(game)
        print(json.dumps(payload))
    else:
        print(_solution_report(game, solution))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: solve the named games and a random one, print one table."""
    from persuasion_env.game import PersuasionGame
    from persuasion_env.solvers import (
        full_disclosure_value,
        full_information_value,
        no_information_value,
        solve_commitment,
    )

    games = [
        PersuasionGame.example("prosecutor"),
        PersuasionGame.example("recommendation_letter"),
        PersuasionGame.example("climbing"),
        PersuasionGame.example("binary_threshold", mu0=0.3, theta=0.6),
        PersuasionGame.random(8, 8, seed=args.seed),
    ]
    header = ["game", "S x A", "optimal", "no info", "disclosure", "upper bound", "ratio"]
    rows = []
    for game in games:
        value = solve_commitment(game).sender_value
        upper = full_information_value(game)
        rows.append(
            [
                game.name,
                f"{game.n_states}x{game.n_actions}",
                f"{value:.4f}",
                f"{no_information_value(game):.4f}",
                f"{full_disclosure_value(game):.4f}",
                f"{upper:.4f}",
                f"{value / upper:.3f}" if upper > 0 else "-",
            ]
        )
    print("Optimal commitment (exact LP, HiGHS): sender's expected utility")
    print(_table(header, rows))
    return 0


# ---------------------------------------------------------------- envs and agents


def cmd_envs(args: argparse.Namespace) -> int:
    from persuasion_env.registration import env_ids

    ids = env_ids()
    if args.json:
        print(json.dumps({"envs": ids}))
    else:
        print("\n".join(ids))
    return 0


def cmd_agents(args: argparse.Namespace) -> int:
    from agents.registry import describe_agents

    rows = describe_agents()
    if args.json:
        print(json.dumps({"agents": rows}))
        return 0
    for side in ("sender", "receiver"):
        chosen = [r for r in rows if r["side"] == side]
        print(f"{side}s:")
        width = max((len(r["name"]) for r in chosen), default=0)
        for r in chosen:
            print(f"  {r['name']:<{width}}  {r['description']}")
    return 0


# ------------------------------------------------------------------------- parser


EPILOG_SOLVE = """examples:
  persuasion solve --game prosecutor
  persuasion solve --random 8x8 --seed 3 --messages 3
  persuasion solve --file game.json --json
"""


def build_parser() -> argparse.ArgumentParser:
    from persuasion_env import __version__

    parser = argparse.ArgumentParser(
        prog="persuasion",
        description="Bayesian persuasion with learning agents: solve games, run environments "
        "and tournaments.",
    )
    parser.add_argument("--version", action="version", version=f"persuasion_env {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("envs", help="list the registered environment ids")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_envs)

    p = sub.add_parser("agents", help="list the senders and receivers by name")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_agents)

    p = sub.add_parser("demo", help="the main job: a small showcase run")
    p.add_argument("--seed", type=int, default=0, help="seed of the random game (default 0)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "solve",
        help="exact optimal commitment (LP, or MILP with --messages)",
        epilog=EPILOG_SOLVE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--game", metavar="NAME", help="a named example (prosecutor, climbing, ...)")
    p.add_argument("--random", metavar="SxA", help="a random game of this size, e.g. 8x8")
    p.add_argument("--file", metavar="PATH", help="a game saved as JSON")
    p.add_argument("--seed", type=int, default=0, help="seed of the random game (default 0)")
    p.add_argument("--messages", type=int, default=None, metavar="K", help="restrict to K messages")
    p.add_argument("--margin", type=float, default=0.0, help="obedience margin (default 0)")
    p.add_argument("--time-limit", type=float, default=None, help="MILP time limit in seconds")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_solve)

    for extend in _EXTENSIONS:
        extend(sub)
    return parser


#: Functions that add further subcommands (oracle, tournament, reproduce) to the parser.
_EXTENSIONS: list[Callable[[Any], None]] = []


def _add_optional_commands() -> None:
    """Subcommands that live beside their features, added when their module is present."""
    try:
        from persuasion_env.oracle.cli import add_oracle_parser
    except ImportError:
        return
    _EXTENSIONS.append(add_oracle_parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``persuasion`` console script; returns the exit status."""
    _add_optional_commands()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except (UserError, ValueError, TypeError, FileNotFoundError, PermissionError) as exc:
        if os.environ.get("PERSUASION_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"persuasion {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. ``persuasion solve --json | head``
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"persuasion {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
