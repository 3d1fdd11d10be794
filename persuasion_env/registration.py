"""Registration of the ``persuasion/`` environment ids with Gymnasium.

Importing :mod:`persuasion_env` calls :func:`register_envs`, after which
``gymnasium.make("persuasion/<Name>-v0")`` works. Entry points are strings, so the env
modules (and their dependencies) are imported only when an env is made.
"""

from __future__ import annotations

import gymnasium

#: (id, entry point, default max_episode_steps or None)
ENV_SPECS: tuple[tuple[str, str, int | None], ...] = (
    (
        "persuasion/RepeatedPersuasion-v0",
        "persuasion_env.envs.repeated:RepeatedPersuasionEnv",
        None,
    ),
    (
        "persuasion/RepeatedPersuasionReceiver-v0",
        "persuasion_env.envs.repeated:RepeatedPersuasionReceiverEnv",
        None,
    ),
    (
        "persuasion/SchemeCommitment-v0",
        "persuasion_env.envs.scheme_commitment:SchemeCommitmentEnv",
        None,
    ),
    ("persuasion/OracleQuery-v0", "persuasion_env.envs.oracle_query:OracleQueryEnv", None),
)


#: Natively batched vector envs (used by ``gymnasium.make_vec`` unless another mode is asked).
VECTOR_ENTRY_POINTS: dict[str, str] = {
    "persuasion/RepeatedPersuasion-v0": "persuasion_env.envs.vector:RepeatedPersuasionVectorEnv",
    "persuasion/RepeatedPersuasionReceiver-v0": (
        "persuasion_env.envs.vector_receiver:RepeatedPersuasionReceiverVectorEnv"
    ),
    "persuasion/SchemeCommitment-v0": (
        "persuasion_env.envs.vector_scheme:SchemeCommitmentVectorEnv"
    ),
}


def register_envs() -> None:
    """Register every ``persuasion/`` id (idempotent)."""
    for env_id, entry_point, max_steps in ENV_SPECS:
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point=entry_point,
            max_episode_steps=max_steps,
            vector_entry_point=VECTOR_ENTRY_POINTS.get(env_id),
        )


def env_ids() -> list[str]:
    """The registered ``persuasion/`` ids, sorted."""
    return sorted(env_id for env_id, _, _ in ENV_SPECS)
