"""The ask/tell search loop: a recommender proposes pipelines, isolated workers evaluate them.

``ask`` turns the recommender's suggestions into pending :class:`Trial` objects (each with the
evaluation task to run), ``tell`` closes one with its result; ``run`` is a loop over the two that
dispatches the tasks to an :class:`~automl_engine.evaluation.Evaluator`. The loop can as well be
driven from outside, as Optuna's ``Study.ask`` / ``tell``::

    search = Search(problem, catalogue, recommender, budget=Budget(max_evals=3))
    for _ in range(3):
        trial = search.ask()[0]
        search.tell(trial, evaluate(trial.task))

The :class:`Budget` counts evaluations and/or wall-clock seconds, whichever ends first; an
evaluation never starts after the deadline and is given at most the time left (plus a small
floor), so the search overruns its time budget by at most one evaluation's timeout.

On a large table the search has several *rungs* (:mod:`.fidelity`): new picks are scored on a row
subsample, and ``ask`` first promotes the best of a rung to the next one. The recommender is told
each pipeline's first (lowest-rung) score, the fidelity every candidate has; the higher rungs only
decide promotions and the final choice, which is the best pipeline of the highest rung reached.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from automl_engine.catalogue import Catalogue, build_pipeline
from automl_engine.evaluation import CANCELLED, OK, TIMEOUT, EvaluationResult, EvaluationTask, Evaluator
from automl_engine.recommender.protocol import FALLBACK, PROMOTED, Recommender, Suggestion
from automl_engine.search.budget import Budget
from automl_engine.search.cost_model import CostModel
from automl_engine.search.fidelity import Rung, SuccessiveHalving
from automl_engine.search.finish_time import best_records

logger = logging.getLogger(__name__)

MIN_EVALUATION_SECONDS = 5.0
MAX_BUDGET_SHARE = 0.5
"""With a time budget, no pipeline predicted to take more than this share of the whole budget is started."""
UNCHECKED_COST_RATIO = 100.0
"""Before the run has timed anything, pipelines predicted to cost more than this many times the cheapest
one are not started (on 1,000,000 rows: an RBF SVM or kNN against a linear model)."""


@dataclass
class Problem:
    """A dataset ready to search on: raw feature columns, target, task, metric and folds."""

    X: pd.DataFrame
    y: np.ndarray
    task: str
    metric: str
    column_types: dict
    folds: list
    classes: np.ndarray | None = None
    meta_features: np.ndarray | None = None


@dataclass
class SearchEvent:
    """Emitted after each evaluation; the app plots these."""

    iteration: int
    pipeline_index: int
    pipeline_id: str
    description: str
    family: str
    status: str
    score: float
    best_score: float
    predicted_score: float
    predicted_std: float
    elapsed: float
    wall_time: float
    source: str                      # see automl_engine.recommender.protocol.SOURCES
    record: dict = field(default_factory=dict, repr=False)  # the history record (persist this)
    posterior_mean: np.ndarray | None = field(default=None, repr=False)
    posterior_std: np.ndarray | None = field(default=None, repr=False)
    rung: int = 0                    # the fidelity (see automl_engine.search.fidelity)
    rows: int | None = None          # training rows per fold the score was measured on


@dataclass
class Trial:
    """A pending evaluation: the pick, what was predicted for it, and the task to run."""

    key: str
    suggestion: Suggestion
    task: EvaluationTask
    timeout: float | None
    started: float
    level: int = 0                   # the rung it runs at


def spent_seconds(history: list[dict]) -> float:
    """Seconds of its time budget that a run whose records are ``history`` has already spent."""
    return max((float(h.get("finished_at") or 0.0) for h in history), default=0.0)


class Search:
    """Run one search; ``stop()`` (or setting ``stop_event``) from another thread ends it after the evaluations in
    flight.

    Parameters
    ----------
    problem : Problem
    catalogue : Catalogue
    recommender : Recommender
    evaluator : Evaluator, optional — needed by :meth:`run` only
    budget : Budget — evaluations and/or seconds (at least one limit); a resumed run's ``spent`` included
    eval_timeout : float — seconds per evaluation
    cost_model : CostModel, optional — with a timed budget: cost-aware picks, and pipelines predicted to take
        more than the time left (or ``MAX_BUDGET_SHARE`` of the budget) are not started (``too_slow``)
    on_event : callable(SearchEvent), optional
    random_state : int, optional — seeds the pipelines
    history : list of records of an earlier part of this run (resume)
    round_size : int, optional
        When given, the search runs in synchronous rounds of this many suggestions, told in
        submission order: the same seed then gives the same sequence whatever ``n_jobs`` is.
        Otherwise (the default) evaluations are asynchronous: a free worker gets the next pick.
    reserve : callable(history) -> seconds, optional
        Time kept back from the budget for what follows the search (the final refits): no
        evaluation starts, and none is given time, past the budget's end minus ``reserve(history)``.
    stop_event : threading.Event, optional — shared with the caller; set it to stop
    rungs : list of :class:`~automl_engine.search.fidelity.Rung`, optional — the fidelities, lowest first
        (default: one rung, the problem's folds)
    """

    def __init__(self, problem: Problem, catalogue: Catalogue, recommender: Recommender,
                 evaluator: Evaluator | None = None, budget: Budget | None = None, eval_timeout: float = 300.0,
                 cost_model: CostModel | None = None, on_event: Callable[[SearchEvent], None] | None = None,
                 random_state: int | None = 0, history: list[dict] | None = None, round_size: int | None = None,
                 reserve: Callable[[list[dict]], float] | None = None, stop_event: threading.Event | None = None,
                 rungs: list[Rung] | None = None):
        if budget is None or (budget.max_evals is None and budget.seconds is None):
            raise ValueError("give a Budget with max_evals or seconds (or both)")
        self.problem, self.catalogue, self.recommender = problem, catalogue, recommender
        self.evaluator, self.budget = evaluator, budget
        self.eval_timeout, self.cost_model, self.on_event = eval_timeout, cost_model, on_event
        self.too_slow: dict[int, float] = {}  # predicted > MAX_BUDGET_SHARE of the budget, as of the last ask
        self.random_state, self.round_size, self.reserve = random_state, round_size, reserve
        self.rungs = list(rungs) if rungs else [Rung(0, list(problem.folds))]
        self.halving = SuccessiveHalving(len(self.rungs))
        top = len(self.rungs) - 1
        # records from before rungs were measured on the full folds: the top rung
        self.history: list[dict] = [{**h, "rung": min(int(h.get("rung", top)), top)} for h in history or []]
        self.observed: dict[int, float] = {}  # what the recommender is told: each pipeline's first score
        for h in self.history:
            score = h["score"] if h["status"] == "ok" else float("nan")
            self.halving.record(int(h["pipeline_index"]), h["rung"], score)
            self.observed.setdefault(int(h["pipeline_index"]), score)
        self.oof: dict[tuple[int, int], np.ndarray] = {}  # (pipeline, rung) -> predictions on the rung's validation
        self._pending: dict[str, Trial] = {}
        self._shared = None  # (X, y) handles, see _data
        self._stop = stop_event if stop_event is not None else threading.Event()
        self.recommender_seconds = 0.0  # time spent in suggest / predict (the overhead benchmark reads it)

    # -- control -------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the search to end; finished evaluations and the best so far are kept."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def elapsed(self) -> float:
        """Seconds of the budget used so far (a resumed run's earlier part included)."""
        return self.budget.elapsed()

    def _time_left(self) -> float:
        """Seconds of the time budget left for evaluations (after what ``reserve`` keeps back)."""
        if not self.budget.timed:
            return math.inf
        kept_back = self.reserve(self.history) if self.reserve is not None else 0.0
        return self.budget.remaining() - kept_back

    def _can_start_more(self) -> bool:
        if self.stopped or self._time_left() <= 0:
            return False
        started = len(self.history) + len(self._pending)
        return self.budget.max_evals is None or started < self.budget.max_evals

    def _room(self, wanted: int) -> int:
        if self.budget.max_evals is None:
            return wanted
        return max(0, min(wanted, self.budget.max_evals - len(self.history) - len(self._pending)))

    # -- ask / tell ----------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[Trial]:
        """Up to ``n`` new pending trials: promotions due first, then new picks at the lowest rung (never a
        pipeline already observed or in flight)."""
        trials = self._promotions(n)
        if len(trials) >= n:
            return trials
        exclude = [int(t.suggestion) for t in self._pending.values()]
        costs = None
        if self.budget.timed and self.cost_model is not None:
            costs = self._costs(0)
            exclude += self._too_slow(costs, set(exclude))
        start = time.perf_counter()
        picks = list(self.recommender.suggest(self.observed, n=n - len(trials),
                                              meta_features=self.problem.meta_features, costs=costs, exclude=exclude))
        self.recommender_seconds += time.perf_counter() - start
        return trials + [self._trial(pick) for pick in picks]

    def _costs(self, level: int) -> np.ndarray:
        """Predicted seconds of every pipeline at rung ``level``."""
        rung = self.rungs[level]
        return self.cost_model.predict(rung.train_rows, len(rung.folds))

    def _promotions(self, n: int) -> list[Trial]:
        """Up to ``n`` trials promoting pipelines to the next rung (none predicted to overrun the time left)."""
        if len(self.rungs) == 1:
            return []
        busy = {int(t.suggestion) for t in self._pending.values()}
        timed = self.budget.timed and self.cost_model is not None
        time_left = self._time_left() if timed else math.inf
        costs: dict[int, np.ndarray] = {}  # per rung, computed once per call
        trials = []
        for index, level in self.halving.promotable():
            if len(trials) >= n:
                break
            if index in busy:
                continue
            if timed and level not in costs:
                costs[level] = self._costs(level)
            if timed and costs[level][index] > time_left:
                continue  # no time for it at that size; a later, cheaper promotion may still fit
            self.halving.start(index, level)
            trials.append(self._trial(index, source=PROMOTED, level=level))
        return trials

    def _too_slow(self, costs: np.ndarray, in_flight: set[int]) -> list[int]:
        """Pipelines predicted to overrun the time left, or to take more than ``MAX_BUDGET_SHARE`` of the budget.

        Only the second kind is kept in ``too_slow`` (too slow for this table and budget, reported to the
        user); running out of time at the end of a search is not news.
        """
        taken = set(self.observed) | in_flight
        open_ = np.array([j not in taken for j in range(len(costs))])
        if not open_.any():
            return []
        if self.cost_model.n_observed == 0:
            # the extrapolation from the knowledge's small samples is not yet checked on this table: its
            # absolute seconds can be far off, its ratios less so; leave out only the relatively hopeless
            limit = UNCHECKED_COST_RATIO * float(costs[open_].min())
            return [int(j) for j in np.flatnonzero(open_ & (costs > limit))]
        # the share rule applies to the families this run has timed; a family not yet timed here gets one
        # evaluation if its corrected prediction fits in the time left (extrapolating from 800-row samples
        # over-predicts boosted trees on 1,000,000 rows, whose cost is dominated by fixed work on small ones)
        share = MAX_BUDGET_SHARE * float(self.budget.seconds)
        checked = np.isin(self.cost_model.families, list(self.cost_model.observed_families))
        over_share = open_ & checked & (costs > share)
        if not np.any(open_ & ~over_share):
            over_share[:] = False  # nothing else is left: only the time left limits the picks
        slow = np.flatnonzero(open_ & ((costs > self._time_left()) | over_share))
        # reported: what would take more than the share of the budget (running out of time at the end is not news)
        self.too_slow = {int(j): float(costs[j]) for j in slow if costs[j] > share}
        return [int(j) for j in slow]

    def _trial(self, pick, source: str | None = None, level: int = 0) -> Trial:
        if not isinstance(pick, Suggestion) or source is not None:
            mean, std = self._posterior()
            pick = Suggestion(int(pick), source or FALLBACK, mean[int(pick)], std[int(pick)])
        spec = self.catalogue[int(pick)]
        key = f"{spec.id}#{len(self.history) + len(self._pending)}"
        X, y = self._data()
        task = EvaluationTask(key, build_pipeline(spec, self.problem.column_types, random_state=self.random_state),
                              X, y, self.problem.task, self.problem.metric,
                              self.rungs[level].folds, keep_oof=True, classes=self.problem.classes)
        timeout = self.eval_timeout
        if self.budget.timed:
            timeout = min(timeout, max(MIN_EVALUATION_SECONDS, self._time_left()))
        trial = Trial(key, pick, task, timeout, self.elapsed(), level)
        self._pending[key] = trial
        return trial

    def _data(self):
        """X and y as the tasks carry them: shared once with the evaluator's workers, or inline without one."""
        if self._shared is None:
            self._shared = (self.evaluator.share(self.problem.X, self.problem.y) if self.evaluator is not None
                            else (self.problem.X, self.problem.y))
        return self._shared

    def _posterior(self):
        start = time.perf_counter()
        mean, std = self.recommender.predict(self.observed, meta_features=self.problem.meta_features)
        self.recommender_seconds += time.perf_counter() - start
        return mean, std

    def tell(self, trial: Trial, result: EvaluationResult) -> SearchEvent:
        """Close ``trial`` with its result: record it and emit its event."""
        self._pending.pop(trial.key, None)
        index, pick, rung = int(trial.suggestion), trial.suggestion, self.rungs[trial.level]
        spec = self.catalogue[index]
        score = result.score if result.ok else float("nan")
        self.halving.record(index, rung.level, score)
        if rung.level == 0 or index not in self.observed:
            self.observed[index] = score
        if self.cost_model is not None and result.status in (OK, TIMEOUT):  # a timeout's time is a lower bound
            self.cost_model.observe(index, result.wall_time, rung.train_rows, len(rung.folds),
                                    at_least=result.status == TIMEOUT)
        if result.ok and result.oof is not None:
            self.oof[(index, rung.level)] = result.oof  # the rung's validation rows, fold after fold
        record = {
            "iteration": len(self.history) + 1, "pipeline_index": index, "pipeline_id": spec.id,
            "description": spec.description, "family": spec.family, "status": result.status,
            "score": result.score, "score_std": result.score_std, "fold_scores": result.fold_scores,
            "fit_time": result.fit_time, "wall_time": result.wall_time, "error": result.error,
            "predicted_score": pick.predicted_score, "predicted_std": pick.predicted_std,
            "source": pick.source, "finished_at": self.elapsed(), "rung": rung.level, "rows": rung.train_rows,
        }
        self.history.append(record)
        mean, std = self._posterior()
        event = SearchEvent(record["iteration"], index, spec.id, spec.description, spec.family, result.status,
                            result.score, self.best_score(), pick.predicted_score, pick.predicted_std,
                            record["finished_at"], result.wall_time, pick.source, record, mean, std,
                            rung.level, rung.train_rows)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def in_flight(self) -> list[str]:
        """Descriptions of the pipelines being evaluated right now."""
        return [self.catalogue[int(t.suggestion)].description for t in list(self._pending.values())]

    def release_data(self) -> None:
        """Drop the data and out-of-fold predictions once the caller no longer needs them."""
        self.problem = None
        self.oof = {}

    def best_score(self) -> float:
        """The best score at the highest rung reached (NaN before any success)."""
        best = best_records(self.history, 1)
        return best[0]["score"] if best else float("nan")

    def best_index(self) -> int | None:
        """The pipeline with the best score at the highest rung reached."""
        best = best_records(self.history, 1)
        return best[0]["pipeline_index"] if best else None

    def validation_rows(self, level: int) -> np.ndarray:
        """The rows the out-of-fold predictions kept for rung ``level`` (``oof[(pipeline, level)]``) are for."""
        return self.rungs[level].validation

    # -- loop ----------------------------------------------------------------------------
    def run(self) -> list[dict]:
        """Evaluate until the budget is spent, the catalogue exhausted or ``stop()`` is called."""
        if self.round_size:
            self._run_rounds()
        else:
            self._run_async()
        return self.history

    def _submit(self, trial: Trial) -> None:
        self.evaluator.submit(trial.task, timeout=trial.timeout)

    def _run_rounds(self) -> None:
        while self._can_start_more():
            trials = self.ask(self._room(self.round_size))
            if not trials:
                break
            for trial in trials:
                self._submit(trial)
            results = {}
            for result in self.evaluator.as_completed(len(trials), stop=self._stop):
                results[result.key] = result
            if self.stopped and len(results) < len(trials):
                self._abandon_pending(results)
                return
            for trial in trials:
                self.tell(trial, results[trial.key])

    def try_until_success(self, indices: list[int], eval_timeout: float, window: float | None = None) -> None:
        """Evaluate ``indices`` one at a time, outside the budget's count, until one succeeds.

        For a search that ended without any successful evaluation: a model is still owed. ``window``: seconds
        for all the tries together (None: each gets ``eval_timeout``); a try gets what is left of it.
        """
        self.budget = Budget(spent=self.elapsed())  # no limits: the window bounds the time
        end = None if window is None else time.perf_counter() + window
        for index in indices:
            left = eval_timeout if end is None else min(eval_timeout, end - time.perf_counter())
            if left < 1.0:
                break
            self.eval_timeout = left
            trial = self._trial(index, source=FALLBACK)
            self._submit(trial)
            result = next(iter(self.evaluator.as_completed(1)))
            self.tell(trial, result)
            if result.ok:
                break

    def _run_async(self) -> None:
        while True:
            free = self.evaluator.n_jobs - len(self._pending)
            if free > 0 and self._can_start_more():
                trials = self.ask(self._room(free))
                for trial in trials:
                    self._submit(trial)
                if not trials and not self._pending:
                    break
            if not self._pending:
                break
            if self.stopped:
                self._abandon_pending()
                break
            result = self.evaluator.next_result(timeout=0.5)
            if result is not None and result.key in self._pending:
                self.tell(self._pending[result.key], result)

    def _abandon_pending(self, finished: dict | None = None) -> None:
        """On stop: kill the evaluations in flight, keeping any that finished meanwhile."""
        self.evaluator.cancel_all()
        results = list((finished or {}).values()) + self.evaluator.drain()
        for result in results:
            trial = self._pending.get(result.key)
            if trial is not None and result.status != CANCELLED:
                self.tell(trial, result)
            self._pending.pop(result.key, None)
