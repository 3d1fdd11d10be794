"""On-disk state of a tournament: one file per finished unit, written atomically.

Layout of ``DIR``::

    tournament.json      what is being played (and its fingerprint)
    units/<id>.json      one finished unit: its rows and learning curve
    results.csv          the final table (written at the end)
    ranking.csv, summary.csv, *.png

A file appears under its final name only when complete (write to a temporary name in the
same directory, then ``os.replace``), so a run killed at any moment leaves either the whole
unit or nothing, and ``resume`` re-plays exactly the missing units.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class UnitStore:
    """The directory ``out`` of a tournament."""

    def __init__(self, out: str | Path, tournament: Any, *, resume: bool) -> None:
        self.root = Path(out)
        self.units_dir = self.root / "units"
        spec_path = self.root / "tournament.json"
        fingerprint = tournament.fingerprint()
        if spec_path.exists():
            try:
                stored = json.loads(spec_path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ValueError(
                    f"{spec_path} is unreadable ({exc}); choose another --out"
                ) from None
            if stored.get("fingerprint") != fingerprint:
                raise ValueError(
                    f"{self.root} holds the results of a different tournament (other agents, "
                    "games, seeds, rounds or options); choose another output directory"
                )
            if not resume:
                raise ValueError(
                    f"{self.root} already holds this tournament; pass resume=True (--resume) "
                    "to continue it, or choose another output directory"
                )
        else:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                atomic_write_text(
                    spec_path,
                    json.dumps(
                        {"fingerprint": fingerprint, **tournament.describe()},
                        indent=1,
                        allow_nan=False,
                    ),
                )
            except OSError as exc:
                raise ValueError(
                    f"cannot write the output directory {str(self.root)!r}: {exc}"
                ) from None

    def finished(self) -> dict[str, dict[str, Any]]:
        """The units already stored, by unit id."""
        outputs = {}
        if self.units_dir.is_dir():
            for path in sorted(self.units_dir.glob("*.json")):
                output = json.loads(path.read_text())
                outputs[output["unit"]] = output
        return outputs

    def write(self, output: dict[str, Any]) -> None:
        atomic_write_text(self.units_dir / f"{output['unit']}.json", json.dumps(output))

    def finish(self, result: Any) -> None:
        """Write the final table, the rankings and the plots."""
        result.save(self.root / "results.csv")
        atomic_write_text(self.root / "ranking.csv", result.ranking().to_csv())
        atomic_write_text(self.root / "summary.csv", result.summary().to_csv())
        result.plot(self.root)
