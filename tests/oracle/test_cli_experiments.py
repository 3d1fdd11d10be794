import argparse
import json

import pandas as pd
import pytest

from persuasion_env.cli_oracle import add_oracle_parser, run_oracle
from persuasion_env.reproduce.oracle import reproduce_oracle


def parse(argv):
    parser = argparse.ArgumentParser(prog="persuasion")
    sub = parser.add_subparsers(dest="command")
    add_oracle_parser(sub)
    return parser.parse_args(["oracle", *argv])


def test_json_output(capsys):
    assert run_oracle(parse(["--example", "three-types", "--budget", "2", "--json"])) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["value"] - 13 / 24) < 1e-9
    assert out["thresholds"] == [1, 2]


def test_human_table(capsys):
    run_oracle(parse(["--example", "three-types", "--budget", "1"]))
    text = capsys.readouterr().out
    assert "known-type value" in text and "0.500000" in text and "thresholds" in text


@pytest.mark.parametrize(
    "argv",
    [
        ["--random", "5x4", "--seed", "3", "--budget", "2", "--non-adaptive", "--json"],
        ["--random", "5x4", "--seed", "3", "--costs", "0.01,0.02,0.0", "--json"],
        ["--example", "greedy-trap", "--budget", "2", "--greedy", "--json"],
    ],
)
def test_variants_run(argv, capsys):
    assert run_oracle(parse(argv)) == 0
    assert "value" in json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "argv,match",
    [
        (["--random", "5by4"], "--random"),
        (["--example", "three-types", "--costs", "0.1"], "--costs must list"),
        (["--example", "three-types", "--costs", "0.1,x"], "--costs"),
        (["--example", "three-types", "--costs", "0.1,-1"], "--costs"),
        (["--example", "three-types", "--budget", "-2"], "--budget"),
        (["--example", "nope"], "unknown example"),
    ],
)
def test_user_errors_raise_valueerror(argv, match):
    with pytest.raises(ValueError, match=match):
        run_oracle(parse(argv))


def test_main_cli_dispatch():
    import subprocess
    import sys

    def cli(*argv):
        return subprocess.run(
            [sys.executable, "-m", "persuasion_env.cli", "oracle", *argv],
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = cli("--example", "three-types", "--budget", "2", "--json")
    assert ok.returncode == 0
    assert abs(json.loads(ok.stdout)["value"] - 13 / 24) < 1e-9
    bad = cli("--example", "three-types", "--costs", "1")
    assert bad.returncode != 0
    assert "costs" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_reproduce_oracle_writes_outputs(tmp_path):
    df = reproduce_oracle(tmp_path, seed=0, games=1, quick=True)
    csv = pd.read_csv(tmp_path / "oracle.csv")
    for col in ("experiment", "game", "budget", "value", "known_type_value"):
        assert col in csv.columns
    assert set(csv.experiment) == {"budget", "greedy", "rounding", "noisy"}
    assert (tmp_path / "oracle.md").exists() and (tmp_path / "oracle_budget.png").exists()
    b = df[(df.experiment == "budget") & (df.game == "three-types")].set_index("budget")
    assert abs(b.loc[2, "value"] - 13 / 24) < 1e-9
    assert (b.value <= b.known_type_value + 1e-9).all()
    noisy = df[df.experiment == "noisy"]
    assert (noisy.degradation <= noisy.bound + 1e-8).all()
    g = df[(df.experiment == "greedy") & (df.game == "greedy-trap")]
    assert float(g.greedy_gap.iloc[0]) > 0.03
