"""The certified protocol of :class:`agents.senders.adaptive.MarginAdaptiveSender`
(``search="certified"``, its default): certify the posteriors a learner obeys, test new ones
on fresh messages, and play the best scheme built from certified points (the sender's module
docstring, step 3; the LP over the points is :func:`agents.senders._certified.certified_scheme`).

A test whose recommendation is the learner's most played action but not yet obeyed enough,
or seen too few times to judge, is watched for up to ``test_extensions`` more rounds on its
message (as many as the remaining test rounds allow) before it fails, beside
the new candidates (agents/senders/_test_verdict.py: exploring learners such as UCB and
Hedge obey a fresh message near a region's boundary only slowly).

Where to step: in every other test round (``model_steps``) a candidate steps toward the
posterior the receiver model (a logit refitted after every test round) puts furthest in the
direction of value inside the action's modelled region (:meth:`CertifiedSearch._model_point`):
the best posterior of an action lies on its region's boundary planes, often with no mass at
the states where the action is clearly best, which steps toward one state or a fixed mixture
of states reach slowly (on random-4x4-4 the certified scheme stalled near 0.42 against
fictitious play and UCB, where the best fixed scheme earns 0.60). A failed test still
certifies its point for the action the learner did obey there, when that action passed a
strict test (:meth:`CertifiedSearch._certify_other`).

A mixin: its methods read and write the sender's state (the disclosure, the message
assignment, the reference obedience) and call its obedience test ``_judge``.
"""

from __future__ import annotations

import numpy as np

from agents.senders._certified import certified_scheme, probe_columns
from agents.senders._response_model import model_region_point
from agents.senders._test_verdict import (
    EXTEND,
    FAIL,
    PASS,
    PASS_SIGN,
    verdict_on_test,
    visit_age,
)
from persuasion_env import bayes

__all__ = ["MODEL_MARGIN", "CertifiedSearch"]

#: The logit margin of a model-guided candidate (:meth:`CertifiedSearch._model_point`): the
#: model must find its action at least ``e`` times as likely as each other action there.
MODEL_MARGIN = 1.0


