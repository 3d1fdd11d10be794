"""The query-budget simulation-oracle game as a Gymnasium environment (MODEL.md Part B).

A receiver's (state, type) pair is drawn from the joint prior. The agent plays the sender: it
asks threshold queries ("is the type >= t?") to a simulation oracle of the hidden type, then
commits; the environment commits the B2-optimal messaging policy for the type range the answers
leave and the hidden receiver best-responds.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from persuasion_env._validation import (
    check_action,
    check_bool,
    check_choice,
    check_costs,
    check_game_size,
    check_int,
    check_options,
)
from persuasion_env.envs import _render
from persuasion_env.envs._common import ResetNeeded, check_render_mode, check_seed
from persuasion_env.oracle.game import OracleGame
from persuasion_env.solvers.oracle import (
    acts,
    plan_queries,
    policy_payoff,
    realisable_thresholds,
)
from persuasion_env.solvers.oracle.small_lp import fast_interval_policy
from persuasion_env.solvers.oracle.thresholds import threshold_answer

__all__ = [
    "OracleQueryEnv",
    "dp_value",
    "draw_cell",
    "game_features",
    "legal_thresholds",
    "resolve_oracle_game",
    "sender_observation",
]


def resolve_oracle_game(
    game: OracleGame | str | None, n_states: int, n_types: int
) -> tuple[OracleGame | None, int, int]:
    """``(fixed game or None, W, T)`` from the ``game`` keyword of the oracle environments."""
    if game is None:
        W = check_int(n_states, "n_states", minimum=1)
        T = check_int(n_types, "n_types", minimum=1)
        check_game_size(W, T, "n_states x n_types", "states x types")
        return None, W, T
    if isinstance(game, str):
        game = OracleGame.example(game)
    if not isinstance(game, OracleGame):
        raise TypeError(
            f"game must be an OracleGame, an example name or None, got {type(game).__name__}"
        )
    return game, game.n_states, game.n_types


def draw_cell(rng: np.random.Generator, game: OracleGame) -> tuple[int, int]:
    """A ``(state, type)`` pair drawn from the joint prior: the draw of
    ``rng.choice(W * T, p=psi.ravel())`` (the same index, the same one uniform double of
    ``rng``) without ``choice``'s argument checks, which cost more than the draw; the prior's
    cumulative distribution is cached on the game."""
    cdf = game._cache.get("env_cdf")
    if cdf is None:
        # as Generator.choice: cumulative sum, divided by its last entry, searched on the right
        cdf = game.joint_prior.ravel().cumsum()
        cdf /= cdf[-1]
        game._cache["env_cdf"] = cdf
    flat = int(cdf.searchsorted(rng.random(), side="right"))
    return divmod(flat, game.n_types)


def sender_observation(
    game: OracleGame, lo: int, hi: int, queries_left: int, max_queries: int
) -> np.ndarray:
    """The sender's observation: possible-type mask, type marginal, budget left (fraction)."""
    T = game.n_types
    marginal = game._cache.get("env_marginal")  # computed once per game
    if marginal is None:
        marginal = game._cache["env_marginal"] = np.clip(
            game.type_marginal.astype(np.float32), 0.0, 1.0
        )
    obs = np.zeros(2 * T + 1, dtype=np.float32)
    obs[lo : hi + 1] = 1.0
    obs[T : 2 * T] = marginal
    obs[2 * T] = queries_left / max_queries if max_queries > 0 else 0.0
    return obs


def game_features(game: OracleGame) -> np.ndarray:
    """The game as ``2 W T`` numbers in [-1, 1] (``obs_type="game"``): the joint prior
    ``psi[w, t]`` and the receiver utility ``u[w, t] / max |u|``, both row-major ``(W, T)``.
    Cached on the game (read-only): a fixed game computes it once."""
    cached = game._cache.get("env_features")
    if cached is None:
        u = game.receiver_utility
        scale = max(float(np.abs(u).max()), 1e-12)
        cached = np.concatenate(
            [np.clip(game.joint_prior, 0.0, 1.0).ravel(), np.clip(u / scale, -1.0, 1.0).ravel()]
        ).astype(np.float32)
        cached.setflags(write=False)
        game._cache["env_features"] = cached
    return cached


