"""A third party's table of agents (data only; for test_registry.py)."""

ENTRIES = (
    {
        "name": "lazy_first",
        "side": "sender",
        "entry_point": "tests.core.plugin_lazy:AlwaysFirstLazy",
        "description": "declared as data; its module is imported only when built",
        "observes": ("state",),
    },
)
