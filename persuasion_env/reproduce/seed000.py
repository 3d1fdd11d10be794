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
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from persuasion_env._io import atomic_path, atomic_write_text
from persuasion_env._validation import check_int

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

EXPERIMENTS: tuple[str, ...] = ("warmup", "explicit", "implicit", "messages", "oracle")
DEFAULT_SIZES: tuple[int, ...] = (4, 8, 12, 16, 20, 24, 28, 32)
#: Numbers of messages of Figure 3 (those <= A are used).
MESSAGE_COUNTS: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
#: Largest size for which the restricted-message MILP is run (20 s limit per game and M).
MILP_MAX_SIZE = 12
#: Learning receivers of the implicit setting, by label: (registered name, options). The
#: seed does not name its receiver; it assumes one that learns the correct response once
#: the empirical frequency of (state, message) settles on the scheme. Fictitious play is
#: that receiver taken literally (it sees the state after acting and best-responds to the
#: posteriors it has seen, forgetting over about 200 receipts of a message). Discounted UCB
#: learns from its payoffs only, so its play keeps exploring. The tuned Q-learner settles
#: more slowly; the default Q-learner, Hedge and REINFORCE are offered for comparison but
#: keep the history of earlier schemes for long. (New labels go at the end: a label's
#: position seeds its runs.)
IMPLICIT_RECEIVERS: dict[str, tuple[str, dict[str, Any]]] = {
    "ucb_discounted": ("ucb", {"c_explore": 0.2, "discount": 0.998}),
    "q_learning_slow": ("q_learning", {"alpha": 0.02, "epsilon": 0.1}),
    "q_learning": ("q_learning", {}),
    "hedge": ("hedge", {}),
    "reinforce": ("reinforce", {}),
    "fictitious_play": ("fictitious_play", {"discount": 0.995}),
}
#: The receivers of ``persuasion reproduce implicit`` unless ``--receivers`` is given.
DEFAULT_IMPLICIT_RECEIVERS: tuple[str, ...] = ("fictitious_play", "ucb_discounted")
#: Seed 000's baselines: (sender, receiver) pairs, run through ``persuasion_env.simulate``.
BASELINES: dict[str, tuple[str, str]] = {
    "modelr": ("modelr", "q_learning"),
    "info_q": ("info_q", "q_learning"),
    "info_policy": ("info_policy", "reinforce"),
}

#: Seed 000, Table 1 (explicit commitment): size -> (learned, LP optimum, percent,
#: train accuracy, test accuracy).
SEED_TABLE1: dict[int, tuple[float, float, float, float, float]] = {
    4: (0.6874, 0.7049, 97.52, 0.9843, 0.9844),
    8: (0.6998, 0.7576, 92.37, 0.9893, 0.9890),
    12: (0.7476, 0.8162, 91.60, 0.9864, 0.9863),
    16: (0.7678, 0.8543, 89.87, 0.9861, 0.9858),
    20: (0.7516, 0.8671, 86.68, 0.9842, 0.9840),
    24: (0.7860, 0.8838, 88.93, 0.9850, 0.9847),
    28: (0.8052, 0.8951, 89.96, 0.9821, 0.9817),
    32: (0.8033, 0.9115, 88.13, 0.9835, 0.9827),
}
#: Seed 000, Table 2 (implicit commitment): size -> (actual, predicted, ModelR, Info-Q,
#: Info-Policy).
SEED_TABLE2: dict[int, tuple[float, float, float, float, float]] = {
    4: (0.6668, 0.6649, 0.5878, 0.5857, 0.5902),
    8: (0.6589, 0.6497, 0.5118, 0.5114, 0.5161),
    12: (0.6901, 0.7173, 0.5254, 0.5179, 0.5014),
    16: (0.6801, 0.6889, 0.4994, 0.4953, 0.4932),
    20: (0.6521, 0.6740, 0.5080, 0.4908, 0.4932),
    24: (0.6391, 0.6592, 0.4907, 0.4851, 0.5017),
    28: (0.6484, 0.6745, 0.5264, 0.5193, 0.5020),
    32: (0.6289, 0.6478, 0.5099, 0.5145, 0.5048),
}

_KEYS = {
    "warmup": ("size", "game"),
    "explicit": ("size", "game"),
    "implicit": ("size", "game", "receiver"),
    "messages": ("size", "game", "n_messages"),
}


# ============================================================================== helpers


def make_game(size: int, game: int, seed: int):
    """Game ``game`` of size ``size x size``: ``u1, u2 ~ U[0, 1]``, uniform prior."""
    from persuasion_env.game import PersuasionGame

    rng = np.random.default_rng([seed, size, game])
    return PersuasionGame.random(size, size, seed=rng, name=f"random-{size}x{size}-g{game}")


