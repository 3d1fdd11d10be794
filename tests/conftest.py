"""Shared pytest configuration: headless plotting and hypothesis profiles."""

import os

import matplotlib
from hypothesis import Phase, settings

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
