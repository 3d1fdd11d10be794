"""Episode statistics of the persuasion environments, logged to TensorBoard.

The figure that matters in these environments is not the return (its scale depends on the
game and on ``normalize``) but the **ratio to the optimum**: the mean noiseless sender utility
per step over an episode (``info["sender_utility"]``) divided by the exact optimum of the game
(``info["lp_value"]``), and, where an environment reports it, by the best fixed scheme
(``info["best_fixed_value"]``). Both are logged with CleanRL's tag names:

==============================  =========================================================
tag                             value (one point per finished episode)
==============================  =========================================================
``charts/episodic_return``      sum of the rewards
``charts/episodic_length``      steps
``charts/sender_utility``       mean ``info["sender_utility"]`` per step (reward if absent)
``charts/ratio_to_lp``          ``sender_utility / info["lp_value"]``
``charts/ratio_to_best_fixed``  ``sender_utility / info["best_fixed_value"]`` (only when
                                the environment reports it)
==============================  =========================================================

* :class:`EpisodeStats`: the accumulator; feed it each vector step's rewards, dones and infos
  (any number of parallel copies); it returns the finished episodes. No dependency.
* :class:`TensorBoardHook`: the plain hook for a custom training loop; writes the finished
  episodes with a ``SummaryWriter`` (``torch.utils.tensorboard``, else ``tensorboardX``),
  imported only when the hook is created.
* :class:`agents.sb3.RatioToOptimumCallback`: the same for Stable-Baselines3's ``learn``.

The receiver-side environments report the sender's ``lp_value`` too, so there the ratio says
how well the *sender* fares against the learning receiver.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["EpisodeStats", "TensorBoardHook", "TAGS", "summary_writer"]

#: Tag names, CleanRL style.
TAGS = {
    "return": "charts/episodic_return",
    "length": "charts/episodic_length",
    "sender_utility": "charts/sender_utility",
    "ratio_to_lp": "charts/ratio_to_lp",
    "ratio_to_best_fixed": "charts/ratio_to_best_fixed",
}


def _number(value: Any) -> float | None:
    """A finite float, or None (absent, NaN or not a number)."""
    if value is None:
        return None
    try:
        number = float(np.asarray(value).reshape(-1)[0]) if np.ndim(value) else float(value)
    except (TypeError, ValueError, IndexError):
        return None
    return number if math.isfinite(number) else None


class EpisodeStats:
    """Accumulates per-episode statistics over ``n_envs`` parallel copies.

    Call :meth:`update` after every vector step; it returns one dict per episode that ended
    on that step, with keys of :data:`TAGS` (``ratio_to_lp`` / ``ratio_to_best_fixed`` only
    when the infos carried ``lp_value`` / ``best_fixed_value``, non-zero).
    """

    def __init__(self, n_envs: int = 1) -> None:
        if not isinstance(n_envs, int) or isinstance(n_envs, bool) or n_envs < 1:
            raise ValueError(f"n_envs must be a positive integer, got {n_envs!r}")
        self.n_envs = n_envs
        self._reset_all()

    def _reset_all(self) -> None:
        self._return = np.zeros(self.n_envs)
        self._length = np.zeros(self.n_envs, dtype=np.int64)
        self._utility = np.zeros(self.n_envs)
        self._lp: list[float | None] = [None] * self.n_envs
        self._best_fixed: list[float | None] = [None] * self.n_envs

    def update(
        self,
        rewards: Sequence[float] | np.ndarray,
        dones: Sequence[bool] | np.ndarray,
        infos: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[dict[str, float]]:
        """One vector step: ``rewards`` and ``dones`` of length ``n_envs`` (``dones`` is
        ``terminated | truncated``), ``infos`` one mapping per copy (may be None)."""
        rewards = np.asarray(rewards, dtype=float).reshape(-1)
        dones = np.asarray(dones, dtype=bool).reshape(-1)
        if rewards.shape != (self.n_envs,) or dones.shape != (self.n_envs,):
            raise ValueError(
                f"rewards and dones must have {self.n_envs} entries (n_envs), got "
                f"{rewards.shape[0]} and {dones.shape[0]}"
            )
        infos = list(infos) if infos is not None else [{}] * self.n_envs
        if len(infos) != self.n_envs:
            raise ValueError(f"infos must have {self.n_envs} entries, got {len(infos)}")
        finished = []
        for i in range(self.n_envs):
            info = infos[i] or {}
            utility = _number(info.get("sender_utility"))
            self._return[i] += rewards[i]
            self._length[i] += 1
            self._utility[i] += rewards[i] if utility is None else utility
            lp = _number(info.get("lp_value"))
            if lp is not None:
                self._lp[i] = lp
            best = _number(info.get("best_fixed_value"))
            if best is not None:
                self._best_fixed[i] = best
            if dones[i]:
                finished.append(self._finish(i))
        return finished

    def _finish(self, i: int) -> dict[str, float]:
        mean_utility = self._utility[i] / self._length[i]
        episode = {
            "return": float(self._return[i]),
            "length": float(self._length[i]),
            "sender_utility": float(mean_utility),
        }
        if self._lp[i]:
            episode["ratio_to_lp"] = float(mean_utility / self._lp[i])
        if self._best_fixed[i]:
            episode["ratio_to_best_fixed"] = float(mean_utility / self._best_fixed[i])
        self._return[i] = 0.0
        self._length[i] = 0
        self._utility[i] = 0.0
        self._lp[i] = None
        self._best_fixed[i] = None
        return episode


def summary_writer(log_dir: str | Path) -> Any:
    """A TensorBoard ``SummaryWriter`` writing to ``log_dir``: torch's if TensorBoard is
    installed, else tensorboardX's."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ImportError(
                "logging to TensorBoard needs the tensorboard package (pip install tensorboard)"
            ) from None
    return SummaryWriter(log_dir=str(log_dir))


