"""``automl fit DATA --target COL ...``: search, print the leaderboard, save the model."""
from __future__ import annotations

import logging
import shlex
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from automl_engine.cli.progress import ProgressBar
from automl_engine.errors import DataError
from automl_engine.evaluation.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from automl_engine.search.events import SEARCHING, PhaseEvent
from automl_engine.search.final import FINAL_MODELS
from automl_engine.search.leaderboard import skipped_sentence
from automl_engine.store.runs import (
    FAILED,
    FINISHED,
    STOPPED,
    LeaseLost,
    RunLease,
    RunStore,
    check_resume,
    new_lease_token,
    resumed_settings,
)

TASKS = ("auto", "binary", "multiclass", "regression", "classification")
LEADERBOARD_ROWS = 10


def add_parsers(sub) -> None:
    fit = sub.add_parser("fit", help="search for a model on a table and save it")
    fit.add_argument("data", type=Path, help="CSV or TSV (also .gz, .bz2, .xz), Parquet or XLSX file")
    fit.add_argument("--target", required=True, help="the column to predict")
    fit.add_argument("--task", choices=TASKS, default="auto")
    fit.add_argument("--metric", choices=("auto",) + CLASSIFICATION_METRICS + REGRESSION_METRICS, default="auto")
    fit.add_argument("--time-budget", type=float, default=None, help="seconds for the search")
    fit.add_argument("--max-evals", type=int, default=None,
                     help="pipelines to evaluate (default 25 without a time budget)")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--strategy", choices=("pmf", "random"), default="pmf")
    fit.add_argument("--fidelity", choices=("auto", "full"), default="auto",
                     help="auto (default): on tables of about 10,000 rows or more, score candidates on row "
                          "samples first and give the best more rows; full: every candidate on all rows")
    fit.add_argument("--n-jobs", type=int, default=-1, help="evaluations at once (default -1: every available core)")
    fit.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a Dask scheduler")
    fit.add_argument("--no-ensemble", action="store_true", help="the final model is one pipeline (--final-model refit)")
    fit.add_argument("--final-model", choices=("auto",) + FINAL_MODELS, default="auto",
                     help="how the final model is made from the search: auto (default, the measured choice), refit "
                          "the winner on every row, bagging (its cross-validation fold models averaged), ensemble, "
                          "bagged-ensemble or stacking of the top pipelines")
    fit.add_argument("--no-learn", action="store_true", help="do not add this search to the local knowledge store")
    fit.add_argument("--exclude", action="append", default=[], help="a column to leave out (repeatable)")
    fit.add_argument("--resume", default=None, metavar="RUN_ID", help="continue an earlier run from the run history")
    fit.add_argument("--out", type=Path, default=Path("model.skops"), help="where to save the model")
    fit.set_defaults(handler=cmd_fit)
    runs = sub.add_parser("runs", help="list the run history (newest first): ids to --resume")
    runs.add_argument("--limit", type=int, default=20, help="how many runs to list")
    runs.set_defaults(handler=cmd_runs)


def cmd_runs(args) -> int:
    """Print the newest runs of the run history: id, start (UTC), status, evaluations, table and target."""
    store = RunStore()
    rows = [{"run": r["id"], "started (UTC)": time.strftime("%Y-%m-%d %H:%M", time.gmtime(r["created"])),
             "status": r["status"], "evaluations": len(store.history(r["id"])), "table": r["name"],
             "target": r["target"]} for r in store.list(limit=max(1, args.limit))]
    if not rows:
        print("no runs yet: `automl fit DATA --target COL` starts one")
        return 0
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


def _check_budget(args) -> None:
    if args.time_budget is not None and args.time_budget <= 0:
        raise DataError("--time-budget must be a positive number of seconds")
    if args.max_evals is not None and args.max_evals < 1:
        raise DataError("--max-evals must be at least 1")
    if args.n_jobs == 0 or args.n_jobs < -1:
        raise DataError("--n-jobs must be at least 1, or -1 for every available core")


