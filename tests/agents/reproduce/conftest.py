"""Seed-000 reproduction tests (they train TableNet): one torch thread, as TableNet's tests."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread(one_torch_thread):
    yield
