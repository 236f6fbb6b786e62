"""Background searches for a multi-user server: bounded evaluation workers, history as it goes, resume.

One :class:`JobManager` per server process bounds the evaluation worker processes of all
sessions: a job asks for ``n_jobs`` slots and waits, visibly ``"queued"``, until they are free
(first come, first served). A :class:`SearchJob` runs ``AutoML.fit`` in a thread, collects its
SearchEvents and writes each evaluation to a RunStore as it happens, with a parquet copy of the
data, so a run cut short by a closed browser or a killed server can be resumed. No streamlit
here: callers poll ``status``, ``events()`` and ``progress``.

A job holds its run's lease (``store.runs.RunLease``) from submission or resumption to its end,
so another server process or ``automl fit --resume`` cannot continue the same run meanwhile, and
it writes its evaluations fenced by that lease. A resume is refused when the saved table's content
fingerprint is not the one the run was searched on, and it searches with the run's task and metric.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from automl_engine.data.fingerprint import fingerprint
from automl_engine.errors import DataError, WorkerStartError
from automl_engine.search import Budget, spent_seconds
from automl_engine.search.events import PREPARING, SEARCHING, PhaseEvent
from automl_engine.store.paths import create_private_file, private_dir, private_file, user_data_dir
from automl_engine.store.runs import (
    FAILED,
    FINISHED,
    RUNNING,
    STOPPED,
    LeaseLost,
    RunInProgress,
    RunLease,
    RunStore,
    new_lease_token,
    resumed_settings,
)

logger = logging.getLogger(__name__)

QUEUED = "queued"
DONE = (FINISHED, STOPPED, FAILED)
KNOWLEDGE_DIR_ENV = "AUTOML_KNOWLEDGE_DIR"
# AutoML keyword arguments a run's settings may hold (everything JSON-serialisable)
SETTING_NAMES = ("task", "metric", "time_budget", "max_evals", "strategy", "n_jobs", "dask_address", "ensemble",
                 "random_state", "n_folds", "eval_timeout", "memory_mb", "learn", "exclude_columns", "final_model")


@dataclass(frozen=True)
class Progress:
    """Where a job stands. ``fraction`` of the budget in [0, 1]; ``eta`` in seconds or None."""

    # "queued", "starting", a fit phase (preparing, searching, refitting, ensembling) or a final status
    phase: str
    fraction: float
    n_done: int
    max_evals: int | None
    elapsed: float
    eta: float | None
    current: tuple[str, ...]   # descriptions of the pipelines being evaluated now


def _sentence(exc: BaseException) -> str:
    """One sentence a user can read for a failed search."""
    if isinstance(exc, (DataError, WorkerStartError)):
        return str(exc)
    detail = " ".join(str(exc).split())[:200] or "no message"
    return (f"The search stopped on an unexpected error ({type(exc).__name__}: {detail}); "
            "the evaluations saved so far are kept and the server log has the details.")


def _server_shutting_down(exc: BaseException) -> bool:
    """The interpreter is exiting (the server was stopped): not the search's fault."""
    return sys.is_finalizing() or (isinstance(exc, RuntimeError) and "interpreter shutdown" in str(exc))


