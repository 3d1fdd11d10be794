"""Tournaments: the table, determinism across workers and backends, resume, failures."""

import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from agents.base import Sender
from agents.senders.baselines import InfoQSender
from persuasion_env import PersuasionGame, solve_commitment
from persuasion_env.tournament import COLUMNS, Tournament, TournamentResult
from persuasion_env.tournament.core import KILL_AFTER_ENV


def small(**kwargs):
    options = dict(
        senders=["info_q", "lp_optimal", ("lp_optimal", {"margin": 0.1})],
        receivers=["q_learning", "best_response"],
        games=["prosecutor"],
        sizes=[3],
        n_games=2,
        seeds=[0, 1],
        rounds=400,
    )
    options.update(kwargs)
    return Tournament(**options)


def table_bytes(result: TournamentResult) -> bytes:
    # Wall time is the one column that cannot repeat; everything else must, to the byte.
    return result.to_frame().drop(columns="wall_time").to_csv(index=False).encode()


@pytest.fixture(scope="module")
def reference():
    return small().play(jobs=1, progress=False)


def test_one_row_per_match_with_the_promised_columns(reference):
    frame = reference.to_frame()
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 3 * 2 * 3 * 2
    assert set(frame["sender"]) == {"info_q", "lp_optimal", "lp_optimal(margin=0.1)"}
    assert (frame["status"] == "ok").all()
    np.testing.assert_allclose(frame["ratio"], frame["sender_utility"] / frame["lp_value"])
    prosecutor = frame[frame["game"] == "prosecutor"]
    np.testing.assert_allclose(prosecutor["lp_value"], 0.6)
    exact = frame[(frame["sender"] == "lp_optimal") & (frame["receiver"] == "best_response")]
    np.testing.assert_allclose(exact["ratio"], 1.0, atol=1e-9)
    game = PersuasionGame.random(3, 3, seed=3 * 1_000, name="x")
    assert frame.loc[frame["game"] == "random-3x3-0", "lp_value"].iloc[0] == pytest.approx(
        solve_commitment(game).sender_value
    )


def test_ranking_and_summary(reference):
    ranking = reference.ranking()
    assert list(ranking["rank"]) == [1, 2, 3]
    assert ranking["mean_ratio"].is_monotonic_decreasing
    summary = reference.summary()
    assert summary.shape == (3, 2)
    frame = reference.to_frame()
    cell = frame[(frame["sender"] == "info_q") & (frame["receiver"] == "q_learning")][
        "ratio"
    ].mean()
    assert summary.loc["info_q", "q_learning"] == pytest.approx(cell)


def test_same_table_with_two_workers(reference):
    assert table_bytes(small().play(jobs=2, progress=False)) == table_bytes(reference)


def test_same_table_with_ray(reference):
    pytest.importorskip("ray")
    assert table_bytes(small().play(jobs=2, backend="ray", progress=False)) == table_bytes(
        reference
    )


def test_save_and_load_csv_and_parquet(reference, tmp_path):
    for name in ("t.csv", "t.parquet"):
        reference.save(tmp_path / name)
        loaded = TournamentResult.load(tmp_path / name)
        pd.testing.assert_frame_equal(loaded.to_frame(), reference.to_frame(), check_dtype=False)


def test_plots_are_written(reference, tmp_path):
    paths = reference.plot(tmp_path)
    assert [p.name for p in paths] == [
        "heatmap.png",
        "distributions.png",
        "learning_curves.png",
        "ranking.png",
    ]
    assert all(p.stat().st_size > 1000 for p in paths)


class Exploding(InfoQSender):
    name = "exploding"

    def act(self, states):
        raise RuntimeError("boom in act")


def test_a_failing_agent_is_recorded_and_the_others_go_on():
    result = small(senders={"info_q": "info_q", "exploding": Exploding()}).play(progress=False)
    failed = result.failures
    assert set(failed["sender"]) == {"exploding"}
    assert (failed["error"] == "RuntimeError: boom in act").all()
    assert (result.to_frame().query("sender == 'info_q'")["status"] == "ok").all()


class OracleAgent(Sender):
    name = "oracle_thing"
    game = "oracle"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(senders=["nope"]), ValueError, "unknown sender 'nope'; known senders"),
        (dict(receivers=["nope"]), ValueError, "unknown receiver 'nope'"),
        (dict(senders=[]), ValueError, "senders must not be empty"),
        (dict(receivers=[]), ValueError, "receivers must not be empty"),
        (dict(senders=[OracleAgent()]), ValueError, "plays the oracle game"),
        (dict(games=["nope"]), ValueError, "unknown example 'nope'"),
        (dict(seeds=[]), ValueError, "seeds must not be empty"),
        (dict(seeds=[1, 1]), ValueError, "seeds must be distinct"),
        (dict(rounds=0), ValueError, "rounds must be >= 1"),
        (dict(senders=["info_q", "info_q"]), ValueError, "labels must be unique"),
        (
            dict(senders=[("fixed_scheme", {"scheme": [[1.0, 0.0]] * 3})]),
            ValueError,
            "scheme has 3 rows",
        ),
    ],
)
def test_bad_tournaments_are_refused_before_anything_runs(kwargs, error, match):
    with pytest.raises(error, match=match):
        small(**kwargs)


