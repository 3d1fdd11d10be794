#!/usr/bin/env python3
"""Set up and run the project's jobs with nothing but Python 3.11.

    python3 tasks.py demo    # create .venv, install, run the main job
    python3 tasks.py test    # create .venv, install, run the test suite (what CI runs)
    python3 tasks.py docs    # build the documentation site into site/
    python3 tasks.py bench   # print the benchmarks

The virtual environment lives in ``.venv``; it is (re)installed when ``pyproject.toml``
changes. torch is installed as ``torch==2.13.0`` before the package, so pip takes the CPU
build and never the multi-GB CUDA one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
TORCH = "torch==2.13.0"
EXTRAS = "dev,docs"


def run(*cmd: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if check and code != 0:
        sys.exit(code)
    return code


def setup() -> None:
    """Create .venv and install the project (editable) with its dev extras, once per change."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may run on an older Python
        sys.exit(f"persuasion_env needs Python >= 3.11, this is {sys.version.split()[0]}")
    stamp_key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{stamp_key}"
    if stamp.exists():
        return
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = (PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q")
    run(*pip, TORCH)
    run(*pip, "-e", f".[{EXTRAS}]")
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def demo(extra: list[str]) -> int:
    """The main job: a small default tournament (ranking table and a plot)."""
    return run(BIN / "persuasion", "demo", *extra, check=False)


def test(extra: list[str]) -> int:
    """Lint, the whole test suite (examples included), then the docs build.

    pytest's exit code 5 (no tests collected) counts as a failure.
    """
    lint = ("persuasion_env", "agents", "tests", "benchmarks", "examples", "tasks.py")
    run(PYTHON, "-m", "ruff", "check", *lint)
    code = run(
        PYTHON,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--durations=15",
        *extra,
        check=False,
    )
    if code == 5:
        print("error: pytest collected no tests", file=sys.stderr)
        return 1
    if code != 0:
        return code
    return docs([])


def docs(extra: list[str]) -> int:
    """Build the documentation site into site/ (warnings are errors)."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    return run(
        PYTHON, "-m", "mkdocs", "build", "--strict", "--site-dir", "site", *extra, check=False
    )


def bench(extra: list[str]) -> int:
    code = 0
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        code |= run(PYTHON, script, *extra, check=False)
    return code


TASKS = {"demo": demo, "test": test, "docs": docs, "bench": bench}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    setup()
    return TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
