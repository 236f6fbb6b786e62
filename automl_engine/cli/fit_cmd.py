"""``automl fit DATA --target COL ...``: search, print the leaderboard, save the model."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pandas as pd

from automl_engine.cli.progress import ProgressBar
from automl_engine.errors import DataError
from automl_engine.evaluation.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from automl_engine.search.events import PhaseEvent
from automl_engine.store.runs import FINISHED, STOPPED, RunStore

TASKS = ("auto", "binary", "multiclass", "regression", "classification")
LEADERBOARD_ROWS = 10


def add_parsers(sub) -> None:
    fit = sub.add_parser("fit", help="search for a model on a table and save it")
    fit.add_argument("data", type=Path, help="CSV, TSV, Parquet or XLSX file")
    fit.add_argument("--target", required=True, help="the column to predict")
    fit.add_argument("--task", choices=TASKS, default="auto")
    fit.add_argument("--metric", choices=("auto",) + CLASSIFICATION_METRICS + REGRESSION_METRICS, default="auto")
    fit.add_argument("--time-budget", type=float, default=None, help="seconds for the search")
    fit.add_argument("--max-evals", type=int, default=None,
                     help="pipelines to evaluate (default 25 without a time budget)")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--strategy", choices=("pmf", "random"), default="pmf")
    fit.add_argument("--n-jobs", type=int, default=-1, help="evaluations at once (default -1: every available core)")
    fit.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a Dask scheduler")
    fit.add_argument("--no-ensemble", action="store_true")
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
    from automl_engine.automl import AutoML
    from automl_engine.data.intake import load_table

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    _check_budget(args)
    store = RunStore()
    history = None
    if args.resume:
        run = store.get(args.resume)
        if run is None:
            raise DataError(f"there is no run {args.resume!r} in the run history; `automl runs` lists them")
        history = store.history(args.resume)
    frame = load_table(args.data)
    if args.target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:8]))
        raise DataError(f"the target column {args.target!r} is not in the table; its columns are: {shown}")
    budget = args.max_evals or (None if args.time_budget else 25)
    bar = ProgressBar(total=budget or 0)
    run_id = args.resume or store.create(name=args.data.name, target=args.target, settings=vars_for_run(args),
                                         data_path=str(args.data.resolve()))

    def on_event(event) -> None:
        if isinstance(event, PhaseEvent):  # the bar counts evaluations (or seconds); phases are not shown
            return
        store.add_evaluation(run_id, event.record)
        if args.time_budget and not budget:
            bar.total = 100
            bar.update(min(100, int(100 * event.elapsed / args.time_budget)),
                       f"best {event.best_score:.4f}  {event.description}")
        else:
            bar.update(event.iteration, f"best {event.best_score:.4f}  {event.description}")

    model = AutoML(task=args.task, metric=args.metric, time_budget=args.time_budget, max_evals=args.max_evals,
                   strategy=args.strategy, n_jobs=args.n_jobs, dask_address=args.scheduler,
                   ensemble=not args.no_ensemble, random_state=args.seed, learn=not args.no_learn,
                   exclude_columns=tuple(args.exclude))
    X = frame.drop(columns=[args.target])
    try:
        model.fit(X, frame[args.target], history=history, on_event=on_event)
    except KeyboardInterrupt:
        bar.close()
        store.update(run_id, status=STOPPED)
        raise
    bar.close()
    store.update(run_id, status=FINISHED, task=model.task_, metric=model.metric_)
    print_leaderboard(model)
    path = model.save(args.out)
    store.update(run_id, model_path=str(Path(path).resolve()))
    print(f"run {run_id}: model saved to {path}")
    return 0


def vars_for_run(args) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "handler"}


def print_leaderboard(model, rows: int = LEADERBOARD_ROWS, stream=None) -> None:
    stream = stream or sys.stdout
    board = model.leaderboard_.head(rows)
    table = pd.DataFrame({
        "#": range(1, len(board) + 1),
        model.metric_: board["score"].map(lambda v: f"{v:.4f}"),
        "± std": board["score_std"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
        "predicted": [("" if pd.isna(m) else f"{m:.3f}±{s:.3f}")
                      for m, s in zip(board["predicted_score"], board["predicted_std"])],
        "source": board["source"],
        "pipeline": board["description"].map(lambda d: d if len(d) <= 90 else d[:87] + "..."),
    })
    print(f"task: {model.task_}   metric: {model.metric_}   evaluations: {len(model.history_)}", file=stream)
    print(table.to_string(index=False), file=stream)
    local_runs = getattr(model, "knowledge_", {}).get("local_runs", [])
    if local_runs:
        print(f"warm-started from {len(local_runs)} earlier run(s) on this machine ({', '.join(local_runs)}); "
              "--no-learn gives a run that does not depend on them", file=stream)
