"""The simulation-oracle game with both sides as outside agents (PettingZoo).

Agents ``"sender"`` and ``"receiver"``. A (state, type) pair is drawn from the joint prior; the
receiver observes its type, the sender does not. The sender asks threshold queries ("is the type
>= t?", realised as real message columns, B3) which the *receiver itself* answers (a truthful
receiver answers as it would act: expected utility of acting ``>= 0``), then commits; the
environment commits the B2-optimal policy for the range the answers leave, draws a message for
the drawn state and the receiver acts or not.

========================  =====================================================================
sender action             ``Discrete(T)``: 0 = commit, t = ask "type >= t"
receiver action           ``Discrete(2)``: 1 = act (or answer "yes"), 0 = refuse ("no")
sender observation        ``Box(0, 1, (2T + 2,))``: possible-type mask (T), type marginal (T),
                          queries left / limit, 1 if it is the sender's turn
receiver observation      ``Box(-1, 1, (T + 3,))``: one-hot own type (T), own conditional
                          expected utility of acting on the current column divided by
                          ``max |u|``, 1 if the column is a query (0: the real message), 1 if
                          it is the receiver's turn
sender reward             ``-costs[t-1]`` per query; 1 if the receiver acts on the real message
receiver reward           ``u[state, type]`` if it acts on the real message, else 0
action masks              ``infos[agent]["action_mask"]`` (``int8``, after every reset and step):
                          the sender's useful actions on its turn (commit; thresholds ``t`` with
                          ``lo < t <= hi`` that can be realised), both receiver actions on its
                          turn, all zeros for the agent that waits. With
                          ``action_mask_in_obs=True`` observations are PettingZoo's classic
                          dicts ``{"observation": ..., "action_mask": ...}`` instead.
========================  =====================================================================

Conventions (issue 17): ids ``persuasion/oracle_query_v0`` in PettingZoo's registry
(``pettingzoo.make("aec" | "parallel", ...)``, PettingZoo >= 1.27); both classes are
``EzPickle`` (a pickled env, also mid-episode, is rebuilt from its arguments and must be
reset); rewards are always ``float``; the parallel env's infos carry ``active_agent`` (who
moves next) from ``reset`` on; observations are already ``Box`` (SuperSuit can pad them);
``render_mode`` is ``"ansi"`` or ``"human"`` (prints after every step). PettingZoo's
``max_cycles_test`` does not apply: an episode ends by itself after at most
``2 * budget + 2`` moves and there is no ``max_cycles`` (as PettingZoo's classic games).

Answers inconsistent with earlier ones (a lying receiver) are ignored by the sender's belief.
The episode ends (termination for both) after the receiver's final action. ``raw_env`` is the
AEC game with true turns (sender, receiver, sender, ...); ``parallel_env()`` is a native parallel
version where both agents act every step and the action of the agent whose turn it is not is
ignored (the observation's last entry says whose turn it is).

>>> from persuasion_env.multiagent import oracle_query_v0
>>> env = oracle_query_v0.env(game="three-types", budget=2)
>>> env.reset(seed=0)

Version history: v0 initial; issue 17 added ``action_mask`` (infos, and observations with
``action_mask_in_obs``), then the registry ids, ``EzPickle``, ``active_agent`` in the
parallel infos, ``"human"`` rendering and ``float`` rewards after dead steps (seeded episodes
unchanged); then the fast paths of ``OracleQuery-v0`` (no LP for a threshold the certificate
decides, the B2 policy by the small simplex where its optimum is certified unique): a query
certified by :func:`~persuasion_env.solvers.oracle.threshold_certified` shows the receiver the
certifying column instead of the query LP's column (every type of positive mass acts on both
iff it is at or above the threshold, so truthful answers, the sender's belief, rewards and
masks are unchanged; the receiver's expected-utility observation of a query column differs).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle, seeding
from pettingzoo import AECEnv, ParallelEnv

from persuasion_env._validation import (
    check_action,
    check_bool,
    check_costs,
    check_int,
    check_options,
    check_turn_actions,
)
from persuasion_env.envs._common import ResetNeeded, check_render_mode, check_seed
from persuasion_env.envs.oracle_query import (
    draw_cell,
    legal_thresholds,
    resolve_oracle_game,
    sender_observation,
)
from persuasion_env.multiagent._wrappers import wrap
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle import threshold_query, threshold_realisable
from persuasion_env.solvers.oracle.small_lp import fast_interval_policy
from persuasion_env.solvers.oracle.thresholds import certified_column

__all__ = ["env", "parallel_env", "raw_env", "OracleQueryParallelEnv"]

SENDER, RECEIVER = "sender", "receiver"


class _Match:
    """The game logic shared by the AEC and parallel versions."""

    def __init__(
        self,
        game: OracleGame | str | None,
        n_states: int,
        n_types: int,
        budget: int | None,
        costs: Any,
    ) -> None:
        self.fixed, self.W, self.T = resolve_oracle_game(game, n_states, n_types)
        self.budget = None if budget is None else check_int(budget, "budget", minimum=0)
        self.costs = None if costs is None else check_costs(costs, self.T)
        self.max_queries = self.budget if self.budget is not None else max(self.T - 1, 0)
        self.game: OracleGame | None = self.fixed
        self.started = False
        self.done = False

    def check_live(self) -> None:
        """Refuse a step before the first reset or after the episode ended."""
        if not self.started:
            raise ResetNeeded("oracle_query_v0: call reset() before step()")
        if self.done:
            raise ResetNeeded("oracle_query_v0: the episode has ended; call reset() before step()")

    def check_move(self, agent: str, action: Any) -> int:
        """``action`` of ``agent`` as an int in its action space (NumPy integers accepted)."""
        n = self.T if agent == SENDER else 2
        return check_action(action, n, label=f"{agent}'s action")

    def reset(self, rng: np.random.Generator) -> None:
        if self.fixed is None:
            self.game = OracleGame.random(self.W, self.T, seed=rng)
        assert self.game is not None
        self.state, self.type = draw_cell(rng, self.game)
        self.lo, self.hi = 0, self.T - 1
        self.left = self.max_queries
        self.turn = SENDER
        self.column = np.zeros(self.W)
        self.is_query = False
        self.pending = 0
        self.done = False
        self.started = True
        self.log: list[str] = []
        self._scale = max(float(np.abs(self.game.receiver_utility).max()), 1e-12)

    # action masks
    def mask(self, agent: str) -> np.ndarray:
        """``agent``'s action mask (``int8``): zeros unless it is its turn in a live episode;
        the sender's useful actions (:func:`legal_thresholds`), both receiver actions."""
        n = self.T if agent == SENDER else 2
        if not self.started or self.done or self.turn != agent:
            return np.zeros(n, dtype=np.int8)
        if agent == RECEIVER:
            return np.ones(2, dtype=np.int8)
        assert self.game is not None
        return legal_thresholds(self.game, self.lo, self.hi, self.left).astype(np.int8)

    # observations
    def obs_sender(self) -> np.ndarray:
        assert self.game is not None
        base = sender_observation(self.game, self.lo, self.hi, self.left, self.max_queries)
        return np.r_[base, np.float32(self.turn == SENDER)].astype(np.float32)

    def obs_receiver(self) -> np.ndarray:
        assert self.game is not None
        psi, u = self.game.joint_prior, self.game.receiver_utility
        t = self.type
        mass = float(psi[:, t] @ self.column)
        eu = float((psi[:, t] * u[:, t]) @ self.column) / mass if mass > 0 else 0.0
        onehot = np.zeros(self.T, dtype=np.float32)
        onehot[t] = 1.0
        extra = [
            np.clip(eu / self._scale, -1.0, 1.0),
            float(self.is_query),
            float(self.turn == RECEIVER),
        ]
        return np.r_[onehot, np.asarray(extra, dtype=np.float32)].astype(np.float32)

    # moves; each returns (sender reward, receiver reward)
    def sender_move(self, action: int, rng: np.random.Generator) -> tuple[float, float]:
        assert self.game is not None
        a = int(action)
        if a == 0 or self.left <= 0:
            self._commit(rng)
            return 0.0, 0.0
        reward = -float(self.costs[a - 1]) if self.costs is not None else 0.0
        self.left -= 1
        if threshold_realisable(self.game, a):
            # the certified column where the certificate decides (no LP), else the LP's: on
            # both, a receiver of positive mass acts iff its type is >= a
            column = certified_column(self.game, a)
            if column is None:
                column = threshold_query(self.game, a).column
            self.column = np.array(column)
            self.is_query = True
            self.pending = a
            self.turn = RECEIVER
            self.log.append(f"sender asks type >= {a}")
        else:
            self.log.append(f"sender asks type >= {a}: cannot be realised (wasted)")
            if self.left <= 0:
                self._commit(rng)
        return reward, 0.0

    def _commit(self, rng: np.random.Generator) -> None:
        assert self.game is not None
        leaf = fast_interval_policy(self.game, self.lo, self.hi)
        row = np.clip(leaf.scheme[self.state], 0.0, None)
        m = int(rng.choice(row.size, p=row / row.sum()))
        self.column = np.array(leaf.scheme[:, m])
        self.is_query = False
        self.turn = RECEIVER
        self.log.append(f"sender commits on types {self.lo}..{self.hi}; message {m}")

    def receiver_move(self, action: int, rng: np.random.Generator) -> tuple[float, float]:
        assert self.game is not None
        yes = int(action) == 1
        if self.is_query:
            t = self.pending
            lo, hi = (max(self.lo, t), self.hi) if yes else (self.lo, min(self.hi, t - 1))
            if lo <= hi:
                self.lo, self.hi = lo, hi
            self.log.append(f"receiver answers {'yes' if yes else 'no'}")
            self.is_query = False
            self.turn = SENDER
            if self.left <= 0:
                self._commit(rng)
            return 0.0, 0.0
        self.done = True
        self.log.append(f"receiver {'acts' if yes else 'refuses'}")
        if yes:
            return 1.0, float(self.game.receiver_utility[self.state, self.type])
        return 0.0, 0.0

    def render(self) -> str:
        head = (
            f"oracle_query_v0: types {self.lo}..{self.hi} possible, {self.left} queries "
            f"left, turn: {self.turn}"
        )
        return "\n".join([head] + [f"  {x}" for x in self.log[-5:]]) + "\n"


