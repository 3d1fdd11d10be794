"""A natively batched vector version of ``persuasion/RepeatedPersuasion-v0``.

:class:`RepeatedPersuasionVectorEnv` steps ``B = num_envs`` copies of the sender's view of the
repeated game in one NumPy call per round: the receiver inside is a *single* batched agent
whose tables carry a leading runs axis (:mod:`agents.base`), so a step costs about as much as
one step of one copy, not ``B`` Python-level steps as with
:class:`gymnasium.vector.SyncVectorEnv`. It plays the same round
(:class:`persuasion_env.match.Match`) with the same options
(:class:`~persuasion_env.envs.core.SenderViewOptions`) as the single env (which is
``B = 1``), so with ``num_envs=1`` and the same seed the two produce identical episodes.

Reach it with ``gymnasium.make_vec("persuasion/RepeatedPersuasion-v0", num_envs=B,
vectorization_mode="vector_entry_point", ...)`` or build it directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

from persuasion_env.envs._batched_view import BatchedView
from persuasion_env.envs.core import SenderViewOptions, declare_options, sender_vector_observation

__all__ = ["RepeatedPersuasionVectorEnv"]


@declare_options(SenderViewOptions, leading=("num_envs",))
class RepeatedPersuasionVectorEnv(BatchedView):
    """``num_envs`` copies of :class:`~persuasion_env.envs.repeated.RepeatedPersuasionEnv`
    stepped together through the receiver's batched tables.

    ## Description

    Each copy is an independent run of the repeated game (own states, own receiver tables,
    own noise); all copies play the **same game**, which is fixed or drawn at every reset
    (all copies at once: the batched receiver is reset as a whole). Every copy has the same
    episode length, so all copies end together.

    ## Spaces

    | Attribute                  | `obs_type="state"`       | `obs_type="vector"`          |
    |----------------------------|--------------------------|------------------------------|
    | `single_observation_space` | `Discrete(S)`            | `Box(-1, 1, (2S+SA+M+A,))`   |
    | `observation_space`        | `MultiDiscrete([S] * B)` | `Box(-1, 1, (B, 2S+SA+M+A))` |
    | `single_action_space`      | `Discrete(M)`            | `Discrete(M)`                |
    | `action_space`             | `MultiDiscrete([M] * B)` | `MultiDiscrete([M] * B)`     |

    ## Rewards, Info

    ``rewards[b] = u1[s_b, a_b]`` (plus noise), as the single env. ``infos`` holds arrays
    ``(B,)`` under ``state``, ``message``, ``receiver_action``, ``receiver_payoff``,
    ``sender_utility`` and ``lp_value``, each with its ``"_key"`` mask (Gymnasium's vector
    info convention).

    ## Episode End and Autoreset

    Truncation of every copy after ``episode_length`` rounds. Autoreset mode
    ``AutoresetMode.NEXT_STEP`` (Gymnasium's default): the step after the truncation resets
    all copies (a new game if drawn, fresh receivers), ignores its actions and returns the
    first observations with zero rewards.

    ## Arguments

    ``num_envs`` (B) and every keyword argument of
    :class:`~persuasion_env.envs.repeated.RepeatedPersuasionEnv`: ``game``, ``size``,
    ``receiver``, ``receiver_kwargs``, ``episode_length``, ``n_messages``, ``noise``,
    ``normalize``, ``epoch``, ``obs_type``, ``render_mode`` (``render()`` returns a tuple with
    one frame per copy), ``best_fixed_runs``, with the same defaults; its infos carry
    ``lp_value`` and (when computed) ``best_fixed_value`` for every copy, as the single env's.
    """

    _side = "sender"
    _options_class = SenderViewOptions
    _choice = "message"
    _info_keys = ("state", "message", "receiver_action", "receiver_payoff", "sender_utility")

    @property
    def receiver(self) -> Any:
        """The batched receiver agent playing inside (all copies)."""
        return self.agent

    def _make_spaces(self) -> None:
        n_states, n_actions, n_messages = self.n_states, self.n_actions, self.n_messages
        self.single_action_space = spaces.Discrete(n_messages)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        if self.obs_type == "state":
            self.single_observation_space = spaces.Discrete(n_states)
        else:
            width = 2 * n_states + n_states * n_actions + n_messages + n_actions
            self.single_observation_space = spaces.Box(-1.0, 1.0, (width,), dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)

    def _observations(self) -> np.ndarray:
        core = self.core
        if self.obs_type == "state":
            return core.states.copy()
        game = self.game
        return sender_vector_observation(
            game.prior,
            game.sender_utility,
            self.n_messages,
            core.states,
            core.last_messages,
            core.last_actions,
        )

    def _round_info(
        self, states: np.ndarray, messages: np.ndarray, choices: np.ndarray
    ) -> dict[str, Any]:
        core = self.core
        return {
            "state": states,
            "message": choices,
            "receiver_action": core.last_actions,
            "receiver_payoff": core.u2,
            "sender_utility": core.u1,
        }