def test_resume_refuses_another_tournament_and_a_silent_overwrite(tmp_path):
    small().play(out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="already holds this tournament; pass resume=True"):
        small().play(out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="holds the results of a different tournament"):
        small(rounds=401).play(out=tmp_path, resume=True, progress=False)
    again = small().play(out=tmp_path, resume=True, progress=False)  # nothing left to play
    assert len(again.to_frame()) == 36
    assert (tmp_path / "results.csv").is_file() and (tmp_path / "heatmap.png").is_file()


def test_ray_missing_is_one_clear_line(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ValueError, match=r"pip install 'persuasion-env\[ray\]'"):
        small().play(backend="ray", progress=False)


TOURNAMENT = [sys.executable, "-m", "persuasion_env.cli", "tournament", "--quiet"]
CLI = [
    *TOURNAMENT,
    "--senders",
    "info_q,modelr,q_learning,lp_optimal",
    "--receivers",
    "q_learning,hedge,reinforce",
    "--sizes",
    "3,4,5",
    "--games",
    "2",
    "--seeds",
    "2",
    "--rounds",
    "1000",
]


def test_killed_and_resumed_run_gives_the_uninterrupted_table(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    subprocess.run([*CLI, "--out", str(whole)], check=True, capture_output=True)
    # The run SIGKILLs itself right after writing its 5th unit file (a testing hook): the
    # crash lands at the same point however loaded the machine is.
    env = {**os.environ, KILL_AFTER_ENV: "5"}
    killed = subprocess.run([*CLI, "--out", str(broken)], capture_output=True, env=env)
    assert killed.returncode == -signal.SIGKILL
    units = broken / "units"
    assert len(list(units.glob("*.json"))) == 5
    assert not (broken / "results.csv").exists()
    resumed = subprocess.run(
        [*CLI, "--out", str(broken), "--resume"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    a = pd.read_csv(whole / "results.csv").drop(columns="wall_time")
    b = pd.read_csv(broken / "results.csv").drop(columns="wall_time")
    assert (
        len(b) == 4 * 3 * 6 * 2 and not b.duplicated(["sender", "receiver", "game", "seed"]).any()
    )
    assert a.to_csv(index=False) == b.to_csv(index=False)
    assert len(list(units.glob("*.json"))) == 36 and not list(units.glob(".*tmp"))


def test_cli_reports_failures_in_its_exit_status(tmp_path):
    zero_seeds = "--senders info_q --receivers q_learning --rounds 10 --seeds 0".split()
    result = subprocess.run(
        [*TOURNAMENT, *zero_seeds],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "--seeds must be >= 1" in result.stderr
    result = subprocess.run(
        [*TOURNAMENT, "--senders", "nope"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "unknown sender 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_interactive_agent_classes_are_refused_before_workers_start():
    code = (
        "from agents.senders.baselines import InfoQSender\n"
        "from persuasion_env.tournament import Tournament\n"
        "class Mine(InfoQSender):\n"
        "    name = 'mine'\n"
        "t = Tournament({'mine': Mine()}, ['q_learning', 'hedge'], sizes=[3], rounds=10)\n"
        "try:\n"
        "    t.play(jobs=2, progress=False)\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "sender 'mine' is a class defined interactively (__main__)" in run.stdout
    assert "play with jobs=1" in run.stdout


def test_resume_refuses_units_computed_by_other_agent_code(tmp_path, monkeypatch):
    import json

    import persuasion_env.tournament.core as core

    small(rounds=300).play(out=tmp_path, progress=False)
    stored = json.loads((tmp_path / "tournament.json").read_text())
    assert stored["version"] == core.STORE_VERSION
    assert set(stored["code"]) == {
        "sender:info_q",
        "sender:lp_optimal",
        "sender:lp_optimal(margin=0.1)",
        "receiver:q_learning",
        "receiver:best_response",
    }
    real = core.agent_code_digest

    def edited(agent):  # as if Info-Q's update rule had been edited since the stored run
        return "edited" if isinstance(agent, InfoQSender) else real(agent)

    monkeypatch.setattr(core, "agent_code_digest", edited)
    with pytest.raises(ValueError, match=r"other code \(the code of sender info_q has changed\)"):
        small(rounds=300).play(out=tmp_path, resume=True, progress=False)
    monkeypatch.setattr(core, "agent_code_digest", real)
    # A directory written before the code digests were stored (its fingerprint hashed version 2).
    stored.update(version=2, fingerprint="0" * 64)
    del stored["code"]
    (tmp_path / "tournament.json").write_text(json.dumps(stored))
    with pytest.raises(ValueError, match="stored by layout version 2, this is 3"):
        small(rounds=300).play(out=tmp_path, resume=True, progress=False)
