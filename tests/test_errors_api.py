"""Bad input to the Python API: every error is a ValueError or TypeError naming the argument.

Each case is (callable, expected exception type, a regex the message must match); the regex
always contains the argument's name, so a bare NumPy or ``float()`` error fails the test.
"""

import json

import numpy as np
import pytest

from agents import make_receiver, make_sender
from persuasion_env import PersuasionGame, simulate
from persuasion_env._validation import MAX_CELLS, check_costs
from persuasion_env.oracle import OracleGame, variants
from persuasion_env.solvers import full_disclosure_value, no_information_value, solve_commitment
from persuasion_env.solvers.oracle import (
    evaluate_plan,
    greedy_plan,
    interval_values,
    partition,
    plan_queries,
)
from persuasion_env.tournament import Tournament

P = [0.5, 0.5]
U = [[0.0, 1.0], [1.0, 0.0]]
NAN, INF = float("nan"), float("inf")


def game(**kw):
    return PersuasionGame(kw.pop("prior", P), kw.pop("u1", U), kw.pop("u2", U), **kw)


def oracle(**kw):
    args = dict(
        states=[0.0, 1.0],
        types=[0.0, 1.0],
        joint_prior=[[0.25, 0.25], [0.25, 0.25]],
        receiver_utility=[[-1.0, -0.5], [0.5, 1.0]],
    )
    args.update(kw)
    return OracleGame(**args)


def og_dict(**extra):
    return {**oracle().to_dict(), **extra}


PROSECUTOR = PersuasionGame.example("prosecutor")
THREE = OracleGame.example("three-types")

