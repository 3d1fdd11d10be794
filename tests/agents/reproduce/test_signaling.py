"""``persuasion reproduce signaling`` (Lin et al. 2023): Lin et al.'s loop, the quick run's
files and columns, resuming, and the published numbers it compares with."""

import numpy as np
import pandas as pd
import pytest

from agents import make_receiver, make_sender
from agents.reproduce.signaling import REQUIRED_COLUMNS, train_lin_schedule
from agents.reproduce.signaling.settings import PHI_REC_BAD, lin_value
from agents.senders.signaling_gradient import LIN_OPTIONS
from persuasion_env import PersuasionGame
from persuasion_env.cli import main

LETTER = PersuasionGame.example("recommendation_letter")


def test_lin_loop_updates_the_receiver_on_every_other_batch():
    # Lin et al.'s train.py: batch 1 -> receiver + sender's critics, batch 2 -> scheme.
    sender = make_sender("signaling_gradient", **LIN_OPTIONS)
    receiver = make_receiver("actor_critic")
    trace = train_lin_schedule(LETTER, sender, receiver, rounds=1000, runs=3, seed=0)
    assert trace.rounds == 1000  # 5 pairs of 100-round batches
    assert receiver.actor_adam.t == 5 and receiver.critic_adam.t == 5
    assert sender.critic_adam.t == 5 and sender.signal_adam.t == 5
    assert trace.curve.shape == (5, 3) and trace.tail_scheme.shape == (3, 2, 2)
    # the realised utility is a hiring rate
    assert ((trace.curve >= 0) & (trace.curve <= 1)).all()
    # rounds are rounded up to whole pairs of batches
    trace = train_lin_schedule(LETTER, sender, receiver, rounds=250, runs=1, seed=0)
    assert trace.rounds == 400


def test_their_published_grid_is_read_by_epsilon_and_lambda():
    assert lin_value(PHI_REC_BAD, 0.3, 5.0) == pytest.approx(0.48225)
    assert [lin_value(PHI_REC_BAD, e, 10.0) for e in (0, 0.15, 0.3, 0.45, 0.6)] == pytest.approx(
        [0.717, 0.500, 0.473, 0.363, 0.2525], abs=6e-4
    )  # MODEL.md C2's row at lambda = 10 (it rounds the file's 0.252533 to 0.250)
    assert np.isnan(lin_value(PHI_REC_BAD, 0.2, 5.0))


def test_quick_run_writes_csv_table_and_plot(tmp_path, capsys):
    out = tmp_path / "sig"
    assert main(["reproduce", "signaling", "--quick", "--out", str(out), "--no-progress"]) == 0
    frame = pd.read_csv(out / "signaling.csv")
    assert set(REQUIRED_COLUMNS) <= set(frame.columns)
    assert len(frame) == 2 * 2 * 2  # epsilon {0, 0.3} x lambda {0, 5} x 2 runs
    assert (frame["rounds"] == 2000).all()
    cell = frame[(frame.epsilon == 0.3) & (frame.lam == 5.0)]
    np.testing.assert_allclose(cell.lin_phi_rec_bad, 0.48225)
    for column in ("phi_rec_bad", "phi_rec_good", "hire_on_rec", "tail_sender_utility"):
        assert frame[column].between(0, 1).all()
    assert (frame.hire_on_rec >= frame.hire_on_other).all()  # "recommend" hires more
    text = (out / "signaling.md").read_text()
    assert "0.641 / 0.643 / 0.647" in text and "phi(recommend | bad)" in text
    assert (out / "signaling.png").stat().st_size > 0
    assert text in capsys.readouterr().out  # the CLI prints the table

    # A rerun resumes: nothing is recomputed, the rows are the same.
    before = (out / "signaling.csv").read_bytes()
    assert main(["reproduce", "signaling", "--quick", "--out", str(out), "--no-progress"]) == 0
    assert (out / "signaling.csv").read_bytes() == before


def test_other_rounds_in_the_same_directory_are_refused(tmp_path, capsys):
    out = tmp_path / "sig"
    args = ["reproduce", "signaling", "--quick", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    capsys.readouterr()
    assert main([*args, "--rounds", "4000"]) == 2
    err = capsys.readouterr().err.strip()
    assert "rounds" in err and len(err.splitlines()) == 1


def test_rounds_and_runs_are_for_the_signaling_experiment_only(tmp_path, capsys):
    assert main(["reproduce", "warmup", "--quick", "--out", str(tmp_path), "--rounds", "10"]) == 2
    assert "signaling experiment only" in capsys.readouterr().err


def test_lin_loop_refuses_a_sender_that_does_not_alternate():
    with pytest.raises(ValueError, match='schedule="alternate"'):
        train_lin_schedule(
            LETTER,
            make_sender("signaling_gradient"),
            make_receiver("actor_critic"),
            rounds=200,
            runs=1,
            seed=0,
        )
