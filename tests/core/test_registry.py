"""persuasion_env.registry: the built-in table, third-party entry points, listing without
importing the agents."""

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import agents
from persuasion_env import registry
from persuasion_env.cli import main
from persuasion_env.registry import AgentSpec, load_entry_point

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_registry(monkeypatch):
    """An empty registry that reloads the built-ins (and the faked entry points) on use."""
    monkeypatch.setattr(registry, "_SPECS", {})
    monkeypatch.setattr(registry, "_CLASSES", {})
    monkeypatch.setattr(registry, "_LOADED", False)


def fake_entry_points(monkeypatch, *values):
    points = [
        importlib.metadata.EntryPoint(
            name=f"plugin{i}", value=value, group=registry.ENTRY_POINT_GROUP
        )
        for i, value in enumerate(values)
    ]

    real = importlib.metadata.entry_points

    def entry_points(**params):
        # Only the registry's query is faked. Other callers get the real answer: numba looks
        # up its own plugins (``entry_points()``, no arguments) at its first compilation in
        # the process, which falls inside a test that plays a match when the file runs alone.
        if params != {"group": registry.ENTRY_POINT_GROUP}:
            return real(**params)
        return points

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_builtin_table_agrees_with_the_classes():
    table = load_entry_point(registry.BUILTIN_TABLE)
    assert len({(row["side"], row["name"]) for row in table}) == len(table)
    for row in table:
        spec = AgentSpec(**row)
        cls = load_entry_point(spec.entry_point)
        from_class = AgentSpec.from_class(cls)
        assert cls is agents.agent_class(spec.side, spec.name)
        for field in registry.SPEC_FIELDS:
            if field not in ("entry_point", "heavy", "source"):
                assert getattr(spec, field) == getattr(from_class, field), (spec.name, field)


def test_builtins_found_by_module_name_without_installed_metadata(monkeypatch, fresh_registry):
    fake_entry_points(monkeypatch)  # no distribution declares anything
    names = agents.list_agents()
    assert {"lp_optimal", "tablenet", "sb3", "dp_querier"} <= set(names["senders"])
    assert {"best_response", "q_learning", "actor_critic"} <= set(names["receivers"])


def test_a_plugin_class_is_listed_built_and_played_from_the_cli(
    monkeypatch, fresh_registry, capsys, tmp_path
):
    fake_entry_points(monkeypatch, "tests.core.plugin_agents:AlwaysFirst")
    assert main(["agents", "--json"]) == 0
    rows = {(r["side"], r["name"]): r for r in json.loads(capsys.readouterr().out)["agents"]}
    row = rows[("sender", "always_first")]
    assert row["entry_point"] == "tests.core.plugin_agents:AlwaysFirst"
    assert row["information"] == "black box"
    assert ("sender", "lp_optimal") in rows  # the built-ins are still there

    code = main(
        [
            "tournament",
            "--senders",
            "always_first,no_information",
            "--receivers",
            "best_response",
            "--sizes",
            "3",
            "--games",
            "1",
            "--seeds",
            "1",
            "--rounds",
            "200",
            "--quiet",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    ranking = {r["sender"]: r for r in json.loads(out)["ranking"]}
    # Always sending message 0 reveals nothing: it earns exactly what no information earns
    # against a best-responding receiver (same games, same seeds).
    a, b = ranking["always_first"], ranking["no_information"]
    assert a["sender_utility"] == pytest.approx(b["sender_utility"], abs=1e-12)
    assert a["receiver_utility"] == pytest.approx(b["receiver_utility"], abs=1e-12)


def test_a_plugin_table_lists_without_importing_the_class(monkeypatch, fresh_registry):
    fake_entry_points(monkeypatch, "tests.core.plugin_table:ENTRIES")
    monkeypatch.delitem(sys.modules, "tests.core.plugin_lazy", raising=False)
    assert "lazy_first" in agents.list_agents("sender")
    assert "tests.core.plugin_lazy" not in sys.modules
    sender = agents.make_sender("lazy_first")
    assert "tests.core.plugin_lazy" in sys.modules
    assert type(sender).__name__ == "AlwaysFirstLazy"


def test_a_broken_plugin_warns_and_the_others_stay(monkeypatch, fresh_registry):
    fake_entry_points(monkeypatch, "no_such_module_xyz:Thing", "tests.core.plugin_table:ENTRIES")
    with pytest.warns(RuntimeWarning, match="no_such_module_xyz"):
        names = agents.list_agents("sender")
    assert "lazy_first" in names and "lp_optimal" in names


def test_register_refuses_a_taken_name_and_bad_specs(fresh_registry):
    from tests.core.plugin_agents import AlwaysFirst

    class Impostor(AlwaysFirst):
        name = "lp_optimal"

    with pytest.raises(ValueError, match="already registered"):
        agents.register(Impostor)
    with pytest.raises(ValueError, match="information must be one of"):
        AgentSpec(name="x", side="sender", entry_point="m:C", information="grey box")
    with pytest.raises(ValueError, match="entry_point must be 'module:Class'"):
        AgentSpec(name="x", side="sender", entry_point="m.C")
    with pytest.raises(ValueError, match="side must be"):
        AgentSpec(name="x", side="judge", entry_point="m:C")


def test_register_a_class_then_build_it_by_name(fresh_registry):
    from tests.core.plugin_agents import AlwaysFirst

    class Mine(AlwaysFirst):
        name = "mine_first"

    assert agents.register(Mine) is Mine
    sender = agents.make_sender("mine_first")
    assert isinstance(sender, Mine)
    with pytest.raises(ValueError, match="unknown sender 'nobody'"):
        agents.make_sender("nobody")


def test_listing_agents_imports_neither_torch_nor_sb3():
    code = (
        "import sys\n"
        "from persuasion_env.cli import main\n"
        "assert main(['agents']) == 0\n"
        "assert main(['agents', '--json']) == 0\n"
        "heavy = sorted(m for m in ('torch', 'stable_baselines3') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in done.stdout
    assert "tablenet" in done.stdout and "(unavailable" not in done.stdout


def test_describe_agents_rows_are_json_ready():
    rows = agents.describe_agents()
    json.dumps(rows, allow_nan=False)
    row = next(r for r in rows if r["name"] == "tablenet")
    assert row["heavy"] == ["torch"] and row["information"] == "black box"
    assert np.all([r["description"] for r in rows])
