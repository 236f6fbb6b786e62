"""The run a session works on, named the same way on every page, and restored from the address.

``st.session_state["run_id"]`` (and ``?run=`` in the address) names the run the Search,
Leaderboard, Explain and Predict pages show. :func:`current_run` builds a :class:`Run` from the
live job of this server when there is one, else from the run store (its records, its saved table
and its saved model file), so each page names the same run, table, target and model, whatever
table the Data page holds now.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from automl_app import settings as search_settings
from automl_app.state import job_manager, run_status, set_data
from automl_app.text import short
from automl_engine.catalogue import task_type_of
from automl_engine.service.jobs import SearchJob, read_summary

logger = logging.getLogger(__name__)


@dataclass
class Run:
    """One run as the pages show it; ``model`` is a fitted AutoML (this server's job), a model read from
    the run's file (``LoadedModel``), or None."""

    run_id: str
    name: str
    target: str
    status: str
    settings: dict = field(default_factory=dict)
    records: list = field(default_factory=list)
    job: SearchJob | None = None
    model: object = None
    data_path: str | None = None
    message: str = ""
    summary: dict = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.job is not None and not self.job.done

    @property
    def task(self) -> str | None:
        task = getattr(self.model, "task_", None) or self.settings.get("task")
        return task if task in ("binary", "multiclass", "regression") else None

    @property
    def searchable(self):
        """The fitted AutoML with its leaderboard and pipelines (None for a model read from a file)."""
        return self.model if hasattr(self.model, "leaderboard_") else None

    def model_name(self) -> str:
        """The model in a few words: the ensemble or the best pipeline."""
        if self.model is None:
            return "no model"
        ensemble = getattr(self.model, "ensemble_", None)
        if ensemble:
            return f"ensemble of {len(ensemble['members'])} pipelines"
        card = getattr(self.model, "card", None)
        if isinstance(card, dict):
            return "ensemble" if card.get("ensemble") else short(card.get("pipeline") or "model", 80)
        record = getattr(self.model, "best_record_", None) or {}
        return short(record.get("description") or "model", 80)

    def header(self) -> str:
        """The line every page shows above what it shows of this run."""
        return (f"Run {self.run_id} · {short(self.name, 60)} · target {short(self.target, 40)} · {self.status} · "
                f"{len(self.records)} evaluations · model: {self.model_name()}")

    def no_model_reason(self) -> str:
        """Why this run has no model, as a sentence."""
        if self.live:
            return "its search is still going; the model is ready when it ends."
        if self.status in ("stopped", "interrupted") and not self.records:
            return "it was stopped before any pipeline finished."
        if self.status == "failed":
            return "the search failed" + (f" ({self.message})" if self.message else "") + "."
        if self.status == "interrupted":
            return "its search was interrupted (the server stopped); resume it from History to get one."
        return "this server no longer holds it and no model file was saved; extend the run from History."

    def table(self) -> pd.DataFrame | None:
        """The table this run searched (target included), or None if it was not saved."""
        if self.data_path and os.path.isfile(self.data_path):
            return stored_table(self.data_path, os.path.getmtime(self.data_path))
        return None


@st.cache_resource(max_entries=4, show_spinner=False)
def stored_table(path: str, mtime: float) -> pd.DataFrame:
    """A run's saved table (shared read-only between sessions; ``mtime`` keys a changed file)."""
    return pd.read_parquet(path)


@st.cache_resource(max_entries=4, show_spinner=False)
def stored_model(path: str, mtime: float):
    """A run's saved model file, loaded once (None if it cannot be loaded)."""
    from automl_engine.model.skops_io import load_model

    try:
        return load_model(path)
    except Exception as exc:  # noqa: BLE001 - the run is shown without a model
        logger.warning("could not load the model file %s: %s", path, exc)
        return None


def _from_job(job: SearchJob) -> Run:
    return Run(job.run_id, job.name, job.target, job.status, dict(job.settings), job.records(), job, job.result,
               str(job.data_path) if job.data_path else None, job.error or "")


def _from_store(stored: dict, records: list) -> Run:
    path = stored.get("model_path")
    model = stored_model(path, os.path.getmtime(path)) if path and os.path.isfile(path) else None
    return Run(stored["id"], stored["name"], stored["target"], run_status(stored), stored["settings"], records, None,
               model, stored.get("data_path"), stored.get("message") or "", read_summary(path))


def find_run(run_id: str | None) -> Run | None:
    """The session owner's run ``run_id``: this server's job when it has one, else the stored run."""
    if not run_id:
        return None
    owner = st.session_state.get("owner")
    manager = job_manager()
    job = manager.get(run_id)
    if job is not None and job.owner == owner:
        return _from_job(job)
    store = manager.store()
    stored = store.get(run_id)
    if stored is None or stored["owner"] != owner:
        return None
    return _from_store(stored, store.history(run_id))


def current_run() -> Run | None:
    """The run the session works on (None before its first search)."""
    return find_run(st.session_state.get("run_id"))


def show_run(run_id: str | None) -> None:
    """Make ``run_id`` the session's run, in the session and in the address."""
    st.session_state["run_id"] = run_id
    if run_id:
        st.query_params["run"] = run_id
    elif "run" in st.query_params:
        del st.query_params["run"]


def searching_job() -> SearchJob | None:
    """A search of this owner that is queued or running on this server."""
    owner = st.session_state.get("owner")
    return next((j for j in job_manager().jobs(owner) if not j.done), None)


def load_run_table(run_id: str) -> bool:
    """Put a run's table, target, task, left-out columns and search settings back (False: no saved table)."""
    ss = st.session_state
    run = find_run(run_id)
    frame = run.table() if run is not None else None
    if frame is None:
        return False
    set_data(frame, run.name, run.target, loaded_at=run_created(run_id))   # not "a table loaded since" the run
    ss["exclude"] = [c for c in run.settings.get("exclude_columns") or [] if c in frame.columns]
    ss["task"] = run.settings.get("task") if run.settings.get("task") in ("binary", "multiclass", "regression") \
        else "auto"
    task = run.task
    search_settings.apply(run.settings, task_type_of(task) if task else None)
    ss["settings_note"] = None
    return True


def open_run(run_id: str) -> None:
    """Reopen one of the owner's runs: it becomes the session's run and its table is loaded."""
    if find_run(run_id) is None:
        raise KeyError(run_id)
    load_run_table(run_id)
    show_run(run_id)


def resume_run(run_id: str, extra_evals: int = 0, extra_seconds: float = 0.0) -> SearchJob:
    ss = st.session_state
    job = job_manager().resume(run_id, owner=ss["owner"], extra_evals=extra_evals, extra_seconds=extra_seconds)
    open_run(run_id)
    ss["job"] = job
    return job


def start_search(settings: dict) -> SearchJob:
    """Start a search of the Data page's table; it becomes the session's run."""
    ss = st.session_state
    job = job_manager().submit(ss["data"], ss["target"],
                               {**settings, "task": ss["task"], "exclude_columns": ss["exclude"]},
                               owner=ss["owner"], name=ss["data_name"] or "table")
    ss["job"] = job
    show_run(job.run_id)
    return job


def run_created(run_id: str) -> float:
    """When the run was created (its stored ``created``), 0.0 if it is not stored."""
    stored = job_manager().store().get(run_id)
    return float(stored["created"]) if stored else 0.0


def restore_from_address() -> None:
    """Once per session: the run in the address (``?run=``) and the table the owner was preparing.

    Without a run in the address, the owner's search going on on this server is shown. The Data page
    gets the newer of the two: the draft table when it was loaded after the run started (a table
    loaded during a search), else the run's own table and settings.
    """
    from automl_app import drafts

    ss = st.session_state
    run_id = st.query_params.get("run")
    run = find_run(run_id) if run_id else None
    live = searching_job()
    if run is None and live is not None:      # an address without the run (a bookmark): the search going on
        run = find_run(live.run_id)
    draft = drafts.load(ss["owner"])
    created = 0.0
    if run is not None:
        show_run(run.run_id)
        created = run_created(run.run_id)
    elif run_id:
        del st.query_params["run"]
    if draft is not None and (run is None or draft.loaded_at > created):
        set_data(draft.frame, draft.name, draft.target, keep_draft=True)
        ss["task"], ss["exclude"] = draft.task, list(draft.exclude)
    elif run is not None:
        load_run_table(run.run_id)
