"""The ``persuasion oracle`` subcommand: plan queries for an oracle game and print the plan.

The main CLI (:mod:`persuasion_env.cli`) calls :func:`add_oracle_parser` to add the subcommand
and dispatches to :func:`run_oracle`. User mistakes raise ``ValueError`` with one clear line.

Examples::

    persuasion oracle --example three-types --budget 2
    persuasion oracle --random 6x5 --seed 3 --budget 2 --non-adaptive --json
    persuasion oracle --example greedy-trap --costs 0.01,0.01,0.01
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from persuasion_env._validation import check_costs, check_int, check_positive, parse_size
from persuasion_env.oracle.game import EXAMPLES, OracleGame

__all__ = ["add_oracle_parser", "run_oracle", "parse_costs"]

EPILOG = """examples:
  persuasion oracle --example three-types --budget 2
  persuasion oracle --random 6x5 --seed 3 --budget 2 --non-adaptive --json
  persuasion oracle --example greedy-trap --costs 0.01,0.01,0.01
"""


def add_oracle_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``oracle`` subcommand to an ``argparse`` subparsers object."""
    p = subparsers.add_parser(
        "oracle",
        help="plan simulation-oracle queries (MODEL.md Part B)",
        description="Optimal threshold queries and leaf messaging policies for the "
        "simulation-oracle persuasion game.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--example", metavar="NAME", help=f"a named example ({', '.join(sorted(EXAMPLES))})"
    )
    src.add_argument("--random", metavar="WxT", help="a random game with W states and T types")
    src.add_argument("--file", metavar="PATH", help="a game saved with OracleGame.to_json")
    p.add_argument("--seed", type=int, default=0, help="seed of the random game (default 0)")
    p.add_argument(
        "--budget",
        type=int,
        default=None,
        metavar="K",
        help="number of queries (default: 2 without --costs, unlimited with)",
    )
    p.add_argument(
        "--costs",
        metavar="C1,C2,...",
        default=None,
        help="T-1 query costs; costs[t-1] is the cost of asking 'type >= t'",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--adaptive",
        dest="adaptive",
        action="store_true",
        default=True,
        help="adaptive plan (default)",
    )
    mode.add_argument(
        "--non-adaptive",
        dest="adaptive",
        action="store_false",
        help="non-adaptive plan (all thresholds asked)",
    )
    p.add_argument("--greedy", action="store_true", help="the myopic planner instead")
    p.add_argument("--eps", type=float, default=None, help="solve on the eps-rounded game (B4)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_oracle)
    return p


def parse_costs(text: str) -> np.ndarray:
    """``"0.1,0.2"`` -> array; ValueError naming ``--costs`` otherwise (the length T-1 is
    checked against the game)."""
    try:
        values = np.array([float(v) for v in str(text).split(",") if v.strip() != ""])
    except ValueError:
        raise ValueError(f"--costs must be comma-separated numbers, got {text!r}") from None
    if values.size == 0:
        raise ValueError("--costs must list T-1 numbers")
    return check_costs(values, None, "--costs")


def _load_game(args: argparse.Namespace) -> OracleGame:
    check_int(args.seed, "--seed", minimum=0)
    if getattr(args, "random", None):
        w, t = parse_size(args.random, "--random")
        return OracleGame.random(w, t, seed=args.seed)
    if getattr(args, "file", None):
        return OracleGame.load(args.file)
    return OracleGame.example(getattr(args, "example", None) or "three-types")


def run_oracle(args: argparse.Namespace) -> int:
    """Run ``persuasion oracle``; returns the exit status (0)."""
    from persuasion_env.solvers.oracle import greedy_plan, plan_queries

    eps = getattr(args, "eps", None)
    if eps is not None:
        eps = check_positive(eps, "--eps")
    if getattr(args, "greedy", False) and (not args.adaptive or eps is not None):
        other = "--non-adaptive" if not args.adaptive else "--eps"
        raise ValueError(
            f"--greedy cannot be combined with {other} (the myopic planner is "
            "adaptive and solves the game itself)"
        )
    og = _load_game(args)
    costs = None
    if getattr(args, "costs", None) is not None:
        costs = parse_costs(args.costs)
        if costs.size != og.n_types - 1:
            raise ValueError(f"--costs must list T-1 = {og.n_types - 1} numbers, got {costs.size}")
    budget = args.budget
    if budget is None and costs is None:
        budget = 2
    if budget is not None and budget < 0:
        raise ValueError(f"--budget must be >= 0, got {budget}")
    if getattr(args, "greedy", False):
        plan = greedy_plan(og, budget, costs=costs)
    else:
        plan = plan_queries(og, budget, adaptive=args.adaptive, costs=costs, eps=eps)
    if args.json:
        out = plan.to_dict()
        out["game"] = og.name
        out["n_states"], out["n_types"] = og.n_states, og.n_types
        print(json.dumps(out, allow_nan=False))
        return 0
    print(format_plan(og, plan))
    return 0


def format_plan(og: OracleGame, plan: Any) -> str:
    """A readable table of a :class:`~persuasion_env.solvers.oracle.QueryPlan`."""
    kind = "adaptive" if plan.adaptive else "non-adaptive"
    budget = "unlimited" if plan.budget is None else str(plan.budget)
    lines = [
        f"game: {og.name or 'unnamed'} (W={og.n_states} states, T={og.n_types} types)",
        f"plan: {kind} ({plan.method}), budget {budget}"
        + ("" if plan.costs is None else ", costly queries"),
        "",
        f"  {'value':<22}{plan.value:.6f}",
        f"  {'known-type value':<22}{plan.known_type_value:.6f}",
        f"  {'no-query value':<22}{plan.no_query_value:.6f}",
    ]
    if plan.costs is not None:
        lines.append(f"  {'expected query cost':<22}{plan.expected_cost:.6f}")
    if "rounded_value" in plan.info:  # eps-rounded plan (B4): say which value is which
        lines.append(
            f"  {'value on rounded game':<22}{plan.info['rounded_value']:.6f}"
            f"  (eps = {plan.info['eps']:g})"
        )
        lines.append(f"  {'lifted plan earns':<22}{plan.info['lifted_value']:.6f}  (on this game)")
    if "fallback" in plan.info:
        lines.append(f"  {'note':<22}{plan.info['fallback']}")
    thr = ", ".join(str(t) for t in plan.thresholds) or "none"
    lines += [f"  {'thresholds':<22}{thr}", f"  {'queries (max depth)':<22}{plan.depth}", ""]
    lines.append(
        f"  {'leaf types':<12}{'P(types)':>10}{'P(act|leaf)':>13}  messages: lowest acting type (P)"
    )
    for node in plan.tree.leaves():
        leaf = node.leaf
        rng = f"{node.lo}..{node.hi}" if node.hi > node.lo else f"{node.lo}"
        if leaf is None:
            lines.append(f"  {rng:<12}")
            continue
        msg_p = og.state_marginal @ leaf.scheme
        msgs = ", ".join(
            f"{'none' if t > leaf.hi else t} ({p:.3f})"
            for t, p in zip(leaf.message_thresholds, msg_p, strict=True)
            if p > 1e-9
        )
        lines.append(f"  {rng:<12}{leaf.mass:>10.4f}{leaf.conditional_value:>13.4f}  {msgs}")
    return "\n".join(lines)
