"""The round loop compiled (issue 15): many rounds of the repeated game in one numba call.

An agent offers its per-round rule to the compiled loop through :class:`CompiledStep`
(the protocol below): its ``act`` / ``update`` (/ ``observe``) functions, compiled with
numba, and the tuple of arrays they change in place. The built-in tabular agents implement
it (``agents/_kernels.py``): their ordinary ``act`` / ``update`` methods call the very same
functions, so the ordinary path of :func:`persuasion_env.simulate` and this one give
identical results on the same seed. ``persuasion_env`` never imports ``agents``: it only
calls ``agent.compiled_step()``.

The protocol, for an agent that wants the compiled path:

* ``compiled_step() -> CompiledStep | None``: ``None`` when it cannot play compiled now;
* optional ``end_compiled_segment()``: called after every compiled stretch of rounds, so
  the agent can do in Python what happens between its epochs (TableNet trains there); the
  stretch never runs past ``CompiledStep.horizon`` rounds.

Kernel signatures: senders ``act(state, states, out, rng)`` and ``update(state, states,
messages, actions, rewards, rng)``; receivers ``act(state, messages, out, rng)``,
``update(state, messages, actions, rewards, rng)`` and, for receivers that learn the state
after acting, ``observe(state, messages, states)``. Index arrays are int64 ``(B,)``.

The loop draws the states (and the payoff noise) from the environment's generator exactly as
the ordinary path does (chunks of :data:`~persuasion_env.rounds.CHUNK` rounds), so a compiled
simulation is the ordinary one, played faster; whatever the stretches the rounds are cut into,
the draws are the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from persuasion_env import _jit
from persuasion_env.rounds import CHUNK

__all__ = ["CompiledStep", "enabled", "generated", "steps_for", "play_match", "use_compiled"]


class CompiledStep(NamedTuple):
    """One agent's per-round rule for the compiled loop (see the module docstring).

    Attributes:
        act: compiled ``act`` kernel.
        update: compiled ``update`` kernel.
        state: the arrays the kernels read and change in place (the agent's own tables).
        observe: receivers that learn the state after acting: the ``observe`` kernel.
        horizon: the most rounds it may play before Python must run its
            ``end_compiled_segment`` (0: no limit).
    """

    act: Any
    update: Any
    state: tuple
    observe: Any = None
    horizon: int = 0


_enabled = True
#: The most rounds of one compiled stretch (0: no limit); results do not depend on it.
MAX_STRETCH = 0


@contextlib.contextmanager
def use_compiled(flag: bool) -> Iterator[None]:
    """Within the block, :func:`persuasion_env.simulate` uses the compiled loop when it can
    (``True``, the default) or always the ordinary per-round Python loop (``False``)."""
    global _enabled
    previous, _enabled = _enabled, bool(flag)
    try:
        yield
    finally:
        _enabled = previous


def enabled() -> bool:
    """Whether the compiled loop may be used (numba available and not switched off)."""
    return _enabled and _jit.available()


def steps_for(sender: Any, receiver: Any) -> tuple[CompiledStep, CompiledStep] | None:
    """Both agents' compiled steps, or ``None`` if either cannot play compiled."""
    if not enabled():
        return None
    steps = []
    for agent in (sender, receiver):
        offer = getattr(agent, "compiled_step", None)
        step = offer() if callable(offer) and _kernels_are_its_rules(agent) else None
        if not isinstance(step, CompiledStep):
            return None
        steps.append(step)
    if receiver.observes_state and steps[1].observe is None:
        return None
    return steps[0], steps[1]


#: The methods a compiled step stands in for.
_RULES = ("act", "update", "observe_states")


def _kernels_are_its_rules(agent: Any) -> bool:
    """Whether the agent's rules are still those of the class that offers the kernels: a
    subclass (or an instance) that overrides ``act`` / ``update`` / ``observe_states`` in
    Python must be played by the ordinary loop, or its own code would be skipped."""
    mro = type(agent).__mro__
    owner = next((k for k in mro if "compiled_step" in vars(k)), None)
    if owner is None:  # offered through __getattr__ (a wrapper): its own code must run
        return False
    for name in _RULES:
        if name in vars(agent):
            return False
        defining = next((k for k in mro if name in vars(k)), None)
        if defining is not None and defining is not owner and issubclass(defining, owner):
            return False
    return True


# ======================================================================= the compiled loop


def _no_observe(state, messages, states):
    """Receivers that do not learn the state after acting."""


def _play(
    t,
    stop,
    pause,
    phase,
    s_act,
    s_update,
    s_state,
    s_rng,
    r_act,
    r_update,
    r_observe,
    r_state,
    r_rng,
    env_rng,
    state_cdf,
    states_buf,
    noise_buf,
    noise,
    rounds,
    flat_u1,
    flat_u2,
    flat_first_best,
    offset,
    n_actions,
    scale1,
    scale2,
    recommends,
    recommended,
    totals,
    edges,
    cursor,
    snapshots,
    tail_start,
    tail_base,
    messages,
    actions,
    cells,
    r1,
    r2,
):
    """Play rounds ``t, t+1, ...`` until ``stop``; returns ``(t, phase)``.

    Mirrors the ordinary loop of :func:`persuasion_env.simulate` step for step. With
    ``pause == t`` it stops after the sender's act of round ``t`` (``phase`` 1), for
    Python to show the sender's scheme; called again with ``phase`` 1 it resumes there. It
    also returns at a round boundary when ``snapshots`` (per-run totals at the ends of the
    learning-curve bins, ``cursor = [next bin, snapshots taken]``) is full.
    """
    runs = offset.shape[0]
    n_states = state_cdf.shape[1]
    while t < stop:
        if phase == 0:
            k = t % CHUNK
            if k == 0:  # the next chunk of states (and noise), as the ordinary loop draws
                chunk = min(CHUNK, rounds - t)
                for i in range(chunk):
                    for b in range(runs):
                        u = env_rng.random()
                        s = 0
                        for j in range(n_states):
                            if state_cdf[b, j] < u:
                                s += 1
                        states_buf[i, b] = s
                if noise > 0.0:
                    for i in range(chunk):
                        for side in range(2):
                            for b in range(runs):
                                noise_buf[i, side, b] = noise * env_rng.standard_normal()
            if t == tail_start:
                tail_base[:, :] = totals[:2]
            s_act(s_state, states_buf[k], messages, s_rng)
            if t == pause:
                return t, 1
        phase = 0
        k = t % CHUNK
        states = states_buf[k]
        r_act(r_state, messages, actions, r_rng)
        for b in range(runs):
            cells[b] = offset[b] + states[b] * n_actions + actions[b]
            r1[b] = flat_u1[cells[b]] / scale1[b]
            r2[b] = flat_u2[cells[b]] / scale2[b]
        if noise > 0.0:
            for b in range(runs):
                r1[b] += noise_buf[k, 0, b]
                r2[b] += noise_buf[k, 1, b]
        s_update(s_state, states, messages, actions, r1, s_rng)
        r_update(r_state, messages, actions, r2, r_rng)
        r_observe(r_state, messages, states)
        for b in range(runs):
            cell = cells[b]
            totals[0, b] += flat_u1[cell]
            totals[1, b] += flat_u2[cell]
            totals[2, b] += flat_first_best[cell]
            if recommends:
                totals[3, b] += 1.0 if actions[b] == recommended[b, messages[b]] else 0.0
        t += 1
        if t == edges[cursor[0] + 1]:
            snapshots[cursor[1]] = totals
            cursor[0] += 1
            cursor[1] += 1
            if cursor[1] == snapshots.shape[0]:
                return t, 0
    return t, 0


_LOOP = ("_no_observe",)
_KERNEL_PARAMS = ("s_act", "s_update", "r_act", "r_update", "r_observe")


def _cache_dir() -> Path:
    """Where the generated loop modules live (``PERSUASION_ENV_CACHE``, else the user's
    cache directory, else the temporary directory)."""
    base = os.environ.get("PERSUASION_ENV_CACHE")
    candidates = [Path(base)] if base else []
    candidates += [Path.home() / ".cache" / "persuasion_env", Path(tempfile.gettempdir())]
    for path in candidates:
        folder = path / "compiled_loops"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise RuntimeError("no writable directory for the compiled round loops")


def _kernel_source(kernel: Any) -> tuple[str, str, str]:
    """``(module, name, digest of the module's file)`` of a compiled kernel."""
    function = getattr(kernel, "py_func", None)
    if function is None:
        raise TypeError(f"{kernel!r} is not a compiled (numba) kernel")
    module = sys.modules[function.__module__]
    if getattr(module, function.__name__, None) is not kernel:
        raise TypeError(f"kernel {function.__qualname__} must be a module-level function")
    digest = hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()[:16]
    return function.__module__, function.__name__, digest


_generated: dict[tuple, Any] = {}


def _loop_for(kernels: tuple[Any, ...]) -> Any:
    """The round loop compiled with these five kernels (sender act / update, receiver act /
    update / observe) as fixed calls (:func:`generated`)."""
    return generated(_play, _KERNEL_PARAMS, kernels)


def generated(template: Any, params: tuple[str, ...], kernels: tuple[Any, ...]) -> Any:
    """``template`` compiled with the compiled ``kernels`` as fixed calls: each parameter of
    ``params`` (a parameter of ``template`` on a line of its own) becomes a global bound to
    the kernel in the same position.

    Numba cannot cache a function that takes other compiled functions as arguments (their
    type names the process's objects), so each combination of kernels gets a small generated
    module whose function calls its kernels as globals: numba caches it on disk like any
    other, and a fresh process loads it in a fraction of a second. Its name hashes the
    kernels' source files and the template's module file, so an edited kernel or template
    never meets a stale cached function. ``template`` may use the global ``CHUNK`` only.
    """
    key = (template, tuple(kernels))
    if key in _generated:
        return _generated[key]
    sources = tuple(_kernel_source(k) for k in kernels)
    source_file = inspect.getsourcefile(template)
    own = hashlib.sha256(Path(source_file).read_bytes()).hexdigest()[:16]
    digest = hashlib.sha256(repr((template.__name__, sources, own)).encode()).hexdigest()[:20]
    lines = [
        '"""Generated by persuasion_env.compiled: a template compiled with fixed kernels."""',
        "import numba",
        f"CHUNK = {CHUNK}",
    ]
    for param, (module, name, _) in zip(params, sources, strict=True):
        lines.append(f"from {module} import {name} as {param}")
    body = [
        line
        for line in inspect.getsource(template).splitlines()
        if line.strip().rstrip(",") not in params
    ]
    source = "\n".join(lines) + "\n\n\n@numba.njit(cache=True)\n" + "\n".join(body) + "\n"
    prefix = "loop" if template is _play else template.__name__.strip("_")
    path = _cache_dir() / f"{prefix}_{digest}.py"
    if not path.exists() or path.read_text() != source:
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(source)
        os.replace(partial, path)  # atomic: parallel workers never read half a file
    name = f"persuasion_env_{prefix}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's disk cache finds the module again by its name
    spec.loader.exec_module(module)
    function = getattr(module, template.__name__)
    _generated[key] = function
    return function


# ======================================================================= the Python driver


def play_match(
    sender: Any,
    receiver: Any,
    steps: tuple[CompiledStep, CompiledStep],
    *,
    tables: Any,
    env_rng: np.random.Generator,
    rounds: int,
    noise: float,
    epoch: int,
    edges: np.ndarray,
    totals: np.ndarray,
    curve_points: np.ndarray,
    run_curve: np.ndarray,
    tail_start: int,
    tail_base: np.ndarray,
    bar: Any = None,
) -> None:
    """Play all ``rounds`` compiled, updating ``totals``, ``curve_points``, ``run_curve``
    (each run's sender utility total at the bin ends) and ``tail_base`` in place exactly as
    the engine's ledger does on the ordinary path.

    Python runs only between compiled stretches: to show a scheme to a receiver that sees
    schemes (every ``epoch`` rounds for a per-round sender, whenever a scheme-level sender
    commits anew), and for an agent's ``end_compiled_segment``.
    """
    _jit.compile_module(globals(), _LOOP)
    runs = tables.offset.shape[0]
    recommends = bool(getattr(sender, "recommends", False))
    per_round_sender = sender.level != "scheme"
    shows_scheme = receiver.needs_scheme
    bins = curve_points.shape[1]
    # Per-run totals at the bin ends, turned into curve points in NumPy (the same sums as
    # the ordinary loop's); bounded so that a long fine-grained curve needs no huge buffer.
    snapshots = np.empty((max(1, min(bins, (1 << 21) // (4 * runs))), 4, runs))
    cursor = np.zeros(2, dtype=np.int64)
    last_totals = np.zeros(4)
    states_buf = np.zeros((CHUNK, runs), dtype=np.int64)
    noise_buf = np.zeros((CHUNK, 2, runs) if noise > 0 else (1, 2, 1))
    scratch = [np.zeros(runs, dtype=np.int64) for _ in range(3)]
    rewards = [np.zeros(runs), np.zeros(runs)]
    state_cdf = np.ascontiguousarray(tables._state_cdf)
    offset = tables.offset.astype(np.int64)
    shown_version = -1
    t, phase = 0, 0
    while t < rounds:
        s_step, r_step = steps
        stop = rounds if MAX_STRETCH <= 0 else min(rounds, t + MAX_STRETCH)
        for step in steps:
            if step.horizon > 0:
                stop = min(stop, t + step.horizon)
        pause = -1
        if shows_scheme and phase == 0:
            if per_round_sender:
                pause = t + (-t) % epoch
            elif sender.policy_version != shown_version:
                pause = t
        elif shows_scheme and per_round_sender:  # resuming after a pause at t
            pause = t + 1 + (-(t + 1)) % epoch
        recommended = (
            np.ascontiguousarray(sender.recommendations(), dtype=np.int64)
            if recommends
            else np.zeros((1, 1), dtype=np.int64)
        )
        start = t
        loop = _loop_for(
            (
                s_step.act,
                s_step.update,
                r_step.act,
                r_step.update,
                r_step.observe if r_step.observe is not None else _no_observe,
            )
        )
        t, phase = loop(
            t,
            stop,
            pause,
            phase,
            s_step.state,
            sender.rng,
            r_step.state,
            receiver.rng,
            env_rng,
            state_cdf,
            states_buf,
            noise_buf,
            float(noise),
            rounds,
            tables.flat_u1,
            tables.flat_u2,
            tables.flat_first_best,
            offset,
            tables.n_actions,
            tables.scale1,
            tables.scale2,
            recommends,
            recommended,
            totals,
            edges,
            cursor,
            snapshots,
            tail_start,
            tail_base,
            scratch[0],
            scratch[1],
            scratch[2],
            rewards[0],
            rewards[1],
        )
        taken = int(cursor[1])
        for i in range(taken):
            now = snapshots[i].sum(axis=1)
            curve_points[:, int(cursor[0]) - taken + i] = now - last_totals
            run_curve[:, int(cursor[0]) - taken + i] = snapshots[i][0]
            last_totals = now
        cursor[1] = 0
        if phase == 1:  # paused after the sender's act: show its scheme
            receiver.observe_scheme(sender.policy())
            shown_version = sender.policy_version
        else:
            for agent in (sender, receiver):
                hook = getattr(agent, "end_compiled_segment", None)
                if hook is not None:
                    hook()
        if bar is not None and t > start:
            bar.update(t - start)
        refreshed = steps_for(sender, receiver)
        if refreshed is None:
            raise RuntimeError("an agent stopped offering its compiled step mid-match")
        steps = refreshed