GAME_CASES = {
    "complex sender_utility": (lambda: game(u1=[[1j, 1], [1, 0]]), TypeError, "sender_utility"),
    "complex array, zero imaginary part": (
        lambda: game(u2=np.array(U, dtype=complex)),
        TypeError,
        "receiver_utility.*complex",
    ),
    "complex prior": (lambda: game(prior=[0.5 + 0j, 0.5]), TypeError, "prior.*complex"),
    "bool prior": (lambda: game(prior=[True, False]), TypeError, "prior.*bool"),
    "bool utilities": (lambda: game(u1=np.eye(2, dtype=bool)), TypeError, "sender_utility.*bool"),
    "string numbers": (lambda: game(prior=["0.5", "0.5"]), TypeError, "prior.*str"),
    "prior None": (lambda: game(prior=None), TypeError, "prior"),
    "prior NaN": (lambda: game(prior=[NAN, 0.5]), ValueError, "prior contains NaN"),
    "utility inf": (lambda: game(u1=[[INF, 0], [0, 0]]), ValueError, "sender_utility.*inf"),
    "prior negative": (lambda: game(prior=[1.5, -0.5]), ValueError, "prior has negative"),
    "prior not summing to 1": (lambda: game(prior=[0.5, 0.4]), ValueError, "prior must sum to 1"),
    "prior 2-d": (lambda: game(prior=[[0.5, 0.5]]), ValueError, "prior must be 1-dimensional"),
    "utility 1-d": (lambda: game(u1=[1.0, 2.0]), ValueError, "sender_utility must be 2-dim"),
    "ragged utility": (lambda: game(u1=[[1.0, 2.0], [3.0]]), ValueError, "sender_utility.*rect"),
    "empty": (lambda: PersuasionGame([], [], []), ValueError, "prior must not be empty"),
    "shapes disagree": (lambda: game(u2=[[0, 1, 2], [1, 0, 2]]), ValueError, "same shape"),
    "state_names an int": (lambda: game(state_names=5), TypeError, "state_names"),
    "state_names ints": (lambda: game(state_names=[1, 2]), TypeError, r"state_names\[0\]"),
    "action_names None entries": (lambda: game(action_names=[None, None]), TypeError, "action_n"),
    "state_names repeated": (lambda: game(state_names=["a", "a"]), ValueError, "state_names.*dis"),
    "state_names wrong count": (lambda: game(state_names=["a"]), ValueError, "state_names.*2"),
    "name an int": (lambda: game(name=3), TypeError, "name must be a string"),
    "from_dict state_names 5": (
        lambda: PersuasionGame.from_dict({**PROSECUTOR.to_dict(), "state_names": 5}),
        TypeError,
        "state_names",
    ),
    "from_dict unknown key": (
        lambda: PersuasionGame.from_dict({**PROSECUTOR.to_dict(), "priors": P}),
        ValueError,
        "unknown key.*priors",
    ),
    "from_dict None": (
        lambda: PersuasionGame.from_dict(None),
        ValueError,
        "data must be a JSON object",
    ),
    "from_json None": (lambda: PersuasionGame.from_json(None), TypeError, "text"),
    "from_json non-UTF-8 bytes": (lambda: PersuasionGame.from_json(b"\xff"), ValueError, "UTF-8"),
    "random n_states 0": (lambda: PersuasionGame.random(0, 2), ValueError, "n_states must be >="),
    "random float size": (lambda: PersuasionGame.random(2.0, 2), TypeError, "n_states"),
    "random bool size": (lambda: PersuasionGame.random(True, 2), TypeError, "n_states"),
    "random huge": (
        lambda: PersuasionGame.random(10**6, 10**6),
        ValueError,
        f"n_states x n_actions.*too large.*{MAX_CELLS:,}",
    ),
    "random unknown prior": (lambda: PersuasionGame.random(2, 2, prior="x"), ValueError, "prior"),
    "random prior not a str": (lambda: PersuasionGame.random(2, 2, prior=5), TypeError, "prior"),
    "random name an int": (lambda: PersuasionGame.random(2, 2, name=5), TypeError, "name"),
    "random seed str": (lambda: PersuasionGame.random(2, 2, seed="a"), TypeError, "seed"),
    "random seed negative": (lambda: PersuasionGame.random(2, 2, seed=-1), ValueError, "seed"),
    "example unknown keyword": (
        lambda: PersuasionGame.example("prosecutor", x=1),
        ValueError,
        "unknown keyword.*x",
    ),
    "example mu0 NaN": (
        lambda: PersuasionGame.example("binary_threshold", mu0=NAN),
        ValueError,
        "mu0",
    ),
    "example mu0 complex": (
        lambda: PersuasionGame.example("binary_threshold", mu0=0.3j),
        TypeError,
        "mu0",
    ),
    "example theta 0": (
        lambda: PersuasionGame.example("binary_threshold", theta=0.0),
        ValueError,
        "theta",
    ),
    "example name not str": (lambda: PersuasionGame.example(3), TypeError, "example name"),
}

SOLVE_CASES = {
    "game a string": (lambda: solve_commitment("prosecutor"), TypeError, "game must be a Pers"),
    "n_messages 0": (lambda: solve_commitment(PROSECUTOR, 0), ValueError, "n_messages must be"),
    "n_messages float": (lambda: solve_commitment(PROSECUTOR, 1.5), TypeError, "n_messages"),
    "n_messages bool": (lambda: solve_commitment(PROSECUTOR, True), TypeError, "n_messages"),
    "margin NaN": (lambda: solve_commitment(PROSECUTOR, margin=NAN), ValueError, "margin"),
    "margin negative": (lambda: solve_commitment(PROSECUTOR, margin=-1), ValueError, "margin"),
    "margin str": (lambda: solve_commitment(PROSECUTOR, margin="0.1"), TypeError, "margin"),
    "margin complex": (lambda: solve_commitment(PROSECUTOR, margin=1j), TypeError, "margin"),
    "margin too large": (lambda: solve_commitment(PROSECUTOR, margin=100), ValueError, "margin"),
    "unknown method": (lambda: solve_commitment(PROSECUTOR, method="x"), ValueError, "method"),
    "time_limit 0": (lambda: solve_commitment(PROSECUTOR, time_limit=0), ValueError, "time_lim"),
    "time_limit inf": (lambda: solve_commitment(PROSECUTOR, time_limit=INF), ValueError, "time_"),
    "node_limit 0": (lambda: solve_commitment(PROSECUTOR, node_limit=0), ValueError, "node_lim"),
    "method None": (lambda: solve_commitment(PROSECUTOR, method=None), TypeError, "method"),
    # a 22 GiB scheme before: the size limit applies to S x n_messages
    "n_messages huge": (
        lambda: solve_commitment(PROSECUTOR, 10**9),
        ValueError,
        "n_messages: a 2x1000000000 game is too large",
    ),
    # HiGHS reported "Unknown" (a RuntimeError) for a margin far above the utility spread
    "margin 1e9": (
        lambda: solve_commitment(PROSECUTOR, margin=1e9),
        ValueError,
        "margin=1000000000.0",
    ),
    "margin 1e9 with messages": (
        lambda: solve_commitment(PROSECUTOR, 1, margin=1e9),
        ValueError,
        "no scheme is obedient with margin",
    ),
    "full_disclosure_value of a str": (
        lambda: full_disclosure_value("prosecutor"),
        TypeError,
        "game must be a PersuasionGame, got str",
    ),
    "no_information_value of None": (lambda: no_information_value(None), TypeError, "game"),
}

