"""What is achievable against a learner: the best fixed scheme in hindsight (MODEL.md C1).

The commitment LP is the value against a receiver who *knows* the scheme and best-responds
exactly; a learning receiver does neither (it disobeys at exact indifference and lags behind),
so the LP is an upper bound, not a target. :func:`best_fixed_scheme` measures a target that
*can* be reached: it plays every scheme of a reference family against the given learner, with
the same seeds and rounds, and reports the best realised value. The family needs the
receiver's utility (the LP), which is why it is a reference for evaluation and not a sender:
no learner ever reads it.

The family ``F``:

* ``lp_optimal:margin=eps`` for each ``eps`` in ``margins``: the LP scheme whose every
  recommendation is better for the receiver by ``eps`` in posterior expectation (a game
  that allows no scheme that strictly obedient gets the margin halved until one exists, as
  in the ``lp_optimal`` sender; the effective margin is reported);
* ``full_disclosure`` and ``no_information``.

Metric: the sender's realised utility over the last 20 % of rounds
(:data:`persuasion_env.engine.TAIL_FRACTION`), averaged per run, then the mean over runs
with a 95 % Student-t confidence interval across runs. Every member is simulated with the
same ``seed``, so the states and the agents' random draws are common to all members
(common random numbers), which makes their differences much less noisy than their levels.
Taking the maximum of noisy means favours the lucky member slightly; with few runs the
``ci`` of the winner is the honest error bar.

:func:`with_references` attaches the reference to a :func:`simulate` result, which then
reports ``best_fixed_value``, the learned sender's ``regret`` to it and the cumulative
``regret_curve``. It costs one extra simulation per family member (seven by default), with
the result's seed, runs and rounds.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from persuasion_env._validation import (
    check_bool,
    check_instance,
    check_int,
    check_positive,
    make_rng,
)
from persuasion_env.engine import TAIL_FRACTION, SimulationResult, simulate
from persuasion_env.game import PersuasionGame
from persuasion_env.registry import make_agent
from persuasion_env.solvers.cheap_talk import MAX_CHEAP_TALK_ACTIONS, solve_cheap_talk
from persuasion_env.solvers.commitment import (
    cached_solve_commitment,
    full_disclosure_value,
    no_information_value,
)

__all__ = [
    "BestFixedScheme",
    "DEFAULT_MARGINS",
    "REFERENCE_SENDERS",
    "best_fixed_scheme",
    "cheap_talk_values",
    "mean_ci",
    "with_references",
]

#: The obedience margins of the LP members of the reference family (MODEL.md C1).
DEFAULT_MARGINS = (0.0, 0.02, 0.05, 0.1, 0.2)
#: The registry senders the reference family is built from.
REFERENCE_SENDERS = ("lp_optimal", "full_disclosure", "no_information")


@dataclass(frozen=True)
class BestFixedScheme:
    """The best member of the reference family against one learner.

    Attributes:
        value: the best member's realised sender utility (last 20 % of rounds, mean over
            runs).
        name: which member: ``"lp_optimal:margin=0.1"``, ``"full_disclosure"`` or
            ``"no_information"``.
        ci: the 95 % confidence interval ``(low, high)`` of ``value`` across runs (NaN with
            one run).
        members: realised value of every member, in family order.
        member_ci: the 95 % confidence interval of every member.
        exact: every member's exact value against a rational receiver (the LP value at its
            margin, the full-disclosure and no-information values) for comparison.
        margins: the effective obedience margin of each LP member (smaller than asked when
            the game allows no scheme that strictly obedient).
        run_values: ``(runs,)`` per-run tail values of every member.
        receiver, game: names of the learner and the game.
        rounds, runs, seed: the simulations' size and seed.
    """

    value: float
    name: str
    ci: tuple[float, float]
    members: dict[str, float]
    member_ci: dict[str, tuple[float, float]]
    exact: dict[str, float]
    margins: dict[str, float] = field(repr=False)
    run_values: dict[str, np.ndarray] = field(repr=False)
    receiver: str = ""
    game: str = ""
    rounds: int = 0
    runs: int = 0
    seed: int | None = None

    def to_frame(self):
        """One row per member: name, value, ci_low, ci_high, exact, margin, best."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "member": name,
                    "value": value,
                    "ci_low": self.member_ci[name][0],
                    "ci_high": self.member_ci[name][1],
                    "exact": self.exact[name],
                    "margin": self.margins.get(name, math.nan),
                    "best": name == self.name,
                }
                for name, value in self.members.items()
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "value": self.value,
            "name": self.name,
            "ci": list(self.ci),
            "members": dict(self.members),
            "member_ci": {k: list(v) for k, v in self.member_ci.items()},
            "exact": dict(self.exact),
            "margins": dict(self.margins),
            "receiver": self.receiver,
            "game": self.game,
            "rounds": self.rounds,
            "runs": self.runs,
            "seed": self.seed,
            "tail_fraction": TAIL_FRACTION,
        }


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, tuple[float, float]]:
    """The mean of ``values`` and its Student-t confidence interval (NaN for one value)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, (math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * stats.sem(values))
    return mean, (mean - half, mean + half)


def best_fixed_scheme(
    game: PersuasionGame,
    receiver: Any,
    *,
    rounds: int,
    runs: int = 4,
    seed: int | None = 0,
    margins: Sequence[float] = DEFAULT_MARGINS,
    full_disclosure: bool = True,
    no_information: bool = True,
    **simulate_options: Any,
) -> BestFixedScheme:
    """The best fixed scheme in hindsight against ``receiver`` (MODEL.md C1).

    Args:
        game: the game.
        receiver: the learner: a registry name (``"q_learning"``), a ``(name, kwargs)``
            pair, a zero-argument factory returning a receiver, or a receiver object (copied
            afresh for every member, so each member meets an untrained learner).
        rounds: rounds per run, as in the match being judged.
        runs: independent runs per member (>= 1; >= 2 for a confidence interval).
        seed: the seed of every simulation (the same for every member).
        margins: obedience margins of the LP members (non-negative; empty for none).
        full_disclosure: include full disclosure in the family.
        no_information: include the no-information scheme in the family.
        **simulate_options: passed to :func:`simulate` (``normalize``, ``noise``, ``epoch``),
            so that the reference sees the learner in the same conditions as the match.

    Returns:
        A :class:`BestFixedScheme`.

    Raises:
        TypeError: on a game that is not a :class:`PersuasionGame` or a receiver that is not
            a name, pair, factory or receiver.
        ValueError: on an empty family, negative margins, or bad simulation sizes.
    """
    check_instance(game, PersuasionGame, "game")
    rounds = check_int(rounds, "rounds", minimum=1)
    runs = check_int(runs, "runs", minimum=1)
    if isinstance(seed, np.random.Generator):
        raise TypeError("seed must be an integer or None: every member replays the same seed")
    make_rng(seed)  # validates the seed
    full_disclosure = check_bool(full_disclosure, "full_disclosure")
    no_information = check_bool(no_information, "no_information")
    margins = _check_margins(margins)
    allowed = {"normalize", "noise", "epoch"}
    unknown = sorted(set(simulate_options) - allowed)
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(unknown)} for best_fixed_scheme; "
            f"accepted simulate options: {', '.join(sorted(allowed))}"
        )
    build_receiver = _receiver_factory(receiver)

    family: list[tuple[str, Any]] = []  # (member name, sender)
    for margin in margins:
        family.append(
            (f"lp_optimal:margin={margin:g}", make_agent("sender", "lp_optimal", margin=margin))
        )
    if full_disclosure:
        family.append(("full_disclosure", make_agent("sender", "full_disclosure")))
    if no_information:
        family.append(("no_information", make_agent("sender", "no_information")))
    if not family:
        raise ValueError("the reference family is empty: give margins or include a member")

    members, member_ci, exact, effective, run_values = {}, {}, {}, {}, {}
    receiver_name = ""
    for name, sender in family:
        if name in members:
            continue  # a repeated margin
        result = simulate(
            game,
            sender,
            build_receiver(),
            rounds=rounds,
            runs=runs,
            seed=seed,
            bins=1,
            **simulate_options,
        )
        receiver_name = result.receiver
        tail = np.asarray(result.run_tail_sender_utility)
        run_values[name] = tail
        members[name], member_ci[name] = mean_ci(tail)
        if name.startswith("lp_optimal"):
            margin = float(sender.solutions[0].margin)
            effective[name] = margin
            exact[name] = cached_solve_commitment(game, None, margin).sender_value
        elif name == "full_disclosure":
            exact[name] = full_disclosure_value(game)
        else:
            exact[name] = no_information_value(game)
    best = max(members, key=lambda k: members[k])  # first of equal values, in family order
    return BestFixedScheme(
        value=members[best],
        name=best,
        ci=member_ci[best],
        members=members,
        member_ci=member_ci,
        exact=exact,
        margins=effective,
        run_values=run_values,
        receiver=receiver_name,
        game=game.name,
        rounds=rounds,
        runs=runs,
        seed=seed,
    )


def with_references(
    result: SimulationResult,
    game: PersuasionGame,
    receiver: Any,
    *,
    seed: int | None = None,
    margins: Sequence[float] = DEFAULT_MARGINS,
    full_disclosure: bool = True,
    no_information: bool = True,
) -> SimulationResult:
    """``result`` with the best fixed scheme in hindsight attached (MODEL.md C1).

    Plays the reference family (:func:`best_fixed_scheme`) against a fresh copy of the
    learner, with the result's rounds, runs, observation options (``normalize``, ``noise``,
    ``epoch``) and seed, so the members meet the same states and the same learner draws as
    the learned sender did (common random numbers). The returned result (a copy; ``result``
    is unchanged) answers ``best_fixed_value``, ``regret`` (``best_fixed_value -
    tail_sender_utility``), ``ratio_best_fixed`` and ``regret_curve()``; its ``summary()``
    gains those keys.

    >>> res = with_references(simulate(game, "tablenet", "hedge", rounds=20_000, runs=4,
    ...                                seed=0), game, "hedge")  # doctest: +SKIP
    >>> res.best_fixed_value, res.regret, res.regret_curve()  # doctest: +SKIP

    Args:
        result: a :func:`simulate` result of one game.
        game: that game (checked against ``result.game`` by name and LP value).
        receiver: the learner of ``result``, *untrained*: a registry name, a ``(name,
            kwargs)`` pair, a factory or a fresh receiver object (the object passed to
            ``simulate`` has learned during the run and must not be reused).
        seed: the seed of the reference runs; default ``result.seed`` (required when the
            result was seeded with a Generator or not at all).
        margins: obedience margins of the LP members, as in :func:`best_fixed_scheme`.
        full_disclosure: include full disclosure in the family.
        no_information: include the no-information scheme in the family.

    Raises:
        TypeError: on a result that is not a :class:`SimulationResult`.
        ValueError: on a batch of several games, a game or receiver that is not the
            result's, or no seed.
    """
    check_instance(result, SimulationResult, "result")
    check_instance(game, PersuasionGame, "game")
    if len(set(np.asarray(result.run_game).tolist())) > 1:
        raise ValueError(
            "result holds a batch of several games; attach references one game at a time"
        )
    lp = cached_solve_commitment(game).sender_value
    if game.name != result.game or not math.isclose(lp, result.lp_value, abs_tol=1e-9):
        raise ValueError(f"game {game.name!r} is not the game of the result ({result.game!r})")
    if seed is None:
        seed = result.seed
        if seed is None:
            raise ValueError(
                "result has no integer seed (it was seeded with a Generator or not at all); "
                "pass seed= to choose the reference runs' seed"
            )
    reference = best_fixed_scheme(
        game,
        receiver,
        rounds=result.rounds,
        runs=result.runs,
        seed=seed,
        margins=margins,
        full_disclosure=full_disclosure,
        no_information=no_information,
        **result.options,
    )
    if reference.receiver != result.receiver:
        raise ValueError(
            f"receiver {reference.receiver!r} is not the receiver of the result "
            f"({result.receiver!r})"
        )
    return dataclasses.replace(result, best_fixed=reference)


@functools.lru_cache(maxsize=256)
def cheap_talk_values(game: PersuasionGame, n_messages: int | None = None) -> tuple[float, float]:
    """``(babbling_value, cheap_talk_value)``: the no-commitment references (MODEL.md C3).

    The babbling value is the no-information value; the cheap-talk value is the sender's
    value in the sender-best equilibrium with a *pure* receiver response
    (:func:`~persuasion_env.solvers.cheap_talk.solve_cheap_talk`; equilibria in which the
    receiver mixes are not covered). With ``n_messages`` below the number of actions, the
    value stands when the equilibrium induces at most ``n_messages`` actions (the best over
    all action sets is then also the best over the smaller ones) and is NaN otherwise, as it
    is for games of more than ``MAX_CHEAP_TALK_ACTIONS`` actions. Memoised per game.
    """
    babbling = float(no_information_value(game))
    if game.n_actions > MAX_CHEAP_TALK_ACTIONS:
        return babbling, math.nan
    equilibrium = solve_cheap_talk(game)
    if n_messages is not None and len(equilibrium.induced_actions) > n_messages:
        return babbling, math.nan
    return babbling, float(equilibrium.sender_value)


def _check_margins(margins: Any) -> tuple[float, ...]:
    if isinstance(margins, str) or not isinstance(margins, Sequence | np.ndarray):
        raise TypeError(f"margins must be a sequence of numbers, got {type(margins).__name__}")
    return tuple(check_positive(m, f"margins[{i}]", allow_zero=True) for i, m in enumerate(margins))


def _receiver_factory(receiver: Any) -> Callable[[], Any]:
    """A function that builds a fresh, untrained copy of ``receiver`` for each member."""
    if isinstance(receiver, str):
        return lambda: receiver  # simulate builds it from the registry
    if (
        isinstance(receiver, tuple)
        and len(receiver) == 2
        and isinstance(receiver[0], str)
        and isinstance(receiver[1], Mapping)
    ):
        name, kwargs = receiver[0], dict(receiver[1])
        make_agent("receiver", name, **kwargs)  # fail now on a bad name or option
        return lambda: make_agent("receiver", name, **kwargs)
    if getattr(receiver, "side", None) == "receiver":
        return lambda: copy.deepcopy(receiver)
    if callable(receiver):
        return receiver
    raise TypeError(
        "receiver must be a registry name, a (name, kwargs) pair, a factory or a receiver "
        f"agent, got {receiver!r}"
    )
