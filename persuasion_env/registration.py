"""Registration of the ``persuasion/`` environment ids with Gymnasium and PettingZoo.

Importing :mod:`persuasion_env` calls :func:`register_envs`, after which
``gymnasium.make("persuasion/<Name>-v0")`` works, and (PettingZoo >= 1.27, which has a
registry) ``pettingzoo.make("aec", "persuasion/repeated_persuasion_v0")`` and
``pettingzoo.make("parallel", ...)``. Entry points are strings, so the env modules (and their
dependencies) are imported only when an env is made.
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


#: Gymnasium's ``reward_threshold`` (the episode return at which the task counts as solved)
#: for the ids whose **default** configuration has a fixed, known optimum: 98 % of it. The
#: others have none: ``RepeatedPersuasion-v0`` plays against a learning receiver (no fixed
#: optimum) and ``SchemeCommitment-v0`` draws a random game per episode.
REWARD_THRESHOLDS: dict[str, float] = {
    # "three-types" with 2 queries: the DP optimum is 13/24 (MODEL.md B8)
    "persuasion/OracleQuery-v0": 0.98 * 13 / 24,
    # "prosecutor", the LP-optimal sender, 100 rounds: a best response earns 0.7 a round
    "persuasion/RepeatedPersuasionReceiver-v0": 0.98 * 70.0,
}


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


#: PettingZoo ids: (id, module); ``module:env`` is the AEC entry point, ``module:parallel_env``
#: the parallel one. PettingZoo spells versions ``_v0`` and stores them as ``-v0``
#: (``pettingzoo.make`` accepts both).
PETTINGZOO_SPECS: tuple[tuple[str, str], ...] = (
    ("persuasion/repeated_persuasion_v0", "persuasion_env.multiagent.repeated_persuasion_v0"),
    ("persuasion/oracle_query_v0", "persuasion_env.multiagent.oracle_query_v0"),
)


def register_pettingzoo_envs() -> bool:
    """Register the PettingZoo ids in PettingZoo's AEC and parallel registries (idempotent).

    Returns ``False``, registering nothing, with a PettingZoo older than 1.27 (no
    ``pettingzoo.register``); the envs are then made by importing their modules."""
    try:
        import pettingzoo
    except ImportError:  # pragma: no cover - pettingzoo is a dependency
        return False
    register = getattr(pettingzoo, "register", None)
    if register is None:
        return False
    for env_id, module in PETTINGZOO_SPECS:
        stored = env_id.replace("_v0", "-v0")  # PettingZoo's normalised form
        if stored not in pettingzoo.aec_registry:
            register("aec", env_id, entry_point=f"{module}:env")
        if stored not in pettingzoo.parallel_registry:
            register("parallel", env_id, entry_point=f"{module}:parallel_env")
    return True


def register_envs() -> None:
    """Register every ``persuasion/`` id with Gymnasium, and with PettingZoo where it has a
    registry (idempotent)."""
    register_pettingzoo_envs()
    for env_id, entry_point, max_steps in ENV_SPECS:
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point=entry_point,
            max_episode_steps=max_steps,
            reward_threshold=REWARD_THRESHOLDS.get(env_id),
            vector_entry_point=VECTOR_ENTRY_POINTS.get(env_id),
        )


def env_ids() -> list[str]:
    """The registered ``persuasion/`` ids, sorted."""
    return sorted(env_id for env_id, _, _ in ENV_SPECS)
