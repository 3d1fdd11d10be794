"""How a tournament's units run: local worker processes or Ray tasks.

Units are independent and seeded by their identity, so where they run never changes a number.
What matters is that the workers start safely: never by forking a process whose torch (OpenMP)
thread pool is running -- such a child inherits locked mutexes without the threads that hold
them and hangs at its first torch call -- and without oversubscribing the cores.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from persuasion_env.tournament.core import Unit

__all__ = [
    "limit_worker_threads",
    "play_processes",
    "play_ray",
    "require_ray",
    "run_unit_in_worker",
]

#: True in a worker process: torch, if an agent loads it there, gets one thread (the workers
#: already use every core between them; more threads only contend).
_IN_WORKER = False


def _worker_context():
    """The start method of the local worker processes.

    Never ``fork``: a process forked after torch (or an OpenMP / BLAS runtime) started its
    thread pool inherits locked mutexes without the threads that hold them, and the first
    torch call in the child hangs for ever (an SB3 agent with ``jobs >= 2``). ``forkserver``
    forks workers from a clean single-threaded server; ``spawn`` where it does not exist.
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _init_worker() -> None:
    """Initialiser of each worker process (local pool and Ray tasks)."""
    global _IN_WORKER
    _IN_WORKER = True


def run_unit_in_worker(unit: Unit) -> dict[str, Any]:
    """:func:`~persuasion_env.tournament.core.run_unit` in a worker process (marks the
    process as one, for Ray tasks, which have no initialiser)."""
    from persuasion_env.tournament.core import run_unit

    _init_worker()
    return run_unit(unit)


def limit_worker_threads() -> None:
    """One torch thread in a worker, if an agent uses torch (never imports it otherwise)."""
    torch = sys.modules.get("torch") if _IN_WORKER else None
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def _check_importable(units: list[Unit]) -> None:
    """Worker processes import each agent's class by name: a class of an interactive
    ``__main__`` (a notebook, ``python -c``) cannot be found there. Say so before starting."""
    main = sys.modules.get("__main__")
    if getattr(main, "__file__", None):
        return  # a script: the workers import it (it needs ``if __name__ == "__main__":``)
    for unit in units:
        # A reference unit has no sender.
        for entry in (getattr(unit, "sender", None), unit.receiver):
            prototype = None if entry is None else entry.prototype
            if prototype is not None and type(prototype).__module__ == "__main__":
                raise ValueError(
                    f"{entry.side} {entry.label!r} is a class defined interactively "
                    "(__main__), which worker processes cannot import; define it in a module, "
                    "or play with jobs=1"
                )


def play_processes(units: list[Unit], jobs: int, finished) -> None:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    _check_importable(units)
    try:
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=_worker_context(), initializer=_init_worker
        ) as pool:
            pending = {pool.submit(run_unit_in_worker, unit) for unit in units}
            while pending:
                complete, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in complete:
                    finished(future.result())
    except BrokenProcessPool:
        raise RuntimeError(
            "a tournament worker process died before finishing its unit (out of memory, or "
            "it could not start: a script that plays a tournament with jobs >= 2 must do so "
            'under if __name__ == "__main__":, and its agents must be importable); with out=, '
            "the units finished so far are kept for resume=True"
        ) from None


def require_ray():
    try:
        import ray
    except ImportError:
        raise ValueError(
            "the Ray backend needs Ray: pip install 'persuasion-env[ray]' (or pip install ray)"
        ) from None
    return ray


def play_ray(units: list[Unit], jobs: int, finished) -> None:
    ray = require_ray()
    started_here = False
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
        started_here = True
    try:
        remote = ray.remote(run_unit_in_worker)
        queue = list(units)
        running: dict[Any, Unit] = {}
        while queue or running:
            while queue and len(running) < max(jobs, 1) * 2:
                unit = queue.pop(0)
                running[remote.remote(unit)] = unit
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                running.pop(ref)
                finished(ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()
