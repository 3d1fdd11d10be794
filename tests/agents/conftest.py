"""Fixtures of the agents' tests."""

import pytest


@pytest.fixture(scope="session")
def one_torch_thread():
    """One torch thread (small tensors; the machine may be shared); torch's count restored."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
