"""``persuasion/OracleQuery-v0`` speed: this checkout beside earlier revisions, in one run.

Issue 17 point 3 asks the random-game mode to run 10x faster than before the issue. Timed
configurations (``gymnasium.make`` with its default wrappers, 4 x 4 random games):

* ``random, sample()``: a fresh random 4 x 4 game at every reset, budget 2, actions from a
  seeded ``env.action_space.sample()`` (``numpy.int64``) drawn before the timing;
* ``random, masked``: the same env stepped as MaskablePPO does: ``action_masks()`` at every
  step (timed) and a random valid action (uniform draws made before the timing); revisions
  without ``action_masks`` show ``-``;
* ``fixed game``: "three-types", budget 2, ``sample()`` actions (one game solved once).

Every revision given with ``--against`` is extracted with ``git archive`` into a temporary
directory; each timing runs in a fresh subprocess with that copy (or this checkout) first on
``PYTHONPATH``, so that each measures its own code with the same harness. The repeats are
**interleaved** (every revision once, then again) and each figure is the **median** of steps
per CPU second of the subprocess (``time.process_time``), so the load of a shared machine
hits all revisions alike. The load average is printed with the table.

    python benchmarks/bench_oracle_env.py --against 8b0c4c3 ebd80fa   # ~3 min
    python benchmarks/bench_oracle_env.py --quick                        # this checkout only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: label -> (env kwargs, masked actions?)
CONFIGS: dict[str, tuple[dict[str, Any], bool]] = {
    "random 4x4, sample()": ({"game": None, "n_states": 4, "n_types": 4, "budget": 2}, False),
    "random 4x4, masked": ({"game": None, "n_states": 4, "n_types": 4, "budget": 2}, True),
    "fixed three-types, sample()": ({"game": "three-types", "budget": 2}, False),
}


def time_config(kwargs: dict[str, Any], masked: bool, steps: int, seed: int = 0) -> float | None:
    """Steps per CPU second of ``OracleQuery-v0(**kwargs)`` over ``steps`` steps (after a
    warm-up of 200), resetting at the end of each episode; None if ``masked`` and the env has
    no ``action_masks``."""
    import gymnasium
    import numpy as np

    import persuasion_env  # noqa: F401  (registers the ids)

    env = gymnasium.make("persuasion/OracleQuery-v0", **kwargs)
    masks = getattr(env.unwrapped, "action_masks", None)
    if masked and masks is None:
        return None
    env.action_space.seed(seed)
    sampled = [env.action_space.sample() for _ in range(steps + 200)]
    draws = np.random.default_rng(seed).random(steps + 200).tolist()
    step, reset = env.step, env.reset

    def run(lo: int, hi: int) -> float:
        reset(seed=seed + lo)
        start = time.process_time()
        for k in range(lo, hi):
            if masked:
                valid = np.flatnonzero(masks())
                action = valid[int(draws[k] * valid.size)]
            else:
                action = sampled[k]
            _, _, terminated, truncated, _ = step(action)
            if terminated or truncated:
                reset()
        return (hi - lo) / (time.process_time() - start)

    run(0, 200)  # warm-up: imports, compiled kernels, the fixed game's LPs
    return run(200, 200 + steps)


def worker(steps: int) -> None:
    """Time every configuration once with whatever ``persuasion_env`` is importable; print
    ``{"file": ..., "rates": {label: steps/s}}`` as JSON."""
    import persuasion_env

    rates = {label: time_config(kw, masked, steps) for label, (kw, masked) in CONFIGS.items()}
    print(json.dumps({"file": persuasion_env.__file__, "rates": rates}, allow_nan=False))


def extract(revision: str, into: Path) -> str:
    """``git archive`` of ``revision`` into ``into``; returns the revision's short hash."""
    short = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", revision],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return short


def timed_by(root: Path, steps: int) -> dict[str, float | None]:
    """One timing of every configuration in a subprocess importing the code under ``root``."""
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", "--steps", str(steps)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(root),
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    expected = root / "persuasion_env" / "__init__.py"
    if Path(result["file"]).resolve() != expected.resolve():  # pragma: no cover - set-up error
        raise RuntimeError(f"the worker imported {result['file']}, not {expected}")
    return result["rates"]


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", nargs="*", default=[], help="git revisions to time beside")
    parser.add_argument("--steps", type=int, default=2000, help="steps per timing")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (median)")
    parser.add_argument("--quick", action="store_true", help="500 steps, 2 repeats")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    steps, repeats = (500, 2) if args.quick else (args.steps, args.repeats)
    if args.worker:
        worker(steps)
        return {}
    with tempfile.TemporaryDirectory(prefix="bench-oracle-env-") as tmp:
        roots: dict[str, Path] = {}
        for revision in args.against:
            short = extract(revision, Path(tmp) / revision.replace("/", "_"))
            roots[short] = Path(tmp) / revision.replace("/", "_")
        roots["this checkout"] = ROOT
        samples: dict[str, dict[str, list[float | None]]] = {name: {} for name in roots}
        load_before = os.getloadavg()
        for _ in range(repeats):
            for name, root in roots.items():
                for label, rate in timed_by(root, steps).items():
                    samples[name].setdefault(label, []).append(rate)
        load_after = os.getloadavg()
    medians = {
        name: {
            label: statistics.median(rates) if None not in rates else float("nan")
            for label, rates in by_label.items()
        }
        for name, by_label in samples.items()
    }
    names = list(roots)
    print(
        f"OracleQuery-v0, steps per CPU second: medians of {repeats} interleaved repeats of "
        f"{steps:,} steps (one subprocess per timing);\nload average before "
        f"{load_before[0]:.2f} / after {load_after[0]:.2f} (1 min), {os.cpu_count()} CPUs"
    )
    header = f"{'configuration':30s}" + "".join(f"{name:>16s}" for name in names)
    if len(names) > 1:
        header += "".join(f"{'x ' + name:>12s}" for name in names[:-1])
    print(header)
    for label in CONFIGS:
        row = [medians[name][label] for name in names]
        line = f"{label:30s}" + "".join(f"{'-':>16s}" if v != v else f"{v:16,.0f}" for v in row)
        for v in row[:-1]:
            line += f"{'-':>12s}" if v != v else f"{row[-1] / v:11.1f}x"
        print(line)
    return medians


if __name__ == "__main__":
    main()
