"""A sample of catalogue pipelines, spread over every family, evaluated on two bundled datasets.

Usage: python benchmarks/catalogue_sample.py [--per-family 4] [--timeout 120] [--write docs/BENCHMARKS.md]
Breast cancer (binary) for the classification catalogue, diabetes (regression) for the
regression one; 5-fold CV as the app would choose; one isolated worker process per evaluation.
Reports, per family, how many evaluated within their timeout, the mean score and the mean time.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes

from automl_engine.catalogue import build_pipeline, load_catalogue
from automl_engine.evaluation import DEFAULT_METRIC, EvaluationTask, Evaluator, Limits, make_folds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import publish  # noqa: E402


def markdown(frame: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as a markdown table (no tabulate dependency)."""
    frame = frame.reset_index() if index else frame
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def sample(catalogue, per_family: int, seed: int = 0) -> list[int]:
    rng = np.random.default_rng(seed)
    picks = []
    for family in sorted(set(catalogue.families)):
        members = [i for i, f in enumerate(catalogue.families) if f == family]
        picks.extend(int(i) for i in rng.choice(members, size=min(per_family, len(members)), replace=False))
    return picks


def run(task_type: str, loader, task: str, per_family: int, timeout: float) -> pd.DataFrame:
    data = loader(as_frame=True)
    X, y = data.data, data.target.to_numpy()
    catalogue = load_catalogue(task_type)
    folds = make_folds(y, task, 5, 0)
    types = {c: "numeric" for c in X.columns}
    rows = []
    with Evaluator(n_jobs=2, limits=Limits(timeout=timeout)) as evaluator:
        for index in sample(catalogue, per_family):
            spec = catalogue[index]
            evaluator.submit(EvaluationTask(str(index), build_pipeline(spec, types), X, y, task, DEFAULT_METRIC[task],
                                            folds, keep_oof=False))
        while evaluator.in_flight:
            result = evaluator.next_result(timeout=None)
            spec = catalogue[int(result.key)]
            rows.append({"family": spec.family, "status": result.status, "score": result.score,
                         "wall_time": result.wall_time, "error": result.error})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-family", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args(argv)
    sections = []
    for task_type, loader, task, name in (("classification", load_breast_cancer, "binary", "breast cancer"),
                                          ("regression", load_diabetes, "regression", "diabetes")):
        frame = run(task_type, loader, task, args.per_family, args.timeout)
        table = frame.groupby("family").agg(
            evaluated=("status", "size"), within_timeout=("status", lambda s: int((s == "ok").sum())),
            mean_score=("score", "mean"), mean_seconds=("wall_time", "mean"))
        sections.append(f"**{name}** ({task_type}, {DEFAULT_METRIC[task]}): {len(frame)} pipelines, "
                        f"{int((frame['status'] == 'ok').sum())} finished within their {args.timeout:g} s timeout\n\n"
                        + markdown(table.round(3)))
        failures = frame[frame["status"] != "ok"]
        if len(failures):
            sections.append(markdown(failures[["family", "status", "error"]], index=False))
    publish("\n\n".join(sections), args.write, "catalogue-sample",
            f"python benchmarks/catalogue_sample.py --per-family {args.per_family} --write {args.write}",
            "2 worker processes, the knowledge build running at the same time.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
