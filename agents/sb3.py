"""Trained Stable-Baselines3 policies as registry agents (``make_sender("sb3", model=...)``).

A policy trained on one of the persuasion environments becomes a sender or a receiver that
can play the batched engine (:func:`persuasion_env.simulate`) and tournaments against every
other agent. The adapter builds, for all ``B`` runs at once, exactly the observations the
environment gave the policy in training (the encoders live in :mod:`persuasion_env.envs`),
and calls ``model.predict`` **once per round on the whole batch**.

Which environment the model was trained on is read from its spaces:

=========================================  =====================  ==============================
model trained on                           observation / action   the agent
=========================================  =====================  ==============================
``RepeatedPersuasion-v0``                  ``Discrete(S)`` /       per-round sender: state ->
                                           ``Discrete(M)``         message
``RepeatedPersuasion-v0``, vector obs      ``Box`` / ``Discrete``  idem, vector observation
``SchemeCommitment-v0``                    ``Box`` / ``Box(S, M)`` scheme-level sender: commits
                                                                   to the scheme predicted for
                                                                   the game at reset
``RepeatedPersuasionReceiver-v0``          ``Discrete(M)`` /       learning-level receiver:
                                           ``Discrete(A)``         message -> action
``RepeatedPersuasionReceiver-v0``, vector  ``Box`` / ``Discrete``  explicit receiver (sees the
                                                                   scheme's column)
=========================================  =====================  ==============================

This module imports torch and Stable-Baselines3; the registry imports it only when ``"sb3"``
is built by name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import stable_baselines3
import torch
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

from agents._sampling import sample_rows
from agents.base import BLACK_BOX, GameView, Receiver, Sender
from agents.callbacks import TAGS, EpisodeStats, TensorBoardHook
from agents.registry import register
from persuasion_env._fingerprint import digest
from persuasion_env.bayes import one_hot
from persuasion_env.envs.core import receiver_vector_observation, sender_vector_observation
from persuasion_env.envs.scheme_commitment import (
    ACTION_MAPPINGS,
    action_to_scheme,
    game_observation,
)
from persuasion_env.game import PersuasionGame

__all__ = ["RatioToOptimumCallback", "SB3Receiver", "SB3Sender", "load_model"]


def load_model(model: BaseAlgorithm | str | Path, algorithm: str | None = None) -> BaseAlgorithm:
    """A trained SB3 model: passed through, or loaded from a ``.zip`` with ``algorithm``
    (``"PPO"``, ``"DQN"``, ``"A2C"``, ... any class of :mod:`stable_baselines3`)."""
    if isinstance(model, BaseAlgorithm):
        return model
    if isinstance(model, str | Path):
        path = Path(model)
        if not path.is_file() and not Path(f"{path}.zip").is_file():  # SB3 adds ".zip"
            problem = "is not a file" if path.exists() else "does not exist"
            raise ValueError(f"model file {str(path)!r} {problem}")
        if algorithm is None:
            raise ValueError("algorithm (e.g. 'PPO') is required to load a model from a file")
        cls = getattr(stable_baselines3, algorithm, None)
        if not (isinstance(cls, type) and issubclass(cls, BaseAlgorithm)):
            raise ValueError(f"unknown Stable-Baselines3 algorithm {algorithm!r}")
        return cls.load(str(model), device="cpu")
    raise TypeError(
        f"model must be a trained Stable-Baselines3 model or a path, got {type(model).__name__}"
    )


class _SB3Agent:
    """Shared prediction. Deterministic agents play ``model.predict(deterministic=True)``;
    stochastic ones sample, with the agent's own Generator (reproducible), from
    :meth:`_action_probabilities`, the very distribution :meth:`policy` reports."""

    model: BaseAlgorithm
    deterministic: bool
    rng: np.random.Generator

    def _check_stochastic(self) -> None:
        """``deterministic=False`` needs a distribution to sample from."""
        if self.deterministic or hasattr(self.model.policy, "get_distribution"):
            return
        if getattr(self.model, "exploration_rate", None) is None:
            raise ValueError(
                f"deterministic=False needs a policy with an action distribution (PPO, A2C) "
                f"or epsilon-greedy exploration (DQN); {type(self.model).__name__} has neither"
            )

    def _action_probabilities(self, obs: np.ndarray) -> np.ndarray:
        """``(N, K)``: the distribution over the ``K`` actions the agent draws from for each
        of the ``N`` observations. Deterministic: one-hot on the predicted action. Stochastic:
        the policy's categorical distribution (PPO, A2C), or epsilon-greedy around the greedy
        action (DQN: ``exploration_rate`` uniform, the rest greedy), rows summing to 1."""
        n_actions = int(self.model.action_space.n)
        if self.deterministic:
            actions, _ = self.model.predict(obs, deterministic=True)
            return one_hot(np.asarray(actions).reshape(-1), n_actions)
        policy = self.model.policy
        if hasattr(policy, "get_distribution"):
            with torch.no_grad():
                tensor, _ = policy.obs_to_tensor(obs)
                probs = policy.get_distribution(tensor).distribution.probs
            probs = probs.cpu().numpy().astype(np.float64).reshape(-1, n_actions)
            return probs / probs.sum(axis=1, keepdims=True)
        epsilon = float(self.model.exploration_rate)
        greedy, _ = policy.predict(obs, deterministic=True)
        return epsilon / n_actions + (1.0 - epsilon) * one_hot(
            np.asarray(greedy).reshape(-1), n_actions
        )

    def _predict(self, obs: np.ndarray) -> np.ndarray:
        if self.deterministic:
            actions, _ = self.model.predict(obs, deterministic=True)
            return np.asarray(actions)
        return sample_rows(self._action_probabilities(obs), self.rng)

    def fingerprint(self) -> str:
        """What changes this agent's play: its class and options, the algorithm, the
        spaces, and the policy's weights (every tensor of its ``state_dict``) -- so two
        models saved under one file name never share a stored tournament."""
        model = self.model
        return digest(
            {
                "class": f"{type(self).__module__}.{type(self).__qualname__}",
                "options": {k: v for k, v in vars(self).items() if k in self._fingerprint_options},
                "algorithm": f"{type(model).__module__}.{type(model).__qualname__}",
                "policy": f"{type(model.policy).__module__}.{type(model.policy).__qualname__}",
                "spaces": (repr(model.observation_space), repr(model.action_space)),
                "exploration_rate": getattr(model, "exploration_rate", None),
                "weights": dict(model.policy.state_dict()),
            }
        )

    _fingerprint_options: tuple[str, ...] = ()


def _check_space(space: spaces.Space, expected: spaces.Space, what: str, view: GameView) -> None:
    if (
        space.shape != expected.shape
        or type(space) is not type(expected)
        or (isinstance(space, spaces.Discrete) and space.n != expected.n)
    ):
        raise ValueError(
            f"the SB3 model's {what} space is {space}, but this game (S={view.n_states}, "
            f"A={view.n_actions}, M={view.n_messages}) needs {expected}: the model was trained "
            "on a game of another size"
        )


@register
class SB3Sender(_SB3Agent, Sender):
    """A trained Stable-Baselines3 policy as a sender (per round, or scheme-level).

    Args:
        model: a trained SB3 model (``PPO``, ``A2C``, ``DQN``...) or a path to its ``.zip``.
        algorithm: the SB3 class name when ``model`` is a path.
        deterministic: per-round models: act greedily (default) or sample from the policy's
            distribution with the agent's Generator; :meth:`policy` reports what is played
            either way. Scheme-level models commit to the predicted (mean) scheme.
        action_mapping, logit_scale: scheme-level models only: how the Box action maps to a
            scheme; must match the ``SchemeCommitment-v0`` the model was trained on.
        observe_receiver_utility: scheme-level models only: whether the training observation
            included ``u2`` (then the agent is given the whole game, ``full_information``).
    """

    name = "sb3"
    learns = False
    # Per object, a scheme-level policy trained on u2 is full information (information_class).
    information = BLACK_BOX
    observes = ("state",)
    description = "A trained Stable-Baselines3 policy as a sender (per round or scheme-level)"
    _param_names = ("deterministic", "action_mapping", "logit_scale")
    _fingerprint_options = (*_param_names, "full_information", "level", "n_messages")

    def __init__(
        self,
        model: BaseAlgorithm | str | Path,
        algorithm: str | None = None,
        deterministic: bool = True,
        action_mapping: str = "softmax",
        logit_scale: float = 5.0,
        observe_receiver_utility: bool = True,
    ) -> None:
        super().__init__()
        self.model = load_model(model, algorithm)
        self.deterministic = bool(deterministic)
        if action_mapping not in ACTION_MAPPINGS:
            raise ValueError(
                f"action_mapping must be one of {ACTION_MAPPINGS}, got {action_mapping!r}"
            )
        self.action_mapping = action_mapping
        self.logit_scale = float(logit_scale)
        action_space = self.model.action_space
        if isinstance(action_space, spaces.Box) and len(action_space.shape) == 2:
            self.level = "scheme"  # a SchemeCommitment-v0 policy
            self.full_information = bool(observe_receiver_utility)
            self.n_messages = int(action_space.shape[1])
        elif isinstance(action_space, spaces.Discrete):
            self.level = "round"
            self.full_information = False
            self.n_messages = int(action_space.n)
        else:
            raise ValueError(
                f"the SB3 model's action space {action_space} fits no persuasion env: expected "
                "Discrete(M) (RepeatedPersuasion-v0) or Box(S, M) (SchemeCommitment-v0)"
            )
        if self.level == "round":
            self._check_stochastic()
        self.policy_version = 0

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        self._rows = np.arange(runs)
        obs_space = self.model.observation_space
        if self.level == "scheme":
            _check_space(
                self.model.action_space,
                spaces.Box(-1, 1, (view.n_states, view.n_messages)),
                "action",
                view,
            )
            game = view.game or PersuasionGame(view.prior, view.utility, view.utility)
            obs = game_observation(game, receiver_utility=self.full_information)
            _check_space(obs_space, spaces.Box(-1, 1, obs.shape), "observation", view)
            action, _ = self.model.predict(obs, deterministic=True)
            scheme = action_to_scheme(action, self.action_mapping, self.logit_scale)
            self._schemes = np.broadcast_to(scheme, (runs, *scheme.shape)).copy()
            self.policy_version += 1
            return
        self._vector = isinstance(obs_space, spaces.Box)
        if self._vector:
            width = 2 * view.n_states + view.n_states * view.n_actions + view.n_messages
            expected: spaces.Space = spaces.Box(-1, 1, (width + view.n_actions,))
        else:
            expected = spaces.Discrete(view.n_states)
        _check_space(obs_space, expected, "observation", view)
        self._last_messages = np.full(runs, -1, dtype=np.int64)
        self._last_actions = np.full(runs, -1, dtype=np.int64)

    def _observations(self, states: np.ndarray) -> np.ndarray:
        if not self._vector:
            return states
        view = self.view
        return sender_vector_observation(
            view.prior,
            view.utility,
            view.n_messages,
            states,
            self._last_messages,
            self._last_actions,
        )

    def act(self, states: np.ndarray) -> np.ndarray:
        if self.level == "scheme":
            return sample_rows(self._schemes[self._rows, states], self.rng)
        return self._predict(self._observations(states)).astype(np.int64).reshape(self.runs)

    def update(
        self, states: np.ndarray, messages: np.ndarray, actions: np.ndarray, rewards: np.ndarray
    ) -> None:
        if self.level == "round":
            self._last_messages, self._last_actions = messages, actions

    def policy(self) -> np.ndarray:
        """``(B, S, M)``: scheme-level, the committed scheme; per round, the distribution
        over messages each state's observation is answered with -- one-hot on the predicted
        message when ``deterministic``, else the policy's own distribution (what :meth:`act`
        samples from). With the vector observation the policy of run ``b`` is the one given
        that run's previous message and action."""
        view = self._require_reset()
        if self.level == "scheme":
            return self._schemes.copy()
        n_states = view.n_states
        states = np.tile(np.arange(n_states), self.runs)
        if self._vector:
            obs = sender_vector_observation(
                view.prior,
                view.utility,
                view.n_messages,
                states,
                np.repeat(self._last_messages, n_states),
                np.repeat(self._last_actions, n_states),
            )
            table = self._action_probabilities(obs)
            return table.reshape(self.runs, n_states, view.n_messages)
        table = self._action_probabilities(np.arange(n_states)).reshape(n_states, -1)
        return np.broadcast_to(table, (self.runs, *table.shape)).copy()


