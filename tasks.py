#!/usr/bin/env python3
"""Set up and run the project's jobs with nothing but Python 3.11.

    python3 tasks.py demo    # create .venv, install, run the main job
    python3 tasks.py test    # create .venv, install, run the test suite (what CI runs)
    python3 tasks.py docs    # build the documentation site into site/
    python3 tasks.py bench   # print the benchmarks
    python3 tasks.py mutate [--jobs N] [--survivors | --sample N | --report] [module...]

The virtual environment lives in ``.venv``; it is (re)installed when ``pyproject.toml``
changes. torch is installed as ``torch==2.13.0`` before the package, so pip takes the CPU
build and never the multi-GB CUDA one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
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
    """Lint (ruff check and format, import contracts), the whole test suite (examples
    included), then the docs build.

    pytest's exit code 5 (no tests collected) counts as a failure.
    """
    lint = ("persuasion_env", "agents", "tests", "benchmarks", "examples", "tasks.py")
    run(PYTHON, "-m", "ruff", "check", *lint)
    run(PYTHON, "-m", "ruff", "format", "--check", *lint)
    # The import contracts of pyproject.toml ([tool.importlinter]): persuasion_env never
    # imports agents, torch or SB3, and its modules respect DESIGN.md's layers.
    run(BIN / "lint-imports")
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


#: Reviewed surviving mutants that do not change behaviour (one name per line, "# why" after).
EQUIVALENT_MUTANTS = ROOT / "tests" / "mutation_equivalent.txt"


def _mutmut_config() -> dict:
    import tomllib  # Python >= 3.11, checked in setup()

    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]


def _module_path(name: str, known: list[str]) -> str:
    """``persuasion_env.bayes`` or ``persuasion_env/bayes.py`` -> the configured path."""
    path = name if name.endswith(".py") else name.replace(".", "/") + ".py"
    if path not in known:
        sys.exit(f"error: {name!r} is not configured for mutation; choose from {', '.join(known)}")
    return path


def _equivalent_mutants() -> set[str]:
    if not EQUIVALENT_MUTANTS.exists():
        return set()
    lines = EQUIVALENT_MUTANTS.read_text("utf-8").splitlines()
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


def _pending_sample(codes: dict, n: int, seed: int = 13) -> list[str]:
    """A seeded uniform sample of ``n`` mutants not yet run (exit code None)."""
    import random

    pending = sorted(k for k, v in codes.items() if v is None)
    return sorted(random.Random(seed).sample(pending, min(n, len(pending))))


def _mutate_module(
    path: str,
    cfg: dict,
    jobs: str,
    survivors: bool,
    sample: int | None = None,
    report: bool = False,
) -> tuple[dict, float]:
    """Run mutmut on one module in build/mutate/<module>/ (links to the sources and tests and a
    pyproject.toml that mutates only ``path`` and selects only its tests).

    ``survivors``: keep the last run of this module and run again only its surviving,
    untested and timed-out mutants against the current tests (copied afresh and mapped to
    the functions they call again); a killed mutant stays killed when tests are only added.
    ``sample``: with ``survivors``, also run a seeded uniform sample of that many of the
    mutants the last run did not reach (for a module too large to run in full).
    """
    work = ROOT / "build" / "mutate" / path.removesuffix(".py").replace("/", ".")
    meta_path = work / "mutants" / f"{path}.meta"
    if report:  # the table of the last run, with the current list of equivalent mutants
        if not meta_path.exists():
            sys.exit(f"error: no run of {path} in {work}")
        return json.loads(meta_path.read_text("utf-8"))["exit_code_by_key"], 0.0
    names: list[str] = []
    if survivors:
        if not meta_path.exists():
            sys.exit(f"error: --survivors needs a finished run of {path} in {work}")
        old = json.loads(meta_path.read_text("utf-8"))["exit_code_by_key"]
        # timeouts too: on a loaded machine a slow survivor can hit the wall-clock limit
        names = sorted(k for k, v in old.items() if v in (0, 5, 33, -24))
        names += _pending_sample(old, sample or 0)
        if not names:
            return old, 0.0
        # map every test to the functions it calls again: edited tests may call new ones
        (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    else:
        shutil.rmtree(work, ignore_errors=True)  # fresh: the test map must reflect current tests
        work.mkdir(parents=True)
        for name in [*cfg["source_paths"], "tests"]:
            (work / name).symlink_to(ROOT / name, target_is_directory=True)
    settings = {k: v for k, v in cfg.items() if k != "tests_by_module"}
    settings["only_mutate"] = [path]
    settings["pytest_add_cli_args_test_selection"] = cfg["tests_by_module"][path]
    lines = ["[tool.mutmut]"]
    lines += [f"{k} = {json.dumps(v, allow_nan=False)}" for k, v in settings.items()]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n", "utf-8")
    # hypothesis: fewer, derandomised examples (tests/conftest.py), so runs are repeatable
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}
    dotted = path.removesuffix(".py").replace("/", ".")
    cmd = [str(BIN / "mutmut"), "run", "--max-children", jobs, *(names or [dotted + ".*"])]
    shown = cmd if not names else [*cmd[:4], f"<{len(names)} named mutants>"]
    print(f"+ (cd {work.relative_to(ROOT)}; {' '.join(shown)})", flush=True)
    start = time.perf_counter()
    code = subprocess.call(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if code != 0:
        sys.exit(f"error: mutmut exited with {code} on {path}")
    meta = json.loads(meta_path.read_text("utf-8"))
    return meta["exit_code_by_key"], elapsed


def mutate(extra: list[str]) -> int:
    """Mutation testing with mutmut 3 (``[tool.mutmut]`` in pyproject.toml), then the score of
    each module: killed / (mutants - reviewed equivalent ones). Slow, so not part of ``test``.

    ``--jobs N`` sets the worker processes (default 2). Each module runs against the tests
    listed for it in ``[tool.mutmut.tests_by_module]``. ``--survivors`` runs only the mutants
    that survived the module's last run (after tests were added: much faster than a full run).
    ``--sample N`` (implies ``--survivors``) also runs a seeded random sample of N mutants the
    last (interrupted) run did not reach; the score is then over the mutants run ("run"
    column). ``--report`` runs nothing: the table of the last runs, with the current list of
    reviewed equivalent mutants. Exit code 1 if a module scores below 90 %.
    """
    jobs = "2"
    survivors = "--survivors" in extra
    report = "--report" in extra
    extra = [a for a in extra if a not in ("--survivors", "--report")]
    sample = None
    if "--sample" in extra:
        k = extra.index("--sample")
        sample = int(extra[k + 1])
        extra = extra[:k] + extra[k + 2 :]
        survivors = True
    if "--jobs" in extra:
        k = extra.index("--jobs")
        jobs = extra[k + 1]
        extra = extra[:k] + extra[k + 2 :]
    cfg = _mutmut_config()
    known = cfg["only_mutate"]
    paths = [_module_path(name, known) for name in extra] or known
    equivalent = _equivalent_mutants()
    rows = []
    for path in paths:
        codes, elapsed = _mutate_module(path, cfg, jobs, survivors, sample, report)
        killed = sum(v in (1, 3, 24, -24, 36, 152, 255) for v in codes.values())  # incl. timeout
        survived = sorted(k for k, v in codes.items() if v == 0)
        eq = sum(k in equivalent for k in survived)
        untested = sum(v in (5, 33) for v in codes.values())
        run = sum(v is not None for v in codes.values())  # < len(codes) after a partial run
        judged = run - eq
        score = 100.0 * killed / judged if judged else 100.0
        rows.append((path, len(codes), run, killed, len(survived), eq, untested, score, elapsed))
        for k in survived:
            if k not in equivalent:
                print(f"    survived: {k}")
        for k, v in sorted(codes.items()):
            if v in (5, 33):
                print(f"    no test: {k}")
    print(
        f"\n{'module':38} {'mutants':>7} {'run':>5} {'killed':>6} {'survived':>8} {'equiv.':>6} "
        f"{'no test':>7} {'score':>6} {'minutes':>7}"
    )
    for path, n, run, killed, surv, eq, untested, score, elapsed in rows:
        print(
            f"{path:38} {n:7d} {run:5d} {killed:6d} {surv:8d} {eq:6d} {untested:7d} "
            f"{score:5.1f}% {elapsed / 60:7.1f}"
        )
    return 0 if all(r[7] >= 90.0 for r in rows) else 1


TASKS = {"demo": demo, "test": test, "docs": docs, "bench": bench, "mutate": mutate}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    setup()
    return TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
