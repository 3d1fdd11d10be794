"""The ``persuasion`` command line.

Every subcommand validates its input through the library; a user's mistake (an unknown game,
a malformed size, a missing file) is reported as one line ``persuasion: error: ...`` on stderr
with exit status 2, never as a Python traceback. A failure while running (a solver that finds
nothing within its time limit, running out of memory) is one line too, with exit status 1.
Anything else is a bug: one line says so, and ``--debug`` (or ``PERSUASION_DEBUG=1``) shows
the traceback. Warnings are one line each (``persuasion: warning: ...``). ``--json`` prints
exactly one JSON object on stdout. The error table is in docs/errors.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from persuasion_env.cli_common import EXIT_FAILURE, EXIT_USAGE, PROG, UserError
from persuasion_env.cli_tournament import add_tournament_parsers

__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "PROG", "UserError", "build_parser", "main"]


# ------------------------------------------------------------------------- helpers


def _check_option(check: Callable[..., Any], value: Any, option: str, **kwargs: Any) -> Any:
    """Run a validation helper on an option's value, naming the option (``None`` passes)."""
    return None if value is None else check(value, option, **kwargs)


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
        from persuasion_env._validation import parse_size  # the CLI's one size parser

        n_states, n_actions = parse_size(args.random, "--random")
        return PersuasionGame.random(n_states, n_actions, seed=args.seed)
    return PersuasionGame.load(args.file)


def _check_solve_options(args: argparse.Namespace) -> None:
    from persuasion_env._validation import check_int, check_positive

    check_int(args.seed, "--seed", minimum=0)
    _check_option(check_int, args.messages, "--messages", minimum=1)
    check_positive(args.margin, "--margin", allow_zero=True)
    _check_option(check_positive, args.time_limit, "--time-limit")


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

    _check_solve_options(args)
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
        print(json.dumps(payload, allow_nan=False))
    else:
        print(_solution_report(game, solution))
    return 0


# ---------------------------------------------------------------- envs and agents


def cmd_envs(args: argparse.Namespace) -> int:
    from persuasion_env.registration import env_ids

    ids = env_ids()
    if args.json:
        print(json.dumps({"envs": ids}, allow_nan=False))
    else:
        print("\n".join(ids))
    return 0


def cmd_agents(args: argparse.Namespace) -> int:
    # The registry's declared metadata: no agent module (and so no torch) is imported.
    from persuasion_env.registry import describe_agents

    rows = describe_agents()
    if args.json:
        print(json.dumps({"agents": rows}, allow_nan=False))
        return 0
    for side in ("sender", "receiver"):
        chosen = [r for r in rows if r["side"] == side]
        print(f"{side}s:")
        width = max((len(r["name"]) for r in chosen), default=0)
        for r in chosen:
            info = f"[{r['information']}]"
            print(f"  {r['name']:<{width}}  {info:<18}  {r['description']}")
    return 0


# ------------------------------------------------------------------------- parser


EPILOG_SOLVE = """examples:
  persuasion solve --game prosecutor
  persuasion solve --random 8x8 --seed 3 --messages 3
  persuasion solve --file game.json --json
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (``persuasion: error: ...``)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UserError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    from persuasion_env import __version__

    parser = _Parser(
        prog=PROG,
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

    add_tournament_parsers(sub)

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

    for extend in _optional_commands():
        extend(sub)
    debug_help = "show the Python traceback of an error (or set PERSUASION_DEBUG=1)"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    for command in sub.choices.values():
        command.add_argument("--debug", action="store_true", help=debug_help)
    return parser


def _optional_commands() -> list[Callable[[Any], Any]]:
    """Subcommands that live beside their features (each adds its own parser)."""
    from persuasion_env.registry import load_entry_point
    from persuasion_env.reproduce import ADD_PARSER

    extensions = []
    # "module:function" entry points: the reproductions live on the agents side (they train
    # TableNet) and are reached by name, never imported by persuasion_env.
    for entry in ("persuasion_env.cli_oracle:add_oracle_parser", ADD_PARSER):
        try:
            extensions.append(load_entry_point(entry))
        except ModuleNotFoundError as exc:
            if exc.name is None or not entry.startswith(exc.name):
                raise  # a dependency is missing inside the module: that is a real error
    return extensions


def _report(kind: str, exc: object) -> None:
    text = " ".join(str(exc).split()) or type(exc).__name__
    print(f"{PROG}: {kind}: {text}", file=sys.stderr)


@contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Print each warning as one line ``persuasion: warning: ...`` on stderr."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        _report("warning", message if isinstance(message, Warning) else category(message))

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``persuasion`` console script; returns the exit status.

    Exit status 0 on success; 2 for a user's mistake (bad option, bad game file, invalid
    value: ``UserError``, ``ValueError``, ``TypeError``, ``OSError``); 1 when a run fails
    (``RuntimeError`` such as a solver failure, ``MemoryError``) or for an internal error.
    Each is one line on stderr; ``--debug`` or ``PERSUASION_DEBUG=1`` re-raises instead.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or bool(os.environ.get("PERSUASION_DEBUG"))
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        with _one_line_warnings():
            return int(args.func(args) or 0)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except BrokenPipeError:  # e.g. ``persuasion solve --json | head``
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError) as exc:  # UserError is a ValueError
        if debug:
            raise
        _report("error", exc)
        return EXIT_USAGE
    except (RuntimeError, MemoryError) as exc:
        if debug:
            raise
        if isinstance(exc, MemoryError):
            _report("error", f"out of memory ({exc or 'the request is too large'})")
        else:
            _report("error", exc)
        return EXIT_FAILURE
    except Exception as exc:  # a bug, not the user's mistake: say so, in one line
        if debug:
            raise
        _report(
            "internal error",
            f"{type(exc).__name__}: {exc} (this is a bug; rerun with --debug for the "
            "traceback and report it)",
        )
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
