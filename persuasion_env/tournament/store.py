"""On-disk state of a tournament: one file per finished unit, written atomically.

Layout of ``DIR``::

    tournament.json      what is being played (and its fingerprint), the agents' code digests
    units/<id>.json      one finished unit: its rows and learning curve
    results.csv          the final table (written at the end)
    ranking.csv, summary.csv, *.png

A file appears under its final name only when complete (write to a temporary name in the
same directory, then ``os.replace``), so a run killed at any moment leaves either the whole
unit or nothing, and ``resume`` re-plays exactly the missing units.

A directory is resumed only by the same tournament (same fingerprint) whose agents run the
same code (``code``: :func:`~persuasion_env._code_digest.agent_code_digest` of each agent,
so an edited update rule never mixes with results of the old one).

On ``resume`` a unit file is reused only if it is the complete, successful record of that
unit: a file that cannot be parsed, lacks a row or a column, or whose matches failed is
reported (one warning) or silently retried (failures) and replayed.

JSON is strict (no ``NaN`` tokens): missing values are stored as ``null`` and read back as NaN.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from persuasion_env._io import atomic_write_json, atomic_write_text, nan_to_none

__all__ = ["UnitFileWarning", "UnitStore", "atomic_write_text", "read_spec"]

#: Row fields that hold numbers (``null`` in the file is read back as NaN).
_NUMERIC = (
    "sender_utility",
    "receiver_utility",
    "lp_value",
    "ratio",
    "realised_sender_utility",
    "realised_receiver_utility",
    "obedience",
    "first_best_rate",
    "wall_time",
)


class UnitFileWarning(UserWarning):
    """A stored unit file could not be reused; the unit is played again."""


class UnitStore:
    """The directory ``out`` of a tournament."""

    def __init__(self, out: str | Path, tournament: Any, *, resume: bool) -> None:
        self.root = Path(out)
        self.units_dir = self.root / "units"
        spec_path = self.root / "tournament.json"
        description = tournament.describe()
        fingerprint = tournament.fingerprint()
        if spec_path.exists():
            stored = read_spec(self.root)
            if stored.get("fingerprint") != fingerprint:
                raise ValueError(
                    f"{self.root} holds the results of a different tournament "
                    f"({_difference(stored, description)}); choose another output directory"
                )
            changed = _changed_code(stored.get("code"), tournament.code_versions())
            if changed:
                raise ValueError(
                    f"{self.root} holds results computed by other code ({changed}); "
                    "choose another output directory"
                )
            if not resume:
                raise ValueError(
                    f"{self.root} already holds this tournament; pass resume=True (--resume) "
                    "to continue it, or choose another output directory"
                )
        elif resume and self.root.is_dir() and any(self.units_dir.glob("*.json")):
            raise ValueError(f"{self.root} has unit files but no tournament.json; cannot resume")
        else:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                atomic_write_json(
                    spec_path,
                    {
                        "fingerprint": fingerprint,
                        **description,
                        "code": tournament.code_versions(),
                    },
                    indent=1,
                )
            except OSError as exc:
                raise ValueError(
                    f"cannot write the output directory {str(self.root)!r}: {exc}"
                ) from None

    def finished(self, expected: dict[str, list[tuple[str, str, str, int]]]) -> dict[str, Any]:
        """The stored units worth keeping, by unit id.

        Args:
            expected: for each unit id of the tournament, its matches
                ``(sender, receiver, game, seed)``.

        A file is kept only if it parses, names its own unit, and holds exactly the unit's
        matches with every column, all played successfully. A corrupt file is reported with
        one :class:`UnitFileWarning` and replayed; failed matches are replayed silently (a
        failure may have been transient, e.g. memory), so they are never permanent.
        """
        outputs = {}
        for unit_id, matches in expected.items():
            path = self.units_dir / f"{unit_id}.json"
            if not path.exists():
                continue
            try:
                output = _read_unit(path, unit_id, matches)
            except ValueError as exc:
                warnings.warn(
                    f"unit file {path} is unusable ({exc}); replaying that unit",
                    UnitFileWarning,
                    stacklevel=3,
                )
                continue
            if all(row["status"] == "ok" for row in output["rows"]):
                outputs[unit_id] = output
        return outputs

    def write(self, output: dict[str, Any]) -> None:
        atomic_write_json(self.units_dir / f"{output['unit']}.json", nan_to_none(output))

    def finish(self, result: Any) -> None:
        """Write the final table, the rankings and the plots."""
        result.save(self.root / "results.csv")
        atomic_write_text(self.root / "ranking.csv", result.ranking().to_csv())
        atomic_write_text(self.root / "summary.csv", result.summary().to_csv())
        try:
            ratings = result.ratings()
        except ValueError:  # every task had a failed match: nothing to rate
            ratings = None
        if ratings is not None:
            atomic_write_text(self.root / "ratings.csv", ratings.to_csv())
        result.plot(self.root)


def read_spec(root: str | Path) -> dict[str, Any]:
    """The stored ``tournament.json`` of ``root``.

    Raises:
        ValueError: if it is missing, unreadable or not a tournament description.
    """
    path = Path(root) / "tournament.json"
    if not path.is_file():
        raise ValueError(f"{root} holds no tournament (no tournament.json)")
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is unreadable ({exc}); choose another --out") from None
    if not isinstance(stored, dict) or "fingerprint" not in stored:
        raise ValueError(f"{path} is not a tournament description; choose another --out")
    return stored


def _difference(stored: dict[str, Any], current: dict[str, Any]) -> str:
    """A short account of what differs between two tournament descriptions."""
    from persuasion_env.tournament.core import STORE_VERSION

    if stored.get("version") != STORE_VERSION:
        return f"stored by layout version {stored.get('version')}, this is {STORE_VERSION}"
    for side in ("senders", "receivers"):
        old = {e.get("label"): e for e in stored.get(side, []) if isinstance(e, dict)}
        new = {e["label"]: e for e in current[side]}
        if list(old) != list(new):
            return f"{side} {list(old)} there, {list(new)} now"
        for label, entry in new.items():
            if old[label] != json.loads(json.dumps(entry, allow_nan=False)):
                return (
                    f"{side[:-1]} {label!r} differs: its class, options, model or learned "
                    "state changed"
                )
    for key, what in (
        ("games", "games"),
        ("seeds", "seeds"),
        ("rounds", "rounds"),
        ("options", "options"),
        ("package_version", "package version"),
    ):
        if stored.get(key) != json.loads(json.dumps(current[key], allow_nan=False)):
            return f"other {what}"
    return "other settings"


def _changed_code(stored: Any, current: dict[str, str]) -> str:
    """Which agents' code differs from the stored digests (empty when none does)."""
    if not isinstance(stored, dict):
        return "no code digests stored"
    changed = [key.replace(":", " ", 1) for key in current if stored.get(key) != current[key]]
    return f"the code of {', '.join(changed)} has changed" if changed else ""