ORACLE_CASES = {
    "complex utility": (
        lambda: oracle(receiver_utility=[[1j, 0], [0, 1]]),
        TypeError,
        "receiver_utility",
    ),
    "complex joint prior": (
        lambda: oracle(joint_prior=np.full((2, 2), 0.25 + 0j)),
        TypeError,
        "joint_prior.*complex",
    ),
    "bool states": (lambda: oracle(states=[False, True]), TypeError, "states.*bool"),
    "NaN type": (lambda: oracle(types=[0.0, NAN]), ValueError, "types contains NaN"),
    "unsorted states": (lambda: oracle(states=[1.0, 0.0]), ValueError, "states must be sorted"),
    "prior not summing to 1": (
        lambda: oracle(joint_prior=[[0.25, 0.25], [0.25, 0.2]]),
        ValueError,
        "joint_prior must sum to 1",
    ),
    "name an int": (lambda: oracle(name=5), TypeError, "name must be a string"),
    "check_assumptions a str": (
        lambda: oracle(check_assumptions="no"),
        TypeError,
        "check_assumptions",
    ),
    "from_dict check_assumptions a str": (
        lambda: OracleGame.from_dict(og_dict(check_assumptions="no")),
        TypeError,
        "check_assumptions",
    ),
    "from_dict unknown key": (
        lambda: OracleGame.from_dict(og_dict(stats=1)),
        ValueError,
        "unknown key.*stats",
    ),
    "from_dict missing key": (
        lambda: OracleGame.from_dict({"states": [0, 1]}),
        ValueError,
        "missing.*joint_prior",
    ),
    "from_dict not a dict": (lambda: OracleGame.from_dict([1]), TypeError, "data must be a dict"),
    "from_json malformed": (lambda: OracleGame.from_json("{"), ValueError, "malformed"),
    "binary_thresholds p_high NaN": (
        lambda: OracleGame.binary_thresholds(NAN, [0.5]),
        ValueError,
        "p_high",
    ),
    "binary_thresholds p_high bool": (
        lambda: OracleGame.binary_thresholds(True, [0.5]),
        TypeError,
        "p_high",
    ),
    "binary_thresholds complex": (
        lambda: OracleGame.binary_thresholds(0.3, [0.5j]),
        TypeError,
        "thresholds",
    ),
    "binary_thresholds type_probs negative": (
        lambda: OracleGame.binary_thresholds(0.3, [0.5, 0.6], [1.5, -0.5]),
        ValueError,
        "type_probs",
    ),
    "random 0 states": (lambda: OracleGame.random(0, 2), ValueError, "n_states"),
    "random huge": (lambda: OracleGame.random(10**6, 10**6), ValueError, "too large"),
    "random correlation NaN": (
        lambda: OracleGame.random(2, 2, correlation=NAN),
        ValueError,
        "correlation",
    ),
    "example not a str": (lambda: OracleGame.example(3), TypeError, "name"),
    "from_density resolution bool": (
        lambda: OracleGame.from_density(
            lambda w, t: 1 + 0 * w, lambda w, t: w + t - 1, box=((0, 1), (0, 1)), resolution=True
        ),
        TypeError,
        "resolution",
    ),
    "from_density resolution triple": (
        lambda: OracleGame.from_density(
            lambda w, t: 1 + 0 * w,
            lambda w, t: w + t - 1,
            box=((0, 1), (0, 1)),
            resolution=(3, 3, 3),
        ),
        ValueError,
        "resolution",
    ),
    "from_density huge": (
        lambda: OracleGame.from_density(
            lambda w, t: 1 + 0 * w, lambda w, t: w + t - 1, box=((0, 1), (0, 1)), resolution=10**6
        ),
        ValueError,
        "resolution.*too large",
    ),
    "plan budget -1": (lambda: plan_queries(THREE, -1), ValueError, "budget"),
    "plan budget float": (lambda: plan_queries(THREE, 1.5), TypeError, "budget"),
    "plan costs NaN": (lambda: plan_queries(THREE, costs=[NAN, 0]), ValueError, "costs"),
    "plan costs complex": (lambda: plan_queries(THREE, costs=[1j, 0]), TypeError, "costs"),
    "plan costs length": (lambda: plan_queries(THREE, costs=[0.1]), ValueError, "costs.*T-1"),
    "plan costs a str": (lambda: plan_queries(THREE, costs="0.1,0.2"), TypeError, "costs"),
    "plan costs a scalar": (lambda: plan_queries(THREE, costs=0.1), ValueError, "costs"),
    "plan eps negative": (lambda: plan_queries(THREE, 2, eps=-1), ValueError, "eps"),
    "plan adaptive a str": (lambda: plan_queries(THREE, 2, adaptive="yes"), TypeError, "adaptiv"),
    "plan game a str": (lambda: plan_queries("three-types", 2), TypeError, "og"),
    "greedy costs negative": (lambda: greedy_plan(THREE, costs=[-1, 0]), ValueError, "costs"),
    "plan policies a str": (lambda: plan_queries(THREE, 2, policies="no"), TypeError, "policies"),
    "greedy policies None": (lambda: greedy_plan(THREE, 2, policies=None), TypeError, "policies"),
    "interval_values og a str": (lambda: interval_values("x"), TypeError, "og must be an Oracle"),
    "interval_values method": (lambda: interval_values(THREE, method="x"), ValueError, "method"),
    "evaluate_plan og a str": (
        lambda: evaluate_plan("x", plan_queries(THREE, 1)),
        TypeError,
        "og must be an OracleGame",
    ),
    "evaluate_plan plan None": (lambda: evaluate_plan(THREE, None), TypeError, "plan must be a"),
    "evaluate_plan another game's plan": (
        lambda: evaluate_plan(OracleGame.random(3, 5, seed=0), plan_queries(THREE, 1)),
        ValueError,
        "plan covers types 0..2 but og has 5 types",
    ),
    "multi-action sender_utility length": (
        lambda: variants.MultiActionOracleGame(
            [[0.25, 0.25], [0.25, 0.25]], np.zeros((2, 3)), [1.0, 0.0]
        ),
        ValueError,
        "sender_utility must have shape",
    ),
    "multi-action receiver_utility rows": (
        lambda: variants.MultiActionOracleGame(
            [[0.25, 0.25], [0.25, 0.25]], np.zeros((3, 3)), [1.0, 0.0, 0.5]
        ),
        ValueError,
        "receiver_utility must have shape",
    ),
    "play_multiaction game a str": (
        lambda: variants.play_multiaction("x", 0, 1),
        TypeError,
        "game must be a MultiActionOracleGame",
    ),
    "play_multiaction n_candidates 0": (
        lambda: variants.play_multiaction(
            variants.MultiActionOracleGame.random(2, 2, 3, seed=0), 0, 1, n_candidates=0
        ),
        ValueError,
        "n_candidates must be >= 1",
    ),
    "partition og a str": (lambda: partition.solve_partition_queries("x", 1), TypeError, "og"),
    "partition queries a str": (
        lambda: partition.solve_partition_queries(THREE, 1, queries="x"),
        TypeError,
        r"queries\[0\]",
    ),
    "subset_value type out of range": (
        lambda: partition.subset_value(THREE, [0, 9]),
        ValueError,
        r"types must be type indices in \[0, 3\)",
    ),
    "subset_value og a str": (lambda: partition.subset_value("x", [0]), TypeError, "og"),
}

