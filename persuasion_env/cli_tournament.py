"""The ``persuasion tournament`` and ``persuasion demo`` subcommands: the agent lists, the
configuration stored for ``--resume``, the run and its printed ranking."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from persuasion_env.cli_common import UserError

__all__ = ["add_tournament_parsers", "cmd_demo", "cmd_tournament", "parse_agents", "parse_int_list"]


def parse_int_list(text: str, option: str) -> list[int]:
    """Parse square sizes ``"4,8,8x8"`` into ``[4, 8, 8]``; ``4x8`` is refused by name
    (tournaments play square random games)."""
    from persuasion_env._validation import parse_size_list

    return [rows for rows, _ in parse_size_list(text, option, square=True)]


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
DEMO_LEARNED_SENDERS: list[Any] = ["tablenet", "margin_adaptive", "signaling_gradient"]

#: The demo's receivers: a rational one and the learners its learning-curve plot averages.
DEMO_RECEIVERS: tuple[str, ...] = (
    "best_response",
    "q_learning",
    "reinforce",
    "hedge",
    "fictitious_play",
    "actor_critic",
)


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
        list(DEMO_RECEIVERS),
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

    # Against the learning receivers only (a rational receiver's curve is flat from the
    # start), rounds on a log scale: the rise happens in the first few thousand rounds.
    learners = [r for r in DEMO_RECEIVERS if r != "best_response"]
    ax = result.plot_learning_vs_references(
        [*learned, "info_q"], receivers=learners, log_rounds=True
    )
    with atomic_path(out / "learning_vs_references.png") as temporary:
        ax.figure.savefig(temporary, dpi=120, format="png")
    plt.close(ax.figure)


EPILOG_TOURNAMENT = """examples:
  persuasion tournament --senders info_q,modelr,lp_optimal:margin=0.1 --receivers q_learning,hedge
  persuasion tournament --sizes 4,8 --games 5 --seeds 3 --rounds 20000 --jobs 2 --out runs/t1
  persuasion tournament --out runs/t1 --resume           # continue after an interruption
  persuasion tournament --backend ray --jobs 8           # on a Ray cluster (RAY_ADDRESS)
"""


def add_tournament_parsers(sub: Any) -> None:
    """Add the ``demo`` and ``tournament`` subcommands to the subparsers ``sub``."""
    p = sub.add_parser(
        "demo", help="the main job: a small default tournament (ranking table and plots)"
    )
    p.add_argument(
        "--out", default="results/demo", help="output directory, rewritten (default results/demo)"
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=20_000,
        help="rounds per match (default 20000: enough for the learned senders to rise)",
    )
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
