"""# Repeated Bayesian persuasion (PettingZoo)

The repeated sender-receiver game of MODEL.md Part A with **both sides outside**: two agents,
``"sender"`` and ``"receiver"``, take turns.

| Import            | `from persuasion_env.multiagent import repeated_persuasion_v0` |
|-------------------|----------------------------------------------------------------|
| Actions           | Discrete                                                       |
| Parallel API      | Yes (turn-based: `parallel_env()`)                             |
| Agents            | `agents = ["sender", "receiver"]`                              |
| Action shape      | sender `Discrete(M)`, receiver `Discrete(A)`                   |
| Observation shape | sender `Discrete(S)`, receiver `Discrete(M + 1)` (or one-hot)  |
| Registered ids    | `persuasion/repeated_persuasion_v0` (`pettingzoo.make`)        |

## Description

Every round a state ``s`` is drawn from the common prior. The sender sees ``s`` and sends a
message ``m``; then the receiver sees ``m`` (never ``s``) and takes an action ``a``. Both
are paid at the end of the round: the sender ``u1[s, a]``, the receiver ``u2[s, a]``. Neither
side commits to anything: what messages mean emerges from repeated play (the learning
setting of Bhatt & Buro; MODEL.md A4.3, A6).

## Observation Space

| Agent    | Space           | Value                                                           |
|----------|-----------------|-----------------------------------------------------------------|
| sender   | `Discrete(S)`   | the current state                                               |
| receiver | `Discrete(M+1)` | the message of the current round; `M` until the sender has sent |

Observations are 0-d ``int64`` NumPy arrays (as in PettingZoo's ``rps``). With
``obs_type="one_hot"`` they are ``float32`` one-hot vectors in ``Box(0, 1, (S,))`` and
``Box(0, 1, (M + 1,))`` instead, which SuperSuit's ``pad_observations_v0`` can pad to a
common shape (it cannot pad ``Discrete`` spaces).

With ``action_mask_in_obs=True`` every observation is PettingZoo classic's dict
``{"observation": <the above>, "action_mask": int8 (n_actions,)}``: all ones for the agent
whose turn it is (every action is legal), all zeros for the agent that waits and after the
end.

## Action Space

| Agent    | Space         | Value                                       |
|----------|---------------|---------------------------------------------|
| sender   | `Discrete(M)` | the message (`M = n_messages`, default `A`) |
| receiver | `Discrete(A)` | the action                                  |

## Rewards

At the receiver's move: sender ``u1[s, a]``, receiver ``u2[s, a]`` (game units), each plus
``noise * max|u| * N(0, 1)`` when ``noise > 0``. ``0.0`` at the sender's move. Rewards are
always Python ``float``s (also after PettingZoo's dead steps).

## Episode End

Both agents are truncated after ``max_cycles`` rounds (the game itself never terminates).

## Info

After each round both agents' infos hold ``state``, ``message``, ``action``,
``sender_utility``, ``receiver_utility`` (noiseless) and three references for the sender's
mean utility (MODEL.md C3; the env itself also has them as attributes after ``reset``):

* ``lp_value``: the game's exact commitment optimum (MODEL.md A2), what a sender could get
  by *committing*, which nothing here lets her do: an upper bound, not a target;
* ``cheap_talk_value``: the sender's value in the sender-best cheap-talk equilibrium with a
  pure receiver response (``solve_cheap_talk``), what learning without commitment can reach
  in such an equilibrium. Equilibria in which the receiver mixes are not covered (they can
  be worth more to the sender in some games). NaN for games of more than 16 actions, and
  when ``n_messages`` is too small for that equilibrium;
* ``babbling_value``: the no-information value (messages ignored), always an equilibrium.

They keep them until the next round ends, so each agent reads the round it played at its
next turn: the sender in ``last()`` before its next message, the receiver before its next
action (a receiver that learns the state after acting, such as fictitious play, takes
``state`` from there).

The round itself is :class:`persuasion_env.match.Match` with both sides played from outside,
the same round as the engine's and the Gymnasium envs'.

## Parallel API

``parallel_env()`` wraps the AEC env with PettingZoo's ``turn_based_aec_to_parallel``: each
parallel step is **half a round**; only the active agent's action is used (the other's, if
given, must be in its space but is ignored; an unknown agent or a missing action of the
active agent is a ``ValueError``), and ``infos[agent]["active_agent"]`` names who moves
next, from ``reset`` on. A simultaneous-move version would not be persuasion: the receiver
must see the message before acting. So an episode of ``max_cycles`` rounds is
``2 * max_cycles`` parallel steps (PettingZoo's ``max_cycles_test`` assumes one parallel step
per cycle; the AEC env meets it, each agent acting ``max_cycles`` times).

## Vectorised parallel env

``vector_parallel_env(num_envs, **kwargs)`` is ``num_envs`` copies of ``parallel_env`` in one
object over the runs axis of the same ``Match``: the same dicts, every value batched
(observations ``(B, ...)``, rewards ``(B,)`` floats, ``(B,)`` bools, round infos as ``(B,)``
arrays; ``active_agent`` one name, as the copies move in lockstep and end together; no
autoreset). With ``num_envs=1`` and the same seed it is ``parallel_env`` step for step.

## Registry and pickling

``import persuasion_env`` registers ``persuasion/repeated_persuasion_v0`` with PettingZoo's
registry (PettingZoo >= 1.27; skipped for older versions):
``pettingzoo.make("aec", "persuasion/repeated_persuasion_v0", game="climbing")`` is ``env()``
and ``pettingzoo.make("parallel", ...)`` is ``parallel_env()``. ``raw_env`` is
``gymnasium.utils.EzPickle`` (as PettingZoo's classic envs): a pickled env, also
mid-episode, is rebuilt from its arguments and must be reset.

## Arguments

``env(game=None, size=None, n_messages=None, max_cycles=100, noise=0.0, obs_type="discrete",
action_mask_in_obs=False, render_mode=None)``:

| Argument      | Default        | Meaning                                        |
|---------------|----------------|------------------------------------------------|
| `game`        | `"prosecutor"` | a `PersuasionGame`, an example name, or `None` |
| `size`        | `None`         | `(S, A)` or `n`: a random game drawn per reset |
| `n_messages`  | `None` (A)     | number of messages M                           |
| `max_cycles`  | `100`          | rounds per episode                             |
| `noise`       | `0.0`          | payoff noise (std. relative to max abs u)      |
| `obs_type`    | `"discrete"`   | `"discrete"` or `"one_hot"` (Box)              |
| `action_mask_in_obs` | `False` | observations as `{"observation", "action_mask"}` |
| `render_mode` | `None`         | `"human"` (prints), `"ansi"` or `"rgb_array"`  |

```python
from persuasion_env.multiagent import repeated_persuasion_v0
aec = repeated_persuasion_v0.env(game="prosecutor")
par = repeated_persuasion_v0.parallel_env(size=(4, 4), max_cycles=50)
```

## Version History

* v0: initial version. Since issue 14 the round is :class:`persuasion_env.match.Match`: the
  states (and the payoff noise) come from the shared chunked stream (``ChunkedStates``: 256
  rounds of states, then their noise, per call to ``np_random``) instead of one
  ``np_random.choice`` per round, so seeded episodes differ from earlier ones; and the infos
  of a round are no longer cleared by the sender's next move, so the receiver's ``last()``
  shows its previous round (it was always ``{}``).
* v0, issue 17 (PettingZoo conventions; seeded episodes of the defaults unchanged): registered
  ids, ``EzPickle``, ``obs_type="one_hot"``, ``action_mask_in_obs``, ``"human"`` rendering,
  ``active_agent`` in the parallel env's reset infos, ``float`` rewards after dead steps
  (PettingZoo's ``_clear_rewards`` wrote the int ``0``), ``vector_parallel_env``; the raw
  env's last round is ``last_round`` (an attribute ``last`` hid the AEC method ``last()``).
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle, seeding
from pettingzoo import AECEnv
from pettingzoo.utils import AgentSelector
from pettingzoo.utils.env import ParallelEnv

from persuasion_env._validation import check_action, check_bool, check_int, check_positive
from persuasion_env.envs import _render
from persuasion_env.envs._common import ResetNeeded, check_render_mode, check_seed, game_option
from persuasion_env.envs.core import GameConfig, lp_value, spawn_rng
from persuasion_env.game import PersuasionGame
from persuasion_env.match import ChunkedStates, Match
from persuasion_env.multiagent._vector import RepeatedPersuasionVectorParallelEnv
from persuasion_env.multiagent._wrappers import (
    TurnBasedParallel,
    check_obs_type,
    masked_space,
    wrap,
)
from persuasion_env.references import cheap_talk_values
from persuasion_env.rounds import RoundTables

__all__ = ["env", "parallel_env", "raw_env", "vector_parallel_env"]

SENDER, RECEIVER = "sender", "receiver"


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment with the order check (actions are checked by the env itself)."""
    return wrap(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> ParallelEnv:
    """The parallel (turn-based) version: one parallel step per move, see the module doc."""
    return TurnBasedParallel(env(**kwargs))


def vector_parallel_env(num_envs: int, **kwargs: Any) -> RepeatedPersuasionVectorParallelEnv:
    """``num_envs`` copies of :func:`parallel_env` in one object, every value batched
    (:class:`~persuasion_env.multiagent._vector.RepeatedPersuasionVectorParallelEnv`)."""
    return RepeatedPersuasionVectorParallelEnv(num_envs, **kwargs)


class raw_env(AECEnv, EzPickle):  # noqa: N801  (PettingZoo's naming convention)
    """The repeated persuasion game as an AEC environment (see the module docstring).

    ``EzPickle`` (as PettingZoo's classic envs): a pickled env, also mid-episode, is rebuilt
    from its constructor arguments, so the copy is a fresh env that must be reset.
    """

    metadata = {
        "render_modes": ["human", "ansi", "rgb_array"],
        "name": "repeated_persuasion_v0",
        "is_parallelizable": False,  # turn-based: use parallel_env(), not aec_to_parallel
        "render_fps": 4,
    }

    def __init__(
        self,
        game: PersuasionGame | str | None = None,
        *,
        size: Any = None,
        n_messages: int | None = None,
        max_cycles: int = 100,
        noise: float = 0.0,
        obs_type: str = "discrete",
        action_mask_in_obs: bool = False,
        render_mode: str | None = None,
    ) -> None:
        EzPickle.__init__(
            self,
            game,
            size=size,
            n_messages=n_messages,
            max_cycles=max_cycles,
            noise=noise,
            obs_type=obs_type,
            action_mask_in_obs=action_mask_in_obs,
            render_mode=render_mode,
        )
        super().__init__()
        self.config = GameConfig(game, size, default="prosecutor")
        n_states, n_actions = self.config.shape
        self.n_states, self.n_actions = n_states, n_actions
        self.n_messages = (
            n_actions if n_messages is None else check_int(n_messages, "n_messages", minimum=1)
        )
        self.max_cycles = check_int(max_cycles, "max_cycles", minimum=1)
        self.noise = check_positive(noise, "noise", allow_zero=True)
        self.obs_type = check_obs_type(obs_type)
        self.action_mask_in_obs = check_bool(action_mask_in_obs, "action_mask_in_obs")
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.possible_agents = [SENDER, RECEIVER]
        self.agents = self.possible_agents[:]
        # Observed values: the state (S of them) and the message (M, or M for "none yet").
        self._n_values = {SENDER: n_states, RECEIVER: self.n_messages + 1}
        self._action_spaces = {
            SENDER: spaces.Discrete(self.n_messages),
            RECEIVER: spaces.Discrete(n_actions),
        }
        self._observation_spaces = {
            agent: masked_space(
                spaces.Discrete(n)
                if self.obs_type == "discrete"
                else spaces.Box(0.0, 1.0, shape=(n,), dtype=np.float32),
                self._action_spaces[agent].n if self.action_mask_in_obs else None,
            )
            for agent, n in self._n_values.items()
        }
        self._np_random: np.random.Generator | None = None
        self.game: PersuasionGame | None = None
        self.core: Match | None = None

    # ------------------------------------------------------------------ spaces
    def observation_space(self, agent: str) -> spaces.Space:
        # The same space object at every call (PettingZoo's API test checks it).
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[agent]

    @property
    def np_random(self) -> np.random.Generator:
        """The environment's Generator (Gymnasium seeding)."""
        if self._np_random is None:
            self._np_random, _ = seeding.np_random()
        return self._np_random

    # ----------------------------------------------------------------- AEC API
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        override = game_option(options, strict=False)
        seed = check_seed(seed)
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        self.game = self.config.draw(spawn_rng(self.np_random), override)
        self.lp_value = lp_value(self.game, self.n_messages)
        self.babbling_value, self.cheap_talk_value = cheap_talk_values(self.game, self.n_messages)
        tables = RoundTables([self.game], np.zeros(1, dtype=np.int64), normalize=True)
        states = ChunkedStates(tables, self.np_random, noise=self.noise)
        # Both sides are played from outside: the match keeps their empirical policies.
        self.core = Match(tables, None, None, n_messages=self.n_messages, states=states)
        self.agents = self.possible_agents[:]
        self._agent_selector = AgentSelector(self.agents)
        self.agent_selection = self._agent_selector.next()
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {agent: {} for agent in self.agents}
        self._round_info: dict[str, Any] = {}
        self.rounds = 0
        self.core.begin()
        self.message = self.n_messages  # "no message yet"
        self.last_round: tuple[int, int, int] | None = None

    @property
    def state_index(self) -> int:
        """The state of the current round."""
        return int(self.core.states[0])

    def observe(self, agent: str) -> Any:
        value = self.state_index if agent == SENDER else self.message
        if self.obs_type == "discrete":
            obs = np.asarray(value, dtype=np.int64)
        else:
            obs = np.zeros(self._n_values[agent], dtype=np.float32)
            obs[value] = 1.0
        if not self.action_mask_in_obs:
            return obs
        return {"observation": obs, "action_mask": self.action_mask(agent)}

    def action_mask(self, agent: str) -> np.ndarray:
        """``agent``'s action mask (``int8``): all ones on its turn in a live episode, all
        zeros while it waits (and after the end); every action is legal on one's turn."""
        live = (
            agent == self.agent_selection
            and agent in self.agents
            and not (self.terminations[agent] or self.truncations[agent])
        )
        return np.full(self._action_spaces[agent].n, int(live), dtype=np.int8)

    def _clear_rewards(self) -> None:
        # PettingZoo's version resets to the int 0; rewards here are always floats.
        for agent in self.rewards:
            self.rewards[agent] = 0.0

    def step(self, action: Any) -> None:
        if self.game is None:
            raise ResetNeeded("repeated_persuasion_v0: call reset() before step()")
        if not self.agents:
            raise ResetNeeded(
                "repeated_persuasion_v0: the episode has ended; call reset() before step()"
            )
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        action = check_action(action, self._action_spaces[agent].n, label=f"{agent}'s action")
        self._cumulative_rewards[agent] = 0.0
        core = self.core
        if agent == SENDER:
            self.message = action
            core.send(np.array([action]))
            self._clear_rewards()
            # The last round's infos stay (fresh copies) until this round ends: the receiver
            # reads its previous round at its turn.
            self.infos = {a: dict(self._round_info) for a in self.agents}
        else:
            core.respond(np.array([action]))
            state, message = int(core.states[0]), self.message
            u1, u2 = float(core.u1[0]), float(core.u2[0])
            self.rewards[SENDER] = float(core.reward1[0])
            self.rewards[RECEIVER] = float(core.reward2[0])
            self.last_round = (state, message, action)
            self.rounds += 1
            self._round_info = {
                "state": state,
                "message": message,
                "action": action,
                "sender_utility": u1,
                "receiver_utility": u2,
                "lp_value": self.lp_value,
                "cheap_talk_value": self.cheap_talk_value,
                "babbling_value": self.babbling_value,
            }
            self.infos = {a: dict(self._round_info) for a in self.agents}
            if self.rounds >= self.max_cycles:
                self.truncations = dict.fromkeys(self.agents, True)
            core.begin()
            self.message = self.n_messages
        self.agent_selection = self._agent_selector.next()
        self._accumulate_rewards()
        if self.render_mode == "human":
            self.render()

    # --------------------------------------------------------------- rendering
    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gymnasium.logger.warn(
                "You are calling render method without specifying any render mode, e.g. "
                'repeated_persuasion_v0.env(render_mode="ansi")'
            )
            return None
        if self.game is None:
            raise RuntimeError("repeated_persuasion_v0: call reset() before render()")
        scheme = self.core.sender.policy()[0]
        response = self.core.receiver.policy()[0]
        last = self.last_round
        if self.render_mode == "rgb_array":
            highlights = [(last[0], last[1]), (last[1], last[2])] if last else [None, None]
            return _render.render_rgb(
                [scheme, response], highlights, progress=self.rounds / self.max_cycles
            )
        text = self._render_text(scheme, response, last)
        if self.render_mode == "human":  # printed (after every step, PettingZoo's convention)
            print(text)
            return None
        return text

    def _render_text(
        self, scheme: np.ndarray, response: np.ndarray, last: tuple[int, int, int] | None
    ) -> str:
        game = self.game
        header = f"repeated_persuasion_v0  game={game.name}  round {self.rounds}/{self.max_cycles}"
        if last is not None:
            s, m, a = last
            header += (
                f"\nlast round: state={game.state_names[s]}  message=m{m}  "
                f"action={game.action_names[a]}"
            )
        return _render.render_ansi(
            header,
            game,
            scheme,
            response,
            scheme_title="sender's empirical scheme pi(m|s)",
            response_title="receiver's empirical response q(a|m)",
        )

    def close(self) -> None:
        pass
