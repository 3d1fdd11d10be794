"""Reproductions of the seed papers' experiments (``persuasion reproduce ...``).

:func:`run_experiment` runs one experiment of seed 000 (``warmup``, ``explicit``,
``implicit``, ``messages``) or the oracle experiments of seed 004 (``oracle``) and writes its
CSV, Markdown table and plots; :func:`add_reproduce_parser` adds the ``reproduce``
subcommand to the command line. Importing this package is cheap: torch, pandas and
matplotlib are imported only when an experiment runs.
"""

from persuasion_env.reproduce.seed000 import (
    EXPERIMENTS,
    SEED_TABLE1,
    SEED_TABLE2,
    add_reproduce_parser,
    run_experiment,
)

__all__ = ["EXPERIMENTS", "SEED_TABLE1", "SEED_TABLE2", "add_reproduce_parser", "run_experiment"]