def _spaces(T: int, mask_in_obs: bool) -> tuple[dict[str, spaces.Space], dict[str, spaces.Space]]:
    obs: dict[str, spaces.Space] = {
        SENDER: spaces.Box(0.0, 1.0, shape=(2 * T + 2,), dtype=np.float32),
        RECEIVER: spaces.Box(-1.0, 1.0, shape=(T + 3,), dtype=np.float32),
    }
    act = {SENDER: spaces.Discrete(T), RECEIVER: spaces.Discrete(2)}
    if mask_in_obs:
        obs = {
            agent: spaces.Dict(
                {
                    "observation": space,
                    "action_mask": spaces.Box(0, 1, shape=(act[agent].n,), dtype=np.int8),
                }
            )
            for agent, space in obs.items()
        }
    return obs, act


def _observe(match: _Match, agent: str, mask_in_obs: bool) -> Any:
    obs = match.obs_sender() if agent == SENDER else match.obs_receiver()
    if mask_in_obs:
        return {"observation": obs, "action_mask": match.mask(agent)}
    return obs


def _infos(match: _Match, agents: list[str], *, active: bool = False) -> dict[str, dict[str, Any]]:
    """Each agent's info: its action mask; at the end also the drawn state and type; with
    ``active`` (the parallel env) ``active_agent``, who moves next, while the episode runs."""
    end = {"state": match.state, "type": match.type} if match.done else {}
    if active and not match.done:
        end["active_agent"] = match.turn
    return {a: {**end, "action_mask": match.mask(a)} for a in agents}


