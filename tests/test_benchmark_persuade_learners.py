"""benchmarks/persuade_learners.py: --jobs does not change the results; a cell is the match;
cells carry agent versions (stale ones refused, --recompute); the must-show checks by hand."""

from __future__ import annotations

import importlib
import json
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
    return pd.read_csv(out / "results.csv").drop(columns=["wall_time", "reference_wall_time"])


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


# ------------------------------------------------------------------ cache: versions, recompute


def _tiny(bench, out: Path, *extra: str) -> pd.DataFrame:
    argv = [
        "--rounds", "200", "--letter-rounds", "200", "--runs", "2", "--games", "1",
        "--senders", "q_learning,signaling_gradient", "--receivers", "hedge",
        "--suites", "recommendation letter,random 4x4", "--seed", "1",
        "--out", str(out), "--quiet", *extra,
    ]  # fmt: skip
    assert bench.main(argv) == 0
    return pd.read_csv(out / "results.csv").drop(columns=["wall_time", "reference_wall_time"])


def _cells(out: Path) -> dict[Path, dict]:
    return {p: json.loads(p.read_text()) for p in sorted((out / "cells").glob("*.json"))}


def test_cells_store_versions_and_stale_cells_are_refused_then_recomputed(bench, tmp_path):
    out = tmp_path / "run"
    first = _tiny(bench, out)
    cells = _cells(out)
    assert len(cells) == 2 * 2 + 2  # 2 senders x 2 games, one reference per game
    for cell in cells.values():
        assert set(cell["versions"]) in ({"sender", "receiver"}, {"receiver", "family", "margins"})
        assert cell["versions"]["receiver"]["name"] == "hedge"
    # a cell computed by another version of its sender's code
    path, cell = next((p, c) for p, c in cells.items() if "sender" in c["versions"])
    cell["versions"]["sender"]["code"] = "0" * 64
    cell["value"] = 123.0  # a result that must not be reported
    path.write_text(json.dumps(cell))
    with pytest.raises(SystemExit, match=r"stale cells.*sender \w+ \(code\): 1 cells"):
        _tiny(bench, out)
    again = _tiny(bench, out, "--recompute", "stale")
    pd.testing.assert_frame_equal(first, again)
    recomputed = json.loads(path.read_text())
    assert recomputed["versions"]["sender"]["code"] != "0" * 64
    assert recomputed["value"] != 123.0


def test_recompute_by_name_rewrites_only_that_senders_cells(bench, tmp_path):
    out = tmp_path / "run"
    _tiny(bench, out)
    before = {p: p.stat().st_mtime_ns for p in (out / "cells").glob("*.json")}
    for p in before:  # mark every cell so a rewrite shows
        cell = json.loads(p.read_text())
        cell["mark"] = True
        p.write_text(json.dumps(cell))
    _tiny(bench, out, "--recompute", "signaling_gradient")
    rewritten = {
        json.loads(p.read_text()).get("versions", {}).get("sender", {}).get("name", "reference")
        for p in before
        if "mark" not in json.loads(p.read_text())
    }
    assert rewritten == {"signaling_gradient"}
    with pytest.raises(SystemExit):
        bench.main(["--senders", "q_learning", "--recompute", "tablenet", "--out", str(out)])


# ------------------------------------------------------------------ must-show checks


def _frame() -> pd.DataFrame:
    """Two games x two receivers; black-box senders a and b, white-box w (best of all)."""
    rows = []
    values = {  # (game, receiver): best fixed, exact no information, realised no information
        ("g1", "r1"): (1.0, 0.5, 0.4),
        ("g1", "r2"): (0.8, 0.5, 0.45),
        ("g2", "r1"): (0.5, 0.2, 0.1),
        ("g2", "r2"): (0.4, 0.2, 0.3),
    }
    tail = {
        "a": {("g1", "r1"): 0.9, ("g1", "r2"): 0.8, ("g2", "r1"): 0.4, ("g2", "r2"): 0.25},
        "b": {("g1", "r1"): 0.5, ("g1", "r2"): 0.8, ("g2", "r1"): 0.5, ("g2", "r2"): 0.4},
        "w": {("g1", "r1"): 1.0, ("g1", "r2"): 0.8, ("g2", "r1"): 0.5, ("g2", "r2"): 0.4},
    }
    for sender, cells in tail.items():
        for (game, receiver), value in cells.items():
            best, exact, realised = values[(game, receiver)]
            rows.append(
                {
                    "suite": "random 4x4" if game == "g1" else "random 8x8",
                    "game": game,
                    "receiver": receiver,
                    "sender": "tablenet" if sender == "a" else sender,
                    "information": "white box" if sender == "w" else "black box",
                    "rounds": 100,
                    "runs": 4,
                    "value": value,
                    "ci_low": value - 0.1,
                    "ci_high": value + 0.1,
                    "lp_value": 1.0,
                    "best_fixed_value": best,
                    "best_fixed_scheme": "lp_optimal:margin=0.1",
                    "no_information_value": exact,
                    "no_information_realised": realised,
                    "ratio_lp": value / 1.0,
                    "ratio_best_fixed": value / best,
                    "best_fixed_ratio_lp": best,
                }
            )
    return pd.DataFrame(rows)


def test_must_show_picks_one_black_box_sender_by_its_mean_over_all_pairs(bench):
    report = importlib.import_module("persuade_learners_report")
    checks = report.must_show(_frame())
    best = checks["best_black_box"]
    # by hand: a (tablenet) 0.9, 1.0, 0.8, 0.625 -> mean 0.83125; b 0.5, 1, 1, 1 -> 0.875;
    # w is white box and is not a candidate though it is best everywhere
    assert best["sender"] == "b"
    assert list(best["ranking"]) == ["b", "tablenet"]
    assert best["mean_ratio_best_fixed"] == pytest.approx(0.875)
    assert best["min_ratio_best_fixed"] == pytest.approx(0.5)
    assert best["min_pair"] == "g1 vs r1"
    assert best["pairs_at_least_0.85"] == 3
    assert best["below_no_information_exact"] == {}  # 0.5 is not below 0.5
    assert best["below_no_information_realised"] == {}
    assert not best["met_mean"] and not best["met_min"] and best["met_no_information"]
    # TableNet: tail / LP over receivers: 4x4 (g1) (0.9 + 0.8) / 2, 8x8 (g2) (0.4 + 0.25) / 2
    assert checks["tablenet"]["random 4x4"]["ratio_lp"] == pytest.approx(0.85)
    assert checks["tablenet"]["random 8x8"]["ratio_lp"] == pytest.approx(0.325)
    assert checks["letter_actor_critic"] is None  # no letter in this frame
    # tablenet as the only black box: never below the exact no-information value, below the
    # realised one on g2 vs r2 (0.25 < 0.3)
    only = report.best_black_box(_frame().query("sender != 'b'"))
    assert only["sender"] == "tablenet"
    assert only["below_no_information_exact"] == {}
    assert only["below_no_information_realised"] == {"g2 vs r2": [0.25, 0.3]}
    text = report.must_show_markdown(checks)
    assert "Best black-box learned sender: b" in text and "**0.875**" in text