@register
class SB3Receiver(_SB3Agent, Receiver):
    """A trained Stable-Baselines3 policy as a receiver.

    A model trained with ``obs_type="message"`` maps each message to an action (it sees
    only messages: a learning-level receiver); with ``obs_type="vector"`` it also sees the
    sender's scheme (``needs_scheme``: an explicit receiver).

    Args:
        model: a trained SB3 model or a path to its ``.zip``.
        algorithm: the SB3 class name when ``model`` is a path.
        deterministic: act greedily (default) or sample with the agent's Generator.
    """

    name = "sb3"
    learns = False
    # Per object, a vector-observation policy sees the scheme: white box (information_class).
    information = BLACK_BOX
    observes = ("message",)
    description = "A trained Stable-Baselines3 policy as a receiver"
    _param_names = ("deterministic",)
    _fingerprint_options = (*_param_names, "level")

    def __init__(
        self,
        model: BaseAlgorithm | str | Path,
        algorithm: str | None = None,
        deterministic: bool = True,
    ) -> None:
        super().__init__()
        self.model = load_model(model, algorithm)
        self.deterministic = bool(deterministic)
        if not isinstance(self.model.action_space, spaces.Discrete):
            raise ValueError(
                f"the SB3 model's action space {self.model.action_space} is not Discrete(A): "
                "train it on persuasion/RepeatedPersuasionReceiver-v0"
            )
        self._check_stochastic()
        self._vector = isinstance(self.model.observation_space, spaces.Box)
        self.needs_scheme = self._vector
        self.level = "explicit" if self._vector else "learning"

    def reset(self, view: GameView, *, runs: int, rng: np.random.Generator) -> None:
        super().reset(view, runs=runs, rng=rng)
        _check_space(self.model.action_space, spaces.Discrete(view.n_actions), "action", view)
        if self._vector:
            width = view.n_messages + 2 * view.n_states + view.n_states * view.n_actions
            expected: spaces.Space = spaces.Box(-1, 1, (width,))
        else:
            expected = spaces.Discrete(view.n_messages)
        _check_space(self.model.observation_space, expected, "observation", view)
        self._schemes = np.full((runs, view.n_states, view.n_messages), 1.0 / view.n_messages)

    def observe_scheme(self, schemes: np.ndarray) -> None:
        self._schemes = self._checked_schemes(schemes)

    def _observations(self, messages: np.ndarray, schemes: np.ndarray) -> np.ndarray:
        if not self._vector:
            return messages
        return receiver_vector_observation(self.view.prior, self.view.utility, messages, schemes)

    def act(self, messages: np.ndarray) -> np.ndarray:
        self._require_reset()
        obs = self._observations(messages, self._schemes)
        return self._predict(obs).astype(np.int64).reshape(self.runs)

    def policy(self) -> np.ndarray:
        """``(B, M, A)``: the distribution over actions each message is answered with (one-hot
        when ``deterministic``, else the one :meth:`act` samples from)."""
        view = self._require_reset()
        n_messages = view.n_messages
        messages = np.tile(np.arange(n_messages), self.runs)
        schemes = np.repeat(self._schemes, n_messages, axis=0)
        obs = self._observations(messages, schemes)
        return self._action_probabilities(obs).reshape(self.runs, n_messages, view.n_actions)