RECEIVER_CASES = [
    ("q_learning", dict(initial_q=NAN), ValueError),
    ("q_learning", dict(initial_q=INF), ValueError),
    ("q_learning", dict(initial_q="x"), TypeError),
    ("q_learning", dict(initial_q=True), TypeError),
    ("q_learning", dict(alpha="x"), TypeError),
    ("q_learning", dict(alpha=True), TypeError),
    ("q_learning", dict(alpha=1j), TypeError),
    ("q_learning", dict(alpha=None), TypeError),
    ("q_learning", dict(epsilon=1.5), ValueError),
    ("q_learning", dict(epsilon_decay_rounds=1.5), TypeError),
    ("q_learning", dict(aplha=0.1), ValueError),
    ("reinforce", dict(alpha=NAN), ValueError),
    ("hedge", dict(eta=0), ValueError),
    ("hedge", dict(gamma=2), ValueError),
    ("ucb", dict(c_explore=-1), ValueError),
    ("ucb", dict(discount=0), ValueError),
    ("quantal", dict(lam=INF), ValueError),
    ("quantal", dict(lam="x"), TypeError),
    ("fictitious_play", dict(prior_weight=NAN), ValueError),
    ("fictitious_play", dict(discount=True), TypeError),
    ("best_response", dict(x=1), ValueError),
]