def _read_unit(path: Path, unit_id: str, matches: list[tuple[str, str, str, int]]) -> dict:
    """Parse and check one unit file; raises ValueError saying what is wrong."""
    from persuasion_env.tournament.result import COLUMNS

    try:
        output = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(output, dict) or output.get("unit") != unit_id:
        raise ValueError("it is not the record of this unit")
    rows = output.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError("it has no list of rows")
    missing = sorted({c for r in rows for c in COLUMNS if c not in r})
    if missing:
        raise ValueError(f"rows lack {', '.join(missing)}")
    found = sorted((r["sender"], r["receiver"], r["game"], r["seed"]) for r in rows)
    if found != sorted(matches):
        raise ValueError(f"{len(rows)} rows do not match the unit's {len(matches)} matches")
    for row in rows:
        for column in _NUMERIC:
            if row[column] is None:
                row[column] = float("nan")
            elif not isinstance(row[column], int | float) or isinstance(row[column], bool):
                raise ValueError(f"{column} is not a number")
    curve = output.get("curve")
    if curve is not None:
        if not isinstance(curve, dict):
            raise ValueError("its learning curve is malformed")
        output["curve"] = _nan_back(curve)
    return output


def _nan_back(value: Any) -> Any:
    if value is None:
        return float("nan")
    if isinstance(value, dict):
        return {k: _nan_back(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_back(v) for v in value]
    return value
