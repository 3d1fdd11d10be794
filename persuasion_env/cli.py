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
import math
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

EXIT_USAGE = 2
EXIT_FAILURE = 1
PROG = "persuasion"


class UserError(ValueError):
    """A problem with the command line itself; printed as one line, exit status 2."""


# ------------------------------------------------------------------------- helpers


def parse_int_list(text: str, option: str) -> list[int]:
    """Parse square sizes ``"4,8,8x8"`` into ``[4, 8, 8]``; ``4x8`` is refused by name
    (tournaments play square random games)."""
    from persuasion_env._validation import parse_size_list

    return [rows for rows, _ in parse_size_list(text, option, square=True)]


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


DEFAULT_SENDERS = (
    "info_q,info_policy,modelr,q_learning,reinforce,hedge,"
    "lp_optimal,lp_optimal:margin=0.1,full_disclosure,no_information"
)
DEFAULT_RECEIVERS = "best_response,quantal,q_learning,reinforce,hedge,ucb"


def parse_agents(text: str, option: str) -> list[Any]:
    """``"info_q,lp_optimal:margin=0.1"`` -> ``["info_q", ("lp_optimal", {"margin": 0.1})]``."""
    agents: list[Any] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, *options = item.split(":")
        kwargs = {}
        for option_text in options:
            key, sep, value = option_text.partition("=")
            if not sep or not key:
                raise UserError(f"{option}: expected name:key=value, got {item!r}")
            if key.strip() in kwargs:
                raise UserError(f"{option}: option {key.strip()!r} given twice in {item!r}")
            kwargs[key.strip()] = _parse_value(value.strip())
        agents.append((name.strip(), kwargs) if kwargs else name.strip())
    if not agents:
        raise UserError(f"{option} expects a comma-separated list of agent names, got {text!r}")
    return agents


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _run_tournament(tournament, args: argparse.Namespace, after=None) -> int:
    """Play, report, and call ``after(result)`` (extra plots) before the report."""
    result = tournament.play(
        jobs=args.jobs,
        backend=args.backend,
        out=args.out,
        resume=args.resume,
        progress=not args.quiet,
    )
    if after is not None:
        after(result)
    ranking = result.ranking()
    ratings = _ratings_or_none(result)
    if getattr(args, "json", False):
        payload = {
            "ranking": ranking.reset_index().to_dict(orient="records"),
            "ratings": None if ratings is None else ratings.reset_index().to_dict("records"),
            "summary": result.summary().to_dict(),
            "matches": len(result.to_frame()),
            "failed": len(result.failures),
        }
        from persuasion_env._io import nan_to_none

        # Strict JSON: an undefined mean or spread (e.g. one match, all failed) is null.
        print(json.dumps(nan_to_none(payload), default=float, allow_nan=False))
    else:
        print(f"Ranking of senders by sender utility / LP optimum ({tournament.n_matches} matches;")
        print(
            "final-policy utilities; [low, high]: bootstrap 95 % confidence interval of the mean)"
        )
        print(_ranking_text(ranking))
        if ratings is not None:
            print()
            print(
                f"Ratings on {int(ratings['tasks'].iloc[0])} tasks (receiver x game): Nash "
                "averaging (score against the max-entropy Nash mix of tasks) and Bradley-Terry "
                "(Elo); 95 % CIs from resampled seeds"
            )
            print(_ratings_text(ratings))
        print()
        print("Mean ratio to the LP optimum, sender x receiver")
        print(result.summary().to_string(float_format=lambda v: f"{v:.3f}"))
        if args.out:
            print(f"\nresults: {Path(args.out) / 'results.csv'}   plots: {Path(args.out)}/*.png")
    failed = len(result.failures)
    if failed:
        first = result.failures.iloc[0]
        print(
            f"persuasion tournament: {failed} match(es) failed, e.g. {first['sender']} vs "
            f"{first['receiver']}: {first['error']}",
            file=sys.stderr,
        )
        return 1
    return 0


def _interval(low: float, high: float, digits: int = 3) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "-"
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def _ranking_text(ranking) -> str:
    """The ranking as printed: each mean beside its confidence interval."""
    import pandas as pd

    shown = pd.DataFrame(index=ranking.index)
    shown["rank"] = ranking["rank"]
    for figure in ("mean_ratio", "sender_utility", "receiver_utility", "obedience"):
        shown[figure] = ranking[figure].map(lambda v: f"{v:.3f}" if math.isfinite(v) else "-")
        shown[f"{figure} CI"] = [
            _interval(lo, hi)
            for lo, hi in zip(ranking[f"{figure}_low"], ranking[f"{figure}_high"], strict=True)
        ]
    shown["matches"] = ranking["matches"]
    shown["failed"] = ranking["failed"]
    for column in ("ratio_best_fixed", "regret"):  # a tournament played with --references
        if column in ranking:
            shown[column] = ranking[column].map(lambda v: f"{v:.3f}" if math.isfinite(v) else "-")
    if "information" in ranking:
        shown["information"] = ranking["information"]
    return shown.to_string()


def _ratings_or_none(result):
    try:
        return result.ratings()
    except ValueError:  # no complete task (every one had a failure): nothing to rate
        return None