class CertifiedSearch:
    """The ``search="certified"`` epochs of
    :class:`~agents.senders.adaptive.MarginAdaptiveSender`."""

    def _start_certified(self, probe_counts: np.ndarray | None) -> None:
        """Certify what play has shown (every vertex ``e_s`` for ``b(s)``; the prior for the
        action the receiver settled on after the silent probe) and start the tests."""
        n_states, n_actions = self.u1.shape[1:]
        self._points: list[list[np.ndarray]] = []
        self._point_actions: list[list[int]] = []
        best = self.disclosure.argmax(axis=-1)  # (B, S)
        for b in range(self.runs):
            points = [np.eye(n_states)[s] for s in range(n_states)]
            actions = [int(best[b, s]) for s in range(n_states)]
            if probe_counts is not None and self._silent[b] >= 0:
                prior_point = self._judge_probe(b, probe_counts[b, self._silent[b]])
                if prior_point is not None:
                    points.append(prior_point[1])
                    actions.append(prior_point[0])
            self._points.append(points)
            self._point_actions.append(actions)
        self._tau = np.ones((self.runs, n_actions, n_states))
        self._mix_tau = np.ones((self.runs, n_actions))
        self._model_tau = np.ones((self.runs, n_actions))
        self._used_messages: list[set[int]] = [set() for _ in range(self.runs)]
        self._n_base_points = [len(p) for p in self._points]
        self._cert_streak = np.zeros((self.runs, n_actions), dtype=int)
        self._test_counts = 0.0
        self._test_round = 0
        self._test_epoch = 0
        self._tests: list[list[tuple[int, int, np.ndarray, int]]] = [[] for _ in range(self.runs)]
        # Tests extended into the next round (same candidate, same message), and how often
        # each test message has been extended.
        self._carry: list[list[tuple[int, int, np.ndarray, int]]] = [[] for _ in range(self.runs)]
        self._extensions: list[dict[int, int]] = [{} for _ in range(self.runs)]
        self._solve_certified()
        room = self._schemes.shape[2] - self._base_messages(n_actions) - 1  # fixed n_messages
        self._n_tests = min(self._test_rounds(n_actions), max(room, 0) // n_actions)
        if self._n_tests > 0:
            self._begin_test_round()
        else:
            self._start_floor()
            self._commit(self._floor_play())

    def _judge_probe(self, b: int, seen: np.ndarray) -> tuple[int, np.ndarray] | None:
        """The silent probe's verdict for run ``b`` (``seen`` ``(A,)``: the learner's actions
        after the silent message in the probe's last epoch): the action and the point to
        certify for it, or ``None``. The silent message is as fresh as a test message, so it
        is judged like a test at the same age (``probe_epochs``): against the disclosure
        messages' obedience at that age, and, with ``sign_test``, passing with the wider
        margin when the most played action clearly beats the runner-up (UCB explores a
        fresh message for long, so at the reference obedience its probe often failed and
        the sender started from full disclosure where silence earned more)."""
        age = min(self.probe_epochs, len(self._learning_curve)) - 1
        threshold = min(self.reference_obedience[b], self._learning_curve[age][b])
        action = int(np.argmax(seen))
        verdict = verdict_on_test(
            seen,
            action,
            threshold - self.tolerance,
            min_count=self.min_count,
            extensions=0,
            max_extensions=0,
            sign_test=self.sign_test,
        )
        if verdict == PASS:
            return action, self.priors[b].copy()
        if verdict == PASS_SIGN:
            prior = self.priors[b]
            margin = min(1.0, 3.0 * self._certify_margin())
            return action, prior - margin * (prior - self._anchor(b, action))
        return None

    def _solve_certified(self) -> None:
        solved = [
            certified_scheme(
                self.priors[b],
                self.u1[b],
                np.array(self._points[b]),
                np.array(self._point_actions[b]),
            )
            for b in range(self.runs)
        ]
        self._certified = np.stack([scheme for scheme, _ in solved])  # (B, S, A)
        self._prices = np.stack([prices for _, prices in solved])  # (B, S)

    def _certified_play(self, share: float = 1.0) -> np.ndarray:
        """The certified scheme on the recommendation messages, with weight ``share``."""
        n_messages = self._schemes.shape[2]
        schemes = np.zeros((self.runs, self.u1.shape[1], n_messages))
        for b in range(self.runs):
            schemes[b][:, self.message_of[b]] = share * self._certified[b]
        return schemes

    def _candidates(self, b: int) -> list[tuple[int, int, np.ndarray]]:
        """Run ``b``'s points to test, one per action ``a``: from the posterior of the
        certified column ``a`` (for an action the certified scheme does not use, its
        certified point nearest to entering the LP: the highest reduced value) a step
        ``tau`` toward the vertex ``e_s`` of the state whose mass would add most value to
        that column at the certified LP's shadow prices (column generation, model-free);
        none for an action no state would add value to. In every other test round, and
        once every vertex step of ``a`` is spent, the step goes instead toward the
        prior-weighted mixture of *all* the states that would add value (``s = -1``, step
        ``mix_tau[a]``): the best posterior for ``a`` often has no mass at ``a``'s own
        states and pools several others, which one vertex at a time does not reach. A
        state of prior 0 is never stepped toward: no scheme gives a posterior mass there
        (and :func:`probe_columns` could not carry it). With ``model_steps``, in the even
        test rounds the step (``model_tau[a]``, ``s = -2``) goes toward the receiver model's
        most valuable point for ``a`` instead, when the model has one that adds value."""
        prior = self.priors[b]
        cert_mass = prior @ self._certified[b]
        cert_post = bayes.posteriors(prior, self._certified[b])  # (A, S)
        out = []
        for a in range(self.u1.shape[2]):
            gain = self.u1[b][:, a] - self._prices[b]
            here = cert_post[a] if cert_mass[a] > 1e-9 else self._entering_point(b, a, gain)
            useful = (gain > 1e-9) & (here < 1.0 - 1e-9) & (prior > 0)
            open_steps = np.where((self._tau[b, a] > self.min_step) & (prior > 0), gain, -np.inf)
            s = int(np.argmax(open_steps))
            vertex = open_steps[s] > 1e-9 and here[s] < 1.0 - 1e-9
            mix = useful.sum() >= 2 and self._mix_tau[b, a] > self.min_step
            model = None
            model_turn = self.model_steps and self._test_round % 2 == 0
            if model_turn and self._model_tau[b, a] > self.min_step:
                model = self._model_point(b, a, gain, here)
            if model is not None:
                tau = self._model_tau[b, a]
                out.append((a, -2, (1.0 - tau) * here + tau * model))
            elif mix and (self._test_round % 2 == 1 or not vertex):
                target = np.where(useful, prior, 0.0)
                tau = self._mix_tau[b, a]
                out.append((a, -1, (1.0 - tau) * here + tau * target / target.sum()))
            elif vertex:
                tau = self._tau[b, a, s]
                x = (1.0 - tau) * here
                x[s] += tau
                out.append((a, s, x))
        return out

    def _model_point(self, b: int, a: int, gain: np.ndarray, here: np.ndarray) -> np.ndarray | None:
        """Where the receiver model (a logit fitted to every epoch's counts so far, the tests'
        included) puts the most valuable posterior for ``a`` (:func:`model_region_point`),
        if it adds value over ``here``: the true region's far vertex lies on its boundary
        planes, which a step toward one state (or a fixed mixture) rarely follows, while a
        logit of a best-responding learner is linear in the posterior like the regions
        themselves. The step toward it is tested like any other, so a wrong model costs a
        failed test, never a certified point."""
        point = model_region_point(self.priors[b], self.model[b], gain, a, MODEL_MARGIN)
        if point is None or point @ gain <= here @ gain + 1e-6:
            return None
        return point

    def _entering_point(self, b: int, a: int, gain: np.ndarray) -> np.ndarray:
        """Of the points certified for ``a``, the one with the highest reduced value
        ``p . (u1[:, a] - prices)`` (at most 0 at the LP's optimum): the nearest to entering.
        Points with mass on a state of prior 0 (a vertex no scheme can reach) are skipped."""
        unreachable = self.priors[b] <= 0
        mine = [
            p
            for p, k in zip(self._points[b], self._point_actions[b], strict=True)
            if k == a and not (p[unreachable] > 0).any()
        ]
        if not mine:
            return self._anchor(b, a)
        return max(mine, key=lambda p: float(p @ gain))

    def _anchor(self, b: int, a: int) -> np.ndarray:
        """The posterior of the states whose clear best action is ``a`` (the prior if none
        of them has positive prior)."""
        prior = self.priors[b]
        vertices = (self.disclosure[b][:, a] > 0) & (prior > 0)
        return vertices * prior / (vertices @ prior) if vertices.any() else prior

    def _watch_certified(self, counts: np.ndarray) -> bool:
        """Watch the certified scheme in play: a recommendation disobeyed two epochs in a
        row loses its most recent certified point (a fresh learner can pass a test by
        chance); a message a learner has locked against is replaced by a spare. Whether
        anything changed (per run in ``_changed_runs`` ``(B,)``)."""
        before = self.message_of.copy()
        self._judge(counts)
        failed = self._failed
        self._cert_streak = np.where(failed, self._cert_streak + 1, 0)
        self._changed_runs = np.any(before != self.message_of, axis=1)
        for b, a in zip(*np.nonzero(self._cert_streak >= 2), strict=True):
            self._cert_streak[b, a] = 0
            extra = [k for k in range(self._n_base_points[b], len(self._points[b]))]
            mine = [k for k in extra if self._point_actions[b][k] == a]
            if mine:
                del self._points[b][mine[-1]]
                del self._point_actions[b][mine[-1]]
                self._changed_runs[b] = True
        changed = bool(self._changed_runs.any())
        if changed:
            self._solve_certified()
        return changed

    def _begin_test_round(self, new: bool = True) -> None:
        """Mix this round's tests into play (``new=False``: the same tests again, after the
        certified scheme changed)."""
        n_actions = self.u1.shape[2]
        base = self._base_messages(n_actions)
        junk = base
        first = base + 1 + self._test_round * n_actions
        schemes = self._certified_play(1.0 - self.test_share)
        for b in range(self.runs):
            if new:
                # An extended test runs beside this round's new candidate for its action.
                fresh = [(a, s, x, first + a) for a, s, x in self._candidates(b)]
                self._tests[b] = self._carry[b] + fresh
                self._used_messages[b].update(m for *_, m in self._tests[b])
            candidates = self._tests[b]
            if not candidates:
                schemes[b] /= schemes[b].sum(axis=1, keepdims=True)
                continue
            columns = probe_columns(self.priors[b], np.array([x for _, _, x, _ in candidates]))
            for k, (*_, m) in enumerate(self._tests[b]):
                schemes[b][:, m] = self.test_share * columns[:, k]
            schemes[b][:, junk] = self.test_share * columns[:, -1]
        self._commit(schemes)

    def _certified_epoch(self, counts: np.ndarray) -> None:
        """Count the epoch: end a test round after ``test_epochs`` epochs (certify the
        points obeyed, halve the step of the others, refit the model, re-solve); after the
        tests, play the certified scheme (a locked message is replaced by a spare)."""
        testing = self._test_round < self._n_tests
        changed = self._watch_certified(counts)
        if not testing:
            if self._floor_epoch(counts) or changed:
                self._commit(self._floor_play())
            return
        self._test_epoch += 1
        if self._test_epoch >= self.test_epochs - 1:  # the tests' last two epochs count
            self._test_counts = self._test_counts + counts
        if self._test_epoch < self.test_epochs:
            if changed:
                # A test is judged on counts of one mixture: a run whose scheme changed
                # forgets the round's counts so far (other runs keep theirs).
                changed_runs = self._changed_runs[:, None, None]
                self._test_counts = np.where(changed_runs, 0.0, self._test_counts)
                self._begin_test_round(new=False)
            return
        self._test_epoch = 0
        counts, self._test_counts = self._test_counts, np.zeros_like(counts)
        # A fresh message is as new to the learner as the disclosure messages were at the
        # start: a test passes when the recommendation is obeyed about as often as they were
        # at the same age (a slow learner, such as Hedge, is far from settled after a few
        # epochs) and more often than any other action. The age counts the message's visits
        # (visit_age: a test column is seen a few times less often than a disclosure
        # message was; UCB on random-4x4-6 failed its tests for that and kept 0.79 of the
        # best fixed scheme, 0.99 when judged by visits).
        # An extended test is judged at its own age. A recommendation already the learner's
        # most played action but not yet obeyed enough is watched longer (_test_verdict.py);
        # meanwhile the search goes on as after a failure (the step halves), so watching
        # costs no new candidate.
        for b in range(self.runs):
            self._carry[b] = []
            for a, s, x, m in self._tests[b]:
                extensions = self._extensions[b].pop(m, 0)
                age = visit_age(
                    self.test_epochs * (1 + extensions),
                    float(self.priors[b] @ self._schemes[b][:, m]),
                    self.priors[b],
                    len(self._learning_curve),
                )
                threshold = min(self.reference_obedience[b], self._learning_curve[age][b])
                verdict = verdict_on_test(
                    counts[b, m],
                    a,
                    threshold - self.tolerance,
                    min_count=self.min_count,
                    extensions=extensions,
                    # an extension needs a test round after this one
                    max_extensions=min(self.test_extensions, self._n_tests - 1 - self._test_round),
                    sign_test=self.sign_test,
                )
                if verdict == EXTEND:
                    self._carry[b].append((a, s, x, m))
                    self._extensions[b][m] = extensions + 1
                if verdict in (PASS, PASS_SIGN):
                    # certified with a safety margin: a little back toward the clear cases
                    # (three times as far when only the sign test passed: a learner that
                    # obeys less often than at disclosure is nearer indifference)
                    anchor = self._anchor(b, a)
                    margin = min(1.0, self._certify_margin() * (1.0 if verdict == PASS else 3.0))
                    self._points[b].append(x - margin * (x - anchor))
                    self._point_actions[b].append(a)
                    self._scale_step(b, a, s, 2.0)
                else:
                    self._scale_step(b, a, s, 0.5)
                if verdict == FAIL:
                    self._certify_other(b, a, x, counts[b, m], threshold - self.tolerance)
        self._record(counts)
        self._solve_certified()
        self._test_round += 1
        if self._test_round < self._n_tests:
            self._begin_test_round()
        else:
            self._spare_test_messages()
            self._start_floor()
            self._commit(self._floor_play())

    def _certify_other(
        self, b: int, a: int, x: np.ndarray, seen: np.ndarray, threshold: float
    ) -> None:
        """A failed test still shows where the learner stands: when it obeyed *another*
        action ``other`` after the test's message as consistently as a test must (a strict
        pass, never the sign test), the candidate ``x`` lies in ``other``'s region and is
        certified for it, with the usual safety margin toward ``other``'s clear states. The
        regions are convex whatever the action, so this point is as good as a passed test of
        ``other`` (and costs no test)."""
        other = int(np.argmax(seen))
        if other == a:
            return
        verdict = verdict_on_test(
            seen, other, threshold, min_count=self.min_count, extensions=0, max_extensions=0
        )
        if verdict == PASS:
            anchor = self._anchor(b, other)
            self._points[b].append(x - self._certify_margin() * (x - anchor))
            self._point_actions[b].append(other)

    def _scale_step(self, b: int, a: int, s: int, factor: float) -> None:
        """Double (after a pass, at most 1) or halve (after a failure) the step just tested:
        toward vertex ``s``, or toward the mixture (``s = -1``)."""
        if s == -2:
            steps, k = self._model_tau[b], a
        else:
            steps, k = (self._mix_tau[b], a) if s < 0 else (self._tau[b, a], s)
        steps[k] = min(factor * steps[k], 1.0)

    def _spare_test_messages(self) -> None:
        """After the tests, the test messages no test used become spares (for a message a
        learner has locked against)."""
        n_actions = self.u1.shape[2]
        first = self._base_messages(n_actions) + 1
        last = first + n_actions * self._n_tests
        for b in range(self.runs):
            used = self._used_messages[b]
            self._free[b].extend(m for m in range(first, last) if m not in used)