def _learner_seeds(seed: int, size: int, ids: Sequence[int], salt: int = 1) -> list:
    """One Generator per game for the learner's own draws (independent of the batch)."""
    return [np.random.default_rng([seed, size, g, salt]) for g in ids]


def _check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` if needed and check that files can be written there."""
    if not isinstance(out_dir, str | os.PathLike):
        raise TypeError(f"out_dir must be a path, got {type(out_dir).__name__}")
    path = Path(out_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ValueError(
            f"out_dir {str(path)!r} cannot be written: {exc.strerror or exc}"
        ) from None
    return path


def _check_sizes(sizes: Sequence[int] | None, default: Sequence[int]) -> list[int]:
    if sizes is None:
        return list(default)
    if isinstance(sizes, int | np.integer):
        sizes = [int(sizes)]
    if isinstance(sizes, str) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a sequence of integers, got {type(sizes).__name__}")
    checked = [check_int(s, "sizes entry", minimum=2) for s in sizes]
    if not checked:
        raise ValueError("sizes must not be empty")
    return list(dict.fromkeys(checked))


#: Columns an experiment's CSV must have to be resumed (what resuming and the Markdown
#: tables read); a CSV without them is refused, never half-read.
_BASE_COLUMNS = ("size", "game", "learned_value", "lp_value", "ratio")
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "warmup": (*_BASE_COLUMNS, "predicted_value", "time_s"),
    "explicit": (*_BASE_COLUMNS, "predicted_value", "train_accuracy", "test_accuracy", "time_s"),
    "implicit": (
        *_BASE_COLUMNS,
        "receiver",
        "predicted_value",
        "best_response_value",
        "time_s",
        *(f"{b}{suffix}" for b in BASELINES for suffix in ("", "_best_response", "_in_play")),
    ),
    "messages": (*_BASE_COLUMNS, "n_messages", "milp_value", "milp_status", "ratio_to_milp"),
}


def _read_rows(path: Path, name: str | None = None):
    """The rows already in ``path`` (empty if there is no file yet).

    Raises:
        ValueError: if the file is not a CSV, or lacks a column of experiment ``name``.
    """
    import pandas as pd

    if not path.exists():
        return pd.DataFrame()
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f"cannot resume from {str(path)!r}: it is not a valid CSV ({first})"
        ) from None
    missing = [c for c in REQUIRED_COLUMNS.get(name or "", ()) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"cannot resume from {str(path)!r}: it lacks the {name} column(s) "
            f"{', '.join(missing)}; move it away or choose another --out"
        )
    return frame


def _done_keys(frame, keys: Sequence[str]) -> set[tuple]:
    if frame.empty or any(k not in frame.columns for k in keys):
        return set()
    return {tuple(row) for row in frame[list(keys)].itertuples(index=False, name=None)}


def _lp_values(games) -> np.ndarray:
    from persuasion_env.solvers.commitment import solve_commitment

    return np.array([solve_commitment(g).sender_value for g in games])


def _stack(games) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.stack([g.prior for g in games]),
        np.stack([g.sender_utility for g in games]),
        np.stack([g.receiver_utility for g in games]),
    )


def _true_values(games, schemes: np.ndarray) -> np.ndarray:
    """``U1`` of each game's scheme against the true best response (A1's tie rule)."""
    from persuasion_env import bayes

    prior, u1, u2 = _stack(games)
    response = bayes.best_response_matrix(prior, schemes, u2, u1)
    return bayes.expected_utility(prior, schemes, response, u1)


# ========================================================================= configs


def _config(name: str, size: int, quick: bool, **overrides: Any):
    from agents.senders.tablenet import LEARNING_RECEIVER_SETTINGS, TableNetConfig

    if quick:
        base = dict(
            restarts=2,
            sender_steps=60,
            finetune_steps=20,
            eval_every=10,
            n_queries=6,
            model_steps=20,
            finetune_model_steps=5,
            min_rounds=1,
            max_rounds=2,
            candidates=1,
        )
    elif name == "implicit":
        # Each query costs an epoch of play with a learning receiver: fewer, longer ones.
        base = dict(
            n_queries=max(4 * size, 48),
            max_rounds=8,
            tolerance=0.01,
            min_rounds=2,
            **LEARNING_RECEIVER_SETTINGS,
        )
    else:
        base = {}
    base.update(overrides)
    return TableNetConfig(**base)


def _implicit_epoch(size: int, quick: bool) -> int:
    """Rounds per epoch with a learning receiver: enough plays of every (message, action).

    With the floor of 8000 rounds, a 4x4 message sent every fourth round is received 1000
    times in the half epoch before its play is read: five memory lengths of the default
    fictitious-play receiver (about 200 receipts). At 4000 rounds it is two and a half, and
    the frequencies read still partly answer the previous scheme (4x4, 8 learner seeds:
    0.6656 at 4000 rounds, 0.6683 at 8000; ``benchmarks/implicit_seeds.py --epoch``).
    """
    return 100 if quick else max(8000, 16 * size * size)


#: A scheme's *actual* utility is read after a fresh learner has played it for this many
#: epochs (the last fifth of them counted).
EVALUATION_EPOCHS = 10


# ===================================================================== experiments


def _run_warmup(games, ids, size, seed, quick, extras) -> list[dict[str, Any]]:
    from agents.senders.tablenet import learn_warmup

    config = _config("warmup", size, quick)
    start = time.perf_counter()
    result = learn_warmup(games, config=config, seeds=_learner_seeds(seed, size, ids))
    elapsed = time.perf_counter() - start
    lp = _lp_values(games)
    true = _true_values(games, result.schemes)
    if size == 8 or (quick and not extras.get("curve")):
        extras["curve"] = (size, result.curve, lp.mean())
    return [
        dict(
            size=size,
            game=g,
            learned_value=true[i],
            predicted_value=result.predicted_values[i],
            lp_value=lp[i],
            ratio=true[i] / lp[i],
            lam=config.lam,
            restarts=config.restarts,
            time_s=elapsed / len(ids),
        )
        for i, g in enumerate(ids)
    ]


def _run_explicit(games, ids, size, seed, quick, extras, n_messages=None) -> list[dict]:
    from agents.senders.tablenet import BestResponseOracle, run_algorithm1

    config = _config("explicit", size, quick)
    prior, u1, _ = _stack(games)
    start = time.perf_counter()
    result = run_algorithm1(
        BestResponseOracle(games),
        prior,
        u1,
        n_messages=n_messages,
        config=config,
        seeds=_learner_seeds(seed, size, ids, salt=2 if n_messages is None else 100 + n_messages),
    )
    elapsed = time.perf_counter() - start
    lp = _lp_values(games)
    true = _true_values(games, result.schemes)
    return [
        dict(
            size=size,
            game=g,
            learned_value=true[i],
            predicted_value=result.predicted_values[i],
            lp_value=lp[i],
            ratio=true[i] / lp[i],
            train_accuracy=result.train_accuracy[i],
            test_accuracy=result.test_accuracy[i],
            rounds=int(result.rounds[i]),
            stopped=bool(result.stopped[i]),
            epochs=result.epochs,
            time_s=elapsed / len(ids),
        )
        for i, g in enumerate(ids)
    ]


def _run_messages(games, ids, size, seed, quick, extras) -> list[dict[str, Any]]:
    import warnings

    from persuasion_env.solvers.commitment import SolverTimeLimitWarning, solve_commitment

    rows = []
    counts = [k for k in MESSAGE_COUNTS if k <= size] if not quick else [1, 2, size]
    counts = sorted(set(counts) | {size})
    time_limit = 2.0 if quick else 20.0
    for k in counts:
        explicit = _run_explicit(games, ids, size, seed, quick, extras, n_messages=k)
        for row, game in zip(explicit, games, strict=True):
            if size > MILP_MAX_SIZE:  # the MILP does not solve in reasonable time there
                row.update(n_messages=k, milp_value=math.nan, milp_status="not_run")
                row.update(milp_time_s=math.nan, ratio_to_milp=math.nan)
                rows.append(row)
                continue
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SolverTimeLimitWarning)
                exact = solve_commitment(game, n_messages=k, time_limit=time_limit)
            row.update(
                n_messages=k,
                milp_value=exact.sender_value,
                milp_status=exact.status,
                milp_time_s=time.perf_counter() - start,
                ratio_to_milp=row["learned_value"] / exact.sender_value
                if exact.sender_value > 0
                else math.nan,
            )
            rows.append(row)
    return rows


def _run_implicit(games, ids, size, seed, quick, extras) -> list[dict[str, Any]]:
    """TableNet against each learning receiver, and the three baselines on the same games.

    Every method's final scheme is scored the same way (:func:`learner_response`): a fresh
    receiver of the row's kind plays it for ``EVALUATION_EPOCHS`` epochs and the sender's
    utility against its action frequencies is the *actual* value. The baselines' own
    in-play value (their final greedy policies against their own receiver's, where that
    receiver may not yet have answered the final scheme) is kept beside it, and every scheme
    is also scored against the true best response.
    """
    from agents import make_receiver

    lp = _lp_values(games)
    baselines = _run_baselines(games, ids, size, seed, quick)
    config = _config("implicit", size, quick)
    epoch = _implicit_epoch(size, quick)
    labels = extras.get("receivers", DEFAULT_IMPLICIT_RECEIVERS)
    rows = []
    for label in labels:
        r_index = list(IMPLICIT_RECEIVERS).index(label)  # stable seeds whatever the selection
        receiver_name, options = IMPLICIT_RECEIVERS[label]
        start = time.perf_counter()
        result = _learn_implicit(
            games,
            make_receiver(receiver_name, **options),
            epoch,
            config,
            oracle_entropy=[seed, size, min(ids), 7, r_index],
            learner_seeds=_learner_seeds(seed, size, ids, salt=3 + r_index),
        )
        elapsed = time.perf_counter() - start

        receiver = make_receiver(receiver_name, **options)  # copied by each evaluation
        rounds = EVALUATION_EPOCHS * epoch
        evaluation_seeds = [[seed, size, min(ids), 8, r_index, k] for k in range(4)]
        learned = _actual_values(games, result.schemes, receiver, rounds, evaluation_seeds[0])
        against_baselines = {
            name: _actual_values(games, baselines[name]["scheme"], receiver, rounds, entropy)
            for name, entropy in zip(BASELINES, evaluation_seeds[1:], strict=True)
        }
        best_response = _true_values(games, result.schemes)
        for i, g in enumerate(ids):
            row = dict(
                size=size,
                game=g,
                receiver=label,
                learned_value=learned[i],
                predicted_value=result.predicted_values[i],
                observed_value=result.observed_values[i],
                best_response_value=best_response[i],
                lp_value=lp[i],
                ratio=learned[i] / lp[i],
                train_accuracy=result.train_accuracy[i],
                test_accuracy=result.test_accuracy[i],
                rounds=int(result.rounds[i]),
                epochs=result.epochs,
                epoch_rounds=epoch,
                time_s=elapsed / len(ids),
            )
            for name in BASELINES:
                row[name] = against_baselines[name][i]
                row[f"{name}_in_play"] = baselines[name]["in_play"][i]
                row[f"{name}_best_response"] = baselines[name]["best_response"][i]
            rows.append(row)
    return rows


def _learn_implicit(games, receiver, epoch: int, config, *, oracle_entropy, learner_seeds):
    """Algorithm 1 against ``receiver``, which keeps learning across epochs of ``epoch``
    rounds; the action counts of each epoch's second half are what the sender reads."""
    from agents.senders.tablenet import LearningReceiverOracle, run_algorithm1

    prior, u1, _ = _stack(games)
    oracle = LearningReceiverOracle(
        games,
        receiver,
        epoch_rounds=epoch,
        observe_fraction=0.5,
        seed=np.random.default_rng(oracle_entropy),
    )
    return run_algorithm1(oracle, prior, u1, config=config, seeds=learner_seeds)


def _actual_values(games, schemes: np.ndarray, receiver, rounds: int, entropy) -> np.ndarray:
    """``U1`` of each game's scheme against a fresh learner's settled play."""
    from agents.senders.tablenet import learner_response
    from persuasion_env import bayes

    prior, u1, _ = _stack(games)
    response = learner_response(
        games, schemes, receiver, rounds=rounds, seed=np.random.default_rng(entropy)
    )
    return bayes.expected_utility(prior, schemes, response, u1)


def _run_baselines(games, ids, size, seed, quick) -> dict[str, dict[str, np.ndarray]]:
    """Seed 000's baselines on the same games, through the engine (one batch of games):
    each one's final scheme, its in-play value and its value against the best response."""
    from persuasion_env import simulate

    rounds = 500 if quick else 50_000
    values = {}
    for name, (sender, receiver) in BASELINES.items():
        result = simulate(
            list(games),
            sender,
            receiver,
            rounds=rounds,
            runs=1,
            seed=np.random.default_rng([seed, size, min(ids), 11]),
        )
        values[name] = {
            "scheme": result.sender_policy,
            "in_play": np.asarray(result.final_sender_utility, dtype=float),
            "best_response": _true_values(games, result.sender_policy),
        }
    return values


_RUNNERS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "warmup": _run_warmup,
    "explicit": _run_explicit,
    "implicit": _run_implicit,
    "messages": _run_messages,
}


# ===================================================================== entry point


def run_experiment(
    name: str,
    *,
    sizes: Sequence[int] | None = None,
    games: int = 25,
    seed: int = 0,
    out_dir: str | os.PathLike[str] = "reproduce-seed000",
    quick: bool = False,
    progress: bool = True,
    batch: int | None = None,
    receivers: Sequence[str] | None = None,
):
    """Run one of seed 000's experiments and write its CSV, Markdown table and plots.

    Args:
        name: ``"warmup"``, ``"explicit"``, ``"implicit"``, ``"messages"`` (seed 000), or
            ``"oracle"`` (seed 004; delegated to :mod:`persuasion_env.oracle.experiments`).
        sizes: game sizes ``S = A`` (default 4, 8, ..., 32; ``messages``: 8 and 32).
        games: random games per size (the seed: 25).
        seed: seed of the games and of the learners.
        out_dir: output directory (created; must be writable). An existing
            ``<name>.csv`` there is resumed: its rows are kept and skipped.
        quick: tiny hyperparameters (smoke tests; results are not meaningful).
        progress: show a progress bar and print the timings.
        batch: games learned together (default: all remaining games of a size).
        receivers: ``implicit`` only: labels of :data:`IMPLICIT_RECEIVERS` (default
            :data:`DEFAULT_IMPLICIT_RECEIVERS`).

    Returns:
        The experiment's table (all rows, including resumed ones), a pandas DataFrame.

    Raises:
        ValueError: unknown experiment, bad sizes / games / seed, unwritable ``out_dir``.
    """
    if not isinstance(name, str) or name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of: {', '.join(EXPERIMENTS)}")
    games = check_int(games, "games", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    out = _check_out_dir(out_dir)
    if name == "oracle":
        return _run_oracle(out, seed=seed, quick=quick)
    sizes = _check_sizes(sizes, (8, 32) if name == "messages" else DEFAULT_SIZES)
    batch = games if batch is None else check_int(batch, "batch", minimum=1)
    extras: dict[str, Any] = {}
    if receivers is not None:
        if name != "implicit":
            raise ValueError("receivers applies to the implicit experiment only")
        receivers = list(dict.fromkeys(str(r).strip() for r in receivers))
        unknown = [r for r in receivers if r not in IMPLICIT_RECEIVERS]
        if unknown or not receivers:
            raise ValueError(
                f"receivers must be among {', '.join(IMPLICIT_RECEIVERS)}, got {receivers}"
            )
        extras["receivers"] = receivers

    import torch
    from tqdm.auto import tqdm

    path = out / f"{name}.csv"
    frame = _read_rows(path, name)
    done = _done_keys(frame, ("size", "game"))
    if name in ("implicit", "messages") and not frame.empty:
        # A game counts as done only when all of its rows (receivers / message counts) are.
        per_game = frame.groupby(["size", "game"]).size()
        expected = _rows_per_game(name, extras, quick)
        done = {key for key in done if per_game.get(key, 0) >= expected(key[0])}
    threads = torch.get_num_threads()
    # The tensors are small: one thread avoids oversubscription on a shared machine (run
    # experiments side by side instead).
    torch.set_num_threads(1)
    timings: list[str] = []
    try:
        bar = tqdm(total=len(sizes) * games, desc=f"reproduce {name}", disable=not progress)
        for size in sizes:
            todo = [g for g in range(games) if (size, g) not in done]
            bar.update(games - len(todo))
            if not todo:
                continue
            # Rows of a partly finished game (e.g. some receivers) are dropped and redone.
            if not frame.empty:
                frame = frame[~((frame["size"] == size) & frame["game"].isin(todo))]
            size_start = time.perf_counter()
            for first in range(0, len(todo), batch):
                ids = todo[first : first + batch]
                batch_games = [make_game(size, g, seed) for g in ids]
                rows = _RUNNERS[name](batch_games, ids, size, seed, quick, extras)
                frame = _replace_rows(path, frame, rows)
                bar.update(len(ids))
            line = (
                f"{name} {size}x{size}: {len(todo)} games in "
                f"{time.perf_counter() - size_start:.1f} s"
            )
            timings.append(line)
            if progress:
                bar.write(line)
        bar.close()
    finally:
        torch.set_num_threads(threads)
    frame = _read_rows(path, name)
    _write_outputs(name, frame, out, extras)
    if progress:
        print(f"wrote {path} and {name}.md / plots in {out}")
    return frame


def _rows_per_game(name: str, extras: dict, quick: bool) -> Callable[[int], int]:
    if name == "implicit":
        n = len(extras.get("receivers", DEFAULT_IMPLICIT_RECEIVERS))
        return lambda size: n
    if quick:
        return lambda size: len({1, 2, size})
    return lambda size: len(set(k for k in MESSAGE_COUNTS if k <= size) | {size})


def _replace_rows(path: Path, frame, rows: list[dict[str, Any]]):
    """Write ``frame`` plus ``rows`` to ``path`` atomically and return the new frame."""
    import pandas as pd

    new = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
    atomic_write_text(path, new.to_csv(index=False))
    return new


def _run_oracle(out: Path, *, seed: int, quick: bool):
    try:
        from persuasion_env.oracle.experiments import reproduce_oracle
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("persuasion_env.oracle"):
            raise ValueError(
                "the oracle experiments are not available in this installation"
            ) from None
        raise
    return reproduce_oracle(out, seed=seed, quick=quick)


# ========================================================================= outputs


def _write_outputs(name: str, frame, out: Path, extras: dict) -> None:
    if frame.empty:
        return
    import matplotlib

    matplotlib.use("Agg")
    table = {
        "warmup": _table_warmup,
        "explicit": _table_explicit,
        "implicit": _table_implicit,
        "messages": _table_messages,
    }[name](frame)
    atomic_write_text(out / f"{name}.md", table)
    {
        "warmup": _plot_warmup,
        "explicit": _plot_explicit,
        "implicit": _plot_implicit,
        "messages": _plot_messages,
    }[name](frame, out, extras)


def _save_figure(fig, path: Path) -> None:
    """Save a PNG atomically (a killed run never leaves half an image)."""
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=120, format="png")


def _fmt(x: float, digits: int = 4) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _table_warmup(frame) -> str:
    rows = []
    for size, group in frame.groupby("size"):
        rows.append(
            [
                f"{size}×{size}",
                str(len(group)),
                _fmt(group.learned_value.mean()),
                _fmt(group.predicted_value.mean()),
                _fmt(group.lp_value.mean()),
                _fmt(100 * group.learned_value.mean() / group.lp_value.mean(), 2),
                _fmt(100 * group.ratio.min(), 2),
                _fmt(group.time_s.mean(), 2),
            ]
        )
    header = [
        "size", "games", "learned (true BR)", "predicted (quantal)", "LP optimum", "%",
        "worst game %", "s / game",
    ]  # fmt: skip
    note = (
        "Warm-up (seed 000, Figure 2a): known quantal receiver model, scheme evaluated against "
        "the true best response. Seed: within about 4% of the LP optimum at 32×32.\n\n"
    )
    return note + _markdown(header, rows)


def _table_explicit(frame) -> str:
    rows = []
    for size, group in frame.groupby("size"):
        seed = SEED_TABLE1.get(int(size))
        rows.append(
            [
                f"{size}×{size}",
                str(len(group)),
                _fmt(group.train_accuracy.mean()),
                _fmt(group.test_accuracy.mean()),
                f"{_fmt(group.learned_value.mean())} "
                f"({_fmt(100 * group.learned_value.mean() / group.lp_value.mean(), 2)}%)",
                _fmt(group.predicted_value.mean()),
                _fmt(group.lp_value.mean()),
                _fmt(group.time_s.mean(), 2),
                "—" if seed is None else f"{seed[3]:.4f} / {seed[4]:.4f}",
                "—" if seed is None else f"{seed[0]:.4f} ({seed[2]:.2f}%)",
                "—" if seed is None else f"{seed[1]:.4f}",
            ]
        )
    header = [
        "size", "games", "train acc.", "test acc.", "sender utility (% of LP)", "predicted",
        "LP optimum", "s / game", "seed acc. train / test", "seed utility (%)", "seed LP",
    ]  # fmt: skip
    note = "Explicit commitment (seed 000, Table 1): rational receiver, utility unknown.\n\n"
    return note + _markdown(header, rows)


def _table_implicit(frame) -> str:
    out = [
        "Implicit commitment (seed 000, Table 2): a learning receiver that never sees the "
        "scheme.\nEvery method's final scheme is scored alike: *actual* = U1 against the action "
        "frequencies of a fresh receiver of the row's kind that has played the scheme for "
        f"{EVALUATION_EPOCHS} epochs (exploration included); *vs BR* = U1 against the true best "
        "response; *predicted* = TableNet's receiver model.\n"
    ]
    names = {"modelr": "ModelR", "info_q": "Info-Q", "info_policy": "Info-Policy"}
    header = [
        "size", "games", "predicted", "actual", "vs BR", *(names[b] for b in BASELINES),
        "actual − best baseline", "LP", "actual / LP", "s / game", "seed pred. / actual",
        "seed ModelR / Info-Q / Info-Policy",
    ]  # fmt: skip
    for receiver, by_receiver in frame.groupby("receiver", sort=False):
        rows, baseline_rows = [], []
        for size, group in by_receiver.groupby("size"):
            seed = SEED_TABLE2.get(int(size))
            best_baseline = max(group[b].mean() for b in BASELINES)
            rows.append(
                [
                    f"{size}×{size}",
                    str(len(group)),
                    _fmt(group.predicted_value.mean()),
                    _fmt(group.learned_value.mean()),
                    _fmt(group.best_response_value.mean()),
                    *(_fmt(group[b].mean()) for b in BASELINES),
                    _fmt(group.learned_value.mean() - best_baseline),
                    _fmt(group.lp_value.mean()),
                    f"{100 * group.learned_value.mean() / group.lp_value.mean():.1f}%",
                    _fmt(group.time_s.mean(), 2),
                    "—" if seed is None else f"{seed[1]:.4f} / {seed[0]:.4f}",
                    "—" if seed is None else " / ".join(f"{v:.4f}" for v in seed[2:]),
                ]
            )
            baseline_rows.append(
                [f"{size}×{size}"]
                + [
                    " / ".join(
                        _fmt(group[f"{b}{suffix}"].mean())
                        for suffix in ("", "_best_response", "_in_play")
                    )
                    for b in BASELINES
                ]
            )
        out.append(f"\n### receiver: {receiver}\n\n" + _markdown(header, rows))
        out.append(
            "\nThe baselines' final schemes three ways: actual / vs best response / in play "
            "(their final greedy policies against their own receiver's, which may not yet "
            "answer the final scheme).\n\n"
            + _markdown(["size", *(names[b] for b in BASELINES)], baseline_rows)
        )
    return "".join(out)


def _table_messages(frame) -> str:
    out = [
        "Restricted messages (seed 000, Figure 3): explicit commitment with M messages. "
        "MILP = exact optimum with M messages (status `time_limit`: best incumbent, a lower "
        f"bound; not run above {MILP_MAX_SIZE}×{MILP_MAX_SIZE}).\n"
    ]
    for size, by_size in frame.groupby("size"):
        full = by_size[by_size.n_messages == by_size.n_messages.max()].learned_value.mean()
        rows = []
        for k, group in by_size.groupby("n_messages"):
            solved = (group.milp_status == "optimal").sum()
            rows.append(
                [
                    str(k),
                    str(len(group)),
                    _fmt(group.learned_value.mean()),
                    _fmt(100 * group.learned_value.mean() / full, 2),
                    _fmt(group.milp_value.mean()),
                    f"{solved}/{len(group)}",
                    _fmt(group.ratio_to_milp.mean()),
                    _fmt(group.lp_value.mean()),
                ]
            )
        header = [
            "messages", "games", "learned", f"% of learned with {int(by_size.n_messages.max())}",
            "MILP", "MILP optimal", "learned / MILP", "LP (all messages)",
        ]  # fmt: skip
        out.append(f"\n### {size}×{size}\n\n" + _markdown(header, rows))
    return "".join(out)


def _by_size(frame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grouped = frame.groupby("size")[column]
    return np.array(sorted(frame["size"].unique())), grouped.mean().values, grouped.std().values


def _plot_warmup(frame, out: Path, extras: dict) -> None:
    import matplotlib.pyplot as plt

    sizes, learned, err = _by_size(frame, "learned_value")
    _, lp, _ = _by_size(frame, "lp_value")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.errorbar(sizes, learned, yerr=err, marker="o", capsize=3, label="TableNet (true BR)")
    ax.plot(sizes, lp, "k--", marker="s", label="LP optimum")
    ax.set(xlabel="game size", ylabel="sender reward", title="Warm-up (Figure 2a)")
    ax.legend()
    fig.tight_layout()
    _save_figure(fig, out / "warmup_fig2a.png")
    plt.close(fig)
    curve = extras.get("curve")
    curve_path = out / "warmup_curve.csv"
    if curve is not None:
        import pandas as pd

        size, points, lp_mean = curve
        table = pd.DataFrame(points, columns=["iteration", "true_value", "soft_value"])
        atomic_write_text(curve_path, table.assign(size=size, lp_value=lp_mean).to_csv(index=False))
    if curve_path.exists():
        import pandas as pd

        data = pd.read_csv(curve_path)
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(data.iteration, data.true_value, label="best scheme so far (true BR)")
        ax.axhline(data.lp_value.iloc[0], color="k", ls="--", label="LP optimum")
        size = int(data["size"].iloc[0])
        ax.set(
            xlabel="iterations",
            ylabel="sender reward",
            title=f"Warm-up convergence, {size}×{size} (Figure 2b)",
        )
        ax.legend()
        fig.tight_layout()
        _save_figure(fig, out / "warmup_fig2b.png")
        plt.close(fig)


def _plot_explicit(frame, out: Path, extras: dict) -> None:
    import matplotlib.pyplot as plt

    sizes, learned, err = _by_size(frame, "learned_value")
    _, lp, _ = _by_size(frame, "lp_value")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.errorbar(sizes, learned, yerr=err, marker="o", capsize=3, label="TableNet (explicit)")
    ax.plot(sizes, lp, "k--", marker="s", label="LP optimum")
    seed_sizes = [s for s in sizes if int(s) in SEED_TABLE1]
    ax.plot(seed_sizes, [SEED_TABLE1[int(s)][0] for s in seed_sizes], "r:", marker="x",
            label="seed Table 1")  # fmt: skip
    ax.set(xlabel="game size", ylabel="sender reward", title="Explicit commitment (Table 1)")
    ax.legend()
    fig.tight_layout()
    _save_figure(fig, out / "explicit_by_size.png")
    plt.close(fig)


def _plot_implicit(frame, out: Path, extras: dict) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for receiver, group in frame.groupby("receiver", sort=False):
        sizes, actual, _ = _by_size(group, "learned_value")
        ax.plot(sizes, actual, marker="o", label=f"TableNet vs {receiver}")
    for name in BASELINES:
        sizes, value, _ = _by_size(frame, name)
        ax.plot(sizes, value, ls=":", marker=".", label=name)
    seed_sizes = [s for s in sizes if int(s) in SEED_TABLE2]
    ax.plot(seed_sizes, [SEED_TABLE2[int(s)][0] for s in seed_sizes], "r--", marker="x",
            label="seed Table 2 (actual)")  # fmt: skip
    sizes, lp, _ = _by_size(frame, "lp_value")
    ax.plot(sizes, lp, "k--", label="LP optimum")
    ax.set(xlabel="game size", ylabel="sender reward", title="Implicit commitment (Table 2)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _save_figure(fig, out / "implicit_by_size.png")
    plt.close(fig)


def _plot_messages(frame, out: Path, extras: dict) -> None:
    import matplotlib.pyplot as plt

    for size, by_size in frame.groupby("size"):
        grouped = by_size.groupby("n_messages")
        ks = np.array(sorted(by_size.n_messages.unique()))
        fig, ax = plt.subplots(figsize=(5, 3.5))
        mean, std = grouped.learned_value.mean().values, grouped.learned_value.std().values
        ax.errorbar(ks, mean, yerr=std, marker="o", capsize=3, label="TableNet (explicit)")
        optimal = by_size[by_size.milp_status == "optimal"].groupby("n_messages")
        if len(optimal):
            counts = optimal.size()
            full = counts[counts == grouped.size().loc[counts.index]].index
            if len(full):
                ax.plot(full, optimal.milp_value.mean().loc[full].values, "ks", label="exact MILP")
        ax.axhline(by_size.lp_value.mean(), color="k", ls="--", label="LP (all messages)")
        ax.set_xscale("log", base=2)
        ax.set(xlabel="number of messages", ylabel="sender reward",
               title=f"Restricted messages, {size}×{size} (Figure 3)")  # fmt: skip
        ax.legend()
        fig.tight_layout()
        _save_figure(fig, out / f"messages_fig3_{size}x{size}.png")
        plt.close(fig)


# ======================================================================== command line


def _parse_sizes(text: str) -> list[int]:
    from persuasion_env._validation import parse_size_list  # the CLI's one size parser

    return [rows for rows, _ in parse_size_list(text, "--sizes", square=True)]


def _cmd_reproduce(args: argparse.Namespace) -> int:
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
    )
    if args.experiment != "oracle":
        print((Path(args.out) / f"{args.experiment}.md").read_text())
    else:
        print(f"{len(frame)} rows written to {args.out}")
    return 0


def add_reproduce_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``persuasion reproduce {warmup,explicit,implicit,messages,oracle}``."""
    p = subparsers.add_parser(
        "reproduce",
        help="reproduce the seed papers' tables and figures",
        description="Run one experiment of seed 000 (warmup, explicit, implicit, messages) or "
        "seed 004 (oracle); writes DIR/<experiment>.csv, a Markdown table and plots. "
        "Rerunning with the same --out resumes.",
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
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_reproduce)
    return p
