"""A permutation-equivariant Stable-Baselines3 policy for ``persuasion/SchemeCommitment-v0``.

The env's observation is the game, ``[p, u1 / max|u1|, u2 / max|u2|]`` (S + 2SA entries), and
its action is a scheme ``(S, M)`` of logits. With ``M = A`` the natural reading of a scheme is
a **recommendation** scheme (message ``m`` recommends action ``m``), and the commitment
problem (MODEL.md A2) is then equivariant: relabelling the states permutes the rows of the
optimal scheme, relabelling the actions permutes its columns. A plain MLP on the flattened
game has to learn this from data (the 4! x 4! relabellings of a 4 x 4 game look like
unrelated inputs); :class:`EquivariantSchemePolicy` has it built in:

* each cell ``(s, a)`` of the game gets a few features read from the observation only
  (:func:`cell_features`: the prior of ``s``, ``u1`` and ``u2`` centred per state, and how far
  ``a`` is from each side's favourite action in ``s``);
* a stack of **exchangeable layers** (Hartford et al. 2018, "Deep models of interactions
  across sets") mixes each cell with the means and maxima of its row, its column and the
  whole table: ``h'[s,a] = relu(W0 h[s,a] + W1 mean_s' h[s',a] + W2 mean_a' h[s,a'] +
  W3 max_s' h[s',a] + W4 max_a' h[s,a'] + W5 mean h)``;
* a per-cell linear head gives the logit of ``pi[s, m = a]`` (the action mean of SB3's
  Gaussian policy); the value head pools a separate, smaller stack.

Every layer commutes with permutations of the states and of the actions, so the policy does
(tested in ``tests/agents/test_scheme_policy.py``). The policy reads nothing but the
observation: no solver, no LP value. Use it as ``PPO(EquivariantSchemePolicy, venv, ...)`` on
an env with ``n_messages = A`` (the default) and the ``"softmax"`` action mapping.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn

from persuasion_env._validation import check_int

__all__ = ["EquivariantSchemePolicy", "ExchangeableLayer", "SchemeNetwork", "cell_features"]

#: Number of features per cell computed by :func:`cell_features`.
N_CELL_FEATURES = 7


def game_shape(observation_dim: int, action_shape: tuple[int, ...]) -> tuple[int, int]:
    """``(S, A)`` of the games behind observations of ``S + 2SA`` entries and actions
    ``(S, M)`` with ``M = A``; ValueError otherwise."""
    if len(action_shape) != 2:
        raise ValueError(f"action space must have shape (S, M), got {action_shape}")
    n_states, n_messages = action_shape
    if observation_dim != n_states + 2 * n_states * n_messages:
        raise ValueError(
            f"observation must be [prior, u1, u2] of S + 2 S A = "
            f"{n_states + 2 * n_states * n_messages} entries for S = {n_states}, A = M = "
            f"{n_messages} (an env with n_messages = A and the receiver's utility observed), "
            f"got {observation_dim} entries"
        )
    return n_states, n_messages


def cell_features(obs: torch.Tensor, n_states: int, n_actions: int) -> torch.Tensor:
    """Per-cell features ``(B, S, A, 7)`` of observations ``(B, S + 2SA)``.

    Both utilities are centred per state (adding a constant to a state's row of ``u1`` or
    ``u2`` changes neither the sender's ranking of schemes nor the receiver's responses), and
    ``regret`` features say how far ``a`` is from each side's favourite action in ``s``:
    ``[S p_s, u1c, u2c, u1 - max_a u1, u2 - max_a u2, S p_s u1c, S p_s u2c]``."""
    batch = obs.shape[0]
    cells = n_states * n_actions
    prior = obs[:, :n_states] * n_states  # 1 for a uniform prior
    u1 = obs[:, n_states : n_states + cells].reshape(batch, n_states, n_actions)
    u2 = obs[:, n_states + cells : n_states + 2 * cells].reshape(batch, n_states, n_actions)
    u1c = u1 - u1.mean(dim=2, keepdim=True)
    u2c = u2 - u2.mean(dim=2, keepdim=True)
    p = prior[:, :, None].expand(batch, n_states, n_actions)
    return torch.stack(
        [
            p,
            u1c,
            u2c,
            u1 - u1.amax(dim=2, keepdim=True),
            u2 - u2.amax(dim=2, keepdim=True),
            p * u1c,
            p * u2c,
        ],
        dim=-1,
    )


class ExchangeableLayer(nn.Module):
    """``(B, S, A, C_in) -> (B, S, A, C_out)``, equivariant to permutations of S and of A:
    each cell plus linear maps of its row's, its column's and the table's pooled features."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.cell = nn.Linear(c_in, c_out)
        # Pooled inputs, each with its own map (applied before broadcasting: cheap): the mean
        # and max over states (per action), over actions (per state), and the table's mean.
        self.per_action = nn.Linear(2 * c_in, c_out, bias=False)
        self.per_state = nn.Linear(2 * c_in, c_out, bias=False)
        self.table = nn.Linear(c_in, c_out, bias=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        per_action = torch.cat([h.mean(dim=1, keepdim=True), h.amax(dim=1, keepdim=True)], -1)
        per_state = torch.cat([h.mean(dim=2, keepdim=True), h.amax(dim=2, keepdim=True)], -1)
        # Small terms first ((B, 1, A) + (B, 1, 1)), then two full-size additions.
        small = self.per_action(per_action) + self.table(h.mean(dim=(1, 2), keepdim=True))
        return self.cell(h) + small + self.per_state(per_state)


class SchemeNetwork(nn.Module):
    """SB3's ``mlp_extractor`` for :class:`EquivariantSchemePolicy`: observations ``(B, D)``
    -> per-cell actor features ``(B, S A width)`` and pooled critic features ``(B, 2 vf_width)``.

    Raises:
        TypeError, ValueError: if a width or depth is not an integer >= 1.
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        width: int = 32,
        depth: int = 3,
        vf_width: int = 32,
        vf_depth: int = 2,
    ) -> None:
        super().__init__()
        width, depth, vf_width, vf_depth = _network_sizes(width, depth, vf_width, vf_depth)
        self.n_states, self.n_actions, self.width = n_states, n_actions, width
        self.actor = self._stack(width, depth)
        self.critic = self._stack(vf_width, vf_depth)
        self.latent_dim_pi = n_states * n_actions * width
        self.latent_dim_vf = 2 * vf_width

    @staticmethod
    def _stack(width: int, depth: int) -> nn.ModuleList:
        sizes = [N_CELL_FEATURES] + [width] * depth
        pairs = zip(sizes[:-1], sizes[1:], strict=True)
        return nn.ModuleList(ExchangeableLayer(a, b) for a, b in pairs)

    @staticmethod
    def _run(layers: nn.ModuleList, h: torch.Tensor) -> torch.Tensor:
        for layer in layers:
            h = torch.relu(layer(h))
        return h

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(features), self.forward_critic(features)

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        h = self._run(self.actor, cell_features(features, self.n_states, self.n_actions))
        return h.flatten(start_dim=1)

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        h = self._run(self.critic, cell_features(features, self.n_states, self.n_actions))
        return torch.cat([h.mean(dim=(1, 2)), h.amax(dim=(1, 2))], dim=1)


def _network_sizes(width: int, depth: int, vf_width: int, vf_depth: int) -> tuple[int, ...]:
    """The stacks' sizes, validated: each an integer >= 1 (a stack needs a layer for its
    output to have the declared width)."""
    sizes = {"width": width, "depth": depth, "vf_width": vf_width, "vf_depth": vf_depth}
    return tuple(check_int(value, name, minimum=1) for name, value in sizes.items())


class CellHead(nn.Module):
    """``(B, S A width) -> (B, S A)``: the same linear map on every cell (the logit of
    ``pi[s, m = a]``), so the actor stays equivariant."""

    def __init__(self, n_cells: int, width: int) -> None:
        super().__init__()
        self.n_cells, self.width = n_cells, width
        self.linear = nn.Linear(width, 1)
        # Small initial logits: the first schemes are near uniform (as SB3's 0.01 gain).
        nn.init.orthogonal_(self.linear.weight, gain=0.01)
        nn.init.zeros_(self.linear.bias)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        cells = latent.reshape(latent.shape[0], self.n_cells, self.width)
        return self.linear(cells).squeeze(-1)


class EquivariantSchemePolicy(ActorCriticPolicy):
    """SB3 actor-critic policy whose action mean is a permutation-equivariant function of the
    game (module docstring). Extra keywords (``policy_kwargs``): ``width`` (32) and ``depth``
    (3) of the actor's exchangeable stack, ``vf_width`` (32) and ``vf_depth`` (2) of the
    critic's (integers >= 1; TypeError / ValueError otherwise); ``log_std_init`` as SB3's.
    ``net_arch`` is not used."""

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Any,
        *args: Any,
        width: int = 32,
        depth: int = 3,
        vf_width: int = 32,
        vf_depth: int = 2,
        **kwargs: Any,
    ) -> None:
        if not isinstance(action_space, spaces.Box):
            raise TypeError(f"action_space must be a Box (S, M), got {action_space}")
        self.game_shape = game_shape(int(np.prod(observation_space.shape)), action_space.shape)
        sizes = _network_sizes(width, depth, vf_width, vf_depth)
        self.network_sizes = dict(
            zip(("width", "depth", "vf_width", "vf_depth"), sizes, strict=True)
        )
        kwargs.setdefault("ortho_init", False)  # the layers keep torch's default init
        super().__init__(observation_space, action_space, lr_schedule, *args, **kwargs)

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = SchemeNetwork(*self.game_shape, **self.network_sizes)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        n_states, n_actions = self.game_shape
        self.action_net = CellHead(n_states * n_actions, self.network_sizes["width"])
        # The optimizer built by SB3 holds the replaced head's parameters: build it again.
        self.optimizer = self.optimizer_class(
            self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.network_sizes)
        return data
