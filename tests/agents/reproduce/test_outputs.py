"""``persuasion reproduce`` outputs: written atomically, and a foreign CSV refused cleanly."""

import os
from pathlib import Path

import pytest

pytest.importorskip("torch")

from agents.reproduce import seed000  # noqa: E402
from persuasion_env.cli import main  # noqa: E402
from persuasion_env.reproduce import run_experiment  # noqa: E402
from persuasion_env.reproduce.oracle import reproduce_oracle  # noqa: E402


@pytest.fixture
def replaced(monkeypatch):
    """The names of the files that reach their place through ``os.replace`` (atomically)."""
    names = []
    real = os.replace

    def record(src, dst, *args, **kwargs):
        names.append(Path(dst).name)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", record)
    return names


def test_reproduce_oracle_writes_every_file_atomically(tmp_path, replaced):
    reproduce_oracle(tmp_path, games=0, quick=True)
    written = {p.name for p in tmp_path.iterdir()}
    assert {"oracle.csv", "oracle.md", "oracle_budget.png"} <= written
    assert written <= set(replaced)
    assert not [name for name in written if name.endswith(".tmp")]


def test_seed000_tables_and_plots_are_written_atomically(tmp_path, replaced):
    frame = run_experiment("warmup", sizes=[3], games=1, out_dir=tmp_path, quick=True,
                           progress=False)  # fmt: skip
    written = {p.name for p in tmp_path.iterdir()}
    assert {"warmup.csv", "warmup.md", "warmup_fig2a.png"} <= written
    assert written <= set(replaced)
    # The columns a resume requires are the ones a run writes (the list is not stale).
    assert set(seed000.REQUIRED_COLUMNS["warmup"]) <= set(frame.columns)
    again = run_experiment("warmup", sizes=[3], games=1, out_dir=tmp_path, quick=True,
                           progress=False)  # fmt: skip
    assert len(again) == 1  # resumed, not refused


@pytest.mark.parametrize("name", ["warmup", "explicit", "implicit", "messages"])
def test_a_csv_without_the_experiments_columns_is_refused(tmp_path, name):
    (tmp_path / f"{name}.csv").write_text("size,game,other\n3,0,1.0\n")
    with pytest.raises(ValueError, match=rf"lacks the {name} column\(s\) learned_value, lp_value"):
        run_experiment(name, sizes=[3], games=1, out_dir=tmp_path, quick=True, progress=False)
    assert (tmp_path / f"{name}.csv").read_text() == "size,game,other\n3,0,1.0\n"


def test_cli_refuses_a_foreign_csv_in_one_line(tmp_path, capsys):
    (tmp_path / "warmup.csv").write_text("a,b\n1,2\n")
    args = ["reproduce", "warmup", "--sizes", "3", "--games", "1", "--quick", "--no-progress",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "lacks the warmup column(s) size, game, learned_value" in err
