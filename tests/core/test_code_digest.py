"""The code digest of an agent: which edits change it and which do not."""

import importlib
import sys

import pytest

from persuasion_env._code_digest import agent_code_digest, code_digest

TEMPLATE = (
    "RATE = {rate}\n"
    "def helper(x):\n    return x + {helper}\n"
    "def unrelated(x):\n    return x * {unrelated}\n"
    "class Base:\n    def act(self):\n        return helper(RATE)\n"
    "class Agent(Base):\n    kernel = 'helper'\n"
)


@pytest.fixture
def fake_agent_class(tmp_path, monkeypatch):
    """Writes ``plfake/mod.py`` from TEMPLATE with the given numbers; returns its Agent."""
    package = tmp_path / "plfake"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def build(**values):
        text = TEMPLATE.format(**{"rate": 1, "helper": 1, "unrelated": 1, **values})
        (package / "mod.py").write_text(text)
        for name in [m for m in sys.modules if m.startswith("plfake")]:
            del sys.modules[name]
        return importlib.import_module("plfake.mod").Agent

    yield build
    for name in [m for m in sys.modules if m.startswith("plfake")]:
        del sys.modules[name]


def test_code_digest_follows_the_code_an_agent_reaches(fake_agent_class):
    def digest(**values):
        return code_digest(fake_agent_class(**values), packages=("plfake",))

    base = digest()
    assert digest() == base  # the same source, another import: the same digest
    assert digest(unrelated=2) == base  # code the agent does not reach
    assert digest(helper=2) != base  # a function a base class calls
    assert digest(rate=2) != base  # a module constant it names


def test_code_outside_the_followed_packages_is_not_seen(fake_agent_class):
    # With only ``agents`` followed, nothing of plfake enters: every edit gives one digest.
    assert code_digest(fake_agent_class()) == code_digest(fake_agent_class(helper=2))


def test_a_users_agent_is_followed_into_its_own_package(fake_agent_class):
    first = agent_code_digest(fake_agent_class()())
    assert agent_code_digest(fake_agent_class()()) == first
    assert agent_code_digest(fake_agent_class(rate=3)()) != first
