"""Checksums of the library's results, to show that a refactor changes no number (issue 14).

    python benchmarks/regression_checksums.py [--out FILE] [--compare FILE] [--keep DIR]

Runs, from the worktree this file sits in (``sys.executable -m persuasion_env.cli`` with that
worktree first on ``PYTHONPATH``, so the code measured is this checkout's, not an installed
copy's):

* a small tournament (5 senders incl. TableNet x 4 receivers, size 4, 2 games, 2 seeds,
  3000 rounds) with ``--jobs 1`` and again with ``--jobs 2``;
* ``persuasion reproduce <experiment> --quick`` for warmup, explicit, implicit, messages
  (sizes 3 and 4, 2 games) and oracle (it has no size or game options);
* ``benchmarks/baselines_table.py`` on its smallest settings.

and prints one line per output file: the SHA-256 of its content with the run-dependent parts
removed, and only those:

* CSV files: the columns ``wall_time``, ``time_s``, ``milp_time_s`` (any column named
  ``*time_s`` or ``wall_time``) are dropped; every other cell is kept as written.
* JSON files (the tournament's ``units/*.json``, ``tournament.json``, ``command.json``): keys
  named as above are dropped at any depth; the rest is re-serialised with the same values.
* ``tournament.json``: also its top-level ``code`` (the agents' code digests, which an edit
  that changes no number changes too).
* Markdown tables: the column headed ``s / game`` (seconds per game) is dropped.
* Standard output of the tournament: the output directory's path becomes ``<OUT>``; of
  ``baselines_table.py``: each row's trailing ``(N s)`` timing is dropped.
* PNG plots are hashed as they are (they are drawn from the data without any timing).

``--out FILE`` saves the checksums as JSON; ``--compare FILE`` compares them with a saved
run, names every file whose checksum differs, is missing or is new, and exits 1 if any does.

Saved runs: ``checksums_before.json`` (before issue 14's refactor; the refactor left all 79
identical), ``checksums_numba.json`` (after issue 15's documented change of random streams,
38 files differ from the first), ``checksums_main.json`` (the current reference: as
``checksums_numba.json`` plus the tournament's confidence intervals and ratings, which
changed only its ranking, stdout and plots). Compare a refactor with ``checksums_main.json``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOURNAMENT = [
    "tournament",
    "--senders",
    "info_q,modelr,lp_optimal,full_disclosure,tablenet:epoch_rounds=50",
    "--receivers",
    "q_learning,reinforce,fictitious_play,best_response",
    "--sizes",
    "4",
    "--games",
    "2",
    "--seeds",
    "2",
    "--rounds",
    "3000",
    "--quiet",
]
SEED000 = ("warmup", "explicit", "implicit", "messages")
REPRODUCE_OPTIONS = ["--quick", "--sizes", "3,4", "--games", "2", "--no-progress"]
BASELINES = ["--sizes", "4", "--games", "2", "--runs", "2", "--rounds", "2000"]

#: Run-dependent fields, dropped before hashing (CSV columns and JSON keys).
_TIME_FIELD = re.compile(r"(^wall_time$|time_s$)")
#: Run-dependent Markdown column headers.
_TIME_HEADERS = {"s / game"}
_BASELINE_TIMING = re.compile(r"\s+\(\d+ s\)$")


# ======================================================================= canonical forms


def canonical_csv(text: str) -> str:
    """The CSV without its timing columns; the other cells exactly as written."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    keep = [i for i, name in enumerate(rows[0]) if not _TIME_FIELD.search(name)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([row[i] for i in keep if i < len(row)])
    return out.getvalue()


def _drop_keys(value):
    if isinstance(value, dict):
        return {k: _drop_keys(v) for k, v in value.items() if not _TIME_FIELD.search(k)}
    if isinstance(value, list):
        return [_drop_keys(v) for v in value]
    return value


def canonical_json(text: str) -> str:
    """The JSON document without its timing keys (values and key order kept)."""
    return json.dumps(_drop_keys(json.loads(text)), indent=1, allow_nan=False)


def canonical_markdown(text: str) -> str:
    """The Markdown without the table columns headed ``s / game``."""
    out, drop, in_table = [], set(), False
    for line in text.split("\n"):
        if line.startswith("|"):
            cells = line.strip().strip("|").split("|")
            if not in_table:  # the header row of a new table
                drop = {i for i, c in enumerate(cells) if c.strip() in _TIME_HEADERS}
                in_table = True
            line = "|" + "|".join(c for i, c in enumerate(cells) if i not in drop) + "|"
        else:
            in_table = False
        out.append(line)
    return "\n".join(out)


