"""Session state and the server-wide objects of the app.

Session keys (set with ``setdefault`` by :func:`init_session`, called by ``streamlit_app.py``):

========================  =====================================================================
``owner``                 this session's id (hex); runs are stored under it; kept in the URL
                          (``?owner=``) so a reloaded or reopened tab finds its runs again
``data``                  the loaded table (DataFrame, target column included) or None
``data_name``             its file or sample name
``data_token``            increases each time a table is loaded (widget keys, stale models)
``target``                the column to predict, or None
``task``                  "auto" or the task chosen over the detected one
``exclude``               columns left out of the features
``job``                   the session's SearchJob (queued, running or done), or None
``job_token``             ``data_token`` of the data the job searches
``automl``                the fitted AutoML of the session's latest search, or None
``automl_run``            run id of ``automl``
``run_view``              a stored run reopened from History: dict(run=..., records=[...]), or None
``diagnostics``           {run id: holdout diagnostics} computed on the Leaderboard page
========================  =====================================================================
"""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from automl_engine.evaluation import available_cores
from automl_engine.service.jobs import JobManager, SearchJob

DEFAULTS = {
    "data": None, "data_name": "", "data_token": 0, "target": None, "task": "auto", "exclude": [],
    "job": None, "job_token": None, "automl": None, "automl_run": None, "run_view": None,
}
_OWNER_RE = re.compile(r"^[0-9a-f]{32}$")


@st.cache_resource
def job_manager() -> JobManager:
    """The server's one JobManager (bounds evaluation workers over all sessions)."""
    return JobManager(max_workers=int(os.environ.get("AUTOML_MAX_WORKERS") or available_cores()))


def init_session() -> None:
    """Session defaults, the owner id, and adopting the model of a search that has finished."""
    ss = st.session_state
    owner = st.query_params.get("owner", "")
    ss.setdefault("owner", owner if _OWNER_RE.match(owner or "") else uuid.uuid4().hex)
    if st.query_params.get("owner") != ss["owner"]:
        st.query_params["owner"] = ss["owner"]
    for key, value in DEFAULTS.items():
        ss.setdefault(key, list(value) if isinstance(value, list) else value)
    ss.setdefault("diagnostics", {})
    adopt_finished_job()


def adopt_finished_job() -> None:
    """When the session's job has a fitted model, make it ``automl`` (once)."""
    ss = st.session_state
    job: SearchJob | None = ss.get("job")
    if job is None or not job.done or job.result is None or ss.get("automl_run") == job.run_id:
        return
    if ss.get("job_token") == ss.get("data_token"):
        ss["automl"] = job.result
    ss["automl_run"] = job.run_id


def set_data(frame: pd.DataFrame, name: str, target: str | None = None) -> None:
    """Load a new table into the session (a running search goes on with its own copy)."""
    ss = st.session_state
    ss["data"], ss["data_name"] = frame, name
    ss["data_token"] = ss.get("data_token", 0) + 1
    ss["target"] = target if target in frame.columns else None
    ss["task"], ss["exclude"] = "auto", []
    ss["automl"], ss["automl_run"] = None, None
    if ss.get("job") is not None and ss["job"].done:
        ss["job"] = None
    ss["run_view"] = None


def start_search(settings: dict) -> SearchJob:
    ss = st.session_state
    frame = ss["data"]
    job = job_manager().submit(frame, ss["target"], {**settings, "task": ss["task"], "exclude_columns": ss["exclude"]},
                               owner=ss["owner"], name=ss["data_name"] or "table")
    ss["job"], ss["job_token"], ss["run_view"] = job, ss["data_token"], None
    return job


@st.cache_data(max_entries=8, show_spinner=False)
def profile(frame: pd.DataFrame, target: str | None, task: str, exclude: tuple) -> dict:
    """Column profile, detected task and guardrails (cached per table and choice)."""
    from automl_engine.data.intake import infer_column_types, prepare_data
    from automl_engine.errors import DataError

    columns = infer_column_types(frame, target)
    out = {"columns": columns, "task": None, "report": None, "error": None, "dropped": [], "n_rows": len(frame)}
    if target is None:
        return out
    try:
        prepared = prepare_data(frame, target, task=task, exclude=exclude)
    except DataError as exc:
        out["error"] = str(exc)
        return out
    out.update(task=prepared.task, report=prepared.report.to_frame(), columns=prepared.columns,
               dropped=[c for c in prepared.columns if c != target and c not in prepared.column_types])
    return out


@dataclass
class View:
    """The search shown on the Search and Leaderboard pages: the session's job or a reopened run."""

    run_id: str | None = None
    name: str = ""
    target: str = ""
    status: str = ""
    settings: dict = field(default_factory=dict)
    records: list = field(default_factory=list)
    job: SearchJob | None = None
    automl: object = None


def current_view() -> View:
    ss = st.session_state
    job: SearchJob | None = ss.get("job")
    if job is not None:
        automl = job.result or job.automl
        return View(job.run_id, ss.get("data_name", ""), job.target, job.status, job.settings, job.records(),
                    job, automl)
    reopened = ss.get("run_view")
    if reopened:
        run = reopened["run"]
        automl = ss["automl"] if ss.get("automl_run") == run["id"] else None
        return View(run["id"], run["name"], run["target"], reopened["status"], run["settings"],
                    reopened["records"], None, automl)
    return View()


def run_status(run: dict) -> str:
    """A stored run's status, "interrupted" for one marked running/queued that no job here runs."""
    if run["status"] in ("running", "queued") and not job_manager().is_live(run["id"]):
        return "interrupted"
    return run["status"]


def open_run(run_id: str) -> None:
    """Reopen a stored run of this session's owner: its leaderboard and history, and its data."""
    ss = st.session_state
    manager = job_manager()
    store = manager.store()
    run = store.get(run_id)
    if run is None or run["owner"] != ss["owner"]:
        raise KeyError(run_id)
    job = manager.get(run_id)
    if run["data_path"] and os.path.isfile(run["data_path"]):
        set_data(pd.read_parquet(run["data_path"]), run["name"], run["target"])
        ss["exclude"] = list(run["settings"].get("exclude_columns") or [])
        ss["task"] = run["settings"].get("task") or "auto"
    if job is not None:
        ss["job"], ss["job_token"], ss["run_view"] = job, ss["data_token"], None
        ss["automl_run"] = None
        adopt_finished_job()
    else:
        ss["job"] = None
        ss["run_view"] = {"run": run, "records": store.history(run_id), "status": run_status(run)}


def resume_run(run_id: str, extra_evals: int = 0, extra_seconds: float = 0.0) -> SearchJob:
    ss = st.session_state
    job = job_manager().resume(run_id, owner=ss["owner"], extra_evals=extra_evals, extra_seconds=extra_seconds)
    open_run(run_id)
    ss["job"], ss["job_token"], ss["run_view"] = job, ss["data_token"], None
    return job