def cmd_fit(args) -> int:
    from automl_engine.data.fingerprint import fingerprint
    from automl_engine.data.intake import load_table

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    started = time.perf_counter()  # the time budget counts reading the file too
    _check_budget(args)
    store = RunStore()
    run = None
    if args.resume:
        run = store.get(args.resume)
        if run is None:
            raise DataError(f"there is no run {args.resume!r} in the run history; `automl runs` lists them")
    frame = load_table(args.data)
    if args.target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:8]))
        raise DataError(f"the target column {args.target!r} is not in the table; its columns are: {shown}")
    table_fingerprint = fingerprint(frame)  # of the table as given: known before the (costly) preparation
    task, metric, history = args.task, args.metric, None
    if run is not None:
        check_resume(run, fingerprint=table_fingerprint, target=args.target, task=args.task, metric=args.metric)
        _check_same_exclusions(run, args.exclude)
        task, metric = resumed_settings(run, args.task, args.metric)
        lease = store.lease(run["id"])             # RunInProgress (exit 2) if another process is on it
        run_id = run["id"]
        history = store.history(run_id)             # read under the claim: no one else adds to it now
    else:
        token = new_lease_token()
        run_id = store.create(name=args.data.name, target=args.target, settings=vars_for_run(args),
                              data_path=str(args.data.resolve()), task=args.task, metric=args.metric,
                              fingerprint=table_fingerprint, lease=token)
        lease = RunLease(store, run_id, token).start()
    try:
        with terminate_as_interrupt():
            return _search(args, store, run_id, lease, frame, task, metric, history, recorded=run is not None,
                           started=started)
    finally:
        lease.release()


class terminate_as_interrupt:
    """SIGTERM raises KeyboardInterrupt in the main thread while in this block: the evaluation children are
    ended, the run is marked interrupted (resumable) and the command exits with one line, as for Ctrl-C."""

    def __enter__(self):
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def _search(args, store, run_id, lease, frame, task, metric, history, recorded, started) -> int:
    from automl_engine.automl import AutoML

    budget = args.max_evals or (None if args.time_budget else 25)
    bar = ProgressBar(total=budget or 0, unit="pipelines evaluated" if budget else "% of the time budget")
    store_write = _StoreWrite()
    model = AutoML(task=task, metric=metric, time_budget=args.time_budget, max_evals=args.max_evals,
                   strategy=args.strategy, fidelity=args.fidelity, n_jobs=args.n_jobs, dask_address=args.scheduler,
                   ensemble=not args.no_ensemble, final_model=args.final_model,
                   random_state=args.seed, learn=not args.no_learn,
                   exclude_columns=tuple(args.exclude))

    def on_event(event) -> None:
        nonlocal recorded
        if isinstance(event, PhaseEvent):  # the bar counts evaluations (or seconds); phases are not shown
            if event.phase == SEARCHING:  # the table is prepared: say what was found before the bar starts
                print_data_report(getattr(model, "data_report_", None))
            if event.phase == SEARCHING and not recorded:  # the task and metric are known: a resume must match
                store_write(store.update, run_id, token=lease.token, task=model.task_, metric=model.metric_)
                recorded = True
            return
        store_write(store.add_evaluation, run_id, event.record, token=lease.token)
        if args.time_budget and not budget:
            bar.total = 100
            bar.update(min(100, int(100 * event.elapsed / args.time_budget)),
                       f"best {event.best_score:.4f}  {event.description}")
        else:
            bar.update(event.iteration, f"best {event.best_score:.4f}  {event.description}")

    X = frame.drop(columns=[args.target])
    try:
        model.fit(X, frame[args.target], history=history, on_event=on_event, started=started)
    except KeyboardInterrupt:
        bar.close()
        _record_end(store, run_id, lease, STOPPED, "interrupted")
        raise KeyboardInterrupt(f"run {run_id} is kept: add --resume {run_id} to continue it") from None
    except Exception as exc:  # the run is marked failed (never left "running"); main() says why
        bar.close()
        if not isinstance(exc, LeaseLost):
            _record_end(store, run_id, lease, FAILED, " ".join(str(exc).split())[:500] or type(exc).__name__)
        raise
    bar.close()
    store_write(store.update, run_id, token=lease.token, status=FINISHED, task=model.task_, metric=model.metric_,
                message="")
    print_leaderboard(model)
    path = model.save(args.out)
    store_write(store.update, run_id, token=lease.token, model_path=str(Path(path).resolve()))
    print(f"run {run_id}: model saved to {path}")
    if store_write.failed:
        print(f"warning: the run history could not be written ({store_write.failed}), so run {run_id} is "
              "incomplete there; the model file is complete", file=sys.stderr)
    return 0


