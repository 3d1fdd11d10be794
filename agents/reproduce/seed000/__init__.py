"""Seed 000's experiments (MODEL.md A7): warm-up, explicit and implicit commitment, and
restricted messages, with TableNet (:mod:`agents.senders.tablenet`).

Every experiment plays ``games`` random games ``u1, u2 ~ U[0, 1]`` (uniform prior) per size
``S = A``; game ``g`` of size ``n`` is drawn from ``numpy.random.default_rng([seed, n, g])``,
so a game's identity does not depend on the other arguments. The games of one size are
learned together as one batch (a leading axis of the torch computations).

Outputs in ``out_dir``:

* ``<experiment>.csv``: one row per game (and receiver / number of messages), with at least
  ``size, game, learned_value, lp_value, ratio``. Rows are appended atomically (temporary
  file + ``os.replace``) as soon as a batch of games finishes; a rerun skips the rows already
  there, so an interrupted run resumes where it stopped.
* ``<experiment>.md``: the table in the seed's layout, next to the seed's published numbers.
* ``<experiment>_*.png``: the plots (Figure 2a, 2b, 3 and companions).

"learned_value" is always the *actual* utility of the learned scheme: against the true best
response (warm-up, explicit, messages) or against the learning receiver's converged response
(implicit); "predicted_value" is the receiver model's prediction; "lp_value" the exact optimum
(:func:`persuasion_env.solve_commitment`), never shown to the learner.

The package, by responsibility: :mod:`.settings` (experiments, receivers, the seed's
numbers, TableNet's settings), :mod:`.runners` (one batch of games -> rows), :mod:`.files`
(output directory, resumable CSV), :mod:`.tables` (Markdown), :mod:`.plots`,
:mod:`.experiment` (:func:`run_experiment`) and :mod:`.cli` (``persuasion reproduce``).
"""

# Private names are re-exported too: benchmarks/implicit_seeds.py reuses the implicit
# experiment's protocol, and the tests replace entries of ``_RUNNERS`` (the same dict
# :func:`run_experiment` reads).
from agents.reproduce.seed000.cli import add_reproduce_parser
from agents.reproduce.seed000.experiment import run_experiment
from agents.reproduce.seed000.files import REQUIRED_COLUMNS  # noqa: F401
from agents.reproduce.seed000.runners import (  # noqa: F401
    _RUNNERS,
    _actual_values,
    _learn_implicit,
    _learner_seeds,
    _lp_values,
    make_game,
)
from agents.reproduce.seed000.settings import (  # noqa: F401
    BASELINES,
    DEFAULT_IMPLICIT_RECEIVERS,
    DEFAULT_SIZES,
    EVALUATION_EPOCHS,
    EXPERIMENTS,
    IMPLICIT_RECEIVERS,
    MESSAGE_COUNTS,
    MILP_MAX_SIZE,
    SEED_TABLE1,
    SEED_TABLE2,
    _config,
    _implicit_epoch,
)

__all__ = [
    "DEFAULT_IMPLICIT_RECEIVERS",
    "DEFAULT_SIZES",
    "EXPERIMENTS",
    "IMPLICIT_RECEIVERS",
    "SEED_TABLE1",
    "SEED_TABLE2",
    "add_reproduce_parser",
    "make_game",
    "run_experiment",
]