def legal_thresholds(game: OracleGame, lo: int, hi: int, queries_left: int) -> np.ndarray:
    """``(T,)`` bool action mask of the sender: action 0 (commit) always; threshold ``t`` iff a
    query is left, ``lo < t <= hi`` (its answer is not known yet) and ``t`` can be realised
    (:func:`~persuasion_env.solvers.oracle.realisable_thresholds`). Every other threshold
    would waste the query."""
    mask = np.zeros(game.n_types, dtype=bool)
    mask[0] = True
    if queries_left > 0 and hi > lo:
        mask[lo + 1 : hi + 1] = realisable_thresholds(game)[lo:hi]
    return mask


def dp_value(game: OracleGame, budget: int | None, costs: np.ndarray | None) -> float:
    """The exact value of the optimal querying plan (MODEL.md B3/B5): the expected return of
    the best policy in :class:`OracleQueryEnv` (``P(act)`` minus the expected query cost).
    Cached on the game per (budget, costs)."""
    key = ("env_dp_value", budget, None if costs is None else tuple(costs.tolist()))
    cached = game._cache.get(key)
    if cached is None:
        cached = float(plan_queries(game, budget, costs=costs, policies=False).value)
        game._cache[key] = cached
    return cached


class OracleQueryEnv(gym.Env):
    """
    ## Description

    The sender of MODEL.md Part B learns about an informed receiver by querying a simulation
    oracle, then commits to a messaging policy (seed 004, "Algorithmic Persuasion Through
    Simulation"). At reset a (state, type) pair is drawn from the joint prior; the type is
    hidden. Each query "is the type >= t?" is realised as a real (scheme, message) pair (B3) and
    answered by simulating the receiver of the hidden type. On commit the environment uses the
    optimal policy (B2 LP) for the type range the answers leave.

    ## Action Space

    ``Discrete(T)``:

    | Num       | Action                                                        |
    |-----------|---------------------------------------------------------------|
    | 0         | commit now (the B2-optimal policy for the known type range)   |
    | t = 1..T-1| ask the threshold query "is the type >= t?"                   |

    A threshold whose two neighbouring types act identically on every message cannot be
    realised; asking it wastes the query (its cost is paid, nothing is learnt).

    ## Observation Space

    ``Box(0, 1, (2T + 1,), float32)``:

    | Index        | Observation                                              | Min | Max |
    |--------------|----------------------------------------------------------|-----|-----|
    | 0..T-1       | 1 if type t is still possible given the answers, else 0  | 0   | 1   |
    | T..2T-1      | prior probability of type t (the type marginal)          | 0   | 1   |
    | 2T           | queries left / query limit                               | 0   | 1   |

    ## Rewards

    * Asking threshold t: ``-costs[t-1]`` (0 without costs).
    * Committing (or running out of queries, which commits automatically): with
      ``reward_mode="probability"`` (default) the probability that the hidden receiver acts on
      the committed policy, ``P(act | type)``, in expectation over the state and the message
      (low variance; the expected return of the DP plan equals ``plan.value``); with
      ``reward_mode="sample"`` the realised action (0 or 1) on a message drawn for the drawn
      state.

    ## Starting State

    A fresh (state, type) draw; with ``game=None`` also a fresh random game of the given size
    (:meth:`OracleGame.random` seeded from the environment's generator). For evaluation,
    ``reset(options={"true_type": t})`` conditions the draw on the type t.

    ## Episode End

    Terminates on commit; the query limit (``budget``, or ``T - 1`` without a budget) forces
    the commit. No truncation.

    ## Info

    ``known_range`` (``(lo, hi)``), ``queries_left``; at the end ``true_type``, ``state`` and
    ``value`` (the commit reward); and ``dp_value``, the exact value of the optimal querying
    plan (:func:`~persuasion_env.solvers.oracle.plan_queries`: the best expected return, to
    compare a policy with). ``dp_value`` is in every ``info`` of a fixed game (solved once);
    with ``game=None`` only if ``dp_value=True`` (it then solves every random game's interval
    LPs at reset, several milliseconds).

    ## Arguments

    | Argument      | Default          | Meaning                                                |
    |---------------|------------------|--------------------------------------------------------|
    | `game`        | `"three-types"`  | an `OracleGame`, an example name, or None (random game)|
    | `n_states`    | 4                | W of the random game (with `game=None`)                |
    | `n_types`     | 4                | T of the random game (with `game=None`)                |
    | `budget`      | 2                | query budget K (None: up to T-1 queries, use `costs`)  |
    | `costs`       | None             | `(T-1,)` query costs, `costs[t-1]` for "type >= t"     |
    | `reward_mode` | `"probability"`  | `"probability"` or `"sample"` (see Rewards)            |
    | `obs_type`    | `"belief"`       | `"belief"` or `"game"` (adds the game, see above)      |
    | `dp_value`    | None             | put `dp_value` in `info` (None: for a fixed game only) |
    | `render_mode` | None             | `"ansi"` (text) or `"rgb_array"` (a small picture)     |

    ```python
    import gymnasium, persuasion_env
    env = gymnasium.make("persuasion/OracleQuery-v0", game="three-types", budget=2)
    obs, info = env.reset(seed=0)
    ```
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        game: OracleGame | str | None = "three-types",
        *,
        n_states: int = 4,
        n_types: int = 4,
        budget: int | None = 2,
        costs: Any = None,
        reward_mode: str = "probability",
        obs_type: str = "belief",
        dp_value: bool | None = None,
        render_mode: str | None = None,
    ) -> None:
        self._fixed, self.n_states, self.n_types = resolve_oracle_game(game, n_states, n_types)
        T = self.n_types
        if budget is not None:
            budget = check_int(budget, "budget", minimum=0)
        self.budget = budget
        self.costs = None if costs is None else check_costs(costs, T)
        self.max_queries = budget if budget is not None else max(T - 1, 0)
        self.reward_mode = check_choice(
            reward_mode, "reward_mode", ("probability", "sample"), listed=False
        )
        self.obs_type = check_choice(obs_type, "obs_type", ("belief", "game"), listed=False)
        self.with_dp_value = (
            self._fixed is not None if dp_value is None else check_bool(dp_value, "dp_value")
        )
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.action_space = spaces.Discrete(T)
        if self.obs_type == "belief":
            self.observation_space = spaces.Box(0.0, 1.0, shape=(2 * T + 1,), dtype=np.float32)
        else:
            width = 2 * T + 1 + 2 * self.n_states * T
            self.observation_space = spaces.Box(-1.0, 1.0, shape=(width,), dtype=np.float32)
        self.game: OracleGame | None = self._fixed
        self._leaf: Any = None
        self._started = False
        self._type = 0
        self._state = 0
        self._lo, self._hi = 0, T - 1
        self._left = self.max_queries
        self._log: list[str] = []
        self._done = False

    # ------------------------------------------------------------------ helpers
    def _obs(self) -> np.ndarray:
        assert self.game is not None
        obs = sender_observation(self.game, self._lo, self._hi, self._left, self.max_queries)
        if self.obs_type == "game":
            obs = np.concatenate([obs, game_features(self.game)])
        return obs

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"known_range": (self._lo, self._hi), "queries_left": self._left}
        if self.with_dp_value:
            assert self.game is not None
            info["dp_value"] = dp_value(self.game, self.budget, self.costs)
        return info

    def action_masks(self) -> np.ndarray:
        """``(T,)`` bool: the actions worth taking now (sb3-contrib's ``MaskablePPO`` calls
        this): commit always; threshold ``t`` iff a query is left, ``lo < t <= hi`` and ``t``
        can be realised. Before the first reset only commit is marked."""
        if not self._started or self._done:
            mask = np.zeros(self.n_types, dtype=bool)
            mask[0] = True
            return mask
        return legal_thresholds(self.game, self._lo, self._hi, self._left)

    def _commit(self) -> tuple[float, dict[str, Any]]:
        assert self.game is not None and self._started
        leaf = self._leaf = fast_interval_policy(self.game, self._lo, self._hi)
        t = self._type
        if self.reward_mode == "probability":
            p_t = float(self.game.type_marginal[t])
            reward = float(policy_payoff(self.game, leaf.scheme)[t]) / p_t if p_t > 0 else 0.0
        else:
            row = leaf.scheme[self._state]
            m = int(self.np_random.choice(row.size, p=row / row.sum()))
            reward = float(acts(self.game, leaf.scheme[:, m])[t])
        self._log.append(f"commit on types {self._lo}..{self._hi}: reward {reward:.4f}")
        self._done = True
        info = {"true_type": t, "state": self._state, "value": reward}
        return reward, info

    # ------------------------------------------------------------------ API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        options = check_options(options, ("true_type",))
        true_type = options.get("true_type")
        if true_type is not None:  # evaluation: condition on a given type
            true_type = check_int(
                true_type, "options['true_type']", minimum=0, maximum=self.n_types - 1
            )
        super().reset(seed=check_seed(seed))
        if self._fixed is None:
            self.game = OracleGame.random(self.n_states, self.n_types, seed=self.np_random)
        assert self.game is not None
        if true_type is None:
            self._state, t = draw_cell(self.np_random, self.game)
        else:
            t = true_type
            col = self.game.joint_prior[:, t]
            if col.sum() <= 0:
                raise ValueError(f"options['true_type'] = {t} has prior probability 0")
            self._state = int(self.np_random.choice(col.size, p=col / col.sum()))
        self._type = t
        self._started = True
        self._lo, self._hi = 0, self.game.n_types - 1
        self._left = self.max_queries
        self._done = False
        self._leaf = None
        self._log = ["reset"]
        return self._obs(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.game is None or not self._started:
            raise ResetNeeded("OracleQueryEnv: call reset() before step()")
        if self._done:
            raise ResetNeeded("OracleQueryEnv: the episode has ended; call reset() before step()")
        a = check_action(action, self.n_types)
        reward = 0.0
        info: dict[str, Any] = {}
        if a == 0 or self._left <= 0:
            reward, info = self._commit()
        else:
            if self.costs is not None:
                reward -= float(self.costs[a - 1])
            self._left -= 1
            if not self._lo < a <= self._hi:
                # the answer is known (the hidden type lies in lo..hi): nothing to learn, and
                # no query LP to solve
                self._log.append(f"ask type >= {a}: answer already known (wasted)")
            elif (yes := threshold_answer(self.game, a, self._type)) is not None:
                # the simulation oracle's answer (a certified threshold: the type's side,
                # without the query LP; otherwise the LP's column)
                if yes:
                    self._lo = a
                else:
                    self._hi = a - 1
                self._log.append(f"ask type >= {a}: {'yes' if yes else 'no'}")
            else:
                self._log.append(f"ask type >= {a}: cannot be realised (wasted)")
            if self._left <= 0:
                r, info = self._commit()
                reward += r
        info.update(self._info())
        return self._obs(), float(reward), self._done, False, info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            return None
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        lines = [f"OracleQuery: types {self._lo}..{self._hi} possible, {self._left} queries left"]
        lines += [f"  {entry}" for entry in self._log[-5:]]
        return "\n".join(lines) + "\n"

    def _render_rgb(self) -> np.ndarray:
        """Heat maps: the type marginal over the possible-type mask (2 x T), the joint prior
        (W x T, scaled to its maximum) and, after the commit, the committed policy (W x M);
        the bar at the bottom is the share of the query limit used."""
        game = self.game if self.game is not None else self._fixed
        if game is None:  # a random game before the first reset: an empty picture
            return _render.render_rgb([np.zeros((2, self.n_types))], progress=0.0)
        mask = np.zeros(game.n_types)
        mask[self._lo : self._hi + 1] = 1.0
        marginal = game.type_marginal / max(float(game.type_marginal.max()), 1e-12)
        psi = game.joint_prior / max(float(game.joint_prior.max()), 1e-12)
        tables = [np.vstack([marginal, mask]), psi]
        if self._leaf is not None:
            tables.append(self._leaf.scheme)
        used = 1.0 - self._left / self.max_queries if self.max_queries > 0 else 1.0
        return _render.render_rgb(tables, progress=used)
