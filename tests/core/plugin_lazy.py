"""The class behind tests/core/plugin_table.py (imported only when the agent is built)."""

from tests.core.plugin_agents import AlwaysFirst


class AlwaysFirstLazy(AlwaysFirst):
    name = "lazy_first"
