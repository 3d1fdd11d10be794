"""The code digest of an agent: which edits change it and which do not."""

import importlib
import sys

import pytest

from persuasion_env._code_digest import agent_code_digest, code_digest, reached_sources

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


def test_a_class_reexported_under_its_package_path_is_still_read(tmp_path, monkeypatch):
    # agents.senders.tablenet sets its public classes' __module__ to the package (a stable
    # pickle path): inspect.getsource then searches the package's __init__, which does not
    # define them. The digest must still follow the edit in the submodule that does.
    package = tmp_path / "plreexport"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from plreexport.impl import Agent\nAgent.__module__ = __name__\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    def digest(rate):
        (package / "impl.py").write_text(
            f"RATE = {rate}\nclass Agent:\n    def act(self):\n        return RATE\n"
        )
        for name in [m for m in sys.modules if m.startswith("plreexport")]:
            del sys.modules[name]
        cls = importlib.import_module("plreexport").Agent
        assert cls.__module__ == "plreexport"
        return code_digest(cls, packages=("plreexport",))

    try:
        assert digest(1) == digest(1)
        assert digest(1) != digest(2)  # a constant the class names, in the defining module
    finally:
        for name in [m for m in sys.modules if m.startswith("plreexport")]:
            del sys.modules[name]


def test_every_registered_agent_reaches_readable_source():
    # A placeholder ("<no source>") would make the digest blind to every edit of that code:
    # TableNet's digest was once a constant for this reason (its class re-exported).
    from persuasion_env import registry

    for spec in registry.specs():
        cls = registry.agent_class(spec.side, spec.name)
        sources = reached_sources(cls)
        assert f"{cls.__module__}.{cls.__qualname__}" in sources, spec.name
        assert "<no source>" not in sources.values(), spec.name