def save_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as parquet (text columns of mixed types are written as text), owner-only (0600)."""
    private_dir(path.parent)
    create_private_file(path)
    try:
        frame.to_parquet(path, index=False)
    except Exception as first:  # noqa: BLE001 - pyarrow raises several types for unsupported columns
        logger.info("parquet refused the frame as is (%s); writing mixed columns as text", first)
        fixed = frame.copy()
        fixed.columns = [str(c) for c in fixed.columns]
        for name in fixed.columns:
            if not (pd.api.types.is_numeric_dtype(fixed[name]) or pd.api.types.is_datetime64_any_dtype(fixed[name])):
                fixed[name] = fixed[name].map(lambda v: v if v is None or pd.isna(v) else str(v)).astype("str")
        fixed.to_parquet(path, index=False)
    return private_file(path)


def run_summary(automl) -> dict:
    """What a finished search announced: its metric, best score (the ensemble's when it is the model) and model."""
    board = getattr(automl, "leaderboard_", None)
    best = None if board is None or not len(board) else board["score"].max()
    ensemble = getattr(automl, "ensemble_", None)
    record = getattr(automl, "best_record_", None) or {}
    return {"metric": getattr(automl, "metric_", None),
            "best_score": None if best is None or pd.isna(best) else float(best),
            "model": "ensemble" if ensemble else record.get("description"),
            "ensemble": bool(ensemble)}


def write_summary(path: Path, summary: dict) -> None:
    path.write_text(json.dumps(summary), encoding="utf-8")
    private_file(path)


def read_summary(model_path) -> dict:
    """The summary saved beside a run's model file ({} if there is none)."""
    if not model_path:
        return {}
    try:
        return json.loads(Path(model_path).with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class SearchJob:
    """One search in a background thread; made by :meth:`JobManager.submit` / :meth:`JobManager.resume`.

    ``run_id`` (its RunStore id), ``owner``, ``name`` (of its table), ``settings`` (AutoML keyword
    arguments); ``model_path``, the model file written when the search ends with a model; ``automl``, the
    estimator being fitted (``recommender_``, ``catalogue_``, ``meta_features_`` are set once the
    search starts); ``result``, the fitted AutoML (finished, or stopped with a model); ``error``, a
    sentence saying why it failed; ``history``, the records of the earlier part of a resumed run.
    """

    def __init__(self, manager: "JobManager", run_id: str, frame: pd.DataFrame, target: str, settings: dict,
                 owner: str, store: RunStore, history: list[dict] | None = None, data_path: Path | None = None,
                 recommender=None, lease: RunLease | None = None, name: str = ""):
        self.manager, self.run_id, self.target, self.owner = manager, run_id, target, owner
        self.name = name or "table"
        self.lease = lease
        self._lease_lost: str | None = None
        self._task_recorded = bool(history)
        self.settings, self.store = dict(settings), store
        self.history = list(history or [])
        self.data_path = data_path
        self.model_path: Path | None = None
        self.automl = None
        self.result = None
        self.error: str | None = None
        self.created = time.time()
        self._frame = frame
        self._recommender = recommender
        self._status = QUEUED
        self._events: list = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._phase = "starting"
        self._started: float | None = None
        self._ended: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"search-{run_id}", daemon=True)

    # -- what the UI polls -------------------------------------------------------------------
    @property
    def status(self) -> str:
        """``queued``, ``running``, ``finished``, ``stopped`` or ``failed``."""
        return self._status

    @property
    def done(self) -> bool:
        return self._status in DONE

    @property
    def slots(self) -> int:
        """Evaluation worker processes this job takes from the manager's pool."""
        if self.settings.get("dask_address"):
            return 0
        return max(1, min(int(self.settings.get("n_jobs") or 1), self.manager.max_workers))

    def events(self, since: int = 0) -> list:
        """SearchEvents of this job (not of the resumed earlier part), from index ``since``; only the
        latest keeps its ``posterior_mean`` / ``posterior_std``."""
        with self._lock:
            return self._events[since:]

    def records(self) -> list[dict]:
        """Every evaluation record of the run so far, the resumed earlier part included."""
        with self._lock:
            return self.history + [e.record for e in self._events]

    @property
    def progress(self) -> Progress:
        records = self.records()
        n_done, n_new = len(records), len(records) - len(self.history)
        max_evals, budget = self.settings.get("max_evals"), self.settings.get("time_budget")
        offset = spent_seconds(self.history)
        run_time = 0.0 if self._started is None else (self._ended or time.perf_counter()) - self._started
        elapsed = offset + run_time
        phase = self._phase if self._status == RUNNING else self._status
        if self.done:
            return Progress(phase, 1.0, n_done, max_evals, elapsed, 0.0, ())
        if not max_evals and not budget:
            from automl_engine.automl import DEFAULT_MAX_EVALS
            max_evals = DEFAULT_MAX_EVALS
        fractions, etas = [], []
        if max_evals:
            fractions.append(n_done / max_evals)
            if n_new:
                etas.append(run_time / n_new * max(0, max_evals - n_done))
        if budget:
            fractions.append(elapsed / budget)
            etas.append(max(0.0, budget - elapsed))
        fraction = min(1.0, max(fractions)) if fractions else 0.0
        eta = min(etas) if etas and phase == "searching" else None
        return Progress(phase, fraction, n_done, max_evals, elapsed, eta, self._in_flight())

    def _in_flight(self) -> tuple[str, ...]:
        if self.automl is None or self._phase != SEARCHING:
            return ()
        try:
            return tuple(self.automl.in_flight())
        except Exception:  # noqa: BLE001 - a display nicety, never worth an error
            return ()

    # -- control -----------------------------------------------------------------------------
    def stop(self) -> None:
        """End the search: a queued job never starts; a running one keeps the best so far."""
        if self._stop.is_set():
            return
        self._stop.set()  # the event the fit watches: it ends the search wherever the fit is
        with self.manager._cond:
            self.manager._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done (for scripts and tests); True if it is."""
        self._thread.join(timeout)
        return self.done

    # -- the thread ----------------------------------------------------------------------------
    @property
    def _token(self) -> str | None:
        return self.lease.token if self.lease is not None else None

    def _on_event(self, event) -> None:
        if isinstance(event, PhaseEvent):
            self._phase = event.phase
            if event.phase == SEARCHING and not self._task_recorded and self.automl is not None:
                self._task_recorded = True  # the task and metric are known: a resume searches with them
                try:
                    self.store.update(self.run_id, token=self._token, task=self.automl.task_,
                                      metric=self.automl.metric_)
                except Exception as exc:  # noqa: BLE001 - as for an evaluation below
                    self._store_failed(exc, "the task of")
            return
        with self._lock:
            if self._events:   # the posterior arrays (one value per pipeline) only matter on the latest event
                self._events[-1].posterior_mean = self._events[-1].posterior_std = None
            self._events.append(event)
        try:
            self.store.add_evaluation(self.run_id, event.record, token=self._token)
        except Exception as exc:  # noqa: BLE001 - losing history must not kill the search
            self._store_failed(exc, f"evaluation {event.iteration} of")

    def _store_failed(self, exc: Exception, what: str) -> None:
        if isinstance(exc, LeaseLost):  # another process continues this run: stop, write nothing more
            self._lease_lost = str(exc)
            self._stop.set()
        logger.warning("could not save %s run %s: %s", what, self.run_id, exc)

    def _finish(self, status: str, message: str = "") -> None:
        if self._lease_lost:
            status, message = FAILED, self._lease_lost
        self.error = message if status == FAILED else None
        if not self._lease_lost:
            try:
                fields = {"status": status, "message": message}
                if self.result is not None:  # the run's fingerprint stays the one of the table as given
                    fields.update(task=self.result.task_, metric=self.result.metric_)
                self.store.update(self.run_id, token=self._token, **fields)
            except Exception as exc:  # noqa: BLE001
                logger.warning("could not record the end of run %s: %s", self.run_id, exc)
        self._release_lease()
        self._ended = time.perf_counter() if self._started is not None else None
        self._status = status

    def _save_model(self) -> None:
        """Write the fitted model (and a summary: the best score, the ensemble's included) beside the run's
        data, so the run keeps its model after the server restarts; best effort."""
        if self.result is None:
            return
        from automl_engine.model.skops_io import save_model

        self._phase = "saving the model"
        try:
            path = save_model(self.result, self.manager.data_folder() / f"{self.run_id}.skops")
            write_summary(path.with_suffix(".json"), run_summary(self.result))
            self.store.update(self.run_id, token=self._token, model_path=str(path))
            self.model_path = path
        except Exception as exc:  # noqa: BLE001 - the model is still in memory; only a restart loses it
            logger.warning("could not save the model of run %s: %s", self.run_id, exc)

    def _release_lease(self) -> None:
        if self.lease is not None:
            self.lease.release()

    def _run(self) -> None:
        from automl_engine.automl import AutoML

        frame, self._frame = self._frame, None
        try:
            if self.data_path is None:
                self.data_path = save_frame(frame, self.manager.data_folder() / f"{self.run_id}.parquet")
                self.store.update(self.run_id, token=self._token, data_path=str(self.data_path),
                                  fingerprint=fingerprint(frame))
        except Exception as exc:  # noqa: BLE001 - the search can run; only resuming it cannot
            logger.warning("could not save the data of run %s (it will not be resumable): %s", self.run_id, exc)
        if not self.manager._acquire(self):
            self._finish(STOPPED, "Stopped before it started.")
            return
        try:
            self._status = RUNNING
            self.store.update(self.run_id, token=self._token, status=RUNNING)
            recommender = self._recommender
            if recommender is None and self.settings.get("strategy", "pmf") == "pmf":
                recommender = self.manager.recommender_for(self.settings.get("task", "auto"), frame[self.target])
            self.automl = AutoML(**{k: v for k, v in self.settings.items() if k in SETTING_NAMES},
                                 recommender=recommender)
            self._started = time.perf_counter()
            budget = Budget(self.automl.time_budget, spent=spent_seconds(self.history))  # preparing counts too
            self._on_event(PhaseEvent(PREPARING, budget.elapsed()))
            prepared = self.automl.prepare(frame, self.target)  # once: the table is not split and glued again
            self.result = self.automl.fit_prepared(prepared, history=self.history or None, on_event=self._on_event,
                                                   stop=self._stop, budget=budget)
            self._save_model()
            self._finish(STOPPED if self._stop.is_set() else FINISHED,
                         "Stopped by the user; the best pipeline so far was kept." if self._stop.is_set() else "")
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence for the user
            if self._stop.is_set() and isinstance(exc, DataError):
                self._finish(STOPPED, "Stopped before any pipeline finished, so there is no model.")
            elif _server_shutting_down(exc):
                # the stored run stays "running": History shows it as interrupted and offers to resume it
                logger.warning("search %s interrupted by the server shutting down", self.run_id)
            else:
                logger.exception("search %s failed", self.run_id)
                self._finish(FAILED, _sentence(exc))
        finally:
            self._release_lease()  # after a shutdown too: a restarted server may resume the run at once
            self.manager._release(self)


class JobManager:
    """Runs searches in background threads with at most ``max_workers`` evaluation processes in all.

    Parameters
    ----------
    max_workers : int — evaluation worker processes shared by every job of this server
    store_path : path of the run history (default: ``runs.sqlite`` in the user data folder,
        looked up when each job starts, so ``AUTOML_DATA_DIR`` may change between jobs)
    knowledge_dir : folder of the knowledge files to recommend from (default:
        ``$AUTOML_KNOWLEDGE_DIR``, else the shipped ones). Recommenders are loaded once per
        task type and folder, in the job's thread, and shared read-only by all jobs.
    keep_done : finished jobs kept in memory (older ones are forgotten; their runs stay stored)

    Examples
    --------
    >>> job = JobManager(max_workers=2).submit(frame, "y", {"max_evals": 4}, owner="me")  # doctest: +SKIP
    >>> job.status, job.progress.fraction, job.stop(), job.wait()                        # doctest: +SKIP
    """

    def __init__(self, max_workers: int = 2, store_path=None, knowledge_dir=None, keep_done: int = 100):
        self.max_workers = max(1, int(max_workers))
        self.store_path, self.knowledge_dir, self.keep_done = store_path, knowledge_dir, keep_done
        self._cond = threading.Condition()
        self._in_use = 0
        self._waiting: deque[SearchJob] = deque()
        self._jobs: dict[str, SearchJob] = {}
        self._knowledge: dict = {}
        self._knowledge_lock = threading.Lock()

    # -- places --------------------------------------------------------------------------------
    def store(self) -> RunStore:
        return RunStore(self.store_path)

    @staticmethod
    def data_folder() -> Path:
        return user_data_dir() / "run-data"

    def _knowledge_dir(self):
        return self.knowledge_dir or os.environ.get(KNOWLEDGE_DIR_ENV) or None

    # -- shared read-only knowledge -------------------------------------------------------------
    def _cached(self, kind: str, task_type: str, load):
        key = (kind, str(self._knowledge_dir()), task_type)
        with self._knowledge_lock:
            if key not in self._knowledge:
                self._knowledge[key] = load(self._knowledge_dir())
            return self._knowledge[key]

    def recommender(self, task_type: str, n_rows: int | None = None):
        """The fitted recommender of ``task_type`` for a table of ``n_rows`` rows (None if there is too little
        knowledge); tables of ``LARGE_TABLE_ROWS`` or more may have one of their own (``load_recommender``)."""
        from automl_engine.knowledge.recommender_io import is_large_table, load_recommender

        if is_large_table(n_rows):
            return self._cached("recommender for large tables", task_type,
                                lambda folder: load_recommender(task_type, folder, n_rows=n_rows))
        return self._cached("recommender", task_type, lambda folder: load_recommender(task_type, folder))

    def loaded_recommender(self, task_type: str):
        """The recommender of ``task_type`` if a job has loaded it already, else None (never blocks)."""
        return self._knowledge.get(("recommender", str(self._knowledge_dir()), task_type))

    def knowledge(self, task_type: str):
        """The knowledge the recommender of ``task_type`` was fitted on (dataset names, meta-features)."""
        from automl_engine.knowledge.artifact import load_knowledge

        return self._cached("knowledge", task_type, lambda folder: load_knowledge(
            task_type, Path(folder) / f"{task_type}.npz" if folder else None))

    def recommender_for(self, task: str, y: pd.Series):
        from automl_engine.catalogue import task_type_of
        from automl_engine.data.intake import detect_task

        if task in (None, "auto"):
            try:
                task = detect_task(y.dropna())
            except Exception:  # noqa: BLE001 - fit will say what is wrong with the target
                return None
        return self.recommender(task_type_of(task), n_rows=len(y))

    # -- jobs ----------------------------------------------------------------------------------
    def submit(self, frame: pd.DataFrame, target: str, settings: dict, owner: str = "", name: str = "",
               recommender=None) -> SearchJob:
        """Start a search of ``target`` in ``frame`` (the target column included) in the background.

        ``settings`` holds AutoML keyword arguments (see ``SETTING_NAMES``); ``recommender``
        overrides the shared one (it is not saved with the run).
        """
        if target not in frame.columns:
            raise DataError(f"the target column {target!r} is not in the table; pick one of its columns")
        settings = {k: v for k, v in settings.items() if k in SETTING_NAMES}
        settings["exclude_columns"] = list(settings.get("exclude_columns") or ())
        store = self.store()
        token = new_lease_token()
        run_id = store.create(name=name or "search", target=target, settings=settings, owner=owner,
                              task=str(settings.get("task", "auto")), metric=str(settings.get("metric", "auto")),
                              lease=token)
        lease = RunLease(store, run_id, token).start()
        store.update(run_id, token=token, status=QUEUED)
        job = SearchJob(self, run_id, frame, target, settings, owner, store, recommender=recommender, lease=lease,
                        name=name or "search")
        return self._start(job)

    def resume(self, run_id: str, owner: str | None = None, extra_evals: int = 0, extra_seconds: float = 0.0,
               recommender=None) -> SearchJob:
        """Continue a stored run where it ended, with its saved data and settings (the live job if it runs).

        The evaluations already done count against the budget: an interrupted or stopped run
        finishes its budget; ``extra_evals`` / ``extra_seconds`` extend it (to go on after a
        finished one). The job keeps the run's id, so its evaluations continue the same run.

        Refused with one sentence (DataError) when the run is in progress in another process
        (its lease is fresh), or when its saved table is not the one it was searched on.
        """
        mine = f"there is no run {run_id!r} of yours to resume; pick one from the history"
        if self.is_live(run_id):
            if owner is not None and self._jobs[run_id].owner != owner:
                raise DataError(mine)
            return self._jobs[run_id]
        store = self.store()
        run = store.get(run_id, owner=owner)
        if run is None:
            raise DataError(mine)
        path = Path(run["data_path"] or "")
        if not run["data_path"] or not path.is_file():
            raise DataError("the data of this run was not saved, so it cannot be resumed; start a new search")
        try:
            lease = store.lease(run_id)
        except RunInProgress:
            if self.is_live(run_id):  # another session of this server resumed it a moment ago
                return self._jobs[run_id]
            raise
        try:
            frame = pd.read_parquet(path)
            if run["fingerprint"] and fingerprint(frame) != run["fingerprint"]:
                raise DataError("the saved data of this run has changed since it was searched, so the search "
                                "cannot go on with it; start a new search")
            if run["target"] not in frame.columns:
                raise DataError(f"the saved data of this run lacks its target column {run['target']!r}, so it "
                                f"cannot be resumed; start a new search")
            history = store.history(run_id)   # read under the claim: no other process adds to it now
            settings = dict(run["settings"])
            settings["task"], settings["metric"] = resumed_settings(run, settings.get("task", "auto"),
                                                                    settings.get("metric", "auto"))
            if extra_evals:
                settings["max_evals"] = (settings.get("max_evals") or len(history)) + int(extra_evals)
            if extra_seconds:
                spent = spent_seconds(history)
                settings["time_budget"] = (settings.get("time_budget") or spent) + float(extra_seconds)
            store.update(run_id, token=lease.token, status=QUEUED, settings=settings, message="")
        except BaseException:
            lease.release()
            raise
        job = SearchJob(self, run_id, frame, run["target"], settings, run["owner"], store, history=history,
                        data_path=path, recommender=recommender, lease=lease, name=run["name"])
        return self._start(job)

    def _start(self, job: SearchJob) -> SearchJob:
        with self._cond:
            running = self._jobs.get(job.run_id)
            if running is not None and not running.done:   # two resumes of one run at once: one job
                job._release_lease()
                return running
            self._jobs[job.run_id] = job
            self._waiting.append(job)  # its place in the queue is its submission's, not its thread's
            done = sorted((j for j in self._jobs.values() if j.done), key=lambda j: j.created)
            for old in done[:max(0, len(done) - self.keep_done)]:
                del self._jobs[old.run_id]
        job._thread.start()
        return job

    def get(self, run_id: str, owner: str | None = None) -> SearchJob | None:
        """The job of ``run_id`` in memory (given ``owner``, only if it is theirs)."""
        job = self._jobs.get(run_id)
        return job if job is not None and (owner is None or job.owner == owner) else None

    def jobs(self, owner: str | None = None) -> list[SearchJob]:
        """Jobs in memory, newest first (only ``owner``'s when given)."""
        with self._cond:
            jobs = list(self._jobs.values())
        return sorted((j for j in jobs if owner is None or j.owner == owner), key=lambda j: -j.created)

    def is_live(self, run_id: str) -> bool:
        """Whether the run is queued or running in this process (else a stored "running" run was interrupted)."""
        job = self._jobs.get(run_id)
        return job is not None and not job.done

    @property
    def in_use(self) -> int:
        return self._in_use

    def queue_position(self, job: SearchJob) -> int | None:
        """1 for the next job to start; None if the job is not waiting."""
        with self._cond:
            return next((i + 1 for i, j in enumerate(self._waiting) if j is job), None)

    # -- worker slots ------------------------------------------------------------------------------
    def _acquire(self, job: SearchJob) -> bool:
        """Wait (first submitted, first served: ``_start`` queued the job) for its slots; False if it
        was stopped meanwhile."""
        need = job.slots
        with self._cond:
            try:
                while not job._stop.is_set():
                    if self._waiting[0] is job and self._in_use + need <= self.max_workers:
                        self._in_use += need
                        return True
                    self._cond.wait(0.5)
                return False
            finally:
                self._waiting.remove(job)
                self._cond.notify_all()

    def _release(self, job: SearchJob) -> None:
        with self._cond:
            self._in_use = max(0, self._in_use - job.slots)
            self._cond.notify_all()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop every job and wait for them (server shutdown, tests)."""
        for job in self.jobs():
            job.stop()
        for job in self.jobs():
            job.wait(timeout)