class RatioToOptimumCallback(BaseCallback):
    """Logs each finished episode's ratio to the optimum while SB3 trains.

    Tags and values as in :mod:`agents.callbacks` (``charts/episodic_return``,
    ``charts/ratio_to_lp``, ``charts/ratio_to_best_fixed`` when the env reports
    ``best_fixed_value``, ...), computed from the infos the vector env returns.

    Args:
        log_dir: write the points with a TensorBoard ``SummaryWriter`` to this directory, one
            per episode at ``model.num_timesteps`` (CleanRL style). Without it the means are
            recorded into the model's own logger (``logger.record_mean``) and so reach every
            output SB3 was configured with, TensorBoard included (``tensorboard_log=...``),
            at each of its dumps.
    """

    def __init__(self, log_dir: str | Path | None = None, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.log_dir = log_dir
        self.hook: TensorBoardHook | None = None
        self.stats: EpisodeStats | None = None
        self.episodes = 0

    def _on_training_start(self) -> None:
        n_envs = self.training_env.num_envs
        if self.log_dir is not None:
            self.hook = TensorBoardHook(self.log_dir, n_envs=n_envs)
        else:
            self.stats = EpisodeStats(n_envs)

    def _on_step(self) -> bool:
        rewards, dones, infos = self.locals["rewards"], self.locals["dones"], self.locals["infos"]
        if self.hook is not None:
            finished = self.hook.step(rewards, dones, infos, global_step=self.num_timesteps)
        else:
            assert self.stats is not None
            finished = self.stats.update(rewards, dones, infos)
            for episode in finished:
                for key, value in episode.items():
                    self.logger.record_mean(TAGS[key], value)
        self.episodes += len(finished)
        return True

    def _on_training_end(self) -> None:
        if self.hook is not None:
            self.hook.close()