def canonical_file(path: Path) -> bytes:
    """The bytes hashed for ``path`` (see the module docstring)."""
    data = path.read_bytes()
    if path.suffix == ".csv":
        return canonical_csv(data.decode()).encode()
    if path.name == "tournament.json":
        # The agents' code digests change with every edit of an agent, also with a refactor
        # that changes no number: what the checksums hold equal. Dropped (top level only).
        document = json.loads(data.decode())
        document.pop("code", None)
        return canonical_json(json.dumps(document, allow_nan=False)).encode()
    if path.suffix == ".json":
        return canonical_json(data.decode()).encode()
    if path.suffix == ".md":
        return canonical_markdown(data.decode()).encode()
    return data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ============================================================================== running


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["MPLBACKEND"] = "Agg"
    return env


def _run(args: list[str], label: str) -> str:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=_env(), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{label} failed (exit {done.returncode}):\n{done.stderr}")
    print(f"# {label}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return done.stdout


def _hash_dir(directory: Path, prefix: str, sums: dict[str, str]) -> None:
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.name.startswith("."):
            continue
        sums[f"{prefix}/{path.relative_to(directory).as_posix()}"] = sha256(canonical_file(path))


def checksums(work: Path) -> dict[str, str]:
    """Run every command into ``work`` and return ``{output name: sha256}``."""
    sums: dict[str, str] = {}
    cli = ["-m", "persuasion_env.cli"]
    for jobs in (1, 2):
        out = work / f"tournament_jobs{jobs}"
        stdout = _run([*cli, *TOURNAMENT, "--jobs", str(jobs), "--out", str(out)],
                      f"tournament --jobs {jobs}")  # fmt: skip
        sums[f"tournament_jobs{jobs}/stdout"] = sha256(stdout.replace(str(out), "<OUT>").encode())
        _hash_dir(out, f"tournament_jobs{jobs}", sums)
    for name in (*SEED000, "oracle"):
        out = work / f"reproduce_{name}"
        options = REPRODUCE_OPTIONS if name != "oracle" else ["--quick", "--no-progress"]
        _run([*cli, "reproduce", name, *options, "--out", str(out)], f"reproduce {name}")
        _hash_dir(out, f"reproduce_{name}", sums)
    stdout = _run([str(ROOT / "benchmarks" / "baselines_table.py"), *BASELINES], "baselines")
    lines = [_BASELINE_TIMING.sub("", line) for line in stdout.splitlines()]
    sums["baselines_table/stdout"] = sha256("\n".join(lines).encode())
    return sums


def _where() -> str:
    probe = "import agents, persuasion_env; print(persuasion_env.__file__, agents.__file__)"
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=_env(), capture_output=True, text=True
    ).stdout.strip()


def compare(sums: dict[str, str], saved: dict[str, str]) -> list[str]:
    """One line per difference between two runs' checksums (empty: identical)."""
    problems = []
    for name in sorted(set(sums) | set(saved)):
        if name not in sums:
            problems.append(f"MISSING {name} (in the saved run, not produced now)")
        elif name not in saved:
            problems.append(f"NEW     {name} (produced now, not in the saved run)")
        elif sums[name] != saved[name]:
            problems.append(f"DIFFERS {name}: {saved[name][:16]} -> {sums[name][:16]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="save the checksums to this JSON file")
    parser.add_argument(
        "--compare", help="compare with checksums saved by --out; exit 1 on a difference"
    )
    parser.add_argument(
        "--keep", help="write the outputs to this directory (default: a temporary one)"
    )
    args = parser.parse_args()
    print(f"# measuring {_where()}", file=sys.stderr)
    start = time.perf_counter()
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        sums = checksums(Path(args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="checksums-") as work:
            sums = checksums(Path(work))
    for name, digest in sums.items():
        print(f"{digest}  {name}")
    print(f"# {len(sums)} files in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps(sums, indent=1, allow_nan=False) + "\n")
    if args.compare:
        problems = compare(sums, json.loads(Path(args.compare).read_text()))
        for line in problems:
            print(line)
        verdict = f"{len(problems)} difference(s)" if problems else f"all {len(sums)} identical"
        print(f"compare with {args.compare}: {verdict}")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
