"""Search: settings, Start and Stop, and the live view of the search (polled once a second)."""
import streamlit as st

from automl_app import charts, columns, outcomes, views
from automl_app import settings as search_settings
from automl_app.navigation import DATA, link
from automl_app.state import job_manager, profile
from automl_app.text import duration, md, short
from automl_app.workspace import current_run, searching_job, start_search
from automl_engine.catalogue import load_catalogue, task_type_of
from automl_engine.evaluation.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from automl_engine.search.leaderboard import skipped_sentence

ss = st.session_state
manager = job_manager()
STRATEGIES = {"pmf": "Recommender (PMF: learned from past datasets)", "random": "Random (baseline)"}

st.title("Search")
run = current_run()
running = searching_job()
searching = running is not None

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
    st.caption(md(f"Next search: {ss['data_name']} · target {short(target)} · {task}"))
    if ss.get("settings_note"):
        st.caption(ss["settings_note"])
    search_settings.ensure_defaults(manager.max_workers)
    metrics = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    metric_key = search_settings.metric_key(task_type_of(task))
    if ss.get(metric_key) not in ("auto", *metrics):
        ss[metric_key] = "auto"
    with st.container(border=True):
        c1, c2, c3 = st.columns(3)
        with c1:
            metric = st.selectbox("Metric", ["auto", *metrics], key=metric_key,
                                  persist_state="session", help="auto: balanced accuracy for classification, R² for "
                                  "regression. Scores are oriented so that higher is better (losses are negated).")
            strategy = st.radio("Strategy", list(STRATEGIES), format_func=STRATEGIES.get, key="opt_strategy",
                                persist_state="session")
        with c2:
            seconds = st.number_input("Time budget (seconds, 0 = none)", 0, 24 * 3600, step=30,
                                      key="opt_seconds", persist_state="session",
                                      help="Covers the whole run: the search keeps back the time it predicts the "
                                      "final refit of the best pipelines (and an ensemble) will take.")
            max_evals = st.number_input("Pipelines to evaluate (0 = none)", 0, 10_000, key="opt_max_evals",
                                        persist_state="session", help="The search ends at whichever budget comes "
                                        "first; with neither, after 25 pipelines.")
            final_model = st.selectbox("Final model", list(search_settings.FINAL_MODELS),
                                       format_func=search_settings.FINAL_MODELS.get, key="opt_final",
                                       persist_state="session", help="How the model you take away is made from "
                                       "the search; docs/BENCHMARKS.md ('Final model') compares them.")
        with c3:
            folds = st.selectbox("Cross-validation folds", ["auto", 3, 5, 10], key="opt_folds", persist_state="session",
                                 help="auto: 10 folds below 1,000 rows, 5 below 20,000, else a holdout.")
            # a lone user gets every worker of the server; with others searching, the queue shares them
            workers = st.number_input(f"Parallel workers (this server shares {manager.max_workers})", 1,
                                      manager.max_workers, key="opt_workers", persist_state="session")
            seed = st.number_input("Random seed", 0, 2**31 - 1, key="opt_seed", persist_state="session")
        learn = st.checkbox("Let this search improve future recommendations (its scores stay on this machine)",
                            key="opt_learn", persist_state="session")
        settings = {"metric": metric, "strategy": strategy, "time_budget": float(seconds) or None,
                    "max_evals": int(max_evals) or None, "n_folds": None if folds == "auto" else int(folds),
                    "n_jobs": int(workers), "random_state": int(seed), "final_model": final_model,
                    "learn": learn}
        if st.button("Start the search", type="primary", icon=":material/play_arrow:", disabled=searching,
                     key="start", help="Stop the running search first." if searching else None):
            start_search(settings)
            ss["settings_note"] = None
            st.rerun()

# -- the live view ------------------------------------------------------------------------------
live_polling = run is not None and run.live
ss["live_active"] = live_polling


def counted(progress) -> str:
    """"3 of 25 pipelines", or "3 pipelines evaluated" when only time bounds the search."""
    if progress.max_evals:
        return f"{progress.n_done} of {progress.max_evals} pipelines evaluated"
    return f"{progress.n_done} pipeline{'s' if progress.n_done != 1 else ''} evaluated"


