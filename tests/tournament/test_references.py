"""Tournament(references=True): the best fixed scheme per (receiver, game), regret and
information classes (MODEL.md C1), against hand-computed values.

Hand values (the prosecutor, prior guilty 0.3): without information the rational judge acquits, so
the no-information sender earns exactly 0 in every round and its regret is the best fixed value;
against the rational judge (best_response) the best member is the exact LP scheme (margin 0),
worth 0.6 in expectation.
"""

import math

import numpy as np
import pytest

from persuasion_env.tournament import COLUMNS, REFERENCE_COLUMNS, Tournament, TournamentResult

SENDERS = ["no_information", ("lp_optimal", {"margin": 0.05})]
RECEIVERS = ["best_response", "hedge"]


def tournament(**kwargs):
    return Tournament(
        SENDERS, RECEIVERS, games=["prosecutor"], seeds=[0, 1, 2], rounds=1500, **kwargs
    )


@pytest.fixture(scope="module")
def with_refs():
    return tournament(references=True).play(jobs=1, progress=False)


def test_off_by_default_leaves_the_table_as_it_was():
    t = tournament()
    assert t.reference_units() == []
    assert "references" not in t.describe()
    frame = t.play(jobs=1, progress=False).to_frame()
    assert list(frame.columns) == COLUMNS


def test_one_reference_per_receiver_and_game():
    t = tournament(references=True)
    refs = t.reference_units()
    assert len(refs) == len(RECEIVERS) * 1  # shared by both senders, all seeds
    assert {r.receiver.label for r in refs} == set(RECEIVERS)
    assert t.describe()["references"] is True


def probe_columns_and_hand_values(with_refs):
    frame = with_refs.to_frame()
    assert list(frame.columns) == COLUMNS + REFERENCE_COLUMNS
    assert (frame["status"] == "ok").all()
    rational = frame[frame["receiver"] == "best_response"]
    assert rational["best_fixed_scheme"].eq("lp_optimal:margin=0").all()
    # 3 runs x 300 tail rounds of a Bernoulli(0.6): standard error ~0.016.
    assert rational["best_fixed_value"].iloc[0] == pytest.approx(0.6, abs=0.06)
    # Against the rational judge (hedge explores, so it convicts now and then).
    silent = rational[rational["sender"] == "no_information"]
    assert (silent["tail_sender_utility"] == 0.0).all()
    np.testing.assert_array_equal(silent["regret"], silent["best_fixed_value"])
    assert (silent["ratio_best_fixed"] == 0.0).all()
    # One reference per (receiver, game): the same value on every row of that pair.
    assert frame.groupby("receiver")["best_fixed_value"].nunique().eq(1).all()
    for _, row in frame.iterrows():
        assert row["regret"] == pytest.approx(row["best_fixed_value"] - row["tail_sender_utility"])
        assert math.isclose(
            row["ratio_best_fixed"], row["tail_sender_utility"] / row["best_fixed_value"]
        )


def test_information_classes(with_refs):
    frame = with_refs.to_frame()
    by_sender = dict(zip(frame["sender"], frame["sender_information"], strict=False))
    assert by_sender == {
        "no_information": "black box",
        "lp_optimal(margin=0.05)": "full information",
    }
    by_receiver = dict(zip(frame["receiver"], frame["receiver_information"], strict=False))
    assert by_receiver == {"best_response": "full information", "hedge": "black box"}
    ranking = with_refs.ranking()
    assert {"ratio_best_fixed", "regret", "information"} <= set(ranking.columns)


def test_same_table_with_two_workers_and_after_resume(with_refs, tmp_path):
    parallel = tournament(references=True).play(jobs=2, progress=False, out=tmp_path / "t")
    cols = [c for c in parallel.to_frame().columns if c != "wall_time"]
    assert parallel.to_frame()[cols].equals(with_refs.to_frame()[cols])
    assert len(list((tmp_path / "t" / "units").glob("ref-*.json"))) == len(RECEIVERS)
    resumed = tournament(references=True).play(
        jobs=1, progress=False, out=tmp_path / "t", resume=True
    )
    assert resumed.to_frame()[cols].equals(with_refs.to_frame()[cols])
    loaded = TournamentResult.load(tmp_path / "t" / "results.csv").to_frame()
    assert list(loaded.columns) == COLUMNS + REFERENCE_COLUMNS
    np.testing.assert_allclose(loaded["regret"], with_refs.to_frame()["regret"])


def test_learning_vs_references_plot(with_refs, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    ax = with_refs.plot_learning_vs_references(["no_information"])
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"no_information", "best fixed scheme", "LP optimum"}
    # The dotted line is the mean best fixed value over (receiver, game), as a share of 0.6.
    frame = with_refs.to_frame().drop_duplicates("receiver")
    expected = (frame["best_fixed_value"] / 0.6).mean()
    assert lines["best fixed scheme"].get_ydata()[0] == pytest.approx(expected)
    # Restricted to the learner (the demo's plot): the line is hedge's best fixed value
    # alone, the curve the mean of hedge's curves only, the rounds on a log scale.
    ax = with_refs.plot_learning_vs_references(
        ["no_information"], receivers=["hedge"], log_rounds=True
    )
    lines = {line.get_label(): line for line in ax.get_lines()}
    hedge = frame[frame["receiver"] == "hedge"]["best_fixed_value"].iloc[0]
    assert lines["best fixed scheme"].get_ydata()[0] == pytest.approx(hedge / 0.6)
    curves = [
        np.asarray(c["sender_utility"]) / 0.6
        for c in with_refs.curves
        if (c["sender"], c["receiver"]) == ("no_information", "hedge")
    ]
    np.testing.assert_allclose(lines["no_information"].get_ydata(), np.mean(curves, axis=0))
    assert ax.get_xscale() == "log"
    paths = with_refs.plot(tmp_path)
    assert tmp_path / "learning_vs_references.png" in paths
    plain = tournament().play(jobs=1, progress=False)
    with pytest.raises(ValueError, match="references=True"):
        plain.plot_learning_vs_references()
    assert "learning_vs_references.png" not in [p.name for p in plain.plot(tmp_path / "p")]


def test_cli_references_are_stored_for_resume(capsys, tmp_path):
    import json

    from persuasion_env.cli import main

    out = str(tmp_path / "t")
    argv = ["tournament", "--senders", "no_information", "--receivers", "best_response",
            "--examples", "prosecutor", "--rounds", "300", "--seeds", "1", "--quiet"]  # fmt: skip
    assert main([*argv, "--references", "--out", out]) == 0
    first = capsys.readouterr().out
    assert "ratio_best_fixed" in first and "regret" in first
    assert json.loads((tmp_path / "t" / "command.json").read_text())["references"] is True
    # --resume alone replays the stored configuration, references included.
    assert main(["tournament", "--out", out, "--resume", "--quiet"]) == 0
    assert "ratio_best_fixed" in capsys.readouterr().out
    # Without --references nothing is stored and the ranking is as before.
    assert main([*argv, "--out", str(tmp_path / "plain")]) == 0
    assert "ratio_best_fixed" not in capsys.readouterr().out
    assert "references" not in json.loads((tmp_path / "plain" / "command.json").read_text())
    code = main(["tournament", "--out", str(tmp_path / "plain"), "--resume", "--references"])
    assert code != 0
    assert "without --references" in capsys.readouterr().err
