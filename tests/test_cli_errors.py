"""Every user mistake on the command line: exit status != 0, one line on stderr, no traceback.

Most cases call ``cli.main(argv)`` in-process (the same code path as the console script);
two run the real console entry point in a subprocess.
"""

import json
import subprocess
import sys

import pytest

from persuasion_env import PersuasionGame
from persuasion_env.cli import main
from persuasion_env.oracle import OracleGame


def run(capsys, argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, match, status=2):
    assert code == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("persuasion: error: "), err
    assert "Traceback" not in err
    assert match in lines[0], err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    (d / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (d / "truncated.json").write_text('{"prior": [0.5, 0.5')
    (d / "names.json").write_text(
        json.dumps({**PersuasionGame.example("prosecutor").to_dict(), "state_names": 5})
    )
    (d / "complex.json").write_text(
        json.dumps({**PersuasionGame.example("prosecutor").to_dict(), "prior": ["1j", 0]})
    )
    (d / "oracle_bad.json").write_text(
        json.dumps({**OracleGame.example("three-types").to_dict(), "joint_prior": [[1.0]]})
    )
    (d / "a_file").write_text("x")
    return d


USAGE = [
    # (argv, text the one line must contain)
    (
        ["solve", "--random", "1000000x1000000"],
        "--random 1000000x1000000: a 1000000x1000000 game is too large; at most 10,000,000 cells",
    ),
    (["solve", "--random", "4x"], "--random expects a size like 8x8"),
    (["solve", "--random", "-3x3"], "argument --random: expected one argument"),
    (["solve", "--random", "0x3"], "at least 1x1"),
    (["solve", "--random", "4x4", "--seed", "-1"], "--seed must be >= 0"),
    (["solve", "--random", "4x4", "--seed", "x"], "argument --seed: invalid int value"),
    (["solve", "--game", "prosecutor", "--messages", "0"], "--messages must be >= 1"),
    (["solve", "--game", "prosecutor", "--messages", "1.5"], "argument --messages"),
    (["solve", "--game", "prosecutor", "--margin", "nan"], "--margin must be finite"),
    (["solve", "--game", "prosecutor", "--margin", "-1"], "--margin must be >= 0"),
    (["solve", "--game", "prosecutor", "--margin", "100"], "margin"),
    (["solve", "--game", "prosecutor", "--time-limit", "0"], "--time-limit must be > 0"),
    (["solve", "--game", "prosecutor", "--time-limit", "inf"], "--time-limit must be finite"),
    (["solve", "--game", "nope"], "unknown example 'nope'"),
    (["solve", "--game", "prosecutor", "--random", "4"], "choose exactly one of"),
    (["solve"], "choose exactly one of"),
    (["solve", "--file", "{d}/none.json"], "none.json' does not exist"),
    (["solve", "--file", "{d}"], "is not a file"),
    (["solve", "--file", "{d}/binary.json"], "binary.json' is not UTF-8"),
    (["solve", "--file", "{d}/truncated.json"], "truncated.json': malformed game JSON"),
    (["solve", "--file", "{d}/names.json"], "names.json': state_names must be a sequence"),
    (["solve", "--file", "{d}/complex.json"], "complex.json': prior must contain real numbers"),
    (["solve", "--bogus"], "unrecognized arguments: --bogus"),
    (["solvee"], "invalid choice: 'solvee'"),
    (["oracle", "--random", "5by4"], "--random expects a size"),
    (["oracle", "--random", "100000x100000"], "too large"),
    (["oracle", "--example", "three-types", "--costs", "0.1"], "--costs must list T-1 = 2"),
    (["oracle", "--example", "three-types", "--costs", "0.1,nan"], "--costs contains NaN"),
    (["oracle", "--example", "three-types", "--costs", "0.1,-1"], "--costs must be non-negative"),
    (["oracle", "--example", "three-types", "--budget", "-2"], "--budget must be >= 0"),
    (["oracle", "--example", "three-types", "--eps", "-1"], "eps"),
    (["oracle", "--example", "nope"], "unknown example 'nope'"),
    (["oracle", "--seed", "-1", "--random", "3x3"], "--seed must be >= 0"),
    (["oracle", "--file", "{d}/none.json"], "oracle game file"),
    (["oracle", "--file", "{d}/binary.json"], "binary.json' is not UTF-8"),
    (["oracle", "--file", "{d}/names.json"], "names.json'"),
    (["oracle", "--file", "{d}/oracle_bad.json"], "oracle_bad.json': joint_prior must have"),
    (["tournament", "--resume"], "--resume needs --out"),
    (["tournament", "--sizes", "4x8"], "--sizes 4x8: only square sizes"),
    (["tournament", "--sizes", "4,x"], "--sizes expects a size"),
    (["tournament", "--sizes", ","], "--sizes expects a comma-separated list"),
    (["tournament", "--sizes", "100000"], "--sizes 100000: a 100000x100000 game is too large"),
    (["tournament", "--games", "0"], "--games must be >= 1"),
    (["tournament", "--seeds", "0"], "--seeds must be >= 1"),
    (["tournament", "--rounds", "0"], "--rounds must be >= 1"),
    (["tournament", "--rounds", "-5"], "--rounds must be >= 1"),
    (["tournament", "--jobs", "0"], "--jobs must be >= 1"),
    (["tournament", "--game-seed", "-1"], "--game-seed must be >= 0"),
    (["reproduce", "warmup", "--games", "0"], "--games must be >= 1"),
    (["reproduce", "warmup", "--seed", "-1"], "--seed must be >= 0"),
    (["tournament", "--senders", "nope"], "unknown sender 'nope'"),
    (["tournament", "--senders", ""], "--senders expects a comma-separated list"),
    (["tournament", "--senders", "lp_optimal:margin"], "expected name:key=value"),
    (["tournament", "--senders", "lp_optimal:margni=0.1"], "unknown keyword(s) margni"),
    (["tournament", "--senders", "q_learning:alpha=x"], "alpha must be a number"),
    (["tournament", "--senders", "info_q:initial_q=nan"], "initial_q must be finite"),
    (["tournament", "--receivers", "q_learning:alpha=true"], "alpha must be a number"),
    (["tournament", "--examples", "nope"], "unknown example 'nope'"),
    (["tournament", "--backend", "spark"], "argument --backend: invalid choice"),
    (["demo", "--rounds", "0"], "--rounds must be >= 1"),
    (["demo", "--jobs", "0"], "--jobs must be >= 1"),
    (["demo", "--out", "{d}/a_file"], "exists and is not a directory"),
    (["reproduce", "nope"], "argument experiment: invalid choice"),
    (["reproduce", "warmup", "--sizes", "4x5", "--out", "{d}/r"], "--sizes"),
    # red-team additions (issue 13 part 3)
    (
        ["solve", "--random", "3x3", "--messages", "1000000000"],
        "n_messages: a 3x1000000000 game is too large",  # was a 22 GiB allocation
    ),
    (
        ["solve", "--random", "3x3", "--margin", "1e9"],
        "no scheme is obedient with margin=1000000000.0",
    ),
    (["oracle", "--example", "three-types", "--eps", "0"], "--eps must be > 0"),
    (["oracle", "--example", "three-types", "--eps", "nan"], "--eps must be finite"),
    (["oracle", "--example", "three-types", "--costs", ""], "--costs must list T-1 numbers"),
    (
        ["oracle", "--example", "three-types", "--greedy", "--non-adaptive"],
        "--greedy cannot be combined with --non-adaptive",
    ),
    (
        ["oracle", "--example", "three-types", "--greedy", "--eps", "0.1"],
        "--greedy cannot be combined with --eps",
    ),
    (["tournament", "--sizes", ""], "--sizes expects a comma-separated list of sizes"),
    (["tournament", "--examples", ","], "--examples expects comma-separated example names"),
    (
        ["tournament", "--senders", "q_learning:alpha=0.1:alpha=0.2"],
        "--senders: option 'alpha' given twice",
    ),
    (["tournament", "--senders", "sb3:model={d}/none.zip"], "none.zip' does not exist"),
    (["envs", "--bogus"], "unrecognized arguments"),
    (["agents", "extra"], "unrecognized arguments"),
]


@pytest.mark.parametrize(
    ("argv", "match"), USAGE, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_user_mistakes_are_one_line(capsys, files, argv, match):
    argv = [a.format(d=files) for a in argv]
    code, out, err = run(capsys, argv)
    assert_one_line_error(code, err, match)
    assert out == ""


def test_solver_failure_is_one_line_with_status_1(capsys):
    # The MILP cannot find any scheme in a nanosecond: a RuntimeError, reported in one line.
    argv = ["solve", "--random", "4x4", "--messages", "3", "--time-limit", "1e-9"]
    code, out, err = run(capsys, argv)
    assert_one_line_error(code, err, "found no scheme within time_limit", status=1)


def test_memory_error_is_one_line(capsys, monkeypatch):
    import persuasion_env.solvers as solvers

    def explode(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.28 TiB")

    monkeypatch.setattr(solvers, "solve_commitment", explode)
    code, _, err = run(capsys, ["solve", "--game", "prosecutor"])
    assert_one_line_error(code, err, "out of memory (Unable to allocate 7.28 TiB)", status=1)


def test_a_bug_is_reported_as_one_line_and_shown_with_debug(capsys, monkeypatch):
    import persuasion_env.solvers as solvers

    def bug(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(solvers, "solve_commitment", bug)
    code, _, err = run(capsys, ["solve", "--game", "prosecutor"])
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith("persuasion: internal error: KeyError: 'oops' (this is a bug")
    with pytest.raises(KeyError):
        main(["solve", "--game", "prosecutor", "--debug"])
    monkeypatch.setenv("PERSUASION_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["solve", "--game", "prosecutor"])


def test_debug_reraises_user_errors(monkeypatch):
    with pytest.raises(ValueError, match="--margin must be >= 0"):
        main(["--debug", "solve", "--game", "prosecutor", "--margin", "-1"])


def test_warnings_are_one_line(capsys, monkeypatch):
    import warnings

    import persuasion_env.solvers as solvers

    real = solvers.solve_commitment

    def warn(*args, **kwargs):
        warnings.warn("time limit hit, best scheme returned", UserWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(solvers, "solve_commitment", warn)
    code, out, err = run(capsys, ["solve", "--game", "prosecutor", "--json"])
    assert code == 0 and json.loads(out)["sender_value"] == pytest.approx(0.6)
    assert err == "persuasion: warning: time limit hit, best scheme returned\n"


def test_help_and_version_still_exit_0(capsys):
    assert main(["--version"]) == 0
    assert main(["solve", "--help"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    "argv",
    [
        ["solve", "--random", "1000000x1000000"],
        ["solve", "--random", "4x4", "--messages", "3", "--time-limit", "1e-9"],
    ],
)
def test_console_entry_point_prints_no_traceback(argv):
    result = subprocess.run(
        [sys.executable, "-m", "persuasion_env.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("persuasion: error: ")