def finished_block(run, automl, n_done: int) -> None:
    """The end of a search with a model: green only when nothing about the result needs a second look."""
    board = automl.leaderboard_
    best = board["score"].max() if len(board) else float("nan")
    frame = run.table()
    alerts = outcomes.search_alerts(automl, None if frame is None or run.target not in frame.columns
                                    else frame[run.target])
    head = f"Finished: {n_done} pipelines evaluated, best {automl.metric_} {best:.4f}"
    if alerts:
        st.warning(f"{head}, with {len(alerts)} alert{'s' if len(alerts) > 1 else ''} below.",
                   icon=":material/warning:")
        for alert in alerts:       # sentences of numbers and metric names: no user text
            st.warning(alert, icon=":material/report:")
    else:
        st.success(f"{head}.", icon=":material/check_circle:")
    missing = outcomes.ensemble_missing(automl, run.settings)
    if missing:
        st.caption(missing)


def progress_block(run) -> None:
    job = run.job
    if job is None:
        best = run.summary.get("best_score")
        best_text = f", best {run.summary.get('metric') or 'score'} {best:.4f}" if best is not None else ""
        st.info(md(f"Reopened run {run.run_id}: {run.status}, {len(run.records)} evaluations{best_text}.",
                   limit=None), icon=":material/history:")
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
        parts = [progress.phase, counted(progress), f"{duration(progress.elapsed)} elapsed"]
        budget = job.settings.get("time_budget")
        if budget:
            parts[-1] += f" of a {duration(budget)} budget"
        if progress.eta is not None:
            parts.append(f"about {duration(progress.eta)} left")
        if progress.current:
            parts.append("now: " + short(progress.current[0], 90))
        st.progress(progress.fraction, text=md(" · ".join(parts), limit=None))
    elif job.status == "finished" and job.result is not None:
        finished_block(run, job.result, progress.n_done)
    elif job.status == "stopped":
        outcome = ("The best pipeline so far was refitted; see the Leaderboard page." if job.result is not None
                   else "No pipeline had finished, so this run has no model (Explain and Predict say so).")
        st.warning(md(f"Stopped after {progress.n_done} evaluations. {outcome}", limit=None),
                   icon=":material/stop_circle:")
    else:
        st.error(md(job.error or "The search failed.", limit=600), icon=":material/error:")
    if not job.done and st.button("Stop" if job.status != "queued" else "Cancel", icon=":material/stop:", key="stop"):
        job.stop()
        st.toast("Stopping: the evaluations in flight are ended, the best pipeline so far is kept.")


def latent_block(view, automl) -> None:
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


@st.fragment(run_every=1.0 if live_polling else None)
def live() -> None:
    run = current_run()
    if run is None:
        if task is not None:
            st.info("Set a budget and start the search; its progress and charts appear here.",
                    icon=":material/travel_explore:")
        return
    if ss.get("live_active") and not run.live:
        ss["live_active"] = False
        st.rerun()       # the whole page: stop polling, enable Start
    st.subheader(f"Run {run.run_id}")
    st.caption(md(run.header(), limit=None))
    progress_block(run)
    if not run.records:
        return
    automl = (run.job.result or run.job.automl) if run.job is not None else run.searchable
    metric_name = getattr(automl, "metric_", None) or getattr(run.model, "metric_", None) or \
        run.settings.get("metric") or "score"
    st.dataframe(views.board(run.records, run.searchable, metric_name), hide_index=True,
                 column_config=columns.BOARD, placeholder="", height=240, key="live_board")
    left, right = st.columns(2)
    with left:
        st.altair_chart(charts.convergence_chart(views.convergence_frame(run.records, metric_name), metric_name),
                        key="convergence_chart")
        st.caption("Dots: each evaluation's cross-validated score; red line: the best so far; grey: what the "
                   "recommender predicted (± one standard deviation) before trying it.")
    with right:
        latent_block(run, automl)


live()
