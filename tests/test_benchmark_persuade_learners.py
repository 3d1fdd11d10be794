"""benchmarks/persuade_learners.py: --jobs does not change the results; a cell is the match."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pandas as pd
import pytest

from persuasion_env import PersuasionGame, simulate

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    # importable by name: the --jobs workers (spawned) import the module that defines the jobs
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("persuade_learners")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _run(bench, out: Path, jobs: int) -> pd.DataFrame:
    argv = [
        "--rounds", "300", "--letter-rounds", "300", "--runs", "2", "--games", "1",
        "--senders", "q_learning,info_q", "--receivers", "hedge,actor_critic",
        "--suites", "recommendation letter,random 4x4", "--seed", "3",
        "--jobs", str(jobs), "--out", str(out), "--quiet",
    ]  # fmt: skip
    assert bench.main(argv) == 0
    return pd.read_csv(out / "results.csv").drop(columns="wall_time")


def test_jobs_do_not_change_results(bench, tmp_path):
    one = _run(bench, tmp_path / "one", 1)
    two = _run(bench, tmp_path / "two", 2)
    assert len(one) == 2 * 2 * 2
    pd.testing.assert_frame_equal(one, two)
    # a cell is the plain match with the benchmark's seed: its tail metric, recomputed here
    row = one[(one["sender"] == "info_q") & (one["receiver"] == "hedge")].iloc[0]
    game = PersuasionGame.example("recommendation_letter")
    res = simulate(game, "info_q", "hedge", rounds=300, runs=2, seed=3)
    assert row["value"] == pytest.approx(res.tail_sender_utility, abs=1e-12)
