"""Shared fixtures of the environment tests."""

import pytest

import persuasion_env  # noqa: F401  (registers the ids)
from persuasion_env import PersuasionGame


@pytest.fixture(scope="session")
def game44():
    return PersuasionGame.random(4, 4, seed=0)


@pytest.fixture(scope="session")
def prosecutor():
    return PersuasionGame.example("prosecutor")
