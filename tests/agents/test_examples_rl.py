"""The RL examples: the scheme-generalisation evaluation against hand-computed 2x2 values,
short runs of the generalisation and RLlib examples."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from persuasion_env import PersuasionGame

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generalisation():
    pytest.importorskip("stable_baselines3")
    return _example("train_scheme_generalisation")


# Prosecutor: prior (0.7 innocent, 0.3 guilty); the sender gets 1 for "convict"; the receiver
# gets 1 for the right verdict. The LP scheme sends "convict" from the guilty always and from
# the innocent with probability 3/7, so the posterior after "convict" is exactly 1/2 (a tie,
# broken in the sender's favour): value 0.3 + 0.7 * 3/7 = 0.6.
LP_SCHEME = np.array([[4 / 7, 3 / 7], [0.0, 1.0]])


def test_evaluation_against_hand_computed_prosecutor_values(generalisation):
    prosecutor = PersuasionGame.example("prosecutor")
    assert generalisation.best_response_value(prosecutor, LP_SCHEME) == pytest.approx(0.6)
    # Slightly more "convict" from the innocent: posterior 0.3 / (0.3 + 0.7 * 0.5) < 1/2,
    # so the best response acquits after "convict" and the sender gets nothing.
    overreach = np.array([[0.5, 0.5], [0.0, 1.0]])
    assert generalisation.best_response_value(prosecutor, overreach) == pytest.approx(0.0)
    result = generalisation.evaluate(
        lambda games: np.stack([LP_SCHEME, overreach]), [prosecutor, prosecutor]
    )
    # Ratios to the LP (0.6): policy (1 + 0) / 2; no information: the prior (0.3 guilty)
    # makes the receiver acquit, 0; full disclosure convicts exactly the guilty, 0.3 / 0.6.
    assert result["policy"] == pytest.approx(0.5)
    assert result["no_information"] == pytest.approx(0.0)
    assert result["full_disclosure"] == pytest.approx(0.5)
    assert result["policy_share_at_0.9"] == pytest.approx(0.5)
    assert result["policy_worst"] == pytest.approx(0.0)
    # 95% CI half-widths: ratios (1, 0) have sample std sqrt(1/2): 1.96 * sqrt(1/2) / sqrt(2);
    # the baselines' ratios are equal across the two games: width 0.
    assert result["policy_ci"] == pytest.approx(0.98)
    assert result["no_information_ci"] == 0.0
    assert result["full_disclosure_ci"] == 0.0


def test_obedience_reward_by_hand(generalisation):
    prosecutor = PersuasionGame.example("prosecutor")
    arrays = (
        prosecutor.prior[None],
        prosecutor.sender_utility[None],
        prosecutor.receiver_utility[None],
    )
    # Margin 0: the LP scheme is obedient (after "convict" the receiver is indifferent): 0.6.
    reward = generalisation.obedience_reward(*arrays, LP_SCHEME[None], margin=0.0, penalty=5.0)
    assert reward == pytest.approx([0.6])
    # Margin 0.1: "convict" (P = 0.6) must win by 0.06 but wins by 0: penalty 5 * 0.06.
    reward = generalisation.obedience_reward(*arrays, LP_SCHEME[None], margin=0.1, penalty=5.0)
    assert reward == pytest.approx([0.6 - 5 * 0.06])
    # Full disclosure is strictly obedient (each verdict wins by its probability): 0.3.
    reward = generalisation.obedience_reward(*arrays, np.eye(2)[None], margin=0.1, penalty=5.0)
    assert reward == pytest.approx([0.3])


def test_generalisation_example_short_run(generalisation, one_torch_thread):
    result = generalisation.main(["--quick"])
    for key in ("policy", "no_information", "full_disclosure"):
        assert 0.0 <= result[key] <= 1.0 + 1e-9  # nothing beats the LP against the best response
    assert result["steps"] >= 4096


@pytest.mark.slow
def test_rllib_example_tiny_run():
    """Two RLlib PPO policies (sender, receiver) on the PettingZoo env: one small iteration.
    Slow (starting Ray takes ~10-60 s on a shared machine)."""
    pytest.importorskip("ray.rllib")
    result = _example("rllib_two_policies").main(["--iterations", "1", "--batch", "400"])
    assert np.isfinite(result["sender_per_round"]) and np.isfinite(result["receiver_per_round"])
    # Lewis's game (3 states, paid 1 for matching): the greedy value is k/3 for the k states
    # whose message the receiver maps back to them; cheap talk = LP = 1, babbling = 1/3.
    assert result["greedy_sender_value"] * 3 == pytest.approx(
        round(result["greedy_sender_value"] * 3)
    )
    assert result["cheap_talk_value"] == pytest.approx(1.0)
    assert result["lp_value"] == pytest.approx(1.0)
    assert result["babbling_value"] == pytest.approx(1 / 3)
