"""Shared pytest configuration: headless plotting, hypothesis profiles and the games the
environment and SB3 tests share."""

import os

import matplotlib
import pytest
from hypothesis import Phase, settings

import persuasion_env  # noqa: F401  (registers the ids)
from persuasion_env import PersuasionGame

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

settings.register_profile("default", deadline=None, max_examples=60)
settings.register_profile("ci", deadline=None, max_examples=60, derandomize=True)
# mutation testing (tasks.py mutate) runs each test per mutant: fewer, repeatable examples, and
# no shrinking (only the verdict matters; shrinking a failure can outlast the time limit)
settings.register_profile(
    "mutation",
    deadline=None,
    max_examples=20,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
)


@pytest.fixture(scope="session")
def game44():
    return PersuasionGame.random(4, 4, seed=0)


@pytest.fixture(scope="session")
def prosecutor():
    return PersuasionGame.example("prosecutor")
