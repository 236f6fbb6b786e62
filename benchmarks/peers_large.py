"""Peers on the corpus's larger meta-test tables: ours (pmf, random) vs FLAML vs AutoGluon (two presets).

Issue #20. Tables: every meta-test table of the corpus (``split == "test"`` in
automl_engine/knowledge/corpus.csv: never used to fit the shipped recommender) with at least
--min-rows rows (default 1,000), at full size. Each table gets one 75/25 split per seed
(benchmarks/peers.py's ``split``: stratified for classification; test sets of >= 250 rows).
Every system trains on the same 75% with one core and the same wall-clock budget and is scored on
the same 25% with the same function (balanced accuracy or R², ``peers.test_score``).

Systems: ``pmf`` and ``random`` (AutoML strategy), ``flaml``, ``autogluon`` (preset
medium_quality, its default) and ``autogluon_best`` (best_quality). AutoGluon runs in its own
venv (scripts/autogluon_venv.sh) through benchmarks/autogluon_worker.py, in a subprocess.

One row per (dataset, seed, system, budget) is appended to --results as soon as it is done;
a re-run skips the rows already there, so the run can be killed and resumed at any point.

Usage:
    python benchmarks/peers_large.py [--budgets 60 300] [--seeds 0 1] [--systems ...] [--limit N]
        [--datasets NAME ...] [--shard K/N] [--results benchmarks/results/peers_large.csv]
        [--report docs/BENCHMARKS.md] [--report-only] [--list]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import traceback
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import run_flaml, run_ours, shard_spec, split, test_score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "peers_large.csv"
AUTOGLUON_PYTHON = ROOT / ".venv-autogluon" / "bin" / "python"
AUTOGLUON_PRESETS = {"autogluon": "medium_quality", "autogluon_best": "best_quality"}
SYSTEMS = ("pmf", "random", "flaml", *AUTOGLUON_PRESETS)
COLUMNS = ["dataset", "task", "rows", "seed", "n_train", "n_test", "system", "budget", "status", "test_score",
           "val_score", "seconds", "cpu_seconds", "evaluations", "error", "load_before", "commit", "finished_at"]
KEY = ["dataset", "seed", "system", "budget"]
MIN_TEST_ROWS = 250
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def select_tables(corpus: pd.DataFrame, min_rows: int = 1000) -> pd.DataFrame:
    """The meta-test rows of ``corpus`` with at least ``min_rows`` rows, smallest first."""
    chosen = corpus[(corpus["split"] == "test") & (corpus["rows"] >= min_rows)]
    return chosen.sort_values(["rows", "name"]).reset_index(drop=True)


def read_results(path: Path) -> pd.DataFrame:
    """The rows in ``path`` (none if it does not exist); a line cut short by a kill is dropped
    (``finished_at``, the last field, is written on every row)."""
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.read_csv(path, on_bad_lines="skip")
    if list(frame.columns) != COLUMNS:
        sys.exit(f"{path} does not have the columns of this script; give another --results")
    return frame.dropna(subset=["finished_at"])


def done_keys(results: pd.DataFrame) -> set:
    """(dataset, seed, system, budget) of the rows already recorded."""
    return {(d, int(s), y, float(b)) for d, s, y, b in results[KEY].itertuples(index=False)}


def append_row(path: Path, row: dict) -> None:
    """Append one row to the CSV in one write (header first on a new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    new = not path.exists() or path.stat().st_size == 0
    if new:
        writer.writeheader()
    writer.writerow({column: row.get(column, "") for column in COLUMNS})
    with open(path, "a+", encoding="utf-8") as f:
        if not new:  # a previous run killed mid-line: start on a line of our own
            f.seek(max(f.tell() - 1, 0))
            if f.read(1) != "\n":
                f.write("\n")
        f.write(buffer.getvalue())


def _cpu_seconds() -> float:
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage,
                                                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def _parquet_ready(X: pd.DataFrame) -> pd.DataFrame:
    """``X`` with object columns (which parquet refuses when they mix types) as text, missing kept."""
    objects = [c for c in X.columns if pd.api.types.is_object_dtype(X[c])]
    return X.assign(**{c: X[c].astype("string") for c in objects}) if objects else X


def run_autogluon(preset, task, X_tr, y_tr, X_te, y_te, budget, python=AUTOGLUON_PYTHON, cpus: int = 1) -> dict:
    """AutoGluon in its venv on ``cpus`` cores: tables handed over as parquet, the result read back from JSON."""
    if not Path(python).exists():
        raise FileNotFoundError(f"{python} not found: run scripts/autogluon_venv.sh first")
    label = "__label__"
    with tempfile.TemporaryDirectory(prefix="peers-large-") as folder:
        train, test, out = (Path(folder) / name for name in ("train.parquet", "test.parquet", "result.json"))
        _parquet_ready(X_tr).assign(**{label: np.asarray(y_tr)}).to_parquet(train)
        _parquet_ready(X_te).to_parquet(test)
        command = [str(python), str(Path(__file__).with_name("autogluon_worker.py")), "--train", str(train),
                   "--test", str(test), "--label", label, "--problem-type", task, "--preset", preset,
                   "--time-limit", str(budget), "--num-cpus", str(cpus), "--out", str(out)]
        try:
            done = subprocess.run(command, env={**os.environ, **(ONE_THREAD if cpus == 1 else {})},
                                  timeout=2 * budget + 300, check=False,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "seconds": 2 * budget + 300, "error": "killed after 2 × budget + 300 s"}
        if not out.exists():
            return {"status": "error", "error": f"the AutoGluon worker wrote no result: {done.stderr[-250:]}"}
        result = json.loads(out.read_text(encoding="utf-8"))
    if result["status"] != "ok":
        return {"status": result["status"], "error": result.get("error", "")}
    predictions = np.asarray(result["predictions"])
    return {"status": "ok", "test_score": test_score(task, y_te, predictions), "val_score": result["val_score"],
            "seconds": result["fit_seconds"], "cpu_seconds": result["cpu_seconds"], "evaluations": result["models"]}


def run_system(system, task, X_tr, y_tr, X_te, y_te, seed, budget) -> dict:
    """One system on one split: status, test and validation scores, seconds used."""
    if system in AUTOGLUON_PRESETS:
        return run_autogluon(AUTOGLUON_PRESETS[system], task, X_tr, y_tr, X_te, y_te, budget)
    cpu = _cpu_seconds()
    if system == "flaml":
        out = run_flaml(task, X_tr, y_tr, X_te, y_te, seed, budget)
        cpu = _cpu_seconds() - cpu
    else:  # the search's workers are not this process's children: their CPU time is not seen here
        out = run_ours(system, task, X_tr, y_tr, X_te, y_te, seed, budget=budget)
        cpu = float("nan")
    return {"status": "ok", "test_score": out["test_score"], "val_score": out["cv_score"],
            "seconds": out["fit_seconds"], "cpu_seconds": cpu, "evaluations": out["evaluations"]}


def current_commit() -> str:
    """The short hash of HEAD ("+" when the work tree has changes), or "" outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "automl_engine"], cwd=ROOT,
                               capture_output=True, text=True)
    except OSError:
        return ""
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def run_grid(tables: pd.DataFrame, seeds, systems, budgets, results_path: Path, load=None) -> int:
    """Run every missing (table, seed, system, budget), budget by budget; returns how many ran."""
    if load is None:
        from automl_engine.knowledge.corpus import load_task_frame as load
    done, ran = done_keys(read_results(results_path)), 0
    for budget in budgets:
        for seed in seeds:
            for table in tables.to_dict("records"):
                todo = [s for s in systems if (table["name"], int(seed), s, float(budget)) not in done]
                if not todo:
                    continue
                try:
                    task, X_tr, X_te, y_tr, y_te = split(load(table), table["target"], seed)
                except Exception as exc:  # noqa: BLE001 - a table intake refuses is reported, not fatal
                    print(f"skip {table['name']}: {exc}", file=sys.stderr)
                    continue
                if len(y_te) < MIN_TEST_ROWS:
                    print(f"skip {table['name']}: test set of {len(y_te)} rows", file=sys.stderr)
                    continue
                for system in todo:
                    row = {"dataset": table["name"], "task": task, "rows": table["rows"], "seed": seed,
                           "n_train": len(y_tr), "n_test": len(y_te), "system": system, "budget": float(budget),
                           "load_before": round(os.getloadavg()[0], 2), "commit": current_commit()}
                    try:
                        row.update(run_system(system, task, X_tr, y_tr, X_te, y_te, seed, budget))
                    except Exception as exc:  # noqa: BLE001 - a crash counts against the system
                        traceback.print_exc()
                        row.update({"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]})
                    row["finished_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                    append_row(results_path, row)
                    ran += 1
                    print(f"{row['dataset']} seed={seed} {system} {budget:g}s: {row['status']} "
                          f"test={row.get('test_score', float('nan')):.4f} in {row.get('seconds', float('nan')):.0f}s",
                          flush=True)
    return ran


def _interrupt(signum, frame):
    """SIGTERM as Ctrl-C: the running system is stopped and cleaned up, its row is not written."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=[60, 300], help="wall-clock seconds")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="one 75/25 split per seed")
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--min-rows", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=None, help="only the N smallest tables")
    parser.add_argument("--datasets", nargs="+", default=None, metavar="NAME")
    parser.add_argument("--shard", type=shard_spec, default=(0, 1), metavar="K/N",
                        help="every N-th table from the K-th (N processes, each with its own --results)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--also", type=Path, nargs="*", default=[], metavar="CSV", help="more results for the report")
    parser.add_argument("--report", type=Path, default=None, help="write the report section to this markdown file")
    parser.add_argument("--title", default="", help="a line that heads the report section (e.g. 'Pilot: ...')")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--list", action="store_true", help="print the selected tables and stop")
    args = parser.parse_args(argv)
    from automl_engine.knowledge.corpus import load_corpus_table

    tables = select_tables(load_corpus_table(), args.min_rows)
    if len(tables) < 20:
        print(f"only {len(tables)} meta-test tables have >= {args.min_rows} rows (issue #20 asks for 20)",
              file=sys.stderr)
    if args.datasets:
        tables = tables[tables["name"].isin(args.datasets)]
    tables = tables.head(args.limit) if args.limit else tables
    shard, shards = args.shard
    tables = tables.iloc[shard::shards]
    if args.list:
        print(tables[["name", "task", "rows", "features"]].to_string(index=False))
        return 0
    if not args.report_only:
        run_grid(tables, args.seeds, args.systems, args.budgets, args.results)
    if args.report:
        from peers_report import write_large_report

        results = pd.concat([read_results(p) for p in [args.results, *args.also]], ignore_index=True)
        given = sys.argv[1:] if argv is None else list(argv)
        if "--title" in given:  # the title heads the section; the command is the rest
            del given[given.index("--title"):given.index("--title") + 2]
        command = "python benchmarks/peers_large.py " + " ".join(given)
        write_large_report(results, args.report, command, args.title)
    return 0


if __name__ == "__main__":
    sys.exit(main())
