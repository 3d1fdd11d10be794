""":func:`run_experiment`: one experiment end to end (resume, batches of games, outputs)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agents.reproduce.seed000.files import (
    _check_out_dir,
    _check_sizes,
    _done_keys,
    _read_rows,
    _replace_rows,
)
from agents.reproduce.seed000.plots import (
    _plot_explicit,
    _plot_implicit,
    _plot_messages,
    _plot_warmup,
)
from agents.reproduce.seed000.runners import _RUNNERS, make_game
from agents.reproduce.seed000.settings import (
    DEFAULT_IMPLICIT_RECEIVERS,
    DEFAULT_SIZES,
    EXPERIMENTS,
    IMPLICIT_RECEIVERS,
    MESSAGE_COUNTS,
)
from agents.reproduce.seed000.tables import (
    _table_explicit,
    _table_implicit,
    _table_messages,
    _table_warmup,
)
from persuasion_env._io import atomic_write_text
from persuasion_env._validation import check_int


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
    rounds: int | None = None,
    runs: int | None = None,
):
    """Run one of seed 000's experiments and write its CSV, Markdown table and plots.

    Args:
        name: ``"warmup"``, ``"explicit"``, ``"implicit"``, ``"messages"`` (seed 000),
            ``"oracle"`` (seed 004; delegated to :mod:`persuasion_env.reproduce.oracle`), or
            ``"signaling"`` (Lin et al. 2023; delegated to
            :mod:`agents.reproduce.signaling`).
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
        rounds, runs: ``signaling`` only: rounds per run (default 3e6) and runs per grid
            cell (default 4).

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
    if name != "signaling" and (rounds is not None or runs is not None):
        raise ValueError("rounds and runs apply to the signaling experiment only")
    if name == "oracle":
        return _run_oracle(out, seed=seed, quick=quick)
    if name == "signaling":
        from agents.reproduce.signaling import run_signaling

        return run_signaling(
            out, seed=seed, quick=quick, progress=progress, rounds=rounds, runs=runs
        )
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


def _run_oracle(out: Path, *, seed: int, quick: bool):
    try:
        from persuasion_env.reproduce.oracle import reproduce_oracle
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("persuasion_env.reproduce.oracle"):
            raise ValueError(
                "the oracle experiments are not available in this installation"
            ) from None
        raise
    return reproduce_oracle(out, seed=seed, quick=quick)


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
