"""Resuming a stored tournament: never stale rows, never a crash on a damaged file, the
configuration read back from the directory, and strict JSON on disk."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from agents.senders.baselines import InfoQSender
from persuasion_env._fingerprint import agent_fingerprint, default_fingerprint
from persuasion_env._io import atomic_path, atomic_write_json, atomic_write_text
from persuasion_env.cli import main
from persuasion_env.tournament import Tournament
from persuasion_env.tournament.store import UnitFileWarning


def small(**kwargs):
    options = dict(
        senders=["info_q", "lp_optimal"],
        receivers=["q_learning", "best_response"],
        games=["prosecutor"],
        sizes=[3],
        n_games=1,
        seeds=[0, 1],
        rounds=200,
    )
    options.update(kwargs)
    return Tournament(**options)


def table_bytes(result):
    return result.to_frame().drop(columns="wall_time").to_csv(index=False).encode()


@pytest.fixture(scope="module")
def reference():
    return table_bytes(small().play(progress=False))


# ------------------------------------------------------------------ damaged unit files


def test_damaged_unit_files_are_reported_and_replayed(tmp_path, reference):
    small().play(out=tmp_path, progress=False)
    paths = sorted((tmp_path / "units").glob("*.json"))
    assert len(paths) == 8
    truncated, empty, no_column, other_rows, wrong_type = paths[:5]
    truncated.write_text(truncated.read_text()[:-40])  # cut short, as by a full disk
    empty.write_text("{}")
    record = json.loads(no_column.read_text())
    del record["rows"][0]["lp_value"]
    no_column.write_text(json.dumps(record))
    record = json.loads(other_rows.read_text())
    record["rows"] = record["rows"][:1]  # a row is missing
    other_rows.write_text(json.dumps(record))
    record = json.loads(wrong_type.read_text())
    record["rows"][0]["sender_utility"] = "0.5"
    wrong_type.write_text(json.dumps(record))
    with pytest.warns(UnitFileWarning) as caught:
        resumed = small().play(out=tmp_path, resume=True, progress=False)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 5
    for path in paths[:5]:
        assert sum(str(path) in m for m in messages) == 1
    assert any("not valid JSON" in m for m in messages)
    assert any("lack lp_value" in m for m in messages)
    assert table_bytes(resumed) == reference
    for path in paths:  # replayed and rewritten whole
        assert json.loads(path.read_text())["unit"] == path.stem


def test_damaged_unit_file_is_one_warning_line_in_the_cli(tmp_path, capsys):
    args = ["tournament", "--quiet", "--senders", "info_q", "--receivers", "q_learning",
            "--sizes", "3", "--games", "1", "--seeds", "1", "--rounds", "50",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    first = pd.read_csv(tmp_path / "results.csv").drop(columns="wall_time")
    (unit,) = (tmp_path / "units").glob("*.json")
    unit.write_text(unit.read_text()[:10])
    capsys.readouterr()
    assert main(["tournament", "--quiet", "--out", str(tmp_path), "--resume"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("persuasion: warning: unit file ") and err.count("\n") == 1
    again = pd.read_csv(tmp_path / "results.csv").drop(columns="wall_time")
    pd.testing.assert_frame_equal(first, again)


class Flaky(InfoQSender):
    """Fails while the file ``switch`` exists (a transient failure, e.g. out of memory)."""

    name = "flaky"

    def __init__(self, switch):
        super().__init__()
        self.switch = str(switch)

    def act(self, states):
        if os.path.exists(self.switch):
            raise RuntimeError("transient")
        return super().act(states)


def test_failed_units_are_retried_on_resume(tmp_path):
    switch = tmp_path / "fail"

    def tournament():
        return small(senders={"flaky": Flaky(switch), "lp_optimal": "lp_optimal"})

    expected = table_bytes(tournament().play(progress=False))  # never fails
    switch.touch()
    failed = tournament().play(out=tmp_path / "run", progress=False)
    assert set(failed.failures["sender"]) == {"flaky"} and len(failed.failures) == 8
    switch.unlink()
    resumed = tournament().play(out=tmp_path / "run", resume=True, progress=False)
    assert resumed.failures.empty
    assert table_bytes(resumed) == expected


def test_unit_files_are_strict_json_and_nan_comes_back(tmp_path, reference):
    small().play(out=tmp_path, progress=False)

    def refuse(token):
        raise AssertionError(f"non-JSON token {token} in a unit file")

    nulls = 0
    for path in (tmp_path / "units").glob("*.json"):
        record = json.loads(path.read_text(), parse_constant=refuse)
        nulls += sum(row["obedience"] is None for row in record["rows"])
    assert nulls > 0  # info_q's messages are no recommendations: obedience is NaN
    resumed = small().play(out=tmp_path, resume=True, progress=False)
    assert table_bytes(resumed) == reference
    assert math.isnan(resumed.to_frame().query("sender == 'info_q'")["obedience"].iloc[0])
    json.loads((tmp_path / "tournament.json").read_text(), parse_constant=refuse)


# ------------------------------------------------------------------------ fingerprints


def test_learned_state_changes_the_fingerprint_and_refuses_the_resume(tmp_path):
    trained = InfoQSender()
    trained.alpha = 0.1  # the same options as a fresh one ...
    assert agent_fingerprint(trained) == agent_fingerprint(InfoQSender())
    trained.rng = np.random.default_rng(5)  # ... but another state
    assert agent_fingerprint(trained) != agent_fingerprint(InfoQSender())
    small(senders={"q": InfoQSender()}).play(out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="sender 'q' differs"):
        small(senders={"q": trained}).play(out=tmp_path, resume=True, progress=False)
    with pytest.raises(ValueError, match="sender 'q' differs"):
        small(senders={"q": InfoQSender(alpha=0.2)}).play(out=tmp_path, resume=True, progress=False)


class OwnFingerprint(InfoQSender):
    name = "own_fingerprint"
    version = "a"

    def fingerprint(self):
        return f"weights-{self.version}"


def test_an_agent_may_define_its_own_fingerprint(tmp_path):
    agent = OwnFingerprint()
    assert agent_fingerprint(agent) == "weights-a"
    assert default_fingerprint(agent) != "weights-a"
    small(senders={"x": agent}).play(out=tmp_path, progress=False)
    agent.version = "b"
    with pytest.raises(ValueError, match="sender 'x' differs"):
        small(senders={"x": agent}).play(out=tmp_path, resume=True, progress=False)
    agent.fingerprint = lambda: 3
    with pytest.raises(TypeError, match="must return a non-empty string"):
        agent_fingerprint(agent)


def test_fingerprints_are_the_same_in_every_process():
    code = (
        "from agents.registry import make_sender;"
        "from persuasion_env._fingerprint import agent_fingerprint;"
        "print(agent_fingerprint(make_sender('tablenet')))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2)
    }
    from agents.registry import make_sender

    assert outputs == {agent_fingerprint(make_sender("tablenet")) + "\n"}


# ------------------------------------------------------------------- the command line

CONFIG = ["--senders", "info_q,lp_optimal", "--receivers", "q_learning", "--sizes", "3",
          "--games", "1", "--seeds", "2", "--rounds", "100"]  # fmt: skip


def _cli(capsys, *args):
    status = main(["tournament", "--quiet", *args])
    return status, capsys.readouterr().err


def test_cli_resume_reads_the_stored_configuration(tmp_path, capsys):
    out = str(tmp_path / "run")
    env = {**os.environ, "PERSUASION_TOURNAMENT_KILL_AFTER_UNITS": "1"}
    killed = subprocess.run(
        [sys.executable, "-m", "persuasion_env.cli", "tournament", "--quiet", *CONFIG,
         "--out", out], env=env, capture_output=True,
    )  # fmt: skip
    assert killed.returncode < 0 and len(os.listdir(tmp_path / "run" / "units")) == 1
    assert _cli(capsys, "--out", out, "--resume") == (0, "")
    resumed = pd.read_csv(tmp_path / "run" / "results.csv").drop(columns="wall_time")
    assert _cli(capsys, *CONFIG, "--out", str(tmp_path / "whole")) == (0, "")
    whole = pd.read_csv(tmp_path / "whole" / "results.csv").drop(columns="wall_time")
    pd.testing.assert_frame_equal(resumed, whole)
    # Options equal to the stored ones are fine (whatever their spelling) ...
    same = ["--senders", "info_q, lp_optimal", "--rounds", "100", "--seeds", "2"]
    assert _cli(capsys, *same, "--jobs", "2", "--out", out, "--resume") == (0, "")
    # ... options that differ are refused, in one line.
    status, err = _cli(capsys, "--rounds", "5000", "--out", out, "--resume")
    assert status == 2 and err.count("\n") == 1
    assert "--rounds 5000 differs from the configuration stored in" in err
    assert "(--rounds 100)" in err
    status, err = _cli(capsys, "--senders", "info_q", "--out", out, "--resume")
    assert status == 2 and "--senders info_q differs" in err


def test_cli_resume_needs_out(capsys):
    status, err = _cli(capsys, "--resume")
    assert status == 2 and err.count("\n") == 1 and "--resume needs --out DIR" in err


def test_cli_resume_of_a_directory_the_cli_did_not_start(tmp_path, capsys):
    small().play(out=tmp_path, progress=False)
    status, err = _cli(capsys, "--out", str(tmp_path), "--resume")
    assert status == 2 and err.count("\n") == 1 and "give the original options" in err


def test_cli_resume_on_a_new_directory_starts_it(tmp_path, capsys):
    assert _cli(capsys, *CONFIG, "--out", str(tmp_path / "new"), "--resume") == (0, "")
    assert json.loads((tmp_path / "new" / "command.json").read_text())["rounds"] == 100


# ----------------------------------------------------------------------- atomic writes


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "table.csv"
    atomic_write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half a new fi")
        raise RuntimeError("killed")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["table.csv"]  # no temporary file left behind
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        atomic_write_json(target, {"x": float("nan")})
    assert target.read_text() == "old\n"


def test_cli_json_is_strict_when_a_value_is_undefined(capsys):
    # One match per sender: the spread of its ratio is undefined (NaN), printed as null.
    args = ["--json", "--senders", "info_q", "--receivers", "q_learning", "--sizes", "3",
            "--games", "1", "--seeds", "1", "--rounds", "20"]  # fmt: skip
    assert main(["tournament", "--quiet", *args]) == 0

    def refuse(token):
        raise AssertionError(f"{token} is not JSON")

    payload = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert payload["ranking"][0]["std_ratio"] is None
    assert payload["ranking"][0]["obedience"] is None  # info_q does not recommend
