"""``persuasion reproduce`` for seed 000: smoke runs, outputs, resume, bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

pytest.importorskip("torch")

from agents.reproduce import seed000  # noqa: E402
from persuasion_env.reproduce import run_experiment  # noqa: E402

REQUIRED = {"size", "game", "learned_value", "lp_value", "ratio", "predicted_value"}


@pytest.mark.parametrize("name", ["warmup", "explicit", "messages"])
def test_quick_run_writes_csv_table_and_plots(tmp_path, name):
    frame = run_experiment(name, sizes=[3], games=2, out_dir=tmp_path, quick=True, progress=False)
    assert REQUIRED <= set(frame.columns)
    on_disk = pd.read_csv(tmp_path / f"{name}.csv")
    assert REQUIRED <= set(on_disk.columns)
    assert sorted(on_disk.game.unique()) == [0, 1]
    assert (on_disk.ratio <= 1 + 1e-6).all() and (on_disk.ratio > 0).all()
    assert (tmp_path / f"{name}.md").read_text().count("|") > 10
    assert list(tmp_path.glob(f"{name}*.png"))
    if name == "messages":
        assert {"n_messages", "milp_value", "milp_status"} <= set(on_disk.columns)


def test_quick_implicit_run(tmp_path):
    frame = run_experiment(
        "implicit", sizes=[3], games=2, out_dir=tmp_path, quick=True, progress=False,
        receivers=["q_learning"],
    )  # fmt: skip
    baselines = {"modelr", "info_q", "info_policy"}
    assert REQUIRED | {"receiver", "best_response_value"} | baselines <= set(frame.columns)
    assert {f"{b}_in_play" for b in baselines} | {f"{b}_best_response" for b in baselines} <= set(
        frame.columns
    )
    assert len(frame) == 2
    # Against the best response nobody beats the LP optimum.
    for column in ["best_response_value", *(f"{b}_best_response" for b in baselines)]:
        assert (frame[column] <= frame.lp_value + 1e-6).all()
    assert "vs BR" in (tmp_path / "implicit.md").read_text()


def test_resume_keeps_finished_games(tmp_path, monkeypatch):
    original = seed000._RUNNERS["explicit"]
    calls = []

    def failing(games, ids, size, *args):
        calls.append((size, tuple(ids)))
        if size == 4:
            raise KeyboardInterrupt  # the run is interrupted during the second size
        return original(games, ids, size, *args)

    monkeypatch.setitem(seed000._RUNNERS, "explicit", failing)
    with pytest.raises(KeyboardInterrupt):
        run_experiment("explicit", sizes=[3, 4], games=2, out_dir=tmp_path, quick=True,
                       progress=False)  # fmt: skip
    kept = pd.read_csv(tmp_path / "explicit.csv")
    assert sorted(zip(kept["size"], kept.game, strict=True)) == [(3, 0), (3, 1)]
    assert not list(tmp_path.glob(".*.tmp"))

    monkeypatch.setitem(seed000._RUNNERS, "explicit", original)
    calls.clear()
    monkeypatch.setitem(seed000._RUNNERS, "explicit", lambda *a: calls.append(a[2]) or original(*a))
    frame = run_experiment("explicit", sizes=[3, 4], games=2, out_dir=tmp_path, quick=True,
                           progress=False)  # fmt: skip
    assert calls == [4]  # only the missing size was run
    assert len(frame) == 4
    pd.testing.assert_frame_equal(frame[frame["size"] == 3].reset_index(drop=True), kept)


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="unknown experiment"):
        run_experiment("table3", out_dir=tmp_path)
    with pytest.raises(ValueError, match="games"):
        run_experiment("warmup", games=0, out_dir=tmp_path)
    with pytest.raises(TypeError, match="sizes"):
        run_experiment("warmup", sizes="4", out_dir=tmp_path)
    with pytest.raises(ValueError, match="sizes"):
        run_experiment("warmup", sizes=[1], out_dir=tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="cannot be written"):
        run_experiment("warmup", sizes=[3], out_dir=blocker / "sub")
    with pytest.raises(ValueError, match="receivers"):
        run_experiment("implicit", sizes=[3], out_dir=tmp_path, receivers=["oracle"])


def test_cli_reports_errors_in_one_line(tmp_path):
    from persuasion_env.cli import main

    assert main(["reproduce", "warmup", "--sizes", "4x5", "--out", str(tmp_path)]) != 0


def test_importing_the_package_does_not_import_torch():
    code = (
        "import sys, persuasion_env, persuasion_env.reproduce, persuasion_env.cli; "
        "persuasion_env.cli.build_parser(); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ})