SENDER_CASES = [
    ("info_q", dict(initial_q=NAN), ValueError),
    ("info_q", dict(initial_q="x"), TypeError),
    ("info_q", dict(weight_by_frequency="no"), TypeError),
    ("info_q", dict(n_messages=0), ValueError),
    ("info_q", dict(n_messages=2.0), TypeError),
    ("info_policy", dict(initial_q=NAN), ValueError),
    ("info_policy", dict(alpha="x"), TypeError),
    ("modelr", dict(epsilon=NAN), ValueError),
    ("modelr", dict(epsilon=True), TypeError),
    ("q_learning", dict(initial_q=NAN), ValueError),
    ("q_learning", dict(n_messages=True), TypeError),
    ("hedge", dict(eta="big"), TypeError),
    ("lp_optimal", dict(margin=NAN), ValueError),
    ("lp_optimal", dict(margin="x"), TypeError),
    ("lp_optimal", dict(margni=0.1), ValueError),
    ("fixed_scheme", dict(scheme=[[0.5 + 0j, 0.5], [1, 0]]), TypeError),
    ("fixed_scheme", dict(scheme=[[1.5, -0.5], [1, 0]]), ValueError),
    ("fixed_scheme", dict(scheme=[0.5, 0.5]), ValueError),
    ("fixed_scheme", dict(), TypeError),
    ("dp_querier", dict(costs=[-1, 0]), ValueError),
    ("dp_querier", dict(costs=[NAN, 0]), ValueError),
    ("dp_querier", dict(costs="x"), TypeError),
    ("dp_querier", dict(budget=-1), ValueError),
    ("dp_querier", dict(seed="x"), TypeError),
    ("greedy_querier", dict(costs=[1j]), TypeError),
    ("random_querier", dict(costs=[[1, 2]]), ValueError),
    ("no_query", dict(budget=1.5), TypeError),
]


