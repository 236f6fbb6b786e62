"""The AutoML estimator: intake, recommender-driven search, refit, ensemble, knowledge growth."""
from __future__ import annotations

import logging
import threading
import time
import warnings
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from automl_engine.catalogue import load_catalogue, task_type_of
from automl_engine.data.fingerprint import fingerprint
from automl_engine.errors import DataError
from automl_engine.evaluation import (
    Evaluator,
    Limits,
    as_labels,
    classes_of,
    get_metric,
    make_folds,
    resolve_n_jobs,
)
from automl_engine.evaluation.isolation import warm_up
from automl_engine.knowledge.artifact import load_knowledge
from automl_engine.knowledge.growth import local_rows, record_search
from automl_engine.knowledge.metafeatures import (
    compute_meta_features,
    meta_feature_vector,
)
from automl_engine.knowledge.recommender_io import load_recommender, read_recommender
from automl_engine.knowledge.store import KnowledgeStore
from automl_engine.recommender.local import LocalWarmStart
from automl_engine.recommender.random import RandomRecommender
from automl_engine.search import Budget, Problem, Search, spent_seconds
from automl_engine.search.cost_model import CostModel
from automl_engine.search.events import (
    PREPARING,
    SEARCHING,
    PhaseEvent,
)
from automl_engine.search.events import emitter as _emitter
from automl_engine.search.fidelity import make_rungs
from automl_engine.search.final import FINAL_MODELS, FinalInputs, build_final
from automl_engine.search.finish_time import (
    best_records,
    finish_reserve,
    rows_exponents,
)
from automl_engine.search.leaderboard import make_leaderboard
from automl_engine.store.paths import user_data_dir
from automl_engine.task import Task

logger = logging.getLogger(__name__)

DEFAULT_MAX_EVALS = 25
FALLBACK_PIPELINES = 3
FALLBACK_TIMEOUT = 120.0  # seconds a fallback try may take without a time budget; the fallback must produce a model
FALLBACK_FLOOR = 10.0  # with a time budget, the fallback gets what is left of it, but at least this many seconds
FALLBACK_HOPE = 4.0
"""With a time budget, the fallback tries only pipelines predicted to take at most this many times its window:
on a 500 x 10,000 table the quickest was predicted at 91 s and none finished in 25 s, so a 10 s try only
overran the budget; on small tables (predicted well under a second) the fallback still runs."""
STRATEGIES = ("pmf", "random")
FIDELITIES = ("auto", "full")
DEFAULT_FINAL_MODEL = "ensemble"
"""What ``final_model="auto"`` builds (chosen by benchmarks/final_model.py on meta-train tables)."""


