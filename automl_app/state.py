"""Session state and the server-wide objects of the app.

Session keys (set with ``setdefault`` by :func:`init_session`, called by ``streamlit_app.py``):

========================  =====================================================================
``owner``                 this session's id (hex); runs are stored under it: the signed-in user's
                          (``automl_app.identity``), or on a single-user server a random id kept in
                          the URL (``?owner=``) so a reloaded or reopened tab finds its runs again
``data``                  the loaded table (DataFrame, target column included) or None
``data_name``             its file or sample name
``data_token``            increases each time a table is loaded (widget keys, stale models)
``target``                the column to predict, or None
``task``                  "auto" or the task chosen over the detected one
``exclude``               columns left out of the features
``job``                   the session's latest SearchJob, or None
``run_id``                the run the Search, Leaderboard, Explain and Predict pages show; kept in
                          the URL (``?run=``) so a reload restores it (see ``automl_app.workspace``)
``settings_note``         a sentence for the Search page after a new table reset the settings
``restored``              the address (run, draft table) was read once for this session
========================  =====================================================================
"""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from automl_engine.evaluation import available_cores
from automl_engine.service.jobs import JobManager

DEFAULTS = {
    "data": None, "data_name": "", "data_token": 0, "target": None, "task": "auto", "exclude": [],
    "job": None, "run_id": None, "settings_note": None,
}


@st.cache_resource
def job_manager() -> JobManager:
    """The server's one JobManager (bounds evaluation workers over all sessions)."""
    return JobManager(max_workers=int(os.environ.get("AUTOML_MAX_WORKERS") or available_cores()))


def init_session() -> None:
    """Session defaults, the owner id, and (once per session) the run and table of the address."""
    from automl_app import identity

    ss = st.session_state
    who = identity.session_identity()  # signed in (the address's owner id is ignored), or single-user
    ss["owner"] = who.owner
    if who.auth:
        if "owner" in st.query_params:
            del st.query_params["owner"]
    elif st.query_params.get("owner") != ss["owner"]:
        st.query_params["owner"] = ss["owner"]
    identity.sidebar(who)
    for key, value in DEFAULTS.items():
        ss.setdefault(key, list(value) if isinstance(value, list) else value)
    if not ss.get("restored"):
        ss["restored"] = True
        from automl_app.workspace import restore_from_address

        restore_from_address()
    elif ss.get("run_id") and st.query_params.get("run") != ss["run_id"]:
        st.query_params["run"] = ss["run_id"]


def set_data(frame: pd.DataFrame, name: str, target: str | None = None, keep_draft: bool = False,
             loaded_at: float | None = None) -> None:
    """Load a new table into the Data page (the session's run, and a running search, keep their own table).

    The search settings go back to their defaults (``settings_note`` says so on the Search page), and
    the table is kept on disk as the owner's draft, so a reload finds it (``keep_draft``: it is that draft;
    ``loaded_at``: the time it counts as loaded, default now).
    """
    from automl_app import drafts, settings

    ss = st.session_state
    had_table = ss.get("data") is not None
    ss["data"], ss["data_name"] = frame, name
    ss["data_token"] = ss.get("data_token", 0) + 1
    ss["target"] = target if target in frame.columns else None
    ss["task"], ss["exclude"] = "auto", []
    settings.reset()
    ss["settings_note"] = "A new table: the search settings are back to their defaults." if had_table else None
    if not keep_draft:
        drafts.save_table(ss["owner"], frame, name, ss["target"], loaded_at=loaded_at)


def remember_choices() -> None:
    """Keep the Data page's target, task and left-out columns with the draft (for a reload)."""
    from automl_app import drafts

    ss = st.session_state
    choices = {"target": ss.get("target"), "task": ss.get("task"), "exclude": list(ss.get("exclude") or [])}
    if ss.get("draft_choices") != choices:
        ss["draft_choices"] = choices
        drafts.save_choices(ss["owner"], **choices)


@st.cache_data(max_entries=8, show_spinner=False)
def profile(frame: pd.DataFrame, target: str | None, task: str, exclude: tuple) -> dict:
    """Column profile, detected task and guardrails (cached per table and choice)."""
    from automl_app.outcomes import many_classes, report_alert
    from automl_engine.data.intake import infer_column_types, prepare_data
    from automl_engine.errors import DataError

    columns = infer_column_types(frame, target)
    out = {"columns": columns, "task": None, "report": None, "error": None, "dropped": [], "n_rows": len(frame),
           "alerts": []}
    if target is None:
        return out
    try:
        prepared = prepare_data(frame, target, task=task, exclude=exclude)
    except DataError as exc:
        out["error"] = str(exc)
        return out
    n_classes = 0 if prepared.task == "regression" else int(prepared.y.nunique())
    alerts = [many_classes(n_classes, len(prepared.y)) if n_classes else None, report_alert(prepared.report)]
    out.update(task=prepared.task, report=prepared.report.to_frame(), columns=prepared.columns,
               alerts=[a for a in alerts if a],
               dropped=[c for c in prepared.columns if c != target and c not in prepared.column_types])
    return out


def run_status(run: dict) -> str:
    """A stored run's status, "interrupted" for one marked running/queued that no job here runs."""
    if run["status"] in ("running", "queued") and not job_manager().is_live(run["id"]):
        return "interrupted"
    return run["status"]
