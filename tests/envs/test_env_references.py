"""RepeatedPersuasion-v0's defaults and its best_fixed_value reference (issue 16, MODEL.md C1).

The defaults were chosen so that the best fixed scheme reaches >= 0.9 of the LP within an
episode; the reference is checked against best_fixed_scheme replayed here with the env's
settings, and against the prosecutor's closed form (LP 0.6) with a rational receiver.
"""

import math
from collections import OrderedDict

import gymnasium
import pytest

import persuasion_env.envs.defaults as defaults
import persuasion_env.references as references
from persuasion_env import PersuasionGame, best_fixed_scheme
from persuasion_env.envs.repeated import RepeatedPersuasionEnv

REPEATED = "persuasion/RepeatedPersuasion-v0"


def test_defaults():
    env = RepeatedPersuasionEnv()
    assert env.episode_length == 3000
    assert env.receiver.name == "fictitious_play" and env.receiver.discount == 0.999
    assert env.best_fixed_runs == 4
    # A receiver by name keeps its own defaults; options given replace the env's.
    assert RepeatedPersuasionEnv(receiver="fictitious_play").receiver.discount == 0.995
    given = RepeatedPersuasionEnv(receiver_kwargs={"discount": 0.9})
    assert given.receiver.discount == 0.9
    assert RepeatedPersuasionEnv(size=3).best_fixed_runs == 0


@pytest.mark.slow
def test_default_env_reaches_nine_tenths_of_the_lp():
    # The criterion at the defaults: the best fixed scheme earns >= 0.9 of the LP
    # (0.6 in the prosecutor) over the last fifth of a 3000-round episode.
    env = gymnasium.make(REPEATED)
    _, info = env.reset(seed=0)
    assert info["lp_value"] == pytest.approx(0.6)
    assert info["best_fixed_value"] >= 0.9 * 0.6


def test_reference_is_the_best_fixed_scheme_with_the_env_settings():
    game = PersuasionGame.example("prosecutor")
    env = gymnasium.make(
        REPEATED, game=game, receiver="hedge", episode_length=400, noise=0.1, best_fixed_runs=2
    )
    _, info = env.reset(seed=3)
    expected = best_fixed_scheme(game, "hedge", rounds=400, runs=2, seed=0, noise=0.1, epoch=1)
    assert info["best_fixed_value"] == expected.value
    _, _, _, _, step_info = env.step(0)
    assert step_info["best_fixed_value"] == expected.value
    assert step_info["lp_value"] == pytest.approx(0.6)


def test_rational_receiver_closed_form():
    # Against the exact best response (shown the empirical scheme every round) the LP
    # scheme with margin 0 is obeyed: about 0.6, the LP value (4 runs x 100 tail rounds).
    env = gymnasium.make(REPEATED, game="prosecutor", receiver="best_response", episode_length=500)
    _, info = env.reset(seed=0)
    assert info["best_fixed_value"] == pytest.approx(0.6, abs=0.08)


def test_computed_once_per_game(monkeypatch):
    calls = []
    original = references.best_fixed_scheme

    def counting(*args, **kwargs):
        calls.append(args[0].name)
        return original(*args, **kwargs)

    # episode_best_fixed_value imports it at call time, so the patch reaches it.
    monkeypatch.setattr(references, "best_fixed_scheme", counting)
    monkeypatch.setattr(defaults, "_BEST_FIXED_CACHE", OrderedDict())
    env = gymnasium.make(REPEATED, game="climbing", receiver="hedge", episode_length=123)
    env.reset(seed=0)
    env.reset(seed=1)
    gymnasium.make(REPEATED, game="climbing", receiver="hedge", episode_length=123).reset()
    assert calls == ["climbing"]


def test_absent_when_off():
    env = gymnasium.make(REPEATED, size=(3, 3), episode_length=50)
    _, info = env.reset(seed=0)
    assert "best_fixed_value" not in info and "lp_value" in info
    assert math.isnan(env.unwrapped.best_fixed_value)
    _, _, _, _, info = env.step(0)
    assert "best_fixed_value" not in info
    env = gymnasium.make(REPEATED, size=(3, 3), episode_length=50, best_fixed_runs=1)
    assert "best_fixed_value" in env.reset(seed=0)[1]
    env = gymnasium.make(REPEATED, game="climbing", n_messages=2, episode_length=50)
    assert "best_fixed_value" not in env.reset(seed=0)[1]
    with pytest.raises(ValueError, match="best_fixed_runs"):
        gymnasium.make(REPEATED, best_fixed_runs=-1)