class AutoML(BaseEstimator):
    """Automated ML whose search is a recommender over a catalogue of pipelines (PMF, NeurIPS 2018).

    Parameters
    ----------
    task : {"auto", "binary", "multiclass", "regression", "classification"}
    metric : str, "auto" for balanced accuracy (classification) or R² (regression)
    time_budget : float, optional — seconds for the whole fit: preparation, search and final refits
        (the search keeps back the predicted refit time of its best pipelines)
    max_evals : int, optional — evaluations; with neither budget, 25 evaluations
    strategy : {"pmf", "random"}
    n_jobs : int — evaluations at once; -1 (the default) for every available core
    dask_address : str, optional — ``tcp://host:port`` of a Dask scheduler
    ensemble : bool — whether the final model may combine pipelines; False is ``final_model="refit"``
    final_model : {"auto", "refit", "bagging", "ensemble", "bagged-ensemble", "stacking"} — how the final
        model is made from the search (:mod:`automl_engine.search.final`): the winner refitted on every
        row, its cross-validation fold models averaged, an ensemble or a stack of the top pipelines;
        "auto" is the measured default (``DEFAULT_FINAL_MODEL``)
    random_state : int or None
    n_folds : int, optional — folds (default by size, as Azure AutoML: 10 / 5 / holdout)
    eval_timeout : float — seconds per evaluation; memory_mb : int — memory cap per evaluation
    learn : bool — learn from this machine's earlier searches and add this one to them (the local
        knowledge store in ``data_dir``). Off by default: a fit then reads and writes no user files, and
        the same data, seed and ``max_evals`` give the same leaderboard whatever earlier runs did. On
        (the CLI's and the app's default), the nearest earlier runs may take the first picks;
        ``knowledge_["local_runs"]`` names the runs that did.
    data_dir : path, optional — the local store's folder (default: the user data folder)
    recommender : optional — a fitted recommender to use instead of the shipped one, or the path of
        one saved by ``automl knowledge fit``; shared read-only (``clone`` keeps it, fitted)
    exclude_columns : columns not to use as features
    fidelity : {"auto", "full"} — "auto": on large tables (a first fold of at least 8,000 training rows)
        candidates are scored on row subsamples first and only the best are promoted to more rows
        (:mod:`automl_engine.search.fidelity`); "full": every candidate on all the folds' rows

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from automl_engine import AutoML
    >>> data = load_iris(as_frame=True)
    >>> m = AutoML(max_evals=2, random_state=0, n_folds=3).fit(data.data, data.target)
    >>> m.leaderboard_.columns[:3].tolist()
    ['pipeline_id', 'description', 'family']
    >>> m.predict(data.data.head(3)).shape
    (3,)
    """

    def __init__(self, task="auto", metric="auto", time_budget=None, max_evals=None, strategy="pmf", n_jobs=-1,
                 dask_address=None, ensemble=True, random_state=None, n_folds=None, eval_timeout=300.0,
                 memory_mb=4096, learn=False, data_dir=None, recommender=None, exclude_columns=(), fidelity="auto",
                 final_model="auto"):
        self.task = task
        self.metric = metric
        self.time_budget = time_budget
        self.max_evals = max_evals
        self.strategy = strategy
        self.n_jobs = n_jobs
        self.dask_address = dask_address
        self.ensemble = ensemble
        self.random_state = random_state
        self.n_folds = n_folds
        self.eval_timeout = eval_timeout
        self.memory_mb = memory_mb
        self.learn = learn
        self.data_dir = data_dir
        self.recommender = recommender
        self.exclude_columns = exclude_columns
        self.fidelity = fidelity
        self.final_model = final_model

    def __sklearn_clone__(self):
        """As ``sklearn.base.clone``, except that a fitted recommender is shared, not re-created unfitted.

        A recommender is read-only during a search, so sharing it is safe; re-creating it unfitted
        (what ``clone`` does with any parameter that has ``get_params``) would break the clone.
        """
        params = self.get_params(deep=False)
        return type(self)(**{name: value if name == "recommender" else clone(value, safe=False)
                             for name, value in params.items()})

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X, y, history=None, on_event=None, stop=None, started=None):
        """Search the catalogue, refit the best pipeline (or ensemble) on all of X, y; returns self.

        Parameters
        ----------
        X : DataFrame of the user's raw columns (or a 2-D array), y : Series or array
        history : list of records of an earlier run on the same data, optional
            Resumes that search: the time it already spent counts against ``time_budget``.
        on_event : callable, optional
            Called with a :class:`PhaseEvent` as each phase starts (preparing, searching,
            refitting, ensembling) and a ``SearchEvent`` after each evaluation.
        stop : threading.Event, optional
            Set it (from any thread) to end the search early; the best so far is kept.
        started : float, optional
            ``time.perf_counter()`` when the time budget's clock started, if before this call (the CLI
            starts it before reading the file); by default, now.
        """
        budget = Budget(self.time_budget, spent=spent_seconds(history or []),  # preparing counts too
                        started=time.perf_counter() if started is None else started)
        _emitter(on_event)(PhaseEvent(PREPARING, budget.elapsed()))
        if not self.dask_address:
            warm_up()  # the evaluation process server starts while the table is prepared
        X = self._as_frame(X, fitting=True)
        y = pd.Series(np.asarray(y), name=getattr(y, "name", None) or "target")
        target = y.name if y.name not in X.columns else "__target__"
        prepared = self.prepare(X.reset_index(drop=True).assign(**{str(target): y.to_numpy()}), str(target))
        self.fit_prepared(prepared, history=history, on_event=on_event, stop=stop, budget=budget)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.target_name_ = str(y.name)
        return self

    def prepare(self, frame: pd.DataFrame, target: str):
        """The table through ``prepare_data`` with this estimator's task, excluded columns and seed."""
        from automl_engine.data.intake import prepare_data

        self._check_strategy()
        self._final_strategy()  # a wrong final_model is said before the search, not after it
        seed = 0 if self.random_state is None else int(self.random_state)
        return prepare_data(frame, target, task=self.task, exclude=tuple(self.exclude_columns), random_state=seed)

    def fit_prepared(self, prepared, history=None, on_event=None, stop=None, budget=None):
        """As :meth:`fit`, on a table already through :meth:`prepare` (the app's jobs prepare each table once).

        ``budget`` (a :class:`~automl_engine.search.Budget`) lets the caller count its own preparation.
        """
        budget = budget or Budget(self.time_budget, spent=spent_seconds(history or []))
        emit = _emitter(on_event)
        self._stop_event = stop if stop is not None else threading.Event()
        self._check_strategy()
        self._final_strategy()  # a wrong final_model is said before the search, not after it
        seed = 0 if self.random_state is None else int(self.random_state)
        self.task_, self.data_report_, self.column_types_ = prepared.task, prepared.report, prepared.column_types
        self.feature_names_in_ = np.asarray([c for c in prepared.columns if c != prepared.target], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.target_name_ = prepared.target
        y_values = as_labels(prepared.y, self.task_)
        metric = get_metric(self.metric, self.task_)
        self.metric_ = metric.name
        folds = make_folds(y_values, self.task_, self.n_folds, seed)
        rungs = make_rungs(folds, y_values, self.task_, seed) if self.fidelity == "auto" else None
        meta = compute_meta_features(prepared.X, y_values, self.task_, self.column_types_, seed)
        self.meta_features_ = meta
        catalogue = load_catalogue(task_type_of(self.task_))
        self.catalogue_ = catalogue
        problem = Problem(prepared.X, y_values, self.task_, metric.name, self.column_types_, folds,
                          classes_of(y_values, self.task_), meta_feature_vector(meta))
        base, search_recommender = self._make_recommender(catalogue, seed, len(problem.X))
        self.recommender_ = base
        costs = CostModel.from_knowledge(load_knowledge(catalogue.task_type), catalogue, len(problem.X),
                                         len(self.column_types_), folds)
        budget.max_evals = self.max_evals if (self.max_evals or self.time_budget) else DEFAULT_MAX_EVALS
        emit(PhaseEvent(SEARCHING, budget.elapsed()))
        n_jobs = resolve_n_jobs(self.n_jobs)
        combines = self._final_strategy() != "refit"  # the finish keeps back time for more than one fit
        with Evaluator(n_jobs, self.dask_address, Limits(self.eval_timeout, self.memory_mb)) as evaluator:
            self._search = Search(problem, catalogue, search_recommender, evaluator, budget, self.eval_timeout, costs,
                                  on_event, seed, history,
                                  round_size=None if budget.timed else max(2, n_jobs),
                                  reserve=lambda h: finish_reserve(h, len(problem.X), folds, combines,
                                                                 self.time_budget),
                                  stop_event=self._stop_event, rungs=rungs)
            self.history_ = self._search.run()
            if not any(h["status"] == "ok" for h in self.history_) and not self._search.stopped:
                self._fallback(catalogue, costs, budget)
        self.knowledge_ = self._knowledge_used(search_recommender, catalogue)
        self.search_stats_ = {"search_seconds": self._search.elapsed(),
                              "recommender_seconds": self._search.recommender_seconds,
                              "skipped_too_slow": self.skipped_too_slow()}
        if not any(h["status"] == "ok" for h in self.history_):
            if budget.timed and (budget.remaining() <= 0 or all(h["status"] == "timeout" for h in self.history_)):
                quickest = (f" (on this table the quickest pipelines are predicted to take about "
                            f"{float(costs.predict().min()):.0f} s each)" if costs is not None else "")
                raise DataError(f"no pipeline finished within the time budget ({budget.seconds:g} s, "
                                f"{budget.elapsed():.0f} s used, preparing the table included); give it more "
                                f"time{quickest}")
            raise DataError("no pipeline could be fitted on this data; check the guardrail alerts, "
                            "or give the search more time")
        finish_start = time.perf_counter()
        # one thread, as the evaluations measured the fit times the finish is planned on: with two OpenMP
        # threads on a loaded 2-core machine a HistGradientBoosting refit took 63.5 s against 4-9 s with one
        # (the threads spin-wait for each other), and a 120 s fit of a 54,000-row table ran 188 s.
        # The refits stay as quiet as the evaluations: library deprecation and convergence chatter
        # (e.g. scikit-learn 1.9's FutureWarning on SVC(probability=True)) is nothing a user can act on
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._finish(problem, catalogue, prepared, metric, budget, emit)
        self.search_stats_["finish_seconds"] = time.perf_counter() - finish_start
        self._search.release_data()  # a fitted model need not hold the training data twice
        self.fitted_at_ = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return self

    def _check_strategy(self) -> None:
        if self.strategy not in STRATEGIES:
            raise DataError(f"strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        if self.fidelity not in FIDELITIES:
            raise DataError(f"fidelity must be one of {', '.join(FIDELITIES)}, not {self.fidelity!r}")

    def _fallback(self, catalogue, costs, budget: Budget) -> None:
        """Nothing succeeded within the budget: evaluate the cheapest pipelines until one does.

        With a time budget they share what is left of it, at least ``FALLBACK_FLOOR`` seconds (so a search
        whose budget went on preparing a wide table overruns by at most that much, plus the refit), and only
        those predicted to take at most ``FALLBACK_HOPE`` times that are tried.
        """
        predicted = costs.predict() if costs is not None else np.zeros(len(catalogue))
        tried = {h["pipeline_index"] for h in self.history_}
        cheapest = [int(i) for i in np.argsort(predicted) if int(i) not in tried][:FALLBACK_PIPELINES]
        window = max(budget.remaining(), FALLBACK_FLOOR) if budget.timed else None
        if window is not None:  # a try predicted far beyond the window would only overrun the budget
            cheapest = [i for i in cheapest if predicted[i] <= FALLBACK_HOPE * window]
        self._search.try_until_success(cheapest, max(self.eval_timeout, FALLBACK_TIMEOUT), window)
        self.history_ = self._search.history

    def stop(self) -> None:
        """End a running ``fit`` early (from another thread); the best so far is kept.

        The same as setting the ``stop`` event given to :meth:`fit`.
        """
        event = getattr(self, "_stop_event", None)
        if event is not None:
            event.set()

    def skipped_too_slow(self) -> dict[str, int]:
        """Pipelines not started so far (or in the finished search) because they were predicted to take more
        than half the time budget: how many of each family."""
        search = getattr(self, "_search", None)
        return _count_by_family(search.too_slow, self.catalogue_) if search is not None else {}

    def in_flight(self) -> list[str]:
        """Descriptions of the pipelines being evaluated right now (empty outside a search)."""
        search = getattr(self, "_search", None)
        return search.in_flight() if search is not None and search.problem is not None else []

    def _make_recommender(self, catalogue, seed, n_rows: int):
        """(the recommender to show and keep, the one the search asks: the same, or it wrapped with local runs);
        a table of ``n_rows`` rows gets the shipped recommender of its size (see ``load_recommender``)."""
        recommender = None
        if self.strategy == "pmf":
            recommender = self.recommender
            if isinstance(recommender, (str, Path)):
                recommender = read_recommender(recommender)
            recommender = recommender or load_recommender(catalogue.task_type, n_rows=n_rows)
            if recommender is None:
                logger.warning("no knowledge shipped for %s; sampling the catalogue at random", catalogue.task_type)
        if recommender is None:
            random = RandomRecommender(len(catalogue), seed)
            return random, random
        rows = local_rows(self._store(), catalogue) if self.learn else []
        return recommender, (LocalWarmStart(recommender, rows) if rows else recommender)

    def _knowledge_used(self, search_recommender, catalogue) -> dict:
        """What this search learned from: the recommender and, with learning on, the local runs that steered it."""
        local = search_recommender if isinstance(search_recommender, LocalWarmStart) else None
        if isinstance(search_recommender, RandomRecommender):
            source = "random"
        else:  # load_recommender names the knowledge it loaded (and, for a large table, its fidelity)
            source = getattr(local.recommender if local else search_recommender, "source", None) or (
                "given" if self.recommender is not None else f"shipped {catalogue.task_type} knowledge")
        return {"recommender": source, "learn": bool(self.learn),
                "local_runs_available": len(local.local_rows) if local else 0,
                "local_runs": sorted(set(local.local_picks.values())) if local else []}

    def _store(self) -> KnowledgeStore:
        return KnowledgeStore(Path(self.data_dir or user_data_dir()) / "knowledge.sqlite")

    def _final_strategy(self) -> str:
        """The final-model strategy this fit uses (``final_model`` with "auto" and ``ensemble`` resolved)."""
        if self.final_model != "auto" and self.final_model not in FINAL_MODELS:
            raise ValueError(f"final_model must be 'auto' or one of {', '.join(FINAL_MODELS)}; "
                             f"got {self.final_model!r}")
        if self.final_model != "auto":
            return self.final_model
        return DEFAULT_FINAL_MODEL if self.ensemble else "refit"

    def _finish(self, problem, catalogue, prepared, metric, budget: Budget, emit) -> None:
        """Build the final model (:func:`~automl_engine.search.final.build_final`) from the ranked search.

        With a time budget, only what is predicted to fit in the time left is fitted.
        """
        strategy = self._final_strategy()
        inputs = FinalInputs(problem.X, problem.y, self.task_, problem.classes, problem.folds, metric, catalogue,
                             self.column_types_, best_records(self.history_), self._search.oof,
                             self._search.validation_rows, self.random_state,
                             seconds_left=lambda: budget.remaining() if budget.timed else None,
                             exponents=rows_exponents(self.history_),
                             on_phase=lambda phase: emit(PhaseEvent(phase, budget.elapsed())))
        final = build_final(strategy, inputs)
        self.model_, self.best_pipeline_, self.best_record_ = final.model, final.best_pipeline, final.best_record
        self.final_model_ = final.strategy
        self.search_stats_["final_model"] = final.strategy
        self.search_stats_["ensemble_candidates_skipped"] = final.candidates_skipped
        if final.notes:
            self.search_stats_["final_model_notes"] = final.notes
        ensemble_row = final.ensemble_row
        self.ensemble_ = ensemble_row
        self.classes_ = problem.classes
        self.leaderboard_ = make_leaderboard(self.history_, ensemble_row)
        self.leaderboard_.attrs["skipped_too_slow"] = self.search_stats_["skipped_too_slow"]
        self.fingerprint_ = fingerprint(prepared.X.assign(__y=prepared.y.to_numpy()))
        if self.learn and self.strategy == "pmf":
            try:
                record_search(self._store(), f"user:{self.fingerprint_}", self.task_, catalogue.task_type,
                              self.meta_features_, self.fingerprint_, len(problem.X), len(self.column_types_),
                              _first_records(self.history_), catalogue)
            except Exception as exc:  # noqa: BLE001 - learning is best effort; the model is what matters
                logger.warning("could not add this search to the local knowledge store: %s", exc)

    def __getstate__(self):
        """Pickle the fitted model, not the search and its stop event (threads and locks, only for ``stop``)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_search", "_stop_event")}

    def _as_frame(self, X, fitting: bool = False) -> pd.DataFrame:
        """X as a DataFrame: arrays get the column names seen in ``fit`` (``x0``, ``x1``, ... for arrays)."""
        if isinstance(X, pd.DataFrame):
            return X
        if sparse.issparse(X):
            raise DataError("AutoML takes a dense table, and sparse input is not supported; convert it with "
                            "X.toarray() or pass a pandas DataFrame")
        values = np.asarray(X)
        if values.ndim != 2:
            raise DataError(f"X must be a table of rows and columns (2-D), but it has {values.ndim} dimension(s); "
                            "reshape it, e.g. X.reshape(-1, 1) for a single feature")
        names = [f"x{i}" for i in range(values.shape[1])] if fitting else list(self.feature_names_in_)
        if len(names) != values.shape[1]:
            raise DataError(f"X has {values.shape[1]} columns but the model was fitted on {len(names)}; "
                            "pass the same columns as in fit")
        return pd.DataFrame(values, columns=names)

    # -- prediction --------------------------------------------------------------------------
    def predict(self, X):
        check_is_fitted(self, "model_")
        return self.model_.predict(self._as_frame(X))

    def predict_proba(self, X):
        check_is_fitted(self, "model_")
        if self.task_ == Task.REGRESSION:
            raise AttributeError("predict_proba is only available for classification")
        return self.model_.predict_proba(self._as_frame(X))

    def score(self, X, y):
        """The search metric on (X, y), higher is better."""
        check_is_fitted(self, "model_")
        metric = get_metric(self.metric_, self.task_)
        y = as_labels(np.asarray(y), self.task_)
        if metric.needs_proba:
            return metric.score(y, None, self.predict_proba(X), self.classes_)
        return metric.score(y, self.predict(X))

    def save(self, path) -> Path:
        """Save the fitted model and its model card (skops; see ``automl_engine.model.skops_io``)."""
        from automl_engine.model.skops_io import save_model

        return save_model(self, path)


def _count_by_family(indices, catalogue) -> dict[str, int]:
    """How many of the pipelines ``indices`` each family has, largest first."""
    return dict(Counter(catalogue[int(j)].family for j in indices).most_common())


def _first_records(history: list[dict]) -> list[dict]:
    """Each pipeline's first evaluation (its lowest rung): what the recommender learned from, one fidelity."""
    first: dict[str, dict] = {}
    for record in history:
        first.setdefault(record["pipeline_id"], record)
    return list(first.values())