class TensorBoardHook:
    """The plain hook for a custom training loop.

    >>> hook = TensorBoardHook("runs/ppo", n_envs=8)          # doctest: +SKIP
    >>> for step in range(n):                                  # doctest: +SKIP
    ...     obs, rewards, terminated, truncated, infos = envs.step(actions)
    ...     hook.step(rewards, terminated | truncated, infos, global_step=step * 8)
    >>> hook.close()                                           # doctest: +SKIP

    ``infos`` is a list of dicts (one per copy) or a Gymnasium vector env's dict of arrays.
    Pass ``writer`` to log to an existing writer (then ``log_dir`` may be None).
    """

    def __init__(
        self, log_dir: str | Path | None = None, n_envs: int = 1, writer: Any = None
    ) -> None:
        if writer is None and log_dir is None:
            raise ValueError("TensorBoardHook needs log_dir or writer")
        self.stats = EpisodeStats(n_envs)
        self.writer = writer if writer is not None else summary_writer(log_dir)
        self._own_writer = writer is None
        self.episodes = 0

    def step(
        self,
        rewards: Sequence[float] | np.ndarray,
        dones: Sequence[bool] | np.ndarray,
        infos: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None,
        global_step: int,
    ) -> list[dict[str, float]]:
        """Account one vector step; write each finished episode at ``global_step``."""
        finished = self.stats.update(rewards, dones, _per_env(infos, self.stats.n_envs))
        for episode in finished:
            for key, value in episode.items():
                self.writer.add_scalar(TAGS[key], value, global_step)
        self.episodes += len(finished)
        return finished

    def close(self) -> None:
        self.writer.flush()
        if self._own_writer:
            self.writer.close()


def _per_env(
    infos: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None, n_envs: int
) -> list[Mapping[str, Any]] | None:
    """Gymnasium's vector envs give one dict of arrays (with ``_key`` masks); SB3's give a
    list of dicts. Both become a list of dicts."""
    if infos is None or not isinstance(infos, Mapping):
        return infos  # type: ignore[return-value]
    result: list[dict[str, Any]] = [{} for _ in range(n_envs)]
    for key, values in infos.items():
        if key.startswith("_"):
            continue
        mask = infos.get(f"_{key}", np.ones(n_envs, dtype=bool))
        values = np.asarray(values)
        if values.ndim == 0 or values.shape[0] != n_envs:
            continue
        for i in range(n_envs):
            if mask[i]:
                result[i][key] = values[i]
    return result
