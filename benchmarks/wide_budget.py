"""A small time budget on a wide table: how long ``automl fit`` really takes, and where the time goes.

    python benchmarks/wide_budget.py [--rows 500 1000] [--columns 10000] [--budget 20] [--root DIR]

Writes a synthetic CSV per size (normal noise, a yes/no target from the first two columns), times the
stages of preparation in this process (``load_table``, ``prepare_data``, meta-features), then runs the CLI
as a user would (``automl fit FILE --target target --time-budget B --no-learn``) in a fresh process and
reports its wall time, peak resident memory (``/usr/bin/time`` when present) and its last line.
``--root`` runs the CLI of another tree (e.g. a ``git worktree`` of an older commit) for a side-by-side
comparison in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def write_table(path: Path, rows: int, columns: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, columns)).round(4)
    frame = pd.DataFrame(values, columns=[f"x{i}" for i in range(columns)])
    frame["target"] = np.where(values[:, 0] + values[:, 1] > 0, "yes", "no")
    frame.to_csv(path, index=False)


def preparation_stages(path: Path) -> dict[str, float]:
    """Seconds of each preparation stage, in this process."""
    from automl_engine.data.intake import load_table, prepare_data
    from automl_engine.evaluation import as_labels
    from automl_engine.knowledge.metafeatures import compute_meta_features

    seconds = {}
    start = time.perf_counter()
    frame = load_table(path)
    seconds["load_table_s"] = time.perf_counter() - start
    start = time.perf_counter()
    prepared = prepare_data(frame, "target")
    seconds["prepare_data_s"] = time.perf_counter() - start
    start = time.perf_counter()
    compute_meta_features(prepared.X, as_labels(prepared.y, prepared.task), prepared.task, prepared.column_types)
    seconds["meta_features_s"] = time.perf_counter() - start
    return {name: round(value, 1) for name, value in seconds.items()}


def stages_of(path: Path, root: Path) -> dict[str, float]:
    """``preparation_stages`` with the engine of ``root``, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, __file__, "--stages-of", str(path)], capture_output=True, text=True,
                          env=env, cwd=root, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_cli(path: Path, budget: float, root: Path, data_dir: Path) -> dict:
    """``automl fit`` on ``path`` in a fresh process: wall seconds, peak RSS (MB), exit code, last line."""
    command = [sys.executable, "-m", "automl_engine.cli", "fit", str(path), "--target", "target",
               "--time-budget", str(budget), "--no-learn", "--out", str(data_dir / "model.skops")]
    timer = ["/usr/bin/time", "-f", "peak_kb=%M"] if Path("/usr/bin/time").exists() else []
    env = {**os.environ, "PYTHONPATH": str(root), "AUTOML_DATA_DIR": str(data_dir)}
    start = time.perf_counter()
    done = subprocess.run(timer + command, capture_output=True, text=True, env=env, cwd=root)
    wall = time.perf_counter() - start
    errors = [line.split("\r")[-1].strip() for line in done.stderr.splitlines()]
    peak = next((int(line.split("=")[1]) / 1024 for line in errors if line.startswith("peak_kb=")), float("nan"))
    said = [line for line in errors if line.startswith("error:")]  # else the last thing printed (the model's path)
    said = said or [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return {"wall_s": round(wall, 1), "peak_mb": round(peak), "exit": done.returncode,
            "outcome": said[-1][:200] if said else ""}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--columns", type=int, default=10_000)
    parser.add_argument("--budget", type=float, default=20)
    parser.add_argument("--root", type=Path, default=ROOT, help="the tree whose engine is timed and CLI run")
    parser.add_argument("--stages-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stages_of:
        print(json.dumps(preparation_stages(args.stages_of)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"wide_{rows}x{args.columns}.csv"
            write_table(path, rows, args.columns)
            row = {"rows": rows, "columns": args.columns, "budget": args.budget,
                   **stages_of(path, args.root.resolve()),
                   **run_cli(path, args.budget, args.root.resolve(), Path(tmp))}
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
