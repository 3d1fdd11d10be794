"""Every example runs (each in well under a minute by default, or with the short arguments
below: the RL training examples take minutes at their defaults)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

#: Short runs of the examples whose defaults train for minutes.
SHORT_ARGS = {
    "train_scheme_generalisation.py": ["--quick"],
    "rllib_two_policies.py": ["--iterations", "1", "--batch", "400"],
}
#: Starting Ray takes 10-60 s on a shared machine.
SLOW = {"rllib_two_policies.py"}


def test_there_are_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW else p for p in EXAMPLES],
    ids=lambda p: p.name,
)
def test_example_runs(path, tmp_path):
    # The checked-out packages first (not whichever copy is installed).
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, str(path), *SHORT_ARGS.get(path.name, [])],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
