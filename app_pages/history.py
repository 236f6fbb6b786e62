"""History: this session's past runs; reopen one, resume an interrupted one, or extend a finished one."""
from datetime import datetime

import pandas as pd
import streamlit as st

from automl_app import columns, views
from automl_app.navigation import LEADERBOARD, SEARCH
from automl_app.state import job_manager, run_status
from automl_app.text import md, short
from automl_app.workspace import open_run, resume_run, searching_job
from automl_engine.errors import DataError
from automl_engine.service.jobs import read_summary, run_summary

ss = st.session_state
manager = job_manager()
st.title("History")
runs = manager.store().list(owner=ss["owner"])
if not runs:
    st.info("No runs yet. Every search you start is saved here as it goes, with its data, so you can come "
            "back to it, even after the browser was closed (keep this page's address: it carries your id).",
            icon=":material/history:")
    st.stop()

for run in runs:
    run["shown_status"] = run_status(run)
    live = manager.get(run["id"])
    summary = run_summary(live.result) if live is not None and live.result is not None else \
        read_summary(run.get("model_path"))
    # the best score the Search page announced: the ensemble's when it is the model
    run["best"] = summary.get("best_score") if summary.get("best_score") is not None else run["best_score"]
    run["model"] = summary.get("model") or ""
table = pd.DataFrame([{
    "started": datetime.fromtimestamp(r["created"]), "data": r["name"], "target": r["target"], "task": r["task"],
    "metric": r["metric"], "status": r["shown_status"], "evaluations": r["n_evaluations"],
    "best score": r["best"], "model": r["model"], "run": r["id"]} for r in runs])
st.dataframe(table, hide_index=True, column_config={
    "started": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
    "best score": st.column_config.NumberColumn(format="%.4f")})

by_id = {r["id"]: r for r in runs}
run_id = st.selectbox("Run", list(by_id), key="history_run", format_func=lambda i: (
    f"{datetime.fromtimestamp(by_id[i]['created']):%Y-%m-%d %H:%M} · {short(by_id[i]['name'], 40)} · "
    f"{by_id[i]['shown_status']} · {by_id[i]['n_evaluations']} evaluations · {i}"))
run = by_id[run_id]
status = run["shown_status"]
if run["message"]:
    st.caption(md(run["message"], limit=400))

left, right = st.columns([2, 3])
with left:
    st.write("Settings")
    st.json({"target": run["target"], **run["settings"]})
with right:
    history = manager.store().history(run_id)
    if history:
        live = manager.get(run_id)
        st.write("Leaderboard")
        st.dataframe(views.board(history, live.result if live is not None else None, run["metric"]),
                     hide_index=True, height=260, column_config=columns.BOARD, placeholder="", key="history_board")
    else:
        st.write("No evaluation finished in this run.")

live = manager.is_live(run_id)
mine_running = searching_job() is not None
resumable = bool(run["data_path"]) and not live
why_not = ("This run is still going: open it to watch." if live else
           "Another search of yours is running; stop it first." if mine_running else
           None if run["data_path"] else "The data of this run was not saved.")

c1, c2, c3 = st.columns(3)
with c1:
    if st.button("Open this run", icon=":material/open_in_new:", key="open_run", type="primary",
                 help="Show its leaderboard and charts (and load its data)."):
        open_run(run_id)
        st.switch_page(LEADERBOARD.path)
with c2:
    if status in ("interrupted", "stopped", "failed"):
        if st.button("Resume this run", icon=":material/play_arrow:", key="resume_run",
                     disabled=not resumable or mine_running, help=why_not or
                     "Go on where it ended: the evaluations done count against its budget."):
            try:
                resume_run(run_id)
                st.switch_page(SEARCH.path)
            except DataError as exc:
                st.error(md(str(exc), limit=400), icon=":material/error:")
with c3:
    extra = st.number_input("More pipelines", 0, 1000, 5, key="extra_evals")
    timed = bool(run["settings"].get("time_budget"))
    extra_seconds = st.number_input("More seconds", 0, 24 * 3600, 60 if timed else 0, step=30, key="extra_seconds",
                                    help="A run with a time budget also needs more time to go on.")
    if st.button("Extend this run", icon=":material/add:", key="extend_run", disabled=not resumable or mine_running,
                 help=why_not or "Evaluate more pipelines, continuing from everything this run learned."):
        try:
            resume_run(run_id, extra_evals=int(extra), extra_seconds=float(extra_seconds))
            st.switch_page(SEARCH.path)
        except DataError as exc:
            st.error(md(str(exc), limit=400), icon=":material/error:")
