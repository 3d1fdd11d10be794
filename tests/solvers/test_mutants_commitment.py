"""The commitment solvers' outputs pinned to hand-computed values (these kill mutants of
persuasion_env/solvers/commitment.py that the rest of the suite let through: docs/results.md).

Prosecutor (MODEL.md A2): prior (innocent 0.7, guilty 0.3); the prosecutor gets 1 for a
conviction, the judge 1 for the right verdict. Optimum: convict w.p. 1 when guilty and 3/7
when innocent; P(convict message) = 0.6; the judge is right on the acquit message (0.4) and
on the guilty part of the convict message (0.3): receiver value 0.7. With an obedience margin
the convict message needs P(guilty | m) >= 1/2 + margin/2: value 0.3 / (1/2 + margin/2).
"""

import warnings

import numpy as np
import pytest

from persuasion_env import PersuasionGame, full_disclosure_value, solve_commitment
from persuasion_env.solvers import SolverTimeLimitWarning, commitment


@pytest.fixture
def prosecutor():
    return PersuasionGame.example("prosecutor")


@pytest.mark.parametrize("method", ["lazy", "full"])
def test_lp_solution_fields_and_dict(prosecutor, method):
    sol = solve_commitment(prosecutor, method=method)
    d = sol.to_dict()
    assert set(d) == {
        "sender_value", "receiver_value", "scheme", "recommended_action",
        "message_probabilities", "status", "method", "mip_gap", "margin", "solve_time",
        "iterations",
    }  # fmt: skip
    assert d["sender_value"] == pytest.approx(0.6, abs=1e-9)
    assert d["receiver_value"] == pytest.approx(0.7, abs=1e-9)
    np.testing.assert_allclose(d["scheme"], [[4 / 7, 3 / 7], [0.0, 1.0]], atol=1e-9)
    assert d["recommended_action"] == [0, 1]
    np.testing.assert_allclose(d["message_probabilities"], [0.4, 0.6], atol=1e-9)
    assert (d["status"], d["method"], d["mip_gap"], d["margin"]) == ("optimal", method, 0.0, 0.0)
    assert 0.0 <= d["solve_time"] < 60.0
    if method == "full":
        assert d["iterations"] == 1
    else:
        assert d["iterations"] >= 1
    np.testing.assert_allclose(sol.posteriors, [[1.0, 0.0], [0.5, 0.5]], atol=1e-9)
    np.testing.assert_array_equal(sol.response, [[1.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize("method", ["lazy", "full", "milp"])
@pytest.mark.parametrize("margin", [0.05, 0.1, 0.3])
def test_margin_closed_form_for_every_method(prosecutor, method, margin):
    sol = solve_commitment(prosecutor, margin=margin, method=method)
    assert sol.sender_value == pytest.approx(0.3 / (0.5 + margin / 2), abs=1e-8)
    assert sol.margin == margin
    assert sol.method == method


def test_infeasible_margin_names_the_margin(prosecutor):
    # Prosecutor's largest affordable margin is 1 (full disclosure: gaps of 1 both ways).
    for method in ("lazy", "full"):
        with pytest.raises(ValueError, match=r"no scheme is obedient with margin=1\.5: .*margin$"):
            solve_commitment(prosecutor, margin=1.5, method=method)
    with pytest.raises(ValueError, match=r"margin=0\.5"):
        # one message: acquitting at the prior has gap 0.7 - 0.3 = 0.4 < 0.5
        solve_commitment(prosecutor, n_messages=1, margin=0.5)
    assert solve_commitment(prosecutor, n_messages=1, margin=0.4).sender_value == 0.0


def test_padding_keeps_every_field_and_labels_unsent_messages(prosecutor):
    sol = solve_commitment(prosecutor, n_messages=4, margin=0.1, method="full")
    assert sol.scheme.shape == (2, 4)
    np.testing.assert_allclose(sol.scheme[:, :2].sum(axis=1), 1.0)
    # unsent messages leave the judge at the prior: acquit (index 0)
    np.testing.assert_array_equal(sol.recommended_action, [0, 1, 0, 0])
    assert sol.sender_value == pytest.approx(0.3 / 0.55, abs=1e-9)
    # receiver: right on "acquit" (innocent, 0.7 - 0.7 * x) and on the guilty part (0.3) of
    # "convict", where x = P(convict | innocent) = 0.3 * 0.45 / (0.7 * 0.55)
    x = 0.3 * 0.45 / (0.7 * 0.55)
    assert sol.receiver_value == pytest.approx(0.7 * (1 - x) + 0.3, abs=1e-9)
    assert (sol.status, sol.method, sol.margin, sol.iterations) == ("optimal", "full", 0.1, 1)
    assert sol.n_actions == 2 and sol.n_messages == 4
    np.testing.assert_array_equal(sol.prior, prosecutor.prior)
    np.testing.assert_allclose(sol.message_probabilities[2:], 0.0)
    assert sol.response.shape == (4, 2)
    assert sol.solve_time >= 0.0


def test_full_disclosure_ties_go_to_the_sender():
    # In state 0 the receiver is indifferent; the sender wants action 1 everywhere.
    game = PersuasionGame([0.5, 0.5], [[0.0, 1.0], [0.0, 1.0]], [[1.0, 1.0], [0.0, 1.0]])
    assert full_disclosure_value(game) == 1.0


def test_solvers_pass_only_options_highs_knows(prosecutor):
    # A misspelt option is only a warning in scipy (and the default tolerance then applies).
    game = PersuasionGame.random(4, 4, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve_commitment(game, method="full")
        solve_commitment(game, method="lazy")
        solve_commitment(game, n_messages=2, time_limit=30.0, node_limit=10_000)


def test_milp_limits_reach_the_solver(monkeypatch):
    real_milp = commitment.milp
    seen = []

    def spy(*args, **kwargs):
        seen.append(dict(kwargs["options"]))
        result = real_milp(*args, **kwargs)
        result.status, result.mip_gap = 1, 0.5  # report it as stopped by the limit
        return result

    monkeypatch.setattr(commitment, "milp", spy)
    game = PersuasionGame.random(4, 4, seed=2)
    with pytest.warns(SolverTimeLimitWarning, match=r"hit node_limit=7; .*gap 0.5"):
        sol = solve_commitment(game, n_messages=2, node_limit=7)
    assert seen[0] == {"mip_rel_gap": 1e-9, "node_limit": 7}
    assert (sol.status, sol.mip_gap) == ("time_limit", 0.5)
    with pytest.warns(SolverTimeLimitWarning, match=r"hit time_limit=2.5 s"):
        solve_commitment(game, n_messages=2, time_limit=2.5)
    assert seen[-1] == {"mip_rel_gap": 1e-9, "time_limit": 2.5}


def test_new_highs_solves_silently(capfd):
    from persuasion_env.solvers._highs import new_highs

    h = new_highs()
    assert h.getOptionValue("output_flag")[1] is False
    h.addVar(0.0, 2.0)
    h.changeColCost(0, -1.0)
    h.run()  # a solver with output_flag on prints its log on the C-level stdout
    assert h.getInfo().objective_function_value == -2.0
    assert capfd.readouterr().out == ""


def test_highs_prints_nothing_on_stdout():
    # highspy prints a banner on the C-level stdout when the first solver of a process is
    # made; new_highs() hides it and silences every solver (a fresh process is needed).
    import subprocess
    import sys
    from pathlib import Path

    from persuasion_env.solvers._highs import new_highs

    # (also in this process, so that mutmut maps this test to new_highs: its mutants reach the
    # child through the MUTANT_UNDER_TEST environment variable and the copied sources in cwd)
    new_highs()
    code = (
        "import numpy as np, highspy\n"
        "from persuasion_env.solvers._highs import new_highs\n"
        "print('start', flush=True)\n"
        "h = new_highs(); h2 = new_highs()\n"
        "for s in (h, h2):\n"
        "    s.addVar(0.0, 1.0); s.changeColCost(0, -1.0); s.run()\n"
        "    assert s.getInfo().objective_function_value == -1.0\n"
        "    assert s.getOptionValue('output_flag')[1] is False\n"
        "print('end', flush=True)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "start\nend\n"


def test_no_information_ties_go_to_the_sender():
    # At the prior (1/2, 1/2) the receiver is indifferent between matching state 0 (action 0)
    # and state 1 (action 1); the sender gets 1 from action 1 in both states.
    from persuasion_env.solvers.commitment import no_information_value

    game = PersuasionGame([0.5, 0.5], [[0.0, 1.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]])
    assert no_information_value(game) == 1.0


def test_padding_keeps_the_iteration_count(prosecutor):
    import dataclasses

    sol = dataclasses.replace(solve_commitment(prosecutor, method="lazy"), iterations=7)
    padded = commitment._pad_messages(sol, 4)
    assert padded.iterations == 7
    assert padded.scheme.shape == (2, 4)


@pytest.mark.parametrize(("method", "n_messages"), [("full", None), ("lazy", None), ("milp", 1)])
def test_one_action_game(method, n_messages):
    # nothing to persuade: no obedience row at all, the sender gets 0.3 * 1 + 0.7 * 2
    game = PersuasionGame([0.3, 0.7], [[1.0], [2.0]], [[0.0], [0.0]])
    sol = solve_commitment(game, n_messages=n_messages, method=method)
    assert sol.sender_value == pytest.approx(1.7, abs=1e-12)
    np.testing.assert_array_equal(sol.scheme, [[1.0], [1.0]])


def test_full_lp_tolerances_reach_the_solver(prosecutor, monkeypatch):
    # the full LP asks HiGHS for feasibility and optimality to _HIGHS_TOL, not its 1e-7
    seen = []
    real_linprog = commitment.linprog

    def spy(*args, **kwargs):
        seen.append(kwargs.get("options"))
        return real_linprog(*args, **kwargs)

    monkeypatch.setattr(commitment, "linprog", spy)
    solve_commitment(prosecutor, method="full")
    tol = commitment._HIGHS_TOL
    assert tol < 1e-7
    assert seen == [{"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol}]


def test_one_action_game_is_solved_without_a_solver():
    game = PersuasionGame([0.3, 0.7], [[1.0], [2.0]], [[0.0], [0.0]])
    sol = solve_commitment(game, margin=0.5)
    assert (sol.method, sol.solve_time, sol.iterations, sol.margin) == ("trivial", 0.0, 0, 0.5)
    assert sol.status == "optimal"


def test_forced_milp_passes_its_limits(monkeypatch):
    real_milp = commitment.milp
    seen = []

    def spy(*args, **kwargs):
        seen.append(dict(kwargs["options"]))
        return real_milp(*args, **kwargs)

    monkeypatch.setattr(commitment, "milp", spy)
    game = PersuasionGame.random(3, 3, seed=2)
    solve_commitment(game, method="milp", node_limit=1000, time_limit=60.0)
    assert seen[0] == {"mip_rel_gap": 1e-9, "time_limit": 60.0, "node_limit": 1000}
    solve_commitment(game, n_messages=2, method="milp", node_limit=1)  # 1 node is allowed


def test_as_many_messages_as_actions_is_the_exact_lp():
    game = PersuasionGame.random(3, 3, seed=2)
    assert solve_commitment(game, n_messages=3).method == "lazy"
    assert solve_commitment(game, n_messages=3, method="full").method == "full"


def test_limit_and_game_errors_name_the_argument(prosecutor):
    with pytest.raises(ValueError, match="^time_limit must be > 0"):
        solve_commitment(prosecutor, time_limit=0.0)
    with pytest.raises(ValueError, match="^node_limit must be >= 1"):
        solve_commitment(prosecutor, node_limit=0)
    with pytest.raises(TypeError, match="^game must be a PersuasionGame, got int"):
        solve_commitment(5)


class _CountingHighs:
    """Wraps the solver the lazy LP builds: records its options and counts its solves."""

    def __init__(self, highs):
        self._highs, self.options, self.runs = highs, {}, 0

    def setOptionValue(self, name, value):  # noqa: N802 - highspy's name
        self.options[name] = value
        return self._highs.setOptionValue(name, value)

    def run(self):
        self.runs += 1
        return self._highs.run()

    def __getattr__(self, name):
        return getattr(self._highs, name)


def test_lazy_lp_reports_its_solves_and_uses_tight_tolerances(monkeypatch):
    made, real_new_highs = [], commitment.new_highs

    def counting_highs():
        made.append(_CountingHighs(real_new_highs()))
        return made[-1]

    monkeypatch.setattr(commitment, "new_highs", counting_highs)
    for seed in range(6):  # games that need one to a few rounds of row generation
        sol = solve_commitment(PersuasionGame.random(5, 4, seed=seed), method="lazy")
        assert sol.iterations == made[-1].runs >= 1
        tol = commitment._HIGHS_TOL
        assert made[-1].options["primal_feasibility_tolerance"] == tol
        assert made[-1].options["dual_feasibility_tolerance"] == tol
    assert max(h.runs for h in made) > 1


def test_milp_solution_fields():
    import time

    game = PersuasionGame.random(4, 3, seed=5)
    t0 = time.perf_counter()
    sol = solve_commitment(game, n_messages=2)
    elapsed = time.perf_counter() - t0
    assert (sol.method, sol.status, sol.mip_gap, sol.iterations) == ("milp", "optimal", 0.0, 1)
    assert (sol.n_actions, sol.n_messages) == (3, 2)
    assert 0.0 <= sol.solve_time <= elapsed


def _milp_spy(monkeypatch, first_status=None, drop_gap=False):
    """Record milp's keyword arguments; optionally report the first answer as infeasible
    (status 2, as HiGHS's MIP presolve wrongly does on some models) or as stopped by a
    limit without a gap."""
    real_milp, calls = commitment.milp, []

    def spy(*args, **kwargs):
        calls.append(kwargs)
        result = real_milp(*args, **kwargs)
        if first_status is not None and len(calls) == 1:
            result.status = first_status
            if drop_gap:
                del result["mip_gap"]
        return result

    monkeypatch.setattr(commitment, "milp", spy)
    return calls


def test_milp_confirms_an_infeasible_verdict_without_presolve(monkeypatch):
    game = PersuasionGame.random(4, 3, seed=5)
    expected = solve_commitment(game, n_messages=2).sender_value
    calls = _milp_spy(monkeypatch, first_status=2)
    sol = solve_commitment(game, n_messages=2)
    assert sol.sender_value == pytest.approx(expected, abs=1e-9)
    first, retry = calls
    assert "presolve" not in first["options"] and retry["options"]["presolve"] is False
    for kw in (first, retry):  # z binary, every variable in [0, 1]
        np.testing.assert_array_equal(kw["integrality"], [1] * 6 + [0] * 24)
        assert (kw["bounds"].lb, kw["bounds"].ub) == (0, 1)


def test_milp_limit_without_a_reported_gap(monkeypatch):
    _milp_spy(monkeypatch, first_status=1, drop_gap=True)
    game = PersuasionGame.random(4, 3, seed=5)
    with pytest.warns(SolverTimeLimitWarning, match="relative gap nan"):
        sol = solve_commitment(game, n_messages=2, node_limit=5)
    assert sol.status == "time_limit" and np.isnan(sol.mip_gap)