class _StoreWrite:
    """Writes to the run history during a fit; once the disk is full they are skipped (the first reason kept),
    so the search goes on and its model is still saved to ``--out`` if there is room there."""

    def __init__(self):
        self.failed = ""

    def __call__(self, method, *args, **kwargs) -> None:
        if self.failed:
            return
        try:
            method(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            self.failed = str(exc) or type(exc).__name__
            logging.getLogger(__name__).warning("the run history could not be written (%s); the search goes on "
                                                "and the model will still be saved", exc)


def _record_end(store, run_id, lease, status, message) -> None:
    try:
        store.update(run_id, token=lease.token, status=status, message=message)
    except Exception as exc:  # noqa: BLE001 - the error being reported matters more than this one
        logging.getLogger(__name__).warning("could not record the end of run %s: %s", run_id, exc)


def _check_same_exclusions(run: dict, exclude: list[str]) -> None:
    stored = run["settings"].get("exclude")
    if stored is not None and sorted(map(str, stored)) != sorted(map(str, exclude)):
        shown = " ".join(f"--exclude {c}" for c in stored) or "no --exclude"
        raise DataError(f"run {run['id']} searched without the columns it excluded ({shown}), so its scores are "
                        f"on other columns; resume it with the same exclusions, or start a new run")


def vars_for_run(args) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "handler"}


def _std_text(std, n_folds: int) -> str:
    """The spread over folds, blank when there is none to show (a single holdout, or the ensemble)."""
    return "" if pd.isna(std) or n_folds < 2 else f"{std:.3f}"


def print_data_report(report, stream=None) -> None:
    """The data checks that changed something or need the user's eye, on stderr: alerts with what to do,
    fixes in one sentence each (passed checks are not listed; the model card keeps them all)."""
    if report is None:
        return
    stream = stream or sys.stderr
    alerts = [c for c in report.checks if c.status == "alert"]
    fixed = [c for c in report.checks if c.status == "fixed"]
    shape = (f"{report.n_rows_used:,} rows, {report.n_features:,} feature columns"
             if report.n_rows_used is not None and report.n_features is not None else "the table")
    print(f"data: {shape}; {len(alerts)} alert(s), {len(fixed)} fixed, "
          f"{len(report.checks) - len(alerts) - len(fixed)} check(s) passed", file=stream)
    for check in alerts:
        hint = (" (" + " ".join(f"--exclude {shlex.quote(c)}" for c in check.columns) + ")"
                if check.name == "target_leakage" and check.columns else "")
        print(f"  alert: {check.message} {check.action}{hint}", file=stream)
    for check in fixed:
        print(f"  fixed: {check.message}", file=stream)
    stream.flush()


def _predicted_text(mean, std) -> str:
    """The recommender's prediction; no "±0.000" for a promoted pipeline, whose score on fewer rows it has seen."""
    if pd.isna(mean):
        return ""
    return f"{mean:.3f}" if pd.isna(std) or std < 0.0005 else f"{mean:.3f}±{std:.3f}"


def print_leaderboard(model, rows: int = LEADERBOARD_ROWS, stream=None) -> None:
    stream = stream or sys.stdout
    board = model.leaderboard_.head(rows)
    folds = {(h["pipeline_id"], h.get("rung", 0)): len(h.get("fold_scores") or []) for h in model.history_}
    table = pd.DataFrame({
        "#": range(1, len(board) + 1),
        model.metric_: board["score"].map(lambda v: f"{v:.4f}"),
        "± std": [_std_text(v, folds.get((pid, rung), 0)) for v, pid, rung in
                  zip(board["score_std"], board["pipeline_id"], board.get("rung", pd.Series(0, index=board.index)))],
        "predicted": [_predicted_text(m, s) for m, s in zip(board["predicted_score"], board["predicted_std"])],
        "source": board["source"],
        "pipeline": board["description"].map(lambda d: d if len(d) <= 90 else d[:87] + "..."),
    })
    if "rows" in board and board["rows"].nunique() > 1:  # a multi-fidelity search: scores on different rows
        table.insert(3, "rows", board["rows"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}"))
    print(f"task: {model.task_}   metric: {model.metric_}   evaluations: {len(model.history_)}", file=stream)
    print(table.to_string(index=False), file=stream)
    skipped = skipped_sentence(getattr(model, "search_stats_", {}).get("skipped_too_slow") or {})
    if skipped:
        print(skipped, file=stream)
    guided_by = getattr(model, "knowledge_", {}).get("recommender")
    if guided_by:
        print(f"search guided by: {guided_by}", file=stream)
    local_runs = getattr(model, "knowledge_", {}).get("local_runs", [])
    if local_runs:
        print(f"warm-started from {len(local_runs)} earlier run(s) on this machine ({', '.join(local_runs)}); "
              "--no-learn gives a run that does not depend on them", file=stream)