class raw_env(AECEnv, EzPickle):  # noqa: N801 - PettingZoo naming convention
    """AEC version (true turns). Keyword arguments as ``OracleQuery-v0``: ``game``,
    ``n_states``, ``n_types``, ``budget``, ``costs``, ``render_mode`` (``"ansi"``, ``"human"``);
    ``action_mask_in_obs`` (observations as ``{"observation", "action_mask"}`` dicts).
    ``EzPickle``: a pickled env (also mid-episode) is rebuilt from these arguments."""

    metadata = {
        "render_modes": ["human", "ansi"],
        "name": "oracle_query_v0",
        "is_parallelizable": False,
    }

    def __init__(
        self,
        game: OracleGame | str | None = "three-types",
        *,
        n_states: int = 4,
        n_types: int = 4,
        budget: int | None = 2,
        costs: Any = None,
        action_mask_in_obs: bool = False,
        render_mode: str | None = None,
    ) -> None:
        EzPickle.__init__(
            self,
            game,
            n_states=n_states,
            n_types=n_types,
            budget=budget,
            costs=costs,
            action_mask_in_obs=action_mask_in_obs,
            render_mode=render_mode,
        )
        super().__init__()
        self._match = _Match(game, n_states, n_types, budget, costs)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.action_mask_in_obs = check_bool(action_mask_in_obs, "action_mask_in_obs")
        self.possible_agents = [SENDER, RECEIVER]
        self._obs_spaces, self._act_spaces = _spaces(self._match.T, self.action_mask_in_obs)
        self._np_random, _ = seeding.np_random(None)

    def _clear_rewards(self) -> None:
        # PettingZoo's version (used by _was_dead_step) resets to the int 0: keep floats.
        for agent in self.rewards:
            self.rewards[agent] = 0.0

    @functools.cache  # noqa: B019 - spaces must be the same objects
    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_spaces[agent]

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Space:
        return self._act_spaces[agent]

    def observe(self, agent: str) -> Any:
        return _observe(self._match, agent, self.action_mask_in_obs)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        check_options(options, (), strict=False)
        seed = check_seed(seed)
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        self._match.reset(self._np_random)
        self.agents = list(self.possible_agents)
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = _infos(self._match, self.agents)
        self.agent_selection = self._match.turn

    def step(self, action: Any) -> None:
        m = self._match
        if not m.started or not self.agents:
            m.check_live()
            raise ResetNeeded("oracle_query_v0: the episode has ended; call reset() before step()")
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        move = m.check_move(agent, action)
        self._cumulative_rewards[agent] = 0.0
        self.rewards = {a: 0.0 for a in self.agents}
        if agent == SENDER:
            rs, rr = m.sender_move(move, self._np_random)
        else:
            rs, rr = m.receiver_move(move, self._np_random)
        self.rewards[SENDER] += rs
        self.rewards[RECEIVER] += rr
        if m.done:
            self.terminations = {a: True for a in self.agents}
        self.infos = _infos(m, self.agents)
        self._accumulate_rewards()
        self.agent_selection = m.turn if not m.done else agent
        if m.done:
            # let each agent see the final step once; removal happens through _was_dead_step
            self.agent_selection = self.agents[0]
        if self.render_mode == "human":
            self.render()

    def render(self) -> str | None:
        """The ``"ansi"`` text; ``"human"`` prints it (after every step) and returns None."""
        if self.render_mode == "human":
            print(self._match.render(), end="")
        if self.render_mode != "ansi":
            return None
        return self._match.render()

    def close(self) -> None:
        pass


