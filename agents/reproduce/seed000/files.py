"""Files of an experiment: the output directory, the sizes asked for, and the CSV that
is resumed (read, checked for its columns, rewritten atomically row batch by batch)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agents.reproduce.seed000.settings import (
    BASELINES,
)
from persuasion_env._io import atomic_write_text
from persuasion_env._validation import check_int


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


def _replace_rows(path: Path, frame, rows: list[dict[str, Any]]):
    """Write ``frame`` plus ``rows`` to ``path`` atomically and return the new frame."""
    import pandas as pd

    new = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
    atomic_write_text(path, new.to_csv(index=False))
    return new
