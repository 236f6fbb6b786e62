"""The ask/tell search loop: a recommender proposes pipelines, isolated workers evaluate them.

Budget by number of evaluations and/or wall-clock seconds, whichever comes first; an
evaluation never starts after the deadline and is given at most the time left (plus a small
floor), so the search overruns its time budget by at most one evaluation's timeout.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from automl_engine.catalogue import Catalogue, build_pipeline
from automl_engine.evaluation import CANCELLED, EvaluationResult, EvaluationTask, Evaluator

logger = logging.getLogger(__name__)

MIN_EVALUATION_SECONDS = 5.0


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
    source: str                      # "warm start", "expected improvement" or "random"
    record: dict = field(default_factory=dict, repr=False)  # the history record (persist this)
    posterior_mean: np.ndarray | None = field(default=None, repr=False)
    posterior_std: np.ndarray | None = field(default=None, repr=False)


def spent_seconds(history: list[dict]) -> float:
    """Seconds of its time budget that a run whose records are ``history`` has already spent."""
    return max((float(h.get("finished_at") or 0.0) for h in history), default=0.0)


class RandomRecommender:
    """Uniform sampling of the catalogue without replacement: the baseline of every comparison."""

    def __init__(self, n_pipelines: int, random_state=None):
        self.n_pipelines = n_pipelines
        self.rng = np.random.default_rng(random_state)
        self.order = self.rng.permutation(n_pipelines)

    def predict(self, observed, meta_features=None):
        nan = np.full(self.n_pipelines, np.nan)
        return nan, nan.copy()

    def suggest(self, observed, n=1, meta_features=None, costs=None, exclude=()):
        taken = set(observed) | set(exclude)
        return [int(i) for i in self.order if int(i) not in taken][:n]


class Search:
    """Run one search; ``stop()`` from another thread ends it after the evaluations in flight.

    Parameters
    ----------
    problem : Problem
    catalogue : Catalogue
    recommender : PMFRecommender or RandomRecommender
        Anything with ``suggest(observed, n, meta_features, costs, exclude)`` and ``predict(observed, meta_features)``.
    evaluator : Evaluator
    max_evals, time_budget : int or None, float or None
        Stop at whichever comes first (at least one must be set).
    costs : array of predicted seconds per pipeline, optional — cost-aware picks when a time budget binds.
    on_event : callable(SearchEvent), optional
    round_size : int, optional
        When given, the search runs in synchronous rounds of this many suggestions, told in
        submission order: the same seed then gives the same sequence whatever ``n_jobs`` is.
        Otherwise (the default) evaluations are asynchronous: a free worker gets the next pick.
    reserve : callable(history) -> seconds, optional
        Time kept back from the budget for what follows the search (the final refits): no
        evaluation starts, and none is given time, past ``time_budget - reserve(history)``.
    """

    def __init__(self, problem: Problem, catalogue: Catalogue, recommender, evaluator: Evaluator,
                 max_evals: int | None = None, time_budget: float | None = None, eval_timeout: float = 300.0,
                 costs: np.ndarray | None = None, on_event: Callable[[SearchEvent], None] | None = None,
                 random_state: int | None = 0, source_name: str = "expected improvement",
                 history: list[dict] | None = None, round_size: int | None = None,
                 reserve: Callable[[list[dict]], float] | None = None):
        if max_evals is None and time_budget is None:
            raise ValueError("give max_evals or time_budget (or both)")
        self.problem, self.catalogue, self.recommender = problem, catalogue, recommender
        self.evaluator, self.max_evals, self.time_budget = evaluator, max_evals, time_budget
        self.eval_timeout, self.costs, self.on_event = eval_timeout, costs, on_event
        self.random_state, self.source_name = random_state, source_name
        self.round_size, self.reserve = round_size, reserve
        self.history: list[dict] = list(history or [])
        self.observed: dict[int, float] = {
            int(h["pipeline_index"]): (h["score"] if h["status"] == "ok" else float("nan")) for h in self.history
        }
        self.oof: dict[int, np.ndarray] = {}
        self._pending: dict[str, dict] = {}
        self._stop = threading.Event()
        self._start = None
        self.recommender_seconds = 0.0  # time spent in suggest / predict (the overhead benchmark reads it)
        # a resumed search has already spent this much of its time budget
        self._time_offset = spent_seconds(self.history)

    # -- control -------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the search to end; finished evaluations and the best so far are kept."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def elapsed(self) -> float:
        return self._time_offset + (0.0 if self._start is None else time.perf_counter() - self._start)

    def _time_left(self) -> float:
        """Seconds of the time budget left for evaluations (after what ``reserve`` keeps back)."""
        if self.time_budget is None:
            return float("inf")
        kept_back = self.reserve(self.history) if self.reserve is not None else 0.0
        return self.time_budget - self.elapsed() - kept_back

    def _can_start_more(self) -> bool:
        if self.stopped or self._time_left() <= 0:
            return False
        started = len(self.history) + len(self._pending)
        return self.max_evals is None or started < self.max_evals

    # -- ask / tell ----------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[int]:
        """Next pipeline indices to evaluate (never one already observed or in flight)."""
        in_flight = [p["pipeline_index"] for p in self._pending.values()]
        costs = self.costs if self.time_budget is not None else None
        start = time.perf_counter()
        picks = list(self.recommender.suggest(self.observed, n=n, meta_features=self.problem.meta_features,
                                              costs=costs, exclude=in_flight))
        self.recommender_seconds += time.perf_counter() - start
        return picks

    def _posterior(self):
        start = time.perf_counter()
        mean, std = self.recommender.predict(self.observed, meta_features=self.problem.meta_features)
        self.recommender_seconds += time.perf_counter() - start
        return mean, std

    def _source(self, index: int) -> str:
        if index in getattr(self.recommender, "local_picks", ()):  # the user's own past runs chose it
            return "warm start"
        finite = sum(np.isfinite(v) for v in self.observed.values())
        n_warm = getattr(self.recommender, "n_warm_start", 0)
        if self.source_name not in ("random", "fallback") and self.problem.meta_features is not None and finite < n_warm:
            return "warm start"
        return self.source_name

    def _submit(self, index: int) -> str:
        spec = self.catalogue[index]
        mean, std = self._posterior()
        task = EvaluationTask(
            f"{spec.id}#{len(self.history) + len(self._pending)}",
            build_pipeline(spec, self.problem.column_types, random_state=self.random_state),
            self.problem.X, self.problem.y, self.problem.task, self.problem.metric, self.problem.folds,
            keep_oof=True, classes=self.problem.classes,
        )
        timeout = self.eval_timeout
        if self.time_budget is not None:
            timeout = min(timeout, max(MIN_EVALUATION_SECONDS, self._time_left()))
        self._pending[task.key] = {"pipeline_index": index, "predicted_score": float(mean[index]),
                                   "predicted_std": float(std[index]), "source": self._source(index),
                                   "started": self.elapsed()}
        self.evaluator.submit(task, timeout=timeout)
        return task.key

    def tell(self, result: EvaluationResult) -> SearchEvent:
        """Record a finished evaluation and emit its event."""
        pending = self._pending.pop(result.key)
        index = pending["pipeline_index"]
        spec = self.catalogue[index]
        self.observed[index] = result.score if result.ok else float("nan")
        if result.ok and result.oof is not None:
            self.oof[index] = result.oof
        record = {
            "iteration": len(self.history) + 1, "pipeline_index": index, "pipeline_id": spec.id,
            "description": spec.description, "family": spec.family, "status": result.status,
            "score": result.score, "score_std": result.score_std, "fold_scores": result.fold_scores,
            "fit_time": result.fit_time, "wall_time": result.wall_time, "error": result.error,
            "predicted_score": pending["predicted_score"], "predicted_std": pending["predicted_std"],
            "source": pending["source"], "finished_at": self.elapsed(),
        }
        self.history.append(record)
        mean, std = self._posterior()
        event = SearchEvent(record["iteration"], index, spec.id, spec.description, spec.family, result.status,
                            result.score, self.best_score(), pending["predicted_score"], pending["predicted_std"],
                            self.elapsed(), result.wall_time, pending["source"], record, mean, std)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def in_flight(self) -> list[str]:
        """Descriptions of the pipelines being evaluated right now."""
        return [self.catalogue[p["pipeline_index"]].description for p in list(self._pending.values())]

    def release_data(self) -> None:
        """Drop the data and out-of-fold predictions once the caller no longer needs them."""
        self.problem = None
        self.oof = {}

    def best_score(self) -> float:
        scores = [h["score"] for h in self.history if h["status"] == "ok"]
        return max(scores) if scores else float("nan")

    def best_index(self) -> int | None:
        ok = [h for h in self.history if h["status"] == "ok"]
        return max(ok, key=lambda h: h["score"])["pipeline_index"] if ok else None

    # -- loop ----------------------------------------------------------------------------
    def run(self) -> list[dict]:
        """Evaluate until the budget is spent, the catalogue exhausted or ``stop()`` is called."""
        self._start = time.perf_counter()
        if self.round_size:
            self._run_rounds()
        else:
            self._run_async()
        return self.history

    def _run_rounds(self) -> None:
        while self._can_start_more():
            room = self.round_size if self.max_evals is None else min(self.round_size, self.max_evals - len(self.history))
            picks = self.ask(room)
            if not picks:
                break
            keys = []
            for index in picks:
                keys.append(self._submit(index))
            results = {}
            while len(results) < len(keys):
                if self.stopped:
                    self._abandon_pending()
                    return
                result = self.evaluator.next_result(timeout=0.5)
                if result is not None:
                    results[result.key] = result
            for key in keys:
                self.tell(results[key])

    def try_until_success(self, indices: list[int], eval_timeout: float, source: str = "fallback") -> None:
        """Evaluate ``indices`` one at a time, ignoring the budget, until one succeeds.

        For a search that ended without any successful evaluation: a model is still owed.
        """
        self.time_budget, self.eval_timeout, self.source_name = None, eval_timeout, source
        for index in indices:
            key = self._submit(index)
            result = None
            while result is None or result.key != key:
                result = self.evaluator.next_result(timeout=1.0)
            self.tell(result)
            if result.ok:
                break

    def _run_async(self) -> None:
        while True:
            free = self.evaluator.n_jobs - len(self._pending)
            if free > 0 and self._can_start_more():
                room = free if self.max_evals is None else min(free, self.max_evals - len(self.history) - len(self._pending))
                picks = self.ask(room)
                for index in picks:
                    self._submit(index)
                if not picks and not self._pending:
                    break
            if not self._pending:
                break
            if self.stopped:
                self._abandon_pending()
                break
            result = self.evaluator.next_result(timeout=0.5)
            if result is not None and result.key in self._pending:
                self.tell(result)

    def _abandon_pending(self) -> None:
        """On stop: kill the evaluations in flight, keeping any that finished meanwhile."""
        self.evaluator.cancel_all()
        for result in self.evaluator.drain():
            if result.key in self._pending and result.status != CANCELLED:
                self.tell(result)
            self._pending.pop(result.key, None)
