"""Leaderboard: every evaluated pipeline, one pipeline's details, holdout diagnostics of the best."""
import streamlit as st

from automl_app import charts, columns, views
from automl_app.diagnostics import METHOD, holdout_diagnostics
from automl_app.navigation import go_to_search
from automl_app.state import current_view
from automl_app.text import md, short
from automl_engine.catalogue import load_catalogue, task_type_of
from automl_engine.errors import DataError

ss = st.session_state
st.title("Leaderboard")
view = current_view()
if not view.records:
    st.info("No evaluated pipelines yet: start a search, or reopen a past run from History.",
            icon=":material/leaderboard:")
    go_to_search()
    st.stop()

automl = view.automl if hasattr(view.automl, "leaderboard_") else None
board = views.leaderboard(view.records, automl)
st.caption(md(f"Run {view.run_id} · {view.name} · target {short(view.target)} · {view.status} · "
              f"{len(view.records)} evaluations"))

families = sorted(board["family"].dropna().unique().tolist())
chosen = st.multiselect("Families", families, default=families, key=f"families_{view.run_id}")
shown = board[board["family"].isin(chosen)]
st.dataframe(shown[[c for c in views.BOARD_COLUMNS if c in shown.columns]], hide_index=True, key="board",
             column_config=columns.BOARD)
if automl is not None and automl.ensemble_:
    st.caption(md("The model in use is the ensemble: " + ", ".join(
        f"{w:.2f} × {short(d, 70)}" for w, d in automl.ensemble_["members"]), limit=None))

# -- one pipeline -------------------------------------------------------------------------------
st.subheader("Pipeline details")
by_iteration = {int(r["iteration"]): r for r in view.records}
ranked = [int(i) for i in board["iteration"].tolist() if int(i) in by_iteration]
picked = st.selectbox("Pipeline", ranked, key=f"detail_{view.run_id}",
                      format_func=lambda i: f"#{i} · {short(by_iteration[i]['description'], 110)}")
catalogue = getattr(view.automl, "catalogue_", None)
task = getattr(view.automl, "task_", None) or view.settings.get("task")
if catalogue is None and task in ("binary", "multiclass", "regression"):
    catalogue = load_catalogue(task_type_of(task))
if picked is not None:
    record = by_iteration[picked]
    details = views.pipeline_details(catalogue, record)
    left, right = st.columns([3, 2])
    with left:
        st.json({k: v for k, v in details.items() if k != "fold_scores"})
    with right:
        folds = details.get("fold_scores") or []
        if folds:
            st.write("Score per fold")
            st.bar_chart({"fold": list(range(1, len(folds) + 1)), "score": folds}, x="fold", y="score", height=220)
        st.metric("Fit time per fold (s)", "—" if details.get("fit_time_s") is None else f"{details['fit_time_s']:.2f}")

# -- diagnostics of the best model ---------------------------------------------------------------
st.subheader("Holdout diagnostics of the best pipeline")
st.caption(f"Computed on {METHOD}. The cross-validated scores above come from the search itself.")
data_matches = view.job is None or ss.get("job_token") == ss.get("data_token")
if automl is None or getattr(automl, "best_pipeline_", None) is None:
    st.info("Diagnostics need the fitted model of this run: they appear when a search of this session "
            "finishes (resume a reopened run from History to get one).", icon=":material/query_stats:")
    st.stop()
if ss["data"] is None or not data_matches:
    st.info("The table this model was trained on is no longer loaded.", icon=":material/table:")
    st.stop()
diagnostics = ss["diagnostics"].get(view.run_id)
if diagnostics is None and st.button("Compute holdout diagnostics", icon=":material/query_stats:", key="diagnose"):
    try:
        with st.spinner("Refitting the best pipeline on 80 % of the rows…"):
            diagnostics = holdout_diagnostics(automl, ss["data"], view.target or ss["target"], ss["exclude"],
                                              random_state=int(view.settings.get("random_state") or 0))
        ss["diagnostics"][view.run_id] = diagnostics
        st.rerun()
    except (DataError, ValueError) as exc:
        st.error(md(f"The diagnostics could not be computed: {exc}", limit=400), icon=":material/error:")
if diagnostics is not None:
    st.caption(md(f"{diagnostics['pipeline']} · {diagnostics['n_test']} holdout rows", limit=None))
    left, right = st.columns(2)
    if diagnostics["kind"] == "classification":
        with left:
            st.altair_chart(charts.confusion_chart(diagnostics["confusion"]), key="confusion_chart")
            st.metric("Holdout accuracy", f"{diagnostics['accuracy']:.3f}")
        with right:
            if len(diagnostics["roc"]):
                st.altair_chart(charts.roc_chart(diagnostics["roc"]), key="roc_chart")
            else:
                st.info("This pipeline gives no class probabilities, so there is no ROC curve.")
    else:
        with left:
            st.altair_chart(charts.predicted_actual_chart(diagnostics["points"]), key="pva_chart")
            st.metric("Holdout RMSE", f"{diagnostics['rmse']:.4g}")
        with right:
            st.altair_chart(charts.residuals_chart(diagnostics["points"]), key="residuals_chart")
