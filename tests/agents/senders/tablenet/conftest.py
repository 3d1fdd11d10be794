"""TableNet tests: one torch thread (small tensors; the machine may be shared)."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread(one_torch_thread):
    yield
