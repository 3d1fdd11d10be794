"""The library's natively batched envs as Stable-Baselines3 ``VecEnv`` s.

SB3 trains on a :class:`stable_baselines3.common.vec_env.VecEnv`. Its usual route,
``make_vec_env``, steps ``n_envs`` single envs one after the other in Python
(``DummyVecEnv``); the library's batched envs step all copies in one NumPy call:

* ``persuasion/RepeatedPersuasion-v0``: :class:`~persuasion_env.envs.vector.
  RepeatedPersuasionVectorEnv` (the sender's view);
* ``persuasion/RepeatedPersuasionReceiver-v0``: :class:`~persuasion_env.envs.vector_receiver.
  RepeatedPersuasionReceiverVectorEnv` (the receiver's view);
* ``persuasion/SchemeCommitment-v0``: :class:`~persuasion_env.envs.vector_scheme.
  SchemeCommitmentVectorEnv` (one game per copy).

:class:`SB3VecEnv` adapts such an env to SB3's ``VecEnv`` API and **autoreset semantics**:
``step_wait`` returns ``dones = terminated | truncated``; a copy that is done is reset *in the
same call* and its last observation is in ``infos[i]["terminal_observation"]``, with
``infos[i]["TimeLimit.truncated"]`` set on truncations (so PPO bootstraps the value there).
:func:`make_sb3_vec_env` builds one from an id, seeds it and adds ``VecMonitor`` (episode
returns in SB3's logs)::

    from stable_baselines3 import PPO
    from agents.sb3_vec import make_sb3_vec_env

    venv = make_sb3_vec_env("persuasion/RepeatedPersuasion-v0", n_envs=64, seed=0,
                            env_kwargs={"game": "prosecutor", "receiver": "q_learning"})
    PPO("MlpPolicy", venv, device="cpu").learn(100_000)

The batched envs end every copy at the same step (one episode length), which is what the
adapter relies on; an env whose copies end at different steps must use Gymnasium's
``SAME_STEP`` autoreset mode (``infos["final_obs"]``), which the adapter also reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.vec_env import VecEnv, VecMonitor
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

import persuasion_env  # noqa: F401  (registers the ids and their vector entry points)

__all__ = ["SB3VecEnv", "make_sb3_vec_env"]


class SB3VecEnv(VecEnv):
    """A ``gymnasium.vector.VectorEnv`` whose copies step together, as an SB3 ``VecEnv``.

    Args:
        env: the batched env (e.g. ``RepeatedPersuasionVectorEnv(64, ...)``). Its autoreset
            mode must be ``NEXT_STEP`` or ``DISABLED`` with every copy ending at the same step
            (the library's batched envs), or ``SAME_STEP``.
        info_keys: which keys of the env's ``infos`` to copy into SB3's per-copy info dicts
            (default: all; ``()`` keeps only SB3's own keys, a little faster).

    ``get_attr`` / ``env_method`` / ``set_attr`` act on the one batched env and report its
    answer once per requested index (the copies are not separate objects).
    """

    def __init__(self, env: VectorEnv, info_keys: Sequence[str] | None = None) -> None:
        if not isinstance(env, VectorEnv):
            raise TypeError(
                "env must be a gymnasium.vector.VectorEnv (e.g. "
                f"RepeatedPersuasionVectorEnv), got {type(env).__name__}"
            )
        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        self.same_step = mode == AutoresetMode.SAME_STEP or mode == "SameStep"
        self.env = env
        self.info_keys = None if info_keys is None else tuple(info_keys)
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
        self._actions: np.ndarray | None = None
        self._started = False

    # ----------------------------------------------------------------- SB3 VecEnv API
    def reset(self) -> VecEnvObs:
        """Reset every copy. A seed from :meth:`seed` is used once: the batched env is reset
        with the first copy's seed (``seed + 0``), as it takes one seed for all copies (the
        scheme-commitment env then seeds copy ``i`` with ``seed + i``, SB3's convention)."""
        seed = self._seeds[0]
        options = self._options[0] or None
        obs, infos = self.env.reset(seed=seed, options=options)
        self.reset_infos = self._split_infos(infos)
        self._reset_seeds()
        self._reset_options()
        self._started = True
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        if not self._started:
            raise RuntimeError("SB3VecEnv: call reset() before step()")
        obs, rewards, terminated, truncated, infos = self.env.step(self._actions)
        dones = np.logical_or(terminated, truncated)
        split = self._split_infos(infos)
        for i, info in enumerate(split):
            info["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        if dones.any():
            if self.same_step:
                # Gymnasium already reset the done copies; their last observations are here.
                final = infos["final_obs"]
                for i in np.flatnonzero(dones):
                    split[i]["terminal_observation"] = final[i]
            else:
                if not dones.all():
                    raise RuntimeError(
                        "SB3VecEnv: some copies ended and others did not; with NEXT_STEP "
                        "autoreset the adapter needs every copy to end at the same step "
                        "(use an env with AutoresetMode.SAME_STEP otherwise)"
                    )
                for i in range(self.num_envs):
                    split[i]["terminal_observation"] = obs[i]
                # SB3's semantics: the next observation is the first one of a new episode.
                obs, reset_infos = self.env.reset()
                self.reset_infos = self._split_infos(reset_infos)
        return obs, np.asarray(rewards, dtype=np.float32), dones, split

    def close(self) -> None:
        self.env.close()

    def _split_infos(self, infos: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Gymnasium's dict of arrays (with ``"_key"`` masks) -> SB3's list of dicts."""
        out: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        keys = self.info_keys
        for key, values in infos.items():
            if key.startswith("_") or key in ("final_obs", "final_info"):
                continue
            if keys is not None and key not in keys:
                continue
            mask = infos.get("_" + key)
            flat = isinstance(values, np.ndarray) and values.ndim == 1
            items = values.tolist() if flat else values
            if mask is None or mask.all():
                for info, value in zip(out, items, strict=True):
                    info[key] = value
            else:
                for i in np.flatnonzero(mask):
                    out[i][key] = items[i]
        return out

    def get_images(self) -> Sequence[np.ndarray | None]:
        if self.render_mode != "rgb_array":
            return [None] * self.num_envs
        return list(self.env.render())

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        value = getattr(self.env, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **kwargs: Any
    ) -> list[Any]:
        result = getattr(self.env, method_name)(*method_args, **kwargs)
        return [result for _ in self._get_indices(indices)]

    def env_is_wrapped(
        self, wrapper_class: type[gymnasium.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        return [False for _ in self._get_indices(indices)]


def make_sb3_vec_env(
    env_id: str,
    n_envs: int,
    *,
    seed: int | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
    monitor: bool = True,
    info_keys: Sequence[str] | None = None,
) -> VecEnv:
    """The batched env of ``env_id`` with ``n_envs`` copies as an SB3 ``VecEnv``: the
    drop-in for ``stable_baselines3.common.env_util.make_vec_env(env_id, n_envs, seed=...,
    env_kwargs=...)``, wrapped in ``VecMonitor`` unless ``monitor=False``.

    Raises:
        ValueError: for an id without a batched env (the message lists those that have one).
    """
    spec = gymnasium.spec(env_id)
    if spec.vector_entry_point is None:
        batched = sorted(
            name
            for name, s in gymnasium.registry.items()
            if name.startswith("persuasion/") and s.vector_entry_point is not None
        )
        raise ValueError(
            f"{env_id!r} has no natively batched env; batched ids: {batched} "
            "(use stable_baselines3's make_vec_env for the others)"
        )
    env = gymnasium.make_vec(
        env_id, num_envs=n_envs, vectorization_mode="vector_entry_point", **dict(env_kwargs or {})
    )
    venv: VecEnv = SB3VecEnv(env, info_keys=info_keys)
    if seed is not None:
        venv.seed(seed)
    return VecMonitor(venv) if monitor else venv