def _ratings_text(ratings) -> str:
    import pandas as pd

    shown = pd.DataFrame(index=ratings.index)
    shown["rank"] = ratings["rank"]
    shown["nash_rating"] = ratings["nash_rating"].map(lambda v: f"{v:.3f}")
    shown["nash CI"] = [
        _interval(lo, hi)
        for lo, hi in zip(ratings["nash_rating_low"], ratings["nash_rating_high"], strict=True)
    ]
    shown["nash_mass"] = ratings["nash_mass"].map(lambda v: f"{v:.2f}")
    shown["bt_elo"] = ratings["bt_elo"].map(lambda v: f"{v:.0f}")
    shown["elo CI"] = [
        _interval(lo, hi, 0)
        for lo, hi in zip(ratings["bt_elo_low"], ratings["bt_elo_high"], strict=True)
    ]
    return shown.to_string()


#: The ``tournament`` options that decide what is played (stored in ``DIR/command.json``;
#: ``--jobs``, ``--backend``, ``--quiet``, ``--json`` only decide how, and may change).
TOURNAMENT_CONFIG = ("senders", "receivers", "sizes", "games", "examples", "seeds", "rounds",
                     "game_seed")  # fmt: skip
COMMAND_FILE = "command.json"


class _Default:
    """An option's default, told apart from the same value typed by the user."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


def _mark_defaults(parser: argparse.ArgumentParser, dests: Sequence[str]) -> None:
    """Wrap the defaults of ``dests`` in :class:`_Default` (argparse passes non-string
    defaults through untouched), so the command sees which options were given."""
    for action in parser._actions:
        if action.dest in dests:
            action.default = _Default(action.default)


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _comparable(key: str, value: Any) -> Any:
    """A configuration value in a form where equal meaning compares equal."""
    if value is None:
        return None
    if key in ("senders", "receivers"):
        return parse_agents(str(value), _flag(key))
    if key in ("sizes", "examples"):
        return [part.strip().lower() for part in str(value).split(",") if part.strip()]
    return value


def _tournament_config(args: argparse.Namespace) -> dict[str, Any]:
    """The configuration to play: the stored one on ``--resume`` (options given beside it
    must agree with it), otherwise the options given and the defaults."""
    given = {k: getattr(args, k) for k in TOURNAMENT_CONFIG}
    explicit = {k: v for k, v in given.items() if not isinstance(v, _Default)}
    config = {k: v.value if isinstance(v, _Default) else v for k, v in given.items()}
    if not args.resume:
        return config
    if not args.out:
        raise UserError("--resume needs --out DIR, the directory of the tournament to continue")
    path = Path(args.out) / COMMAND_FILE
    if not path.is_file():
        if (Path(args.out) / "tournament.json").is_file() and not explicit:
            raise UserError(
                f"{args.out} was not started by 'persuasion tournament' (no {COMMAND_FILE}); "
                "give the original options with --resume"
            )
        return config  # nothing stored: the options given (the store checks the rest)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        stored = {k: stored[k] for k in TOURNAMENT_CONFIG}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"cannot resume: {path} is unreadable ({exc!r})") from None
    for key, value in explicit.items():
        if _comparable(key, value) != _comparable(key, stored[key]):
            raise UserError(
                f"{_flag(key)} {value} differs from the configuration stored in {args.out} "
                f"({_flag(key)} {stored[key]}); drop it to resume as stored"
            )
    # --references is stored only when given (older directories have no such key).
    stored_references = bool(json.loads(path.read_text(encoding="utf-8")).get("references"))
    if args.references and not stored_references:
        raise UserError(f"{args.out} was played without --references; drop it to resume")
    args.references = stored_references
    return stored


def _save_config(out: str, config: dict[str, Any]) -> None:
    """Store the configuration of a new tournament directory (never over another's)."""
    from persuasion_env._io import atomic_write_json

    if (Path(out) / "tournament.json").exists():
        return  # the directory holds a tournament: its own configuration stays
    try:
        atomic_write_json(Path(out) / COMMAND_FILE, config, indent=1)
    except OSError as exc:
        raise UserError(f"cannot write the output directory {out!r}: {exc}") from None


def cmd_tournament(args: argparse.Namespace) -> int:
    from persuasion_env._validation import check_int
    from persuasion_env.tournament import Tournament

    config = _tournament_config(args)
    check_int(config["rounds"], "--rounds", minimum=1)
    check_int(args.jobs, "--jobs", minimum=1)
    check_int(config["seeds"], "--seeds", minimum=1)
    check_int(config["games"], "--games", minimum=1)
    check_int(config["game_seed"], "--game-seed", minimum=0)
    examples_text = config["examples"]
    examples = [e.strip() for e in (examples_text or "").split(",") if e.strip()]
    if examples_text is not None and not examples:
        raise UserError(f"--examples expects comma-separated example names, got {examples_text!r}")
    size_text = config["sizes"]
    # an explicit --sizes '' is refused by the size parser (no games), not read as the default
    sizes = parse_int_list(size_text, "--sizes") if size_text is not None else []
    if size_text is None and not examples:
        sizes = [4]
    tournament = Tournament(
        parse_agents(config["senders"], "--senders"),
        parse_agents(config["receivers"], "--receivers"),
        games=examples,
        sizes=sizes,
        n_games=config["games"],
        seeds=list(range(config["seeds"])),
        rounds=config["rounds"],
        game_seed=config["game_seed"],
        references=bool(args.references),
    )
    if args.out:
        _save_config(args.out, {**config, **({"references": True} if args.references else {})})
    return _run_tournament(tournament, args)  # warnings: one line each, from main()


def _check_run_options(args: argparse.Namespace) -> None:
    """``--rounds`` and ``--jobs`` (tournament and demo), checked before anything is built."""
    from persuasion_env._validation import check_int

    check_int(args.rounds, "--rounds", minimum=1)
    check_int(args.jobs, "--jobs", minimum=1)


#: The learned senders the demo shows against the references (issue 16); extend with new
#: learned senders (e.g. ``"signaling_gradient"``) as they land.
DEMO_LEARNED_SENDERS: list[Any] = ["tablenet"]


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: a small default tournament; prints the ranking and writes plots,
    among them the learned senders' curves against the best fixed scheme and the LP."""
    from persuasion_env.tournament import Tournament

    _check_run_options(args)
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UserError(f"--out {args.out!r} exists and is not a directory")
    tournament = Tournament(
        [
            *DEMO_LEARNED_SENDERS,
            "info_q",
            "info_policy",
            "modelr",
            "q_learning",
            "lp_optimal",
            ("lp_optimal", {"margin": 0.1}),
            "full_disclosure",
            "no_information",
        ],
        ["best_response", "q_learning", "reinforce", "hedge", "fictitious_play"],
        games=["prosecutor"],
        sizes=[4],
        n_games=3,
        seeds=[0, 1],
        rounds=args.rounds,
        references=True,
    )
    out = Path(args.out)
    if (out / "tournament.json").is_file():
        # The demo is rewritten on every run: results of an older version never linger.
        shutil.rmtree(out)
    args.backend, args.resume, args.json = "local", False, False
    learned = [e.label for e in tournament.senders[: len(DEMO_LEARNED_SENDERS)]]
    return _run_tournament(
        tournament, args, after=lambda result: _plot_demo_learners(result, out, learned)
    )


def _plot_demo_learners(result: Any, out: Path, learned: list[str]) -> None:
    """``learning_vs_references.png`` with only the learned senders and Info-Q (the
    tournament's own plot shows every sender)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from persuasion_env._io import atomic_path

    ax = result.plot_learning_vs_references([*learned, "info_q"])
    with atomic_path(out / "learning_vs_references.png") as temporary:
        ax.figure.savefig(temporary, dpi=120, format="png")
    plt.close(ax.figure)


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


EPILOG_TOURNAMENT = """examples:
  persuasion tournament --senders info_q,modelr,lp_optimal:margin=0.1 --receivers q_learning,hedge
  persuasion tournament --sizes 4,8 --games 5 --seeds 3 --rounds 20000 --jobs 2 --out runs/t1
  persuasion tournament --out runs/t1 --resume           # continue after an interruption
  persuasion tournament --backend ray --jobs 8           # on a Ray cluster (RAY_ADDRESS)
"""

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

    p = sub.add_parser(
        "demo", help="the main job: a small default tournament (ranking table and plots)"
    )
    p.add_argument(
        "--out", default="results/demo", help="output directory, rewritten (default results/demo)"
    )
    p.add_argument("--rounds", type=int, default=5000, help="rounds per match (default 5000)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "tournament",
        help="every sender against every receiver on a suite of games",
        epilog=EPILOG_TOURNAMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--senders", default=DEFAULT_SENDERS, help="comma-separated; name:key=value sets options"
    )
    p.add_argument("--receivers", default=DEFAULT_RECEIVERS, help="comma-separated receiver names")
    p.add_argument("--sizes", default=None, help="sizes of the random games, e.g. 4,8 (default 4)")
    p.add_argument("--games", type=int, default=3, help="random games per size (default 3)")
    p.add_argument(
        "--examples", default=None, help="named example games to add, e.g. prosecutor,climbing"
    )
    p.add_argument("--seeds", type=int, default=2, help="number of seeds (0..K-1, default 2)")
    p.add_argument("--rounds", type=int, default=5000, help="rounds per match (default 5000)")
    p.add_argument("--game-seed", type=int, default=0, help="seed of the random games (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes or Ray tasks (default 1)")
    p.add_argument("--backend", choices=("local", "ray"), default="local")
    p.add_argument("--out", default=None, help="directory for results.csv, plots and resume state")
    p.add_argument("--resume", action="store_true", help="continue the tournament stored in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the ranking as one JSON object")
    p.add_argument(
        "--references",
        action="store_true",
        help="also play the best fixed scheme in hindsight per receiver and game (MODEL.md C1) "
        "and report best_fixed_value, regret and information classes",
    )
    p.set_defaults(func=cmd_tournament)
    _mark_defaults(p, TOURNAMENT_CONFIG)  # so --resume can tell the options given

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
