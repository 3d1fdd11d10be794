"""Atomic file writes and strict JSON, shared by every module that writes results.

A file written here appears under its final name only when it is complete: the content goes
to a temporary file in the same directory (so the rename cannot cross file systems), is
flushed to disk, and is then moved over the target with :func:`os.replace`. A reader, or a
run killed at any moment, sees the old file or the new one, never a part of it.

JSON is always written with ``allow_nan=False``: ``NaN`` and ``Infinity`` are not JSON, and a
file another program cannot parse is a silent loss. Callers encode missing values as ``null``
(see :func:`nan_to_none`).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "markdown_table",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "nan_to_none",
]


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without an error the
    temporary file replaces ``path`` (atomically), otherwise it is removed.

    For writers that want a file name (``DataFrame.to_parquet``, ``Figure.savefig``; pass
    the format explicitly, the temporary name ends in ``.tmp``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as f:  # the writer closed it; make it durable
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never a part."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], value: Any, **kwargs: Any) -> None:
    """Write ``value`` as strict JSON (``allow_nan=False``) to ``path`` atomically.

    Raises:
        ValueError: if ``value`` holds NaN or infinity (encode them, e.g. with
            :func:`nan_to_none`, before writing).
    """
    atomic_write_text(path, json.dumps(value, allow_nan=False, **kwargs))


def nan_to_none(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, +-inf) replaced by ``None`` (JSON ``null``),
    recursively through mappings, lists and tuples."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nan_to_none(v) for v in value]
    return value


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown (GitHub) table of already formatted cells, one line per row, without a
    trailing newline: the one table writer of the reports (reproduce experiments, docs).

    >>> print(markdown_table(["size", "ratio"], [["4x4", "0.97"], ["8x8", "0.95"]]))
    | size | ratio |
    |---|---|
    | 4x4 | 0.97 |
    | 8x8 | 0.95 |
    """
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)
