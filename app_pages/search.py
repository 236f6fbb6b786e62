"""Search: settings, Start and Stop, and the live view of the search (polled once a second)."""
import streamlit as st

from automl_app import charts, columns, views
from automl_app.navigation import DATA, link
from automl_app.state import current_view, job_manager, profile, start_search
from automl_app.text import duration, md, short
from automl_engine.catalogue import load_catalogue, task_type_of
from automl_engine.evaluation.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from automl_engine.search.leaderboard import skipped_sentence

ss = st.session_state
manager = job_manager()
STRATEGIES = {"pmf": "Recommender (PMF: learned from past datasets)", "random": "Random (baseline)"}

st.title("Search")
view = current_view()
searching = view.job is not None and not view.job.done

# -- settings ----------------------------------------------------------------------------------
data, target = ss["data"], ss["target"]
task = None
if data is None or target is None:
    st.info("Load a table and pick its target on the Data page first.", icon=":material/table:")
    link(DATA, "Go to Data", icon=":material/arrow_back:")
else:
    checked = profile(data, target, ss["task"], tuple(ss["exclude"]))
    task = checked["task"]
    if checked["error"]:
        st.error(md(checked["error"], limit=600), icon=":material/error:")
if task is not None:
    st.caption(md(f"{ss['data_name']} · target {short(target)} · {task}"))
    metrics = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    with st.container(border=True):
        c1, c2, c3 = st.columns(3)
        with c1:
            metric = st.selectbox("Metric", ["auto", *metrics], key=f"opt_metric_{task_type_of(task)}",
                                  persist_state="session", help="auto: balanced accuracy for classification, R² for "
                                  "regression. Scores are oriented so that higher is better (losses are negated).")
            strategy = st.radio("Strategy", list(STRATEGIES), format_func=STRATEGIES.get, key="opt_strategy",
                                persist_state="session")
        with c2:
            seconds = st.number_input("Time budget (seconds, 0 = none)", 0, 24 * 3600, 120, step=30,
                                      key="opt_seconds", persist_state="session",
                                      help="Covers the whole run: the search keeps back the time it predicts the "
                                      "final refit of the best pipelines (and an ensemble) will take.")
            max_evals = st.number_input("Pipelines to evaluate (0 = none)", 0, 10_000, 25, key="opt_max_evals",
                                        persist_state="session", help="The search ends at whichever budget comes "
                                        "first; with neither, after 25 pipelines.")
            ensemble = st.checkbox("Try an ensemble of the best pipelines", True, key="opt_ensemble",
                                   persist_state="session")
        with c3:
            folds = st.selectbox("Cross-validation folds", ["auto", 3, 5, 10], key="opt_folds", persist_state="session",
                                 help="auto: 10 folds below 1,000 rows, 5 below 20,000, else a holdout.")
            # a lone user gets every worker of the server; with others searching, the queue shares them
            workers = st.number_input(f"Parallel workers (this server shares {manager.max_workers})", 1,
                                      manager.max_workers, manager.max_workers, key="opt_workers",
                                      persist_state="session")
            seed = st.number_input("Random seed", 0, 2**31 - 1, 0, key="opt_seed", persist_state="session")
        learn = st.checkbox("Let this search improve future recommendations (its scores stay on this machine)",
                            True, key="opt_learn", persist_state="session")
        settings = {"metric": metric, "strategy": strategy, "time_budget": float(seconds) or None,
                    "max_evals": int(max_evals) or None, "n_folds": None if folds == "auto" else int(folds),
                    "n_jobs": int(workers), "random_state": int(seed), "ensemble": ensemble, "learn": learn}
        if st.button("Start the search", type="primary", icon=":material/play_arrow:", disabled=searching,
                     key="start", help="Stop the running search first." if searching else None):
            start_search(settings)
            st.rerun()

# -- the live view ------------------------------------------------------------------------------
ss["live_active"] = searching


