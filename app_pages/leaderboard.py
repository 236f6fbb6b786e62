"""Leaderboard: every evaluated pipeline, one pipeline's details, holdout diagnostics of the best."""
import streamlit as st

from automl_app import charts, columns, outcomes, views
from automl_app.diagnostics import METHOD, holdout_diagnostics
from automl_app.navigation import go_to_search
from automl_app.text import md, short
from automl_app.work import diagnostics_key, sentence, task_board, wait_block
from automl_app.workspace import current_run
from automl_engine.catalogue import load_catalogue, task_type_of

ss = st.session_state
st.title("Leaderboard")
run = current_run()
if run is None:
    st.info("No run yet: start a search, or reopen a past run from History.", icon=":material/leaderboard:")
    go_to_search()
    st.stop()
st.caption(md(run.header(), limit=None))
if not run.records:
    st.info(md(f"Run {run.run_id} has no evaluated pipeline" + (" yet." if run.live else
               f": {run.no_model_reason()}"), limit=None), icon=":material/leaderboard:")
    go_to_search()
    st.stop()

automl = run.searchable
board = views.leaderboard(run.records, automl)
metric = getattr(automl, "metric_", None) or getattr(run.model, "metric_", None) or run.settings.get("metric")
families = sorted(board["family"].dropna().unique().tolist())
chosen = st.multiselect("Families", families, default=families, key=f"families_{run.run_id}")
shown = outcomes.board_display(board[board["family"].isin(chosen)], run.records, metric)
st.dataframe(shown, hide_index=True, key="board", column_config=columns.BOARD, placeholder="")
if automl is not None and automl.ensemble_:
    st.caption(md("The model in use is the ensemble: " + ", ".join(
        f"{w:.2f} × {short(d, 70)}" for w, d in automl.ensemble_["members"]), limit=None))
missing = outcomes.ensemble_missing(automl, run.settings)
if missing:
    st.caption(md(missing, limit=None))

# -- one pipeline -------------------------------------------------------------------------------
st.subheader("Pipeline details")
by_iteration = {int(r["iteration"]): r for r in run.records}
ranked = list(dict.fromkeys(int(i) for i in board["iteration"].tolist() if int(i) in by_iteration))
picked = st.selectbox("Pipeline", ranked, key=f"detail_{run.run_id}",
                      format_func=lambda i: f"#{i} · {short(by_iteration[i]['description'], 110)}")
catalogue = getattr(automl, "catalogue_", None)
if catalogue is None and run.task is not None:
    catalogue = load_catalogue(task_type_of(run.task))
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
if automl is None or getattr(automl, "best_pipeline_", None) is None:
    why = ("its search is still going" if run.live else "this server holds only the run's model file, not the "
           "pipelines of its search (it was restarted); extend the run from History to refit them"
           if run.model is not None else run.no_model_reason().rstrip("."))
    st.info(md(f"Diagnostics need the fitted pipelines of run {run.run_id}: {why}.", limit=None),
            icon=":material/query_stats:")
    st.stop()
frame = run.table()
if frame is None:
    st.info(md(f"The table of run {run.run_id} was not saved, so there are no rows to test on.", limit=None),
            icon=":material/table:")
    st.stop()
key = diagnostics_key(run.run_id)
task = task_board().get(key)
if task is None or task.status == "failed":
    if task is not None:
        st.error(md(task.error, limit=600), icon=":material/error:")
    if st.button("Compute holdout diagnostics", icon=":material/query_stats:", key="diagnose"):
        exclude = list(run.settings.get("exclude_columns") or [])
        seed = int(run.settings.get("random_state") or 0)
        task = task_board().start(key, lambda progress: holdout_diagnostics(
            automl, frame, run.target, exclude, random_state=seed, progress=progress), sentence("diagnostics"))
        st.rerun()
    st.stop()
if task.running:
    wait_block(key, "Refitting the best pipeline on 80 % of the rows")
    st.stop()
diagnostics = task.result
metric_score = diagnostics.get("metric_score")
if automl.ensemble_ and diagnostics.get("model_metric_score") is not None:
    st.caption(f"The ensemble in use, its pipelines refitted on the same 80 %, scores "
               f"{diagnostics['model_metric_score']:.4f} ({diagnostics['metric']}) on the same holdout rows; "
               "this is the model card's holdout score.")
st.caption(md(f"{diagnostics['pipeline']} · {diagnostics['n_test']:,} holdout rows", limit=None))
left, right = st.columns(2)
metric_label = f"Holdout {diagnostics.get('metric') or 'score'} (the search's metric)"
if diagnostics["kind"] == "classification":
    with left:
        st.altair_chart(charts.confusion_chart(diagnostics["confusion"]), key="confusion_chart")
        a, b = st.columns(2)
        a.metric("Holdout accuracy", f"{diagnostics['accuracy']:.3f}")
        b.metric(metric_label, "—" if metric_score is None else f"{metric_score:.4f}")
    with right:
        if len(diagnostics["roc"]):
            st.altair_chart(charts.roc_chart(diagnostics["roc"]), key="roc_chart")
        else:
            st.info("This pipeline gives no class probabilities, so there is no ROC curve.")
else:
    with left:
        st.altair_chart(charts.predicted_actual_chart(diagnostics["points"]), key="pva_chart")
        a, b = st.columns(2)
        a.metric("Holdout RMSE", f"{diagnostics['rmse']:.4g}")
        b.metric(metric_label, "—" if metric_score is None else f"{metric_score:.4f}")
    with right:
        st.altair_chart(charts.residuals_chart(diagnostics["points"]), key="residuals_chart")
