"""A natively batched vector version of ``persuasion/RepeatedPersuasionReceiver-v0``.

:class:`RepeatedPersuasionReceiverVectorEnv` steps ``B = num_envs`` copies of the receiver's
view of the repeated game in one NumPy call per round: the sender inside is a *single*
batched agent (tables with a leading runs axis), driven through the shared round
:class:`~persuasion_env.match.Match` (``begin`` / ``finish``, built by
:func:`~persuasion_env.envs.core.start_match`), exactly as
the single env :class:`~persuasion_env.envs.repeated.RepeatedPersuasionReceiverEnv` (which is
``B = 1``): with ``num_envs=1`` and the same seed the two give identical episodes.

Reach it with ``gymnasium.make_vec("persuasion/RepeatedPersuasionReceiver-v0", num_envs=B,
vectorization_mode="vector_entry_point", ...)``, build it directly, or train Stable-Baselines3
on it through :class:`agents.sb3_vec.SB3VecEnv`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

from persuasion_env.envs._batched_view import BatchedView
from persuasion_env.envs.core import (
    ReceiverViewOptions,
    declare_options,
    receiver_vector_observation,
)
from persuasion_env.game import PersuasionGame

__all__ = ["RepeatedPersuasionReceiverVectorEnv"]


@declare_options(ReceiverViewOptions, leading=("num_envs",))
class RepeatedPersuasionReceiverVectorEnv(BatchedView):
    """``num_envs`` copies of :class:`~persuasion_env.envs.repeated.
    RepeatedPersuasionReceiverEnv` stepped together through the sender's batched tables.

    ## Description

    Each copy is an independent run of the repeated game (own states, own sender tables, own
    noise) in which the agent is the **receiver**; all copies play the **same game**, fixed or
    drawn at every reset (all copies at once: the batched sender is reset as a whole), and all
    end together after ``episode_length`` rounds.

    ## Spaces

    | Attribute                  | `obs_type="message"`     | `obs_type="vector"`          |
    |----------------------------|--------------------------|------------------------------|
    | `single_observation_space` | `Discrete(M)`            | `Box(-1, 1, (M+2S+SA,))`     |
    | `observation_space`        | `MultiDiscrete([M] * B)` | `Box(-1, 1, (B, M+2S+SA))`   |
    | `single_action_space`      | `Discrete(A)`            | `Discrete(A)`                |
    | `action_space`             | `MultiDiscrete([A] * B)` | `MultiDiscrete([A] * B)`     |

    ## Rewards, Info

    ``rewards[b] = u2[s_b, a_b]`` (plus noise), as the single env. ``infos`` holds arrays
    ``(B,)`` under ``state``, ``message``, ``action``, ``sender_utility``,
    ``receiver_payoff`` and ``lp_value``, each with its ``"_key"`` mask.

    ## Episode End and Autoreset

    Truncation of every copy after ``episode_length`` rounds; autoreset mode
    ``AutoresetMode.NEXT_STEP``: the step after the truncation resets all copies, ignores its
    actions and returns the first observations with zero rewards.

    ## Arguments

    ``num_envs`` (B) and every keyword argument of the single env: ``game``, ``size``,
    ``sender``, ``sender_kwargs``, ``episode_length``, ``noise``, ``normalize``, ``obs_type``,
    ``render_mode`` (``render()`` returns one frame per copy).
    """

    _side = "receiver"
    _options_class = ReceiverViewOptions
    _choice = "receiver action"
    _info_keys = ("state", "message", "action", "sender_utility", "receiver_payoff")

    @property
    def sender(self) -> Any:
        """The batched sender agent playing inside (all copies)."""
        return self.agent

    def _make_spaces(self) -> None:
        n_states, n_actions, n_messages = self.n_states, self.n_actions, self.n_messages
        self.single_action_space = spaces.Discrete(n_actions)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        if self.obs_type == "message":
            self.single_observation_space = spaces.Discrete(n_messages)
        else:
            width = n_messages + 2 * n_states + n_states * n_actions
            self.single_observation_space = spaces.Box(-1.0, 1.0, (width,), dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)

    def _check_game(self, game: PersuasionGame) -> None:
        if self.sender.messages_for(game) != self.n_messages:
            raise ValueError(
                f"the sender uses {self.sender.messages_for(game)} messages in this game, "
                f"but the observation space was built for {self.n_messages}"
            )

    def _observations(self) -> np.ndarray:
        core = self.core
        if self.obs_type == "message":
            return np.asarray(core.messages, dtype=np.int64).copy()
        schemes = np.asarray(self.sender.policy(), dtype=np.float64)
        return receiver_vector_observation(
            self.game.prior, self.game.receiver_utility, core.messages, schemes
        )

    def _round_info(
        self, states: np.ndarray, messages: np.ndarray, choices: np.ndarray
    ) -> dict[str, Any]:
        core = self.core
        return {
            "state": states,
            "message": messages,
            "action": choices,
            "sender_utility": core.u1,
            "receiver_payoff": core.u2,
        }