def progress_block(view) -> None:
    job = view.job
    if job is None:
        st.info(md(f"Reopened run {view.run_id}: {view.status}, {len(view.records)} evaluations."),
                icon=":material/history:")
        return
    progress = job.progress
    position = manager.queue_position(job) if job.status == "queued" else None
    if job.status == "queued" and (position is None or manager.in_use + job.slots <= manager.max_workers):
        st.info("Starting the search…", icon=":material/hourglass_top:")
    elif job.status == "queued":
        st.info(f"Queued{f' (number {position} in line)' if position else ''}: {manager.in_use} of "
                f"{manager.max_workers} evaluation workers of this server are busy with other searches. "
                "This search starts on its own when they free up.", icon=":material/hourglass_top:")
    elif job.status == "running":
        parts = [progress.phase, f"{progress.n_done} of {progress.max_evals or '?'} pipelines",
                 f"{duration(progress.elapsed)} elapsed"]
        if progress.eta is not None:
            parts.append(f"about {duration(progress.eta)} left")
        if progress.current:
            parts.append("now: " + short(progress.current[0], 90))
        st.progress(progress.fraction, text=md(" · ".join(parts), limit=None))
    elif job.status == "finished":
        best = job.result.leaderboard_["score"].max() if job.result is not None else float("nan")
        st.success(f"Finished: {progress.n_done} pipelines evaluated, best {job.result.metric_} {best:.4f}.",
                   icon=":material/check_circle:")
    elif job.status == "stopped":
        outcome = ("The best pipeline so far was refitted; see the Leaderboard page." if job.result is not None
                   else "No pipeline had finished, so there is no model.")
        st.warning(md(f"Stopped after {progress.n_done} evaluations. {outcome}", limit=None),
                   icon=":material/stop_circle:")
    else:
        st.error(md(job.error or "The search failed.", limit=600), icon=":material/error:")
    if not job.done and st.button("Stop" if job.status != "queued" else "Cancel", icon=":material/stop:", key="stop"):
        job.stop()
        st.toast("Stopping: the evaluations in flight are ended, the best pipeline so far is kept.")


def latent_block(view) -> None:
    automl = view.automl
    recommender = getattr(automl, "recommender_", None)
    catalogue = getattr(automl, "catalogue_", None)
    task = getattr(automl, "task_", None) or (view.settings.get("task") if view.job is None else None)
    if recommender is None and view.job is None and task in ("binary", "multiclass", "regression"):
        recommender = manager.loaded_recommender(task_type_of(task))
        catalogue = load_catalogue(task_type_of(task)) if recommender is not None else None
    if not views.has_latent_space(recommender) or catalogue is None:
        st.info("The latent-space map appears for searches with the recommender strategy once knowledge for "
                "this kind of task is installed; this search samples the catalogue at random.",
                icon=":material/scatter_plot:")
        return
    events = view.job.events() if view.job is not None else []
    last = events[-1] if events else None
    mean = getattr(last, "posterior_mean", None)
    std = getattr(last, "posterior_std", None)
    frame = views.latent_frame(recommender, catalogue, view.records, mean, std,
                               meta_features=getattr(automl, "meta_features_", None))
    st.altair_chart(charts.latent_chart(frame), key="latent_chart")
    st.caption("Every pipeline of the catalogue at its learned position: nearby pipelines perform alike across "
               "past datasets. Colour: predicted score now; faint = uncertain; ringed numbers = evaluated, in order.")
    with st.expander("Why these pipelines?"):
        meta = getattr(automl, "meta_features_", None)
        if not meta:
            st.write("The search has not computed this dataset's meta-features yet.")
            return
        near = views.warm_start_frame(recommender, meta, manager.knowledge(catalogue.task_type), view.records)
        st.write(views.warm_start_explanation(recommender) + " Nearest first:")
        slow = skipped_sentence(automl.skipped_too_slow() if hasattr(automl, "skipped_too_slow") else {})
        if slow:
            st.write(slow)
        st.dataframe(near, hide_index=True, column_config={"distance": st.column_config.NumberColumn(format="%.2f")})
        picks = near.attrs.get("warm_start_picks", [])
        if picks:
            st.write("Pipelines the warm start picked here:")
            st.dataframe({"pipeline": picks}, hide_index=True)


@st.fragment(run_every=1.0 if searching else None)
def live() -> None:
    view = current_view()
    if view.run_id is None:
        if task is not None:
            st.info("Set a budget and start the search; its progress and charts appear here.",
                    icon=":material/travel_explore:")
        return
    if ss.get("live_active") and (view.job is None or view.job.done):
        ss["live_active"] = False
        st.rerun()       # the whole page: adopt the model, stop polling
    st.subheader(f"Run {view.run_id}")
    progress_block(view)
    if not view.records:
        return
    board = views.leaderboard(view.records, view.job.result if view.job is not None else view.automl)
    st.dataframe(board[[c for c in views.BOARD_COLUMNS if c in board.columns]], hide_index=True,
                 column_config=columns.BOARD, height=240, key="live_board")
    left, right = st.columns(2)
    with left:
        metric_name = getattr(view.automl, "metric_", None) or view.settings.get("metric") or "score"
        st.altair_chart(charts.convergence_chart(views.convergence_frame(view.records), metric_name),
                        key="convergence_chart")
        st.caption("Dots: each evaluation's cross-validated score; red line: the best so far; grey: what the "
                   "recommender predicted (± one standard deviation) before trying it.")
    with right:
        latent_block(view)


live()