def _expect(fn, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        fn()
    assert type(info.value) in (ValueError, TypeError) or issubclass(
        type(info.value), (ValueError, TypeError)
    )


@pytest.mark.parametrize("case", GAME_CASES, ids=str)
def test_persuasion_game(case):
    _expect(*GAME_CASES[case])


@pytest.mark.parametrize("case", SOLVE_CASES, ids=str)
def test_solve_commitment(case):
    _expect(*SOLVE_CASES[case])


@pytest.mark.parametrize("case", ORACLE_CASES, ids=str)
def test_oracle_game_and_planners(case):
    _expect(*ORACLE_CASES[case])


@pytest.mark.parametrize(("name", "kwargs", "error"), RECEIVER_CASES)
def test_receiver_hyperparameters(name, kwargs, error):
    (key,) = kwargs
    with pytest.raises(error, match=key):
        make_receiver(name, **kwargs)


@pytest.mark.parametrize(("name", "kwargs", "error"), SENDER_CASES)
def test_sender_hyperparameters(name, kwargs, error):
    key = next(iter(kwargs), "scheme")
    with pytest.raises(error, match=key):
        make_sender(name, **kwargs)


def test_valid_hyperparameters_still_work():
    # Numbers of every NumPy kind are numbers; integers are accepted where floats are.
    assert make_receiver("q_learning", alpha=np.float32(0.5), initial_q=np.int64(1)).initial_q == 1
    assert make_sender("info_q", initial_q=-2, weight_by_frequency=np.bool_(False)).initial_q == -2
    assert make_sender("dp_querier", costs=np.array([0.1, 0.2])).costs.tolist() == [0.1, 0.2]


def test_querier_checks_costs_at_construction_and_reset():
    with pytest.raises(ValueError, match="costs must be non-negative, got costs\\[0\\] = -1"):
        make_sender("dp_querier", costs=[-1.0, 0.0])
    querier = make_sender("dp_querier", costs=[0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="costs must have length T-1 = 2"):
        querier.reset(THREE)  # three types: two thresholds
    with pytest.raises(TypeError, match="game must be an OracleGame"):
        make_sender("dp_querier").reset("three-types")


def test_one_costs_check_for_every_entry_point():
    # The planner, the querier, the environments and the CLI share check_costs: same message.
    import gymnasium

    from persuasion_env.multiagent import oracle_query_v0

    messages = set()
    for build in (
        lambda: check_costs([0.1, -2.0], 3),
        lambda: plan_queries(THREE, costs=[0.1, -2.0]),
        lambda: make_sender("dp_querier").reset(THREE, costs=[0.1, -2.0]),
        lambda: gymnasium.make("persuasion/OracleQuery-v0", costs=[0.1, -2.0]),
        lambda: oracle_query_v0.parallel_env(costs=[0.1, -2.0]),
        lambda: oracle_query_v0.raw_env(costs=[0.1, -2.0]),
    ):
        with pytest.raises(ValueError) as info:
            build()
        messages.add(str(info.value))
    assert messages == {"costs must be non-negative, got costs[1] = -2.0"}


SIM = dict(game=PROSECUTOR, sender="lp_optimal", receiver="best_response", rounds=5)
SIM_CASES = {
    "rounds 0": (dict(rounds=0), ValueError, "rounds"),
    "rounds float": (dict(rounds=1.5), TypeError, "rounds"),
    "runs huge": (dict(runs=10**12), ValueError, "runs.*too large"),
    "runs 0": (dict(runs=0), ValueError, "runs"),
    "noise NaN": (dict(noise=NAN), ValueError, "noise"),
    "normalize a str": (dict(normalize="no"), TypeError, "normalize"),
    "progress a str": (dict(progress="no"), TypeError, "progress"),
    "game a str": (dict(game="prosecutor"), TypeError, "game"),
    "no games": (dict(game=[]), TypeError, "game"),
    "receiver as sender": (dict(sender="best_response"), ValueError, "sender"),
    "sender None": (dict(sender=None), TypeError, "sender"),
    "seed a str": (dict(seed="x"), TypeError, "seed"),
    "querier in the repeated game": (dict(sender="dp_querier"), ValueError, "sender"),
    "epoch 0": (dict(epoch=0), ValueError, "epoch"),
}


@pytest.mark.parametrize("case", SIM_CASES, ids=str)
def test_simulate(case):
    changes, error, pattern = SIM_CASES[case]
    kwargs = {**SIM, **changes}
    with pytest.raises(error, match=pattern):
        simulate(kwargs.pop("game"), kwargs.pop("sender"), kwargs.pop("receiver"), **kwargs)


def small_tournament(**kwargs):
    args = dict(
        senders=["lp_optimal"], receivers=["best_response"], sizes=[2], n_games=1, rounds=10
    )
    args.update(kwargs)
    return Tournament(**args)


TOURNAMENT_CASES = {
    "empty game list": (dict(games=[], sizes=None), ValueError, "games is empty"),
    "empty games and sizes": (dict(games=[], sizes=[]), ValueError, "games is empty"),
    "empty sizes": (dict(sizes=[]), ValueError, "sizes is empty"),
    "empty senders": (dict(senders=[]), ValueError, "senders must not be empty"),
    "empty receivers": (dict(receivers=[]), ValueError, "receivers must not be empty"),
    "empty seeds": (dict(seeds=[]), ValueError, "seeds must not be empty"),
    "rounds 0": (dict(rounds=0), ValueError, "rounds must be >= 1"),
    "rounds negative": (dict(rounds=-5), ValueError, "rounds must be >= 1"),
    "seeds an int": (dict(seeds=3), TypeError, "seeds"),
    "size 0": (dict(sizes=[0]), ValueError, "sizes entry"),
    "sizes a str": (dict(sizes="4"), TypeError, "sizes must be a list"),
    "size huge": (dict(sizes=[10**6]), ValueError, "sizes entry.*too large"),
    "n_games 0": (dict(n_games=0), ValueError, "n_games"),
    "games a str": (dict(games="prosecutor"), TypeError, "games must be a list"),
    "unknown sender": (dict(senders=["nope"]), ValueError, "unknown sender 'nope'"),
    "misspelt option": (dict(senders=[("lp_optimal", {"margni": 1})]), ValueError, "margni"),
    "options not a dict": (dict(senders=[("lp_optimal", 5)]), TypeError, "lp_optimal.*dict"),
    "normalize a str": (dict(normalize="no"), TypeError, "normalize"),
    "querier": (dict(senders=["dp_querier"]), ValueError, "dp_querier"),
    "game_seed negative": (dict(game_seed=-1), ValueError, "game_seed"),
    "a negative seed": (dict(seeds=[0, -1]), ValueError, r"seeds\[1\] must be >= 0"),
    "a float seed": (dict(seeds=[0.5]), TypeError, r"seeds\[0\] must be an integer"),
}

PLAY_CASES = {
    "jobs 0": (dict(jobs=0), ValueError, "jobs must be >= 1"),
    "backend None": (dict(backend=None), TypeError, "backend must be 'local' or 'ray'"),
    "backend unknown": (dict(backend="dask"), ValueError, "backend must be 'local' or 'ray'"),
    "out an int": (dict(out=5), TypeError, "out must be a directory path"),
    "resume without out": (dict(resume=True), ValueError, "resume=True needs out"),
    "resume a str": (dict(resume="yes", out="x"), TypeError, "resume must be True or False"),
    "progress a str": (dict(progress="no"), TypeError, "progress must be True or False"),
}


@pytest.mark.parametrize("case", PLAY_CASES, ids=str)
def test_tournament_play(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)  # nothing may be written, but never into the repository
    changes, error, pattern = PLAY_CASES[case]
    with pytest.raises(error, match=pattern):
        small_tournament().play(**changes)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", TOURNAMENT_CASES, ids=str)
def test_tournament(case):
    changes, error, pattern = TOURNAMENT_CASES[case]
    with pytest.raises(error, match=pattern):
        small_tournament(**changes)


def test_tournament_with_games_and_no_sizes_is_fine():
    assert small_tournament(games=["prosecutor"], sizes=[]).n_matches == 1
    assert small_tournament(games=[], sizes=[2]).n_matches == 1


# ------------------------------------------------------------------- game files


def _write(path, content):
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


FILE_CASES = {
    "not UTF-8": (b"\xff\xfe\x00garbage", ValueError, "not UTF-8"),
    "truncated": ('{"prior": [0.5, 0.5', ValueError, "malformed game JSON"),
    "a list": ("[1, 2]", ValueError, "JSON object"),
    "names an int": (
        json.dumps({**PROSECUTOR.to_dict(), "state_names": 5}),
        TypeError,
        "state_names",
    ),
    "complex as a string": (
        json.dumps({**PROSECUTOR.to_dict(), "prior": ["0.5", "0.5"]}),
        TypeError,
        "prior",
    ),
    "NaN": (PROSECUTOR.to_json().replace("0.7", "NaN"), ValueError, "prior contains NaN"),
    "missing key": (json.dumps({"prior": P}), ValueError, "missing key"),
}


@pytest.mark.parametrize("case", FILE_CASES, ids=str)
def test_game_files_name_the_file(tmp_path, case):
    content, error, pattern = FILE_CASES[case]
    path = _write(tmp_path / "g.json", content)
    with pytest.raises(error, match=pattern) as info:
        PersuasionGame.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("case", FILE_CASES, ids=str)
def test_oracle_game_files_name_the_file(tmp_path, case):
    content, _, _ = FILE_CASES[case]
    path = _write(tmp_path / "og.json", content)
    with pytest.raises((ValueError, TypeError)) as info:
        OracleGame.load(path)
    assert str(path) in str(info.value)


def test_missing_files_and_directories(tmp_path):
    for load in (PersuasionGame.load, OracleGame.load):
        with pytest.raises(ValueError, match="does not exist") as info:
            load(tmp_path / "none.json")
        assert "none.json" in str(info.value)
        with pytest.raises(ValueError, match="is not a file"):
            load(tmp_path)
        with pytest.raises(TypeError, match="path"):
            load(None)


def test_files_round_trip(tmp_path):
    PROSECUTOR.save(tmp_path / "g.json")
    assert PersuasionGame.load(tmp_path / "g.json") == PROSECUTOR
    THREE.save(tmp_path / "og.json")
    assert OracleGame.load(str(tmp_path / "og.json")) == THREE


def test_commitment_margin_limit_is_the_utility_spread():
    # u1 = u2 = [[0, 1], [1, 0]]: every state's spread max_a u2 - min_a u2 is 1. Full
    # disclosure is obedient with margin 1 (each recommendation beats the other action by
    # exactly 1 in its state) and earns the sender 1, so margin 1 solves with value 1 and any
    # margin above the spread is infeasible (a posterior gain is at most the spread).
    assert solve_commitment(game(), margin=1.0).sender_value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no scheme is obedient with margin=1.001"):
        solve_commitment(game(), margin=1.001)


def test_sb3_model_file_is_named(tmp_path):
    pytest.importorskip("stable_baselines3")
    missing = tmp_path / "model.zip"
    with pytest.raises(ValueError, match="model file .*model.zip' does not exist"):
        make_sender("sb3", model=str(missing), algorithm="PPO")
    with pytest.raises(ValueError, match="model file .* is not a file"):
        make_receiver("sb3", model=tmp_path, algorithm="PPO")


def test_receivers_refuse_complex_or_misshapen_schemes():
    from agents.base import GameView

    receiver = make_receiver("best_response")
    view = GameView.for_agent(PROSECUTOR, receiver, 2)
    receiver.reset(view, runs=1, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="schemes must be an array of real numbers.*complex"):
        receiver.observe_scheme(np.eye(2)[None] + 0j)
    with pytest.raises(ValueError, match=r"schemes must have shape \(1, 2, 2\)"):
        receiver.observe_scheme(np.eye(2))
    receiver.observe_scheme(np.eye(2)[None])  # full disclosure: the receiver follows it
    assert receiver.act(np.array([1])).tolist() == [1]
