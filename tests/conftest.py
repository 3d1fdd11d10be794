"""Shared pytest configuration: headless plotting and hypothesis profiles."""

import json
import os
from pathlib import Path

import matplotlib
from hypothesis import settings

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

settings.register_profile("default", deadline=None, max_examples=60)
settings.register_profile("ci", deadline=None, max_examples=60, derandomize=True)
# mutation testing (tasks.py mutate) runs each test per mutant: fewer, repeatable examples
settings.register_profile("mutation", deadline=None, max_examples=20, derandomize=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
)


def pytest_collection_modifyitems(config, items):
    """Under mutmut (``tasks.py mutate``), run each mutant's tests fastest first.

    mutmut stops at the first failing test (``-x``), so a mutant killed by a quick test no longer
    waits for the slow hypothesis tests. The durations are the ones mutmut measured on the clean
    code (``mutmut-stats.json`` in its working directory); the order never changes a verdict.
    """
    if not os.environ.get("MUTANT_UNDER_TEST"):
        return
    try:
        durations = json.loads(Path("mutmut-stats.json").read_text("utf-8"))["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, 1.0))
