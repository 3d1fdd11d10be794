"""Reproductions of the seed papers' experiments (``persuasion reproduce ...``).

Seed 000's experiments train TableNet, an agent, so they live beside it in
:mod:`agents.reproduce.seed000` (DESIGN.md layer 8: experiments are placed where their imports
point downwards; ``persuasion_env`` never imports ``agents``). This package reaches them
through ``"module:function"`` entry points (the registry's convention), loaded with
:mod:`importlib` when called. The oracle experiments of seed 004 stay in
:mod:`persuasion_env.reproduce.oracle`; ``run_experiment("oracle", ...)`` delegates there.
Importing this package is cheap: torch, pandas and matplotlib are imported only when an
experiment runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from persuasion_env.registry import load_entry_point

__all__ = ["ADD_PARSER", "RUN_EXPERIMENT", "add_reproduce_parser", "run_experiment"]

#: Entry point of the ``reproduce`` subcommand's parser (``add_reproduce_parser(sub)``).
ADD_PARSER = "agents.reproduce.seed000:add_reproduce_parser"
#: Entry point of :func:`run_experiment`.
RUN_EXPERIMENT = "agents.reproduce.seed000:run_experiment"


def add_reproduce_parser(sub: argparse._SubParsersAction) -> Any:
    """Add the ``reproduce`` subcommand to the command line's subparsers ``sub``."""
    return load_entry_point(ADD_PARSER)(sub)


def run_experiment(name: str, **options: Any) -> Any:
    """Run experiment ``name`` (``warmup``, ``explicit``, ``implicit``, ``messages`` or
    ``oracle``) and write its CSV, Markdown table and plots; returns its table (a pandas
    DataFrame). The options are those of :func:`agents.reproduce.seed000.run_experiment`."""
    return load_entry_point(RUN_EXPERIMENT)(name, **options)