class OracleQueryParallelEnv(ParallelEnv, EzPickle):
    """Native parallel version: both agents act every step; only the mover's action counts
    (``infos[agent]["active_agent"]`` names the mover, as in ``repeated_persuasion_v0``).
    ``EzPickle`` as :class:`raw_env`."""

    metadata = {"render_modes": ["human", "ansi"], "name": "oracle_query_v0"}

    def __init__(
        self,
        game: OracleGame | str | None = "three-types",
        *,
        n_states: int = 4,
        n_types: int = 4,
        budget: int | None = 2,
        costs: Any = None,
        action_mask_in_obs: bool = False,
        render_mode: str | None = None,
    ) -> None:
        EzPickle.__init__(
            self,
            game,
            n_states=n_states,
            n_types=n_types,
            budget=budget,
            costs=costs,
            action_mask_in_obs=action_mask_in_obs,
            render_mode=render_mode,
        )
        self._match = _Match(game, n_states, n_types, budget, costs)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.action_mask_in_obs = check_bool(action_mask_in_obs, "action_mask_in_obs")
        self.possible_agents = [SENDER, RECEIVER]
        self.agents: list[str] = []
        self._obs_spaces, self._act_spaces = _spaces(self._match.T, self.action_mask_in_obs)
        self._np_random, _ = seeding.np_random(None)

    @functools.cache  # noqa: B019
    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_spaces[agent]

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Space:
        return self._act_spaces[agent]

    def _observations(self) -> dict[str, Any]:
        return {a: _observe(self._match, a, self.action_mask_in_obs) for a in self.possible_agents}

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
        check_options(options, (), strict=False)
        seed = check_seed(seed)
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        self._match.reset(self._np_random)
        self.agents = list(self.possible_agents)
        return self._observations(), _infos(self._match, self.agents, active=True)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Both agents may send an action; only the mover's (``observation[-1] == 1``) counts.

        Raises:
            ResetNeeded: before :meth:`reset` or after the episode ended.
            TypeError: if ``actions`` is not a dict.
            ValueError: for an unknown agent name, a missing action of the agent whose turn it
                is, or an action outside an agent's space (also for the waiting agent).
        """
        m = self._match
        m.check_live()
        mover = m.turn
        n_actions = {a: self.action_space(a).n for a in self.possible_agents}
        moves = check_turn_actions(actions, self.possible_agents, mover, n_actions)
        if mover == SENDER:
            rs, rr = m.sender_move(moves[SENDER], self._np_random)
        else:
            rs, rr = m.receiver_move(moves[RECEIVER], self._np_random)
        obs = self._observations()
        rewards = {SENDER: rs, RECEIVER: rr}
        terms = {a: m.done for a in self.agents}
        truncs = {a: False for a in self.agents}
        infos = _infos(m, self.agents, active=True)
        if m.done:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return obs, rewards, terms, truncs, infos

    def render(self) -> str | None:
        """The ``"ansi"`` text; ``"human"`` prints it (after every step) and returns None."""
        if self.render_mode == "human":
            print(self._match.render(), end="")
        if self.render_mode != "ansi":
            return None
        return self._match.render()

    def close(self) -> None:
        pass


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment with the order check (actions are checked by the env itself)."""
    return wrap(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> ParallelEnv:
    """The native parallel environment."""
    return OracleQueryParallelEnv(**kwargs)
