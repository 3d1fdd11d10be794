import json
import subprocess
import sys

import pytest

from persuasion_env import PersuasionGame
from persuasion_env.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_solve_prosecutor_json(capsys):
    code, out, err = run_cli(capsys, "solve", "--game", "prosecutor", "--json")
    assert code == 0 and err == ""
    payload = json.loads(out)
    assert payload["sender_value"] == pytest.approx(0.6, abs=1e-9)
    assert payload["receiver_value"] == pytest.approx(0.7, abs=1e-9)
    assert payload["scheme"][0][1] == pytest.approx(3 / 7, abs=1e-9)


def test_solve_human_output_has_scheme_posteriors_and_ratio(capsys):
    code, out, _ = run_cli(capsys, "solve", "--game", "prosecutor")
    assert code == 0
    assert "Optimal scheme" in out and "p(guilty|m)" in out
    assert "ratio to full information       0.600000" in out


def test_solve_random_with_messages(capsys):
    code, out, _ = run_cli(
        capsys, "solve", "--random", "5x4", "--seed", "3", "--messages", "2", "--json"
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["method"] == "milp"
    assert len(payload["scheme"]) == 5 and len(payload["scheme"][0]) == 2


def test_solve_file(tmp_path, capsys):
    path = tmp_path / "game.json"
    PersuasionGame.example("recommendation_letter").save(path)
    code, out, _ = run_cli(capsys, "solve", "--file", str(path), "--json")
    assert code == 0 and json.loads(out)["sender_value"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["solve", "--random", "8x"], "expects a size like 8x8"),
        (["solve", "--random", "0x3"], "at least 1x1"),
        (["solve", "--random", "ax4"], "expects a size like 8x8"),
        (["solve", "--game", "nope"], "known examples: binary_threshold"),
        (["solve", "--file", "/no/such/game.json"], "does not exist"),
        (["solve"], "choose exactly one of"),
        (["solve", "--game", "prosecutor", "--messages", "0"], "--messages must be >= 1"),
    ],
)
def test_user_errors_are_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_malformed_json_file(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text("{oops")
    code, _, err = run_cli(capsys, "solve", "--file", str(path))
    assert code == 2 and "malformed game JSON" in err


def test_console_script_prints_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "persuasion_env.cli", "solve", "--random", "8x"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_envs_lists_ids(capsys):
    code, out, _ = run_cli(capsys, "envs")
    assert code == 0
    assert "persuasion/OracleQuery-v0" in out.split()


def test_demo_runs_a_small_tournament(capsys, tmp_path):
    code, out, _ = run_cli(
        capsys, "demo", "--out", str(tmp_path), "--rounds", "300", "--jobs", "1", "--quiet"
    )
    assert code == 0
    assert "Ranking of senders" in out and "lp_optimal(margin=0.1)" in out
    assert (tmp_path / "results.csv").is_file() and (tmp_path / "heatmap.png").is_file()


def test_agents_lists_senders_and_receivers_with_descriptions(capsys):
    code, out, _ = run_cli(capsys, "agents", "--json")
    assert code == 0
    rows = {(r["side"], r["name"]): r for r in json.loads(out)["agents"]}
    assert ("sender", "info_q") in rows and ("receiver", "q_learning") in rows
    code, out, _ = run_cli(capsys, "agents")
    assert "info_q" in out and "Info-Q" in out


def test_json_output_is_pure_json_in_a_fresh_process():
    # highspy >= 1.16 prints a banner on the C-level stdout at its first solver object.
    result = subprocess.run(
        [sys.executable, "-m", "persuasion_env.cli", "solve", "--random", "5x5", "--json"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["n_states"] == 5
